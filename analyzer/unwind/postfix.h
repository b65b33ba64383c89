/*
 * postfix.h - the evaluator of Breakpad's postfix expressions (STACK CFI
 * rules and STACK WIN program strings).
 *
 * An expression is a whitespace-separated token list in reverse Polish
 * notation ("$T0 $ebp = $eip $T0 4 + ^ =", ".cfa -8 + ^").  Tokens:
 *   + - * / %   binary arithmetic, wrapping at the word width
 *   @           align: lhs rounded down to a multiple of rhs (a power of 2)
 *   ^           dereference: the word at the address on top of the stack
 *   =           assignment (program strings): the variable below the value
 *   NUMBER      decimal, optionally negative ("-8"); "0x" hex accepted too
 *   NAME        a variable or register ("$ebp", ".cbSavedRegs", "x29")
 * as Breakpad's PostfixEvaluator (src/processor/postfix_evaluator-inl.h)
 * and rust-minidump's breakpad-symbols walker define them.  MSVC sometimes
 * glues "=" to the next token ("=$ebp"); that is split as Breakpad does.
 *
 * Everything is bounded: PF_MAX_STACK values on the stack, PF_MAX_VARS
 * variables of at most PF_MAX_NAME bytes each.  Text comes from a symbol
 * file (untrusted) and is never written to.
 */
#ifndef CR_POSTFIX_H
#define CR_POSTFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_MAX_STACK 32
#define PF_MAX_VARS 32
#define PF_MAX_NAME 31

/* What the evaluator cannot know by itself. */
struct pf_env {
	unsigned width;	/* word size in bytes: 4 (x86, arm) or 8 */
	/* A name not among the variables (a callee register in CFI rules);
	 * false: unknown, which fails the evaluation.  May be NULL. */
	bool (*lookup)(void *ctx, const char *name, uint64_t *out);
	/* Read a word of WIDTH bytes at ADDR; false when not in the dump. */
	bool (*deref)(void *ctx, uint64_t addr, uint64_t *out);
	void *ctx;
};

struct pf_var {
	char name[PF_MAX_NAME + 1];
	uint64_t value;
	bool assigned;	/* set by an "=" of the program (not preset) */
};

/* The variables of one evaluation (preset constants and registers). */
struct pf_vars {
	struct pf_var v[PF_MAX_VARS];
	unsigned n;
};

/* Set (or add) NAME; false when the table is full or NAME too long. */
bool pf_vars_set(struct pf_vars *vars, const char *name, uint64_t value);
/* The variable NAME, NULL when absent. */
const struct pf_var *pf_vars_get(const struct pf_vars *vars, const char *name);

/*
 * Evaluate EXPR[0..LEN).  With RESULT non-NULL the expression must leave
 * exactly one value, stored in *RESULT (a CFI rule); with RESULT NULL it
 * must leave nothing (a program string whose effects are its assignments).
 * VARS may be NULL when no assignment or variable is expected.  Returns
 * false on any malformed, undefined or unreadable step; VARS may then hold
 * partial assignments.
 */
bool pf_eval(const char *expr, size_t len, struct pf_vars *vars,
	     const struct pf_env *env, uint64_t *result);

#endif
