/*
 * util.h - the small helpers every layer uses (formats/, analyzer/,
 * reports/, tests/): the length of a table, the file name of a path, and
 * growing an array by doubling.
 *
 * One copy of each, because each had been written again per file with
 * small differences (which separators count, what an empty name gives).
 */
#ifndef CR_UTIL_H
#define CR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Number of elements of a true array (not a pointer). */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The part of PATH after its last '/' or '\\' (minidumps name Windows
 * paths, cores Linux ones); a separator at the very end does not count, so
 * the name is never empty unless PATH is.  NULL for NULL.  Points into PATH.
 */
const char *cr_basename(const char *path);

/*
 * Make room for NEED elements of SIZE bytes in the array P of capacity
 * *CAP: returns P when it is big enough, else a larger copy (capacity
 * doubled from FIRST, at least NEED; *CAP updated), or NULL when out of
 * memory or the size overflows (P then unchanged and still owned by the
 * caller).  Use it through CR_GROW.
 */
void *cr_grow_array(void *p, size_t *cap, size_t need, size_t size, size_t first);

/*
 * Ensure ARR (a T * with capacity CAP, a size_t lvalue) holds NEED
 * elements; true on success, false when out of memory (ARR untouched).
 *   if (!CR_GROW(v->items, v->cap, v->n + 1)) return &cr_enomem;
 */
#define CR_GROW(arr, cap, need) __extension__ ({			\
	size_t need_ = (need);						\
	bool ok_ = need_ <= (cap);					\
	if (!ok_) {							\
		void *grown_ = cr_grow_array((arr), &(cap), need_,	\
					     sizeof(*(arr)), 8);	\
		if (grown_) {						\
			(arr) = grown_;					\
			ok_ = true;					\
		}							\
	}								\
	ok_; })

/*
 * 64-bit FNV-1a of P[0..N), continuing from H (CR_FNV1A_INIT to start):
 * small and stable across builds and machines, for hash tables and for
 * keys kept between runs (bucket ids, the batch store's content hash).
 */
#define CR_FNV1A_INIT 0xcbf29ce484222325ull
uint64_t cr_fnv1a(uint64_t h, const void *p, size_t n);

/* Seconds on CLOCK_MONOTONIC: for intervals and deadlines. */
double cr_mono_seconds(void);

#endif
