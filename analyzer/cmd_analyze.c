/*
 * cmd_analyze.c - the `analyze` command (cli.c's table).
 *
 *   coroner analyze DUMP... [-o DIR|-] [--format md,html,json] [options]
 *
 * For each dump: read it into the model (formats/), analyze it
 * (analyzer/), write the reports (reports/).  The exit status is the worst
 * over all dumps (docs/coroner.1.md):
 *   0 reports written; 1 reports written, but the dump is damaged or
 *   incomplete (the reports list what is missing); 2 usage; 3 I/O error;
 *   4 not a dump; 5 too damaged for a report; 6 out of memory; 70 bug.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "series.h"
#include "cli.h"
#include "pass.h"
#include "passes/signature.h"
#include "dump.h"
#include "report.h"
#include "term.h"
#include "termsig.h"
#include "util.h"

/* At most this many --skip-pass names (the registry has about ten). */
#define MAX_SKIP_PASSES 64

const char cr_cmd_analyze_synopsis[] =
	"analyze DUMP... [-o DIR|-] [-f md,html,json]\n"
	"                       [--sysroot DIR] [--debug-dir DIR]... [--image-dir DIR]...\n"
	"                       [--symbols DIR]...\n"
	"                       [-e EXECUTABLE] [--max-frames N] [--signature-frames N]\n"
	"                       [--all-lines] [-q]\n"
	"                       [--max-decompressed SIZE] [--md-budget N] [--brief]\n"
	"                       [--interval SECONDS] [--cpu-threshold PERCENT]\n"
	"                       [--heap | --no-heap]\n"
	"                       [--skip-pass NAME[,NAME]...] [--list-passes]";

const char cr_cmd_analyze_options[] =
	      "  -o, --output DIR     write reports into DIR (default: current directory);\n"
	      "                       '-' writes the one --format chosen to standard output\n"
	      "  -f, --format LIST    comma-separated: md, html, json (default: all three)\n"
	      "      --sysroot DIR    binaries of the machine the dump came from\n"
	      "      --debug-dir DIR  more debug info (build-id tree or .debug files)\n"
	      "      --image-dir DIR  a directory holding module files by name\n"
	      "      --symbols DIR    Breakpad symbol files (DIR/module/id/module.sym)\n"
	      "  -e, --executable F   the dumped program's executable\n"
	      "      --max-decompressed SIZE  the most a compressed dump may decompress\n"
	      "                       to, with a suffix K, M, G or T (default 32G; also\n"
	      "                       bounded by the free space of $TMPDIR)\n"
	      "      --max-frames N   stop unwinding a thread after N frames (default 1000000)\n"
	      "      --signature-frames N  frames in the crash signature and bucket\n"
	      "                       (default 5, at most 32; docs/signatures.md)\n"
	      "      --all-lines      source lines in system libraries for every thread\n"
	      "                       (default: only where the crash happened inside them)\n"
	      "      --md-budget N    keep the Markdown report under N characters, leaving\n"
	      "                       out the last thread groups and sections (default\n"
	      "                       60000: GitHub takes 65536; 0: no limit)\n"
	      "      --brief          the Markdown report shows the focus (crashing)\n"
	      "                       thread only\n"
	      "      --interval S     dumps of one process (a series) given in the order\n"
	      "                       taken, S seconds apart: when the dumps record no time\n"
	      "                       (used instead of the files' modification times)\n"
	      "      --cpu-threshold P  a series names threads that used more than P%\n"
	      "                       of one core between the dumps (default 80)\n"

	      "      --heap           walk the heap, find leaks and count what fills it\n"
	      "                       for every dump (default: for dumps taken on demand\n"
	      "                       and out-of-memory crashes; the walk alone for a\n"
	      "                       crash inside the allocator)\n"
	      "      --no-heap        do not read the heap at all\n"
	      "      --skip-pass LIST do not run these diagnosis passes (comma-separated;\n"
	      "                       may be given several times; see --list-passes)\n"
	      "      --list-passes    print the diagnosis passes in the order they run\n"
	      "                       and exit\n"
	      "  -q, --quiet          do not list the reports written\n";

const char cr_cmd_analyze_shortopts[] = "o:f:e:qhV";

const struct option cr_cmd_analyze_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "sysroot", required_argument, NULL, 'S' },
	{ "debug-dir", required_argument, NULL, 'D' },
	{ "image-dir", required_argument, NULL, 'I' },
	{ "symbols", required_argument, NULL, 'Y' },
	{ "executable", required_argument, NULL, 'e' },
	{ "max-frames", required_argument, NULL, 'M' },
	{ "signature-frames", required_argument, NULL, 'G' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "all-lines", no_argument, NULL, 'A' },
	{ "max-decompressed", required_argument, NULL, 'Z' },
	{ "md-budget", required_argument, NULL, 'B' },
	{ "brief", no_argument, NULL, 'b' },
	{ "interval", required_argument, NULL, 'T' },
	{ "cpu-threshold", required_argument, NULL, 'P' },
	{ "skip-pass", required_argument, NULL, 'K' },
	{ "list-passes", no_argument, NULL, 'L' },
	{ "heap", no_argument, NULL, 'H' },
	{ "no-heap", no_argument, NULL, 'N' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The long name of the option whose getopt value is C, for messages. */
static const char *long_name(int c)
{
	for (const struct option *o = cr_cmd_analyze_longopts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

static const struct {
	const char *name;
	unsigned bit;
} format_names[] = {
	{ "md", CR_REPORT_MD },
	{ "markdown", CR_REPORT_MD },
	{ "html", CR_REPORT_HTML },
	{ "json", CR_REPORT_JSON },
};

/* "md,json" -> the CR_REPORT_* bits; -1 for an unknown or no name. */
static int parse_formats(const char *s, unsigned *out)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, ","), i = 0;
		while (i < ARRAY_LEN(format_names) &&
		       (strlen(format_names[i].name) != n ||
			strncmp(s, format_names[i].name, n)))
			i++;
		if (i == ARRAY_LEN(format_names))
			return -1;
		*out |= format_names[i].bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return *out ? 0 : -1;
}

/*
 * Print ERR as the one line of an error and free it; returns its code.  The
 * message quotes the dump's path and strings read from the dump: the whole
 * line goes through the terminal sanitizer here, the one place errors are
 * printed.
 */
static int fail(const char *prog, struct cr_error *err, const char *path)
{
	int code = err->code;
	bool named = path && !strstr(err->message, path);
	cr_term_printf(stderr, "%s: %s%s%s", prog, named ? path : "",
		       named ? ": " : "", err->message);
	cr_error_free(err);
	return code;
}

/* The directory entries of the run's dumps (lstat: the entry a rename
 * would replace). */
struct dump_ids {
	struct stat *st;	/* st_ino 0: could not be looked at */
	size_t n;
};

/*
 * Whether writing the reports NAME in OUTDIR would replace one of the run's
 * dumps (dumps "x" and "x.coroner.md" in the output directory: the first
 * one's report was renamed over the second dump before it was read) or a
 * directory (the rename fails and every format of the dump is lost).
 */
static bool name_hits_file(const char *outdir, const char *name,
			   unsigned formats, const struct dump_ids *ids)
{
	static const enum cr_report_format all[] = {
		CR_REPORT_MD, CR_REPORT_HTML, CR_REPORT_JSON,
	};
	bool hit = false;
	for (size_t i = 0; i < 3 && !hit; i++) {
		if (!(formats & all[i]))
			continue;
		char *out = cr_strdup_printf("%s/%s.coroner.%s", outdir, name,
					     report_extension(all[i]));
		struct stat st;
		if (out && lstat(out, &st) == 0) {
			hit = S_ISDIR(st.st_mode);
			for (size_t k = 0; k < ids->n && !hit; k++)
				hit = ids->st[k].st_ino == st.st_ino &&
				      ids->st[k].st_dev == st.st_dev;
		}
		free(out);
	}
	return hit;
}

/* Reports written into temporary files, to be made durable and renamed
 * into place (report_set_write_started). */
struct pending_reports {
	struct {
		char *tmp;
		int fd;
		char *path;
	} r[3];
	size_t n;
};

/*
 * SIGINT, SIGTERM and SIGHUP remove the reports' temporary files before
 * the process ends (report_remove_temporaries): a dump's reports are all
 * written, then flushed and renamed, and without this Ctrl-C there left
 * up to three NAME.coroner.EXT.XXXXXX.tmp files.
 */
static void remove_temporaries(int sig)
{
	report_remove_temporaries();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The handler, for the signals whose disposition is the default (one
 * ignored by the caller, nohup's SIGHUP, stays ignored). */
static void catch_cleanup_signals(void)
{
	for (size_t k = 0; k < ARRAY_LEN(cr_term_signals); k++) {
		struct sigaction old;
		if (sigaction(cr_term_signals[k], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL) {
			struct sigaction sa = { .sa_handler = remove_temporaries };
			sigemptyset(&sa.sa_mask);
			sigaction(cr_term_signals[k], &sa, NULL);
		}
	}
}

/* Make P's reports durable and put them in place, naming each unless
 * QUIET; the exit status so far is STATUS.  Returns the worst of it and
 * the commits'. */
static int commit_reports(const char *prog, struct pending_reports *p,
			  int status, bool quiet)
{
	for (size_t i = 0; i < p->n; i++) {
		struct cr_error *err = report_commit_temporary(p->r[i].tmp, p->r[i].fd,
							       p->r[i].path);
		if (err) {
			int s = fail(prog, err, NULL);
			status = s > status ? s : status;
		} else if (!quiet) {
			cr_term_printf(stdout, "%s", p->r[i].path);
		}
		free(p->r[i].path);
	}
	p->n = 0;
	return status;
}

/*
 * Write A's reports for the dump at PATH (its name names them); the exit
 * status so far is STATUS.  Returns the status after writing.  Reports to
 * files are left in PENDING, for commit_reports() once the analysis is
 * freed; a report to standard output is written at once.
 */
static int write_reports(const char *prog, const char *path,
			 const struct cr_analysis *a, int status,
			 const struct report_md_options *md_opts,
			 const char *outdir, unsigned formats, bool quiet,
			 struct report_names *names, const struct dump_ids *ids,
			 struct pending_reports *pending)
{
	/* HTML last: its libraries load in the background meanwhile
	 * (report_prefetch), behind Zydis on the one loader thread. */
	static const enum cr_report_format order[] = {
		CR_REPORT_MD, CR_REPORT_JSON, CR_REPORT_HTML,
	};
	/* Named only once the dump could be analyzed: a dump that is not
	 * one takes no name from the next dump of the same name. */
	const char *name = strcmp(outdir, "-") == 0 ? "-" :
		report_name_claim(names, path);
	/* Each claim is a new name ("-2", "-3" ...): at most one per dump
	 * and directory in the way. */
	while (name && strcmp(outdir, "-") != 0 &&
	       name_hits_file(outdir, name, formats, ids))
		name = report_name_claim(names, path);
	/* One report document for the Markdown and HTML reports. */
	struct report_set *rs = report_set_new(a);
	for (size_t i = 0; i < 3; i++) {
		if (!(formats & order[i]))
			continue;
		char *out = !rs || !name ? NULL : strcmp(outdir, "-") == 0 ? strdup("-") :
			cr_strdup_printf("%s/%s.coroner.%s", outdir, name,
					 report_extension(order[i]));
		if (!out) {
			status = fail(prog, &cr_enomem, NULL);
			break;
		}
		/* The Markdown report names the HTML one, which has what
		 * its budget leaves out. */
		struct report_md_options mo = *md_opts;
		char *html = NULL;
		if ((formats & CR_REPORT_HTML) && strcmp(outdir, "-") != 0)
			mo.html_name = html = cr_strdup_printf("%s.coroner.html", name);
		bool to_stdout = strcmp(out, "-") == 0;
		char *tmp = NULL;
		int fd = -1;
		struct cr_error *err = to_stdout ?
			report_set_write_file(rs, order[i], out, &mo) :
			report_set_write_started(rs, order[i], out, &mo, &tmp, &fd);
		free(html);
		if (err) {
			status = fail(prog, err, NULL);
			free(out);
			break;
		}
		if (to_stdout) {
			free(out);
			continue;
		}
		pending->r[pending->n].tmp = tmp;
		pending->r[pending->n].fd = fd;
		pending->r[pending->n++].path = out;
	}
	report_set_free(rs);
	return status;
}

/* 1: the report lacks or doubts something (an error or warning problem of
 * the reader or the analysis); information is not one. */
static int damage_status(const struct cr_dump *d, const struct cr_analysis *a)
{
	return cr_problems_serious(&d->problems) ||
	       cr_problems_serious(&a->problems) ? 1 : 0;
}

static int analyze_one(const char *prog, const char *path, const struct cr_options *opts,
		       const struct report_md_options *md_opts,
		       const char *outdir, unsigned formats, bool quiet,
		       struct report_names *names, const struct dump_ids *ids)
{
	struct cr_dump *d = NULL;
	struct cr_analysis *a = NULL;
	struct cr_open_options oo = { .max_decompressed = opts->max_decompressed };
	struct cr_error *err = cr_dump_open_with(path, &oo, &d);
	if (err)
		return fail(prog, err, path);
	report_prefetch(d, opts, formats);
	err = cr_analyze(d, opts, &a);
	if (err) {
		cr_dump_free(d);
		return fail(prog, err, path);
	}
	cr_dump_check_file(d);	/* shrank while the analysis read it? */
	struct pending_reports pending = { 0 };
	int status = write_reports(prog, path, a, damage_status(d, a), md_opts,
				   outdir, formats, quiet, names, ids, &pending);
	/* Freed while the disk writes the reports. */
	cr_analysis_free(a);
	cr_dump_free(d);
	return commit_reports(prog, &pending, status, quiet);
}

/* What the command works on: the dumps named, directories expanded. */
struct dump_list {
	char **paths;
	size_t n, cap;
};

static bool list_add(struct dump_list *l, char *path)
{
	if (!path)
		return false;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **p = realloc(l->paths, cap * sizeof(*p));
		if (!p) {
			free(path);
			return false;
		}
		l->paths = p;
		l->cap = cap;
	}
	l->paths[l->n++] = path;
	return true;
}

static void list_free(struct dump_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Add the dumps in directory DIR to L, by name: its regular files, not
 * hidden ones and not coroner's own reports ("x.coroner.md").  0, or an
 * exit status after printing why.
 */
static int add_directory(const char *prog, const char *dir, struct dump_list *l)
{
	DIR *dh = opendir(dir);
	if (!dh) {
		cr_term_printf(stderr, "%s: %s: cannot open: %s", prog, dir,
			       strerror(errno));
		return CR_ERR_IO;
	}
	size_t first = l->n;
	struct dirent *de;
	int status = 0;
	while (!status && (de = readdir(dh))) {
		struct stat st;
		if (de->d_name[0] == '.' || strstr(de->d_name, ".coroner."))
			continue;
		char *path = cr_strdup_printf("%s/%s", dir, de->d_name);
		if (path && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) {
			free(path);
			continue;
		}
		if (!list_add(l, path))
			status = fail(prog, &cr_enomem, NULL);
	}
	closedir(dh);
	if (!status && l->n == first) {
		cr_term_printf(stderr, "%s: %s: a directory with no dump in it",
			       prog, dir);
		return CR_ERR_FORMAT;
	}
	qsort(l->paths + first, l->n - first, sizeof(*l->paths), cmp_str);
	return status;
}

/*
 * The dumps of L as one series (series.h): read and analyze each, add the
 * cross-dump findings to the last one and write its reports.  -1 when they
 * are not a series (not all readable, not one process, a file twice): the
 * caller analyzes them one by one.  Else the exit status, the worst of the
 * members'.
 */
static int analyze_series(const char *prog, const struct dump_list *l,
			  const struct cr_options *opts,
			  const struct cr_series_options *so,
			  const struct report_md_options *md_opts,
			  const char *outdir, unsigned formats, bool quiet,
			  struct report_names *names, const struct dump_ids *ids)
{
	struct pending_reports pending = { 0 };
	size_t n = l->n;
	if (n < 2 || n > CR_SERIES_MAX_DUMPS)
		return -1;
	struct cr_dump **d = calloc(n, sizeof(*d));
	struct cr_series_input *in = calloc(n, sizeof(*in));
	struct stat *st = calloc(n, sizeof(*st));
	int status = -1;
	if (!d || !in || !st)
		goto out;
	struct cr_open_options oo = { .max_decompressed = opts->max_decompressed };
	for (size_t i = 0; i < n; i++) {
		if (stat(l->paths[i], &st[i]) != 0)
			goto out;
		for (size_t k = 0; k < i; k++)
			if (st[k].st_ino == st[i].st_ino && st[k].st_dev == st[i].st_dev)
				goto out;	/* one file twice */
		struct cr_error *err = cr_dump_open_with(l->paths[i], &oo, &d[i]);
		if (err) {
			cr_error_free(err);
			goto out;
		}
		/* Stop at the first dump of another process: unrelated dumps
		 * (a compressed one is decompressed when opened) are opened
		 * twice at most up to there. */
		if (i > 0 && !cr_series_is_series((const struct cr_dump *const *)d,
						  i + 1))
			goto out;
	}
	status = 0;
	size_t m = 0;
	report_prefetch(d[0], opts, formats);
	for (size_t i = 0; i < n; i++) {
		struct cr_analysis *a = NULL;
		struct cr_error *err = cr_analyze(d[i], opts, &a);
		if (err) {
			int st_i = fail(prog, err, l->paths[i]);
			status = st_i > status ? st_i : status;
			continue;
		}
		cr_dump_check_file(d[i]);
		int dmg = damage_status(d[i], a);
		status = dmg > status ? dmg : status;
		in[m++] = (struct cr_series_input){
			.path = l->paths[i], .analysis = a, .mtime_known = true,
			.mtime = (double)st[i].st_mtim.tv_sec +
				 (double)st[i].st_mtim.tv_nsec / 1e9,
		};
	}
	struct cr_error *err = m >= 2 ? cr_series_analyze(in, m, so) : NULL;
	if (err) {
		int st_e = fail(prog, err, NULL);
		status = st_e > status ? st_e : status;
	} else if (m > 0) {
		/* One report, named after the last dump (in time order). */
		status = write_reports(prog, in[m - 1].path, in[m - 1].analysis,
				       status, md_opts, outdir, formats, quiet,
				       names, ids, &pending);
	}
	for (size_t i = 0; i < m; i++)
		cr_analysis_free(in[i].analysis);
out:
	for (size_t i = 0; d && i < n; i++)
		cr_dump_free(d[i]);
	status = commit_reports(prog, &pending, status, quiet);
	free(d);
	free(in);
	free(st);
	return status;
}


/*
 * Add the comma-separated pass names of LIST (an argument: kept, not
 * copied; the commas are cut into ends) to SKIP.  A name the registry
 * does not have is a warning, not an error: scripts name passes of other
 * versions (tests/bench/bench_passes.sh names the passes of issue 9).
 * False (after the message) when there are too many names.
 */
static bool add_skip_passes(const char *prog, char *list, const char **skip,
			    size_t *n)
{
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		if (!cr_pass_named(name)) {
			cr_term_printf(stderr, "%s: warning: --skip-pass: no pass named '%s' (see --list-passes)",
				       prog, name);
			continue;
		}
		if (*n >= MAX_SKIP_PASSES) {
			cr_cli_usage_error(prog, "at most %d --skip-pass names",
					   MAX_SKIP_PASSES);
			return false;
		}
		skip[(*n)++] = name;
	}
	return true;
}

/*
 * The heap keeps what it grew to (the trim threshold), and allocations up
 * to 8 MiB come from it rather than from mappings of their own (a symbol
 * index of libc is 240 KB: with the default threshold each was a fresh
 * mmap, every page a fault, unmapped when freed).  The loader thread
 * (formats/dynlib.h) shares the main arena instead of making one of
 * 64 MiB for its few allocations.  The heap is not made present ahead
 * (MADV_POPULATE_WRITE of its first 2 MiB, once): that saved
 * 96 of a small core's 369 faults but cost 0.75 ms to charge 512 pages
 * against 0.2 ms for the faults (docs/ARCHITECTURE.md).  Only speed: a
 * failure changes nothing.
 */
static void tune_malloc(void)
{
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

int cr_cmd_analyze(const char *prog, int argc, char **argv);

int cr_cmd_analyze(const char *prog, int argc, char **argv)
{
	struct cr_cli_symbol_dirs dirs = { 0 };
	const char *skip[MAX_SKIP_PASSES + 1] = { 0 };
	size_t nskip = 0;
	struct cr_options opts = { .debug_dirs = dirs.debug, .image_dirs = dirs.image,
				   .symbol_dirs = dirs.symbols, .skip_passes = skip };
	const char *outdir = ".";
	unsigned formats = CR_REPORT_MD | CR_REPORT_HTML | CR_REPORT_JSON;
	struct report_md_options md_opts = { .budget = REPORT_MD_BUDGET_DEFAULT };
	bool quiet = false;
	struct cr_series_options so = { 0 };
	int c;

	/* GNU getopt permutes: options may stand before or after the
	 * command and the dumps. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:e:qhV", cr_cmd_analyze_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o': outdir = optarg; break;
		case 'f':
			if (parse_formats(optarg, &formats))
				return cr_cli_usage_error(prog, "unknown format in '%s' (use md, html, json)",
							  optarg);
			break;
		case 'S':
		case 'D':
		case 'I':
		case 'Y': {
			int st = cr_cli_symbol_option(prog, long_name(c), optarg,
						      &dirs, &opts);
			if (st)
				return st;
			break;
		}
		case 'e': opts.executable = optarg; break;
		case 'M': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || end == optarg || errno || optarg[0] == '-' ||
			    v == 0 || v > SIZE_MAX)
				return cr_cli_usage_error(prog, "--max-frames wants a positive number");
			opts.max_frames = (size_t)v;
			break;
		}
		case 'G': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || errno || optarg[0] == '-' ||
			    v == 0 || v > CR_SIGNATURE_FRAMES_MAX)
				return cr_cli_usage_error(prog, "--signature-frames wants a number from 1 to 32");
			opts.signature_frames = (size_t)v;
			break;
		}
		case 'Z':
			if (cr_cli_parse_size(optarg, &opts.max_decompressed))
				return cr_cli_usage_error(prog, "--max-decompressed wants a positive size such as 512M or 64G");
			break;
		case 'B': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || end == optarg || errno || optarg[0] == '-' ||
			    v > SIZE_MAX)
				return cr_cli_usage_error(prog, "--md-budget wants a number of characters (0: no limit)");
			md_opts.budget = (size_t)v;
			break;
		}
		case 'b': md_opts.brief = true; break;
		case 'T':
		case 'P': {
			char *end;
			errno = 0;
			double v = strtod(optarg, &end);
			if (end == optarg || errno || !(v > 0) || v > 1e9 ||
			    (*end && !(c == 'P' && strcmp(end, "%") == 0)))
				return cr_cli_usage_error(prog, "--%s wants a positive number",
							  long_name(c));
			if (c == 'T')
				so.interval = v;
			else
				so.cpu_threshold = v / 100;
			break;
		}
		case 'K':
			if (!add_skip_passes(prog, optarg, skip, &nskip))
				return CR_ERR_USAGE;
			break;
		case 'L': cr_cli_list_passes(stdout); return 0;
		case 'q': quiet = true; break;
		case 'A': opts.all_lines = true; break;
		case 'H': opts.heap = CR_HEAP_MODE_ALWAYS; break;
		case 'N': opts.heap = CR_HEAP_MODE_NEVER; break;
		case 'h': cr_cli_usage(stdout, prog); return 0;
		case 'V': printf("coroner %s\n", CR_VERSION); return 0;
		default: return cr_cli_bad_option(prog, c, argv, cr_cmd_analyze_longopts);
		}
	}
	/* The first operand is the command's name (cli.c found it so). */
	optind++;
	if (optind >= argc) {
		cr_term_printf(stderr, "%s: analyze: no dump given", prog);
		return CR_ERR_USAGE;
	}
	if (strcmp(outdir, "-") == 0 &&
	    (formats & (formats - 1)) != 0) {
		return cr_cli_usage_error(prog, "-o - writes one report: choose one --format");
	}
	/* The libraries the run will likely load start loading on another
	 * core now, while the dumps are read (tests/bench/README.md). */
	tune_malloc();
	catch_cleanup_signals();
	report_prefetch(NULL, &opts, formats);
	/* -o DIR names where the reports go; make DIR (one level) if needed. */
	if (strcmp(outdir, "-") != 0 && mkdir(outdir, 0777) != 0 && errno != EEXIST) {
		cr_term_printf(stderr, "%s: %s: cannot create the output directory: %s",
			       prog, outdir, strerror(errno));
		return CR_ERR_IO;
	}
	/* A directory stands for the dumps in it (a series of one process's
	 * dumps, or each analyzed alone). */
	struct dump_list l = { 0 };
	int worst = 0;
	for (int i = optind; i < argc && worst < CR_ERR_NOMEM; i++) {
		struct stat st;
		int s_i = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
			? add_directory(prog, argv[i], &l)
			: list_add(&l, strdup(argv[i])) ? 0 : fail(prog, &cr_enomem, NULL);
		worst = s_i > worst ? s_i : worst;
	}
	struct report_names names = { 0 };
	struct dump_ids ids = { calloc(l.n ? l.n : 1, sizeof(struct stat)), 0 };
	for (size_t i = 0; ids.st && i < l.n; i++)
		if (lstat(l.paths[i], &ids.st[ids.n]) == 0)
			ids.n++;
	int st = analyze_series(prog, &l, &opts, &so, &md_opts, outdir,
				formats, quiet, &names, &ids);
	if (st >= 0) {
		worst = st > worst ? st : worst;
	} else if (strcmp(outdir, "-") == 0 && l.n > 1) {
		worst = cr_cli_usage_error(prog, "-o - takes one dump, or one series of one process's dumps");
	} else {
		for (size_t i = 0; i < l.n; i++) {
			st = analyze_one(prog, l.paths[i], &opts, &md_opts, outdir,
					 formats, quiet, &names, &ids);
			worst = st > worst ? st : worst;
		}
	}
	free(ids.st);
	report_names_free(&names);
	list_free(&l);
	return worst;
}
