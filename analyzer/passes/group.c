/*
 * group.c - the "group" pass: the focus thread (the one the report opens
 * with) and the threads grouped by stack (unwind/fold.c groups them).
 *
 * The focus is the thread a person would look at first:
 *   - the crashed thread, when a fault of that thread made the dump (as
 *     it is, with or without registers);
 *   - else (a dump taken on demand, or a signal sent from outside: see
 *     cr_taken_on_demand) the thread of the top finding of a later pass
 *     (a deadlock member, the owner at the head of a convoy, the spinner),
 *     else the thread that received the signal, else the most common
 *     blocking stack (the largest group of threads blocked on a lock, a
 *     condition, an event or I/O: what a hung process is doing), else the
 *     first thread;
 *   - never a thread without registers while one has them: a minidump
 *     written by the process itself records no context for the writing
 *     thread, and a stack-less focus tells nothing.
 * The groups are sorted by size with the focus thread's group first.
 */
#include <stdlib.h>

#include "passes.h"
#include "symtab.h"

/* Thread states that make a thread part of a hang: it waits for another
 * thread or for the outside world.  Sleeping threads and idle pool
 * workers are how healthy programs wait. */
static const bool blocking_kind[CR_STATE_KIND_COUNT] = {
	[CR_STATE_LOCK] = true,
	[CR_STATE_CONDVAR] = true,
	[CR_STATE_SEMAPHORE] = true,
	[CR_STATE_EVENT] = true,
	[CR_STATE_IO] = true,
	[CR_STATE_CHILD] = true,
};

/* Thread I's registers are in the dump (its stack could start): its own
 * or the event's context (cr_thread_regs). */
static bool has_registers(const struct cr_analysis *a, ssize_t i)
{
	const struct cr_dump *d = a->dump;
	uint64_t pc;
	return i >= 0 && (size_t)i < a->nthreads && a->threads[i].thread &&
	       cr_regs_get(cr_thread_regs(d, a->threads[i].thread),
			   cr_arch_pc_reg(d->process.arch), &pc);
}

static bool about_thread_with_registers(const struct cr_analysis *a,
					const struct cr_finding *f)
{
	return f->severity != CR_SEVERITY_INFO && has_registers(a, f->thread);
}

/* The focus when the crash or a finding names it; -1: decided by the
 * groups (most_blocked). */
static ssize_t focus_by_findings(const struct cr_analysis *a)
{
	if (!cr_taken_on_demand(a) && a->crash.thread >= 0)
		return a->crash.thread;	/* even without registers: damage */
	const struct cr_finding *f = cr_top_finding(a, about_thread_with_registers);
	if (f)
		return f->thread;
	if (has_registers(a, a->crash.thread))
		return a->crash.thread;
	return -1;
}

/* The first thread of the largest group of blocked threads with
 * registers (groups are sorted by size), else the first thread with
 * registers, else the event's thread or the first (a dump in which no
 * thread has registers: the problems say it is damaged). */
static ssize_t most_blocked(const struct cr_analysis *a, size_t *group)
{
	for (size_t g = 0; g < a->ngroups; g++) {
		size_t t = a->groups[g].members[0];
		enum cr_state_kind k = a->threads[t].st.kind;
		if ((unsigned)k < CR_STATE_KIND_COUNT && blocking_kind[k] &&
		    has_registers(a, (ssize_t)t)) {
			*group = g;
			return (ssize_t)t;
		}
	}
	for (size_t i = 0; i < a->nthreads; i++)
		if (has_registers(a, (ssize_t)i)) {
			*group = a->threads[i].group;
			return (ssize_t)i;
		}
	const struct cr_dump *d = a->dump;
	ssize_t t = a->crash.thread;
	for (size_t i = 0; t < 0 && d->event.tid >= 0 && i < a->nthreads; i++)
		if (d->threads[i].tid == d->event.tid)
			t = (ssize_t)i;
	if (t < 0 && a->nthreads)
		t = 0;
	if (t >= 0)
		*group = a->threads[t].group;
	return t;
}

/* Move group G to the front, the others keeping their order. */
static void group_first(struct cr_analysis *a, size_t g)
{
	struct cr_thread_group first = a->groups[g];
	for (size_t k = g; k > 0; k--)
		a->groups[k] = a->groups[k - 1];
	a->groups[0] = first;
	for (size_t k = 0; k <= g; k++)
		for (size_t m = 0; m < a->groups[k].nmembers; m++)
			a->threads[a->groups[k].members[m]].group = k;
}

CR_PASS_RUN(run_group)
{
	struct cr_analysis *a = ctx->analysis;
	/* Run again (a test planting findings between runs), it replaces its
	 * groups as the signature and summary passes replace theirs. */
	for (size_t g = 0; g < a->ngroups; g++)
		free(a->groups[g].members);
	free(a->groups);
	a->groups = NULL;
	a->ngroups = 0;
	/* cr_group_threads puts the focus thread's group first. */
	a->focus_thread = focus_by_findings(a);
	struct cr_error *err = cr_group_threads(a);
	if (err || a->focus_thread >= 0)
		return err;
	size_t g = 0;
	a->focus_thread = most_blocked(a, &g);
	if (a->focus_thread >= 0 && g < a->ngroups)
		group_first(a, g);
	return NULL;
}
