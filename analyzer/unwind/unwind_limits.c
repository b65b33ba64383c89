/*
 * unwind_limits.c - the frame budgets of a dump and the loop detector of
 * libdwfl's unwinding path (see unwind_limits.h for the limits and why).
 */
#include <stdlib.h>

#include "passes.h"
#include "unwind_limits.h"

/* --- budgets ------------------------------------------------------------ */

void cr_budget_init(struct cr_budget *b, const char *what, size_t per_thread,
		    size_t total, size_t nthreads)
{
	b->what = what;
	b->per_thread = per_thread ? per_thread : CR_DEFAULT_MAX_FRAMES;
	b->total = per_thread > total ? per_thread : total;
	if (b->total < nthreads)
		b->total = nthreads;
	b->floor = nthreads ? b->total / nthreads : 1;
	if (b->floor > CR_THREAD_FRAMES_FLOOR)
		b->floor = CR_THREAD_FRAMES_FLOOR;
	b->left = b->total;
	b->threads_left = nthreads;
}

/* Invariant: left >= floor * threads_left, because every thread spends at
 * most its allowance, which leaves the floor of each thread after it. */
size_t cr_budget_allowance(const struct cr_budget *b)
{
	size_t reserve = b->threads_left ? b->floor * (b->threads_left - 1) : 0;
	size_t n = b->left > reserve ? b->left - reserve : 1;
	return n < b->per_thread ? n : b->per_thread;
}

void cr_budget_spend(struct cr_budget *b, size_t n)
{
	b->left = n < b->left ? b->left - n : 0;
	if (b->threads_left)
		b->threads_left--;
}

char *cr_budget_reason(const struct cr_budget *b, size_t n, size_t allowance)
{
	char nb[32], tb[32];
	if (allowance < b->per_thread)
		return cr_strdup_printf("stopped after %s frames: the budget of %s %s for the stacks of all threads is spent (see --max-frames)",
					cr_fmt_count(nb, n), cr_fmt_count(tb, b->total),
					b->what);
	return cr_strdup_printf("stopped after %s frames (the limit; see --max-frames)",
				cr_fmt_count(nb, n));
}

size_t cr_stack_cut_rows(struct cr_stack *s, size_t max, bool *cut)
{
	size_t rows = 0, i = 0, fi = 0;
	while (i < s->nframes) {
		while (fi < s->nfolds && s->folds[fi].first < i)
			fi++;	/* not sorted: cannot happen */
		if (fi < s->nfolds && s->folds[fi].first == i &&
		    s->folds[fi].last < s->nframes) {
			const struct cr_fold *f = &s->folds[fi];
			if (rows + f->period + 1 > max)
				break;
			rows += f->period + 1;
			i = f->last + 1;
			fi++;
			continue;
		}
		if (rows + 1 > max)
			break;
		rows++;
		i++;
	}
	*cut = i < s->nframes;
	if (!*cut)
		return rows;
	if (i == 0) {		/* a fold at frame 0 too long: frame 0 alone */
		i = rows = 1;
		fi = 0;
	}
	for (size_t k = fi; k < s->nfolds; k++)
		free(s->folds[k].cycle);
	s->nfolds = fi;
	s->nframes = i;
	struct cr_frame *nf = realloc(s->frames, i * sizeof(*nf));
	if (nf)
		s->frames = nf;
	return rows;
}

/* --- loops in libdwfl's path --------------------------------------------- */

/*
 * The plausibility of each caller libdwfl finds, by the rule walk.c
 * applies: stacks grow down, so a caller's stack pointer lies above its
 * callee's.  Two exceptions: the frame a signal interrupted (libdwfl marks
 * it an activation) may lie anywhere (a handler on sigaltstack; at most
 * CR_MAX_INWARD_SIGNALS times), and a caller may share its callee's stack
 * pointer (an aarch64 leaf function saves nothing on the stack).  So the
 * frames of a run at one stack pointer are remembered: a pc seen before in
 * the run is a loop (a frame record pointing to itself, a cycle of frames
 * through CFI that does not move the stack), and so is a run longer than
 * CR_SAME_SP_FRAMES.
 *
 * A frame below its callee ends the walk; it is kept when its pc lies in a
 * module (libdwfl's aarch64 frame-pointer fallback takes the pc of the
 * outermost frame from x30 and its sp from a null frame record at x29, so
 * _start would be lost), and dropped otherwise.
 */
enum cr_sp_verdict cr_sp_check(struct cr_sp_track *t, const struct cr_dump *d,
			       size_t n, uint64_t pc, bool have_sp, uint64_t sp,
			       bool activation, char **why)
{
	if (!have_sp) {
		t->known = false;
		return CR_SP_OK;
	}
	if (n > 0 && t->known && sp == t->sp) {
		for (unsigned k = 0; k < t->nrun; k++) {
			if (t->run_pc[k] != pc)
				continue;
			*why = cr_strdup_printf("a caller repeats an earlier frame (pc 0x%llx at the same stack pointer 0x%llx): an unwinding loop",
						(unsigned long long)pc,
						(unsigned long long)sp);
			return CR_SP_DROP;
		}
		if (t->nrun == CR_SAME_SP_FRAMES) {
			*why = cr_strdup_printf("more than %d frames at the same stack pointer 0x%llx: an unwinding loop",
						CR_SAME_SP_FRAMES, (unsigned long long)sp);
			return CR_SP_DROP;
		}
		t->run_pc[t->nrun++] = pc;
		return CR_SP_OK;
	}
	if (n > 0 && t->known && sp < t->sp && !activation) {
		bool keep = pc && cr_dump_module_at(d, pc - 1);
		/* A null frame pointer (fp + 16 as the sp) marks the end of
		 * the frame record chain, the ABI's outermost frame. */
		if (keep && sp < 0x1000)
			return CR_SP_LAST;
		*why = cr_strdup_printf(keep ? "the last frame's stack pointer 0x%llx lies below its callee's 0x%llx (stacks grow down): no caller is searched from there"
					: "a caller's stack pointer 0x%llx lies below its callee's 0x%llx (stacks grow down): not a caller",
					(unsigned long long)sp,
					(unsigned long long)t->sp);
		return keep ? CR_SP_LAST : CR_SP_DROP;
	}
	if (n > 0 && t->known && sp < t->sp &&
	    ++t->inward > CR_MAX_INWARD_SIGNALS) {
		*why = cr_strdup_printf("more than %d signal frames moved the stack inward: an unwinding loop",
					CR_MAX_INWARD_SIGNALS);
		return CR_SP_DROP;
	}
	t->known = true;
	t->sp = sp;
	t->run_pc[0] = pc;
	t->nrun = 1;
	return CR_SP_OK;
}
