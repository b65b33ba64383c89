/*
 * test_heapstats.c - unit tests of the "address-space" pass
 * (analyzer/passes/address_space.c) and the "heapstats" pass
 * (heap_stats.c), run through their contexts on synthetic dumps.
 *
 * The heap is hand-built as the "heap" pass keeps it (passes/heap.h):
 * chunks over a buffer that is the dump's memory, so the statistics are
 * known exactly and the sampled contents (a vtable pointer, JSON text, a
 * constant header) are what each test planted.  The Windows summary reads
 * a minidump made with mdsynth (MemoryInfoList with types and allocation
 * bases, a TEB and a PEB listing two process heaps).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "finding_asserts.h"

#include "address_space.h"
#include "document.h"
#include "heap.h"
#include "heap_stats.h"
#include "mdsynth.h"
#include "pass.h"
#include "util.h"

#define HEAP_BASE 0x10000000ull
#define HEAP_LEN 0x8000u
#define VTABLE 0x600000ull	/* `vtable for Order`; objects point +16 */
#define MMAP_CHUNK 0x7f1000000010ull
#define STACK_BASE 0x7ffd00000000ull

static struct fixture {
	struct cr_dump d;
	struct cr_thread thread;
	struct cr_memseg seg;
	struct cr_region regions[8];
	struct cr_module module;
	struct cr_analysis a;
	uint8_t heap_bytes[HEAP_LEN];
	struct cr_heap_chunk chunks[32];
	struct cr_heap_arena arena;
	uint64_t leaked[1];
} fx;

static const struct cr_symbol_override vtables[] = {
	{ "prog", "vtable for Order", VTABLE },
	{ NULL, NULL, 0 },
};

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.d.process.pid = 500;
	fx.d.process.os = CR_OS_LINUX;
	fx.d.process.arch = CR_ARCH_X86_64;
	fx.d.process.pointer_size = 8;
	fx.d.process.dump_time = fx.d.process.start_time = -1;
	fx.d.threads = &fx.thread;
	fx.d.nthreads = 1;
	fx.thread.tid = 500;
	fx.seg = (struct cr_memseg){ HEAP_BASE, HEAP_LEN, fx.heap_bytes };
	fx.d.segs = &fx.seg;
	fx.d.nsegs = 1;
	fx.a.dump = &fx.d;
	fx.a.focus_thread = -1;
	fx.a.crash.thread = -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_analysis_release(&fx.a);
	return 0;
}

static void run(const char *name, const struct cr_symbol_override *syms)
{
	const struct cr_pass *p = test_pass(name);
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, p, &fx.a, NULL, NULL);
	ctx.extra_symbols = syms;
	assert_null(p->run(&ctx));
}

static void no_free(void *p)
{
	(void)p;
}

/* Keep FACTS (static, not freed) as pass PASS's ("heap", "leaks"). */
static void keep_static(const char *pass, void *facts)
{
	struct cr_pass p = { .name = pass };
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, &p, &fx.a, NULL, NULL);
	assert_true(cr_pass_keep(&ctx, facts, no_free));
}

/* --- a planted heap -------------------------------------------------------- */

static struct cr_heap heap;
static size_t nchunks;
static uint64_t cursor_addr;
/* The walk's heap segments: the arena's, the mmapped chunk's. */
static struct { uint64_t start, end; } heap_ranges[3];

/* One chunk of SIZE and STATE at the next address of the heap buffer;
 * returns the user pointer's bytes in the buffer (NULL outside it). */
static uint8_t *chunk(uint64_t size, enum cr_chunk_state state)
{
	uint64_t user = cursor_addr + 16;
	fx.chunks[nchunks++] = (struct cr_heap_chunk){ user, size | state };
	cursor_addr += size;
	return user - HEAP_BASE + 48 <= HEAP_LEN ? &fx.heap_bytes[user - HEAP_BASE]
						  : NULL;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);	/* the test runs on a little-endian host */
}

/* Keep as "heap" a glibc heap of fx.arena, the chunks planted and the
 * two heap_ranges. */
static void keep_arena_heap(void)
{
	heap.ranges = (void *)heap_ranges;
	heap.nranges = 2;
	heap.allocator = CR_HEAP_GLIBC;
	heap.allocator_name = "glibc malloc";
	heap.walked = heap.complete = true;
	heap.word = 8;
	heap.arenas = &fx.arena;
	heap.narenas = 1;
	heap.chunks = fx.chunks;
	heap.nchunks = nchunks;
	keep_static("heap", &heap);
}

/*
 * The heap every statistics test uses (one main arena, then one mmapped
 * chunk):
 *   10 in use of 0x40 holding Order objects (first word: vtable+16),
 *      3 of them leaked, and 2 free of 0x40;
 *    6 in use of 0x100 holding JSON text;
 *    4 in use of 0x200 starting with the same 16-byte header;
 *    1 free of 0x300 (a hole), the top chunk of 0x1000 (free, last);
 *    1 mmapped chunk of 0x21000 outside the captured memory.
 */
static void plant_heap(void)
{
	nchunks = 0;
	cursor_addr = HEAP_BASE;
	memset(&heap, 0, sizeof(heap));
	for (int i = 0; i < 12; i++) {
		uint8_t *p = chunk(0x40, i == 4 || i == 9 ? CR_CHUNK_FREE
							 : CR_CHUNK_IN_USE);
		if (i != 4 && i != 9)
			put64(p, VTABLE + 16);
	}
	for (int i = 0; i < 6; i++) {
		uint8_t *p = chunk(0x100, CR_CHUNK_IN_USE);
		snprintf((char *)p, 64, "{\"user\":\"u%d\",\"cart\":[1,2,3]}", i);
	}
	for (int i = 0; i < 4; i++) {
		uint8_t *p = chunk(0x200, CR_CHUNK_IN_USE);
		memcpy(p, "\xde\xad\xbe\xef\x01\x00\x00\x00\x10\x20\x30\x40\x00\x00\x00\x07", 16);
		memset(p + 16, 0x50 + i, 32);
	}
	chunk(0x300, CR_CHUNK_FREE);
	chunk(0x1000, CR_CHUNK_FREE);
	fx.arena = (struct cr_heap_arena){ .addr = 0x7f0000001000, .main = true,
		.first = 0, .count = nchunks, .nheaps = 1 };
	heap_ranges[0].start = HEAP_BASE;
	heap_ranges[0].end = cursor_addr;
	fx.chunks[nchunks++] = (struct cr_heap_chunk){ MMAP_CHUNK,
		0x21000 | CR_CHUNK_MMAPPED };
	heap_ranges[1].start = MMAP_CHUNK - 16;
	heap_ranges[1].end = MMAP_CHUNK - 16 + 0x21000;
	keep_arena_heap();
}

static const struct cr_heap_stats *run_stats(void)
{
	run("heapstats", vtables);
	const struct cr_heap_stats *s = cr_heap_stats_of(&fx.a);
	assert_non_null(s);
	return s;
}

static const struct cr_heap_class *class_sized(const struct cr_heap_stats *s,
					       uint64_t size)
{
	for (size_t i = 0; i < s->nclasses; i++)
		if (s->classes[i].size == size)
			return &s->classes[i];
	fail_msg("no class of 0x%llx", (unsigned long long)size);
	return NULL;
}

/* The table of DOC's blocks IN (or blocks inside them) whose second
 * column is HEAD; NULL none. */
static const struct doc_table *table_headed(const struct doc_blocks *in,
					    const char *head)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct doc_block *b = in->v[i];
		if (b->kind == DOC_TABLE && b->table.ncols > 1 &&
		    !strcmp(b->table.headers[1], head))
			return &b->table;
		const struct doc_table *t = table_headed(&b->body, head);
		if (t)
			return t;
	}
	return NULL;
}

/* The report's "Largest allocations": an mmapped chunk's usable size is
 * its size minus its two-word header (an arena chunk's: one word). */
static void test_largest_usable_sizes(void **state)
{
	(void)state;
	plant_heap();
	run_stats();
	struct doc *d = doc_build(&fx.a);
	assert_non_null(d);
	const struct doc_table *t = NULL;
	for (size_t i = 0; i < d->n && !t; i++)
		t = table_headed(&d->sections[i]->blocks, "Usable size");
	assert_non_null(t);
	assert_true(t->nrows >= 2);
	/* Row 0: the 0x21000-byte mmapped chunk; row 1: 0x200 in the arena. */
	assert_string_equal(t->rows[0].cells[1].v[0].text, "135,152");
	assert_string_equal(t->rows[0].cells[2].v[0].text, "own mapping");
	assert_string_equal(t->rows[1].cells[1].v[0].text, "504");
	doc_free(d);
}

static void test_totals_and_classes(void **state)
{
	(void)state;
	plant_heap();
	const struct cr_heap_stats *s = run_stats();
	assert_int_equal(s->header, 8);
	assert_int_equal(s->in_use_count, 10 + 6 + 4 + 1);
	assert_int_equal(s->in_use_bytes, 10 * 0x40 + 6 * 0x100 + 4 * 0x200 + 0x21000);
	assert_int_equal(s->free_count, 4);
	assert_int_equal(s->free_bytes, 2 * 0x40 + 0x300 + 0x1000);
	assert_int_equal(s->overhead_bytes, 21 * 8);
	/* The histogram: every chunk size, ascending, free ones counted. */
	assert_int_equal(s->nclasses, 6);
	for (size_t i = 1; i < s->nclasses; i++)
		assert_true(s->classes[i - 1].size < s->classes[i].size);
	const struct cr_heap_class *c = class_sized(s, 0x40);
	assert_int_equal(c->count, 10);
	assert_int_equal(c->free_count, 2);
	assert_int_equal(c->bytes, 0x280);
	assert_int_equal(cr_heap_usable(s, c), 0x38);
	assert_int_equal(class_sized(s, 0x1000)->count, 0);
	/* Top by bytes: the mmapped chunk, then 0x200, 0x100, 0x40; classes
	 * of free chunks only are not ranked. */
	assert_int_equal(s->nby_bytes, 4);
	assert_int_equal(s->classes[s->by_bytes[0]].size, 0x21000);
	assert_int_equal(s->classes[s->by_bytes[1]].size, 0x200);
	assert_int_equal(s->classes[s->by_bytes[3]].size, 0x40);
	assert_int_equal(s->nby_count, 4);
	assert_int_equal(s->classes[s->by_count[0]].size, 0x40);
	assert_int_equal(s->classes[s->by_count[1]].size, 0x100);
	/* Largest allocations: chunk indexes, largest first. */
	assert_int_equal(s->nlargest, 10);
	assert_int_equal(heap.chunks[s->largest[0]].addr, MMAP_CHUNK);
	assert_int_equal(cr_chunk_size(&heap.chunks[s->largest[1]]), 0x200);
	/* Fragmentation: the top chunk does not count as a hole. */
	assert_int_equal(s->top_free_bytes, 0x1000);
	assert_int_equal(s->free_outside_top, 2 * 0x40 + 0x300);
	assert_int_equal(s->largest_free, 0x300);
	/* Small: no high-memory finding. */
	assert_int_equal(fx.a.findings.n, 0);
	assert_false(s->leaks_known);
}

static void test_contents_named(void **state)
{
	(void)state;
	plant_heap();
	const struct cr_heap_stats *s = run_stats();
	const struct cr_heap_content *ct = class_sized(s, 0x40)->content;
	assert_non_null(ct);
	assert_int_equal(ct->sampled, 10);
	assert_string_equal(ct->type, "Order");
	assert_int_equal(ct->type_count, 10);

	ct = class_sized(s, 0x100)->content;
	assert_null(ct->type);
	assert_int_equal(ct->text_count, 6);
	assert_contains(ct->text, "{\"user\":\"u0\"");

	ct = class_sized(s, 0x200)->content;
	assert_null(ct->type);
	assert_null(ct->text);
	assert_int_equal(ct->sig_len, 16);
	assert_int_equal(ct->sig_count, 4);
	assert_memory_equal(ct->sig, "\xde\xad\xbe\xef", 4);

	/* Not captured: sampled, nothing read, nothing named. */
	ct = class_sized(s, 0x21000)->content;
	assert_int_equal(ct->sampled, 1);
	assert_null(ct->type);
	assert_int_equal(ct->sig_len, 0);
	/* Not a top class: not sampled. */
	assert_null(class_sized(s, 0x300)->content);
}

static void test_leaks_per_class(void **state)
{
	(void)state;
	plant_heap();
	static struct cr_leaks leaks;
	leaks = (struct cr_leaks){ .done = true, .leaked = fx.leaked,
				   .nleaked = 3, .leaked_bytes = 3 * 0x40 };
	fx.leaked[0] = 1u << 0 | 1u << 1 | 1u << 5;	/* three Orders */
	keep_static("leaks", &leaks);
	const struct cr_heap_stats *s = run_stats();
	assert_true(s->leaks_known);
	assert_int_equal(s->leaked_count, 3);
	assert_int_equal(s->leaked_bytes, 3 * 0x40);
	assert_int_equal(class_sized(s, 0x40)->leaked_count, 3);
	assert_int_equal(class_sized(s, 0x100)->leaked_count, 0);
}

static void test_unsplit_chunks_fold(void **state)
{
	(void)state;
	/* 530,038 buffers of 1,024 bytes, 4 of them handed out in 1,040-byte
	 * chunks (the rest too small to split), and a class of 1,056 bytes
	 * that is the program's own (too many to be the rest of 1,024's). */
	static struct cr_heap_chunk big[530038 + 5000];
	size_t n = 0;
	for (size_t i = 0; i < 530038 + 5000; i++) {
		uint64_t size = i < 530034 ? 1024 : i < 530038 ? 1040 : 1056;
		big[n++] = (struct cr_heap_chunk){ 0x20000010 + i * 2048, size };
	}
	heap = (struct cr_heap){ .allocator = CR_HEAP_GLIBC, .walked = true,
				 .word = 8, .chunks = big, .nchunks = n };
	keep_static("heap", &heap);
	const struct cr_heap_stats *s = run_stats();
	/* Raw counts; the 4 only a figure of 1,024's. */
	const struct cr_heap_class *c = class_sized(s, 1024);
	assert_int_equal(c->count, 530034);
	assert_int_equal(c->larger, 4);
	assert_int_equal(c->bytes, 530034 * 1024);
	assert_int_equal(class_sized(s, 1040)->count, 4);
	assert_int_equal(class_sized(s, 1040)->larger, 0);
	assert_int_equal(class_sized(s, 1056)->count, 5000);
	assert_int_equal(class_sized(s, 1056)->larger, 0);
	assert_int_equal(s->in_use_count, 530038 + 5000);
	assert_int_equal(s->classes[s->by_count[0]].size, 1024);
}

/* A planted 80-byte class of 500 beside 100,000 chunks of 64 (within
 * MINSIZE, 200 times fewer): it keeps its 500, the 64-byte class its
 * 100,000 (one class per chunk size, as the probable-leak table's rows),
 * and "+500 in slightly larger chunks" is only a figure. */
static void test_neighbour_class_kept(void **state)
{
	(void)state;
	static struct cr_heap_chunk big[100000 + 500];
	for (size_t i = 0; i < 100500; i++)
		big[i] = (struct cr_heap_chunk){ 0x20000010 + i * 128,
						 i < 100000 ? 64 : 80 };
	heap = (struct cr_heap){ .allocator = CR_HEAP_GLIBC, .walked = true,
				 .word = 8, .chunks = big, .nchunks = 100500 };
	keep_static("heap", &heap);
	const struct cr_heap_stats *s = run_stats();
	assert_int_equal(class_sized(s, 64)->count, 100000);
	assert_int_equal(class_sized(s, 64)->larger, 500);
	assert_int_equal(class_sized(s, 64)->bytes, 100000 * 64);
	assert_int_equal(class_sized(s, 80)->count, 500);
	assert_int_equal(class_sized(s, 80)->bytes, 500 * 80);
	assert_int_equal(s->nby_count, 2);
	assert_int_equal(s->classes[s->by_count[1]].size, 80);
}

/* An arena that grew a second heap: glibc mmaps it below the first, the
 * first ends in fenceposts with its old top freed before them, and the
 * top chunk is the free chunk that ends the new (lower) heap, not the
 * arena's highest-address chunk. */
static void test_top_of_grown_arena(void **state)
{
	(void)state;
	nchunks = 0;
	memset(&heap, 0, sizeof(heap));
	cursor_addr = HEAP_BASE;		/* the new heap, lower */
	chunk(0x100, CR_CHUNK_IN_USE);
	chunk(0x800, CR_CHUNK_FREE);		/* its top */
	heap_ranges[0].start = HEAP_BASE;
	heap_ranges[0].end = cursor_addr;
	cursor_addr = HEAP_BASE + 0x4000;	/* the old heap, higher */
	heap_ranges[1].start = cursor_addr;
	chunk(0x100, CR_CHUNK_IN_USE);
	chunk(0x600, CR_CHUNK_FREE);		/* the old top, freed */
	heap_ranges[1].end = cursor_addr + 0x20;	/* fenceposts */
	fx.arena = (struct cr_heap_arena){ .addr = 0x7f0000001000,
		.first = 0, .count = nchunks, .nheaps = 2 };
	keep_arena_heap();
	const struct cr_heap_stats *s = run_stats();
	assert_int_equal(s->top_free_bytes, 0x800);
	assert_int_equal(s->free_outside_top, 0x600);
	assert_int_equal(s->largest_free, 0x600);
}

static void test_no_heap_keeps_nothing(void **state)
{
	(void)state;
	run("heapstats", NULL);
	assert_null(cr_heap_stats_of(&fx.a));
	heap = (struct cr_heap){ .allocator = CR_HEAP_JEMALLOC };
	keep_static("heap", &heap);
	run("heapstats", NULL);
	assert_null(cr_heap_stats_of(&fx.a));
}

/* --- high memory ----------------------------------------------------------- */

#define BIG_COUNT 530038u

/* 530,038 chunks of 1,024 bytes (usable 1,016) in a region of PRIVATE
 * bytes of anonymous memory; the chunks' bytes are not captured. */
static void plant_big_heap(uint64_t private_bytes)
{
	static struct cr_heap_chunk *big;
	big = realloc(big, BIG_COUNT * sizeof(*big));
	assert_non_null(big);
	for (size_t i = 0; i < BIG_COUNT; i++)
		big[i] = (struct cr_heap_chunk){ 0x20000010 + i * 1024, 1024 };
	heap = (struct cr_heap){ .allocator = CR_HEAP_GLIBC, .walked = true,
				 .word = 8, .chunks = big, .nchunks = BIG_COUNT };
	keep_static("heap", &heap);
	fx.regions[0] = (struct cr_region){ .start = 0x20000000,
		.end = 0x20000000 + private_bytes, .prot_known = true,
		.prot = CR_PROT_R | CR_PROT_W };
	fx.d.regions = fx.regions;
	fx.d.nregions = 1;
	run("address-space", NULL);
}

static void test_high_memory(void **state)
{
	(void)state;
	plant_big_heap(600ull << 20);
	const struct cr_heap_stats *s = run_stats();
	assert_int_equal(s->classes[s->by_bytes[0]].count, BIG_COUNT);
	assert_int_equal(fx.a.findings.n, 1);
	const struct cr_finding *f = &fx.a.findings.items[0];
	assert_int_equal(f->id, CR_FINDING_HIGH_MEMORY);
	assert_int_equal(f->severity, CR_SEVERITY_WARNING);
	assert_contains(f->title, "530,038 live allocations of 1,016 bytes hold 518 MiB");
	assert_contains(f->title, "100% of the heap in use");
	assert_contains(evidence(f, "private memory")->u.text, "(the heap holds 86%)");
}

static void test_high_memory_not_most_of_private(void **state)
{
	(void)state;
	/* The same heap is 13% of 4 GB of private memory: not the heap's
	 * doing, no finding. */
	plant_big_heap(4ull << 30);
	run_stats();
	assert_int_equal(fx.a.findings.n, 0);
}

/* --- address space: a core ------------------------------------------------- */

static void plant_core_regions(void)
{
	static const struct {
		uint64_t start, end;
		unsigned prot;
		const char *path;
	} r[] = {
		{ 0x400000, 0x401000, CR_PROT_R | CR_PROT_X, "/usr/bin/prog" },
		{ 0x401000, 0x403000, CR_PROT_R | CR_PROT_W, NULL },	/* .bss */
		{ HEAP_BASE, HEAP_BASE + 0x21000, CR_PROT_R | CR_PROT_W, NULL },
		{ 0x7f0000000000, 0x7f0000100000, CR_PROT_R, "/usr/lib/locale/C.utf8/LC_CTYPE" },
		{ 0x7f1000000000, 0x7f1000022000, CR_PROT_R | CR_PROT_W, NULL },
		{ STACK_BASE, STACK_BASE + 0x21000, CR_PROT_R | CR_PROT_W, NULL },
		{ 0x7ffd10000000, 0x7ffd10002000, CR_PROT_R | CR_PROT_X, "[vdso]" },
	};
	for (size_t i = 0; i < ARRAY_LEN(r); i++)
		fx.regions[i] = (struct cr_region){ .start = r[i].start,
			.end = r[i].end, .prot_known = true, .prot = r[i].prot,
			.path = (char *)r[i].path };
	fx.d.regions = fx.regions;
	fx.d.nregions = ARRAY_LEN(r);
	fx.module = (struct cr_module){ .path = "/usr/bin/prog", .base = 0x400000,
					.size = 0x3000, .is_main = true };
	fx.d.modules = &fx.module;
	fx.d.nmodules = 1;
	fx.thread.regs.v[7] = STACK_BASE + 0x20000;	/* rsp */
	fx.thread.regs.valid[0] = 1u << 7;
}

static void assert_sums(const struct cr_as_summary *s)
{
	struct cr_as_total k = { 0, 0 }, p = s->prot_unknown;
	for (size_t i = 0; i < CR_AS_NKINDS; i++) {
		k.bytes += s->kinds[i].bytes;
		k.count += s->kinds[i].count;
	}
	for (size_t i = 0; i < CR_AS_NPROT; i++) {
		p.bytes += s->prots[i].bytes;
		p.count += s->prots[i].count;
	}
	assert_int_equal(k.bytes, s->all.bytes);
	assert_int_equal(k.count, s->all.count);
	assert_int_equal(p.bytes, s->all.bytes);
	assert_int_equal(p.count, s->all.count);
}

static void test_core_kinds(void **state)
{
	(void)state;
	plant_core_regions();
	run("address-space", NULL);
	const struct cr_as_summary *s = cr_as_summary_of(&fx.a);
	assert_non_null(s);
	assert_sums(s);
	assert_int_equal(s->all.count, 7);
	assert_int_equal(s->kinds[CR_AS_IMAGE].bytes, 0x3000);
	assert_int_equal(s->kinds[CR_AS_IMAGE].count, 2);
	assert_int_equal(s->kinds[CR_AS_MAPPED].bytes, 0x100000);
	assert_int_equal(s->kinds[CR_AS_STACK].bytes, 0x21000);
	assert_int_equal(s->kinds[CR_AS_OTHER].bytes, 0x2000);
	/* No walked heap: the heap is anonymous memory like any other. */
	assert_false(s->heap_walked);
	assert_int_equal(s->kinds[CR_AS_HEAP].count, 0);
	assert_int_equal(s->kinds[CR_AS_PRIVATE].bytes, 0x21000 + 0x22000);
	assert_int_equal(s->prots[CR_PROT_R | CR_PROT_W].count, 4);
	assert_int_equal(s->prots[CR_PROT_R | CR_PROT_X].bytes, 0x3000);
	/* Largest first. */
	assert_int_equal(s->nlargest, 7);
	assert_int_equal(s->largest[0].start, 0x7f0000000000);
	assert_int_equal(s->largest[1].start, 0x7f1000000000);
	assert_string_equal(s->largest[0].path, "/usr/lib/locale/C.utf8/LC_CTYPE");
}

static void test_core_heap_from_walk(void **state)
{
	(void)state;
	plant_core_regions();
	static struct { uint64_t start, end; } ranges[2] = {
		{ HEAP_BASE, HEAP_BASE + 0x21000 },
		{ 0x7f1000000000, 0x7f1000022000 },	/* an mmapped chunk */
	};
	heap = (struct cr_heap){ .allocator = CR_HEAP_GLIBC, .walked = true,
				 .word = 8 };
	heap.ranges = (void *)ranges;
	heap.nranges = 2;
	keep_static("heap", &heap);
	run("address-space", NULL);
	const struct cr_as_summary *s = cr_as_summary_of(&fx.a);
	assert_sums(s);
	assert_true(s->heap_walked);
	assert_int_equal(s->kinds[CR_AS_HEAP].bytes, 0x21000 + 0x22000);
	assert_int_equal(s->kinds[CR_AS_HEAP].count, 2);
	assert_int_equal(s->kinds[CR_AS_PRIVATE].count, 0);
}

static void test_no_regions_sums_memory(void **state)
{
	(void)state;
	/* No region list: the captured memory (the fixture's one segment)
	 * is the address space, said so. */
	run("address-space", NULL);
	const struct cr_as_summary *s = cr_as_summary_of(&fx.a);
	assert_non_null(s);
	assert_true(s->from_memory);
	assert_sums(s);
	assert_int_equal(s->all.bytes, HEAP_LEN);
	assert_int_equal(s->kinds[CR_AS_PRIVATE].bytes, HEAP_LEN);
	assert_int_equal(s->prot_unknown.count, 1);
	test_analysis_release(&fx.a);
	/* Nothing at all: no summary. */
	fx.d.nsegs = 0;
	run("address-space", NULL);
	assert_null(cr_as_summary_of(&fx.a));
}

/* --- address space: a minidump with the PEB's heaps ------------------------ */

#define TEB 0x7ff0000ull
#define PEB 0x7ff1000ull
#define HEAP_LIST 0x7ff2000ull

static void memory_info(struct mds_buf *b, uint64_t base, uint64_t alloc,
			uint64_t size, uint32_t prot, uint32_t type)
{
	mdb_u64(b, base);
	mdb_u64(b, alloc);
	mdb_u32(b, prot);
	mdb_u32(b, 0);
	mdb_u64(b, size);
	mdb_u32(b, 0x1000);	/* MEM_COMMIT */
	mdb_u32(b, prot);
	mdb_u32(b, type);
	mdb_u32(b, 0);
}

static void test_minidump_process_heaps(void **state)
{
	(void)state;
	static uint8_t peb_page[0x3000];
	put64(&peb_page[0x60], PEB);			/* TEB.ProcessEnvironmentBlock */
	memcpy(&peb_page[0x1000 + 0xe8], &(uint32_t){ 2 }, 4);	/* NumberOfHeaps */
	put64(&peb_page[0x1000 + 0xf0], HEAP_LIST);	/* ProcessHeaps */
	put64(&peb_page[0x1000 + 0x30], 0x20000000);	/* ProcessHeap */
	put64(&peb_page[0x2000], 0x20000000);
	put64(&peb_page[0x2008], 0x30000000);
	struct mds m;
	mds_init(&m);
	mds_windows_app(&m);
	struct mds_thread t = { .tid = 7,
		.ctx = mds_context_amd64(&m, 0x140001000, 0x500100, 0) };
	mds_thread_list(&m, &t, 1, false);
	struct mds_range r = { TEB, peb_page, sizeof(peb_page) };
	mds_memory64_list(&m, &r, 1);
	struct mds_buf b = { 0 };
	mdb_u32(&b, 16);
	mdb_u32(&b, 48);
	mdb_u64(&b, 8);
	memory_info(&b, 0x500000, 0x500000, 0x1000, 0x04, 0x20000);	/* stack */
	memory_info(&b, TEB, TEB, 0x3000, 0x04, 0x20000);
	memory_info(&b, 0x20000000, 0x20000000, 0x1000, 0x04, 0x20000);
	memory_info(&b, 0x20001000, 0x20000000, 0xf000, 0x02, 0x20000);
	memory_info(&b, 0x30000000, 0x30000000, 0x4000, 0x04, 0x20000);
	memory_info(&b, 0x40000000, 0x40000000, 0x2000, 0x04, 0x20000);
	memory_info(&b, 0x140000000, 0x140000000, 0x100000, 0x20, 0x1000000);
	memory_info(&b, 0x7ff00000000, 0x7ff00000000, 0x10000, 0x02, 0x40000);
	mds_stream(&m, 16, &b);	/* MemoryInfoList */
	size_t len;
	const uint8_t *buf = mds_finish(&m, &len);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(buf, len, "heaps.dmp", &d));
	assert_int_equal(d->nregions, 8);
	assert_int_equal(d->regions[3].type, CR_REGION_TYPE_PRIVATE);
	assert_int_equal(d->regions[3].alloc_base, 0x20000000);
	assert_int_equal(d->regions[6].type, CR_REGION_TYPE_IMAGE);
	assert_int_equal(d->regions[7].type, CR_REGION_TYPE_MAPPED);
	d->threads[0].teb = TEB;	/* mdsynth writes no TEB */

	fx.a.dump = d;
	run("address-space", NULL);
	const struct cr_as_summary *s = cr_as_summary_of(&fx.a);
	assert_sums(s);
	assert_true(s->nt_heaps_known);
	assert_int_equal(s->nnt_heaps, 2);
	assert_int_equal(s->nt_heaps[1], 0x30000000);
	assert_int_equal(s->kinds[CR_AS_HEAP].bytes, 0x1000 + 0xf000 + 0x4000);
	assert_int_equal(s->kinds[CR_AS_HEAP].count, 3);
	assert_int_equal(s->kinds[CR_AS_STACK].bytes, 0x1000);
	assert_int_equal(s->kinds[CR_AS_PRIVATE].bytes, 0x3000 + 0x2000);
	assert_int_equal(s->kinds[CR_AS_IMAGE].bytes, 0x100000);
	assert_int_equal(s->kinds[CR_AS_MAPPED].bytes, 0x10000);
	assert_int_equal(s->prots[CR_PROT_R].bytes, 0xf000 + 0x10000);
	test_analysis_release(&fx.a);
	cr_dump_free(d);
	mds_free(&m);
	fx.a.dump = &fx.d;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_totals_and_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_largest_usable_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contents_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaks_per_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsplit_chunks_fold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neighbour_class_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_of_grown_arena, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_heap_keeps_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_high_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_high_memory_not_most_of_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_heap_from_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_regions_sums_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minidump_process_heaps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
