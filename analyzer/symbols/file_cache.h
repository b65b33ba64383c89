/*
 * file_cache.h - the files a symbol session reads, kept for the analyses
 * of many dumps (private to analyzer/; the public handle is struct
 * cr_file_cache of analysis.h, passed in cr_options.file_cache).
 *
 * A batch of dumps of one program reads the same Breakpad .sym files, the
 * same Windows DLLs and the same ELF symbol tables again and again; parsing
 * a large .sym file costs more than analyzing a dump, and sorting libc's
 * symbols a fifth of analyzing a small core.  So a parsed file is kept by its identity
 * on disk (device, inode, size, modification time: a file replaced or
 * rewritten between two dumps is read again) for as long as the cache
 * lives, and what is per dump stays in the per-dump objects (the
 * module -> file choice in breakpad_sym.c and walk_pe.c; the libdwfl
 * session in symbolize.c).
 *
 * Threads: every call takes the cache's mutex; a file is parsed under it
 * (analyses on several threads wait for each other's loads, never parse a
 * file twice).  What is handed out is read-only afterwards, except the
 * NUL-terminated names a bp_symfile makes on first use, which are
 * published with a compare-and-swap (breakpad_sym.c).
 */
#ifndef CR_FILE_CACHE_H
#define CR_FILE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <elfutils/libdwfl.h>

#include "analysis.h"
#include "pe.h"

struct bp_symfile;
struct cr_symtemplate;

/* What the cache holds between dumps unless cr_file_cache_set_limit() says
 * otherwise: a few hundred programs' and libraries' symbol indexes (libc's
 * is about 0.3 MB) or a few large Breakpad files. */
#define CR_FILE_CACHE_LIMIT (256u << 20)

/* A file's identity: a file replaced or rewritten is another file. */
struct cr_file_id {
	dev_t dev;
	ino_t ino;
	int64_t size;
	int64_t mtime_sec, mtime_nsec;
	bool known;		/* false: no file (an image from dump memory) */
};

/* The identity of the file open as FD; false (and *OUT unknown) when FD is
 * negative or fstat fails. */
bool cr_file_id_of(int fd, struct cr_file_id *out);

/*
 * The symbol table template (symindex.h) of a module whose main file is
 * FILE and whose symbol table comes from SYMFILE (its separate debug file;
 * unknown when the table is the main file's), read from MOD once per
 * cache; borrowed until the next cr_file_cache_trim().  NULL when FILE is
 * unknown (an image from dump memory) or the module has no index.
 */
const struct cr_symtemplate *cr_file_cache_symtemplate(struct cr_file_cache *c,
							const struct cr_file_id *file,
							const struct cr_file_id *symfile,
							Dwfl_Module *mod);

/*
 * The Breakpad symbol file PATH, parsed once per cache; borrowed (it lives
 * as long as the cache).  NULL when it cannot be opened or parsed, with
 * *WHY (malloc'd) saying why.
 */
struct bp_symfile *cr_file_cache_symfile(struct cr_file_cache *c,
					 const char *path, char **why);

/*
 * The PE file open as FD (taken over: closed here), named PATH, parsed
 * once per cache; *OUT is a view of it for an image at BASE: never
 * pe_file_close() it, it is the cache's.
 */
struct cr_error *cr_file_cache_pe(struct cr_file_cache *c, int fd,
				  const char *path, uint64_t base,
				  struct pe_file *out);

#endif
