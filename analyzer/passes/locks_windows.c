/*
 * locks_windows.c - the waits of a Windows process for the wait-for graph
 * (locks.h): critical sections, SRW locks, waits on handles, and the
 * critical sections the process's list and the PEB name (the loader lock).
 *
 * A thread waits when one of the first frames of its stack is a wait
 * function of the table below.  What it waits for is an argument of that
 * function, and the analysis keeps no registers per frame, so it is found
 * in the stack memory of the wait's frames, each candidate checked against
 * what the object itself says:
 *
 *   - a critical section (RTL_CRITICAL_SECTION, winnt.h / ntdll: DebugInfo,
 *     LockCount, RecursionCount, OwningThread = the owner's thread id,
 *     LockSemaphore, SpinCount) is a word of the stack between the stack
 *     pointer and the home space of the outermost critical-section frame
 *     (the caller's 4 argument slots on x64) that points at a struct whose
 *     DebugInfo (RTL_CRITICAL_SECTION_DEBUG: Type, CreatorBackTraceIndex,
 *     CriticalSection, ProcessLocksList, ...) points back at it.  Windows 8
 *     and later leave DebugInfo at -1 unless asked for it; such a struct is
 *     taken only when its owner is another thread of the dump holding it
 *     a sane number of times.  A struct the waiting thread owns is a lock
 *     it took earlier, not the one it waits for; among the rest, the word
 *     nearest the caller's frame wins (saved registers and home slots are
 *     there; deeper words may be stale).
 *   - an SRW lock records no owner: the candidate is a pointer-aligned word
 *     of the acquire function's own frame (between its callee's return
 *     address and its home space) that points outside the thread's stack,
 *     into writable memory when the dump lists regions, at a non-zero lock
 *     word (a free lock has no waiters); the outermost such word wins.
 *   - a handle (x64 only: the system call's arguments are registers):
 *     NtWaitForSingleObject's first argument (r10, or rcx when rcx is not
 *     the return address the syscall instruction leaves there), the first
 *     handle of NtWaitForMultipleObjects' array (rdx), named and typed with
 *     the HandleData stream when the dump has one, and then only a handle
 *     of that stream is taken.
 *
 * With the process's memory in the dump (full-memory minidumps), the PEB
 * (TEB + 0x60 / + 0x30) names the loader lock (PEB.LoaderLock, ntdll's
 * LdrpLoaderLock), and the critical sections' list (ProcessLocksList, a
 * circular list through every RTL_CRITICAL_SECTION_DEBUG) names every
 * held critical section, waited for or not.  Every list walk is bounded
 * and every entry checked by the back-pointer rule: a damaged or looping
 * list ends the walk, it never invents a lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "error.h"
#include "locks.h"
#include "util.h"

/* How far a wait function may be from the top of the stack (frames). */
#define WIN_WAIT_DEPTH 8
/* Bytes of stack searched for the caller's return address above the wait
 * frames, and searched for candidates when it is not found. */
#define WIN_SCAN_BYTES 16384u
#define WIN_SCAN_FALLBACK 1024u
/* The most RecursionCount a held critical section is believed to have. */
#define WIN_MAX_RECURSION (1u << 20)
/* Entries of the critical sections' list followed in all (the walks from
 * several starts share it). */
#define WIN_MAX_LIST 65536u
/* Handles of one WaitForMultipleObjects (MAXIMUM_WAIT_OBJECTS). */
#define WIN_MAX_WAIT_OBJECTS 64u

/* --- layouts ------------------------------------------------------------ */

enum { CS_DEBUG_INFO, CS_LOCK_COUNT, CS_RECURSION, CS_OWNER, CS_NFIELDS };
enum { DBG_CS, DBG_FLINK, DBG_NFIELDS };

static const struct cr_field cs_fields64[CS_NFIELDS] = {
	[CS_DEBUG_INFO] = { "DebugInfo", 0x0, 8, false },
	[CS_LOCK_COUNT] = { "LockCount", 0x8, 4, true },
	[CS_RECURSION] = { "RecursionCount", 0xc, 4, true },
	[CS_OWNER] = { "OwningThread", 0x10, 8, false },
};
static const struct cr_field cs_fields32[CS_NFIELDS] = {
	[CS_DEBUG_INFO] = { "DebugInfo", 0x0, 4, false },
	[CS_LOCK_COUNT] = { "LockCount", 0x4, 4, true },
	[CS_RECURSION] = { "RecursionCount", 0x8, 4, true },
	[CS_OWNER] = { "OwningThread", 0xc, 4, false },
};
static const struct cr_field dbg_fields64[DBG_NFIELDS] = {
	[DBG_CS] = { "CriticalSection", 0x8, 8, false },
	[DBG_FLINK] = { "ProcessLocksList.Flink", 0x10, 8, false },
};
static const struct cr_field dbg_fields32[DBG_NFIELDS] = {
	[DBG_CS] = { "CriticalSection", 0x4, 4, false },
	[DBG_FLINK] = { "ProcessLocksList.Flink", 0x8, 4, false },
};

struct win_layout {
	unsigned ptr;			/* pointer size */
	struct cr_layout cs, debug;
	uint32_t list_off;		/* ProcessLocksList in the debug info */
	uint32_t teb_peb;		/* TEB.ProcessEnvironmentBlock */
	uint32_t peb_loader_lock;	/* PEB.LoaderLock */
	unsigned home_slots;		/* words above the return address that
					 * belong to the call (x64 home space,
					 * x86 the first argument) */
};

static const struct win_layout layout64 = {
	8,
	{ "RTL_CRITICAL_SECTION", 0x28, cs_fields64, CS_NFIELDS },
	{ "RTL_CRITICAL_SECTION_DEBUG", 0x30, dbg_fields64, DBG_NFIELDS },
	0x10, 0x60, 0x110, 5,
};
static const struct win_layout layout32 = {
	4,
	{ "RTL_CRITICAL_SECTION", 0x18, cs_fields32, CS_NFIELDS },
	{ "RTL_CRITICAL_SECTION_DEBUG", 0x20, dbg_fields32, DBG_NFIELDS },
	0x8, 0x30, 0xa0, 2,
};

/* --- wait functions ------------------------------------------------------ */

enum wait_via { VIA_CS, VIA_SRW, VIA_HANDLE, VIA_HANDLES };

static const struct wait_fn {
	const char *function;	/* export name */
	enum wait_via via;
	enum cr_wait_mode mode;
} wait_fns[] = {
	{ "RtlpWaitOnCriticalSection", VIA_CS, CR_WAIT_EXCLUSIVE },
	{ "RtlpWaitForCriticalSection", VIA_CS, CR_WAIT_EXCLUSIVE },	/* wine */
	{ "RtlpEnterCriticalSectionContended", VIA_CS, CR_WAIT_EXCLUSIVE },
	{ "RtlEnterCriticalSection", VIA_CS, CR_WAIT_EXCLUSIVE },
	{ "EnterCriticalSection", VIA_CS, CR_WAIT_EXCLUSIVE },
	{ "RtlAcquireSRWLockExclusive", VIA_SRW, CR_WAIT_EXCLUSIVE },
	{ "AcquireSRWLockExclusive", VIA_SRW, CR_WAIT_EXCLUSIVE },
	{ "RtlAcquireSRWLockShared", VIA_SRW, CR_WAIT_SHARED },
	{ "AcquireSRWLockShared", VIA_SRW, CR_WAIT_SHARED },
	{ "NtWaitForSingleObject", VIA_HANDLE, CR_WAIT_EXCLUSIVE },
	{ "ZwWaitForSingleObject", VIA_HANDLE, CR_WAIT_EXCLUSIVE },
	{ "NtWaitForMultipleObjects", VIA_HANDLES, CR_WAIT_EXCLUSIVE },
	{ "ZwWaitForMultipleObjects", VIA_HANDLES, CR_WAIT_EXCLUSIVE },
	/* The documented calls above the system call: the wait's `how`. */
	{ "WaitForSingleObject", VIA_HANDLE, CR_WAIT_EXCLUSIVE },
	{ "WaitForSingleObjectEx", VIA_HANDLE, CR_WAIT_EXCLUSIVE },
	{ "WaitForMultipleObjects", VIA_HANDLES, CR_WAIT_EXCLUSIVE },
	{ "WaitForMultipleObjectsEx", VIA_HANDLES, CR_WAIT_EXCLUSIVE },
};

/* Waits on one handle or several are one kind of wait. */
static enum wait_via family(enum wait_via v)
{
	return v == VIA_HANDLES ? VIA_HANDLE : v;
}

static const struct wait_fn *wait_fn_of(const struct cr_frame *f)
{
	if (!f->function)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(wait_fns); i++)
		if (!strcmp(f->function, wait_fns[i].function))
			return &wait_fns[i];
	return NULL;
}

/* What a handle's object type makes of the lock. */
static const struct {
	const char *type;	/* the object manager's type name */
	enum cr_lock_kind kind;
	const char *what;	/* NULL: the kind's own words */
} handle_kinds[] = {
	{ "Event", CR_LOCK_EVENT, NULL },
	{ "Mutant", CR_LOCK_MUTANT, NULL },
	{ "Semaphore", CR_LOCK_SEMAPHORE, NULL },
	{ "Thread", CR_LOCK_EVENT, "thread handle" },
	{ "Process", CR_LOCK_EVENT, "process handle" },
	{ "Timer", CR_LOCK_EVENT, "timer" },
	{ "File", CR_LOCK_EVENT, "file handle" },
};

/* --- reading the objects -------------------------------------------------- */

struct win_ctx {
	struct cr_pass_ctx *ctx;
	struct cr_lock_graph *g;
	const struct win_layout *lay;
	uint64_t loader_lock;		/* PEB.LoaderLock, 0 unknown */
	unsigned list_budget;		/* list entries left to follow */
};

struct cs_state {
	uint64_t debug_info;
	int64_t lock_count, recursion;
	uint64_t owner;		/* a thread id, 0 free */
	bool has_debug;		/* DebugInfo points back at the struct */
};

/* Through the graph's threads sorted by tid: this runs per stack word and
 * per list entry, so a linear search would be quadratic on a hostile
 * dump. */
static bool thread_in_dump(const struct cr_lock_graph *g, uint64_t tid)
{
	return tid != 0 && tid <= UINT32_MAX &&
	       cr_lock_graph_thread(g, (int64_t)tid) != CR_LOCK_NO_THREAD;
}

/*
 * Read the RTL_CRITICAL_SECTION at ADDR into *CS; true only when it is
 * one: its DebugInfo points back at it, or (no debug information, -1) it
 * is held by a thread of the dump a sane number of times.
 */
static bool read_cs(const struct win_ctx *w, uint64_t addr,
		    struct cs_state *cs)
{
	const struct cr_target *t = &w->ctx->target;
	uint64_t v[CS_NFIELDS], dbg[DBG_NFIELDS];
	if (addr == 0 || addr % w->lay->ptr ||
	    !cr_target_struct(t, addr, &w->lay->cs, v))
		return false;
	*cs = (struct cs_state){
		.debug_info = v[CS_DEBUG_INFO],
		.lock_count = (int64_t)v[CS_LOCK_COUNT],
		.recursion = (int64_t)v[CS_RECURSION],
		.owner = v[CS_OWNER],
	};
	if (cs->recursion < 0 || cs->recursion > WIN_MAX_RECURSION ||
	    (cs->owner != 0) != (cs->recursion != 0))
		return false;
	uint64_t none = w->lay->ptr == 8 ? UINT64_MAX : UINT32_MAX;
	if (cs->debug_info == none)
		return thread_in_dump(w->g, cs->owner);
	if (cs->debug_info == 0 || cs->debug_info % w->lay->ptr ||
	    !cr_target_struct(t, cs->debug_info, &w->lay->debug, dbg) ||
	    dbg[DBG_CS] != addr)
		return false;
	cs->has_debug = true;
	return true;
}

/* "cache_lock in app.dll" when an export starts at ADDR, else
 * "app.dll+0x1d0a0"; NULL outside modules or out of memory. */
static char *name_global(const struct win_ctx *w, uint64_t addr)
{
	char *s = cr_pass_name_global(w->ctx, addr, 1, NULL);
	if (s)
		return s;
	const struct cr_module *m = cr_dump_module_at(w->ctx->dump, addr);
	if (!m || !m->path)
		return NULL;
	if (asprintf(&s, "%s+0x%llx", cr_basename(m->path),
		     (unsigned long long)(addr - m->base)) < 0)
		s = NULL;
	return s;
}

/* The graph's lock for the critical section at ADDR (read as CS), with its
 * owner and name; -1 when out of memory or past the graph's cap. */
static ssize_t add_cs(struct win_ctx *w, uint64_t addr,
		      const struct cs_state *cs)
{
	ssize_t l = cr_lock_graph_lock(w->g, addr, false,
				       CR_LOCK_CRITICAL_SECTION);
	if (l < 0)
		return -1;
	struct cr_lock *lk = &w->g->locks[l];
	if (lk->owner_known)
		return l;	/* seen before */
	if (cs->owner > UINT32_MAX) {
		cr_pass_problem(w->ctx, CR_AT_ADDRESS(CR_SEVERITY_INFO, addr),
				"critical section 0x%llx: OwningThread 0x%llx is not a thread id",
				(unsigned long long)addr,
				(unsigned long long)cs->owner);
		return l;
	}
	cr_lock_graph_owner(w->g, w->ctx->analysis, (size_t)l,
			    (int64_t)cs->owner);
	lk->recursion = (uint32_t)cs->recursion;
	if (addr == w->loader_lock)
		lk->what = "loader lock";
	if (!lk->name)
		lk->name = name_global(w, addr);
	return l;
}

/* --- the stack around a wait ---------------------------------------------- */

/* A + B, or the top of the address space when a hostile stack pointer
 * makes it wrap (the scans then stop at the first word not in the dump). */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;
	return cr_add_overflows(a, b, &r) ? UINT64_MAX - 7 : r;
}

/* The stack slot in [LO, HI) holding VALUE (a return address), 0 none. */
static uint64_t find_slot(const struct win_ctx *w, uint64_t lo, uint64_t hi,
			  uint64_t value)
{
	for (uint64_t a = lo; a < hi && a >= lo; a += w->lay->ptr) {
		uint64_t v;
		if (!cr_target_pointer(&w->ctx->target, a, &v))
			return 0;
		if (v == value)
			return a;
	}
	return 0;
}

/*
 * The stack range of the wait in frames [FIRST, K] of thread TA: from the
 * slot above FIRST's callee's return address (the stack pointer for frame
 * 0) to the home slots above K's return address into its caller.
 */
static bool wait_range(const struct win_ctx *w,
		       const struct cr_thread_analysis *ta, size_t first,
		       size_t k, uint64_t *lo, uint64_t *hi)
{
	const struct cr_stack *st = &ta->stack;
	uint64_t sp;
	if (!cr_thread_sp(w->ctx->dump, ta->thread, &sp))
		return false;
	uint64_t end = sat_add(sp, WIN_SCAN_BYTES);
	*lo = sp;
	if (first > 0) {
		uint64_t s = find_slot(w, sp, end, st->frames[first].pc);
		if (s)
			*lo = sat_add(s, w->lay->ptr);
	}
	uint64_t ret = k + 1 < st->nframes ?
		find_slot(w, *lo, end, st->frames[k + 1].pc) : 0;
	*hi = ret ? sat_add(ret, (uint64_t)w->lay->home_slots * w->lay->ptr)
		  : sat_add(*lo, WIN_SCAN_FALLBACK);
	return true;
}

/* The critical section thread TA waits for, from the stack of its wait
 * frames [0, K]; 0 when none is found. */
static uint64_t find_cs(const struct win_ctx *w,
			const struct cr_thread_analysis *ta, size_t k,
			struct cs_state *out)
{
	uint64_t lo, hi, best = 0;
	int best_rank = 0;
	if (!wait_range(w, ta, 0, k, &lo, &hi))
		return 0;
	for (uint64_t a = lo; a < hi && a >= lo; a += w->lay->ptr) {
		uint64_t v;
		struct cs_state cs;
		if (!cr_target_pointer(&w->ctx->target, a, &v))
			break;
		if (!read_cs(w, v, &cs) ||
		    cs.owner == (uint64_t)ta->thread->tid)
			continue;
		/* Held by another thread beats free (released since);
		 * the outermost slot wins among equals. */
		int rank = cs.owner ? 2 : 1;
		if (rank >= best_rank) {
			best_rank = rank;
			best = v;
			*out = cs;
		}
	}
	return best;
}

/* The SRW lock thread TA waits for in frame K (see the file comment). */
static uint64_t find_srw(const struct win_ctx *w,
			 const struct cr_thread_analysis *ta, size_t k)
{
	uint64_t lo, hi, best = 0;
	const struct cr_thread *t = ta->thread;
	if (!wait_range(w, ta, k, k, &lo, &hi))
		return 0;
	for (uint64_t a = lo; a < hi && a >= lo; a += w->lay->ptr) {
		uint64_t v, word;
		if (!cr_target_pointer(&w->ctx->target, a, &v))
			break;
		if (v == 0 || v % w->lay->ptr ||
		    (v >= t->stack_lo && v < t->stack_hi) ||
		    (v >= lo && v < hi))
			continue;
		/* Without a memory info list (wine writes none) the word
		 * must at least be in the dump. */
		const struct cr_dump *d = w->ctx->dump;
		const struct cr_region *r = cr_dump_region_at(d, v);
		if ((d->nregions && !r) ||
		    (r && r->prot_known && !(r->prot & CR_PROT_W)) ||
		    !cr_target_pointer(&w->ctx->target, v, &word) || word == 0)
			continue;
		best = v;
	}
	return best;
}

static bool plausible_handle(const struct cr_dump *d, uint64_t v)
{
	/* Handle values are multiples of 4 below the handle table's 2^24
	 * entries; with a HandleData stream, only its handles. */
	if (v == 0 || v % 4 || v >= (1ull << 26))
		return false;
	return d->nhandles == 0 || cr_dump_handle(d, v) != NULL;
}

/* The handle thread T waits on in the system call of frame 0 (x64). */
static uint64_t find_handle(const struct win_ctx *w, const struct cr_thread *t,
			    enum wait_via via)
{
	const struct cr_dump *d = w->ctx->dump;
	const struct cr_regs *regs = cr_thread_regs(d, t);
	enum { RCX = 2, RDX = 1, R10 = 10 };
	uint64_t arg1 = 0, v;
	/* syscall leaves the return address in rcx; the stub moved the
	 * first argument to r10 before. */
	if (cr_regs_get(regs, R10, &v) && v != 0)
		arg1 = v;
	else if (cr_regs_get(regs, RCX, &v) && !cr_dump_module_at(d, v))
		arg1 = v;
	if (via == VIA_HANDLE)
		return plausible_handle(d, arg1) ? arg1 : 0;
	uint64_t array, n = arg1 >= 1 && arg1 <= WIN_MAX_WAIT_OBJECTS ? arg1 : 1;
	if (!cr_regs_get(regs, RDX, &array) || array == 0)
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		if (!cr_target_pointer(&w->ctx->target, sat_add(array, i * 8), &v))
			return 0;
		if (plausible_handle(d, v))
			return v;
	}
	return 0;
}

static ssize_t add_handle(struct win_ctx *w, uint64_t value)
{
	const struct cr_dump *d = w->ctx->dump;
	const struct cr_handle *h = cr_dump_handle(d, value);
	enum cr_lock_kind kind = CR_LOCK_UNKNOWN;
	const char *what = NULL;
	for (size_t i = 0; h && h->type && i < ARRAY_LEN(handle_kinds); i++)
		if (!strcmp(h->type, handle_kinds[i].type)) {
			kind = handle_kinds[i].kind;
			what = handle_kinds[i].what;
		}
	ssize_t l = cr_lock_graph_lock(w->g, value, true, kind);
	if (l < 0)
		return -1;
	struct cr_lock *lk = &w->g->locks[l];
	if (what)
		lk->what = what;
	if (h && h->name && !lk->name)
		lk->name = strdup(h->name);
	/* A mutant of another process's thread is not this graph's. */
	if (kind == CR_LOCK_MUTANT && h->owner_known &&
	    (h->owner_pid == 0 || d->process.pid < 0 ||
	     h->owner_pid == d->process.pid))
		cr_lock_graph_owner(w->g, w->ctx->analysis, (size_t)l,
				    h->owner_tid);
	return l;
}

/* --- waits ------------------------------------------------------------ */

/*
 * The wait of thread I: the first wait function among its top frames (a
 * lock's before a handle's) and the outermost frame of the same kind of
 * wait above it (its `how`).
 */
static bool wait_of_thread(struct win_ctx *w, size_t i)
{
	const struct cr_thread_analysis *ta = &w->ctx->analysis->threads[i];
	const struct cr_stack *st = &ta->stack;
	size_t depth = st->nframes < WIN_WAIT_DEPTH ? st->nframes : WIN_WAIT_DEPTH;
	if (ta->crashed)
		return true;	/* it faulted there: it waits for nothing */
	const struct wait_fn *fn = NULL, *outer = NULL;
	size_t k = 0, first = 0;
	/* A lock's wait is a handle wait underneath (Windows 7 waits for a
	 * critical section in NtWaitForSingleObject on its LockSemaphore):
	 * the lock is what the thread waits for. */
	for (int pass = 0; pass < 2 && !fn; pass++)
		for (size_t f = 0; f < depth; f++) {
			const struct wait_fn *wf = wait_fn_of(&st->frames[f]);
			if (!wf || (pass == 0 && family(wf->via) == VIA_HANDLE) ||
			    (fn && family(wf->via) != family(fn->via)))
				continue;
			if (!fn) {
				fn = wf;
				first = f;
			}
			outer = wf;
			k = f;
		}
	/* A handle is read from the registers of the system call itself. */
	if (!fn || (family(fn->via) == VIA_HANDLE && first != 0))
		return true;
	ssize_t l = -1;
	uint64_t addr = 0;
	struct cs_state cs;
	switch (fn->via) {
	case VIA_CS:
		if ((addr = find_cs(w, ta, k, &cs)))
			l = add_cs(w, addr, &cs);
		break;
	case VIA_SRW:
		if ((addr = find_srw(w, ta, k)))
			l = cr_lock_graph_lock(w->g, addr, false, CR_LOCK_SRWLOCK);
		if (l >= 0 && !w->g->locks[l].name)
			w->g->locks[l].name = name_global(w, addr);
		break;
	case VIA_HANDLE:
	case VIA_HANDLES:
		if (w->lay->ptr != 8)
			return true;	/* x86 passes them on the stack */
		if ((addr = find_handle(w, ta->thread, fn->via)))
			l = add_handle(w, addr);
		break;
	}
	if (!addr) {
		if (fn->via == VIA_CS)
			cr_pass_problem(w->ctx, CR_AT(CR_SEVERITY_INFO),
					"thread %lld waits in %s: the critical section was not found on its stack",
					(long long)ta->thread->tid,
					outer->function);
		return true;
	}
	if (l < 0)
		return false;
	return cr_lock_graph_wait(w->g, i, (size_t)l, fn->mode,
				  outer->function, (ssize_t)k);
}

/* --- the PEB and the critical sections' list -------------------------- */

/* PEB.LoaderLock from any thread's TEB, 0 when not in the dump. */
static uint64_t loader_lock_of(const struct win_ctx *w)
{
	const struct cr_dump *d = w->ctx->dump;
	const struct cr_target *t = &w->ctx->target;
	for (size_t i = 0; i < d->nthreads; i++) {
		uint64_t peb, lock;
		if (d->threads[i].teb &&
		    cr_target_pointer(t, d->threads[i].teb + w->lay->teb_peb, &peb) &&
		    peb && cr_target_pointer(t, peb + w->lay->peb_loader_lock, &lock))
			return lock;
	}
	return 0;
}

/*
 * Follow the critical sections' list from the debug information of the
 * critical section FROM, adding every held one.  The list's head (in
 * ntdll) is no debug information and is stepped over; the walk ends back
 * at the start, at an entry that cannot be read, or when the WIN_MAX_LIST
 * entries all walks share are used up (a loop that does not pass the
 * start).  False when out of memory.
 */
static bool walk_list(struct win_ctx *w, uint64_t from, uint64_t debug)
{
	const struct cr_target *t = &w->ctx->target;
	uint64_t start = debug + w->lay->list_off, entry = start;
	if (w->list_budget == 0)
		return true;	/* said when it ran out */
	for (; w->list_budget > 0; w->list_budget--) {
		if (!cr_target_pointer(t, entry, &entry) || entry == 0 ||
		    entry == start)
			return true;
		uint64_t dbg[DBG_NFIELDS];
		struct cs_state cs;
		if (entry < w->lay->list_off ||
		    !cr_target_struct(t, entry - w->lay->list_off,
				      &w->lay->debug, dbg) ||
		    !read_cs(w, dbg[DBG_CS], &cs) || !cs.has_debug ||
		    cs.debug_info != entry - w->lay->list_off)
			continue;	/* the list head */
		if (cs.owner && add_cs(w, dbg[DBG_CS], &cs) < 0)
			return false;
	}
	cr_pass_problem(w->ctx, CR_AT_ADDRESS(CR_SEVERITY_INFO, from),
			"the critical sections' list from 0x%llx: more than %u entries followed (a loop?), not followed further",
			(unsigned long long)from, WIN_MAX_LIST);
	return true;
}

struct cr_error *cr_locks_windows(struct cr_pass_ctx *ctx,
				  struct cr_lock_graph *g)
{
	struct win_ctx w = {
		.ctx = ctx, .g = g,
		.lay = ctx->target.word_size == 8 ? &layout64 : &layout32,
		.list_budget = WIN_MAX_LIST,
	};
	w.loader_lock = loader_lock_of(&w);
	struct cs_state cs;
	bool loader = w.loader_lock && read_cs(&w, w.loader_lock, &cs);
	if (loader && cs.owner && add_cs(&w, w.loader_lock, &cs) < 0)
		return &cr_enomem;
	for (size_t i = 0; i < ctx->analysis->nthreads; i++)
		if (!wait_of_thread(&w, i))
			return &cr_enomem;
	/* The list, from the loader lock and every critical section waited
	 * for (wine links each into a list of its own). */
	if (loader && cs.has_debug && !walk_list(&w, w.loader_lock, cs.debug_info))
		return &cr_enomem;
	size_t nlocks = g->nlocks;
	for (size_t l = 0; l < nlocks; l++) {
		uint64_t addr = g->locks[l].addr;
		if (g->locks[l].kind != CR_LOCK_CRITICAL_SECTION ||
		    addr == w.loader_lock || !read_cs(&w, addr, &cs) ||
		    !cs.has_debug)
			continue;
		if (!walk_list(&w, addr, cs.debug_info))
			return &cr_enomem;
	}
	return NULL;
}
