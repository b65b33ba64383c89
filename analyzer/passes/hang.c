/*
 * hang.c - the "hang" pass: waits on objects that record no owner, and
 * the probable hang of a process in which every thread is blocked.
 *
 * A thread blocked on a condition variable, a semaphore, an event or a
 * futex of unknown kind waits for something nobody owns, so the wait-for
 * graph of the locks pass (locks.h) cannot say who would release it.  What
 * can be said: which threads wait on which object (grouped by object, the
 * object named by its symbol when it is a global), and whether the wait is
 * idle by design.  Idle waits are the normal state of a healthy process at
 * rest (an idle thread pool, an event loop in epoll_wait, a sleeping
 * thread) and must never raise a warning; the rules that say which waits
 * are idle are the tables below.  A wait with a timeout (the futex call's
 * decoded timeout argument) wakes by itself: a periodic worker, not a hang.
 *
 * Language runtimes wait in their own functions, which are named as such
 * (the table `runtime_waits`): Python's GIL and its threading.Lock (a
 * POSIX semaphore under PyThread_acquire_lock_timed in CPython's
 * Python/thread_pthread.h: no owner recorded), the JVM's monitors and
 * parks (HotSpot's ObjectMonitor::enter, Unsafe_Park, Parker::park) and
 * Go's scheduler threads (runtime.futexsleep under runtime.notesleep: the
 * Go runtime detects goroutine deadlocks itself, so a parked M is idle).
 *
 * "Probable hang" (a warning): every thread is blocked (none runs user
 * code, none is in a system call that is not a wait, none crashed, none of
 * unknown state) and at least one waits on a lock, condition, semaphore or
 * runtime lock that is not idle by design.  The finding names every such
 * thread and its wait, and leads with the most common blocking stack; its
 * signature is "hang: WAIT in CALLER" (function names, no addresses).
 * When the locks pass's graph has a cycle, the locks pass has said
 * "deadlock" and this pass says nothing more.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "locks.h"
#include "passes.h"
#include "util.h"

/* Frames searched from the top for a runtime's wait or a pool function. */
#define HANG_SCAN_FRAMES 24
/* This many threads with one stack waiting on one object are a pool of
 * identical workers waiting for work; fewer could be consumers of a queue
 * nobody fills, so they are not called idle. */
#define HANG_POOL_MIN 3
/* Ownerless-wait findings per analysis; the rest are counted. */
#define HANG_MAX_WAIT_FINDINGS 64
/* Rows of the probable-hang finding's table of waits. */
#define HANG_MAX_ROWS 32

/* What a thread's wait means for the hang verdict. */
enum verdict {
	ACTIVE = 0,	/* running, in a non-blocking call, crashed, unknown */
	IDLE,		/* blocked by design: sleeping, event loop, idle pool */
	BLOCKED,	/* blocked on something that is not a lock (a read, a
			 * join): no hang on its own */
	STUCK,		/* blocked on a lock, condition, semaphore or runtime
			 * lock that is not idle by design */
};

/*
 * Functions of language runtimes that wait, innermost match of the top
 * frames wins.  WHAT reads after "waits for"; SHORT is the signature's
 * word.  Sources: CPython Python/ceval_gil.h (take_gil, drop_gil) and
 * Python/thread_pthread.h (PyThread_acquire_lock_timed: sem_wait /
 * sem_clockwait on the lock's sem_t); HotSpot objectMonitor.cpp,
 * unsafe.cpp, park.cpp; Go runtime/lock_futex.go.
 */
static const struct runtime_wait {
	const char *function;
	const char *what;
	const char *short_name;
	enum verdict verdict;
} runtime_waits[] = {
	{ "rlock_acquire", "a Python lock (threading.RLock acquire)",
	  "Python RLock acquire", STUCK },
	{ "lock_PyThread_acquire_lock", "a Python lock (threading.Lock acquire)",
	  "Python lock acquire", STUCK },
	{ "PyThread_acquire_lock_timed", "a Python lock (threading.Lock acquire)",
	  "Python lock acquire", STUCK },
	{ "PyThread_acquire_lock", "a Python lock (threading.Lock acquire)",
	  "Python lock acquire", STUCK },
	{ "take_gil", "the Python GIL", "Python GIL", STUCK },
	{ "drop_gil", "the Python GIL (handing it over)", "Python GIL", STUCK },
	{ "ObjectMonitor::enter", "a JVM monitor (synchronized)",
	  "JVM monitor enter", STUCK },
	{ "ObjectMonitor::EnterI", "a JVM monitor (synchronized)",
	  "JVM monitor enter", STUCK },
	{ "ObjectMonitor::wait", "a JVM monitor's notify (Object.wait)",
	  "JVM Object.wait", STUCK },
	{ "Unsafe_Park", "a JVM park (java.util.concurrent LockSupport.park)",
	  "JVM park", STUCK },
	{ "Parker::park", "a JVM park (java.util.concurrent LockSupport.park)",
	  "JVM park", STUCK },
	{ "runtime.gopark", "the Go scheduler (a parked goroutine)",
	  "Go gopark", IDLE },
	{ "runtime.notesleep", "the Go scheduler (an idle M in notesleep)",
	  "Go notesleep", IDLE },
	{ "runtime.futexsleep", "the Go scheduler (an idle M in futexsleep)",
	  "Go futexsleep", IDLE },
};

/*
 * Thread state -> verdict, first matching row wins.  SYSCALL and FUNCTION
 * (the state's own function, passes/state.c) narrow a row; NULL: any.
 * Kinds in no row are ACTIVE.
 */
static const struct state_rule {
	enum cr_state_kind kind;
	const char *syscall;
	const char *function;
	enum verdict verdict;
	const char *why;	/* for IDLE: the words a finding shows */
} state_rules[] = {
	{ CR_STATE_POOL_IDLE, NULL, NULL, IDLE, "an idle thread-pool worker" },
	{ CR_STATE_SLEEPING, NULL, NULL, IDLE, "sleeping" },
	{ CR_STATE_SIGNAL, NULL, NULL, IDLE, "waiting for a signal" },
	/* An event loop waiting for clients or events is at rest. */
	{ CR_STATE_IO, "epoll_wait", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "epoll_pwait", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "epoll_pwait2", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "poll", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "ppoll", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "select", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "_newselect", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "pselect6", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "io_getevents", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "io_pgetevents", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "io_uring_enter", NULL, IDLE, "an event loop" },
	{ CR_STATE_IO, "accept", NULL, IDLE, "a server waiting for clients" },
	{ CR_STATE_IO, "accept4", NULL, IDLE, "a server waiting for clients" },
	{ CR_STATE_IO, NULL, "kevent", IDLE, "an event loop" },
	{ CR_STATE_IO, NULL, "kevent64", IDLE, "an event loop" },
	{ CR_STATE_IO, NULL, "NtRemoveIoCompletion", IDLE, "an I/O completion loop" },
	{ CR_STATE_IO, NULL, "ZwRemoveIoCompletion", IDLE, "an I/O completion loop" },
	{ CR_STATE_IO, NULL, "NtRemoveIoCompletionEx", IDLE, "an I/O completion loop" },
	{ CR_STATE_IO, NULL, NULL, BLOCKED, NULL },
	{ CR_STATE_EVENT, NULL, "NtUserGetMessage", IDLE, "a window message loop" },
	{ CR_STATE_EVENT, NULL, "NtUserMsgWaitForMultipleObjectsEx", IDLE,
	  "a window message loop" },
	/* A join waits for a thread, whose own wait says more. */
	{ CR_STATE_EVENT, NULL, "pthread_join", BLOCKED, NULL },
	{ CR_STATE_EVENT, NULL, "___pthread_join", BLOCKED, NULL },
	{ CR_STATE_EVENT, NULL, "__pthread_clockjoin_ex", BLOCKED, NULL },
	{ CR_STATE_EVENT, NULL, "std::thread::join", BLOCKED, NULL },
	{ CR_STATE_CHILD, NULL, NULL, BLOCKED, NULL },
	{ CR_STATE_SYSCALL, "restart_syscall", NULL, BLOCKED, NULL },
	{ CR_STATE_LOCK, NULL, NULL, STUCK, NULL },
	{ CR_STATE_CONDVAR, NULL, NULL, STUCK, NULL },
	{ CR_STATE_SEMAPHORE, NULL, NULL, STUCK, NULL },
	{ CR_STATE_EVENT, NULL, NULL, STUCK, NULL },
};

/*
 * Functions only the idle workers of a known pool wait under, within the
 * top frames (deeper, a task the worker runs could be what waits).
 * MODULE narrows a generic name (libuv's `worker`); NULL: any.
 */
static const struct pool_function {
	const char *function;
	const char *module;
	const char *why;	/* the words a finding shows */
} pool_functions[] = {
	{ "boost::asio::detail::scheduler::do_run_one", NULL, "an idle Boost.Asio worker" },
	{ "boost::asio::detail::task_io_service::do_run_one", NULL, "an idle Boost.Asio worker" },
	{ "QThreadPoolThread::run", NULL, "an idle Qt pool worker" },
	{ "g_async_queue_pop_intern_unlocked", NULL, "an idle GLib pool worker" },
	{ "worker", "libuv.so", "an idle libuv pool worker" },
	{ "gomp_thread_start", "libgomp.so", "an idle OpenMP worker" },
	{ "CompileQueue::get", NULL, "an idle JVM compiler thread" },
	{ "WatcherThread::sleep", NULL, "the JVM's watcher thread" },
	{ "ServiceThread::service_thread_entry", NULL, "the JVM's service thread" },
};

/* What an ownerless wait's object is, by the thread's state, and its size
 * (a futex word inside it is named by the object's start). */
static const struct object_kind {
	enum cr_state_kind kind;
	const char *what;
	uint64_t size;		/* glibc 64-bit; 0: the word itself */
} object_kinds[] = {
	{ CR_STATE_CONDVAR, "a condition variable", 48 },	/* pthread_cond_t */
	{ CR_STATE_SEMAPHORE, "a semaphore", 32 },	/* sem_t */
	{ CR_STATE_EVENT, "an event or kernel object", 0 },
	{ CR_STATE_LOCK, "a futex of unknown kind", 0 },
};

/* One thread's wait as this pass sees it. */
struct wait {
	enum verdict verdict;
	const char *why;		/* IDLE: why (static) */
	const struct runtime_wait *runtime;	/* NULL none */
	const char *what;		/* the object's kind in words, NULL:
					 * not an ownerless wait */
	bool object_known;
	uint64_t object;		/* the object (or its futex word) */
	char *object_name;		/* "work_cv in pool", NULL none */
	size_t blocking;		/* STUCK: the top frames that make its
					 * blocking stack */
	bool timed;			/* the wait has a timeout */
};

struct hang {
	struct cr_pass_ctx *ctx;
	struct cr_analysis *a;
	const struct cr_lock_graph *graph;	/* NULL: no locks pass */
	struct wait *w;				/* per thread */
};

static bool same_frame(const struct cr_frame *x, const struct cr_frame *y)
{
	if (x->function || y->function)
		return x->function && y->function &&
		       !strcmp(x->function, y->function);
	return x->module == y->module && x->module_offset == y->module_offset;
}

/* The top NX frames of X and NY of Y compared by their function
 * sequence (as threads are grouped). */
static int frames_cmp(const struct cr_stack *x, size_t nx,
		      const struct cr_stack *y, size_t ny)
{
	if (nx != ny)
		return nx < ny ? -1 : 1;
	for (size_t i = 0; i < nx; i++) {
		const struct cr_frame *f = &x->frames[i], *g = &y->frames[i];
		if (same_frame(f, g))
			continue;
		if (f->function && g->function)
			return strcmp(f->function, g->function);
		if (!f->function != !g->function)
			return f->function ? -1 : 1;
		return f->module_offset < g->module_offset ? -1 : 1;
	}
	return 0;
}

static int stack_cmp(const struct cr_stack *x, const struct cr_stack *y)
{
	return frames_cmp(x, x->nframes, y, y->nframes);
}

static const struct runtime_wait *runtime_wait_of(const struct cr_stack *s)
{
	size_t n = s->nframes < HANG_SCAN_FRAMES ? s->nframes : HANG_SCAN_FRAMES;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ARRAY_LEN(runtime_waits); j++)
			if (cr_function_is(s->frames[i].function,
					   runtime_waits[j].function))
				return &runtime_waits[j];
	return NULL;
}

static const char *pool_of(const struct cr_stack *s)
{
	size_t n = s->nframes < HANG_SCAN_FRAMES / 2 ? s->nframes
						     : HANG_SCAN_FRAMES / 2;

	for (size_t i = 0; i < n; i++) {
		const struct cr_frame *f = &s->frames[i];
		for (size_t j = 0; j < ARRAY_LEN(pool_functions); j++) {
			const struct pool_function *p = &pool_functions[j];
			if (cr_function_is(f->function, p->function) &&
			    (!p->module || (f->module &&
					    !strncmp(f->module, p->module,
						     strlen(p->module)))))
				return p->why;
		}
	}
	return NULL;
}

static const struct state_rule *state_rule_of(const struct cr_thread_state *st)
{
	for (size_t i = 0; i < ARRAY_LEN(state_rules); i++) {
		const struct state_rule *r = &state_rules[i];
		if (r->kind != st->kind)
			continue;
		if (r->syscall && (!st->syscall_name ||
				   strcmp(r->syscall, st->syscall_name)))
			continue;
		if (r->function && !cr_function_is(st->function, r->function))
			continue;
		return r;
	}
	return NULL;
}

/*
 * The object of an ownerless wait: the futex word the thread waits on,
 * moved back to the start of the global that holds it when the symbols
 * name one within the object's size (pthread_cond_wait waits on a word
 * 40 bytes into the pthread_cond_t).
 */
static void name_object(struct hang *h, struct wait *w, uint64_t size)
{
	uint64_t off = 0;
	/* Named at the object's start, where the address is moved to. */
	char *name = cr_pass_name_global(h->ctx, w->object, size ? size : 1,
					 &off);
	if (!name)
		return;
	w->object -= off;
	w->object_name = off ? cr_pass_name_global(h->ctx, w->object, 1, NULL)
			     : name;
	if (off)
		free(name);
}

/* Handles whose wait is a join: the thread or process waited for says
 * more (the words locks_windows.c gives such a lock). */
static const char *const join_handles[] = { "thread handle", "process handle" };

/* The lock THREAD waits for in the locks pass's graph, NULL none. */
static const struct cr_lock *graph_lock(const struct hang *h, size_t thread)
{
	const struct cr_lock_wait *lw =
		h->graph ? cr_lock_graph_wait_of(h->graph, thread) : NULL;
	return lw ? &h->graph->locks[lw->lock] : NULL;
}

/*
 * Whether THREAD's wait is explained by the locks pass's graph: the lock
 * was read and records its owner (the locks pass reports the deadlock, the
 * convoy, the owner gone or the starved writer; an SRW lock or a semaphore
 * records none, so its wait stays this pass's), or it is a wait on a
 * thread or process handle, a join.
 */
static bool owned_wait(const struct hang *h, size_t thread)
{
	const struct cr_lock *lk = graph_lock(h, thread);
	if (!lk)
		return false;
	for (size_t i = 0; lk->what && i < ARRAY_LEN(join_handles); i++)
		if (!strcmp(lk->what, join_handles[i]))
			return true;
	return lk->owner_known;
}

/* Whether the system call ST waits in has a timeout (its decoded
 * "timeout" argument: a timespec pointer that is not NULL, or a number of
 * milliseconds that is not negative). */
static bool timed(const struct cr_thread_state *st)
{
	for (unsigned i = 0; i < st->nargs; i++) {
		const struct cr_syscall_arg *arg = &st->args[i];
		if (strcmp(arg->name, "timeout"))
			continue;
		if (arg->kind == CR_ARG_TIMEOUT)
			return arg->value != 0;
		if (arg->kind == CR_ARG_TIMEOUT_MS)
			return (int64_t)arg->value >= 0;
	}
	return false;
}

/* The first pass over the threads: each one's verdict and wait object. */
static void classify(struct hang *h, size_t i)
{
	const struct cr_thread_analysis *ta = &h->a->threads[i];
	const struct cr_thread_state *st = &ta->st;
	struct wait *w = &h->w[i];
	const struct state_rule *r = state_rule_of(st);

	/* The thread that received a signal sent to take the dump (SIGQUIT
	 * from a hang detector) did not crash: its state says what it was
	 * doing. */
	if (!r || (ta->crashed && !h->a->crash.sent))
		return;		/* ACTIVE */
	w->verdict = r->verdict;
	w->why = r->why;
	if (w->verdict == IDLE || w->verdict == BLOCKED)
		return;
	if (owned_wait(h, i)) {
		/* Not a wait on what nobody owns: the locks pass's findings
		 * say who holds it, and a probable hang on top would say it
		 * twice. */
		w->verdict = BLOCKED;
		return;
	}
	w->runtime = runtime_wait_of(&ta->stack);
	if (w->runtime) {
		w->verdict = w->runtime->verdict;
		w->why = w->runtime->what;
		w->what = w->runtime->what;
	} else if (timed(st)) {
		/* It wakes by itself: a periodic worker, not a hang.  (A
		 * runtime's timed wait is a polling loop: the GIL's.) */
		w->verdict = BLOCKED;
		w->timed = true;
	}
	const struct cr_lock *lk = graph_lock(h, i);
	if (st->kind == CR_STATE_LOCK && !w->runtime &&
	    ((lk && cr_lock_kind_has_owner(lk->kind)) || !st->wait_object_what ||
	     strcmp(st->wait_object_what, "futex")))
		return;		/* a mutex or rwlock: the locks pass's */
	for (size_t k = 0; !w->what && k < ARRAY_LEN(object_kinds); k++)
		if (object_kinds[k].kind == st->kind)
			w->what = object_kinds[k].what;
	/* No object lives at 0: a futex argument of 0 is a damaged record. */
	w->object_known = st->wait_object_known && st->wait_object;
	w->object = w->object_known ? st->wait_object : 0;
	if (w->object_known) {
		uint64_t size = 0;
		for (size_t k = 0; k < ARRAY_LEN(object_kinds); k++)
			if (object_kinds[k].kind == st->kind)
				size = object_kinds[k].size;
		name_object(h, w, size);
	}
	const char *pool = w->verdict == STUCK ? pool_of(&ta->stack) : NULL;
	if (pool) {
		w->verdict = IDLE;
		w->why = pool;
	}
}

/* Ownerless waits of two threads in one group: same object (or both
 * unknown) of the same kind. */
static int wait_cmp(const struct hang *h, size_t x, size_t y)
{
	const struct wait *a = &h->w[x], *b = &h->w[y];
	int c = strcmp(a->what, b->what);

	if (c)
		return c;
	if (a->object_known != b->object_known)
		return a->object_known ? -1 : 1;
	if (a->object != b->object)
		return a->object < b->object ? -1 : 1;
	return 0;
}

static int group_order(const void *x, const void *y, void *arg)
{
	const struct hang *h = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = wait_cmp(h, i, j);

	if (!c)
		c = stack_cmp(&h->a->threads[i].stack, &h->a->threads[j].stack);
	return c ? c : (i < j ? -1 : i > j);
}

/*
 * Threads of the ownerless waits in ORDER[0..n), sorted by object then
 * stack; a run of HANG_POOL_MIN or more threads with one object and one
 * stack is a pool of identical workers waiting for work: idle.
 */
static void mark_pools(struct hang *h, const size_t *order, size_t n)
{
	for (size_t s = 0, e; s < n; s = e) {
		for (e = s + 1; e < n && !wait_cmp(h, order[s], order[e]) &&
				h->w[order[s]].object_known &&
				!stack_cmp(&h->a->threads[order[s]].stack,
					   &h->a->threads[order[e]].stack);
		     e++)
			;
		if (e - s < HANG_POOL_MIN)
			continue;
		for (size_t k = s; k < e; k++) {
			struct wait *w = &h->w[order[k]];
			if (w->verdict == STUCK) {
				w->verdict = IDLE;
				w->why = "identical workers waiting for work";
			}
		}
	}
}

static void thread_words(const struct cr_analysis *a, size_t i, char *buf,
			 size_t len)
{
	const struct cr_thread *t = a->threads[i].thread;
	snprintf(buf, len, "thread %" PRId64, t ? t->tid : (int64_t)i);
}

/* One finding for the threads ORDER[s..e) waiting on one object. */
static struct cr_error *wait_finding(struct hang *h, const size_t *order,
				     size_t s, size_t e)
{
	const struct wait *w = &h->w[order[s]];
	char who[64], obj[64] = "";
	bool idle = true, timed_all = true;

	for (size_t k = s; k < e; k++) {
		idle = idle && h->w[order[k]].verdict == IDLE;
		timed_all = timed_all && h->w[order[k]].timed;
	}
	if (e - s == 1)
		thread_words(h->a, order[s], who, sizeof who);
	else
		snprintf(who, sizeof who, "%zu threads", e - s);
	if (w->object_known)
		snprintf(obj, sizeof obj, " 0x%" PRIx64, w->object);
	struct cr_finding *f = cr_pass_finding(
		h->ctx, CR_FINDING_OWNERLESS_WAIT, CR_SEVERITY_INFO,
		"%s %s %s %s%s%s%s%s%s", who, e - s == 1 ? "waits" : "wait",
		w->runtime ? "for" : "on", w->what, obj,
		w->object_name ? " (" : "", w->object_name ? w->object_name : "",
		w->object_name ? ")" : "",
		idle ? ", idle by design"
		     : timed_all ? ", with a timeout" : ", which records no owner");
	if (!f)
		return NULL;
	f->thread = (ssize_t)order[s];
	bool ok = true;
	if (w->object_known)
		ok = cr_finding_address(f, "object", w->object, w->object_name);
	if (idle && w->why)
		ok = ok && cr_finding_text(f, "idle because", "%s", w->why);
	for (size_t k = s; ok && k < e && k - s < HANG_MAX_ROWS; k++)
		ok = cr_finding_thread(f, "waiting thread", order[k]);
	return ok ? NULL : &cr_enomem;
}

/* Add the ownerless-wait findings, grouped by object; mark the pools. */
static struct cr_error *report_waits(struct hang *h)
{
	size_t n = 0, nfind = 0, *order = malloc(h->a->nthreads * sizeof(*order));
	struct cr_error *err = NULL;

	if (!order)
		return h->a->nthreads ? &cr_enomem : NULL;
	for (size_t i = 0; i < h->a->nthreads; i++)
		if (h->w[i].what)
			order[n++] = i;
	qsort_r(order, n, sizeof(*order), group_order, h);
	mark_pools(h, order, n);
	for (size_t s = 0, e; !err && s < n; s = e) {
		for (e = s + 1; e < n && !wait_cmp(h, order[s], order[e]); e++)
			;
		if (nfind++ < HANG_MAX_WAIT_FINDINGS)
			err = wait_finding(h, order, s, e);
	}
	if (nfind > HANG_MAX_WAIT_FINDINGS)
		cr_pass_problem(h->ctx,
				&(struct cr_diag_at){ .severity = CR_SEVERITY_INFO },
				"%zu more groups of ownerless waits not listed",
				nfind - HANG_MAX_WAIT_FINDINGS);
	free(order);
	return err;
}

/* Stuck threads by their blocking stack: the frames from the top down to
 * the one to blame (the call that waits, seen from the program). */
static int blocking_order(const void *x, const void *y, void *arg)
{
	const struct hang *h = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = frames_cmp(&h->a->threads[i].stack, h->w[i].blocking,
			   &h->a->threads[j].stack, h->w[j].blocking);
	return c ? c : (i < j ? -1 : i > j);
}

/* The first thread of the most common blocking stack among the threads in
 * ORDER[0..n) (sorted here): the longest run, the earliest on ties. */
static size_t most_common(struct hang *h, size_t *order, size_t n,
			  size_t *count)
{
	size_t best = order[0];

	for (size_t k = 0; k < n; k++) {
		ssize_t c = cr_culprit_frame(&h->a->threads[order[k]].stack);
		h->w[order[k]].blocking =
			c >= 0 ? (size_t)c + 1
			       : h->a->threads[order[k]].stack.nframes;
	}
	qsort_r(order, n, sizeof(*order), blocking_order, h);
	*count = 0;
	for (size_t s = 0, e; s < n; s = e) {
		const struct cr_stack *first = &h->a->threads[order[s]].stack;
		for (e = s + 1;
		     e < n && !frames_cmp(first, h->w[order[s]].blocking,
					  &h->a->threads[order[e]].stack,
					  h->w[order[e]].blocking);
		     e++)
			;
		if (e - s > *count || (e - s == *count && order[s] < best)) {
			*count = e - s;
			best = order[s];
		}
	}
	return best;
}

/* The function a thread waits in, as a signature word: the runtime's,
 * else the state's function without glibc's leading underscores, else the
 * system call. */
static const char *wait_word(const struct wait *w,
			     const struct cr_thread_state *st, char *buf,
			     size_t size)
{
	const char *fn = w->runtime ? w->runtime->function
		       : st->function ? st->function : st->syscall_name;
	struct cr_function_key k;

	/* glibc's alias prefix ("__GI___lll_lock_wait") and clone suffix
	 * off as cr_function_is sees them, so that the signature does not
	 * change with the libc build. */
	cr_function_key(&k, fn);
	if (!k.n)
		return "a wait";
	fn = k.form[k.n - 1];
	size_t n = k.len[k.n - 1] ? k.len[k.n - 1] : strlen(fn);
	while (n > 1 && fn[0] == '_') {
		fn++;
		n--;
	}
	snprintf(buf, size, "%.*s", n > INT_MAX ? INT_MAX : (int)n, fn);
	return buf;
}

/* A row of the probable-hang table for thread I. */
static bool hang_row(struct hang *h, struct cr_table *t, size_t i)
{
	const struct cr_thread_state *st = &h->a->threads[i].st;
	const struct wait *w = &h->w[i];
	char who[64], obj[160] = "", word[128];

	thread_words(h->a, i, who, sizeof who);
	if (w->object_known || st->wait_object_known)
		snprintf(obj, sizeof obj, "0x%" PRIx64 "%s%s%s",
			 w->object_known ? w->object : st->wait_object,
			 w->object_name ? " (" : "",
			 w->object_name ? w->object_name : "",
			 w->object_name ? ")" : "");
	const char *cells[] = {
		who, w->what ? w->what : cr_thread_state_phrase(st), obj,
		wait_word(w, st, word, sizeof word) };
	return cr_table_row(t, cells);
}

/*
 * The most common blocking stack as evidence: the functions of its top
 * NSHOW frames (at most HANG_STACK_WORDS), innermost first.  Function
 * names only: a frame's source path is the stack table's to show.
 */
#define HANG_STACK_WORDS 8
static bool stack_text(struct cr_finding *f, const struct cr_stack *s,
		       size_t nshow, size_t count)
{
	char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	if (nshow > HANG_STACK_WORDS)
		nshow = HANG_STACK_WORDS;
	for (size_t i = 0; i < s->nframes && i < nshow; i++) {
		const char *fn = s->frames[i].function;
		int n = snprintf(buf + len, sizeof buf - len, "%s%s",
				 i ? " <- " : "", fn ? fn : "?");
		if (n < 0 || (size_t)n >= sizeof buf - len)
			break;
		len += (size_t)n;
	}
	return cr_finding_text(f, "most common blocking stack", "%s%s (%zu thread%s)",
			       buf, s->nframes > nshow ? " <- ..." : "",
			       count, count == 1 ? "" : "s");
}

/* The probable-hang finding, when every thread is blocked and some are
 * stuck (not idle) and the locks pass has not found a deadlock. */
static struct cr_error *report_hang(struct hang *h)
{
	struct cr_analysis *a = h->a;
	size_t nstuck = 0, *stuck;

	for (size_t i = 0; i < a->nthreads; i++) {
		if (h->w[i].verdict == ACTIVE)
			return NULL;
		nstuck += h->w[i].verdict == STUCK;
	}
	if (!nstuck || (h->graph && h->graph->ncycles))
		return NULL;
	stuck = malloc(nstuck * sizeof(*stuck));
	if (!stuck)
		return &cr_enomem;
	nstuck = 0;
	for (size_t i = 0; i < a->nthreads; i++)
		if (h->w[i].verdict == STUCK)
			stuck[nstuck++] = i;
	size_t count, lead = most_common(h, stuck, nstuck, &count);
	const struct cr_stack *s = &a->threads[lead].stack;
	const struct wait *lw = &h->w[lead];
	ssize_t caller = cr_culprit_frame(s);
	const char *in = caller >= 0 ? s->frames[caller].function : NULL;
	char fnbuf[128];
	const char *fn = wait_word(lw, &a->threads[lead].st, fnbuf,
				   sizeof fnbuf);
	const char *word = lw->runtime ? lw->runtime->short_name : fn;
	bool called = in && !lw->runtime && strcmp(in, fn);

	struct cr_finding *f = cr_pass_finding(
		h->ctx, CR_FINDING_PROBABLE_HANG, CR_SEVERITY_WARNING,
		"Probable deadlock or hang: all %zu threads are blocked and %zu "
		"wait%s on what no running thread will release, most often %s "
		"in %s%s%s (%zu thread%s)",
		a->nthreads, nstuck, nstuck == 1 ? "s" : "",
		lw->what ? lw->what : "a lock", fn,
		called ? " called from " : "", called ? in : "",
		count, count == 1 ? "" : "s");
	struct cr_error *err = &cr_enomem;
	if (!f) {
		err = NULL;
		goto out;
	}
	f->thread = (ssize_t)lead;
	if (!cr_finding_signature(f, "hang: %s%s%s", word,
				  called ? " in " : "", called ? in : ""))
		goto out;
	if (!cr_finding_thread(f, "blocked thread", lead) ||
	    !stack_text(f, s, lw->blocking, count))
		goto out;
	static const char *const headers[] = { "thread", "waits for", "object",
					       "in" };
	struct cr_table *t = cr_finding_table(f, "blocked threads", 4, headers);
	if (!t)
		goto out;
	/* The stuck threads first, then the rest, each in thread order. */
	size_t rows = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < a->nthreads && rows < HANG_MAX_ROWS; i++) {
			if ((h->w[i].verdict == STUCK) != (pass == 0))
				continue;
			if (!hang_row(h, t, i))
				goto out;
			rows++;
		}
	}
	if (a->nthreads > rows &&
	    !cr_finding_number(f, "blocked threads not listed",
			       (int64_t)(a->nthreads - rows), "threads"))
		goto out;
	err = NULL;
out:
	free(stuck);
	return err;
}

CR_PASS_RUN(run_hang)
{
	struct hang h = { .ctx = ctx, .a = ctx->analysis,
			  .graph = cr_lock_graph_of(ctx->analysis) };
	struct cr_error *err;

	if (!h.a->nthreads)
		return NULL;
	h.w = calloc(h.a->nthreads, sizeof(*h.w));
	if (!h.w)
		return &cr_enomem;
	for (size_t i = 0; i < h.a->nthreads; i++)
		classify(&h, i);
	err = report_waits(&h);
	if (!err)
		err = report_hang(&h);
	for (size_t i = 0; i < h.a->nthreads; i++)
		free(h.w[i].object_name);
	free(h.w);
	return err;
}
