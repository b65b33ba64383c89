/*
 * resident.c - a process with MB megabytes resident that watches its own
 * clock, for tests/bench/bench_collect.sh.
 *
 *   resident MB GAPFILE
 *   resident MB GAPFILE --floor DIR RUNS
 *
 * Fills MB MiB of heap with bytes that are not zeros (every page resident
 * and worth copying), prints "ready", then loops reading CLOCK_MONOTONIC:
 * the longest gap between two readings is how long the process was stopped
 * as it saw it (a collector that stops it, a scheduler that does not run
 * it).  The longest gap so far is written to GAPFILE (in seconds) whenever
 * it grows; SIGUSR1 starts over from zero.
 *
 * With --floor it measures what a core of this memory costs at the least
 * instead (it prints "ready" once the memory is filled, then RUNS rounds
 * of): the kernel's own core (a fork child, the same MB resident, its
 * pages shared copy-on-write, changes to DIR, lifts RLIMIT_CORE and
 * aborts: core_pattern "core", left as it is), reading the memory out of
 * a fork child with process_vm_readv and writing nothing, and the process
 * writing its own memory into DIR with pwrite (one copy, what a
 * --snapshot child could do through injected system calls).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
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

/* The kernel's core of a fork child aborted in DIR: seconds from the
 * abort to its end; *ST the core's. */
static double kernel_core(const char *dir, struct stat *st)
{
	int go[2];
	if (pipe(go) != 0)
		return -1;
	pid_t child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		if (chdir(dir) != 0 || setrlimit(RLIMIT_CORE, &rl) != 0)
			_exit(1);
		signal(SIGABRT, SIG_DFL);
		close(go[0]);
		close(go[1]);	/* the parent's clock starts */
		abort();
	}
	char c;
	close(go[1]);
	if (read(go[0], &c, 1) < 0)
		perror("read");
	double t0 = now();
	int status;
	waitpid(child, &status, 0);
	double t = now() - t0;
	close(go[0]);
	if (!WIFSIGNALED(status) || !WCOREDUMP(status)) {
		fprintf(stderr, "resident: no core dumped (RLIMIT_CORE, core_pattern?)\n");
		return -1;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/core", dir);
	if (stat(path, st) != 0) {
		snprintf(path, sizeof(path), "%s/core.%d", dir, (int)child);
		if (stat(path, st) != 0) {
			fprintf(stderr, "resident: no core in %s\n", dir);
			return -1;
		}
	}
	unlink(path);
	return t;
}

/* Reading LEN bytes at P out of a fork child with process_vm_readv, 4 MiB
 * at a time into one buffer, writing nothing: what any collector that
 * reads the process pays before it writes a byte. */
static double read_child(const unsigned char *p, size_t len)
{
	size_t chunk = 4u << 20;
	unsigned char *buf = malloc(chunk);
	pid_t child = fork();
	if (child < 0 || !buf)
		return -1;
	if (child == 0) {
		pause();
		_exit(0);
	}
	double t0 = now();
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		struct iovec local = { buf, n };
		struct iovec remote = { (void *)(p + off), n };
		if (process_vm_readv(child, &local, 1, &remote, 1, 0) != (ssize_t)n) {
			perror("process_vm_readv");
			break;
		}
	}
	double t = now() - t0;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	free(buf);
	return t;
}

/* The process writing its own memory into DIR with pwrite, 64 MiB at a
 * time: one copy, what a --snapshot child made to write its memory
 * through injected pwrite calls would pay at best. */
static double write_self(const unsigned char *p, size_t len, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/pwrite.out", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	size_t chunk = 64u << 20;
	double t0 = now();
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (pwrite(fd, p + off, n, (off_t)off) != (ssize_t)n) {
			perror("pwrite");
			break;
		}
	}
	double t = now() - t0;
	close(fd);
	unlink(path);
	return t;
}

/* RUNS rounds of the three floors, alternating so that a busier minute
 * weighs on all three; one line "kernel|read|pwrite SECONDS" each, then
 * the kernel's core's size and allocated bytes. */
static int floors(const unsigned char *p, size_t len, const char *dir, int runs)
{
	struct stat st = { 0 };
	for (int i = 0; i < runs; i++) {
		double k = kernel_core(dir, &st);
		double r = read_child(p, len);
		double w = write_self(p, len, dir);
		if (k < 0 || r < 0 || w < 0)
			return 1;
		printf("kernel %.4f\nread %.4f\npwrite %.4f\n", k, r, w);
	}
	printf("size %lld allocated %lld\n", (long long)st.st_size,
	       (long long)st.st_blocks * 512);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 6 && !strcmp(argv[3], "--floor"))) {
		fprintf(stderr, "usage: resident MB GAPFILE [--floor DIR RUNS]\n");
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
	if (argc == 6) {
		printf("ready\n");
		fflush(stdout);
		return floors(p, len, argv[4], atoi(argv[5]));
	}
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
