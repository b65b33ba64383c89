/*
 * hostile_names.c - thread names and a command line that look like markup.
 *
 *   hostile_names hostile|benign [ARG...]
 *
 * Names threads with strings that mean something in HTML, Markdown tables
 * and code spans ("<script>", "a|b", "`x`", ...), or with plain names of
 * the same count in "benign" mode, then crashes through a NULL pointer.
 * The test passes hostile arguments too, and compares the structure of the
 * reports (tables, code blocks, elements) with a benign run: it must be the
 * same.  Thread names are at most 15 bytes (the kernel's TASK_COMM_LEN).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "blocked.h"

static const char *const hostile[] = {
	"<script>", "a|b", "`x`", "</table>", "line\nbreak", "**b** _i_ [l]",
};
static const char *const benign[] = {
	"script", "a-b", "x", "table", "line-break", "b-i-l",
};
#define NNAMES (sizeof hostile / sizeof hostile[0])

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static unsigned waiting;
static const char *const *names;
static pid_t tids[NNAMES];
static int *volatile target;	/* always NULL */

static void *named_worker(void *arg)
{
	tids[(long)arg] = corpus_gettid();
	pthread_setname_np(pthread_self(), names[(long)arg]);
	pthread_mutex_lock(&lock);
	waiting++;
	pthread_cond_signal(&arrived);
	for (;;)
		pthread_cond_wait(&work, &lock);
	return NULL;
}

__attribute__((noinline)) void crash_hostile(void);

__attribute__((noinline)) void crash_hostile(void)
{
	*target = 1; /* LINE:crash */
}

int main(int argc, char **argv)
{
	pthread_t t;

	names = argc > 1 && strcmp(argv[1], "benign") == 0 ? benign : hostile;
	for (long i = 0; i < (long)NNAMES; i++)
		if (pthread_create(&t, NULL, named_worker, (void *)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	pthread_mutex_lock(&lock);
	while (waiting < NNAMES)
		pthread_cond_wait(&arrived, &lock);
	pthread_mutex_unlock(&lock);
	if (!corpus_wait_blocked(tids, (int)NNAMES, SYS_futex))
		fprintf(stderr, "hostile_names: workers not all in futex wait\n");
	puts("ready");
	fflush(stdout);
	crash_hostile();
	return 0;
}
