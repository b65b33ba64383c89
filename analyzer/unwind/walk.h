/*
 * walk.h - coroner's own stack walker, for threads libdwfl's unwinder
 * cannot take alone (minidumps: PE modules, Breakpad symbol files, no ELF
 * files at hand).
 *
 * The walker goes one frame at a time.  For each frame it asks the step
 * sources in order of trust, and the first that knows the pc computes the
 * caller's registers:
 *
 *   1. PE unwind tables (.pdata/.xdata) of x86_64 Windows modules, read from
 *      the module image in dump memory or from the file (walk_pe.c)
 *   2. Breakpad STACK CFI / STACK WIN records (breakpad_sym.c)
 *   3. DWARF CFI of ELF modules whose files were found (walk_dwarf.c)
 *   4. the frame pointer chain (walk.c)
 *   5. stack scanning for return addresses that land right after a call
 *      instruction in a known module (walk.c)
 *
 * Each source is a struct cr_step_source; it reads the dump only through
 * cr_dump_read*() (bounded) and never allocates per frame without bound.
 */
#ifndef CR_WALK_H
#define CR_WALK_H

#include "analysis.h"

enum cr_step_result {
	CR_STEP_NONE = 0,	/* no information for this pc: try the next source */
	CR_STEP_OK,		/* *caller filled */
	CR_STEP_END,		/* this is the outermost frame (e.g. RA undefined) */
};

struct cr_step_source {
	const char *name;
	enum cr_trust trust;	/* the trust of frames this source finds */
	/*
	 * Compute CALLER's registers from CALLEE's at the callee's pc (in
	 * CALLEE).  FIRST is true for the innermost frame (its pc is exact;
	 * for callers pc is a return address and lookups use pc - 1).  The
	 * caller's pc must be set in CALLER (DWARF pc register number of the
	 * architecture, cr_arch_pc_reg()).
	 */
	enum cr_step_result (*step)(void *ctx, const struct cr_dump *d,
				    const struct cr_regs *callee, bool first,
				    struct cr_regs *caller);
	void *ctx;
};

/*
 * Symbol providers for modules libdwfl cannot symbolize (PE exports read
 * from dump memory, Breakpad FUNC/PUBLIC/INLINE records).  Fill up to MAX
 * frames for OFFSET (pc - module base, already minus one for return
 * addresses) in module MODULE (index into d->modules), innermost inlined
 * call first; return how many (0: unknown).  Strings must live as long as
 * the provider's ctx.
 */
struct cr_symframe;
struct cr_sym_provider {
	const char *name;
	unsigned (*lookup)(void *ctx, const struct cr_dump *d, size_t module,
			   uint64_t offset, struct cr_symframe *out, unsigned max);
	void *ctx;
};

struct walk_frame {
	uint64_t pc;
	bool activation;	/* pc is exact (innermost frame) */
	enum cr_trust trust;
};

/*
 * Walk a thread from REGS: fill *FRAMES (malloc'd, at most MAX) and return
 * how many; *WHY gets a malloc'd reason when the walk stopped short (NULL
 * when it ended at an outermost frame or at MAX frames: the caller knows
 * which limit MAX was).  SOURCES are tried in order, then
 * the frame pointer chain, then stack scanning.
 */
size_t cr_walk_thread(const struct cr_dump *d, const struct cr_regs *regs,
		      const struct cr_step_source *sources, size_t nsources,
		      struct walk_frame **frames, size_t max, char **why);

/*
 * The step sources and symbol providers built for one analysis (analyze.c
 * calls each family's *_open with the dump and the options, adds what it
 * returns, and frees it after the reports are written).
 */

/* DWARF CFI of ELF modules whose files were found (walk_dwarf.c); CTX is
 * the analysis' struct cr_symtab. */
enum cr_step_result cr_dwarf_step(void *ctx, const struct cr_dump *d,
				  const struct cr_regs *callee, bool first,
				  struct cr_regs *caller);

/* Breakpad symbol files from opts->symbol_dirs (breakpad_sym.c). */
struct cr_breakpad;
struct cr_error *breakpad_open(const struct cr_dump *d,
			       const struct cr_options *opts,
			       struct cr_breakpad **out);
/* Fill *STEP and *PROV; false when no module has a symbol file. */
bool breakpad_sources(struct cr_breakpad *bp, struct cr_step_source *step,
		      struct cr_sym_provider *prov);
/* After the walk: the symbol files used become the modules' debug files in
 * A, and files that could not be used or had malformed lines, problems. */
void breakpad_report(struct cr_breakpad *bp, struct cr_analysis *a);
void breakpad_free(struct cr_breakpad *bp);

/* PE images of Windows modules: exports and x64 unwind tables (walk_pe.c). */
struct cr_pe;
struct cr_error *pe_open(const struct cr_dump *d, const struct cr_options *opts,
			 struct cr_pe **out);
bool pe_sources(struct cr_pe *pe, struct cr_step_source *step,
		struct cr_sym_provider *prov);
/* The file found for MODULE that was refused because its TimeDateStamp or
 * SizeOfImage differs from the dump's (NULL none, or a matching file was
 * used); valid until pe_free. */
const char *pe_refused_file(const struct cr_pe *pe, size_t module);
/* After the walk: module files read become the modules' files in A; files
 * refused as another build set the mismatch flag and are problems. */
void pe_report(struct cr_pe *pe, struct cr_analysis *a);
void pe_free(struct cr_pe *pe);

#endif
