/*
 * spin.c - one thread burning CPU among idle ones.
 *
 *   spin [busy|spinlock] [MS]
 *
 * busy (the default): N_IDLE workers named "idle-K" sleep on a condition
 * variable and a thread named "spinner" loops in user code (parse_row,
 * called once from spin_worker, never returns) without ever waiting.
 * spinlock: a thread named "holder" takes a pthread spin lock and sleeps
 * holding it; a thread named "spinner" calls pthread_spin_lock on it from
 * take_table_lock and spins there for good.
 *
 * The main thread watches the spinner's CPU clock; once the spinner has
 * used MS milliseconds of CPU (default 600) it writes spin.txt in the
 * working directory ("spinner TID", and "holder TID LOCK" in spinlock
 * mode), prints "ready" and waits in pause() until it is killed (SIGQUIT
 * for a kernel core, or gcore then SIGKILL).
 *
 * Expected: the spinner on a CPU in user code (not in a system call) with
 * nearly all of the process's CPU time, every other thread blocked.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocked.h"

#define N_IDLE 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static int waiting;
static pid_t idle_tids[N_IDLE];

static pthread_spinlock_t table_lock;
static volatile pid_t spinner_tid, holder_tid;
static volatile int holder_has_lock;
static volatile unsigned long sink;

__attribute__((noinline)) static void *idle_worker(void *arg)
{
	char name[16];

	idle_tids[(long)arg] = corpus_gettid();
	snprintf(name, sizeof name, "idle-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	corpus_wait_forever(&lock, &arrived, &work, &waiting);
	return NULL;
}

/* The busy loop: arithmetic stored to a volatile, never a system call,
 * and never a return, so that the spinner is in parse_row whenever it is
 * stopped (when its caller called it over and over, 0.7% of the
 * spinner's time was the caller's: one dump in about 150 caught it
 * there, and the finding named spin_worker). */
__attribute__((noinline)) static void parse_row(unsigned long seed)
{
	unsigned long h = seed;

	for (;;) {
		for (int i = 0; i < 1000; i++) /* LINE:spin */
			h = h * 6364136223846793005ul + 1442695040888963407ul;
		sink = h;
	}
}

__attribute__((noinline)) static void *spin_worker(void *arg)
{
	(void)arg;
	spinner_tid = corpus_gettid();
	pthread_setname_np(pthread_self(), "spinner");
	parse_row(sink);
	return NULL;
}

__attribute__((noinline)) static void *holder(void *arg)
{
	(void)arg;
	holder_tid = corpus_gettid();
	pthread_setname_np(pthread_self(), "holder");
	pthread_spin_lock(&table_lock);
	holder_has_lock = 1;
	for (;;)
		sleep(1000);
	return NULL;
}

__attribute__((noinline)) static void take_table_lock(void)
{
	pthread_spin_lock(&table_lock); /* LINE:spinlock */
	pthread_spin_unlock(&table_lock);
}

__attribute__((noinline)) static void *lock_spinner(void *arg)
{
	(void)arg;
	spinner_tid = corpus_gettid();
	pthread_setname_np(pthread_self(), "spinner");
	while (!holder_has_lock)
		usleep(1000);
	for (;;)
		take_table_lock();
	return NULL;
}

/* Milliseconds of CPU thread T has used, -1 unknown. */
static long cpu_ms(pthread_t t)
{
	clockid_t cid;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		return -1;
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start(pthread_t *t, void *(*fn)(void *))
{
	if (pthread_create(t, NULL, fn, NULL) == 0)
		return 0;
	fprintf(stderr, "spin: cannot start a thread\n");
	return -1;
}

int main(int argc, char **argv)
{
	int spinlock = argc > 1 && strcmp(argv[1], "spinlock") == 0;
	long want = argc > 2 ? atol(argv[2]) : 600;
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	pthread_t spinner, hold;
	FILE *f;

	pthread_spin_init(&table_lock, PTHREAD_PROCESS_PRIVATE);
	if (corpus_start_blocked(N_IDLE, 0, idle_worker, &lock, &arrived,
				 &waiting, idle_tids, "spin"))
		return 1;
	if (spinlock && start(&hold, holder))
		return 1;
	if (start(&spinner, spinlock ? lock_spinner : spin_worker))
		return 1;
	while (cpu_ms(spinner) < want)
		nanosleep(&tick, NULL);
	f = fopen("spin.txt", "w");
	if (!f)
		return 1;
	fprintf(f, "spinner %d\n", (int)spinner_tid);
	if (spinlock)
		fprintf(f, "holder %d %p\n", (int)holder_tid, (void *)&table_lock);
	fclose(f);
	puts("ready");
	fflush(stdout);
	for (;;)
		pause();
}
