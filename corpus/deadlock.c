/*
 * deadlock.c - two threads take two mutexes in opposite orders and block
 * each other for good, each inside pthread_mutex_lock.
 *
 *   deadlock [wait|crash]
 *
 * Thread "locker-a" holds mutex_a and waits for mutex_b; "locker-b" holds
 * mutex_b and waits for mutex_a.  Once both are blocked in the futex wait,
 * main writes "TID MUTEX-ADDRESS" for each (the mutex it waits for) to
 * deadlock.txt in the working directory and prints "ready".  Then, with
 * "wait" (the default) main blocks in pause() (for gcore); with "crash" it
 * writes through a NULL pointer (for a kernel core).
 *
 * Expected: 3 threads; the two lockers blocked on a lock whose futex
 * address is the mutex they wait for (glibc's lock word is the mutex's
 * first field).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blocked.h"

static pthread_mutex_t mutex_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_b = PTHREAD_MUTEX_INITIALIZER;
/* Lockers holding their first mutex; a spin, not a barrier, so that the
 * only futex wait a locker is ever in is the mutex's. */
static int holding;
static pid_t tids[2];
static int *volatile target;	/* always NULL */

struct locker {
	int index;
	const char *name;
	pthread_mutex_t *first, *second;
};

__attribute__((noinline)) static void take_second(pthread_mutex_t *m)
{
	pthread_mutex_lock(m); /* LINE:lock */
}

__attribute__((noinline)) static void *locker(void *arg)
{
	const struct locker *l = arg;

	tids[l->index] = corpus_gettid();
	pthread_setname_np(pthread_self(), l->name);
	pthread_mutex_lock(l->first);
	/* Both hold their first mutex before either asks for its second. */
	__atomic_add_fetch(&holding, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&holding, __ATOMIC_SEQ_CST) < 2)
		sched_yield();
	take_second(l->second);
	return NULL;
}

__attribute__((noinline)) void crash_main(void);

__attribute__((noinline)) void crash_main(void)
{
	*target = 1; /* LINE:crash */
}

int main(int argc, char **argv)
{
	static struct locker lockers[2] = {
		{ 0, "locker-a", &mutex_a, &mutex_b },
		{ 1, "locker-b", &mutex_b, &mutex_a },
	};
	int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
	pthread_t t[2];
	FILE *f;

	for (int i = 0; i < 2; i++) {
		if (pthread_create(&t[i], NULL, locker, &lockers[i]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	while (!__atomic_load_n(&tids[0], __ATOMIC_SEQ_CST) ||
	       !__atomic_load_n(&tids[1], __ATOMIC_SEQ_CST))
		usleep(1000);
	if (!corpus_wait_blocked(tids, 2, SYS_futex))
		fprintf(stderr, "deadlock: lockers not both in futex wait\n");
	f = fopen("deadlock.txt", "w");
	if (!f) {
		perror("deadlock.txt");
		return 1;
	}
	for (int i = 0; i < 2; i++)
		fprintf(f, "%d %p\n", (int)tids[i], (void *)lockers[i].second);
	fclose(f);
	puts("ready");
	fflush(stdout);
	if (crash)
		crash_main();
	for (;;)
		pause();
}
