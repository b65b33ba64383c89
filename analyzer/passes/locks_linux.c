/*
 * locks_linux.c - the waits of a Linux process for the wait-for graph
 * (locks.h): glibc's mutexes and rwlocks, with their owners read from dump
 * memory.
 *
 * A thread the state pass found blocked on a lock (CR_STATE_LOCK) sits in
 * a futex system call whose first argument, the futex word, the state pass
 * decoded from the saved registers (st.wait_object; x86_64 rdi, i386 ebx:
 * kernel cores and gcore both keep them).  Which lock that word belongs to
 * says the function it waits under, looked up in the top frames in
 * lock_functions[] below:
 *
 *   - a mutex (pthread_mutex_lock, timedlock, clocklock, the robust/PI
 *     path __pthread_mutex_lock_full, and __pthread_mutex_cond_lock where
 *     pthread_cond_wait takes its mutex back): glibc's pthread_mutex_t
 *     starts with its lock word (__data.__lock), so the futex word is the
 *     mutex;
 *   - an rwlock (pthread_rwlock_rdlock/wrlock and their timed forms): the
 *     word is a field inside it, __wrphase_futex (a reader or writer
 *     waiting for the other phase), __writers_futex (a writer waiting for
 *     another writer) or __readers (a reader of a writer-preferring lock);
 *     the start is the word minus the field's offset, the candidate whose
 *     struct is consistent (rwlock_candidates below);
 *   - glibc's internal locks (__lll_lock_wait_private alone: stdio, malloc
 *     arenas) record no owner: they join the graph without one (a mutex
 *     wait on the same word later reads it as a mutex after all).
 *
 * The struct is read with cr_target_struct and a layout per architecture
 * from the tables below (glibc's bits/struct_mutex.h and
 * bits/struct_rwlock.h, unchanged since the NPTL rwlock rewrite of glibc
 * 2.25), replaced by libc's own DWARF when its debug information is there.
 * The owner is __owner (a tid: glibc writes it once the lock is taken);
 * for robust and priority-inheritance mutexes the lock word itself holds
 * the owner's tid under FUTEX_TID_MASK and FUTEX_OWNER_DIED says the
 * kernel found the owner dead.  An rwlock's owner is __cur_writer; its
 * readers are counted in __readers above PTHREAD_RWLOCK_READER_SHIFT, but
 * glibc does not record which threads they are.
 *
 * Every value is untrusted: a tid that is no thread of the dump is the
 * analysis' "owner gone" finding (but for a process-shared mutex, whose
 * owner may live in another process: owner unknown), a kind or owner out of range is a
 * problem line, and so is memory the dump does not hold.
 *
 * Not done: where the futex address is not in the registers (aarch64 and
 * arm, whose x0/r0 the kernel overwrites; a thread not stopped inside the
 * call), the lock is not recovered from the waiting frame's argument
 * (DWARF location lists or the callee-saved register glibc keeps it in):
 * the thread's wait is left out of the graph with a problem line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "locks.h"
#include "passes.h"
#include "util.h"

/* Top frames searched for the lock function (the futex call sits under
 * two or three glibc helpers). */
#define LOCKS_SCAN_FRAMES 10

/* <linux/futex.h> */
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

/* glibc's mutex kinds (nptl/pthreadP.h, PTHREAD_MUTEX_*_NP). */
#define MUTEX_KIND_MASK 3	/* normal, recursive, errorcheck, adaptive */
#define MUTEX_RECURSIVE 1
#define MUTEX_ROBUST 16
#define MUTEX_PRIO_INHERIT 32
#define MUTEX_PRIO_PROTECT 64
#define MUTEX_PSHARED 128
#define MUTEX_ELISION 256
#define MUTEX_NO_ELISION 512
#define MUTEX_KNOWN_BITS 0x3f3u

/* glibc's rwlock (nptl/pthread_rwlock_common.c). */
#define RWLOCK_WRPHASE 1u
#define RWLOCK_READER_SHIFT 3
#define RWLOCK_FLAGS_MAX 2	/* PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP */

enum lock_family { LLL, MUTEX, RWLOCK };

/* Function near the top of a waiting thread's stack -> what it waits for.
 * Names are matched without their leading underscores, glibc's "GI_"
 * alias and clone suffixes (same_function). */
static const struct {
	const char *function;
	enum lock_family family;
	enum cr_wait_mode mode;
} lock_functions[] = {
	{ "pthread_mutex_lock", MUTEX, CR_WAIT_EXCLUSIVE },
	{ "pthread_mutex_lock_full", MUTEX, CR_WAIT_EXCLUSIVE },
	{ "pthread_mutex_timedlock", MUTEX, CR_WAIT_EXCLUSIVE },
	{ "pthread_mutex_clocklock", MUTEX, CR_WAIT_EXCLUSIVE },
	{ "pthread_mutex_clocklock_common", MUTEX, CR_WAIT_EXCLUSIVE },
	/* pthread_cond_wait taking its mutex back after the wake-up */
	{ "pthread_mutex_cond_lock", MUTEX, CR_WAIT_EXCLUSIVE },
	{ "pthread_mutex_cond_lock_full", MUTEX, CR_WAIT_EXCLUSIVE },
	{ "pthread_rwlock_rdlock", RWLOCK, CR_WAIT_SHARED },
	{ "pthread_rwlock_rdlock_full", RWLOCK, CR_WAIT_SHARED },
	{ "pthread_rwlock_rdlock_full64", RWLOCK, CR_WAIT_SHARED },
	{ "pthread_rwlock_timedrdlock", RWLOCK, CR_WAIT_SHARED },
	{ "pthread_rwlock_timedrdlock64", RWLOCK, CR_WAIT_SHARED },
	{ "pthread_rwlock_clockrdlock", RWLOCK, CR_WAIT_SHARED },
	{ "pthread_rwlock_clockrdlock64", RWLOCK, CR_WAIT_SHARED },
	{ "pthread_rwlock_wrlock", RWLOCK, CR_WAIT_EXCLUSIVE },
	{ "pthread_rwlock_wrlock_full", RWLOCK, CR_WAIT_EXCLUSIVE },
	{ "pthread_rwlock_wrlock_full64", RWLOCK, CR_WAIT_EXCLUSIVE },
	{ "pthread_rwlock_timedwrlock", RWLOCK, CR_WAIT_EXCLUSIVE },
	{ "pthread_rwlock_timedwrlock64", RWLOCK, CR_WAIT_EXCLUSIVE },
	{ "pthread_rwlock_clockwrlock", RWLOCK, CR_WAIT_EXCLUSIVE },
	{ "pthread_rwlock_clockwrlock64", RWLOCK, CR_WAIT_EXCLUSIVE },
	{ "lll_lock_wait_private", LLL, CR_WAIT_EXCLUSIVE },
	{ "lll_lock_wait", LLL, CR_WAIT_EXCLUSIVE },
};

/* Fields read, in this order (values[] indexes). */
enum { M_LOCK, M_COUNT, M_OWNER, M_KIND, M_NFIELDS };
enum { R_READERS, R_WRPHASE, R_WRITERS_FUTEX, R_PAD3, R_PAD4, R_CUR_WRITER,
       R_SHARED, R_FLAGS, R_NFIELDS };

static const char *const mutex_field_names[M_NFIELDS] = {
	"__data.__lock", "__data.__count", "__data.__owner", "__data.__kind",
};
static const char *const rwlock_field_names[R_NFIELDS] = {
	"__data.__readers", "__data.__wrphase_futex", "__data.__writers_futex",
	"__data.__pad3", "__data.__pad4", "__data.__cur_writer",
	"__data.__shared", "__data.__flags",
};

#define F(o, s, sg) { NULL, o, s, sg }
/* __nusers before __kind on 64-bit targets, after it on 32-bit; the
 * 32-bit rwlock has __flags and __shared as bytes at 24 and 25 and
 * __cur_writer at 28 (little-endian layout). */
#define MUTEX_64 { F(0, 4, true), F(4, 4, false), F(8, 4, true), F(16, 4, true) }
#define MUTEX_32 { F(0, 4, true), F(4, 4, false), F(8, 4, true), F(12, 4, true) }
#define RWLOCK_64 { F(0, 4, false), F(8, 4, false), F(12, 4, false), \
		    F(16, 4, false), F(20, 4, false), F(24, 4, true), \
		    F(28, 4, true), F(48, 4, false) }
#define RWLOCK_32 { F(0, 4, false), F(8, 4, false), F(12, 4, false), \
		    F(16, 4, false), F(20, 4, false), F(28, 4, true), \
		    F(25, 1, false), F(24, 1, false) }
/* Per architecture: pthread_mutex_t and pthread_rwlock_t (offsets, sizes,
 * signedness in the order of the enums above). */
static const struct {
	enum cr_arch arch;
	uint32_t mutex_size;
	struct cr_field mutex[M_NFIELDS];
	uint32_t rwlock_size;
	struct cr_field rwlock[R_NFIELDS];
} glibc_layouts[] = {
	{ CR_ARCH_X86_64, 40, MUTEX_64, 56, RWLOCK_64 },
	{ CR_ARCH_AARCH64, 48, MUTEX_64, 56, RWLOCK_64 },
	{ CR_ARCH_X86, 24, MUTEX_32, 32, RWLOCK_32 },
	{ CR_ARCH_ARM, 24, MUTEX_32, 32, RWLOCK_32 },
};
#undef F
#undef MUTEX_64
#undef MUTEX_32
#undef RWLOCK_64
#undef RWLOCK_32

/* The rwlock fields a futex word can be, tried in this order per mode:
 * a waiter for the other phase is the common case. */
static const unsigned rwlock_candidates[][3] = {
	[CR_WAIT_EXCLUSIVE] = { R_WRPHASE, R_WRITERS_FUTEX, R_NFIELDS },
	[CR_WAIT_SHARED] = { R_WRPHASE, R_READERS, R_NFIELDS },
};

struct linux_locks {
	struct cr_pass_ctx *ctx;
	struct cr_lock_graph *g;
	struct cr_field mutex_fields[M_NFIELDS];
	struct cr_field rwlock_fields[R_NFIELDS];
	struct cr_layout mutex, rwlock;
	bool layouts;		/* the architecture has a table row */
	bool table_tried;
	bool mutex_dwarf, rwlock_dwarf;	/* libc's DWARF asked for the type */
};

/* Whether frame function FN is NAME once its leading underscores, a
 * "GI_" alias prefix and a clone or parameter suffix are set aside. */
static bool same_function(const char *fn, const char *name)
{
	if (!fn)
		return false;
	while (*fn == '_')
		fn++;
	if (!strncmp(fn, "GI_", 3))
		for (fn += 3; *fn == '_'; fn++)
			;
	size_t n = strlen(name);
	return !strncmp(fn, name, n) &&
	       (fn[n] == 0 || fn[n] == '.' || fn[n] == '(');
}

/* The row of lock_functions[] for stack S (the outermost of the top
 * frames that matches: pthread_mutex_lock over __lll_lock_wait) and its
 * frame; -1 none. */
static ssize_t lock_function(const struct cr_stack *s, ssize_t *frame)
{
	size_t n = s->nframes < LOCKS_SCAN_FRAMES ? s->nframes
						  : LOCKS_SCAN_FRAMES;
	ssize_t best = -1;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ARRAY_LEN(lock_functions); j++)
			if (same_function(s->frames[i].function,
					  lock_functions[j].function)) {
				/* an internal lock yields to a pthread lock */
				if (best < 0 ||
				    lock_functions[j].family != LLL) {
					best = (ssize_t)j;
					*frame = (ssize_t)i;
				}
				break;
			}
	return best;
}

/* One layout from DWARF, else the table's; a difference is noted (the
 * table is wrong for this glibc, and says so). */
static void pick_layout(struct linux_locks *ll, const char *type,
			struct cr_layout *l, struct cr_field *fields,
			const char *const *names, size_t n)
{
	struct cr_field dw[R_NFIELDS];
	struct cr_layout dl = { type, 0, dw, n };

	for (size_t i = 0; i < n; i++)
		dw[i] = (struct cr_field){ names[i], 0, 0, false };
	if (!cr_pass_layout(ll->ctx, "libc.so", type, &dl))
		return;
	bool same = dl.size == l->size;
	for (size_t i = 0; i < n; i++)
		same = same && dw[i].offset == fields[i].offset &&
		       dw[i].size == fields[i].size;
	if (!same)
		cr_pass_problem(ll->ctx, CR_AT(CR_SEVERITY_INFO),
				"%s: libc's debug information differs from "
				"the built-in layout; using the debug "
				"information", type);
	for (size_t i = 0; i < n; i++) {
		fields[i].offset = dw[i].offset;
		fields[i].size = dw[i].size;
		fields[i].is_signed = dw[i].is_signed;
	}
	l->size = dl.size;
}

/* The layouts of ARCH from the table (each checked against libc's DWARF
 * when the first lock of its type is read: the DWARF costs tens of ms, so
 * only dumps with such a wait pay). */
static bool layouts(struct linux_locks *ll)
{
	if (ll->table_tried)
		return ll->layouts;
	ll->table_tried = true;
	for (size_t i = 0; i < ARRAY_LEN(glibc_layouts); i++) {
		if (glibc_layouts[i].arch != ll->ctx->dump->process.arch)
			continue;
		memcpy(ll->mutex_fields, glibc_layouts[i].mutex,
		       sizeof(ll->mutex_fields));
		memcpy(ll->rwlock_fields, glibc_layouts[i].rwlock,
		       sizeof(ll->rwlock_fields));
		for (size_t k = 0; k < M_NFIELDS; k++)
			ll->mutex_fields[k].name = mutex_field_names[k];
		for (size_t k = 0; k < R_NFIELDS; k++)
			ll->rwlock_fields[k].name = rwlock_field_names[k];
		ll->mutex = (struct cr_layout){ "pthread_mutex_t",
			glibc_layouts[i].mutex_size, ll->mutex_fields,
			M_NFIELDS };
		ll->rwlock = (struct cr_layout){ "pthread_rwlock_t",
			glibc_layouts[i].rwlock_size, ll->rwlock_fields,
			R_NFIELDS };
		ll->layouts = true;
	}
	return ll->layouts;
}

/* "mutex_b in deadlock", "locks+0x28 in libfoo.so" for a lock that is (in)
 * a global; NULL when the symbols do not name it. */
static char *lock_name(const struct cr_pass_ctx *ctx, uint64_t addr)
{
	return cr_pass_name_global(ctx, addr, UINT64_MAX, NULL);
}

/* Whether V is a tid a lock can record (positive, within FUTEX_TID_MASK). */
static bool plausible_tid(int64_t v)
{
	return v > 0 && v <= (int64_t)FUTEX_TID_MASK;
}

/* Read the mutex at L's address into L's owner fields. */
static void read_mutex(struct linux_locks *ll, size_t l)
{
	struct cr_lock *lk = &ll->g->locks[l];
	uint64_t v[M_NFIELDS];

	if (!ll->mutex_dwarf) {
		ll->mutex_dwarf = true;
		pick_layout(ll, "pthread_mutex_t", &ll->mutex, ll->mutex_fields,
			    mutex_field_names, M_NFIELDS);
	}

	if (!cr_target_struct(&ll->ctx->target, lk->addr, &ll->mutex, v)) {
		cr_pass_problem(ll->ctx, CR_AT_ADDRESS(CR_SEVERITY_WARNING,
						       lk->addr),
				"mutex 0x%" PRIx64 " that threads wait for "
				"is not in the dump: its owner is unknown",
				lk->addr);
		return;
	}
	int64_t kind = (int64_t)v[M_KIND], owner = (int64_t)v[M_OWNER];
	uint32_t word = (uint32_t)v[M_LOCK];
	if (kind < 0 || (kind & ~(int64_t)MUTEX_KNOWN_BITS)) {
		cr_pass_problem(ll->ctx, CR_AT_ADDRESS(CR_SEVERITY_WARNING,
						       lk->addr),
				"mutex 0x%" PRIx64 " has kind %" PRId64
				", which glibc does not make: not read as a "
				"mutex", lk->addr, kind);
		return;
	}
	bool robust = kind & MUTEX_ROBUST;
	/* A robust or PI mutex's word is the owner's tid; __owner may not
	 * be written yet (the locker stores it after taking the word). */
	if ((robust || (kind & MUTEX_PRIO_INHERIT)) && owner == 0)
		owner = word & FUTEX_TID_MASK;
	if (owner != 0 && !plausible_tid(owner)) {
		/* PTHREAD_MUTEX_INCONSISTENT / NOTRECOVERABLE and garbage */
		cr_pass_problem(ll->ctx, CR_AT_ADDRESS(CR_SEVERITY_INFO,
						       lk->addr),
				"mutex 0x%" PRIx64 " records owner %" PRId64
				", which is no thread id", lk->addr, owner);
		return;
	}
	cr_lock_graph_owner(ll->g, ll->ctx->analysis, l, owner);
	lk = &ll->g->locks[l];
	if ((kind & MUTEX_PSHARED) && owner && lk->owner < 0) {
		/* Shared between processes: the owner may well be a thread
		 * of another process, alive; no owner gone. */
		lk->owner_known = false;
		lk->what = "process-shared mutex";
		cr_pass_problem(ll->ctx, CR_AT_ADDRESS(CR_SEVERITY_INFO,
						       lk->addr),
				"process-shared mutex 0x%" PRIx64 " records "
				"owner %" PRId64 ", no thread of this dump: "
				"its owner is unknown (a thread of another "
				"process?)", lk->addr, owner);
		return;
	}
	lk->owner_died = robust && (word & FUTEX_OWNER_DIED);
	if (owner)
		lk->recursion = (kind & MUTEX_KIND_MASK) == MUTEX_RECURSIVE
					? (uint32_t)v[M_COUNT] : 1;
	lk->what = robust ? "robust mutex"
		   : kind & MUTEX_PRIO_INHERIT ? "priority-inheritance mutex"
		   : (kind & MUTEX_KIND_MASK) == MUTEX_RECURSIVE ? "recursive mutex"
		   : NULL;
}

/* Whether V, an rwlock read with its futex word as field F, is consistent:
 * the word holds what a futex word of F holds, the padding is zero, the
 * flags and the shared marker are glibc's. */
static bool rwlock_consistent(const uint64_t *v, unsigned f)
{
	if (f != R_READERS && v[f] > 3)	/* phase bit | FUTEX_USED */
		return false;
	return v[R_PAD3] == 0 && v[R_PAD4] == 0 && v[R_FLAGS] <= RWLOCK_FLAGS_MAX &&
	       (int64_t)v[R_SHARED] >= 0 && (int64_t)v[R_SHARED] <= 1 &&
	       ((int64_t)v[R_CUR_WRITER] == 0 ||
		plausible_tid((int64_t)v[R_CUR_WRITER]));
}

/* The rwlock whose futex word thread waits on at FUTEX (mode MODE): its
 * address in *ADDR and its fields in V; false when no candidate is
 * consistent or readable. */
static bool find_rwlock(struct linux_locks *ll, uint64_t futex,
			enum cr_wait_mode mode, uint64_t *addr, uint64_t *v)
{
	if (!ll->rwlock_dwarf) {
		ll->rwlock_dwarf = true;
		pick_layout(ll, "pthread_rwlock_t", &ll->rwlock,
			    ll->rwlock_fields, rwlock_field_names, R_NFIELDS);
	}
	for (const unsigned *c = rwlock_candidates[mode]; *c < R_NFIELDS; c++) {
		uint32_t off = ll->rwlock.fields[*c].offset;
		if (futex < off)
			continue;
		*addr = futex - off;
		if (cr_target_struct(&ll->ctx->target, *addr, &ll->rwlock, v) &&
		    rwlock_consistent(v, *c))
			return true;
	}
	return false;
}

/* The words of a lock only glibc's internal lock functions wait for
 * (compared by address: a mutex wait reads such a lock again). */
static const char internal_lock_what[] = "glibc internal lock";

/* Add thread I's wait (row ROW of lock_functions[] at FRAME) on FUTEX. */
static bool add_wait(struct linux_locks *ll, size_t i, size_t row,
		     ssize_t frame, uint64_t futex)
{
	enum cr_wait_mode mode = lock_functions[row].mode;
	uint64_t addr = futex, v[R_NFIELDS];
	enum cr_lock_kind kind = CR_LOCK_MUTEX;
	bool rw_read = false;

	if (lock_functions[row].family == RWLOCK) {
		if (!find_rwlock(ll, futex, mode, &addr, v)) {
			cr_pass_problem(ll->ctx, CR_AT_ADDRESS(CR_SEVERITY_WARNING,
							       futex),
					"thread %" PRId64 " waits in %s on futex "
					"0x%" PRIx64 ", in no rwlock the dump "
					"holds",
					ll->ctx->analysis->threads[i].thread->tid,
					lock_functions[row].function, futex);
			return true;
		}
		kind = CR_LOCK_RWLOCK;
		rw_read = true;
	}
	size_t before = ll->g->nlocks;
	ssize_t l = cr_lock_graph_lock(ll->g, addr, false, kind);
	if (l < 0)	/* out of memory, or past the graph's bound */
		return ll->g->nlocks >= CR_LOCK_GRAPH_MAX_LOCKS;
	struct cr_lock *lk = &ll->g->locks[l];
	/* Read it once: when new, or when a thread waiting under
	 * pthread_mutex_lock shows that what another thread's wait (in
	 * __lll_lock_wait alone) made an internal lock is a mutex, whose
	 * owner the deadlock may turn on whatever the threads' order. */
	bool lll = lock_functions[row].family == LLL;
	bool upgrade = lock_functions[row].family == MUTEX &&
		       (size_t)l != before &&
		       lk->what == internal_lock_what;
	if ((size_t)l == before || upgrade) {
		if (!lk->name)
			lk->name = lock_name(ll->ctx, addr);
		if (lll) {
			lk->what = internal_lock_what;
		} else if (rw_read) {
			int64_t w = (int64_t)v[R_CUR_WRITER];
			cr_lock_graph_owner(ll->g, ll->ctx->analysis, (size_t)l, w);
			lk = &ll->g->locks[l];
			if (!(v[R_READERS] & RWLOCK_WRPHASE))
				lk->readers = (uint32_t)(v[R_READERS] >>
							 RWLOCK_READER_SHIFT);
		} else {
			lk->what = NULL;
			read_mutex(ll, (size_t)l);
		}
	}
	return cr_lock_graph_wait(ll->g, i, (size_t)l, mode,
				  lock_functions[row].function, frame);
}

struct cr_error *cr_locks_linux(struct cr_pass_ctx *ctx,
				struct cr_lock_graph *g)
{
	struct cr_analysis *a = ctx->analysis;
	struct linux_locks ll = { .ctx = ctx, .g = g };
	size_t no_address = 0;	/* waits whose futex address is unknown */
	ssize_t first = -1;	/* the first of them */

	for (size_t i = 0; i < a->nthreads; i++) {
		const struct cr_thread_state *st = &a->threads[i].st;
		ssize_t frame = -1, row;
		if (st->kind != CR_STATE_LOCK || !a->threads[i].thread)
			continue;
		row = lock_function(&a->threads[i].stack, &frame);
		if (row < 0)
			continue;	/* a file lock, a Windows wait... */
		if (!st->wait_object_known || !st->syscall_name ||
		    strcmp(st->syscall_name, "futex")) {
			if (no_address++ == 0)
				first = (ssize_t)row;
			continue;
		}
		if (lock_functions[row].family != LLL && !layouts(&ll)) {
			cr_pass_problem(ctx, CR_AT(CR_SEVERITY_INFO),
					"glibc's lock layouts are not known for "
					"this architecture: lock owners are not "
					"read");
			return NULL;
		}
		if (!add_wait(&ll, i, (size_t)row, frame, st->wait_object))
			return &cr_enomem;
	}
	/* one line for them all: on aarch64 that is every waiting thread */
	if (no_address)
		cr_pass_problem(ctx, CR_AT(CR_SEVERITY_INFO),
				"%zu thread%s wait%s in %s or another lock "
				"function, but the dump does not give the futex "
				"address (not stopped in a futex call, or an "
				"architecture whose first argument register is "
				"overwritten): not in the wait-for graph",
				no_address, no_address == 1 ? "" : "s",
				no_address == 1 ? "s" : "",
				lock_functions[first].function);
	return NULL;
}
