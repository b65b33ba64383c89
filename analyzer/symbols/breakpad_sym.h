/*
 * breakpad_sym.h - Breakpad text symbol files (.sym): parsing, lookups, and
 * the step source and symbol provider built on them (private to
 * breakpad_sym.c, breakpad_walk.c and their tests; the walker sees only
 * walk.h).
 *
 * Format: https://chromium.googlesource.com/breakpad/breakpad/+/master/docs/symbol_files.md
 * A .sym file is untrusted input like a dump: every number is checked, a
 * malformed line is counted and skipped, and nothing read from it sizes an
 * allocation except the file's own length.
 *
 * Ownership: a struct bp_symfile owns its tables and the mapping (or borrows
 * the caller's buffer, bp_symfile_parse); names it hands out are
 * NUL-terminated copies made on first use and live as long as it does.
 */
#ifndef CR_BREAKPAD_SYM_H
#define CR_BREAKPAD_SYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symtab.h"
#include "walk.h"

/* Limits (named, see STYLE.md "Counts from the file bound nothing"). */
#define BP_MAX_FILE_SIZE 0xffffffffu	/* offsets into the file are 32-bit */
#define BP_MAX_INLINE_DEPTH 64		/* deeper INLINE records are dropped */
#define BP_MAX_OVERLAP_SCAN 256		/* overlapping ranges looked through */
#define BP_MAX_CFI_RULES 48		/* REG: EXPR pairs of one address */

/* A span of the file's text (not NUL-terminated). */
struct bp_str {
	uint32_t off, len;
};

/* Every range record starts with these two fields (see bp_range_find). */
struct bp_range {
	uint64_t addr, size;
};

enum bp_win_type { BP_WIN_FPO = 0, BP_WIN_FRAME_DATA = 4 };

struct bp_win {
	struct bp_range r;
	uint32_t prologue_size, epilogue_size, parameter_size;
	uint32_t saved_register_size, local_size, max_stack_size;
	bool has_program;
	bool allocates_base_pointer;	/* FPO records without a program */
	struct bp_str program;
};

struct bp_stats {
	size_t files, origins, funcs, lines, inlines, publics;
	size_t cfi_init, cfi_delta, win_fpo, win_frame_data;
	size_t bad_lines;		/* malformed records skipped */
	size_t first_bad_line;		/* 1-based, 0 none */
};

struct bp_symfile;

/* Parse BUF[0..LEN) (borrowed: it must outlive *OUT).  NAME is for messages. */
struct cr_error *bp_symfile_parse(const uint8_t *buf, size_t len,
				  const char *name, struct bp_symfile **out);
/* Map PATH and parse it; *OUT owns the mapping. */
struct cr_error *bp_symfile_load(const char *path, struct bp_symfile **out);
/* The same for the descriptor FD (taken over: closed here) of PATH. */
struct cr_error *bp_symfile_load_fd(int fd, const char *path,
				    struct bp_symfile **out);
void bp_symfile_free(struct bp_symfile *sf);
/* Bytes of memory SF holds besides its file's mapping (file_cache.c). */
size_t bp_symfile_memory(const struct bp_symfile *sf);

void bp_symfile_stats(const struct bp_symfile *sf, struct bp_stats *out);
/* The MODULE record's debug id, NUL-terminated copy (NULL none). */
const char *bp_symfile_id(struct bp_symfile *sf);

/* Nearest PUBLIC at or below ADDR (no FUNC bounding), NULL none. */
const char *bp_public_at(struct bp_symfile *sf, uint64_t addr,
			 uint64_t *pub_addr);
/* The FUNC containing ADDR, NULL none. */
const char *bp_func_at(struct bp_symfile *sf, uint64_t addr, uint64_t *start,
		       uint32_t *param_size);
/* The STACK WIN record of TYPE for ADDR (innermost), NULL none. */
const struct bp_win *bp_win_at(const struct bp_symfile *sf,
			       enum bp_win_type type, uint64_t addr);
/* Count the STACK WIN records of TYPE. */
size_t bp_win_count(const struct bp_symfile *sf, enum bp_win_type type);
/* The text of a span (pointer into the file, not NUL-terminated). */
const char *bp_text(const struct bp_symfile *sf, struct bp_str s);

/*
 * Symbolize module offset OFFSET: the FUNC's inlined calls innermost first,
 * then the FUNC; else the nearest PUBLIC not cut off by an earlier FUNC.
 * Returns the number of frames filled (at most MAX), 0 unknown.
 */
unsigned bp_symbolize(struct bp_symfile *sf, uint64_t offset,
		      struct cr_symframe *out, unsigned max);

/*
 * The STACK CFI rules for OFFSET: calls FN with each "REG: EXPR" text in
 * order (INIT first, then the deltas at or below OFFSET).  False when no
 * CFI covers OFFSET.
 */
bool bp_cfi_rules(const struct bp_symfile *sf, uint64_t offset,
		  void (*fn)(void *arg, const char *text, size_t len),
		  void *arg);

/* --- the per-analysis state (breakpad_sym.c) ----------------------------- */

struct cr_breakpad {
	const struct cr_dump *d;	/* borrowed */
	size_t nmodules;
	struct cr_file_cache *cache;	/* where symbol files are parsed */
	struct cr_file_cache *own_cache;	/* the private one, NULL when
					 * the options gave one */
	char **paths;		/* per module: its .sym path, NULL none */
	struct bp_symfile **files;	/* per module: loaded, NULL not (yet);
					 * the cache's */
	bool *tried;		/* per module: a load was attempted */
	char **errors;		/* per module: why its file did not load */
	/* STACK WIN needs the parameter size of the callee's callee
	 * (breakpad_walk.c): remembered from the previous step. */
	bool prev_valid;
	uint64_t prev_sp;
	bool prev_param_valid;
	uint32_t prev_param;
};

/* The symbol file of module I, loaded on first use; NULL none. */
struct bp_symfile *bp_module_symfile(struct cr_breakpad *bp, size_t i);

/* The step source (breakpad_walk.c). */
enum cr_step_result bp_step(void *ctx, const struct cr_dump *d,
			    const struct cr_regs *callee, bool first,
			    struct cr_regs *caller);

#endif
