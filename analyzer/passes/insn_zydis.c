/*
 * insn_zydis.c - the instruction pass's decoder for x86 and x86_64: Zydis
 * (insn_decode.h says why not Capstone: 100 relocations against 77,000).
 *
 * Zydis is opened with dlopen() (formats/dynlib.h).  Its Intel formatter
 * is tokenized and the tokens rewritten so that the text reads as
 * Capstone 4's Intel syntax did (what the goldens and people's searches
 * hold): `dword ptr [rcx + 8]` with spaces around + and -, numbers up to 9
 * in decimal and others in lower-case hex, je/jne/ja rather than
 * jz/jnz/jnbe, st(1), movabs, retf, sal, the immediate of a logical
 * operation or of a full-width one unsigned (`and eax, 0xffffffef`) while
 * a sign-extended one is signed (`cmp eax, -1`, and test's with 64-bit
 * operands: `test rsi, -0x40`), a string instruction's implicit operands
 * (`rep stosb byte ptr [rdi], al`), a segment only after a segment prefix
 * (`nop word ptr cs:[rax + rax]`, but `[rdi]`, not Zydis' `es:[rdi]`), no
 * notrack prefix, xchg's accumulator first, and x87's implicit st(0) left
 * out (`fmul st(1)`).  What still differs, over libc's .text (1,834 of
 * 335,736 instructions, docs/ARCHITECTURE.md): AVX-512 only, which
 * Capstone 4 did not decode or printed with a stray space, and the
 * vpcmp predicates it named as pseudo-ops (vpcmpltub).
 *
 * Registers: Zydis' register ids are mapped to the DWARF numbers the dump
 * model keeps (formats/dump.h) through their 64-bit (32-bit on i386)
 * enclosing register.
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "insn_decode.h"
#include "util.h"

/* Zydis' functions, resolved when the library is loaded. */
#define ZY_FUNCS(X) X(ZydisDecoderInit) X(ZydisDecoderDecodeFull)	\
	X(ZydisFormatterInit) X(ZydisFormatterSetProperty)		\
	X(ZydisFormatterTokenizeInstruction)				\
	X(ZydisFormatterTokenizeOperand) X(ZydisFormatterTokenGetValue)	\
	X(ZydisFormatterTokenNext) X(ZydisRegisterGetLargestEnclosing)	\
	X(ZydisRegisterGetWidth) X(ZydisMnemonicGetString)
static struct { ZY_FUNCS(CR_DYN_FIELD) } zydis;
#define ZY_SYM(f) { #f, (void **)&zydis.f },
static const struct cr_dynsym zy_syms[] = { ZY_FUNCS(ZY_SYM) };
static struct cr_dynlib zy_lib;

/* DWARF numbers of the general registers (x86_64 psABI, i386 SysV). */
static const struct {
	ZydisRegister reg;
	unsigned dwarf;
} x86_64_regs[] = {
	{ ZYDIS_REGISTER_RAX, 0 }, { ZYDIS_REGISTER_RDX, 1 },
	{ ZYDIS_REGISTER_RCX, 2 }, { ZYDIS_REGISTER_RBX, 3 },
	{ ZYDIS_REGISTER_RSI, 4 }, { ZYDIS_REGISTER_RDI, 5 },
	{ ZYDIS_REGISTER_RBP, 6 }, { ZYDIS_REGISTER_RSP, 7 },
	{ ZYDIS_REGISTER_R8, 8 }, { ZYDIS_REGISTER_R9, 9 },
	{ ZYDIS_REGISTER_R10, 10 }, { ZYDIS_REGISTER_R11, 11 },
	{ ZYDIS_REGISTER_R12, 12 }, { ZYDIS_REGISTER_R13, 13 },
	{ ZYDIS_REGISTER_R14, 14 }, { ZYDIS_REGISTER_R15, 15 },
}, i386_regs[] = {
	{ ZYDIS_REGISTER_EAX, 0 }, { ZYDIS_REGISTER_ECX, 1 },
	{ ZYDIS_REGISTER_EDX, 2 }, { ZYDIS_REGISTER_EBX, 3 },
	{ ZYDIS_REGISTER_ESP, 4 }, { ZYDIS_REGISTER_EBP, 5 },
	{ ZYDIS_REGISTER_ESI, 6 }, { ZYDIS_REGISTER_EDI, 7 },
};

/* The high byte registers: bits 8-15 of their enclosing register. */
static const ZydisRegister high_bytes[] = {
	ZYDIS_REGISTER_AH, ZYDIS_REGISTER_CH, ZYDIS_REGISTER_DH, ZYDIS_REGISTER_BH,
};

/* Instructions that touch the stack without a memory operand of their
 * own (Zydis lists the stack slot as a hidden operand; its address is
 * the one after the push, computed below). */
static const struct {
	ZydisMnemonic id;
	enum cr_insn_access access;
} stack_ops[] = {
	{ ZYDIS_MNEMONIC_PUSH, CR_ACCESS_WRITE }, { ZYDIS_MNEMONIC_CALL, CR_ACCESS_WRITE },
	{ ZYDIS_MNEMONIC_PUSHF, CR_ACCESS_WRITE }, { ZYDIS_MNEMONIC_PUSHFD, CR_ACCESS_WRITE },
	{ ZYDIS_MNEMONIC_PUSHFQ, CR_ACCESS_WRITE }, { ZYDIS_MNEMONIC_POP, CR_ACCESS_READ },
	{ ZYDIS_MNEMONIC_RET, CR_ACCESS_READ }, { ZYDIS_MNEMONIC_POPF, CR_ACCESS_READ },
	{ ZYDIS_MNEMONIC_POPFD, CR_ACCESS_READ }, { ZYDIS_MNEMONIC_POPFQ, CR_ACCESS_READ },
};

/* String (block) instructions: a bad one copies or fills a whole range.
 * (movsd is also SSE's scalar move: left out, as a rep prefix says it.) */
static const ZydisMnemonic block_ops[] = {
	ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSQ,
	ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD,
	ZYDIS_MNEMONIC_STOSQ, ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW,
	ZYDIS_MNEMONIC_LODSD, ZYDIS_MNEMONIC_LODSQ, ZYDIS_MNEMONIC_CMPSB,
	ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSQ, ZYDIS_MNEMONIC_SCASB,
	ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD, ZYDIS_MNEMONIC_SCASQ,
};

/* Intentional traps: __builtin_trap, unreachable code, failed checks and
 * debugger breakpoints. */
static const struct {
	ZydisMnemonic id;
	const char *what;
} trap_ops[] = {
	{ ZYDIS_MNEMONIC_UD2, "__builtin_trap or a compiler-inserted check" },
	{ ZYDIS_MNEMONIC_UD1, "an undefined-instruction trap" },
	{ ZYDIS_MNEMONIC_UD0, "an undefined-instruction trap" },
	{ ZYDIS_MNEMONIC_INT3, "a breakpoint (int3, __debugbreak)" },
};

/* Instructions whose immediate is a bit mask: printed unsigned. */
static const ZydisMnemonic mask_ops[] = {
	ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_XOR,
	ZYDIS_MNEMONIC_TEST,
};

/* Instructions whose immediate Capstone prints signed whatever its
 * width (`enter -0x100, 0`, `xabort -1`); and test with 64-bit operands
 * (`test rsi, -0x40`), below. */
static const ZydisMnemonic signed_ops[] = {
	ZYDIS_MNEMONIC_ENTER, ZYDIS_MNEMONIC_XABORT,
};

/* Mnemonics Capstone spells otherwise. */
static const struct {
	const char *zydis, *name;
} mnemonic_names[] = {
	{ "fwait", "wait" },
};

/* Segment override prefixes: Capstone prints the segment of a memory
 * operand only after one (`nop word ptr cs:[rax + rax]`), even where
 * 64-bit mode ignores it; Zydis then prints none, and the default es: of
 * a string instruction's [rdi] without one.  (Zydis sets no
 * ZYDIS_ATTRIB_HAS_SEGMENT_* for an ignored prefix: the raw bytes say.) */
static const struct {
	uint8_t prefix;
	ZydisRegister reg;
} segment_prefixes[] = {
	{ 0x2e, ZYDIS_REGISTER_CS }, { 0x36, ZYDIS_REGISTER_SS },
	{ 0x3e, ZYDIS_REGISTER_DS }, { 0x26, ZYDIS_REGISTER_ES },
	{ 0x64, ZYDIS_REGISTER_FS }, { 0x65, ZYDIS_REGISTER_GS },
};

/* Condition codes as Capstone and objdump name them (jz -> je), after
 * the prefixes that take one. */
static const char *const cc_prefixes[] = { "j", "set", "cmov" };
static const struct {
	const char *zydis, *name;
} cc_names[] = {
	{ "z", "e" }, { "nz", "ne" }, { "nb", "ae" }, { "nbe", "a" },
	{ "nle", "g" }, { "nl", "ge" },
};

static const struct {
	ZydisFormatterProperty prop;
	ZyanUPointer value;
} format_props[] = {
	{ ZYDIS_FORMATTER_PROP_FORCE_SIZE, ZYAN_TRUE },	/* dword ptr */
	/* Every segment, filtered by explicit_segment(). */
	{ ZYDIS_FORMATTER_PROP_FORCE_SEGMENT, ZYAN_TRUE },
	{ ZYDIS_FORMATTER_PROP_FORCE_SCALE_ONE, ZYAN_FALSE },	/* [rax + rcx] */
	{ ZYDIS_FORMATTER_PROP_FORCE_RELATIVE_RIPREL, ZYAN_TRUE },	/* [rip + 8] */
	{ ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE },
	{ ZYDIS_FORMATTER_PROP_IMM_SIGNEDNESS, ZYDIS_SIGNEDNESS_AUTO },
	{ ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE, ZYDIS_PADDING_DISABLED },
	{ ZYDIS_FORMATTER_PROP_ADDR_PADDING_RELATIVE, ZYDIS_PADDING_DISABLED },
	{ ZYDIS_FORMATTER_PROP_DISP_PADDING, ZYDIS_PADDING_DISABLED },
	{ ZYDIS_FORMATTER_PROP_IMM_PADDING, ZYDIS_PADDING_DISABLED },
};

/* One run's decoder. */
struct zy_state {
	ZydisDecoder dec;
	ZydisFormatter fmt;
	ZydisMachineMode mode;
};

/* A decoded instruction. */
struct zy_insn {
	ZydisDecodedInstruction i;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint64_t address;
};

static struct zy_state *st(const struct decoder *dc)
{
	return dc->state;
}

static bool in_list(const ZydisMnemonic *ids, size_t n, ZydisMnemonic id)
{
	for (size_t k = 0; k < n; k++)
		if (ids[k] == id)
			return true;
	return false;
}

/* ---- registers ------------------------------------------------------- */

/* Zydis register REG in the dump's registers; false when not recorded
 * or not a general register. */
static bool reg_value(const struct decoder *dc, unsigned id, uint64_t *out)
{
	ZydisRegister reg = (ZydisRegister)id;
	ZydisMachineMode mode = st(dc)->mode;
	ZydisRegister big = zydis.ZydisRegisterGetLargestEnclosing(mode, reg);
	unsigned bits = zydis.ZydisRegisterGetWidth(mode, reg), shift = 0;
	bool is64 = dc->ptr_bits == 64;
	size_t n = is64 ? ARRAY_LEN(x86_64_regs) : ARRAY_LEN(i386_regs);
	for (size_t k = 0; k < ARRAY_LEN(high_bytes); k++)
		if (high_bytes[k] == reg)
			shift = 8;
	if (bits == 0 || bits > 64)
		return false;
	for (size_t k = 0; k < n; k++) {
		if ((is64 ? x86_64_regs[k].reg : i386_regs[k].reg) == big)
			return insn_dwarf_reg(dc, is64 ? x86_64_regs[k].dwarf :
					      i386_regs[k].dwarf, bits, shift, out);
	}
	return false;
}

/* ---- text ---------------------------------------------------------------- */

/* A number token as Capstone prints it: up to 9 in decimal, else hex;
 * AS_UNSIGNED: a negative one as its two's complement in BITS;
 * AS_SIGNED: one with bit BITS - 1 set as a negative. */
static void number(const char *v, bool as_unsigned, bool as_signed,
		   unsigned bits, char *out, size_t size)
{
	bool neg = v[0] == '-';
	uint64_t x = strtoull(v + neg, NULL, 0);
	if (!neg && as_signed && bits && bits < 64 && (x >> (bits - 1)) & 1) {
		x = ((1ull << bits) - x) & ((1ull << bits) - 1);
		neg = true;
	}
	if (neg && as_unsigned) {
		x = -x;
		if (bits && bits < 64)
			x &= (1ull << bits) - 1;
		neg = false;
	}
	snprintf(out, size, x <= 9 ? "%s%" PRIu64 : "%s0x%" PRIx64,
		 neg ? "-" : "", x);
}

static void mnemonic(const struct zy_insn *z, const char *v, char *out,
		     size_t size)
{
	/* mov with a 64-bit immediate or address: Capstone's movabs. */
	if (z->i.mnemonic == ZYDIS_MNEMONIC_MOV &&
	    (z->i.raw.imm[0].size == 64 || z->i.raw.disp.size == 64)) {
		snprintf(out, size, "movabs");
		return;
	}
	/* Zydis' `ret far` (its "far" token is dropped) and the shift
	 * group's /6, an alias of shl that Capstone names sal. */
	if (z->i.mnemonic == ZYDIS_MNEMONIC_RET &&
	    z->i.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
		snprintf(out, size, z->i.operand_width == 64 ? "retfq" : "retf");
		return;
	}
	if (z->i.mnemonic == ZYDIS_MNEMONIC_SHL && z->i.raw.modrm.reg == 6) {
		snprintf(out, size, "sal");
		return;
	}
	for (size_t k = 0; k < ARRAY_LEN(mnemonic_names); k++) {
		if (!strcmp(v, mnemonic_names[k].zydis)) {
			snprintf(out, size, "%s", mnemonic_names[k].name);
			return;
		}
	}
	for (size_t p = 0; p < ARRAY_LEN(cc_prefixes); p++) {
		size_t len = strlen(cc_prefixes[p]);
		if (strncmp(v, cc_prefixes[p], len))
			continue;
		for (size_t k = 0; k < ARRAY_LEN(cc_names); k++) {
			if (!strcmp(v + len, cc_names[k].zydis)) {
				snprintf(out, size, "%s%s", cc_prefixes[p],
					 cc_names[k].name);
				return;
			}
		}
	}
	snprintf(out, size, "%s", v);
}

/* The segment of Z's last segment prefix, ZYDIS_REGISTER_NONE none. */
static ZydisRegister prefix_segment(const struct zy_insn *z)
{
	ZydisRegister seg = ZYDIS_REGISTER_NONE;
	for (ZyanU8 p = 0; p < z->i.raw.prefix_count && p < ZYDIS_MAX_INSTRUCTION_LENGTH; p++)
		for (size_t k = 0; k < ARRAY_LEN(segment_prefixes); k++)
			if (z->i.raw.prefixes[p].value == segment_prefixes[k].prefix)
				seg = segment_prefixes[k].reg;
	return seg;
}

/* OP as Capstone prints it: a memory operand in the prefix's segment
 * (Zydis prints every segment, ZYDIS_FORMATTER_PROP_FORCE_SEGMENT, and
 * tokens_text drops it when there is no prefix). */
static ZydisDecodedOperand printed_operand(const struct zy_insn *z,
					   const ZydisDecodedOperand *op)
{
	ZydisDecodedOperand o = *op;
	ZydisRegister seg = prefix_segment(z);
	if (o.type == ZYDIS_OPERAND_TYPE_MEMORY && seg != ZYDIS_REGISTER_NONE)
		o.mem.segment = seg;
	o.visibility = ZYDIS_OPERAND_VISIBILITY_EXPLICIT;
	return o;
}

/* Is the register token at TOK followed by ':' (a segment) in an
 * instruction without a segment prefix? */
static bool implied_segment(const struct zy_insn *z, const ZydisFormatterToken *tok)
{
	ZydisTokenType type;
	ZyanConstCharPointer next;
	return ZYAN_SUCCESS(zydis.ZydisFormatterTokenNext(&tok)) &&
	       ZYAN_SUCCESS(zydis.ZydisFormatterTokenGetValue(tok, &type, &next)) &&
	       type == ZYDIS_TOKEN_DELIMITER && !strcmp(next, ":") &&
	       prefix_segment(z) == ZYDIS_REGISTER_NONE;
}

/* Tokens Capstone does not print: the notrack prefix (CET's 3e on an
 * indirect jump or call) and `ret far`'s "far" (mnemonic() says retf). */
static bool dropped_token(ZydisTokenType type, const char *v)
{
	return (type == ZYDIS_TOKEN_PREFIX && !strncmp(v, "notrack", 7)) ||
	       !strcmp(v, "far");
}

/* The tokens from TOK on, rewritten (the file's header says how). */
static void tokens_text(const struct zy_insn *z, const ZydisFormatterToken *tok,
			char *text, size_t size)
{
	/* A sign-extended immediate is signed unless it is a mask. */
	bool imm_signed = in_list(signed_ops, ARRAY_LEN(signed_ops), z->i.mnemonic) ||
			  (z->i.mnemonic == ZYDIS_MNEMONIC_TEST && z->i.operand_width == 64);
	bool imm_unsigned = !imm_signed &&
			    (in_list(mask_ops, ARRAY_LEN(mask_ops), z->i.mnemonic) ||
			     z->i.raw.imm[0].size >= z->i.operand_width);
	size_t len = 0;
	int depth = 0;
	bool skip_space = false;
	text[0] = '\0';
	do {
		ZydisTokenType type;
		ZyanConstCharPointer v;
		char buf[64];
		if (!ZYAN_SUCCESS(zydis.ZydisFormatterTokenGetValue(tok, &type, &v)))
			break;
		if (skip_space && type == ZYDIS_TOKEN_WHITESPACE) {
			skip_space = false;
			continue;
		}
		skip_space = false;
		if (dropped_token(type, v)) {
			skip_space = true;
			continue;
		}
		if (type == ZYDIS_TOKEN_REGISTER && implied_segment(z, tok)) {
			zydis.ZydisFormatterTokenNext(&tok);	/* its ':' */
			continue;
		}
		if (type == ZYDIS_TOKEN_PARENTHESIS_OPEN)
			depth++;
		else if (type == ZYDIS_TOKEN_PARENTHESIS_CLOSE)
			depth--;
		if (type == ZYDIS_TOKEN_DELIMITER && depth > 0 &&
		    (!strcmp(v, "+") || !strcmp(v, "-"))) {
			snprintf(buf, sizeof(buf), " %s ", v);
			v = buf;
		} else if (type == ZYDIS_TOKEN_MNEMONIC) {
			mnemonic(z, v, buf, sizeof(buf));
			v = buf;
		} else if (type == ZYDIS_TOKEN_REGISTER && !strncmp(v, "st", 2) &&
			   v[2] >= '0' && v[2] <= '7' && !v[3]) {
			snprintf(buf, sizeof(buf), "st(%c)", v[2]);
			v = buf;
		} else if (type == ZYDIS_TOKEN_TYPECAST && !strncmp(v, "tbyte", 5)) {
			snprintf(buf, sizeof(buf), "xword%s", v + 5);
			v = buf;
		} else if (type == ZYDIS_TOKEN_IMMEDIATE) {
			number(v, imm_unsigned, imm_signed, imm_signed ? z->i.raw.imm[0].size :
			       z->i.operand_width, buf, sizeof(buf));
			v = buf;
		} else if (type == ZYDIS_TOKEN_DISPLACEMENT ||
			   type == ZYDIS_TOKEN_ADDRESS_ABS ||
			   type == ZYDIS_TOKEN_ADDRESS_REL) {
			number(v, false, false, 64, buf, sizeof(buf));
			v = buf;
		}
		int w = snprintf(text + len, size - len, "%s", v);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	} while (ZYAN_SUCCESS(zydis.ZydisFormatterTokenNext(&tok)));
	/* A dropped last token leaves its space (`retf`). */
	while (len > 0 && text[len - 1] == ' ')
		text[--len] = '\0';
}

/* A string instruction's operands Capstone prints (Zydis marks them all
 * hidden): its memory ones and the accumulator or dx, in Zydis' order,
 * which is Capstone's (`stosb byte ptr [rdi], al`, `lodsb al, byte ptr
 * [rsi]`); not the address, count and flags registers. */
static const ZydisRegister string_regs[] = {
	ZYDIS_REGISTER_AL, ZYDIS_REGISTER_AX, ZYDIS_REGISTER_EAX,
	ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_DX,
};

static bool string_operand(const ZydisDecodedOperand *op)
{
	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY)
		return true;
	for (size_t k = 0; op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	     k < ARRAY_LEN(string_regs); k++)
		if (op->reg.value == string_regs[k])
			return true;
	return false;
}

/* The operands Capstone prints, into OPS (their count returned): the
 * visible ones, and a string instruction's (string_operand); not a
 * multi-byte nop's register, which is no information; the accumulator
 * first in xchg's short form (90+r); x87's implicit st(0) left out as
 * Capstone does but in the dc group (`fmul st(1)`, `fadd st(2), st(0)`). */
static ZyanU8 printed_operands(const struct zy_insn *z, ZydisDecodedOperand *ops)
{
	ZyanU8 n = 0;
	bool string = z->i.meta.category == ZYDIS_CATEGORY_STRINGOP ||
		      z->i.meta.category == ZYDIS_CATEGORY_IOSTRINGOP;
	bool x87 = z->i.meta.isa_ext == ZYDIS_ISA_EXT_X87 &&
		   z->i.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && z->i.opcode != 0xdc &&
		   z->i.operand_count_visible == 2;
	for (int k = 0; k < z->i.operand_count; k++) {
		const ZydisDecodedOperand *op = &z->ops[k];
		if (string ? !string_operand(op) : k >= z->i.operand_count_visible)
			continue;
		if (x87 && op->visibility == ZYDIS_OPERAND_VISIBILITY_IMPLICIT &&
		    op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    op->reg.value == ZYDIS_REGISTER_ST0)
			continue;
		ops[n++] = printed_operand(z, op);
	}
	if (z->i.mnemonic == ZYDIS_MNEMONIC_NOP && n > 1)
		n = 1;
	if (z->i.mnemonic == ZYDIS_MNEMONIC_XCHG && z->i.opcode >= 0x91 &&
	    z->i.opcode <= 0x97 && z->i.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && n == 2) {
		ZydisDecodedOperand t = ops[0];
		ops[0] = ops[1];
		ops[1] = t;
	}
	return n;
}

static void insn_text(const struct decoder *dc, const struct zy_insn *z,
		      char *text, size_t size)
{
	char buf[256];
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const ZydisFormatterToken *tok;
	/* The formatter prints the instruction's visible operands: a
	 * copy says how many of OPS these are. */
	ZydisDecodedInstruction i = z->i;
	i.operand_count_visible = printed_operands(z, ops);
	text[0] = '\0';
	if (ZYAN_SUCCESS(zydis.ZydisFormatterTokenizeInstruction(
		    &st(dc)->fmt, &i, ops, i.operand_count_visible,
		    buf, sizeof(buf), z->address, &tok, NULL)))
		tokens_text(z, tok, text, size);
}

/* The memory operand OP as people read it (a hidden one included). */
static void operand_text(struct decoder *dc, const struct zy_insn *z,
			 const ZydisDecodedOperand *op)
{
	char buf[256];
	const ZydisFormatterToken *tok;
	ZydisDecodedOperand o = printed_operand(z, op);
	if (ZYAN_SUCCESS(zydis.ZydisFormatterTokenizeOperand(
		    &st(dc)->fmt, &z->i, &o, buf, sizeof(buf), z->address,
		    &tok, NULL))) {
		tokens_text(z, tok, dc->operand_buf, sizeof(dc->operand_buf));
		dc->operand_text = dc->operand_buf;
	}
}

/* ---- the memory access ------------------------------------------------ */

/* base + index * scale + disp (+ fs/gs base) of memory operand OP of Z;
 * false (and dc->address_why) when a part is not known. */
static bool x86_address(struct decoder *dc, const struct zy_insn *z,
			const ZydisDecodedOperand *op, uint64_t *out)
{
	uint64_t a = op->mem.disp.has_displacement ? (uint64_t)op->mem.disp.value : 0, b, v;
	bool rip = op->mem.base == ZYDIS_REGISTER_RIP || op->mem.base == ZYDIS_REGISTER_EIP;
	if (!insn_base_index(dc, rip ? ZYDIS_REGISTER_NONE : op->mem.base,
			     op->mem.index, ZYDIS_REGISTER_NONE, &b, &v))
		return false;
	/* rip: relative to the next instruction. */
	a += (rip ? z->address + z->i.length : b) + v * op->mem.scale;
	if (op->mem.segment == ZYDIS_REGISTER_FS || op->mem.segment == ZYDIS_REGISTER_GS) {
		if (!insn_x86_segment_base(dc, op->mem.segment == ZYDIS_REGISTER_FS, &v))
			return false;
		a += v;
	}
	*out = dc->ptr_bits == 64 ? a : (uint32_t)a;
	return true;
}

/* A memory operand the instruction really reads or writes: not lea's
 * address computation, not a nop's, not the stack slot of a push or call
 * (stack_ops: its address is the one after the push). */
static bool data_operand(const struct zy_insn *z, const ZydisDecodedOperand *op)
{
	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.type != ZYDIS_MEMOP_TYPE_MEM ||
	    z->i.mnemonic == ZYDIS_MNEMONIC_NOP)
		return false;
	bool stack = op->mem.base == ZYDIS_REGISTER_RSP ||
		     op->mem.base == ZYDIS_REGISTER_ESP ||
		     op->mem.base == ZYDIS_REGISTER_SP;
	return op->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN || !stack;
}

static void x86_access(struct decoder *dc, const struct zy_insn *z)
{
	struct cr_insn_facts *f = dc->f;
	int pick = -1;
	for (int k = 0; k < z->i.operand_count; k++) {
		const ZydisDecodedOperand *op = &z->ops[k];
		if (!data_operand(z, op))
			continue;
		uint64_t ea;
		bool known = x86_address(dc, z, op, &ea);
		if (insn_x86_prefer(dc, pick < 0, known, ea,
				    op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
			pick = k;
			f->address_known = known;
			f->address = known ? ea : 0;
		}
	}
	f->block = in_list(block_ops, ARRAY_LEN(block_ops), z->i.mnemonic) ||
		   (z->i.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
				       ZYDIS_ATTRIB_HAS_REPNE));
	if (pick >= 0) {
		const ZydisDecodedOperand *op = &z->ops[pick];
		f->access = op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE ?
			CR_ACCESS_WRITE : CR_ACCESS_READ;
		f->access_size = op->size / 8;
		operand_text(dc, z, op);
	} else {
		for (size_t k = 0; k < ARRAY_LEN(stack_ops); k++)
			if (stack_ops[k].id == z->i.mnemonic)
				insn_x86_stack_access(dc, stack_ops[k].access);
	}
	if (f->address_known && dc->ptr_bits == 64)
		f->non_canonical = insn_x86_non_canonical(f->address);
}

/* ---- division --------------------------------------------------------- */

/* div/idiv: read the divisor (register or memory) and judge. */
static void x86_divide(struct decoder *dc, const struct zy_insn *z)
{
	bool is_div = z->i.mnemonic == ZYDIS_MNEMONIC_DIV;
	if ((!is_div && z->i.mnemonic != ZYDIS_MNEMONIC_IDIV) ||
	    z->i.operand_count_visible < 1)
		return;
	dc->f->divide = true;
	const ZydisDecodedOperand *op = &z->ops[0];
	unsigned size = op->size / 8;
	uint64_t divisor = 0;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return;
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (!reg_value(dc, op->reg.value, &divisor))
			return;
	} else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		uint64_t ea;
		if (!x86_address(dc, z, op, &ea) || !insn_x86_read(dc, ea, size, &divisor))
			return;
	} else {
		return;
	}
	insn_x86_divide(dc, is_div, size, divisor);
}

/* ---- the backend -------------------------------------------------------- */

static bool zy_open(struct decoder *dc, struct cr_error **err)
{
	bool is64 = dc->d->process.arch == CR_ARCH_X86_64;
	if (!is64 && dc->d->process.arch != CR_ARCH_X86)
		return false;
	struct zy_state *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = &cr_enomem;
		return false;
	}
	s->mode = is64 ? ZYDIS_MACHINE_MODE_LONG_64 : ZYDIS_MACHINE_MODE_LEGACY_32;
	bool ok = ZYAN_SUCCESS(zydis.ZydisDecoderInit(&s->dec, s->mode, is64 ?
				ZYDIS_STACK_WIDTH_64 : ZYDIS_STACK_WIDTH_32)) &&
		  ZYAN_SUCCESS(zydis.ZydisFormatterInit(&s->fmt, ZYDIS_FORMATTER_STYLE_INTEL));
	for (size_t k = 0; ok && k < ARRAY_LEN(format_props); k++)
		ok = ZYAN_SUCCESS(zydis.ZydisFormatterSetProperty(
			&s->fmt, format_props[k].prop, format_props[k].value));
	if (!ok) {
		free(s);
		return false;
	}
	dc->state = s;
	return true;
}

static void zy_close(struct decoder *dc)
{
	free(dc->state);
	dc->state = NULL;
}

static bool decode_one(const struct decoder *dc, const uint8_t *code, size_t n,
		       uint64_t addr, struct zy_insn *z)
{
	z->address = addr;
	return ZYAN_SUCCESS(zydis.ZydisDecoderDecodeFull(&st(dc)->dec, code, n,
							 &z->i, z->ops));
}

static unsigned zy_one(struct decoder *dc, const uint8_t *code, size_t n,
		       uint64_t addr, char *text, size_t size)
{
	struct zy_insn z;
	if (!decode_one(dc, code, n, addr, &z))
		return 0;
	if (text)
		insn_text(dc, &z, text, size);
	return z.i.length;
}

static enum insn_result zy_facts(struct decoder *dc, const uint8_t *code,
				 size_t n, struct cr_table *t, const char **trap)
{
	struct cr_insn_facts *f = dc->f;
	struct zy_insn z;
	if (!decode_one(dc, code, n, f->pc, &z))
		return INSN_NONE;
	f->decoded = true;
	f->size = z.i.length;
	insn_text(dc, &z, f->text, sizeof(f->text));
	ZydisInstructionCategory c = z.i.meta.category;
	f->control_flow = c == ZYDIS_CATEGORY_COND_BR || c == ZYDIS_CATEGORY_UNCOND_BR ||
			  c == ZYDIS_CATEGORY_CALL || c == ZYDIS_CATEGORY_RET;
	for (size_t k = 0; k < ARRAY_LEN(trap_ops); k++) {
		if (trap_ops[k].id == z.i.mnemonic) {
			f->trap = true;
			*trap = trap_ops[k].what;
		}
	}
	/* The access facts only for a fault on a memory access: an int3
	 * or a division decodes an instruction that faulted for another
	 * reason, whose operand touched nothing wrong. */
	if (insn_memory_fault(dc))
		x86_access(dc, &z);
	x86_divide(dc, &z);
	return INSN_DECODED;
}

const struct insn_backend insn_zydis = {
	.lib = &zy_lib, .soname = CR_SONAME_ZYDIS, .syms = zy_syms,
	.nsyms = ARRAY_LEN(zy_syms), .open = zy_open, .reg = reg_value,
	.close = zy_close, .one = zy_one, .facts = zy_facts,
};
