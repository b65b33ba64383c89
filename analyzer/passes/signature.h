/*
 * signature.h - what a dump is and which bucket it falls in: the keys the
 * batch index (issue 11) groups dumps by.
 *
 * The "signature" pass (signature.c) fills, in a->crash:
 *   signature   the human-readable key: the code's name and the frames
 *               joined by " | " ("SIGSEGV crash_null | main"); a dump
 *               taken on demand keeps its top finding's ("deadlock:
 *               mutex_a / mutex_b");
 *   sig_frames  the normalized meaningful frames (owned, nsig_frames
 *               entries, at most cr_options.signature_frames): of the
 *               crashing thread, or of the focus thread of a dump taken on
 *               demand; a recursion is one entry "recursion(a | b)";
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

/* Frames in a signature when cr_options.signature_frames is 0
 * (docs/signatures.md); a build may define another. */
#ifndef CR_SIGNATURE_FRAMES
#define CR_SIGNATURE_FRAMES 5
#endif
/* The most --signature-frames accepts. */
#define CR_SIGNATURE_FRAMES_MAX 32

/*
 * The normalizer (signature_norm.c, rules in docs/signatures.md).
 * cr_sig_function: FUNCTION (demangled) without parameter lists, template
 * arguments, return type, clone suffixes (".isra.0.cold"), Rust hash,
 * Windows "module!" and "+0x12": "std::vector<int>::push_back(int const&)"
 * -> "std::vector::push_back"; "" when nothing is left.  cr_sig_module:
 * MODULE's file name without directory and ".so" version ("libfoo.so").
 * Both malloc'd, NULL when out of memory.  cr_sig_module_is_own: M is the
 * executable or a library outside the system's directories (NULL: false).
 */
char *cr_sig_function(const char *function);
char *cr_sig_module(const char *module);
bool cr_sig_module_is_own(const struct cr_module *m);

/*
 * The signature frames of stack S of dump D, at most N: the meaningful
 * frames normalized, a recursion on top keyed on its cycle ("recursion(a |
 * b)" rotated to start at its smallest name, then the first frame below
 * it); OVERFLOW (a stack overflow) drops the frames above the cycle, HEAP
 * (heap corruption) the allocator's.  *OUT (owned strings) gets *NOUT
 * entries, none when nothing is meaningful.  False when out of memory.
 */
bool cr_sig_stack_frames(const struct cr_dump *d, const struct cr_stack *s,
			 size_t n, bool overflow, bool heap, char ***out,
			 size_t *nout);

#endif
