/*
 * pass.h - the pass registry and the context a pass runs in.
 *
 * A diagnosis is a pass: one file under analyzer/passes/ with one entry in
 * the registry table (analyzer/registry.c) and the recommendation texts of
 * the findings it adds (analyzer/recommendations/ID.md).  The pipeline runs
 * the passes in table order after the stacks are unwound and symbolized;
 * each reads the dump and the analysis so far through its context and adds
 * findings (and, for the built-in passes, the fields they own).
 *
 * A pass never parses container bytes (that is formats/) and never prints
 * (that is reports/).  Everything it needs is in the context, so a test
 * drives a pass by building a context around a synthetic dump.
 */
#ifndef CR_PASS_H
#define CR_PASS_H

#include "analysis.h"
#include "target.h"

/* What a pass needs before it runs and what it adds (bit sets). */
enum cr_pass_fact {
	CR_FACT_STACKS = 1u << 0,	/* every thread unwound and symbolized
					 * (before any pass) */
	CR_FACT_CRASH = 1u << 1,	/* a->crash, the crash findings */
	CR_FACT_STATES = 1u << 2,	/* a->threads[].st */
	CR_FACT_GROUPS = 1u << 3,	/* a->groups, a->focus_thread */
	CR_FACT_INSTRUCTION = 1u << 4,	/* the faulting-instruction facts */
	CR_FACT_SUMMARY = 1u << 5,	/* a->summary */
	CR_FACT_SIGNATURE = 1u << 6,	/* a->crash.signature */
	CR_FACT_RATING = 1u << 7,	/* the security rating finding */
	CR_FACT_LOCKS = 1u << 8,	/* the wait-for graph (passes/locks.h),
					 * kept as "locks", and its findings */
	CR_FACT_CPU = 1u << 9,		/* the CPU facts (passes/cpu.h), kept
					 * as "cpu", and their findings */
	CR_FACT_HANG = 1u << 10,	/* the ownerless waits and the
					 * probable hang (passes/hang.c) */
	CR_FACT_ADDRESS_SPACE = 1u << 11, /* the address-space summary,
					 * kept as "address-space" */
	CR_FACT_HEAP = 1u << 12,	/* the heap walk (passes/heap.h), kept
					 * as "heap", and its findings */
	CR_FACT_LEAKS = 1u << 13,	/* the unreachable chunks, kept as
					 * "leaks" (passes/heap.h) */
	CR_FACT_HEAP_STATS = 1u << 14,	/* size classes and what they hold,
					 * kept as "heapstats"; high-memory
					 * and probable-leak findings */
};

struct cr_pass_ctx;

struct cr_pass {
	const char *name;	/* "instruction": in problems and findings */
	const char *what;	/* one line for docs and --list-passes */
	unsigned needs;		/* enum cr_pass_fact bits */
	unsigned adds;
	/* Run the pass.  Returns an error only when the pipeline must stop
	 * (out of memory); what the pass could not do is a problem. */
	struct cr_error *(*run)(struct cr_pass_ctx *ctx);
};

/*
 * A pass's run function, declared where it is defined (its registry line
 * in registry.c declares it too):
 *   CR_PASS_RUN(run_instruction)
 *   {
 *           ... ctx ...
 *   }
 */
#define CR_PASS_RUN(fn)						\
	struct cr_error *fn(struct cr_pass_ctx *ctx);		\
	struct cr_error *fn(struct cr_pass_ctx *ctx)

/* The registry, in run order (registry.c). */
extern const struct cr_pass cr_passes[];
extern const size_t cr_npasses;

/*
 * A pass that will need something slow to get and independent of the
 * analysis (a library loaded with dlopen(): formats/dynlib.h) can start
 * getting it in the background as soon as the dump is read, before the
 * stacks are unwound: its warm function looks at the dump alone, must be
 * cheap, and must not touch the analysis.  Listed in registry.c beside
 * the registry.  D is NULL before any dump is read (`coroner analyze`
 * calls it right after its command line): a warm function then starts
 * what most dumps need (Zydis: most dumps are x86_64 crashes), since the
 * reading of the dump is time the load can overlap too.
 */
struct cr_pass_warmer {
	const char *pass;	/* the pass it prepares */
	void (*warm)(const struct cr_dump *d);
	/* The same, for any dump, now: for a process about to fork the
	 * workers that will analyze (`coroner batch`), so that each inherits
	 * it instead of loading it again. */
	void (*load)(void);
};
extern const struct cr_pass_warmer cr_pass_warmers[];
extern const size_t cr_npass_warmers;
/* Call the warm function of every pass that will run (not skipped). */
void cr_warm_passes(const struct cr_dump *d, const struct cr_options *opts);
/* Call the load function of every pass that will run (not skipped). */
void cr_load_passes(const struct cr_options *opts);
/* The registered pass named NAME, NULL none. */
const struct cr_pass *cr_pass_named(const char *name);

struct cr_symtab;

/*
 * A symbol the context knows without a symbol session: tests plant glibc's
 * `__abort_msg` at an address of their synthetic dump this way.  MODULE is
 * matched like cr_pass_symbol's (a file-name prefix; NULL here: any).
 */
struct cr_symbol_override {
	const char *module;
	const char *name;
	uint64_t addr;
};
/* cr_pass_symbolize names an address this far past an override's (the
 * overrides have no size; a test's vtable pointer is vtable+16). */
#define CR_OVERRIDE_SPAN 256

struct cr_pass_ctx {
	const struct cr_pass *pass;	/* the pass running */
	const struct cr_dump *dump;
	struct cr_analysis *analysis;	/* the analysis so far */
	const struct cr_options *opts;
	struct cr_target target;	/* typed reads of the target's memory */
	struct cr_symtab *symtab;	/* NULL: no symbol session (tests) */
	/* Looked up before the session, ends at a NULL name; NULL none.
	 * Set by tests after cr_pass_ctx_init; the pipeline sets none. */
	const struct cr_symbol_override *extra_symbols;
};

/* A context for pass P on analysis A (symtab may be NULL). */
void cr_pass_ctx_init(struct cr_pass_ctx *ctx, const struct cr_pass *p,
		      struct cr_analysis *a, const struct cr_options *opts,
		      struct cr_symtab *st);

/* Add a finding of this pass (see cr_findings_add). */
struct cr_finding *cr_pass_finding(struct cr_pass_ctx *ctx,
				   enum cr_finding_id id,
				   enum cr_severity severity,
				   const char *title_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Keep DATA (owned from now on by the analysis; freed with FREE_FN, NULL:
 * free()) as this pass's facts for the passes after it, replacing what it
 * kept before.  This is how passes share values without a field in struct
 * cr_analysis: the instruction pass keeps its struct cr_insn_facts
 * (passes/instruction.h) for the exploitability pass.  False when out of
 * memory (DATA is freed then).
 */
bool cr_pass_keep(struct cr_pass_ctx *ctx, void *data,
		  void (*free_fn)(void *));
/* Free what the passes kept in A (each with its free function) and the
 * list itself; A keeps nothing after. */
void cr_pass_kept_free(struct cr_analysis *a);
/* The facts pass PASS kept, NULL none. */
void *cr_pass_kept(const struct cr_analysis *a, const char *pass);

/* Symbol lookup: NAME in the modules whose file name starts with MODULE
 * (NULL: all); true and the runtime address in *ADDR when found.  The
 * context's extra_symbols answer first. */
bool cr_pass_symbol(const struct cr_pass_ctx *ctx, const char *module,
		    const char *name, uint64_t *addr);
/* The function (or data symbol) and module at ADDR (static strings of the
 * symbol session, valid while the analysis lives); false when unknown.
 * By the ELF symbols (or a provider's) only: no DWARF is opened for it
 * (cr_symtab_lookup_data).  The context's extra_symbols answer first
 * (within CR_OVERRIDE_SPAN bytes). */
bool cr_pass_symbolize(const struct cr_pass_ctx *ctx, uint64_t addr,
		       const char **function, uint64_t *function_offset,
		       const char **module);

/*
 * The name of the global at or around ADDR (a lock, a condition variable):
 * "mutex_b in deadlock", "queue+0x28 in libfoo.so" ("in MODULE" left out
 * when the module is unknown); NULL when no symbol names ADDR within
 * MAX_OFF bytes of its start (1: only a symbol starting at ADDR;
 * UINT64_MAX: any) or out of memory.  *OFF (NULL: not wanted) gets ADDR's
 * offset into the symbol.  One rule for every pass that names an object.
 */
char *cr_pass_name_global(const struct cr_pass_ctx *ctx, uint64_t addr,
			  uint64_t max_off, uint64_t *off);

/*
 * The layout of TYPE ("pthread_mutex_t", "struct __pthread_mutex_s") from
 * the DWARF of the module whose file name starts with MODULE ("libc.so"):
 * INOUT's field names (dotted for nesting: "__data.__owner") in, their
 * offsets, sizes and signedness and the struct's size out.  INOUT->fields
 * must be writable.  False (INOUT unchanged) when the debug information is
 * not there or does not have the fields; the pass then uses its table.
 */
bool cr_pass_layout(const struct cr_pass_ctx *ctx, const char *module,
		    const char *type, struct cr_layout *inout);

/* Record a problem of this pass (source: pass, origin: its name), e.g.
 * CR_AT_ADDRESS(CR_SEVERITY_WARNING, mutex) when a struct is unreadable. */
void cr_pass_problem(struct cr_pass_ctx *ctx, const struct cr_diag_at *at,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Run the registered passes whose `needs` are met, in table order. */
struct cr_error *cr_run_passes(struct cr_analysis *a,
			       const struct cr_options *opts,
			       struct cr_symtab *st);

#endif
