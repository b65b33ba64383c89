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

#endif
