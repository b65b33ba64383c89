/*
 * walk_dwarf.c - a walk.c step source from the DWARF call frame information
 * (.eh_frame, then .debug_frame) of ELF modules whose files were found.
 *
 * libdw finds the frame description for a pc and gives each rule as a small
 * DWARF expression (dwarf_frame_cfa, dwarf_frame_register); this file
 * evaluates them over the model's registers and memory.  It is how walk.c
 * unwinds ELF code when it walks a dump itself (a Breakpad minidump whose
 * libraries are at hand, a core without its executable), so the CFI of
 * every file found is used, not just the frame pointer.
 */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "symtab.h"
#include "walk.h"

#define EXPR_STACK 64		/* DWARF expression stack depth */
#define EXPR_OPS 256		/* operations evaluated per expression */

/* The return address column of the psABIs (the CIE says the same). */
static int ra_column(enum cr_arch a)
{
	switch (a) {
	case CR_ARCH_X86_64: return 16;
	case CR_ARCH_X86: return 8;
	case CR_ARCH_AARCH64: return 30;
	case CR_ARCH_ARM: return 14;
	default: return -1;
	}
}

/* Registers the walk carries, [0, n). */
static unsigned walk_nregs(enum cr_arch a)
{
	switch (a) {
	case CR_ARCH_X86_64: return 17;
	case CR_ARCH_X86: return 9;
	case CR_ARCH_AARCH64: return 32;
	case CR_ARCH_ARM: return 16;
	default: return 0;
	}
}

/*
 * Evaluate OPS[0..N) with CFA and REGS.  *VALUE gets the result; *IS_VALUE
 * says whether it is a value (DW_OP_stack_value, or a register named by
 * DW_OP_regN) rather than the address where the value is saved.
 */
static bool eval(const struct cr_dump *d, const Dwarf_Op *ops, size_t n,
		 uint64_t cfa, bool have_cfa, const struct cr_regs *regs,
		 uint64_t *value, bool *is_value)
{
	uint64_t st[EXPR_STACK];
	size_t sp = 0;
	*is_value = false;
	if (n > EXPR_OPS)
		return false;
#define PUSH(v) do { if (sp == EXPR_STACK) return false; st[sp++] = (v); } while (0)
#define POP(v) do { if (sp == 0) return false; (v) = st[--sp]; } while (0)
	for (size_t i = 0; i < n; i++) {
		uint8_t op = ops[i].atom;
		uint64_t a, b, r;
		if (op >= DW_OP_lit0 && op <= DW_OP_lit31) {
			PUSH((uint64_t)(op - DW_OP_lit0));
		} else if (op >= DW_OP_breg0 && op <= DW_OP_breg31) {
			if (!cr_regs_get(regs, op - DW_OP_breg0, &r))
				return false;
			PUSH(r + ops[i].number);
		} else if (op >= DW_OP_reg0 && op <= DW_OP_reg31) {
			if (!cr_regs_get(regs, op - DW_OP_reg0, &r) || n != 1)
				return false;
			*value = r;
			*is_value = true;
			return true;
		} else {
			switch (op) {
			case DW_OP_call_frame_cfa:
				if (!have_cfa)
					return false;
				PUSH(cfa);
				break;
			case DW_OP_bregx:
				if (!cr_regs_get(regs, (unsigned)ops[i].number, &r))
					return false;
				PUSH(r + ops[i].number2);
				break;
			case DW_OP_const1u: case DW_OP_const1s: case DW_OP_const2u:
			case DW_OP_const2s: case DW_OP_const4u: case DW_OP_const4s:
			case DW_OP_const8u: case DW_OP_const8s: case DW_OP_constu:
			case DW_OP_consts: case DW_OP_addr:
				PUSH(ops[i].number);
				break;
			case DW_OP_plus_uconst:
				POP(a);
				PUSH(a + ops[i].number);
				break;
			case DW_OP_deref:
				POP(a);
				if (!cr_dump_read_word(d, a, &r))
					return false;
				PUSH(r);
				break;
			case DW_OP_dup:
				POP(a);
				PUSH(a);
				PUSH(a);
				break;
			case DW_OP_drop:
				POP(a);
				break;
			case DW_OP_swap:
				POP(a);
				POP(b);
				PUSH(a);
				PUSH(b);
				break;
			case DW_OP_neg: POP(a); PUSH(-a); break;
			case DW_OP_not: POP(a); PUSH(~a); break;
			case DW_OP_plus: POP(b); POP(a); PUSH(a + b); break;
			case DW_OP_minus: POP(b); POP(a); PUSH(a - b); break;
			case DW_OP_mul: POP(b); POP(a); PUSH(a * b); break;
			case DW_OP_and: POP(b); POP(a); PUSH(a & b); break;
			case DW_OP_or: POP(b); POP(a); PUSH(a | b); break;
			case DW_OP_xor: POP(b); POP(a); PUSH(a ^ b); break;
			case DW_OP_shl: POP(b); POP(a); PUSH(b < 64 ? a << b : 0); break;
			case DW_OP_shr: POP(b); POP(a); PUSH(b < 64 ? a >> b : 0); break;
			case DW_OP_shra:
				POP(b); POP(a);
				PUSH(b < 64 ? (uint64_t)((int64_t)a >> b) : 0);
				break;
			case DW_OP_ge: POP(b); POP(a); PUSH((int64_t)a >= (int64_t)b); break;
			case DW_OP_gt: POP(b); POP(a); PUSH((int64_t)a > (int64_t)b); break;
			case DW_OP_le: POP(b); POP(a); PUSH((int64_t)a <= (int64_t)b); break;
			case DW_OP_lt: POP(b); POP(a); PUSH((int64_t)a < (int64_t)b); break;
			case DW_OP_eq: POP(b); POP(a); PUSH(a == b); break;
			case DW_OP_ne: POP(b); POP(a); PUSH(a != b); break;
			case DW_OP_stack_value:
				if (i + 1 != n)
					return false;
				*is_value = true;
				break;
			default:
				return false;	/* not needed for CFI in practice */
			}
		}
	}
#undef PUSH
#undef POP
	if (sp == 0)
		return false;
	*value = st[sp - 1];
	return true;
}

static Dwarf_Frame *frame_at(Dwfl_Module *mod, uint64_t pc)
{
	Dwarf_Addr bias;
	Dwarf_Frame *fr = NULL;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &fr) == 0)
		return fr;
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &fr) == 0)
		return fr;
	return NULL;
}

enum cr_step_result cr_dwarf_step(void *ctx, const struct cr_dump *d,
				  const struct cr_regs *callee, bool first,
				  struct cr_regs *caller)
{
	struct cr_symtab *st = ctx;
	enum cr_arch arch = d->process.arch;
	int ra = ra_column(arch);
	unsigned nregs = walk_nregs(arch);
	uint64_t pc;
	if (ra < 0 || !cr_regs_get(callee, cr_arch_pc_reg(arch), &pc))
		return CR_STEP_NONE;
	uint64_t lpc = first || pc == 0 ? pc : pc - 1;
	Dwfl_Module *mod = dwfl_addrmodule(cr_symtab_dwfl(st), lpc);
	Dwarf_Addr bias;
	if (!mod || !dwfl_module_getelf(mod, &bias))
		return CR_STEP_NONE;
	Dwarf_Frame *fr = frame_at(mod, lpc);
	if (!fr)
		return CR_STEP_NONE;

	enum cr_step_result res = CR_STEP_NONE;
	Dwarf_Op *ops, mem[3];
	size_t nops;
	uint64_t cfa, v;
	bool is_value;
	if (dwarf_frame_cfa(fr, &ops, &nops) != 0 || nops == 0 ||
	    !eval(d, ops, nops, 0, false, callee, &cfa, &is_value))
		goto out;
	*caller = (struct cr_regs){ 0 };
	for (unsigned r = 0; r < nregs; r++) {
		if (dwarf_frame_register(fr, (int)r, mem, &ops, &nops) != 0)
			continue;
		if (nops == 0) {
			/* same_value (ops NULL) keeps it; undefined drops it */
			if (!ops && cr_regs_get(callee, r, &v))
				cr_regs_set(caller, r, v);
			if (ops && (int)r == ra) {
				res = CR_STEP_END;	/* outermost frame */
				goto out;
			}
			continue;
		}
		if (!eval(d, ops, nops, cfa, true, callee, &v, &is_value))
			continue;
		if (!is_value && !cr_dump_read_word(d, v, &v))
			continue;
		cr_regs_set(caller, r, v);
	}
	if (!cr_regs_get(caller, (unsigned)ra, &v))
		goto out;
	cr_regs_set(caller, cr_arch_pc_reg(arch), v);
	cr_regs_set(caller, cr_arch_sp_reg(arch), cfa);
	res = v == 0 ? CR_STEP_END : CR_STEP_OK;
out:
	free(fr);
	return res;
}
