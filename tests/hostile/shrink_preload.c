/*
 * shrink_preload.c - a test-only LD_PRELOAD library that cuts a file right
 * after coroner maps it, to make "the dump shrank while it was read"
 * deterministic (tests/hostile/io.py, case shrink-*).
 *
 * It wraps mmap(): when the descriptor mapped is the file named by
 * $CR_TEST_SHRINK_PATH, the file is truncated to $CR_TEST_SHRINK_TO bytes
 * once the mapping exists, so every later access past that size raises
 * SIGBUS, as when a download or a log rotation cuts the file.  With
 * $CR_TEST_SHRINK_AT=dwfl_begin the file is cut later, when the analysis
 * starts its libdwfl session (after the dump was read), so that the faults
 * happen in the analysis.  Never part of coroner itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

static void shrink(void)
{
	static int done;
	const char *path = getenv("CR_TEST_SHRINK_PATH");
	const char *to = getenv("CR_TEST_SHRINK_TO");
	if (done || !path || !to)
		return;
	done = 1;
	if (truncate(path, strtoll(to, NULL, 10)) != 0)
		perror("shrink_preload: truncate");
}

static int at(const char *when)
{
	const char *w = getenv("CR_TEST_SHRINK_AT");
	return strcmp(w && *w ? w : "mmap", when) == 0;
}

static void shrink_if_target(int fd)
{
	const char *path = getenv("CR_TEST_SHRINK_PATH");
	if (fd < 0 || !path || !at("mmap"))
		return;
	char link[64], target[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	if (strcmp(target, path) == 0)
		shrink();
}

void *dwfl_begin(const void *callbacks);
void *dwfl_begin(const void *callbacks)
{
	static void *(*real)(const void *);
	if (!real)
		real = (void *(*)(const void *))dlsym(RTLD_NEXT, "dwfl_begin");
	if (at("dwfl_begin"))
		shrink();
	return real(callbacks);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	if (!real)
		real = (void *(*)(void *, size_t, int, int, int, off_t))
			dlsym(RTLD_NEXT, "mmap");
	void *p = real(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED)
		shrink_if_target(fd);
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}
