/*
 * symtab.h - symbolization of program counters, through libdwfl.
 *
 * A struct cr_symtab owns one Dwfl session built from the dump's module list
 * (never from the container: formats/ already turned it into the model).
 * Files are found by our find_elf callback: --sysroot, --image-dir, the
 * path the dump names (only when its build id matches), the build-id tree
 * under /usr/lib/debug and --debug-dir, and debuginfod when DEBUGINFOD_URLS
 * is set (libdwfl does that itself).  A module whose image lies whole in
 * dump memory (the vdso) is read from there.
 *
 * Lookups are cached by program counter, so the cost of symbolizing a
 * stack grows with its distinct frames, not with its depth.  All strings
 * handed out are interned in the symtab's pool: equal strings are the same
 * pointer, and they live as long as the symtab.
 */
#ifndef CR_SYMTAB_H
#define CR_SYMTAB_H

#include <elfutils/libdwfl.h>

#include "analysis.h"

/* One frame of source as a pc resolves to (inlined calls give several). */
struct cr_symframe {
	const char *function;	/* NULL unknown */
	bool offset_known;
	uint64_t offset;	/* pc - function start */
	const char *file;	/* NULL unknown */
	int line, column;
};

struct cr_sym {
	uint64_t pc;		/* the lookup pc (return addresses minus one) */
	ssize_t module;		/* index into dump->modules, -1 none */
	const char *module_name;	/* basename, interned, NULL none */
	uint64_t module_offset;
	bool has_cfi;		/* the caller of this frame is found by CFI */
	bool full;		/* DWARF was consulted (see cr_symtab_lookup) */
	bool system;		/* in a system library (symbolize.c) */
	unsigned nframes;	/* >= 1: innermost inlined call first */
	struct cr_symframe *frames;
};

struct cr_symtab;

struct cr_error *cr_symtab_new(const struct cr_dump *d,
			       const struct cr_options *opts,
			       struct cr_symtab **out);
void cr_symtab_free(struct cr_symtab *st);
Dwfl *cr_symtab_dwfl(struct cr_symtab *st);

/* Modules given to libdwfl at most: dwfl_report_module() looks through
 * every module reported before (elfutils 0.188), so reporting n modules
 * costs n^2; 8192 take ~0.5 s. */
#define CR_MAX_DWFL_MODULES 8192
/* How many of the dump's modules were left out for CR_MAX_DWFL_MODULES. */
size_t cr_symtab_unreported(const struct cr_symtab *st);
/* An ELF handle that names the dump's architecture, for dwfl_attach_state;
 * NULL when the architecture is unknown. */
Elf *cr_symtab_arch_elf(struct cr_symtab *st);

/*
 * Symbolize PC; a return address (ACTIVATION false) is looked up at PC-1.
 * FULL asks for source lines and inlined calls (DWARF) even in system
 * libraries; without it those get ELF symbols only (see symbolize.c for
 * why).  Never NULL except out of memory.
 */
const struct cr_sym *cr_symtab_lookup(struct cr_symtab *st, uint64_t pc,
				      bool activation, bool full);
/*
 * Name ADDR, an address of data (a vtable, a global) or of code that is
 * not a frame, by its ELF symbol (or a provider's) only: no source line,
 * no inlined calls, no CFI.  Cached apart from the frames' lookups.
 * Never NULL except out of memory.
 */
const struct cr_sym *cr_symtab_lookup_data(struct cr_symtab *st, uint64_t addr);
/* Ask PROV (borrowed; must outlive the lookups) for modules libdwfl has no
 * symbols for.  At most CR_MAX_PROVIDERS.  NULL forgets them all. */
struct cr_sym_provider;
void cr_symtab_add_provider(struct cr_symtab *st,
			    const struct cr_sym_provider *prov);
#define CR_MAX_PROVIDERS 4
/* Intern S (may be NULL → NULL). */
const char *cr_symtab_intern(struct cr_symtab *st, const char *s);
/* Was a file (or memory image) found for dump module I? */
bool cr_symtab_has_file(struct cr_symtab *st, size_t i);
/* What was found for dump module I. */
void cr_symtab_module_info(struct cr_symtab *st, size_t i,
			   struct cr_module_analysis *out);
bool cr_symtab_find_symbol(struct cr_symtab *st, const char *module,
			   const char *name, uint64_t *addr);
/*
 * The DWARF of MOD, a module of ST's session, for looking up by name (a
 * type: no address is moved): in a batch worker the DWARF its file cache
 * keeps for the module's file (symbolize.c, "DWARF kept across dumps"),
 * whose lock is then held and *HELD set, else the session's own (*HELD
 * NULL).  NULL when the module has none.  cr_symtab_dwarf_leave(*HELD)
 * releases the lock; cr_symtab_dwarf_reenter(HELD) takes it again to read
 * a DIE found under it (both do nothing for NULL).  A kept DIE is valid
 * as long as the session.
 */
struct cr_dwarf_shadow;
Dwarf *cr_symtab_dwarf_enter(struct cr_symtab *st, Dwfl_Module *mod,
			     struct cr_dwarf_shadow **held);
void cr_symtab_dwarf_leave(struct cr_dwarf_shadow *held);
void cr_symtab_dwarf_reenter(struct cr_dwarf_shadow *held);

/* Where the session remembers struct layouts found in DWARF
 * (dwarf_layout.c); freed with the session. */
struct cr_layout_cache;
struct cr_layout_cache **cr_symtab_layout_cache(struct cr_symtab *st);

/* Unwinding (unwind.c): fill a->threads[i].stack for every thread. */
struct cr_error *cr_unwind_all(struct cr_analysis *a, struct cr_symtab *st,
			       const struct cr_options *opts);

/* Folding and grouping (fold.c). */
struct cr_error *cr_fold_stack(struct cr_stack *s);
struct cr_error *cr_group_threads(struct cr_analysis *a);

#endif
