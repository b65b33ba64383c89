/*
 * commit.c - group commit of a batch's results (batch.h, docs/batch.md
 * "Durability").
 *
 * The workers write their reports without fsync (report_defer_sync); a
 * dump's row is committed only after a syncfs() of OUT's file system that
 * began after its reports were renamed.  So the store never says a dump is
 * done whose reports a power cut could take, and a run killed half-way
 * analyzes at most the last groups again.  One syncfs per group instead of
 * one fsync per report file (three per dump, about 5 ms each on a VM's
 * disk, a third of a batch's wall time).
 *
 * A group closes at CR_BATCH_GROUP_DUMPS dumps or CR_BATCH_GROUP_SECONDS
 * after its first, and at the end.  Its syncfs() runs in a thread of its
 * own while the parent goes on handing out jobs: on a shared disk a syncfs
 * waits for everybody's dirty pages (0.1 to 0.5 s measured with the
 * machine's other builds), and a parent blocked in it left both workers
 * idle.  The rows of a synced group are stored when the parent next looks
 * (the next job done, the next group closed, the end).  One sync at a
 * time, and the parent never waits for one while it hands out jobs: a
 * group does not close while the one before is syncing, it grows until
 * that sync ended (the size of a group follows the disk's latency); only
 * the end of the run waits.
 *
 * The end is two steps around the index (cr_batch_commit_close, _end):
 * the last sync starts (beside the group's still running, if any: a sync
 * that began after every rename covers every group) and the rows not
 * stored yet go into one transaction left open, from which the index is
 * made and written while the sync runs; the transaction commits when
 * every sync succeeded, else it is rolled back.  So the rule holds (no row
 * is committed before its reports are durable) and the index does not
 * wait for the disk: under chrt at -j 2 the kernel's flusher thread gets
 * no CPU until the workers end, and the last sync took 13 to 29 ms after
 * them, where the index takes 7 to 9 ms.  When the sync fails and the rows
 * are rolled back, cmd_batch.c writes the index again from the store, so
 * that it lists no dump the store does not (a run killed in between
 * leaves an index that does, until the next run: docs/batch.md).
 */
#include "batch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* One syncfs() of a file system, in a thread of its own. */
struct sync {
	int fd;
	pthread_t thread;
	bool running;		/* THREAD is syncing */
	int err;		/* its syncfs()'s errno, 0 success */
};

struct cr_batch_commit {
	int dir_fd;
	struct cr_batch_store *db;
	cr_batch_store_fn store;
	void *arg;
	size_t *open, nopen, ndumps;	/* jobs done, in no group yet */
	size_t *syncing, nsyncing;	/* the group whose sync runs */
	double since;			/* monotonic: the open group's first */
	struct sync group;		/* the sync of SYNCING */
	struct sync last;		/* the run's last (cr_batch_commit_close) */
	bool closed;			/* cr_batch_commit_close was called */
	bool tx;			/* and left its transaction open */
	struct cr_error *err;		/* the first; then nothing is stored */
};

static void *sync_thread(void *arg)
{
	struct sync *s = arg;
	s->err = syncfs(s->fd) == 0 ? 0 : errno;
	return NULL;
}

/* Start S's syncfs() in a thread, or run it here when no thread can be
 * made (then S is not running when this returns). */
static void sync_start(struct sync *s)
{
	s->err = 0;
	s->running = pthread_create(&s->thread, NULL, sync_thread, s) == 0;
	if (!s->running)
		sync_thread(s);
}

/* Whether S is not running (any more): WAIT for it, else only look. */
static bool sync_ended(struct sync *s, bool wait)
{
	if (s->running && (wait ? pthread_join(s->thread, NULL)
				: pthread_tryjoin_np(s->thread, NULL)) == 0)
		s->running = false;
	return !s->running;
}

/* The first of S's errors as C's (the rows are then not stored). */
static void sync_error(struct cr_batch_commit *c, const struct sync *s)
{
	if (!c->err && s->err)
		c->err = cr_error_new(CR_ERR_IO, "cannot make the reports durable (syncfs): %s",
				      strerror(s->err));
}

/* The syncing group is durable (or its sync failed): store its rows. */
static void store_synced(struct cr_batch_commit *c)
{
	sync_error(c, &c->group);
	/* One transaction: a row of its own was a commit, a WAL append of
	 * the table's and the index's pages, per dump. */
	bool group = !c->err && c->nsyncing > 1;
	if (group)
		c->err = cr_batch_store_group(c->db, false);
	for (size_t i = 0; i < c->nsyncing && !c->err; i++)
		c->err = c->store(c->arg, c->syncing[i]);
	if (group) {
		/* The rows before an error are kept, as without it. */
		struct cr_error *err = cr_batch_store_group(c->db, true);
		if (c->err && err)
			cr_error_free(err);
		else if (err)
			c->err = err;
	}
	c->nsyncing = 0;
}

/* Close the open group: its sync starts (inline when no thread can),
 * after the group before's ended and its rows were stored. */
static void close_group(struct cr_batch_commit *c)
{
	if (!c->nopen)
		return;
	sync_ended(&c->group, true);
	store_synced(c);
	size_t *t = c->syncing;
	c->syncing = c->open;
	c->nsyncing = c->nopen;
	c->open = t;
	c->nopen = 0;
	c->ndumps = 0;
	sync_start(&c->group);
	if (!c->group.running)
		store_synced(c);
}

struct cr_error *cr_batch_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int e = fd < 0 || syncfs(fd) != 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	return e ? cr_error_new(CR_ERR_IO, "%s: cannot make the reports durable (syncfs): %s",
				dir, strerror(e)) : NULL;
}

struct cr_batch_commit *cr_batch_commit_new(int dir_fd, size_t njobs,
					    struct cr_batch_store *db,
					    cr_batch_store_fn store, void *arg)
{
	struct cr_batch_commit *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct cr_batch_commit){ .dir_fd = dir_fd, .db = db, .store = store,
				       .arg = arg, .group = { .fd = dir_fd },
				       .last = { .fd = dir_fd } };
	c->open = calloc(njobs ? njobs : 1, sizeof(*c->open));
	c->syncing = calloc(njobs ? njobs : 1, sizeof(*c->syncing));
	if (!c->open || !c->syncing) {
		c->dir_fd = -1;	/* still the caller's */
		cr_batch_commit_free(c);
		return NULL;
	}
	return c;
}

void cr_batch_commit_add(struct cr_batch_commit *c, size_t job, size_t ndumps)
{
	double now = cr_mono_seconds();
	/* A sync that ended meanwhile: its rows go in now, not a group
	 * later. */
	if (c->group.running && sync_ended(&c->group, false))
		store_synced(c);
	if (!c->nopen)
		c->since = now;
	c->open[c->nopen++] = job;
	c->ndumps += ndumps;
	/* Not while the group before is syncing: the parent would wait for
	 * that sync, and the workers for their next jobs (under chrt at -j 2,
	 * both idle 20 ms of a 0.3 s batch, its syncfs taking 100 ms with
	 * the disk shared).  The group grows meanwhile and closes at the
	 * first job done after that sync ended. */
	if (!c->group.running && (c->ndumps >= CR_BATCH_GROUP_DUMPS ||
				  now - c->since >= CR_BATCH_GROUP_SECONDS))
		close_group(c);
}

void cr_batch_commit_close(struct cr_batch_commit *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->group.running && sync_ended(&c->group, false))
		store_synced(c);
	if (c->err || (!c->nopen && !c->nsyncing))
		return;
	/* A group still syncing is covered by its own sync, the open one
	 * by a sync that begins now, after its reports were renamed. */
	if (c->nopen)
		sync_start(&c->last);
	c->err = cr_batch_store_group(c->db, false);
	c->tx = !c->err;
	for (size_t i = 0; i < c->nsyncing && !c->err; i++)
		c->err = c->store(c->arg, c->syncing[i]);
	for (size_t i = 0; i < c->nopen && !c->err; i++)
		c->err = c->store(c->arg, c->open[i]);
	c->nsyncing = c->nopen = 0;
}

void cr_batch_commit_before_fork(struct cr_batch_commit *c)
{
	if (c->group.running && sync_ended(&c->group, true))
		store_synced(c);
	sync_ended(&c->last, true);
}

bool cr_batch_commit_failed(const struct cr_batch_commit *c)
{
	return c->err != NULL;
}

struct cr_error *cr_batch_commit_end(struct cr_batch_commit *c)
{
	cr_batch_commit_close(c);
	sync_ended(&c->group, true);
	sync_ended(&c->last, true);
	sync_error(c, &c->group);
	sync_error(c, &c->last);
	if (c->tx) {
		/* Committed only when every report is durable; the rows
		 * stored before an error (of the store) are kept, as in a
		 * group. */
		bool synced = !c->group.err && !c->last.err;
		struct cr_error *err = synced ? cr_batch_store_group(c->db, true)
					      : cr_batch_store_rollback(c->db);
		c->tx = false;
		if (c->err && err)
			cr_error_free(err);
		else if (err)
			c->err = err;
	}
	struct cr_error *err = c->err;
	c->err = NULL;
	return err;
}

void cr_batch_commit_free(struct cr_batch_commit *c)
{
	if (!c)
		return;
	sync_ended(&c->group, true);
	sync_ended(&c->last, true);
	if (c->tx)
		cr_error_free(cr_batch_store_rollback(c->db));
	if (c->err)
		cr_error_free(c->err);
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	free(c->open);
	free(c->syncing);
	free(c);
}
