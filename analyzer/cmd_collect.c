/*
 * cmd_collect.c - the `collect` command (cli.c's table): Collect, Kill and
 * Analyze.
 *
 *   coroner collect PID|--name NAME -o DIR [-n COUNT -s SECONDS]
 *                   [--cpu PERCENT [--cpu-seconds S] | --memory SIZE |
 *                    --threads N] [--kill] [--analyze]
 *
 * COUNT dumps of PID, each timed SECONDS after the one before: the next
 * dump starts SECONDS after the previous one's time was taken (so the
 * interval the series analysis sees is at least SECONDS, whatever each
 * dump took; a dump that took longer than that is followed SECONDS after
 * its end, not at once: an interval of milliseconds measures nothing);
 * then SIGKILL with --kill (the service is back at once; the analysis can
 * take its time), then `coroner analyze` of the dumps with --analyze, its
 * reports next to the dumps.  With a trigger (procdump's -c, -m, -tc) each
 * dump of the series waits, after those SECONDS, until the trigger holds;
 * --name waits for the process to appear.  The work is in collect/.
 *
 * Exit status: 0 every dump written (and analyzed); 3 I/O error (a full
 * disk leaves the part that fit as a core cut off, named as such); 7 the
 * process cannot be collected (no such process, it exited, not permitted,
 * killed during the copy: the part read is kept as a core cut off,
 * --wait-timeout passed before the process appeared or a trigger held);
 * with --analyze, the analysis' status when it is worse.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "batch/batch.h"
#include "cli.h"
#include "report.h"
#include "collect/collect.h"
#include "term.h"
#include "util.h"

#define MAX_COUNT 1000

int cr_cmd_analyze(const char *prog, int argc, char **argv);

const char cr_cmd_collect_synopsis[] =
	"collect PID|--name NAME -o DIR [-n COUNT -s SECONDS]\n"
	"                       [--cpu PERCENT [--cpu-seconds S] | --memory SIZE |\n"
	"                       --threads N] [--wait-timeout S] [--snapshot]\n"
	"                       [--filter HEX] [--no-env] [--kill] [--analyze] [-q]\n"
	"       coroner collect --from-kernel -o DIR PID SIGNAL TIME NAME\n"
	"       coroner collect --print-core-pattern -o DIR";

const char cr_cmd_collect_options[] =
	"  -o, --output DIR     write the cores (and with --analyze the reports)\n"
	"                       into DIR, made if missing (default: current\n"
	"                       directory)\n"
	"  -n, --count N        take N dumps (a series; default 1)\n"
	"  -s, --seconds S      S seconds from the start of one dump to the next\n"
	"                       (default 1)\n"
	"      --name NAME      the newest process whose name (comm or argv[0]'s\n"
	"                       base name) is NAME, waiting for one to appear\n"
	"      --cpu PERCENT    dump when the process uses PERCENT of one core\n"
	"                       or more (100 = one core) for --cpu-seconds\n"
	"      --cpu-seconds S  consecutive seconds --cpu must hold (default 10)\n"
	"      --memory SIZE    dump when its resident size reaches SIZE (K, M,\n"
	"                       G suffixes)\n"
	"      --threads N      dump when it has N threads or more\n"
	"      --wait-timeout S give up (status 7) when the process has not\n"
	"                       appeared or a trigger not held after S seconds\n"
	"      --snapshot       pause the process only while it forks a\n"
	"                       copy-on-write child, and copy the child\n"
	"      --from-kernel    the core_pattern pipe handler: the kernel's core\n"
	"                       on standard input, PID SIGNAL TIME NAME from\n"
	"                       %P %s %t %e: write it (zstd) into DIR, analyze it\n"
	"      --print-core-pattern  print the core_pattern line that makes\n"
	"                       --from-kernel the handler (it changes nothing)\n"
	"      --filter HEX     which mappings the core holds, as the kernel's\n"
	"                       coredump_filter bits (default: the process's\n"
	"                       /proc/PID/coredump_filter)\n"
	"      --no-env         leave the process's environment out of the core\n"
	"      --kill           end the process with SIGKILL after the last dump\n"
	"      --analyze        then analyze the dumps as `coroner analyze` does\n"
	"                       and write its reports into DIR\n";

const char cr_cmd_collect_shortopts[] = "o:n:s:qhV";

const struct option cr_cmd_collect_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "count", required_argument, NULL, 'n' },
	{ "seconds", required_argument, NULL, 's' },
	{ "name", required_argument, NULL, 'N' },
	{ "cpu", required_argument, NULL, 'C' },
	{ "cpu-seconds", required_argument, NULL, 'S' },
	{ "memory", required_argument, NULL, 'M' },
	{ "threads", required_argument, NULL, 'T' },
	{ "wait-timeout", required_argument, NULL, 'W' },
	{ "snapshot", no_argument, NULL, 'P' },
	{ "from-kernel", no_argument, NULL, 'K' },
	{ "print-core-pattern", no_argument, NULL, 'R' },
	{ "filter", required_argument, NULL, 'F' },
	{ "no-env", no_argument, NULL, 'E' },
	{ "kill", no_argument, NULL, 'k' },
	{ "analyze", no_argument, NULL, 'a' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void sleep_until(double t)
{
	for (double left; (left = t - cr_mono_seconds()) > 0;) {
		struct timespec ts = { (time_t)left,
				       (long)((left - floor(left)) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

/* `coroner analyze PATHS -o DIR -q`, as if typed. */
static int analyze(const char *prog, char **paths, size_t n, const char *dir)
{
	char **argv = calloc(n + 6, sizeof(*argv));
	if (!argv)
		return CR_ERR_NOMEM;
	int argc = 0;
	argv[argc++] = (char *)prog;
	argv[argc++] = (char *)"analyze";
	argv[argc++] = (char *)"-o";
	argv[argc++] = (char *)dir;
	for (size_t i = 0; i < n; i++)
		argv[argc++] = paths[i];
	opterr = 0;
	optind = 0;
	int st = cr_cmd_analyze(prog, argc, argv);
	free(argv);
	return st;
}

/* A positive number of at most MAX into *V (strtod's syntax). */
static bool parse_number(const char *s, double max, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return !errno && !*end && end != s && *v > 0 && *v <= max;
}

/* Set the one trigger; false when another was set already. */
static bool set_trigger(struct cr_trigger *t, enum cr_trigger_kind kind,
			double threshold)
{
	if (t->kind != CR_TRIGGER_MANUAL && t->kind != kind)
		return false;
	t->kind = kind;
	t->threshold = threshold;
	return true;
}

static bool parse_pid(const char *s, pid_t *pid)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > INT32_MAX)
		return false;
	*pid = (pid_t)v;
	return true;
}

/* --print-core-pattern: the line for /proc/sys/kernel/core_pattern, with
 * this program's and DIR's absolute paths (the kernel starts the handler
 * in /, with an empty environment). */
static int core_pattern(const char *prog, const char *dir)
{
	char *self = realpath("/proc/self/exe", NULL);
	char *abs = realpath(dir, NULL);
	if (!self || !abs) {
		cr_term_printf(stderr, "%s: collect: %s: %s", prog,
			       self ? dir : "/proc/self/exe", strerror(errno));
		free(self);
		free(abs);
		return CR_ERR_USAGE;
	}
	printf("|%s collect --from-kernel -o %s %%P %%s %%t %%e\n", self, abs);
	free(self);
	free(abs);
	return 0;
}

static bool parse_ll(const char *s, long long min, long long max,
		     long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && !*end && end != s && *v >= min && *v <= max;
}

/*
 * --from-kernel files the crash it wrote into coroner batch's result
 * store, in the layout of `coroner batch DIR -o DIR` (docs/batch.md): the
 * store DIR/coroner.db, the reports in DIR/reports/NAME/ where NAME is the
 * core's file name (already made of [A-Za-z0-9._-]: cr_collect_name).
 * The analysis is batch's own job (a forked worker under a time limit,
 * batch/job.c) and the row carries the file's identity as batch's scan
 * computes it, so that a later `coroner batch DIR -o DIR` finds the core
 * unchanged and indexes it, grouped by crash bucket, without analyzing it
 * again.  A batch run holds the store for all its run: the handler waits
 * for it a few seconds, then gives up filing (the core and its reports
 * are there; the next batch run analyzes it as a new dump).
 */
/* What filing a crash did. */
struct cr_filed {
	bool analyzed;			/* reports written */
	bool filed;			/* its row is in DIR/coroner.db */
	int exit_status;		/* the analysis', as `coroner analyze` */
	char *report_dir;		/* DIR/reports/NAME */
	char *bucket;			/* the crash's, NULL none */
	char *error;			/* why not analyzed */
};

#define STORE_WAIT 10.0			/* seconds a batch run may hold it */
#define ANALYZE_TIMEOUT 300		/* seconds, as batch's default */

/* Open DIR's store, waiting while another run holds it. */
static struct cr_error *open_store(const char *dir, struct cr_batch_store **s)
{
	char *db = cr_strdup_printf("%s/coroner.db", dir);
	if (!db)
		return &cr_enomem;
	double deadline = cr_mono_seconds() + STORE_WAIT;
	struct cr_error *err;
	while ((err = cr_batch_store_open(db, s)) && cr_mono_seconds() < deadline) {
		cr_error_free(err);
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	free(db);
	return err;
}

static struct cr_error *file_crash(const char *dir, const char *path,
				     struct cr_filed *out)
{
	memset(out, 0, sizeof(*out));
	out->exit_status = -1;
	const char *rel = cr_basename(path);
	struct cr_batch_files files = { 0 };
	struct cr_error *err = cr_batch_file_add(&files, dir, rel);
	char *reports = cr_strdup_printf("%s/reports", dir);
	out->report_dir = cr_strdup_printf("%s/reports/%s", dir, rel);
	char *report_rel = cr_strdup_printf("reports/%s", rel);
	if (!err && (!reports || !out->report_dir || !report_rel))
		err = &cr_enomem;
	if (err)
		goto out;
	if (mkdir(reports, 0700) != 0 && errno != EEXIST) {
		err = cr_error_new(CR_ERR_IO, "%s: cannot create: %s", reports,
				   strerror(errno));
		goto out;
	}
	const struct cr_batch_file *f = &files.v[0];
	struct cr_options opts = { 0 };
	struct cr_batch_analyze_ctx ctx = {
		.opts = &opts,
		.formats = CR_REPORT_MD | CR_REPORT_HTML | CR_REPORT_JSON,
	};
	const char *paths[] = { f->path };
	struct cr_batch_job job = { .mode = CR_BATCH_ANALYZE, .paths = paths,
				    .npaths = 1, .report_dir = out->report_dir,
				    .report_name = rel };
	struct cr_batch_run_options ro = { .workers = 1, .timeout = ANALYZE_TIMEOUT,
					   .what = "analyzed" };
	cr_batch_run(&job, 1, &ro, cr_batch_child, &ctx);
	json_t *r = job.result;
	const char *st = r ? json_string_value(json_object_get(r, "status")) : NULL;
	bool analyzed = st && (!strcmp(st, "ok") || !strcmp(st, "damaged"));
	out->exit_status = job.exit_status;
	struct report_batch_entry e = {
		.path = f->rel, .size = f->size, .mtime_ns = f->mtime_ns,
		.header_hash = (char *)f->hash,
		.status = (char *)(analyzed ? st : "failed"),
		.report_dir = analyzed ? report_rel : NULL,
		.report_name = analyzed ? (char *)rel : NULL,
		.analyzed_at = (int64_t)time(NULL), .error = job.failure,
		.dump_time = -1, .pid = -1, .start_time = -1, .frames = -1,
		.exit_status = job.exit_status,
	};
	cr_batch_entry_stat(&e, f);
	if (r)
		cr_batch_entry_from_result(&e, r);
	out->analyzed = analyzed;
	if (e.bucket)
		out->bucket = strdup(e.bucket);
	if (!analyzed && e.error)
		out->error = strdup(e.error);
	struct cr_batch_store *store = NULL;
	/* The worker renamed the reports without fsync (batch's group
	 * commit): durable before the row says they are there. */
	err = analyzed ? cr_batch_sync_dir(dir) : NULL;
	if (!err)
		err = open_store(dir, &store);
	if (!err)
		err = cr_batch_store_put(store, &e);
	cr_batch_store_close(store);
	out->filed = !err;
	json_decref(r);
	free(job.failure);
out:
	cr_batch_files_free(&files);
	free(reports);
	free(report_rel);
	return err;
}

static void filed_free(struct cr_filed *f)
{
	free(f->report_dir);
	free(f->bucket);
	free(f->error);
}

/* --from-kernel PID SIGNAL TIME NAME...: the core on standard input into
 * DIR, then its reports next to it.  The name (%e) may have been split at
 * its blanks by an older kernel: the rest of the operands are joined. */
static int handle_kernel_core(const char *prog, const char *dir, bool no_env,
			      int argc, char **argv)
{
	struct cr_kernel_core k = { .no_env = no_env };
	long long signo;
	/* The kernel runs the handler as root with its umask (022): the
	 * reports beside the 0600 core hold command lines and memory
	 * strings, for their owner only. */
	umask(077);
	if (argc < 4 || !parse_ll(argv[0], 1, INT32_MAX, &k.pid) ||
	    !parse_ll(argv[1], 1, 64, &signo) ||
	    !parse_ll(argv[2], 0, INT64_MAX / 2, &k.time))
		return cr_cli_usage_error(prog, "collect --from-kernel: PID SIGNAL TIME NAME expected (core_pattern's %%P %%s %%t %%e)");
	k.signo = (int)signo;
	size_t len = 0;
	for (int i = 3; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *exe = malloc(len);
	if (!exe)
		return CR_ERR_NOMEM;
	exe[0] = 0;
	for (int i = 3; i < argc; i++) {
		if (i > 3)
			strcat(exe, "_");
		strcat(exe, argv[i]);
	}
	k.exe = exe;
	(void)mkdir(dir, 0700);
	char *path;
	uint64_t bytes;
	struct cr_error *err = cr_from_kernel(&k, STDIN_FILENO, dir, &path, &bytes);
	free(exe);
	int status = 0;
	if (k.proc_error)
		cr_term_printf(stderr, "%s: collect: %s: the core has the kernel's notes only",
			       prog, k.proc_error);
	free(k.proc_error);
	if (err) {
		cr_term_printf(stderr, "%s: collect: %s", prog, err->message);
		status = err->code;
		cr_error_free(err);
	}
	if (!path)
		return status;
	printf("%s: %llu bytes of core%s\n", path, (unsigned long long)bytes,
	       k.noted ? ", with what /proc said of the process" : "");
	fflush(stdout);
	struct cr_filed filed;
	err = file_crash(dir, path, &filed);
	free(path);
	if (filed.analyzed)
		printf("%s: reports%s%s\n", filed.report_dir,
		       filed.bucket ? ", crash bucket " : "", filed.bucket ? filed.bucket : "");
	else
		cr_term_printf(stderr, "%s: collect: not analyzed: %s", prog,
			       filed.error ? filed.error : "the analysis failed");
	if (err) {
		cr_term_printf(stderr, "%s: collect: not filed in the result store: %s",
			       prog, err->message);
		status = status ? status : (int)err->code;
		cr_error_free(err);
	}
	int st = filed.exit_status < 0 ? CR_ERR_IO : filed.exit_status;
	filed_free(&filed);
	return st > status ? st : status;
}

int cr_cmd_collect(const char *prog, int argc, char **argv);

int cr_cmd_collect(const char *prog, int argc, char **argv)
{
	struct cr_collect_options o = { .dir = ".", .trigger = "manual",
					.count = 1 };
	double seconds = 1, wait_timeout = 0, num;
	struct cr_trigger trig = { .kind = CR_TRIGGER_MANUAL, .needed = 10 };
	const char *name = NULL;
	uint64_t size;
	bool kill_it = false, analyze_it = false, quiet = false;
	bool from_kernel = false, print_pattern = false;
	bool cpu_seconds_given = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:n:s:qhV", cr_cmd_collect_longopts,
				NULL)) != -1) {
		char *end;
		errno = 0;
		switch (c) {
		case 'o': o.dir = optarg; break;
		case 'n': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-' ||
			    v == 0 || v > MAX_COUNT)
				return cr_cli_usage_error(prog, "--count wants a number from 1 to %d",
							  MAX_COUNT);
			o.count = (unsigned)v;
			break;
		}
		case 's':
			seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(seconds >= 0) ||
			    seconds > 86400)
				return cr_cli_usage_error(prog, "--seconds wants a number of seconds (at most 86400)");
			break;
		case 'F':
			o.filter = strtoull(optarg, &end, 16);
			if (errno || *end || end == optarg || optarg[0] == '-')
				return cr_cli_usage_error(prog, "--filter wants a hexadecimal number such as 0x33");
			o.filter_given = true;
			break;
		case 'N': name = optarg; break;
		case 'C':
			if (!parse_number(optarg, 100000, &num))
				return cr_cli_usage_error(prog, "--cpu wants a percentage of one core above 0 (100 = one core)");
			if (!set_trigger(&trig, CR_TRIGGER_CPU, num))
				goto two_triggers;
			break;
		case 'S':
			if (!parse_number(optarg, 86400, &num) || num != (unsigned)num)
				return cr_cli_usage_error(prog, "--cpu-seconds wants a whole number of seconds from 1 to 86400");
			trig.needed = (unsigned)num;
			cpu_seconds_given = true;
			break;
		case 'M':
			if (cr_cli_parse_size(optarg, &size))
				return cr_cli_usage_error(prog, "--memory wants a size such as 512M or 2G");
			if (!set_trigger(&trig, CR_TRIGGER_MEMORY, (double)size))
				goto two_triggers;
			break;
		case 'T':
			if (!parse_number(optarg, CR_COLLECT_MAX_THREADS, &num) || num != (unsigned)num)
				return cr_cli_usage_error(prog, "--threads wants a number of threads from 1 to %d",
							  CR_COLLECT_MAX_THREADS);
			if (!set_trigger(&trig, CR_TRIGGER_THREADS, num))
				goto two_triggers;
			break;
		case 'W':
			if (!parse_number(optarg, 86400 * 365, &wait_timeout))
				return cr_cli_usage_error(prog, "--wait-timeout wants a number of seconds");
			break;
		case 'P': o.snapshot = true; break;
		case 'K': from_kernel = true; break;
		case 'R': print_pattern = true; break;
		case 'E': o.no_env = true; break;
		case 'k': kill_it = true; break;
		case 'a': analyze_it = true; break;
		case 'q': quiet = true; break;
		case 'h': cr_cli_usage(stdout, prog); return 0;
		case 'V': printf("coroner %s\n", CR_VERSION); return 0;
		default: return cr_cli_bad_option(prog, c, argv, cr_cmd_collect_longopts);
		}
	}
	optind++;	/* the command's name */
	/* It would be ignored: the other triggers hold on one sample. */
	if (cpu_seconds_given && trig.kind != CR_TRIGGER_CPU)
		return cr_cli_usage_error(prog, "collect: --cpu-seconds is how long --cpu must hold: it needs --cpu");
	if (print_pattern)
		return core_pattern(prog, o.dir);
	if (from_kernel)
		return handle_kernel_core(prog, o.dir, o.no_env, argc - optind, argv + optind);
	pid_t pid = 0;
	if (optind >= argc && !name)
		return cr_cli_usage_error(prog, "collect: no process id given (or --name)");
	if (optind + (name ? 0 : 1) < argc)
		return cr_cli_usage_error(prog, name ? "collect: a process id or --name, not both"
						     : "collect: one process id");
	if (!name && !parse_pid(argv[optind], &pid))
		return cr_cli_usage_error(prog, "collect: '%s' is not a process id",
					  argv[optind]);
	if (name && !*name)
		return cr_cli_usage_error(prog, "collect: --name wants a name");
	/* A collection is often the first thing done in an incident: make
	 * the directory (one level; private, as the dumps hold the process's
	 * memory and environment) rather than fail.  What cannot be made is
	 * reported by the check below. */
	(void)mkdir(o.dir, 0700);
	if (!cr_cli_check_dir(prog, "--output", o.dir))
		return CR_ERR_USAGE;
	o.progress = !quiet && isatty(STDERR_FILENO);
	o.trigger = cr_trigger_name(trig.kind);
	trig.progress = o.progress;
	trig.deadline = wait_timeout > 0 ? cr_mono_seconds() + wait_timeout : 0;
	if (name) {
		struct cr_error *err = cr_find_by_name(name, trig.deadline,
						       o.progress, &pid);
		if (err) {
			cr_term_printf(stderr, "%s: collect: %s", prog, err->message);
			int code = err->code;
			cr_error_free(err);
			return code;
		}
		if (!quiet)
			printf("process %d is named %s\n", (int)pid, name);
	}

	char **paths = calloc(o.count, sizeof(*paths));
	if (!paths)
		return CR_ERR_NOMEM;
	size_t n = 0;
	int status = 0;
	double stamp = 0;
	for (unsigned i = 0; i < o.count; i++) {
		if (i > 0) {
			double next = stamp + seconds;
			sleep_until(next > cr_mono_seconds() ? next : cr_mono_seconds() + seconds);
		}
		o.index = i + 1;
		struct cr_collect_result r = { 0 };
		struct cr_error *err = cr_trigger_wait(pid, &trig);
		if (!err)
			err = cr_collect_one(pid, &o, &r);
		else
			r.stamp = stamp;
		stamp = r.stamp;
		if (r.path)
			paths[n++] = r.path;
		if (!quiet && r.path)
			printf("%s: %zu threads, %llu bytes, process stopped %.3f s%s\n",
			       r.path, r.nthreads, (unsigned long long)r.bytes,
			       r.pause, r.snapshot ? " (snapshot)" : "");
		if (err) {
			cr_term_printf(stderr, "%s: collect: %s%s", prog,
				       err->message,
				       n && err->code == CR_ERR_PROCESS
				       ? "; the dumps taken so far are kept" : "");
			status = err->code;
			cr_error_free(err);
			break;
		}
	}
	fflush(stdout);
	if (kill_it && status != CR_ERR_PROCESS) {
		if (kill(pid, SIGKILL) != 0)
			cr_term_printf(stderr, "%s: collect: kill %d: %s", prog,
				       (int)pid, strerror(errno));
		else if (!quiet)
			printf("process %d killed\n", (int)pid);
	}
	if (analyze_it && n > 0) {
		fflush(stdout);
		int st = analyze(prog, paths, n, o.dir);
		status = st > status ? st : status;
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return status;
two_triggers:
	return cr_cli_usage_error(prog, "collect: one trigger of --cpu, --memory, --threads");
}
