/*
 * dwarf_layout.h - C struct layouts (target.h) from a module's DWARF.
 *
 * A pass that reads a library's struct (glibc's pthread_mutex_t) carries a
 * table of its layout per architecture and version; when the library's
 * debug information is there, the real layout comes from its DWARF and the
 * pass can use or cross-check it.  The caller names the fields it wants,
 * nested through members with dots ("__data.__owner"; anonymous unions and
 * structs are looked through), and gets their offsets, sizes and
 * signedness, and the struct's size.
 *
 * The search is bounded: it walks at most CR_DWARF_LAYOUT_MAX_UNITS units
 * and CR_DWARF_LAYOUT_BUDGET_MS of time per (module, type), and a symbol
 * session remembers each (module, type) it looked up, found or not.
 */
#ifndef CR_DWARF_LAYOUT_H
#define CR_DWARF_LAYOUT_H

#include <stdbool.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "target.h"

#define CR_DWARF_LAYOUT_MAX_UNITS 20000
#define CR_DWARF_LAYOUT_BUDGET_MS 2000
#define CR_DWARF_LAYOUT_MAX_CACHE 64	/* (module, type) pairs remembered */

struct cr_symtab;

/*
 * Fill INOUT from DW: INOUT->fields[i].name in (NUL-free, dots for
 * nesting), .offset, .size and .is_signed out, and INOUT->size.  TYPE is a
 * typedef or type name ("pthread_mutex_t") or a tagged one ("struct
 * __pthread_mutex_s", "union ...").  INOUT->fields must be writable.  False
 * (INOUT unchanged) when the type is not found within the budget, or a
 * field is missing, a bit field, or not an integer, enum or pointer of 1,
 * 2, 4 or 8 bytes.
 */
bool cr_layout_from_dw(Dwarf *dw, const char *type, struct cr_layout *inout);

/*
 * The same from the first module of DWFL whose file name (its base name)
 * starts with MODULE ("libc.so"); false when no such module has DWARF.
 */
bool cr_layout_from_dwfl(Dwfl *dwfl, const char *module, const char *type,
			 struct cr_layout *inout);

/*
 * The same in the symbol session ST (its Dwfl), remembering which type DIE
 * each (MODULE, TYPE) named, or that there was none.
 */
bool cr_layout_from_dwarf(struct cr_symtab *st, const char *module,
			  const char *type, struct cr_layout *inout);

/* The session's memory of lookups (symbolize.c frees it with ST). */
struct cr_layout_cache;
void cr_layout_cache_free(struct cr_layout_cache *c);

#endif
