/*
 * passes.h - the diagnosis passes and the services they may use.
 *
 * The pipeline (analyze.c) first reconstructs and symbolizes every thread's
 * stack, then runs the passes in this order, each reading the dump and the
 * analysis built so far and adding its findings:
 *
 *   pass_crash    a->crash (signal/exception, class, address, sender,
 *                 abort message, crashing thread)
 *   pass_state    a->threads[i].state (plain words: "in system call read")
 *   pass_group    a->groups, a->focus_thread (in analyze.c)
 *   pass_summary  a->summary and a->crash.signature
 *
 * A pass never parses container bytes (that is formats/) and never prints
 * (that is reports/).
 */
#ifndef CR_PASSES_H
#define CR_PASSES_H

#include "analysis.h"
#include "pass.h"

/* The registered passes' run functions (registry.c). */
struct cr_error *run_crash(struct cr_pass_ctx *ctx);
struct cr_error *run_state(struct cr_pass_ctx *ctx);
struct cr_error *run_group(struct cr_pass_ctx *ctx);
struct cr_error *run_summary(struct cr_pass_ctx *ctx);

struct cr_error *pass_crash(struct cr_analysis *a);
struct cr_error *pass_state(struct cr_analysis *a);
struct cr_error *pass_summary(struct cr_analysis *a);

/* Record an analysis-level problem (printf-style) of warning severity
 * from the analyzer; never fails (past the limit it is counted). */
void cr_analysis_problem(struct cr_analysis *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with severity, source, origin and place (diag.h):
 * &(struct cr_diag_at){ CR_SEVERITY_ERROR, CR_SOURCE_WALKER, "unwind" }. */
void cr_analysis_problem_at(struct cr_analysis *a,
			    const struct cr_diag_at *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Memory ran out and LOST (static) is missing; allocates nothing. */
void cr_analysis_oom(struct cr_analysis *a, enum cr_diag_source source,
		     const char *origin, const char *lost);

/*
 * Look a data or function symbol up by NAME in the dump's modules (ELF
 * symbol tables of the files found for them).  MODULE, when not NULL,
 * restricts the search to modules whose file name starts with it ("libc.so").
 * Returns true and the runtime address in *ADDR when found.
 */
bool cr_analysis_symbol(const struct cr_analysis *a, const char *module,
			const char *name, uint64_t *addr);

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
