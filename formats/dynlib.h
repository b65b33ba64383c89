/*
 * dynlib.h - a library loaded when a run first needs it, not at start.
 *
 * Every library coroner links is mapped and relocated at every start, for
 * every dump, whether the run uses it or not.  SQLite serves only `coroner
 * batch` and libarchive only .gz and .zip inputs, so they are opened with
 * dlopen() by the code that needs them (formats/decompress.c,
 * analyzer/batch/store.c): linked, the two and their dependencies cost
 * 2.4 M instructions of the dynamic loader on every analysis of a small
 * core, 8% of it (tests/bench/README.md).  The function pointers keep
 * the library's own prototypes (__typeof__ of the header's declarations),
 * so a call is checked as a direct call would be.
 *
 *   #define FUNCS(X) X(archive_read_new) X(archive_read_free)
 *   static struct { FUNCS(CR_DYN_FIELD) } ar;
 *   #define AR_ENTRY(f) { #f, (void **)&ar.f },
 *   static const struct cr_dynsym ar_syms[] = { FUNCS(AR_ENTRY) };
 *   err = cr_dynlib_load(&lib, CR_SONAME_ARCHIVE, ar_syms, n, code, what);
 *   ar.archive_read_new();
 *
 * The sonames come from the build (CMake reads them from the libraries it
 * found: CR_SONAME_ARCHIVE, CR_SONAME_SQLITE3, CR_SONAME_ZYDIS...), so the
 * program opens the version it was compiled against.
 *
 * Loading is not free either: a page fault costs about 15 us on this
 * project's VM, and Capstone's tables make the dynamic loader apply 77,000
 * relocations (380 faults, 8 ms: x86 is decoded with Zydis, about 100),
 * libxml2 with ICU 9 ms: as much as analyzing a small core.  A run that will need a library can
 * have it loaded in the background (cr_dynlib_prefetch) while it reads the
 * dump and unwinds the stacks: one loader thread opens the requested
 * libraries in the order asked, and cr_dynlib_load waits for the one it
 * needs, or opens it itself when the loader has not started on it yet.
 * A process must not fork() while a prefetch may be running (the child
 * would inherit the loader's lock held): `coroner batch` has the HTML
 * libraries of its index loaded while it reads the directory, and waits
 * for the loader (cr_dynlib_settle) before it forks its first worker.
 */
#ifndef CR_DYNLIB_H
#define CR_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct cr_dynsym {
	const char *name;
	void **slot;
};

/* One library's state: loaded once per process, or the error kept. */
struct cr_dynlib {
	/* Set by the owner: its relocation writes hundreds of pages (a
	 * Capstone's 77,000 relocations), worth making them present in bulk
	 * while it loads (dynlib_populate.c); a small library's load costs
	 * less than the /proc/self/maps scans that would do it. */
	bool populate;
	/* Set by the owner: libstdc++ is the library or one of its
	 * dependencies (ICU's, under libxml2).  It is opened first, alone,
	 * with lazy binding (dynlib.c says why that is safe for it). */
	bool stdcxx_first;
	bool tried;
	void *handle;
	char why[256];		/* why it could not be loaded */
	/* The background load (dynlib.c; under its lock): requested, being
	 * opened by the loader or by cr_dynlib_load, opened. */
	enum { CR_DYNLIB_IDLE, CR_DYNLIB_QUEUED, CR_DYNLIB_OPENING,
	       CR_DYNLIB_OPENED } state;
	const char *soname;
	const struct cr_dynsym *syms;
	size_t nsyms;
};

#define CR_DYN_FIELD(f) __typeof__(f) *f;

/*
 * Open SONAME and resolve every symbol of SYMS into its slot, once per
 * process (LIB remembers the outcome).  NULL on success; else an error of
 * CODE that names WHAT needs it ("reading .zip files"), the library and
 * what failed.
 */
struct cr_error *cr_dynlib_load(struct cr_dynlib *lib, const char *soname,
				const struct cr_dynsym *syms, size_t n,
				enum cr_errcode code, const char *what);

/*
 * Have SONAME opened and SYMS resolved in the background (the same as
 * cr_dynlib_load's), so that a later cr_dynlib_load of LIB finds it done.  Does nothing when LIB was asked for or tried
 * already; when the loader thread cannot be started, the load happens in
 * cr_dynlib_load as without a prefetch.  Call cr_dynlib_prefetch and
 * cr_dynlib_load of one LIB from one thread.
 */
void cr_dynlib_prefetch(struct cr_dynlib *lib, const char *soname,
			const struct cr_dynsym *syms, size_t n);
/* Wait until the loader thread opened everything asked for and ended
 * (at once when it is not running): then this process may fork().  Ended,
 * not only done: a thread on its way out still takes locks a child would
 * inherit held (AddressSanitizer's allocator, as it returns the thread's
 * cache: a batch's probe worker hung in its first malloc). */
void cr_dynlib_settle(void);

#endif
