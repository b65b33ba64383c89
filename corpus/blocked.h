/*
 * blocked.h - wait until other threads of this process are blocked inside
 * a given system call, so that a dump taken right after shows every one of
 * them there (and not, say, between releasing a mutex and entering
 * futex_wait in pthread_cond_wait).
 *
 * Linux only: reads /proc/self/task/TID/syscall, whose first field is the
 * number of the system call the thread is blocked in ("running" when it
 * is not blocked).
 */
#ifndef CORPUS_BLOCKED_H
#define CORPUS_BLOCKED_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline pid_t corpus_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* The number of the system call thread TID is blocked in, or -1. */
static inline long corpus_syscall_of(pid_t tid)
{
	char path[64], buf[256];
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof buf, f) && buf[0] >= '0' && buf[0] <= '9')
		nr = strtol(buf, NULL, 10);
	fclose(f);
	return nr;
}

/* Wait (at most about 10 s) until each of the N threads in TIDS is blocked
 * in system call NR; returns 1 when they all are. */
static inline int corpus_wait_blocked(const pid_t *tids, int n, long nr)
{
	const struct timespec tick = { 0, 2 * 1000 * 1000 };

	for (int round = 0; round < 5000; round++) {
		int i = 0;

		while (i < n && tids[i] && corpus_syscall_of(tids[i]) == nr)
			i++;
		if (i == n)
			return 1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/*
 * Start N threads FN((void *)i) with STACK bytes of stack each (0: the
 * default), and wait until all of them are blocked in a futex wait: each
 * increments *WAITING under LOCK and signals ARRIVED just before its wait,
 * and records its tid in TIDS[i].  Returns 0, or -1 when a thread could not
 * be started (after a message naming PROG).
 */
static inline int corpus_start_blocked(int n, size_t stack, void *(*fn)(void *),
				       pthread_mutex_t *lock, pthread_cond_t *arrived,
				       int *waiting, const pid_t *tids, const char *prog)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t, &attr, fn, (void *)(long)i) != 0) {
			perror("pthread_create");
			return -1;
		}
	}
	/* A thread releases the lock only inside pthread_cond_wait, so once
	 * this one holds it with *waiting == n, every thread is blocked there. */
	pthread_mutex_lock(lock);
	while (*waiting < n)
		pthread_cond_wait(arrived, lock);
	pthread_mutex_unlock(lock);
	/* ... but maybe not yet in the futex wait itself. */
	if (!corpus_wait_blocked(tids, n, SYS_futex))
		fprintf(stderr, "%s: threads not all in futex wait\n", prog);
	return 0;
}

/*
 * The body of a thread started by corpus_start_blocked: count itself in
 * *WAITING under LOCK, signal ARRIVED and wait on WORK for good.
 */
static inline void corpus_wait_forever(pthread_mutex_t *lock,
				       pthread_cond_t *arrived,
				       pthread_cond_t *work, int *waiting)
{
	pthread_mutex_lock(lock);
	(*waiting)++;
	pthread_cond_signal(arrived);
	for (;;)
		pthread_cond_wait(work, lock);
}

#endif
