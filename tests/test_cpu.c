/*
 * test_cpu.c - unit tests of the "cpu" pass (analyzer/passes/cpu.c) and
 * of cr_thread_cpu_time (cpu_time.c), on synthetic dumps built in memory.
 *
 * The fixture is a Linux process of three threads as a kernel core
 * records it: the leader (tid == pid) blocked in pause, a worker and a
 * second worker, whose states and stacks each test sets, with the times
 * in the threads' entries and the process's totals in process.user/sys
 * (the leader's own entry "not recorded", as the core reader leaves it).
 * The pass runs through its context as the pipeline runs it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "finding_asserts.h"

#include "cpu.h"
#include "mdsynth.h"
#include "pass.h"
#include "passes.h"

#define NTHREADS 3
#define MS 1000u	/* microseconds */

static struct fixture {
	struct cr_dump d;
	struct cr_thread threads[NTHREADS];
	struct cr_analysis a;
	struct cr_thread_analysis ta[NTHREADS];
} fx;

static const struct cr_frame pause_frames[] = {
	{ .pc = 0x7f0000000100, .module = "libc.so.6", .function = "pause",
	  .trust = CR_TRUST_CONTEXT },
	{ .pc = 0x400100, .module = "app", .function = "main" },
};
static const struct cr_frame busy_frames[] = {
	{ .pc = 0x400200, .module = "app", .function = "parse_row",
	  .trust = CR_TRUST_CONTEXT },
	{ .pc = 0x400300, .module = "app", .function = "spin_worker" },
	{ .pc = 0x7f0000000200, .module = "libc.so.6", .function = "start_thread" },
};
static const struct cr_frame idle_frames[] = {
	{ .pc = 0x7f0000000300, .module = "libc.so.6",
	  .function = "__futex_abstimed_wait_common", .trust = CR_TRUST_CONTEXT },
	{ .pc = 0x7f0000000400, .module = "libc.so.6",
	  .function = "___pthread_cond_wait" },
	{ .pc = 0x400400, .module = "app", .function = "idle_worker" },
};
static const struct cr_frame spinlock_frames[] = {
	{ .pc = 0x7f0000000500, .module = "libc.so.6",
	  .function = "pthread_spin_lock", .trust = CR_TRUST_CONTEXT },
	{ .pc = 0x400500, .module = "app", .function = "take_table_lock" },
	{ .pc = 0x400600, .module = "app", .function = "lock_spinner" },
};
static const struct cr_frame yield_frames[] = {
	{ .pc = 0x7f0000000600, .module = "libc.so.6",
	  .function = "__sched_yield", .trust = CR_TRUST_CONTEXT },
	{ .pc = 0x400700, .module = "app", .function = "wait_for_flag" },
};

static void set_thread(size_t t, const struct cr_frame *f, size_t n,
		       enum cr_state_kind kind)
{
	fx.ta[t].stack.frames = (struct cr_frame *)f;
	fx.ta[t].stack.nframes = n;
	fx.ta[t].st.kind = kind;
}

/* Thread T's own times (ms); the process totals follow. */
static void set_times(size_t t, uint64_t user_ms, uint64_t sys_ms)
{
	fx.threads[t].user = (struct cr_cpu_time){ true, user_ms * MS };
	fx.threads[t].sys = (struct cr_cpu_time){ true, sys_ms * MS };
}

/* The process totals as a kernel core records them: in the leader's
 * entry, which the reader moves to process.user/sys. */
static void kernel_totals(uint64_t leader_user_ms, uint64_t leader_sys_ms)
{
	uint64_t u = leader_user_ms * MS, s = leader_sys_ms * MS;
	for (size_t i = 1; i < NTHREADS; i++) {
		u += fx.threads[i].user.usec;
		s += fx.threads[i].sys.usec;
	}
	fx.d.process.user = (struct cr_cpu_time){ true, u };
	fx.d.process.sys = (struct cr_cpu_time){ true, s };
	fx.threads[0].user.known = fx.threads[0].sys.known = false;
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.d.process.pid = 500;
	fx.d.process.os = CR_OS_LINUX;
	fx.d.process.arch = CR_ARCH_X86_64;
	fx.d.process.pointer_size = 8;
	fx.d.process.dump_time = fx.d.process.start_time = -1;
	fx.d.event.kind = CR_EVENT_NONE;
	fx.d.threads = fx.threads;
	fx.d.nthreads = NTHREADS;
	fx.a.dump = &fx.d;
	fx.a.threads = fx.ta;
	fx.a.nthreads = NTHREADS;
	fx.a.focus_thread = -1;
	fx.a.crash.thread = -1;
	for (size_t i = 0; i < NTHREADS; i++) {
		fx.threads[i].tid = 500 + (int64_t)i;
		fx.ta[i].thread = &fx.threads[i];
	}
	fx.threads[1].name = "spinner";
	set_thread(0, pause_frames, 2, CR_STATE_SIGNAL);
	set_thread(1, busy_frames, 3, CR_STATE_RUNNING);
	set_thread(2, idle_frames, 3, CR_STATE_CONDVAR);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_analysis_release(&fx.a);
	return 0;
}

static const struct cr_cpu_facts *run_cpu(void)
{
	const struct cr_pass *p = test_pass("cpu");
	assert_true(p->needs & CR_FACT_STATES);
	assert_true(p->adds & CR_FACT_CPU);
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, p, &fx.a, NULL, NULL);
	assert_null(p->run(&ctx));
	const struct cr_cpu_facts *f = cr_pass_kept(&fx.a, "cpu");
	assert_non_null(f);
	assert_int_equal(f->nthreads, NTHREADS);
	return f;
}

/* The only finding of the pass, of id ID. */
static const struct cr_finding *only_finding(enum cr_finding_id id)
{
	assert_int_equal(fx.a.findings.n, 1);
	const struct cr_finding *fd = &fx.a.findings.items[0];
	assert_int_equal(fd->id, id);
	assert_int_equal(fd->severity, CR_SEVERITY_WARNING);
	return fd;
}

/* --- cr_thread_cpu_time -------------------------------------------------- */

static void test_leader_time_is_total_minus_others(void **state)
{
	(void)state;
	uint64_t u, s;
	set_times(1, 1900, 20);
	set_times(2, 5, 1);
	kernel_totals(30, 10);
	assert_true(cr_thread_cpu_time(&fx.d, 0, &u, &s));
	assert_int_equal(u, 30 * MS);
	assert_int_equal(s, 10 * MS);
	assert_true(cr_thread_cpu_time(&fx.d, 1, &u, &s));
	assert_int_equal(u, 1900 * MS);
	/* The parts summing past the total (sampled ticks) clamp at 0. */
	fx.d.process.user.usec = 100;
	assert_true(cr_thread_cpu_time(&fx.d, 0, &u, &s));
	assert_int_equal(u, 0);
	/* One other thread not recorded: the leader's own is unknown. */
	fx.threads[2].user.known = false;
	assert_false(cr_thread_cpu_time(&fx.d, 0, &u, &s));
	assert_false(cr_thread_cpu_time(&fx.d, NTHREADS, &u, &s));
}

/* --- high-cpu-thread ----------------------------------------------------- */

static void test_spinner_named_with_share(void **state)
{
	(void)state;
	set_times(1, 1900, 20);
	set_times(2, 5, 1);
	kernel_totals(30, 10);
	const struct cr_cpu_facts *f = run_cpu();
	const struct cr_finding *fd = only_finding(CR_FINDING_HIGH_CPU_THREAD);
	assert_int_equal(fd->thread, 1);
	assert_string_equal(fd->signature, "spin: parse_row");
	assert_contains(fd->title, "thread 501 (spinner)");
	assert_contains(fd->title, "97.6% of the process's CPU time");
	assert_contains(fd->title, "parse_row");
	const struct cr_evidence *e = evidence(fd, CR_LABEL_WHERE);
	assert_int_equal(e->u.frame.thread, 1);
	assert_int_equal(e->u.frame.frame, 0);
	e = evidence(fd, "share of the process's CPU time");
	assert_int_equal(e->u.number.value, 97);
	e = evidence(fd, "share of one CPU over the process's lifetime");
	assert_contains(e->u.text, "not recorded");
	e = evidence(fd, "threads by CPU time");
	assert_int_equal(e->u.table.nrows, NTHREADS);
	/* Sorted by time: the spinner, the leader (its own: total minus
	 * the others'), the idle worker. */
	assert_string_equal(e->u.table.cells[0], "501");
	assert_string_equal(e->u.table.cells[e->u.table.ncols], "500");
	assert_string_equal(e->u.table.cells[e->u.table.ncols + 2], "30.0 ms");
	assert_true(f->times_known);
	assert_int_equal(f->total_us, (1900 + 20 + 5 + 1 + 30 + 10) * MS);
	assert_int_equal(f->spinner, 1);
	assert_false(f->spin_lock);
	assert_int_equal(f->on_cpu, 1);
	assert_true(f->threads[0].times_known);
	assert_int_equal(f->threads[0].user_us, 30 * MS);
	assert_int_equal(f->threads[1].share_permille, 976);
}

static void test_lifetime_share(void **state)
{
	(void)state;
	set_times(0, 10, 0);
	set_times(1, 1000, 0);
	set_times(2, 0, 0);
	fx.d.process.start_time = 1000;
	fx.d.process.dump_time = 1002;
	const struct cr_cpu_facts *f = run_cpu();
	assert_int_equal(f->lifetime_us, 2000000);
	assert_int_equal(f->threads[1].lifetime_permille, 500);
	const struct cr_finding *fd = only_finding(CR_FINDING_HIGH_CPU_THREAD);
	assert_int_equal(evidence(fd, "share of one CPU over the process's lifetime")
			 ->u.number.value, 50);
}

/* 3 ms of 5 ms is a program that did little, not a spinner. */
static void test_small_times_are_no_spinner(void **state)
{
	(void)state;
	set_times(1, 3, 0);
	set_times(2, 0, 0);
	kernel_totals(2, 0);
	const struct cr_cpu_facts *f = run_cpu();
	assert_int_equal(fx.a.findings.n, 0);
	assert_int_equal(f->threads[1].share_permille, 600);
	assert_int_equal(f->spinner, -1);
}

/* A thread with most of the time but blocked now is no spinner. */
static void test_busy_but_blocked_is_no_spinner(void **state)
{
	(void)state;
	set_times(1, 5000, 0);
	set_times(2, 0, 0);
	kernel_totals(2, 0);
	set_thread(1, idle_frames, 3, CR_STATE_CONDVAR);
	run_cpu();
	assert_int_equal(fx.a.findings.n, 0);
}

/* gcore: no times.  The only thread running user code while every other
 * waits is named, and the finding says the times are not recorded. */
static void test_no_times_falls_back_to_on_cpu(void **state)
{
	(void)state;
	const struct cr_cpu_facts *f = run_cpu();
	const struct cr_finding *fd = only_finding(CR_FINDING_HIGH_CPU_THREAD);
	assert_int_equal(fd->thread, 1);
	assert_contains(fd->title, "not recorded");
	assert_string_equal(fd->signature, "spin: parse_row");
	assert_contains(evidence(fd, "CPU time")->u.text, "not recorded");
	const struct cr_evidence *e = evidence(fd, "threads on a CPU");
	assert_int_equal(e->u.table.nrows, 1);
	assert_false(f->times_known);
	assert_int_equal(f->total_us, 0);
	assert_int_equal(f->threads[1].share_permille, -1);
}

static void test_no_times_two_running_is_no_guess(void **state)
{
	(void)state;
	set_thread(2, busy_frames, 3, CR_STATE_RUNNING);
	const struct cr_cpu_facts *f = run_cpu();
	assert_int_equal(fx.a.findings.n, 0);
	assert_int_equal(f->on_cpu, 2);
}

static void test_no_times_under_a_crash_is_no_guess(void **state)
{
	(void)state;
	fx.a.crash.cls = CR_CRASH_NULL_DEREF;
	set_thread(0, pause_frames, 2, CR_STATE_CRASHED);
	run_cpu();
	assert_int_equal(fx.a.findings.n, 0);
}

/* Healthy control: everything blocked, small times. */
static void test_idle_process_has_no_finding(void **state)
{
	(void)state;
	set_thread(1, idle_frames, 3, CR_STATE_CONDVAR);
	set_times(1, 1, 0);
	set_times(2, 0, 0);
	kernel_totals(8, 4);
	const struct cr_cpu_facts *f = run_cpu();
	assert_int_equal(fx.a.findings.n, 0);
	assert_int_equal(f->on_cpu, 0);
	assert_int_equal(f->total_us, 13 * MS);
}

/* --- spin-lock ----------------------------------------------------------- */

static void test_spin_lock(void **state)
{
	(void)state;
	set_thread(1, spinlock_frames, 3, CR_STATE_RUNNING);
	cr_regs_set(&fx.threads[1].regs, 5, 0x601040);	/* rdi: the lock */
	set_times(1, 900, 0);
	set_times(2, 0, 0);
	kernel_totals(10, 0);
	const struct cr_cpu_facts *f = run_cpu();
	const struct cr_finding *fd = only_finding(CR_FINDING_SPIN_LOCK);
	assert_int_equal(fd->thread, 1);
	assert_contains(fd->title, "spinning for a lock in pthread_spin_lock");
	assert_contains(fd->title, "called from take_table_lock");
	assert_string_equal(fd->signature, "spin-lock: take_table_lock");
	assert_int_equal(evidence(fd, CR_LABEL_WHERE)->u.frame.frame, 1);
	assert_int_equal(evidence(fd, CR_LABEL_STOPPED)->u.frame.frame, 0);
	assert_int_equal(evidence(fd, "lock")->u.address.value, 0x601040);
	assert_true(f->spin_lock);
	assert_int_equal(f->spinner, 1);
}

/* A yield loop: in the sched_yield system call, not on a CPU in user
 * code, and still the process's CPU. */
static void test_yield_loop(void **state)
{
	(void)state;
	set_thread(1, yield_frames, 2, CR_STATE_SYSCALL);
	fx.ta[1].st.syscall_name = "sched_yield";
	set_times(1, 300, 600);
	set_times(2, 0, 0);
	kernel_totals(10, 0);
	run_cpu();
	const struct cr_finding *fd = only_finding(CR_FINDING_SPIN_LOCK);
	assert_contains(fd->title, "yield loop");
	assert_string_equal(fd->signature, "spin-lock: wait_for_flag");
}

/* A hand-written spin lock named so, on frame 0. */
static void test_spin_named_function(void **state)
{
	(void)state;
	static const struct cr_frame frames[] = {
		{ .pc = 0x400800, .module = "app", .function = "MySpinLock::lock",
		  .trust = CR_TRUST_CONTEXT },
		{ .pc = 0x400900, .module = "app", .function = "update" },
	};
	set_thread(1, frames, 2, CR_STATE_RUNNING);
	run_cpu();
	only_finding(CR_FINDING_SPIN_LOCK);
}

/* A stripped binary: the module is blamed, never an address. */
static void test_stripped_spinner_blames_module(void **state)
{
	(void)state;
	static const struct cr_frame frames[] = {
		{ .pc = 0x5000, .module = "/usr/bin/python3.11",
		  .trust = CR_TRUST_CONTEXT },
		{ .pc = 0x6000, .module = "/usr/bin/python3.11" },
	};
	set_thread(1, frames, 2, CR_STATE_RUNNING);
	run_cpu();
	const struct cr_finding *fd = only_finding(CR_FINDING_HIGH_CPU_THREAD);
	assert_string_equal(fd->signature, "spin: python3.11");
	assert_contains(fd->title, "running in python3.11");
}

/* A lying dump: times near the top of uint64_t neither wrap nor pass
 * 100%. */
static void test_hostile_times(void **state)
{
	(void)state;
	fx.threads[1].user = (struct cr_cpu_time){ true, UINT64_MAX - 5 };
	fx.threads[1].sys = (struct cr_cpu_time){ true, 0 };
	set_times(2, 1, 0);
	fx.d.process.user = (struct cr_cpu_time){ true, UINT64_MAX };
	fx.d.process.sys = (struct cr_cpu_time){ true, UINT64_MAX };
	fx.d.process.start_time = 0;
	fx.d.process.dump_time = INT64_MAX;
	const struct cr_cpu_facts *f = run_cpu();
	assert_false(f->times_known);	/* the sum overflowed */
	/* Thread 2's millisecond would wrap the sum: left out. */
	assert_true(f->total_us == UINT64_MAX - 5);
	assert_int_equal(f->threads[1].share_permille, 1000);
	assert_int_equal(f->lifetime_us, -1);
	for (size_t i = 0; i < NTHREADS; i++)
		assert_true(f->threads[i].share_permille <= 1000);
}

/* --- a minidump's ThreadInfoList, through the pipeline -------------------- */

/* MINIDUMP_THREAD_INFO (64 bytes) with times in 100 ns units. */
static void thread_info(struct mds_buf *b, uint32_t tid, uint64_t kernel_ms,
			uint64_t user_ms)
{
	mdb_u32(b, tid);
	mdb_zero(b, 12);	/* DumpFlags, DumpError, ExitStatus */
	mdb_u64(b, 0);		/* CreateTime */
	mdb_u64(b, 0);		/* ExitTime */
	mdb_u64(b, kernel_ms * 10000);
	mdb_u64(b, user_ms * 10000);
	mdb_zero(b, 16);	/* StartAddress, Affinity */
}

static void test_minidump_thread_times(void **state)
{
	(void)state;
	struct mds m;
	mds_init(&m);
	m.time_stamp = 1600000004;	/* the dump: 4 s after the start */
	mds_windows_app(&m);
	const uint64_t stack = 0x7000000, pc = 0x140001000;
	struct mds_thread th[2] = {
		{ .tid = 0x10, .stack_start = stack,
		  .ctx = mds_context_amd64(&m, pc, stack, 0) },
		{ .tid = 0x14, .stack_start = stack,
		  .ctx = mds_context_amd64(&m, pc, stack, 0) },
	};
	mds_thread_list(&m, th, 2, false);
	mds_misc_info(&m, 77, 1600000000, 3, 1);
	struct mds_buf b = { 0 };
	mdb_u32(&b, 12);
	mdb_u32(&b, 64);
	mdb_u32(&b, 2);
	thread_info(&b, 0x10, 100, 200);
	thread_info(&b, 0x14, 500, 2700);
	mds_stream(&m, 17, &b);	/* ThreadInfoListStream */
	struct cr_dump *d;
	struct cr_analysis *a = mds_analyze(&m, "times.dmp", &d);
	const struct cr_cpu_facts *f = cr_pass_kept(a, "cpu");
	assert_non_null(f);
	assert_true(f->times_known);
	assert_int_equal(f->threads[1].user_us, 2700 * MS);
	assert_int_equal(f->threads[1].sys_us, 500 * MS);
	/* The process's 4 s (whole seconds in MiscInfo) against the
	 * threads' 3.5 s: the larger is the total. */
	assert_int_equal(f->total_us, 4000 * MS);
	assert_int_equal(f->threads[1].share_permille, 800);
	assert_int_equal(f->lifetime_us, 4000 * 1000);
	assert_int_equal(f->threads[1].lifetime_permille, 800);
	cr_analysis_free(a);
	cr_dump_free(d);
	mds_free(&m);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_leader_time_is_total_minus_others),
		T(test_spinner_named_with_share),
		T(test_lifetime_share),
		T(test_small_times_are_no_spinner),
		T(test_busy_but_blocked_is_no_spinner),
		T(test_no_times_falls_back_to_on_cpu),
		T(test_no_times_two_running_is_no_guess),
		T(test_no_times_under_a_crash_is_no_guess),
		T(test_idle_process_has_no_finding),
		T(test_spin_lock),
		T(test_yield_loop),
		T(test_spin_named_function),
		T(test_stripped_spinner_blames_module),
		T(test_hostile_times),
		T(test_minidump_thread_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
