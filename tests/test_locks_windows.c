/*
 * test_locks_windows.c - the Windows discovery of the wait-for graph
 * (analyzer/passes/locks_windows.c), through the locks pass's context on
 * a dump built in memory: x64 threads stopped in the critical-section, SRW
 * and handle waits of ntdll with the objects planted in dump memory, the
 * PEB's loader lock and the critical sections' list; and what a hostile
 * dump plants instead (debug information that does not point back, an
 * owner that is no thread id, a list that loops, handles that are not in
 * the HandleData stream).  The graph is checked, not the findings made of
 * it (tests/test_locks.c does those).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "locks.h"
#include "pass.h"
#include "test_asserts.h"

#define NTDLL 0x180000000ull
#define APP 0x40000000ull	/* below 4 GiB: the x86 test shares it */
#define DATA (APP + 0x10000)	/* app.exe's .data, in the dump */
#define STACKS 0x1000000ull
#define STACK_SIZE 0x1000u
#define NTHREADS 5
#define MAX_FRAMES 6

/* Objects in DATA (offsets). */
#define CS_A 0x100
#define CS_B 0x140
#define CS_C 0x180	/* held, nobody waits: found by the list */
#define CS_GARBAGE 0x1c0	/* debug info does not point back */
#define DBG_A 0x200
#define DBG_B 0x240
#define DBG_C 0x280
#define DBG_LOADER 0x2c0
#define LOADER 0x300
#define LIST_HEAD 0x340	/* ntdll's list head: no debug information */
#define SRW 0x360
#define PEB 0x400
#define TEB 0x800

static struct fixture {
	struct cr_dump d;
	struct cr_thread threads[NTHREADS];
	struct cr_module modules[2];
	struct cr_memseg segs[2];
	struct cr_handle handles[2];
	uint8_t stacks[NTHREADS * STACK_SIZE];
	uint8_t data[0x1000];
	struct cr_analysis a;
	struct cr_thread_analysis ta[NTHREADS];
	struct cr_frame frames[NTHREADS][MAX_FRAMES];
} fx;

static void put64(uint64_t addr, uint64_t v)
{
	uint8_t *p = NULL;
	if (addr >= DATA && addr + 8 <= DATA + sizeof(fx.data))
		p = fx.data + (addr - DATA);
	else if (addr >= STACKS && addr + 8 <= STACKS + sizeof(fx.stacks))
		p = fx.stacks + (addr - STACKS);
	else
		fail_msg("put64 outside the fixture's memory: 0x%llx",
			 (unsigned long long)addr);
	if (!p)
		return;
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint64_t addr, uint32_t v)
{
	uint8_t *p = fx.data + (addr - DATA);
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An RTL_CRITICAL_SECTION (x64) at DATA+CS with its debug info at
 * DATA+DBG (0: none, -1 in DebugInfo) linked after DATA+PREV's. */
static void plant_cs(uint32_t cs, uint32_t dbg, uint64_t owner,
		     uint32_t recursion)
{
	put64(DATA + cs, dbg ? DATA + dbg : UINT64_MAX);
	put32(DATA + cs + 8, owner ? 1 : UINT32_MAX);	/* LockCount */
	put32(DATA + cs + 12, recursion);
	put64(DATA + cs + 16, owner);
	if (dbg)
		put64(DATA + dbg + 8, DATA + cs);
}

/* Link debug infos (ProcessLocksList at +0x10) in a circular list. */
static void link_list(const uint32_t *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put64(DATA + entries[i] + 0x10, DATA + entries[(i + 1) % n] + 0x10);
}

static uint64_t sp_of(size_t t)
{
	return STACKS + t * STACK_SIZE + 0x100;
}

/*
 * Thread T stopped in a wait: frames FNS (innermost first) in ntdll, then
 * one frame of app.exe; the return address of frame i+1 is at sp + 0x40*i.
 */
static void set_wait(size_t t, const char *const *fns, size_t n)
{
	assert_true(n + 1 <= MAX_FRAMES);
	uint64_t sp = sp_of(t);
	for (size_t i = 0; i <= n; i++) {
		struct cr_frame *f = &fx.frames[t][i];
		f->pc = i < n ? NTDLL + 0x100 * (i + 1) + t : APP + 0x1000 + t;
		f->module = i < n ? "ntdll.dll" : "app.exe";
		f->function = i < n ? fns[i] : "worker";
		f->trust = i ? CR_TRUST_CFI : CR_TRUST_CONTEXT;
		if (i > 0)
			put64(sp + 0x40 * (i - 1), f->pc);
	}
	fx.ta[t].stack.frames = fx.frames[t];
	fx.ta[t].stack.nframes = n + 1;
	fx.ta[t].stack.unwound = true;
	cr_regs_set(&fx.threads[t].regs, 16, fx.frames[t][0].pc);
	cr_regs_set(&fx.threads[t].regs, 7, sp);
}

static const char *const cs_wait[] = {
	"NtWaitForAlertByThreadId", "RtlpWaitOnCriticalSection",
	"RtlEnterCriticalSection",
};
static const char *const srw_wait[] = {
	"NtWaitForAlertByThreadId", "RtlAcquireSRWLockShared",
};
static const char *const handle_wait[] = {
	"NtWaitForSingleObject", "WaitForSingleObjectEx", "WaitForSingleObject",
};

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	struct cr_dump *d = &fx.d;
	d->process.pid = 4000;
	d->process.os = CR_OS_WINDOWS;
	d->process.arch = CR_ARCH_X86_64;
	d->process.pointer_size = 8;
	d->event.tid = -1;
	d->modules = fx.modules;
	d->nmodules = 2;
	fx.modules[0] = (struct cr_module){ .path = "C:\\app\\app.exe",
					    .base = APP, .size = 0x100000,
					    .kind = CR_MODULE_PE, .is_main = true };
	fx.modules[1] = (struct cr_module){ .path = "C:\\Windows\\System32\\ntdll.dll",
					    .base = NTDLL, .size = 0x200000,
					    .kind = CR_MODULE_PE };
	d->segs = fx.segs;
	d->nsegs = 2;
	fx.segs[0] = (struct cr_memseg){ STACKS, sizeof(fx.stacks), fx.stacks };
	fx.segs[1] = (struct cr_memseg){ DATA, sizeof(fx.data), fx.data };
	d->threads = fx.threads;
	d->nthreads = NTHREADS;
	fx.a.dump = d;
	fx.a.threads = fx.ta;
	fx.a.nthreads = NTHREADS;
	fx.a.focus_thread = -1;
	for (size_t t = 0; t < NTHREADS; t++) {
		fx.threads[t].tid = 100 + 4 * (int64_t)t;
		fx.threads[t].stack_lo = STACKS + t * STACK_SIZE;
		fx.threads[t].stack_hi = fx.threads[t].stack_lo + STACK_SIZE;
		fx.threads[t].teb = DATA + TEB + 0x100 * t;
		put64(fx.threads[t].teb + 0x60, DATA + PEB);
		fx.ta[t].thread = &fx.threads[t];
	}
	put64(DATA + PEB + 0x110, DATA + LOADER);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cr_findings_free(&fx.a.findings);
	cr_problems_free(&fx.a.problems);
	cr_pass_kept_free(&fx.a);
	return 0;
}

static const struct cr_lock_graph *run_locks(void)
{
	const struct cr_pass *p = test_pass("locks");
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, p, &fx.a, NULL, NULL);
	assert_null(p->run(&ctx));
	const struct cr_lock_graph *g = cr_lock_graph_of(&fx.a);
	assert_non_null(g);
	return g;
}

/* The lock thread T waits for, NULL when it waits for none. */
static const struct cr_lock *lock_of(const struct cr_lock_graph *g, size_t t)
{
	const struct cr_lock_wait *w = cr_lock_graph_wait_of(g, t);
	return w ? &g->locks[w->lock] : NULL;
}

static const struct cr_lock *lock_at(const struct cr_lock_graph *g,
				     uint64_t addr, bool is_handle)
{
	for (size_t i = 0; i < g->nlocks; i++)
		if (g->locks[i].addr == addr && g->locks[i].is_handle == is_handle)
			return &g->locks[i];
	return NULL;
}

static bool has_problem(const char *needle)
{
	for (size_t i = 0; i < fx.a.problems.n; i++)
		if (strstr(fx.a.problems.items[i].text, needle))
			return true;
	return false;
}

/* Two threads waiting for each other's critical section; each has the
 * address of the one it holds on its stack too (the first further out
 * than the one it waits for, the second deeper). */
static void test_critical_section_deadlock(void **state)
{
	(void)state;
	plant_cs(CS_A, DBG_A, 100, 1);	/* held by thread 0 */
	plant_cs(CS_B, DBG_B, 104, 2);	/* held by thread 1, twice */
	link_list((const uint32_t[]){ DBG_A, DBG_B }, 2);
	set_wait(0, cs_wait, 3);
	set_wait(1, cs_wait, 3);
	put64(sp_of(0) + 0x78, DATA + CS_B);	/* RtlEnterCriticalSection's */
	put64(sp_of(0) + 0x88, DATA + CS_A);	/* its own, further out */
	put64(sp_of(1) + 0x98, DATA + CS_A);	/* in the caller's home space */
	put64(sp_of(1) + 0x08, DATA + CS_B);
	const struct cr_lock_graph *g = run_locks();

	const struct cr_lock *l0 = lock_of(g, 0), *l1 = lock_of(g, 1);
	assert_non_null(l0);
	assert_non_null(l1);
	assert_int_equal(l0->addr, DATA + CS_B);
	assert_int_equal(l0->kind, CR_LOCK_CRITICAL_SECTION);
	assert_true(l0->owner_known);
	assert_int_equal(l0->owner_tid, 104);
	assert_int_equal(l0->owner, 1);
	assert_int_equal(l0->recursion, 2);
	assert_string_equal(l0->name, "app.exe+0x10140");
	assert_int_equal(l1->addr, DATA + CS_A);
	assert_int_equal(l1->owner, 0);
	const struct cr_lock_wait *w = cr_lock_graph_wait_of(g, 0);
	assert_string_equal(w->how, "RtlEnterCriticalSection");
	assert_int_equal(w->frame, 2);
	assert_int_equal(w->mode, CR_WAIT_EXCLUSIVE);
	assert_null(cr_lock_graph_wait_of(g, 2));
	assert_int_equal(g->nwaits, 2);
}

/*
 * Windows 8's critical sections without debug information (DebugInfo -1)
 * are believed only when held by a thread of the dump; a struct whose
 * debug information does not point back is not a critical section, so
 * the wait has no lock and a problem says so.  A crashed thread waits for
 * nothing.
 */
static void test_no_debug_info_and_garbage(void **state)
{
	(void)state;
	plant_cs(CS_A, 0, 108, 1);	/* -1, held by thread 2 */
	plant_cs(CS_B, 0, 5555, 1);	/* -1, held by nobody we know */
	plant_cs(CS_GARBAGE, DBG_C, 100, 1);
	put64(DATA + DBG_C + 8, DATA + CS_C);	/* points elsewhere */
	set_wait(0, cs_wait, 3);
	set_wait(1, cs_wait, 3);
	put64(sp_of(0) + 0x48, DATA + CS_A);
	put64(sp_of(1) + 0x48, DATA + CS_B);
	put64(sp_of(1) + 0x50, DATA + CS_GARBAGE);
	/* A thread that crashed in the wait function waits for nothing. */
	set_wait(3, cs_wait, 3);
	put64(sp_of(3) + 0x48, DATA + CS_A);
	fx.ta[3].crashed = true;
	const struct cr_lock_graph *g = run_locks();
	const struct cr_lock *l0 = lock_of(g, 0);
	assert_non_null(l0);
	assert_int_equal(l0->addr, DATA + CS_A);
	assert_int_equal(l0->owner, 2);
	assert_null(lock_of(g, 1));
	assert_null(lock_of(g, 3));
	assert_null(lock_at(g, DATA + CS_B, false));
	assert_null(lock_at(g, DATA + CS_GARBAGE, false));
	assert_true(has_problem("thread 104 waits in RtlEnterCriticalSection: the critical section was not found"));
}

/*
 * The PEB names the loader lock, held by thread 3 with nobody waiting;
 * the list from it names CS_C (held, no waiter) and passes the list head;
 * an OwningThread that is no thread id is a problem, not an owner.
 */
static void test_loader_lock_and_list(void **state)
{
	(void)state;
	plant_cs(LOADER, DBG_LOADER, 112, 1);
	plant_cs(CS_C, DBG_C, 100, 3);
	plant_cs(CS_A, DBG_A, 0, 0);			/* free: not listed */
	plant_cs(CS_B, DBG_B, 0x123456789ull, 1);	/* garbage owner */
	link_list((const uint32_t[]){ DBG_LOADER, LIST_HEAD - 0x10, DBG_A,
				      DBG_C, DBG_B }, 5);
	const struct cr_lock_graph *g = run_locks();
	const struct cr_lock *ll = lock_at(g, DATA + LOADER, false);
	assert_non_null(ll);
	assert_string_equal(ll->what, "loader lock");
	assert_int_equal(ll->owner, 3);
	const struct cr_lock *c = lock_at(g, DATA + CS_C, false);
	assert_non_null(c);
	assert_int_equal(c->owner, 0);
	assert_int_equal(c->recursion, 3);
	assert_null(lock_at(g, DATA + CS_A, false));
	const struct cr_lock *b = lock_at(g, DATA + CS_B, false);
	assert_non_null(b);
	assert_false(b->owner_known);
	assert_true(has_problem("OwningThread 0x123456789 is not a thread id"));
	assert_int_equal(g->nwaits, 0);
	assert_int_equal(g->nlocks, 3);
}

/* A list that loops without passing its start is followed a bounded
 * number of steps and said so, once. */
static void test_list_loop(void **state)
{
	(void)state;
	plant_cs(LOADER, DBG_LOADER, 112, 1);
	plant_cs(CS_C, DBG_C, 100, 1);
	put64(DATA + DBG_LOADER + 0x10, DATA + DBG_C + 0x10);
	put64(DATA + DBG_C + 0x10, DATA + DBG_C + 0x10);	/* to itself */
	set_wait(0, cs_wait, 3);
	put64(sp_of(0) + 0x48, DATA + CS_C);	/* its own: not waited for */
	const struct cr_lock_graph *g = run_locks();
	assert_non_null(lock_at(g, DATA + CS_C, false));
	assert_true(has_problem("more than 65536 entries followed"));
	size_t n = 0;
	for (size_t i = 0; i < fx.a.problems.n; i++)
		n += strstr(fx.a.problems.items[i].text, "entries followed") != NULL;
	assert_int_equal(n, 1);
}

/* An SRW lock: the word of the acquire function's frame that points at a
 * held lock word outside the stack; no owner. */
static void test_srw_lock(void **state)
{
	(void)state;
	put64(DATA + SRW, 0x11);	/* held, shared */
	put64(DATA + CS_C, 1);
	set_wait(0, srw_wait, 2);
	put64(sp_of(0) + 0x10, DATA + CS_C);	/* deeper: the outermost wins */
	put64(sp_of(0) + 0x50, sp_of(0) + 0x60);	/* a pointer into the stack */
	put64(sp_of(0) + 0x58, DATA + SRW);
	put64(sp_of(0) + 0x60, DATA + CS_A);	/* zero word: free */
	const struct cr_lock_graph *g = run_locks();
	const struct cr_lock *l = lock_of(g, 0);
	assert_non_null(l);
	assert_int_equal(l->addr, DATA + SRW);
	assert_int_equal(l->kind, CR_LOCK_SRWLOCK);
	assert_false(l->owner_known);
	assert_int_equal(cr_lock_graph_wait_of(g, 0)->mode, CR_WAIT_SHARED);
}

/*
 * Waits on handles: a mutant of the HandleData stream with its owner and
 * name; a handle the stream does not have is no wait; without a stream,
 * a plausible handle value is kept untyped.
 */
static void test_handle_waits(void **state)
{
	(void)state;
	fx.handles[0] = (struct cr_handle){ .value = 0x38, .type = "Mutant",
					    .name = "Local\\app-mutex",
					    .owner_known = true,
					    .owner_pid = 4000, .owner_tid = 112 };
	fx.handles[1] = (struct cr_handle){ .value = 0x3c, .type = "Thread" };
	fx.d.handles = fx.handles;
	fx.d.nhandles = 2;
	set_wait(0, handle_wait, 3);
	cr_regs_set(&fx.threads[0].regs, 10, 0x38);	/* r10 */
	set_wait(1, handle_wait, 3);
	cr_regs_set(&fx.threads[1].regs, 10, 0x40);	/* not in the stream */
	set_wait(2, handle_wait, 3);
	cr_regs_set(&fx.threads[2].regs, 10, 0);
	cr_regs_set(&fx.threads[2].regs, 2, 0x3c);	/* rcx */
	const struct cr_lock_graph *g = run_locks();
	const struct cr_lock *l = lock_of(g, 0);
	assert_non_null(l);
	assert_true(l->is_handle);
	assert_int_equal(l->addr, 0x38);
	assert_int_equal(l->kind, CR_LOCK_MUTANT);
	assert_string_equal(l->name, "Local\\app-mutex");
	assert_int_equal(l->owner, 3);
	assert_string_equal(cr_lock_graph_wait_of(g, 0)->how, "WaitForSingleObject");
	assert_null(lock_of(g, 1));
	l = lock_of(g, 2);
	assert_non_null(l);
	assert_string_equal(l->what, "thread handle");

	/* No HandleData: r10 taken as it is, rcx (a return address into
	 * ntdll) is not a handle. */
	fx.d.nhandles = 0;
	teardown(NULL);
	fx.a.kept = NULL;
	fx.a.nkept = 0;
	memset(&fx.a.findings, 0, sizeof(fx.a.findings));
	memset(&fx.a.problems, 0, sizeof(fx.a.problems));
	cr_regs_set(&fx.threads[2].regs, 2, NTDLL + 0x105);
	g = run_locks();
	l = lock_of(g, 1);
	assert_non_null(l);
	assert_int_equal(l->addr, 0x40);
	assert_int_equal(l->kind, CR_LOCK_UNKNOWN);
	assert_null(lock_of(g, 2));
}

/* Store a 32-bit word anywhere in the fixture's memory. */
static void put32_any(uint64_t addr, uint32_t v)
{
	uint8_t *p = addr >= STACKS && addr < STACKS + sizeof(fx.stacks)
		? fx.stacks + (addr - STACKS) : fx.data + (addr - DATA);
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A 32-bit process: RTL_CRITICAL_SECTION of 0x18 bytes (OwningThread at
 * 0xc), its debug information's back-pointer at 4 and list at 8, the PEB
 * at TEB + 0x30 and the loader lock at PEB + 0xa0; the argument above the
 * return address into the caller belongs to the wait.  The critical
 * section is waited for in NtWaitForSingleObject, as Windows 7 does: the
 * lock, not the handle, is what the thread waits for.
 */
static void test_x86_layout(void **state)
{
	(void)state;
	fx.d.process.arch = CR_ARCH_X86;
	fx.d.process.pointer_size = 4;
	/* 32-bit addresses: DATA and STACKS are below 4 GiB. */
	const uint32_t cs = (uint32_t)(DATA + CS_A), dbg = (uint32_t)(DATA + DBG_A);
	put32_any(cs, dbg);
	put32_any(cs + 4, 0);		/* LockCount */
	put32_any(cs + 8, 1);		/* RecursionCount */
	put32_any(cs + 12, 104);	/* OwningThread: thread 1 */
	put32_any(dbg + 4, cs);
	put32_any(dbg + 8, dbg + 8);	/* a list of its own */
	const uint32_t loader = (uint32_t)(DATA + LOADER), ldbg = (uint32_t)(DATA + DBG_LOADER);
	put32_any(loader, ldbg);
	put32_any(loader + 8, 1);
	put32_any(loader + 12, 108);
	put32_any(ldbg + 4, loader);
	put32_any(ldbg + 8, ldbg + 8);
	for (size_t t = 0; t < NTHREADS; t++) {
		fx.threads[t].teb = DATA + TEB + 0x100 * t;
		put32_any(fx.threads[t].teb + 0x30, (uint32_t)(DATA + PEB));
	}
	put32_any(DATA + PEB + 0xa0, loader);
	/* Thread 0 waits in RtlEnterCriticalSection: return into it at sp,
	 * into the caller at sp + 0x20, the argument right above. */
	const uint32_t sp = (uint32_t)sp_of(0);
	static const char *const fns[] = { "NtWaitForSingleObject",
					   "RtlEnterCriticalSection", "worker" };
	const uint32_t pcs[] = { 0x77000100, 0x77000200, 0x401000 };
	for (size_t i = 0; i < 3; i++) {
		fx.frames[0][i] = (struct cr_frame){ .pc = pcs[i], .function = fns[i] };
		if (i)
			put32_any(sp + 0x20 * (i - 1), pcs[i]);
	}
	put32_any(sp + 0x24, cs);
	fx.ta[0].stack.frames = fx.frames[0];
	fx.ta[0].stack.nframes = 3;
	cr_regs_set(&fx.threads[0].regs, 8, pcs[0]);	/* eip */
	cr_regs_set(&fx.threads[0].regs, 4, sp);	/* esp */
	const struct cr_lock_graph *g = run_locks();
	const struct cr_lock *l = lock_of(g, 0);
	assert_non_null(l);
	assert_int_equal(l->addr, cs);
	assert_int_equal(l->owner, 1);
	const struct cr_lock *ll = lock_at(g, loader, false);
	assert_non_null(ll);
	assert_string_equal(ll->what, "loader lock");
	assert_int_equal(ll->owner, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_critical_section_deadlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_debug_info_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loader_lock_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srw_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handle_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_x86_layout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
