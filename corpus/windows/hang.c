/*
 * hang.c - a Windows program that starts three threads which block (one in
 * WaitForSingleObject on an event nobody sets, one in Sleep, one entering a
 * critical section the main thread holds), then writes a full-memory
 * minidump of itself on demand: no exception.
 *
 * Usage: hang.exe DUMP-PATH.  tests/e2e/windows.py checks that every thread
 * unwinds through the system DLLs to RtlUserThreadStart with export names.
 */
#include "dumpself.h"

static HANDLE never_set;
static CRITICAL_SECTION held;
static volatile LONG started;

__attribute__((noinline)) static DWORD WINAPI waiter(void *arg)
{
	InterlockedIncrement(&started);
	WaitForSingleObject(never_set, INFINITE);
	return 0;
}

__attribute__((noinline)) static DWORD WINAPI sleeper(void *arg)
{
	InterlockedIncrement(&started);
	for (;;)
		Sleep(100000);
	return 0;
}

__attribute__((noinline)) static DWORD WINAPI locker(void *arg)
{
	InterlockedIncrement(&started);
	EnterCriticalSection(&held);
	LeaveCriticalSection(&held);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: hang.exe DUMP\n");
		return 2;
	}
	never_set = CreateEventA(NULL, TRUE, FALSE, NULL);
	InitializeCriticalSection(&held);
	EnterCriticalSection(&held);
	LPTHREAD_START_ROUTINE fns[] = { waiter, sleeper, locker };
	for (int i = 0; i < 3; i++)
		CreateThread(NULL, 0, fns[i], NULL, 0, NULL);
	while (started < 3)
		Sleep(10);
	Sleep(500);	/* let them reach their waits */
	if (dumpself_write(argv[1]) != 0)
		return 1;
	printf("dumped\n");
	fflush(stdout);
	ExitProcess(0);
}
