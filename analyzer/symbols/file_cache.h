/*
 * file_cache.h - the files a symbol session reads, kept for the analyses
 * of many dumps (private to analyzer/; the public handle is struct
 * cr_file_cache of analysis.h, passed in cr_options.file_cache).
 *
 * A batch of dumps of one program reads the same Breakpad .sym files and
 * the same Windows DLLs again and again; parsing a large .sym file costs
 * more than analyzing a dump.  So a parsed file is kept by its identity
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

#include <stdint.h>

#include "analysis.h"
#include "pe.h"

struct bp_symfile;

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
