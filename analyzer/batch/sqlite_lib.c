/*
 * sqlite_lib.c - SQLite loaded on first use (sqlite_lib.h says why).
 */
#define CR_SQLITE_NO_MACROS
#include "sqlite_lib.h"

#include <fcntl.h>
#include <unistd.h>

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

/* SQLite's lock bytes (os_unix.c): PENDING_BYTE, RESERVED_BYTE, then the
 * 510 of SHARED_FIRST. */
#define LOCK_BYTES_START 0x40000000
#define LOCK_BYTES 512

bool cr_sqlite_locked(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = LOCK_BYTES_START, .l_len = LOCK_BYTES };
	bool held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}
