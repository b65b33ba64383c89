/*
 * waits.c - a process at rest in one of four ways: three healthy, one hung.
 *
 *   waits pool|epoll|sleep|condvar
 *
 * pool     four workers of an idle thread pool wait in pthread_cond_wait
 *          on one condition variable (pool_cv) for tasks; main joins them.
 * epoll    a server waits for clients: main in epoll_wait on a listening
 *          socket (server_loop), a second thread in accept() on another.
 * sleep    three threads sleep in nanosleep; main joins them.
 * condvar  the planted hang: a consumer waits in pthread_cond_wait on
 *          queue_cv for an item nobody will ever produce; main joins it.
 *
 * Once every thread is in its wait, main writes "TID ADDRESS" of each
 * planted waiter (condvar: the consumer and &queue_cv) to waits.txt in the
 * working directory, prints "ready" and enters its own wait (a join, or
 * the epoll loop).  The test then dumps it (SIGQUIT for a kernel core, or
 * gcore).
 *
 * Expected: pool, epoll and sleep: no error or warning from any pass;
 * condvar: a probable hang naming the consumer and queue_cv.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blocked.h"

#define NWORKERS 4
#define NSLEEPERS 3

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static int pool_tasks;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static int queue_len;

static pid_t tids[NWORKERS];
static int nstarted;

static void started(int i)
{
	tids[i] = corpus_gettid();
	__atomic_add_fetch(&nstarted, 1, __ATOMIC_SEQ_CST);
}

/* A worker takes tasks until there are none, then waits for more. */
__attribute__((noinline)) static void take_task(void)
{
	pthread_mutex_lock(&pool_lock);
	while (pool_tasks == 0)
		pthread_cond_wait(&pool_cv, &pool_lock); /* LINE:pool */
	pool_tasks--;
	pthread_mutex_unlock(&pool_lock);
}

__attribute__((noinline)) static void *pool_worker(void *arg)
{
	started((int)(long)arg);
	for (;;)
		take_task();
	return NULL;
}

__attribute__((noinline)) static void nap(void)
{
	struct timespec t = { 3600, 0 };
	while (nanosleep(&t, &t) != 0)
		;
}

__attribute__((noinline)) static void *sleeper(void *arg)
{
	started((int)(long)arg);
	nap();
	return NULL;
}

/* The consumer of a queue nobody fills. */
__attribute__((noinline)) static int consume(void)
{
	int item;

	pthread_mutex_lock(&queue_lock);
	while (queue_len == 0)
		pthread_cond_wait(&queue_cv, &queue_lock); /* LINE:hang */
	item = --queue_len;
	pthread_mutex_unlock(&queue_lock);
	return item;
}

__attribute__((noinline)) static void *consumer(void *arg)
{
	started((int)(long)arg);
	for (;;)
		consume();
	return NULL;
}

static int listener(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 16) != 0) {
		perror("listen");
		return -1;
	}
	return fd;
}

__attribute__((noinline)) static void *acceptor(void *arg)
{
	int fd = listener();

	started((int)(long)arg);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return NULL;
}

__attribute__((noinline)) static void server_loop(int ep)
{
	struct epoll_event ev[8];

	for (;;) {
		int n = epoll_wait(ep, ev, 8, -1);
		for (int i = 0; i < n; i++) {
			int c = accept(ev[i].data.fd, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
}

static const struct {
	const char *mode;
	void *(*fn)(void *);
	int n;
	long nr;	/* the system call they wait in */
} modes[] = {
	{ "pool", pool_worker, NWORKERS, SYS_futex },
	{ "sleep", sleeper, NSLEEPERS, SYS_clock_nanosleep },
	{ "condvar", consumer, 1, SYS_futex },
	{ "epoll", acceptor, 1, SYS_accept },
};

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "pool";
	size_t m = 0;
	pthread_t t[NWORKERS];
	FILE *f;

	while (m < sizeof modes / sizeof modes[0] && strcmp(modes[m].mode, mode))
		m++;
	if (m == sizeof modes / sizeof modes[0]) {
		fprintf(stderr, "usage: waits pool|epoll|sleep|condvar\n");
		return 2;
	}
	for (int i = 0; i < modes[m].n; i++)
		if (pthread_create(&t[i], NULL, modes[m].fn, (void *)(long)i)) {
			perror("pthread_create");
			return 1;
		}
	while (__atomic_load_n(&nstarted, __ATOMIC_SEQ_CST) < modes[m].n)
		usleep(1000);
	if (!corpus_wait_blocked(tids, modes[m].n, modes[m].nr))
		fprintf(stderr, "waits: threads not all blocked\n");
	f = fopen("waits.txt", "w");
	if (!f) {
		perror("waits.txt");
		return 1;
	}
	if (!strcmp(mode, "condvar"))
		fprintf(f, "%d %p\n", (int)tids[0], (void *)&queue_cv);
	fclose(f);
	if (!strcmp(mode, "epoll")) {
		int ep = epoll_create1(0), fd = listener();
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		if (ep < 0 || fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			perror("epoll");
			return 1;
		}
		puts("ready");
		fflush(stdout);
		server_loop(ep);
	}
	puts("ready");
	fflush(stdout);
	pthread_join(t[0], NULL);
	return 0;
}
