/*
 * test_passes.c - unit tests of the diagnosis passes (crash, state, group,
 * signature, summary), the registry and their tables, on synthetic dumps
 * built in memory.
 *
 * Each test fills one fixture: a small x86_64 Linux process (main
 * executable, libc, a data page, the main stack and a pthread stack with
 * its PROT_NONE guard), two threads with symbolized stacks, and an event;
 * then runs the registered passes through their context, as the pipeline
 * does (cr_pass_ctx_init + run), and checks what they concluded.  There is
 * no symbol session: the context's extra_symbols point glibc's
 * `__abort_msg` at planted memory.
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

#include "mach.h"
#include "mdsynth.h"
#include "pass.h"
#include "passes.h"
#include "util.h"

/* Address-space layout of the fixture. */
#define EXE_BASE 0x400000ull
#define DATA_BASE 0x600000ull
#define LIBC_BASE 0x7f0000000000ull
#define LIBC_DATA 0x7f0000100000ull
#define GUARD_LO 0x7f00001ff000ull
#define TSTACK_LO 0x7f0000200000ull
#define TSTACK_HI 0x7f0000210000ull
#define STACK_LO 0x7ffc00000000ull
#define STACK_HI 0x7ffc00021000ull

#define MAX_FRAMES 8

static struct fixture {
	struct cr_dump d;
	struct cr_thread threads[4];	/* 2 in use; add_threads: 4 */
	struct cr_region regions[8];
	struct cr_module modules[2];
	struct cr_memseg segs[1];
	uint8_t data[256];		/* bytes of LIBC_DATA */
	struct cr_analysis a;
	struct cr_thread_analysis ta[4];
	struct cr_frame frames[4][MAX_FRAMES];
	/* symbols the passes' context knows (NULL name: end) */
	struct cr_symbol_override syms[2];
} fx;

/* --- fixture ------------------------------------------------------------- */

static void add_region(uint64_t start, uint64_t end, unsigned prot,
		       const char *path)
{
	struct cr_region *r = &fx.regions[fx.d.nregions++];
	r->start = start;
	r->end = end;
	r->prot_known = true;
	r->prot = prot;
	r->path = (char *)path;
}

static void set_frames(size_t t, const struct cr_frame *f, size_t n)
{
	assert_true(n <= MAX_FRAMES);
	memcpy(fx.frames[t], f, n * sizeof(*f));
	fx.ta[t].stack.frames = fx.frames[t];
	fx.ta[t].stack.nframes = n;
	fx.ta[t].stack.unwound = true;
}

static void set_pc_sp(size_t t, uint64_t pc, uint64_t sp)
{
	cr_regs_set(&fx.threads[t].regs, 16, pc);
	cr_regs_set(&fx.threads[t].regs, 7, sp);
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	struct cr_dump *d = &fx.d;

	d->process.pid = 4242;
	d->process.uid = 1000;
	d->process.executable = "/usr/bin/crashy";
	d->process.os = CR_OS_LINUX;
	d->process.arch = CR_ARCH_X86_64;
	d->process.pointer_size = 8;
	d->event.kind = CR_EVENT_NONE;
	d->event.tid = -1;

	d->regions = fx.regions;
	add_region(EXE_BASE, EXE_BASE + 0x1000, CR_PROT_R | CR_PROT_X, "/usr/bin/crashy");
	add_region(DATA_BASE, DATA_BASE + 0x1000, CR_PROT_R | CR_PROT_W, "/usr/bin/crashy");
	add_region(LIBC_BASE, LIBC_BASE + 0x1000, CR_PROT_R | CR_PROT_X, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	add_region(LIBC_DATA, LIBC_DATA + 0x1000, CR_PROT_R | CR_PROT_W, NULL);
	add_region(GUARD_LO, TSTACK_LO, 0, NULL);
	add_region(TSTACK_LO, TSTACK_HI, CR_PROT_R | CR_PROT_W, NULL);
	add_region(STACK_LO, STACK_HI, CR_PROT_R | CR_PROT_W, "[stack]");

	d->modules = fx.modules;
	d->nmodules = 2;
	fx.modules[0] = (struct cr_module){ .path = "/usr/bin/crashy", .base = EXE_BASE,
					    .size = 0x201000, .is_main = true };
	fx.modules[1] = (struct cr_module){ .path = "/usr/lib/x86_64-linux-gnu/libc.so.6",
					    .base = LIBC_BASE, .size = 0x1000 };

	d->segs = fx.segs;
	d->nsegs = 1;
	fx.segs[0] = (struct cr_memseg){ LIBC_DATA, sizeof(fx.data), fx.data };

	d->threads = fx.threads;
	d->nthreads = 2;
	fx.threads[0].tid = 4242;
	fx.threads[0].name = "crashy";
	fx.threads[0].syscall_known = true;
	fx.threads[1].tid = 4243;
	fx.threads[1].syscall_known = true;
	fx.threads[1].in_syscall = true;
	fx.threads[1].syscall_nr = 202;	/* futex */
	set_pc_sp(0, EXE_BASE + 0x100, STACK_LO + 0x20000);
	set_pc_sp(1, LIBC_BASE + 0x200, TSTACK_LO + 0x8000);

	fx.a.dump = d;
	fx.a.threads = fx.ta;
	fx.a.nthreads = 2;
	fx.a.focus_thread = -1;
	fx.ta[0].thread = &fx.threads[0];
	fx.ta[1].thread = &fx.threads[1];

	static const struct cr_frame main_frames[] = {
		{ .pc = EXE_BASE + 0x100, .module = "crashy", .module_offset = 0x100,
		  .function = "crash_null", .file = "/src/crash.c", .line = 12 },
		{ .pc = EXE_BASE + 0x200, .module = "crashy", .module_offset = 0x200,
		  .function = "main", .file = "/src/crash.c", .line = 20 },
	};
	static const struct cr_frame worker_frames[] = {
		{ .pc = LIBC_BASE + 0x200, .module = "libc.so.6", .module_offset = 0x200,
		  .function = "__futex_abstimed_wait_common" },
		{ .pc = LIBC_BASE + 0x300, .module = "libc.so.6", .module_offset = 0x300,
		  .function = "___pthread_cond_wait" },
		{ .pc = EXE_BASE + 0x300, .module = "crashy", .module_offset = 0x300,
		  .function = "worker", .file = "/src/crash.c", .line = 30 },
	};
	set_frames(0, main_frames, 2);
	set_frames(1, worker_frames, 3);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cr_findings_free(&fx.a.findings);
	memset(&fx.a.findings, 0, sizeof(fx.a.findings));
	for (size_t g = 0; g < fx.a.ngroups; g++)
		free(fx.a.groups[g].members);
	free(fx.a.groups);
	fx.a.groups = NULL;
	fx.a.ngroups = 0;
	cr_problems_free(&fx.a.problems);
	memset(&fx.a.problems, 0, sizeof(fx.a.problems));
	cr_pass_kept_free(&fx.a);
	free(fx.a.crash.address_text);
	free(fx.a.crash.sender);
	free(fx.a.crash.abort_message);
	free(fx.a.crash.signature);
	for (size_t i = 0; i < fx.a.crash.nsig_frames; i++)
		free(fx.a.crash.sig_frames[i]);
	free(fx.a.crash.sig_frames);
	free(fx.a.crash.code);
	free(fx.a.crash.bucket);
	free(fx.a.summary);
	return 0;
}

/* Thread T's state sentence (valid until the next call). */
static const char *state_of(size_t t)
{
	static char buf[256];
	char *s = cr_thread_state_text(&fx.ta[t].st);
	assert_non_null(s);
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

static void signal_event(int signo, int code, bool addr_known, uint64_t addr)
{
	struct cr_event *ev = &fx.d.event;
	ev->kind = CR_EVENT_SIGNAL;
	ev->tid = 4242;
	ev->signo = signo;
	ev->siginfo_known = true;
	ev->si_code = code;
	ev->fault_addr_known = addr_known;
	ev->fault_addr = addr;
}

static void exception_event(uint32_t code, unsigned nparams, uint64_t p0,
			    uint64_t p1)
{
	struct cr_event *ev = &fx.d.event;
	fx.d.process.os = CR_OS_WINDOWS;
	ev->kind = CR_EVENT_EXCEPTION;
	ev->tid = 4242;
	ev->exc_code = code;
	ev->exc_nparams = nparams;
	ev->exc_params[0] = p0;
	ev->exc_params[1] = p1;
}


/* Run pass P on the fixture through its context, as the pipeline does. */
static void run_pass(const struct cr_pass *p)
{
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, p, &fx.a, NULL, NULL);
	ctx.extra_symbols = fx.syms;
	assert_ptr_equal(ctx.dump, &fx.d);
	assert_null(p->run(&ctx));
}

/* Every registered pass, in the registry's order. */
static void run_passes(void)
{
	for (size_t i = 0; i < cr_npasses; i++)
		run_pass(&cr_passes[i]);
	assert_non_null(fx.a.summary);
	assert_non_null(fx.a.crash.signature);
	if (getenv("CR_TEST_VERBOSE"))
		print_message("summary: %s\nsignature: %s\naddress: %s\n",
			      fx.a.summary, fx.a.crash.signature,
			      fx.a.crash.address_text ? fx.a.crash.address_text : "-");
}

/* The one finding the crash pass added (the instruction and exploitability
 * passes may add their own after it). */
static const struct cr_finding *crash_finding(void)
{
	const struct cr_finding *found = NULL;
	for (size_t i = 0; i < fx.a.findings.n; i++)
		if (!strcmp(fx.a.findings.items[i].pass, "crash")) {
			assert_null(found);
			found = &fx.a.findings.items[i];
		}
	assert_non_null(found);
	return found;
}

/* Run the passes again on the same fixture, from a fresh analysis. */
static void rerun_passes(void)
{
	teardown(NULL);
	memset(&fx.a.crash, 0, sizeof(fx.a.crash));
	fx.a.summary = NULL;
	fx.a.focus_thread = -1;
	fx.ta[0].crashed = fx.ta[1].crashed = false;
	run_passes();
}

/*
 * Two more threads for the focus tests: thread 2 (tid 4244) without
 * registers or stack (the thread that wrote a minidump of its own
 * process), thread 3 (tid 4245) waiting on the condition variable with
 * thread 1's stack (a group of two blocked threads).
 */
static void add_threads(void)
{
	fx.d.nthreads = fx.a.nthreads = 4;
	fx.threads[2] = (struct cr_thread){ .tid = 4244 };
	fx.threads[3] = fx.threads[1];
	fx.threads[3].tid = 4245;
	fx.ta[2] = (struct cr_thread_analysis){ .thread = &fx.threads[2] };
	fx.ta[2].stack.end_reason = "no registers recorded for this thread";
	fx.ta[3].thread = &fx.threads[3];
	set_frames(3, fx.frames[1], fx.ta[1].stack.nframes);
}

/* A pass named NAME (static) that adds findings between the registry's
 * passes, as the locks and cpu passes do. */
static struct cr_finding *plant(const char *name, enum cr_severity sev,
				ssize_t thread, const char *signature,
				const char *title)
{
	const struct cr_pass later = { name, "test", 0, 0, NULL };
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, &later, &fx.a, NULL, NULL);
	struct cr_finding *f = cr_pass_finding(&ctx, CR_FINDING_POSSIBLE_BIT_FLIP,
					       sev, "%s", title);
	assert_non_null(f);
	f->thread = thread;
	if (signature)
		assert_true(cr_finding_signature(f, "%s", signature));
	return f;
}

/* The passes that read the findings, after planting them. */
static void run_lead_passes(void)
{
	run_pass(test_pass("group"));
	run_pass(test_pass("signature"));
	run_pass(test_pass("summary"));
	if (getenv("CR_TEST_VERBOSE"))
		print_message("focus %zd\nsummary: %s\nsignature: %s\n",
			      fx.a.focus_thread, fx.a.summary,
			      fx.a.crash.signature);
}

/*
 * A dump taken on demand is told by its top finding: the error before the
 * warning added earlier, on a thread with registers.  The warning's
 * thread has none: never the focus.
 */
static void test_on_demand_led_by_top_finding(void **state)
{
	(void)state;
	add_threads();
	run_pass(test_pass("crash"));
	run_pass(test_pass("state"));
	plant("locks", CR_SEVERITY_WARNING, 2, "convoy: worker",
	      "Lock convoy: 3 threads wait behind thread 4244");
	plant("locks", CR_SEVERITY_INFO, 0, "info: main", "Lock held");
	run_lead_passes();
	/* The warning's thread has no registers: not the focus; its
	 * signature still names the dump (it is the top one that has one). */
	assert_int_not_equal(fx.a.focus_thread, 2);
	assert_string_equal(fx.a.crash.signature, "convoy: worker");
	assert_contains(fx.a.summary, "crashy (pid 4242): Lock convoy: 3 threads wait behind thread 4244, in thread 4244. The dump was taken on demand (no crash). It had 4 threads");

	struct cr_finding *f = plant("locks", CR_SEVERITY_ERROR, 1,
				     "deadlock: mutex_a / mutex_b",
				     "Deadlock: threads 4243 and 4245 wait for each other");
	/* Its evidence names both members, the other one first: the summary
	 * places it in the thread it is about (f->thread). */
	assert_true(cr_finding_thread(f, "waits for mutex_a", 3));
	assert_true(cr_finding_thread(f, "waits for mutex_b", 1));
	run_lead_passes();
	assert_int_equal(fx.a.focus_thread, 1);
	assert_string_equal(fx.a.crash.signature, "deadlock: mutex_a / mutex_b");
	/* Placed at the thread's own code that waits, not in libc. */
	assert_contains(fx.a.summary, "crashy (pid 4242): Deadlock: threads 4243 and 4245 wait for each other, in thread 4243 at worker (crash.c:30). The dump was taken on demand (no crash). It had 4 threads");
	/* The focus thread's group is the first. */
	assert_int_equal(fx.ta[1].group, 0);
	assert_int_equal(fx.a.groups[0].nmembers, 2);
}

/* Without findings: the largest group of blocked threads, never the
 * thread without registers; "no-crash" as before. */
static void test_on_demand_focus_most_blocked(void **state)
{
	(void)state;
	add_threads();
	/* Thread 0 a lone waiter, before the group of two. */
	fx.threads[0].in_syscall = true;
	fx.threads[0].syscall_nr = 202;
	run_pass(test_pass("crash"));
	run_pass(test_pass("state"));
	run_lead_passes();
	assert_int_equal(fx.a.focus_thread, 1);	/* 1 and 3: the largest group */
	assert_int_equal(fx.a.groups[0].nmembers, 2);
	assert_int_equal(fx.ta[3].group, 0);
	assert_string_equal(fx.a.crash.signature, "no-crash");
	assert_contains(fx.a.summary, "crashy (pid 4242): the dump was taken on demand (no crash). It had 4 threads");

	/* Nothing blocked: the first thread with registers, not thread 2. */
	teardown(NULL);
	memset(&fx.a.crash, 0, sizeof(fx.a.crash));
	fx.a.summary = NULL;
	fx.a.focus_thread = -1;
	fx.threads[0] = (struct cr_thread){ .tid = 4242 };	/* no registers */
	fx.ta[0].stack = (struct cr_stack){ 0 };
	fx.threads[1].in_syscall = fx.threads[3].in_syscall = false;
	fx.ta[1].stack.nframes = fx.ta[3].stack.nframes = 1;
	fx.frames[1][0].function = fx.frames[3][0].function = "parse_row";
	run_pass(test_pass("crash"));
	run_pass(test_pass("state"));
	run_lead_passes();
	assert_int_equal(fx.a.focus_thread, 1);
}

/* A signal sent from outside (SIGQUIT for a kernel core of a hung
 * process) has no crash of its own: the top finding leads the focus, the
 * signature and the summary; the crash's sentence follows. */
static void test_signal_sent_led_by_finding(void **state)
{
	(void)state;
	add_threads();
	signal_event(3, 0, false, 0);	/* SIGQUIT, SI_USER */
	run_pass(test_pass("crash"));
	run_pass(test_pass("state"));
	assert_true(fx.a.crash.sent);
	run_lead_passes();
	assert_int_equal(fx.a.focus_thread, 0);	/* the receiver */
	assert_string_equal(fx.a.crash.signature, "SIGQUIT crash_null | main");
	plant("cpu", CR_SEVERITY_WARNING, 3, "spin: parse_row",
	      "Thread 4245 used 97% of the process's CPU time");
	run_lead_passes();
	assert_int_equal(fx.a.focus_thread, 3);
	assert_string_equal(fx.a.crash.signature, "spin: parse_row");
	assert_contains(fx.a.summary, "crashy (pid 4242): Thread 4245 used 97% of the process's CPU time, in thread 4245 at worker (crash.c:30). It ");
	assert_contains(fx.a.summary, "SIGQUIT");
}

/* A real crash keeps its thread and signature whatever later passes find. */
static void test_crash_keeps_focus(void **state)
{
	(void)state;
	add_threads();
	signal_event(11, 1, true, 0);
	run_pass(test_pass("crash"));
	run_pass(test_pass("state"));
	plant("locks", CR_SEVERITY_ERROR, 1, "deadlock: a / b", "Deadlock");
	run_lead_passes();
	assert_int_equal(fx.a.focus_thread, 0);
	assert_string_equal(fx.a.crash.signature, "SIGSEGV crash_null | main");
	assert_contains(fx.a.summary, "crashy (pid 4242) crashed with SIGSEGV");
}

/* --- tables -------------------------------------------------------------- */

static void test_tables(void **state)
{
	const char *name, *text, *verb;
	(void)state;

	assert_string_equal(cr_signal_name(11), "SIGSEGV");
	assert_string_equal(cr_signal_text(11), "segmentation fault");
	assert_string_equal(cr_signal_name(34), "SIGRTMIN+2");
	assert_null(cr_signal_name(0));
	assert_null(cr_signal_name(65));

	cr_si_code_describe(11, 1, &name, &text);
	assert_string_equal(name, "SEGV_MAPERR");
	cr_si_code_describe(7, 1, &name, &text);
	assert_string_equal(name, "BUS_ADRALN");
	cr_si_code_describe(8, 1, &name, &text);
	assert_string_equal(name, "FPE_INTDIV");
	cr_si_code_describe(6, -6, &name, &text);
	assert_string_equal(name, "SI_TKILL");
	cr_si_code_describe(9, 0x80, &name, &text);
	assert_string_equal(name, "SI_KERNEL");
	cr_si_code_describe(9, 1, &name, &text);	/* no SEGV_MAPERR for SIGKILL */
	assert_null(name);
	assert_null(text);

	assert_string_equal(cr_syscall_name(CR_ARCH_X86_64, 0), "read");
	assert_string_equal(cr_syscall_name(CR_ARCH_X86_64, 202), "futex");
	assert_string_equal(cr_syscall_name(CR_ARCH_X86_64, 232), "epoll_wait");
	assert_string_equal(cr_syscall_name(CR_ARCH_AARCH64, 63), "read");
	assert_string_equal(cr_syscall_name(CR_ARCH_AARCH64, 98), "futex");
	assert_string_equal(cr_syscall_name(CR_ARCH_AARCH64, 441), "epoll_pwait2");
	assert_string_equal(cr_syscall_name(CR_ARCH_X86, 240), "futex");
	assert_null(cr_syscall_name(CR_ARCH_X86_64, -1));
	assert_null(cr_syscall_name(CR_ARCH_X86_64, 100000));
	assert_null(cr_syscall_name(CR_ARCH_UNKNOWN, 0));

	cr_ntstatus_describe(0xC00000FD, &name, &text);
	assert_string_equal(name, "EXCEPTION_STACK_OVERFLOW");
	cr_ntstatus_describe(0xE06D7363, &name, &text);
	assert_non_null(name);
	cr_ntstatus_describe(0x12345678, &name, &text);
	assert_null(name);
	cr_fast_fail_describe(13, &name, &text);
	assert_string_equal(name, "FAST_FAIL_INVALID_SET_OF_CONTEXT");
	assert_true(cr_exception_access(0xC0000005, 8, &name, &verb));
	assert_string_equal(name, "EXCEPTION_ACCESS_VIOLATION_EXEC");
	assert_false(cr_exception_access(0xC0000005, 3, &name, &verb));

	assert_true(cr_function_is("__GI_raise", "raise"));
	assert_true(cr_function_is("raise.constprop.0", "raise"));
	assert_true(cr_function_is("std::terminate()", "std::terminate"));
	assert_false(cr_function_is("raise_error", "raise"));
	assert_false(cr_function_is(NULL, "raise"));

	/* The edges of the rule, and a prepared key answers the same. */
	static const struct {
		const char *function, *name;
		bool is;
	} cases[] = {
		{ "__libc_raise.part.0", "raise", true },
		{ "__GI_raise", "__GI_raise", true },
		{ "raise", "rais", false },
		{ "rais", "raise", false },
		{ "raise", "", false },
		{ "(anon)", "", true },
		{ "__GI_", "", true },
		{ "a.b.c", "a.b", true },
		{ "a.b", "a.b.c", false },
		{ "std::terminate()", "std::terminate()", true },
		{ "pthread_cond_wait@@GLIBC_2.3.2", "pthread_cond_wait", false },
		{ "__pthread_cond_wait", "pthread_cond_wait", false },
		{ "raise", NULL, false },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct cr_function_key key;
		cr_function_key(&key, cases[i].function);
		if (cr_function_is(cases[i].function, cases[i].name) != cases[i].is ||
		    cr_function_key_is(&key, cases[i].name) != cases[i].is)
			fail_msg("%s is %s: not %d", cases[i].function,
				 cases[i].name ? cases[i].name : "NULL", cases[i].is);
	}
}

/* --- crash classification ------------------------------------------------ */

static void test_null_deref(void **state)
{
	(void)state;
	signal_event(11, 1, true, 0);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NULL_DEREF);
	assert_string_equal(fx.a.crash.class_id, "null-pointer-dereference");
	assert_string_equal(fx.a.crash.signal_name, "SIGSEGV");
	assert_string_equal(fx.a.crash.code_name, "SEGV_MAPERR");
	assert_string_equal(fx.a.crash.address_text, "0x0 (null pointer)");
	assert_int_equal(fx.a.crash.thread, 0);
	assert_true(fx.ta[0].crashed);
	assert_false(fx.ta[1].crashed);
	assert_contains(fx.a.summary, "crash_null");
	assert_contains(fx.a.summary, "null-pointer");
	assert_contains(fx.a.summary, "crashy (pid 4242) crashed with SIGSEGV");
	assert_contains(fx.a.summary, "called from main (crash.c:20)");
	assert_contains(fx.a.summary, "the other was waiting on a condition variable.");
	assert_string_equal(fx.a.crash.signature,
			    "SIGSEGV crash_null | main");

	/* Stable: the same input gives the same key. */
	char *first = strdup(fx.a.crash.signature);
	run_pass(test_pass("signature"));
	assert_string_equal(fx.a.crash.signature, first);
	free(first);
}

static void test_null_field_offset(void **state)
{
	(void)state;
	signal_event(11, 1, true, 0x18);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NULL_DEREF);
	assert_contains(fx.a.crash.address_text, "null pointer + 0x18");
}

static void test_unmapped(void **state)
{
	(void)state;
	signal_event(11, 1, true, 0x7ff000000000ull);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_UNMAPPED);
	assert_contains(fx.a.crash.address_text, "0x7ff000000000: in no mapped region");
}

static void test_write_readonly(void **state)
{
	(void)state;
	signal_event(11, 2, true, EXE_BASE + 0x10);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_WRITE_READONLY);
	assert_string_equal(fx.a.crash.code_name, "SEGV_ACCERR");
	assert_contains(fx.a.crash.address_text, "inside crashy at offset 0x10 (r-x");
}

static void test_exec_nx(void **state)
{
	(void)state;
	signal_event(11, 2, true, DATA_BASE + 0x10);
	set_pc_sp(0, DATA_BASE + 0x10, STACK_LO + 0x20000);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_EXEC_NX);
	assert_string_equal(fx.a.crash.class_id, "execute-non-executable-memory");
}

static void test_stack_overflow(void **state)
{
	(void)state;
	signal_event(11, 1, true, STACK_LO - 100);
	set_pc_sp(0, EXE_BASE + 0x100, STACK_LO + 16);
	fx.ta[0].stack.nfolds = 1;
	struct cr_fold fold = { .first = 0, .last = 116453, .period = 2,
				.repeats = 58227, .cycle = "list_repr -> PyObject_Repr" };
	fx.ta[0].stack.folds = &fold;
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_STACK_OVERFLOW);
	assert_contains(fx.a.crash.address_text,
			"100 bytes below the stack of thread 4242");
	assert_contains(fx.a.summary, "overflowed its stack (SIGSEGV): 116,454 frames of recursion through list_repr -> PyObject_Repr");
	assert_string_equal(fx.a.crash.signature, "SIGSEGV crash_null | main");
	fx.ta[0].stack.folds = NULL;
	fx.ta[0].stack.nfolds = 0;
}

static void test_stack_overflow_pthread_guard(void **state)
{
	(void)state;
	/* A pthread overflows into its guard page: ACCERR, sp in the guard. */
	fx.d.event.tid = 4243;
	signal_event(11, 2, true, TSTACK_LO - 8);
	fx.d.event.tid = 4243;
	set_pc_sp(1, LIBC_BASE + 0x200, TSTACK_LO - 8);
	run_passes();
	assert_int_equal(fx.a.crash.thread, 1);
	assert_int_equal(fx.a.crash.cls, CR_CRASH_STACK_OVERFLOW);
	assert_contains(fx.a.crash.address_text, "8 bytes below the stack of thread 4243");
}

static void plant_abort_message(const char *msg)
{
	/* __abort_msg at LIBC_DATA points to struct abort_msg_s at +0x10. */
	uint64_t p = LIBC_DATA + 0x10;
	uint32_t size = (uint32_t)(4 + strlen(msg) + 1);
	memcpy(fx.data, &p, 8);
	memcpy(fx.data + 0x10, &size, 4);
	memcpy(fx.data + 0x14, msg, strlen(msg) + 1);
	fx.syms[0] = (struct cr_symbol_override){ "libc.so.6", "__abort_msg",
						  LIBC_DATA };
}

static void test_abort_assert(void **state)
{
	(void)state;
	static const struct cr_frame frames[] = {
		{ .module = "libc.so.6", .function = "__pthread_kill_implementation" },
		{ .module = "libc.so.6", .function = "__GI_raise" },
		{ .module = "libc.so.6", .function = "__GI_abort" },
		{ .module = "libc.so.6", .function = "__assert_fail_base.cold" },
		{ .module = "libc.so.6", .function = "__GI___assert_fail" },
		{ .module = "crashy", .function = "main", .file = "/src/assert.c", .line = 9 },
		{ .module = "libc.so.6", .function = "__libc_start_call_main" },
	};
	set_frames(0, frames, 7);
	plant_abort_message("crashy: assert.c:9: main: Assertion `x > 0' failed.\n");
	signal_event(6, -6, false, 0);
	fx.d.event.sender_known = true;
	fx.d.event.sender_pid = 4242;
	fx.d.event.sender_uid = 1000;
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_ABORT);
	assert_string_equal(fx.a.crash.class_id, "assertion-failure");
	assert_string_equal(fx.a.crash.code_name, "SI_TKILL");
	assert_string_equal(fx.a.crash.abort_message,
			    "crashy: assert.c:9: main: Assertion `x > 0' failed.");
	assert_false(fx.a.crash.address_known);
	assert_contains(fx.a.summary,
			"aborted (SIGABRT) after the assertion \"x > 0\" failed, in thread 4242 (crashy) at main (assert.c:9)");
	assert_string_equal(fx.a.crash.signature, "SIGABRT main");
}

static void test_abort_heap_message(void **state)
{
	(void)state;
	static const struct cr_frame frames[] = {
		{ .module = "libc.so.6", .function = "raise" },
		{ .module = "libc.so.6", .function = "abort" },
		{ .module = "libc.so.6", .function = "__libc_message" },
		{ .module = "libc.so.6", .function = "_int_free" },
		{ .module = "crashy", .function = "release", .file = "/src/heap.c", .line = 5 },
	};
	set_frames(0, frames, 5);
	plant_abort_message("free(): double free detected in tcache 2\n");
	signal_event(6, -6, false, 0);
	fx.d.event.sender_known = true;
	fx.d.event.sender_pid = 4242;
	fx.d.event.sender_uid = 1000;
	run_passes();
	assert_string_equal(fx.a.crash.class_id, "heap-corruption");
	assert_contains(fx.a.summary, "with the message \"free(): double free detected in tcache 2\"");
	assert_contains(fx.a.summary, "at release (heap.c:5)");

	const struct cr_finding *f = crash_finding();
	assert_int_equal(f->id, CR_FINDING_HEAP_CORRUPTION);
	/* read through the context: its symbol and its typed reader */
	assert_string_equal(evidence(f, "abort message")->u.text,
			    "free(): double free detected in tcache 2");
	assert_string_equal(evidence(f, "sender")->u.text,
			    "process 4242 (uid 1000)");
	assert_int_equal(evidence(f, CR_LABEL_WHERE)->u.frame.frame, 4);
	/* the thread stopped in libc's raise, blamed on release */
	assert_int_equal(evidence(f, CR_LABEL_STOPPED)->u.frame.frame, 0);
	for (size_t i = 0; i < f->nevidence; i++)
		assert_int_not_equal(f->evidence[i].kind, CR_EVIDENCE_ADDRESS);

	/* Without the symbol there is no message, and nothing is guessed. */
	fx.syms[0].name = NULL;
	rerun_passes();
	assert_null(fx.a.crash.abort_message);
	assert_string_equal(fx.a.crash.class_id, "abort");
	assert_int_equal(fx.a.findings.items[0].id, CR_FINDING_ABORT);
}

static void test_fpe(void **state)
{
	(void)state;
	signal_event(8, 1, true, EXE_BASE + 0x100);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_ARITHMETIC);
	assert_string_equal(fx.a.crash.code_name, "FPE_INTDIV");
	assert_string_equal(fx.a.crash.code_text, "integer divide by zero");
	assert_contains(fx.a.summary, "an arithmetic error at the instruction at 0x400100");
}

static void test_ill(void **state)
{
	(void)state;
	signal_event(4, 1, true, EXE_BASE + 0x100);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_ILLEGAL_INSN);
	assert_string_equal(fx.a.crash.code_name, "ILL_ILLOPC");
}

static void test_killed(void **state)
{
	(void)state;
	signal_event(9, 0, false, 0);
	fx.d.event.sender_known = true;
	fx.d.event.sender_pid = 1;
	fx.d.event.sender_uid = 0;
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_KILLED);
	assert_string_equal(fx.a.crash.code_name, "SI_USER");
	assert_string_equal(fx.a.crash.sender, "process 1 (uid 0)");
	assert_contains(fx.a.summary, "was killed by SIGKILL sent by process 1 (uid 0); thread 4242 (crashy) was at crash_null (crash.c:12).");
	assert_string_equal(fx.a.crash.signature, "SIGKILL crash_null | main");
	const struct cr_finding *f = &fx.a.findings.items[0];
	assert_int_equal(f->id, CR_FINDING_KILLED);
	assert_int_equal(evidence(f, CR_LABEL_RECEIVER)->u.thread, 0);
	assert_string_equal(evidence(f, "sender")->u.text, "process 1 (uid 0)");
	/* a killed thread did not fail where it was: no callers named */
	for (size_t i = 0; i < f->nevidence; i++)
		assert_string_not_equal(f->evidence[i].label, CR_LABEL_CALLER);
	/* It received the signal: killed, not crashed. */
	assert_true(fx.a.crash.sent);
	assert_string_equal(state_of(0), "received SIGKILL from process 1 (uid 0) while running (not in a system call)");
}

static void test_self_signal_state(void **state)
{
	(void)state;
	signal_event(10, -6, false, 0);	/* SI_TKILL from itself */
	fx.d.event.sender_known = true;
	fx.d.event.sender_pid = fx.d.process.pid;
	fx.d.event.sender_uid = 0;
	run_passes();
	assert_true(fx.a.crash.sent);
	assert_string_equal(state_of(0), "received SIGUSR1 from the process itself while running (not in a system call)");
	assert_contains(fx.a.summary, "was killed with SIGUSR1");
}

static void test_gp_fault(void **state)
{
	(void)state;
	signal_event(11, 0x80, true, 0);
	run_passes();
	assert_string_equal(fx.a.crash.class_id, "general-protection-fault");
	assert_false(fx.a.crash.address_known);	/* si_addr 0 means nothing */
	assert_null(fx.a.crash.address_text);
}

static void test_no_event(void **state)
{
	(void)state;
	fx.threads[0].in_syscall = true;
	fx.threads[0].syscall_nr = 202;
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NONE);
	assert_int_equal(fx.a.crash.thread, -1);
	assert_false(fx.ta[0].crashed);
	assert_contains(fx.a.summary, "taken on demand");
	assert_contains(fx.a.summary,
			"It had 2 threads: 1 waiting on a lock, 1 waiting on a condition variable.");
	/* Both threads wait and none runs: the hang pass's probable hang
	 * leads, and gives the signature (tests/test_hang.c). */
	assert_string_equal(fx.a.crash.signature, "hang: futex in crash_null");
	/* No crash, no crash finding: "no crash" is said in the summary only. */
	for (size_t i = 0; i < fx.a.findings.n; i++)
		assert_string_not_equal(fx.a.findings.items[i].pass, "crash");
	assert_contains(fx.a.summary, ". The dump was taken on demand (no crash).");
}

static void test_library_frames_skipped(void **state)
{
	(void)state;
	static const struct cr_frame frames[] = {
		{ .module = "libc.so.6", .function = "__strlen_avx2" },
		{ .module = "crashy", .function = "crash_func", .file = "/src/s.c", .line = 7 },
	};
	set_frames(0, frames, 2);
	signal_event(11, 1, true, 0);
	run_passes();
	assert_string_equal(fx.a.crash.signature,
			    "SIGSEGV crash_func");
}

/* --- Windows exceptions --------------------------------------------------- */

static void test_windows_av_write_null(void **state)
{
	(void)state;
	exception_event(0xC0000005, 2, 1, 0x45);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NULL_DEREF);
	assert_string_equal(fx.a.crash.signal_name, "EXCEPTION_ACCESS_VIOLATION_WRITE");
	assert_true(fx.a.crash.address_known);
	assert_int_equal(fx.a.crash.address, 0x45);
	assert_contains(fx.a.summary, "writing to address 0x45 (null pointer + 0x45");
	assert_string_equal(fx.a.crash.signature,
			    "EXCEPTION_ACCESS_VIOLATION crash_null | main");
}

static void test_windows_av_write_readonly(void **state)
{
	(void)state;
	exception_event(0xC0000005, 2, 1, EXE_BASE + 0x20);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_WRITE_READONLY);
}

static void test_windows_av_exec(void **state)
{
	(void)state;
	exception_event(0xC0000005, 2, 8, DATA_BASE + 0x40);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_EXEC_NX);
	assert_string_equal(fx.a.crash.signal_name, "EXCEPTION_ACCESS_VIOLATION_EXEC");
}

static void test_windows_fail_fast(void **state)
{
	(void)state;
	exception_event(0xC0000409, 1, 2, 0);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_ABORT);
	assert_string_equal(fx.a.crash.signal_name, "STATUS_STACK_BUFFER_OVERRUN");
	assert_string_equal(fx.a.crash.code_name, "FAST_FAIL_STACK_COOKIE_CHECK_FAILURE");
	assert_string_equal(fx.a.crash.class_id, "stack-buffer-overrun");
	assert_contains(fx.a.summary, "aborted (STATUS_STACK_BUFFER_OVERRUN, FAST_FAIL_STACK_COOKIE_CHECK_FAILURE)");
}

static void test_windows_stack_overflow(void **state)
{
	(void)state;
	exception_event(0xC00000FD, 2, 1, STACK_LO - 0x100);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_STACK_OVERFLOW);
}

static void test_windows_av_32bit_high_garbage(void **state)
{
	(void)state;
	/* Breakpad's minidump_32bit_crash_addr.dmp: the parameter holds
	 * 0xffffffff00000045 for a 32-bit process; the address is 0x45. */
	fx.d.process.arch = CR_ARCH_X86;
	fx.d.process.pointer_size = 4;
	fx.d.nregions = 0;
	exception_event(0xC0000005, 2, 1, 0xffffffff00000045ull);
	run_passes();
	assert_int_equal(fx.a.crash.address, 0x45);
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NULL_DEREF);
}

static void test_windows_av_read_no_map_ascii(void **state)
{
	(void)state;
	fx.d.process.arch = CR_ARCH_X86;
	fx.d.process.pointer_size = 4;
	fx.d.nregions = 0;
	exception_event(0xC0000005, 2, 0, 0x41414141);
	run_passes();
	assert_string_equal(fx.a.crash.class_id, "read-access-violation");
	/* The class says "read": no ", reading address" after it. */
	assert_contains(fx.a.summary, "an invalid read (of unmapped or unreadable memory) at address 0x41414141");
	assert_contains(fx.a.crash.address_text, "ASCII text \"AAAA\"");
}

static void test_windows_invalid_parameter_assertion(void **state)
{
	(void)state;
	static char msg[] = "Invalid parameter passed to library function format != nullptr in function common_vfprintf, in file output.cpp at line 32";
	exception_event(0xC000000D, 0, 0, 0);
	fx.d.event.assertion = msg;
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_ABORT);
	assert_string_equal(fx.a.crash.class_id, "invalid-parameter");
	assert_string_equal(fx.a.crash.abort_message, msg);
	assert_contains(fx.a.summary, "aborted (STATUS_INVALID_PARAMETER)");
	assert_contains(fx.a.summary, "with the message \"Invalid parameter passed to library function format != nullptr");
	assert_false(fx.a.crash.address_known);
}

static void test_null_function_call(void **state)
{
	(void)state;
	set_pc_sp(0, 0, STACK_LO + 0x20000);
	signal_event(11, 1, true, 0);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NULL_DEREF);
	assert_string_equal(fx.a.crash.class_id, "null-function-pointer-call");
}

static void test_damaged_no_threads(void **state)
{
	(void)state;
	fx.d.nthreads = 0;
	fx.a.nthreads = 0;
	run_passes();
	assert_contains(fx.a.summary, "records no crash and no threads");
}

/* --- Mach exceptions (macOS / iOS minidumps) ------------------------------ */

static void mach_event(uint32_t exception, uint32_t code, uint64_t address)
{
	struct cr_event *ev = &fx.d.event;
	fx.d.process.os = CR_OS_MACOS;
	fx.d.process.os_version = "11.6.7 20G630";
	fx.d.nregions = 0;
	ev->kind = CR_EVENT_EXCEPTION;
	ev->tid = 4242;
	ev->exc_code = exception;
	ev->exc_flags = code;
	ev->exc_address = address;
	if (exception == 1) {
		ev->fault_addr_known = true;
		ev->fault_addr = address;
	}
}

static void test_mach_bad_access_kernel_address(void **state)
{
	(void)state;
	/* rust-minidump's pipeline-inlines-macos-segv.dmp */
	mach_event(1, 1, 0xffffffff80000042ull);
	run_passes();
	assert_string_equal(fx.a.crash.signal_name, "EXC_BAD_ACCESS");
	assert_string_equal(fx.a.crash.code_name, "KERN_INVALID_ADDRESS");
	assert_string_equal(fx.a.crash.class_id, "unmapped-memory-access");
	assert_int_equal(fx.a.crash.address, 0xffffffff80000042ull);
	assert_contains(fx.a.summary, "crashed with EXC_BAD_ACCESS / KERN_INVALID_ADDRESS: an access to unmapped memory at address 0xffffffff80000042");
	assert_contains(fx.a.crash.address_text, "kernel's half");
	assert_string_equal(fx.a.crash.signature,
			    "EXC_BAD_ACCESS crash_null | main");
}

static void test_mach_bad_access_null(void **state)
{
	(void)state;
	mach_event(1, 1, 0x10);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NULL_DEREF);
	mach_event(1, 2, 0x10);	/* a protection failure near 0 is null too */
	rerun_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NULL_DEREF);
	assert_string_equal(fx.a.crash.code_name, "KERN_PROTECTION_FAILURE");
}

static void test_mach_protection_failure(void **state)
{
	(void)state;
	mach_event(1, 2, 0x100000000ull);
	run_passes();
	assert_string_equal(fx.a.crash.class_id, "protected-memory-access");
}

static void test_mach_codes_by_cpu(void **state)
{
	(void)state;
	/* EXC_ARITHMETIC code 1 is a division on x86, an FP invalid
	 * operation on ARM */
	mach_event(3, 1, EXE_BASE + 0x100);
	run_passes();
	assert_string_equal(fx.a.crash.code_name, "EXC_I386_DIV");
	assert_int_equal(fx.a.crash.cls, CR_CRASH_ARITHMETIC);
	assert_false(fx.a.crash.address_known);	/* the pc, not data */
	const char *name, *text;
	cr_mach_code_describe(3, CR_ARCH_AARCH64, 1, &name, &text);
	assert_string_equal(name, "EXC_ARM_FP_IO");
	cr_mach_code_describe(6, CR_ARCH_AARCH64, 1, &name, &text);
	assert_string_equal(name, "EXC_ARM_BREAKPOINT");
	cr_mach_code_describe(1, CR_ARCH_X86_64, 13, &name, &text);
	assert_string_equal(name, "EXC_I386_GPFLT");
	cr_mach_code_describe(1, CR_ARCH_AARCH64, 13, &name, &text);
	assert_null(name);
	cr_mach_code_describe(11, CR_ARCH_AARCH64, 3ull << 61, &name, &text);
	assert_string_equal(name, "RESOURCE_TYPE_MEMORY");
	cr_mach_exception_describe(12, &name, &text);
	assert_string_equal(name, "EXC_GUARD");
}

static void test_mach_gp_fault(void **state)
{
	(void)state;
	mach_event(1, 13, 0);
	run_passes();
	assert_string_equal(fx.a.crash.class_id, "general-protection-fault");
	assert_false(fx.a.crash.address_known);
}

static void test_mach_software_abort(void **state)
{
	(void)state;
	mach_event(5, 0x10002, EXE_BASE + 0x100);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_ABORT);
	assert_contains(fx.a.summary, "aborted (EXC_SOFTWARE / SIGABRT)");
}

static void test_mach_crashpad_exc_crash_abort(void **state)
{
	(void)state;
	/* rust-minidump's simple-crashpad.dmp: code 0, flags 0, parameters
	 * EXC_CRASH, 0x06000000 (signal 6, no original exception), 0; the
	 * message is libsystem_c's list annotation. */
	static struct cr_annotation notes[] = {
		{ .module = NULL, .key = "hello", .value = "world" },
		{ .module = "libsystem_c.dylib", .key = NULL, .value = "abort() called" },
	};
	mach_event(0, 0, EXE_BASE + 0x100);
	fx.d.event.exc_nparams = 3;
	fx.d.event.exc_params[0] = 10;
	fx.d.event.exc_params[1] = 0x6000000;
	fx.d.annotations = notes;
	fx.d.nannotations = 2;
	run_passes();
	assert_null(fx.a.crash.signal_name);
	assert_string_equal(fx.a.crash.class_id, "abort");
	assert_string_equal(fx.a.crash.abort_message, "abort() called");
	assert_contains(fx.a.summary, "aborted (0x00000000 / 0x00000000, from EXC_CRASH on SIGABRT) with the message \"abort() called\"");
	assert_string_equal(fx.a.crash.signature, "EXC_CRASH crash_null | main");
}

static void test_mach_exc_crash_wrapping_bad_access(void **state)
{
	(void)state;
	/* EXC_CRASH as the kernel sends it: EXC_BAD_ACCESS (1 << 20) and
	 * SIGSEGV (11 << 24) inside code[0]. */
	mach_event(10, (11u << 24) | (1u << 20) | 1u, EXE_BASE + 0x100);
	run_passes();
	assert_string_equal(fx.a.crash.signal_name, "EXC_CRASH");
	assert_string_equal(fx.a.crash.class_id, "invalid-memory-access");
	assert_contains(fx.a.summary, "EXC_CRASH / 0x0b100001, wrapping EXC_BAD_ACCESS / KERN_INVALID_ADDRESS on SIGSEGV");
}

static void test_mach_simulated(void **state)
{
	(void)state;
	mach_event(0x43507378, 0, 0);
	run_passes();
	assert_int_equal(fx.a.crash.cls, CR_CRASH_NONE);
}

static void test_ios_is_mach(void **state)
{
	(void)state;
	mach_event(6, 1, EXE_BASE + 0x100);
	fx.d.process.os = CR_OS_OTHER;
	fx.d.process.os_version = "iOS 17.0.0 21A329";
	fx.d.process.arch = CR_ARCH_AARCH64;
	run_passes();
	assert_string_equal(fx.a.crash.signal_name, "EXC_BREAKPOINT");
	assert_string_equal(fx.a.crash.code_name, "EXC_ARM_BREAKPOINT");
	assert_int_equal(fx.a.crash.cls, CR_CRASH_BREAKPOINT);
}

/* --- thread states -------------------------------------------------------- */

static void test_state_syscall_read(void **state)
{
	(void)state;
	fx.threads[1].syscall_nr = 0;	/* read */
	cr_regs_set(&fx.threads[1].regs, 5, 5);	/* rdi = fd 5 */
	static const struct cr_frame frames[] = {
		{ .module = "libc.so.6", .function = "__GI___libc_read" },
		{ .module = "crashy", .function = "reader" },
	};
	set_frames(1, frames, 2);
	signal_event(11, 1, true, 0);
	run_passes();
	assert_string_equal(state_of(0), "crashed here");
	assert_false(fx.a.crash.sent);
	assert_string_equal(state_of(1),
			    "blocked reading (in system call read on fd 5)");
	assert_contains(fx.a.summary, "the other was blocked reading.");
}

static void test_state_futex_condvar(void **state)
{
	(void)state;
	run_passes();
	assert_string_equal(state_of(1),
			    "waiting on a condition variable (in ___pthread_cond_wait)");
	assert_string_equal(state_of(0), "running (not in a system call)");
}

static void test_state_aarch64_no_fd(void **state)
{
	(void)state;
	fx.d.process.arch = CR_ARCH_AARCH64;
	fx.threads[1].syscall_nr = 63;	/* read */
	cr_regs_set(&fx.threads[1].regs, 0, 5);
	fx.ta[1].stack.nframes = 0;
	run_passes();
	assert_string_equal(state_of(1), "blocked reading (in system call read)");
}

static void test_state_from_frames_only(void **state)
{
	(void)state;
	fx.threads[1].syscall_known = false;
	static const struct cr_frame frames[] = {
		{ .module = "ntdll.dll", .function = "NtWaitForSingleObject" },
		{ .module = "kernelbase.dll", .function = "WaitForSingleObjectEx" },
	};
	set_frames(1, frames, 2);
	run_passes();
	assert_string_equal(state_of(1),
			    "waiting on a kernel object (in NtWaitForSingleObject)");
}


/* --- the registry, the findings ------------------------------------------ */

static void test_registry(void **state)
{
	unsigned have = CR_FACT_STACKS;
	(void)state;

	assert_true(cr_npasses > 0);
	for (size_t i = 0; i < cr_npasses; i++) {
		const struct cr_pass *p = &cr_passes[i];
		assert_non_null(p->name);
		assert_non_null(p->run);
		assert_true(p->what && p->what[0]);
		/* Every pass's needs are added by an earlier pass. */
		if (p->needs & ~have)
			fail_msg("pass %s needs facts 0x%x no earlier pass adds",
				 p->name, p->needs & ~have);
		assert_true(p->adds != 0);
		have |= p->adds;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cr_passes[j].name, p->name))
				fail_msg("two passes named %s", p->name);
	}
	/* Every finding id has a recommendation, and its name finds it. */
	for (unsigned id = 0; id < CR_FINDING_COUNT; id++) {
		const struct cr_finding_info *info = cr_finding_info(id);
		enum cr_finding_id back;
		assert_non_null(info);
		assert_true(info->id && info->id[0]);
		if (!info->recommendation || strlen(info->recommendation) < 40)
			fail_msg("finding %s: no recommendation", info->id);
		assert_true(cr_finding_id_lookup(info->id, &back));
		assert_int_equal(back, id);
	}
	assert_null(cr_finding_info(CR_FINDING_COUNT));
}

static void test_crash_kinds_are_findings(void **state)
{
	const char *id;
	enum cr_finding_id finding;
	size_t n = 0;
	(void)state;

	for (size_t i = 0; cr_crash_kind(i, &id, &finding); i++, n++) {
		if (!strcmp(id, "none")) {
			/* A dump taken on demand: no crash finding. */
			assert_int_equal(finding, CR_FINDING_COUNT);
			continue;
		}
		const struct cr_finding_info *info = cr_finding_info(finding);
		if (!info || strcmp(info->id, id))
			fail_msg("crash kind %s maps to finding %s", id,
				 info ? info->id : "(none)");
	}
	assert_true(n > 40);
}

static void test_crash_finding_evidence(void **state)
{
	(void)state;
	signal_event(11, 1, true, 0);
	run_passes();
	const struct cr_finding *f = crash_finding();
	assert_int_equal(f->id, CR_FINDING_NULL_POINTER_DEREFERENCE);
	assert_int_equal(f->severity, CR_SEVERITY_ERROR);
	assert_string_equal(f->pass, "crash");
	assert_int_equal(f->thread, 0);
	assert_string_equal(f->title, "Crashed with SIGSEGV (segmentation fault): a null-pointer dereference at address 0x0 (null pointer)");

	const struct cr_evidence *e = evidence(f, CR_LABEL_THREAD);
	assert_int_equal(e->kind, CR_EVIDENCE_THREAD);
	assert_int_equal(e->u.thread, 0);
	e = evidence(f, CR_LABEL_WHERE);
	assert_int_equal(e->kind, CR_EVIDENCE_FRAME);
	assert_int_equal(e->u.frame.thread, 0);
	assert_int_equal(e->u.frame.frame, 0);
	e = evidence(f, CR_LABEL_CALLER);
	assert_int_equal(e->u.frame.frame, 1);	/* main */
	e = evidence(f, "faulting address");
	assert_int_equal(e->kind, CR_EVIDENCE_ADDRESS);
	assert_int_equal(e->u.address.value, 0);
	assert_string_equal(e->u.address.where, "null pointer");
	assert_string_equal(evidence(f, "signal")->u.text,
			    "SIGSEGV (segmentation fault)");
	assert_string_equal(evidence(f, "code")->u.text,
			    "SEGV_MAPERR (address not mapped to object)");
	/* The summary says what the finding says. */
	assert_contains(fx.a.summary, "crashed with SIGSEGV (segmentation fault): a null-pointer dereference at address 0x0 (null pointer), in thread 4242 (crashy) at crash_null (crash.c:12), called from main (crash.c:20).");
}

/*
 * The whole pipeline on a synthetic minidump (cr_analyze runs the
 * registry): the crash pass's finding is in a->findings with its evidence,
 * and the summary says the same.
 */
static void test_pipeline_minidump_finding(void **state)
{
	(void)state;
	struct mds m;
	mds_init(&m);
	mds_windows_app(&m);
	static uint64_t words[64];
	const uint64_t stack = 0x7000000, pc = 0x140001000;
	struct mds_thread th = {
		.tid = 0x10, .stack_start = stack, .stack_size = 0,
		.ctx = mds_context_amd64(&m, pc, stack, 0),
	};
	mds_thread_list(&m, &th, 1, false);
	struct mds_range r = { stack, words, sizeof(words) };
	mds_memory64_list(&m, &r, 1);
	uint64_t params[2] = { 1, 0x45 };	/* a write to 0x45 */
	mds_exception(&m, 0x10, 0xc0000005, 0, pc, params, 2,
		      mds_context_amd64(&m, pc, stack, 0));
	struct cr_dump *d;
	struct cr_analysis *a = mds_analyze(&m, "av.dmp", &d);

	const struct cr_finding *f = NULL;
	for (size_t i = 0; i < a->findings.n; i++)
		if (!strcmp(a->findings.items[i].pass, "crash"))
			f = &a->findings.items[i];
	assert_non_null(f);
	assert_int_equal(f->id, CR_FINDING_NULL_POINTER_DEREFERENCE);
	assert_int_equal(f->severity, CR_SEVERITY_ERROR);
	assert_int_equal(f->thread, 0);
	assert_int_equal(evidence(f, CR_LABEL_THREAD)->u.thread, 0);
	const struct cr_evidence *e = evidence(f, "faulting address");
	assert_int_equal(e->u.address.value, 0x45);
	assert_contains(e->u.address.where, "null pointer + 0x45");
	assert_string_equal(evidence(f, "exception")->u.text,
			    "EXCEPTION_ACCESS_VIOLATION_WRITE");
	assert_contains(f->title, "writing to address 0x45 (null pointer + 0x45");
	assert_contains(a->summary, "crashed with EXCEPTION_ACCESS_VIOLATION_WRITE: a null-pointer dereference, writing to address 0x45 (null pointer + 0x45");
	assert_string_equal(a->crash.class_id, "null-pointer-dereference");
	cr_analysis_free(a);
	cr_dump_free(d);
	mds_free(&m);
}

/*
 * A later pass's error about the crashing thread leads the summary (the
 * instruction pass's "divide by zero" for the crash's arithmetic error);
 * the crash's sentence follows.
 */
static void test_summary_led_by_later_finding(void **state)
{
	static const struct cr_pass later = {
		"instruction", "test", CR_FACT_CRASH, CR_FACT_INSTRUCTION, NULL,
	};
	struct cr_pass_ctx ctx;
	(void)state;

	signal_event(8, 1, true, EXE_BASE + 0x100);
	run_pass(test_pass("crash"));
	run_pass(test_pass("state"));
	run_pass(test_pass("group"));
	cr_pass_ctx_init(&ctx, &later, &fx.a, NULL, NULL);
	struct cr_finding *f = cr_pass_finding(&ctx, CR_FINDING_ARITHMETIC_ERROR,
					       CR_SEVERITY_ERROR,
					       "Divide by zero: the divisor %s is 0",
					       "ecx");
	assert_non_null(f);
	f->thread = 0;
	assert_true(cr_finding_thread(f, CR_LABEL_THREAD, 0));
	assert_true(cr_finding_frame(f, CR_LABEL_WHERE, 0, 0));
	assert_string_equal(f->pass, "instruction");
	run_pass(test_pass("summary"));
	assert_contains(fx.a.summary, "crashy (pid 4242): Divide by zero: the divisor ecx is 0, in thread 4242 (crashy) at crash_null (crash.c:12). It crashed with SIGFPE");
	assert_contains(fx.a.summary, "It crashed with SIGFPE (arithmetic exception): an arithmetic error at the instruction at 0x400100 (inside crashy at offset 0x100 (r-x, read-only, executable)). It had 2 threads");

	/* An error about another thread does not displace the crash. */
	fx.a.findings.items[1].thread = 1;
	run_pass(test_pass("summary"));
	assert_contains(fx.a.summary, "crashy (pid 4242) crashed with SIGFPE");
	/* Nor does a warning about the crashing thread. */
	fx.a.findings.items[1].thread = 0;
	fx.a.findings.items[1].severity = CR_SEVERITY_WARNING;
	run_pass(test_pass("summary"));
	assert_contains(fx.a.summary, "crashy (pid 4242) crashed with SIGFPE");
	/* A process killed from outside: a later error leads whatever its
	 * thread (a hang is why a watchdog killed it). */
	fx.a.findings.items[1].severity = CR_SEVERITY_ERROR;
	fx.a.findings.items[1].thread = 1;
	fx.a.crash.sent = true;
	run_pass(test_pass("summary"));
	assert_contains(fx.a.summary, "crashy (pid 4242): Divide by zero");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tables),
		T(test_null_deref),
		T(test_null_field_offset),
		T(test_unmapped),
		T(test_write_readonly),
		T(test_exec_nx),
		T(test_stack_overflow),
		T(test_stack_overflow_pthread_guard),
		T(test_abort_assert),
		T(test_abort_heap_message),
		T(test_fpe),
		T(test_ill),
		T(test_killed),
		T(test_self_signal_state),
		T(test_gp_fault),
		T(test_no_event),
		T(test_on_demand_led_by_top_finding),
		T(test_on_demand_focus_most_blocked),
		T(test_signal_sent_led_by_finding),
		T(test_crash_keeps_focus),
		T(test_library_frames_skipped),
		T(test_windows_av_write_null),
		T(test_windows_av_write_readonly),
		T(test_windows_av_exec),
		T(test_windows_fail_fast),
		T(test_windows_stack_overflow),
		T(test_windows_av_32bit_high_garbage),
		T(test_windows_av_read_no_map_ascii),
		T(test_windows_invalid_parameter_assertion),
		T(test_null_function_call),
		T(test_damaged_no_threads),
		T(test_mach_bad_access_kernel_address),
		T(test_mach_bad_access_null),
		T(test_mach_protection_failure),
		T(test_mach_codes_by_cpu),
		T(test_mach_gp_fault),
		T(test_mach_software_abort),
		T(test_mach_crashpad_exc_crash_abort),
		T(test_mach_exc_crash_wrapping_bad_access),
		T(test_mach_simulated),
		T(test_ios_is_mach),
		T(test_state_syscall_read),
		T(test_state_futex_condvar),
		T(test_state_aarch64_no_fd),
		T(test_state_from_frames_only),
		T(test_registry),
		T(test_crash_kinds_are_findings),
		T(test_crash_finding_evidence),
		T(test_summary_led_by_later_finding),
		T(test_pipeline_minidump_finding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
