/*
 * series_heap.h - how the heap grew across a series of one process's dumps
 * (series.h): the size classes of each dump's heap statistics
 * (passes/heap_stats.h) matched by chunk size from the first dump to the
 * last, their growth in count and bytes and its rate per minute, and each
 * dump's totals.  Built by series_heap.c from cr_series_analyze and kept
 * in struct cr_series (its `heap`), which the JSON report prints as
 * series.heap; the finding is `series-heap-growth`.
 */
#ifndef CR_SERIES_HEAP_H
#define CR_SERIES_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The heap grew when the bytes in use went up by at least both of these
 * from the first dump to the last: a percentage of the first dump's, so a
 * big process's noise is no leak, and an absolute size, so a small
 * program's few allocations are none either. */
#define CR_SERIES_HEAP_GROWTH_PERCENT 10
#define CR_SERIES_HEAP_GROWTH_MIN (1ull << 20)
/* Classes kept and listed: the ones whose bytes grew most. */
#define CR_SERIES_HEAP_CLASSES 10

/* One dump's heap totals (its kept heap statistics). */
struct cr_series_heap_dump {
	bool known;		/* the dump's heap was walked */
	uint64_t in_use_bytes;	/* chunk sizes summed */
	size_t in_use_count;
	bool leaks_known;	/* the leaks pass ran to its end */
	size_t leaked_count;
	uint64_t leaked_bytes;
};

/* One size class (a chunk size) that grew from the first dump to the
 * last. */
struct cr_series_heap_class {
	uint64_t size;		/* chunk size */
	uint64_t usable;	/* chunk size minus the header */
	/* What its allocations hold, from the latest dump in which it was a
	 * top class (only those are sampled): a type named by a vtable,
	 * printable text (a sample); NULL unknown. */
	char *type;
	char *text;
	size_t *counts;		/* in use in each dump (0 where unknown) */
	uint64_t count_growth;	/* last - first (more in the last) */
	uint64_t bytes_growth;
	bool monotonic;		/* never fewer than in the dump before */
	bool leaked_known;
	size_t leaked_last;	/* unreached in the last dump */
};

struct cr_series_heap {
	unsigned header;	/* chunk header bytes */
	size_t ndumps;		/* as the series' */
	struct cr_series_heap_dump *dumps;	/* in time order */
	size_t first, last;	/* the first and last dumps with a walked
				 * heap: the growth is measured between them */
	double seconds;		/* from dump first to dump last, 0 unknown
				 * (the series' order clock) */
	int64_t growth_bytes;	/* in use, last - first */
	bool monotonic;		/* the total never went down */
	bool grew;		/* above both thresholds: the warning */
	/* The classes whose bytes grew most, largest growth first. */
	struct cr_series_heap_class *classes;
	size_t nclasses;
	size_t ngrowing;	/* every class that grew (listed or not) */
};

struct cr_series;
struct cr_series_input;
struct cr_pass_ctx;

/*
 * Compare the heap statistics of the analyses IN[0..S->ndumps) (in time
 * order, S's dumps) and keep the result in S->heap (left NULL when fewer
 * than two dumps have a walked heap); add the series-heap-growth finding
 * through CTX.  False only when out of memory.
 */
bool cr_series_heap(struct cr_pass_ctx *ctx, struct cr_series *s,
		    const struct cr_series_input *in);
void cr_series_heap_free(struct cr_series_heap *h);

/* Whether H (NULL: no) shows the heap's allocations changing between
 * dumps: some thread ran, whatever the stacks say. */
bool cr_series_heap_changed(const struct cr_series_heap *h);

/* The growth per minute of GROWTH over H's interval; false when H has no
 * time (then the rate is unknown). */
bool cr_series_heap_rate(const struct cr_series_heap *h, double growth,
			 double *per_minute);

#endif
