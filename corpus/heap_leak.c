/*
 * heap_leak.c - a process with known leaks for the leaks pass
 * (tests/e2e/leaks.py).
 *
 *   heap_leak MODE HOW
 *
 * MODE leak: drops DROP_* allocations of three sizes (the only pointer to
 * each is overwritten) and keeps others reachable in every way the pass
 * must see: from a global array, from a local array on main's stack, from
 * a volatile local, through a linked list on the heap whose head is a
 * global, and from an anonymous mmap'd block.  MODE keepall: the same, but
 * the "dropped" ones are kept in a global too (nothing leaks).  MODE
 * freeall: everything is freed again (nothing leaks).  MODE hidden: as
 * keepall, but the mmap'd block is left out of the core (MADV_DONTDUMP):
 * a missing root, its allocations only look leaked.
 *
 * HOW abort: writes plan.txt and dies of SIGABRT (a kernel core); HOW
 * wait: writes plan.txt, prints "ready" and sleeps (for gcore).
 *
 * plan.txt, one fact a line:
 *   class CHUNK_SIZE COUNT   allocations dropped of that chunk size
 *   dropped COUNT BYTES      in all (chunk sizes summed)
 *   kept COUNT               allocations kept reachable
 *   hidden COUNT BYTES MAP   (hidden) allocations only the block left out
 *                            of the core holds, chunk sizes summed, and
 *                            the block's size
 * A chunk's size is glibc's chunksize(): malloc_usable_size + 8.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The dropped classes: request size and count. */
static const struct {
	size_t size;
	unsigned count;
} drops[] = {
	{ 40, 600 },
	{ 200, 300 },
	{ 1000, 100 },
};
#define NDROP (600 + 300 + 100)

#define KEEP_GLOBAL 200
#define KEEP_STACK 50
#define KEEP_LIST 300
#define KEEP_MMAP 150
#define MMAP_BYTES (1u << 16)

struct node {
	struct node *next;
	char payload[56];
};

static void *kept_global[KEEP_GLOBAL];
static struct node *list_head;
static void **mmap_block;
/* keepall: the "dropped" ones are kept here. */
static void *not_dropped[NDROP];

/* Fill an allocation with bytes that are no pointer. */
static void fill(void *p, size_t n, int tag)
{
	memset(p, 'A' + tag, n);
	if (n >= 16)
		memcpy(p, "leaked-record ", 14);
}

/*
 * Allocate the dropped set.  When KEEP, store the pointers in
 * not_dropped; else overwrite each (the only copy) and lose it.
 * Returns the chunk bytes dropped into *BYTES and writes the classes.
 */
static __attribute__((noinline)) unsigned drop_all(int keep, FILE *plan,
						   size_t *bytes)
{
	unsigned n = 0;
	*bytes = 0;
	for (size_t c = 0; c < sizeof(drops) / sizeof(drops[0]); c++) {
		size_t chunk = 0;
		for (unsigned i = 0; i < drops[c].count; i++) {
			void *volatile p = malloc(drops[c].size);
			if (!p)
				abort();
			fill(p, drops[c].size, (int)c);
			chunk = malloc_usable_size(p) + sizeof(size_t);
			if (keep)
				not_dropped[n] = p;
			n++;
			p = NULL;	/* the only pointer, gone */
		}
		*bytes += chunk * drops[c].count;
		if (!keep)
			fprintf(plan, "class %zu %u\n", chunk, drops[c].count);
	}
	return n;
}

/* Zero the stack below the caller so that no dead frame keeps a pointer
 * to a dropped allocation where abort's frames will lie. */
static __attribute__((noinline)) void scrub_stack(void)
{
	volatile char pad[64 << 10];
	memset((char *)pad, 0, sizeof(pad));
	__asm__ volatile("" : : "r"(pad) : "memory");
}

static __attribute__((noinline)) void keep_list(void)
{
	for (unsigned i = 0; i < KEEP_LIST; i++) {
		struct node *n = malloc(sizeof(*n));
		if (!n)
			abort();
		fill(n->payload, sizeof(n->payload), 5);
		n->next = list_head;
		list_head = n;
	}
}

static __attribute__((noinline)) void keep_mmap(void)
{
	mmap_block = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmap_block == MAP_FAILED)
		abort();
	for (unsigned i = 0; i < KEEP_MMAP; i++)
		mmap_block[i] = malloc(72);
}

static __attribute__((noinline)) void free_all(void *on_stack[],
					       void *volatile *held)
{
	for (unsigned i = 0; i < KEEP_GLOBAL; i++)
		free(kept_global[i]), kept_global[i] = NULL;
	for (unsigned i = 0; i < KEEP_STACK; i++)
		free(on_stack[i]), on_stack[i] = NULL;
	while (list_head) {
		struct node *n = list_head;
		list_head = n->next;
		free(n);
	}
	for (unsigned i = 0; i < KEEP_MMAP; i++)
		free(mmap_block[i]), mmap_block[i] = NULL;
	for (unsigned i = 0; i < NDROP; i++)
		free(not_dropped[i]), not_dropped[i] = NULL;
	free(*held);
	*held = NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: heap_leak leak|keepall|freeall|hidden abort|wait\n");
		return 2;
	}
	int leak = !strcmp(argv[1], "leak");
	int freeall = !strcmp(argv[1], "freeall");
	int hidden = !strcmp(argv[1], "hidden");
	FILE *plan = fopen("plan.txt", "w");
	if (!plan)
		return 1;
	void *on_stack[KEEP_STACK];
	void *volatile held = malloc(3000);
	for (unsigned i = 0; i < KEEP_GLOBAL; i++)
		kept_global[i] = malloc(24 + i % 100);
	for (unsigned i = 0; i < KEEP_STACK; i++)
		on_stack[i] = malloc(120);
	size_t bytes;
	unsigned n = drop_all(!leak, plan, &bytes);
	keep_list();
	keep_mmap();
	unsigned kept = KEEP_GLOBAL + KEEP_STACK + KEEP_LIST + KEEP_MMAP + 1;
	if (freeall) {
		free_all(on_stack, &held);
		kept = 0;
	} else if (!leak) {
		kept += n;
	}
	fprintf(plan, "dropped %u %zu\n", leak ? n : 0, leak ? bytes : 0);
	fprintf(plan, "kept %u\n", kept);
	if (hidden) {
		if (madvise(mmap_block, MMAP_BYTES, MADV_DONTDUMP))
			abort();
		fprintf(plan, "hidden %u %zu %u\n", KEEP_MMAP,
			KEEP_MMAP * (malloc_usable_size(mmap_block[0]) +
				     sizeof(size_t)), MMAP_BYTES);
	}
	fclose(plan);
	scrub_stack();
	if (!strcmp(argv[2], "wait")) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	/* Keep the stack array and the volatile local alive to the end. */
	__asm__ volatile("" : : "r"(on_stack), "r"(held) : "memory");
	abort();
}
