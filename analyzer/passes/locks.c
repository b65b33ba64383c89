/*
 * locks.c - the "locks" pass: the wait-for graph (locks.h) and what it
 * shows.
 *
 * Discovery is per operating system (locks_linux.c, locks_windows.c); the
 * graph is kept as "locks" for the passes after this one.
 */
#include <stdlib.h>

#include "error.h"
#include "locks.h"
#include "passes.h"

CR_PASS_RUN(run_locks)
{
	struct cr_analysis *a = ctx->analysis;
	struct cr_lock_graph *g = calloc(1, sizeof(*g));
	if (!g || !cr_lock_graph_init(g, a)) {
		free(g);
		return &cr_enomem;
	}
	struct cr_error *err = NULL;
	switch (ctx->dump->process.os) {
	case CR_OS_LINUX:
	case CR_OS_ANDROID:
		err = cr_locks_linux(ctx, g);
		break;
	case CR_OS_WINDOWS:
		err = cr_locks_windows(ctx, g);
		break;
	default:
		break;
	}
	if (err) {
		cr_lock_graph_destroy(g);
		return err;
	}
	return cr_pass_keep(ctx, g, cr_lock_graph_destroy) ? NULL : &cr_enomem;
}
