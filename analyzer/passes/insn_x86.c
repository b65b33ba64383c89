/*
 * insn_x86.c - what the two x86 decoders share: Zydis decodes x86 and
 * x86_64 (insn_zydis.c), Capstone when libZydis cannot be loaded
 * (insn_capstone.c, instruction.c).  Each reads its own operands; what
 * follows from them (which memory operand faulted, the implicit stack
 * slot, a segment base, a division's verdict) is judged here once, with
 * the registers by their DWARF numbers (x86_64 psABI, i386 SysV).
 */
#include "insn_decode.h"

/* DWARF numbers: x86_64 rax 0, rdx 1, rsp 7, fs.base 58, gs.base 59;
 * i386 eax 0, edx 2, esp 4. */
#define X86_64_RDX 1
#define X86_64_RSP 7
#define I386_EDX 2
#define I386_ESP 4
#define X86_64_FS_BASE 58
#define X86_64_GS_BASE 59

bool insn_x86_segment_base(struct decoder *dc, bool fs, uint64_t *v)
{
	/* Thread-local storage: the segment base is the fs.base / gs.base
	 * register, which only x86_64 cores record. */
	if (dc->ptr_bits == 64 &&
	    cr_regs_get(dc->regs, fs ? X86_64_FS_BASE : X86_64_GS_BASE, v))
		return true;
	dc->address_why = fs ? "the fs segment base is not recorded" :
		"the gs segment base is not recorded";
	return false;
}

bool insn_x86_prefer(const struct decoder *dc, bool first, bool known,
		     uint64_t ea, bool writes)
{
	uint64_t fault = 0;
	bool fault_known = insn_crash_address(dc->ctx->analysis, &fault);
	/* Two memory operands (movs, cmps): the one at the fault address,
	 * else the one written. */
	return first || (known && fault_known && ea == fault) ||
	       (writes && !(fault_known && dc->f->address == fault));
}

void insn_x86_stack_access(struct decoder *dc, enum cr_insn_access access)
{
	struct cr_insn_facts *f = dc->f;
	bool is64 = dc->ptr_bits == 64;
	uint64_t sp;
	f->access = access;
	f->access_size = dc->ptr_bits / 8;
	dc->operand_text = "the stack (implicit)";
	if (insn_dwarf_reg(dc, is64 ? X86_64_RSP : I386_ESP, dc->ptr_bits, 0, &sp)) {
		f->address_known = true;
		/* A push writes below the stack pointer. */
		f->address = access == CR_ACCESS_WRITE ? sp - dc->ptr_bits / 8 : sp;
		if (!is64)
			f->address = (uint32_t)f->address;
	}
}

bool insn_x86_read(struct decoder *dc, uint64_t ea, unsigned size, uint64_t *v)
{
	uint8_t b[8] = { 0 };
	if (size > sizeof(b) || !cr_target_read(&dc->ctx->target, ea, b, size))
		return false;
	*v = 0;
	for (unsigned k = size; k-- > 0;)	/* little-endian */
		*v = *v << 8 | b[k];
	return true;
}

void insn_x86_divide(struct decoder *dc, bool is_div, unsigned size,
		     uint64_t divisor)
{
	struct cr_insn_facts *f = dc->f;
	f->divisor_known = true;
	if (divisor == 0) {
		f->divisor_zero = true;
		return;
	}
	/* The dividend is twice the operand: ax, dx:ax, edx:eax, rdx:rax;
	 * the quotient must fit in the operand size. */
	uint64_t lo, hi = 0;
	unsigned bits = size * 8;
	if (!insn_dwarf_reg(dc, 0, dc->ptr_bits, 0, &lo) ||
	    (size > 1 && !insn_dwarf_reg(dc, dc->ptr_bits == 64 ? X86_64_RDX : I386_EDX,
					 dc->ptr_bits, 0, &hi)))
		return;
	unsigned __int128 dividend;
	if (size == 1) {
		dividend = lo & 0xffff;
	} else {
		uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
		dividend = ((unsigned __int128)(hi & mask) << bits) | (lo & mask);
	}
	unsigned dbits = bits * 2;
	if (is_div) {
		f->division_overflow = dividend / divisor >> bits != 0;
		return;
	}
	/* Signed: sign-extend both; the quotient must lie in
	 * [-2^(bits-1), 2^(bits-1) - 1].  A divisor of -1 is judged without
	 * dividing (-2^127 / -1 would overflow the 128-bit division). */
	__int128 sd = dbits == 128 ? (__int128)dividend :
		(__int128)(dividend << (128 - dbits)) >> (128 - dbits);
	int64_t sv = bits == 64 ? (int64_t)divisor :
		(int64_t)(divisor << (64 - bits)) >> (64 - bits);
	__int128 max = ((__int128)1 << (bits - 1)) - 1, min = -max - 1;
	if (sv == -1) {
		f->division_overflow = sd < -max || sd > max + 1;
		return;
	}
	__int128 q = sd / sv;
	f->division_overflow = q > max || q < min;
}
