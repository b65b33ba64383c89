/*
 * idle_threads.c - the main thread and N idle workers (default 8).
 *
 *   idle_threads [N] [wait|crash]
 *
 * Every worker names itself "idle-K" and blocks on one condition variable
 * through the same functions (idle_worker -> wait_for_work), so all N stacks
 * are the same function sequence and a report groups them into one entry.
 * When all of them are waiting, main prints "ready".  Then, with "wait"
 * (the default) main blocks in pause() until it is killed (for gcore); with
 * "crash" it spins for 50 ms of CPU (so the core's CPU times are not 0)
 * and writes through a NULL pointer in crash_main (for a kernel core).  With more than 64 workers each gets a 64 KiB stack, so that the
 * bad-input test's 10,000-thread core stays small.
 *
 * Expected: N + 1 threads, the N workers in one group, the workers' state
 * in a futex wait.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocked.h"

#define MAX_WORKERS 20000
#define SMALL_STACK (64 * 1024)	/* per worker when there are many */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static int waiting;
static pid_t tids[MAX_WORKERS];
static int *volatile target;	/* always NULL */

__attribute__((noinline)) static void wait_for_work(void)
{
	pthread_mutex_lock(&lock);
	waiting++;
	pthread_cond_signal(&arrived);
	for (;;)
		pthread_cond_wait(&work, &lock); /* LINE:wait */
}

__attribute__((noinline)) static void *idle_worker(void *arg)
{
	char name[16];

	tids[(long)arg] = corpus_gettid();
	snprintf(name, sizeof name, "idle-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	wait_for_work();
	return NULL;
}

__attribute__((noinline)) void crash_main(void);

/* Use about MS milliseconds of CPU, so that the core's times are not 0. */
static void spin(int ms)
{
	struct timespec t0, t;
	volatile unsigned long n = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			n++;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

__attribute__((noinline)) void crash_main(void)
{
	*target = 1; /* LINE:crash */
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8;
	int crash = argc > 2 && strcmp(argv[2], "crash") == 0;

	if (n < 0 || n > MAX_WORKERS) {
		fprintf(stderr, "idle_threads: N must be 0..%d\n", MAX_WORKERS);
		return 2;
	}
	if (corpus_start_blocked(n, n > 64 ? SMALL_STACK : 0, idle_worker, &lock,
				 &arrived, &waiting, tids, "idle_threads"))
		return 1;

	puts("ready");
	fflush(stdout);
	if (crash) {
		spin(50);
		crash_main();
	}
	for (;;)
		pause();
}
