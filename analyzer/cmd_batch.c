/*
 * cmd_batch.c - the `batch` command (cli.c's table): a directory of dumps
 * into an index of buckets, incrementally.
 *
 *   coroner batch DIR -o OUT [-j N] [--force] [-f md,html,json]
 *                 [--timeout SECONDS] [--max-memory SIZE] [--ticket]
 *                 [--shard I/N] [-q]
 *
 * 1. scan    every regular file under DIR with its identity (batch/scan.c)
 * 2. compare with the store OUT/coroner.db (batch/store.c): a file whose
 *            size, modification time and header hash are stored is not
 *            looked at again (unless --force); rows of vanished files are
 *            dropped with their reports
 * 3. probe   each new or changed file in a worker: is it a dump (by its
 *            content: the readers sniff), of which process
 * 4. analyze the dumps, a series (dumps of one process: same pid,
 *            executable and start time) as one job, each in a worker
 *            process with a time limit (batch/worker.c, batch/job.c); its
 *            reports go to OUT/reports/NAME/
 * 5. index   from the whole store: OUT/index.{md,html,json}, each written
 *            to a temporary name and renamed.
 * With --shard I/N only the files of shard I are kept (batch/shard.c: by
 * content, a series in one shard): the others are probed once, their
 * shard remembered in the store, and skipped; `coroner merge`
 * (cmd_merge.c) joins the shards' OUTs.
 *
 * Exit status (docs/coroner.1.md): 0 every dump analyzed; 8 the index
 * lists dumps that failed (the rest are analyzed); 9 the result store
 * cannot be used (damaged, or in use by another batch); 2 usage; 3 I/O
 * error; 130 interrupted (the next run resumes).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "batch/batch.h"
#include "batch/sqlite_lib.h"
#include "cli.h"
#include "dynlib.h"
#include "report.h"
#include "series.h"
#include "strbuf.h"
#include "term.h"
#include "util.h"

const char cr_cmd_batch_synopsis[] =
	"batch DIR -o OUT [-j N] [--force] [-f md,html,json]\n"
	"                       [--timeout SECONDS] [--max-memory SIZE] [--ticket]\n"
	"                       [--shard I/N] [--sysroot DIR] [--debug-dir DIR]...\n"
	"                       [--image-dir DIR]... [--symbols DIR]... [-q]";

const char cr_cmd_batch_options[] =
	"  -o, --output OUT     (batch) the reports, the index and the result\n"
	"                       store coroner.db go into OUT, made if missing\n"
	"  -j, --jobs N         analyze N dumps at a time (default: the number of\n"
	"                       online processors)\n"
	"      --force          analyze every dump again, not only new or changed\n"
	"                       ones\n"
	"      --timeout S      a dump whose analysis takes more than S seconds\n"
	"                       is stopped and listed as failed (default 300)\n"
	"      --max-memory SIZE  a worker whose memory grows past SIZE (512M,\n"
	"                       2G) is stopped and its dump listed as failed\n"
	"      --ticket         per crash bucket, a Markdown ticket comment and the\n"
	"                       HTML report to attach, in OUT/tickets\n"
	"      --shard I/N      only the I-th of N shards of DIR (1 <= I <= N),\n"
	"                       chosen by content, so that N machines share DIR;\n"
	"                       join their OUTs with coroner merge\n"
	"      --sysroot, --debug-dir, --image-dir, --symbols DIR  where the\n"
	"                       workers find binaries and symbols, as for analyze\n";

const char cr_cmd_batch_shortopts[] = "o:j:f:qhV";

const struct option cr_cmd_batch_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "format", required_argument, NULL, 'f' },
	{ "force", no_argument, NULL, 'F' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "max-memory", required_argument, NULL, 'M' },
	{ "shard", required_argument, NULL, 'S' },
	{ "ticket", no_argument, NULL, 'K' },
	{ "sysroot", required_argument, NULL, 'R' },
	{ "debug-dir", required_argument, NULL, 'D' },
	{ "image-dir", required_argument, NULL, 'I' },
	{ "symbols", required_argument, NULL, 'Y' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

#define TIMEOUT_DEFAULT 300
#define MAX_JOBS 256

struct batch {
	const char *prog, *dir, *out;
	unsigned formats;
	bool force, quiet;
	struct cr_batch_shard shard;
	struct cr_batch_run_options run;
	struct cr_batch_analyze_ctx ctx;
	struct cr_batch_store *store;
	struct cr_batch_files files;
	struct report_names names;	/* report directory names taken */
	size_t nnew, nchanged, nunchanged, nvanished, nanalyzed, nfailed;
	size_t nelsewhere;	/* files of other shards */
	size_t ncopies;		/* dumps skipped as copies of others */
	bool html_asked;	/* report_html_prefetch called */
	/* The analyses' group commit, closed (analyze()): its last rows are
	 * committed after the index is written (cr_batch_commit_end). */
	struct cr_batch_commit *commit;
	/* Stored rows of dumps joined to new ones of their process
	 * (join_stored): the candidates made of them point into these. */
	struct report_batch_entry *stored;
	size_t nstored, stored_cap;
};

static int fail_as(const char *prog, const char *cmd, struct cr_error *err)
{
	int code = err->code;
	cr_term_printf(stderr, "%s: %s: %s", prog, cmd, err->message);
	cr_error_free(err);
	return code;
}

static int fail(struct batch *b, struct cr_error *err)
{
	return fail_as(b->prog, "batch", err);
}

static bool same_identity(const struct report_batch_entry *e,
			  const struct cr_batch_file *f)
{
	return e->size == f->size && e->mtime_ns == f->mtime_ns &&
	       e->header_hash && !strcmp(e->header_hash, f->hash);
}

/*
 * OUT/reports/NAME (at PATH, a directory as ST says) exists, but no row
 * of the store names it: the reports of a dump whose row was never
 * stored, because the run that wrote them was killed or its last commit
 * failed (rolled back).  That dump is analyzed again now, and would find
 * its name taken: remove the coroner files in it (reports, temporaries)
 * and the directory, so that the name can be used again.  False (the
 * name stays taken) when a row names it, when the store cannot say, or
 * when the directory holds anything else.
 */
static bool reclaim_orphan(struct batch *b, const char *name, const char *path,
			   const struct stat *st)
{
	if (!S_ISDIR(st->st_mode))
		return false;
	char *rel = cr_strdup_printf("reports/%s", name);
	size_t sharers = 1;
	struct cr_error *err = rel ? cr_batch_store_sharers(b->store, rel, &sharers) :
				     &cr_enomem;
	free(rel);
	if (err || sharers) {
		cr_error_free(err);
		return false;
	}
	DIR *dh = opendir(path);
	if (!dh)
		return false;
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (!strstr(de->d_name, ".coroner."))
			continue;
		char *p = cr_strdup_printf("%s/%s", path, de->d_name);
		if (p)
			unlink(p);
		free(p);
	}
	closedir(dh);
	return rmdir(path) == 0;
}

/*
 * A new report directory name for the dump at REL: its file name with
 * every character outside [A-Za-z0-9._-] made '_' (the name goes into
 * links of the index and paths of the store), "-2", "-3"... when taken
 * or when something of that name is already in OUT/reports (unless it is
 * an orphan: reclaim_orphan).
 */
static char *new_name(struct batch *b, const char *rel)
{
	char clean[CR_BATCH_NAME_MAX];
	cr_batch_report_base(rel, clean);
	/* Each suffix is tried once per base name: a fleet's dumps are often
	 * all "core" or "memory.dmp" in 10,000 directories, and trying
	 * "core", "core-2", ... from the start for each was quadratic in
	 * lstat() calls and cubic in string compares (2,000 dumps named
	 * "core.dmp" took 23 s where 10,000 distinct names took 44 s). */
	for (unsigned tries = 0, k = 1; tries < 100000 && k; tries++) {
		char *name = k == 1 ? strdup(clean) : cr_strdup_printf("%s-%u", clean, k);
		char *path = name ? cr_strdup_printf("%s/reports/%s", b->out, name) : NULL;
		struct stat st;
		bool free_name = path && !report_names_taken(&b->names, name) &&
				 (lstat(path, &st) != 0 || reclaim_orphan(b, name, path, &st));
		free(path);
		if (free_name && report_names_take(&b->names, name))
			return name;
		k = report_names_next(&b->names, clean);
		free(name);
		if (!path)
			return NULL;
	}
	return NULL;
}

/* The report files of E (when no other row shares them) and its
 * directory, if then empty. */
static void remove_reports(struct batch *b, const struct report_batch_entry *e)
{
	static const char *const ext[] = { "md", "html", "json", "ticket.md" };
	if (!e->report_dir || !e->report_name)
		return;
	for (size_t i = 0; i < ARRAY_LEN(ext); i++) {
		char *p = cr_strdup_printf("%s/%s/%s.coroner.%s", b->out,
					   e->report_dir, e->report_name, ext[i]);
		if (p)
			unlink(p);
		free(p);
	}
	char *d = cr_strdup_printf("%s/%s", b->out, e->report_dir);
	if (d)
		rmdir(d);
	free(d);
}

/*
 * A worker killed while writing a report (its time limit, Ctrl-C) leaves
 * the temporary file report_write_atomic was filling: remove those of
 * DIR, and DIR when that leaves it empty (a new dump's).
 */
static void remove_temporaries(const char *dir)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return;
	struct dirent *de;
	while ((de = readdir(dh))) {
		size_t n = strlen(de->d_name), k = strlen(".tmp");
		if (strstr(de->d_name, ".coroner.") && n > k &&
		    !strcmp(de->d_name + n - k, ".tmp")) {
			char *p = cr_strdup_printf("%s/%s", dir, de->d_name);
			if (p)
				unlink(p);
			free(p);
		}
	}
	closedir(dh);
	rmdir(dir);
}

/* One file's row as it stands before its analysis. */
static struct cr_error *put_row(struct batch *b, const struct cr_batch_file *f,
				const char *status, json_t *r, const char *error,
				const char *report_dir, const char *report_name)
{
	struct report_batch_entry e = {
		.path = f->rel, .size = f->size, .mtime_ns = f->mtime_ns,
		.header_hash = (char *)f->hash, .status = (char *)status,
		.report_dir = (char *)report_dir, .report_name = (char *)report_name,
		.analyzed_at = (int64_t)time(NULL), .error = (char *)error,
		.dump_time = -1, .pid = -1, .start_time = -1, .frames = -1,
		.exit_status = -1,
	};
	cr_batch_entry_stat(&e, f);
	char *shown = NULL;
	if (r) {
		cr_batch_entry_from_result(&e, r);
		/* The readers name the file by the path opened: the index
		 * names it below DIR. */
		size_t n = strlen(f->path);
		if (e.error && !strncmp(e.error, f->path, n) && e.error[n] == ':')
			e.error = shown = cr_strdup_printf("%s%s", f->rel, e.error + n);
	}
	struct cr_error *err = cr_batch_store_put(b->store, &e);
	free(shown);
	return err;
}

/* What the probe learnt of a dump that can be analyzed. */
struct cand {
	struct cr_batch_file *f;
	int64_t pid, start_time, dump_time;
	const char *exe;	/* in the probe's result */
	const char *content;	/* identity of the decompressed content */
	bool plain;		/* not compressed (its size is the content's) */
	bool grouped;
	bool stored;		/* analyzed before, joined by join_stored */
};

static int cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *c = y;
	if (a->dump_time != c->dump_time)
		return a->dump_time < c->dump_time ? -1 : 1;
	return strcmp(a->f->rel, c->f->rel);
}

/* Whether A and C are dumps of one process (series.h's test, on the
 * probe's facts: the workers confirm it on the dumps) and different
 * dumps: two copies of one dump (the same decompressed start, one of them
 * compressed or not) are not a series. */
static bool same_process(const struct cand *a, const struct cand *c)
{
	return a->pid >= 0 && a->exe && c->exe && a->pid == c->pid &&
	       !strcmp(a->exe, c->exe) && a->start_time == c->start_time &&
	       a->content && c->content && strcmp(a->content, c->content) != 0 &&
	       strcmp(a->f->hash, c->f->hash) != 0;
}

struct analysis_job {
	struct cand **members;
	size_t n;
	char *name, *dir;	/* "reports/NAME" */
};

/* Candidates by process (pid, executable, start time), then position. */
static int cmp_process(const void *x, const void *y)
{
	const struct cand *a = *(const struct cand *const *)x;
	const struct cand *c = *(const struct cand *const *)y;
	if (a->pid != c->pid)
		return a->pid < c->pid ? -1 : 1;
	int e = strcmp(a->exe ? a->exe : "", c->exe ? c->exe : "");
	if (e)
		return e;
	if (a->start_time != c->start_time)
		return a->start_time < c->start_time ? -1 : 1;
	return (a > c) - (a < c);
}

/*
 * For each of the N candidates C (in time order), the next one after it
 * that may be of the same process (SIZE_MAX none): plan() walks these
 * chains, not the whole list after each candidate, which was quadratic.
 * NULL out of memory.
 */
static size_t *process_chains(const struct cand *c, size_t n)
{
	size_t *next = malloc((n ? n : 1) * sizeof(*next));
	const struct cand **by = malloc((n ? n : 1) * sizeof(*by));
	if (!next || !by) {
		free(next);
		free(by);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		next[i] = SIZE_MAX;
		by[i] = &c[i];
	}
	qsort(by, n, sizeof(*by), cmp_process);
	for (size_t i = 0; i + 1 < n; i++)
		if (by[i]->pid >= 0 && by[i]->exe && by[i + 1]->exe &&
		    by[i]->pid == by[i + 1]->pid &&
		    !strcmp(by[i]->exe, by[i + 1]->exe) &&
		    by[i]->start_time == by[i + 1]->start_time)
			next[by[i] - c] = (size_t)(by[i + 1] - c);
	free(by);
	return next;
}

/* The candidates in jobs: series (in time order) or single dumps. */
static struct analysis_job *plan(struct batch *b, struct cand *c, size_t n,
				 size_t *njobs)
{
	qsort(c, n, sizeof(*c), cmp_cand);
	struct analysis_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	size_t *chain = process_chains(c, n);
	if (!jobs || !chain) {
		free(jobs);
		free(chain);
		return NULL;
	}
	*njobs = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].grouped)
			continue;
		struct analysis_job *j = &jobs[(*njobs)++];
		j->members = calloc(CR_SERIES_MAX_DUMPS, sizeof(*j->members));
		if (!j->members)
			break;
		for (size_t k = i; k != SIZE_MAX && j->n < CR_SERIES_MAX_DUMPS;
		     k = chain[k]) {
			if (!c[k].grouped && (k == i || same_process(j->members[j->n - 1], &c[k]))) {
				c[k].grouped = true;
				j->members[j->n++] = &c[k];
			}
		}
		/* A changed dump (or series, by its last dump) keeps its
		 * directory: its old report is replaced, links to it stay
		 * valid, --force leaves no orphans.  Not a lone dump of a
		 * stored series: the others' rows still name that report. */
		/* A series a new dump joined (join_stored) keeps the
		 * directory of its stored dumps: its last one that has one. */
		const char *last = j->members[j->n - 1]->f->rel;
		for (size_t k = j->n; k-- > 0 && !j->name;) {
			struct report_batch_entry *old = NULL;
			size_t sharers = 0;
			if (cr_batch_store_get(b->store, j->members[k]->f->rel, &old) == NULL &&
			    old && old->report_name && old->report_dir &&
			    cr_batch_store_sharers(b->store, old->report_dir, &sharers) == NULL &&
			    (sharers <= 1 || j->n > 1)) {
				j->name = strdup(old->report_name);
				j->dir = strdup(old->report_dir);
			}
			if (old) {
				report_batch_entry_clear(old);
				free(old);
			}
		}
		if (!j->name || !j->dir) {
			free(j->name);
			free(j->dir);
			j->name = new_name(b, last);
			j->dir = j->name ? cr_strdup_printf("reports/%s", j->name) : NULL;
		}
	}
	free(chain);
	return jobs;
}

/* With --shard: remember F's shard from its probe's result R (NULL when
 * the probe failed) and say whether it is this run's. */
static struct cr_error *place(struct batch *b, const struct cr_batch_file *f,
			      json_t *r, bool *mine)
{
	const char *st = json_string_value(json_object_get(r, "status"));
	json_t *pid = json_object_get(r, "pid"), *start = json_object_get(r, "start_time");
	bool dump = st && !strcmp(st, "ok") && json_is_integer(pid);
	uint64_t key = cr_batch_shard_key(dump ? json_integer_value(pid) : -1,
		dump ? json_string_value(json_object_get(r, "executable")) : NULL,
		json_is_integer(start) ? json_integer_value(start) : -1, f->hash);
	/* A probe that died (its time limit on a busy machine) says nothing
	 * of the file: every shard takes it (and records its failure), so
	 * that no shard leaves it out because another machine's probe read
	 * its process and placed it elsewhere; `coroner merge` keeps one row
	 * of a path, an analysis before a failure.  It is probed again next
	 * time. */
	*mine = !r || cr_batch_shard_mine(&b->shard, key);
	if (!*mine)
		b->nelsewhere++;
	return r ? cr_batch_store_put_shard_key(b->store, f, key) : NULL;
}

static int cmp_file_rel(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cr_batch_file *)elem)->rel);
}

/*
 * A new dump of a process whose earlier dumps are stored (analyzed, and
 * their files unchanged) joins them: those dumps become candidates again,
 * and plan() makes the whole series one job, whose report replaces the
 * stored series' (as `coroner analyze A B C` after `coroner analyze A B`).
 */
/* The file of stored row E when it may join new dump C's series: the
 * file is unchanged, not taken yet and no copy of C (the same start): a
 * copy is no second dump of a series.  Else NULL. */
static struct cr_batch_file *joinable(struct batch *b, const bool *taken,
				      const struct report_batch_entry *e,
				      const struct cand *c)
{
	struct cr_batch_file *f = bsearch(e->path, b->files.v, b->files.n,
					  sizeof(*f), cmp_file_rel);
	if (!f || taken[f - b->files.v] || !same_identity(e, f) ||
	    !strcmp(f->hash, c->f->hash))
		return NULL;
	return f;
}

static struct cr_error *join_stored(struct batch *b, struct cand *c, size_t *n)
{
	size_t n0 = *n;
	bool *taken = calloc(b->files.n ? b->files.n : 1, sizeof(*taken));
	if (!taken)
		return &cr_enomem;
	for (size_t i = 0; i < n0; i++)
		taken[c[i].f - b->files.v] = true;
	struct cr_error *err = NULL;
	for (size_t i = 0; i < n0 && !err; i++) {
		struct report_batch_entry *rows = NULL;
		size_t nrows = 0;
		if (c[i].pid < 0 || !c[i].exe)
			continue;
		err = cr_batch_store_process(b->store, c[i].pid, c[i].exe,
					     c[i].start_time, &rows, &nrows);
		if (!err && !CR_GROW(b->stored, b->stored_cap, b->nstored + nrows))
			err = &cr_enomem;
		/* A series is at most CR_SERIES_MAX_DUMPS dumps (plan()):
		 * past it the new dumps start their own series, rather than
		 * have the full stored one analyzed again for nothing. */
		size_t joined = 0;
		for (size_t k = 0; k < nrows && !err; k++)
			joined += joinable(b, taken, &rows[k], &c[i]) != NULL;
		for (size_t k = 0; k < n0 && joined; k++)
			joined += c[k].pid == c[i].pid && c[k].exe &&
				  !strcmp(c[k].exe, c[i].exe) &&
				  c[k].start_time == c[i].start_time;
		for (size_t k = 0; k < nrows; k++) {
			struct cr_batch_file *f = joinable(b, taken, &rows[k], &c[i]);
			if (err || !f || joined > CR_SERIES_MAX_DUMPS) {
				report_batch_entry_clear(&rows[k]);
				continue;
			}
			taken[f - b->files.v] = true;
			struct report_batch_entry *e = &b->stored[b->nstored++];
			*e = rows[k];
			c[(*n)++] = (struct cand){ .f = f, .pid = e->pid,
				.start_time = e->start_time, .dump_time = e->dump_time,
				.exe = e->executable, .content = f->hash, .plain = true,
				.stored = true };
		}
		free(rows);
	}
	free(taken);
	return err;
}

/* Copies first by content, then the plain file before a compressed one,
 * then by path: the first of each content is the one analyzed. */
static int cmp_copies(const void *x, const void *y)
{
	const struct cand *a = x, *c = y;
	int k = strcmp(a->content ? a->content : "", c->content ? c->content : "");
	if (k)
		return k;
	if (a->plain != c->plain)
		return a->plain ? -1 : 1;
	return strcmp(a->f->rel, c->f->rel);
}

/* The kept candidate C[0..KEPT) that D is a copy of, or NULL: the same
 * content id, confirmed byte for byte (ids of two dumps can collide). */
static struct cand *copy_of(struct batch *b, struct cand *c, size_t kept,
			    const struct cand *d)
{
	for (size_t j = kept; j-- > 0;) {
		if (!d->content || !c[j].content || strcmp(d->content, c[j].content))
			return NULL;	/* sorted by content: no more of D's */
		if (cr_batch_same_content(c[j].f->path, d->f->path,
					  b->ctx.max_decompressed, b->run.timeout))
			return &c[j];
	}
	return NULL;
}

/*
 * A dump and its copies (the same content decompressed: core and core.zst,
 * or two copies of one file) are one dump: the first (cmp_copies) stays a
 * candidate, the others are stored as skipped copies of it, which the
 * index lists.  Only among this run's candidates: a copy of a dump stored
 * by an earlier run is analyzed (the store keeps no content identity).
 */
static struct cr_error *drop_copies(struct batch *b, struct cand *c, size_t *n)
{
	qsort(c, *n, sizeof(*c), cmp_copies);
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++) {
		struct cand *first = copy_of(b, c, kept, &c[i]);
		if (!first) {
			c[kept++] = c[i];
			continue;
		}
		/* Analyzed alone by an earlier run: its reports go. */
		struct report_batch_entry *old = NULL;
		size_t sharers = 0;
		struct cr_error *err = cr_batch_store_get(b->store, c[i].f->rel, &old);
		if (!err && old && old->report_dir)
			err = cr_batch_store_sharers(b->store, old->report_dir, &sharers);
		if (!err && old && sharers <= 1)
			remove_reports(b, old);
		if (old) {
			report_batch_entry_clear(old);
			free(old);
		}
		if (err)
			return err;
		char *why = cr_strdup_printf("a copy of %s (the same dump%s)",
					     first->f->rel,
					     c[i].plain ? "" : ", compressed");
		err = why ? put_row(b, c[i].f, "skipped", NULL, why, NULL, NULL) :
			&cr_enomem;
		free(why);
		if (err)
			return err;
		b->ncopies++;
	}
	*n = kept;
	return NULL;
}

/* Probe the new or changed files: store the ones that are no dumps (or
 * cannot be read), return the others as candidates. */
static int probe(struct batch *b, struct cr_batch_file **todo, size_t n,
		 struct cand *cands, size_t *ncands, struct cr_batch_job *jobs,
		 bool *stopped)
{
	for (size_t i = 0; i < n; i++)
		jobs[i] = (struct cr_batch_job){ .mode = CR_BATCH_PROBE,
			.paths = (const char **)&todo[i]->path, .npaths = 1 };
	struct cr_batch_run_options ro = b->run;
	ro.what = "probing";
	ro.progress = false;
	/* A probe is about 0.2 ms (a core's headers): a few in each worker's
	 * hands, so that none waits for the parent between them. */
	ro.queue = 4;
	*stopped = cr_batch_run(jobs, n, &ro, cr_batch_child, &b->ctx);
	*ncands = 0;
	for (size_t i = 0; i < n && !*stopped; i++) {
		json_t *r = jobs[i].result;
		const char *st = json_string_value(json_object_get(r, "status"));
		struct cr_error *err = NULL;
		bool mine = true;
		if (b->shard.count && (err = place(b, todo[i], r, &mine)) != NULL)
			return fail(b, err);
		if (!mine) {
			/* Stored by a run without --shard: not this shard's. */
			struct report_batch_entry *old = NULL;
			err = cr_batch_store_get(b->store, todo[i]->rel, &old);
			if (!err && old) {
				err = cr_batch_store_delete(b->store, todo[i]->rel);
				remove_reports(b, old);
				report_batch_entry_clear(old);
				free(old);
			}
			if (err)
				return fail(b, err);
			continue;
		}
		if (!r) {
			err = put_row(b, todo[i], "failed", NULL, jobs[i].failure, NULL, NULL);
			b->nfailed++;
		} else if (st && strcmp(st, "ok")) {
			err = put_row(b, todo[i], st, r, NULL, NULL, NULL);
			b->nfailed += !strcmp(st, "failed");
		} else {
			json_t *v;
			struct cand *c = &cands[(*ncands)++];
			*c = (struct cand){ .f = todo[i], .pid = -1, .start_time = -1,
					    .dump_time = -1 };
			if ((v = json_object_get(r, "pid")) && json_is_integer(v))
				c->pid = json_integer_value(v);
			if ((v = json_object_get(r, "start_time")) && json_is_integer(v))
				c->start_time = json_integer_value(v);
			if ((v = json_object_get(r, "dump_time")) && json_is_integer(v))
				c->dump_time = json_integer_value(v);
			c->exe = json_string_value(json_object_get(r, "executable"));
			c->content = json_string_value(json_object_get(r, "content_hash"));
			v = json_object_get(r, "content_size");
			c->plain = json_is_integer(v) && json_integer_value(v) == todo[i]->size;
		}
		if (err)
			return fail(b, err);
	}
	struct cr_error *err = *stopped ? NULL : drop_copies(b, cands, ncands);
	if (!err && !*stopped)
		err = join_stored(b, cands, ncands);
	return err ? fail(b, err) : 0;
}

/* The jobs of analyze(), for cr_batch_commit's callbacks. */
struct analysis_run {
	struct batch *b;
	struct analysis_job *aj;
	struct cr_batch_job *jobs;
	struct cr_batch_commit *commit;
};

/* cr_batch_store_fn: the rows of job I, durable now. */
static struct cr_error *store_job(void *arg, size_t i)
{
	struct analysis_run *ar = arg;
	struct batch *b = ar->b;
	struct cr_batch_job *job = &ar->jobs[i];
	struct analysis_job *aj = &ar->aj[i];
	json_t *r = job->result;
	const char *st = r ? json_string_value(json_object_get(r, "status")) : NULL;
	bool ok = st && (!strcmp(st, "ok") || !strcmp(st, "damaged"));
	struct cr_error *err = NULL;
	/* The dumps of a stored series a new one joined (join_stored) were
	 * analyzed by an earlier run: they count there.  When the joined job
	 * fails, their rows and report stay as stored (the report is replaced
	 * only on success); a failed row would drop them from the index for
	 * good, as an unchanged file is not analyzed again. */
	for (size_t k = 0; k < aj->n && !err; k++) {
		if (aj->members[k]->stored && !ok)
			continue;
		if (!aj->members[k]->stored) {
			b->nanalyzed++;
			b->nfailed += !ok;
		}
		err = put_row(b, aj->members[k]->f, ok ? st : "failed", r,
			      job->failure, ok ? aj->dir : NULL, ok ? aj->name : NULL);
	}
	return err;
}

/* cr_batch_run's on_done: the job joins the group commit. */
static void job_done(struct cr_batch_job *job, void *arg)
{
	struct analysis_run *ar = arg;
	size_t i = (size_t)(job - ar->jobs);
	cr_batch_commit_add(ar->commit, i, ar->aj[i].n);
}

static void before_fork(void *arg)
{
	struct analysis_run *ar = arg;
	cr_batch_commit_before_fork(ar->commit);
}

static int analyze(struct batch *b, struct cand *cands, size_t ncands,
		   bool *stopped)
{
	size_t njobs = 0;
	struct analysis_job *aj = plan(b, cands, ncands, &njobs);
	struct cr_batch_job *jobs = calloc(njobs ? njobs : 1, sizeof(*jobs));
	const char ***paths = calloc(njobs ? njobs : 1, sizeof(*paths));
	char **dirs = calloc(njobs ? njobs : 1, sizeof(*dirs));
	struct analysis_run ar = { .b = b, .aj = aj, .jobs = jobs };
	int status = 0, out_fd = -1;
	if (!aj || !jobs || !paths || !dirs) {
		status = fail(b, &cr_enomem);
		goto out;
	}
	out_fd = open(b->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out_fd < 0) {
		status = fail(b, cr_error_new(CR_ERR_IO, "%s: %s", b->out,
					      strerror(errno)));
		goto out;
	}
	for (size_t i = 0; i < njobs; i++) {
		paths[i] = calloc(aj[i].n ? aj[i].n : 1, sizeof(**paths));
		dirs[i] = aj[i].dir ? cr_strdup_printf("%s/%s", b->out, aj[i].dir) : NULL;
		if (!paths[i] || !dirs[i] || !aj[i].members) {
			status = fail(b, &cr_enomem);
			goto out;
		}
		for (size_t k = 0; k < aj[i].n; k++)
			paths[i][k] = aj[i].members[k]->f->path;
		jobs[i] = (struct cr_batch_job){ .mode = CR_BATCH_ANALYZE,
			.paths = paths[i], .npaths = aj[i].n,
			.report_dir = dirs[i], .report_name = aj[i].name };
	}
	struct cr_batch_run_options ro = b->run;
	ro.what = "analyzed";
	/* The next dump in each worker's hands (worker.c). */
	ro.queue = 2;
	ar.commit = cr_batch_commit_new(out_fd, njobs, b->store, store_job, &ar);
	if (!ar.commit) {
		status = fail(b, &cr_enomem);
		goto out;
	}
	out_fd = -1;	/* the commit's */
	ro.on_done = job_done;
	ro.on_done_arg = &ar;
	ro.before_fork = before_fork;
	ro.before_fork_arg = &ar;
	/* The libraries the analyses load (dynlib.h), loaded once here:
	 * every worker forked from now on has them. */
	if (njobs)
		report_preload(b->ctx.opts, b->ctx.formats);
	*stopped = cr_batch_run(jobs, njobs, &ro, cr_batch_child, &b->ctx);
	/* The last rows are stored now (store_job: AR is this frame's) and
	 * committed by run() once their reports are durable, after the
	 * index is written. */
	cr_batch_commit_close(ar.commit);
	b->commit = ar.commit;
	ar.commit = NULL;
	for (size_t i = 0; i < njobs; i++) {
		if (!jobs[i].done || jobs[i].failure)
			remove_temporaries(dirs[i]);
		json_decref(jobs[i].result);
		free(jobs[i].failure);
	}
out:
	cr_batch_commit_free(ar.commit);
	if (out_fd >= 0)
		close(out_fd);
	for (size_t i = 0; aj && i < njobs; i++) {
		free(aj[i].members);
		free(aj[i].name);
		free(aj[i].dir);
		if (paths)
			free(paths[i]);
		if (dirs)
			free(dirs[i]);
	}
	free(aj);
	free(jobs);
	free(paths);
	free(dirs);
	return status;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* With --shard: whether F is known to be another shard's (its shard key
 * is stored for its identity; a file that cannot be read is placed by its
 * empty hash), and whether its shard is unknown (*UNKNOWN: it must be
 * probed, even when a run without --shard stored it). */
static struct cr_error *elsewhere(struct batch *b, const struct cr_batch_file *f,
				  bool *other, bool *unknown)
{
	uint64_t key = 0;
	bool found = f->size < 0;
	struct cr_error *err = NULL;
	if (found)
		key = cr_batch_shard_key(-1, NULL, -1, f->hash);
	else
		err = cr_batch_store_shard_key(b->store, f, &key, &found);
	/* Read and found unchanged: next time its stat identity may vouch
	 * for it (a row written while its times were not settled has none). */
	if (!err && found && f->size >= 0 && f->identified && f->settled)
		err = cr_batch_store_put_shard_key(b->store, f, key);
	*other = !err && found && !cr_batch_shard_mine(&b->shard, key);
	*unknown = !err && !found;
	b->nelsewhere += *other;
	return err;
}

/* Compare the files with the store; drop vanished rows; list what is to
 * be looked at. */
static int compare(struct batch *b, struct cr_batch_file **todo, size_t *ntodo)
{
	struct report_batch_entry *rows = NULL;
	size_t nrows = 0;
	struct cr_error *err = cr_batch_store_all(b->store, &rows, &nrows);
	bool *gone = calloc(nrows ? nrows : 1, sizeof(*gone));
	if (!err && !gone)
		err = &cr_enomem;
	*ntodo = 0;
	size_t r = 0;
	/* Both lists are sorted by path (strcmp: SQLite's BINARY order). */
	for (size_t i = 0; !err && i <= b->files.n; i++) {
		struct cr_batch_file *f = i < b->files.n ? &b->files.v[i] : NULL;
		while (!err && r < nrows && (!f || strcmp(rows[r].path, f->rel) < 0)) {
			err = cr_batch_store_delete(b->store, rows[r].path);
			gone[r] = true;
			b->nvanished++;
			r++;
		}
		if (!f || err)
			continue;
		bool stored = r < nrows && !strcmp(rows[r].path, f->rel);
		bool other = false, unknown = false;
		/* The stored row vouches for the file by its stat identity,
		 * else its header is read. */
		bool vouched = stored && !b->force &&
			       cr_batch_entry_vouches(&rows[r], f);
		/* Another shard's file: its shard_keys row may vouch. */
		if (!vouched && !stored && !b->force && b->shard.count &&
		    !f->identified)
			err = cr_batch_store_shard_vouched(b->store, f, &vouched);
		if (err) {
			continue;
		} else if (vouched) {
			if (stored)
				memcpy(f->hash, rows[r].header_hash, sizeof(f->hash));
			f->vouched = true;
		} else if (!f->identified) {
			/* A file to read may be a dump to analyze: the
			 * HTML libraries load meanwhile.  A run where the
			 * store vouches for every file may need none. */
			if (!b->html_asked && (b->formats & CR_REPORT_HTML))
				report_html_prefetch();
			b->html_asked = true;
			err = cr_batch_file_identify(f);
		}
		if (!err && b->shard.count)
			err = elsewhere(b, f, &other, &unknown);
		if (err) {
			continue;
		} else if (other) {
			/* Stored by a run with another shard count: another
			 * shard's now. */
			if (stored) {
				err = cr_batch_store_delete(b->store, f->rel);
				gone[r] = true;
			}
		} else if (stored && same_identity(&rows[r], f) && !b->force &&
			   !unknown) {
			b->nunchanged++;
			/* Read and found unchanged: next time its stat
			 * identity may vouch for it. */
			if (!vouched)
				err = cr_batch_store_stat(b->store, f);
			if (!err && rows[r].report_dir &&
			    !report_names_take(&b->names, cr_basename(rows[r].report_dir)))
				err = &cr_enomem;
		} else if (f->size < 0) {
			err = put_row(b, f, "failed", NULL, "cannot be read", NULL, NULL);
			b->nfailed++;
		} else {
			todo[(*ntodo)++] = &b->files.v[i];
			if (stored)
				b->nchanged++;
			else
				b->nnew++;
		}
		r += stored;
	}
	/* A vanished dump's reports go with it, unless they are a series'
	 * whose other dumps are still there (looked up in the sorted report
	 * directories of the rows kept: a loop over all rows per vanished
	 * one was quadratic). */
	const char **kept = err ? NULL : malloc((nrows ? nrows : 1) * sizeof(*kept));
	size_t nkept = 0;
	if (!err && !kept)
		err = &cr_enomem;
	for (size_t k = 0; !err && k < nrows; k++)
		if (!gone[k] && rows[k].report_dir)
			kept[nkept++] = rows[k].report_dir;
	if (!err)
		qsort(kept, nkept, sizeof(*kept), cmp_str);
	for (size_t k = 0; !err && k < nrows; k++) {
		const char *dir = rows[k].report_dir;
		if (gone[k] && !(dir && bsearch(&dir, kept, nkept, sizeof(*kept), cmp_str)))
			remove_reports(b, &rows[k]);
	}
	free(kept);
	for (size_t k = 0; k < nrows; k++)
		report_batch_entry_clear(&rows[k]);
	free(rows);
	free(gone);
	return err ? fail(b, err) : 0;
}

struct index_write {
	const struct report_batch_index *ix;
	struct cr_error *(*fn)(const struct report_batch_index *, FILE *);
};

/*
 * The hash of everything the index files are made of: the store's rows,
 * every column, which report files are missing, --ticket and which
 * tickets were written, and this coroner's version.  The index writers are functions of these
 * alone (batch_index.h: the index records no run time).
 */
static bool index_inputs(const struct report_batch_entry *rows, size_t n,
			 const struct report_batch_index *ix, bool tickets,
			 char out[17])
{
	struct cr_buf b = { 0 };
	cr_buf_printf(&b, "coroner %s\n%d\n", CR_VERSION, tickets);
	for (size_t i = 0; i < n; i++) {
		const struct report_batch_entry *e = &rows[i];
		const char *strs[] = { e->path, e->header_hash, e->status, e->kind,
			e->code, e->bucket, e->signature, e->executable, e->version,
			e->build_id, e->report_dir, e->report_name, e->error };
		const int64_t nums[] = { e->size, e->mtime_ns, e->dump_time,
			e->analyzed_at, e->pid, e->start_time, e->frames,
			e->exit_status, e->ctime_ns };
		for (size_t k = 0; k < ARRAY_LEN(strs); k++) {
			/* NULL and "" differ; the length keeps fields apart. */
			if (strs[k])
				cr_buf_put_int(&b, (int64_t)strlen(strs[k]));
			else
				cr_buf_putc(&b, '-');
			cr_buf_putc(&b, ':');
			cr_buf_puts(&b, strs[k]);
		}
		for (size_t k = 0; k < ARRAY_LEN(nums); k++) {
			cr_buf_put_int(&b, nums[k]);
			cr_buf_putc(&b, k + 1 < ARRAY_LEN(nums) ? ' ' : '\n');
		}
	}
	for (size_t i = 0; i < ix->nitems; i++) {
		cr_buf_put_int(&b, ix->items[i].missing);
		cr_buf_putc(&b, ',');
	}
	for (size_t c = 0; c < ix->ncodes; c++)
		for (size_t k = 0; k < ix->codes[c].n; k++) {
			cr_buf_put_int(&b, ix->codes[c].buckets[k].ticket);
			cr_buf_put_int(&b, ix->codes[c].buckets[k].ticket_attachment);
			cr_buf_putc(&b, ',');
		}
	const char *t = cr_buf_str(&b);
	if (t)
		cr_batch_hash((const uint8_t *)t, b.len, out);
	cr_buf_free(&b);
	return t != NULL;
}

/*
 * Whether the index file PATH (NAME in the store) still holds the index
 * of INPUTS: the store remembers it holding that index, with a stat
 * identity that is still the file's (the same rule as for dumps).
 */
static bool index_fresh(struct cr_batch_store *store, const char *name,
			const char *path, const char *inputs)
{
	struct cr_batch_file rec = { 0 }, now = { 0 };
	bool found = false;
	struct stat st;
	struct cr_error *err = cr_batch_store_index_file(store, name, &rec, &found);
	if (err) {
		cr_error_free(err);
		return false;
	}
	if (!found || strcmp(rec.hash, inputs) || lstat(path, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	cr_batch_file_stat(&now, &st);
	return cr_batch_same_stat(&rec, &now);
}

/* Remember what the index file NAME held (HELD) for INPUTS: its stat
 * identity when it held that index and its times were settled, else
 * none.  Nothing is written when the record is already that. */
static struct cr_error *index_remember(struct cr_batch_store *store, const char *name,
				       const char *inputs, const struct report_held *held)
{
	struct cr_batch_file rec = { 0 }, now = { .rel = (char *)name,
		.size = -1, .mtime_ns = -1, .ctime_ns = -1, .dev = -1, .ino = -1 };
	bool found = false;
	snprintf(now.hash, sizeof(now.hash), "%s", inputs);
	if (held->same && cr_batch_settled(&held->st, &held->read_at))
		cr_batch_file_stat(&now, &held->st);
	struct cr_error *err = cr_batch_store_index_file(store, name, &rec, &found);
	if (err || (found && !strcmp(rec.hash, now.hash) && rec.size == now.size &&
		    rec.mtime_ns == now.mtime_ns && rec.ctime_ns == now.ctime_ns &&
		    rec.dev == now.dev && rec.ino == now.ino))
		return err;
	return cr_batch_store_put_index_file(store, &now);
}

static struct cr_error *index_fill(const void *ctx, FILE *f)
{
	const struct index_write *w = ctx;
	return w->fn(w->ix, f);
}

int cr_batch_write_index(const char *prog, const char *cmd,
			 struct cr_batch_store *store, const char *out,
			 const char *shown, unsigned formats, bool tickets,
			 bool quiet)
{
	static const struct {
		unsigned bit;
		const char *ext;
		struct cr_error *(*fn)(const struct report_batch_index *, FILE *);
	} writers[] = {
		{ CR_REPORT_MD, "md", report_batch_md_write },
		{ CR_REPORT_HTML, "html", report_batch_html_write },
		{ CR_REPORT_JSON, "json", report_batch_json_write },
	};
	struct report_batch_entry *rows = NULL;
	size_t nrows = 0;
	struct report_batch_index *ix = NULL;
	struct cr_error *err = cr_batch_store_all(store, &rows, &nrows);
	if (!err)
		err = report_batch_index_build(rows, nrows, &ix);
	if (!err)
		err = cr_batch_store_buckets(store, ix);
	if (!err)
		report_batch_check_reports(ix, out);
	if (!err && tickets)
		err = report_batch_tickets_write(ix, out);
	char inputs[17];
	if (!err && !index_inputs(rows, nrows, ix, tickets, inputs))
		err = &cr_enomem;
	for (size_t i = 0; !err && i < ARRAY_LEN(writers); i++) {
		if (!(formats & writers[i].bit))
			continue;
		char name[16];
		snprintf(name, sizeof(name), "index.%s", writers[i].ext);
		char *path = cr_strdup_printf("%s/%s", out, name);
		struct index_write w = { ix, writers[i].fn };
		/* Not made again when the store vouches that it holds this
		 * index (a re-run with nothing new: the HTML one needs
		 * libxml2, not loaded then); else not written again when it
		 * would not change: no new inode, fsync or rename. */
		struct report_held held;
		if (!path)
			err = &cr_enomem;
		else if (!index_fresh(store, name, path, inputs)) {
			err = report_write_changed(path, index_fill, &w, &held);
			if (!err)
				err = index_remember(store, name, inputs, &held);
		}
		if (!err && !quiet)
			cr_term_printf(stdout, "%s/index.%s", shown, writers[i].ext);
		free(path);
	}
	int status = 0;
	if (err)
		status = fail_as(prog, cmd, err);
	else {
		if (!quiet)
			cr_term_printf(stdout, "%s", ix->summary);
		if (ix->nby_kind[REPORT_BATCH_FAILED])
			status = CR_BATCH_EXIT_FAILED;
	}
	report_batch_index_free(ix);
	for (size_t k = 0; k < nrows; k++)
		report_batch_entry_clear(&rows[k]);
	free(rows);
	return status;
}

/* A store opened on a thread of its own (run()). */
struct store_open {
	const char *path;
	struct cr_batch_store *store;
	struct cr_error *err;
};

static void *store_open_thread(void *arg)
{
	struct store_open *so = arg;
	so->err = cr_batch_store_open(so->path, &so->store);
	return NULL;
}

static int run(struct batch *b)
{
	/* SQLite (2 to 3 ms of the dynamic loader) loads on the loader
	 * thread while the directory is read; the index's HTML library
	 * (libxml2 with ICU: 4 to 7 ms) once compare() meets a file it must
	 * read: a re-run where the store vouches for every file and for the
	 * index loads none (dynlib.h). */
	cr_sqlite_prefetch();
	/* With no store yet (a first run) or --force, every file is read:
	 * then during the scan, while SQLite loads, and the HTML libraries
	 * are asked for at once. */
	char *db = cr_strdup_printf("%s/coroner.db", b->out);
	bool read_all = b->force || !db || access(db, F_OK) != 0;
	if (read_all && (b->formats & CR_REPORT_HTML))
		report_html_prefetch();
	b->html_asked = read_all;
	/* A store in use (another batch on OUT, or any connection open on
	 * it) is opened first, so that its run is refused before DIR is
	 * read; a free one on a thread while the directory is read (it
	 * waits for SQLite's load; a new store's making is six fdatasync,
	 * 4 ms, before the first worker could start).  After a scan error
	 * too: a store error wins (status 9). */
	struct cr_error *err = !db ? &cr_enomem : cr_sqlite_locked(db)
		? cr_batch_store_open(db, &b->store) : NULL;
	struct store_open so = { .path = db };
	pthread_t opener;
	bool opening = !err && !b->store &&
		       pthread_create(&opener, NULL, store_open_thread, &so) == 0;
	struct cr_error *scan_err = err ? NULL :
		cr_batch_scan(b->dir, b->out, read_all, &b->files);
	if (opening) {
		pthread_join(opener, NULL);
		err = so.err;
		b->store = so.store;
	} else if (!err && !b->store) {
		err = cr_batch_store_open(db, &b->store);
	}
	free(db);
	if (err || scan_err)
		cr_dynlib_settle();	/* exit() must not meet a dlopen() */
	if (err) {
		if (scan_err)
			cr_error_free(scan_err);
		fail(b, err);
		return CR_BATCH_EXIT_STORE;
	}
	if (scan_err)
		return fail(b, scan_err);
	size_t n = b->files.n ? b->files.n : 1, ntodo = 0, ncands = 0;
	struct cr_batch_file **todo = calloc(n, sizeof(*todo));
	struct cand *cands = calloc(n, sizeof(*cands));
	struct cr_batch_job *probes = calloc(n, sizeof(*probes));
	bool stopped = false;
	int status = !todo || !cands || !probes ? fail(b, &cr_enomem) : 0;
	if (!status)
		status = compare(b, todo, &ntodo);
	/* No worker is forked while the loader may hold its lock. */
	cr_dynlib_settle();
	if (!status)
		status = probe(b, todo, ntodo, cands, &ncands, probes, &stopped);
	if (!status && !stopped)
		status = analyze(b, cands, ncands, &stopped);
	/* The probes' results hold the candidates' executables. */
	for (size_t i = 0; i < ntodo && probes; i++) {
		json_decref(probes[i].result);
		free(probes[i].failure);
	}
	free(todo);
	free(cands);
	free(probes);
	char shard[64] = "", copies[64] = "";
	if (b->ncopies)
		snprintf(copies, sizeof(copies), ", %zu cop%s of others skipped",
			 b->ncopies, b->ncopies == 1 ? "y" : "ies");
	if (b->shard.count)
		snprintf(shard, sizeof(shard), "; %zu in other shards than %u/%u",
			 b->nelsewhere, b->shard.index, b->shard.count);
	if (!b->quiet)
		cr_term_printf(stdout, "coroner batch: %zu new, %zu changed, %zu unchanged, %zu vanished; %zu analyzed, %zu failed%s%s",
			       b->nnew, b->nchanged, b->nunchanged, b->nvanished,
			       b->nanalyzed, b->nfailed, copies, shard);
	bool failed = status != 0;
	/* Not from rows the store failed to take (that error is said next). */
	bool indexed = !failed && !(b->commit && cr_batch_commit_failed(b->commit));
	if (indexed)
		status = cr_batch_write_index(b->prog, "batch", b->store, b->out, b->out,
					      b->formats, b->ctx.ticket, b->quiet);
	/* The index was made from the last rows uncommitted, while their
	 * reports' sync ran (commit.c); a failed sync rolls them back and
	 * the next run analyzes those dumps again. */
	err = b->commit ? cr_batch_commit_end(b->commit) : NULL;
	cr_batch_commit_free(b->commit);
	b->commit = NULL;
	if (err) {
		/* Rolled back: the index lists no dump the store does not. */
		if (indexed)
			cr_batch_write_index(b->prog, "batch", b->store, b->out, b->out,
					     b->formats, b->ctx.ticket, true);
		return fail(b, err);
	}
	if (failed)
		return status;
	if (stopped) {
		cr_term_printf(stderr, "%s: batch: interrupted; the next run goes on from here",
			       b->prog);
		return 130;
	}
	return status;
}

bool cr_batch_parse_formats(const char *s, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "md", CR_REPORT_MD }, { "markdown", CR_REPORT_MD },
		{ "html", CR_REPORT_HTML }, { "json", CR_REPORT_JSON },
	};
	*out = 0;
	char *copy = strdup(s), *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < ARRAY_LEN(names) && strcmp(t, names[i].name))
			i++;
		if (i == ARRAY_LEN(names)) {
			*out = 0;
			break;
		}
		*out |= names[i].bit;
	}
	free(copy);
	return *out != 0;
}

int cr_cmd_batch(const char *prog, int argc, char **argv);

int cr_cmd_batch(const char *prog, int argc, char **argv)
{
	struct cr_cli_symbol_dirs dirs = { 0 };
	struct cr_options opts = { .debug_dirs = dirs.debug, .image_dirs = dirs.image,
				   .symbol_dirs = dirs.symbols };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct batch b = {
		.prog = prog,
		.formats = CR_REPORT_MD | CR_REPORT_HTML | CR_REPORT_JSON,
		.run = { .workers = ncpu > 0 ? (unsigned)ncpu : 1,
			 .timeout = TIMEOUT_DEFAULT },
		.ctx = { .opts = &opts },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:j:f:qhV", cr_cmd_batch_longopts,
				NULL)) != -1) {
		char *end;
		errno = 0;
		switch (c) {
		case 'o': b.out = optarg; break;
		case 'j': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-' ||
			    v == 0 || v > MAX_JOBS)
				return cr_cli_usage_error(prog, "--jobs wants a number from 1 to %d",
							  MAX_JOBS);
			b.run.workers = (unsigned)v;
			break;
		}
		case 'f':
			if (!cr_batch_parse_formats(optarg, &b.formats))
				return cr_cli_usage_error(prog, "unknown format in '%s' (use md, html, json)",
							  optarg);
			break;
		case 'F': b.force = true; break;
		case 'T': {
			double v = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(v > 0) || v > 1e6)
				return cr_cli_usage_error(prog, "--timeout wants a positive number of seconds");
			b.run.timeout = v;
			break;
		}
		case 'M':
			if (cr_cli_parse_size(optarg, &b.run.max_memory))
				return cr_cli_usage_error(prog, "--max-memory wants a positive size such as 512M or 2G");
			b.run.max_memory_text = optarg;
			/* A worker's file cache stays well inside the limit. */
			b.ctx.cache_limit = b.run.max_memory / 4;
			break;
		case 'S':
			if (!cr_batch_shard_parse(optarg, &b.shard))
				return cr_cli_usage_error(prog, "--shard wants I/N with 1 <= I <= N <= %d, not '%s'",
							  CR_BATCH_SHARD_MAX, optarg);
			break;
		case 'K': b.ctx.ticket = true; break;
		case 'R':
		case 'D':
		case 'I':
		case 'Y': {
			/* Kept in the workers' options (forked: these
			 * arrays and argv are theirs too). */
			const struct option *o = cr_cmd_batch_longopts;
			while (o->val != c)
				o++;
			int st = cr_cli_symbol_option(prog, o->name, optarg, &dirs, &opts);
			if (st)
				return st;
			break;
		}
		case 'q': b.quiet = true; break;
		case 'h': cr_cli_usage(stdout, prog); return 0;
		case 'V': printf("coroner %s\n", CR_VERSION); return 0;
		default: return cr_cli_bad_option(prog, c, argv, cr_cmd_batch_longopts);
		}
	}
	optind++;	/* the command's name */
	if (optind >= argc)
		return cr_cli_usage_error(prog, "batch: no directory given");
	if (optind + 1 < argc)
		return cr_cli_usage_error(prog, "batch: one directory");
	if (!b.out)
		return cr_cli_usage_error(prog, "batch: -o OUT is required");
	b.dir = argv[optind];
	if (!cr_cli_check_dir(prog, "batch", b.dir))
		return CR_ERR_USAGE;
	b.run.progress = !b.quiet;
	b.ctx.formats = b.formats;
	(void)mkdir(b.out, 0777);
	if (!cr_cli_check_dir(prog, "--output", b.out))
		return CR_ERR_IO;
	char *reports = cr_strdup_printf("%s/reports", b.out);
	if (!reports || (mkdir(reports, 0777) != 0 && errno != EEXIST)) {
		cr_term_printf(stderr, "%s: batch: %s/reports: cannot create: %s",
			       prog, b.out, strerror(errno));
		free(reports);
		return CR_ERR_IO;
	}
	free(reports);
	int status = run(&b);
	cr_batch_store_close(b.store);
	cr_batch_files_free(&b.files);
	report_names_free(&b.names);
	for (size_t i = 0; i < b.nstored; i++)
		report_batch_entry_clear(&b.stored[i]);
	free(b.stored);
	return status;
}
