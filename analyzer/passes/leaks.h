/*
 * leaks.h - between the leaks pass's mark (leaks.c) and its finding
 * (leaks_finding.c).  The other passes read the result through heap.h
 * (cr_leaks_of, cr_leaks_has).
 */
#ifndef CR_LEAKS_H
#define CR_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "pass.h"

/*
 * Add the probable-leak finding for the leaks L found in heap H (nothing
 * when they are few enough to be normal: see leaks_finding.c), with the
 * roots missing from the dump (l->missing).  False when out of memory.
 */
bool cr_leaks_report(struct cr_pass_ctx *ctx, const struct cr_heap *h,
		     const struct cr_leaks *l);

/*
 * Whether the mark skips blocks of words that hold no heap address with
 * AVX2 (leaks.c: skip_to_candidate): on x86_64 when the CPU has AVX2, the
 * kernel saves its registers and CORONER_NO_AVX2 is unset or empty.
 */
bool cr_leaks_block_filter(void);

#endif
