/*
 * cpu.c - pass "cpu": which thread burns the CPU.
 *
 * Facts it relies on:
 *  - each thread's own user and system time (cr_thread_cpu_time, cpu.h):
 *    NT_PRSTATUS pr_utime/pr_stime in a kernel core (fs/binfmt_elf.c; the
 *    thread-group leader's entry holds the process's totals), the
 *    ThreadInfoList stream of a minidump (MINIDUMP_THREAD_INFO UserTime,
 *    KernelTime); gdb's gcore and qemu-user write zeros: not recorded;
 *  - the process's start and dump time where the dump records them
 *    (MiscInfo ProcessCreateTime and the minidump header's TimeDateStamp;
 *    an ELF core has no dump time);
 *  - whether a thread was on a CPU in user code when the dump was taken:
 *    the state pass's CR_STATE_RUNNING (stopped outside a system call).
 *
 * What it concludes:
 *  - high-cpu-thread: one thread running user code used most of the
 *    process's CPU time (>= SPIN_SHARE_PERCENT and >= SPIN_MIN_US of its
 *    own: 3 ms of 5 ms is a program that did little, not a spinner).
 *    When the dump records no times, the only thread running user code
 *    while every other one waits is named instead, and the finding says
 *    that the times are not recorded;
 *  - spin-lock: a thread spinning for a lock rather than waiting for it
 *    (pthread_spin_lock, a yield loop, a spin-wait function: the table
 *    spin_functions), with the same CPU conditions;
 * each with a table of the threads that used the most CPU.  The facts are
 * kept as "cpu" (struct cr_cpu_facts) for the passes after this one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu.h"
#include "error.h"
#include "pass.h"
#include "passes.h"
#include "util.h"

/* A thread is the spinner when it used at least this share of the
 * process's CPU time ... */
#define SPIN_SHARE_PERCENT 50
/* ... and at least this much itself (user + system, microseconds). */
#define SPIN_MIN_US 250000u
/* Threads a process needs before the one running among waiting ones is
 * named without CPU times (the running one and two waiting). */
#define SPIN_GUESS_MIN_THREADS 3u
/* Rows of the table of the threads that used the most CPU. */
#define TOP_ROWS 8
/* Frames scanned from the innermost for a spin function. */
#define SPIN_SCAN_FRAMES 4

/* What a spin function does, in the finding's words. */
enum spin_how {
	SPIN_LOCK,	/* busy-waits on a lock word */
	SPIN_YIELD,	/* gives the CPU up and retries: a yield loop */
};

/*
 * Functions a thread spins in while it waits for something (matched with
 * cr_function_is, which ignores glibc's alias prefixes).  A yield on its
 * own is no proof of a loop, but a thread caught yielding while it has
 * most of the process's CPU time is one.
 */
static const struct {
	const char *function;
	enum spin_how how;
} spin_functions[] = {
	{ "pthread_spin_lock", SPIN_LOCK },	/* glibc, musl */
	{ "__pthread_spin_lock", SPIN_LOCK },	/* glibc's own name */
	{ "_raw_spin_lock", SPIN_LOCK },	/* a kernel-style lock ported */
	{ "SpinPause", SPIN_LOCK },		/* HotSpot's spin loops */
	{ "runtime.procyield", SPIN_LOCK },	/* Go's runtime spin */
	{ "sched_yield", SPIN_YIELD },
	{ "__sched_yield", SPIN_YIELD },
	{ "thrd_yield", SPIN_YIELD },
	{ "std::this_thread::yield", SPIN_YIELD },
	{ "runtime.osyield", SPIN_YIELD },
	{ "SwitchToThread", SPIN_YIELD },	/* Windows */
	{ "NtYieldExecution", SPIN_YIELD },
};

/* Innermost function names (lower-cased) that say a hand-written spin
 * lock: a CAS loop in "my_spin_lock", "SpinLock::lock", "spin_wait". */
static const char *const spin_name_parts[] = {
	"spinlock", "spin_lock", "spinwait", "spin_wait", "spin_until",
};

/*
 * Where the lock is while a thread spins in a spin function whose code we
 * know: glibc's x86_64 pthread_spin_lock (sysdeps/x86_64/nptl) loops on
 * "pause; cmpl $0, (%rdi)" and never changes rdi, the lock's address.
 * DWARF register numbers (dump.h).
 */
static const struct {
	enum cr_arch arch;
	const char *function;
	unsigned reg;
} lock_registers[] = {
	{ CR_ARCH_X86_64, "pthread_spin_lock", 5 },	/* rdi */
	{ CR_ARCH_X86_64, "__pthread_spin_lock", 5 },
};

static const char *const how_words[] = {
	[SPIN_LOCK] = "spinning for a lock",
	[SPIN_YIELD] = "spinning in a yield loop",
};

static const char *const top_headers[] = {
	"Thread", "Name", "User", "System", "Share", "On a CPU",
};

void cr_cpu_facts_free(void *p)
{
	struct cr_cpu_facts *f = p;
	if (!f)
		return;
	free(f->threads);
	free(f);
}

static uint64_t thread_us(const struct cr_cpu_thread *t)
{
	return t->user_us + t->sys_us;	/* both checked in fill_times */
}

/* N per mille of D, -1 when D is 0; clamped so a lying dump cannot wrap. */
static int permille(uint64_t n, uint64_t d)
{
	if (!d)
		return -1;
	unsigned __int128 pm = (unsigned __int128)n * 1000 / d;
	return pm > 100000 ? 100000 : (int)pm;
}

/* The per-thread times, the total and the lifetime. */
static void fill_times(const struct cr_dump *d, const struct cr_analysis *a,
		       struct cr_cpu_facts *f)
{
	uint64_t sum = 0;
	f->times_known = a->nthreads > 0;
	for (size_t i = 0; i < a->nthreads; i++) {
		struct cr_cpu_thread *t = &f->threads[i];
		t->share_permille = t->lifetime_permille = -1;
		t->on_cpu = a->threads[i].st.kind == CR_STATE_RUNNING;
		f->on_cpu += t->on_cpu;
		uint64_t u, s, both, next;
		/* A sum that would wrap leaves SUM as it was: the times are
		 * the dump's word. */
		if (!cr_thread_cpu_time(d, i, &u, &s) ||
		    __builtin_add_overflow(u, s, &both) ||
		    __builtin_add_overflow(sum, both, &next)) {
			f->times_known = false;
			continue;
		}
		sum = next;
		t->times_known = true;
		t->user_us = u;
		t->sys_us = s;
	}
	const struct cr_process *p = &d->process;
	uint64_t total = 0;
	if (p->user.known && p->sys.known &&
	    __builtin_add_overflow(p->user.usec, p->sys.usec, &total))
		total = 0;
	f->total_us = total > sum ? total : sum;
	f->lifetime_us = -1;
	int64_t age;
	if (p->dump_time >= 0 && p->start_time >= 0 &&
	    p->dump_time > p->start_time &&
	    !__builtin_mul_overflow(p->dump_time - p->start_time, 1000000,
				    &age))
		f->lifetime_us = age;
	for (size_t i = 0; i < a->nthreads; i++) {
		struct cr_cpu_thread *t = &f->threads[i];
		if (!t->times_known)
			continue;
		t->share_permille = permille(thread_us(t), f->total_us);
		if (f->lifetime_us > 0)
			t->lifetime_permille = permille(thread_us(t),
							(uint64_t)f->lifetime_us);
	}
}

/* How thread I spins (a spin function among its innermost frames, or a
 * spin-lock name on frame 0); false when it does not look like it. */
static bool spins(const struct cr_analysis *a, size_t i, enum spin_how *how,
		  const char **function)
{
	const struct cr_stack *s = &a->threads[i].stack;
	size_t n = s->nframes < SPIN_SCAN_FRAMES ? s->nframes : SPIN_SCAN_FRAMES;
	for (size_t k = 0; k < n; k++) {
		const char *fn = s->frames[k].function;
		for (size_t r = 0; fn && r < ARRAY_LEN(spin_functions); r++) {
			if (cr_function_is(fn, spin_functions[r].function)) {
				*how = spin_functions[r].how;
				*function = fn;
				return true;
			}
		}
	}
	const char *fn = s->nframes ? s->frames[0].function : NULL;
	char lower[64];
	if (!fn)
		return false;
	size_t len = strnlen(fn, sizeof(lower) - 1);
	for (size_t c = 0; c < len; c++)
		lower[c] = (char)(fn[c] >= 'A' && fn[c] <= 'Z' ? fn[c] + 32 : fn[c]);
	lower[len] = 0;
	for (size_t r = 0; r < ARRAY_LEN(spin_name_parts); r++) {
		if (strstr(lower, spin_name_parts[r])) {
			*how = SPIN_LOCK;
			*function = fn;
			return true;
		}
	}
	return false;
}

/* Whether thread I burns CPU: on a CPU (or yielding, which is a system
 * call), with most of the process's time where times are recorded, else
 * the only thread running while every other one waits. */
static bool burns_cpu(const struct cr_analysis *a,
		      const struct cr_cpu_facts *f, size_t i, bool yielding)
{
	const struct cr_cpu_thread *t = &f->threads[i];
	/* A process of one thread: that thread has every share, and any
	 * busy program looks so; nothing to single out. */
	if ((!t->on_cpu && !yielding) || a->nthreads < 2)
		return false;
	if (f->times_known)
		return t->share_permille >= SPIN_SHARE_PERCENT * 10 &&
		       thread_us(t) >= SPIN_MIN_US;
	/* No times: a guess from one instant, so only when it stands out:
	 * not under a crash (the others running is then how it found them),
	 * and at least two other threads all waiting (one waiting beside one
	 * running is any main thread with a helper). */
	if (a->nthreads < SPIN_GUESS_MIN_THREADS ||
	    (a->crash.cls != CR_CRASH_NONE && !a->crash.sent))
		return false;
	return f->on_cpu == (t->on_cpu ? 1u : 0u);
}

/* "1.234 s" or "12.3 ms". */
static void fmt_us(char *buf, size_t len, uint64_t us)
{
	if (us >= 1000000)
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 " s", us / 1000000,
			 us % 1000000 / 1000);
	else
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " ms", us / 1000,
			 us % 1000 / 100);
}

static void fmt_permille(char *buf, size_t len, int pm)
{
	if (pm < 0)
		snprintf(buf, len, "not recorded");
	else
		snprintf(buf, len, "%d.%d%%", pm / 10, pm % 10);
}

/* "thread 123 (name)" into BUF. */
static void thread_words(const struct cr_analysis *a, size_t i, char *buf,
			 size_t len)
{
	const struct cr_thread *t = a->threads[i].thread;
	if (t && t->tid >= 0)
		snprintf(buf, len, "thread %" PRId64 "%s%s%s", t->tid,
			 t->name ? " (" : "", t->name ? t->name : "",
			 t->name ? ")" : "");
	else
		snprintf(buf, len, "thread #%zu", i);
}

static int by_time_desc(const void *x, const void *y, void *f_)
{
	const struct cr_cpu_facts *f = f_;
	uint64_t a = thread_us(&f->threads[*(const size_t *)x]);
	uint64_t b = thread_us(&f->threads[*(const size_t *)y]);
	return a < b ? 1 : a > b ? -1 : 0;
}

/* The table of the threads that used the most CPU (times recorded), or
 * of the threads on a CPU (not recorded). */
static bool top_table(struct cr_finding *fd, const struct cr_analysis *a,
		      const struct cr_cpu_facts *f)
{
	size_t *order = malloc(a->nthreads * sizeof(*order));
	size_t n = 0;
	if (!order)
		return false;
	for (size_t i = 0; i < a->nthreads; i++)
		if (f->times_known || f->threads[i].on_cpu)
			order[n++] = i;
	if (f->times_known)
		qsort_r(order, n, sizeof(*order), by_time_desc, (void *)f);
	struct cr_table *tb = cr_finding_table(
		fd, f->times_known ? "threads by CPU time" : "threads on a CPU",
		ARRAY_LEN(top_headers), top_headers);
	bool ok = tb != NULL;
	for (size_t r = 0; ok && r < n && r < TOP_ROWS; r++) {
		size_t i = order[r];
		const struct cr_cpu_thread *t = &f->threads[i];
		const struct cr_thread *th = a->threads[i].thread;
		char tid[32], user[32], sys[32], share[32];
		snprintf(tid, sizeof(tid), "%" PRId64, th ? th->tid : -1);
		if (t->times_known) {
			fmt_us(user, sizeof(user), t->user_us);
			fmt_us(sys, sizeof(sys), t->sys_us);
		} else {
			snprintf(user, sizeof(user), "not recorded");
			snprintf(sys, sizeof(sys), "not recorded");
		}
		fmt_permille(share, sizeof(share), t->share_permille);
		const char *cells[] = { tid, th && th->name ? th->name : NULL,
					user, sys, share,
					t->on_cpu ? "yes" : "no" };
		ok = cr_table_row(tb, cells);
	}
	free(order);
	return ok;
}

/* The evidence of a spinner finding: the thread, its frames, its times. */
static bool spinner_evidence(struct cr_finding *fd,
			     const struct cr_analysis *a,
			     const struct cr_cpu_facts *f, size_t i,
			     ssize_t where)
{
	const struct cr_cpu_thread *t = &f->threads[i];
	const struct cr_stack *s = &a->threads[i].stack;
	char b1[32], b2[32], b3[32];
	bool ok = cr_finding_thread(fd, "spinning thread", i);
	if (where >= 0)
		ok = ok && cr_finding_frame(fd, CR_LABEL_WHERE, i, (size_t)where);
	if (where > 0 && s->frames[0].function)
		ok = ok && cr_finding_frame(fd, CR_LABEL_STOPPED, i, 0);
	if (!t->times_known)
		return ok && cr_finding_text(fd, "CPU time",
			"not recorded in this dump (gdb's gcore and qemu-user write none): the thread was named because it was the only one running user code");
	fmt_us(b1, sizeof(b1), thread_us(t));
	fmt_us(b2, sizeof(b2), f->total_us);
	fmt_us(b3, sizeof(b3), t->user_us);
	ok = ok && cr_finding_text(fd, "CPU time", "%s of the process's %s (user %s)",
				   b1, b2, b3);
	ok = ok && cr_finding_number(fd, "share of the process's CPU time",
				     t->share_permille / 10, "%");
	if (t->lifetime_permille >= 0)
		ok = ok && cr_finding_number(fd, "share of one CPU over the process's lifetime",
					     t->lifetime_permille / 10, "%");
	else
		ok = ok && cr_finding_text(fd, "share of one CPU over the process's lifetime",
					   "not recorded (the dump records no start or dump time)");
	return ok;
}

/* The address of the lock thread I spins on, when frame 0 is a spin
 * function of lock_registers with its registers from the dump. */
static bool spun_lock(const struct cr_pass_ctx *ctx, size_t i, uint64_t *lock)
{
	const struct cr_analysis *a = ctx->analysis;
	const struct cr_stack *s = &a->threads[i].stack;
	const struct cr_thread *t = a->threads[i].thread;
	if (!t || !s->nframes || s->frames[0].trust != CR_TRUST_CONTEXT)
		return false;
	for (size_t r = 0; r < ARRAY_LEN(lock_registers); r++)
		if (lock_registers[r].arch == ctx->dump->process.arch &&
		    cr_function_is(s->frames[0].function, lock_registers[r].function))
			return cr_regs_get(&t->regs, lock_registers[r].reg, lock);
	return false;
}

/* The lock's address as evidence, with its symbol when it is one. */
static bool lock_evidence(struct cr_pass_ctx *ctx, struct cr_finding *fd,
			  size_t i)
{
	uint64_t lock;
	if (!spun_lock(ctx, i, &lock))
		return true;
	char *where = cr_pass_name_global(ctx, lock, UINT64_MAX, NULL);
	bool ok = cr_finding_address(fd, "lock", lock, where);
	free(where);
	return ok;
}

/* What to blame on frame W of S: its function, else its module (a
 * stripped binary: "python3.11"), NULL neither. */
static const char *culprit_name(const struct cr_stack *s, ssize_t w)
{
	if (w < 0)
		return NULL;
	const struct cr_frame *fr = &s->frames[w];
	if (fr->function)
		return fr->function;
	return fr->module ? cr_basename(fr->module) : NULL;
}

/* The finding for spinner I; false when out of memory. */
static bool report_spinner(struct cr_pass_ctx *ctx, struct cr_cpu_facts *f,
			   size_t i, bool lock, enum spin_how how,
			   const char *spin_fn)
{
	const struct cr_analysis *a = ctx->analysis;
	const struct cr_cpu_thread *t = &f->threads[i];
	const struct cr_stack *s = &a->threads[i].stack;
	ssize_t w = cr_culprit_frame(s);
	const char *where = culprit_name(s, w);
	char who[96], share[32], ran[160];

	thread_words(a, i, who, sizeof(who));
	fmt_permille(share, sizeof(share), t->share_permille);
	if (t->times_known)
		snprintf(ran, sizeof(ran), "used %s of the process's CPU time", share);
	else
		snprintf(ran, sizeof(ran), "was the only thread running user code (CPU times not recorded)");
	struct cr_finding *fd;
	if (lock)
		fd = cr_pass_finding(ctx, CR_FINDING_SPIN_LOCK, CR_SEVERITY_WARNING,
				     "%s was %s in %s%s%s, and %s",
				     who, how_words[how], spin_fn,
				     where && where != spin_fn ? ", called from " : "",
				     where && where != spin_fn ? where : "", ran);
	else
		fd = cr_pass_finding(ctx, CR_FINDING_HIGH_CPU_THREAD, CR_SEVERITY_WARNING,
				     "%s %s%s%s", who, ran,
				     where ? ", running in " : "", where ? where : "");
	if (!fd)
		return true;	/* counted as dropped */
	fd->thread = (ssize_t)i;
	f->spinner = (ssize_t)i;
	f->spin_lock = lock;
	bool ok = !where || cr_finding_signature(fd, "%s: %s",
						 lock ? "spin-lock" : "spin", where);
	ok = ok && spinner_evidence(fd, a, f, i, w);
	if (lock)
		ok = ok && lock_evidence(ctx, fd, i);
	return ok && top_table(fd, a, f);
}

CR_PASS_RUN(run_cpu)
{
	struct cr_analysis *a = ctx->analysis;
	struct cr_cpu_facts *f = calloc(1, sizeof(*f));
	if (!f)
		return &cr_enomem;
	f->spinner = -1;
	f->nthreads = a->nthreads;
	f->threads = calloc(a->nthreads ? a->nthreads : 1, sizeof(*f->threads));
	if (!f->threads) {
		cr_cpu_facts_free(f);
		return &cr_enomem;
	}
	fill_times(ctx->dump, a, f);

	/* A thread spinning in a lock first: it names the cause. */
	bool ok = true;
	for (size_t i = 0; i < a->nthreads && f->spinner < 0; i++) {
		enum spin_how how;
		const char *fn;
		const struct cr_thread_state *st = &a->threads[i].st;
		if (!spins(a, i, &how, &fn))
			continue;
		bool yielding = how == SPIN_YIELD && st->syscall_name &&
				!strcmp(st->syscall_name, "sched_yield");
		if (burns_cpu(a, f, i, yielding))
			ok = report_spinner(ctx, f, i, true, how, fn);
	}
	for (size_t i = 0; ok && i < a->nthreads && f->spinner < 0; i++)
		if (burns_cpu(a, f, i, false))
			ok = report_spinner(ctx, f, i, false, SPIN_LOCK, NULL);
	if (!ok) {
		cr_cpu_facts_free(f);
		return &cr_enomem;
	}
	return cr_pass_keep(ctx, f, cr_cpu_facts_free) ? NULL : &cr_enomem;
}
