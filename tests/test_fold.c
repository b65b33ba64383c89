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
		cmocka_unit_test(test_groups_identical_stacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
