/*
 * job.c - what a batch worker does in its child process (batch.h).
 *
 * PROBE   open the one file as a dump: is it one, and of which process
 *         (pid, executable, start time): the parent finds the series
 *         with that before analyzing, as `coroner analyze A B C` does.
 * ANALYZE open the dump (or the dumps of a series), analyze, write the
 *         reports into the job's directory, and send the keys the index
 *         groups by (passes/signature.h).
 * Either way the one JSON line sent is built from cleaned strings
 * (put_clean, through report_clean: one line, valid UTF-8), as jansson
 * requires.  The exit status is
 * the analyze command's for the same dump.
 */
#include "batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "passes/signature.h"
#include "report.h"
#include "report_util.h"
#include "series.h"
#include "util.h"

/*
 * Add KEY: S to O as one line of valid UTF-8 (report_clean: a dump's
 * bytes are not always UTF-8, which jansson refuses).  Nothing for NULL.
 */
static void put_clean(json_t *o, const char *key, const char *s)
{
	char *c = s ? report_clean(s, REPORT_CLEAN_FLAT) : NULL;
	/* Strings from the dump (a signature of long demangled names, an
	 * executable's path) are cut, at a character's start, so that the
	 * result line stays within what the parent reads (worker.c). */
	size_t n = c ? strlen(c) : 0;
	if (n > CR_BATCH_STRING_MAX) {
		n = CR_BATCH_STRING_MAX;
		while (n > 0 && ((unsigned char)c[n] & 0xC0) == 0x80)
			n--;
		c[n] = '\0';
	}
	json_t *v = c ? json_string(c) : NULL;
	free(c);
	if (v)
		json_object_set_new(o, key, v);
}

/*
 * One line to FD: the worker's parent takes a job as done at its newline
 * (worker.c), so an empty line is sent when the JSON cannot be made.  With
 * JOB's start and its time taken (to its end: cr_batch_late, else now),
 * by which the parent judges whether it met its time limit.
 */
static void send(struct cr_batch_job *job, int fd, json_t *o)
{
	if (!job->ended)
		job->ended = cr_mono_seconds();
	json_object_set_new(o, "started", json_real(job->started));
	json_object_set_new(o, "elapsed", json_real(job->ended - job->started));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char *line = cr_strdup_printf("%s\n", s ? s : "");
	size_t n = line ? strlen(line) : 1, off = 0;
	const char *p = line ? line : "\n";
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
	free(s);
	json_decref(o);
}

/* The result of an error: "skipped" for a file that is not a dump. */
static int send_error(struct cr_batch_job *job, int fd, struct cr_error *err)
{
	json_t *o = json_object();
	int code = err->code;
	json_object_set_new(o, "status", json_string(code == CR_ERR_FORMAT ?
						      "skipped" : "failed"));
	put_clean(o, "error", err->message);
	json_object_set_new(o, "exit_status", json_integer(code));
	cr_error_free(err);
	send(job, fd, o);
	return code;
}

static void put_process(json_t *o, const struct cr_dump *d)
{
	const struct cr_process *p = &d->process;
	json_object_set_new(o, "pid", json_integer(p->pid));
	json_object_set_new(o, "start_time", json_integer(p->start_time));
	json_object_set_new(o, "dump_time", json_integer(p->dump_time));
	put_clean(o, "executable", p->executable);
	for (size_t i = 0; i < d->nmodules; i++) {
		const struct cr_module *m = &d->modules[i];
		if (!m->is_main)
			continue;
		put_clean(o, "version", m->version);
		/* The build, where no version says it (most Linux programs):
		 * its build id, as eu-unstrip and debuginfod name it. */
		char *hex = report_build_id_hex(m);
		put_clean(o, "build_id", hex);
		free(hex);
	}
}

static int probe(struct cr_batch_job *job, int fd,
		 const struct cr_batch_analyze_ctx *c)
{
	struct cr_open_options oo = { .max_decompressed = c->max_decompressed,
				      .identity_only = true };
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_open_with(job->paths[0], &oo, &d);
	if (err)
		return send_error(job, fd, err);
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string("ok"));
	put_process(o, d);
	/* Of the content, decompressed: a compressed copy of a dump is the
	 * same dump, not the next of a series, and counts once. */
	char id[CR_BATCH_CONTENT_ID];
	cr_batch_content_id(d->map, d->map_len, id);
	json_object_set_new(o, "content_hash", json_string(id));
	json_object_set_new(o, "content_size", json_integer((json_int_t)d->map_len));
	cr_dump_free(d);
	send(job, fd, o);
	return 0;
}

static bool damaged(const struct cr_dump *d, const struct cr_analysis *a)
{
	return cr_problems_serious(&d->problems) ||
	       cr_problems_serious(&a->problems);
}

/* The reports of one dump written to temporary files: PATH[i] is to be
 * renamed from TMP[i]. */
struct staged {
	char *path[4], *tmp[4];
	size_t n;
};

static struct cr_error *stage(struct staged *st, struct report_set *rs,
			      enum cr_report_format fmt, char *path,
			      const struct report_md_options *mo)
{
	if (!path)
		return &cr_enomem;
	st->path[st->n] = path;
	return report_set_write_temporary(rs, fmt, path, mo, &st->tmp[st->n++]);
}

/*
 * Put the staged reports in place, all of them, when JOB is within its
 * time limit: a dump the parent counts as timed out (the result line's
 * elapsed time, measured here) replaces no report, not even a stored
 * series' that it joined (docs/batch.md).  Else, or after ERR, they are
 * removed.
 */
static struct cr_error *put_in_place(struct cr_batch_job *job,
				     struct staged *st, struct cr_error *err)
{
	if (!err && cr_batch_late(job))
		err = cr_error_new(CR_ERR_NOMEM, "timed out after %g s (its reports were not kept)",
				   job->limit);
	for (size_t i = 0; i < st->n; i++) {
		if (st->tmp[i] && !err)
			err = report_rename_temporary(st->tmp[i], st->path[i]);
		else if (st->tmp[i])
			report_discard_temporary(st->tmp[i]);
		free(st->path[i]);
	}
	return err;
}

static struct cr_error *write_reports(struct cr_batch_job *job,
				      const struct cr_analysis *a,
				      unsigned formats, bool ticket)
{
	static const enum cr_report_format order[] = {
		CR_REPORT_MD, CR_REPORT_HTML, CR_REPORT_JSON,
	};
	if (mkdir(job->report_dir, 0777) != 0 && errno != EEXIST)
		return cr_error_new(CR_ERR_IO, "%s: cannot create: %s",
				    job->report_dir, strerror(errno));
	struct report_set *rs = report_set_new(a);
	char *html = cr_strdup_printf("%s.coroner.html", job->report_name);
	struct report_md_options mo = {
		.budget = REPORT_MD_BUDGET_DEFAULT,
		.html_name = formats & CR_REPORT_HTML ? html : NULL,
	};
	struct cr_error *err = rs && html ? NULL : &cr_enomem;
	struct staged st = { .n = 0 };
	/* --ticket: the short report a bucket's ticket quotes
	 * (report_batch_tickets_write), in a ticket comment's budget: not
	 * --brief, which leaves out the process and the dump (the
	 * environment a ticket must give); the budget keeps them before
	 * the thread groups. */
	if (!err && ticket) {
		struct report_md_options to = mo;
		to.budget = REPORT_TICKET_BRIEF_BUDGET;
		to.brief = false;
		err = stage(&st, rs, CR_REPORT_MD,
			    cr_strdup_printf("%s/%s.coroner.ticket.md",
					     job->report_dir, job->report_name), &to);
	}
	for (size_t i = 0; i < ARRAY_LEN(order) && !err; i++) {
		if (!(formats & order[i]))
			continue;
		err = stage(&st, rs, order[i],
			    cr_strdup_printf("%s/%s.coroner.%s", job->report_dir,
					     job->report_name,
					     report_extension(order[i])), &mo);
	}
	free(html);
	report_set_free(rs);
	return put_in_place(job, &st, err);
}

/* Everything an ANALYZE job opened: a worker goes on to the next job. */
static void free_inputs(struct cr_dump **d, struct cr_series_input *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (in && in[i].analysis)
			cr_analysis_free(in[i].analysis);
		if (d)
			cr_dump_free(d[i]);
	}
	free(d);
	free(in);
}

static struct cr_error *analyze_inputs(struct cr_batch_job *job,
				       const struct cr_batch_analyze_ctx *c,
				       struct cr_dump **d,
				       struct cr_series_input *in, bool *dmg)
{
	size_t n = job->npaths;
	struct cr_open_options oo = { .max_decompressed = c->max_decompressed };
	for (size_t i = 0; i < n; i++) {
		struct cr_error *err = cr_dump_open_with(job->paths[i], &oo, &d[i]);
		if (err)
			return cr_error_wrap(err, "%s", job->paths[i]);
		struct stat st;
		in[i].path = job->paths[i];
		in[i].mtime_known = stat(job->paths[i], &st) == 0;
		in[i].mtime = in[i].mtime_known
			? (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9
			: 0;
	}
	if (n > 1 && !cr_series_is_series((const struct cr_dump *const *)d, n))
		return cr_error_new(CR_ERR_CORRUPT,
			"the dumps of one process differ in what identifies it");
	report_prefetch(d[0], c->opts, c->formats);
	for (size_t i = 0; i < n; i++) {
		struct cr_error *err = cr_analyze(d[i], c->opts, &in[i].analysis);
		if (err)
			return cr_error_wrap(err, "%s", job->paths[i]);
		cr_dump_check_file(d[i]);
		*dmg |= damaged(d[i], in[i].analysis);
	}
	struct cr_series_options so = { 0 };
	struct cr_error *err = n > 1 ? cr_series_analyze(in, n, &so) : NULL;
	/* The series' report is the last dump's analysis (series.h). */
	return err ? err : write_reports(job, in[n - 1].analysis, c->formats,
					 c->ticket);
}

static int analyze(struct cr_batch_job *job, int fd,
		   const struct cr_batch_analyze_ctx *c)
{
	size_t n = job->npaths;
	struct cr_dump **d = calloc(n, sizeof(*d));
	struct cr_series_input *in = calloc(n, sizeof(*in));
	bool dmg = false;
	struct cr_error *err = d && in ? analyze_inputs(job, c, d, in, &dmg)
				       : &cr_enomem;
	if (err) {
		free_inputs(d, in, n);
		return send_error(job, fd, err);
	}
	const struct cr_analysis *a = in[n - 1].analysis;
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string(dmg ? "damaged" : "ok"));
	enum cr_dump_kind k = cr_dump_kind_of(a);
	json_object_set_new(o, "kind", json_string(cr_dump_kind_id(k)));
	if (k == CR_DUMP_KIND_CRASH) {
		put_clean(o, "code", a->crash.code);
		put_clean(o, "bucket", a->crash.bucket);
		put_clean(o, "signature", a->crash.signature);
	}
	json_object_set_new(o, "frames", json_integer((json_int_t)a->crash.nsig_frames));
	json_object_set_new(o, "exit_status", json_integer(dmg ? 1 : 0));
	put_process(o, a->dump);
	send(job, fd, o);
	free_inputs(d, in, n);
	return dmg ? 1 : 0;
}

int cr_batch_child(struct cr_batch_job *job, int fd, void *ctx)
{
	const struct cr_batch_analyze_ctx *c = ctx;
	if (job->mode == CR_BATCH_PROBE)
		return probe(job, fd, c);
	/* This worker's file cache, kept across the dumps it analyzes
	 * (worker.c: a worker is a process of its own, so this is its). */
	static struct cr_batch_analyze_ctx kept;
	static struct cr_options opts;
	if (!kept.opts) {
		opts = *c->opts;
		if (!opts.file_cache) {
			opts.file_cache = cr_file_cache_new();
			if (opts.file_cache && c->cache_limit)
				cr_file_cache_set_limit(opts.file_cache, c->cache_limit);
		}
		kept = *c;
		kept.opts = &opts;
		/* The parent makes the reports durable a group of dumps at a
		 * time (cmd_batch.c), not each file as analyze does. */
		report_defer_sync(true);
	}
	int status = analyze(job, fd, &kept);
	/* Within its bound between dumps (file_cache.h). */
	if (opts.file_cache)
		cr_file_cache_trim(opts.file_cache);
	return status;
}

/*
 * Two dumps of an idle process can agree in length and in their first and
 * last 64 KiB (cr_batch_content_id) and still differ between: the bytes
 * decide.  In a child, as every opening of a dump in a batch: one that
 * crashes or passes TIMEOUT says "not the same", and both are analyzed.
 */
bool cr_batch_same_content(const char *a, const char *b,
			   uint64_t max_decompressed, double timeout)
{
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (timeout > 0)
			alarm(timeout < 1 ? 1 : (unsigned)timeout + 1);
		struct cr_open_options oo = { .max_decompressed = max_decompressed };
		struct cr_dump *da = NULL, *db = NULL;
		bool same = !cr_dump_open_with(a, &oo, &da) &&
			    !cr_dump_open_with(b, &oo, &db) &&
			    da->map_len == db->map_len &&
			    !memcmp(da->map, db->map, da->map_len);
		_exit(same ? 0 : 1);	/* the parent's atexit work is not ours */
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
