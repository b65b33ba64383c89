/*
 * deep_recursion.c - 200,000 calls deep through two mutually recursive
 * functions, then a NULL-pointer write at the bottom.
 *
 *   deep_recursion [DEPTH]
 *
 * The recursion runs in a thread "deep" with a 64 MiB stack, so it does not
 * depend on ulimit -s.  Neither call is a tail call (each adds to the
 * result), so the stack holds DEPTH frames alternating ping and pong.
 *
 * Expected: SIGSEGV at 0x0 in crash_bottom, then one fold "ping -> pong"
 * (or "pong -> ping") repeated about DEPTH/2 times.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int *volatile target;	/* always NULL */
static volatile int sink;

__attribute__((noinline)) int ping(int n);
__attribute__((noinline)) int pong(int n);
__attribute__((noinline)) int crash_bottom(int n);

__attribute__((noinline)) int crash_bottom(int n)
{
	*target = n; /* LINE:crash */
	return n;
}

__attribute__((noinline)) int ping(int n)
{
	sink = n;
	if (n == 0)
		return crash_bottom(n) + 1; /* LINE:ping_bottom */
	return pong(n - 1) + 1; /* LINE:ping */
}

__attribute__((noinline)) int pong(int n)
{
	sink = n;
	if (n == 0)
		return crash_bottom(n) + 2; /* LINE:pong_bottom */
	return ping(n - 1) + 2; /* LINE:pong */
}

static void *deep(void *arg)
{
	pthread_setname_np(pthread_self(), "deep");
	puts("ready");
	fflush(stdout);
	sink = ping((int)(long)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	long depth = argc > 1 ? atol(argv[1]) : 200000;
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64u << 20);
	if (pthread_create(&t, &attr, deep, (void *)depth) != 0) {
		perror("pthread_create");
		return 1;
	}
	pthread_join(t, NULL);
	return 0;
}
