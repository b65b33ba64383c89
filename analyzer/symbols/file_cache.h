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

/* Module files whose DWARF is kept open at once: each holds its debug
 * file's descriptor (libdwfl's), so the bound is on files, not bytes. */
#define CR_FILE_CACHE_MAX_DWARF 64

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
/* Are A and B the same file, as it was? */
bool cr_file_id_same(const struct cr_file_id *a, const struct cr_file_id *b);

/*
 * Where the ELF symbol table of a module comes from: what libdwfl found
 * for its file once (dwfl_module_getsymtab looks for the separate debug
 * file, then opens and maps it), kept so that a batch worker asks libdwfl
 * once per library, not once per dump.  Read-only once handed out.
 */
struct cr_symsource {
	char *debug_file;	/* the separate debug file the table came
				 * from, as libdwfl names it; NULL: none */
	struct cr_file_id debug_id;	/* its identity then */
	/* The cache's, under its lock (cr_file_cache_symtemplate,
	 * cr_file_cache_dwarf). */
	struct cr_symtemplate *tmpl;
	bool tmpl_tried;
	struct cr_dwarf_shadow *dwarf;
	bool dwarf_tried;
};

/*
 * The source kept for the module file FILE, found at PATH (the same file
 * by another name may have other debug files to look at), when its debug
 * file is still the file it was (a stat(), no open); NULL when none is
 * kept or it changed.  Borrowed until the next cr_file_cache_trim().
 */
const struct cr_symsource *cr_file_cache_symsource(struct cr_file_cache *c,
						   const struct cr_file_id *file,
						   const char *path);

/*
 * Keep what libdwfl found for FILE at PATH: DEBUG_FILE (NULL: none) whose
 * identity is DEBUG_ID.  NULL, nothing kept, when FILE is unknown, the
 * debug file's identity is not known (it could not be checked later), or
 * memory ran out.
 */
const struct cr_symsource *cr_file_cache_keep_symsource(
	struct cr_file_cache *c, const struct cr_file_id *file,
	const char *path, const char *debug_file,
	const struct cr_file_id *debug_id);

/*
 * The symbol table template (symindex.h) of a module of SRC's files, read
 * from MOD on the first request; borrowed like SRC.  NULL when the module
 * has no index.
 */
const struct cr_symtemplate *cr_file_cache_symtemplate(
	struct cr_file_cache *c, const struct cr_symsource *src,
	Dwfl_Module *mod);

/*
 * The DWARF session kept for SRC's module file (symtab.h: a libdwfl
 * session of its own, so that its decompressed and indexed DWARF serves
 * every later dump), made by MAKE(ARG, &bytes) on the first request and
 * counted as BYTES; NULL when MAKE gave none (kept as none) or
 * CR_FILE_CACHE_MAX_DWARF are kept already (asked again later).  Borrowed
 * like SRC; used under cr_dwarf_shadow_enter().
 */
struct cr_dwarf_shadow;
struct cr_dwarf_shadow *cr_file_cache_dwarf(
	struct cr_file_cache *c, const struct cr_symsource *src,
	struct cr_dwarf_shadow *(*make)(void *arg, size_t *bytes), void *arg);
void cr_dwarf_shadow_free(struct cr_dwarf_shadow *sh);

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
