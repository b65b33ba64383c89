/*
 * dynlib_populate.c - a library's writable pages made present at once
 * while the dynamic loader relocates them.
 *
 * Why: dlopen() maps a library's writable segment (its relocated data,
 * .data.rel.ro) privately from the file, then writes every relocation
 * into it; each first write to a page is a copy-on-write fault.  On the
 * project's VM a fault costs about 30 us (15 us on a quiet machine) where
 * MADV_POPULATE_WRITE makes the same page present for about 2 us: Capstone
 * has 77,000 relocations over 340 pages, libxml2 with ICU and libstdc++
 * about 60 more (tests/bench/README.md).  Only a library whose owner sets
 * cr_dynlib.populate is loaded this way (Capstone): for a small one the
 * scans below cost more than the faults they save.  The loader offers no hook between
 * mapping and relocating (an LD_AUDIT module could, at the price of a
 * second namespace and a path fixed at build time).  So while this thread
 * is in dlopen(), a timer of its own interrupts it (ticks TICK_US apart): the
 * handler reads /proc/self/maps and populates the writable segments of
 * shared libraries that appeared since (private, from a file, at a file
 * offset other than 0: a library's data segment never starts its file,
 * while libdw's whole-file mappings of debug files do, and those must
 * not be copied).  Mapping comes first (all the dependencies), then the
 * relocation, which then finds its pages present.  The ticks stop when one
 * finds nothing new after something was found, or after MAX_TICKS (each
 * reads the whole map: under valgrind, where a tick comes every few
 * hundred instructions of the loader, an unbounded number of them cost
 * more than the load).  Each tick arms the next TICK_US after it ends, not
 * on a fixed period: a scan slower than the period (a map of many lines,
 * the sanitizers' instrumented scan, a slow machine) would otherwise find
 * the next tick pending as it returns, and the loader, starved, would not
 * map the library before the last tick (the CI failure of session 13:
 * under ASan, 0 populated in 5 loads).
 *
 * Only speed: populating is a write fault without a write (the data stay
 * the file's), so a page the loader wrote already is left as it is, and a
 * segment made read-only meanwhile (RELRO) only makes the call fail.
 * When the timer cannot be made, dlopen() runs as it would have.  The
 * handler does only what a signal handler may (open, read, madvise,
 * timer_settime; no stdio, no malloc).
 */
#include "dynlib_populate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

#define FIRST_US 60		/* the first tick: mapping starts at once */
#define TICK_US 150
#define MAX_TICKS 40		/* 6 ms of the loader: it maps in its first */
#define MAX_DONE 64		/* segments seen before and during a load */

/* One thread's load; the timer's signal is for this thread alone. */
struct populate {
	bool active;
	bool noting;		/* the first scan: note what is there */
	bool found;		/* something was populated */
	int quiet;		/* ticks in a row that found nothing new */
	int ticks;
	size_t pages;		/* populated */
	timer_t timer;
	size_t ndone;
	uintptr_t done[MAX_DONE];
};
static __thread struct populate cur;

static int populate_signal(void)
{
	return SIGRTMIN + 3;
}

/* The hexadecimal number at *P, *P moved past it. */
static uintptr_t hex(const char **p)
{
	uintptr_t v = 0;
	for (;; (*p)++) {
		char c = **p;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
		if (d == 16)
			return v;
		v = v * 16 + d;
	}
}

static const char *skip_field(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* One line of /proc/self/maps ("start-end perms offset dev inode path"):
 * populate it when it is a library's writable segment not seen before. */
static void consider(struct populate *p, const char *line, const char *end)
{
	const char *s = line;
	uintptr_t start = hex(&s);
	if (s >= end || *s++ != '-')
		return;
	uintptr_t stop = hex(&s);
	if (end - s < 6 || s[0] != ' ' || s[2] != 'w' || s[4] != 'p')
		return;
	s += 6;
	uintptr_t offset = hex(&s);
	const char *path = skip_field(skip_field(skip_field(s, end), end), end);
	if (offset == 0 || path >= end || *path != '/' || !memmem(path, (size_t)(end - path), ".so", 3))
		return;
	for (size_t i = 0; i < p->ndone; i++)
		if (p->done[i] == start)
			return;
	/* Past the table a segment cannot be remembered: populating it
	 * would make every tick find it again, so it is left to the faults. */
	if (p->ndone == MAX_DONE)
		return;
	p->done[p->ndone++] = start;
	if (p->noting)
		return;
	p->found = true;
	p->quiet = -1;		/* this tick found something */
	if (madvise((void *)start, stop - start, MADV_POPULATE_WRITE) == 0)
		p->pages += (stop - start) / 4096;
}

static void scan_fd(struct populate *p, int fd)
{
	char buf[4096];
	size_t have = 0;
	bool dropping = false;	/* inside a line too long for buf */
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			if (!dropping)
				consider(p, line, nl);
			dropping = false;
			line = nl + 1;
		}
		/* A line longer than the buffer (a path of 4 KB) is dropped
		 * to its end: its tail, a path anybody can choose (the
		 * dump's), must not be read as a line of its own. */
		if (line == buf && have == sizeof(buf)) {
			dropping = true;
			have = 0;
			continue;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
	}
}

static void scan_maps(struct populate *p)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	scan_fd(p, fd);
	close(fd);
}

size_t cr_dynlib_populate_scan(int fd)
{
	struct populate p = { 0 };
	scan_fd(&p, fd);
	return p.pages;
}

/* One tick US microseconds from now, none after it: 0 when armed. */
static int arm(struct populate *p, long us)
{
	struct itimerspec it = { .it_value = { 0, us * 1000 } };
	return timer_settime(p->timer, 0, &it, NULL);
}

static void tick(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	struct populate *p = si->si_value.sival_ptr;
	if (p != &cur || !p->active)
		return;		/* a tick of a load that has ended */
	int saved = errno;
	p->quiet = p->quiet < 0 ? 0 : p->quiet + 1;
	scan_maps(p);
	if (++p->ticks < MAX_TICKS && !(p->found && p->quiet >= 1))
		arm(p, TICK_US);
	errno = saved;
}

/* Calls of cr_dynlib_populate_start, by any thread (tests). */
static unsigned long starts;

void cr_dynlib_populate_start(void)
{
	struct populate *p = &cur;
	__atomic_fetch_add(&starts, 1, __ATOMIC_RELAXED);
	*p = (struct populate){ .noting = true };
	/* The libraries there already are not the load's. */
	scan_maps(p);
	p->noting = false;
	/* Bind madvise() now: the handler must not be the first caller, or
	 * the lazy binding would run inside a signal handler, in dlopen(). */
	if (madvise(NULL, 0, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
		return;		/* a kernel before 5.14: nothing to do */
	/* The handler stays: only our timers send this signal. */
	struct sigaction sa = { .sa_sigaction = tick,
				.sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID,
			       .sigev_signo = populate_signal(),
			       .sigev_value.sival_ptr = p };
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (sigaction(populate_signal(), &sa, NULL) != 0 ||
	    timer_create(CLOCK_MONOTONIC, &ev, &p->timer) != 0)
		return;
	p->active = true;
	if (arm(p, FIRST_US) != 0) {
		p->active = false;
		timer_delete(p->timer);
	}
}

void cr_dynlib_populate_stop(void)
{
	struct populate *p = &cur;
	if (!p->active)
		return;
	p->active = false;	/* a tick already queued does nothing */
	timer_delete(p->timer);
}

size_t cr_dynlib_populate_pages(void)
{
	return cur.pages;
}

unsigned long cr_dynlib_populate_starts(void)
{
	return __atomic_load_n(&starts, __ATOMIC_RELAXED);
}
