/*
 * heap_glibc.h - the glibc malloc (ptmalloc) walk of pass "heap": the
 * interface between heap.c (which recognises the allocator and keeps the
 * result) and heap_glibc.c (which finds the arenas and walks them).
 */
#ifndef CR_HEAP_GLIBC_H
#define CR_HEAP_GLIBC_H

#include "heap.h"
#include "pass.h"

/* At most this many heap-corruption findings per dump; the rest are
 * counted in cr_heap.ncorrupt and summed up in one more finding. */
#define CR_HEAP_MAX_CORRUPT_FINDINGS 8

/*
 * Walk glibc's heap of the process in CTX's dump into H (allocator,
 * word already set).  LIBC is the libc module.  Sets H->walked when the
 * main arena was found (by the symbol main_arena or by its shape), adds a
 * heap-corruption finding per inconsistency (up to the limit) and a
 * problem for what it could not do.  Returns an error only when out of
 * memory.
 */
struct cr_error *cr_heap_glibc_walk(struct cr_pass_ctx *ctx,
				    struct cr_heap *h,
				    const struct cr_module *libc);

#endif
