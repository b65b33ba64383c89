/*
 * dumpself.h - write a full-memory minidump of the current process
 * (shared by crash.c, hang.c and locks.c; the test programs of tests/e2e/windows.py).
 *
 * MiniDumpWriteDump() comes from dbghelp.dll, loaded at run time so that the
 * programs link with nothing but kernel32.  MiniDumpWithFullMemory makes
 * the dump hold every committed page, the loaded DLL images included: that
 * is where coroner finds the export tables and .pdata it unwinds with.
 * A program may set dumpself_type to MiniDumpNormal instead (stacks, no
 * images: the common dump), which coroner unwinds from the module files.
 */
#ifndef DUMPSELF_H
#define DUMPSELF_H

#include <windows.h>
#include <dbghelp.h>	/* types only (MINIDUMP_EXCEPTION_INFORMATION is
			 * packed to 4: do not redeclare it) */
#include <stdio.h>

typedef BOOL (WINAPI *dumpself_fn)(HANDLE, DWORD, HANDLE, MINIDUMP_TYPE,
				    PMINIDUMP_EXCEPTION_INFORMATION,
				    PMINIDUMP_USER_STREAM_INFORMATION,
				    PMINIDUMP_CALLBACK_INFORMATION);

static MINIDUMP_TYPE dumpself_type = MiniDumpWithFullMemory;
static dumpself_fn dumpself_writer;

/*
 * Load dbghelp.dll and find MiniDumpWriteDump now, not when the dump is
 * written: loading takes the loader lock, which a program that plants a
 * held loader lock (locks.c) must not need afterwards.  NULL on failure.
 */
static dumpself_fn dumpself_prepare(void)
{
	if (dumpself_writer)
		return dumpself_writer;
	HMODULE dbghelp = LoadLibraryA("dbghelp.dll");
	if (!dbghelp) {
		fprintf(stderr, "cannot load dbghelp.dll\n");
		return NULL;
	}
	dumpself_writer =
		(dumpself_fn)(void *)GetProcAddress(dbghelp, "MiniDumpWriteDump");
	if (!dumpself_writer)
		fprintf(stderr, "no MiniDumpWriteDump in dbghelp.dll\n");
	return dumpself_writer;
}

/* Write PATH; EP is the exception of thread TID (NULL: a dump on demand). */
static int dumpself_write_for(const char *path, EXCEPTION_POINTERS *ep,
			      DWORD tid)
{
	dumpself_fn write_dump = dumpself_prepare();
	if (!write_dump)
		return -1;
	HANDLE f = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
			       CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "cannot create %s\n", path);
		return -1;
	}
	MINIDUMP_EXCEPTION_INFORMATION info = {
		tid, ep, FALSE,
	};
	BOOL ok = write_dump(GetCurrentProcess(), GetCurrentProcessId(), f,
			     dumpself_type, ep ? &info : NULL,
			     NULL, NULL);
	CloseHandle(f);
	if (!ok) {
		fprintf(stderr, "MiniDumpWriteDump failed: %lu\n", GetLastError());
		return -1;
	}
	return 0;
}

static inline int dumpself_write(const char *path)
{
	return dumpself_write_for(path, NULL, GetCurrentThreadId());
}

#endif
