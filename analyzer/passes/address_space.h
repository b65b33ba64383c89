/*
 * address_space.h - the process's address space summed by kind and by
 * protection, like WinDbg's `!address -summary`, for every dump.
 *
 * The "address-space" pass (address_space.c) keeps a struct cr_as_summary
 * as "address-space" for the heap statistics (the high-memory rule weighs
 * the heap against the process's private memory) and the reports.
 */
#ifndef CR_ADDRESS_SPACE_H
#define CR_ADDRESS_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cr_analysis;

/* What a region is, in the order a region is tested for it: a region
 * holding a thread's stack pointer is a stack even when its type says
 * private memory, the heap's ranges are heap before they are anonymous. */
enum cr_as_kind {
	CR_AS_STACK,	/* holds a thread's stack pointer or captured stack,
			 * or is named [stack] */
	CR_AS_HEAP,	/* the walked heap's ranges (brk heap, arena heaps,
			 * mmapped chunks), the NT process heaps of the PEB,
			 * or named [heap] */
	CR_AS_IMAGE,	/* a module's mapping (MEM_IMAGE, or inside a
			 * loaded module's range) */
	CR_AS_MAPPED,	/* a mapped file that is not a module, MEM_MAPPED */
	CR_AS_PRIVATE,	/* anonymous private memory */
	CR_AS_OTHER,	/* the kernel's special mappings ([vdso], [vvar]),
			 * regions the dump does not type */
	CR_AS_NKINDS
};

/* "stack", "heap", "image", "mapped file", "private", "other". */
const char *cr_as_kind_name(enum cr_as_kind k);

struct cr_as_total {
	uint64_t bytes;
	size_t count;
};

/* One region of the largest ones (PATH points into the dump model). */
struct cr_as_region {
	uint64_t start, end;
	enum cr_as_kind kind;
	bool prot_known;
	unsigned prot;		/* CR_PROT_* */
	const char *path;	/* NULL anonymous */
};

#define CR_AS_TOP 10		/* largest regions kept */
#define CR_AS_NPROT 8		/* protections: every CR_PROT_* combination */

struct cr_as_summary {
	struct cr_as_total all;	/* every region; the kinds sum to it, and
				 * so do the protections with prot_unknown */
	struct cr_as_total kinds[CR_AS_NKINDS];
	/* By protection: prots[CR_PROT_R | CR_PROT_W] is "rw-" memory;
	 * regions whose protection the dump does not record are in
	 * prot_unknown. */
	struct cr_as_total prots[CR_AS_NPROT];
	struct cr_as_total prot_unknown;
	/* The largest regions, largest first. */
	struct cr_as_region largest[CR_AS_TOP];
	size_t nlargest;
	/* Windows: the process heaps of the PEB (its ProcessHeap first, then
	 * the others of ProcessHeaps; read from a thread's TEB), when the dump
	 * holds the PEB. */
	bool nt_heaps_known;
	uint64_t *nt_heaps;
	size_t nnt_heaps;
	/* The dump lists no regions: these are its captured memory ranges
	 * (a minidump without MemoryInfoList), of unknown protection. */
	bool from_memory;
	/* The heap kind came from the walked heap ("heap" kept facts). */
	bool heap_walked;
};

/* The summary the "address-space" pass kept, NULL when it did not run. */
const struct cr_as_summary *cr_as_summary_of(const struct cr_analysis *a);
void cr_as_summary_free(void *summary);	/* for cr_pass_keep */

/* "rwx", "r--", ... for CR_PROT_* bits, static. */
const char *cr_as_prot_name(unsigned prot);

#endif
