/*
 * locks.c - a Windows program that plants the lock situations coroner's
 * wait-for graph must find (analyzer/passes/locks_windows.c), then writes
 * a full-memory minidump of itself on demand:
 *
 *   - a deadlock of two critical sections taken in opposite order by two
 *     threads (abba_1 holds cs_a and waits for cs_b, abba_2 the reverse);
 *   - a thread waiting on a named event nobody sets;
 *   - a thread waiting for an SRW lock the main thread holds exclusively;
 *   - the loader lock held (LdrLockLoaderLock) by the main thread, which
 *     writes the dump, while another thread waits for it in LoadLibraryA.
 *
 * Usage: locks.exe DUMP-PATH EXPECT-PATH.  EXPECT-PATH gets one "name
 * value" line per planted fact (thread ids, critical-section addresses,
 * the event's handle) for tests/e2e/windows.py to check the report with.
 *
 * Every thread is started before the loader lock is taken: under wine a
 * new thread takes the loader lock for DLL_THREAD_ATTACH, and dbghelp.dll
 * is loaded (and MiniDumpWriteDump looked up) before it too.  The thread
 * that holds it is the one that writes the dump because wine's
 * MiniDumpWriteDump takes the loader lock (it is recursive): held by
 * another thread, the dump is never written.
 */
#include "dumpself.h"

#define EVENT_NAME "coroner-locks-never-set"

typedef LONG (NTAPI *lock_loader_fn)(ULONG flags, ULONG *state,
				     ULONG_PTR *cookie);

static CRITICAL_SECTION cs_a, cs_b;
static SRWLOCK srw = SRWLOCK_INIT;
static HANDLE never_set;
static volatile LONG holding;	/* abba threads holding their first lock */
static volatile LONG started;	/* threads at their start */
static volatile LONG loader_held;
static lock_loader_fn lock_loader;

__attribute__((noinline)) static void take_two(CRITICAL_SECTION *first,
					       CRITICAL_SECTION *second)
{
	EnterCriticalSection(first);
	InterlockedIncrement(&holding);
	while (holding < 2)
		Sleep(1);
	EnterCriticalSection(second);	/* the deadlock */
	LeaveCriticalSection(second);
	LeaveCriticalSection(first);
}

__attribute__((noinline)) static DWORD WINAPI abba_1(void *arg)
{
	InterlockedIncrement(&started);
	take_two(&cs_a, &cs_b);
	return 0;
}

__attribute__((noinline)) static DWORD WINAPI abba_2(void *arg)
{
	InterlockedIncrement(&started);
	take_two(&cs_b, &cs_a);
	return 0;
}

__attribute__((noinline)) static DWORD WINAPI event_waiter(void *arg)
{
	InterlockedIncrement(&started);
	WaitForSingleObject(never_set, INFINITE);
	return 0;
}

__attribute__((noinline)) static DWORD WINAPI srw_waiter(void *arg)
{
	InterlockedIncrement(&started);
	AcquireSRWLockExclusive(&srw);	/* main holds it */
	ReleaseSRWLockExclusive(&srw);
	return 0;
}

__attribute__((noinline)) static DWORD WINAPI loader_waiter(void *arg)
{
	InterlockedIncrement(&started);
	while (!loader_held)
		Sleep(1);
	LoadLibraryA("version.dll");	/* blocks on the loader lock */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: locks.exe DUMP EXPECT\n");
		return 2;
	}
	lock_loader = (lock_loader_fn)(void *)GetProcAddress(
		GetModuleHandleA("ntdll.dll"), "LdrLockLoaderLock");
	if (!lock_loader || !dumpself_prepare()) {
		fprintf(stderr, "no LdrLockLoaderLock or MiniDumpWriteDump\n");
		return 1;
	}
	never_set = CreateEventA(NULL, TRUE, FALSE, EVENT_NAME);
	InitializeCriticalSection(&cs_a);
	InitializeCriticalSection(&cs_b);
	AcquireSRWLockExclusive(&srw);
	LPTHREAD_START_ROUTINE fns[] = { abba_1, abba_2, event_waiter,
					 srw_waiter, loader_waiter };
	const char *names[] = { "abba_1", "abba_2", "event_waiter",
				"srw_waiter", "loader_waiter" };
	enum { NTHREADS = sizeof(fns) / sizeof(fns[0]) };
	DWORD tids[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		CloseHandle(CreateThread(NULL, 0, fns[i], NULL, 0, &tids[i]));
	while (started < NTHREADS)
		Sleep(10);
	Sleep(100);	/* past their DLL_THREAD_ATTACH */
	ULONG_PTR cookie = 0;
	lock_loader(0, NULL, &cookie);
	loader_held = 1;
	Sleep(500);	/* let them reach their waits */

	FILE *f = fopen(argv[2], "w");
	if (!f) {
		fprintf(stderr, "cannot create %s\n", argv[2]);
		return 1;
	}
	for (int i = 0; i < NTHREADS; i++)
		fprintf(f, "%s %lu\n", names[i], (unsigned long)tids[i]);
	fprintf(f, "loader_holder %lu\n", GetCurrentThreadId());
	fprintf(f, "cs_a 0x%llx\ncs_b 0x%llx\nsrw 0x%llx\nevent 0x%llx\n"
		"event_name %s\n",
		(unsigned long long)(ULONG_PTR)&cs_a,
		(unsigned long long)(ULONG_PTR)&cs_b,
		(unsigned long long)(ULONG_PTR)&srw,
		(unsigned long long)(ULONG_PTR)never_set, EVENT_NAME);
	fclose(f);

	if (dumpself_write(argv[1]) != 0)
		return 1;
	printf("dumped\n");
	fflush(stdout);
	/* ExitProcess would wait for the loader lock: end without it. */
	TerminateProcess(GetCurrentProcess(), 0);
	return 0;
}
