/*
 * minidump_memory.c - MemoryList (5), Memory64List (9) and MemoryInfoList
 * (16): which bytes of the address space the dump holds (segs), and what
 * the address space looked like (regions).
 *
 * MINIDUMP_MEMORY_LIST: NumberOfMemoryRanges u32, then
 * MINIDUMP_MEMORY_DESCRIPTOR (StartOfMemoryRange u64, DataSize u32, Rva u32).
 * MINIDUMP_MEMORY64_LIST (full-memory dumps): NumberOfMemoryRanges u64,
 * BaseRva u64, then (StartOfMemoryRange u64, DataSize u64); the data of the
 * ranges follow each other from BaseRva, so each range's RVA is the sum of
 * the sizes before it (summed here with overflow checks).
 * MINIDUMP_MEMORY_INFO_LIST: SizeOfHeader u32, SizeOfEntry u32,
 * NumberOfEntries u64; MINIDUMP_MEMORY_INFO: BaseAddress, AllocationBase
 * (u64), AllocationProtect u32, pad, RegionSize u64, State, Protect, Type
 * (u32), pad.  Only MEM_COMMIT (0x1000) regions are part of the address
 * space in our sense; reserved and free ones are skipped.  Type (MEM_IMAGE,
 * MEM_MAPPED, MEM_PRIVATE) and AllocationBase are carried into the region
 * for the address-space summary.
 *
 * Segment bytes point into the mapped file (d->map), never copied.
 */
#include "minidump.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define MD_MEMORY_DESC_SIZE 16u
#define MD_MEMORY64_DESC_SIZE 16u
#define MD_MEMORY_INFO_SIZE 48u
#define MD_MEM_COMMIT 0x1000u

/* MINIDUMP_MEMORY_INFO.Type to the model's region type. */
static const struct {
	uint32_t mem;
	enum cr_region_type type;
} md_mem_type[] = {
	{ 0x1000000, CR_REGION_TYPE_IMAGE },	/* MEM_IMAGE */
	{ 0x40000, CR_REGION_TYPE_MAPPED },	/* MEM_MAPPED */
	{ 0x20000, CR_REGION_TYPE_PRIVATE },	/* MEM_PRIVATE */
};

/* Windows PAGE_* access values (low byte of Protect) to CR_PROT_*. */
static const struct {
	uint32_t page;
	unsigned prot;
} md_page_prot[] = {
	{ 0x01, 0 },					/* PAGE_NOACCESS */
	{ 0x02, CR_PROT_R },				/* PAGE_READONLY */
	{ 0x04, CR_PROT_R | CR_PROT_W },		/* PAGE_READWRITE */
	{ 0x08, CR_PROT_R | CR_PROT_W },		/* PAGE_WRITECOPY */
	{ 0x10, CR_PROT_X },				/* PAGE_EXECUTE */
	{ 0x20, CR_PROT_R | CR_PROT_X },		/* PAGE_EXECUTE_READ */
	{ 0x40, CR_PROT_R | CR_PROT_W | CR_PROT_X },	/* PAGE_EXECUTE_READWRITE */
	{ 0x80, CR_PROT_R | CR_PROT_W | CR_PROT_X },	/* PAGE_EXECUTE_WRITECOPY */
};

/* Make room for N more segments. */
static bool grow_segs(struct md_state *md, size_t n)
{
	struct cr_dump *d = md->d;
	size_t total;
	if (__builtin_add_overflow(d->nsegs, n, &total) ||
	    total > MD_MAX_MEMORY_RANGES)
		return false;
	struct cr_memseg *p = realloc(d->segs, (total ? total : 1) * sizeof(*p));
	if (!p)
		return false;
	d->segs = p;
	return true;
}

/* Add [START, START+SIZE) whose bytes are at file offset RVA. */
static bool add_seg(struct md_state *md, const struct md_stream *s,
		    size_t idx, uint64_t start, uint64_t size, uint64_t rva)
{
	struct cr_cursor c;
	const uint8_t *bytes;
	uint64_t end;
	struct cr_error *err;

	if (size == 0)
		return true;
	if (cr_add_overflows(start, size, &end) && end != 0) {
		md_problem(md, s, "range %zu: 0x%llx+0x%llx wraps around", idx,
			   (unsigned long long)start, (unsigned long long)size);
		return true;
	}
	if ((err = md_sub(md, rva, size, "memory", &c)) ||
	    (err = cr_cursor_bytes(&c, size, &bytes))) {
		md_problem(md, s, "range %zu (0x%llx): %s", idx,
			   (unsigned long long)start, err->message);
		cr_error_free(err);
		return false;
	}
	struct cr_memseg *g = &md->d->segs[md->d->nsegs++];
	g->start = start;
	g->size = size;
	g->bytes = bytes;
	return true;
}

void md_read_memory_list(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	uint32_t count;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &count))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, MD_MEMORY_DESC_SIZE,
				   MD_MAX_MEMORY_RANGES, "memory ranges");
	if (n && !grow_segs(md, n)) {
		md_problem(md, s, "too many memory ranges (%zu)", n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t start;
		uint32_t size, rva;
		if ((err = cr_cursor_u64(&c, &start)) ||
		    (err = cr_cursor_u32(&c, &size)) ||
		    (err = cr_cursor_u32(&c, &rva))) {
			md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
			cr_error_free(err);
			return;
		}
		add_seg(md, s, i, start, size, rva);
	}
}

void md_read_memory64_list(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	uint64_t count, rva;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u64(&c, &count)) ||
	    (err = cr_cursor_u64(&c, &rva))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, MD_MEMORY64_DESC_SIZE,
				   MD_MAX_MEMORY_RANGES, "memory ranges");
	if (n && !grow_segs(md, n)) {
		md_problem(md, s, "too many memory ranges (%zu)", n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t start, size;
		if ((err = cr_cursor_u64(&c, &start)) ||
		    (err = cr_cursor_u64(&c, &size))) {
			md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
			cr_error_free(err);
			return;
		}
		if (!add_seg(md, s, i, start, size, rva)) {
			if (i + 1 < n)
				md_problem(md, s,
					   "ranges %zu-%zu follow it and are lost",
					   i + 1, n - 1);
			return;
		}
		if (cr_add_overflows(rva, size, &rva)) {
			md_problem(md, s, "range %zu: data offset wraps around", i);
			return;
		}
	}
}

void md_read_memory_info_list(struct md_state *md, const struct md_stream *s)
{
	struct cr_dump *d = md->d;
	struct cr_cursor c;
	uint32_t header_size, entry_size;
	uint64_t count;
	struct cr_error *err;

	if (d->nregions)
		return;	/* LinuxMaps already described the address space */
	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &header_size)) ||
	    (err = cr_cursor_u32(&c, &entry_size)) ||
	    (err = cr_cursor_u64(&c, &count)) ||
	    (err = cr_cursor_seek(&c, header_size))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	if (header_size < 16 || entry_size < MD_MEMORY_INFO_SIZE) {
		md_problem(md, s, "header of %u bytes, entries of %u: expected at least 16 and %u",
			   header_size, entry_size, MD_MEMORY_INFO_SIZE);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, entry_size,
				   CR_MAX_REGIONS, "memory infos");
	if (n == 0)
		return;
	d->regions = calloc(n, sizeof(*d->regions));
	if (!d->regions) {
		cr_dump_oom(md->d, "memory regions (MemoryInfoList)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cr_cursor e;
		uint64_t base, alloc_base, size, end;
		uint32_t alloc_prot, pad, state, prot, type;
		if ((err = cr_cursor_sub(&c, c.pos, entry_size, NULL, &e)) ||
		    (err = cr_cursor_skip(&c, entry_size)) ||
		    (err = cr_cursor_u64(&e, &base)) ||
		    (err = cr_cursor_u64(&e, &alloc_base)) ||
		    (err = cr_cursor_u32(&e, &alloc_prot)) ||
		    (err = cr_cursor_u32(&e, &pad)) ||
		    (err = cr_cursor_u64(&e, &size)) ||
		    (err = cr_cursor_u32(&e, &state)) ||
		    (err = cr_cursor_u32(&e, &prot)) ||
		    (err = cr_cursor_u32(&e, &type))) {
			md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
			cr_error_free(err);
			return;
		}
		if (state != MD_MEM_COMMIT || size == 0)
			continue;
		if (cr_add_overflows(base, size, &end)) {
			md_problem(md, s, "region %zu: 0x%llx+0x%llx wraps around",
				   i, (unsigned long long)base,
				   (unsigned long long)size);
			continue;
		}
		struct cr_region *r = &d->regions[d->nregions++];
		r->start = base;
		r->end = end;
		r->alloc_base = alloc_base;
		for (size_t k = 0; k < ARRAY_LEN(md_mem_type); k++)
			if (md_mem_type[k].mem == type)
				r->type = md_mem_type[k].type;
		for (size_t k = 0; k < ARRAY_LEN(md_page_prot); k++) {
			if (md_page_prot[k].page == (prot & 0xff)) {
				r->prot_known = true;
				r->prot = md_page_prot[k].prot;
			}
		}
	}
}

static int seg_cmp(const void *a, const void *b)
{
	const struct cr_memseg *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

/* End of segment G, saturating (a segment may end at 2^64). */
static uint64_t seg_end(const struct cr_memseg *g)
{
	uint64_t e;
	return cr_add_overflows(g->start, g->size, &e) ? UINT64_MAX : e;
}

/* Does [start, end) meet any of the first N segments (sorted)? */
static bool overlaps_seg(const struct cr_dump *d, size_t n, uint64_t start,
			 uint64_t end)
{
	size_t lo = 0, hi = n;	/* first segment ending after START */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (seg_end(&d->segs[mid]) <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && d->segs[lo].start < end;
}

/*
 * Do G's bytes repeat those PREV holds at the same addresses (G lies inside
 * PREV)?  The same file bytes need no look; other bytes are compared
 * within *BUDGET, which this spends: a minidump can list one large range
 * many times over (MemoryList RVAs may repeat), and comparing each copy
 * in full would take count x size, quadratic in the file's size.  Past
 * the budget a copy is taken as different (it is dropped all the same;
 * only the problem line differs).
 */
static bool same_bytes(const struct cr_memseg *prev, const struct cr_memseg *g,
		       uint64_t *budget)
{
	const uint8_t *there = prev->bytes + (g->start - prev->start);
	if (g->bytes == there)
		return true;
	if (g->size > *budget)
		return false;
	*budget -= g->size;
	return memcmp(g->bytes, there, g->size) == 0;
}

/* Sort the segments and drop duplicates and overlaps (keeping the first). */
static void sort_segs(struct md_state *md)
{
	struct cr_dump *d = md->d;
	if (!d->nsegs)
		return;
	qsort(d->segs, d->nsegs, sizeof(*d->segs), seg_cmp);
	size_t out = 1;
	uint64_t budget = MD_DUP_COMPARE_BUDGET;
	for (size_t i = 1; i < d->nsegs; i++) {
		struct cr_memseg *prev = &d->segs[out - 1], *g = &d->segs[i];
		if (g->start < seg_end(prev) && seg_end(g) <= seg_end(prev) &&
		    same_bytes(prev, g, &budget))
			continue;	/* the same bytes listed twice (Breakpad
					 * lists the memory around the pc
					 * even when it is in the stack) */
		if (g->start < seg_end(prev)) {
			md_problem(md, NULL,
				   "memory range 0x%llx-0x%llx overlaps 0x%llx-0x%llx; dropped",
				   (unsigned long long)g->start,
				   (unsigned long long)seg_end(g),
				   (unsigned long long)prev->start,
				   (unsigned long long)seg_end(prev));
			continue;
		}
		d->segs[out++] = *g;
	}
	d->nsegs = out;
}

void md_finish_memory(struct md_state *md)
{
	struct cr_dump *d = md->d;

	sort_segs(md);
	/*
	 * Thread stacks are normally also in the memory list; add those that
	 * are not (some writers list them only in the thread list).
	 */
	size_t sorted = d->nsegs;
	if (md->nstacks && grow_segs(md, md->nstacks)) {
		for (size_t i = 0; i < md->nstacks; i++) {
			const struct md_stack *st = &md->stacks[i];
			uint64_t end;
			if (cr_add_overflows(st->start, st->size, &end) ||
			    overlaps_seg(d, sorted, st->start, end))
				continue;	/* wrap noted with the thread */
			struct cr_cursor c;
			const uint8_t *bytes;
			struct cr_error *err;
			if ((err = md_sub(md, st->rva, st->size, "stack memory", &c)) ||
			    (err = cr_cursor_bytes(&c, st->size, &bytes))) {
				md_problem(md, NULL, "stack at 0x%llx: %s",
					   (unsigned long long)st->start,
					   err->message);
				cr_error_free(err);
				continue;
			}
			d->segs[d->nsegs].start = st->start;
			d->segs[d->nsegs].size = st->size;
			d->segs[d->nsegs].bytes = bytes;
			d->nsegs++;
		}
	}
	sort_segs(md);

	for (size_t i = 0; i < d->nregions; i++) {
		struct cr_region *r = &d->regions[i];
		r->captured = overlaps_seg(d, d->nsegs, r->start, r->end);
	}
}
