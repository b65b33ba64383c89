/*
 * heap.h - the process heap as the passes see it: the allocator's chunks,
 * walked from dump memory.
 *
 * Four passes share this model:
 *   "heap"      (heap.c, heap_glibc.c) finds the allocator and walks it:
 *               the arenas, every chunk with its state, the corruptions;
 *               kept as "heap" (struct cr_heap).
 *   "leaks"     (leaks.c, leaks_finding.c) marks what is reachable from
 *               the roots, keeps the unreached in-use chunks as "leaks"
 *               (struct cr_leaks) and adds the probable-leak finding.
 *   "heapstats" (heap_stats.c) groups the chunks into size classes, names
 *               what the top classes hold and adds the high-memory
 *               finding; kept as "heapstats".
 *   "address-space" (address_space.c) sums the address space by kind and
 *               protection for every dump (cores and minidumps alike).
 *
 * Memory: a dump may hold tens of millions of allocations, and the walk
 * must stay under a tenth of the heap's size.  So a chunk is 16 bytes
 * (its address and its size with the state in the low bits), the chunks
 * live in one array sorted by address, and per-chunk facts of later passes
 * are bit sets indexed like the array (struct cr_leaks).
 */
#ifndef CR_HEAP_H
#define CR_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cr_analysis;

/* Which allocator the process used, as recognised by its modules and
 * symbols (or by the shape of its data). */
enum cr_heap_allocator {
	CR_HEAP_NONE = 0,	/* not recognised, or no heap in the dump */
	CR_HEAP_GLIBC,		/* ptmalloc: walked */
	CR_HEAP_JEMALLOC,	/* recognised, not walked */
	CR_HEAP_TCMALLOC,
	CR_HEAP_MIMALLOC,
	CR_HEAP_WINDOWS,	/* the NT heap of a minidump: not walked */
};

/* A chunk's state (the low bits of struct cr_heap_chunk.size_state). */
enum cr_chunk_state {
	CR_CHUNK_IN_USE = 0,	/* handed out by malloc and not freed */
	CR_CHUNK_FREE = 1,	/* in a bin, a fastbin, the tcache or the top */
	CR_CHUNK_MMAPPED = 2,	/* in use, in a mapping of its own */
	CR_CHUNK_INTERNAL = 3,	/* in use by the allocator itself (the
				 * tcache_perthread_struct) */
};
#define CR_CHUNK_STATE_MASK 7u

/*
 * One chunk.  ADDR is the address malloc returned (the user pointer, not
 * the chunk header); SIZE_STATE the chunk's size as the allocator counts
 * it (header included: glibc's chunksize(), a multiple of 16 on 64-bit,
 * of 8 on 32-bit) ORed with its enum cr_chunk_state.
 */
struct cr_heap_chunk {
	uint64_t addr;
	uint64_t size_state;
};

static inline uint64_t cr_chunk_size(const struct cr_heap_chunk *c)
{
	return c->size_state & ~(uint64_t)CR_CHUNK_STATE_MASK;
}

static inline enum cr_chunk_state cr_chunk_state(const struct cr_heap_chunk *c)
{
	return (enum cr_chunk_state)(c->size_state & CR_CHUNK_STATE_MASK);
}

static inline bool cr_chunk_in_use(const struct cr_heap_chunk *c)
{
	enum cr_chunk_state s = cr_chunk_state(c);

	return s == CR_CHUNK_IN_USE || s == CR_CHUNK_MMAPPED;
}

/* An arena (glibc's struct malloc_state) and what its walk found. */
struct cr_heap_arena {
	uint64_t addr;		/* the malloc_state in dump memory */
	bool main;		/* main_arena (the brk heap) */
	uint64_t system_mem;	/* bytes it took from the system */
	size_t first, count;	/* its chunks: heap->chunks[first..+count) */
	uint64_t in_use_bytes, free_bytes;	/* chunk sizes summed */
	size_t in_use_count, free_count;
	size_t nheaps;		/* heap segments walked (1 for main) */
};

/*
 * What the "heap" pass keeps as "heap".  WALKED is true when the chunks
 * below are a walk of the allocator's heaps (possibly partial: see
 * ncorrupt and complete); false when the allocator was only recognised
 * (jemalloc, the NT heap) or no heap was found: the report says so.
 */
struct cr_heap {
	enum cr_heap_allocator allocator;
	const char *allocator_name;	/* static: "glibc malloc 2.36", ... */
	bool walked;
	/* Why the heap was not walked when the allocator is one coroner
	 * walks (static plain words: "the dump is a crash outside the
	 * allocator"), NULL otherwise; see cr_heap_mode. */
	const char *skipped;
	bool complete;		/* every heap segment walked to its end and
				 * every captured byte of it present */
	unsigned word;		/* pointer size of the target: 4 or 8 */

	struct cr_heap_arena *arenas;
	size_t narenas;
	/* Every chunk of every arena and the mmapped chunks, sorted by addr,
	 * not overlapping. */
	struct cr_heap_chunk *chunks;
	size_t nchunks;
	/* The bytes of the anonymous mapping chunks is (cr_heap_free
	 * unmaps it; heap_glibc.c's chunk_space), 0 when malloc'd. */
	size_t chunks_mapped;
	/* The address ranges the heap occupies (brk heap, arena heaps,
	 * mmapped chunks), sorted, for "is this word a heap pointer". */
	struct { uint64_t start, end; } *ranges;
	size_t nranges;

	/* Totals over all arenas (chunk sizes). */
	uint64_t in_use_bytes, free_bytes, mmapped_bytes;
	size_t in_use_count, free_count, mmapped_count;
	/* Inconsistencies found (each is a heap-corruption finding, up to a
	 * limit; this counts them all). */
	size_t ncorrupt;
};

/*
 * Which heap analysis a dump gets (--heap, --no-heap; cr_heap_mode).  By
 * default, as DebugDiag picks its memory-pressure rules for a dump taken
 * for memory and its crash rules for a crash: a dump taken on demand (or
 * for a signal sent from outside) and an out-of-memory crash get the walk,
 * the leaks and the statistics; a crash whose stack runs through the
 * allocator, or with the allocator's abort message, gets the walk (heap
 * corruption); any other crash none of them (a stack overflow or a null
 * dereference does not need the heap, whose scan can take longer than all
 * the rest of the analysis).
 *   cr_heap_walk_wanted  NULL when the heap is to be walked, else why not
 *                        (static plain words for the report);
 *   cr_heap_all_wanted   leaks and statistics too.
 */
struct cr_pass_ctx;
const char *cr_heap_walk_wanted(const struct cr_pass_ctx *ctx);
bool cr_heap_all_wanted(const struct cr_pass_ctx *ctx);

/* FN is a function of glibc's malloc (malloc, free, _int_malloc,
 * malloc_printerr, ...): heap.c's table. */
bool cr_heap_allocator_function(const char *fn);
/* Frames from the top of a stack looked at for "inside the allocator". */
#define CR_HEAP_BUSY_FRAMES 8

/* The heap the "heap" pass kept, NULL when it did not run or kept none. */
const struct cr_heap *cr_heap_of(const struct cr_analysis *a);
void cr_heap_free(void *heap);	/* the free function for cr_pass_keep */

/*
 * The chunk whose user bytes [addr, addr + size - header) contain ADDR,
 * or -1.  O(log n); the leaks pass builds its own page index for speed.
 */
ssize_t cr_heap_chunk_at(const struct cr_heap *h, uint64_t addr);

/* The roots the dump lacks (the leaks pass): what only they point to is
 * counted as leaked. */
struct cr_leaks_missing {
	size_t stacks;		/* threads whose live stack is not captured */
	uint64_t writable_bytes; /* writable memory, neither stack nor heap */
};

/* "3 threads' stacks and 12 MiB of writable memory" (the roots M says
 * the dump lacks) into BUF of LEN bytes (96 is enough); returns BUF. */
const char *cr_leaks_missing_text(char *buf, size_t len,
				  const struct cr_leaks_missing *m);

/*
 * What the "leaks" pass keeps as "leaks": the in-use chunks nothing
 * reaches from the roots (registers, stacks from their stack pointers up,
 * every writable captured region outside the heap: module data, TLS,
 * anonymous mappings, other allocators' memory), as a bit set indexed
 * like heap->chunks.
 */
struct cr_leaks {
	bool done;		/* the mark ran to the end over a walked heap */
	uint64_t *leaked;	/* (nchunks + 63) / 64 words; bit i: chunk i */
	size_t nleaked;
	uint64_t leaked_bytes;	/* chunk sizes summed */
	uint64_t roots_bytes;	/* bytes scanned as roots */
	struct cr_leaks_missing missing;	/* roots not in the dump */
};

const struct cr_leaks *cr_leaks_of(const struct cr_analysis *a);
void cr_leaks_free(void *leaks);

static inline bool cr_leaks_has(const struct cr_leaks *l, size_t i)
{
	return l && l->leaked && (l->leaked[i / 64] >> (i % 64)) & 1;
}

#endif
