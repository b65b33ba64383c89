/*
 * resident.c - a process with MB megabytes resident that watches its own
 * clock, for tests/bench/bench_collect.sh.
 *
 *   resident MB GAPFILE
 *
 * Fills MB MiB of heap with bytes that are not zeros (every page resident
 * and worth copying), prints "ready", then loops reading CLOCK_MONOTONIC:
 * the longest gap between two readings is how long the process was stopped
 * as it saw it (a collector that stops it, a scheduler that does not run
 * it).  The longest gap so far is written to GAPFILE (in seconds) whenever
 * it grows; SIGUSR1 starts over from zero.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t reset;

static void on_usr1(int sig)
{
	(void)sig;
	reset = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void record(const char *path, double gap)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%.6f\n", gap);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, (size_t)n) != n)
			perror("write");
		close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: resident MB GAPFILE\n");
		return 2;
	}
	size_t mb = strtoul(argv[1], NULL, 10);
	size_t len = mb << 20;
	unsigned char *p = malloc(len);
	if (!p) {
		perror("malloc");
		return 1;
	}
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 2654435761u >> 13) | 1;
	signal(SIGUSR1, on_usr1);
	printf("ready\n");
	fflush(stdout);
	double prev = now(), longest = 0;
	record(argv[2], 0);
	for (;;) {
		double t = now();
		if (reset) {
			reset = 0;
			longest = 0;
			record(argv[2], 0);
		} else if (t - prev > longest) {
			longest = t - prev;
			record(argv[2], longest);
		}
		prev = t;
	}
}
