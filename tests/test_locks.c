/*
 * test_locks.c - unit tests of the locks pass: the analysis of the
 * wait-for graph (analyzer/passes/locks.c) on graphs built by hand, and
 * the Linux discovery (locks_linux.c) on glibc mutexes and rwlocks planted
 * in a synthetic dump's memory.
 *
 * The fixture is an x86_64 Linux process of N threads (tids 1000 + i),
 * each with a stack pthread_mutex_lock <- worker_I, and one data segment
 * where the discovery tests plant locks.  The analysis runs through the
 * pass's context, as the pipeline runs it.  The hostile cases (100,000
 * waiters behind one lock that its owner waits for itself; a chain of
 * 100,000; 100,000 locks) must finish in linear time: they print their
 * times and fail past a bound far above what linear time takes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "test_asserts.h"

#include "locks.h"
#include "pass.h"
#include "passes.h"

#define DATA 0x601000ull
#define DATA_SIZE 0x1000
#define TID0 1000

static struct fixture {
	struct cr_dump d;
	struct cr_thread *threads;
	struct cr_thread_analysis *ta;
	struct cr_frame (*frames)[3];
	char (*fnames)[32];	/* "worker_" and any size_t */
	struct cr_memseg seg;
	uint8_t data[DATA_SIZE];
	struct cr_analysis a;
	struct cr_lock_graph g;
	struct cr_pass_ctx ctx;
} fx;

static void fixture(size_t n)
{
	memset(&fx, 0, sizeof(fx));
	fx.d.process.pid = TID0;
	fx.d.process.os = CR_OS_LINUX;
	fx.d.process.arch = CR_ARCH_X86_64;
	fx.d.process.pointer_size = 8;
	fx.d.event.tid = -1;
	fx.seg = (struct cr_memseg){ DATA, DATA_SIZE, fx.data };
	fx.d.segs = &fx.seg;
	fx.d.nsegs = 1;
	fx.threads = calloc(n, sizeof(*fx.threads));
	fx.ta = calloc(n, sizeof(*fx.ta));
	fx.frames = calloc(n, sizeof(*fx.frames));
	fx.fnames = calloc(n, sizeof(*fx.fnames));
	assert_true(fx.threads && fx.ta && fx.frames && fx.fnames);
	fx.d.threads = fx.threads;
	fx.d.nthreads = n;
	for (size_t i = 0; i < n; i++) {
		fx.threads[i].tid = TID0 + (int64_t)i;
		snprintf(fx.fnames[i], sizeof(fx.fnames[i]), "worker_%zu", i);
		fx.frames[i][0] = (struct cr_frame){ .pc = 0x7f0000000100,
			.module = "libc.so.6", .function = "__lll_lock_wait" };
		fx.frames[i][1] = (struct cr_frame){ .pc = 0x7f0000000200,
			.module = "libc.so.6", .function = "___pthread_mutex_lock" };
		fx.frames[i][2] = (struct cr_frame){ .pc = 0x400100 + i,
			.module = "prog", .function = fx.fnames[i],
			.file = "/src/prog.c", .line = 10 };
		fx.ta[i].thread = &fx.threads[i];
		fx.ta[i].stack = (struct cr_stack){ .frames = fx.frames[i],
						    .nframes = 3, .unwound = true };
		fx.ta[i].st.kind = CR_STATE_SLEEPING;
	}
	fx.a.dump = &fx.d;
	fx.a.threads = fx.ta;
	fx.a.nthreads = n;
	fx.a.focus_thread = -1;
	const struct cr_pass *p = test_pass("locks");
	cr_pass_ctx_init(&fx.ctx, p, &fx.a, NULL, NULL);
	assert_true(cr_lock_graph_init(&fx.g, &fx.a));
}

static int teardown(void **state)
{
	(void)state;
	cr_lock_graph_free(&fx.g);
	cr_findings_free(&fx.a.findings);
	cr_problems_free(&fx.a.problems);
	free(fx.threads);
	free(fx.ta);
	free(fx.frames);
	free(fx.fnames);
	return 0;
}

/* --- graphs by hand ------------------------------------------------------ */

static size_t lock(uint64_t addr, const char *name)
{
	ssize_t l = cr_lock_graph_lock(&fx.g, addr, false, CR_LOCK_MUTEX);
	assert_true(l >= 0);
	if (name)
		fx.g.locks[l].name = strdup(name);
	return (size_t)l;
}

static void own(size_t l, int64_t tid)
{
	cr_lock_graph_owner(&fx.g, &fx.a, l, tid);
}

static void wait_for(size_t t, size_t l)
{
	fx.ta[t].st.kind = CR_STATE_LOCK;
	assert_true(cr_lock_graph_wait(&fx.g, t, l, CR_WAIT_EXCLUSIVE,
				       "pthread_mutex_lock", 1));
}

static void analyze(void)
{
	assert_null(cr_locks_analyze(&fx.ctx, &fx.g));
}

static size_t count(enum cr_finding_id id)
{
	size_t n = 0;
	for (size_t i = 0; i < fx.a.findings.n; i++)
		n += fx.a.findings.items[i].id == id;
	return n;
}

static const struct cr_finding *only(enum cr_finding_id id)
{
	assert_int_equal(count(id), 1);
	for (size_t i = 0; i < fx.a.findings.n; i++)
		if (fx.a.findings.items[i].id == id)
			return &fx.a.findings.items[i];
	return NULL;
}

/* The addresses of F's evidence labelled LABEL, in order, into OUT. */
static size_t addresses(const struct cr_finding *f, const char *label,
			uint64_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == CR_EVIDENCE_ADDRESS &&
		    !strcmp(f->evidence[i].label, label) && n < max)
			out[n++] = f->evidence[i].u.address.value;
	return n;
}

/* Whether F names thread T in a thread or frame evidence. */
static bool names_thread(const struct cr_finding *f, size_t t)
{
	for (size_t i = 0; i < f->nevidence; i++) {
		const struct cr_evidence *e = &f->evidence[i];
		if ((e->kind == CR_EVIDENCE_THREAD && e->u.thread == t) ||
		    (e->kind == CR_EVIDENCE_FRAME && e->u.frame.thread == t))
			return true;
	}
	return false;
}

static const struct cr_table *table(const struct cr_finding *f)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == CR_EVIDENCE_TABLE)
			return &f->evidence[i].u.table;
	fail_msg("finding %s has no table", f->title);
	return NULL;
}

static void test_cycle_of_two(void **state)
{
	(void)state;
	fixture(3);
	size_t a = lock(DATA + 0x40, "mutex_a in prog");
	size_t b = lock(DATA + 0x80, "mutex_b in prog");
	own(a, TID0 + 1);
	own(b, TID0 + 2);
	wait_for(1, b);
	wait_for(2, a);
	analyze();
	const struct cr_finding *f = only(CR_FINDING_DEADLOCK);
	assert_int_equal(f->severity, CR_SEVERITY_ERROR);
	assert_int_equal(f->thread, 1);
	assert_contains(f->title, "thread 1001 waits for mutex 0x601080 (mutex_b in prog) held by thread 1002");
	assert_contains(f->title, "mutex 0x601040 (mutex_a in prog) held by the first");
	assert_string_equal(f->signature, "deadlock: mutex_a / mutex_b");
	uint64_t ad[4];
	assert_int_equal(addresses(f, "waits for", ad, 4), 2);
	assert_int_equal(ad[0], DATA + 0x80);
	assert_int_equal(ad[1], DATA + 0x40);
	assert_true(names_thread(f, 1) && names_thread(f, 2));
	assert_false(names_thread(f, 0));
	/* the frame named is the program's, the caller of the lock */
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == CR_EVIDENCE_FRAME)
			assert_int_equal(f->evidence[i].u.frame.frame, 2);
	const struct cr_table *t = table(f);
	assert_int_equal(t->nrows, 2);
	assert_string_equal(t->cells[0], "thread 1001");
	assert_contains(t->cells[1], "mutex_a");	/* holds */
	assert_contains(t->cells[2], "mutex_b");	/* waits for */
	assert_int_equal(count(CR_FINDING_LOCK_CONVOY), 0);
}

static void test_cycle_of_three_with_one_behind(void **state)
{
	(void)state;
	fixture(5);
	size_t l[3];
	for (size_t i = 0; i < 3; i++) {
		l[i] = lock(DATA + 0x40 * (i + 1), NULL);
		own(l[i], TID0 + 1 + (int64_t)i);
	}
	wait_for(1, l[1]);
	wait_for(2, l[2]);
	wait_for(3, l[0]);
	wait_for(4, l[0]);	/* queued behind the deadlock */
	analyze();
	const struct cr_finding *f = only(CR_FINDING_DEADLOCK);
	assert_contains(f->title, "Deadlock of 3 threads");
	assert_contains(f->title, "1 more thread waits behind it");
	for (size_t t = 1; t <= 3; t++)
		assert_true(names_thread(f, t));
	assert_false(names_thread(f, 4));
	/* no symbols: the functions that wait name the locks */
	assert_string_equal(f->signature,
			    "deadlock: worker_1 / worker_2 / worker_3");
	assert_int_equal(table(f)->nrows, 3);
	assert_int_equal(count(CR_FINDING_LOCK_CONVOY), 0);
}

static void test_self_deadlock(void **state)
{
	(void)state;
	fixture(2);
	size_t l = lock(DATA + 0x40, "cache_lock in libfoo.so");
	own(l, TID0 + 1);
	wait_for(1, l);
	analyze();
	const struct cr_finding *f = only(CR_FINDING_DEADLOCK);
	assert_contains(f->title, "Self-deadlock: thread 1001 waits for mutex "
				  "0x601040 (cache_lock in libfoo.so), which it "
				  "holds itself");
	assert_string_equal(f->signature, "deadlock: cache_lock");
}

static void test_chain(void **state)
{
	(void)state;
	fixture(4);
	size_t l1 = lock(DATA + 0x40, NULL), l2 = lock(DATA + 0x80, "outer in prog");
	own(l1, TID0 + 2);
	own(l2, TID0 + 3);
	wait_for(1, l1);	/* 1 -> 2 -> 3, and 3 reads */
	wait_for(2, l2);
	fx.ta[3].st = (struct cr_thread_state){ .kind = CR_STATE_IO,
						.activity = "blocked reading" };
	analyze();
	const struct cr_finding *f = only(CR_FINDING_LOCK_CONVOY);
	assert_int_equal(f->severity, CR_SEVERITY_WARNING);
	assert_int_equal(f->thread, 3);
	assert_contains(f->title, "2 threads wait for mutex 0x601080 (outer in prog) "
				  "held by thread 1003, which is blocked reading");
	assert_contains(f->title, "(1 of them for other locks that lead to it)");
	const struct cr_table *t = table(f);
	assert_int_equal(t->nrows, 2);
	assert_string_equal(t->cells[0], "thread 1001");
	assert_string_equal(t->cells[3], "thread 1002");
	assert_contains(t->cells[4], "0x601040");	/* 1002 holds l1 */
	assert_string_equal(f->signature, "lock-convoy: outer");
	assert_int_equal(count(CR_FINDING_DEADLOCK), 0);
}

static void test_convoy_of_eight(void **state)
{
	(void)state;
	fixture(10);
	size_t l = lock(DATA + 0x40, "queue_lock in convoy");
	own(l, TID0);
	fx.ta[0].st = (struct cr_thread_state){ .kind = CR_STATE_IO,
						.activity = "blocked reading" };
	for (size_t t = 1; t <= 8; t++)
		wait_for(t, l);
	analyze();
	const struct cr_finding *f = only(CR_FINDING_LOCK_CONVOY);
	assert_int_equal(f->severity, CR_SEVERITY_ERROR);
	assert_int_equal(f->thread, 0);
	assert_contains(f->title, "8 threads wait for mutex 0x601040 (queue_lock in "
				  "convoy) held by thread 1000, which is blocked reading");
	assert_int_equal(table(f)->nrows, 8);
	assert_true(names_thread(f, 0));
	/* seven queued: a warning; one: information */
	teardown(NULL);
	fixture(9);
	l = lock(DATA + 0x40, NULL);
	own(l, TID0);
	for (size_t t = 1; t <= 7; t++)
		wait_for(t, l);
	analyze();
	assert_int_equal(only(CR_FINDING_LOCK_CONVOY)->severity, CR_SEVERITY_WARNING);
	teardown(NULL);
	fixture(2);
	l = lock(DATA + 0x40, NULL);
	own(l, TID0);
	wait_for(1, l);
	analyze();
	f = only(CR_FINDING_LOCK_CONVOY);
	assert_int_equal(f->severity, CR_SEVERITY_INFO);
	assert_contains(f->title, "thread 1001 waits for mutex 0x601040 held by thread 1000, which is sleeping");
}

static void test_owner_gone(void **state)
{
	(void)state;
	fixture(4);
	size_t l = lock(DATA + 0x40, "state_lock in prog");
	own(l, 4711);
	fx.g.locks[l].owner_died = true;
	size_t l2 = lock(DATA + 0x80, NULL);
	own(l2, TID0 + 1);
	wait_for(1, l);
	wait_for(2, l);
	wait_for(3, l2);	/* behind thread 1, which waits for the gone owner */
	analyze();
	const struct cr_finding *f = only(CR_FINDING_LOCK_OWNER_GONE);
	assert_int_equal(f->severity, CR_SEVERITY_ERROR);
	assert_contains(f->title, "Thread 4711 owns mutex 0x601040 (state_lock in prog) "
				  "but is not in the dump: it exited or died holding it");
	assert_contains(f->title, "FUTEX_OWNER_DIED");
	assert_contains(f->title, "3 threads wait for it");
	assert_true(names_thread(f, 1) && names_thread(f, 2));
	assert_string_equal(f->signature, "lock-owner-gone: state_lock");
	/* thread 1 heads no convoy of its own: its wait is the lost owner's */
	assert_int_equal(count(CR_FINDING_LOCK_CONVOY), 0);
	assert_int_equal(count(CR_FINDING_DEADLOCK), 0);
}

static void test_free_and_ownerless_conclude_nothing(void **state)
{
	(void)state;
	fixture(4);
	size_t free_lock = lock(DATA + 0x40, NULL);
	own(free_lock, 0);
	size_t unknown = lock(DATA + 0x80, NULL);	/* owner not read */
	ssize_t sem = cr_lock_graph_lock(&fx.g, DATA + 0xc0, false,
					 CR_LOCK_SEMAPHORE);
	assert_true(sem >= 0);
	wait_for(1, free_lock);
	wait_for(2, unknown);
	wait_for(3, (size_t)sem);
	analyze();
	assert_int_equal(fx.a.findings.n, 0);
}

/* CPU time, not wall time: the machine running the tests may be busy. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define HOSTILE_THREADS 100000
/* Linear work on 100,000 threads takes under a second of CPU (a few under
 * a sanitizer); quadratic work would take hours. */
#define HOSTILE_MS 5000.0

static void test_hostile_self_owner_many_waiters(void **state)
{
	(void)state;
	fixture(HOSTILE_THREADS);
	double t0 = now_ms();
	size_t l = lock(DATA + 0x40, NULL);
	own(l, TID0);
	for (size_t t = 0; t < HOSTILE_THREADS; t++)
		wait_for(t, l);	/* thread 0 too: it owns what it waits for */
	analyze();
	double ms = now_ms() - t0;
	print_message("100,000 waiters on a lock its owner waits for: %.0f ms\n", ms);
	const struct cr_finding *f = only(CR_FINDING_DEADLOCK);
	assert_contains(f->title, "Self-deadlock: thread 1000");
	assert_contains(f->title, "99999 more threads wait behind it");
	assert_true(f->nevidence < 100);
	assert_true(ms < HOSTILE_MS);
}

static void test_hostile_long_chain_and_many_locks(void **state)
{
	(void)state;
	fixture(HOSTILE_THREADS);
	double t0 = now_ms();
	/* thread t waits for lock t, owned by thread t + 1; the last reads */
	for (size_t t = 0; t + 1 < HOSTILE_THREADS; t++) {
		size_t l = lock(DATA + 0x40 * (t + 1), NULL);
		own(l, TID0 + (int64_t)t + 1);
		wait_for(t, l);
	}
	analyze();
	double ms = now_ms() - t0;
	print_message("a chain of 100,000 threads through 99,999 locks: %.0f ms\n", ms);
	const struct cr_finding *f = only(CR_FINDING_LOCK_CONVOY);
	assert_int_equal(f->thread, HOSTILE_THREADS - 1);
	assert_contains(f->title, "99999 threads wait");
	assert_true(table(f)->nrows <= 32);
	assert_true(ms < HOSTILE_MS);
	/* a garbage owner tid on every lock: owners gone, no crash */
	teardown(NULL);
	fixture(HOSTILE_THREADS);
	t0 = now_ms();
	for (size_t t = 0; t < HOSTILE_THREADS; t++) {
		size_t l = lock(DATA + 0x40 * (t + 1), NULL);
		own(l, INT32_MAX - (int64_t)t);
		wait_for(t, l);
	}
	analyze();
	ms = now_ms() - t0;
	print_message("100,000 locks whose owners are not in the dump: %.0f ms\n", ms);
	assert_int_equal(count(CR_FINDING_LOCK_OWNER_GONE) + fx.a.findings.dropped,
			 HOSTILE_THREADS);
	assert_true(ms < HOSTILE_MS);
}

/* --- Linux discovery ----------------------------------------------------- */

static void put32(uint64_t addr, uint32_t v)
{
	assert_true(addr >= DATA && addr + 4 <= DATA + DATA_SIZE);
	memcpy(&fx.data[addr - DATA], &v, 4);
}

/* Thread T blocked in a futex wait on WORD under FUNCTION. */
static void futex_wait(size_t t, uint64_t word, const char *function)
{
	fx.frames[t][1].function = function;
	fx.ta[t].st = (struct cr_thread_state){
		.kind = CR_STATE_LOCK, .syscall_known = true, .syscall_nr = 202,
		.syscall_name = "futex", .wait_object_known = true,
		.wait_object = word, .wait_object_what = "mutex",
	};
}

static void discover(void)
{
	assert_null(cr_locks_linux(&fx.ctx, &fx.g));
	analyze();
}

/* glibc x86_64 pthread_mutex_t: __lock 0, __count 4, __owner 8, __kind 16. */
static void plant_mutex(uint64_t m, uint32_t lock, uint32_t count,
			int32_t owner, int32_t kind)
{
	put32(m, lock);
	put32(m + 4, count);
	put32(m + 8, (uint32_t)owner);
	put32(m + 16, (uint32_t)kind);
}

/* ABBA between threads 1 and 2 on normal mutexes A (DATA + 0x40, held by
 * thread 1) and B (DATA + 0x80, held by thread 2): thread 1 waits for B in
 * FN1, thread 2 for A in FN2. */
static void plant_abba(const char *fn1, const char *fn2)
{
	plant_mutex(DATA + 0x40, 2, 0, TID0 + 1, 0);
	plant_mutex(DATA + 0x80, 2, 0, TID0 + 2, 0);
	futex_wait(1, DATA + 0x80, fn1);
	futex_wait(2, DATA + 0x40, fn2);
}

static void test_linux_mutexes(void **state)
{
	(void)state;
	fixture(5);
	plant_abba("___pthread_mutex_lock", "__GI___pthread_mutex_lock");
	/* a robust mutex whose owner (tid 4711) died: the kernel set
	 * FUTEX_OWNER_DIED in the lock word */
	plant_mutex(DATA + 0x100, 0xc0000000u | 4711, 0, 4711, 16);
	futex_wait(3, DATA + 0x100, "__pthread_mutex_lock_full");
	/* a recursive mutex held twice by thread 0 */
	plant_mutex(DATA + 0x140, 2, 2, TID0, 1);
	futex_wait(4, DATA + 0x140, "pthread_mutex_timedlock");
	discover();
	assert_int_equal(fx.g.nlocks, 4);
	assert_int_equal(fx.g.locks[0].owner, 2);
	assert_int_equal(fx.g.locks[1].owner, 1);
	const struct cr_lock *robust = &fx.g.locks[2];
	assert_true(robust->owner_known && robust->owner_died);
	assert_int_equal(robust->owner_tid, 4711);
	assert_int_equal(robust->owner, CR_LOCK_NO_THREAD);
	assert_string_equal(robust->what, "robust mutex");
	assert_int_equal(fx.g.locks[3].recursion, 2);
	assert_int_equal(fx.g.locks[3].owner, 0);
	assert_int_equal(only(CR_FINDING_DEADLOCK)->thread, 1);
	assert_contains(only(CR_FINDING_LOCK_OWNER_GONE)->title, "FUTEX_OWNER_DIED");
	assert_int_equal(only(CR_FINDING_LOCK_CONVOY)->severity, CR_SEVERITY_INFO);
}

/* A thread re-taking its mutex inside pthread_cond_wait waits for it as
 * for any mutex; and a mutex first met through a thread waiting in
 * __lll_lock_wait alone (an internal lock, no owner) gets its owner read
 * when a thread waits for it under pthread_mutex_lock: the ABBA is found
 * whatever the threads' order. */
static void test_linux_cond_lock_and_late_mutex(void **state)
{
	(void)state;
	fixture(3);
	futex_wait(0, DATA + 0x40, "enqueue_inlined");
	plant_abba("__pthread_mutex_cond_lock", "___pthread_mutex_lock");
	discover();
	assert_int_equal(fx.g.nlocks, 2);
	assert_true(fx.g.locks[0].owner_known);
	assert_int_equal(fx.g.locks[0].owner, 1);
	assert_null(fx.g.locks[0].what);
	assert_int_equal(fx.g.locks[1].owner, 2);
	assert_true(names_thread(only(CR_FINDING_DEADLOCK), 1));
	assert_true(names_thread(only(CR_FINDING_DEADLOCK), 2));
}

/* Thread 1 of two waits for a process-shared mutex that records OWNER. */
static const struct cr_lock *pshared_wait(int32_t owner)
{
	fixture(2);
	plant_mutex(DATA + 0x40, 2, 0, owner, 128);
	futex_wait(1, DATA + 0x40, "___pthread_mutex_lock");
	discover();
	assert_int_equal(fx.g.nlocks, 1);
	return &fx.g.locks[0];
}

/* A process-shared mutex whose owner is no thread of the dump may be held
 * by a thread of another process: owner unknown, no owner gone. */
static void test_linux_pshared_owner_elsewhere(void **state)
{
	const struct cr_lock *lk = pshared_wait(4711);
	assert_false(lk->owner_known);
	assert_string_equal(lk->what, "process-shared mutex");
	assert_int_equal(count(CR_FINDING_LOCK_OWNER_GONE), 0);
	assert_true(fx.a.problems.n > 0);
	/* Within the process, a tid of the dump is its owner as ever. */
	teardown(state);
	lk = pshared_wait(TID0);
	assert_true(lk->owner_known);
	assert_int_equal(lk->owner, 0);
}

static void test_linux_rwlock_and_damage(void **state)
{
	(void)state;
	fixture(4);
	/* x86_64 pthread_rwlock_t at DATA + 0x200: three readers in a read
	 * phase, a writer registered (WRLOCKED) and waiting on
	 * __wrphase_futex (+8) for the phase to end; __writers_futex (+12)
	 * taken by it */
	uint64_t rw = DATA + 0x200;
	put32(rw, (3u << 3) | 2u);
	put32(rw + 8, 2);
	put32(rw + 12, 1);
	futex_wait(1, rw + 8, "___pthread_rwlock_wrlock");
	/* a futex word with no consistent rwlock around it */
	memset(&fx.data[0x300], 0xff, 0x100);
	futex_wait(2, DATA + 0x340, "pthread_rwlock_rdlock");
	/* a mutex outside the dump's memory, and one of a kind glibc never
	 * makes */
	futex_wait(3, 0x7000000, "pthread_mutex_lock");
	plant_mutex(DATA + 0x500, 2, 0, TID0, 0x7fff0000);
	futex_wait(0, DATA + 0x500, "pthread_mutex_lock");
	discover();
	ssize_t l = -1;
	for (size_t i = 0; i < fx.g.nlocks; i++)
		if (fx.g.locks[i].addr == rw)
			l = (ssize_t)i;
	assert_true(l >= 0);
	assert_int_equal(fx.g.locks[l].kind, CR_LOCK_RWLOCK);
	assert_int_equal(fx.g.locks[l].readers, 3);
	assert_int_equal(fx.g.locks[l].owner_tid, 0);
	const struct cr_finding *f = only(CR_FINDING_RWLOCK_WRITER_STARVED);
	assert_int_equal(f->thread, 1);
	assert_contains(f->title, "thread 1001 waits to write read-write lock "
				  "0x601200, which 3 readers hold");
	/* the damage: problem lines, no findings, no crash */
	assert_int_equal(fx.a.findings.n, 1);
	assert_true(fx.a.problems.n >= 3);
}

/* aarch64: x0, the futex address, is overwritten by the kernel; the waits
 * are left out with one problem line for them all. */
static void test_linux_no_futex_address(void **state)
{
	(void)state;
	fixture(4);
	fx.d.process.arch = CR_ARCH_AARCH64;
	for (size_t t = 1; t < 4; t++) {
		futex_wait(t, 0, "pthread_mutex_lock");
		fx.ta[t].st.wait_object_known = false;
	}
	discover();
	assert_int_equal(fx.g.nwaits, 0);
	assert_int_equal(fx.a.findings.n, 0);
	assert_int_equal(fx.a.problems.n, 1);
	assert_contains(fx.a.problems.items[0].text,
			"3 threads wait in pthread_mutex_lock");
}

/* i386: __kind at 12 (__nusers after it); the rwlock's __flags and
 * __shared are bytes at 24 and 25, __cur_writer at 28. */
static void test_linux_i386_layouts(void **state)
{
	(void)state;
	fixture(3);
	fx.d.process.arch = CR_ARCH_X86;
	fx.d.process.pointer_size = 4;
	cr_target_init(&fx.ctx.target, &fx.d);
	uint64_t m = DATA + 0x40;
	put32(m, 2);
	put32(m + 8, TID0);
	put32(m + 12, 1);		/* recursive */
	put32(m + 4, 3);		/* held three times */
	put32(m + 16, 0xffffffffu);	/* __nusers: no kind bits here */
	futex_wait(1, m, "pthread_mutex_lock");
	/* a writer (thread 2) waiting on __writers_futex while thread 0
	 * writes: WRPHASE | WRLOCKED */
	uint64_t rw = DATA + 0x100;
	put32(rw, 3);
	put32(rw + 8, 1);
	put32(rw + 12, 3);
	put32(rw + 24, 0x0001);	/* __flags 1 (prefer writer), __shared 0 */
	put32(rw + 28, TID0);
	futex_wait(2, rw + 12, "pthread_rwlock_wrlock");
	discover();
	assert_int_equal(fx.g.nlocks, 2);
	assert_int_equal(fx.g.locks[0].owner, 0);
	assert_int_equal(fx.g.locks[0].recursion, 3);
	assert_string_equal(fx.g.locks[0].what, "recursive mutex");
	assert_int_equal(fx.g.locks[1].addr, rw);
	assert_int_equal(fx.g.locks[1].kind, CR_LOCK_RWLOCK);
	assert_int_equal(fx.g.locks[1].owner, 0);
	assert_int_equal(fx.g.locks[1].readers, 0);
	/* two locks of thread 0, one waiter each: one convoy, the lock
	 * with the most waiters named */
	const struct cr_finding *f = only(CR_FINDING_LOCK_CONVOY);
	assert_contains(f->title, "2 threads wait for recursive mutex 0x601040 held by thread 1000");
	assert_contains(f->title, "(1 of them for other locks that lead to it)");
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cycle_of_two),
		T(test_cycle_of_three_with_one_behind),
		T(test_self_deadlock),
		T(test_chain),
		T(test_convoy_of_eight),
		T(test_owner_gone),
		T(test_free_and_ownerless_conclude_nothing),
		T(test_hostile_self_owner_many_waiters),
		T(test_hostile_long_chain_and_many_locks),
		T(test_linux_mutexes),
		T(test_linux_cond_lock_and_late_mutex),
		T(test_linux_pshared_owner_elsewhere),
		T(test_linux_rwlock_and_damage),
		T(test_linux_i386_layouts),
		T(test_linux_no_futex_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
