/*
 * address_space.c - the "address-space" pass: the dump's memory regions
 * summed by kind (stack, heap, image, mapped file, private, other) and by
 * protection, and the largest regions, like WinDbg's `!address -summary`.
 * Runs for every dump; adds no finding (the heap statistics weigh the heap
 * against these totals).
 *
 * The regions are what the dump says the address space was: a core's
 * program headers with the file paths of its NT_FILE note, a minidump's
 * MemoryInfoList (committed regions, with their MEM_IMAGE / MEM_MAPPED /
 * MEM_PRIVATE type and AllocationBase); for a dump that lists no regions,
 * its captured memory ranges (paths, protections and types unknown).  A
 * region's kind, first rule that
 * holds (enum cr_as_kind):
 *   stack   it holds a thread's stack pointer or the start of its captured
 *           stack, or the kernel named it [stack];
 *   heap    it meets a range of the walked heap (the "heap" pass's kept
 *           facts: the pass runs after "heap" for this), or belongs to the
 *           allocation of a process heap the PEB lists (Windows), or is
 *           named [heap];
 *   image   MEM_IMAGE, or it lies in a loaded module's range (a core's
 *           module spans its file mappings and its .bss);
 *   mapped  MEM_MAPPED, or any other file path;
 *   other   a bracketed kernel name ([vdso], [vvar], [vsyscall]), a
 *           kernel address, or a minidump region of no known type;
 *   private the rest: anonymous memory.
 *
 * The PEB (x64: TEB+0x60; ProcessHeap, the default heap, at PEB+0x30,
 * NumberOfHeaps at +0xE8, ProcessHeaps at +0xF0; x86: TEB+0x30, +0x18,
 * +0x88, +0x90; wine fills ProcessHeap only: the PEB layout of every Windows
 * since XP, public in the Windows SDK's winternl.h and the ReactOS
 * headers) is read through the typed reader, each value checked: the
 * count is bounded, every heap pointer must lie in a captured region.
 */
#include <stdlib.h>
#include <string.h>

#include "address_space.h"
#include "cursor.h"
#include "error.h"
#include "heap.h"
#include "pass.h"
#include "util.h"

#define NT_MAX_HEAPS 4096
/* 64-bit addresses from here up are the kernel's (x86_64's and aarch64's
 * canonical upper half); a core lists [vsyscall] there, without a name. */
#define KERNEL_HALF 0xffff800000000000ull	/* more in a PEB is not a heap list */

static const char *const kind_names[CR_AS_NKINDS] = {
	[CR_AS_STACK] = "stack",
	[CR_AS_HEAP] = "heap",
	[CR_AS_IMAGE] = "image",
	[CR_AS_MAPPED] = "mapped file",
	[CR_AS_PRIVATE] = "private",
	[CR_AS_OTHER] = "other",
};

const char *cr_as_kind_name(enum cr_as_kind k)
{
	return (unsigned)k < CR_AS_NKINDS ? kind_names[k] : "?";
}

const char *cr_as_prot_name(unsigned prot)
{
	static const char *const names[CR_AS_NPROT] = {
		"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx",
	};
	return names[prot & (CR_AS_NPROT - 1)];
}

/* Where the PEB's heap list is, per architecture (offsets above). */
static const struct {
	enum cr_arch arch;
	uint64_t teb_peb, peb_heap, peb_nheaps, peb_heaps;
} peb_layouts[] = {
	{ CR_ARCH_X86_64, 0x60, 0x30, 0xe8, 0xf0 },
	{ CR_ARCH_X86, 0x30, 0x18, 0x88, 0x90 },
};

#define KIND_UNSET 0xff

struct as_state {
	struct cr_pass_ctx *ctx;
	const struct cr_dump *d;
	unsigned char *kind;	/* per region, KIND_UNSET until decided */
	struct cr_as_summary *s;
};

static void mark(struct as_state *st, size_t i, enum cr_as_kind k)
{
	if (st->kind[i] == KIND_UNSET)
		st->kind[i] = (unsigned char)k;
}

/* Mark the region holding ADDR, if any. */
static void mark_at(struct as_state *st, uint64_t addr, enum cr_as_kind k)
{
	size_t r = cr_dump_region_rank(st->d, addr);
	if (r > 0 && addr < st->d->regions[r - 1].end)
		mark(st, r - 1, k);
}

/* Mark every region meeting [start, end). */
static void mark_range(struct as_state *st, uint64_t start, uint64_t end,
		       enum cr_as_kind k)
{
	size_t r = cr_dump_region_rank(st->d, start);
	if (r > 0 && start < st->d->regions[r - 1].end)
		r--;
	for (; r < st->d->nregions && st->d->regions[r].start < end; r++)
		mark(st, r, k);
}

static void mark_stacks(struct as_state *st)
{
	const struct cr_dump *d = st->d;
	for (size_t t = 0; t < d->nthreads; t++) {
		uint64_t sp;
		if (cr_thread_sp(d, &d->threads[t], &sp))
			mark_at(st, sp, CR_AS_STACK);
		if (d->threads[t].stack_hi > d->threads[t].stack_lo)
			mark_at(st, d->threads[t].stack_lo, CR_AS_STACK);
	}
}

static void mark_walked_heap(struct as_state *st)
{
	const struct cr_heap *h = cr_pass_kept(st->ctx->analysis, "heap");
	if (!h || !h->walked)
		return;
	st->s->heap_walked = true;
	for (size_t i = 0; i < h->nranges; i++)
		mark_range(st, h->ranges[i].start, h->ranges[i].end, CR_AS_HEAP);
}

/* The regions of the allocation holding ADDR (same AllocationBase; they
 * are contiguous from it), or only the region when the base is unknown. */
static void mark_allocation(struct as_state *st, uint64_t addr)
{
	const struct cr_dump *d = st->d;
	size_t r = cr_dump_region_rank(d, addr);
	if (r == 0 || addr >= d->regions[r - 1].end)
		return;
	size_t first = r - 1, end = r;
	uint64_t base = d->regions[first].alloc_base;
	while (base && first > 0 && d->regions[first - 1].alloc_base == base)
		first--;
	while (base && end < d->nregions && d->regions[end].alloc_base == base)
		end++;
	for (size_t i = first; i < end; i++)
		mark(st, i, CR_AS_HEAP);
}

/* The PEB's ProcessHeaps, from the first thread whose TEB leads to a
 * readable PEB.  False when out of memory. */
static bool read_nt_heaps(struct as_state *st)
{
	const struct cr_dump *d = st->d;
	const struct cr_target *t = &st->ctx->target;
	size_t l = 0;
	while (l < ARRAY_LEN(peb_layouts) &&
	       peb_layouts[l].arch != d->process.arch)
		l++;
	if (d->process.os != CR_OS_WINDOWS || l == ARRAY_LEN(peb_layouts))
		return true;
	for (size_t i = 0; i < d->nthreads; i++) {
		uint64_t teb = d->threads[i].teb, peb, list, addr;
		uint32_t n;
		if (!teb || cr_add_overflows(teb, peb_layouts[l].teb_peb, &addr) ||
		    !cr_target_pointer(t, addr, &peb) || !peb ||
		    cr_add_overflows(peb, peb_layouts[l].peb_nheaps, &addr) ||
		    !cr_target_u32(t, addr, &n) ||
		    cr_add_overflows(peb, peb_layouts[l].peb_heaps, &addr) ||
		    !cr_target_pointer(t, addr, &list))
			continue;
		if (n > NT_MAX_HEAPS) {
			cr_pass_problem(st->ctx, CR_AT_ADDRESS(CR_SEVERITY_WARNING, peb),
					"the PEB lists %u process heaps: not a heap list, ignored",
					n);
			return true;
		}
		uint64_t *heaps = calloc((size_t)n + 1, sizeof(*heaps));
		if (!heaps)
			return false;
		size_t k = 0;
		uint64_t def;
		if (!cr_add_overflows(peb, peb_layouts[l].peb_heap, &addr) &&
		    cr_target_pointer(t, addr, &def) && def &&
		    cr_dump_region_at(d, def))
			heaps[k++] = def;
		for (uint32_t j = 0; j < n; j++) {
			uint64_t hp;
			if (cr_add_overflows(list, (uint64_t)j * t->word_size, &addr) ||
			    !cr_target_pointer(t, addr, &hp))
				break;
			if (hp && (!k || hp != heaps[0]) && cr_dump_region_at(d, hp))
				heaps[k++] = hp;	/* the default heap once */
		}
		st->s->nt_heaps = heaps;
		st->s->nnt_heaps = k;
		st->s->nt_heaps_known = true;
		for (size_t j = 0; j < k; j++)
			mark_allocation(st, heaps[j]);
		return true;
	}
	return true;
}

/* The kind of region R by its own properties (the last rules above). */
static enum cr_as_kind kind_of(const struct cr_dump *d,
			       const struct cr_region *r)
{
	static const struct {
		const char *path;
		enum cr_as_kind kind;
	} named[] = {
		{ "[stack]", CR_AS_STACK },
		{ "[heap]", CR_AS_HEAP },
	};
	if (d->process.pointer_size == 8 && r->start >= KERNEL_HALF)
		return CR_AS_OTHER;	/* [vsyscall]: the kernel's page */
	if (r->path && r->path[0] == '[') {
		for (size_t i = 0; i < ARRAY_LEN(named); i++)
			if (!strcmp(r->path, named[i].path))
				return named[i].kind;
		return CR_AS_OTHER;
	}
	switch (r->type) {
	case CR_REGION_TYPE_IMAGE:
		return CR_AS_IMAGE;
	case CR_REGION_TYPE_MAPPED:
		return CR_AS_MAPPED;
	case CR_REGION_TYPE_PRIVATE:
		return CR_AS_PRIVATE;
	case CR_REGION_TYPE_UNKNOWN:
		break;
	}
	if (cr_dump_module_at(d, r->start))
		return CR_AS_IMAGE;
	if (r->path)
		return CR_AS_MAPPED;
	/* A minidump types every region it lists; one it does not type is
	 * not anonymous memory we know of. */
	return d->process.os == CR_OS_WINDOWS ? CR_AS_OTHER : CR_AS_PRIVATE;
}

static void add_total(struct cr_as_total *t, uint64_t bytes)
{
	t->count++;
	if (cr_add_overflows(t->bytes, bytes, &t->bytes))
		t->bytes = UINT64_MAX;
}

/* Insert R among the largest regions if it is one of them. */
static void keep_largest(struct cr_as_summary *s, const struct cr_as_region *r)
{
	uint64_t size = r->end - r->start;
	size_t i = s->nlargest;
	if (i == CR_AS_TOP) {
		const struct cr_as_region *last = &s->largest[CR_AS_TOP - 1];
		if (size <= last->end - last->start)
			return;
		i--;
	} else {
		s->nlargest++;
	}
	while (i > 0 && s->largest[i - 1].end - s->largest[i - 1].start < size) {
		s->largest[i] = s->largest[i - 1];
		i--;
	}
	s->largest[i] = *r;
}

void cr_as_summary_free(void *summary)
{
	struct cr_as_summary *s = summary;
	if (!s)
		return;
	free(s->nt_heaps);
	free(s);
}

const struct cr_as_summary *cr_as_summary_of(const struct cr_analysis *a)
{
	return cr_pass_kept(a, "address-space");
}

/* The captured memory ranges as regions of unknown protection and type,
 * for a dump that lists no regions; NULL when out of memory. */
static struct cr_region *regions_of_segments(const struct cr_dump *d)
{
	struct cr_region *r = calloc(d->nsegs, sizeof(*r));
	for (size_t i = 0; r && i < d->nsegs; i++) {
		r[i].start = d->segs[i].start;
		if (cr_add_overflows(d->segs[i].start, d->segs[i].size, &r[i].end))
			r[i].end = UINT64_MAX;
		r[i].captured = true;
	}
	return r;
}

CR_PASS_RUN(run_address_space)
{
	/* A dump without a region list (a minidump without MemoryInfoList,
	 * as wine writes them) is summed over its captured memory: a view
	 * of the dump whose regions are its segments. */
	struct cr_dump view = *ctx->dump;
	struct cr_region *seg_regions = NULL;
	if (!view.nregions) {
		if (!view.nsegs)
			return NULL;	/* nothing describes the address space */
		if (!(seg_regions = regions_of_segments(&view)))
			return &cr_enomem;
		view.regions = seg_regions;
		view.nregions = view.nsegs;
	}
	const struct cr_dump *d = &view;
	struct cr_as_summary *s = calloc(1, sizeof(*s));
	struct as_state st = { ctx, d, NULL, s };
	if (!s || !(st.kind = malloc(d->nregions)))
		goto oom;
	s->from_memory = seg_regions != NULL;
	memset(st.kind, KIND_UNSET, d->nregions);
	mark_stacks(&st);
	mark_walked_heap(&st);
	if (!read_nt_heaps(&st))
		goto oom;

	for (size_t i = 0; i < d->nregions; i++) {
		const struct cr_region *r = &d->regions[i];
		enum cr_as_kind k = st.kind[i] == KIND_UNSET ?
			kind_of(d, r) : (enum cr_as_kind)st.kind[i];
		uint64_t size = r->end - r->start;	/* the reader keeps
							 * start <= end */
		add_total(&s->all, size);
		add_total(&s->kinds[k], size);
		add_total(r->prot_known ? &s->prots[r->prot & (CR_AS_NPROT - 1)]
					: &s->prot_unknown, size);
		struct cr_as_region big = { r->start, r->end, k, r->prot_known,
					    r->prot, r->path };
		keep_largest(s, &big);
	}
	free(st.kind);
	free(seg_regions);
	if (!cr_pass_keep(ctx, s, cr_as_summary_free))
		return &cr_enomem;
	return NULL;
oom:
	free(st.kind);
	free(seg_regions);
	cr_as_summary_free(s);
	return &cr_enomem;
}
