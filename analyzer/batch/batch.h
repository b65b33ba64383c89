/*
 * batch.h - `coroner batch` (cmd_batch.c): the parts it is made of.
 *
 *   scan.c    the files under DIR with their content identity (size,
 *             modification time, a hash of the first 64 KiB)
 *   worker.c  running jobs in forked children, N at a time, each under a
 *             time limit; a child sends one JSON line back through a pipe
 *   job.c     what a child does: probe a file (is it a dump, of which
 *             process) or analyze one dump or one series and write its
 *             reports
 *   store.c   the result store OUT/coroner.db (SQLite), docs/batch.md
 *   commit.c  group commit: rows stored a group of dumps at a time, after
 *             one syncfs() made their reports durable
 *   shard.c   --shard I/N: which shard a file belongs to, by its content
 *
 * The index itself is a report of the rows (reports/batch_index.h).
 */
#ifndef CR_BATCH_H
#define CR_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"
#include "batch_index.h"
#include "error.h"

/* --- scan.c ---------------------------------------------------------------- */

/* How much of a file's start its identity hashes. */
#define CR_BATCH_HASH_BYTES 65536

struct cr_batch_file {
	char *rel;		/* path below DIR ("sub/core.1"), the key */
	char *path;		/* DIR/rel, to open */
	int64_t size;
	int64_t mtime_ns;	/* nanoseconds since the epoch */
	int64_t ctime_ns;	/* status change time, nanoseconds */
	int64_t dev, ino;	/* st_dev, st_ino */
	/* The hash of the first 64 KiB (ident_hash, hex): "" until
	 * identified (read by cr_batch_file_identify, or taken from the
	 * store's row when its stat identity is the file's). */
	char hash[17];
	bool identified;	/* its header was read in this run */
	bool vouched;		/* not read: its stored row vouched for it
				 * (its stat identity is the stored one) */
	bool settled;		/* identified, and its mtime and ctime are of
				 * a second before it was read: a later
				 * write would change them (git's racy
				 * rule), so the store may vouch for it */
};

struct cr_batch_files {
	struct cr_batch_file *v;
	size_t n, cap;
};

/*
 * The regular files under DIR, recursively, sorted by rel: not hidden ones
 * (a leading '.'), not coroner's reports ("x.coroner.md") and nothing
 * under SKIP (the output directory when it lies inside DIR; NULL none),
 * with their stat identity (lstat's; not opened: no hash yet), or READ
 * (cr_batch_file_identify) when no stored row can vouch for them (a first
 * run, --force).  Symbolic links are not followed (a loop, or a dump
 * twice).
 */
struct cr_error *cr_batch_scan(const char *dir, const char *skip, bool read,
			       struct cr_batch_files *out);
void cr_batch_files_free(struct cr_batch_files *f);
/* Read F's header: its hash, and its stat identity again from the file
 * opened (fstat), F->identified and F->settled.  A file that cannot be
 * opened gets size -1 (reported, not analyzed).  Returns NULL. */
struct cr_error *cr_batch_file_identify(struct cr_batch_file *f);
/* F's stat identity (size, mtime, ctime, dev, ino) from ST. */
struct stat;
struct timespec;
void cr_batch_file_stat(struct cr_batch_file *f, const struct stat *st);
/* Whether a file of ST, read from READ_AT (CLOCK_REALTIME_COARSE) on, can
 * be vouched for by ST later: its mtime and ctime are of an earlier
 * second (git's racy rule, docs/batch.md). */
bool cr_batch_settled(const struct stat *st, const struct timespec *read_at);
/* Whether A's stat identity is known (ctime_ns, dev, ino not -1) and is
 * B's. */
bool cr_batch_same_stat(const struct cr_batch_file *a, const struct cr_batch_file *b);
/* Append DIR/REL with its whole identity (identified) to F (collect
 * --from-kernel files the core it wrote). */
struct cr_error *cr_batch_file_add(struct cr_batch_files *f, const char *dir,
				   const char *rel);
/* The report directory name of the dump at REL: its file name with every
 * character outside [A-Za-z0-9._-] made '_' (it goes into links and the
 * store unescaped), at most CR_BATCH_NAME_MAX - 1 bytes, "dump" for none.
 * A run adds "-2", "-3"... when it is taken. */
#define CR_BATCH_NAME_MAX 101
void cr_batch_report_base(const char *rel, char out[CR_BATCH_NAME_MAX]);
/* The identity hash (FNV-1a 64, hex) of the first 64 KiB of P[0..N). */
void cr_batch_hash(const uint8_t *p, size_t n, char out[17]);
/* What makes two files one dump: their content P[0..N) decompressed, by
 * its length and hashes of its first and last 64 KiB (32 hex digits).  A
 * core's first pages hold its notes (pids, registers, times), so two
 * crashes differ there, and a copy cut short differs in length. */
#define CR_BATCH_CONTENT_ID 33
void cr_batch_content_id(const uint8_t *p, size_t n, char out[CR_BATCH_CONTENT_ID]);
/* When two ids are equal: true when the dumps at A and B have the same
 * content, decompressed, byte for byte (job.c, in a child process). */
bool cr_batch_same_content(const char *a, const char *b,
			   uint64_t max_decompressed, double timeout);

/* --- worker.c -------------------------------------------------------------- */

enum cr_batch_mode { CR_BATCH_PROBE, CR_BATCH_ANALYZE };

struct cr_batch_job {
	enum cr_batch_mode mode;
	const char **paths;	/* one file; several for a series */
	size_t npaths;
	const char *report_dir;	/* ANALYZE: where its reports go */
	const char *report_name;	/* ANALYZE: their base name */
	/* Filled by cr_batch_run: the child's JSON result (NULL when it
	 * sent none), else why it failed. */
	json_t *result;
	char *failure;
	int exit_status;	/* the child's, -1: killed by a signal */
	bool done;
	bool retried;		/* its worker died on it after other jobs:
				 * tried once more in a new one */
	/* In the worker's copy only (worker.c): its time limit (0 none),
	 * when it began as the parent counts it and when it ended
	 * (CLOCK_MONOTONIC seconds, the same in every process).  The
	 * result line says "started" and "elapsed" (ended - started). */
	double limit, started, ended;
};

struct cr_batch_run_options {
	unsigned workers;	/* at least 1 */
	double timeout;		/* seconds per job, 0 none */
	uint64_t max_memory;	/* bytes of anonymous memory a worker may
				 * hold, 0 no limit (--max-memory) */
	const char *max_memory_text;	/* as the user wrote it, for the reason */
	unsigned queue;		/* jobs a worker holds at a time (up to 8; 0
				 * is 1): it begins the next without waiting
				 * for the parent (worker.c) */
	bool progress;		/* progress.c's lines to stderr */
	const char *what;	/* "probing" or "analyzed", for the lines */
	/* Called in the parent as each job is done (done == true), in the
	 * order they end; NULL none.  cmd_batch.c stores its dumps' rows in
	 * groups from here (docs/batch.md "Durability"). */
	void (*on_done)(struct cr_batch_job *job, void *arg);
	void *on_done_arg;
	/* Called in the parent just before each worker is forked; NULL
	 * none.  cmd_batch.c has no thread of its own running then
	 * (cr_batch_commit_before_fork). */
	void (*before_fork)(void *arg);
	void *before_fork_arg;
};

/* What a worker runs for one job: writes exactly one line (the job's JSON
 * result, with cr_batch_send) to FD and returns the analyze command's exit
 * status for it.  A job that writes files checks cr_batch_late() before it
 * renames them into place. */
typedef int (*cr_batch_child_fn)(struct cr_batch_job *job, int fd,
				 void *ctx);
/* In the worker: whether JOB is past its time limit now; sets its end. */
bool cr_batch_late(struct cr_batch_job *job);

/*
 * Run the N jobs on O->workers worker processes (forked: they see JOBS),
 * each doing one job at a time with FN, one job after the other, and
 * holding up to O->queue of them.  A worker
 * past its job's time limit or over O->max_memory is killed (SIGKILL) and
 * its job fails "timed out" or "exceeded --max-memory"; a job whose result
 * says it took longer than the limit fails "timed out" too (the worker
 * kept none of its reports: cr_batch_late); one that dies of
 * a signal or exits without a result fails with that.  The next job gets
 * a new worker.  True when the run was interrupted (SIGINT, SIGTERM): the
 * jobs not done have done == false and must not be recorded.
 */
bool cr_batch_run(struct cr_batch_job *jobs, size_t n,
		  const struct cr_batch_run_options *o, cr_batch_child_fn fn,
		  void *ctx);

/* --- progress.c ------------------------------------------------------------ */

/*
 * What cr_batch_run shows while it runs (O->progress): on a terminal one
 * status line rewritten in place (done/total, dumps per second, the dump
 * in hand, the time left) and a line per failed job; elsewhere (a log
 * file, a pipe) one plain line per job done:
 *   coroner batch: analyzed 12/200 (3.1/s, about 61 s left): DIR/core.12
 */
struct cr_batch_progress {
	const struct cr_batch_run_options *o;
	size_t n, done;
	double t0, shown;	/* monotonic seconds: start, last status line */
	const char *current;	/* the dump last started */
	bool tty;		/* stderr is a terminal (and progress is on) */
};

void cr_batch_progress_begin(struct cr_batch_progress *p,
			     const struct cr_batch_run_options *o, size_t n);
void cr_batch_progress_start(struct cr_batch_progress *p,
			     const struct cr_batch_job *job);
void cr_batch_progress_done(struct cr_batch_progress *p,
			    const struct cr_batch_job *job);
/* Redraw the status line when a second went by (from the poll loop). */
void cr_batch_progress_tick(struct cr_batch_progress *p);
void cr_batch_progress_end(struct cr_batch_progress *p);

/* --- job.c ----------------------------------------------------------------- */

/* The analyze command's options a child uses. */
/* The longest string a worker puts in its result line (job.c). */
#define CR_BATCH_STRING_MAX 4096

struct cr_batch_analyze_ctx {
	const struct cr_options *opts;
	unsigned formats;	/* CR_REPORT_* bits */
	bool ticket;		/* also NAME.coroner.ticket.md (--ticket) */
	uint64_t max_decompressed;
	uint64_t cache_limit;	/* bytes of a worker's file cache, 0 default */
};

/* cr_batch_child_fn for both modes (CTX: struct cr_batch_analyze_ctx). */
int cr_batch_child(struct cr_batch_job *job, int fd, void *ctx);

/* --- commit.c -------------------------------------------------------------- */

/*
 * Group commit: the rows of finished dumps are stored a group at a time,
 * each group after one syncfs() of the reports' file system (docs/batch.md
 * "Durability").  STORE(ARG, JOB) stores job JOB's rows.
 */
#define CR_BATCH_GROUP_DUMPS 64
#define CR_BATCH_GROUP_SECONDS 5.0

typedef struct cr_error *(*cr_batch_store_fn)(void *arg, size_t job);
struct cr_batch_commit;
struct cr_batch_store;

/* DIR_FD: a directory on the reports' file system, closed by
 * cr_batch_commit_free; NJOBS: the job indexes are below it; DB: the
 * store STORE writes, one transaction per group.  NULL out of memory (the
 * caller still owns DIR_FD). */
struct cr_batch_commit *cr_batch_commit_new(int dir_fd, size_t njobs,
					    struct cr_batch_store *db,
					    cr_batch_store_fn store, void *arg);
/* Job JOB (of NDUMPS dumps) is done and its reports written. */
void cr_batch_commit_add(struct cr_batch_commit *c, size_t job, size_t ndumps);
/* No more jobs: the last sync starts, and every row not stored yet is
 * stored (STORE is not called after this) in a transaction of DB left
 * open, so that the index can be made from DB while the sync runs. */
void cr_batch_commit_close(struct cr_batch_commit *c);
/* Whether C met an error already (of the store, or a sync's): then the
 * index is not made from its rows, and cr_batch_commit_end says it. */
bool cr_batch_commit_failed(const struct cr_batch_commit *c);
/* Wait for the syncs (closing first if need be) and commit that
 * transaction, or roll it back when a sync failed; the first error (then
 * the rows after it are not stored). */
struct cr_error *cr_batch_commit_end(struct cr_batch_commit *c);
void cr_batch_commit_free(struct cr_batch_commit *c);
/*
 * Before the parent forks a worker: no sync thread of C is running or on
 * its way out (a running one is waited for, and its rows stored).  gcc
 * 12's AddressSanitizer locks its allocator while a thread ends, and a
 * child forked then hangs on its first malloc (glibc's own malloc is made
 * safe around fork()); the loader's thread is joined for the same reason
 * (cr_dynlib_settle).  Workers are forked again mid-run only after one
 * died, so the wait is rare.
 */
void cr_batch_commit_before_fork(struct cr_batch_commit *c);
/* One syncfs() of DIR's file system, for one dump's reports written by a
 * worker (collect --from-kernel files one crash). */
struct cr_error *cr_batch_sync_dir(const char *dir);

/* --- cmd_batch.c, shared with cmd_merge.c ------------------------------------ */

struct cr_batch_store;

/*
 * Write OUT/index.{md,html,json} (the FORMATS) from every row of STORE
 * and refresh its buckets table, with TICKETS the buckets' tickets
 * (report_batch_tickets_write); print the paths as SHOWN/index.EXT and
 * the summary unless QUIET; errors as "PROG: CMD: ...".  Returns 0, 8
 * (CR_BATCH_EXIT_FAILED) when the index lists failed dumps, or an error's
 * status.
 */
int cr_batch_write_index(const char *prog, const char *cmd,
			 struct cr_batch_store *store, const char *out,
			 const char *shown, unsigned formats, bool tickets,
			 bool quiet);
/* "md,html" -> CR_REPORT_* bits; false for an unknown name. */
bool cr_batch_parse_formats(const char *s, unsigned *out);

/* --- shard.c ---------------------------------------------------------------- */

/* The I-th of N shards (1 <= index <= count); count 0: the whole
 * directory. */
struct cr_batch_shard {
	unsigned index, count;
};
#define CR_BATCH_SHARD_MAX 100000

/* "I/N" with 1 <= I <= N <= CR_BATCH_SHARD_MAX. */
bool cr_batch_shard_parse(const char *s, struct cr_batch_shard *out);
/*
 * A file's shard key, from its content alone: of the process (PID >= 0 and
 * EXE, with START_TIME, -1 unknown) for a dump that names one, so a
 * series stays in one shard; else of HEADER_HASH (cr_batch_file.hash).
 */
uint64_t cr_batch_shard_key(int64_t pid, const char *exe, int64_t start_time,
			    const char *header_hash);
/* Whether the file of KEY is in shard S (always, with no shards). */
bool cr_batch_shard_mine(const struct cr_batch_shard *s, uint64_t key);

/* --- store.c --------------------------------------------------------------- */

struct cr_batch_store;

/* Exit status when the store cannot be used: corrupt, locked by another
 * run, not writable (docs/coroner.1.md). */
#define CR_BATCH_EXIT_STORE 9
/* Exit status when some dumps failed and the rest were analyzed. */
#define CR_BATCH_EXIT_FAILED 8

/*
 * Open (or create) the store at PATH and take it for this run: a second
 * run on the same OUT is refused while this one holds it.  Errors say
 * what is wrong with the file.
 */
struct cr_error *cr_batch_store_open(const char *path,
				     struct cr_batch_store **out);
/* Open the store at PATH read-only (`coroner merge`'s inputs), refusing
 * one of another schema version rather than rebuilding it. */
struct cr_error *cr_batch_store_open_read(const char *path,
					  struct cr_batch_store **out);
void cr_batch_store_close(struct cr_batch_store *s);

/* The stored row of REL (NULL none; the caller frees it with
 * report_batch_entry_clear and free). */
struct cr_error *cr_batch_store_get(struct cr_batch_store *s, const char *rel,
				    struct report_batch_entry **out);
/* Insert or replace E (keyed by E->path). */
struct cr_error *cr_batch_store_put(struct cr_batch_store *s,
				    const struct report_batch_entry *e);
/* Store F's stat identity in its row (cr_batch_entry_stat): a file found
 * unchanged by its header whose stat identity was not the stored one (a
 * store of an older coroner, a file copied back, one read in the second
 * it changed). */
struct cr_error *cr_batch_store_stat(struct cr_batch_store *s,
				     const struct cr_batch_file *f);
/* E's stat identity (dev, inode, ctime_ns) from F: F's when F was read
 * (identified) and settled, or vouched for by its row, else -1 (unknown:
 * not vouched for next time). */
void cr_batch_entry_stat(struct report_batch_entry *e,
			 const struct cr_batch_file *f);
/* Whether stored row E vouches for F without reading it: E has a stat
 * identity and F's device, inode, size, mtime and ctime are E's.  ctime
 * changes with every write, rename or chmod and no user can set it
 * (touch -d, utimensat and rsync set mtime only), so a file rewritten
 * with its size and mtime restored is still read. */
bool cr_batch_entry_vouches(const struct report_batch_entry *e,
			    const struct cr_batch_file *f);
/*
 * What the store remembers of the index file NAME ("index.md") when a run
 * found it holding the index of the inputs hash INPUTS (in F->hash; the
 * stat identity in F's fields, -1 none): F->rel is NAME.  *FOUND false
 * when there is no record.
 */
struct cr_error *cr_batch_store_index_file(struct cr_batch_store *s,
					   const char *name,
					   struct cr_batch_file *f, bool *found);
struct cr_error *cr_batch_store_put_index_file(struct cr_batch_store *s,
					       const struct cr_batch_file *f);
/* Begin (END false) or commit (END true) one transaction of several
 * rows: a group commit's rows (commit.c), each otherwise its own. */
struct cr_error *cr_batch_store_group(struct cr_batch_store *s, bool end);
/* Roll back the transaction cr_batch_store_group began. */
struct cr_error *cr_batch_store_rollback(struct cr_batch_store *s);
struct cr_error *cr_batch_store_delete(struct cr_batch_store *s,
				       const char *rel);
/* How many rows name REPORT_DIR (a series' dumps share one). */
struct cr_error *cr_batch_store_sharers(struct cr_batch_store *s,
					const char *report_dir, size_t *n);
/* Every row, ordered by path. */
struct cr_error *cr_batch_store_all(struct cr_batch_store *s,
				    struct report_batch_entry **out, size_t *n);
/* The analyzed rows (ok, damaged) of the process PID, EXE, START_TIME (-1
 * unknown), ordered by path: the stored dumps a new one of it joins. */
struct cr_error *cr_batch_store_process(struct cr_batch_store *s, int64_t pid,
					const char *exe, int64_t start_time,
					struct report_batch_entry **out, size_t *n);
/* The fields of E a worker's analysis result R says (kind, code, bucket,
 * signature, executable, version, times, pid, frames, exit status; the
 * error when E has none), borrowed from R. */
void cr_batch_entry_from_result(struct report_batch_entry *e, json_t *r);
/*
 * The shard key remembered for F (found false when none is stored for its
 * path with its size, modification time and header hash): a sharded run
 * probes a file once to know its shard, and skips the other shards' files
 * on every later run without opening them (cr_batch_store_shard_vouched).
 * The row keeps F's stat identity on the rule of the dumps' rows
 * (cr_batch_entry_stat).
 */
struct cr_error *cr_batch_store_shard_key(struct cr_batch_store *s,
					  const struct cr_batch_file *f,
					  uint64_t *key, bool *found);
struct cr_error *cr_batch_store_put_shard_key(struct cr_batch_store *s,
					      const struct cr_batch_file *f,
					      uint64_t key);
/* Whether F's row in shard_keys vouches for it by F's stat identity (as
 * a dumps row does, cr_batch_entry_vouches): then F's header hash is set
 * from the row, and F need not be opened. */
struct cr_error *cr_batch_store_shard_vouched(struct cr_batch_store *s,
					      struct cr_batch_file *f, bool *vouched);
/* Replace the buckets table by the index's buckets. */
struct cr_error *cr_batch_store_buckets(struct cr_batch_store *s,
					const struct report_batch_index *ix);

#endif
