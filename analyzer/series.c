/*
 * series.c - the cross-dump findings of a series of one process's dumps
 * (series.h).
 *
 * Two steps.  The facts: the dumps in time order and, per tid, what each
 * dump says of that thread (present, own CPU time through
 * cr_thread_cpu_time, state, innermost function), built once and kept for
 * the JSON report.  The findings: read only those facts (and the wait-for
 * graphs of the analyses), so each rule below is a few lines over a table.
 *
 * Threads are matched by tid: within one process's life a tid names one
 * thread (the kernel reuses a tid only after the thread ended, and then
 * the CPU time of the "same" tid goes down: that interval is shown as
 * unknown, not as a negative time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "error.h"
#include "locks.h"
#include "pass.h"
#include "series.h"
#include "series_heap.h"
#include "strbuf.h"
#include "util.h"

static const char *const clock_ids[] = {
	[CR_SERIES_CLOCK_DUMP] = "dump-time",
	[CR_SERIES_CLOCK_FILE] = "file-time",
	[CR_SERIES_CLOCK_INTERVAL] = "interval",
	[CR_SERIES_CLOCK_ORDER] = "order",
};

/* What the reports say of each clock, after "ordered by". */
static const char *const clock_words[] = {
	[CR_SERIES_CLOCK_DUMP] = "the times the dumps record",
	[CR_SERIES_CLOCK_FILE] = "the files' modification times (the dumps "
				 "record no time)",
	[CR_SERIES_CLOCK_INTERVAL] = "the order given, --interval apart",
	[CR_SERIES_CLOCK_ORDER] = "the order given (no time recorded: give "
				  "--interval for CPU shares)",
};

const char *cr_series_clock_id(enum cr_series_clock c)
{
	return (size_t)c < ARRAY_LEN(clock_ids) ? clock_ids[c] : "?";
}

/* The pass the findings and the kept facts are filed under. */
static const struct cr_pass series_pass = {
	.name = "series",
	.what = "cross-dump findings of a series of one process's dumps",
};

const struct cr_series *cr_series_of(const struct cr_analysis *a)
{
	return cr_pass_kept(a, series_pass.name);
}

bool cr_series_is_series(const struct cr_dump *const *d, size_t n)
{
	if (n < 2 || n > CR_SERIES_MAX_DUMPS)
		return false;
	const struct cr_process *p0 = &d[0]->process;
	if (p0->pid < 0 || !p0->executable)
		return false;
	for (size_t i = 1; i < n; i++) {
		const struct cr_process *p = &d[i]->process;
		if (p->pid != p0->pid || !p->executable ||
		    strcmp(p->executable, p0->executable) != 0)
			return false;
		/* A pid reused by a new run of the same program. */
		if (p->start_time >= 0 && p0->start_time >= 0 &&
		    p->start_time != p0->start_time)
			return false;
	}
	return true;
}

/* The count of the threads a table capped at CR_SERIES_TABLE_ROWS rows
 * leaves out of the TOTAL it would list. */
static void not_listed(struct cr_finding *f, const struct cr_table *tab,
		       size_t total)
{
	if (tab && total > tab->nrows)
		cr_finding_number(f, "threads not listed",
				  (int64_t)(total - tab->nrows), "threads");
}

/* ------------------------------------------------------------ time order */

struct slot {
	struct cr_series_input in;
	size_t given;		/* position on the command line */
	double time;
};

static int cmp_slot(const void *x, const void *y)
{
	const struct slot *a = x, *b = y;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->given < b->given ? -1 : a->given > b->given;
}

/* A dump's own time in seconds, with the sub-second part when recorded. */
static double dump_seconds(const struct cr_process *p)
{
	return (double)p->dump_time +
	       (p->dump_time_nsec >= 0 ? (double)p->dump_time_nsec / 1e9 : 0);
}

/* Which clock orders IN, and each dump's time on it (S[i].time). */
static enum cr_series_clock pick_clock(struct slot *s, size_t n,
				       const struct cr_series_options *o)
{
	bool dump = true, file = true;
	for (size_t i = 0; i < n; i++) {
		dump &= s[i].in.analysis->dump->process.dump_time >= 0;
		file &= s[i].in.mtime_known;
	}
	/* Times that are all equal order nothing (files copied at once). */
	bool dump_differ = false, file_differ = false;
	for (size_t i = 1; i < n; i++) {
		dump_differ |= dump_seconds(&s[i].in.analysis->dump->process) !=
			       dump_seconds(&s[0].in.analysis->dump->process);
		file_differ |= s[i].in.mtime != s[0].in.mtime;
	}
	enum cr_series_clock c =
		dump && dump_differ ? CR_SERIES_CLOCK_DUMP :
		o->interval > 0 ? CR_SERIES_CLOCK_INTERVAL :
		file && file_differ ? CR_SERIES_CLOCK_FILE :
		CR_SERIES_CLOCK_ORDER;
	for (size_t i = 0; i < n; i++) {
		s[i].given = i;
		switch (c) {
		case CR_SERIES_CLOCK_DUMP:
			s[i].time = dump_seconds(&s[i].in.analysis->dump->process);
			break;
		case CR_SERIES_CLOCK_FILE: s[i].time = s[i].in.mtime; break;
		case CR_SERIES_CLOCK_INTERVAL: s[i].time = (double)i * o->interval; break;
		case CR_SERIES_CLOCK_ORDER: s[i].time = (double)i; break;
		}
	}
	return c;
}

/* ------------------------------------------------------------ the facts */

/* The innermost frame's words: its function, else module+offset; NULL
 * none.  Malloc'd. */
static char *frame_words(const struct cr_frame *f)
{
	if (f->function)
		return strdup(f->function);
	if (f->module)
		return cr_strdup_printf("%s+0x%llx", f->module,
					(unsigned long long)f->module_offset);
	return cr_strdup_printf("0x%llx", (unsigned long long)f->pc);
}

/* Where thread TA is, in a few words: the function its state was told by
 * ("pthread_cond_wait"), else the innermost frame's. */
static char *where(const struct cr_thread_analysis *ta)
{
	if (ta->st.function)
		return strdup(ta->st.function);
	if (ta->stack.nframes == 0)
		return NULL;
	return frame_words(&ta->stack.frames[0]);
}

struct tid_entry {
	int64_t tid;
	size_t dump, thread;
};

static int cmp_tid_entry(const void *x, const void *y)
{
	const struct tid_entry *a = x, *b = y;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return a->dump < b->dump ? -1 : a->dump > b->dump;
}

static void series_free(void *p)
{
	struct cr_series *s = p;
	if (!s)
		return;
	for (size_t i = 0; i < s->ndumps; i++)
		free(s->dumps[i].path);
	free(s->dumps);
	for (size_t t = 0; t < s->nthreads; t++) {
		struct cr_series_thread *th = &s->threads[t];
		for (size_t i = 0; th->cells && i < s->ndumps; i++)
			free(th->cells[i].function);
		free(th->cells);
		free(th->name);
	}
	free(s->threads);
	cr_series_heap_free(s->heap);
	free(s);
}

/* Fill the cells of the thread whose entries are E[0..N) (one tid). */
static bool fill_thread(struct cr_series *s, struct cr_series_thread *th,
			const struct slot *sl, const struct tid_entry *e,
			size_t n)
{
	th->tid = e[0].tid;
	th->thread = -1;
	th->cells = calloc(s->ndumps, sizeof(*th->cells));
	if (!th->cells)
		return false;
	for (size_t k = 0; k < n; k++) {
		const struct cr_analysis *a = sl[e[k].dump].in.analysis;
		const struct cr_thread_analysis *ta = &a->threads[e[k].thread];
		struct cr_series_cell *c = &th->cells[e[k].dump];
		if (c->present)
			continue;	/* a tid twice in one dump: the first */
		c->present = true;
		c->index = e[k].thread;
		c->state = ta->st.kind;
		uint64_t user, sys;
		if (cr_thread_cpu_time(a->dump, e[k].thread, &user, &sys) &&
		    !__builtin_add_overflow(user, sys, &c->cpu_us))
			c->cpu_known = true;
		c->function = where(ta);
		const char *name = ta->thread ? ta->thread->name : NULL;
		if (name) {
			free(th->name);
			th->name = strdup(name);
		}
		if (e[k].dump == s->ndumps - 1)
			th->thread = (ssize_t)e[k].thread;
	}
	return true;
}

/* The facts of the series SL[0..N) (in time order), NULL when out of
 * memory. */
static struct cr_series *build_facts(const struct slot *sl, size_t n,
				     enum cr_series_clock clock,
				     double threshold)
{
	struct cr_series *s = calloc(1, sizeof(*s));
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		if (__builtin_add_overflow(total, sl[i].in.analysis->nthreads, &total))
			goto fail;
	struct tid_entry *e = total ? calloc(total, sizeof(*e)) : NULL;
	if (!s || (total && !e))
		goto fail_e;
	s->clock = clock;
	s->cpu_threshold = threshold;
	s->ndumps = n;
	if (clock != CR_SERIES_CLOCK_ORDER)
		s->span = sl[n - 1].time - sl[0].time;
	s->dumps = calloc(n, sizeof(*s->dumps));
	if (!s->dumps)
		goto fail_e;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cr_analysis *a = sl[i].in.analysis;
		s->dumps[i].time = sl[i].time;
		s->dumps[i].path = strdup(sl[i].in.path);
		if (!s->dumps[i].path)
			goto fail_e;
		for (size_t t = 0; t < a->nthreads; t++)
			if (a->threads[t].thread)
				e[m++] = (struct tid_entry){
					a->threads[t].thread->tid, i, t };
	}
	qsort(e, m, sizeof(*e), cmp_tid_entry);
	size_t ntids = 0;
	for (size_t k = 0; k < m; k++)
		ntids += k == 0 || e[k].tid != e[k - 1].tid;
	s->threads = ntids ? calloc(ntids, sizeof(*s->threads)) : NULL;
	if (ntids && !s->threads)
		goto fail_e;
	for (size_t k = 0; k < m;) {
		size_t end = k + 1;
		while (end < m && e[end].tid == e[k].tid)
			end++;
		if (!fill_thread(s, &s->threads[s->nthreads++], sl, e + k,
				 end - k))
			goto fail_e;
		k = end;
	}
	free(e);
	return s;
fail_e:
	free(e);
fail:
	series_free(s);
	return NULL;
}

/* ------------------------------------------------------------ findings */

/* "thread 16444 (spinner)", malloc'd. */
static char *thread_words(const struct cr_series_thread *th)
{
	return th->name ? cr_strdup_printf("thread %lld (%s)",
					   (long long)th->tid, th->name)
			: cr_strdup_printf("thread %lld", (long long)th->tid);
}

/* Whether stacks A and B are the same function/module sequence (not the
 * same addresses: a thread that spins returns to other pcs of the same
 * functions). */
static bool same_stack(const struct cr_stack *a, const struct cr_stack *b)
{
	if (a->nframes != b->nframes)
		return false;
	for (size_t i = 0; i < a->nframes; i++) {
		const struct cr_frame *x = &a->frames[i], *y = &b->frames[i];
		const char *fx = x->function, *fy = y->function;
		const char *mx = x->module, *my = y->module;
		if (!fx != !fy || (fx && strcmp(fx, fy) != 0) ||
		    !mx != !my || (mx && strcmp(mx, my) != 0))
			return false;
		/* No name at all: the address is all there is. */
		if (!fx && !mx && x->pc != y->pc)
			return false;
	}
	return true;
}

/* The stack of thread TH in dump I, NULL when absent. */
static const struct cr_thread_analysis *
thread_in(const struct slot *sl, const struct cr_series_thread *th, size_t i)
{
	if (!th->cells[i].present)
		return NULL;
	return &sl[i].in.analysis->threads[th->cells[i].index];
}

/*
 * The innermost function that is in TH's stack in every dump: where a
 * busy thread spends its time, the same words in another run (the
 * innermost frame itself changes from dump to dump).  Malloc'd, NULL none.
 */
static char *common_function(const struct slot *sl, size_t n,
			     const struct cr_series_thread *th)
{
	const struct cr_thread_analysis *last = thread_in(sl, th, n - 1);
	if (!last)
		return NULL;
	for (size_t f = 0; f < last->stack.nframes; f++) {
		const char *fn = last->stack.frames[f].function;
		bool everywhere = fn != NULL;
		for (size_t i = 0; i + 1 < n && everywhere; i++) {
			const struct cr_thread_analysis *ta = thread_in(sl, th, i);
			everywhere = false;
			for (size_t g = 0; ta && g < ta->stack.nframes; g++) {
				const char *o = ta->stack.frames[g].function;
				if (o && strcmp(o, fn) == 0) {
					everywhere = true;
					break;
				}
			}
		}
		if (everywhere)
			return strdup(fn);
	}
	return last->stack.nframes ? frame_words(&last->stack.frames[0]) : NULL;
}

/* V rounded for a number evidence; dump times and CPU times are the dumps'
 * word, and a double out of int64_t's range must not be converted. */
static int64_t rounded(double v)
{
	if (!(v > -9e18))
		return v != v ? 0 : -(int64_t)9e18;
	return v < 9e18 ? (int64_t)(v + (v < 0 ? -0.5 : 0.5)) : (int64_t)9e18;
}

/* The CPU TH used from dump I to dump J (both present, known, not going
 * down), in microseconds; false when unknown. */
static bool cpu_between(const struct cr_series_thread *th, size_t i, size_t j,
			uint64_t *us)
{
	const struct cr_series_cell *a = &th->cells[i], *b = &th->cells[j];
	if (!a->present || !b->present || !a->cpu_known || !b->cpu_known ||
	    b->cpu_us < a->cpu_us)
		return false;
	*us = b->cpu_us - a->cpu_us;
	return true;
}

/* Whether TH ran user code in every dump of S. */
static bool running_throughout(const struct cr_series *s,
			       const struct cr_series_thread *th)
{
	for (size_t i = 0; i < s->ndumps; i++)
		if (!th->cells[i].present ||
		    th->cells[i].state != CR_STATE_RUNNING)
			return false;
	return true;
}

/* The busy threads: above the threshold over the longest interval the
 * thread's CPU time is known, or running in every dump where the dumps
 * record no time. */
static void find_busy(struct cr_pass_ctx *ctx, struct cr_series *s,
		      const struct slot *sl)
{
	for (size_t t = 0; t < s->nthreads; t++) {
		struct cr_series_thread *th = &s->threads[t];
		size_t first = s->ndumps, last = 0;
		for (size_t i = 0; i < s->ndumps; i++)
			if (th->cells[i].present && th->cells[i].cpu_known) {
				if (first == s->ndumps)
					first = i;
				last = i;
			}
		uint64_t us = 0;
		double dt = s->clock == CR_SERIES_CLOCK_ORDER || first >= last
			? 0 : s->dumps[last].time - s->dumps[first].time;
		bool measured = first < last && dt > 0 &&
				cpu_between(th, first, last, &us);
		double share = measured ? (double)us / 1e6 / dt : 0;
		th->busy = measured ? share >= s->cpu_threshold
				    : running_throughout(s, th);
		if (!th->busy)
			continue;
		char *who = thread_words(th);
		char *fn = common_function(sl, s->ndumps, th);
		struct cr_finding *f;
		if (measured) {
			f = cr_pass_finding(ctx, CR_FINDING_SERIES_BUSY_THREAD,
				CR_SEVERITY_WARNING,
				"%s used %.2f s of CPU in %.2f s between dumps %zu and %zu (%.0f%% of one core)%s%s",
				who ? who : "a thread", (double)us / 1e6, dt,
				first + 1, last + 1, share * 100,
				fn ? ", in " : "", fn ? fn : "");
			cr_finding_detail(f, "Its own user and system time grew by %.2f s while %.2f s passed: above the threshold of %.0f%% of one core (--cpu-threshold).",
					  (double)us / 1e6, dt,
					  s->cpu_threshold * 100);
			cr_finding_number(f, "CPU time", (int64_t)(us / 1000), "ms");
			cr_finding_number(f, "interval", rounded(dt * 1000), "ms");
			cr_finding_number(f, "share of one core",
					  rounded(share * 100), "%");
		} else {
			f = cr_pass_finding(ctx, CR_FINDING_SERIES_BUSY_THREAD,
				CR_SEVERITY_WARNING,
				"%s was running user code in all %zu dumps%s%s",
				who ? who : "a thread", s->ndumps,
				fn ? ", in " : "", fn ? fn : "");
			cr_finding_detail(f, "It was on a CPU (not in a system call) each time a dump was taken. The dumps record no CPU time per thread (gcore writes none), so how much CPU it used is not known; a thread caught running in every dump is most likely busy all the time.");
		}
		if (th->thread >= 0 && f) {
			f->thread = th->thread;
			cr_finding_thread(f, "thread", (size_t)th->thread);
		}
		if (fn) {
			cr_finding_text(f, "function", "%s", fn);
			cr_finding_signature(f, "spin: %s", fn);
		}
		free(fn);
		free(who);
	}
}

/* Whether TH was in the same stack, not running, in every dump. */
static bool stuck_throughout(const struct cr_series *s, const struct slot *sl,
			     const struct cr_series_thread *th)
{
	const struct cr_thread_analysis *first = NULL;
	for (size_t i = 0; i < s->ndumps; i++) {
		const struct cr_series_cell *c = &th->cells[i];
		if (!c->present || c->state == CR_STATE_RUNNING ||
		    c->state == CR_STATE_CRASHED)
			return false;
		const struct cr_thread_analysis *ta = thread_in(sl, th, i);
		if (!ta || !ta->stack.unwound || ta->stack.nframes == 0)
			return false;
		if (first && !same_stack(&first->stack, &ta->stack))
			return false;
		first = ta;
	}
	return true;
}

/* "6.1 s" or "" when the series has no time. */
static void span_words(const struct cr_series *s, char *buf, size_t len)
{
	if (s->clock == CR_SERIES_CLOCK_ORDER)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, " over %.1f s", s->span);
}

static void find_stuck(struct cr_pass_ctx *ctx, struct cr_series *s,
		       const struct slot *sl)
{
	size_t nstuck = 0, nthroughout = 0;
	ssize_t lead = -1;
	bool lock = false, anybusy = false;
	for (size_t t = 0; t < s->nthreads; t++) {
		struct cr_series_thread *th = &s->threads[t];
		th->stuck = stuck_throughout(s, sl, th);
		anybusy |= th->busy;
		bool all = true;
		for (size_t i = 0; i < s->ndumps; i++)
			all &= th->cells[i].present;
		nthroughout += all;
		if (!th->stuck)
			continue;
		nstuck++;
		bool waits_lock = th->cells[s->ndumps - 1].state == CR_STATE_LOCK;
		if (lead < 0 || (waits_lock && !lock)) {
			lead = (ssize_t)t;
			lock |= waits_lock;
		}
	}
	if (!nstuck)
		return;
	/* Every thread stuck and none came or went: nothing moved at all
	 * (unless the heap changed: then some thread ran between dumps). */
	bool hung = nstuck == s->nthreads && nthroughout == s->nthreads &&
		    !anybusy && !cr_series_heap_changed(s->heap);
	char span[64];
	span_words(s, span, sizeof(span));
	const struct cr_series_thread *lt = &s->threads[lead];
	const char *fn = lt->cells[s->ndumps - 1].function;
	struct cr_finding *f = hung
		? cr_pass_finding(ctx, CR_FINDING_SERIES_STUCK_THREADS,
				  CR_SEVERITY_WARNING,
				  "no thread moved in any of the %zu dumps%s: the process is probably hung",
				  s->ndumps, span)
		: cr_pass_finding(ctx, CR_FINDING_SERIES_STUCK_THREADS,
				  lock ? CR_SEVERITY_WARNING : CR_SEVERITY_INFO,
				  "%zu thread%s had the same stack in all %zu dumps%s%s",
				  nstuck, nstuck == 1 ? "" : "s", s->ndumps, span,
				  lock ? ", one of them waiting for a lock" : "");
	cr_finding_detail(f, "Same stack: the same functions in the same modules, frame by frame, and never running user code when a dump was taken. A thread that waits for work looks like this too; one that waits for a lock, or a whole process that does not move, is stuck.");
	if (lt->thread >= 0 && f) {
		f->thread = lt->thread;
		cr_finding_thread(f, "thread", (size_t)lt->thread);
	}
	if ((hung || lock) && fn)
		cr_finding_signature(f, "hang: %s", fn);
	static const char *const headers[] = { "thread", "state", "in" };
	struct cr_table *tab = cr_finding_table(f, "stuck threads", 3, headers);
	for (size_t t = 0; tab && t < s->nthreads &&
			   tab->nrows < CR_SERIES_TABLE_ROWS; t++) {
		const struct cr_series_thread *th = &s->threads[t];
		if (!th->stuck)
			continue;
		const struct cr_series_cell *c = &th->cells[s->ndumps - 1];
		char *who = thread_words(th);
		const char *row[] = { who, cr_state_kind_id(c->state), c->function };
		cr_table_row(tab, row);
		free(who);
	}
	not_listed(f, tab, nstuck);
}

static void find_changed(struct cr_pass_ctx *ctx, const struct cr_series *s)
{
	size_t appeared = 0, vanished = 0, changed = 0;
	for (size_t t = 0; t < s->nthreads; t++) {
		bool first = s->threads[t].cells[0].present;
		bool last = s->threads[t].cells[s->ndumps - 1].present;
		appeared += !first;
		vanished += !last;
		changed += !first || !last;
	}
	if (!appeared && !vanished)
		return;
	struct cr_finding *f = cr_pass_finding(ctx,
		CR_FINDING_SERIES_THREADS_CHANGED, CR_SEVERITY_INFO,
		"%zu thread%s appeared and %zu vanished between the first and the last dump",
		appeared, appeared == 1 ? "" : "s", vanished);
	cr_finding_number(f, "appeared", (int64_t)appeared, "threads");
	cr_finding_number(f, "vanished", (int64_t)vanished, "threads");
	static const char *const headers[] = { "thread", "first seen", "last seen" };
	struct cr_table *tab = cr_finding_table(f, "threads that came or went",
						3, headers);
	for (size_t t = 0; tab && t < s->nthreads &&
			   tab->nrows < CR_SERIES_TABLE_ROWS; t++) {
		const struct cr_series_thread *th = &s->threads[t];
		if (th->cells[0].present && th->cells[s->ndumps - 1].present)
			continue;
		size_t first = 0, last = 0;
		bool seen = false;
		for (size_t i = 0; i < s->ndumps; i++)
			if (th->cells[i].present) {
				first = seen ? first : i;
				last = i;
				seen = true;
			}
		char *who = thread_words(th);
		char *a = cr_strdup_printf("dump %zu", first + 1);
		char *b = cr_strdup_printf("dump %zu", last + 1);
		const char *row[] = { who, a, b };
		cr_table_row(tab, row);
		free(who);
		free(a);
		free(b);
	}
	not_listed(f, tab, changed);
}

/* ------------------------------------------------------------ locks */

/* Whether graph G has a lock at (ADDR, IS_HANDLE) owned by TID. */
static bool owned_by(const struct cr_lock_graph *g, uint64_t addr,
		     bool is_handle, int64_t tid)
{
	for (size_t l = 0; l < g->nlocks; l++) {
		const struct cr_lock *k = &g->locks[l];
		if (k->addr == addr && k->is_handle == is_handle)
			return k->owner_known && k->owner_tid == tid;
	}
	return false;
}

/* Locks of the last dump held by the same owner in every dump.  The graphs
 * are scanned linearly: a graph's locks are the ones threads wait for,
 * a handful; past LOCK_SCAN_MAX the rule is skipped. */
#define LOCK_SCAN_MAX 4096

static void find_locks_held(struct cr_pass_ctx *ctx, const struct cr_series *s,
			    const struct slot *sl)
{
	const struct cr_lock_graph *last =
		cr_lock_graph_of(sl[s->ndumps - 1].in.analysis);
	if (!last || last->nlocks > LOCK_SCAN_MAX)
		return;
	for (size_t i = 0; i + 1 < s->ndumps; i++) {
		const struct cr_lock_graph *g = cr_lock_graph_of(sl[i].in.analysis);
		if (!g || g->nlocks == 0 || g->nlocks > LOCK_SCAN_MAX)
			return;
	}
	/* Waiters per lock, counted once. */
	size_t *waiting = calloc(last->nlocks ? last->nlocks : 1,
				 sizeof(*waiting));
	if (!waiting)
		return;
	for (size_t w = 0; w < last->nwaits; w++)
		if (last->waits[w].lock < last->nlocks)
			waiting[last->waits[w].lock]++;
	char span[64];
	span_words(s, span, sizeof(span));
	for (size_t l = 0; l < last->nlocks; l++) {
		const struct cr_lock *k = &last->locks[l];
		if (!k->owner_known || k->owner_tid == 0)
			continue;
		bool held = true;
		for (size_t i = 0; i + 1 < s->ndumps && held; i++)
			held = owned_by(cr_lock_graph_of(sl[i].in.analysis),
					k->addr, k->is_handle, k->owner_tid);
		if (!held)
			continue;
		size_t waiters = waiting[l];
		const struct cr_analysis *a = sl[s->ndumps - 1].in.analysis;
		const char *oname = k->owner >= 0 && a->threads[k->owner].thread
			? a->threads[k->owner].thread->name : NULL;
		struct cr_finding *f = cr_pass_finding(ctx,
			CR_FINDING_SERIES_LOCK_HELD, CR_SEVERITY_WARNING,
			"%s %s 0x%llx%s%s was held by thread %lld%s%s%s in all %zu dumps%s (%zu waiting in the last)",
			k->what ? k->what : cr_lock_kind_id(k->kind),
			k->is_handle ? "handle" : "at",
			(unsigned long long)k->addr, k->name ? " " : "",
			k->name ? k->name : "", (long long)k->owner_tid,
			oname ? " (" : "", oname ? oname : "", oname ? ")" : "",
			s->ndumps, span, waiters);
		cr_finding_address(f, "lock", k->addr, k->name);
		cr_finding_number(f, "waiting threads", (int64_t)waiters, "threads");
		if (k->owner >= 0 && f) {
			f->thread = k->owner;
			cr_finding_thread(f, "owner", (size_t)k->owner);
			const struct cr_thread_analysis *ta = &a->threads[k->owner];
			char *fn = where(ta);
			if (fn)
				cr_finding_signature(f, "hang: lock held in %s", fn);
			free(fn);
		}
	}
	free(waiting);
}

/* ------------------------------------------------------------ timeline */

/* The CPU column of TH: each interval's time and share, " · " between. */
static char *cpu_column(const struct cr_series *s,
			const struct cr_series_thread *th)
{
	struct cr_buf b = { 0 };
	for (size_t i = 1; i < s->ndumps; i++) {
		uint64_t us;
		double dt = s->dumps[i].time - s->dumps[i - 1].time;
		if (i > 1)
			cr_buf_puts(&b, " · ");
		if (!cpu_between(th, i - 1, i, &us))
			cr_buf_puts(&b, "?");
		else if (s->clock != CR_SERIES_CLOCK_ORDER && dt > 0)
			cr_buf_printf(&b, "%.2f s (%.0f%%)", (double)us / 1e6,
				       (double)us / 1e6 / dt * 100);
		else
			cr_buf_printf(&b, "%.2f s", (double)us / 1e6);
	}
	return cr_buf_steal(&b);
}

/* The state column of TH: each dump's state and function, " → " between. */
static char *state_column(const struct cr_series *s,
			  const struct cr_series_thread *th)
{
	struct cr_buf b = { 0 };
	for (size_t i = 0; i < s->ndumps; i++) {
		const struct cr_series_cell *c = &th->cells[i];
		if (i)
			cr_buf_puts(&b, " → ");
		if (!c->present)
			cr_buf_puts(&b, "—");
		else
			cr_buf_printf(&b, "%s%s%s", cr_state_kind_id(c->state),
				       c->function ? " in " : "",
				       c->function ? c->function : "");
	}
	return cr_buf_steal(&b);
}

static void add_timeline(struct cr_pass_ctx *ctx, const struct cr_series *s,
			 const struct cr_dump *d)
{
	char span[64];
	span_words(s, span, sizeof(span));
	const char *exe = d->process.executable;
	const char *base = exe ? strrchr(exe, '/') : NULL;
	struct cr_finding *f = cr_pass_finding(ctx, CR_FINDING_SERIES_TIMELINE,
		CR_SEVERITY_INFO,
		"series of %zu dumps of process %lld (%s)%s: %zu threads",
		s->ndumps, (long long)d->process.pid,
		base ? base + 1 : exe ? exe : "?", span, s->nthreads);
	cr_finding_detail(f, "This report is the last dump's, with what the series shows across the dumps. The dumps are ordered by %s. %s",
			  clock_words[s->clock],
			  s->cpu_recorded
			  ? "CPU per interval is each thread's own user and system time between two dumps, and its share of one core."
			  : "The dumps record no CPU time per thread (gcore writes none; a kernel core is written once, when the process dies): only the states show which threads ran.");
	static const char *const dh[] = { "dump", "file", "time" };
	struct cr_table *dt = cr_finding_table(f, "dumps", 3, dh);
	for (size_t i = 0; dt && i < s->ndumps; i++) {
		char *n = cr_strdup_printf("%zu", i + 1);
		char *t = s->clock == CR_SERIES_CLOCK_ORDER ? NULL :
			cr_strdup_printf("+%.3f s", s->dumps[i].time - s->dumps[0].time);
		const char *row[] = { n, s->dumps[i].path, t };
		cr_table_row(dt, row);
		free(n);
		free(t);
	}
	static const char *const th_headers[] = {
		"thread", "CPU per interval", "state in each dump",
	};
	struct cr_table *tab = cr_finding_table(f, "timeline", 3, th_headers);
	for (size_t t = 0; tab && t < s->nthreads &&
			   t < CR_SERIES_TABLE_ROWS; t++) {
		const struct cr_series_thread *th = &s->threads[t];
		char *who = thread_words(th);
		char *cpu = s->cpu_recorded ? cpu_column(s, th) : NULL;
		char *st = state_column(s, th);
		const char *row[] = { who, s->cpu_recorded ? cpu : "not recorded", st };
		cr_table_row(tab, row);
		free(who);
		free(cpu);
		free(st);
	}
	not_listed(f, tab, s->nthreads);
}

/*
 * Put the series first in A's summary: "A series of 3 dumps of this
 * process over 6.0 s; this report is the last one's. Across them: <the
 * first warning of the series>." and then the last dump's own paragraph.
 */
static bool lead_summary(struct cr_analysis *a, const struct cr_series *s,
			 size_t first_finding)
{
	const char *top = NULL;
	for (size_t i = first_finding; i < a->findings.n && !top; i++)
		if (a->findings.items[i].severity == CR_SEVERITY_WARNING)
			top = a->findings.items[i].title;
	char span[64];
	span_words(s, span, sizeof(span));
	char *text = cr_strdup_printf("A series of %zu dumps of this process%s; this report is the last one's.%s%s%s%s%s",
				      s->ndumps, span, top ? " Across them: " : "",
				      top ? top : "", top ? "." : "",
				      a->summary ? " " : "",
				      a->summary ? a->summary : "");
	if (!text)
		return false;
	free(a->summary);
	a->summary = text;
	return true;
}

struct cr_error *cr_series_analyze(struct cr_series_input *in, size_t n,
				   const struct cr_series_options *o)
{
	if (n < 2 || n > CR_SERIES_MAX_DUMPS)
		return NULL;
	struct slot *sl = calloc(n, sizeof(*sl));
	if (!sl)
		return &cr_enomem;
	for (size_t i = 0; i < n; i++)
		sl[i].in = in[i];
	enum cr_series_clock clock = pick_clock(sl, n, o);
	qsort(sl, n, sizeof(*sl), cmp_slot);
	for (size_t i = 0; i < n; i++)
		in[i] = sl[i].in;
	double threshold = o->cpu_threshold > 0 ? o->cpu_threshold
						: CR_SERIES_CPU_THRESHOLD_DEFAULT;
	struct cr_series *s = build_facts(sl, n, clock, threshold);
	if (!s) {
		free(sl);
		return &cr_enomem;
	}
	for (size_t t = 0; t < s->nthreads && !s->cpu_recorded; t++) {
		bool all = true;
		for (size_t i = 0; i < n; i++)
			all &= s->threads[t].cells[i].cpu_known;
		s->cpu_recorded = all;
	}
	struct cr_analysis *last = in[n - 1].analysis;
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, &series_pass, last, NULL, NULL);
	size_t first_finding = last->findings.n;
	find_busy(&ctx, s, sl);
	find_locks_held(&ctx, s, sl);
	if (!cr_series_heap(&ctx, s, in)) {
		free(sl);
		series_free(s);
		return &cr_enomem;
	}
	find_stuck(&ctx, s, sl);
	find_changed(&ctx, s);
	add_timeline(&ctx, s, last->dump);
	free(sl);
	if (!lead_summary(last, s, first_finding)) {
		series_free(s);
		return &cr_enomem;
	}
	if (!cr_pass_keep(&ctx, s, series_free))
		return &cr_enomem;
	return NULL;
}
