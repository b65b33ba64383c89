/*
 * signature.h - what a dump is and which bucket it falls in: the keys the
 * batch index (issue 11) groups dumps by.
 *
 * The "signature" pass (signature.c) fills, in a->crash:
 *   signature   the human-readable key ("SIGSEGV null-pointer-dereference
 *               crash_null" today; normalized meaningful frames joined by
 *               " | " is the goal);
 *   sig_frames  the normalized frames the signature is made of (owned,
 *               nsig_frames entries; none for a dump without a crash);
 *   code        the exit code or exception code the index groups by first:
 *               "SIGSEGV", "0xC0000005", NULL for a dump without one (taken
 *               on demand);
 *   bucket      a short stable id: a hash of the code and the signature's
 *               frames (never of the crash class, which refines the title
 *               but not the bucket), lower-case hex.
 * cr_dump_kind_of says what kind of dump it is from the crash and the top
 * finding.  Both are pure functions of the analysis: the batch command
 * calls them after cr_analyze, reports print them.
 */
#ifndef CR_SIGNATURE_H
#define CR_SIGNATURE_H

#include "analysis.h"

enum cr_dump_kind {
	CR_DUMP_KIND_CRASH = 0,
	CR_DUMP_KIND_HANG,
	CR_DUMP_KIND_HIGH_CPU,
	CR_DUMP_KIND_HIGH_MEMORY,
	CR_DUMP_KIND_UNKNOWN,
};
#define CR_DUMP_KIND_COUNT 5

/* Stable id for JSON and the store: "crash", "hang", "high-cpu",
 * "high-memory", "unknown". */
const char *cr_dump_kind_id(enum cr_dump_kind k);
/* Plain words for the index's headings: "Crashes", "Hangs", ... */
const char *cr_dump_kind_title(enum cr_dump_kind k);

/* What A is: a crash of its own is a crash; otherwise the kind of its top
 * finding (warnings and errors only), else unknown. */
enum cr_dump_kind cr_dump_kind_of(const struct cr_analysis *a);

/* Length of a bucket id in hex digits. */
#define CR_BUCKET_ID_LEN 12

#endif
