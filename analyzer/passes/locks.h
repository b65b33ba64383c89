/*
 * locks.h - the wait-for graph: which thread waits for which lock, and
 * which thread owns it.
 *
 * The "locks" pass (locks.c) builds it in two steps.  Discovery is per
 * operating system and knows the lock implementations: locks_linux.c reads
 * the futex waits under glibc's mutexes and rwlocks (the owner tid from the
 * mutex in dump memory), locks_windows.c reads critical sections, SRW locks
 * and waits on handles.  Each adds locks, owners and waits through the
 * functions below and knows nothing of cycles.  The analysis (locks.c)
 * knows nothing of any implementation: it walks the graph for cycles
 * (deadlocks), convoys and chains (threads queued behind one owner), owners
 * that are not in the dump, and the "every thread waits" hang, and adds
 * the findings.  The graph is kept (cr_pass_keep, "locks") for the passes
 * after it: the focus thread, the signature, the series.
 *
 * Bounds: at most one wait per thread; locks are found by address through
 * a hash index, and there are at most CR_LOCK_GRAPH_MAX_LOCKS of them (a
 * Windows dump's list of critical sections can name locks nobody waits
 * for).
 */
#ifndef CR_LOCKS_H
#define CR_LOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pass.h"

enum cr_lock_kind {
	CR_LOCK_UNKNOWN = 0,	/* a futex word or object of unknown kind */
	CR_LOCK_MUTEX,		/* pthread mutex, glibc internal lock */
	CR_LOCK_RWLOCK,		/* pthread rwlock */
	CR_LOCK_SPINLOCK,	/* a lock taken by spinning */
	CR_LOCK_CRITICAL_SECTION,	/* Windows RTL_CRITICAL_SECTION */
	CR_LOCK_SRWLOCK,	/* Windows slim reader/writer lock */
	CR_LOCK_MUTANT,		/* Windows mutex object (a handle) */
	CR_LOCK_SEMAPHORE,	/* no owner */
	CR_LOCK_CONDVAR,	/* no owner */
	CR_LOCK_EVENT,		/* Windows event or other waitable handle:
				 * no owner */
	CR_LOCK_RUNTIME,	/* a language runtime's lock (Python's GIL,
				 * the JVM's monitors, Go's runtime):
				 * `what` names it */
	CR_LOCK_KIND_COUNT
};
/* Stable id for JSON and tests ("mutex", "critical-section"). */
const char *cr_lock_kind_id(enum cr_lock_kind k);
/* Whether a lock of kind K records an owner (mutexes do, semaphores,
 * condition variables and events do not). */
bool cr_lock_kind_has_owner(enum cr_lock_kind k);

/* How a thread waits: for the lock alone, or shared with other readers. */
enum cr_wait_mode {
	CR_WAIT_EXCLUSIVE = 0,
	CR_WAIT_SHARED,
};

#define CR_LOCK_NO_THREAD ((ssize_t)-1)

struct cr_lock {
	uint64_t addr;		/* the lock object in target memory (the
				 * mutex, the CRITICAL_SECTION); for a
				 * handle, the handle value */
	bool is_handle;		/* ADDR is a handle value, not an address */
	enum cr_lock_kind kind;
	const char *what;	/* static words: "glibc mutex", "Python GIL",
				 * "loader lock"; NULL: the kind's own */
	char *name;		/* what names it: the global's symbol
				 * ("cache_lock in libfoo.so"), the handle's
				 * object name; NULL none */
	/* The owner, when the lock records one. */
	bool owner_known;	/* the lock was read and records its owner */
	int64_t owner_tid;	/* 0: the lock is free */
	ssize_t owner;		/* index into cr_analysis.threads of
				 * owner_tid, CR_LOCK_NO_THREAD when the tid
				 * is not in the dump (the owner died or is
				 * another process's) or the lock is free */
	uint32_t readers;	/* rwlock/SRW: readers holding it, 0 none or
				 * unknown */
	uint32_t recursion;	/* times the owner holds it, 0 unknown */
	bool owner_died;	/* a robust mutex marked FUTEX_OWNER_DIED */
};

struct cr_lock_wait {
	size_t thread;		/* index into cr_analysis.threads */
	size_t lock;		/* index into cr_lock_graph.locks */
	enum cr_wait_mode mode;
	const char *how;	/* static: the function it waits in
				 * ("pthread_mutex_lock",
				 * "RtlEnterCriticalSection"), NULL unknown */
	ssize_t frame;		/* the frame of that function in the
				 * thread's stack, -1 unknown */
};

struct cr_lock_graph {
	struct cr_lock *locks;
	size_t nlocks, lock_cap;
	struct cr_lock_wait *waits;	/* at most one per thread */
	size_t nwaits, wait_cap;
	ssize_t *wait_of;	/* per thread of the analysis: index into
				 * waits, -1 none (nthreads entries) */
	size_t nthreads;
	ssize_t *index;		/* hash of (addr, is_handle) -> lock */
	size_t nslots;
	size_t ncycles;		/* deadlocks the analysis found (cycles of
				 * thread -> lock -> owner) */
	/* The threads by tid (then by index), for the owner lookups: a
	 * binary search each, so that a dump of 100,000 threads each owning
	 * a lock is not 10^10 comparisons. */
	struct cr_lock_tid {
		int64_t tid;
		size_t thread;
	} *by_tid;
};

#define CR_LOCK_GRAPH_MAX_LOCKS 1000000

/* An empty graph for A's threads; false when out of memory. */
bool cr_lock_graph_init(struct cr_lock_graph *g, const struct cr_analysis *a);
/* Free what G owns (G itself is not freed); the free function given to
 * cr_pass_keep is cr_lock_graph_destroy, which frees G too. */
void cr_lock_graph_free(struct cr_lock_graph *g);
void cr_lock_graph_destroy(void *g);

/*
 * The lock at ADDR (a handle value when IS_HANDLE), added with KIND when
 * new; a known kind replaces CR_LOCK_UNKNOWN.  Its index, -1 when out of
 * memory or past CR_LOCK_GRAPH_MAX_LOCKS.
 */
ssize_t cr_lock_graph_lock(struct cr_lock_graph *g, uint64_t addr,
			   bool is_handle, enum cr_lock_kind kind);
/*
 * Record that lock L is owned by thread TID (0: free), as the lock's memory
 * says; the owner's thread index is looked up in A.
 */
void cr_lock_graph_owner(struct cr_lock_graph *g, const struct cr_analysis *a,
			 size_t l, int64_t tid);
/* The index into cr_analysis.threads of the thread of TID (the first of
 * that tid), CR_LOCK_NO_THREAD when none: a binary search. */
ssize_t cr_lock_graph_thread(const struct cr_lock_graph *g, int64_t tid);
/*
 * Record that THREAD waits for lock L, in function HOW at FRAME (-1
 * unknown).  A thread waits for one lock: a second call for the same
 * thread replaces the first.  False when out of memory.
 */
bool cr_lock_graph_wait(struct cr_lock_graph *g, size_t thread, size_t l,
			enum cr_wait_mode mode, const char *how, ssize_t frame);
/* The wait of THREAD, NULL when it waits for no lock of the graph. */
const struct cr_lock_wait *cr_lock_graph_wait_of(const struct cr_lock_graph *g,
						 size_t thread);

/* Discovery, per operating system: add what CTX's dump shows to G.  What
 * cannot be read is a problem of the pass (cr_pass_problem), not a stop;
 * an error only when out of memory. */
struct cr_error *cr_locks_linux(struct cr_pass_ctx *ctx,
				struct cr_lock_graph *g);
struct cr_error *cr_locks_windows(struct cr_pass_ctx *ctx,
				  struct cr_lock_graph *g);

/*
 * The analysis (locks.c), which knows no lock implementation: deadlocks
 * (cycles thread -> lock -> owner), convoys and chains (threads queued
 * behind one owner that waits for nothing in the graph), owners not in the
 * dump, rwlocks whose readers keep writers out; findings added through
 * CTX, and G->ncycles set.  An error only when out of memory.
 */
struct cr_error *cr_locks_analyze(struct cr_pass_ctx *ctx,
				  struct cr_lock_graph *g);

/* The graph the locks pass kept, NULL when it did not run. */
static inline const struct cr_lock_graph *
cr_lock_graph_of(const struct cr_analysis *a)
{
	return cr_pass_kept(a, "locks");
}

#endif
