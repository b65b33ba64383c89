/*
 * locks.c - the "locks" pass: the wait-for graph (locks.h) and what it
 * shows.
 *
 * Discovery is per operating system (locks_linux.c, locks_windows.c); the
 * graph is kept as "locks" for the passes after this one.  The analysis
 * below knows no lock implementation, only the graph: each thread waits
 * for at most one lock, and a lock that records its owner points at one
 * thread, so "thread -> the owner of the lock it waits for" is a function
 * and the graph is a set of chains, each ending either at a thread that
 * waits for nothing in the graph (the head of a convoy) or in a cycle (a
 * deadlock).  One walk with memoization visits every thread once, so a
 * dump of 100,000 threads costs linear time:
 *
 *   deadlock               a cycle: every member, the lock each holds and
 *                          waits for, each one's frame; a member waiting
 *                          for a lock it holds itself is a cycle of one
 *   lock-convoy            threads queued, directly or through a chain,
 *                          behind one owner that waits for nothing in the
 *                          graph, with what that owner is doing
 *   lock-owner-gone        a lock with waiters whose owner is no thread of
 *                          the dump: it exited or died holding it
 *   rwlock-writer-starved  writers waiting for a read-write lock that only
 *                          readers hold (which ones, glibc does not record)
 *
 * Waits for locks that record no owner (semaphores, condition variables,
 * glibc's internal locks) conclude nothing here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "locks.h"
#include "passes.h"
#include "strbuf.h"
#include "util.h"

/*
 * A queue of this many threads behind one owner is an error, below it a
 * warning (one thread: information).  A contended mutex is held for
 * microseconds to milliseconds, so a dump taken at a random moment of a
 * healthy program catches a short queue now and then; eight threads
 * queued at once means the owner has held the lock for many times what a
 * waiter's critical section takes, i.e. as long as a whole worker pool
 * takes to pile up behind it: the program is stalled, not busy.
 */
#define CONVOY_ERROR_THREADS 8
/* Rows of the tables of threads a finding lists (the count says the
 * rest), and members of a cycle named in its title. */
#define LOCKS_TABLE_ROWS 32
#define LOCKS_TITLE_MEMBERS 4

/* Kind -> the words a lock is named with. */
static const char *const kind_words[CR_LOCK_KIND_COUNT] = {
	[CR_LOCK_UNKNOWN] = "lock",
	[CR_LOCK_MUTEX] = "mutex",
	[CR_LOCK_RWLOCK] = "read-write lock",
	[CR_LOCK_SPINLOCK] = "spin lock",
	[CR_LOCK_CRITICAL_SECTION] = "critical section",
	[CR_LOCK_SRWLOCK] = "SRW lock",
	[CR_LOCK_MUTANT] = "mutex object",
	[CR_LOCK_SEMAPHORE] = "semaphore",
	[CR_LOCK_CONDVAR] = "condition variable",
	[CR_LOCK_EVENT] = "event",
	[CR_LOCK_RUNTIME] = "runtime lock",
};

/* Where a chain ends, per thread. */
#define END_NONE (-1)	/* not walked yet */
/* Values below this are cycles: END_CYCLE - k is cycle k. */
#define END_CYCLE (-2)

struct walk {
	const struct cr_lock_graph *g;
	struct cr_pass_ctx *ctx;
	const struct cr_analysis *a;
	ssize_t *next;		/* per thread: the owner of what it waits
				 * for, -1 none */
	ssize_t *end;		/* per thread: the last thread of its chain,
				 * or END_CYCLE - k */
	size_t *queued;		/* per thread: threads whose chain ends at it
				 * (itself not counted) */
	size_t *path;		/* the walk's current path */
	ssize_t *pos;		/* per thread: its place in path, -1 off it */
	size_t *cycle;		/* the members of the cycles, one after
				 * another */
	size_t ncycle;
	size_t *cycle_start;	/* per cycle: first member in cycle[] */
	size_t ncycles;
	size_t *behind;		/* per cycle: threads queued behind it */
	/* the waiters of each lock: by_lock[first[l] .. first[l+1]) */
	size_t *first, *by_lock;
	/* the threads queued behind each thread R: qlist[qfirst[R] ..
	 * qfirst[R+1]), in thread order */
	size_t *qfirst, *qlist;
	ssize_t *held;		/* per thread: the lock it owns with the
				 * most waiters, -1 none */
};

static void walk_free(struct walk *w)
{
	free(w->next);
	free(w->end);
	free(w->queued);
	free(w->path);
	free(w->pos);
	free(w->cycle);
	free(w->cycle_start);
	free(w->behind);
	free(w->first);
	free(w->by_lock);
	free(w->qfirst);
	free(w->qlist);
	free(w->held);
}

/* Whether lock L's owner is a thread the chains follow. */
static bool successor_lock_owned(const struct cr_lock_graph *g, size_t l)
{
	const struct cr_lock *lk = &g->locks[l];
	return lk->owner_known && lk->owner_tid != 0 && lk->owner >= 0 &&
	       (size_t)lk->owner < g->nthreads;
}

/* The thread THREAD waits for (the owner of its lock), -1 none. */
static ssize_t successor(const struct cr_lock_graph *g, size_t thread)
{
	const struct cr_lock_wait *wt = cr_lock_graph_wait_of(g, thread);
	if (!wt)
		return -1;
	return successor_lock_owned(g, wt->lock) ? g->locks[wt->lock].owner
						 : -1;
}

/*
 * Walk every chain once: w->end[t] for every thread, the cycles in
 * w->cycle, the queue lengths.  Each thread enters the path once and
 * leaves it for good.
 */
static void walk_chains(struct walk *w)
{
	size_t n = w->g->nthreads;

	for (size_t t = 0; t < n; t++)
		w->next[t] = successor(w->g, t);
	for (size_t s = 0; s < n; s++) {
		size_t len = 0;
		ssize_t u = (ssize_t)s, end;
		while (u >= 0 && w->end[u] == END_NONE && w->pos[u] < 0) {
			w->pos[u] = (ssize_t)len;
			w->path[len++] = (size_t)u;
			u = w->next[u];
		}
		size_t stop = len;	/* path[stop..] form a new cycle */
		if (u < 0) {
			end = (ssize_t)w->path[len - 1];
		} else if (w->end[u] != END_NONE) {
			end = w->end[u];
		} else {
			stop = (size_t)w->pos[u];
			end = END_CYCLE - (ssize_t)w->ncycles;
			w->cycle_start[w->ncycles++] = w->ncycle;
			for (size_t k = stop; k < len; k++)
				w->cycle[w->ncycle++] = w->path[k];
		}
		for (size_t k = 0; k < len; k++) {
			w->end[w->path[k]] = end;
			w->pos[w->path[k]] = -1;
		}
		/* who is queued: everyone on the path but the end itself
		 * and the members of a new cycle */
		for (size_t k = 0; k < stop; k++) {
			if (end >= 0 && w->path[k] != (size_t)end)
				w->queued[end]++;
			else if (end <= END_CYCLE)
				w->behind[END_CYCLE - end]++;
		}
	}
}

/*
 * FIRST holds N + 1 counters, the count of key k in FIRST[k + 1]: turn
 * them into the starts of each key's slice and return a copy to fill
 * with (malloc'd; NULL when out of memory).
 */
static size_t *slices(size_t *first, size_t n)
{
	for (size_t k = 0; k < n; k++)
		first[k + 1] += first[k];
	size_t *cur = malloc((n + 1) * sizeof(*cur));
	if (cur)
		memcpy(cur, first, (n + 1) * sizeof(*cur));
	return cur;
}

/* Index the waits by lock (a counting sort, each lock's waiters in thread
 * order) and each owner's most waited-for lock. */
static bool index_waiters(struct walk *w)
{
	const struct cr_lock_graph *g = w->g;

	for (size_t t = 0; t < g->nthreads; t++) {
		const struct cr_lock_wait *wt = cr_lock_graph_wait_of(g, t);
		if (wt)
			w->first[wt->lock + 1]++;
	}
	size_t *cur = slices(w->first, g->nlocks);
	if (!cur)
		return false;
	for (size_t t = 0; t < g->nthreads; t++) {
		const struct cr_lock_wait *wt = cr_lock_graph_wait_of(g, t);
		if (wt)
			w->by_lock[cur[wt->lock]++] = t;
	}
	free(cur);
	for (size_t l = 0; l < g->nlocks; l++) {
		ssize_t o = g->locks[l].owner;
		size_t nw = w->first[l + 1] - w->first[l];
		if (nw && successor_lock_owned(g, l) && o >= 0 &&
		    (w->held[o] < 0 ||
		     nw > w->first[w->held[o] + 1] - w->first[w->held[o]]))
			w->held[o] = (ssize_t)l;
	}
	return true;
}

/* Group the threads by the end of their chain (a counting sort). */
static bool index_queues(struct walk *w)
{
	size_t n = w->g->nthreads;
	for (size_t t = 0; t < n; t++)
		if (w->end[t] >= 0 && (size_t)w->end[t] != t)
			w->qfirst[w->end[t] + 1]++;
	size_t *cur = slices(w->qfirst, n);
	if (!cur)
		return false;
	for (size_t t = 0; t < n; t++)
		if (w->end[t] >= 0 && (size_t)w->end[t] != t)
			w->qlist[cur[w->end[t]]++] = t;
	free(cur);
	return true;
}

static bool walk_init(struct walk *w, struct cr_pass_ctx *ctx,
		      const struct cr_lock_graph *g)
{
	size_t n = g->nthreads ? g->nthreads : 1;

	*w = (struct walk){ .g = g, .ctx = ctx, .a = ctx->analysis };
	w->next = malloc(n * sizeof(*w->next));
	w->end = malloc(n * sizeof(*w->end));
	w->queued = calloc(n, sizeof(*w->queued));
	w->path = malloc(n * sizeof(*w->path));
	w->pos = malloc(n * sizeof(*w->pos));
	w->cycle = malloc(n * sizeof(*w->cycle));
	w->cycle_start = malloc((n + 1) * sizeof(*w->cycle_start));
	w->behind = calloc(n, sizeof(*w->behind));
	w->first = calloc(g->nlocks + 1, sizeof(*w->first));
	w->by_lock = malloc((g->nwaits ? g->nwaits : 1) * sizeof(*w->by_lock));
	w->qfirst = calloc(n + 1, sizeof(*w->qfirst));
	w->qlist = malloc(n * sizeof(*w->qlist));
	w->held = malloc(n * sizeof(*w->held));
	if (!w->next || !w->end || !w->queued || !w->path || !w->pos ||
	    !w->cycle || !w->cycle_start || !w->behind || !w->first ||
	    !w->by_lock || !w->qfirst || !w->qlist || !w->held)
		return false;
	for (size_t t = 0; t < g->nthreads; t++) {
		w->end[t] = END_NONE;
		w->pos[t] = -1;
		w->held[t] = -1;
	}
	return true;
}

/* --- words --------------------------------------------------------------- */

/* "mutex 0x55d0c0a010e0 (mutex_b in deadlock)" */
static void put_lock(struct cr_buf *b, const struct cr_lock *l)
{
	const char *what = l->what ? l->what
			   : kind_words[(unsigned)l->kind < CR_LOCK_KIND_COUNT
					? l->kind : CR_LOCK_UNKNOWN];
	cr_buf_printf(b, "%s %s0x%" PRIx64, what, l->is_handle ? "handle " : "",
		      l->addr);
	if (l->name)
		cr_buf_printf(b, " (%s)", l->name);
}

/* "thread 4242 (worker)" */
static void put_thread(struct cr_buf *b, const struct cr_analysis *a, size_t t)
{
	const struct cr_thread *th = a->threads[t].thread;
	cr_buf_printf(b, "thread %" PRId64, th ? th->tid : (int64_t)-1);
	if (th && th->name && *th->name)
		cr_buf_printf(b, " (%s)", th->name);
}

/* The frame that shows where THREAD's wait was called from: the first
 * meaningful frame after the lock function, else the lock function's; -1
 * unknown. */
static ssize_t wait_site(const struct cr_analysis *a,
			 const struct cr_lock_wait *wt)
{
	const struct cr_stack *s = &a->threads[wt->thread].stack;
	if (wt->frame < 0 || (size_t)wt->frame >= s->nframes)
		return cr_culprit_frame(s);
	ssize_t f = cr_next_meaningful_frame(s, (size_t)wt->frame + 1);
	return f >= 0 ? f : wt->frame;
}

/*
 * The name of lock L in a signature: its symbol without the module ("mutex_b"
 * of "mutex_b in deadlock"), else the function WAITER waits from; into B.
 * No address: the same bug in another run has the same signature.
 */
static void put_sig_name(struct cr_buf *b, const struct walk *w, size_t l,
			 ssize_t waiter)
{
	const struct cr_lock *lk = &w->g->locks[l];
	if (lk->name) {
		const char *in = strstr(lk->name, " in ");
		cr_buf_add(b, lk->name, in ? (size_t)(in - lk->name)
					   : strlen(lk->name));
		return;
	}
	const struct cr_lock_wait *wt = waiter >= 0
		? cr_lock_graph_wait_of(w->g, (size_t)waiter) : NULL;
	ssize_t f = wt ? wait_site(w->a, wt) : -1;
	const char *fn = f >= 0 ? w->a->threads[wt->thread].stack.frames[f].function
				: NULL;
	cr_buf_puts(b, fn ? fn : kind_words[lk->kind < CR_LOCK_KIND_COUNT
						     ? lk->kind : 0]);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Evidence of one waiting thread: the thread and its frame. */
static void waiter_evidence(struct cr_finding *f, const struct walk *w,
			    const char *label, size_t t)
{
	const struct cr_lock_wait *wt = cr_lock_graph_wait_of(w->g, t);
	ssize_t fr = wt ? wait_site(w->a, wt) : -1;
	if (fr >= 0)
		cr_finding_frame(f, label, t, (size_t)fr);
	else
		cr_finding_thread(f, label, t);
}

/* Evidence of the threads waiting for lock L (the first
 * LOCKS_TABLE_ROWS). */
static void lock_waiters(struct cr_finding *f, const struct walk *w, size_t l)
{
	for (size_t k = w->first[l];
	     k < w->first[l + 1] && k - w->first[l] < LOCKS_TABLE_ROWS; k++) {
		size_t t = w->by_lock[k];
		const char *label = "waiting thread";
		if (w->g->locks[l].kind == CR_LOCK_RWLOCK)
			label = cr_lock_graph_wait_of(w->g, t)->mode ==
						CR_WAIT_EXCLUSIVE
					? "waiting writer" : "waiting reader";
		waiter_evidence(f, w, label, t);
	}
}

/* A table row of thread T: it, what it holds, what it waits for. */
static void chain_row(struct cr_table *tb, const struct walk *w, size_t t,
		      ssize_t holds)
{
	struct cr_buf c[3] = { { 0 } };
	const struct cr_lock_wait *wt = cr_lock_graph_wait_of(w->g, t);

	put_thread(&c[0], w->a, t);
	if (holds >= 0)
		put_lock(&c[1], &w->g->locks[holds]);
	if (wt)
		put_lock(&c[2], &w->g->locks[wt->lock]);
	const char *cells[3] = { cr_buf_str(&c[0]),
				 holds >= 0 ? cr_buf_str(&c[1]) : NULL,
				 wt ? cr_buf_str(&c[2]) : NULL };
	cr_table_row(tb, cells);
	for (size_t i = 0; i < 3; i++)
		cr_buf_free(&c[i]);
}

static const char *const chain_headers[] = { "thread", "holds", "waits for" };

/*
 * Add a finding of ID titled T with signature SIG (both buffers freed)
 * about THREAD.  NULL when it is not kept (past the findings' limit) or
 * memory ran out; then *OK is false when memory ran out.
 */
static struct cr_finding *add_finding(struct walk *w, enum cr_finding_id id,
				      enum cr_severity sev, ssize_t thread,
				      struct cr_buf *t, struct cr_buf *sig,
				      bool *ok)
{
	const char *title = cr_buf_str(t), *sg = cr_buf_str(sig);
	struct cr_finding *f = NULL;

	*ok = title && sg;
	if (*ok)
		f = cr_pass_finding(w->ctx, id, sev, "%s", title);
	if (f) {
		f->thread = thread;
		cr_finding_signature(f, "%s", sg);
	}
	cr_buf_free(t);
	cr_buf_free(sig);
	return f;
}

/* --- deadlocks ----------------------------------------------------------- */

/* The finding for cycle K (members M[0..n), each waiting for the next's
 * lock, rotated to start at the lowest thread index). */
static bool deadlock(struct walk *w, size_t k)
{
	const struct cr_lock_graph *g = w->g;
	size_t *m = &w->cycle[w->cycle_start[k]];
	size_t n = (k + 1 < w->ncycles ? w->cycle_start[k + 1] : w->ncycle) -
		   w->cycle_start[k];
	size_t lo = 0;
	for (size_t i = 1; i < n; i++)
		if (m[i] < m[lo])
			lo = i;
#define MEMBER(i) (m[(lo + (i)) % n])
#define LOCK_OF(t) (cr_lock_graph_wait_of(g, (t))->lock)

	struct cr_buf t = { 0 }, sig = { 0 };
	if (n == 1) {
		cr_buf_puts(&t, "Self-deadlock: ");
		put_thread(&t, w->a, MEMBER(0));
		cr_buf_puts(&t, " waits for ");
		put_lock(&t, &g->locks[LOCK_OF(MEMBER(0))]);
		cr_buf_puts(&t, ", which it holds itself");
	} else {
		cr_buf_printf(&t, "Deadlock of %zu threads: ", n);
		for (size_t i = 0; i < n && i < LOCKS_TITLE_MEMBERS; i++) {
			if (i)
				cr_buf_puts(&t, ", which ");
			else
				put_thread(&t, w->a, MEMBER(0)), cr_buf_puts(&t, " ");
			cr_buf_puts(&t, "waits for ");
			put_lock(&t, &g->locks[LOCK_OF(MEMBER(i))]);
			cr_buf_puts(&t, " held by ");
			if (i + 1 == n)
				cr_buf_puts(&t, "the first");
			else
				put_thread(&t, w->a, MEMBER(i + 1));
		}
		if (n > LOCKS_TITLE_MEMBERS)
			cr_buf_puts(&t, ", ... (the table lists all)");
	}
	if (w->behind[k])
		cr_buf_printf(&t, "; %zu more thread%s wait%s behind it",
			      w->behind[k], w->behind[k] == 1 ? "" : "s",
			      w->behind[k] == 1 ? "s" : "");

	/* signature: the locks' names, sorted, without addresses */
	char **names = calloc(n, sizeof(*names));
	bool ok = names != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		struct cr_buf nb = { 0 };
		put_sig_name(&nb, w, LOCK_OF(MEMBER(i)), (ssize_t)MEMBER(i));
		names[i] = cr_buf_steal(&nb);
		ok = names[i] != NULL;
	}
	if (ok) {
		qsort(names, n, sizeof(*names), cmp_str);
		cr_buf_puts(&sig, "deadlock: ");
		for (size_t i = 0; i < n; i++)
			cr_buf_printf(&sig, "%s%s", i ? " / " : "", names[i]);
	}
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);

	if (!ok)
		sig.oom = true;
	struct cr_finding *f = add_finding(w, CR_FINDING_DEADLOCK,
					   CR_SEVERITY_ERROR,
					   (ssize_t)MEMBER(0), &t, &sig, &ok);
	if (!f)
		return ok;
	for (size_t i = 0; i < n; i++) {
		const struct cr_lock *l = &g->locks[LOCK_OF(MEMBER(i))];
		waiter_evidence(f, w, "deadlocked thread", MEMBER(i));
		cr_finding_address(f, "waits for", l->addr, l->name);
	}
	struct cr_table *tb = cr_finding_table(f, "the cycle", 3, chain_headers);
	for (size_t i = 0; tb && i < n && i < LOCKS_TABLE_ROWS; i++)
		chain_row(tb, w, MEMBER(i),
			  (ssize_t)LOCK_OF(MEMBER((i + n - 1) % n)));
	if (n > LOCKS_TABLE_ROWS)
		cr_finding_number(f, "threads in the cycle", (int64_t)n, "threads");
#undef MEMBER
#undef LOCK_OF
	return true;
}

/* --- queues -------------------------------------------------------------- */

/* Whether lock L records an owner that is no thread of the dump. */
static bool owner_gone(const struct cr_lock *l)
{
	return l->owner_known && l->owner_tid != 0 && l->owner < 0;
}

/* The threads queued behind owner R (their chain ends at R) as a table. */
static void queue_table(struct cr_finding *f, const struct walk *w, size_t r,
			size_t n)
{
	struct cr_table *tb = cr_finding_table(f, "the queue", 3, chain_headers);
	size_t rows = 0;
	for (size_t k = w->qfirst[r];
	     tb && k < w->qfirst[r + 1] && rows < LOCKS_TABLE_ROWS; k++, rows++)
		chain_row(tb, w, w->qlist[k], w->held[w->qlist[k]]);
	if (n > rows)
		cr_finding_number(f, "threads not listed", (int64_t)(n - rows),
				  "threads");
}

/* The convoy behind thread R, whose chain ends at it with QUEUED threads. */
static bool convoy(struct walk *w, size_t r, ssize_t l)
{
	const struct cr_analysis *a = w->a;
	size_t n = w->queued[r];
	size_t direct = l >= 0 ? w->first[l + 1] - w->first[l] : 0;
	enum cr_severity sev = n >= CONVOY_ERROR_THREADS ? CR_SEVERITY_ERROR
			       : n > 1 ? CR_SEVERITY_WARNING : CR_SEVERITY_INFO;
	struct cr_buf t = { 0 }, sig = { 0 };
	char *doing = cr_thread_state_known(&a->threads[r].st)
			      ? cr_thread_state_text(&a->threads[r].st) : NULL;

	if (n == 1) {
		put_thread(&t, a, w->by_lock[w->first[l]]);
		cr_buf_puts(&t, " waits for ");
	} else {
		cr_buf_printf(&t, "%zu threads wait for ", n);
	}
	put_lock(&t, &w->g->locks[l]);
	cr_buf_puts(&t, " held by ");
	put_thread(&t, a, r);
	/* "which is blocked reading", but "which received SIGQUIT ...",
	 * "which crashed here" */
	const struct cr_thread_state *st = &a->threads[r].st;
	cr_buf_printf(&t, ", which %s%s",
		      st->received.known || st->kind == CR_STATE_CRASHED ? ""
									  : "is ",
		      doing ? doing : "in an unknown state");
	if (n > direct)
		cr_buf_printf(&t, " (%zu of them for other locks that lead to it)",
			      n - direct);
	cr_buf_puts(&sig, "lock-convoy: ");
	put_sig_name(&sig, w, (size_t)l, (ssize_t)w->by_lock[w->first[l]]);

	bool ok;
	struct cr_finding *f = add_finding(w, CR_FINDING_LOCK_CONVOY, sev,
					   (ssize_t)r, &t, &sig, &ok);
	if (f) {
		ssize_t fr = cr_culprit_frame(&a->threads[r].stack);
		if (fr >= 0)
			cr_finding_frame(f, "owner is at", r, (size_t)fr);
		else
			cr_finding_thread(f, "owner", r);
		if (doing)
			cr_finding_text(f, "owner is", "%s", doing);
		cr_finding_address(f, "lock", w->g->locks[l].addr,
				   w->g->locks[l].name);
		cr_finding_number(f, "threads queued", (int64_t)n, "threads");
		queue_table(f, w, r, n);
	}
	free(doing);
	return ok;
}

/* Threads queued behind lock L, whose owner is gone: the direct waiters
 * and those behind them. */
static bool gone(struct walk *w, size_t l)
{
	const struct cr_lock *lk = &w->g->locks[l];
	size_t direct = w->first[l + 1] - w->first[l], n = direct;
	for (size_t k = w->first[l]; k < w->first[l + 1]; k++)
		n += w->queued[w->by_lock[k]];

	struct cr_buf t = { 0 }, sig = { 0 };
	cr_buf_printf(&t, "Thread %" PRId64 " owns ", lk->owner_tid);
	put_lock(&t, lk);
	cr_buf_printf(&t, " but is not in the dump: it exited or died holding "
		      "it%s; %zu thread%s wait%s for it",
		      lk->owner_died ? " (the kernel marked it FUTEX_OWNER_DIED)"
				     : "",
		      n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	cr_buf_puts(&sig, "lock-owner-gone: ");
	put_sig_name(&sig, w, l, (ssize_t)w->by_lock[w->first[l]]);

	bool ok;
	struct cr_finding *f = add_finding(w, CR_FINDING_LOCK_OWNER_GONE,
					   CR_SEVERITY_ERROR,
					   (ssize_t)w->by_lock[w->first[l]],
					   &t, &sig, &ok);
	if (f) {
		cr_finding_address(f, "lock", lk->addr, lk->name);
		cr_finding_number(f, "owner thread id", lk->owner_tid, NULL);
		if (lk->owner_died)
			cr_finding_text(f, "robust mutex", "owner died "
					"(FUTEX_OWNER_DIED): the next "
					"pthread_mutex_lock returns EOWNERDEAD");
		lock_waiters(f, w, l);
		cr_finding_number(f, "threads waiting", (int64_t)n, "threads");
	}
	return ok;
}

/* Writers waiting for rwlock L, which readers hold and no writer. */
static bool starved(struct walk *w, size_t l)
{
	const struct cr_lock *lk = &w->g->locks[l];
	size_t writers = 0;
	ssize_t first = -1;
	for (size_t k = w->first[l]; k < w->first[l + 1]; k++) {
		const struct cr_lock_wait *wt =
			cr_lock_graph_wait_of(w->g, w->by_lock[k]);
		if (wt->mode == CR_WAIT_EXCLUSIVE && writers++ == 0)
			first = (ssize_t)w->by_lock[k];
	}
	if (!writers)
		return true;
	struct cr_buf t = { 0 }, sig = { 0 };
	if (writers == 1)
		put_thread(&t, w->a, (size_t)first), cr_buf_puts(&t, " waits");
	else
		cr_buf_printf(&t, "%zu threads wait", writers);
	cr_buf_puts(&t, " to write ");
	put_lock(&t, lk);
	cr_buf_printf(&t, ", which %" PRIu32 " reader%s hold%s (which threads, "
		      "the lock does not record)", lk->readers,
		      lk->readers == 1 ? "" : "s", lk->readers == 1 ? "s" : "");
	cr_buf_puts(&sig, "rwlock-writer-starved: ");
	put_sig_name(&sig, w, l, first);

	bool ok;
	struct cr_finding *f = add_finding(w, CR_FINDING_RWLOCK_WRITER_STARVED,
					   CR_SEVERITY_WARNING, first, &t, &sig,
					   &ok);
	if (f) {
		cr_finding_address(f, "lock", lk->addr, lk->name);
		cr_finding_number(f, "readers holding it", lk->readers, NULL);
		lock_waiters(f, w, l);
	}
	return ok;
}

struct cr_error *cr_locks_analyze(struct cr_pass_ctx *ctx,
				  struct cr_lock_graph *g)
{
	struct walk w;
	bool ok = walk_init(&w, ctx, g);

	if (ok && g->nwaits) {
		walk_chains(&w);
		g->ncycles = w.ncycles;
		ok = index_waiters(&w) && index_queues(&w);
		for (size_t k = 0; ok && k < w.ncycles; k++)
			ok = deadlock(&w, k);
		/* Owners gone and starved writers, lock by lock. */
		for (size_t l = 0; ok && l < g->nlocks; l++) {
			const struct cr_lock *lk = &g->locks[l];
			if (w.first[l + 1] == w.first[l])
				continue;
			if (owner_gone(lk))
				ok = gone(&w, l);
			else if (lk->kind == CR_LOCK_RWLOCK && lk->owner_known &&
				 lk->owner_tid == 0 && lk->readers)
				ok = starved(&w, l);
		}
		/* Convoys: heads of chains that wait for nothing the graph
		 * can follow and whose own wait is no lost owner's. */
		for (size_t r = 0; ok && r < g->nthreads; r++) {
			if (!w.queued[r] || w.end[r] != (ssize_t)r)
				continue;
			const struct cr_lock_wait *wt = cr_lock_graph_wait_of(g, r);
			if (wt && owner_gone(&g->locks[wt->lock]))
				continue;
			if (w.held[r] >= 0)
				ok = convoy(&w, r, w.held[r]);
		}
	}
	walk_free(&w);
	return ok ? NULL : &cr_enomem;
}

CR_PASS_RUN(run_locks)
{
	struct cr_analysis *a = ctx->analysis;
	struct cr_lock_graph *g = calloc(1, sizeof(*g));
	if (!g || !cr_lock_graph_init(g, a)) {
		free(g);
		return &cr_enomem;
	}
	struct cr_error *err = NULL;
	switch (ctx->dump->process.os) {
	case CR_OS_LINUX:
	case CR_OS_ANDROID:
		err = cr_locks_linux(ctx, g);
		break;
	case CR_OS_WINDOWS:
		err = cr_locks_windows(ctx, g);
		break;
	default:
		break;
	}
	if (!err)
		err = cr_locks_analyze(ctx, g);
	if (err) {
		cr_lock_graph_destroy(g);
		return err;
	}
	return cr_pass_keep(ctx, g, cr_lock_graph_destroy) ? NULL : &cr_enomem;
}
