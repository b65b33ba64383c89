/*
 * sqlite_lib.c - SQLite loaded on first use (sqlite_lib.h says why).
 */
#define CR_SQLITE_NO_MACROS
#include "sqlite_lib.h"

#include "util.h"

struct cr_sqlite_api cr_sqlite;

#define CR_SQLITE_SYM(f) { #f, (void **)&cr_sqlite.f },
static const struct cr_dynsym syms[] = { CR_SQLITE_FUNCS(CR_SQLITE_SYM) };
static struct cr_dynlib lib;

struct cr_error *cr_sqlite_load(void)
{
	return cr_dynlib_load(&lib, CR_SONAME_SQLITE3, syms, ARRAY_LEN(syms),
			      CR_ERR_IO, "the batch result store");
}

void cr_sqlite_prefetch(void)
{
	cr_dynlib_prefetch(&lib, CR_SONAME_SQLITE3, syms, ARRAY_LEN(syms));
}
