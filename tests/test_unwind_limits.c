/*
 * test_unwind_limits.c - the frame budgets of a dump, the cut of a folded
 * stack to the frames shown, and the loop detector of libdwfl's path
 * (analyzer/unwind_limits.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mdsynth.h"
#include "symtab.h"
#include "unwind_limits.h"
#include "util.h"

/* Threads spend what they are allowed, in any pattern: the dump's total
 * holds, and every thread gets at least its floor. */
static void test_budget_total_and_floor(void **state)
{
	(void)state;
	static const size_t nthreads[] = { 1, 3, 100, 5000 };
	for (size_t k = 0; k < ARRAY_LEN(nthreads); k++) {
		struct cr_budget b;
		size_t n = nthreads[k], spent = 0, min = SIZE_MAX;
		cr_budget_init(&b, "frames", 0, 100000, n);
		assert_int_equal(b.per_thread, CR_DEFAULT_MAX_FRAMES);
		assert_int_equal(b.total, 100000);
		for (size_t t = 0; t < n; t++) {
			size_t a = cr_budget_allowance(&b);
			assert_true(a >= 1 && a <= b.per_thread);
			if (a < min)
				min = a;
			/* Greedy threads, and some that stop early. */
			size_t use = t % 3 == 2 ? a / 2 : a;
			spent += use;
			cr_budget_spend(&b, use);
		}
		assert_true(spent <= 100000);
		assert_true(min >= (100000 / n < CR_THREAD_FRAMES_FLOOR ?
				    100000 / n : CR_THREAD_FRAMES_FLOOR));
	}
}

/* --max-frames above the dump's budget raises it; the default does not. */
static void test_budget_max_frames(void **state)
{
	(void)state;
	struct cr_budget b;
	cr_budget_init(&b, "frames", 5000000, CR_MAX_DUMP_FRAMES, 2);
	assert_int_equal(b.total, 5000000);
	assert_int_equal(cr_budget_allowance(&b), 5000000 - CR_THREAD_FRAMES_FLOOR);
	cr_budget_init(&b, "frames shown", 0, CR_MAX_DUMP_ROWS, 2);
	assert_int_equal(b.total, CR_MAX_DUMP_ROWS);
	/* More threads than the budget: one frame each. */
	cr_budget_init(&b, "frames", 0, 10, 50);
	assert_int_equal(b.total, 50);
	for (int t = 0; t < 50; t++) {
		assert_int_equal(cr_budget_allowance(&b), 1);
		cr_budget_spend(&b, 1);
	}
}

static void test_budget_reason(void **state)
{
	(void)state;
	struct cr_budget b;
	cr_budget_init(&b, "frames shown", 1000, 100000, 1);
	char *r = cr_budget_reason(&b, 1000, 1000);
	assert_string_equal(r, "stopped after 1,000 frames (the limit; see --max-frames)");
	free(r);
	r = cr_budget_reason(&b, 77, 77);
	assert_non_null(strstr(r, "the budget of 100,000 frames shown for the stacks of all threads is spent"));
	free(r);
}

/* N frames with pcs 0..N-1; a fold over [FIRST, LAST] of PERIOD. */
static void make_stack(struct cr_stack *s, size_t n, size_t first, size_t last,
		       size_t period)
{
	memset(s, 0, sizeof(*s));
	s->frames = calloc(n, sizeof(*s->frames));
	for (size_t i = 0; i < n; i++)
		s->frames[i].pc = i;
	s->nframes = n;
	if (period) {
		s->folds = calloc(1, sizeof(*s->folds));
		s->folds[0] = (struct cr_fold){ first, last, period,
						(last - first + 1) / period,
						strdup("a -> b") };
		s->nfolds = 1;
	}
}

static void test_cut_rows(void **state)
{
	(void)state;
	struct cr_stack s;
	bool cut;
	/* 10 frames, a fold of 60 (3 rows), 30 frames: 43 rows. */
	make_stack(&s, 100, 10, 69, 2);
	assert_int_equal(cr_stack_cut_rows(&s, 43, &cut), 43);
	assert_false(cut);
	assert_int_equal(s.nframes, 100);
	assert_int_equal(cr_stack_cut_rows(&s, 20, &cut), 20);
	assert_true(cut);
	assert_int_equal(s.nframes, 77);	/* 10 + 60 + 7 */
	assert_int_equal(s.nfolds, 1);
	/* The fold does not fit: cut before it, fold gone. */
	assert_int_equal(cr_stack_cut_rows(&s, 11, &cut), 10);
	assert_true(cut);
	assert_int_equal(s.nframes, 10);
	assert_int_equal(s.nfolds, 0);
	cr_stack_free(&s);
	/* A fold at frame 0 too long for the budget: frame 0 stays. */
	make_stack(&s, 50, 0, 47, 4);
	assert_int_equal(cr_stack_cut_rows(&s, 2, &cut), 1);
	assert_true(cut);
	assert_int_equal(s.nframes, 1);
	assert_int_equal(s.nfolds, 0);
	cr_stack_free(&s);
}

static struct cr_module test_module = { .base = 0x400000, .size = 0x10000 };

static enum cr_sp_verdict step(struct cr_sp_track *t, const struct cr_dump *d,
			       size_t n, uint64_t pc, uint64_t sp, bool act,
			       char **why)
{
	free(*why);
	*why = NULL;
	return cr_sp_check(t, d, n, pc, true, sp, act, why);
}

/* A -> B -> A at one stack pointer is a loop (only "the same as the
 * previous frame" was caught before). */
static void test_loop_at_one_sp(void **state)
{
	(void)state;
	struct cr_dump d = { .modules = &test_module, .nmodules = 1 };
	struct cr_sp_track t = { 0 };
	char *why = NULL;
	assert_int_equal(step(&t, &d, 0, 0x401000, 0x7000, true, &why), CR_SP_OK);
	assert_int_equal(step(&t, &d, 1, 0x402005, 0x7010, false, &why), CR_SP_OK);
	assert_int_equal(step(&t, &d, 2, 0x403005, 0x7010, false, &why), CR_SP_OK);
	assert_int_equal(step(&t, &d, 3, 0x402005, 0x7010, false, &why), CR_SP_DROP);
	assert_non_null(strstr(why, "unwinding loop"));
	/* Genuine recursion moves outward: never a loop. */
	t = (struct cr_sp_track){ 0 };
	for (size_t n = 0; n < 1000; n++)
		assert_int_equal(step(&t, &d, n, 0x402005, 0x7000 + 16 * n, n == 0,
				      &why), CR_SP_OK);
	/* Distinct pcs at one sp: a bounded run. */
	t = (struct cr_sp_track){ 0 };
	size_t n = 0;
	while (step(&t, &d, n, 0x401000 + n, 0x7000, n == 0, &why) == CR_SP_OK)
		n++;
	assert_int_equal(n, CR_SAME_SP_FRAMES);
	assert_non_null(strstr(why, "same stack pointer"));
	free(why);
}

static void test_inward(void **state)
{
	(void)state;
	struct cr_dump d = { .modules = &test_module, .nmodules = 1 };
	struct cr_sp_track t = { 0 };
	char *why = NULL;
	step(&t, &d, 0, 0x401000, 0x7000, true, &why);
	/* Below the callee, pc in no module: not a caller. */
	assert_int_equal(step(&t, &d, 1, 0x999999, 0x6000, false, &why), CR_SP_DROP);
	assert_non_null(strstr(why, "not a caller"));
	/* Below, pc in a module: the last frame. */
	assert_int_equal(step(&t, &d, 1, 0x402000, 0x6000, false, &why), CR_SP_LAST);
	assert_non_null(strstr(why, "no caller is searched"));
	/* The null frame record of aarch64's outermost frame: no reason. */
	assert_int_equal(step(&t, &d, 1, 0x402000, 0x10, false, &why), CR_SP_LAST);
	assert_null(why);
	/* A signal frame may go inward (sigaltstack), a bounded number of
	 * times. */
	t = (struct cr_sp_track){ 0 };
	uint64_t sp = 0x100000;
	size_t n;
	for (n = 0; n < 100; n++, sp -= 0x100)
		if (step(&t, &d, n, 0x401000 + n, sp, true, &why) != CR_SP_OK)
			break;
	assert_int_equal(n, CR_MAX_INWARD_SIGNALS + 1);
	assert_non_null(strstr(why, "signal frames"));
	/* No sp known: nothing to judge. */
	t = (struct cr_sp_track){ 0 };
	free(why);
	why = NULL;
	assert_int_equal(cr_sp_check(&t, &d, 0, 0x401000, true, 0x7000, true, &why), CR_SP_OK);
	assert_int_equal(cr_sp_check(&t, &d, 1, 0x401000, false, 0, false, &why), CR_SP_OK);
	assert_int_equal(cr_sp_check(&t, &d, 2, 0x401000, true, 0x10, false, &why), CR_SP_OK);
	assert_null(why);
}

/*
 * The minidump of issue 7: 100 threads whose stacks all lie in one range
 * of memory holding a single return address into app.exe (no image in the
 * dump, so coroner's walker scans: every word is a frame).  The frames of
 * the whole dump stay within its budgets, the crashing thread (unwound
 * first) keeps a long folded stack, every thread keeps its top frames and
 * says what cut it.
 */
#define MD_THREADS 100
#define MD_STACK (4u << 20)

static void test_minidump_shared_stack(void **state)
{
	(void)state;
	struct mds m;
	mds_init(&m);
	mds_windows_app(&m);
	const uint64_t stack = 0x7000000, ra = 0x140001005;
	uint64_t *words = malloc(MD_STACK);
	for (size_t i = 0; i < MD_STACK / 8; i++)
		words[i] = ra;
	struct mds_thread th[MD_THREADS];
	for (unsigned t = 0; t < MD_THREADS; t++)
		th[t] = (struct mds_thread){
			.tid = 0x100 + t, .stack_start = stack, .stack_size = 0,
			.ctx = mds_context_amd64(&m, 0x140001000, stack, 0),
		};
	mds_thread_list(&m, th, MD_THREADS, false);
	struct mds_range r = { stack, words, MD_STACK };
	mds_memory64_list(&m, &r, 1);
	uint64_t params[2] = { 0, 0 };
	mds_exception(&m, 0x100 + 42, 0xc0000005, 0, 0x140001000, params, 2,
		      mds_context_amd64(&m, 0x140001000, stack, 0));
	size_t len;
	const uint8_t *buf = mds_finish(&m, &len);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(buf, len, "shared.dmp", &d));
	/* Per thread at most 300,000 frames, folded into a few rows: the
	 * first six threads unwind that much, the dump's 2,000,000 frames
	 * are then spent and the others keep their floor. */
	struct cr_options opts = { .max_frames = 300000 };
	struct cr_analysis *a = NULL;
	assert_null(cr_analyze(d, &opts, &a));
	assert_int_equal(a->nthreads, MD_THREADS);
	size_t total = 0, shown = 0, budget_cut = 0;
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct cr_stack *s = &a->threads[i].stack;
		assert_true(s->nframes >= 1);
		total += s->nframes;
		size_t folded = 0;
		for (size_t f = 0; f < s->nfolds; f++)
			folded += s->folds[f].last - s->folds[f].first + 1 -
				  s->folds[f].period - 1;
		shown += s->nframes - folded;
		if (s->end_reason && strstr(s->end_reason, "for the stacks of all threads is spent"))
			budget_cut++;
	}
	assert_true(total <= CR_MAX_DUMP_FRAMES);
	assert_true(shown <= CR_MAX_DUMP_ROWS);
	assert_true(budget_cut >= MD_THREADS - 7);
	/* The crashing thread (tid 0x12a) went first. */
	const struct cr_stack *s = &a->threads[42].stack;
	assert_int_equal(s->nframes, 300000);
	assert_int_equal(s->nfolds, 1);
	assert_non_null(strstr(s->end_reason, "the limit; see --max-frames"));
	cr_analysis_free(a);
	cr_dump_free(d);
	mds_free(&m);
	free(words);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_total_and_floor),
		cmocka_unit_test(test_budget_max_frames),
		cmocka_unit_test(test_budget_reason),
		cmocka_unit_test(test_cut_rows),
		cmocka_unit_test(test_loop_at_one_sp),
		cmocka_unit_test(test_inward),
		cmocka_unit_test(test_minidump_shared_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
