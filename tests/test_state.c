/*
 * test_state.c - unit tests of pass_state and the state sentence: one
 * synthetic thread at a time (a struct cr_dump and a struct cr_analysis
 * built by hand), the system call and registers it stopped with and the
 * function names of its top frames, then what pass_state concluded: the
 * kind, the decoded arguments, the wait object and the sentence.
 *
 * System call numbers are the kernel's: x86_64 read 0, nanosleep 35,
 * getpid 39, wait4 61, rt_sigsuspend 130, futex 202, epoll_wait 232,
 * tgkill 234; i386 read 3, futex 240; aarch64 read 63, futex 98.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passes.h"

#define MAX_FRAMES 8
#define FUTEX_WORD 0x55d0c0a010e0ull

/* DWARF register numbers of the syscall arguments. */
enum { RDI = 5, RSI = 4, RDX = 1, R10 = 10 };
enum { EBX = 3, ECX = 1, EDX = 2, ESI = 6 };

static struct fixture {
	struct cr_dump d;
	struct cr_thread t;
	struct cr_analysis a;
	struct cr_thread_analysis ta;
	struct cr_frame frames[MAX_FRAMES];
	char *text;
} fx;

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.d.process.arch = CR_ARCH_X86_64;
	fx.d.process.os = CR_OS_LINUX;
	fx.d.process.pointer_size = 8;
	fx.d.event.kind = CR_EVENT_NONE;
	fx.d.threads = &fx.t;
	fx.d.nthreads = 1;
	fx.t.tid = 100;
	cr_regs_set(&fx.t.regs, 16, 0x401000);
	cr_regs_set(&fx.t.regs, 7, 0x7ffc00001000);
	fx.a.dump = &fx.d;
	fx.a.threads = &fx.ta;
	fx.a.nthreads = 1;
	fx.a.focus_thread = -1;
	fx.a.crash.thread = -1;
	fx.ta.thread = &fx.t;
	fx.ta.stack.frames = fx.frames;
	fx.ta.stack.unwound = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fx.text);
	fx.text = NULL;
	return 0;
}

/* The top frames, innermost first, by function name; NULL ends. */
static void frames(const char *const *names)
{
	size_t n = 0;
	for (; names[n]; n++) {
		assert_true(n < MAX_FRAMES);
		fx.frames[n] = (struct cr_frame){ .pc = 0x7f0000001000 + n,
						  .function = names[n] };
	}
	fx.ta.stack.nframes = n;
}

#define FRAMES(...) frames((const char *const[]){ __VA_ARGS__, NULL })

static void in_syscall(int64_t nr)
{
	fx.t.syscall_known = true;
	fx.t.in_syscall = true;
	fx.t.syscall_nr = nr;
}

static void reg(unsigned n, uint64_t v)
{
	cr_regs_set(&fx.t.regs, n, v);
}

/* Run the pass; the sentence it leads to (NULL when nothing is known). */
static const char *run(void)
{
	assert_null(pass_state(&fx.a));
	free(fx.text);
	fx.text = NULL;
	if (!cr_thread_state_known(&fx.ta.st))
		return NULL;
	fx.text = cr_thread_state_text(&fx.ta.st);
	assert_non_null(fx.text);
	return fx.text;
}

static const struct cr_syscall_arg *arg(const char *name)
{
	for (unsigned i = 0; i < fx.ta.st.nargs; i++)
		if (!strcmp(fx.ta.st.args[i].name, name))
			return &fx.ta.st.args[i];
	return NULL;
}

/* --- one row per kind ------------------------------------------------------ */

struct kind_case {
	const char *what;
	int64_t syscall;		/* -1: the dump records no system call */
	bool running;			/* recorded: not in a system call */
	const char *frames[4];
	enum cr_state_kind want;
	const char *text;		/* NULL: not checked */
};

static const struct kind_case kind_cases[] = {
	{ "user code", -1, true, { "compute" }, CR_STATE_RUNNING,
	  "running (not in a system call)" },
	{ "unlisted call", 39, false, { "getpid" }, CR_STATE_SYSCALL,
	  "in system call getpid" },
	{ "mutex", 202, false, { "__lll_lock_wait", "pthread_mutex_lock", "worker" },
	  CR_STATE_LOCK, "waiting on a lock (in __lll_lock_wait)" },
	{ "futex alone", 202, false, { "worker" }, CR_STATE_LOCK,
	  "waiting on a lock (in system call futex)" },
	{ "condvar", 202, false, { "__futex_abstimed_wait_common", "___pthread_cond_wait" },
	  CR_STATE_CONDVAR, "waiting on a condition variable (in ___pthread_cond_wait)" },
	{ "semaphore", 202, false, { "__new_sem_wait_slow64.constprop.0", "sem_wait" },
	  CR_STATE_SEMAPHORE, NULL },
	{ "join", 202, false, { "__futex_abstimed_wait_common", "__pthread_clockjoin_ex" },
	  CR_STATE_EVENT, "waiting for another thread to exit (in __pthread_clockjoin_ex)" },
	{ "sleep", 35, false, { "__GI___clock_nanosleep", "__GI___nanosleep", "main" },
	  CR_STATE_SLEEPING, "sleeping (in system call nanosleep)" },
	{ "sleep()", 35, false, { "__GI___clock_nanosleep", "__GI___nanosleep", "sleep" },
	  CR_STATE_SLEEPING, "sleeping (in sleep)" },
	{ "read", 0, false, { "__GI___libc_read", "reader" }, CR_STATE_IO,
	  "blocked reading (in system call read)" },
	{ "child", 61, false, { "__GI___wait4", "main" }, CR_STATE_CHILD,
	  "waiting for a child process (in system call wait4)" },
	{ "signal", 130, false, { "__GI___sigsuspend", "main" }, CR_STATE_SIGNAL,
	  "waiting for a signal (in system call rt_sigsuspend)" },
	{ "glib pool over a condvar", 202, false,
	  { "g_cond_wait", "g_async_queue_pop_intern_unlocked", "g_thread_pool_wait_for_new_task" },
	  CR_STATE_POOL_IDLE,
	  "idle GLib thread-pool worker (in g_thread_pool_wait_for_new_task)" },
	{ "Go idle M", 202, false,
	  { "runtime.futex", "runtime.futexsleep", "runtime.notesleep", "runtime.stopm" },
	  CR_STATE_POOL_IDLE, NULL },
	{ "nothing known", -1, false, { "mystery" }, CR_STATE_UNKNOWN, NULL },
};

static void test_each_kind(void **state)
{
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *c = &kind_cases[i];
		setup(state);
		if (c->syscall >= 0)
			in_syscall(c->syscall);
		else if (c->running)
			fx.t.syscall_known = true;
		size_t n = 0;
		while (n < 4 && c->frames[n])
			n++;
		const char *names[5] = { 0 };
		memcpy(names, c->frames, n * sizeof(*names));
		frames(names);
		const char *text = run();
		if (fx.ta.st.kind != c->want)
			fail_msg("%s: kind %s, expected %s (\"%s\")", c->what,
				 cr_state_kind_id(fx.ta.st.kind),
				 cr_state_kind_id(c->want), text ? text : "(null)");
		if (c->text && (!text || strcmp(text, c->text)))
			fail_msg("%s: \"%s\", expected \"%s\"", c->what,
				 text ? text : "(null)", c->text);
		if (c->want == CR_STATE_UNKNOWN)
			assert_null(text);
		teardown(state);
	}
}

static void test_kind_ids(void **state)
{
	(void)state;
	static const char *const ids[CR_STATE_KIND_COUNT] = {
		"unknown", "running", "in-system-call", "blocked-on-lock",
		"waiting-on-condition-variable", "waiting-on-semaphore",
		"waiting-on-event", "sleeping", "waiting-for-io",
		"idle-in-pool", "waiting-for-child", "waiting-for-signal",
		"crashed",
	};
	for (int k = 0; k < CR_STATE_KIND_COUNT; k++)
		assert_string_equal(cr_state_kind_id((enum cr_state_kind)k), ids[k]);
}

/* --- futex arguments per architecture ------------------------------------- */

static void test_futex_x86_64_mutex(void **state)
{
	(void)state;
	in_syscall(202);
	reg(RDI, FUTEX_WORD);
	reg(RSI, 0x80);		/* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
	reg(RDX, 2);
	reg(R10, 0);
	FRAMES("__lll_lock_wait", "___pthread_mutex_lock", "worker");
	assert_string_equal(run(), "waiting on a lock (mutex 0x55d0c0a010e0, "
			    "FUTEX_WAIT_PRIVATE, no timeout, in __lll_lock_wait)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_LOCK);
	assert_true(fx.ta.st.wait_object_known);
	assert_int_equal(fx.ta.st.wait_object, FUTEX_WORD);
	assert_string_equal(fx.ta.st.wait_object_what, "mutex");
	assert_string_equal(fx.ta.st.function, "__lll_lock_wait");
	assert_string_equal(fx.ta.st.syscall_name, "futex");
	assert_int_equal(fx.ta.st.syscall_nr, 202);
	assert_int_equal(arg("uaddr")->kind, CR_ARG_ADDRESS);
	assert_int_equal(arg("op")->value, 0x80);
	assert_int_equal(arg("timeout")->value, 0);
	/* An internal glibc lock, no pthread_mutex_lock: the futex word is
	 * a lock, not a mutex the program declared. */
	FRAMES("__lll_lock_wait_private", "_IO_flockfile");
	assert_string_equal(run(), "waiting on a lock (lock 0x55d0c0a010e0, "
			    "FUTEX_WAIT_PRIVATE, no timeout, in __lll_lock_wait_private)");
}

static void test_futex_x86_64_condvar_timeout(void **state)
{
	(void)state;
	in_syscall(202);
	reg(RDI, FUTEX_WORD + 8);
	reg(RSI, 0x189);	/* WAIT_BITSET | PRIVATE | CLOCK_REALTIME */
	reg(R10, 0x7ffc00000f00);
	FRAMES("__futex_abstimed_wait_common", "___pthread_cond_timedwait");
	assert_string_equal(run(), "waiting on a condition variable (futex 0x55d0c0a010e8, "
			    "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, with a timeout, "
			    "in ___pthread_cond_timedwait)");
	assert_string_equal(fx.ta.st.wait_object_what, "futex");
}

static void test_futex_i386(void **state)
{
	(void)state;
	fx.d.process.arch = CR_ARCH_X86;
	fx.d.process.pointer_size = 4;
	in_syscall(240);
	reg(EBX, 0x0804c040);
	reg(ECX, 0x80);
	reg(EDX, 2);
	reg(ESI, 0);
	FRAMES("__kernel_vsyscall", "__lll_lock_wait", "pthread_mutex_lock");
	assert_string_equal(run(), "waiting on a lock (mutex 0x804c040, "
			    "FUTEX_WAIT_PRIVATE, no timeout, in __lll_lock_wait)");
	assert_int_equal(fx.ta.st.wait_object, 0x0804c040);
}

static void test_futex_aarch64_no_first_arg(void **state)
{
	(void)state;
	fx.d.process.arch = CR_ARCH_AARCH64;
	in_syscall(98);
	reg(0, (uint64_t)-512);	/* x0: -ERESTARTSYS, not the futex address */
	reg(1, 0x80);
	reg(2, 2);
	reg(3, 0);
	FRAMES("__lll_lock_wait", "pthread_mutex_lock");
	assert_string_equal(run(), "waiting on a lock (FUTEX_WAIT_PRIVATE, no timeout, "
			    "in __lll_lock_wait)");
	assert_false(fx.ta.st.wait_object_known);
	assert_null(arg("uaddr"));
	assert_int_equal(fx.ta.st.kind, CR_STATE_LOCK);
}

static void test_futex_op_names(void **state)
{
	(void)state;
	char buf[64];
	cr_futex_op_text(0, buf, sizeof(buf));
	assert_string_equal(buf, "FUTEX_WAIT");
	cr_futex_op_text(6 | 128, buf, sizeof(buf));
	assert_string_equal(buf, "FUTEX_LOCK_PI_PRIVATE");
	cr_futex_op_text(11 | 128, buf, sizeof(buf));
	assert_string_equal(buf, "FUTEX_WAIT_REQUEUE_PI_PRIVATE");
	cr_futex_op_text(99, buf, sizeof(buf));
	assert_string_equal(buf, "futex op 0x63");
	cr_futex_op_text(0x1000, buf, sizeof(buf));	/* unknown flag */
	assert_string_equal(buf, "futex op 0x1000");
}

/* --- file descriptors and timeouts ---------------------------------------- */

static void test_fd(void **state)
{
	(void)state;
	in_syscall(0);
	reg(RDI, 0xffffffff00000005ull);	/* an int: upper half ignored */
	FRAMES("__GI___libc_read", "reader");
	assert_string_equal(run(), "blocked reading (in system call read on fd 5)");
	assert_int_equal(arg("fd")->value, 5);
	assert_int_equal(arg("fd")->kind, CR_ARG_FD);

	fx.d.process.arch = CR_ARCH_X86;
	in_syscall(3);
	reg(EBX, 7);
	assert_string_equal(run(), "blocked reading (in system call read on fd 7)");

	/* aarch64: x0 is the return value by now, no fd is claimed */
	fx.d.process.arch = CR_ARCH_AARCH64;
	in_syscall(63);
	reg(0, 5);
	assert_string_equal(run(), "blocked reading (in system call read)");
	assert_int_equal(fx.ta.st.nargs, 0);
}

static void test_epoll_timeout_ms(void **state)
{
	(void)state;
	in_syscall(232);
	reg(RDI, 4);
	reg(R10, 0xffffffff);	/* -1 as an int: forever */
	FRAMES("epoll_wait", "event_loop");
	assert_string_equal(run(), "waiting for events (no timeout, in system call epoll_wait on fd 4)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_IO);
	reg(R10, 2500);
	assert_string_equal(run(), "waiting for events (timeout 2,500 ms, in system call epoll_wait on fd 4)");
	assert_int_equal(arg("timeout")->kind, CR_ARG_TIMEOUT_MS);
	assert_int_equal(arg("epfd")->value, 4);
}

static void test_sleep_duration(void **state)
{
	(void)state;
	/* struct timespec { 2, 500000000 } on the stack, in the dump */
	static uint8_t stack[16] = { 2, 0, 0, 0, 0, 0, 0, 0,
				     0x00, 0x65, 0xcd, 0x1d, 0, 0, 0, 0 };
	static struct cr_memseg seg = { 0x7ffc00000ff0, sizeof(stack), stack };
	fx.d.segs = &seg;
	fx.d.nsegs = 1;
	in_syscall(35);
	reg(RDI, 0x7ffc00000ff0);
	FRAMES("__GI___clock_nanosleep", "__GI___nanosleep", "main");
	assert_string_equal(run(), "sleeping (for 2.5 s, in system call nanosleep)");
	assert_int_equal(arg("req")->value, 0x7ffc00000ff0);
	assert_int_equal(arg("duration")->value, 2500000000ull);
	assert_int_equal(arg("duration")->kind, CR_ARG_DURATION_NS);
	assert_false(fx.ta.st.wait_object_known);

	/* clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem): what glibc calls */
	in_syscall(230);
	reg(RDI, 1);
	reg(RSI, 0);
	reg(RDX, 0x7ffc00000ff0);
	reg(R10, 0);
	assert_string_equal(run(), "sleeping (for 2.5 s, in system call clock_nanosleep)");
	/* rem == req (sleep()): the kernel wrote the time left there */
	reg(R10, 0x7ffc00000ff0);
	assert_string_equal(run(), "sleeping (2.5 s left, in system call clock_nanosleep)");
	assert_int_equal(arg("remaining")->value, 2500000000ull);
	assert_null(arg("duration"));
	reg(R10, 0);
	/* TIMER_ABSTIME: req is a time to wake at, not a duration */
	reg(RSI, 1);
	assert_string_equal(run(), "sleeping (flags 0x1, in system call clock_nanosleep)");
	assert_null(arg("duration"));

	/* the timespec not in the dump, or not a valid one: no duration */
	reg(RSI, 0);
	reg(RDX, 0x7ffc00002000);
	assert_string_equal(run(), "sleeping (in system call clock_nanosleep)");
	stack[8] = 0xff, stack[9] = 0xff, stack[10] = 0xff, stack[11] = 0xff;
	reg(RDX, 0x7ffc00000ff0);
	assert_null((run(), arg("duration")));
}

/* --- crashed, received, stack missing ------------------------------------- */

static void test_crashed(void **state)
{
	(void)state;
	in_syscall(234);	/* abort() raising SIGABRT: in tgkill */
	FRAMES("__pthread_kill_implementation", "raise", "abort", "main");
	fx.ta.crashed = true;
	fx.a.crash.thread = 0;
	assert_string_equal(run(), "crashed here");
	assert_int_equal(fx.ta.st.kind, CR_STATE_CRASHED);
	assert_string_equal(fx.ta.st.syscall_name, "tgkill");	/* kept as data */
	assert_false(fx.ta.st.received.known);
}

static void test_received(void **state)
{
	(void)state;
	char sender[] = "process 1 (uid 0)";
	in_syscall(35);
	FRAMES("__GI___clock_nanosleep", "__GI___nanosleep", "main");
	fx.d.event.kind = CR_EVENT_SIGNAL;
	fx.ta.crashed = true;
	fx.a.crash.thread = 0;
	fx.a.crash.sent = true;
	fx.a.crash.signo = 15;
	fx.a.crash.signal_name = "SIGTERM";
	fx.a.crash.sender = sender;
	assert_string_equal(run(), "received SIGTERM from process 1 (uid 0) "
			    "while sleeping (in system call nanosleep)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_SLEEPING);
	fx.a.crash.sender = NULL;
	assert_string_equal(run(), "received SIGTERM (sender not recorded) "
			    "while sleeping (in system call nanosleep)");
}

static void test_stack_missing(void **state)
{
	(void)state;
	in_syscall(202);
	reg(RDI, FUTEX_WORD);
	reg(RSI, 0x80);
	FRAMES("__lll_lock_wait");	/* a guess: the stack was not read */
	fx.ta.stack.stack_missing = true;
	assert_string_equal(run(), "in an unknown state (its stack memory is not in "
			    "the dump; stopped in system call futex)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_UNKNOWN);
	assert_true(fx.ta.st.stack_missing);
	assert_null(fx.ta.st.function);
	assert_true(fx.ta.st.wait_object_known);	/* the registers were read */
}

/* --- Windows-like stacks: no system call recorded ------------------------- */

static void test_windows_stacks(void **state)
{
	(void)state;
	fx.d.process.os = CR_OS_WINDOWS;
	FRAMES("NtWaitForSingleObject", "WaitForSingleObjectEx", "main");
	assert_string_equal(run(), "waiting on a kernel object (in NtWaitForSingleObject)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_EVENT);
	assert_false(fx.ta.st.syscall_known);

	/* A generic wait under a critical section is the lock. */
	FRAMES("NtWaitForSingleObject", "RtlpWaitOnCriticalSection",
	       "RtlEnterCriticalSection", "worker");
	assert_string_equal(run(), "waiting on a lock (in RtlpWaitOnCriticalSection)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_LOCK);

	FRAMES("NtWaitForAlertByThreadId", "RtlSleepConditionVariableSRW",
	       "SleepConditionVariableSRW", "consumer");
	assert_int_equal(run() ? (int)fx.ta.st.kind : -1, CR_STATE_CONDVAR);

	FRAMES("NtWaitForWorkViaWorkerFactory", "TppWorkerThread",
	       "BaseThreadInitThunk", "RtlUserThreadStart");
	assert_string_equal(run(), "idle thread-pool worker (in NtWaitForWorkViaWorkerFactory)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_POOL_IDLE);

	FRAMES("NtDelayExecution", "SleepEx", "main");
	assert_string_equal(run(), "sleeping (in NtDelayExecution)");

	FRAMES("NtRemoveIoCompletion", "GetQueuedCompletionStatus", "io_loop");
	assert_int_equal(run() ? (int)fx.ta.st.kind : -1, CR_STATE_IO);

	/* No wait function: the innermost frame says a system call (an
	 * ntdll stub) or user code, which was running. */
	FRAMES("NtQueryVirtualMemory", "VirtualQueryEx", "scan_memory");
	fx.frames[0].module = "NTDLL.DLL";
	assert_string_equal(run(), "in a system call (in NtQueryVirtualMemory)");
	assert_int_equal(fx.ta.st.kind, CR_STATE_SYSCALL);
	FRAMES("NtdllDefWindowProc_W", "wndproc");
	fx.frames[0].module = "ntdll.dll";
	assert_string_equal(run(), "running (not in a system call)");
	FRAMES("compute", "main");
	fx.frames[0].module = "app.exe";
	assert_int_equal(run() ? (int)fx.ta.st.kind : -1, CR_STATE_RUNNING);
	fx.frames[0].trust = CR_TRUST_SCAN;	/* not from the registers */
	assert_null(run());
	/* Linux minidumps: stubs unknown, user code says nothing */
	fx.d.process.os = CR_OS_LINUX;
	fx.frames[0].trust = CR_TRUST_CONTEXT;
	assert_null(run());
	fx.d.process.os = CR_OS_WINDOWS;

	/* A busy worker of the same pool is not idle. */
	FRAMES("RtlEnterCriticalSection", "callback", "TppWorkerThread");
	assert_int_equal(run() ? (int)fx.ta.st.kind : -1, CR_STATE_LOCK);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_each_kind),
		T(test_kind_ids),
		T(test_futex_x86_64_mutex),
		T(test_futex_x86_64_condvar_timeout),
		T(test_futex_i386),
		T(test_futex_aarch64_no_first_arg),
		T(test_futex_op_names),
		T(test_fd),
		T(test_epoll_timeout_ms),
		T(test_sleep_duration),
		T(test_crashed),
		T(test_received),
		T(test_stack_missing),
		T(test_windows_stacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
