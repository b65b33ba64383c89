/*
 * test_breakpad.c - unit tests of the postfix evaluator, the .sym parser,
 * symbol lookups and the Breakpad step source, on small texts and
 * synthesized dumps (no corpus needed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "breakpad_sym.h"
#include "postfix.h"

/* --- postfix -------------------------------------------------------------- */

static uint8_t mem[64];	/* memory at address 0x1000 for deref */

static bool t_deref(void *ctx, uint64_t addr, uint64_t *out)
{
	unsigned w = *(unsigned *)ctx;
	if (addr < 0x1000 || addr - 0x1000 + w > sizeof(mem))
		return false;
	uint64_t v = 0;
	memcpy(&v, mem + (addr - 0x1000), w);
	*out = v;
	return true;
}

static bool t_lookup(void *ctx, const char *name, uint64_t *out)
{
	(void)ctx;
	if (!strcmp(name, "$rsp")) {
		*out = 0x1010;
		return true;
	}
	return false;
}

static bool eval(unsigned width, const char *s, struct pf_vars *vars,
		 uint64_t *out)
{
	static unsigned w;
	w = width;
	struct pf_env env = { width, t_lookup, t_deref, &w };
	return pf_eval(s, strlen(s), vars, &env, out);
}

static void test_postfix_values(void **state)
{
	(void)state;
	uint64_t v;
	assert_true(eval(8, "1 2 +", NULL, &v));
	assert_int_equal(v, 3);
	assert_true(eval(8, "$rsp 8 +", NULL, &v));
	assert_int_equal(v, 0x1018);
	assert_true(eval(8, "$rsp -16 +", NULL, &v));
	assert_int_equal(v, 0x1000);
	assert_true(eval(8, "10 3 %", NULL, &v));
	assert_int_equal(v, 1);
	assert_true(eval(8, "10 3 /", NULL, &v));
	assert_int_equal(v, 3);
	assert_true(eval(8, "0x1237 16 @", NULL, &v));
	assert_int_equal(v, 0x1230);
	assert_true(eval(4, "0 4 -", NULL, &v));
	assert_int_equal(v, 0xfffffffc);	/* 32-bit wrap */
	memset(mem, 0, sizeof(mem));
	mem[8] = 0x44;
	mem[9] = 0x33;
	assert_true(eval(8, "$rsp -8 + ^", NULL, &v));
	assert_int_equal(v, 0x3344);

	/* malformed or undefined */
	assert_false(eval(8, "1 +", NULL, &v));
	assert_false(eval(8, "1 0 /", NULL, &v));
	assert_false(eval(8, "1 0 %", NULL, &v));
	assert_false(eval(8, "7 3 @", NULL, &v));
	assert_false(eval(8, "1 2", NULL, &v));
	assert_false(eval(8, "$rax", NULL, &v));
	assert_false(eval(8, "#", NULL, &v));
	assert_false(eval(8, "", NULL, &v));
	assert_false(eval(8, "0x9000 ^", NULL, &v));
	assert_false(eval(8, "99999999999999999999999", NULL, &v));
	assert_false(eval(8, ".undef", NULL, &v));
	assert_false(eval(8, "$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, &v));
	char deep[256] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "1 ");
	assert_false(eval(8, deep, NULL, &v));	/* stack limit */
}

static void test_postfix_program(void **state)
{
	(void)state;
	/* The standard frame-pointer program of STACK WIN 4 records. */
	memset(mem, 0, sizeof(mem));
	uint32_t saved_ebp = 0x1030, ret = 0x401234;
	memcpy(mem + 0x20, &saved_ebp, 4);	/* at ebp = 0x1020 */
	memcpy(mem + 0x24, &ret, 4);
	struct pf_vars vars = { .n = 0 };
	assert_true(pf_vars_set(&vars, "$ebp", 0x1020));
	assert_true(pf_vars_set(&vars, "$esp", 0x1000));
	assert_true(pf_vars_set(&vars, ".cbSavedRegs", 4));
	assert_true(pf_vars_set(&vars, ".cbParams", 8));
	assert_true(eval(4, "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = "
			    "$esp $T0 8 + = $L $T0 .cbSavedRegs - = "
			    "$P $T0 8 + .cbParams + =", &vars, NULL));
	assert_int_equal(pf_vars_get(&vars, "$eip")->value, ret);
	assert_int_equal(pf_vars_get(&vars, "$ebp")->value, saved_ebp);
	assert_int_equal(pf_vars_get(&vars, "$esp")->value, 0x1028);
	assert_int_equal(pf_vars_get(&vars, "$L")->value, 0x101c);
	assert_int_equal(pf_vars_get(&vars, "$P")->value, 0x1030);
	assert_true(pf_vars_get(&vars, "$eip")->assigned);

	/* "=" glued to the next token, as MSVC sometimes writes it */
	struct pf_vars v2 = { .n = 0 };
	assert_true(eval(4, "$a 5 =$b 6 =", &v2, NULL));
	assert_int_equal(pf_vars_get(&v2, "$a")->value, 5);
	assert_int_equal(pf_vars_get(&v2, "$b")->value, 6);

	/* leftovers, assignment to a non-variable, to a constant */
	struct pf_vars v3 = { .n = 0 };
	assert_false(eval(4, "$a 5 = 7", &v3, NULL));
	assert_false(eval(4, ".cbParams 5 =", &v3, NULL));
	assert_false(eval(4, "4 5 =", &v3, NULL));
	assert_false(eval(4, "$a $undefined =", &v3, NULL));
}

/* --- parsing -------------------------------------------------------------- */

static struct bp_symfile *parse(const char *text)
{
	struct bp_symfile *sf = NULL;
	struct cr_error *err = bp_symfile_parse((const uint8_t *)text,
						strlen(text), "test.sym", &sf);
	if (err)
		fail_msg("%s", err->message);
	return sf;
}

static const char small_lf[] =
	"MODULE Linux x86 ffff0000 bar\n"
	"FILE 53 bar.c\n"
	"PUBLIC 1234 10 some public\n"
	"FUNC 1000 30 10 another func\n"
	"1000 30 7 53\n";

static const char small_crlf[] =
	"MODULE Linux x86 ffff0000 bar\r\n"
	"FILE 53 bar.c\r\n"
	"PUBLIC 1234 10 some public\r\n"
	"FUNC 1000 30 10 another func\r\n"
	"1000 30 7 53\r\n";

static void check_small(const char *text)
{
	struct bp_symfile *sf = parse(text);
	struct bp_stats st;
	bp_symfile_stats(sf, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.publics, 1);
	assert_int_equal(st.funcs, 1);
	assert_int_equal(st.lines, 1);
	assert_int_equal(st.bad_lines, 0);
	assert_string_equal(bp_symfile_id(sf), "ffff0000");
	assert_string_equal(bp_func_at(sf, 0x1000, NULL, NULL), "another func");
	assert_string_equal(bp_func_at(sf, 0x1001, NULL, NULL), "another func");
	assert_null(bp_func_at(sf, 0x1030, NULL, NULL));

	struct cr_symframe f[4];
	assert_int_equal(bp_symbolize(sf, 0x1010, f, 4), 1);
	assert_string_equal(f[0].function, "another func");
	assert_true(f[0].offset_known);
	assert_int_equal(f[0].offset, 0x10);
	assert_string_equal(f[0].file, "bar.c");
	assert_int_equal(f[0].line, 7);
	/* past the FUNC: the PUBLIC, without a line */
	assert_int_equal(bp_symbolize(sf, 0x1240, f, 4), 1);
	assert_string_equal(f[0].function, "some public");
	assert_int_equal(f[0].offset, 0xc);
	assert_null(f[0].file);
	/* between the FUNC's end and the PUBLIC: nothing */
	assert_int_equal(bp_symbolize(sf, 0x1100, f, 4), 0);
	bp_symfile_free(sf);
}

static void test_parse_small(void **state)
{
	(void)state;
	check_small(small_lf);
	check_small(small_crlf);
}

/* linux_inline.new.sym's main, trimmed: three nested inlined calls. */
static const char inline_sym[] =
	"MODULE Linux x86_64 BBA6FA10B8AAB33D00000000000000000 linux_inline\n"
	"FILE 0 linux_inline.cpp\n"
	"FILE 1 a.cpp\n"
	"FILE 2 b.cpp\n"
	"FILE 3 c.cpp\n"
	"INLINE_ORIGIN 0 bar()\n"
	"INLINE_ORIGIN 1 foo()\n"
	"INLINE_ORIGIN 2 func()\n"
	"FUNC 15b30 6cf 0 main\n"
	"INLINE 0 42 1 1 15b45 6b1\n"
	"INLINE 1 39 2 0 15b72 684\n"
	"INLINE 2 32 3 2 15b83 673\n"
	"15b30 15 41 0\n"
	"15b83 a 9 0\n";

static void test_inline(void **state)
{
	(void)state;
	struct bp_symfile *sf = parse(inline_sym);
	struct cr_symframe f[8];
	/* inside all three inlined calls */
	assert_int_equal(bp_symbolize(sf, 0x15b85, f, 8), 4);
	assert_string_equal(f[0].function, "func()");
	assert_string_equal(f[0].file, "linux_inline.cpp");
	assert_int_equal(f[0].line, 9);
	assert_false(f[0].offset_known);
	assert_string_equal(f[1].function, "bar()");
	assert_string_equal(f[1].file, "c.cpp");
	assert_int_equal(f[1].line, 32);
	assert_string_equal(f[2].function, "foo()");
	assert_string_equal(f[2].file, "b.cpp");
	assert_int_equal(f[2].line, 39);
	assert_string_equal(f[3].function, "main");
	assert_string_equal(f[3].file, "a.cpp");
	assert_int_equal(f[3].line, 42);
	assert_true(f[3].offset_known);
	assert_int_equal(f[3].offset, 0x55);
	/* before the first inlined call: main alone */
	assert_int_equal(bp_symbolize(sf, 0x15b31, f, 8), 1);
	assert_string_equal(f[0].function, "main");
	assert_int_equal(f[0].line, 41);
	/* MAX bounds the frames: the outer FUNC is always last */
	assert_int_equal(bp_symbolize(sf, 0x15b85, f, 2), 2);
	assert_string_equal(f[1].function, "main");
	bp_symfile_free(sf);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char bad[] =
		"MODULE\n"
		"FILE\n"
		"FILE x name\n"
		"FILE 99999999999 name\n"
		"FUNC\n"
		"FUNC 1000\n"
		"FUNC 1000 10\n"
		"FUNC 1000 10 0\n"	/* no name */
		"FUNC ffffffffffffff00 200 0 wraps\n"
		"1000 4 1 0\n"		/* line of the dropped FUNC */
		"FUNC 10000000000000000 10 0 too big\n"
		"FUNC 2000 10 0 ok\n"
		"2000 4 99999999999 0\n"
		"2000 4\n"
		"2000 ffffffffffffffff 1 0\n"
		"INLINE 0 1 0 1000000000 2000 4\n"	/* origin 10^9 */
		"INLINE 0 1 0 1\n"			/* no range */
		"INLINE 0 1 0 1 2004\n"			/* half a range */
		"INLINE 100 1 0 1 2000 4\n"		/* too deep */
		"PUBLIC\n"
		"PUBLIC zz 0 x\n"
		"STACK\n"
		"STACK CFI 1000 .cfa: $rsp 8 +\n"	/* no INIT */
		"STACK CFI INIT 1000\n"
		"STACK CFI INIT 1000 ffffffffffffffff .cfa: $rsp\n"
		"STACK WIN 4 1000\n"
		"STACK WIN 4 1000 10 0 0 0 0 0 0 1\n"	/* no program */
		"STACK WIN 0 ffffffff 10 0 0 0 0 0 0 0 0\n"
		"STACK WIN 9 1000 10 0 0 0 0 0 0 0 0\n"	/* unused type */
		"WHATEVER 1 2 3\n"
		"\n\n\r\n"
		"FUNC 3000 10 0 trunc";		/* no final newline */
	struct bp_symfile *sf = parse(bad);
	struct bp_stats st;
	bp_symfile_stats(sf, &st);
	assert_int_equal(st.funcs, 2);		/* ok, trunc */
	assert_int_equal(st.lines, 0);
	assert_int_equal(st.inlines, 1);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.win_fpo + st.win_frame_data, 0);
	assert_int_equal(st.first_bad_line, 1);
	assert_true(st.bad_lines >= 25);
	struct cr_symframe f[4];
	/* the INLINE with an unknown origin gives an unnamed inlined frame */
	assert_int_equal(bp_symbolize(sf, 0x2001, f, 4), 2);
	assert_null(f[0].function);
	assert_string_equal(f[1].function, "ok");
	assert_int_equal(bp_symbolize(sf, 0x3001, f, 4), 1);
	assert_string_equal(f[0].function, "trunc");
	assert_int_equal(bp_symbolize(sf, 0xffffffffffffff10ull, f, 4), 0);
	bp_symfile_free(sf);
}

/* Random damage to a valid file never crashes (run under ASan in CI). */
static void test_mutations(void **state)
{
	(void)state;
	size_t n = strlen(inline_sym);
	char *buf = malloc(n);
	assert_non_null(buf);
	srand(1);
	for (int round = 0; round < 3000; round++) {
		memcpy(buf, inline_sym, n);
		for (int k = 0; k < 1 + round % 8; k++)
			buf[(size_t)rand() % n] = "0f \n\r-:$zFUNCINLINE"[rand() % 19];
		size_t len = (size_t)rand() % (n + 1);
		struct bp_symfile *sf = NULL;
		struct cr_error *err = bp_symfile_parse((uint8_t *)buf, len,
							"m.sym", &sf);
		assert_null(err);
		struct cr_symframe f[8];
		for (uint64_t a = 0x15b20; a < 0x15c00; a += 7)
			bp_symbolize(sf, a, f, 8);
		bp_symfile_free(sf);
	}
	free(buf);
}

/* --- stepping on a synthesized dump ---------------------------------------- */

static char tmpdir[] = "/tmp/test_breakpad.XXXXXX";

static void write_sym(const char *mod, const char *id, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, mod);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/%s", tmpdir, mod, id);
	mkdir(path, 0700);
	const char *stem = mod;
	char name[128];
	snprintf(name, sizeof(name), "%s", stem);
	size_t nl = strlen(name);
	if (nl > 4 && !strcmp(name + nl - 4, ".pdb"))
		name[nl - 4] = '\0';
	snprintf(path, sizeof(path), "%s/%s/%s/%s.sym", tmpdir, mod, id, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct cr_dump *make_dump(enum cr_arch arch, unsigned psize,
				 const char *debug_file, const char *id,
				 uint8_t *stack, size_t stack_len,
				 uint64_t stack_base)
{
	struct cr_dump *d = cr_dump_new("synth.dmp");
	assert_non_null(d);
	d->process.arch = arch;
	d->process.pointer_size = psize;
	d->modules = calloc(1, sizeof(*d->modules));
	d->nmodules = 1;
	d->modules[0].path = strdup(debug_file);
	d->modules[0].debug_file = strdup(debug_file);
	d->modules[0].debug_id = strdup(id);
	d->modules[0].base = 0x400000;
	d->modules[0].size = 0x10000;
	d->segs = calloc(1, sizeof(*d->segs));
	d->nsegs = 1;
	d->segs[0].start = stack_base;
	d->segs[0].size = stack_len;
	d->segs[0].bytes = stack;
	return d;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void test_step_cfi_amd64(void **state)
{
	(void)state;
	write_sym("prog", "AAAA0", "MODULE Linux x86_64 AAAA0 prog\n"
		  "FUNC 1000 100 0 f\n"
		  "STACK CFI INIT 1000 100 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
		  "STACK CFI 1001 .cfa: $rsp 16 + $rbp: .cfa -16 + ^\n"
		  "STACK CFI 1004 .cfa: $rbp 16 +\n");
	uint8_t stack[0x100] = { 0 };
	uint64_t sb = 0x7000;
	/* rbp = 0x7040: saved rbp at 0x7040, return address at 0x7048 */
	put64(stack + 0x40, 0x7080);
	put64(stack + 0x48, 0x401200);
	struct cr_dump *d = make_dump(CR_ARCH_X86_64, 8, "prog", "AAAA0",
				      stack, sizeof(stack), sb);
	const char *dirs[] = { tmpdir, NULL };
	struct cr_options opts = { .symbol_dirs = dirs };
	struct cr_breakpad *bp;
	assert_null(breakpad_open(d, &opts, &bp));
	struct cr_step_source step;
	struct cr_sym_provider prov;
	assert_true(breakpad_sources(bp, &step, &prov));

	struct cr_regs callee = { 0 }, caller;
	cr_regs_set(&callee, 16, 0x401010);	/* rip, after 1004 */
	cr_regs_set(&callee, 7, 0x7020);	/* rsp */
	cr_regs_set(&callee, 6, 0x7040);	/* rbp */
	cr_regs_set(&callee, 3, 0xbbb);		/* rbx: callee-saved */
	cr_regs_set(&callee, 0, 0xaaa);		/* rax: not kept */
	assert_int_equal(step.step(step.ctx, d, &callee, true, &caller),
			 CR_STEP_OK);
	uint64_t v;
	assert_true(cr_regs_get(&caller, 16, &v));
	assert_int_equal(v, 0x401200);
	assert_true(cr_regs_get(&caller, 7, &v));
	assert_int_equal(v, 0x7050);
	assert_true(cr_regs_get(&caller, 6, &v));
	assert_int_equal(v, 0x7080);
	assert_true(cr_regs_get(&caller, 3, &v));
	assert_int_equal(v, 0xbbb);
	assert_false(cr_regs_get(&caller, 0, &v));

	/* the caller's pc has no CFI here: nothing to say */
	assert_int_equal(step.step(step.ctx, d, &caller, false, &callee),
			 CR_STEP_NONE);
	/* a return address of 0 ends the stack */
	put64(stack + 0x48, 0);
	assert_int_equal(step.step(step.ctx, d, &callee, true, &caller),
			 CR_STEP_END);

	struct cr_symframe f[2];
	assert_int_equal(prov.lookup(prov.ctx, d, 0, 0x1010, f, 2), 1);
	assert_string_equal(f[0].function, "f");
	breakpad_free(bp);
	cr_dump_free(d);
}

static void test_step_win_x86(void **state)
{
	(void)state;
	write_sym("app.pdb", "BBBB1", "MODULE windows x86 BBBB1 app.pdb\n"
		  "FUNC 1000 100 8 f\n"
		  "FUNC 2000 100 0 g\n"
		  "STACK WIN 4 1000 100 3 0 8 0 4 0 1 $T0 $ebp = "
		  "$eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =\n"
		  "STACK WIN 0 2000 100 0 0 0 4 8 0 0 1\n");
	uint8_t stack[0x200] = { 0 };
	uint64_t sb = 0x10000;
	/* frame of f: ebp = 0x10040 → saved ebp, return into g */
	put32(stack + 0x40, 0x10100);
	put32(stack + 0x44, 0x402010);
	struct cr_dump *d = make_dump(CR_ARCH_X86, 4, "c:\\build\\app.pdb",
				      "BBBB1", stack, sizeof(stack), sb);
	const char *dirs[] = { "/nonexistent", tmpdir, NULL };
	struct cr_options opts = { .symbol_dirs = dirs };
	struct cr_breakpad *bp;
	assert_null(breakpad_open(d, &opts, &bp));
	struct cr_step_source step;
	struct cr_sym_provider prov;
	assert_true(breakpad_sources(bp, &step, &prov));

	struct cr_regs r0 = { 0 }, r1, r2;
	cr_regs_set(&r0, 8, 0x401010);	/* eip in f */
	cr_regs_set(&r0, 4, 0x10030);	/* esp */
	cr_regs_set(&r0, 5, 0x10040);	/* ebp */
	assert_int_equal(step.step(step.ctx, d, &r0, true, &r1), CR_STEP_OK);
	uint64_t v;
	assert_true(cr_regs_get(&r1, 8, &v));
	assert_int_equal(v, 0x402010);
	assert_true(cr_regs_get(&r1, 4, &v));
	assert_int_equal(v, 0x10048);
	assert_true(cr_regs_get(&r1, 5, &v));
	assert_int_equal(v, 0x10100);

	/* g: FPO, allocates a base pointer; callee (f) params 8, locals 8,
	 * saved 4 → return address at esp + 8 + 8 + 4 = 0x1005c */
	put32(stack + 0x5c, 0x401080);
	put32(stack + 0x48 + 8 + 4 - 8, 0x10180);	/* saved ebp */
	assert_int_equal(step.step(step.ctx, d, &r1, false, &r2), CR_STEP_OK);
	assert_true(cr_regs_get(&r2, 8, &v));
	assert_int_equal(v, 0x401080);
	assert_true(cr_regs_get(&r2, 4, &v));
	assert_int_equal(v, 0x10060);
	assert_true(cr_regs_get(&r2, 5, &v));
	assert_int_equal(v, 0x10180);
	breakpad_free(bp);
	cr_dump_free(d);
}

/*
 * The x86 ebp search below a STACK WIN frame walks down from esp +
 * .cbSavedRegs, a number from the symbol file: it must look at a bounded
 * number of words, not up to 4 GB of captured stack per frame.
 */
static void test_step_win_ebp_search_bounded(void **state)
{
	(void)state;
	write_sym("big.pdb", "CCCC2", "MODULE windows x86 CCCC2 big.pdb\n"
		  "STACK WIN 4 1000 100 0 0 0 ffffc 0 0 1 "
		  "$eip 4660 = $esp $esp 8 + = $ebp 0 =\n");
	size_t len = 0x100000;
	uint8_t *stack = calloc(1, len);
	assert_non_null(stack);
	uint64_t sb = 0x100000;
	/* The only word that points into memory is 1 MB below the top. */
	put32(stack, 0x100010);
	struct cr_dump *d = make_dump(CR_ARCH_X86, 4, "big.pdb", "CCCC2",
				      stack, len, sb);
	const char *dirs[] = { tmpdir, NULL };
	struct cr_options opts = { .symbol_dirs = dirs };
	struct cr_breakpad *bp;
	assert_null(breakpad_open(d, &opts, &bp));
	struct cr_step_source step;
	struct cr_sym_provider prov;
	assert_true(breakpad_sources(bp, &step, &prov));
	struct cr_regs r0 = { 0 }, r1;
	cr_regs_set(&r0, 8, 0x401010);	/* eip */
	cr_regs_set(&r0, 4, sb);	/* esp */
	cr_regs_set(&r0, 5, 0);		/* ebp */
	assert_int_equal(step.step(step.ctx, d, &r0, true, &r1), CR_STEP_OK);
	uint64_t v;
	assert_true(cr_regs_get(&r1, 5, &v));
	assert_int_equal(v, 0);		/* not searched for 256K words */
	/* Near the top, within the bound, the search still finds one. */
	put32(stack + len - 64, 0x100010);
	assert_int_equal(step.step(step.ctx, d, &r0, true, &r1), CR_STEP_OK);
	assert_true(cr_regs_get(&r1, 5, &v));
	assert_int_equal(v, 0x100010);
	breakpad_free(bp);
	cr_dump_free(d);
	free(stack);
}

static void test_locate(void **state)
{
	(void)state;
	/* no symbol file for the module: sources say so */
	uint8_t stack[16] = { 0 };
	struct cr_dump *d = make_dump(CR_ARCH_X86_64, 8, "../../etc", "X",
				      stack, sizeof(stack), 0x1000);
	const char *dirs[] = { tmpdir, NULL };
	struct cr_options opts = { .symbol_dirs = dirs };
	struct cr_breakpad *bp;
	assert_null(breakpad_open(d, &opts, &bp));
	struct cr_step_source step;
	struct cr_sym_provider prov;
	assert_false(breakpad_sources(bp, &step, &prov));
	breakpad_free(bp);
	cr_dump_free(d);

	/* a differently named .sym whose MODULE id matches is found */
	write_sym("other", "CCCC2", "MODULE Linux x86_64 CCCC2 other\n"
		  "PUBLIC 10 0 pub\n");
	char from[512], to[512];
	snprintf(from, sizeof(from), "%s/other/CCCC2/other.sym", tmpdir);
	snprintf(to, sizeof(to), "%s/other/CCCC2/other.new.sym", tmpdir);
	assert_int_equal(rename(from, to), 0);
	d = make_dump(CR_ARCH_X86_64, 8, "/usr/bin/other", "CCCC2", stack,
		      sizeof(stack), 0x1000);
	assert_null(breakpad_open(d, &opts, &bp));
	assert_true(breakpad_sources(bp, &step, &prov));
	struct cr_symframe f[1];
	assert_int_equal(prov.lookup(prov.ctx, d, 0, 0x20, f, 1), 1);
	assert_string_equal(f[0].function, "pub");
	breakpad_free(bp);
	cr_dump_free(d);
}

/* Two analyses given one file cache parse a symbol file once, and it
 * outlives the first; a file rewritten between them is read again. */
static void test_shared_cache(void **state)
{
	(void)state;
	write_sym("shared", "DDDD3", "MODULE Linux x86_64 DDDD3 shared\n"
		  "FUNC 1000 100 0 first\n");
	uint8_t stack[0x40] = { 0 };
	struct cr_dump *d = make_dump(CR_ARCH_X86_64, 8, "shared", "DDDD3",
				      stack, sizeof(stack), 0x7000);
	const char *dirs[] = { tmpdir, NULL };
	struct cr_file_cache *cache = cr_file_cache_new();
	assert_non_null(cache);
	struct cr_options opts = { .symbol_dirs = dirs, .file_cache = cache };
	struct cr_breakpad *a, *b;
	assert_null(breakpad_open(d, &opts, &a));
	assert_null(breakpad_open(d, &opts, &b));
	struct bp_symfile *sf = bp_module_symfile(a, 0);
	assert_non_null(sf);
	assert_ptr_equal(bp_module_symfile(b, 0), sf);
	breakpad_free(a);
	struct cr_symframe f[1];
	assert_int_equal(bp_symbolize(bp_module_symfile(b, 0), 0x1010, f, 1), 1);
	assert_string_equal(f[0].function, "first");
	breakpad_free(b);
	struct cr_file_cache_stats st;
	cr_file_cache_stats(cache, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.hits, 1);

	write_sym("shared", "DDDD3", "MODULE Linux x86_64 DDDD3 shared\n"
		  "FUNC 1000 100 0 second_version\n");
	assert_null(breakpad_open(d, &opts, &a));
	sf = bp_module_symfile(a, 0);
	assert_non_null(sf);
	assert_int_equal(bp_symbolize(sf, 0x1010, f, 1), 1);
	assert_string_equal(f[0].function, "second_version");
	breakpad_free(a);
	cr_file_cache_stats(cache, &st);
	assert_int_equal(st.files, 2);
	cr_file_cache_free(cache);
	cr_dump_free(d);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix_values),
		cmocka_unit_test(test_postfix_program),
		cmocka_unit_test(test_parse_small),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_step_cfi_amd64),
		cmocka_unit_test(test_step_win_x86),
		cmocka_unit_test(test_step_win_ebp_search_bounded),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_shared_cache),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
