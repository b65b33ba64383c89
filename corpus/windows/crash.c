/*
 * crash.c - a Windows program that writes a minidump of itself (full memory
 * unless told) from its unhandled-exception filter, after writing through a
 * NULL pointer three calls deep (crash_level3 <- crash_level2 <- crash_level1
 * <- main).
 *
 * Usage: crash.exe DUMP-PATH [normal] ("normal": MiniDumpNormal, no module
 * images in the dump).  tests/e2e/windows.py checks that coroner
 * names EXCEPTION_ACCESS_VIOLATION_WRITE at 0x0, the crashing thread, and a
 * stack from crash_level3 down to RtlUserThreadStart.
 */
#include "dumpself.h"

#include <string.h>

static const char *dump_path;

static EXCEPTION_POINTERS *crash_pointers;
static DWORD crash_tid;

/* The dump is written from another thread, as Breakpad and Crashpad do:
 * MiniDumpWriteDump of the thread that calls it is unreliable (under wine
 * it faults), and the crashing thread is better seen suspended. */
static DWORD WINAPI dump_thread(void *arg)
{
	return dumpself_write_for(dump_path, crash_pointers, crash_tid) == 0;
}

static LONG WINAPI on_crash(EXCEPTION_POINTERS *ep)
{
	crash_pointers = ep;
	crash_tid = GetCurrentThreadId();
	HANDLE t = CreateThread(NULL, 0, dump_thread, NULL, 0, NULL);
	DWORD ok = 0;
	/* Writing the full-memory dump (40 MB) under wine took more than a
	 * minute on a loaded 2-core machine; the test's own limit is 300 s. */
	if (t && WaitForSingleObject(t, 240000) == WAIT_OBJECT_0)
		GetExitCodeThread(t, &ok);
	if (ok)
		printf("dumped\n");
	fflush(stdout);
	return EXCEPTION_EXECUTE_HANDLER;	/* the process ends */
}

volatile int *volatile crash_target;	/* NULL; volatile: not folded */

__attribute__((noinline)) void crash_level3(int v)
{
	*crash_target = v;
	__asm__ volatile("" ::: "memory");	/* no tail call into here */
}

__attribute__((noinline)) void crash_level2(int v)
{
	crash_level3(v + 1);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void crash_level1(int v)
{
	crash_level2(v + 1);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: crash.exe DUMP [normal]\n");
		return 2;
	}
	dump_path = argv[1];
	if (argc > 2 && strcmp(argv[2], "normal") == 0)
		dumpself_type = MiniDumpNormal;
	SetUnhandledExceptionFilter(on_crash);
	crash_level1(40);
	return 0;
}
