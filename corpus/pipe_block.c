/*
 * pipe_block.c - a thread blocked in read() on a pipe nobody writes to.
 *
 *   pipe_block [wait|crash]
 *
 * The thread "reader" calls read() on an empty pipe.  Main makes sure that
 * the reader is inside the read system call (it watches
 * /proc/self/task/TID/syscall), prints "ready", and then either waits in
 * pthread_join (default, for gcore) or aborts (for a kernel core).
 *
 * Expected: 2 threads; the reader's state names read; its top frame in
 * this program is block_on_pipe at the LINE:read marker.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "blocked.h"

static int fds[2];
static volatile pid_t reader_tid;

__attribute__((noinline)) static ssize_t block_on_pipe(int fd)
{
	char buf[64];

	return read(fd, buf, sizeof buf); /* LINE:read */
}

static void *reader(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reader");
	reader_tid = corpus_gettid();
	block_on_pipe(fds[0]);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
	const struct timespec tick = { 0, 2 * 1000 * 1000 };

	if (pipe(fds) != 0 || pthread_create(&t, NULL, reader, NULL) != 0) {
		perror("pipe_block");
		return 1;
	}
	while (!reader_tid)
		nanosleep(&tick, NULL);
	pid_t tid = reader_tid;
	if (!corpus_wait_blocked(&tid, 1, SYS_read))
		fprintf(stderr, "pipe_block: reader not in read\n");
	puts("ready");
	fflush(stdout);
	if (crash)
		abort();
	pthread_join(t, NULL);
	return 0;
}
