/*
 * heap_stats.h - what the heap holds, by size class: the "heapstats"
 * pass (heap_stats.c) groups the walked heap's chunks (passes/heap.h) by
 * chunk size, names what the top classes hold and keeps a struct
 * cr_heap_stats as "heapstats" for the reports.
 *
 * Sizes are chunk sizes (the allocator's, header included); a class's
 * usable size, what the program asked for rounded up, is the chunk size
 * minus the header (one word: glibc's size field; the previous-size field
 * belongs to the chunk before while it is in use).
 */
#ifndef CR_HEAP_STATS_H
#define CR_HEAP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cr_analysis;

#define CR_HEAP_TOP 10		/* top classes and largest allocations */
#define CR_HEAP_SAMPLE 64	/* chunks of a class read to name it */
#define CR_HEAP_SIG_MAX 16	/* longest leading signature */
#define CR_HEAP_TEXT_MAX 48	/* bytes of a text sample */

/* What a top class's allocations hold, from a sample of them. */
struct cr_heap_content {
	size_t sampled;		/* chunks read */
	/* The class named by a vtable pointer in the first word ("Order"
	 * from `vtable for Order`), NULL none; type_count of the sampled
	 * chunks point to it. */
	char *type;
	size_t type_count;
	/* The longest leading bytes most sampled chunks share (at least 4),
	 * sig_len 0 none; sig_count of the sampled chunks start with them. */
	uint8_t sig[CR_HEAP_SIG_MAX];
	size_t sig_len, sig_count;
	/* Printable text most sampled chunks start with: one sample
	 * (NUL-terminated, at most CR_HEAP_TEXT_MAX bytes), NULL none;
	 * text_count of the sampled chunks start with text. */
	char *text;
	size_t text_count;
};

/* One size class: the chunks of one chunk size. */
struct cr_heap_class {
	uint64_t size;		/* chunk size */
	size_t count;		/* in use (mmapped included) */
	/* Not in count: the in-use chunks of the class just above (less
	 * than 4 words larger) when far fewer than this one's, maybe this
	 * class's requests served from free chunks whose rest was too small
	 * to split off (heap_stats.c, fold_unsplit).  Their class keeps
	 * counting them: a figure shown beside count, not a move. */
	size_t larger;
	uint64_t bytes;		/* count * size */
	size_t free_count;
	size_t leaked_count;	/* in use and unreached ("leaks" facts) */
	uint64_t leaked_bytes;
	struct cr_heap_content *content;	/* top classes only, else NULL */
};

struct cr_heap_stats {
	unsigned header;	/* chunk header bytes: the word size */
	uint64_t in_use_bytes, free_bytes;	/* chunk sizes summed */
	size_t in_use_count, free_count;
	uint64_t overhead_bytes;	/* in_use_count * header */
	bool leaks_known;		/* the "leaks" pass ran to its end */
	size_t leaked_count;
	uint64_t leaked_bytes;

	/* Every size class, by chunk size ascending (the histogram). */
	struct cr_heap_class *classes;
	size_t nclasses;
	/* Indexes into classes: the top ones by in-use bytes and by count,
	 * largest first. */
	size_t by_bytes[CR_HEAP_TOP], nby_bytes;
	size_t by_count[CR_HEAP_TOP], nby_count;
	/* Indexes into the heap's chunks of the largest in-use allocations,
	 * largest first. */
	size_t largest[CR_HEAP_TOP], nlargest;

	/* Fragmentation: the free bytes outside the arenas' top chunks
	 * (glibc's wilderness, which returns to the system) and the largest
	 * such free chunk.  free_bytes - top_free_bytes == free_outside_top. */
	uint64_t top_free_bytes, free_outside_top, largest_free;
};

/* The statistics the "heapstats" pass kept, NULL none. */
const struct cr_heap_stats *cr_heap_stats_of(const struct cr_analysis *a);
void cr_heap_stats_free(void *stats);	/* for cr_pass_keep */

/* V as "1,234,567" and as "518 MiB" / "12.5 KiB" / "812 bytes" (binary
 * units, as memory is counted in pages) into BUF of LEN bytes (CR_FMT_LEN is enough); returns BUF.  The
 * finding's title and the report's Memory section write sizes alike. */
#define CR_FMT_LEN 32
const char *cr_fmt_thousands(uint64_t v, char *buf, size_t len);
const char *cr_fmt_bytes(uint64_t v, char *buf, size_t len);

/* The usable size of a class: its chunk size minus the header. */
static inline uint64_t cr_heap_usable(const struct cr_heap_stats *s,
				      const struct cr_heap_class *c)
{
	return c->size > s->header ? c->size - s->header : 0;
}

#endif
