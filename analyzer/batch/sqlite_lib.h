/*
 * sqlite_lib.h - SQLite, opened with dlopen() when a store is first opened.
 *
 * Only `coroner batch` (and what files into its store) uses SQLite; linked,
 * the library and its 3,000 relocations were loaded at every start of
 * every `coroner analyze` (formats/dynlib.h says what that costs).  Include
 * this header instead of <sqlite3.h>: the sqlite3_* names below are macros
 * for the pointers cr_sqlite_load() resolves, so calls read as the API's.
 * A function not listed here fails to link: add it to CR_SQLITE_FUNCS.
 */
#ifndef CR_SQLITE_LIB_H
#define CR_SQLITE_LIB_H

#include <stdbool.h>

#include <sqlite3.h>

#include "dynlib.h"
#include "error.h"

#define CR_SQLITE_FUNCS(X)						\
	X(sqlite3_bind_int64) X(sqlite3_bind_null) X(sqlite3_bind_text)	\
	X(sqlite3_close) X(sqlite3_column_int) X(sqlite3_column_int64)	\
	X(sqlite3_column_text) X(sqlite3_column_type) X(sqlite3_errcode) \
	X(sqlite3_errmsg) X(sqlite3_errstr) X(sqlite3_exec)		\
	X(sqlite3_finalize) X(sqlite3_open_v2) X(sqlite3_prepare_v2)	\
	X(sqlite3_reset) X(sqlite3_step)

struct cr_sqlite_api {
	CR_SQLITE_FUNCS(CR_DYN_FIELD)
};
extern struct cr_sqlite_api cr_sqlite;

/* Load SQLite once per process; NULL, or why it cannot be loaded. */
struct cr_error *cr_sqlite_load(void);
/*
 * Whether another process holds one of SQLite's locks on the database at
 * PATH, found without loading SQLite: the fcntl(2) locks SQLite takes on
 * the bytes from 1 GiB on (the file format's lock-byte page).  Every open
 * connection to a database in WAL mode holds a shared lock there, and a
 * running coroner batch an exclusive one.  Only before this process opens
 * PATH with SQLite: closing another descriptor of a file drops the
 * process's fcntl locks on it.
 */
bool cr_sqlite_locked(const char *path);
/* Have it loaded on the loader thread meanwhile (cr_dynlib_prefetch):
 * cr_sqlite_load then waits for it.  From the thread that loads it. */
void cr_sqlite_prefetch(void);

#ifndef CR_SQLITE_NO_MACROS	/* sqlite_lib.c names the functions */
#define sqlite3_bind_int64 cr_sqlite.sqlite3_bind_int64
#define sqlite3_bind_null cr_sqlite.sqlite3_bind_null
#define sqlite3_bind_text cr_sqlite.sqlite3_bind_text
#define sqlite3_close cr_sqlite.sqlite3_close
#define sqlite3_column_int cr_sqlite.sqlite3_column_int
#define sqlite3_column_int64 cr_sqlite.sqlite3_column_int64
#define sqlite3_column_text cr_sqlite.sqlite3_column_text
#define sqlite3_column_type cr_sqlite.sqlite3_column_type
#define sqlite3_errcode cr_sqlite.sqlite3_errcode
#define sqlite3_errmsg cr_sqlite.sqlite3_errmsg
#define sqlite3_errstr cr_sqlite.sqlite3_errstr
#define sqlite3_exec cr_sqlite.sqlite3_exec
#define sqlite3_finalize cr_sqlite.sqlite3_finalize
#define sqlite3_open_v2 cr_sqlite.sqlite3_open_v2
#define sqlite3_prepare_v2 cr_sqlite.sqlite3_prepare_v2
#define sqlite3_reset cr_sqlite.sqlite3_reset
#define sqlite3_step cr_sqlite.sqlite3_step
#endif

#endif
