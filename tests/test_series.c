/*
 * test_series.c - unit tests of the series (analyzer/series.h) on
 * hand-built analyses: which dumps are a series, the time order, threads
 * matched by tid (appeared, vanished), each thread's own CPU time over the
 * interval (a kernel core's leader: the process total minus the others),
 * the threshold, stuck threads, the whole-process hang and a lock held in
 * every dump; the heap's growth (series_heap.h) from each dump's kept heap
 * statistics.
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
#include "heap_stats.h"
#include "series.h"
#include "series_heap.h"
#include "util.h"

#define MAX_DUMPS 3
#define MAX_THREADS 40
#define MAX_FRAMES 3

struct member {
	struct cr_dump d;
	struct cr_thread t[MAX_THREADS];
	struct cr_analysis a;
	struct cr_thread_analysis ta[MAX_THREADS];
	struct cr_frame frames[MAX_THREADS][MAX_FRAMES];
};

static struct member m[MAX_DUMPS];
static struct cr_series_input in[MAX_DUMPS];

static char exe[] = "/usr/bin/app";

/* Dump K: process 100 of /usr/bin/app taken at TIME (-1: not recorded). */
static void dump(size_t k, int64_t time)
{
	struct member *x = &m[k];
	memset(x, 0, sizeof(*x));
	x->d.process.pid = 100;
	x->d.process.executable = exe;
	x->d.process.dump_time = time;
	x->d.process.start_time = -1;
	x->d.process.os = CR_OS_LINUX;
	x->d.threads = x->t;
	x->a.dump = &x->d;
	x->a.threads = x->ta;
	x->a.focus_thread = -1;
	x->a.crash.thread = -1;
	in[k] = (struct cr_series_input){ .path = k == 0 ? "a.core" :
					  k == 1 ? "b.core" : "c.core",
					  .analysis = &x->a };
}

/*
 * Thread TID in dump K, in state KIND, with the stack F0 <- F1 (innermost
 * first; F1 may be NULL), own CPU time CPU_US (-1: not recorded).
 */
static size_t thread(size_t k, int64_t tid, enum cr_state_kind kind,
		     const char *f0, const char *f1, int64_t cpu_us)
{
	struct member *x = &m[k];
	size_t i = x->d.nthreads++;
	assert_true(i < MAX_THREADS);
	x->a.nthreads = x->d.nthreads;
	x->t[i].tid = tid;
	if (cpu_us >= 0) {
		x->t[i].user = (struct cr_cpu_time){ true, (uint64_t)cpu_us };
		x->t[i].sys = (struct cr_cpu_time){ true, 0 };
	}
	x->ta[i].thread = &x->t[i];
	x->ta[i].st.kind = kind;
	x->ta[i].stack.frames = x->frames[i];
	x->ta[i].stack.unwound = true;
	const char *names[] = { f0, f1, "start_thread" };
	for (size_t f = 0; f < MAX_FRAMES; f++) {
		if (!names[f])
			continue;
		x->frames[i][x->ta[i].stack.nframes++] = (struct cr_frame){
			.pc = 0x1000 * (k + 1) + f, .function = names[f],
			.module = "app" };
	}
	return i;
}

static void cleanup(size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct cr_analysis *a = &m[k].a;
		cr_findings_free(&a->findings);
		free(a->summary);
		a->summary = NULL;
		cr_pass_kept_free(a);
	}
}

static const struct cr_finding *finding(const struct cr_analysis *a,
					enum cr_finding_id id, size_t nth)
{
	for (size_t i = 0; i < a->findings.n; i++)
		if (a->findings.items[i].id == id && nth-- == 0)
			return &a->findings.items[i];
	return NULL;
}

static const struct cr_evidence *evidence(const struct cr_finding *f,
					  enum cr_evidence_kind kind,
					  const char *label)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == kind &&
		    strcmp(f->evidence[i].label, label) == 0)
			return &f->evidence[i];
	fail_msg("no evidence %s", label);
	return NULL;
}

static int64_t number(const struct cr_finding *f, const char *label)
{
	return evidence(f, CR_EVIDENCE_NUMBER, label)->u.number.value;
}

static const struct cr_series_thread *series_thread(const struct cr_series *s,
						    int64_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return &s->threads[i];
	return NULL;
}

static void run(size_t n, double interval, double threshold)
{
	struct cr_series_options o = { .interval = interval,
				       .cpu_threshold = threshold };
	assert_null(cr_series_analyze(in, n, &o));
}

/* --- which dumps are a series ---------------------------------------------- */

static void test_is_series(void **state)
{
	(void)state;
	dump(0, 10);
	dump(1, 12);
	const struct cr_dump *d[] = { &m[0].d, &m[1].d };
	assert_true(cr_series_is_series(d, 2));
	assert_false(cr_series_is_series(d, 1));
	m[1].d.process.pid = 101;	/* another process */
	assert_false(cr_series_is_series(d, 2));
	m[1].d.process.pid = 100;
	char other[] = "/usr/bin/other";
	m[1].d.process.executable = other;	/* the pid reused */
	assert_false(cr_series_is_series(d, 2));
	m[1].d.process.executable = NULL;
	assert_false(cr_series_is_series(d, 2));
	m[1].d.process.executable = exe;
	m[0].d.process.start_time = 5;
	m[1].d.process.start_time = 6;	/* same pid and program, new run */
	assert_false(cr_series_is_series(d, 2));
	m[1].d.process.start_time = -1;
	assert_true(cr_series_is_series(d, 2));
	m[0].d.process.pid = m[1].d.process.pid = -1;
	assert_false(cr_series_is_series(d, 2));
}

/* --- time order, threads that came and went -------------------------------- */

static void test_order_and_changed_threads(void **state)
{
	(void)state;
	/* Given newest first: the series orders by the dumps' times. */
	dump(0, 1002);
	thread(0, 100, CR_STATE_SIGNAL, "pause", "main", -1);
	thread(0, 103, CR_STATE_IO, "read", "reader", -1);
	thread(0, 104, CR_STATE_SLEEPING, "nanosleep", "late", -1);
	dump(1, 1000);
	thread(1, 100, CR_STATE_SIGNAL, "pause", "main", -1);
	thread(1, 102, CR_STATE_IO, "read", "gone", -1);
	thread(1, 103, CR_STATE_IO, "write", "reader", -1);
	run(2, 0, 0);
	assert_ptr_equal(in[1].analysis, &m[0].a);	/* the later one last */
	const struct cr_analysis *a = &m[0].a;
	const struct cr_series *s = cr_series_of(a);
	assert_non_null(s);
	assert_null(cr_series_of(&m[1].a));
	assert_int_equal(s->clock, CR_SERIES_CLOCK_DUMP);
	assert_true(s->span == 2.0);
	assert_string_equal(s->dumps[0].path, "b.core");
	assert_int_equal(s->nthreads, 4);
	const struct cr_series_thread *gone = series_thread(s, 102);
	assert_true(gone->cells[0].present && !gone->cells[1].present);
	assert_int_equal(gone->thread, -1);
	const struct cr_series_thread *late = series_thread(s, 104);
	assert_true(!late->cells[0].present && late->cells[1].present);
	assert_int_equal(late->thread, 2);
	const struct cr_finding *f =
		finding(a, CR_FINDING_SERIES_THREADS_CHANGED, 0);
	assert_non_null(f);
	assert_int_equal(number(f, "appeared"), 1);
	assert_int_equal(number(f, "vanished"), 1);
	/* Main did not move; the reader did (read, then write). */
	assert_true(series_thread(s, 100)->stuck);
	assert_false(series_thread(s, 103)->stuck);
	/* Not every thread stuck: information, no hang signature. */
	f = finding(a, CR_FINDING_SERIES_STUCK_THREADS, 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_INFO);
	assert_null(f->signature);
	assert_non_null(finding(a, CR_FINDING_SERIES_TIMELINE, 0));
	assert_null(finding(a, CR_FINDING_SERIES_BUSY_THREAD, 0));
	cleanup(2);
}

/* --- CPU over the interval ------------------------------------------------- */

/* A kernel core: the leader's entry holds the process total (the reader
 * moved it to process.user/sys). */
static void kernel_times(size_t k, int64_t total_us)
{
	m[k].d.process.user = (struct cr_cpu_time){ true, (uint64_t)total_us };
	m[k].d.process.sys = (struct cr_cpu_time){ true, 0 };
}

static void test_cpu_delta(void **state)
{
	(void)state;
	/* 4 s apart: the spinner uses 3.8 s (95%), the worker 0.4 s, the
	 * leader 1.0 s (the total grows by 5.2 s). */
	dump(0, 500);
	thread(0, 100, CR_STATE_RUNNING, "tick", "main", -1);
	thread(0, 101, CR_STATE_RUNNING, "scan_field", "parse_row", 1000000);
	thread(0, 102, CR_STATE_IO, "read", "worker", 200000);
	kernel_times(0, 1500000);
	dump(1, 504);
	thread(1, 100, CR_STATE_SIGNAL, "pause", "main", -1);
	thread(1, 101, CR_STATE_RUNNING, "parse_row", "spin", 4800000);
	thread(1, 102, CR_STATE_IO, "read", "worker", 600000);
	kernel_times(1, 6700000);
	run(2, 0, 0);
	const struct cr_analysis *a = &m[1].a;
	const struct cr_series *s = cr_series_of(a);
	assert_true(s->cpu_recorded);
	const struct cr_series_thread *lead = series_thread(s, 100);
	assert_true(lead->cells[0].cpu_known);
	assert_int_equal(lead->cells[0].cpu_us, 300000);	/* 1.5 - 1.2 */
	assert_int_equal(lead->cells[1].cpu_us, 1300000);	/* 6.7 - 5.4 */
	const struct cr_finding *f = finding(a, CR_FINDING_SERIES_BUSY_THREAD, 0);
	assert_non_null(f);
	assert_null(finding(a, CR_FINDING_SERIES_BUSY_THREAD, 1));
	assert_int_equal(f->thread, 1);
	assert_int_equal(number(f, "CPU time"), 3800);
	assert_int_equal(number(f, "interval"), 4000);
	assert_int_equal(number(f, "share of one core"), 95);
	/* Where it spins: the innermost function in every dump's stack. */
	assert_string_equal(f->signature, "spin: parse_row");
	assert_non_null(a->summary);
	assert_non_null(strstr(a->summary, "A series of 2 dumps of this process over 4.0 s; this report is the last one's. Across them: thread 101 used 3.80 s of CPU in 4.00 s"));
	assert_true(series_thread(s, 101)->busy);
	assert_false(series_thread(s, 102)->busy);
	cleanup(2);

	/* Above 95%: nobody is busy. */
	dump(0, 500);
	thread(0, 101, CR_STATE_RUNNING, "parse_row", NULL, 1000000);
	dump(1, 504);
	thread(1, 101, CR_STATE_RUNNING, "parse_row", NULL, 4800000);
	run(2, 0, 0.96);
	assert_null(finding(&m[1].a, CR_FINDING_SERIES_BUSY_THREAD, 0));
	cleanup(2);
}

/* Times the dumps lie about: no overflow, no conversion out of range. */
static void test_lying_times(void **state)
{
	(void)state;
	dump(0, 0);
	thread(0, 101, CR_STATE_RUNNING, "parse_row", NULL, 0);
	dump(1, INT64_MAX);
	thread(1, 101, CR_STATE_RUNNING, "parse_row", NULL, INT64_MAX);
	run(2, 0, 0);
	assert_non_null(cr_series_of(&m[1].a));
	cleanup(2);
	dump(0, 1);
	thread(0, 101, CR_STATE_RUNNING, "parse_row", NULL, 1);
	m[0].t[0].sys.usec = UINT64_MAX;	/* user + sys wraps: unknown */
	dump(1, 2);
	thread(1, 101, CR_STATE_RUNNING, "parse_row", NULL, INT64_MAX);
	run(2, 0, 0);
	const struct cr_series *s = cr_series_of(&m[1].a);
	assert_false(s->threads[0].cells[0].cpu_known);
	/* Unknown in one dump: busy by the running rule, not by a share. */
	const struct cr_finding *f = finding(&m[1].a, CR_FINDING_SERIES_BUSY_THREAD, 0);
	assert_non_null(f);
	assert_non_null(strstr(f->title, "running user code"));
	cleanup(2);
	dump(0, 1);
	thread(0, 101, CR_STATE_RUNNING, "parse_row", NULL, 0);
	dump(1, 2);
	thread(1, 101, CR_STATE_RUNNING, "parse_row", NULL, INT64_MAX);
	run(2, 0, 0);
	f = finding(&m[1].a, CR_FINDING_SERIES_BUSY_THREAD, 0);
	assert_non_null(f);
	assert_true(number(f, "share of one core") > 0);
	cleanup(2);
}

/* No time in the dumps and none in the files: --interval spaces them. */
static void test_interval_and_no_cpu(void **state)
{
	(void)state;
	dump(0, -1);
	thread(0, 101, CR_STATE_RUNNING, "scan_field", "parse_row", -1);
	thread(0, 102, CR_STATE_CONDVAR, "pthread_cond_wait", "idle", -1);
	dump(1, -1);
	thread(1, 101, CR_STATE_RUNNING, "parse_row", "spin", -1);
	thread(1, 102, CR_STATE_CONDVAR, "pthread_cond_wait", "idle", -1);
	dump(2, -1);
	thread(2, 101, CR_STATE_RUNNING, "parse_row", "spin", -1);
	thread(2, 102, CR_STATE_CONDVAR, "pthread_cond_wait", "idle", -1);
	run(3, 30, 0);
	const struct cr_analysis *a = &m[2].a;
	const struct cr_series *s = cr_series_of(a);
	assert_int_equal(s->clock, CR_SERIES_CLOCK_INTERVAL);
	assert_true(s->span == 60.0);
	assert_false(s->cpu_recorded);
	/* Running in every dump: busy though no time is recorded. */
	const struct cr_finding *f = finding(a, CR_FINDING_SERIES_BUSY_THREAD, 0);
	assert_non_null(f);
	assert_non_null(strstr(f->title, "running user code in all 3 dumps"));
	assert_string_equal(f->signature, "spin: parse_row");
	assert_true(series_thread(s, 102)->stuck);
	assert_false(series_thread(s, 101)->stuck);
	cleanup(3);

	/* Neither: the order given, no span. */
	dump(0, -1);
	thread(0, 101, CR_STATE_IO, "read", NULL, -1);
	dump(1, -1);
	thread(1, 101, CR_STATE_RUNNING, "parse_row", NULL, -1);
	run(2, 0, 0);
	s = cr_series_of(&m[1].a);
	assert_int_equal(s->clock, CR_SERIES_CLOCK_ORDER);
	assert_true(s->span == 0);
	assert_null(finding(&m[1].a, CR_FINDING_SERIES_BUSY_THREAD, 0));
	cleanup(2);
}

/* --- nothing moved --------------------------------------------------------- */

static void test_hang(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		dump(k, 100 + 5 * (int64_t)k);
		thread(k, 100, CR_STATE_LOCK, "__lll_lock_wait", "flush", -1);
		thread(k, 101, CR_STATE_LOCK, "__lll_lock_wait", "append", -1);
		m[k].ta[0].st.function = "pthread_mutex_lock";
		m[k].ta[1].st.function = "pthread_mutex_lock";
	}
	run(2, 0, 0);
	const struct cr_finding *f =
		finding(&m[1].a, CR_FINDING_SERIES_STUCK_THREADS, 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_WARNING);
	assert_non_null(strstr(f->title, "probably hung"));
	assert_string_equal(f->signature, "hang: pthread_mutex_lock");
	cleanup(2);

	/* One frame differs: that thread moved. */
	for (size_t k = 0; k < 2; k++) {
		dump(k, 100 + 5 * (int64_t)k);
		thread(k, 100, CR_STATE_LOCK, "__lll_lock_wait",
		       k ? "flush" : "rotate", -1);
	}
	run(2, 0, 0);
	assert_null(finding(&m[1].a, CR_FINDING_SERIES_STUCK_THREADS, 0));
	cleanup(2);
}

/* --- a lock held by one owner in every dump -------------------------------- */

static void keep_graph(size_t k, uint64_t lock, int64_t owner, size_t waiter)
{
	static const struct cr_pass locks_pass = { .name = "locks" };
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, &locks_pass, &m[k].a, NULL, NULL);
	struct cr_lock_graph *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	assert_true(cr_lock_graph_init(g, &m[k].a));
	ssize_t l = cr_lock_graph_lock(g, lock, false, CR_LOCK_MUTEX);
	assert_true(l >= 0);
	cr_lock_graph_owner(g, &m[k].a, (size_t)l, owner);
	assert_true(cr_lock_graph_wait(g, waiter, (size_t)l, CR_WAIT_EXCLUSIVE,
				       "pthread_mutex_lock", -1));
	assert_true(cr_pass_keep(&ctx, g, cr_lock_graph_destroy));
}

static void test_lock_held(void **state)
{
	(void)state;
	for (size_t k = 0; k < 3; k++) {
		dump(k, 100 + 2 * (int64_t)k);
		thread(k, 100, CR_STATE_IO, "read", k == 1 ? "fill" : "load", -1);
		thread(k, 101, CR_STATE_LOCK, "__lll_lock_wait", "get", -1);
		keep_graph(k, 0x55d0c0a010e0ull, 100, 1);
	}
	run(3, 0, 0);
	const struct cr_finding *f = finding(&m[2].a, CR_FINDING_SERIES_LOCK_HELD, 0);
	assert_non_null(f);
	assert_int_equal(f->thread, 0);
	assert_int_equal(number(f, "waiting threads"), 1);
	assert_string_equal(f->signature, "hang: lock held in read");
	cleanup(3);

	/* Another owner in the middle dump: not held throughout. */
	for (size_t k = 0; k < 3; k++) {
		dump(k, 100 + 2 * (int64_t)k);
		thread(k, 100, CR_STATE_IO, "read", "load", -1);
		thread(k, 101, CR_STATE_LOCK, "__lll_lock_wait", "get", -1);
		keep_graph(k, 0x55d0c0a010e0ull, k == 1 ? 101 : 100, k == 1 ? 0 : 1);
	}
	run(3, 0, 0);
	assert_null(finding(&m[2].a, CR_FINDING_SERIES_LOCK_HELD, 0));
	cleanup(3);
}

/* --- a series of many threads ---------------------------------------------- */

static size_t table_rows(const struct cr_finding *f, const char *label)
{
	return evidence(f, CR_EVIDENCE_TABLE, label)->u.table.nrows;
}

/* 40 threads stuck in both dumps: the tables list CR_SERIES_TABLE_ROWS
 * and count the rest; the series itself keeps every thread.  Then 40
 * threads that all went and 40 that came. */
static void test_tables_capped(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		dump(k, 100 + 5 * (int64_t)k);
		for (int64_t t = 0; t < MAX_THREADS; t++)
			thread(k, 100 + t, CR_STATE_LOCK, "__lll_lock_wait",
			       "flush", -1);
	}
	run(2, 0, 0);
	const struct cr_analysis *a = &m[1].a;
	assert_int_equal(cr_series_of(a)->nthreads, MAX_THREADS);
	const struct cr_finding *f =
		finding(a, CR_FINDING_SERIES_STUCK_THREADS, 0);
	assert_non_null(f);
	assert_int_equal(table_rows(f, "stuck threads"), CR_SERIES_TABLE_ROWS);
	assert_int_equal(number(f, "threads not listed"),
			 MAX_THREADS - CR_SERIES_TABLE_ROWS);
	f = finding(a, CR_FINDING_SERIES_TIMELINE, 0);
	assert_non_null(f);
	assert_int_equal(table_rows(f, "timeline"), CR_SERIES_TABLE_ROWS);
	assert_int_equal(number(f, "threads not listed"),
			 MAX_THREADS - CR_SERIES_TABLE_ROWS);
	cleanup(2);

	for (size_t k = 0; k < 2; k++) {
		dump(k, 100 + 5 * (int64_t)k);
		for (int64_t t = 0; t < MAX_THREADS; t++)
			thread(k, 100 * (int64_t)(k + 1) + t, CR_STATE_IO,
			       "read", "fill", -1);
	}
	run(2, 0, 0);
	f = finding(&m[1].a, CR_FINDING_SERIES_THREADS_CHANGED, 0);
	assert_non_null(f);
	assert_int_equal(table_rows(f, "threads that came or went"),
			 CR_SERIES_TABLE_ROWS);
	assert_int_equal(number(f, "threads not listed"),
			 2 * MAX_THREADS - CR_SERIES_TABLE_ROWS);
	cleanup(2);
}

/* --- the heap's growth (series_heap.c) -------------------------------------- */

/* One size class planted in a dump's heap statistics. */
struct planted_class {
	uint64_t size;
	size_t count, leaked;
	const char *type;	/* sampled content, NULL none */
};

/* Keep heap statistics of classes C[0..N) (by size) in dump K, as the
 * "heapstats" pass does. */
static void keep_heap(size_t k, const struct planted_class *c, size_t n)
{
	static const struct cr_pass stats_pass = { .name = "heapstats" };
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, &stats_pass, &m[k].a, NULL, NULL);
	struct cr_heap_stats *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->header = 8;
	s->leaks_known = true;
	s->classes = calloc(n, sizeof(*s->classes));
	assert_non_null(s->classes);
	for (size_t i = 0; i < n; i++) {
		struct cr_heap_class *x = &s->classes[s->nclasses++];
		x->size = c[i].size;
		x->count = c[i].count;
		x->bytes = c[i].count * c[i].size;
		x->leaked_count = c[i].leaked;
		s->in_use_count += x->count;
		s->in_use_bytes += x->bytes;
		s->leaked_count += x->leaked_count;
		s->leaked_bytes += x->leaked_count * x->size;
		if (c[i].type) {
			x->content = calloc(1, sizeof(*x->content));
			assert_non_null(x->content);
			x->content->type = strdup(c[i].type);
		}
	}
	assert_true(cr_pass_keep(&ctx, s, cr_heap_stats_free));
}

/* Three dumps 30 s apart of a process sleeping in one thread: 1,000-byte
 * blocks (chunk 1,008) grow 2,000 -> 6,000 -> 10,000 (and are named by a
 * vtable in the last dump only), 56-byte ones 0 -> 5 -> 3 (grew, not
 * monotonic), 24-byte ones stay at 3,000, 2,040-byte ones vanish. */
static void test_heap_growth(void **state)
{
	(void)state;
	static const size_t blocks[] = { 2000, 6000, 10000 };
	static const size_t small[] = { 0, 5, 3 };
	for (size_t k = 0; k < 3; k++) {
		dump(k, 100 + 30 * (int64_t)k);
		thread(k, 100, CR_STATE_SLEEPING, "clock_nanosleep", "main", -1);
		struct planted_class c[] = {
			{ 32, 3000, 0, NULL },
			{ 64, small[k], small[k], NULL },
			{ 1008, blocks[k], 0, k == 2 ? "Session" : NULL },
			{ 2048, k ? 0 : 10, 0, NULL },
		};
		keep_heap(k, c, ARRAY_LEN(c));
	}
	run(3, 0, 0);
	const struct cr_series *s = cr_series_of(&m[2].a);
	const struct cr_series_heap *h = s->heap;
	assert_non_null(h);
	assert_true(h->grew && h->monotonic);
	assert_int_equal(h->first, 0);
	assert_int_equal(h->last, 2);
	assert_int_equal(h->ngrowing, 2);
	assert_int_equal(h->nclasses, 2);
	const struct cr_series_heap_class *c = &h->classes[0];
	assert_int_equal(c->size, 1008);
	assert_int_equal(c->usable, 1000);
	assert_int_equal(c->counts[1], 6000);
	assert_int_equal(c->count_growth, 8000);
	assert_int_equal(c->bytes_growth, 8000 * 1008);
	assert_true(c->monotonic && c->leaked_known && c->leaked_last == 0);
	assert_string_equal(c->type, "Session");
	double pm;
	assert_true(cr_series_heap_rate(h, (double)c->count_growth, &pm));
	assert_true(pm > 7999.9 && pm < 8000.1);	/* 60 s: per minute */
	c = &h->classes[1];
	assert_int_equal(c->size, 64);
	assert_int_equal(c->count_growth, 3);
	assert_false(c->monotonic);
	assert_int_equal(c->leaked_last, 3);
	const struct cr_finding *f =
		finding(&m[2].a, CR_FINDING_SERIES_HEAP_GROWTH, 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_WARNING);
	assert_non_null(strstr(f->title, "Session objects (1,000-byte blocks): +8,000 (2,000 → 10,000)"));
	assert_string_equal(f->signature, "heap-growth: Session objects");
	assert_int_equal(number(f, "heap growth"),
			 8000 * 1008 + 3 * 64 - 10 * 2048);
	assert_int_equal(table_rows(f, "size classes that grew"), 2);
	assert_int_equal(table_rows(f, "heap in each dump"), 3);
	/* The heap moved: the sleeping thread is not a hung process. */
	f = finding(&m[2].a, CR_FINDING_SERIES_STUCK_THREADS, 0);
	assert_non_null(f);
	assert_null(strstr(f->title, "probably hung"));
	assert_non_null(strstr(m[2].a.summary, "the heap in use grew"));
	cleanup(3);
}

/* Growth under the thresholds, dumps without times, a dump not walked. */
static void test_heap_no_growth(void **state)
{
	(void)state;
	/* 100 MiB -> +512 KiB: under 1 MiB and under 10%.  No clock. */
	for (size_t k = 0; k < 3; k++) {
		dump(k, -1);
		thread(k, 100, CR_STATE_SLEEPING, "clock_nanosleep", "main", -1);
		if (k == 1)
			continue;	/* not walked */
		struct planted_class c[] = {
			{ 1024, 102400 + (k ? 512 : 0), 0, NULL },
		};
		keep_heap(k, c, ARRAY_LEN(c));
	}
	run(3, 0, 0);
	const struct cr_series_heap *h = cr_series_of(&m[2].a)->heap;
	assert_non_null(h);
	assert_false(h->grew);
	assert_false(h->dumps[1].known);
	assert_int_equal(h->nclasses, 1);
	assert_int_equal(h->classes[0].counts[1], 0);
	double pm;
	assert_false(cr_series_heap_rate(h, 1, &pm));	/* order: no time */
	const struct cr_finding *f =
		finding(&m[2].a, CR_FINDING_SERIES_HEAP_GROWTH, 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_INFO);
	assert_non_null(strstr(f->title, "did not grow across the 3 dumps"));
	assert_null(f->signature);
	cleanup(3);

	/* Only one dump's heap walked: nothing to compare, no finding. */
	for (size_t k = 0; k < 2; k++) {
		dump(k, 100 + (int64_t)k);
		thread(k, 100, CR_STATE_SLEEPING, "clock_nanosleep", "main", -1);
	}
	keep_heap(1, (const struct planted_class[]){ { 32, 10, 0, NULL } }, 1);
	run(2, 0, 0);
	assert_null(cr_series_of(&m[1].a)->heap);
	assert_null(finding(&m[1].a, CR_FINDING_SERIES_HEAP_GROWTH, 0));
	cleanup(2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_series),
		cmocka_unit_test(test_order_and_changed_threads),
		cmocka_unit_test(test_cpu_delta),
		cmocka_unit_test(test_lying_times),
		cmocka_unit_test(test_interval_and_no_cpu),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_lock_held),
		cmocka_unit_test(test_tables_capped),
		cmocka_unit_test(test_heap_growth),
		cmocka_unit_test(test_heap_no_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
