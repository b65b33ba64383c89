/*
 * symindex.h - a module's ELF symbols sorted by address, answering what
 * dwfl_module_addrinfo() answers without its scan of the whole table.
 *
 * libdwfl looks at every symbol of a module on each address lookup (about
 * a million instructions for libc with its debug file); a stack of ten
 * threads makes a dozen such lookups.  The index is built from the same
 * table (dwfl_module_getsym_info) once per module and reproduces libdwfl's
 * choice among aliases, nested and sizeless symbols exactly (symindex.c
 * says how); tests/test_symindex.c compares the two on real modules.
 */
#ifndef CR_SYMINDEX_H
#define CR_SYMINDEX_H

#include <elfutils/libdwfl.h>

struct cr_symindex;

/*
 * The index of MOD's symbol table, or NULL when this module is one the
 * index does not model (no symbol table, an ET_REL file, a ppc64 file whose
 * function descriptors libdwfl resolves, a symbol whose end wraps) or
 * memory ran out: then ask dwfl_module_addrinfo().  MOD must outlive it.
 */
struct cr_symindex *cr_symindex_new(Dwfl_Module *mod);
void cr_symindex_free(struct cr_symindex *ix);

/*
 * The same in two steps, for a batch (file_cache.h): the template, MOD's
 * table read and sorted, serves every module of the same files wherever
 * it is loaded (NULL when cr_symindex_new would give NULL); an index of
 * module MOD (of those files) from it reads T in place, moved to MOD's
 * load address (T must outlive it).  cr_symindex_of()
 * gives NULL when T cannot serve MOD's load address (a table whose values
 * do not follow it, or would wrap): build one with cr_symindex_new then.
 * T keeps copies of the table's names and symbols, so an index made from
 * it never asks MOD's session for the table (which would open and map its
 * separate debug file again) but in the rare lookup it leaves to libdwfl.
 */
struct cr_symtemplate;
struct cr_symtemplate *cr_symtemplate_new(Dwfl_Module *mod);
void cr_symtemplate_free(struct cr_symtemplate *t);
struct cr_symindex *cr_symindex_of(const struct cr_symtemplate *t,
				   Dwfl_Module *mod);
/*
 * The address of T's first symbol named NAME with a defined section, in
 * table order (a scan of libdwfl's table by name, as cr_symtab_find_symbol
 * makes it) for a module at BIAS: 1, 0 when there is none, -1 when T cannot
 * serve that bias (ask libdwfl then).  Names are compared with the
 * template's copies: no libdwfl session is needed.
 */
int cr_symtemplate_find(const struct cr_symtemplate *t, GElf_Addr bias,
			const char *name, GElf_Addr *addr);
/* Bytes T holds (the file cache's bound). */
size_t cr_symtemplate_memory(const struct cr_symtemplate *t);

/*
 * dwfl_module_addrinfo(MOD, ADDR, OFF, SYM, NULL, NULL, NULL) for the
 * index's module: the name of the symbol containing or closest below ADDR,
 * *OFF from its start, *SYM (left alone when the result is NULL).
 */
const char *cr_symindex_addrinfo(struct cr_symindex *ix, GElf_Addr addr,
				 GElf_Off *off, GElf_Sym *sym);

#endif
