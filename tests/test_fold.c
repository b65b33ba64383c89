/*
 * test_fold.c - recursion folding and thread grouping (analyzer/fold.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

static const char F_MAIN[] = "main", F_A[] = "list_repr", F_B[] = "PyObject_Repr",
	F_CRASH[] = "crash", F_START[] = "_start";

/* A stack: crash, then N repetitions of (B, A) with distinct pcs, main, _start. */
static void make_recursive(struct cr_stack *s, size_t reps)
{
	s->nframes = 3 + 2 * reps;
	s->frames = calloc(s->nframes, sizeof(*s->frames));
	size_t o = 0;
	s->frames[o++] = (struct cr_frame){ .pc = 0x1000, .function = F_CRASH };
	for (size_t r = 0; r < reps; r++) {
		s->frames[o++] = (struct cr_frame){ .pc = 0x2010, .function = F_B };
		s->frames[o++] = (struct cr_frame){ .pc = 0x3020, .function = F_A };
	}
	s->frames[o++] = (struct cr_frame){ .pc = 0x4000, .function = F_MAIN };
	s->frames[o++] = (struct cr_frame){ .pc = 0x5000, .function = F_START };
}

static void test_deep_recursion_folds_once(void **state)
{
	struct cr_stack s = { 0 };
	make_recursive(&s, 58223);
	assert_null(cr_fold_stack(&s));
	assert_int_equal(s.nfolds, 1);
	assert_int_equal(s.folds[0].first, 1);
	assert_int_equal(s.folds[0].last, 2 * 58223);
	assert_int_equal(s.folds[0].period, 2);
	assert_int_equal(s.folds[0].repeats, 58223);
	assert_string_equal(s.folds[0].cycle, "list_repr -> PyObject_Repr");
	cr_stack_free(&s);
}

static void test_short_recursion_is_not_folded(void **state)
{
	struct cr_stack s = { 0 };
	make_recursive(&s, 3);	/* 6 frames of recursion: worth showing */
	assert_null(cr_fold_stack(&s));
	assert_int_equal(s.nfolds, 0);
	cr_stack_free(&s);
}

static void test_same_function_different_callsite_not_folded(void **state)
{
	/* One function calling itself from different places is not a cycle
	 * of identical frames unless the return addresses repeat. */
	struct cr_stack s = { .nframes = 40 };
	s.frames = calloc(40, sizeof(*s.frames));
	for (size_t i = 0; i < 40; i++)
		s.frames[i] = (struct cr_frame){ .pc = 0x1000 + i, .function = F_A };
	assert_null(cr_fold_stack(&s));
	assert_int_equal(s.nfolds, 0);
	cr_stack_free(&s);
}

/*
 * The folds of the brute-force scan fold.c once ran (every period 1..32
 * compared over the whole run, the first that covers the most kept), as
 * (first, last, period) triples into OUT; returns how many.
 */
static size_t reference_folds(const struct cr_stack *s, size_t (*out)[3], size_t max)
{
	size_t n = s->nframes, k = 0;
	for (size_t i = 0; i < n;) {
		size_t best_p = 0, best_cov = 0;
		for (size_t p = 1; p <= 32 && i + 2 * p <= n; p++) {
			size_t l = 0;
			while (i + p + l < n && s->frames[i + l].pc == s->frames[i + p + l].pc &&
			       s->frames[i + l].function == s->frames[i + p + l].function)
				l++;
			if ((p + l) / p >= 3 && p + l > best_cov) {
				best_p = p;
				best_cov = p + l;
			}
		}
		if (!best_p || best_cov < 12) {
			i++;
			continue;
		}
		assert_true(k < max);
		out[k][0] = i;
		out[k][1] = i + best_cov - 1;
		out[k][2] = best_p;
		k++;
		i += best_cov;
	}
	return k;
}

/* Random stacks made of runs of random cycles (periods 1 to 40, among
 * them multiples of each other, and runs that almost repeat) over a small
 * alphabet: the scan that skips the periods unable to cover more folds
 * exactly as the brute-force one does. */
static void test_folds_as_brute_force(void **state)
{
	static const char *const names[] = { F_MAIN, F_A, F_B, F_CRASH };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t checked = 0, folds = 0;
	for (int t = 0; t < 1000; t++) {
		struct cr_stack s = { 0 };
		size_t cap = 4000;
		s.frames = calloc(cap, sizeof(*s.frames));
		assert_non_null(s.frames);
		while (s.nframes < cap - 200) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			size_t period = 1 + (seed >> 33) % 40;
			size_t reps = 1 + (seed >> 45) % 30;
			unsigned alpha = 1 + (unsigned)((seed >> 55) % 6);
			struct cr_frame cyc[40];
			for (size_t j = 0; j < period; j++) {
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				cyc[j] = (struct cr_frame){ .pc = 0x1000 + (seed >> 40) % alpha,
							    .function = names[(seed >> 50) % 4] };
			}
			for (size_t r = 0; r < reps && s.nframes + period < cap; r++)
				for (size_t j = 0; j < period; j++)
					s.frames[s.nframes++] = cyc[j];
			/* now and then, a frame that breaks the cycle */
			if ((seed >> 20) % 3 == 0)
				s.frames[s.nframes++] = (struct cr_frame){ .pc = 0x9000 + (seed >> 24) % 5,
									   .function = F_START };
		}
		size_t want[4000][3];
		size_t nwant = reference_folds(&s, want, 4000);
		assert_null(cr_fold_stack(&s));
		assert_int_equal(s.nfolds, nwant);
		for (size_t f = 0; f < nwant; f++) {
			assert_int_equal(s.folds[f].first, want[f][0]);
			assert_int_equal(s.folds[f].last, want[f][1]);
			assert_int_equal(s.folds[f].period, want[f][2]);
		}
		checked += s.nframes;
		folds += nwant;
		cr_stack_free(&s);
	}
	print_message("1000 random stacks, %zu frames, %zu folds: as the brute-force scan\n",
		      checked, folds);
}

static void test_groups_identical_stacks(void **state)
{
	struct cr_thread th[5] = { 0 };
	struct cr_analysis a = { 0 };
	struct cr_thread_analysis ta[5] = { 0 };
	a.threads = ta;
	a.nthreads = 5;
	a.focus_thread = 3;
	for (size_t i = 0; i < 5; i++) {
		th[i].tid = 100 + (int64_t)i;
		ta[i].thread = &th[i];
		/* threads 0, 1, 2, 4 wait in the same place; 3 crashed */
		make_recursive(&ta[i].stack, i == 3 ? 1 : 2);
	}
	assert_null(cr_group_threads(&a));
	assert_int_equal(a.ngroups, 2);
	/* the focus thread's group comes first, even though it is smaller */
	assert_int_equal(a.groups[0].nmembers, 1);
	assert_int_equal(a.groups[0].members[0], 3);
	assert_int_equal(a.groups[1].nmembers, 4);
	assert_int_equal(a.groups[1].members[3], 4);
	assert_int_equal(ta[4].group, 1);
	for (size_t i = 0; i < 5; i++)
		cr_stack_free(&ta[i].stack);
	for (size_t g = 0; g < a.ngroups; g++)
		free(a.groups[g].members);
	free(a.groups);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_recursion_folds_once),
		cmocka_unit_test(test_short_recursion_is_not_folded),
		cmocka_unit_test(test_same_function_different_callsite_not_folded),
		cmocka_unit_test(test_folds_as_brute_force),
		cmocka_unit_test(test_groups_identical_stacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
