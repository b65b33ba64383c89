/*
 * heap_planted.c - a heap of known shape for the heap walk's tests
 * (tests/e2e/heap_walk.py).
 *
 *   heap_planted MODE [gcore]
 *
 * MODE:
 *   classes  known counts of several sizes; some freed into the tcache, the
 *            fastbins, the unsorted bin, the small and the large bins
 *   arenas   four threads, each allocating (and freeing some) in its own
 *            arena, with a size of its own; with MALLOC_ARENA_MAX=1 in the
 *            environment they share the main arena (their tcaches are then
 *            found only through the TLS variable `tcache`)
 *   mmapped  classes plus three allocations above the mmap threshold
 *   corrupt  classes, then one in-use chunk's size field overwritten
 *   corruptfree  corrupt, then that chunk freed: glibc's free() aborts
 *            ("free(): invalid pointer"), a crash inside the allocator
 *   corruptbusy  corrupt, then busy_alloc() calls malloc: the test stops
 *            it there under gdb and dumps it with gcore (a dump taken
 *            while a thread is inside the allocator)
 *   freeall  classes, then everything freed: the control
 *
 * It writes its plan to heap_plan.txt in the working directory, one fact a
 * line (chunk sizes as glibc counts them, header included):
 *   size CHUNK_SIZE in_use N free M     (M -1: not checked, coalesced)
 *   mmapped CHUNK_SIZE N
 *   arenas N                            (at least)
 *   corrupt CHUNK_ADDRESS
 * then dies of abort() (a kernel core) or, with "gcore", prints "ready" and
 * sleeps for gcore.  The plan is written with write(2) and snprintf into a
 * stack buffer: nothing allocates after the heap is planted.
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A size class: how many to allocate and how many of them to free. */
struct plan {
	size_t user;		/* malloc's argument */
	int count, nfree;
	void **p;
	size_t chunk;		/* its chunk size */
};

/* Sizes no other part of the process allocates (libc's own are the
 * tcache 0x290, a DTV 0x120, stdio's 0x1e0 and 0x1010). */
static struct plan classes[] = {
	{ 72, 200, 12 },	/* 0x50: 7 to the tcache, 5 to a fastbin */
	{ 104, 150, 9 },	/* 0x70: 7 tcache, 2 fastbin */
	{ 200, 120, 20 },	/* 0xd0: 7 tcache, 13 to a small bin */
	{ 3000, 40, 10 },	/* 0xbc0: above the tcache: a large bin */
	{ 600, 30, 0 },		/* 0x260: all in use */
	{ 1500, 20, 5 },	/* 0x5f0: freed last: the unsorted bin */
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))
#define TRIGGER 5000		/* sorts the unsorted bin into the bins */

static char planbuf[8192];
static size_t planlen;

static void plan_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(planbuf + planlen, sizeof(planbuf) - planlen, fmt,
			  ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(planbuf) - planlen)
		planlen += (size_t)n;
}

static void plan_write(void)
{
	int fd = open("heap_plan.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, planbuf, planlen) != (ssize_t)planlen)
		_exit(3);
	close(fd);
}

/* The chunk size of allocation P (header included). */
static size_t chunk_of(void *p)
{
	return malloc_usable_size(p) + sizeof(size_t);
}

static void alloc_class(struct plan *c)
{
	static void *slots[1024];
	static size_t used;
	c->p = slots + used;
	used += (size_t)c->count;
	for (int i = 0; i < c->count; i++) {
		c->p[i] = malloc(c->user);
		memset(c->p[i], 0x5a, c->user);
	}
	c->chunk = chunk_of(c->p[0]);
}

/* Free every other allocation among the first 2*nfree: a freed chunk's
 * neighbours stay in use, so nothing coalesces. */
static void free_class(struct plan *c)
{
	for (int i = 0; i < c->nfree; i++)
		free(c->p[2 * i]);
}

static void plant_classes(void)
{
	for (size_t k = 0; k < NCLASSES; k++)
		alloc_class(&classes[k]);
	/* Small-bin and large-bin sizes first; a large request then sorts
	 * the unsorted bin into the bins (and would consolidate fastbins:
	 * so those are freed after it). */
	free_class(&classes[2]);
	free_class(&classes[3]);
	void *trigger = malloc(TRIGGER);
	memset(trigger, 1, TRIGGER);
	free_class(&classes[0]);
	free_class(&classes[1]);
	free_class(&classes[5]);
	/* A guard at the end keeps the last planted chunk off the top. */
	void *guard = malloc(24);
	(void)guard;
	plan_line("size %zu in_use 1 free -1\n", chunk_of(trigger));
}

static void plan_classes(void)
{
	for (size_t k = 0; k < NCLASSES; k++)
		plan_line("size %zu in_use %d free %d\n", classes[k].chunk,
			  classes[k].count - classes[k].nfree,
			  classes[k].nfree);
}

/* ---- arenas ---- */

#define NTHREADS 4
#define PER_THREAD 100
#define FREED_PER_THREAD 10
static pthread_barrier_t planted, done;
static size_t thread_chunk[NTHREADS];

/*
 * The threads plant one after the other, smallest size first.  With
 * MALLOC_ARENA_MAX=1 they share one arena, and interleaved, a thread's
 * chunks could lie beside another's freed ones (coalescing them), or a
 * smaller request could split a larger freed chunk: the counts would
 * depend on the scheduler.  In turn, every request is larger than every
 * chunk freed before it, so no freed chunk is reused.  The turns start
 * once every thread exists: pthread_create allocates too (288-byte chunks
 * that a 304-byte freed chunk would serve whole).
 */
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cond = PTHREAD_COND_INITIALIZER;
static size_t turn = NTHREADS;	/* nobody's until all are created */

static void *arena_thread(void *arg)
{
	size_t k = (size_t)arg;
	void *p[PER_THREAD];
	pthread_mutex_lock(&turn_lock);
	while (turn != k)
		pthread_cond_wait(&turn_cond, &turn_lock);
	pthread_mutex_unlock(&turn_lock);
	for (int i = 0; i < PER_THREAD; i++) {
		p[i] = malloc(264 + 32 * k);	/* 0x110 + 0x20k */
		memset(p[i], (int)k, 264 + 32 * k);
	}
	thread_chunk[k] = chunk_of(p[0]);
	for (int i = 0; i < FREED_PER_THREAD; i++)
		free(p[2 * i]);
	pthread_mutex_lock(&turn_lock);
	turn++;
	pthread_cond_broadcast(&turn_cond);
	pthread_mutex_unlock(&turn_lock);
	pthread_barrier_wait(&planted);
	pthread_barrier_wait(&done);	/* never: the process dies first */
	return NULL;
}

static void plant_arenas(void)
{
	pthread_t t[NTHREADS];
	pthread_barrier_init(&planted, NULL, NTHREADS + 1);
	pthread_barrier_init(&done, NULL, NTHREADS + 1);
	for (size_t k = 0; k < NTHREADS; k++)
		pthread_create(&t[k], NULL, arena_thread, (void *)k);
	pthread_mutex_lock(&turn_lock);
	turn = 0;
	pthread_cond_broadcast(&turn_cond);
	pthread_mutex_unlock(&turn_lock);
	pthread_barrier_wait(&planted);
	for (size_t k = 0; k < NTHREADS; k++)
		plan_line("size %zu in_use %d free %d\n", thread_chunk[k],
			  PER_THREAD - FREED_PER_THREAD, FREED_PER_THREAD);
	const char *max = getenv("MALLOC_ARENA_MAX");
	plan_line("arenas %d\n", max && !strcmp(max, "1") ? 1 : NTHREADS + 1);
}

/* A malloc the test stops in (corruptbusy); above the tcache's sizes, so
 * that it goes into the arena. */
__attribute__((noinline)) static void *busy_alloc(void)
{
	return malloc(5000);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "classes";
	int gcore = argc > 2 && !strcmp(argv[2], "gcore");
	if (!strcmp(mode, "arenas")) {
		plant_arenas();
	} else {
		plant_classes();
		if (!strcmp(mode, "freeall")) {
			for (size_t k = 0; k < NCLASSES; k++)
				for (int i = 0; i < classes[k].count; i++)
					if (i >= 2 * classes[k].nfree || i % 2)
						free(classes[k].p[i]);
			for (size_t k = 0; k < NCLASSES; k++)
				plan_line("size %zu in_use 0 free -1\n",
					  classes[k].chunk);
		} else {
			plan_classes();
		}
		if (!strcmp(mode, "mmapped")) {
			void *m[3];
			for (int i = 0; i < 3; i++) {
				m[i] = malloc(300000);
				memset(m[i], 7, 300000);
			}
			/* An mmapped chunk's usable size is its size less
			 * two words. */
			plan_line("mmapped %zu 3\n",
				  malloc_usable_size(m[0]) + 2 * sizeof(size_t));
		}
		if (!strncmp(mode, "corrupt", 7)) {
			void *victim = classes[4].p[15];
			((size_t *)victim)[-1] = 0x4141414141414140ull;
			plan_line("corrupt %lu\n",
				  (unsigned long)victim - 2 * sizeof(size_t));
			if (!strcmp(mode, "corruptfree")) {
				plan_write();
				free(victim);	/* aborts in malloc_printerr */
			}
			if (!strcmp(mode, "corruptbusy")) {
				plan_write();
				free(busy_alloc());
			}
		}
	}
	plan_write();
	if (gcore) {
		write(1, "ready\n", 6);
		for (;;)
			pause();
	}
	abort();
}
