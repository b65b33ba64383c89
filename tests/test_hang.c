/*
 * test_hang.c - unit tests of the hang pass (analyzer/passes/hang.c) on
 * hand-built analyses: thread states and stacks set as the state pass
 * would leave them, the wait-for graph kept as the locks pass would, then
 * the pass run through its context.  What they check is what a reader of
 * a hung process's report needs: the idle pool, the event loop and the
 * sleepers are quiet; the consumer nobody feeds, the Python lock waits and
 * the waits behind a running thread are told apart; a deadlock the locks
 * pass found is not said twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "locks.h"
#include "pass.h"
#include "test_asserts.h"
#include "passes.h"

#define MAX_THREADS 8
#define MAX_FRAMES 4
#define QUEUE_CV 0x601040ull
#define POOL_CV 0x601080ull

static struct fixture {
	struct cr_dump d;
	struct cr_thread threads[MAX_THREADS];
	struct cr_thread_analysis ta[MAX_THREADS];
	struct cr_frame frames[MAX_THREADS][MAX_FRAMES];
	struct cr_analysis a;
} fx;

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.d.process.os = CR_OS_LINUX;
	fx.d.process.arch = CR_ARCH_X86_64;
	fx.d.process.pointer_size = 8;
	fx.d.threads = fx.threads;
	fx.a.dump = &fx.d;
	fx.a.threads = fx.ta;
	fx.a.focus_thread = -1;
	fx.a.crash.thread = -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cr_findings_free(&fx.a.findings);
	cr_pass_kept_free(&fx.a);
	return 0;
}

/*
 * Add a thread in state KIND (SYSCALL: the system call's name, FUNCTION:
 * the state's function, OBJECT: the wait object, 0 none) whose stack is
 * the functions in FNS, innermost first, NULL-terminated.
 */
static size_t add_thread(enum cr_state_kind kind, const char *syscall,
			 const char *function, uint64_t object,
			 const char *const *fns)
{
	size_t i = fx.a.nthreads++;
	size_t n = 0;

	assert_true(i < MAX_THREADS);
	fx.d.nthreads = fx.a.nthreads;
	fx.threads[i].tid = 100 + (int64_t)i;
	fx.ta[i].thread = &fx.threads[i];
	while (fns[n]) {
		assert_true(n < MAX_FRAMES);
		/* glibc's functions (leading "_") are in libc, so that the
		 * frame to blame is the program's. */
		fx.frames[i][n] = (struct cr_frame){
			.pc = 0x1000 * (n + 1),
			.module = fns[n][0] == '_' ? "libc.so.6" : "prog",
			.function = fns[n] };
		n++;
	}
	fx.ta[i].stack = (struct cr_stack){ .frames = fx.frames[i],
					    .nframes = n, .unwound = true };
	fx.ta[i].st = (struct cr_thread_state){
		.kind = kind, .function = function, .syscall_known = !!syscall,
		.syscall_nr = syscall ? 202 : -1, .syscall_name = syscall,
		.wait_object_known = object != 0, .wait_object = object,
		.wait_object_what = object ? "futex" : NULL };
	return i;
}

static const char *const consumer_stack[] = {
	"__futex_abstimed_wait_common", "___pthread_cond_wait", "consume",
	NULL };
static const char *const pool_stack[] = {
	"__futex_abstimed_wait_common", "___pthread_cond_wait", "take_task",
	NULL };
static const char *const join_stack[] = {
	"__futex_abstimed_wait_common", "__pthread_clockjoin_ex", "main", NULL };

static size_t add_main_joining(void)
{
	return add_thread(CR_STATE_EVENT, "futex", "__pthread_clockjoin_ex",
			  0x7f0000000990ull, join_stack);
}

static size_t add_consumer(uint64_t cv)
{
	return add_thread(CR_STATE_CONDVAR, "futex", "___pthread_cond_wait",
			  cv, consumer_stack);
}


static void run_hang(void)
{
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, test_pass("hang"), &fx.a, NULL, NULL);
	assert_null(ctx.pass->run(&ctx));
}

static const struct cr_finding *finding(const char *id, size_t nth)
{
	for (size_t i = 0; i < fx.a.findings.n; i++) {
		const struct cr_finding *f = &fx.a.findings.items[i];
		if (!strcmp(cr_finding_info(f->id)->id, id) && nth-- == 0)
			return f;
	}
	return NULL;
}

static size_t loud_findings(void)
{
	size_t n = 0;
	for (size_t i = 0; i < fx.a.findings.n; i++)
		n += fx.a.findings.items[i].severity != CR_SEVERITY_INFO;
	return n;
}

static const struct cr_table *table_of(const struct cr_finding *f)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == CR_EVIDENCE_TABLE)
			return &f->evidence[i].u.table;
	return NULL;
}

/* An idle pool (three identical workers on one condition variable) and
 * main joining: information only, and the wait is called idle. */
static void test_idle_pool_is_quiet(void **state)
{
	(void)state;
	add_main_joining();
	for (int i = 0; i < 3; i++)
		add_thread(CR_STATE_CONDVAR, "futex", "___pthread_cond_wait",
			   POOL_CV + 40, pool_stack);
	run_hang();
	assert_int_equal(loud_findings(), 0);
	const struct cr_finding *w = finding("ownerless-wait", 0);
	assert_non_null(w);
	assert_non_null(strstr(w->title, "3 threads wait on a condition variable"));
	assert_non_null(strstr(w->title, "idle by design"));
	assert_null(finding("probable-hang", 0));
}

/* Two workers are not yet a pool: two consumers of a queue nobody fills
 * and main joining them is a hang. */
static void test_two_consumers_hang(void **state)
{
	(void)state;
	add_main_joining();
	add_consumer(QUEUE_CV + 40);
	add_consumer(QUEUE_CV + 40);
	run_hang();
	const struct cr_finding *h = finding("probable-hang", 0);
	assert_non_null(h);
	assert_int_equal(h->severity, CR_SEVERITY_WARNING);
	assert_int_equal(h->thread, 1);
}

/* The planted hang: the consumer leads the finding, by name and thread,
 * with a signature of function names only. */
static void test_consumer_hang(void **state)
{
	(void)state;
	add_main_joining();
	size_t c = add_consumer(QUEUE_CV + 40);
	run_hang();
	const struct cr_finding *h = finding("probable-hang", 0);
	assert_non_null(h);
	assert_int_equal(h->thread, (ssize_t)c);
	assert_string_equal(h->signature, "hang: pthread_cond_wait in consume");
	assert_non_null(strstr(h->title, "all 2 threads are blocked"));
	assert_non_null(strstr(h->title, "pthread_cond_wait called from consume"));
	const struct cr_table *t = table_of(h);
	assert_non_null(t);
	assert_int_equal(t->nrows, 2);
	assert_string_equal(t->cells[0], "thread 101");	/* the stuck first */
	assert_string_equal(t->cells[1], "a condition variable");
	assert_string_equal(t->cells[2], "0x601068");
	assert_string_equal(t->cells[4], "thread 100");
	assert_int_equal(loud_findings(), 1);
}

/* The most common blocking stack is the wait seen from the program
 * (down to the frame to blame), not the whole stack: three consumers
 * called from different places are one blocking stack. */
static void test_blocking_stack_grouped(void **state)
{
	(void)state;
	static const char *const via_a[] = { "__futex_abstimed_wait_common",
		"___pthread_cond_wait", "consume", "path_a", NULL };
	static const char *const via_b[] = { "__futex_abstimed_wait_common",
		"___pthread_cond_wait", "consume", "path_b", NULL };
	static const char *const other[] = { "__futex_abstimed_wait_common",
		"___pthread_cond_wait", "drain", "path_a", NULL };
	add_main_joining();
	add_thread(CR_STATE_CONDVAR, "futex", "___pthread_cond_wait",
		   POOL_CV + 40, other);
	size_t first = add_thread(CR_STATE_CONDVAR, "futex",
				  "___pthread_cond_wait", QUEUE_CV + 40, via_a);
	add_thread(CR_STATE_CONDVAR, "futex", "___pthread_cond_wait",
		   QUEUE_CV + 40, via_b);
	run_hang();
	const struct cr_finding *h = finding("probable-hang", 0);
	assert_non_null(h);
	assert_int_equal(h->thread, (ssize_t)first);
	assert_non_null(strstr(h->title, "called from consume (2 threads)"));
}

/* A thread running user code may yet signal: no hang. */
static void test_running_thread_no_hang(void **state)
{
	(void)state;
	static const char *const busy[] = { "compute", "main", NULL };
	add_thread(CR_STATE_RUNNING, NULL, NULL, 0, busy);
	add_consumer(QUEUE_CV + 40);
	run_hang();
	assert_null(finding("probable-hang", 0));
	assert_non_null(finding("ownerless-wait", 0));
}

/* The thread that received the SIGQUIT which took the dump did not
 * crash: its wait counts.  A thread that crashed is not blocked. */
static void test_received_signal_counts(void **state)
{
	(void)state;
	size_t m = add_main_joining();
	add_consumer(QUEUE_CV + 40);
	fx.ta[m].crashed = true;
	fx.a.crash.sent = true;
	fx.a.crash.thread = (ssize_t)m;
	run_hang();
	assert_non_null(finding("probable-hang", 0));
	teardown(NULL);
	setup(NULL);
	m = add_main_joining();
	add_consumer(QUEUE_CV + 40);
	fx.ta[m].crashed = true;
	fx.a.crash.thread = (ssize_t)m;
	run_hang();
	assert_null(finding("probable-hang", 0));
}

/* A wait with a timeout wakes by itself: a periodic worker, no hang. */
static void test_timed_wait_no_hang(void **state)
{
	(void)state;
	add_main_joining();
	size_t c = add_consumer(QUEUE_CV + 40);
	fx.ta[c].st.args[0] = (struct cr_syscall_arg){ "timeout", CR_ARG_TIMEOUT,
							0x7ffc00001000ull };
	fx.ta[c].st.nargs = 1;
	run_hang();
	assert_null(finding("probable-hang", 0));
	const struct cr_finding *w = finding("ownerless-wait", 0);
	assert_non_null(w);
	assert_non_null(strstr(w->title, "with a timeout"));
	fx.ta[c].st.args[0].value = 0;	/* NULL: no timeout */
	cr_findings_free(&fx.a.findings);
	memset(&fx.a.findings, 0, sizeof(fx.a.findings));
	run_hang();
	assert_non_null(finding("probable-hang", 0));
}

/* Sleepers, an event loop and a server in accept(): at rest. */
static void test_sleep_and_event_loop_quiet(void **state)
{
	(void)state;
	static const char *const loop[] = { "epoll_wait", "server_loop", NULL };
	static const char *const acc[] = { "accept", "acceptor", NULL };
	static const char *const nap[] = { "clock_nanosleep", "nap", NULL };
	add_thread(CR_STATE_IO, "epoll_wait", NULL, 0, loop);
	add_thread(CR_STATE_IO, "accept", NULL, 0, acc);
	add_thread(CR_STATE_SLEEPING, "clock_nanosleep", NULL, 0, nap);
	run_hang();
	assert_int_equal(fx.a.findings.n, 0);
}

/* Python's threading.Lock is a semaphore under
 * PyThread_acquire_lock_timed: named as a Python lock. */
static void test_python_locks(void **state)
{
	(void)state;
	static const char *const py[] = {
		"__futex_abstimed_wait_common", "__new_sem_wait_slow64.constprop.0",
		"PyThread_acquire_lock_timed", NULL };
	add_thread(CR_STATE_SEMAPHORE, "futex", "__new_sem_wait_slow64.constprop.0",
		   0x1000b70, py);
	add_thread(CR_STATE_SEMAPHORE, "futex", "__new_sem_wait_slow64.constprop.0",
		   0x2000f40, py);
	run_hang();
	const struct cr_finding *h = finding("probable-hang", 0);
	assert_non_null(h);
	assert_string_equal(h->signature, "hang: Python lock acquire");
	assert_non_null(strstr(h->title, "a Python lock (threading.Lock acquire)"));
	const struct cr_table *t = table_of(h);
	assert_non_null(t);
	assert_int_equal(t->nrows, 2);
	for (size_t r = 0; r < 2; r++) {
		assert_string_equal(t->cells[r * 4 + 1],
				    "a Python lock (threading.Lock acquire)");
		assert_string_equal(t->cells[r * 4 + 3],
				    "PyThread_acquire_lock_timed");
	}
	const struct cr_finding *w = finding("ownerless-wait", 1);
	assert_non_null(w);
	assert_non_null(strstr(w->title, "waits for a Python lock"));
}

/* Go's scheduler threads parked in futexsleep are idle (the Go runtime
 * reports goroutine deadlocks itself); a JVM thread parked by
 * LockSupport.park is named as such and counts. */
static void test_go_idle_jvm_park(void **state)
{
	(void)state;
	static const char *const go[] = { "runtime.futex", "runtime.futexsleep",
					  "runtime.notesleep", NULL };
	static const char *const jvm[] = { "__futex_abstimed_wait_common",
					   "___pthread_cond_wait",
					   "Parker::park", "Unsafe_Park", NULL };
	add_thread(CR_STATE_LOCK, "futex", NULL, 0xc000010000ull, go);
	run_hang();
	assert_int_equal(loud_findings(), 0);
	const struct cr_finding *w = finding("ownerless-wait", 0);
	assert_non_null(w);
	assert_non_null(strstr(w->title, "the Go scheduler"));
	assert_non_null(strstr(w->title, "idle by design"));
	teardown(NULL);
	setup(NULL);
	add_thread(CR_STATE_LOCK, "futex", NULL, 0xc000010000ull, go);
	add_thread(CR_STATE_CONDVAR, "futex", "___pthread_cond_wait",
		   0x7f0000001000ull, jvm);
	run_hang();
	const struct cr_finding *h = finding("probable-hang", 0);
	assert_non_null(h);
	assert_int_equal(h->thread, 1);
	assert_string_equal(h->signature, "hang: JVM park");
	assert_non_null(strstr(h->title, "a JVM park"));
}

/* Two threads, X and Y, each holding the mutex the other waits for
 * (0x601028 held by X, 0x601000 by Y), and their graph. */
static struct cr_lock_graph *crosswise(void)
{
	static const char *const lk[] = { "__lll_lock_wait", "pthread_mutex_lock",
					  "take_second", NULL };
	size_t x = add_thread(CR_STATE_LOCK, "futex", "pthread_mutex_lock",
			      0x601000, lk);
	size_t y = add_thread(CR_STATE_LOCK, "futex", "pthread_mutex_lock",
			      0x601028, lk);
	struct cr_lock_graph *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	assert_true(cr_lock_graph_init(g, &fx.a));
	ssize_t la = cr_lock_graph_lock(g, 0x601000, false, CR_LOCK_MUTEX);
	ssize_t lb = cr_lock_graph_lock(g, 0x601028, false, CR_LOCK_MUTEX);
	assert_true(la >= 0 && lb >= 0);
	cr_lock_graph_owner(g, &fx.a, (size_t)la, fx.threads[y].tid);
	cr_lock_graph_owner(g, &fx.a, (size_t)lb, fx.threads[x].tid);
	assert_true(cr_lock_graph_wait(g, x, (size_t)la, CR_WAIT_EXCLUSIVE,
				       "pthread_mutex_lock", 1));
	assert_true(cr_lock_graph_wait(g, y, (size_t)lb, CR_WAIT_EXCLUSIVE,
				       "pthread_mutex_lock", 1));
	return g;
}

/* Two mutexes held crosswise: the locks pass said deadlock; no hang. */
static void test_deadlock_not_said_twice(void **state)
{
	(void)state;
	struct cr_lock_graph *g = crosswise();
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, test_pass("locks"), &fx.a, NULL, NULL);
	assert_true(cr_pass_keep(&ctx, g, cr_lock_graph_destroy));
	run_hang();
	assert_null(finding("probable-hang", 0));
	assert_null(finding("ownerless-wait", 0));	/* mutexes have owners */
}

/* A deadlock beside a thread stuck on a condition variable: every thread
 * waits and one on what nobody will release, but the locks pass's
 * deadlock already says why (the graph's ncycles); no probable hang. */
static void test_deadlock_beside_stuck_wait(void **state)
{
	(void)state;
	add_consumer(QUEUE_CV + 40);
	struct cr_lock_graph *g = crosswise();
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, test_pass("locks"), &fx.a, NULL, NULL);
	assert_null(cr_locks_analyze(&ctx, g));
	assert_int_equal(g->ncycles, 1);
	assert_true(cr_pass_keep(&ctx, g, cr_lock_graph_destroy));
	run_hang();
	assert_non_null(finding("deadlock", 0));
	assert_null(finding("probable-hang", 0));
}

/* A graph kept as the locks pass would keep it, for the threads added so
 * far. */
static struct cr_lock_graph *keep_graph(void)
{
	struct cr_lock_graph *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	assert_true(cr_lock_graph_init(g, &fx.a));
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, test_pass("locks"), &fx.a, NULL, NULL);
	assert_true(cr_pass_keep(&ctx, g, cr_lock_graph_destroy));
	return g;
}

/* A convoy behind an owner blocked in read(): the locks pass reports it
 * (lock-convoy); the waiters behind a lock whose owner is recorded are no
 * probable hang on top.  A lock that records no owner (an SRW lock) stays
 * a hang. */
static void test_owned_waits_not_a_hang(void **state)
{
	(void)state;
	static const char *const rd[] = { "__GI___libc_read", "refill", NULL };
	static const char *const lk[] = { "__GI___lll_lock_wait", "enqueue",
					  NULL };
	size_t o = add_thread(CR_STATE_IO, "read", "__GI___libc_read", 0, rd);
	size_t x = add_thread(CR_STATE_LOCK, "futex", "__GI___lll_lock_wait",
			      0x601000, lk);
	size_t y = add_thread(CR_STATE_LOCK, "futex", "__GI___lll_lock_wait",
			      0x601000, lk);
	struct cr_lock_graph *g = keep_graph();
	ssize_t l = cr_lock_graph_lock(g, 0x601000, false, CR_LOCK_MUTEX);
	assert_true(l >= 0);
	cr_lock_graph_owner(g, &fx.a, (size_t)l, fx.threads[o].tid);
	assert_true(cr_lock_graph_wait(g, x, (size_t)l, CR_WAIT_EXCLUSIVE,
				       "pthread_mutex_lock", 1));
	assert_true(cr_lock_graph_wait(g, y, (size_t)l, CR_WAIT_EXCLUSIVE,
				       "pthread_mutex_lock", 1));
	run_hang();
	assert_null(finding("probable-hang", 0));
	assert_int_equal(loud_findings(), 0);

	/* The same waits on a lock that records no owner. */
	g->locks[l].owner_known = false;
	g->locks[l].owner = CR_LOCK_NO_THREAD;
	g->locks[l].kind = CR_LOCK_SRWLOCK;
	run_hang();
	assert_non_null(finding("probable-hang", 0));
}

/* The signature names the wait without glibc's alias prefix: the same
 * hang on another libc build groups with this one. */
static void test_signature_without_alias_prefix(void **state)
{
	(void)state;
	static const char *const lk[] = { "__GI___lll_lock_wait", "enqueue",
					  NULL };
	add_main_joining();
	add_thread(CR_STATE_LOCK, "futex", "__GI___lll_lock_wait", 0x601000,
		   lk);
	run_hang();
	const struct cr_finding *h = finding("probable-hang", 0);
	assert_non_null(h);
	assert_string_equal(h->signature, "hang: lll_lock_wait in enqueue");
}

/* A Windows service whose main thread waits on its worker's thread handle
 * while the worker reads: a join, no hang.  On an event, a hang. */
static void test_wait_on_thread_handle_is_join(void **state)
{
	(void)state;
	static const char *const wt[] = { "NtWaitForSingleObject",
					  "WaitForSingleObject", "main", NULL };
	static const char *const rd[] = { "NtReadFile", "ReadFile", "serve",
					  NULL };
	fx.d.process.os = CR_OS_WINDOWS;
	size_t m = add_thread(CR_STATE_EVENT, NULL, "NtWaitForSingleObject", 0,
			      wt);
	add_thread(CR_STATE_IO, NULL, "NtReadFile", 0, rd);
	struct cr_lock_graph *g = keep_graph();
	ssize_t l = cr_lock_graph_lock(g, 0x1a4, true, CR_LOCK_EVENT);
	assert_true(l >= 0);
	g->locks[l].what = "thread handle";
	assert_true(cr_lock_graph_wait(g, m, (size_t)l, CR_WAIT_EXCLUSIVE,
				       "WaitForSingleObject", 1));
	run_hang();
	assert_null(finding("probable-hang", 0));
	g->locks[l].what = NULL;	/* an event */
	run_hang();
	assert_non_null(finding("probable-hang", 0));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_idle_pool_is_quiet),
		T(test_two_consumers_hang),
		T(test_consumer_hang),
		T(test_blocking_stack_grouped),
		T(test_running_thread_no_hang),
		T(test_received_signal_counts),
		T(test_timed_wait_no_hang),
		T(test_sleep_and_event_loop_quiet),
		T(test_python_locks),
		T(test_go_idle_jvm_park),
		T(test_deadlock_not_said_twice),
		T(test_deadlock_beside_stuck_wait),
		T(test_owned_waits_not_a_hang),
		T(test_signature_without_alias_prefix),
		T(test_wait_on_thread_handle_is_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
