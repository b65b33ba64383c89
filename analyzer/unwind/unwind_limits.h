/*
 * unwind_limits.h - what bounds the stacks of one dump: the frame budgets
 * and the loop detector of libdwfl's unwinding path (unwind_limits.c).
 *
 * A hostile dump can make every thread's stack a million frames long (a
 * hundred threads whose stack pointers all point into one range of return
 * addresses, 2 KB once compressed), and every thread's frames are kept
 * until the reports are written, so three limits hold:
 *
 *   - frames per thread: --max-frames, default CR_DEFAULT_MAX_FRAMES;
 *   - frames unwound for the whole dump: CR_MAX_DUMP_FRAMES (a struct
 *     cr_frame is 72 bytes: 144 MB at most stored; about 1.5 s of work);
 *   - frames shown for the whole dump: CR_MAX_DUMP_ROWS, counting a fold
 *     of deep recursion as its cycle plus one (what the reports print: the
 *     JSON and HTML writers build their trees in memory; 100,000 distinct
 *     frames took 8 s and 533 MB for md+html+json, most of it libxml2's).
 *
 * The focus thread is unwound first; every thread keeps up to
 * CR_THREAD_FRAMES_FLOOR frames of each dump budget for itself, so the
 * first stacks never leave a later one without its top frames.  A
 * --max-frames above a dump budget raises that budget to it.  A stack cut
 * by a limit says which in its end reason.
 */
#ifndef CR_UNWIND_LIMITS_H
#define CR_UNWIND_LIMITS_H

#include "analysis.h"

#define CR_DEFAULT_MAX_FRAMES 1000000	/* frames per thread (--max-frames) */
#define CR_MAX_DUMP_FRAMES 2000000	/* frames stored, all threads */
#define CR_MAX_DUMP_ROWS 100000		/* frames shown, all threads */
#define CR_THREAD_FRAMES_FLOOR 128	/* of each budget, kept per thread */
#define CR_SAME_SP_FRAMES 16		/* frames at one sp before it is a loop */
#define CR_MAX_INWARD_SIGNALS 32	/* signal frames moving the sp inward */

/* One budget over the threads of a dump, spent one thread at a time. */
struct cr_budget {
	const char *what;	/* "frames", "frames shown" */
	size_t per_thread;	/* --max-frames or CR_DEFAULT_MAX_FRAMES */
	size_t total;		/* the dump's budget */
	size_t left;		/* still to spend */
	size_t floor;		/* kept for each thread not yet done */
	size_t threads_left;	/* threads not yet done */
};

/* TOTAL for NTHREADS threads, at most PER_THREAD (0: the default) each;
 * TOTAL is raised to a PER_THREAD given and to NTHREADS. */
void cr_budget_init(struct cr_budget *b, const char *what, size_t per_thread,
		    size_t total, size_t nthreads);
/* What the next thread may spend (at least 1). */
size_t cr_budget_allowance(const struct cr_budget *b);
/* The next thread spent N (at most its allowance). */
void cr_budget_spend(struct cr_budget *b, size_t n);
/* Why a stack stopped after N frames when its allowance was ALLOWANCE. */
char *cr_budget_reason(const struct cr_budget *b, size_t n, size_t allowance);

/*
 * Cut folded stack S so that the reports show at most MAX rows of it (a
 * fold counts its period plus one; frame 0 always stays); return the rows
 * kept, *CUT whether anything went.
 */
size_t cr_stack_cut_rows(struct cr_stack *s, size_t max, bool *cut);

/* The loop detector of libdwfl's path (see unwind_limits.c). */
struct cr_sp_track {
	bool known;		/* sp of the last frame is known */
	uint64_t sp;
	uint64_t run_pc[CR_SAME_SP_FRAMES];	/* frames at sp */
	unsigned nrun;
	unsigned inward;	/* activations that moved the stack inward */
};

enum cr_sp_verdict {
	CR_SP_OK,
	CR_SP_LAST,	/* keep this frame, but search no caller of it */
	CR_SP_DROP,	/* not a frame: end before it */
};

/* Frame N at PC with stack pointer SP (HAVE_SP false: not known);
 * ACTIVATION: libdwfl found it through a signal frame.  *WHY gets a
 * malloc'd reason when one is due. */
enum cr_sp_verdict cr_sp_check(struct cr_sp_track *t, const struct cr_dump *d,
			       size_t n, uint64_t pc, bool have_sp, uint64_t sp,
			       bool activation, char **why);

#endif
