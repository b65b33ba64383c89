/*
 * test_leaks.c - unit tests of the "leaks" pass (analyzer/passes/leaks.c,
 * leaks_finding.c) on synthetic heaps.
 *
 * The fixture is an x86-64 process with one thread, four captured
 * segments and a heap as the "heap" pass would keep it: NCHUNKS chunks of
 * CHUNK bytes in a row (user pointer = chunk start + 16) in the heap
 * segment, whose words the tests fill with pointers.  Roots: a writable
 * data segment, a read-only one (not a root), the thread's stack (live
 * above sp, dead below) and its registers.  The tests plant the heap with
 * cr_pass_keep under the name "heap" and run the pass through its context.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "finding_asserts.h"

#include "heap.h"
#include "leaks.h"
#include "pass.h"

#define HEAP 0x10000000ull
#define HEAP_SIZE 0x10000ull
#define CHUNK 64u
#define NCHUNKS (HEAP_SIZE / CHUNK - 1)	/* the last slot: the top chunk */
#define DATA 0x400000ull	/* writable: .data */
#define RODATA 0x300000ull	/* read-only: .rodata */
#define STACK 0x7ff000000000ull
#define SEG_SIZE 0x2000ull
#define SP (STACK + 0x1000)

static struct fixture {
	struct cr_dump d;
	struct cr_thread thread;
	struct cr_memseg segs[4];
	struct cr_region regions[4];
	struct cr_analysis a;
	struct cr_thread_analysis ta;
	uint8_t heap[HEAP_SIZE], data[SEG_SIZE], rodata[SEG_SIZE],
		stack[SEG_SIZE];
	struct cr_heap h;
	struct cr_heap_chunk chunks[NCHUNKS + 1];
	struct { uint64_t start, end; } range;
} fx;

/* Chunk I's user address. */
static uint64_t chunk(size_t i)
{
	return HEAP + i * CHUNK + 16;
}

/* Store V at address AT of a segment. */
static void poke(uint64_t at, uint64_t v)
{
	for (size_t s = 0; s < 4; s++) {
		struct cr_memseg *g = &fx.segs[s];
		if (at >= g->start && at + 8 <= g->start + g->size) {
			memcpy((uint8_t *)g->bytes + (at - g->start), &v, 8);
			return;
		}
	}
	fail_msg("poke 0x%llx: not in a segment", (unsigned long long)at);
}

static void set_seg(size_t i, uint64_t start, uint8_t *bytes, uint64_t size,
		    unsigned prot)
{
	fx.segs[i] = (struct cr_memseg){ start, size, bytes };
	fx.regions[i] = (struct cr_region){ .start = start, .end = start + size,
					    .prot_known = true, .prot = prot,
					    .captured = true };
}

static void noop_free(void *p)
{
	(void)p;
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.d.process.pid = 700;
	fx.d.process.os = CR_OS_LINUX;
	fx.d.process.arch = CR_ARCH_X86_64;
	fx.d.process.pointer_size = 8;
	fx.d.process.dump_time = fx.d.process.start_time = -1;
	fx.d.event.kind = CR_EVENT_NONE;
	fx.d.threads = &fx.thread;
	fx.d.nthreads = 1;
	fx.thread.tid = 700;
	cr_regs_set(&fx.thread.regs, cr_arch_sp_reg(CR_ARCH_X86_64), SP);
	/* Sorted by address, as the readers leave them. */
	set_seg(0, RODATA, fx.rodata, SEG_SIZE, CR_PROT_R);
	set_seg(1, DATA, fx.data, SEG_SIZE, CR_PROT_R | CR_PROT_W);
	set_seg(2, HEAP, fx.heap, HEAP_SIZE, CR_PROT_R | CR_PROT_W);
	set_seg(3, STACK, fx.stack, SEG_SIZE, CR_PROT_R | CR_PROT_W);
	fx.d.segs = fx.segs;
	fx.d.nsegs = 4;
	fx.d.regions = fx.regions;
	fx.d.nregions = 4;
	fx.a.dump = &fx.d;
	fx.a.threads = &fx.ta;
	fx.a.nthreads = 1;
	fx.a.focus_thread = -1;
	fx.a.crash.thread = -1;
	fx.ta.thread = &fx.thread;

	for (size_t i = 0; i < NCHUNKS; i++)
		fx.chunks[i] = (struct cr_heap_chunk){ chunk(i), CHUNK };
	fx.chunks[NCHUNKS] = (struct cr_heap_chunk){ chunk(NCHUNKS),
						     CHUNK | CR_CHUNK_FREE };
	fx.range.start = HEAP;
	fx.range.end = HEAP + HEAP_SIZE;
	fx.h = (struct cr_heap){
		.allocator = CR_HEAP_GLIBC, .allocator_name = "glibc malloc",
		.walked = true, .complete = true, .word = 8,
		.chunks = fx.chunks, .nchunks = NCHUNKS + 1,
		.ranges = (void *)&fx.range, .nranges = 1,
	};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_analysis_release(&fx.a);
	return 0;
}

/* Keep the fixture's heap as "heap" and run the pass. */
static const struct cr_leaks *run_leaks(void)
{
	static const struct cr_pass heap_pass = { .name = "heap" };
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, &heap_pass, &fx.a, NULL, NULL);
	assert_true(cr_pass_keep(&ctx, &fx.h, noop_free));
	const struct cr_pass *p = test_pass("leaks");
	assert_true(p->adds & CR_FACT_LEAKS);
	cr_pass_ctx_init(&ctx, p, &fx.a, NULL, NULL);
	assert_null(p->run(&ctx));
	const struct cr_leaks *l = cr_leaks_of(&fx.a);
	assert_non_null(l);
	return l;
}

static const struct cr_finding *leak_finding(void)
{
	for (size_t i = 0; i < fx.a.findings.n; i++)
		if (fx.a.findings.items[i].id == CR_FINDING_PROBABLE_LEAK)
			return &fx.a.findings.items[i];
	return NULL;
}

/* Whether finding F has evidence LABEL. */
static bool has_evidence(const struct cr_finding *f, const char *label)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (!strcmp(f->evidence[i].label, label))
			return true;
	return false;
}

/* Chunks FROM..TO (exclusive) reachable from the data segment, chunk I
 * through the word at DATA + 8 * I. */
static void reach_from_data(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		poke(DATA + 8 * i, chunk(i));
}

/* --- the mark ------------------------------------------------------------ */

/* Nothing points anywhere: every in-use chunk leaks, the free one not. */
static void test_everything_leaked(void **state)
{
	(void)state;
	const struct cr_leaks *l = run_leaks();
	assert_true(l->done);
	assert_int_equal(l->nleaked, NCHUNKS);
	assert_int_equal(l->leaked_bytes, NCHUNKS * CHUNK);
	assert_false(cr_leaks_has(l, NCHUNKS));
	const struct cr_finding *f = leak_finding();
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_WARNING);
	assert_contains(f->title, "1,023 allocations (64 KiB) are referenced "
				  "from nowhere (leaked)");
	assert_false(has_evidence(f, "roots missing from the dump"));
	const struct cr_evidence *e = evidence(f, "leaked by chunk size");
	assert_int_equal(e->u.table.nrows, 1);
	assert_string_equal(e->u.table.cells[0], "64");
	assert_string_equal(e->u.table.cells[1], "1,023");
	e = evidence(f, "sample of leaked addresses");
	assert_contains(e->u.text, "0x10000010 0x10000050");
}

/* Roots of every kind, and chains through the heap: only the rest leaks. */
static void test_roots_and_chains(void **state)
{
	(void)state;
	reach_from_data(0, 100);			/* .data: 0..99 */
	poke(SP + 64, chunk(100));			/* live stack */
	cr_regs_set(&fx.thread.regs, 3, chunk(101));	/* rbx */
	poke(SP - 64, chunk(102));			/* red zone: live */
	/* A list: 103 -> 104 -> ... -> 199, its head on the stack. */
	poke(SP + 128, chunk(103));
	for (size_t i = 103; i < 199; i++)
		poke(chunk(i) + 8, chunk(i + 1));
	/* Not roots: dead frames below sp (past the red zone), read-only
	 * memory, a free chunk's contents. */
	poke(SP - 512, chunk(300));
	poke(RODATA, chunk(301));
	poke(chunk(NCHUNKS), chunk(302));
	const struct cr_leaks *l = run_leaks();
	assert_int_equal(l->nleaked, NCHUNKS - 200);
	for (size_t i = 0; i < 200; i++)
		assert_false(cr_leaks_has(l, i));
	assert_true(cr_leaks_has(l, 300));
	assert_true(cr_leaks_has(l, 301));
	assert_true(cr_leaks_has(l, 302));
	assert_true(l->roots_bytes >= 2 * SEG_SIZE - 0x1000);
}

/* Interior pointers count; a pointer past the user bytes, into the size
 * field or at the last word (where the next chunk starts: glibc's bins
 * point there) does not. */
static void test_interior_pointers(void **state)
{
	(void)state;
	reach_from_data(0, NCHUNKS);
	poke(DATA, chunk(0) + 40);	/* inside chunk 0: still reached */
	poke(DATA + 8, chunk(1) + CHUNK - 8);	/* past its user bytes */
	poke(DATA + 16, chunk(2) - 8);		/* its size field */
	poke(DATA + 24, chunk(3) + CHUNK - 16);	/* where chunk 4 starts */
	poke(DATA + 32, chunk(4) + CHUNK - 17);	/* its last byte but 8 */
	const struct cr_leaks *l = run_leaks();
	assert_false(cr_leaks_has(l, 0));
	assert_true(cr_leaks_has(l, 1));
	assert_true(cr_leaks_has(l, 2));
	assert_true(cr_leaks_has(l, 3));
	assert_false(cr_leaks_has(l, 4));
	assert_int_equal(l->nleaked, 3);
	/* Three leaks: normal, no finding. */
	assert_null(leak_finding());
}

/* A cycle and a self reference nothing else reaches are leaked; a chunk
 * only a leaked chunk points to is leaked too. */
static void test_cycles_leak(void **state)
{
	(void)state;
	reach_from_data(0, 500);
	poke(chunk(500), chunk(501));	/* 500 <-> 501 */
	poke(chunk(501), chunk(500));
	poke(chunk(502), chunk(502));	/* self */
	poke(chunk(503), chunk(504));	/* 503 (leaked) -> 504 */
	reach_from_data(506, NCHUNKS);	/* 505: its pointer overwritten */
	const struct cr_leaks *l = run_leaks();
	for (size_t i = 500; i <= 505; i++)
		assert_true(cr_leaks_has(l, i));
	assert_int_equal(l->nleaked, 6);
}

/* Every chunk points to its next six (STEP 1) or its previous six (STEP
 * -1), and the root to the first (or the last) only. */
static void six_links(int step)
{
	for (size_t i = 0; i < NCHUNKS; i++)
		for (size_t k = 1; k <= 6; k++) {
			size_t j = step > 0 ? i + k : i - k;
			if (j < NCHUNKS)	/* i - k wraps past 0 */
				poke(chunk(i) + 8 * (k - 1), chunk(j));
		}
	poke(DATA, chunk(step > 0 ? 0 : NCHUNKS - 1));
}

/* Links ahead of the sweep: one sweep takes them in address order. */
static void test_links_ahead(void **state)
{
	(void)state;
	six_links(1);
	const struct cr_leaks *l = run_leaks();
	assert_int_equal(l->nleaked, 0);
	assert_null(leak_finding());
}

/* Links behind the sweep go on the work stack: each scan pushes about
 * five, past its 256 entries soon; the rest is left to more sweeps,
 * which reach the end of the chain. */
static void test_links_behind_overflow_stack(void **state)
{
	(void)state;
	six_links(-1);
	const struct cr_leaks *l = run_leaks();
	assert_int_equal(l->nleaked, 0);
	assert_null(leak_finding());
}

/* A heap whose chunks and ranges run past the captured memory, overlap
 * and wrap: no crash, what is there is still searched. */
static void test_lying_heap(void **state)
{
	(void)state;
	static struct { uint64_t start, end; } ranges[3] = {
		{ HEAP, HEAP + HEAP_SIZE },
		{ HEAP + HEAP_SIZE + 0x1000, HEAP + HEAP_SIZE + 0x40000 },
		{ UINT64_MAX - 0x2000, UINT64_MAX },
	};
	fx.chunks[10].size_state = 0x7ffffffffff0ull;	/* far past the end */
	fx.chunks[20].addr = chunk(19) + 8;	/* overlaps 19 */
	fx.chunks[NCHUNKS] = (struct cr_heap_chunk){ UINT64_MAX - 0x1000,
						     0x2000 };
	fx.h.ranges = (void *)ranges;
	fx.h.nranges = 3;
	fx.h.complete = false;
	reach_from_data(0, 5);
	poke(DATA + 64, UINT64_MAX - 0x800);
	const struct cr_leaks *l = run_leaks();
	assert_true(l->done);
	for (size_t i = 0; i < 5; i++)
		assert_false(cr_leaks_has(l, i));
	assert_true(cr_leaks_has(l, 30));
	assert_false(cr_leaks_has(l, NCHUNKS));
	const struct cr_finding *f = leak_finding();
	assert_non_null(f);
	assert_contains(f->detail, "incomplete");
}

/* A heap in two ranges far apart (the brk heap and an mmapped chunk near
 * the libraries, as in most processes): the words between them pass the
 * heap's bounds but not the granule filter; a pointer to the far chunk
 * keeps it, one into the gap keeps nothing. */
static void test_far_ranges(void **state)
{
	(void)state;
	const uint64_t far = 0x7e0000000000ull;
	static struct { uint64_t start, end; } ranges[2];
	ranges[0].start = HEAP;
	ranges[0].end = HEAP + HEAP_SIZE;
	ranges[1].start = far;
	ranges[1].end = far + 0x40000;
	/* The last slot becomes an mmapped chunk of the far range (its
	 * bytes are not in the dump: nothing of it is scanned). */
	fx.chunks[NCHUNKS] = (struct cr_heap_chunk){ far + 16,
						     0x40000 | CR_CHUNK_MMAPPED };
	fx.h.ranges = (void *)ranges;
	fx.h.nranges = 2;
	reach_from_data(0, NCHUNKS - 2);
	poke(DATA + 8 * (NCHUNKS - 2), far + 0x1000);	/* inside the far chunk */
	poke(DATA + 8 * (NCHUNKS - 1), 0x200000000000ull);	/* the gap */
	const struct cr_leaks *l = run_leaks();
	assert_true(l->done);
	assert_int_equal(l->nleaked, 2);	/* the two chunks not reached */
	assert_true(cr_leaks_has(l, NCHUNKS - 2));
	assert_false(cr_leaks_has(l, NCHUNKS));

	/* Unreached, the far chunk leaks too. */
	poke(DATA + 8 * (NCHUNKS - 2), 0x200000000000ull + 0x10000);
	test_analysis_release(&fx.a);
	fx.a.dump = &fx.d;
	fx.a.threads = &fx.ta;
	fx.a.nthreads = 1;
	fx.a.focus_thread = -1;
	fx.a.crash.thread = -1;
	l = run_leaks();
	assert_int_equal(l->nleaked, 3);
	assert_true(cr_leaks_has(l, NCHUNKS));
}

/* Ranges that claim more pages than the dump could hold: a problem, no
 * search, no finding. */
static void test_absurd_ranges(void **state)
{
	(void)state;
	static struct { uint64_t start, end; } huge = { 0, 1ull << 60 };
	fx.h.ranges = (void *)&huge;
	const struct cr_leaks *l = run_leaks();
	assert_false(l->done);
	assert_null(l->leaked);
	assert_false(cr_leaks_has(l, 0));
	assert_null(leak_finding());
	assert_int_equal(fx.a.problems.n, 1);
}

/* No heap walked: nothing searched, nothing said. */
static void test_no_heap(void **state)
{
	(void)state;
	fx.h.walked = false;
	const struct cr_leaks *l = run_leaks();
	assert_false(l->done);
	assert_int_equal(l->nleaked, 0);
	assert_null(leak_finding());
}

/* --- the finding --------------------------------------------------------- */

/* A handful under the quiet threshold: nothing; a few dozen: information;
 * with the first bytes of one shown. */
static void test_thresholds(void **state)
{
	(void)state;
	reach_from_data(0, NCHUNKS - 40);
	memcpy(fx.heap + (chunk(NCHUNKS - 40) - HEAP), "leaked-record-7\0", 16);
	const struct cr_leaks *l = run_leaks();
	assert_int_equal(l->nleaked, 40);
	const struct cr_finding *f = leak_finding();
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_INFO);
	assert_contains(f->title, "40 allocations (2.5 KiB)");
	const struct cr_evidence *e = evidence(f, "leaked allocation shown");
	assert_int_equal(e->u.address.value, chunk(NCHUNKS - 40));
	e = evidence(f, "its first bytes");
	assert_contains(e->u.text, "6c 65 61 6b");
	assert_contains(e->u.text, "leaked-record-7.");
	e = evidence(f, "leaked allocations");
	assert_int_equal(e->u.number.value, 40);
}

/* The thread's stack is not in the dump (a core cut short by ulimit -c
 * loses the stacks first): what it points to looks leaked, so the finding
 * says so and is no warning however much leaked. */
static void test_missing_stack(void **state)
{
	(void)state;
	poke(SP + 64, chunk(5));	/* the only pointer: lost below */
	fx.d.nsegs = 3;			/* the stack's segment, the last */
	fx.regions[3].captured = false;
	run_leaks();
	const struct cr_finding *f = leak_finding();
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_INFO);
	assert_contains(f->title, "1,023 allocations");
	const struct cr_evidence *e = evidence(f, "roots missing from the dump");
	assert_string_equal(e->u.text,
		"1 thread's stack is not in the dump: what it points to is "
		"counted as leaked.");
}

/* Writable memory outside the heap and the stacks that was not captured
 * (MADV_DONTDUMP) is a missing root too; read-only memory is not. */
static void test_missing_writable(void **state)
{
	(void)state;
	fx.d.segs = &fx.segs[1];	/* .rodata's bytes not captured */
	fx.d.nsegs = 2;			/* nor the stack's */
	fx.regions[0].captured = fx.regions[3].captured = false;
	fx.regions[0].prot |= CR_PROT_W;
	run_leaks();
	const struct cr_finding *f = leak_finding();
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_INFO);
	const struct cr_evidence *e = evidence(f, "roots missing from the dump");
	assert_string_equal(e->u.text,
		"1 thread's stack and 8.0 KiB of writable memory are not in "
		"the dump: what they point to is counted as leaked.");

	/* Read-only, it is no root: only the stack is missing. */
	test_analysis_release(&fx.a);
	fx.regions[0].prot = CR_PROT_R;
	run_leaks();
	e = evidence(leak_finding(), "roots missing from the dump");
	assert_string_equal(e->u.text,
		"1 thread's stack is not in the dump: what it points to is "
		"counted as leaked.");
}

/* Twelve sizes leaked, four chunks each: the table's eight rows and its
 * "other sizes" row add up to the title's 48 (the four smallest sizes,
 * 16 chunks, in "other sizes"). */
static void test_table_adds_up(void **state)
{
	(void)state;
	uint64_t at = chunk(0);
	size_t n = 0;
	for (unsigned k = 1; k <= 12; k++)
		for (unsigned j = 0; j < 4; j++) {
			fx.chunks[n++] = (struct cr_heap_chunk){ at, 64u * k };
			at += 64u * k;
		}
	fx.chunks[n] = (struct cr_heap_chunk){ at, CHUNK | CR_CHUNK_FREE };
	fx.h.nchunks = n + 1;
	const struct cr_leaks *l = run_leaks();
	assert_int_equal(l->nleaked, 48);
	const struct cr_finding *f = leak_finding();
	assert_non_null(f);
	assert_contains(f->title, "48 allocations");
	assert_false(has_evidence(f, "roots missing from the dump"));
	const struct cr_evidence *e = evidence(f, "leaked by chunk size");
	assert_int_equal(e->u.table.nrows, 9);
	unsigned long sum = 0;
	for (size_t r = 0; r < e->u.table.nrows; r++)
		sum += strtoul(e->u.table.cells[r * 3 + 1], NULL, 10);
	assert_int_equal(sum, 48);
	assert_string_equal(e->u.table.cells[0], "768");
	assert_string_equal(e->u.table.cells[8 * 3], "other sizes");
	assert_string_equal(e->u.table.cells[8 * 3 + 1], "16");
	assert_string_equal(e->u.table.cells[8 * 3 + 2], "2.5 KiB");
}

/* A chunk behind the sweep that points to more chunks than the work
 * stack holds (256), each the only way to one more chunk: those it could
 * not push must be scanned by another sweep, or their children leak. */
static void test_fan_out_past_the_stack(void **state)
{
	(void)state;
	/* The last 128 slots become one 8 KiB chunk B, then the top. */
	size_t b = NCHUNKS - 128, half = (b + 1) / 2;
	fx.chunks[b].size_state = 128 * CHUNK;
	fx.chunks[b + 1] = (struct cr_heap_chunk){ chunk(b) + 128 * CHUNK,
						   CHUNK | CR_CHUNK_FREE };
	fx.h.nchunks = b + 2;
	for (size_t i = 0; i < half; i++) {
		poke(chunk(b) + 8 * i, chunk(i));
		poke(chunk(i), chunk(half + i));
	}
	poke(DATA, chunk(b));
	const struct cr_leaks *l = run_leaks();
	assert_int_equal(l->nleaked, 0);
}

/* The AVX2 filter is chosen exactly where the kernel lists avx2 among
 * the CPU's flags (it drops the flag when it does not save the YMM
 * registers), and never under CORONER_NO_AVX2 (unit.leaks.scalar). */
static void test_block_filter_choice(void **state)
{
	(void)state;
	bool listed = false;
#if defined(__x86_64__)
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		skip();
	char line[8192];
	while (!listed && fgets(line, sizeof(line), f))
		listed = !strncmp(line, "flags", 5) && strstr(line, " avx2") &&
			 strchr(" \n", strstr(line, " avx2")[5]);
	fclose(f);
#endif
	const char *e = getenv("CORONER_NO_AVX2");
	bool forced_off = e && e[0];
	printf("AVX2 listed by the kernel: %s; CORONER_NO_AVX2: %s; block filter: %s\n",
	       listed ? "yes" : "no", forced_off ? "set" : "unset",
	       cr_leaks_block_filter() ? "on" : "off");
	assert_int_equal(cr_leaks_block_filter(), listed && !forced_off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_everything_leaked),
		T(test_roots_and_chains),
		T(test_interior_pointers),
		T(test_cycles_leak),
		T(test_links_ahead),
		T(test_links_behind_overflow_stack),
		T(test_fan_out_past_the_stack),
		T(test_lying_heap),
		T(test_absurd_ranges),
		T(test_far_ranges),
		T(test_no_heap),
		T(test_thresholds),
		T(test_missing_stack),
		T(test_missing_writable),
		T(test_table_adds_up),
		cmocka_unit_test(test_block_filter_choice),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
