/*
 * heap_big.c - the input of tests/bench/bench_heap.sh: a process with a
 * big glibc heap, dumped by the kernel.
 *
 *   heap_big [COUNT [MEAN_BYTES [DROP_PERCENT]]]
 *
 * Makes COUNT allocations (default 10,000,000) of 16 to 2 * MEAN_BYTES - 16
 * bytes (default mean 200: 2 GB of heap), kept in one array (itself an
 * mmapped chunk) except DROP_PERCENT of them (default 10), whose pointer is
 * overwritten.  Each allocation holds a pseudo-random word (data the mark
 * must reject) and one in four a pointer to the allocation kept before it
 * (a chain through the heap).  Writes "dropped N" to stdout and dies of
 * SIGABRT: the kernel's core is the benchmark's input.  The same numbers
 * on every run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
	size_t mean = argc > 2 ? strtoull(argv[2], NULL, 10) : 200;
	unsigned drop = argc > 3 ? (unsigned)atoi(argv[3]) : 10;
	if (mean < 24)
		mean = 24;
	void **keep = calloc(count, sizeof(*keep));
	if (!keep)
		return 1;
	uint64_t x = 88172645463325252ull;	/* xorshift64 */
	size_t dropped = 0;
	void *prev = NULL;
	for (size_t i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t size = 16 + x % (2 * mean - 31);
		uint64_t *p = malloc(size);
		if (!p)
			return 1;
		p[0] = x | 1;	/* odd: never an allocation's address */
		if (i % 4 == 0)
			p[1] = (uint64_t)(uintptr_t)prev;
		if (x % 100 < drop) {
			dropped++;	/* the only pointer, gone */
			continue;
		}
		keep[i] = p;
		prev = p;
	}
	printf("dropped %zu\n", dropped);
	fflush(stdout);
	__asm__ volatile("" : : "r"(keep) : "memory");
	abort();
}
