/*
 * spin_series.c - one thread burning CPU among idle ones, to be dumped
 * several times while it runs (the series tests: tests/e2e/series.py).
 *
 *   spin_series [IDLE]
 *
 * The main thread starts IDLE workers (default 3, named "idle-K") that
 * block on one condition variable that is never signalled, and one thread
 * named "spinner" that loops in parse_row -> scan_field without a system
 * call.  Once every worker waits in futex and the spinner has run, main
 * prints "ready" and the spinner's tid ("spinner TID"), then blocks in
 * pause() until it is killed.
 *
 * Expected across dumps: the spinner on a CPU (not in a system call) in
 * every dump, in parse_row; the workers and main in the same stacks in
 * every dump.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "blocked.h"

#define MAX_IDLE 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pid_t idle_tids[MAX_IDLE];
static volatile pid_t spinner_tid;
static volatile unsigned long rows;

__attribute__((noinline)) static unsigned scan_field(unsigned h, unsigned i)
{
	/* Work the compiler cannot drop: a hash of the loop counter. */
	return (h ^ i) * 16777619u;
}

__attribute__((noinline)) static void parse_row(void)
{
	unsigned h = 2166136261u;
	for (unsigned i = 0; i < 100000; i++)
		h = scan_field(h, i);
	if (h == 0)
		rows += 2;	/* never: keeps h alive */
	rows++;
}

__attribute__((noinline)) static void *spinner(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "spinner");
	spinner_tid = corpus_gettid();
	for (;;)
		parse_row();
	return NULL;
}

__attribute__((noinline)) static void wait_forever(void)
{
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
}

__attribute__((noinline)) static void *idle_worker(void *arg)
{
	char name[16];

	idle_tids[(long)arg] = corpus_gettid();
	snprintf(name, sizeof name, "idle-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	wait_forever();
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	pthread_t t;

	if (n < 0 || n > MAX_IDLE)
		n = 3;
	for (long i = 0; i < n; i++)
		if (pthread_create(&t, NULL, idle_worker, (void *)i) != 0)
			return 2;
	if (pthread_create(&t, NULL, spinner, NULL) != 0)
		return 2;
	for (int i = 0; i < n; i++)
		while (!idle_tids[i])
			usleep(1000);
	if (!corpus_wait_blocked(idle_tids, n, SYS_futex))
		return 3;
	while (!spinner_tid || rows < 10)
		usleep(1000);
	printf("ready\nspinner %d\n", (int)spinner_tid);
	fflush(stdout);
	for (;;)
		pause();
}
