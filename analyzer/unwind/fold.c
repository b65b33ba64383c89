/*
 * fold.c - deep recursion folded into one line, identical stacks grouped.
 *
 * Folding: a run of frames that repeats a cycle of 1..CR_FOLD_MAX_PERIOD
 * frames at least CR_FOLD_MIN_REPEATS times is described by one struct
 * cr_fold instead of being printed frame by frame.  Frames are compared by
 * pc and function (interned pointers), so the scan is a few word compares
 * per frame and a 116,000-frame overflow folds in well under a millisecond
 * (the periods that could not cover more than the best one are turned away
 * by one compare: else every multiple of the period rescans the run).
 *
 * Grouping: threads whose stacks are the same sequence of functions (pc
 * when no function is known) form one group; a report prints each group
 * once with its thread ids.
 */
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "symtab.h"
#include "util.h"
#include "strbuf.h"

#define CR_FOLD_MAX_PERIOD 32
#define CR_FOLD_MIN_REPEATS 3
#define CR_FOLD_MIN_FRAMES 12	/* fold only what is worth a line */
#define CR_FOLD_CYCLE_NAMES 8	/* names shown in the cycle text */

static bool same_frame(const struct cr_frame *a, const struct cr_frame *b)
{
	return a->pc == b->pc && a->function == b->function;
}

static char *cycle_text(const struct cr_frame *f, size_t period)
{
	struct cr_buf s = { 0 };
	/* Callers first: "a -> b" reads as a calls b. */
	for (size_t k = 0; k < period; k++) {
		const struct cr_frame *x = &f[period - 1 - k];
		char buf[64];
		const char *name = x->function;
		if (!name) {
			if (x->module)
				snprintf(buf, sizeof(buf), "%.40s+0x%llx", x->module,
					 (unsigned long long)x->module_offset);
			else
				snprintf(buf, sizeof(buf), "0x%llx",
					 (unsigned long long)x->pc);
			name = buf;
		}
		if (k == CR_FOLD_CYCLE_NAMES) {
			name = "...";
			k = period;	/* last one */
		}
		cr_buf_printf(&s, "%s%s", s.len ? " -> " : "", name);
	}
	return cr_buf_steal(&s);
}

struct cr_error *cr_fold_stack(struct cr_stack *s)
{
	size_t n = s->nframes, cap = 0;
	for (size_t i = 0; i < n;) {
		size_t best_p = 0, best_cov = 0;
		for (size_t p = 1; p <= CR_FOLD_MAX_PERIOD && i + 2 * p <= n; p++) {
			/* P replaces the best only by covering more: p + l >
			 * best_cov, so (when best_cov >= p) frame i + best_cov
			 * - p must match the one P later.  In a run of period
			 * q, every multiple of q would match for the whole run
			 * again: this one compare at the run's end turns them
			 * away. */
			if (best_p && best_cov >= p &&
			    (i + best_cov >= n ||
			     !same_frame(&s->frames[i + best_cov - p],
					 &s->frames[i + best_cov])))
				continue;
			size_t l = 0;
			while (i + p + l < n &&
			       same_frame(&s->frames[i + l], &s->frames[i + p + l]))
				l++;
			size_t cov = p + l;
			if (cov / p >= CR_FOLD_MIN_REPEATS && cov > best_cov) {
				best_p = p;
				best_cov = cov;
			}
		}
		if (!best_p || best_cov < CR_FOLD_MIN_FRAMES) {
			i++;
			continue;
		}
		if (!CR_GROW(s->folds, cap, s->nfolds + 1))
			return &cr_enomem;
		struct cr_fold *f = &s->folds[s->nfolds++];
		f->first = i;
		f->last = i + best_cov - 1;
		f->period = best_p;
		f->repeats = best_cov / best_p;
		f->cycle = cycle_text(&s->frames[i], best_p);
		if (!f->cycle)
			return &cr_enomem;
		i += best_cov;
	}
	return NULL;
}

/* --- grouping ----------------------------------------------------------- */

static const void *frame_key(const struct cr_frame *f)
{
	return f->function ? (const void *)f->function : (const void *)(uintptr_t)f->pc;
}

static uint64_t stack_hash(const struct cr_stack *s)
{
	uint64_t h = 1469598103934665603ull ^ s->nframes;
	for (size_t i = 0; i < s->nframes; i++)
		h = (h ^ (uint64_t)(uintptr_t)frame_key(&s->frames[i])) * 1099511628211ull;
	return h;
}

static bool same_stack(const struct cr_stack *a, const struct cr_stack *b)
{
	if (a->nframes != b->nframes)
		return false;
	for (size_t i = 0; i < a->nframes; i++)
		if (frame_key(&a->frames[i]) != frame_key(&b->frames[i]))
			return false;
	return true;
}

/* What group_order() compares by besides the groups: passed to qsort_r,
 * never kept in a global, so analyses on several threads do not mix. */
struct group_sort {
	const struct cr_analysis *a;
	size_t focus_group;	/* the focus thread's group before sorting;
				   SIZE_MAX: none */
};

static int group_order(const void *pa, const void *pb, void *ctx)
{
	const struct group_sort *gs = ctx;
	const struct cr_thread_group *a = pa, *b = pb;
	bool fa = gs->a->threads[a->members[0]].group == gs->focus_group;
	bool fb = gs->a->threads[b->members[0]].group == gs->focus_group;
	if (fa != fb)
		return fa ? -1 : 1;
	if (a->nmembers != b->nmembers)
		return a->nmembers > b->nmembers ? -1 : 1;
	return a->members[0] < b->members[0] ? -1 : a->members[0] > b->members[0];
}

struct cr_error *cr_group_threads(struct cr_analysis *a)
{
	size_t n = a->nthreads;
	if (!n)
		return NULL;
	uint64_t *h = malloc(n * sizeof(*h));
	size_t *rep = malloc(n * sizeof(*rep));	/* group -> first thread */
	a->groups = calloc(n, sizeof(*a->groups));
	if (!h || !rep || !a->groups) {
		free(h);
		free(rep);
		return &cr_enomem;
	}
	/* An open-addressing table from stack hash to group; frames are
	 * compared only when the hashes are equal. */
	size_t *gid_of_hash_slot = NULL;
	size_t cap = 1;
	while (cap < 2 * n)
		cap <<= 1;
	gid_of_hash_slot = malloc(cap * sizeof(size_t));
	if (!gid_of_hash_slot) {
		free(h);
		free(rep);
		return &cr_enomem;
	}
	for (size_t i = 0; i < cap; i++)
		gid_of_hash_slot[i] = SIZE_MAX;
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		h[i] = stack_hash(&a->threads[i].stack);
		size_t j = h[i] & (cap - 1), g = SIZE_MAX;
		while (gid_of_hash_slot[j] != SIZE_MAX) {
			size_t cand = gid_of_hash_slot[j];
			if (h[rep[cand]] == h[i] &&
			    same_stack(&a->threads[rep[cand]].stack, &a->threads[i].stack)) {
				g = cand;
				break;
			}
			j = (j + 1) & (cap - 1);
		}
		if (g == SIZE_MAX) {
			g = ng++;
			rep[g] = i;
			gid_of_hash_slot[j] = g;
		}
		a->threads[i].group = g;
		a->groups[g].nmembers++;
	}
	for (size_t g = 0; g < ng; g++) {
		a->groups[g].members = malloc(a->groups[g].nmembers * sizeof(size_t));
		if (!a->groups[g].members) {
			free(h);
			free(rep);
			free(gid_of_hash_slot);
			return &cr_enomem;
		}
		a->groups[g].nmembers = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct cr_thread_group *grp = &a->groups[a->threads[i].group];
		grp->members[grp->nmembers++] = i;
	}
	a->ngroups = ng;
	struct group_sort gs = {
		.a = a,
		.focus_group = a->focus_thread >= 0 && (size_t)a->focus_thread < n ?
			a->threads[a->focus_thread].group : SIZE_MAX,
	};
	qsort_r(a->groups, ng, sizeof(*a->groups), group_order, &gs);
	for (size_t g = 0; g < ng; g++)
		for (size_t k = 0; k < a->groups[g].nmembers; k++)
			a->threads[a->groups[g].members[k]].group = g;
	free(h);
	free(rep);
	free(gid_of_hash_slot);
	return NULL;
}
