/*
 * lock_crowd.c - a crowd of N threads (default 200) blocked the ways the
 * threads of a busy server block: behind a few mutexes whose holders wait
 * for input, on condition variables, and asleep.  The input of
 * tests/bench/bench_passes.sh (what the lock and CPU passes add to the
 * analysis of a 200-thread core).
 *
 *   lock_crowd [N]
 *
 * Of the N threads (N >= 8): HOLDERS threads each take one mutex of
 * locks[] and block reading a pipe nobody writes (holder-K); half of the
 * others queue behind those mutexes in pthread_mutex_lock (convoys of
 * about N/8), a quarter wait on one of CONDS condition variables nobody
 * signals, and the rest sleep in clock_nanosleep (idle).  Main prints
 * "ready" once every thread is blocked inside its system call, then waits
 * in pause() until it is killed (SIGQUIT for a kernel core) or dumped
 * (gcore).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "blocked.h"

#define MAX_THREADS 4096
#define HOLDERS 4
#define CONDS 3

enum role { HOLDER, LOCK_WAITER, COND_WAITER, SLEEPER, NROLES };

static pthread_mutex_t locks[HOLDERS] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conds[CONDS] = {
	PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER,
};
static int never_written[2];	/* a pipe: holders read its end 0 */
/* Per role, the tids of its threads in start order (blocked.h waits on
 * them), and how many there are. */
static pid_t tids[NROLES][MAX_THREADS];
static int count[NROLES];

struct job {
	enum role role;
	int slot;	/* index into tids[role] */
	int which;	/* the mutex or condition variable */
};
static struct job jobs[MAX_THREADS];

__attribute__((noinline)) static void hold_and_read(int k)
{
	char c;
	pthread_mutex_lock(&locks[k]);
	/* Blocks for good: nobody writes the pipe. */
	if (read(never_written[0], &c, 1) < 0)
		perror("read");
	pthread_mutex_unlock(&locks[k]);
}

__attribute__((noinline)) static void queue_for_lock(int k)
{
	pthread_mutex_lock(&locks[k]);
	pthread_mutex_unlock(&locks[k]);
}

__attribute__((noinline)) static void wait_for_work(int k)
{
	pthread_mutex_lock(&cond_lock);
	for (;;)
		pthread_cond_wait(&conds[k], &cond_lock);
}

__attribute__((noinline)) static void idle(void)
{
	const struct timespec hour = { 3600, 0 };
	for (;;)
		clock_nanosleep(CLOCK_MONOTONIC, 0, &hour, NULL);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	char name[16];
	static const char *const names[NROLES] = {
		"holder", "queued", "waiter", "idle",
	};

	tids[j->role][j->slot] = corpus_gettid();
	snprintf(name, sizeof name, "%s-%d", names[j->role], j->slot);
	pthread_setname_np(pthread_self(), name);
	switch (j->role) {
	case HOLDER: hold_and_read(j->which); break;
	case LOCK_WAITER: queue_for_lock(j->which); break;
	case COND_WAITER: wait_for_work(j->which); break;
	default: idle(); break;
	}
	return NULL;
}

static int start(int i, enum role role, int which, pthread_attr_t *attr)
{
	pthread_t t;
	jobs[i] = (struct job){ role, count[role]++, which };
	if (pthread_create(&t, attr, worker, &jobs[i]) != 0) {
		perror("pthread_create");
		return -1;
	}
	return 0;
}

static int wait_role(enum role role, long nr)
{
	if (corpus_wait_blocked(tids[role], count[role], nr))
		return 0;
	fprintf(stderr, "lock_crowd: threads of role %d not all blocked\n", role);
	return -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	pthread_attr_t attr;

	if (n < 8 || n > MAX_THREADS) {
		fprintf(stderr, "lock_crowd: N must be 8..%d\n", MAX_THREADS);
		return 2;
	}
	/* A shell starts a background job with SIGQUIT ignored: the
	 * benchmark's kill -QUIT must dump the process all the same. */
	signal(SIGQUIT, SIG_DFL);
	if (pipe(never_written) != 0) {
		perror("pipe");
		return 1;
	}
	/* Small stacks keep the core small (200 x 8 MiB otherwise). */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	/* The holders first: the queues form behind mutexes already held. */
	int i = 0;
	for (; i < HOLDERS; i++)
		if (start(i, HOLDER, i, &attr))
			return 1;
	if (wait_role(HOLDER, SYS_read))
		return 1;
	int rest = n - HOLDERS;
	for (int k = 0; k < rest; k++, i++) {
		int r = k < rest / 2 ? start(i, LOCK_WAITER, k % HOLDERS, &attr) :
			k < rest * 3 / 4 ? start(i, COND_WAITER, k % CONDS, &attr) :
			start(i, SLEEPER, 0, &attr);
		if (r)
			return 1;
	}
	if (wait_role(LOCK_WAITER, SYS_futex) || wait_role(COND_WAITER, SYS_futex) ||
	    wait_role(SLEEPER, SYS_clock_nanosleep))
		return 1;
	puts("ready");
	fflush(stdout);
	for (;;)
		pause();
}
