/*
 * heap_growth.c - a process whose heap grows in known steps while it runs,
 * to be dumped several times (`coroner collect PID -n 3 -s 1`) for the
 * heap growth of a series (tests/e2e/series_heap.py, analyzer/series_heap.c).
 *
 *   heap_growth grow|steady LOG
 *
 * Both modes first allocate STABLE blocks of 24 bytes (malloc chunks of 32)
 * kept in a global array for the whole run and STEP_BLOCKS blocks of 1,000
 * bytes (chunks of 1,008) kept in a list linked through their first word,
 * print "ready", and then do a step every STEP_MS:
 *   grow:   STEP_BLOCKS more blocks of 1,000 bytes: nothing else grows (no
 *           array that is reallocated, no stdio buffer);
 *   steady: the blocks replaced one by one (free one, allocate one): the
 *           heap in use stays where it is (the control).
 * After each step one line goes to LOG: "STEP START_NS END_NS LIVE", the
 * CLOCK_REALTIME nanoseconds around the step and the 1,000-byte blocks
 * alive after it.  A dump taken while the process is stopped between
 * START and END is ambiguous; every other dump holds exactly the LIVE of
 * the last step that ended before it (coroner's collector records the
 * dump time while every thread is stopped).  At most MAX_STEPS steps, so a
 * process left behind stops growing.  Only write(2), no stdio: a FILE and
 * its buffer would be heap chunks of their own.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STABLE 3000
#define STEP_BLOCKS 2000
#define BLOCK_SIZE 1000
#define STEP_MS 500
#define MAX_STEPS 100

/* Not static: the compiler could drop an array only ever written, and the
 * stable blocks would be unreachable (leaked) in the dumps. */
void *stable[STABLE];
static void *volatile grown;	/* the newest block; each links the one before */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* STEP_BLOCKS blocks of BLOCK_SIZE linked through their first word onto
 * *HEAD. */
__attribute__((noinline)) static void allocate_step(void *volatile *head)
{
	for (int i = 0; i < STEP_BLOCKS; i++) {
		void **b = malloc(BLOCK_SIZE);
		if (!b)
			abort();
		memset(b, 'g', 64);
		b[0] = *head;
		*head = b;
	}
}

/* Replace the blocks of *HEAD one by one (free one, allocate one), so
 * that the blocks alive are STEP_BLOCKS or one fewer at any moment. */
__attribute__((noinline)) static void replace_step(void *volatile *head)
{
	void *old = *head, *fresh = NULL;
	while (old) {
		void *next = *(void **)old;
		free(old);
		old = next;
		void **b = malloc(BLOCK_SIZE);
		if (!b)
			abort();
		memset(b, 'g', 64);
		b[0] = fresh;
		fresh = b;
	}
	*head = fresh;
}

static void put(int fd, const char *s)
{
	size_t n = strlen(s);
	if (write(fd, s, n) != (ssize_t)n)
		_exit(3);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "grow") && strcmp(argv[1], "steady"))) {
		put(2, "usage: heap_growth grow|steady LOG\n");
		return 2;
	}
	int grow = argv[1][0] == 'g';
	int log = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (log < 0)
		return 2;
	for (int i = 0; i < STABLE; i++) {
		stable[i] = malloc(24);
		if (!stable[i])
			abort();
		memset(stable[i], 's', 24);
	}
	/* Step 1 before "ready": the first dump already holds blocks. */
	unsigned long live = 0;
	for (int step = 1; step <= MAX_STEPS; step++) {
		if (step > 1) {
			struct timespec pause = { 0, STEP_MS * 1000000L };
			nanosleep(&pause, NULL);
		}
		uint64_t start = now_ns();
		if (grow || step == 1) {
			allocate_step(&grown);
			live += STEP_BLOCKS;
		} else {
			replace_step(&grown);
		}
		uint64_t end = now_ns();
		char line[96];
		snprintf(line, sizeof(line), "%d %llu %llu %lu\n", step,
			 (unsigned long long)start, (unsigned long long)end, live);
		put(log, line);
		if (step == 1)
			put(1, "ready\n");
	}
	pause();
	return 0;
}
