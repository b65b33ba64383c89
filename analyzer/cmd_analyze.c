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
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cli.h"
#include "dump.h"
#include "report.h"
#include "term.h"
#include "util.h"

#define MAX_DIR_OPTIONS 32

const char cr_cmd_analyze_synopsis[] =
	"analyze DUMP... [-o DIR|-] [-f md,html,json]\n"
	"                       [--sysroot DIR] [--debug-dir DIR]... [--image-dir DIR]...\n"
	"                       [--symbols DIR]...\n"
	"                       [-e EXECUTABLE] [--max-frames N] [--all-lines] [-q]\n"
	"                       [--max-decompressed SIZE] [--md-budget N] [--brief]";

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
	      "      --all-lines      source lines in system libraries for every thread\n"
	      "                       (default: only where the crash happened inside them)\n"
	      "      --md-budget N    keep the Markdown report under N characters, leaving\n"
	      "                       out the last thread groups and sections (default\n"
	      "                       60000: GitHub takes 65536; 0: no limit)\n"
	      "      --brief          the Markdown report shows the focus (crashing)\n"
	      "                       thread only\n"
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
	{ "quiet", no_argument, NULL, 'q' },
	{ "all-lines", no_argument, NULL, 'A' },
	{ "max-decompressed", required_argument, NULL, 'Z' },
	{ "md-budget", required_argument, NULL, 'B' },
	{ "brief", no_argument, NULL, 'b' },
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

/* "512M" -> bytes (suffixes K, M, G, T: powers of 1024); -1 if malformed. */
static int parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	char *end;
	/* strtoull() would skip blanks and negate " -1" into 2^64 - 1. */
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -1;
	const char *u = *end ? strchr(suffixes, *end) : NULL;
	if (*end && (!u || end[1]))
		return -1;
	for (ptrdiff_t i = u ? u - suffixes : -1; i >= 0; i--)
		if (__builtin_mul_overflow(v, 1024ull, &v))
			return -1;
	*out = v;
	return v ? 0 : -1;
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
	err = cr_analyze(d, opts, &a);
	if (err) {
		cr_dump_free(d);
		return fail(prog, err, path);
	}
	cr_dump_check_file(d);	/* shrank while the analysis read it? */
	/* 1: the report lacks or doubts something (an error or warning
	 * problem of the reader or the analysis); information is not one. */
	int status = cr_problems_serious(&d->problems) ||
		     cr_problems_serious(&a->problems) ? 1 : 0;
	static const enum cr_report_format order[] = {
		CR_REPORT_MD, CR_REPORT_HTML, CR_REPORT_JSON,
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
		err = report_set_write_file(rs, order[i], out, &mo);
		free(html);
		if (err) {
			status = fail(prog, err, NULL);
			free(out);
			break;
		}
		if (!quiet && strcmp(out, "-") != 0)
			cr_term_printf(stdout, "%s", out);
		free(out);
	}
	report_set_free(rs);
	cr_analysis_free(a);
	cr_dump_free(d);
	return status;
}

int cr_cmd_analyze(const char *prog, int argc, char **argv);

int cr_cmd_analyze(const char *prog, int argc, char **argv)
{
	const char *debug_dirs[MAX_DIR_OPTIONS + 1] = { 0 };
	const char *image_dirs[MAX_DIR_OPTIONS + 1] = { 0 };
	const char *symbol_dirs[MAX_DIR_OPTIONS + 1] = { 0 };
	size_t ndebug = 0, nimage = 0, nsymbols = 0;
	struct cr_options opts = { .debug_dirs = debug_dirs, .image_dirs = image_dirs,
				   .symbol_dirs = symbol_dirs };
	const char *outdir = ".";
	unsigned formats = CR_REPORT_MD | CR_REPORT_HTML | CR_REPORT_JSON;
	struct report_md_options md_opts = { .budget = REPORT_MD_BUDGET_DEFAULT };
	bool quiet = false;
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
			if (!cr_cli_check_dir(prog, "--sysroot", optarg))
				return CR_ERR_USAGE;
			opts.sysroot = optarg;
			break;
		case 'D':
		case 'I':
		case 'Y': {
			/* A directory that is not there would be searched in
			 * vain, silently: refuse it. */
			char option[32];
			snprintf(option, sizeof(option), "--%s", long_name(c));
			if (!cr_cli_check_dir(prog, option, optarg))
				return CR_ERR_USAGE;
			const char **list = c == 'D' ? debug_dirs : c == 'I' ? image_dirs : symbol_dirs;
			size_t *n = c == 'D' ? &ndebug : c == 'I' ? &nimage : &nsymbols;
			if (*n >= MAX_DIR_OPTIONS) {
				return cr_cli_usage_error(prog, "at most %d of each directory option",
							  MAX_DIR_OPTIONS);
			}
			list[(*n)++] = optarg;
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
		case 'Z':
			if (parse_size(optarg, &opts.max_decompressed))
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
		case 'q': quiet = true; break;
		case 'A': opts.all_lines = true; break;
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
	if (strcmp(outdir, "-") == 0 && argc - optind > 1) {
		return cr_cli_usage_error(prog, "-o - takes one dump");
	}
	/* -o DIR names where the reports go; make DIR (one level) if needed. */
	if (strcmp(outdir, "-") != 0 && mkdir(outdir, 0777) != 0 && errno != EEXIST) {
		cr_term_printf(stderr, "%s: %s: cannot create the output directory: %s",
			       prog, outdir, strerror(errno));
		return CR_ERR_IO;
	}
	int worst = 0;
	struct report_names names = { 0 };
	struct dump_ids ids = { calloc((size_t)(argc - optind), sizeof(struct stat)), 0 };
	for (int i = optind; ids.st && i < argc; i++)
		if (lstat(argv[i], &ids.st[ids.n]) == 0)
			ids.n++;
	for (int i = optind; i < argc; i++) {
		int st = analyze_one(prog, argv[i], &opts, &md_opts, outdir, formats, quiet, &names, &ids);
		if (st > worst)
			worst = st;
	}
	free(ids.st);
	report_names_free(&names);
	return worst;
}
