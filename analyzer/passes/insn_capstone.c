/*
 * insn_capstone.c - the instruction pass's decoder for ARM, AArch64,
 * PowerPC and s390x: Capstone, in detail mode; and for x86 and x86_64
 * when libZydis, their usual decoder (insn_decode.h says why), cannot be
 * loaded (instruction.c).
 *
 * Capstone is opened with dlopen() (formats/dynlib.h) only when a dump of
 * one of these architectures crashed: its relocation costs 8 ms.  Its
 * register ids are mapped to the DWARF numbers the dump model keeps
 * (formats/dump.h); x86's facts are judged by insn_x86.c, as Zydis' are.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "insn_decode.h"
#include "util.h"

/* Capstone's functions, resolved when the library is loaded. */
#define CS_FUNCS(X) X(cs_open) X(cs_option) X(cs_disasm) X(cs_free)	\
	X(cs_close) X(cs_insn_group) X(cs_reg_name)
static struct { CS_FUNCS(CR_DYN_FIELD) } capstone;
#define CS_SYM(f) { #f, (void **)&capstone.f },
static const struct cr_dynsym cs_syms[] = { CS_FUNCS(CS_SYM) };
/* 77,375 relocations over 340 pages: populated while it loads. */
static struct cr_dynlib cs_lib = { .populate = true };

/* ARM: cpsr's T bit (Thumb state), cpsr in register slot 16 (dump.h). */
#define ARM_CPSR_REG 16
#define ARM_CPSR_T 0x20u

/* The dump's architecture in Capstone's terms. */
static const struct {
	enum cr_arch arch;
	cs_arch cs;
	cs_mode mode;
} arch_modes[] = {
	{ CR_ARCH_AARCH64, CS_ARCH_ARM64, CS_MODE_ARM },
	{ CR_ARCH_ARM, CS_ARCH_ARM, CS_MODE_ARM },
	{ CR_ARCH_PPC, CS_ARCH_PPC, CS_MODE_32 },
	{ CR_ARCH_PPC64, CS_ARCH_PPC, CS_MODE_64 },
	{ CR_ARCH_S390X, CS_ARCH_SYSZ, CS_MODE_BIG_ENDIAN },
	{ CR_ARCH_X86_64, CS_ARCH_X86, CS_MODE_64 },
	{ CR_ARCH_X86, CS_ARCH_X86, CS_MODE_32 },
};

/* x86's general registers: DWARF number, width in bits, shift (ah is
 * bits 8-15 of rax).  x86_64 psABI and i386 SysV numbering. */
static const struct {
	unsigned cs, dwarf, bits, shift;
} x86_64_regs[] = {
#define X86_FAMILY(q, d, w, b, n) \
	{ X86_REG_##q, n, 64, 0 }, { X86_REG_##d, n, 32, 0 }, \
	{ X86_REG_##w, n, 16, 0 }, { X86_REG_##b, n, 8, 0 }
	X86_FAMILY(RAX, EAX, AX, AL, 0), X86_FAMILY(RDX, EDX, DX, DL, 1),
	X86_FAMILY(RCX, ECX, CX, CL, 2), X86_FAMILY(RBX, EBX, BX, BL, 3),
	X86_FAMILY(RSI, ESI, SI, SIL, 4), X86_FAMILY(RDI, EDI, DI, DIL, 5),
	X86_FAMILY(RBP, EBP, BP, BPL, 6), X86_FAMILY(RSP, ESP, SP, SPL, 7),
	X86_FAMILY(R8, R8D, R8W, R8B, 8), X86_FAMILY(R9, R9D, R9W, R9B, 9),
	X86_FAMILY(R10, R10D, R10W, R10B, 10), X86_FAMILY(R11, R11D, R11W, R11B, 11),
	X86_FAMILY(R12, R12D, R12W, R12B, 12), X86_FAMILY(R13, R13D, R13W, R13B, 13),
	X86_FAMILY(R14, R14D, R14W, R14B, 14), X86_FAMILY(R15, R15D, R15W, R15B, 15),
	{ X86_REG_AH, 0, 8, 8 }, { X86_REG_DH, 1, 8, 8 },
	{ X86_REG_CH, 2, 8, 8 }, { X86_REG_BH, 3, 8, 8 },
#undef X86_FAMILY
}, i386_regs[] = {
#define X86_FAMILY(d, w, b, h, n) \
	{ X86_REG_##d, n, 32, 0 }, { X86_REG_##w, n, 16, 0 }, \
	{ X86_REG_##b, n, 8, 0 }, { X86_REG_##h, n, 8, 8 }
	X86_FAMILY(EAX, AX, AL, AH, 0), X86_FAMILY(ECX, CX, CL, CH, 1),
	X86_FAMILY(EDX, DX, DL, DH, 2), X86_FAMILY(EBX, BX, BL, BH, 3),
#undef X86_FAMILY
	{ X86_REG_ESP, 4, 32, 0 }, { X86_REG_SP, 4, 16, 0 },
	{ X86_REG_EBP, 5, 32, 0 }, { X86_REG_BP, 5, 16, 0 },
	{ X86_REG_ESI, 6, 32, 0 }, { X86_REG_SI, 6, 16, 0 },
	{ X86_REG_EDI, 7, 32, 0 }, { X86_REG_DI, 7, 16, 0 },
};

/* x86 instructions that touch the stack without a memory operand. */
static const struct {
	unsigned id;
	enum cr_insn_access access;
} x86_stack_ops[] = {
	{ X86_INS_PUSH, CR_ACCESS_WRITE }, { X86_INS_CALL, CR_ACCESS_WRITE },
	{ X86_INS_PUSHF, CR_ACCESS_WRITE }, { X86_INS_PUSHFD, CR_ACCESS_WRITE },
	{ X86_INS_PUSHFQ, CR_ACCESS_WRITE }, { X86_INS_POP, CR_ACCESS_READ },
	{ X86_INS_RET, CR_ACCESS_READ }, { X86_INS_POPF, CR_ACCESS_READ },
	{ X86_INS_POPFD, CR_ACCESS_READ }, { X86_INS_POPFQ, CR_ACCESS_READ },
};

/* x86 string (block) instructions (movsd is also SSE's: a rep prefix
 * says it). */
static const unsigned x86_block_ops[] = {
	X86_INS_MOVSB, X86_INS_MOVSW, X86_INS_MOVSQ, X86_INS_STOSB,
	X86_INS_STOSW, X86_INS_STOSD, X86_INS_STOSQ, X86_INS_LODSB,
	X86_INS_LODSW, X86_INS_LODSD, X86_INS_LODSQ, X86_INS_CMPSB,
	X86_INS_CMPSW, X86_INS_CMPSQ, X86_INS_SCASB, X86_INS_SCASW,
	X86_INS_SCASD, X86_INS_SCASQ,
};

/* Intentional traps: what compilers emit for __builtin_trap, unreachable
 * code and failed checks, and debugger breakpoints. */
static const struct {
	cs_arch arch;
	unsigned id;
	const char *what;
} trap_ops[] = {
	{ CS_ARCH_ARM64, ARM64_INS_BRK, "__builtin_trap or a breakpoint (brk)" },
	{ CS_ARCH_ARM64, ARM64_INS_HLT, "a halt trap (hlt)" },
	{ CS_ARCH_ARM, ARM_INS_UDF, "__builtin_trap (udf)" },
	/* Capstone names udf #254 (0xdefe, Thumb) and 0xe7ffdefe (ARM),
	 * what GCC emits for __builtin_trap, "trap". */
	{ CS_ARCH_ARM, ARM_INS_TRAP, "__builtin_trap (udf #254)" },
	{ CS_ARCH_ARM, ARM_INS_BKPT, "a breakpoint (bkpt)" },
	{ CS_ARCH_PPC, PPC_INS_TRAP, "__builtin_trap (trap)" },
	{ CS_ARCH_PPC, PPC_INS_TW, "a conditional trap (tw)" },
	{ CS_ARCH_PPC, PPC_INS_TD, "a conditional trap (td)" },
	{ CS_ARCH_PPC, PPC_INS_TWI, "a conditional trap (twi)" },
	{ CS_ARCH_PPC, PPC_INS_TDI, "a conditional trap (tdi)" },
	{ CS_ARCH_X86, X86_INS_UD2, "__builtin_trap or a compiler-inserted check" },
	{ CS_ARCH_X86, X86_INS_UD2B, "an undefined-instruction trap" },
	{ CS_ARCH_X86, X86_INS_UD0, "an undefined-instruction trap" },
	{ CS_ARCH_X86, X86_INS_INT3, "a breakpoint (int3, __debugbreak)" },
};

/* One run's decoder. */
struct cs_state {
	csh cs;
	cs_arch arch;
	cs_mode mode;	/* the mode the decoder was opened in */
};

static struct cs_state *st(const struct decoder *dc)
{
	return dc->state;
}

/* The Capstone register REG of the decoder's architecture in the dump's
 * registers; false when unknown or not a general register we map. */
static bool reg_value(const struct decoder *dc, unsigned reg, uint64_t *out)
{
	unsigned dwarf, bits = 64;
	if (st(dc)->arch == CS_ARCH_X86) {
		bool is64 = dc->ptr_bits == 64;
		size_t n = is64 ? ARRAY_LEN(x86_64_regs) : ARRAY_LEN(i386_regs);
		for (size_t k = 0; k < n; k++) {
			if ((is64 ? x86_64_regs[k].cs : i386_regs[k].cs) == reg)
				return insn_dwarf_reg(dc, is64 ? x86_64_regs[k].dwarf : i386_regs[k].dwarf,
						      is64 ? x86_64_regs[k].bits : i386_regs[k].bits,
						      is64 ? x86_64_regs[k].shift : i386_regs[k].shift, out);
		}
		return false;
	}
	if (st(dc)->arch == CS_ARCH_ARM64) {
		if (reg == ARM64_REG_XZR || reg == ARM64_REG_WZR) {
			*out = 0;
			return true;
		}
		if (reg >= ARM64_REG_X0 && reg <= ARM64_REG_X28)
			dwarf = reg - ARM64_REG_X0;
		else if (reg >= ARM64_REG_W0 && reg <= ARM64_REG_W30)
			dwarf = reg - ARM64_REG_W0, bits = 32;
		else if (reg == ARM64_REG_X29 || reg == ARM64_REG_X30)
			dwarf = reg == ARM64_REG_X29 ? 29 : 30;
		else if (reg == ARM64_REG_SP || reg == ARM64_REG_WSP)
			dwarf = 31, bits = reg == ARM64_REG_SP ? 64 : 32;
		else
			return false;
	} else if (st(dc)->arch == CS_ARCH_ARM) {
		if (reg >= ARM_REG_R0 && reg <= ARM_REG_R12)
			dwarf = reg - ARM_REG_R0;
		else if (reg == ARM_REG_SP || reg == ARM_REG_LR)
			dwarf = reg == ARM_REG_SP ? 13 : 14;
		else
			return false;
		bits = 32;
	} else {
		return false;
	}
	return insn_dwarf_reg(dc, dwarf, bits, 0, out);
}

static const char *reg_name(const struct decoder *dc, unsigned reg)
{
	const char *s = capstone.cs_reg_name(st(dc)->cs, reg);
	return s ? s : "?";
}

static bool arm64_address(struct decoder *dc, const cs_arm64_op *op,
			  uint64_t *out)
{
	uint64_t a = (uint64_t)(int64_t)op->mem.disp, b, v;
	if (!insn_base_index(dc, op->mem.base, op->mem.index, ARM64_REG_INVALID, &b, &v))
		return false;
	a += b;
	if (op->mem.index != ARM64_REG_INVALID) {
		if (op->ext == ARM64_EXT_SXTW)
			v = (uint64_t)(int64_t)(int32_t)v;
		else if (op->ext == ARM64_EXT_UXTW)
			v = (uint32_t)v;
		if (op->shift.type == ARM64_SFT_LSL && op->shift.value < 64)
			v <<= op->shift.value;
		a += v;
	}
	*out = a;
	return true;
}

/* Access size of an AArch64 load or store from its register operand
 * (x: 8, w: 4, b/h/s/d/q by name) and the mnemonic (ldrb, ldp...). */
static unsigned arm64_access_size(const struct decoder *dc, const cs_insn *i)
{
	const char *m = i->mnemonic;
	size_t len = strlen(m);
	unsigned size = 0;
	if (len && (m[len - 1] == 'b' || (len > 1 && m[len - 2] == 'b')))
		size = 1;
	else if (len && (m[len - 1] == 'h' || (len > 1 && m[len - 2] == 'h')))
		size = 2;
	else if (strstr(m, "sw"))
		size = 4;
	const cs_arm64 *a = &i->detail->arm64;
	if (!size && a->op_count && a->operands[0].type == ARM64_OP_REG) {
		const char *r = reg_name(dc, a->operands[0].reg);
		static const struct { char c; unsigned size; } widths[] = {
			{ 'x', 8 }, { 'w', 4 }, { 'b', 1 }, { 'h', 2 },
			{ 's', 4 }, { 'd', 8 }, { 'q', 16 },
		};
		for (size_t k = 0; k < ARRAY_LEN(widths); k++)
			if (r[0] == widths[k].c)
				size = widths[k].size;
		if (!strcmp(r, "sp"))
			size = 8;
	}
	if (size && m[0] && (!strncmp(m, "ldp", 3) || !strncmp(m, "stp", 3) ||
			     !strncmp(m, "ldnp", 4) || !strncmp(m, "stnp", 4)))
		size *= 2;
	return size;
}

static void arm64_access(struct decoder *dc, const cs_insn *i)
{
	const cs_arm64 *a = &i->detail->arm64;
	struct cr_insn_facts *f = dc->f;
	for (int k = 0; k < a->op_count; k++) {
		const cs_arm64_op *op = &a->operands[k];
		if (op->type != ARM64_OP_MEM)
			continue;
		uint64_t ea;
		f->address_known = arm64_address(dc, op, &ea);
		f->address = f->address_known ? ea : 0;
		/* Capstone 4 does not fill `access` for every AArch64
		 * memory operand: the mnemonic says it (st* writes). */
		bool write = (op->access & CS_AC_WRITE) ||
			     i->mnemonic[0] == 's';
		f->access = write ? CR_ACCESS_WRITE : CR_ACCESS_READ;
		f->access_size = arm64_access_size(dc, i);
		const char *s = strchr(i->op_str, '[');
		if (s) {
			size_t len = strcspn(s, "]") + 1;
			snprintf(dc->operand_buf, sizeof(dc->operand_buf),
				 "%.*s", (int)len, s);
			dc->operand_text = dc->operand_buf;
		}
		return;
	}
}

/* ---- x86, when Zydis cannot be loaded ------------------------------------ */

static bool in_ids(const unsigned *ids, size_t n, unsigned id)
{
	for (size_t k = 0; k < n; k++)
		if (ids[k] == id)
			return true;
	return false;
}

/* base + index * scale + disp (+ fs/gs base) of x86 memory operand OP of
 * I; false (and dc->address_why) when a part is not known. */
static bool x86_address(struct decoder *dc, const cs_insn *i,
			const cs_x86_op *op, uint64_t *out)
{
	uint64_t a = (uint64_t)op->mem.disp, b, v;
	bool rip = op->mem.base == X86_REG_RIP || op->mem.base == X86_REG_EIP;
	if (!insn_base_index(dc, rip ? X86_REG_INVALID : op->mem.base, op->mem.index,
			     X86_REG_INVALID, &b, &v))
		return false;
	/* rip: relative to the next instruction. */
	a += (rip ? i->address + i->size : b) + v * (uint64_t)(int64_t)op->mem.scale;
	if (op->mem.segment == X86_REG_FS || op->mem.segment == X86_REG_GS) {
		if (!insn_x86_segment_base(dc, op->mem.segment == X86_REG_FS, &v))
			return false;
		a += v;
	}
	*out = dc->ptr_bits == 64 ? a : (uint32_t)a;
	return true;
}

/* The memory operand (or implicit stack slot) of I. */
static void x86_access(struct decoder *dc, const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;
	struct cr_insn_facts *f = dc->f;
	int pick = -1;
	for (int k = 0; k < x->op_count; k++) {
		const cs_x86_op *op = &x->operands[k];
		if (op->type != X86_OP_MEM || i->id == X86_INS_LEA || i->id == X86_INS_NOP)
			continue;
		uint64_t ea;
		bool known = x86_address(dc, i, op, &ea);
		if (insn_x86_prefer(dc, pick < 0, known, ea, op->access & CS_AC_WRITE)) {
			pick = k;
			f->address_known = known;
			f->address = known ? ea : 0;
		}
	}
	f->block = in_ids(x86_block_ops, ARRAY_LEN(x86_block_ops), i->id) ||
		   x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE;
	if (pick >= 0) {
		const cs_x86_op *op = &x->operands[pick];
		f->access = op->access & CS_AC_WRITE ? CR_ACCESS_WRITE : CR_ACCESS_READ;
		f->access_size = op->size;
		/* The operand as people read it: the pick-th of the
		 * comma-separated operand text (operands hold no commas). */
		const char *s = i->op_str;
		for (int k = 0; k < pick && s; k++) {
			s = strchr(s, ',');
			if (s)
				s += 2;
		}
		if (s) {
			snprintf(dc->operand_buf, sizeof(dc->operand_buf), "%.*s",
				 (int)strcspn(s, ","), s);
			dc->operand_text = dc->operand_buf;
		}
	} else {
		for (size_t k = 0; k < ARRAY_LEN(x86_stack_ops); k++)
			if (x86_stack_ops[k].id == i->id)
				insn_x86_stack_access(dc, x86_stack_ops[k].access);
	}
	if (f->address_known && dc->ptr_bits == 64)
		f->non_canonical = insn_x86_non_canonical(f->address);
}

/* div/idiv: read the divisor (register or memory) and judge. */
static void x86_divide(struct decoder *dc, const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;
	bool is_div = i->id == X86_INS_DIV;
	if ((!is_div && i->id != X86_INS_IDIV) || x->op_count < 1)
		return;
	dc->f->divide = true;
	const cs_x86_op *op = &x->operands[0];
	unsigned size = op->size;
	uint64_t divisor, ea;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return;
	if (op->type == X86_OP_REG ? reg_value(dc, op->reg, &divisor) :
	    op->type == X86_OP_MEM && x86_address(dc, i, op, &ea) &&
	    insn_x86_read(dc, ea, size, &divisor))
		insn_x86_divide(dc, is_div, size, divisor);
}

/* ARM code runs in ARM or Thumb state (Debian's armhf is Thumb-2): cpsr's
 * T bit says which.  Without cpsr the mode is ARM by assumption, and the
 * decoder says so rather than calling Thumb bytes no instruction. */
static cs_mode arm_mode(struct decoder *dc, cs_mode mode)
{
	uint64_t cpsr;
	if (!cr_regs_get(dc->regs, ARM_CPSR_REG, &cpsr)) {
		dc->mode_assumed = "ARM (assumed: the dump does not record cpsr, "
				   "the code may be Thumb)";
		return mode;
	}
	if (!(cpsr & ARM_CPSR_T))
		return mode;
	/* Thumb-2 mixes 2- and 4-byte instructions: listed backwards as a
	 * variable-length set, from even addresses. */
	dc->align = 0;
	dc->step = 2;
	return CS_MODE_THUMB;
}

/* ARM in an assumed mode whose bytes are no ARM instruction: Thumb, once. */
static bool arm_try_thumb(struct decoder *dc)
{
	struct cs_state *s = st(dc);
	if (s->arch != CS_ARCH_ARM || !dc->mode_assumed || dc->step == 2 ||
	    capstone.cs_option(s->cs, CS_OPT_MODE, s->mode | CS_MODE_THUMB) != CS_ERR_OK)
		return false;
	dc->mode_assumed = "Thumb (assumed: the dump does not record cpsr and "
			   "the bytes are no ARM instruction)";
	dc->align = 0;
	dc->step = 2;
	return true;
}

static bool cs_open_run(struct decoder *dc, struct cr_error **err)
{
	size_t m = 0;
	while (m < ARRAY_LEN(arch_modes) && arch_modes[m].arch != dc->d->process.arch)
		m++;
	if (m == ARRAY_LEN(arch_modes))
		return false;
	struct cs_state *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = &cr_enomem;
		return false;
	}
	dc->state = s;
	s->arch = arch_modes[m].cs;
	cs_mode mode = arch_modes[m].mode;
	if (dc->d->process.arch == CR_ARCH_ARM)
		mode = arm_mode(dc, mode);
	if (dc->d->process.big_endian)
		mode |= CS_MODE_BIG_ENDIAN;
	s->mode = mode;
	if (capstone.cs_open(s->arch, mode, &s->cs) != CS_ERR_OK) {
		free(s);
		dc->state = NULL;
		return false;
	}
	capstone.cs_option(s->cs, CS_OPT_DETAIL, CS_OPT_ON);
	return true;
}

static void cs_close_run(struct decoder *dc)
{
	if (!dc->state)
		return;
	capstone.cs_close(&st(dc)->cs);
	free(dc->state);
	dc->state = NULL;
}

/* One instruction at CODE: Capstone's, to be freed with cs_free(.., 1). */
static cs_insn *disasm_one(const struct decoder *dc, const uint8_t *code,
			   size_t n, uint64_t addr)
{
	cs_insn *ins = NULL;
	size_t got = capstone.cs_disasm(st(dc)->cs, code, n, addr, 1, &ins);
	if (got == 1 && ins[0].address == addr)
		return ins;
	capstone.cs_free(ins, got);
	return NULL;
}

static void insn_text(const cs_insn *i, char *text, size_t size)
{
	snprintf(text, size, "%s%s%s", i->mnemonic, i->op_str[0] ? " " : "",
		 i->op_str);
}

static unsigned cs_one(struct decoder *dc, const uint8_t *code, size_t n,
		       uint64_t addr, char *text, size_t size)
{
	cs_insn *i = disasm_one(dc, code, n, addr);
	if (!i)
		return 0;
	unsigned len = i->size;
	if (text)
		insn_text(i, text, size);
	capstone.cs_free(i, 1);
	return len;
}

static enum insn_result cs_facts(struct decoder *dc, const uint8_t *code,
				 size_t n, struct cr_table *t, const char **trap)
{
	struct cr_insn_facts *f = dc->f;
	struct cs_state *s = st(dc);
	cs_insn *i = disasm_one(dc, code, n, f->pc);
	if (!i) {
		if (arm_try_thumb(dc))
			return INSN_RETRY;
		/* AArch64 "udf #imm16" (0x0000xxxx, the permanently undefined
		 * encoding compilers use for traps) is unknown to Capstone 4. */
		if (s->arch == CS_ARCH_ARM64 && n >= 4 && code[2] == 0 &&
		    code[3] == 0) {
			f->decoded = f->trap = true;
			f->size = 4;
			snprintf(f->text, sizeof(f->text), "udf #%u",
				 (unsigned)(code[0] | code[1] << 8));
			*trap = "__builtin_trap (udf)";
			/* The listing is this one row: a finding's table
			 * is never only its header. */
			t->marked_row = (ssize_t)t->nrows;
			insn_listing_cells(t, f->pc, code, 4, f->text);
			return INSN_ONLY;
		}
		return INSN_NONE;
	}
	f->decoded = true;
	f->size = i->size;
	insn_text(i, f->text, sizeof(f->text));
	f->control_flow = capstone.cs_insn_group(s->cs, i, CS_GRP_JUMP) ||
			  capstone.cs_insn_group(s->cs, i, CS_GRP_CALL) ||
			  capstone.cs_insn_group(s->cs, i, CS_GRP_RET);
	for (size_t k = 0; k < ARRAY_LEN(trap_ops); k++) {
		if (trap_ops[k].arch == s->arch && trap_ops[k].id == i->id) {
			f->trap = true;
			*trap = trap_ops[k].what;
		}
	}
	/* The access facts only for a fault on a memory access. */
	if (s->arch == CS_ARCH_ARM64 && insn_memory_fault(dc))
		arm64_access(dc, i);
	if (s->arch == CS_ARCH_X86) {
		if (insn_memory_fault(dc))
			x86_access(dc, i);
		x86_divide(dc, i);
	}
	capstone.cs_free(i, 1);
	return INSN_DECODED;
}

const struct insn_backend insn_capstone = {
	.lib = &cs_lib, .soname = CR_SONAME_CAPSTONE, .syms = cs_syms,
	.nsyms = ARRAY_LEN(cs_syms), .open = cs_open_run, .reg = reg_value,
	.close = cs_close_run, .one = cs_one, .facts = cs_facts,
};
