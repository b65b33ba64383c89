/*
 * test_instruction.c - the instruction and exploitability passes.
 *
 *   test_instruction                  unit tests: the passes driven through
 *                                     their context on hand-built dumps
 *                                     (x86_64, i386, aarch64)
 *   test_instruction corpus DIR       Breakpad's and rust-minidump's dumps
 *                                     in DIR (../shared/corpus): the
 *                                     instruction and its access, and the
 *                                     security rating against Breakpad's;
 *                                     exit 77 when DIR is absent
 *   test_instruction findings DUMP    print the findings of DUMP, one per
 *                                     line "id|severity|title", evidence
 *                                     lines indented (tests/e2e/insn.py)
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

#include "analysis.h"
#include "dump.h"
#include "instruction.h"
#include "mdsynth.h"
#include "pass.h"
#include "test_asserts.h"
#include "passes.h"
#include "insn_decode.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- printing findings ------------------------------------------------ */

static void print_finding(FILE *out, const struct cr_analysis *a,
			  const struct cr_finding *f)
{
	fprintf(out, "%s|%s|%s\n", cr_finding_info(f->id)->id,
		cr_severity_name(f->severity), f->title);
	if (f->detail)
		fprintf(out, "  detail: %s\n", f->detail);
	for (size_t e = 0; e < f->nevidence; e++) {
		const struct cr_evidence *ev = &f->evidence[e];
		switch (ev->kind) {
		case CR_EVIDENCE_TEXT:
		case CR_EVIDENCE_CODE:
			fprintf(out, "  %s: %s\n", ev->label, ev->u.text);
			break;
		case CR_EVIDENCE_ADDRESS:
			fprintf(out, "  %s: 0x%llx%s%s\n", ev->label,
				(unsigned long long)ev->u.address.value,
				ev->u.address.where ? " " : "",
				ev->u.address.where ? ev->u.address.where : "");
			break;
		case CR_EVIDENCE_TABLE:
			for (size_t r = 0; r < ev->u.table.nrows; r++) {
				char **row = &ev->u.table.cells[r * ev->u.table.ncols];
				fprintf(out, "  %s %s  %-24s %s\n",
					(ssize_t)r == ev->u.table.marked_row ? "=>" : "  ",
					row[0], row[1], row[2]);
			}
			break;
		default:
			break;
		}
	}
	(void)a;
}

static struct cr_analysis *analyze_file(const char *path, struct cr_dump **d)
{
	struct cr_options opts = { 0 };
	struct cr_analysis *a = NULL;
	struct cr_error *err = cr_dump_open(path, d);
	if (err) {
		fprintf(stderr, "%s: %s\n", path, err->message);
		return NULL;
	}
	err = cr_analyze(*d, &opts, &a);
	if (err) {
		fprintf(stderr, "%s: %s\n", path, err->message);
		cr_dump_free(*d);
		return NULL;
	}
	return a;
}

static int print_findings(int argc, char **argv)
{
	int status = 0;
	for (int i = 0; i < argc; i++) {
		struct cr_dump *d;
		struct cr_analysis *a = analyze_file(argv[i], &d);
		if (!a) {
			status = 1;
			continue;
		}
		if (argc > 1)
			printf("== %s\n", argv[i]);
		for (size_t k = 0; k < a->findings.n; k++)
			print_finding(stdout, a, &a->findings.items[k]);
		cr_analysis_free(a);
		cr_dump_free(d);
	}
	return status;
}

/* The finding ID of A, NULL none. */
static const struct cr_finding *find(const struct cr_analysis *a,
				     enum cr_finding_id id)
{
	for (size_t k = 0; k < a->findings.n; k++)
		if (a->findings.items[k].id == id)
			return &a->findings.items[k];
	return NULL;
}

/* The text evidence LABEL of F, NULL none. */
static const char *evidence_text(const struct cr_finding *f, const char *label)
{
	for (size_t e = 0; f && e < f->nevidence; e++)
		if (f->evidence[e].kind == CR_EVIDENCE_TEXT &&
		    !strcmp(f->evidence[e].label, label))
			return f->evidence[e].u.text;
	return NULL;
}

/* ---- hand-built dumps ---------------------------------------------------- */

#define CODE_BASE 0x401000ull
#define DATA_BASE 0x7f0000010000ull

/* A one-thread dump: CODE at PC (in module "prog", an r-x region), an
 * optional rw- data page at DATA_BASE, registers set by the caller. */
struct synth {
	struct cr_dump *d;
	struct cr_analysis *a;
	uint8_t code[64];
	uint8_t data[4096];
};

static void synth_init(struct synth *s, enum cr_arch arch, uint64_t pc,
		       const void *code, size_t n)
{
	memset(s, 0, sizeof(*s));
	struct cr_dump *d = cr_dump_new("synthetic");
	assert_non_null(d);
	s->d = d;
	d->process.arch = arch;
	d->process.pointer_size = arch == CR_ARCH_X86 ? 4 : 8;
	d->threads = calloc(1, sizeof(*d->threads));
	d->nthreads = 1;
	d->threads[0].tid = 1;
	memcpy(s->code, code, n);
	d->segs = calloc(2, sizeof(*d->segs));
	d->segs[0] = (struct cr_memseg){ pc, n, s->code };
	d->segs[1] = (struct cr_memseg){ DATA_BASE, sizeof(s->data), s->data };
	d->nsegs = 2;
	d->regions = calloc(2, sizeof(*d->regions));
	d->regions[0] = (struct cr_region){ CODE_BASE, CODE_BASE + 0x1000, true,
					    CR_PROT_R | CR_PROT_X,
					    strdup("/usr/bin/prog"), 0, true,
					    CR_REGION_TYPE_UNKNOWN, 0 };
	d->regions[1] = (struct cr_region){ DATA_BASE, DATA_BASE + 0x1000, true,
					    CR_PROT_R | CR_PROT_W, NULL, 0, true,
					    CR_REGION_TYPE_UNKNOWN, 0 };
	d->nregions = 2;
	d->modules = calloc(1, sizeof(*d->modules));
	d->modules[0] = (struct cr_module){ .path = strdup("/usr/bin/prog"),
					    .base = CODE_BASE, .size = 0x1000 };
	d->nmodules = 1;
	cr_regs_set(&d->threads[0].regs, cr_arch_pc_reg(arch), pc);
	d->event.kind = CR_EVENT_SIGNAL;
	d->event.tid = 1;

	struct cr_analysis *a = calloc(1, sizeof(*a));
	a->dump = d;
	a->threads = calloc(1, sizeof(*a->threads));
	a->nthreads = 1;
	a->threads[0].thread = &d->threads[0];
	a->threads[0].crashed = true;
	a->crash.thread = 0;
	a->focus_thread = 0;
	s->a = a;
}

static void set_reg(struct synth *s, unsigned n, uint64_t v)
{
	cr_regs_set(&s->d->threads[0].regs, n, v);
}

/* The crash as the crash pass would classify it. */
static void set_crash(struct synth *s, enum cr_crash_class cls, int signo,
		      int code, bool address_known, uint64_t address)
{
	s->a->crash.cls = cls;
	s->a->crash.signo = signo;
	s->d->event.signo = signo;
	s->d->event.siginfo_known = true;
	s->d->event.si_code = code;
	s->a->crash.address_known = address_known;
	s->a->crash.address = address;
}


/* Run the instruction and exploitability passes through their context. */
static void run(struct synth *s)
{
	static const char *const names[] = { "instruction", "exploitability" };
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		struct cr_pass_ctx ctx;
		cr_pass_ctx_init(&ctx, test_pass(names[i]), s->a, NULL, NULL);
		assert_null(ctx.pass->run(&ctx));
	}
	if (getenv("TEST_INSTRUCTION_VERBOSE"))
		for (size_t k = 0; k < s->a->findings.n; k++)
			print_finding(stderr, s->a, &s->a->findings.items[k]);
}

/* The facts the instruction pass kept. */
static const struct cr_insn_facts *insn_of(const struct cr_analysis *a)
{
	return cr_pass_kept(a, "instruction");
}

static void synth_free(struct synth *s)
{
	cr_findings_free(&s->a->findings);
	cr_problems_free(&s->a->problems);	/* capstone-x86: the fallback's */
	cr_pass_kept_free(s->a);
	free(s->a->threads);
	free(s->a);
	cr_dump_free(s->d);
}

static const char *rating(const struct synth *s)
{
	return evidence_text(find(s->a, CR_FINDING_SECURITY_RATING), "rating");
}

/* The listing's marked row is the faulting instruction. */
static void assert_marked(const struct cr_finding *f, const char *text)
{
	for (size_t e = 0; e < f->nevidence; e++) {
		const struct cr_table *t = &f->evidence[e].u.table;
		if (f->evidence[e].kind != CR_EVIDENCE_TABLE)
			continue;
		assert_true(t->marked_row >= 0 && (size_t)t->marked_row < t->nrows);
		assert_string_equal(t->cells[t->marked_row * t->ncols + 2], text);
		return;
	}
	fail_msg("no listing");
}

/* An intentional trap, not corrupted code, rated none. */
static void assert_intentional_trap(const struct synth *s)
{
	assert_non_null(find(s->a, CR_FINDING_INTENTIONAL_TRAP));
	assert_null(find(s->a, CR_FINDING_INVALID_INSTRUCTION));
	assert_string_equal(rating(s), "none");
}

/* ---- x86_64 ---------------------------------------------------------------- */

/* mov rax, [rbp-8]; mov dword ptr [rax], 5 with rax = 0: a write of 4
 * bytes at 0, listed with the instruction before it; rated none. */
static void test_x86_64_null_write(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0x48, 0x8b, 0x45, 0xf8,
					0xc7, 0x00, 0x05, 0, 0, 0, 0x5d, 0xc3 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE + 0x100, code, sizeof(code));
	s.d->segs[0].start = CODE_BASE + 0xfc;	/* pc after the first insn */
	set_reg(&s, 16, CODE_BASE + 0x100);
	set_reg(&s, 0, 0);
	set_crash(&s, CR_CRASH_NULL_DEREF, 11, 1, true, 0);
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_FAULTING_INSTRUCTION);
	assert_non_null(f);
	assert_string_equal(evidence_text(f, "instruction"), "mov dword ptr [rax], 5");
	assert_string_equal(evidence_text(f, "memory access"),
			    "wrote 4 bytes at 0x0 through dword ptr [rax]");
	assert_marked(f, "mov dword ptr [rax], 5");
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_WRITE);
	assert_string_equal(rating(&s), "none");
	synth_free(&s);
}

/* A general-protection fault: the kernel says si_addr 0 with SI_KERNEL;
 * mov rax, [rbx + rcx*8 + 0x10] names the real, non-canonical address. */
static void test_x86_64_gp_fault_address(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0x48, 0x8b, 0x44, 0xcb, 0x10 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE + 0x20, code, sizeof(code));
	set_reg(&s, 3, 0x4141414141414101ull);	/* rbx */
	set_reg(&s, 2, 6);			/* rcx */
	set_crash(&s, CR_CRASH_OTHER, 11, 0x80, true, 0);
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_FAULTING_INSTRUCTION);
	assert_non_null(f);
	assert_true(insn_of(s.a)->address_known);
	assert_int_equal(insn_of(s.a)->address, 0x4141414141414141ull);
	assert_true(insn_of(s.a)->non_canonical);
	assert_non_null(strstr(f->detail, "accessed 0x4141414141414141 (non-canonical)"));
	assert_string_equal(rating(&s), "high");
	synth_free(&s);
}

/* Windows reports a #GP as an access violation at all ones; the registers
 * at the exception are the exception's own context (the thread's are the
 * handler's, elsewhere): decoded from those, the real address. */
static void test_windows_gp_fault_event_regs(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0x48, 0x8b, 0x44, 0xcb, 0x10 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE + 0x20, code, sizeof(code));
	set_reg(&s, 16, 0x7ffe12340000ull);	/* the handler's pc: no bytes */
	struct cr_event *e = &s.d->event;
	e->kind = CR_EVENT_EXCEPTION;
	e->exc_code = 0xC0000005u;
	e->exc_nparams = 2;
	e->exc_params[0] = 0;
	e->exc_params[1] = ~0ull;
	e->regs_known = true;
	cr_regs_set(&e->regs, 16, CODE_BASE + 0x20);
	cr_regs_set(&e->regs, 3, 0x4141414141414101ull);
	cr_regs_set(&e->regs, 2, 6);
	s.a->crash.cls = CR_CRASH_OTHER;
	s.a->crash.address_known = true;
	s.a->crash.address = ~0ull;
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_FAULTING_INSTRUCTION);
	assert_non_null(f);
	assert_int_equal(insn_of(s.a)->pc, CODE_BASE + 0x20);
	assert_non_null(strstr(f->detail, "accessed 0x4141414141414141 (non-canonical); "
			       "the exception reports the address as 0xffffffffffffffff"));
	assert_string_equal(rating(&s), "high");
	synth_free(&s);
}

/* RIP-relative: the address is the next instruction's plus the disp. */
static void test_x86_64_rip_relative(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0x8b, 0x05, 0x10, 0, 0, 0 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE + 0x40, code, sizeof(code));
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, true, CODE_BASE + 0x56);
	run(&s);
	assert_true(insn_of(s.a)->address_known);
	assert_int_equal(insn_of(s.a)->address, CODE_BASE + 0x40 + 6 + 0x10);
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_READ);
	assert_int_equal(insn_of(s.a)->access_size, 4);
	synth_free(&s);
}

/* mov rax, fs:[0x28]: the fs base is register 58 when recorded; without
 * it the address is unknown and the access says why. */
static void test_x86_64_fs_segment(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, false, 0);
	run(&s);
	assert_false(insn_of(s.a)->address_known);
	const struct cr_finding *f = find(s.a, CR_FINDING_FAULTING_INSTRUCTION);
	assert_non_null(strstr(evidence_text(f, "memory access"),
			       "the fs segment base is not recorded"));
	synth_free(&s);

	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 58, 0x7f1234560000ull);
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, false, 0);
	run(&s);
	assert_true(insn_of(s.a)->address_known);
	assert_int_equal(insn_of(s.a)->address, 0x7f1234560028ull);
	synth_free(&s);
}

/* idiv ecx with ecx = 0 (SIGFPE FPE_INTDIV): divide by zero from the
 * operand; with edx:eax = INT_MIN and ecx = -1: division overflow. */
static void test_x86_64_divide(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0xf7, 0xf9 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 0, 1000);
	set_reg(&s, 1, 0);
	set_reg(&s, 2, 0xffffffff00000000ull);	/* ecx = 0, upper half set */
	set_crash(&s, CR_CRASH_ARITHMETIC, 8, 1, true, CODE_BASE);
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_DIVIDE_BY_ZERO);
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_ERROR);
	assert_non_null(strstr(f->title, "divide by zero"));
	assert_null(find(s.a, CR_FINDING_DIVISION_OVERFLOW));
	synth_free(&s);

	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 0, 0x80000000);
	set_reg(&s, 1, 0xffffffff);
	set_reg(&s, 2, 0xffffffff);
	set_crash(&s, CR_CRASH_ARITHMETIC, 8, 1, true, CODE_BASE);
	run(&s);
	assert_non_null(find(s.a, CR_FINDING_DIVISION_OVERFLOW));
	assert_null(find(s.a, CR_FINDING_DIVIDE_BY_ZERO));
	assert_string_equal(rating(&s), "none");
	synth_free(&s);
}

/* idiv dword ptr [rbp - 8]: the divisor read from memory. */
static void test_x86_64_divide_memory(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0xf7, 0x7d, 0xf8 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 6, DATA_BASE + 0x108);	/* rbp: [rbp-8] = data[0x100] */
	set_reg(&s, 0, 7);
	set_reg(&s, 1, 0);
	set_crash(&s, CR_CRASH_ARITHMETIC, 8, 1, true, CODE_BASE);
	run(&s);
	assert_true(insn_of(s.a)->divisor_known);
	assert_non_null(find(s.a, CR_FINDING_DIVIDE_BY_ZERO));
	synth_free(&s);

	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	s.data[0x100] = 3;
	set_reg(&s, 6, DATA_BASE + 0x108);
	set_reg(&s, 0, 7);
	set_reg(&s, 1, 0);
	set_crash(&s, CR_CRASH_ARITHMETIC, 8, 1, true, CODE_BASE);
	run(&s);
	assert_true(insn_of(s.a)->divisor_known);
	assert_false(insn_of(s.a)->divisor_zero);
	assert_null(find(s.a, CR_FINDING_DIVIDE_BY_ZERO));
	synth_free(&s);
}

/* SIGILL on ud2: an intentional trap, rated none; on bytes that decode
 * to nothing: an invalid instruction. */
static void test_x86_64_traps(void **state)
{
	(void)state;
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, ud2, sizeof(ud2));
	set_crash(&s, CR_CRASH_ILLEGAL_INSN, 4, 2, true, CODE_BASE);
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_INTENTIONAL_TRAP);
	assert_non_null(f);
	assert_non_null(strstr(f->title, "ud2"));
	assert_null(find(s.a, CR_FINDING_INVALID_INSTRUCTION));
	assert_string_equal(rating(&s), "none");
	synth_free(&s);

	static const uint8_t junk[] = { 0x0f, 0x04, 0x0f, 0x04 };
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, junk, sizeof(junk));
	set_crash(&s, CR_CRASH_ILLEGAL_INSN, 4, 1, true, CODE_BASE);
	run(&s);
	assert_non_null(find(s.a, CR_FINDING_INVALID_INSTRUCTION));
	assert_null(find(s.a, CR_FINDING_INTENTIONAL_TRAP));
	assert_string_equal(rating(&s), "medium");
	synth_free(&s);
}

/* The instruction text as Capstone printed it (the goldens' and people's
 * searches): a string instruction's implicit operands, a segment only
 * after a segment prefix (never the default es: of [rdi]), no notrack,
 * test's 64-bit immediate signed; for a memory fault, the operand of the
 * access fact read the same way.  Expected texts from Capstone 4.0.2. */
static void test_x86_64_capstone_text(void **state)
{
	(void)state;
	static const struct {
		uint8_t code[15];
		size_t n;
		const char *text, *operand;	/* operand: NULL no access */
	} cases[] = {
		{ { 0xf3, 0xaa }, 2, "rep stosb byte ptr [rdi], al",
		  "through byte ptr [rdi]" },
		{ { 0xf3, 0x48, 0xa5 }, 3,
		  "rep movsq qword ptr [rdi], qword ptr [rsi]",
		  "through qword ptr [rdi]" },
		{ { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 10,
		  "nop word ptr cs:[rax + rax]", NULL },
		{ { 0x3e, 0xff, 0xe0 }, 3, "jmp rax", NULL },
		{ { 0x48, 0xf7, 0xc6, 0xc0, 0xff, 0xff, 0xff }, 7,
		  "test rsi, -0x40", NULL },
		{ { 0x36, 0x8b, 0x00 }, 3, "mov eax, dword ptr ss:[rax]",
		  "through dword ptr ss:[rax]" },
		{ { 0x26, 0xac }, 2, "lodsb al, byte ptr es:[rsi]",
		  "through byte ptr es:[rsi]" },
		{ { 0x91 }, 1, "xchg eax, ecx", NULL },
		{ { 0x48, 0xcb }, 2, "retfq", NULL },
		{ { 0xd1, 0xf0 }, 2, "sal eax, 1", NULL },
		{ { 0xc8, 0x00, 0xff, 0x00 }, 4, "enter -0x100, 0", NULL },
		{ { 0xde, 0xc9 }, 2, "fmulp st(1)", NULL },
		{ { 0xdc, 0xc2 }, 2, "fadd st(2), st(0)", NULL },
	};
	for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
		struct synth s;
		synth_init(&s, CR_ARCH_X86_64, CODE_BASE, cases[k].code, cases[k].n);
		for (unsigned r = 0; r < 8; r++)	/* [rdi] faults */
			set_reg(&s, r, r == 5 ? 0x10 : 0x20);
		set_crash(&s, CR_CRASH_NULL_DEREF, 11, 1, true, 0x10);
		run(&s);
		const struct cr_finding *f = find(s.a, CR_FINDING_FAULTING_INSTRUCTION);
		assert_non_null(f);
		assert_string_equal(evidence_text(f, "instruction"), cases[k].text);
		const char *access = evidence_text(f, "memory access");
		if (cases[k].operand) {
			assert_non_null(access);
			assert_non_null(strstr(access, cases[k].operand));
		}
		synth_free(&s);
	}
}

/* A pc in no region: the pc finding, and a high rating. */
static void test_pc_unmapped(void **state)
{
	(void)state;
	static const uint8_t none[] = { 0 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, none, sizeof(none));
	set_reg(&s, 16, 0x13370000);
	set_crash(&s, CR_CRASH_EXEC_NX, 11, 1, true, 0x13370000);
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_PC_NOT_EXECUTABLE);
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_ERROR);
	assert_non_null(strstr(f->title, "not in mapped memory (outside every module)"));
	assert_null(find(s.a, CR_FINDING_FAULTING_INSTRUCTION));
	assert_string_equal(rating(&s), "high");
	synth_free(&s);
}

/* A fault address one bit away from the mapped data page. */
static void test_bit_flip(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0x8b, 0x00 };	/* mov eax, [rax] */
	uint64_t bad = (DATA_BASE + 0x10) ^ (1ull << 33);
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 0, bad);
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, true, bad);
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_POSSIBLE_BIT_FLIP);
	assert_non_null(f);
	assert_int_equal(f->severity, CR_SEVERITY_WARNING);
	char want[64];
	snprintf(want, sizeof(want), "0x%llx", (unsigned long long)(DATA_BASE + 0x10));
	assert_non_null(strstr(f->title, want));
	assert_string_equal(rating(&s), "low");
	synth_free(&s);

	/* Mapped, or near null: no bit flip. */
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 0, 0x10);
	set_crash(&s, CR_CRASH_NULL_DEREF, 11, 1, true, 0x10);
	run(&s);
	assert_null(find(s.a, CR_FINDING_POSSIBLE_BIT_FLIP));
	synth_free(&s);
}

/* A signal sent from outside: nothing decoded, no rating. */
static void test_no_fault(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0x0f, 0x0b };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_crash(&s, CR_CRASH_KILLED, 15, 0, false, 0);
	s.a->crash.sent = true;
	run(&s);
	assert_null(insn_of(s.a));
	assert_null(find(s.a, CR_FINDING_FAULTING_INSTRUCTION));
	assert_null(find(s.a, CR_FINDING_SECURITY_RATING));
	synth_free(&s);
}

/* ---- i386 ---------------------------------------------------------------- */

/* mov [eax], ebx through 0x41414141 (eax is DWARF 0 on i386 too): a write
 * through an attacker-like pointer, rated high; push eax at a bad esp:
 * the implicit stack write at esp - 4. */
static void test_i386(void **state)
{
	(void)state;
	static const uint8_t mov[] = { 0x89, 0x18 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86, CODE_BASE, mov, sizeof(mov));
	set_reg(&s, 8, CODE_BASE);
	set_reg(&s, 0, 0x41414141);
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, true, 0x41414141);
	run(&s);
	assert_int_equal(insn_of(s.a)->address, 0x41414141);
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_WRITE);
	assert_string_equal(rating(&s), "high");
	const struct cr_finding *r = find(s.a, CR_FINDING_SECURITY_RATING);
	assert_non_null(strstr(r->title, "attacker-like"));
	synth_free(&s);

	static const uint8_t push[] = { 0x50 };
	synth_init(&s, CR_ARCH_X86, CODE_BASE, push, sizeof(push));
	set_reg(&s, 8, CODE_BASE);
	set_reg(&s, 4, 0x00200000);	/* esp */
	set_crash(&s, CR_CRASH_STACK_OVERFLOW, 11, 1, true, 0x001ffffc);
	run(&s);
	assert_true(insn_of(s.a)->address_known);
	assert_int_equal(insn_of(s.a)->address, 0x001ffffc);
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_WRITE);
	assert_int_equal(insn_of(s.a)->access_size, 4);
	/* A recursion, not a write primitive nor a stack pivot: Breakpad
	 * weighs a stack overflow "almost certainly recursion" (none). */
	assert_string_equal(rating(&s), "none");
	assert_non_null(strstr(find(s.a, CR_FINDING_SECURITY_RATING)->title,
			       "stack overflow"));
	synth_free(&s);
}

/* push rbp at the bottom of the thread's stack, the crash pass not having
 * classified it (sp in an anonymous mapping): a write just below the
 * stack is a stack overflow, rated none; the same push far below the
 * stack (a pivot to nowhere) stays high. */
static void test_x86_64_stack_overflow_push(void **state)
{
	(void)state;
	static const uint8_t push[] = { 0x55 };
	const uint64_t lo = 0x7ffd00000000ull, hi = lo + 0x800000;
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, push, sizeof(push));
	s.d->threads[0].stack_lo = lo;
	s.d->threads[0].stack_hi = hi;
	set_reg(&s, 7, lo);
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, true, lo - 8);
	run(&s);
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_WRITE);
	assert_int_equal(insn_of(s.a)->address, lo - 8);
	assert_string_equal(rating(&s), "none");
	synth_free(&s);

	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, push, sizeof(push));
	s.d->threads[0].stack_lo = lo;
	s.d->threads[0].stack_hi = hi;
	set_reg(&s, 7, 0x13370000);
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, true, 0x13370000 - 8);
	run(&s);
	assert_string_equal(rating(&s), "high");
	synth_free(&s);
}

/* int3; mov dword ptr [rax], 5 with rax = 0x41414141.  Linux: SIGTRAP
 * (SI_KERNEL) with the pc after the int3: the int3 is decoded and marked,
 * no memory access is claimed, rated none.  Windows: EXCEPTION_BREAKPOINT
 * at the int3 itself.  A hardware breakpoint (TRAP_HWBKPT) on the store:
 * the store is listed but its operand did not fault, rated none. */
static void test_x86_64_int3(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0xcc, 0xc7, 0x00, 0x05, 0, 0, 0, 0xc3 };
	struct synth s;
	synth_init(&s, CR_ARCH_X86_64, CODE_BASE + 1, code + 1, sizeof(code) - 1);
	s.d->segs[0].start = CODE_BASE;
	s.d->segs[0].size = sizeof(code);
	memcpy(s.code, code, sizeof(code));
	set_reg(&s, 0, 0x41414141);
	set_crash(&s, CR_CRASH_BREAKPOINT, 5, 0x80, false, 0);
	run(&s);
	assert_int_equal(insn_of(s.a)->pc, CODE_BASE);
	assert_string_equal(insn_of(s.a)->text, "int3");
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_UNKNOWN);
	const struct cr_finding *f = find(s.a, CR_FINDING_FAULTING_INSTRUCTION);
	assert_marked(f, "int3");
	assert_non_null(strstr(evidence_text(f, "reported pc"), "0x401001"));
	assert_intentional_trap(&s);
	synth_free(&s);

	synth_init(&s, CR_ARCH_X86_64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 0, 0x41414141);
	s.a->crash.cls = CR_CRASH_BREAKPOINT;
	s.d->event.kind = CR_EVENT_EXCEPTION;
	s.d->event.exc_code = 0x80000003u;
	run(&s);
	assert_int_equal(insn_of(s.a)->pc, CODE_BASE);
	assert_marked(find(s.a, CR_FINDING_FAULTING_INSTRUCTION), "int3");
	assert_intentional_trap(&s);
	synth_free(&s);

	synth_init(&s, CR_ARCH_X86_64, CODE_BASE + 1, code + 1, sizeof(code) - 1);
	set_reg(&s, 0, 0x41414141);
	set_crash(&s, CR_CRASH_BREAKPOINT, 5, 4, true, 0x41414141);
	run(&s);
	assert_string_equal(insn_of(s.a)->text, "mov dword ptr [rax], 5");
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_UNKNOWN);
	assert_string_equal(rating(&s), "none");
	synth_free(&s);
}

/* ---- arm ----------------------------------------------------------------- */

/* __builtin_trap on armhf is Thumb "udf #254" (0xdefe).  With cpsr's T bit
 * set it decodes as the trap (rated none); without cpsr the mode is ARM by
 * assumption, said in the finding, and never "no instruction" (medium). */
static void test_arm_thumb_udf(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0xfe, 0xde, 0x00, 0xbf, 0x70, 0x47, 0x00, 0xbf };
	struct synth s;
	synth_init(&s, CR_ARCH_ARM, CODE_BASE, code, sizeof(code));
	s.d->process.pointer_size = 4;
	set_reg(&s, 16, 0x60000030);	/* cpsr: Thumb */
	set_crash(&s, CR_CRASH_ILLEGAL_INSN, 4, 1, true, CODE_BASE);
	run(&s);
	assert_true(insn_of(s.a)->trap);
	assert_int_equal(insn_of(s.a)->size, 2);
	/* Capstone calls it "trap"; the finding names the udf. */
	assert_non_null(strstr(find(s.a, CR_FINDING_INTENTIONAL_TRAP)->title,
			       "udf #254"));
	assert_null(evidence_text(find(s.a, CR_FINDING_FAULTING_INSTRUCTION),
				  "decoded as"));
	assert_intentional_trap(&s);
	synth_free(&s);

	/* udf #254; bx lr: no ARM instruction, cpsr unknown: decoded as
	 * Thumb, said to be assumed. */
	static const uint8_t thumb[] = { 0xfe, 0xde, 0x70, 0x47 };
	synth_init(&s, CR_ARCH_ARM, CODE_BASE, thumb, sizeof(thumb));
	s.d->process.pointer_size = 4;
	set_crash(&s, CR_CRASH_ILLEGAL_INSN, 4, 1, true, CODE_BASE);
	run(&s);
	const struct cr_finding *f = find(s.a, CR_FINDING_FAULTING_INSTRUCTION);
	assert_non_null(strstr(evidence_text(f, "decoded as"), "Thumb (assumed"));
	assert_marked(f, "trap");
	assert_intentional_trap(&s);
	synth_free(&s);
}

/* ---- aarch64 --------------------------------------------------------------- */

static void test_aarch64(void **state)
{
	(void)state;
	/* str w1, [x0, #8]; ldr x2, [x1, x3, lsl #3] */
	static const uint8_t code[] = { 0x01, 0x08, 0x00, 0xb9,
					0x22, 0x78, 0x63, 0xf8 };
	struct synth s;
	synth_init(&s, CR_ARCH_AARCH64, CODE_BASE, code, sizeof(code));
	set_reg(&s, 0, 0x5000);
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, true, 0x5008);
	run(&s);
	assert_string_equal(insn_of(s.a)->text, "str w1, [x0, #8]");
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_WRITE);
	assert_int_equal(insn_of(s.a)->access_size, 4);
	assert_int_equal(insn_of(s.a)->address, 0x5008);
	assert_string_equal(rating(&s), "high");
	synth_free(&s);

	synth_init(&s, CR_ARCH_AARCH64, CODE_BASE + 4, code + 4, 4);
	s.d->segs[0].start = CODE_BASE;
	s.d->segs[0].size = sizeof(code);
	memcpy(s.code, code, sizeof(code));
	set_reg(&s, 1, 0x9000);
	set_reg(&s, 3, 5);
	set_crash(&s, CR_CRASH_UNMAPPED, 11, 1, true, 0x9028);
	run(&s);
	assert_int_equal(insn_of(s.a)->access, CR_ACCESS_READ);
	assert_int_equal(insn_of(s.a)->access_size, 8);
	assert_int_equal(insn_of(s.a)->address, 0x9000 + (5 << 3));
	/* The listing goes back to the str before the pc. */
	assert_marked(find(s.a, CR_FINDING_FAULTING_INSTRUCTION),
		      "ldr x2, [x1, x3, lsl #3]");
	synth_free(&s);

	/* brk #0x3e8 (__builtin_trap) on SIGTRAP, udf #0 on SIGILL. */
	static const uint8_t brk[] = { 0x00, 0x7d, 0x20, 0xd4 };
	synth_init(&s, CR_ARCH_AARCH64, CODE_BASE, brk, sizeof(brk));
	set_crash(&s, CR_CRASH_BREAKPOINT, 5, 1, false, 0);
	run(&s);
	assert_non_null(find(s.a, CR_FINDING_INTENTIONAL_TRAP));
	synth_free(&s);
	static const uint8_t udf[] = { 0, 0, 0, 0 };
	synth_init(&s, CR_ARCH_AARCH64, CODE_BASE, udf, sizeof(udf));
	set_crash(&s, CR_CRASH_ILLEGAL_INSN, 4, 1, true, CODE_BASE);
	run(&s);
	assert_non_null(find(s.a, CR_FINDING_INTENTIONAL_TRAP));
	assert_string_equal(insn_of(s.a)->text, "udf #0");
	/* Capstone 4 does not know udf: the listing is the one row made
	 * for it, never a header alone. */
	assert_marked(find(s.a, CR_FINDING_FAULTING_INSTRUCTION), "udf #0");
	synth_free(&s);
}

/* ---- random bytes ----------------------------------------------------------- */

/*
 * Whatever the bytes at the pc and the registers, the passes decode or
 * refuse without reading outside what they were given (run under
 * ASan/UBSan by the sanitizer build): random code, random registers and
 * crash kinds on every architecture the pass knows, with a fixed seed.
 */
static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}
#define NEXT() xorshift(&x)

static void test_random_bytes(void **state)
{
	(void)state;
	static const enum cr_arch arches[] = {
		CR_ARCH_X86_64, CR_ARCH_X86, CR_ARCH_AARCH64, CR_ARCH_ARM,
		CR_ARCH_PPC64, CR_ARCH_S390X,
	};
	static const struct { enum cr_crash_class cls; int signo; int code; } kinds[] = {
		{ CR_CRASH_UNMAPPED, 11, 1 }, { CR_CRASH_OTHER, 11, 0x80 },
		{ CR_CRASH_ARITHMETIC, 8, 1 }, { CR_CRASH_ILLEGAL_INSN, 4, 1 },
		{ CR_CRASH_BREAKPOINT, 5, 1 }, { CR_CRASH_EXEC_NX, 11, 2 },
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (unsigned it = 0; it < 3000; it++) {
		uint8_t code[24];
		for (size_t k = 0; k < sizeof(code); k++)
			code[k] = (uint8_t)NEXT();
		size_t n = 1 + NEXT() % sizeof(code);
		struct synth s;
		synth_init(&s, arches[it % ARRAY_LEN(arches)],
			   CODE_BASE + 0x10 + NEXT() % 0x100, code, n);
		for (unsigned r = 0; r < 34; r++) {
			uint64_t v = NEXT();
			/* Some registers near the data page or null. */
			if (v & 1)
				v = DATA_BASE + (v >> 52);
			else if (v & 2)
				v >>= 50;
			if (r != cr_arch_pc_reg(s.d->process.arch))
				set_reg(&s, r, v);
		}
		set_reg(&s, 58, NEXT());
		unsigned k = (unsigned)(NEXT() % ARRAY_LEN(kinds));
		bool known = NEXT() & 1;
		uint64_t shift = NEXT() % 64;
		set_crash(&s, kinds[k].cls, kinds[k].signo, kinds[k].code,
			  known, NEXT() >> shift);
		memset(s.data, (int)(NEXT() & 0xff), sizeof(s.data));
		run(&s);
		assert_non_null(insn_of(s.a));
		assert_non_null(find(s.a, CR_FINDING_SECURITY_RATING));
		synth_free(&s);
	}
}

/* ---- a Linux minidump ------------------------------------------------------ */

/*
 * A minidump as Breakpad's Linux client writes it for SIGFPE: the
 * exception code is the signal, the flags its si_code (FPE_INTDIV), the
 * memory list holds the bytes around the pc (idiv dword ptr [rsp]) and the
 * stack, where the divisor is 0.  Read and analyzed end to end: the
 * finding says divide by zero from the operand.
 */
static void test_linux_minidump_divide(void **state)
{
	(void)state;
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 0x8201, 0, 0, 0, "Linux 6.1.0 #1 SMP x86_64",
			NULL, 2);
	static uint8_t stack[0x200];	/* zero: the divisor at rsp */
	const uint64_t pc = 0x401d70, sp = 0x7fff0100;
	struct mds_thread t = { .tid = 77, .stack_start = 0x7fff0000,
				.stack = stack, .stack_size = sizeof(stack),
				.ctx = mds_context_amd64(&m, pc, sp, sp + 0x40) };
	mds_thread_list(&m, &t, 1, false);
	struct mds_module mod = { .base = 0x400000, .size = 0x1a000,
				  .name = "/work/divide" };
	mds_module_list(&m, &mod, 1);
	/* 0x80 bytes before the pc (nops), then idiv dword ptr [rsp]. */
	static uint8_t code[0x100];
	memset(code, 0x90, sizeof(code));
	memcpy(code + 0x80, "\xf7\x3c\x24\xc3", 4);
	struct mds_range r = { pc - 0x80, code, sizeof(code) };
	mds_memory_list(&m, &r, 1);
	mds_exception(&m, 77, 8, 1, pc, NULL, 0,
		      mds_context_amd64(&m, pc, sp, sp + 0x40));
	size_t len;
	const uint8_t *buf = mds_finish(&m, &len);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(buf, len, "divide.dmp", &d));
	struct cr_options opts = { 0 };
	struct cr_analysis *a = NULL;
	assert_null(cr_analyze(d, &opts, &a));
	const struct cr_finding *f = find(a, CR_FINDING_DIVIDE_BY_ZERO);
	assert_non_null(f);
	assert_non_null(strstr(f->title, "divide by zero: the divisor of idiv "
				"dword ptr [rsp] is 0"));
	assert_string_equal(evidence_text(find(a, CR_FINDING_FAULTING_INSTRUCTION),
					  "instruction"), "idiv dword ptr [rsp]");
	assert_string_equal(evidence_text(find(a, CR_FINDING_SECURITY_RATING),
					  "rating"), "none");
	cr_analysis_free(a);
	cr_dump_free(d);
	mds_free(&m);
}

/*
 * An armhf minidump (Breakpad's Linux client) for SIGILL on __builtin_trap:
 * Thumb "udf #254" at the pc, cpsr's T bit set in the exception's context.
 * The reader keeps cpsr and the pass decodes Thumb: the intentional trap,
 * rated none (as ARM, the bytes were "no instruction", medium).
 */
static void test_arm_minidump_thumb_trap(void **state)
{
	(void)state;
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 5, 0x8201, 0, 0, 0, "Linux 6.1.0 #1 SMP armv7l",
			NULL, 2);
	static uint8_t stack[0x100];
	const uint32_t pc = 0x10480, sp = 0xbeff0080;
	struct mds_loc ctx = mds_context_arm(&m, pc, sp, pc + 0x20);
	struct mds_thread t = { .tid = 55, .stack_start = 0xbeff0000,
				.stack = stack, .stack_size = sizeof(stack),
				.ctx = ctx };
	mds_thread_list(&m, &t, 1, false);
	struct mds_module mod = { .base = 0x10000, .size = 0x1000,
				  .name = "/work/trap" };
	mds_module_list(&m, &mod, 1);
	/* push {r7, lr}; add r7, sp, #0; udf #254; nop (as ARM the udf and
	 * the nop read as one "svclt #0xdefe"). */
	static const uint8_t code[] = { 0x80, 0xb5, 0x00, 0xaf, 0xfe, 0xde,
					0x00, 0xbf };
	struct mds_range r = { pc - 4, code, sizeof(code) };
	mds_memory_list(&m, &r, 1);
	mds_exception(&m, 55, 4, 0, pc, NULL, 0, ctx);
	size_t len;
	const uint8_t *buf = mds_finish(&m, &len);
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, buf, len);
	/* cpsr (0x44 in MDRawContextARM): user mode, Thumb. */
	const uint32_t cpsr = 0x60000030;
	memcpy(copy + ctx.rva + 0x44, &cpsr, 4);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(copy, len, "trap.dmp", &d));
	struct cr_options opts = { 0 };
	struct cr_analysis *a = NULL;
	assert_null(cr_analyze(d, &opts, &a));
	const struct cr_finding *f = find(a, CR_FINDING_INTENTIONAL_TRAP);
	assert_non_null(f);
	assert_non_null(strstr(f->title, "udf #254"));
	assert_null(find(a, CR_FINDING_INVALID_INSTRUCTION));
	assert_marked(find(a, CR_FINDING_FAULTING_INSTRUCTION), "trap");
	assert_null(evidence_text(find(a, CR_FINDING_FAULTING_INSTRUCTION),
				  "decoded as"));
	assert_string_equal(evidence_text(find(a, CR_FINDING_SECURITY_RATING),
					  "rating"), "none");
	cr_analysis_free(a);
	cr_dump_free(d);
	free(copy);
	mds_free(&m);
}

/* ---- the conformance dumps ---------------------------------------------- */

/*
 * Breakpad's and rust-minidump's dumps: the instruction and access the
 * report must name (NULL: no instruction bytes in the dump), Breakpad's
 * exploitability rating (MANIFEST.md; "interesting" is Breakpad's level
 * between none and low) and ours, with the reason when they differ.
 */
static const struct {
	const char *file;
	const char *insn;
	const char *access;
	const char *breakpad;	/* NULL: MANIFEST.md lists no rating */
	const char *ours;	/* NULL: no rating (not a crash) */
	const char *why;	/* why ours differs from Breakpad's */
} corpus[] = {
	{ "breakpad/ascii_read_av.dmp", "mov eax, dword ptr [eax]",
	  "read 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/ascii_read_av_block_write.dmp", "mov eax, dword ptr [edi]",
	  "read 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/ascii_read_av_clobber_write.dmp", "mov ebx, dword ptr [eax]",
	  "read 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/ascii_read_av_conditional.dmp", "add ebx, dword ptr [eax]",
	  "read 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/ascii_read_av_then_jmp.dmp", "mov ebx, dword ptr [eax]",
	  "read 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/ascii_read_av_xchg_write.dmp", "add ebx, dword ptr [eax]",
	  "read 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/ascii_write_av.dmp", "mov dword ptr [eax], eax",
	  "wrote 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/ascii_write_av_arg_to_call.dmp", "mov dword ptr [eax], ebx",
	  "wrote 4 bytes at 0x41414141", "high", "high", NULL },
	{ "breakpad/exec_av_on_stack.dmp", NULL, NULL, "high", "high", NULL },
	{ "breakpad/write_av_non_null.dmp", "add dword ptr [eax], ebx",
	  "wrote 4 bytes at 0x4e3c9", "medium", "high",
	  "a write to an arbitrary non-null address is a write primitive: high "
	  "as in Breakpad's Linux engine and !exploitable (Breakpad's Windows "
	  "engine adds weights and stops at medium)" },
	{ "breakpad/read_av_non_null.dmp", "add ebx, dword ptr [eax]",
	  "read 4 bytes at 0x4e3c9", "low", "low", NULL },
	{ "breakpad/read_av_conditional.dmp", "mov ebx, dword ptr [eax]",
	  "read 4 bytes at 0x4e3c9", "low", "low", NULL },
	{ "breakpad/read_av_clobber_write.dmp", "mov ebx, dword ptr [eax]",
	  "read 4 bytes at 0x4e3c9", "low", "low", NULL },
	{ "breakpad/null_read_av.dmp", "mov eax, dword ptr [eax]",
	  "read 4 bytes at 0x0", "none", "none", NULL },
	{ "breakpad/null_write_av.dmp", "mov dword ptr [eax], eax",
	  "wrote 4 bytes at 0x0", "none", "none", NULL },
	{ "breakpad/linux_null_dereference.dmp", "mov dword ptr [rax], 5",
	  "wrote 4 bytes at 0x0", "interesting", "none",
	  "Breakpad's Linux engine rates every fault it cannot prove high "
	  "'interesting'; a write near null is none in its Windows engine and "
	  "here" },
	{ "breakpad/linux_null_read_av.dmp", "mov eax, dword ptr [0]",
	  "read 4 bytes at 0x0", "interesting", "none",
	  "as linux_null_dereference: a read near null" },
	{ "breakpad/linux_write_to_under_4k.dmp", "mov dword ptr [rax], 1",
	  "wrote 4 bytes at 0xf93", "interesting", "none",
	  "as linux_null_dereference: 0xf93 is in the first page" },
	{ "breakpad/linux_overflow.dmp", NULL, NULL, "high", "high", NULL },
	{ "breakpad/linux_stacksmash.dmp", "cmp byte ptr [rcx], 0x48",
	  "read 1 byte at 0x6172747320746f6e (non-canonical)", "high", "high", NULL },
	{ "breakpad/linux_jmp_to_0.dmp", NULL, NULL, "high", "high", NULL },
	{ "breakpad/linux_outside_module.dmp", NULL, NULL, "high", "high", NULL },
	{ "breakpad/linux_executable_stack.dmp", "mov dword ptr [rax], 5",
	  "wrote 4 bytes at 0x0", "high", "high", NULL },
	{ "breakpad/linux_executable_heap.dmp", "mov dword ptr [rax], 5",
	  "wrote 4 bytes at 0x0", "high", "high", NULL },
	{ "breakpad/linux_write_to_nonwritable_module.dmp", "mov dword ptr [rax], 1",
	  "wrote 4 bytes at 0x410000", "high", "high", NULL },
	{ "breakpad/linux_write_to_outside_module.dmp", "mov dword ptr [rax], 1",
	  "wrote 4 bytes at 0x390000", "high", "high", NULL },
	{ "breakpad/linux_write_to_outside_module_via_math.dmp", "mov dword ptr [rax], 1",
	  "wrote 4 bytes at 0x732b80", "high", "high", NULL },
	{ "breakpad/linux_write_to_nonwritable_region_math.dmp", "mov dword ptr [rax], 1",
	  "wrote 4 bytes at 0x72eb80", "high", "high", NULL },
	{ "breakpad/thread_name_list.dmp", "mov eax, dword ptr [eax + 0x14]",
	  "read 4 bytes at 0xf1004", NULL, "low", NULL },
	{ "breakpad/minidump2.dmp", NULL, NULL, NULL, "none", NULL },
	{ "breakpad/linux_inline.dmp", NULL, NULL, NULL, "low", NULL },
	{ "breakpad/tiny-exe-with-cet-xsave.dmp", NULL, NULL, NULL, NULL, NULL },
	{ "rust-minidump/linux-mini.dmp", "mov dword ptr [0x45], 5",
	  "wrote 4 bytes at 0x45", NULL, "none", NULL },
	{ "rust-minidump/pipeline-inlines-macos-segv.dmp",
	  "mov byte ptr [0xffffffff80000042], 1",
	  "wrote 1 byte at 0xffffffff80000042", NULL, "high", NULL },
};

static int check_corpus(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		printf("SKIP: %s is absent\n", dir);
		return 77;
	}
	char syms[4096];
	snprintf(syms, sizeof(syms), "%s/breakpad/symbols", dir);
	const char *symbol_dirs[] = { syms, NULL };
	struct cr_options opts = { .symbol_dirs = symbol_dirs };
	int failures = 0, differences = 0;
	for (size_t i = 0; i < ARRAY_LEN(corpus); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, corpus[i].file);
		struct cr_dump *d = NULL;
		struct cr_analysis *a = NULL;
		if (cr_dump_open(path, &d) || cr_analyze(d, &opts, &a)) {
			printf("FAIL %s: not analyzed\n", corpus[i].file);
			failures++;
			cr_dump_free(d);
			continue;
		}
		const struct cr_finding *f = find(a, CR_FINDING_FAULTING_INSTRUCTION);
		const char *insn = evidence_text(f, "instruction");
		const char *access = evidence_text(f, "memory access");
		const char *rate = evidence_text(find(a, CR_FINDING_SECURITY_RATING),
						 "rating");
		bool ok = corpus[i].insn ? insn && !strcmp(insn, corpus[i].insn) &&
			  access && !strncmp(access, corpus[i].access,
					     strlen(corpus[i].access)) : !f;
		ok = ok && (corpus[i].ours ? rate && !strcmp(rate, corpus[i].ours) :
			    !rate);
		printf("%s %-48s %-40s rating %s (Breakpad %s)%s%s\n",
		       ok ? "ok  " : "FAIL", corpus[i].file, insn ? insn : "-",
		       rate ? rate : "-", corpus[i].breakpad ? corpus[i].breakpad : "-",
		       corpus[i].why ? ": differs, " : "",
		       corpus[i].why ? corpus[i].why : "");
		if (!ok && access)
			printf("     access: %s\n", access);
		failures += !ok;
		differences += corpus[i].breakpad && corpus[i].why;
		cr_analysis_free(a);
		cr_dump_free(d);
	}
	printf("%zu dumps, %d failures, %d tabled differences from Breakpad\n",
	       ARRAY_LEN(corpus), failures, differences);
	return failures ? 1 : 0;
}

/* `test_instruction capstone-x86`: the unit tests with libZydis taken
 * for missing, so that x86 is decoded by Capstone, the pass's fallback
 * (instruction.c): the same facts and, Capstone's own, the same text. */
static void without_zydis(void)
{
	struct cr_dynlib *lib = insn_zydis.lib;
	lib->tried = true;
	lib->handle = NULL;
	snprintf(lib->why, sizeof(lib->why), "taken for missing by the test");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "capstone-x86"))
		without_zydis();
	else if (argc > 1 && !strcmp(argv[1], "findings"))
		return print_findings(argc - 2, argv + 2);
	if (argc > 2 && !strcmp(argv[1], "corpus"))
		return check_corpus(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_64_null_write),
		cmocka_unit_test(test_x86_64_gp_fault_address),
		cmocka_unit_test(test_windows_gp_fault_event_regs),
		cmocka_unit_test(test_x86_64_rip_relative),
		cmocka_unit_test(test_x86_64_fs_segment),
		cmocka_unit_test(test_x86_64_divide),
		cmocka_unit_test(test_x86_64_divide_memory),
		cmocka_unit_test(test_x86_64_traps),
		cmocka_unit_test(test_x86_64_capstone_text),
		cmocka_unit_test(test_pc_unmapped),
		cmocka_unit_test(test_bit_flip),
		cmocka_unit_test(test_no_fault),
		cmocka_unit_test(test_i386),
		cmocka_unit_test(test_x86_64_stack_overflow_push),
		cmocka_unit_test(test_x86_64_int3),
		cmocka_unit_test(test_arm_thumb_udf),
		cmocka_unit_test(test_aarch64),
		cmocka_unit_test(test_linux_minidump_divide),
		cmocka_unit_test(test_arm_minidump_thumb_trap),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
