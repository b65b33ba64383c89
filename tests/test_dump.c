/*
 * test_dump.c - unit tests of the neutral model (formats/dump.c, arch.c)
 * and of the cursor: memory reads across segments and gaps, word and string
 * reads, region/module lookups, cr_dump_finish()'s overlap handling, the
 * problem cap, rejection of files that are not dumps, and the growable
 * string every report is written into (strbuf.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "dump.h"
#include "strbuf.h"

static uint8_t mem_a[64], mem_b[64], mem_c[16];

/* Three segments: [0x1000,+64) [0x1040,+64) adjacent, a gap, [0x2000,+16). */
static struct cr_dump *make_dump(void)
{
	struct cr_dump *d = cr_dump_new("test");
	assert_non_null(d);
	for (int i = 0; i < 64; i++) {
		mem_a[i] = (uint8_t)i;
		mem_b[i] = (uint8_t)(64 + i);
	}
	memcpy(mem_c, "hello\0world12345", 16);
	d->segs = calloc(3, sizeof(*d->segs));
	d->segs[0] = (struct cr_memseg){ 0x2000, 16, mem_c };	/* unsorted */
	d->segs[1] = (struct cr_memseg){ 0x1040, 64, mem_b };
	d->segs[2] = (struct cr_memseg){ 0x1000, 64, mem_a };
	d->nsegs = 3;
	d->process.pointer_size = 8;
	cr_dump_finish(d);
	return d;
}

static void test_read_across_and_gaps(void **state)
{
	struct cr_dump *d = make_dump();
	uint8_t buf[200];
	assert_int_equal(d->segs[0].start, 0x1000);
	/* Across two adjacent segments. */
	assert_int_equal(cr_dump_read(d, 0x1030, buf, 32), 32);
	assert_int_equal(buf[0], 0x30);
	assert_int_equal(buf[31], 0x4f);
	/* Stops at the gap after 0x1080. */
	assert_int_equal(cr_dump_read(d, 0x1070, buf, 100), 16);
	assert_int_equal(cr_dump_read(d, 0x1080, buf, 1), 0);
	assert_int_equal(cr_dump_read(d, 0xfff, buf, 1), 0);
	assert_int_equal(cr_dump_read(d, UINT64_MAX, buf, 8), 0);
	/* Pointers only within one segment. */
	assert_non_null(cr_dump_ptr(d, 0x1000, 64));
	assert_null(cr_dump_ptr(d, 0x1000, 65));
	assert_null(cr_dump_ptr(d, 0x3000, 1));
	uint64_t w;
	assert_true(cr_dump_read_word(d, 0x103c, &w));	/* spans a + b */
	assert_int_equal(w, 0x434241403f3e3d3cull);
	assert_false(cr_dump_read_word(d, 0x107c, &w));
	d->process.big_endian = true;
	d->process.pointer_size = 4;
	assert_true(cr_dump_read_word(d, 0x1000, &w));
	assert_int_equal(w, 0x00010203);
	char *s = cr_dump_read_string(d, 0x2000, 100);
	assert_string_equal(s, "hello");
	free(s);
	s = cr_dump_read_string(d, 0x2006, 3);
	assert_string_equal(s, "wor");
	free(s);
	assert_null(cr_dump_read_string(d, 0x2006, 100));	/* runs out */
	cr_dump_free(d);
}

static void test_finish_overlaps(void **state)
{
	struct cr_dump *d = cr_dump_new("test");
	static uint8_t bytes[256];
	d->segs = calloc(3, sizeof(*d->segs));
	d->segs[0] = (struct cr_memseg){ 0x100, 0x80, bytes };
	d->segs[1] = (struct cr_memseg){ 0x140, 0x80, bytes + 0x40 };	/* trimmed */
	d->segs[2] = (struct cr_memseg){ 0x110, 0x10, bytes };	/* inside: dropped */
	d->nsegs = 3;
	d->regions = calloc(2, sizeof(*d->regions));
	d->regions[0] = (struct cr_region){ .start = 0x100, .end = 0x200 };
	d->regions[1] = (struct cr_region){ .start = 0x180, .end = 0x300,
					    .path = strdup("/lib/x.so") };
	d->nregions = 2;
	cr_dump_finish(d);
	assert_int_equal(d->nsegs, 2);
	assert_int_equal(d->segs[1].start, 0x180);
	assert_int_equal(d->segs[1].size, 0x40);
	assert_ptr_equal(d->segs[1].bytes, bytes + 0x80);
	assert_int_equal(d->nregions, 2);
	assert_int_equal(d->regions[1].start, 0x200);
	assert_int_equal(d->regions[1].file_offset, 0x80);
	assert_int_equal(d->problems.n, 3);
	const struct cr_region *r = cr_dump_region_at(d, 0x2ff);
	assert_non_null(r);
	assert_string_equal(r->path, "/lib/x.so");
	assert_null(cr_dump_region_at(d, 0x300));
	assert_null(cr_dump_region_at(d, 0xff));
	cr_dump_free(d);
}

static void test_modules_threads(void **state)
{
	struct cr_dump *d = cr_dump_new("test");
	d->modules = calloc(3, sizeof(*d->modules));
	d->modules[0] = (struct cr_module){ .path = strdup("b"), .base = 0x5000, .size = 0x1000 };
	d->modules[1] = (struct cr_module){ .path = strdup("a"), .base = 0x1000, .size = 0x2000 };
	d->modules[2] = (struct cr_module){ .path = strdup("c"), .base = 0x9000, .size = 0x10 };
	d->nmodules = 3;
	d->threads = calloc(2, sizeof(*d->threads));
	d->threads[0].tid = 7;
	d->threads[1].tid = 9;
	d->nthreads = 2;
	cr_dump_finish(d);
	assert_string_equal(cr_dump_module_at(d, 0x2fff)->path, "a");
	assert_null(cr_dump_module_at(d, 0x3000));
	assert_string_equal(cr_dump_module_at(d, 0x5000)->path, "b");
	assert_null(cr_dump_module_at(d, 0x9010));
	assert_int_equal(cr_dump_thread_by_tid(d, 9)->tid, 9);
	assert_null(cr_dump_thread_by_tid(d, 8));
	cr_dump_free(d);
}

/* A problem keeps its severity, origin and place; information alone is
 * not serious (exit status 0); out of memory is noted without text. */
static void test_problem_at(void **state)
{
	struct cr_dump *d = cr_dump_new("test");
	d->reader = "elfcore";
	cr_dump_problem_at(d, CR_AT(CR_SEVERITY_INFO), "a fact");
	assert_false(cr_problems_serious(&d->problems));
	cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, 0x1a0),
			   "note %d cut off", 3);
	cr_dump_problem(d, "plain");
	assert_true(cr_problems_serious(&d->problems));
	assert_int_equal(d->problems.n, 3);
	const struct cr_problem *p = &d->problems.items[1];
	assert_int_equal(p->at.severity, CR_SEVERITY_ERROR);
	assert_int_equal(p->at.source, CR_SOURCE_READER);
	assert_string_equal(p->at.origin, "elfcore");
	assert_int_equal(p->at.place, CR_PLACE_OFFSET);
	assert_int_equal(p->at.where, 0x1a0);
	assert_string_equal(p->text, "note 3 cut off");
	assert_int_equal(d->problems.items[2].at.severity, CR_SEVERITY_WARNING);
	assert_int_equal(d->problems.items[2].at.place, CR_PLACE_NONE);
	cr_dump_oom(d, "the thread list");
	cr_dump_oom(d, "the thread list");	/* said once */
	assert_int_equal(d->problems.noom, 1);
	assert_string_equal(d->problems.oom[0].lost, "the thread list");
	assert_int_equal(cr_problems_count(&d->problems, CR_SEVERITY_ERROR), 2);
	assert_true(cr_problems_contain(&d->problems, "cut off"));
	cr_dump_free(d);
}

static void test_problem_cap(void **state)
{
	struct cr_dump *d = cr_dump_new("test");
	for (int i = 0; i < CR_MAX_PROBLEMS + 5; i++)
		cr_dump_problem(d, "problem %d", i);
	assert_int_equal(d->problems.n, CR_MAX_PROBLEMS);
	assert_int_equal(cr_problems_dropped(&d->problems), 5);
	assert_string_equal(d->problems.items[7].text, "problem 7");
	/* Drops are counted per severity, and errors keep the exit status. */
	cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, 0x40), "lost");
	assert_int_equal(d->problems.dropped[CR_SEVERITY_WARNING], 5);
	assert_int_equal(d->problems.dropped[CR_SEVERITY_ERROR], 1);
	assert_int_equal(cr_problems_count(&d->problems, CR_SEVERITY_ERROR), 1);
	cr_dump_free(d);
}

static void test_arch(void **state)
{
	assert_string_equal(cr_arch_name(CR_ARCH_X86_64), "x86_64");
	assert_int_equal(cr_arch_pc_reg(CR_ARCH_X86_64), 16);
	assert_int_equal(cr_arch_sp_reg(CR_ARCH_X86_64), 7);
	assert_int_equal(cr_arch_pc_reg(CR_ARCH_AARCH64), 32);
	assert_int_equal(cr_arch_sp_reg(CR_ARCH_X86), 4);
	assert_string_equal(cr_arch_reg_name(CR_ARCH_X86_64, 16), "rip");
	assert_string_equal(cr_arch_reg_name(CR_ARCH_AARCH64, 29), "x29");
	assert_null(cr_arch_reg_name(CR_ARCH_X86_64, 100));
	assert_string_equal(cr_os_name(CR_OS_LINUX), "Linux");
	/* No two registers of an architecture share a name (or a
	 * "dwarfN" of one without a name): the JSON report writes them as
	 * the keys of one object. */
	for (int arch = CR_ARCH_UNKNOWN; arch <= CR_ARCH_S390X; arch++) {
		static char names[CR_MAX_REGS][24];
		for (unsigned n = 0; n < CR_MAX_REGS; n++) {
			const char *name = cr_arch_reg_name((enum cr_arch)arch, n);
			if (name)
				snprintf(names[n], sizeof(names[n]), "%s", name);
			else
				snprintf(names[n], sizeof(names[n]), "dwarf%u", n);
			for (unsigned k = 0; k < n; k++)
				if (!strcmp(names[k], names[n]))
					fail_msg("%s: registers %u and %u are both %s",
						 cr_arch_name((enum cr_arch)arch), k, n,
						 names[n]);
		}
	}
}

static void test_cursor(void **state)
{
	const uint8_t buf[] = { 1, 2, 3, 4, 5, 6, 7, 8, 'a', 'b', 0, 'c' };
	struct cr_cursor c = cr_cursor_make(buf, sizeof(buf), false, 0x100, "t");
	uint32_t v;
	assert_null(cr_cursor_u32(&c, &v));
	assert_int_equal(v, 0x04030201);
	struct cr_cursor sub;
	struct cr_error *err = cr_cursor_sub(&c, 8, UINT64_MAX, NULL, &sub);
	assert_non_null(err);	/* wraps: refused */
	cr_error_free(err);
	assert_null(cr_cursor_sub(&c, 8, 4, "s", &sub));
	char *s;
	assert_null(cr_cursor_cstr(&sub, 100, &s));
	assert_string_equal(s, "ab");
	free(s);
	err = cr_cursor_skip(&c, 9);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_CORRUPT);
	cr_error_free(err);
	assert_int_equal(c.pos, 4);
}

static void test_not_a_dump(void **state)
{
	char path[] = "/tmp/cr_test_dump_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_open(path, &d);	/* empty */
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	assert_non_null(strstr(err->message, "empty file, not a dump"));
	cr_error_free(err);
	assert_int_equal(write(fd, "hello, world\n", 13), 13);
	close(fd);
	err = cr_dump_open(path, &d);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	cr_error_free(err);
	unlink(path);
	err = cr_dump_open("/tmp", &d);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	cr_error_free(err);
	err = cr_dump_open("/nonexistent/core", &d);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_IO);
	cr_error_free(err);
	/* An ELF executable is not a core. */
	err = cr_dump_open("/bin/sh", &d);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	cr_error_free(err);
	err = cr_dump_from_buffer((const uint8_t *)"", 0, "buf", &d);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	cr_error_free(err);
}

/* cr_buf_printf writes into the room there is and prints again when the
 * text did not fit; cr_buf_putc appends in place: text of every length
 * around the buffer's capacity comes out whole and NUL-terminated. */
static void test_strbuf(void **state)
{
	(void)state;
	static char want[1 << 14];
	for (size_t lead = 0; lead < 600; lead += 37) {
		for (int width = 0; width < 700; width += 13) {
			struct cr_buf b = { 0 };
			for (size_t i = 0; i < lead; i++)
				cr_buf_putc(&b, (char)('a' + i % 26));
			cr_buf_printf(&b, "<%0*d>", width, width);
			cr_buf_putc(&b, '!');
			cr_buf_printf(&b, "%s", "");
			size_t n = 0;
			for (size_t i = 0; i < lead; i++)
				want[n++] = (char)('a' + i % 26);
			n += (size_t)snprintf(want + n, sizeof(want) - n, "<%0*d>!",
					      width, width);
			assert_false(b.oom);
			assert_int_equal(b.len, n);
			assert_int_equal(b.p[b.len], '\0');
			assert_memory_equal(b.p, want, n);
			assert_string_equal(cr_buf_str(&b), want);
			cr_buf_free(&b);
		}
	}
	/* Integers as printf writes them, the extremes included. */
	static const int64_t ints[] = { 0, 1, -1, 9, 10, -10, 123456789,
		INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		struct cr_buf b = { 0 };
		cr_buf_put_int(&b, ints[i]);
		snprintf(want, sizeof(want), "%" PRId64, ints[i]);
		assert_string_equal(cr_buf_str(&b), want);
		cr_buf_free(&b);
	}
	/* After a failure the buffer stays failed: nothing more is added. */
	struct cr_buf b = { 0 };
	cr_buf_puts(&b, "x");
	b.oom = true;
	cr_buf_putc(&b, 'y');
	cr_buf_printf(&b, "%d", 42);
	assert_int_equal(b.len, 1);
	assert_null(cr_buf_str(&b));
	cr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_across_and_gaps),
		cmocka_unit_test(test_finish_overlaps),
		cmocka_unit_test(test_modules_threads),
		cmocka_unit_test(test_problem_cap),
		cmocka_unit_test(test_problem_at),
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_not_a_dump),
		cmocka_unit_test(test_strbuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
