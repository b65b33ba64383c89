/*
 * many_stacks.c - N threads (default 100), each blocked with a stack of
 * its own: the reports' worst case for size and layout.
 *
 *   many_stacks [N] [wait|abort]
 *
 * Thread K walks down LEVELS levels; at level L it goes through step L's
 * "left" or "right" function as bit L of K says, so the first 2^LEVELS
 * threads have pairwise different function sequences (no two of them fall
 * into one thread group) and every stack is about 2 * LEVELS + 6 frames
 * deep.  At the bottom each thread blocks on one condition variable.  When
 * all are blocked in the futex wait, main prints "ready"; then with "wait"
 * (the default) it blocks in pause() until it is killed (gcore, or SIGQUIT
 * for a kernel core of a hung program), and with "abort" it calls abort().
 *
 * The bottom function is compiled under a #line directive that names a
 * long source path, as C++ template libraries and deep build trees give:
 * the HTML report's layout tests need one such path in every stack.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocked.h"

#define LEVELS 7
#define MAX_THREADS (1 << LEVELS)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static int waiting;
static pid_t tids[MAX_THREADS];
static volatile int sink;

static void descend(unsigned bits, int level);
static void block_forever(void);


/* Two functions per level that differ (sink += 1 or 2), so that no
 * compiler merges them into one. */
#define STEP(n)								\
	__attribute__((noinline)) static void step##n##_left(unsigned bits) \
	{ descend(bits, (n) + 1); sink += 1; }				\
	__attribute__((noinline)) static void step##n##_right(unsigned bits) \
	{ descend(bits, (n) + 1); sink += 2; }
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6)

static void (*const steps[LEVELS][2])(unsigned) = {
	{ step0_left, step0_right }, { step1_left, step1_right },
	{ step2_left, step2_right }, { step3_left, step3_right },
	{ step4_left, step4_right }, { step5_left, step5_right },
	{ step6_left, step6_right },
};

__attribute__((noinline)) static void descend(unsigned bits, int level)
{
	if (level == LEVELS)
		block_forever();
	else
		steps[level][(bits >> level) & 1](bits);
	sink++;
}

static void *worker(void *arg)
{
	char name[16];

	tids[(long)arg] = corpus_gettid();
	snprintf(name, sizeof name, "stack-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	descend((unsigned)(long)arg, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int do_abort = argc > 2 && strcmp(argv[2], "abort") == 0;
	if (n < 0 || n > MAX_THREADS) {
		fprintf(stderr, "many_stacks: N must be 0..%d\n", MAX_THREADS);
		return 2;
	}
	/* Small stacks keep the core small (100 x 8 MiB otherwise). */
	if (corpus_start_blocked(n, 256 * 1024, worker, &lock, &arrived, &waiting,
				 tids, "many_stacks"))
		return 1;

	puts("ready");
	fflush(stdout);
	if (do_abort)
		abort();
	for (;;)
		pause();
}

/* Last in the file: the #line below renames the rest of it. */
#line 1 "/opt/build/worker-pool/third_party/scheduling/include/very/deeply/nested/source/tree/blocking_queue_implementation_details.h"
__attribute__((noinline)) static void block_forever(void)
{
	pthread_mutex_lock(&lock);
	waiting++;
	pthread_cond_signal(&arrived);
	for (;;)
		pthread_cond_wait(&never, &lock);
}
