/*
 * test_pe.c - unit tests of the PE image reader (formats/pe.c) and of the
 * x64 unwinder and export symbols built on it (analyzer/walk_pe.c), on a
 * small image synthesized in memory and put in a struct cr_dump with one
 * segment for the image and one for a stack.
 *
 * The image (base IMG, SizeOfImage 0x3000, no sections: a loaded image
 * needs none) holds:
 *   0x1000 F: push rbp / sub rsp,0x20 / mov rbp,rsp / mov [rbp+0x10],rbx,
 *             body, epilog lea rsp,[rbp+0x20] / pop rbp / ret at 0x1020
 *   0x1100    code without a RUNTIME_FUNCTION (a leaf)
 *   0x1200 G: push rbx; its fragment G2 at 0x1300 (sub rsp,0x10) chains to G
 *   0x1400 H: two unwind infos chained to each other (a cycle)
 *   0x1500 K: PUSH_MACHFRAME
 *   exports Zeta=F, Alpha=G, a forwarder, and a name cut off at the end
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "dump.h"
#include "pe.h"
#include "symtab.h"
#include "walk.h"
#include "util.h"

#define IMG 0x10000000ull
#define IMG_SIZE 0x3000u
#define STK 0x70000000ull
#define STK_SIZE 0x2000u
#define S0 (STK + 0x1000)	/* the caller's rsp after F returns */
#define RET (IMG + 0x0f00)	/* F's return address */
#define OLD_RBP 0x1111111111111111ull
#define OLD_RBX 0x2222222222222222ull
#define GARBAGE 0x9999999999999999ull

/* DWARF register numbers */
#define RBX 3
#define RBP 6
#define RSP 7
#define RIP 16

static uint8_t img[IMG_SIZE];
static uint8_t stk[STK_SIZE];

static void put8(uint8_t *b, uint32_t off, uint8_t v) { b[off] = v; }
static void put16(uint8_t *b, uint32_t off, uint16_t v)
{
	b[off] = v & 0xff;
	b[off + 1] = v >> 8;
}
static void put32(uint8_t *b, uint32_t off, uint32_t v)
{
	put16(b, off, v & 0xffff);
	put16(b, off + 2, v >> 16);
}
static void put64(uint8_t *b, uint32_t off, uint64_t v)
{
	put32(b, off, (uint32_t)v);
	put32(b, off + 4, (uint32_t)(v >> 32));
}
static void stack_word(uint64_t addr, uint64_t v)
{
	put64(stk, (uint32_t)(addr - STK), v);
}
static void bytes(uint32_t off, const char *hex)
{
	for (const char *p = hex; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		unsigned v;
		sscanf(p, "%2x", &v);
		img[off++] = (uint8_t)v;
		p += 2;
	}
}

/* UNWIND_INFO at OFF: header and NSLOTS raw 16-bit slots. */
static void unwind_info(uint32_t off, uint8_t ver_flags, uint8_t prolog,
			uint8_t count, uint8_t frame, const uint16_t *slots)
{
	put8(img, off, ver_flags);
	put8(img, off + 1, prolog);
	put8(img, off + 2, count);
	put8(img, off + 3, frame);
	for (unsigned i = 0; i < count; i++)
		put16(img, off + 4 + 2 * i, slots[i]);
}
#define SLOT(off, op, info) ((uint16_t)((off) | ((op) << 8) | ((info) << 12)))

static void chain_to(uint32_t ui, uint8_t count, uint32_t begin, uint32_t end,
		     uint32_t target)
{
	uint32_t at = ui + 4 + 2 * ((count + 1u) & ~1u);
	put32(img, at, begin);
	put32(img, at + 4, end);
	put32(img, at + 8, target);
}

#define EXP_DIR 0x2000u
#define PDATA 0x1800u

static void build_image(void)
{
	memset(img, 0xcc, sizeof(img));
	memset(stk, 0, sizeof(stk));
	/* headers */
	memset(img, 0, 0x200);
	bytes(0, "4d5a");
	put32(img, 0x3c, 0x40);
	bytes(0x40, "50450000");
	put16(img, 0x44, PE_MACHINE_AMD64);
	put16(img, 0x54, 0xf0);		/* SizeOfOptionalHeader */
	uint32_t opt = 0x58;
	put16(img, opt, 0x20b);
	put32(img, opt + 56, IMG_SIZE);
	put32(img, opt + 108, 16);
	put32(img, opt + 112, EXP_DIR);
	put32(img, opt + 116, 0x200);
	put32(img, opt + 112 + 3 * 8, PDATA);

	/* F */
	memset(img + 0x1000, 0x90, 0x40);
	bytes(0x1000, "55 4883ec20 488bec 48895d10");
	bytes(0x1020, "488d6520 5d c3");
	static const uint16_t f_codes[] = {
		SLOT(12, PE_UWOP_SAVE_NONVOL, 3), 2,	/* rbx at frame+0x10 */
		SLOT(8, PE_UWOP_SET_FPREG, 0),
		SLOT(5, PE_UWOP_ALLOC_SMALL, 3),	/* 0x20 */
		SLOT(1, PE_UWOP_PUSH_NONVOL, 5),	/* rbp */
	};
	unwind_info(0x1900, 1, 12, 5, 0x05, f_codes);
	/* leaf at 0x1100: no entry */
	memset(img + 0x1100, 0x90, 0x10);
	/* G and its chained fragment G2 */
	memset(img + 0x1200, 0x90, 0x40);
	memset(img + 0x1300, 0x90, 0x40);
	static const uint16_t g_codes[] = { SLOT(1, PE_UWOP_PUSH_NONVOL, 3) };
	unwind_info(0x1920, 1, 1, 1, 0, g_codes);
	static const uint16_t g2_codes[] = { SLOT(0, PE_UWOP_ALLOC_SMALL, 1) };
	unwind_info(0x1940, 1 | (PE_UNW_FLAG_CHAININFO << 3), 0, 1, 0, g2_codes);
	chain_to(0x1940, 1, 0x1200, 0x1240, 0x1920);
	/* H: a cycle of chained infos */
	memset(img + 0x1400, 0x90, 0x10);
	unwind_info(0x1960, 1 | (PE_UNW_FLAG_CHAININFO << 3), 0, 0, 0, NULL);
	chain_to(0x1960, 0, 0x1400, 0x1410, 0x1980);
	unwind_info(0x1980, 1 | (PE_UNW_FLAG_CHAININFO << 3), 0, 0, 0, NULL);
	chain_to(0x1980, 0, 0x1400, 0x1410, 0x1960);
	/* K: machine frame */
	memset(img + 0x1500, 0x90, 0x10);
	static const uint16_t k_codes[] = { SLOT(0, PE_UWOP_PUSH_MACHFRAME, 0) };
	unwind_info(0x19a0, 1, 0, 1, 0, k_codes);
	/* every op for the decoder */
	static const uint16_t all_codes[] = {
		SLOT(30, PE_UWOP_EPILOG, 1), 0x0004,	/* v2: skipped */
		SLOT(28, PE_UWOP_SAVE_XMM128_FAR, 6), 0x0010, 0x0001,
		SLOT(24, PE_UWOP_SAVE_XMM128, 7), 0x0003,	/* 0x30 */
		SLOT(20, PE_UWOP_SAVE_NONVOL_FAR, 12), 0x0008, 0x0002,
		SLOT(16, PE_UWOP_ALLOC_LARGE, 1), 0x0008, 0x0001,
		SLOT(8, PE_UWOP_ALLOC_LARGE, 0), 0x0030,	/* 0x180 */
		SLOT(2, PE_UWOP_ALLOC_SMALL, 0),
		SLOT(1, PE_UWOP_PUSH_NONVOL, 15),
	};
	unwind_info(0x19c0, 2, 31, 17, 0, all_codes);

	/* .pdata, sorted except the last entry */
	static const uint32_t rfs[][3] = {
		{ 0x1000, 0x1040, 0x1900 },
		{ 0x1200, 0x1240, 0x1920 },
		{ 0x1300, 0x1340, 0x1940 },
		{ 0x1400, 0x1410, 0x1960 },
		{ 0x1600, 0x1610, 0x19c0 },
		{ 0x1500, 0x1510, 0x19a0 },
		{ 0x1700, 0x1700, 0x19a0 },	/* empty: dropped */
	};
	for (unsigned i = 0; i < ARRAY_LEN(rfs); i++)
		for (unsigned k = 0; k < 3; k++)
			put32(img, PDATA + 12 * i + 4 * k, rfs[i][k]);
	put32(img, opt + 112 + 3 * 8 + 4, ARRAY_LEN(rfs) * 12);

	/* exports: Zeta -> F, Alpha -> G, Fwd -> forwarder, Beyond -> a
	 * name without its NUL at the very end of the image */
	memset(img + EXP_DIR, 0, 0x200);
	put32(img, EXP_DIR + 16, 1);		/* Base */
	put32(img, EXP_DIR + 20, 4);		/* NumberOfFunctions */
	put32(img, EXP_DIR + 24, 4);		/* NumberOfNames */
	put32(img, EXP_DIR + 28, 0x2040);
	put32(img, EXP_DIR + 32, 0x2060);
	put32(img, EXP_DIR + 36, 0x2080);
	static const uint32_t funcs[] = { 0x1000, 0x1200, 0x2100, 0x1000 };
	static const uint32_t names[] = { 0x20a0, 0x20b0, 0x20c0, IMG_SIZE - 3 };
	for (unsigned i = 0; i < 4; i++) {
		put32(img, 0x2040 + 4 * i, funcs[i]);
		put32(img, 0x2060 + 4 * i, names[i]);
		put16(img, 0x2080 + 2 * i, (uint16_t)i);
	}
	strcpy((char *)img + 0x20a0, "Zeta");
	strcpy((char *)img + 0x20b0, "Alpha");
	strcpy((char *)img + 0x20c0, "Fwd");
	strcpy((char *)img + 0x2100, "OTHER.Func");
	memcpy(img + IMG_SIZE - 3, "Bey", 3);
}

static struct cr_dump *make_dump(void)
{
	struct cr_dump *d = cr_dump_new("synth.dmp");
	assert_non_null(d);
	d->process.arch = CR_ARCH_X86_64;
	d->process.pointer_size = 8;
	d->process.os = CR_OS_WINDOWS;
	d->segs = calloc(2, sizeof(*d->segs));
	d->segs[0] = (struct cr_memseg){ IMG, IMG_SIZE, img };
	d->segs[1] = (struct cr_memseg){ STK, STK_SIZE, stk };
	d->nsegs = 2;
	d->modules = calloc(1, sizeof(*d->modules));
	d->modules[0] = (struct cr_module){ .path = strdup("C:\\test.dll"),
					    .base = IMG, .size = IMG_SIZE,
					    .kind = CR_MODULE_PE };
	d->nmodules = 1;
	return d;
}

struct fixture {
	struct cr_dump *d;
	struct pe_image pi;
	struct cr_pe *pe;
	struct cr_step_source step;
	struct cr_sym_provider prov;
};

static int setup(void **state)
{
	build_image();
	struct fixture *f = calloc(1, sizeof(*f));
	f->d = make_dump();
	struct cr_error *err = pe_image_open(pe_mem_dump(f->d), IMG, IMG_SIZE, &f->pi);
	if (err)
		fail_msg("%s", err->message);
	struct cr_options o = { 0 };
	assert_null(pe_open(f->d, &o, &f->pe));
	assert_true(pe_sources(f->pe, &f->step, &f->prov));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pe_free(f->pe);
	cr_dump_free(f->d);
	free(f);
	return 0;
}

/* --- reader -------------------------------------------------------------- */

static void test_headers(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(f->pi.machine, PE_MACHINE_AMD64);
	assert_true(f->pi.pe32plus);
	assert_int_equal(f->pi.size, IMG_SIZE);
	assert_int_equal(f->pi.export_rva, EXP_DIR);
	assert_int_equal(f->pi.pdata_rva, PDATA);
}

static void test_bad_headers(void **state)
{
	struct fixture *f = *state;
	struct pe_image pi;
	struct cr_error *err;
	/* e_lfanew past the header page */
	put32(img, 0x3c, 0xfffffff0);
	err = pe_image_open(pe_mem_dump(f->d), IMG, IMG_SIZE, &pi);
	assert_non_null(err);
	cr_error_free(err);
	put32(img, 0x3c, 0x40);
	/* not in memory at all */
	err = pe_image_open(pe_mem_dump(f->d), 0x5000, 0x1000, &pi);
	assert_non_null(err);
	cr_error_free(err);
	/* SizeOfOptionalHeader larger than the header page */
	put16(img, 0x54, 0xfff0);
	err = pe_image_open(pe_mem_dump(f->d), IMG, IMG_SIZE, &pi);
	assert_non_null(err);
	cr_error_free(err);
	put16(img, 0x54, 0xf0);
}

static void test_exports(void **state)
{
	struct fixture *f = *state;
	struct pe_exports e;
	assert_null(pe_read_exports(&f->pi, &e));
	/* Zeta, Alpha; the forwarder left out, the cut name skipped */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.skipped, 1);
	assert_int_equal(e.v[0].rva, 0x1000);
	assert_string_equal(e.v[0].name, "Zeta");
	assert_string_equal(e.v[1].name, "Alpha");
	const struct pe_export *x = pe_export_lookup(&e, 0x1010);
	assert_non_null(x);
	assert_string_equal(x->name, "Zeta");
	x = pe_export_lookup(&e, 0x1fff);
	assert_string_equal(x->name, "Alpha");
	assert_null(pe_export_lookup(&e, 0xfff));
	pe_exports_free(&e);
}

static void test_exports_lying_counts(void **state)
{
	struct fixture *f = *state;
	struct pe_exports e;
	struct cr_error *err;
	/* NumberOfNames far past the image: the name table does not fit */
	put32(img, EXP_DIR + 24, 0xffffffff);
	err = pe_read_exports(&f->pi, &e);
	assert_non_null(err);
	assert_int_equal(e.n, 0);
	cr_error_free(err);
	put32(img, EXP_DIR + 24, 4);
	/* NumberOfFunctions 1: the other ordinals point past it */
	put32(img, EXP_DIR + 20, 1);
	assert_null(pe_read_exports(&f->pi, &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].name, "Zeta");
	pe_exports_free(&e);
	put32(img, EXP_DIR + 20, 4);
	/* the address table at an rva that wraps */
	put32(img, EXP_DIR + 28, 0xfffffffe);
	err = pe_read_exports(&f->pi, &e);
	assert_non_null(err);
	cr_error_free(err);
	put32(img, EXP_DIR + 28, 0x2040);
}

static void test_pdata(void **state)
{
	struct fixture *f = *state;
	struct pe_pdata p;
	assert_null(pe_read_pdata(&f->pi, &p));
	assert_int_equal(p.n, 6);	/* the empty entry dropped */
	for (size_t i = 1; i < p.n; i++)
		assert_true(p.v[i - 1].begin < p.v[i].begin);
	const struct pe_runtime_function *rf = pe_pdata_find(&p, 0x1020);
	assert_non_null(rf);
	assert_int_equal(rf->begin, 0x1000);
	assert_int_equal(pe_pdata_find(&p, 0x1500)->begin, 0x1500);
	assert_null(pe_pdata_find(&p, 0x1040));	/* end is exclusive */
	assert_null(pe_pdata_find(&p, 0x1100));
	assert_null(pe_pdata_find(&p, 0x10));
	pe_pdata_free(&p);
}

static void test_unwind_info_decode(void **state)
{
	struct fixture *f = *state;
	struct pe_unwind_info ui;
	assert_null(pe_read_unwind_info(&f->pi, 0x1900, &ui));
	assert_int_equal(ui.version, 1);
	assert_int_equal(ui.prolog_size, 12);
	assert_int_equal(ui.frame_reg, 5);
	assert_int_equal(ui.frame_offset, 0);
	assert_int_equal(ui.nops, 4);
	assert_int_equal(ui.ops[0].op, PE_UWOP_SAVE_NONVOL);
	assert_int_equal(ui.ops[0].arg, 0x10);
	assert_int_equal(ui.ops[2].arg, 0x20);

	assert_null(pe_read_unwind_info(&f->pi, 0x19c0, &ui));
	assert_int_equal(ui.version, 2);
	assert_int_equal(ui.nops, 7);	/* the EPILOG code skipped */
	static const struct { uint8_t op, info; uint32_t arg; } want[] = {
		{ PE_UWOP_SAVE_XMM128_FAR, 6, 0x10010 },
		{ PE_UWOP_SAVE_XMM128, 7, 0x30 },
		{ PE_UWOP_SAVE_NONVOL_FAR, 12, 0x20008 },
		{ PE_UWOP_ALLOC_LARGE, 1, 0x10008 },
		{ PE_UWOP_ALLOC_LARGE, 0, 0x180 },
		{ PE_UWOP_ALLOC_SMALL, 0, 8 },
		{ PE_UWOP_PUSH_NONVOL, 15, 0 },
	};
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(ui.ops[i].op, want[i].op);
		assert_int_equal(ui.ops[i].info, want[i].info);
		assert_int_equal(ui.ops[i].arg, want[i].arg);
	}

	assert_null(pe_read_unwind_info(&f->pi, 0x1940, &ui));
	assert_true(ui.chained);
	assert_int_equal(ui.chain.begin, 0x1200);
	assert_int_equal(ui.chain.unwind, 0x1920);
}

static void test_unwind_info_bad(void **state)
{
	struct fixture *f = *state;
	struct pe_unwind_info ui;
	struct cr_error *err;
	/* an operand slot past CountOfCodes */
	static const uint16_t cut[] = { SLOT(4, PE_UWOP_SAVE_NONVOL_FAR, 3), 1 };
	unwind_info(0x1a80, 1, 4, 2, 0, cut);
	err = pe_read_unwind_info(&f->pi, 0x1a80, &ui);
	assert_non_null(err);
	cr_error_free(err);
	/* version 3 */
	unwind_info(0x1a80, 3, 0, 0, 0, NULL);
	err = pe_read_unwind_info(&f->pi, 0x1a80, &ui);
	assert_non_null(err);
	cr_error_free(err);
	/* past the image */
	err = pe_read_unwind_info(&f->pi, IMG_SIZE - 2, &ui);
	assert_non_null(err);
	cr_error_free(err);
}

static void test_epilog_decode(void **state)
{
	struct fixture *f = *state;
	struct pe_epilog ep;
	assert_true(pe_x64_decode_epilog(pe_mem_dump(f->d), IMG + 0x1020, IMG,
					 0x1000, 0x1040, &ep));
	assert_true(ep.has_lea);
	assert_int_equal(ep.lea_reg, 5);
	assert_int_equal(ep.lea_disp, 0x20);
	assert_int_equal(ep.npops, 1);
	assert_int_equal(ep.pops[0], 5);
	assert_false(pe_x64_decode_epilog(pe_mem_dump(f->d), IMG + 0x1010, IMG,
					  0x1000, 0x1040, &ep));
	/* add rsp, 0x28; pop r12 (41 5c); jmp back to a ret inside */
	bytes(0x1030, "4883c428 415c eb02 cccc c3");
	assert_true(pe_x64_decode_epilog(pe_mem_dump(f->d), IMG + 0x1030, IMG,
					 0x1000, 0x1040, &ep));
	assert_true(ep.has_add);
	assert_int_equal(ep.add, 0x28);
	assert_int_equal(ep.npops, 1);
	assert_int_equal(ep.pops[0], 12);
	/* a jmp out of the function is not an epilog here */
	assert_false(pe_x64_decode_epilog(pe_mem_dump(f->d), IMG + 0x1030, IMG,
					  0x1000, 0x1038, &ep));
	memset(img + 0x1030, 0x90, 0x10);
}

/* --- unwinding ------------------------------------------------------------ */

static struct cr_regs regs(uint64_t rip, uint64_t rsp, uint64_t rbp,
			   uint64_t rbx)
{
	struct cr_regs r = { 0 };
	cr_regs_set(&r, RIP, rip);
	cr_regs_set(&r, RSP, rsp);
	cr_regs_set(&r, RBP, rbp);
	cr_regs_set(&r, RBX, rbx);
	cr_regs_set(&r, 0, 0x1234);	/* rax: volatile */
	return r;
}

static void expect(const struct cr_regs *r, uint64_t rip, uint64_t rsp,
		   uint64_t rbp, uint64_t rbx)
{
	uint64_t v;
	assert_true(cr_regs_get(r, RIP, &v));
	assert_int_equal(v, rip);
	assert_true(cr_regs_get(r, RSP, &v));
	assert_int_equal(v, rsp);
	assert_true(cr_regs_get(r, RBP, &v));
	assert_int_equal(v, rbp);
	assert_true(cr_regs_get(r, RBX, &v));
	assert_int_equal(v, rbx);
	assert_false(cr_regs_get(r, 0, &v));
}

/* F's stack as its prolog builds it (see the comment at the top). */
static void f_stack(void)
{
	stack_word(S0 - 8, RET);
	stack_word(S0 - 16, OLD_RBP);
	stack_word(S0 - 32, OLD_RBX);	/* [rbp+0x10] with rbp = S0-48 */
}

static enum cr_step_result step(struct fixture *f, struct cr_regs in,
				bool first, struct cr_regs *out)
{
	*out = (struct cr_regs){ 0 };
	return f->step.step(f->step.ctx, f->d, &in, first, out);
}

static void test_unwind_prolog(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	f_stack();
	/* at the first instruction: nothing pushed yet */
	assert_int_equal(step(f, regs(IMG + 0x1000, S0 - 8, OLD_RBP, OLD_RBX), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* after push rbp (rbp may already be changed in the caller's view) */
	assert_int_equal(step(f, regs(IMG + 0x1001, S0 - 16, GARBAGE, OLD_RBX), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* after sub rsp,0x20: rbp not yet the frame register */
	assert_int_equal(step(f, regs(IMG + 0x1005, S0 - 48, GARBAGE, OLD_RBX), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* after mov rbp,rsp: rbx not saved yet, so it is still the caller's */
	assert_int_equal(step(f, regs(IMG + 0x1008, S0 - 48, S0 - 48, OLD_RBX), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
}

static void test_unwind_body(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	f_stack();
	/* rsp lowered by an alloca: the frame comes from rbp; rbx is
	 * clobbered and comes back from its save slot */
	assert_int_equal(step(f, regs(IMG + 0x1010, S0 - 48 - 0x40, S0 - 48, GARBAGE),
			      true, &c), CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* the same pc as a return address (not the first frame) */
	assert_int_equal(step(f, regs(IMG + 0x1011, S0 - 48 - 0x40, S0 - 48, GARBAGE),
			      false, &c), CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
}

static void test_unwind_epilog(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	f_stack();
	/* at lea rsp,[rbp+0x20]: rbx was restored in the body already */
	assert_int_equal(step(f, regs(IMG + 0x1020, S0 - 48 - 0x40, S0 - 48, OLD_RBX),
			      true, &c), CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* at pop rbp */
	assert_int_equal(step(f, regs(IMG + 0x1024, S0 - 16, S0 - 48, OLD_RBX), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* at ret */
	assert_int_equal(step(f, regs(IMG + 0x1025, S0 - 8, OLD_RBP, OLD_RBX), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
}

static void test_unwind_leaf(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	f_stack();
	assert_int_equal(step(f, regs(IMG + 0x1100, S0 - 8, OLD_RBP, OLD_RBX), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* not for a caller frame: the next source decides */
	assert_int_equal(step(f, regs(IMG + 0x1101, S0 - 8, OLD_RBP, OLD_RBX), false, &c),
			 CR_STEP_NONE);
	/* outside any module */
	assert_int_equal(step(f, regs(0x5000, S0 - 8, OLD_RBP, OLD_RBX), true, &c),
			 CR_STEP_NONE);
}

static void test_unwind_chained(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	/* G pushed rbx, G2 allocated 0x10 */
	stack_word(S0 - 8, RET);
	stack_word(S0 - 16, OLD_RBX);
	assert_int_equal(step(f, regs(IMG + 0x1310, S0 - 32, OLD_RBP, GARBAGE), true, &c),
			 CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
}

static void test_unwind_chain_cycle(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	stack_word(S0 - 8, RET);
	assert_int_equal(step(f, regs(IMG + 0x1404, S0 - 8, OLD_RBP, OLD_RBX), true, &c),
			 CR_STEP_NONE);
}

static void test_unwind_machframe(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	uint64_t m = STK + 0x100, v;
	stack_word(m, IMG + 0x1010);		/* rip */
	stack_word(m + 24, S0 - 48 - 0x40);	/* rsp */
	assert_int_equal(step(f, regs(IMG + 0x1504, m, OLD_RBP, OLD_RBX), false, &c),
			 CR_STEP_OK);
	assert_true(cr_regs_get(&c, RIP, &v));
	assert_int_equal(v, IMG + 0x1010);
	assert_true(cr_regs_get(&c, RSP, &v));
	assert_int_equal(v, S0 - 48 - 0x40);
}

static void test_unwind_end(void **state)
{
	struct fixture *f = *state;
	struct cr_regs c;
	f_stack();
	stack_word(S0 - 8, 0);	/* a thread's outermost frame */
	assert_int_equal(step(f, regs(IMG + 0x1000, S0 - 8, OLD_RBP, OLD_RBX), true, &c),
			 CR_STEP_END);
}

/* --- symbols ------------------------------------------------------------- */

static unsigned lookup(struct fixture *f, uint64_t off, struct cr_symframe *out)
{
	*out = (struct cr_symframe){ 0 };
	return f->prov.lookup(f->prov.ctx, f->d, 0, off, out, 1);
}

static void test_symbols(void **state)
{
	struct fixture *f = *state;
	struct cr_symframe s;
	assert_int_equal(lookup(f, 0x1014, &s), 1);
	assert_string_equal(s.function, "Zeta");
	assert_true(s.offset_known);
	assert_int_equal(s.offset, 0x14);
	/* the chained fragment G2 belongs to G = Alpha */
	assert_int_equal(lookup(f, 0x1310, &s), 1);
	assert_string_equal(s.function, "Alpha");
	assert_int_equal(s.offset, 0x110);
	/* K starts after Alpha and is not exported: no name */
	assert_int_equal(lookup(f, 0x1504, &s), 0);
	/* below the first export, past the image */
	assert_int_equal(lookup(f, 0x800, &s), 0);
	assert_int_equal(lookup(f, IMG_SIZE, &s), 0);
}

/* --- image files on disk ------------------------------------------------- */

/*
 * The same image as a file laid out as a linker writes it: headers in
 * [0, 0x400) (SizeOfHeaders 0x400), one section at rva 0x1000 (VirtualSize
 * 0x2000) whose raw data starts at file offset 0x400, so that every rva
 * past the headers differs from its file offset by 0xc00.  The module in
 * the dump has no image memory, only its stack.
 */
#define STAMP 0x5f5e1234u
#define FILE_HDR 0x400u
#define FILE_LEN (FILE_HDR + IMG_SIZE - 0x1000u)
#define SECTAB (0x58u + 0xf0u)

static uint8_t file_img[FILE_LEN];

static void build_file(uint32_t stamp)
{
	put32(img, 0x48, stamp);		/* TimeDateStamp */
	put16(img, 0x46, 1);			/* NumberOfSections */
	put32(img, 0x58 + 60, FILE_HDR);	/* SizeOfHeaders */
	memset(img + SECTAB, 0, 40);
	memcpy(img + SECTAB, ".text", 5);
	put32(img, SECTAB + 8, IMG_SIZE - 0x1000);	/* VirtualSize */
	put32(img, SECTAB + 12, 0x1000);		/* VirtualAddress */
	put32(img, SECTAB + 16, IMG_SIZE - 0x1000);	/* SizeOfRawData */
	put32(img, SECTAB + 20, FILE_HDR);		/* PointerToRawData */
	memcpy(file_img, img, FILE_HDR);
	memcpy(file_img + FILE_HDR, img + 0x1000, IMG_SIZE - 0x1000);
}

static char tmpdir[64];

static void write_file(const char *name, const uint8_t *buf, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

static void remove_tree(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

struct file_fixture {
	struct cr_dump *d;
	struct cr_pe *pe;
	struct cr_step_source step;
	struct cr_sym_provider prov;
	bool sources;
};

/* A dump of the stack alone; the module's code id is STAMP/IMG_SIZE. */
static struct cr_dump *make_stack_dump(const char *path)
{
	struct cr_dump *d = make_dump();
	d->segs[0] = d->segs[1];
	d->nsegs = 1;
	free(d->modules[0].path);
	d->modules[0].path = strdup(path);
	d->modules[0].code_id = cr_strdup_printf("%08X%x", STAMP, IMG_SIZE);
	return d;
}

static void file_open(struct file_fixture *ff, const char *modpath,
		      const char *sysroot, const char **dirs)
{
	ff->d = make_stack_dump(modpath);
	struct cr_options o = { .sysroot = sysroot, .image_dirs = dirs };
	assert_null(pe_open(ff->d, &o, &ff->pe));
	ff->sources = pe_sources(ff->pe, &ff->step, &ff->prov);
}

static void file_close(struct file_fixture *ff)
{
	pe_free(ff->pe);
	cr_dump_free(ff->d);
}

static enum cr_step_result file_step(struct file_fixture *ff, struct cr_regs in,
				     bool first, struct cr_regs *out)
{
	*out = (struct cr_regs){ 0 };
	return ff->step.step(ff->step.ctx, ff->d, &in, first, out);
}

static int file_setup(void **state)
{
	build_image();
	build_file(STAMP);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/coroner-test-pe-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	*state = NULL;
	return 0;
}

static int file_teardown(void **state)
{
	(void)state;
	remove_tree(tmpdir);
	return 0;
}

static void test_file_layout(void **state)
{
	(void)state;
	struct pe_file pf;
	assert_null(pe_file_parse(file_img, FILE_LEN, IMG, &pf));
	assert_int_equal(pf.timestamp, STAMP);
	assert_int_equal(pf.size_of_image, IMG_SIZE);
	assert_int_equal(pf.nsections, 1);
	struct pe_mem m = pe_mem_file(&pf);
	uint8_t buf[0x40];
	/* rvas in the section come from raw offset + (rva - va) */
	assert_int_equal(m.read(m.ctx, IMG + 0x1000, buf, sizeof(buf)), sizeof(buf));
	assert_memory_equal(buf, img + 0x1000, sizeof(buf));
	/* headers 1:1; past SizeOfHeaders and before the section: a gap */
	assert_int_equal(m.read(m.ctx, IMG + 0x3c0, buf, sizeof(buf)), 0x40);
	assert_memory_equal(buf, img + 0x3c0, 0x40);
	assert_int_equal(m.read(m.ctx, IMG + 0x3e0, buf, sizeof(buf)), 0x20);
	assert_int_equal(m.read(m.ctx, IMG + 0x800, buf, sizeof(buf)), 0);
	/* below the base, past the image */
	assert_int_equal(m.read(m.ctx, IMG - 0x10, buf, sizeof(buf)), 0);
	assert_int_equal(m.read(m.ctx, IMG + IMG_SIZE - 0x10, buf, sizeof(buf)), 0x10);
	struct pe_image pi;
	assert_null(pe_image_open(m, IMG, IMG_SIZE, &pi));
	assert_int_equal(pi.pdata_rva, PDATA);
	pe_file_close(&pf);
}

static void test_file_unwind_and_exports(void **state)
{
	(void)state;
	/* the name in the directory differs in case from the dump's */
	write_file("TEST.DLL", file_img, FILE_LEN);
	const char *dirs[] = { "/nonexistent", tmpdir, NULL };
	struct file_fixture ff;
	file_open(&ff, "C:\\Windows\\System32\\test.dll", NULL, dirs);
	assert_true(ff.sources);
	struct cr_regs c;
	f_stack();
	assert_int_equal(file_step(&ff, regs(IMG + 0x1010, S0 - 48 - 0x40, S0 - 48,
					     GARBAGE), true, &c), CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	/* the epilog's instructions are read from the file too */
	assert_int_equal(file_step(&ff, regs(IMG + 0x1024, S0 - 16, S0 - 48, OLD_RBX),
				   true, &c), CR_STEP_OK);
	expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	struct cr_symframe sf = { 0 };
	assert_int_equal(ff.prov.lookup(ff.prov.ctx, ff.d, 0, 0x1014, &sf, 1), 1);
	assert_string_equal(sf.function, "Zeta");
	assert_int_equal(sf.offset, 0x14);
	assert_null(pe_refused_file(ff.pe, 0));
	file_close(&ff);

	/* without a place to look, the module has nothing */
	file_open(&ff, "C:\\Windows\\System32\\test.dll", NULL, NULL);
	assert_false(ff.sources);
	file_close(&ff);
}

/* Two analyses given one file cache map and parse a module file once;
 * each unwinds through it as if it were its own. */
static void test_file_shared_cache(void **state)
{
	(void)state;
	write_file("test.dll", file_img, FILE_LEN);
	const char *dirs[] = { tmpdir, NULL };
	struct cr_file_cache *cache = cr_file_cache_new();
	assert_non_null(cache);
	struct file_fixture ff[2];
	f_stack();
	for (int k = 0; k < 2; k++) {
		ff[k].d = make_stack_dump("C:\\Windows\\test.dll");
		struct cr_options o = { .image_dirs = dirs, .file_cache = cache };
		assert_null(pe_open(ff[k].d, &o, &ff[k].pe));
		ff[k].sources = pe_sources(ff[k].pe, &ff[k].step, &ff[k].prov);
		assert_true(ff[k].sources);
		struct cr_regs c;
		assert_int_equal(file_step(&ff[k], regs(IMG + 0x1010, S0 - 48 - 0x40,
							S0 - 48, GARBAGE), true, &c),
				 CR_STEP_OK);
		expect(&c, RET, S0, OLD_RBP, OLD_RBX);
	}
	file_close(&ff[0]);
	struct cr_symframe sf = { 0 };
	assert_int_equal(ff[1].prov.lookup(ff[1].prov.ctx, ff[1].d, 0, 0x1014, &sf, 1), 1);
	assert_string_equal(sf.function, "Zeta");
	file_close(&ff[1]);
	struct cr_file_cache_stats st;
	cr_file_cache_stats(cache, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.hits, 1);
	cr_file_cache_free(cache);
}

static void test_file_sysroot(void **state)
{
	(void)state;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/Windows", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file("Windows/test.dll", file_img, FILE_LEN);
	struct file_fixture ff;
	file_open(&ff, "C:\\Windows\\test.dll", tmpdir, NULL);
	assert_true(ff.sources);
	struct cr_symframe sf = { 0 };
	assert_int_equal(ff.prov.lookup(ff.prov.ctx, ff.d, 0, 0x1210, &sf, 1), 1);
	assert_string_equal(sf.function, "Alpha");
	file_close(&ff);
}

static void test_file_mismatch(void **state)
{
	(void)state;
	build_file(STAMP + 1);
	write_file("test.dll", file_img, FILE_LEN);
	const char *dirs[] = { tmpdir, NULL };
	struct file_fixture ff;
	file_open(&ff, "C:\\Windows\\System32\\test.dll", NULL, dirs);
	struct cr_regs c;
	f_stack();
	assert_int_equal(file_step(&ff, regs(IMG + 0x1010, S0 - 48 - 0x40, S0 - 48,
					     GARBAGE), true, &c), CR_STEP_NONE);
	struct cr_symframe sf = { 0 };
	assert_int_equal(ff.prov.lookup(ff.prov.ctx, ff.d, 0, 0x1014, &sf, 1), 0);
	assert_non_null(pe_refused_file(ff.pe, 0));
	assert_non_null(strstr(pe_refused_file(ff.pe, 0), "test.dll"));
	file_close(&ff);
	/* SizeOfImage differs: refused as well */
	build_file(STAMP);
	put32(file_img, 0x58 + 56, IMG_SIZE + 0x1000);
	write_file("test.dll", file_img, FILE_LEN);
	file_open(&ff, "C:\\Windows\\System32\\test.dll", NULL, dirs);
	assert_int_equal(ff.prov.lookup(ff.prov.ctx, ff.d, 0, 0x1014, &sf, 1), 0);
	assert_non_null(pe_refused_file(ff.pe, 0));
	file_close(&ff);
}

/* Everything a walker does with an image, through a file of BUF[0..LEN). */
static void exercise_file(const uint8_t *buf, size_t len)
{
	struct pe_file pf;
	struct cr_error *err = pe_file_parse(buf, len, IMG, &pf);
	if (err) {
		cr_error_free(err);
		return;
	}
	struct pe_image pi;
	err = pe_image_open(pe_mem_file(&pf), IMG, IMG_SIZE, &pi);
	if (!err) {
		struct pe_exports e;
		struct pe_pdata p;
		struct pe_unwind_info ui;
		cr_error_free(pe_read_exports(&pi, &e));
		cr_error_free(pe_read_pdata(&pi, &p));
		cr_error_free(pe_read_unwind_info(&pi, 0x1900, &ui));
		for (size_t i = 0; i < p.n; i++)
			cr_error_free(pe_read_unwind_info(&pi, p.v[i].unwind, &ui));
		pe_exports_free(&e);
		pe_pdata_free(&p);
	}
	cr_error_free(err);
	uint8_t tmp[0x100];
	for (uint64_t a = IMG; a < IMG + IMG_SIZE + 0x100; a += 0xf7)
		pe_mem_file(&pf).read(&pf, a, tmp, sizeof(tmp));
	pe_file_close(&pf);
}

static void test_file_truncated(void **state)
{
	(void)state;
	/* each length as its own heap block, so that ASan sees over-reads */
	for (size_t len = 0; len <= FILE_LEN; len += len < 0x200 ? 1 : 0x3d) {
		uint8_t *b = malloc(len ? len : 1);
		memcpy(b, file_img, len);
		exercise_file(b, len);
		free(b);
	}
	/* and a truncated file through the walker */
	write_file("test.dll", file_img, 0x1000);
	const char *dirs[] = { tmpdir, NULL };
	struct file_fixture ff;
	file_open(&ff, "C:\\test.dll", NULL, dirs);
	struct cr_regs c;
	f_stack();
	file_step(&ff, regs(IMG + 0x1010, S0 - 48 - 0x40, S0 - 48, GARBAGE), true, &c);
	struct cr_symframe sf = { 0 };
	ff.prov.lookup(ff.prov.ctx, ff.d, 0, 0x1014, &sf, 1);
	file_close(&ff);
	/* a directory named like the module is no file */
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/dir.dll", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	struct pe_file pf;
	struct cr_error *err = pe_file_open(dir, IMG, &pf);
	assert_non_null(err);
	cr_error_free(err);
}

static void test_file_lying_sections(void **state)
{
	(void)state;
	static const uint32_t lies[][4] = {	/* vsize, va, raw size, raw off */
		{ 0xffffffff, 0, 0xffffffff, 0xffffffff },
		{ 0xffffffff, 0x1000, 0xffffffff, FILE_HDR },
		{ 0, 0x1000, 0xffffffff, FILE_HDR + 0x100 },
		{ 0x100, 0xffffff00, 0x100, FILE_LEN - 1 },
		{ 0xffffffff, 0xfffff000, 0x2000, FILE_LEN },
	};
	for (unsigned i = 0; i < ARRAY_LEN(lies); i++) {
		build_file(STAMP);
		put32(file_img, SECTAB + 8, lies[i][0]);
		put32(file_img, SECTAB + 12, lies[i][1]);
		put32(file_img, SECTAB + 16, lies[i][2]);
		put32(file_img, SECTAB + 20, lies[i][3]);
		exercise_file(file_img, FILE_LEN);
	}
	/* more sections than the table has room for, or than allowed */
	build_file(STAMP);
	put16(file_img, 0x46, 0xffff);
	exercise_file(file_img, FILE_LEN);
	put16(file_img, 0x46, 60);	/* fits in the file, garbage entries */
	exercise_file(file_img, FILE_LEN);
	/* SizeOfHeaders past the file */
	build_file(STAMP);
	put32(file_img, 0x58 + 60, 0xffffffff);
	exercise_file(file_img, FILE_LEN);
	build_file(STAMP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exports_lying_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_info_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_info_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epilog_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_prolog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_epilog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_chained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_chain_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_machframe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwind_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symbols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_layout, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_file_unwind_and_exports, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_file_sysroot, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_file_mismatch, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_file_shared_cache, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_file_truncated, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_file_lying_sections, file_setup, file_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
