/*
 * group.c - the "group" pass: the focus thread (the one the report opens
 * with) and the threads grouped by stack (unwind/fold.c groups them).
 */
#include "passes.h"
#include "symtab.h"

/* The crashed thread, else the one the event names, else the first. */
static ssize_t choose_focus(const struct cr_analysis *a)
{
	if (a->crash.thread >= 0)
		return a->crash.thread;
	const struct cr_dump *d = a->dump;
	for (size_t i = 0; d->event.tid >= 0 && i < d->nthreads; i++)
		if (d->threads[i].tid == d->event.tid)
			return (ssize_t)i;
	return d->nthreads ? 0 : -1;
}

CR_PASS_RUN(run_group)
{
	struct cr_analysis *a = ctx->analysis;
	a->focus_thread = choose_focus(a);
	return cr_group_threads(a);
}
