/*
 * elfcore_victim.c - a small multi-threaded program that the ELF core tests
 * (test_elfcore.c) crash with the kernel or snapshot with gcore.
 *
 * It starts two worker threads that block in a system call (read on a pipe
 * nobody writes), burns some CPU so that the kernel records non-zero times,
 * and then, by its first argument:
 *   crash   prints "victim_crash=ADDR\n" (the function's address, for a
 *           PIE) and writes through a planted bad pointer in victim_crash()
 *           (SIGSEGV with si_addr == VICTIM_FAULT_ADDR) on the main thread;
 *   wait    prints "ready\n" on stdout and sleeps until killed (for gcore).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VICTIM_FAULT_ADDR 0x1234560ul

static int pipefd[2];

static void *worker(void *arg)
{
	char c;
	(void)arg;
	for (;;)
		if (read(pipefd[0], &c, 1) <= 0)
			sleep(1000);
	return NULL;
}

/* Keep the crash in a function of its own, which the test looks up. */
__attribute__((noinline)) void victim_crash(volatile int *p);
__attribute__((noinline)) void victim_crash(volatile int *p)
{
	*p = 42;
}

static void burn_cpu(void)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	volatile uint64_t x = 0;
	do {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i * i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec)
		 < 60 * 1000000L);
}

int main(int argc, char **argv)
{
	pthread_t th[2];
	if (pipe(pipefd) != 0)
		return 1;
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	burn_cpu();
	if (argc > 1 && strcmp(argv[1], "wait") == 0) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	printf("victim_crash=%p\n", (void *)victim_crash);
	fflush(stdout);
	victim_crash((volatile int *)VICTIM_FAULT_ADDR);
	return 0;
}
