/*
 * passes.h - the diagnosis passes and the services they share.
 *
 * The pipeline (analyze.c) first reconstructs and symbolizes every thread's
 * stack, then runs the passes of the registry (registry.c) in its order,
 * each through its context (pass.h):
 *
 *   crash      a->crash (signal/exception, class, address, sender, abort
 *              message, crashing thread) and the crash finding
 *   state      a->threads[i].st: kind, system call and arguments, wait
 *              object (state.c; its words in state_text.c)
 *   group      a->groups, a->focus_thread
 *   signature  a->crash.signature, the grouping key
 *   summary    a->summary, from the top findings
 *
 * A pass never parses container bytes (that is formats/) and never prints
 * (that is reports/).
 */
#ifndef CR_PASSES_H
#define CR_PASSES_H

#include <stdarg.h>

#include "analysis.h"
#include "pass.h"

struct cr_error *pass_state(struct cr_analysis *a);

/* The words a state's sentence starts with: its activity or its kind's
 * own words ("waiting on a lock"); a category to count threads by
 * (state_text.c). */
const char *cr_thread_state_phrase(const struct cr_thread_state *s);
/* A futex operation as strace names it ("FUTEX_WAIT_PRIVATE"). */
void cr_futex_op_text(uint64_t op, char *buf, size_t len);

/* A fault this far below a thread's stack counts as running off its end:
 * a frame's locals can skip the guard page by this much (crash.c,
 * exploitability.c). */
#define CR_STACK_GUARD_REACH 0x10000u

/* Record an analysis-level problem (printf-style) of warning severity
 * from the analyzer; never fails (past the limit it is counted). */
void cr_analysis_problem(struct cr_analysis *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with severity, source, origin and place (diag.h):
 * &(struct cr_diag_at){ CR_SEVERITY_ERROR, CR_SOURCE_WALKER, "unwind" }. */
void cr_analysis_problem_at(struct cr_analysis *a,
			    const struct cr_diag_at *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with a va_list.  Memory running out while it is recorded is
 * counted once, in the problem's own severity (diag.c). */
void cr_analysis_vproblem_at(struct cr_analysis *a,
			     const struct cr_diag_at *at, const char *fmt,
			     va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Memory ran out and LOST (static) is missing; allocates nothing. */
void cr_analysis_oom(struct cr_analysis *a, enum cr_diag_source source,
		     const char *origin, const char *lost);

/*
 * The crash kinds (crash.c), for tests and docs: kind I's stable id
 * ("null-pointer-dereference", also the JSON crash.class) and the finding
 * the crash pass adds for it (*FINDING = CR_FINDING_COUNT: none, a dump
 * taken on demand).  False past the last kind.
 */
bool cr_crash_kind(size_t i, const char **id, enum cr_finding_id *finding);

/*
 * The crash as a finding (crash_finding.c): the title says what happened
 * in words ("Crashed with SIGSEGV (segmentation fault): a null-pointer
 * dereference at address 0x0 (null pointer)"), the evidence says where
 * (the labels below).  Called by the crash pass once a->crash is filled.
 */
struct cr_error *cr_crash_finding(struct cr_pass_ctx *ctx,
				  enum cr_finding_id id);

/*
 * Evidence labels the summary reads to place a finding: the thread it is
 * about, the frame to blame, where that frame's thread actually stopped
 * (when the blame went to a caller) and the callers named after it.  A
 * pass that adds these to its finding gets "in thread 12 (main) at f
 * (f.c:3), called from g" in the summary when its finding leads.
 */
#define CR_LABEL_THREAD "crashing thread"
#define CR_LABEL_RECEIVER "thread that received it"	/* "thread 12 was at" */
#define CR_LABEL_WHERE "top meaningful frame"
#define CR_LABEL_STOPPED "stopped in"
#define CR_LABEL_CALLER "called from"

/*
 * The dump has no crash of its own (lead.c): taken on demand (no crash),
 * or written for a signal sent from outside (crash.sent: SIGQUIT, kill).
 * Then the top finding of a later pass leads the focus thread, the
 * signature and the summary.
 */
bool cr_taken_on_demand(const struct cr_analysis *a);
/*
 * The first finding in report order (cr_findings_order) that is not the
 * crash pass's own and that ACCEPT takes; NULL none (lead.c).
 */
const struct cr_finding *cr_top_finding(
	const struct cr_analysis *a,
	bool (*accept)(const struct cr_analysis *a, const struct cr_finding *f));

/*
 * The frame to blame on stack S (culprit.c): the first that is neither
 * machinery (abort, raise, signal trampolines, exception throwers, thread
 * start-up) nor inside the C/C++ runtime and system libraries, else the
 * first that is not machinery, else frame 0; -1 without frames.
 */
ssize_t cr_culprit_frame(const struct cr_stack *s);
/* The first frame from FROM on that is neither machinery nor library
 * code, -1 none (the callers named after the culprit). */
ssize_t cr_next_meaningful_frame(const struct cr_stack *s, size_t from);

/* Tables (signals.c). */
const char *cr_signal_name(int signo);		/* "SIGSEGV", NULL unknown */
const char *cr_signal_text(int signo);		/* "segmentation fault" */
/* si_code name and meaning for SIGNO ("SEGV_MAPERR", "address not mapped
 * to object"); both NULL when unknown. */
void cr_si_code_describe(int signo, int code, const char **name,
			 const char **text);
/* Linux system call name by number for ARCH, NULL unknown. */
const char *cr_syscall_name(enum cr_arch arch, int64_t nr);

/*
 * Whether frame function FUNCTION is NAME, ignoring what compilers and
 * glibc add around a name: a "__GI_" or "__libc_" alias prefix, a
 * ".constprop.0" / ".isra.0" / ".part.0" / ".cold" clone suffix, a
 * demangled parameter list "(...)".
 * NULL FUNCTION never matches.  (crash.c; used by the passes' tables.)
 */
bool cr_function_is(const char *function, const char *name);

/*
 * FUNCTION prepared for cr_function_is() tests against every name of a
 * table (state.c tests each top frame against 170 names): its forms
 * without and with the alias prefix, and the length of each up to a clone
 * suffix or parameter list.  cr_function_key_is(K, NAME) ==
 * cr_function_is(FUNCTION, NAME), most names rejected on their first
 * character.  K borrows FUNCTION.
 */
struct cr_function_key {
	const char *form[2];
	size_t len[2];
	unsigned n;		/* forms; 0 for a NULL FUNCTION */
};
void cr_function_key(struct cr_function_key *k, const char *function);
bool cr_function_key_is(const struct cr_function_key *k, const char *name);

/* Windows exception codes (ntstatus.c). */
/* Name and meaning of an exception code / NTSTATUS ("EXCEPTION_STACK_OVERFLOW",
 * "stack overflow"); both NULL when unknown. */
void cr_ntstatus_describe(uint32_t code, const char **name, const char **text);
/* Name and meaning of a __fastfail code (params[0] of
 * STATUS_STACK_BUFFER_OVERRUN); both NULL when unknown. */
void cr_fast_fail_describe(uint64_t code, const char **name,
			   const char **text);
/* Access violation / in-page error with params[0] == ACCESS (0 read,
 * 1 write, 8 execute): "EXCEPTION_ACCESS_VIOLATION_WRITE" and "write".
 * False (both NULL) for other codes or access values. */
bool cr_exception_access(uint32_t code, uint64_t access, const char **name,
			 const char **verb);

#endif
