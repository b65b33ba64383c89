/*
 * test_target.c - typed reads of target memory (target.h) on synthetic
 * dumps, and struct layouts read from DWARF (dwarf_layout.h).
 *
 * The reads: both byte orders, word sizes 4 and 8, all-or-nothing at the
 * end of a region, signed fields, a struct across two adjacent regions,
 * and layouts that lie (a huge size, a field past the end).
 *
 * The layouts: argv[1] is layout_fixture, built with -g; its structs are
 * found through a libdwfl session over the file, through libdw directly,
 * and through a real symbol session over a dump whose module is the
 * fixture (cr_layout_from_dwarf, remembered; cr_pass_layout in a pass's
 * context, with cr_pass_problem).  When Debian's
 * libc6-dbg is installed, glibc's pthread_mutex_t is read the same way
 * and checked against the offsets glibc's x86_64 ABI fixes.
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dwarf_layout.h"
#include "pass.h"
#include "symtab.h"
#include "target.h"

static const char *fixture;

/* A dump of word size WORD and byte order BIG with segments (start, size)
 * over one buffer (consecutive). */
struct mem {
	struct cr_dump *d;
	uint8_t bytes[64];
};

static void mem_init(struct mem *m, unsigned word, bool big,
		     const uint64_t (*segs)[2], size_t nsegs)
{
	m->d = cr_dump_new("synthetic");
	assert_non_null(m->d);
	m->d->process.pointer_size = word;
	m->d->process.big_endian = big;
	for (size_t i = 0; i < sizeof(m->bytes); i++)
		m->bytes[i] = (uint8_t)(0x10 + i);
	m->d->segs = calloc(nsegs, sizeof(*m->d->segs));
	assert_non_null(m->d->segs);
	size_t off = 0;
	for (size_t i = 0; i < nsegs; i++) {
		m->d->segs[i] = (struct cr_memseg){ segs[i][0], segs[i][1],
						    m->bytes + off };
		off += segs[i][1];
	}
	assert_true(off <= sizeof(m->bytes));
	m->d->nsegs = nsegs;
	cr_dump_finish(m->d);
}

static const uint64_t one_seg[][2] = { { 0x1000, 32 } };

static void test_byte_order(void **state)
{
	(void)state;
	for (int big = 0; big < 2; big++) {
		struct mem m;
		mem_init(&m, 8, big, one_seg, 1);
		struct cr_target t;
		cr_target_init(&t, m.d);
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;
		assert_true(cr_target_u16(&t, 0x1000, &v16));
		assert_true(cr_target_u32(&t, 0x1000, &v32));
		assert_true(cr_target_u64(&t, 0x1000, &v64));
		if (big) {
			assert_int_equal(v16, 0x1011);
			assert_int_equal(v32, 0x10111213);
			assert_int_equal(v64, 0x1011121314151617ull);
		} else {
			assert_int_equal(v16, 0x1110);
			assert_int_equal(v32, 0x13121110);
			assert_int_equal(v64, 0x1716151413121110ull);
		}
		cr_dump_free(m.d);
	}
}

static void test_word_size(void **state)
{
	(void)state;
	struct mem m;
	mem_init(&m, 4, false, one_seg, 1);
	struct cr_target t;
	cr_target_init(&t, m.d);
	uint64_t p;
	assert_int_equal(t.word_size, 4);
	assert_true(cr_target_pointer(&t, 0x1004, &p));
	assert_int_equal(p, 0x17161514);	/* 4 bytes, zero-extended */
	/* The last word of the region is readable, one byte later is not. */
	assert_true(cr_target_pointer(&t, 0x1000 + 28, &p));
	assert_false(cr_target_pointer(&t, 0x1000 + 29, &p));
	cr_dump_free(m.d);

	mem_init(&m, 8, false, one_seg, 1);
	cr_target_init(&t, m.d);
	assert_int_equal(t.word_size, 8);
	assert_true(cr_target_pointer(&t, 0x1000, &p));
	assert_int_equal(p, 0x1716151413121110ull);
	cr_dump_free(m.d);
}

/* A read that does not fit whole gets nothing, not a part. */
static void test_all_or_nothing(void **state)
{
	(void)state;
	struct mem m;
	mem_init(&m, 8, false, one_seg, 1);
	struct cr_target t;
	cr_target_init(&t, m.d);
	uint64_t v = 0x5555;
	uint8_t buf[8] = { 0 };
	assert_false(cr_target_u64(&t, 0x1000 + 28, &v));
	assert_int_equal(v, 0x5555);
	assert_false(cr_target_read(&t, 0x1000 + 30, buf, sizeof(buf)));
	assert_false(cr_target_u64(&t, 0xfff, &v));	/* starts before */
	assert_false(cr_target_u64(&t, UINT64_MAX - 3, &v));	/* wraps */
	char *s = cr_target_string(&t, 0x1000, 8);	/* no NUL within 8 */
	assert_null(s);
	m.bytes[8] = 0;
	s = cr_target_string(&t, 0x1000, 8);		/* 8 bytes, then NUL */
	assert_non_null(s);
	assert_int_equal(strlen(s), 8);
	free(s);
	cr_dump_free(m.d);
}

static const struct cr_field signed_fields[] = {
	{ "b", 0, 1, true }, { "h", 2, 2, true }, { "w", 4, 4, true },
	{ "u", 4, 4, false }, { "q", 8, 8, true },
};

static void test_struct_signed(void **state)
{
	(void)state;
	struct mem m;
	mem_init(&m, 8, false, one_seg, 1);
	m.bytes[0] = 0xfe;			/* b = -2 */
	m.bytes[2] = 0x00, m.bytes[3] = 0x80;	/* h = -32768 */
	memset(m.bytes + 4, 0xff, 4);		/* w = -1, u = 0xffffffff */
	struct cr_target t;
	cr_target_init(&t, m.d);
	struct cr_layout l = { "signed", 16, signed_fields, 5 };
	uint64_t v[5];
	assert_true(cr_target_struct(&t, 0x1000, &l, v));
	assert_int_equal((int64_t)v[0], -2);
	assert_int_equal((int64_t)v[1], -32768);
	assert_int_equal((int64_t)v[2], -1);
	assert_int_equal(v[3], 0xffffffffull);
	assert_int_equal(v[4], 0x1f1e1d1c1b1a1918ull);
	cr_dump_free(m.d);
}

/* Two regions that touch are one range for a struct; a gap is not. */
static void test_struct_two_regions(void **state)
{
	(void)state;
	static const uint64_t touching[][2] = { { 0x1000, 16 }, { 0x1010, 16 } };
	static const uint64_t gap[][2] = { { 0x1000, 16 }, { 0x1018, 16 } };
	static const struct cr_field f[] = {
		{ "first", 0, 8, false }, { "second", 8, 4, false },
	};
	struct cr_layout l = { "span", 16, f, 2 };
	uint64_t v[2];
	struct mem m;
	struct cr_target t;
	mem_init(&m, 8, false, touching, 2);
	cr_target_init(&t, m.d);
	assert_true(cr_target_struct(&t, 0x1008, &l, v));
	assert_int_equal(v[0], 0x1f1e1d1c1b1a1918ull);	/* last 8 of seg 1 */
	assert_int_equal(v[1], 0x23222120);		/* first 4 of seg 2 */
	cr_dump_free(m.d);
	mem_init(&m, 8, false, gap, 2);
	cr_target_init(&t, m.d);
	assert_false(cr_target_struct(&t, 0x1008, &l, v));
	cr_dump_free(m.d);
}

/* A layout that lies: a huge size, or a field past its end. */
static void test_struct_lies(void **state)
{
	(void)state;
	static const struct cr_field f[] = { { "x", 0, 8, false } };
	static const struct cr_field past[] = { { "x", 12, 8, false } };
	static const struct cr_field odd[] = { { "x", 0, 3, false } };
	uint64_t v[1];
	struct mem m;
	struct cr_target t;
	mem_init(&m, 8, false, one_seg, 1);
	cr_target_init(&t, m.d);
	struct cr_layout huge = { "huge", UINT32_MAX, f, 1 };
	assert_false(cr_target_struct(&t, 0x1000, &huge, v));
	struct cr_layout big = { "big", CR_TARGET_MAX_STRUCT, f, 1 };
	assert_false(cr_target_struct(&t, 0x1000, &big, v));	/* unreadable */
	struct cr_layout l = { "past", 16, past, 1 };
	assert_false(cr_target_struct(&t, 0x1000, &l, v));
	struct cr_layout l3 = { "odd", 16, odd, 1 };
	assert_true(cr_target_struct(&t, 0x1000, &l3, v));	/* 3 bytes: ok */
	assert_int_equal(v[0], 0x121110);
	cr_dump_free(m.d);
}

/* --- layouts from DWARF ---------------------------------------------------- */

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* A libdwfl session over FILE, reported as module NAME. */
static Dwfl *offline(const char *name, const char *file)
{
	Dwfl *dwfl = dwfl_begin(&offline_callbacks);
	assert_non_null(dwfl);
	if (!dwfl_report_offline(dwfl, name, file, -1)) {
		dwfl_end(dwfl);
		return NULL;
	}
	dwfl_report_end(dwfl, NULL, NULL);
	return dwfl;
}

static void test_dwarf_fixture(void **state)
{
	(void)state;
	Dwfl *dwfl = offline("layout_fixture", fixture);
	assert_non_null(dwfl);

	/* Through a named member of a typedef'd union. */
	struct cr_field mf[] = { { .name = "data.owner" }, { .name = "data.kind" },
				 { .name = "data.lock" } };
	struct cr_layout ml = { "fix_mutex_t", 0, mf, 3 };
	assert_true(cr_layout_from_dwfl(dwfl, "layout_fix", "fix_mutex_t", &ml));
	assert_int_equal(ml.size, 40);
	assert_int_equal(mf[0].offset, 8);
	assert_int_equal(mf[0].size, 4);
	assert_true(mf[0].is_signed);
	assert_int_equal(mf[1].offset, 16);
	assert_int_equal(mf[2].offset, 0);

	/* Through anonymous unions and structs, qualifiers, enum, pointer. */
	struct cr_field af[] = { { .name = "lo" }, { .name = "neg" }, { .name = "whole" }, { .name = "ptr" },
				 { .name = "sh" }, { .name = "color" }, { .name = "tag" } };
	struct cr_layout al = { "struct fix_anon", 0, af, 7 };
	assert_true(cr_layout_from_dwfl(dwfl, "layout_fixture", "struct fix_anon",
					&al));
	assert_int_equal(al.size, sizeof(void *) == 8 ? 40 : 36);
	assert_int_equal(af[0].offset, 8);
	assert_int_equal(af[0].size, 2);
	assert_false(af[0].is_signed);
	assert_int_equal(af[1].offset, 10);
	assert_int_equal(af[1].size, 1);
	assert_true(af[1].is_signed);
	assert_int_equal(af[2].offset, 8);
	assert_int_equal(af[2].size, 8);
	assert_int_equal(af[3].offset, 16);
	assert_int_equal(af[3].size, sizeof(void *));
	assert_int_equal(af[4].offset, 24);
	assert_true(af[4].is_signed);
	assert_int_equal(af[5].offset, 28);
	assert_int_equal(af[5].size, 4);
	assert_int_equal(af[6].offset, 0);

	/* Refused, all or nothing: a bit field, a missing member, a member
	 * that is not a scalar, an unknown type, another module. */
	static const char *const bad[] = { "bits", "nope", "data", "data.",
					   "data.owner.x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cr_field bf[] = { { .name = "tag" }, { .name = bad[i] } };
		struct cr_layout bl = { "x", 7, bf, 2 };
		const char *type = i < 2 ? "struct fix_anon" : "fix_mutex_t";
		assert_false(cr_layout_from_dwfl(dwfl, "layout", type, &bl));
		assert_int_equal(bl.size, 7);
		assert_int_equal(bf[0].offset, 0);
		assert_int_equal(bf[0].size, 0);
	}
	struct cr_field one[] = { { .name = "tag" } };
	struct cr_layout ol = { "x", 0, one, 1 };
	assert_false(cr_layout_from_dwfl(dwfl, "layout", "struct nothing", &ol));
	assert_false(cr_layout_from_dwfl(dwfl, "libc.so", "struct fix_anon", &ol));
	/* "union fix_anon" names no union. */
	assert_false(cr_layout_from_dwfl(dwfl, "layout", "union fix_anon", &ol));
	dwfl_end(dwfl);

	/* The same through libdw directly on the file. */
	int fd = open(fixture, O_RDONLY);
	assert_true(fd >= 0);
	Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
	assert_non_null(dw);
	struct cr_layout al2 = { "struct fix_anon", 0, af, 7 };
	memset(af, 0, sizeof(af));
	af[0].name = "neg";
	al2.nfields = 1;
	assert_true(cr_layout_from_dw(dw, "struct fix_anon", &al2));
	assert_int_equal(af[0].offset, 10);
	dwarf_end(dw);
	close(fd);
}

/*
 * Through a symbol session (as a pass reaches it, cr_pass_layout) over a
 * dump whose one module is the fixture: found, remembered, and the same
 * when asked again; an unknown type is remembered as not found.
 */
static void test_dwarf_symtab(void **state)
{
	(void)state;
	struct cr_dump *d = cr_dump_new("synthetic");
	assert_non_null(d);
	d->process.arch = CR_ARCH_X86_64;
	d->process.pointer_size = 8;
	d->modules = calloc(1, sizeof(*d->modules));
	assert_non_null(d->modules);
	char *abs = realpath(fixture, NULL);
	assert_non_null(abs);
	d->modules[0] = (struct cr_module){ .kind = CR_MODULE_ELF, .path = abs,
					    .base = 0x555555554000ull,
					    .size = 0x10000, .is_main = true };
	d->nmodules = 1;
	struct cr_options opts = { 0 };
	struct cr_symtab *st = NULL;
	struct cr_error *err = cr_symtab_new(d, &opts, &st);
	assert_null(err);
	for (int round = 0; round < 2; round++) {
		struct cr_field f[] = { { .name = "data.kind" } };
		struct cr_layout l = { "fix_mutex_t", 0, f, 1 };
		assert_true(cr_layout_from_dwarf(st, "layout_fixture",
						 "fix_mutex_t", &l));
		assert_int_equal(f[0].offset, 16);
		assert_int_equal(l.size, 40);
		struct cr_field g[] = { { .name = "x" } };
		struct cr_layout gl = { "none", 3, g, 1 };
		assert_false(cr_layout_from_dwarf(st, "layout_fixture",
						  "struct none", &gl));
		assert_int_equal(gl.size, 3);
	}
	struct cr_layout_cache **c = cr_symtab_layout_cache(st);
	assert_non_null(*c);

	/* A pass gets the same through its context, and its problems carry
	 * its name and the address. */
	static const struct cr_pass mutex_pass = { .name = "mutex" };
	struct cr_analysis a = { .dump = d };
	struct cr_pass_ctx ctx;
	cr_pass_ctx_init(&ctx, &mutex_pass, &a, NULL, st);
	struct cr_field f[] = { { .name = "data.owner" } };
	struct cr_layout l = { "fix_mutex_t", 0, f, 1 };
	assert_true(cr_pass_layout(&ctx, "layout_fixture", "fix_mutex_t", &l));
	assert_int_equal(f[0].offset, 8);
	cr_pass_problem(&ctx, CR_AT_ADDRESS(CR_SEVERITY_WARNING, 0x1234),
			"mutex at 0x%x not in the dump", 0x1234);
	assert_int_equal(a.problems.n, 1);
	assert_int_equal(a.problems.items[0].at.source, CR_SOURCE_PASS);
	assert_string_equal(a.problems.items[0].at.origin, "mutex");
	assert_int_equal(a.problems.items[0].at.place, CR_PLACE_ADDRESS);
	assert_int_equal(a.problems.items[0].at.where, 0x1234);
	assert_true(cr_problems_serious(&a.problems));
	cr_problems_free(&a.problems);
	cr_symtab_free(st);
	cr_dump_free(d);
}

/* glibc's pthread_mutex_t from libc6-dbg: __data.__owner at 8 and
 * __data.__kind at 16 on x86_64 (sysdeps/x86/nptl/bits/struct_mutex.h). */
static void test_dwarf_glibc(void **state)
{
	(void)state;
	static const char *const libcs[] = {
		"/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/lib/x86_64-linux-gnu/libc.so.6",
	};
	const char *libc = NULL;
	for (size_t i = 0; i < sizeof(libcs) / sizeof(libcs[0]); i++)
		if (access(libcs[i], R_OK) == 0)
			libc = libcs[i];
	if (!libc || access("/usr/lib/debug/.build-id", R_OK) != 0) {
		print_message("skipped: no x86_64 glibc or no /usr/lib/debug/.build-id (libc6-dbg)\n");
		skip();
	}
	Dwfl *dwfl = offline("libc.so.6", libc);
	assert_non_null(dwfl);
	struct cr_field f[] = { { .name = "__data.__owner" }, { .name = "__data.__kind" },
				{ .name = "__data.__lock" } };
	struct cr_layout l = { "pthread_mutex_t", 0, f, 3 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool ok = cr_layout_from_dwfl(dwfl, "libc.so", "pthread_mutex_t", &l);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ok) {
		dwfl_end(dwfl);
		print_message("skipped: glibc's debug information is not installed (libc6-dbg)\n");
		skip();
	}
	print_message("pthread_mutex_t from glibc's DWARF in %.0f ms\n",
		      (t1.tv_sec - t0.tv_sec) * 1e3 +
		      (t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_int_equal(l.size, 40);
	assert_int_equal(f[0].offset, 8);
	assert_int_equal(f[0].size, 4);
	assert_true(f[0].is_signed);
	assert_int_equal(f[1].offset, 16);
	assert_int_equal(f[2].offset, 0);
	struct cr_field s[] = { { .name = "__owner" } };
	struct cr_layout sl = { "struct __pthread_mutex_s", 0, s, 1 };
	assert_true(cr_layout_from_dwfl(dwfl, "libc.so", "struct __pthread_mutex_s", &sl));
	assert_int_equal(s[0].offset, 8);
	dwfl_end(dwfl);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s LAYOUT_FIXTURE\n", argv[0]);
		return 2;
	}
	fixture = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_byte_order),
		cmocka_unit_test(test_word_size),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_struct_signed),
		cmocka_unit_test(test_struct_two_regions),
		cmocka_unit_test(test_struct_lies),
		cmocka_unit_test(test_dwarf_fixture),
		cmocka_unit_test(test_dwarf_symtab),
		cmocka_unit_test(test_dwarf_glibc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
