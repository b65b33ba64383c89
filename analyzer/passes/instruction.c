/*
 * instruction.c - pass "instruction": the instruction that crashed, decoded.
 *
 * When the bytes at the crashing thread's pc are in the dump (a core's
 * text pages, a full-memory minidump, or the few hundred bytes around the
 * pc that Breakpad's and Crashpad's clients store as a memory range), this
 * pass decodes them with Capstone (detail mode) and says what the signal
 * alone cannot:
 *  - the instruction and a few around it, the faulting one marked;
 *  - for a memory fault, the operand that touched memory, read or write,
 *    its size and its effective address from the registers.  On x86_64 a
 *    general-protection fault on a non-canonical address reaches us as
 *    si_addr 0 with SI_KERNEL (Linux) or as all ones (Windows): the
 *    effective address is the only place the real address is found;
 *  - for an integer-division fault, whether the divisor was zero or the
 *    quotient overflowed (INT_MIN / -1);
 *  - for SIGILL and traps, whether the bytes are an intentional trap
 *    (ud2, brk, udf, int3: __builtin_trap and friends) or no instruction at
 *    all (corrupted code, a jump into data);
 *  - whether the pc is in executable memory of a module;
 *  - a possible bit flip: a fault address one bit away from mapped memory.
 * The facts are also kept (cr_pass_keep) for the exploitability pass.
 *
 * Registers: the dump model keeps DWARF numbers (formats/dump.h); the
 * tables below map Capstone's register ids to them.  The pc comes from the
 * exception's own context when the dump has one (a minidump written from a
 * signal handler: the thread's context is the handler's).
 *
 * Capstone is opened with dlopen() (formats/dynlib.h): linked, its
 * relocation at start-up cost every run 8 ms, as much as the analysis of
 * a small core.  A dump whose crash is a fault starts loading it on a
 * thread of its own before the stacks are unwound (warm_instruction).
 */
#include <capstone/capstone.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dynlib.h"
#include "error.h"
#include "instruction.h"
#include "pass.h"
#include "passes.h"
#include "util.h"

/* Capstone's functions, resolved when the library is loaded. */
#define CS_FUNCS(X) X(cs_open) X(cs_option) X(cs_disasm) X(cs_free)	\
	X(cs_close) X(cs_insn_group) X(cs_reg_name)
static struct { CS_FUNCS(CR_DYN_FIELD) } capstone;
#define CS_SYM(f) { #f, (void **)&capstone.f },
static const struct cr_dynsym cs_syms[] = { CS_FUNCS(CS_SYM) };
static struct cr_dynlib cs_lib;
#define cs_open capstone.cs_open
#define cs_option capstone.cs_option
#define cs_disasm capstone.cs_disasm
#define cs_free capstone.cs_free
#define cs_close capstone.cs_close
#define cs_insn_group capstone.cs_insn_group
#define cs_reg_name capstone.cs_reg_name

/* Instructions listed before and after the faulting one. */
#define LIST_BEFORE 3
#define LIST_AFTER 3
/* Bytes searched backwards for a start that re-synchronises at the pc on
 * variable-length instruction sets (x86 instructions are at most 15). */
#define MAX_BACK 48
/* Bytes read at the pc: the faulting instruction and those after it. */
#define MAX_AHEAD 64
/* Addresses below this are a null pointer plus a field offset. */
#define NULL_PAGE 4096
/* A bit-flip candidate must be at least this high to be plausible. */
#define MIN_PLAUSIBLE 0x10000

enum { SIG_ILL = 4, SIG_TRAP = 5, SIG_FPE = 8, SIG_SEGV = 11, SIG_BUS = 7 };
enum { FPE_INTDIV_ = 1, FPE_INTOVF_ = 2, SI_KERNEL_ = 0x80 };
enum {
	EXC_ACCESS_VIOLATION = 0xC0000005u,
	EXC_ILLEGAL_INSTRUCTION = 0xC000001Du,
	EXC_INT_DIVIDE_BY_ZERO = 0xC0000094u,
	EXC_INT_OVERFLOW = 0xC0000095u,
	EXC_BREAKPOINT = 0x80000003u,
};

/* Windows exceptions raised by a memory access (besides the access
 * violation): the faulting instruction's operand is what failed. */
static const uint32_t memory_exceptions[] = {
	EXC_ACCESS_VIOLATION,
	0xC0000006u,	/* EXCEPTION_IN_PAGE_ERROR */
	0xC00000FDu,	/* EXCEPTION_STACK_OVERFLOW: the push or probe */
	0x80000001u,	/* EXCEPTION_GUARD_PAGE */
	0x80000002u,	/* EXCEPTION_DATATYPE_MISALIGNMENT */
};

/* ARM: cpsr's T bit (Thumb state), cpsr in register slot 16 (dump.h). */
#define ARM_CPSR_REG 16
#define ARM_CPSR_T 0x20u
/* x86 int3, which Linux reports with the pc after it. */
#define X86_INT3 0xcc

/* The dump's architecture in Capstone's terms.  ALIGN: fixed instruction
 * width (listing backwards is then exact), 0 variable. */
static const struct {
	enum cr_arch arch;
	cs_arch cs;
	cs_mode mode;
	unsigned align;
} arch_modes[] = {
	{ CR_ARCH_X86_64, CS_ARCH_X86, CS_MODE_64, 0 },
	{ CR_ARCH_X86, CS_ARCH_X86, CS_MODE_32, 0 },
	{ CR_ARCH_AARCH64, CS_ARCH_ARM64, CS_MODE_ARM, 4 },
	{ CR_ARCH_ARM, CS_ARCH_ARM, CS_MODE_ARM, 4 },
	{ CR_ARCH_PPC, CS_ARCH_PPC, CS_MODE_32, 4 },
	{ CR_ARCH_PPC64, CS_ARCH_PPC, CS_MODE_64, 4 },
	{ CR_ARCH_S390X, CS_ARCH_SYSZ, CS_MODE_BIG_ENDIAN, 0 },
};

/* A Capstone register: DWARF number, width in bits, shift (ah = rax >> 8). */
struct reg_map {
	unsigned cs, dwarf, bits, shift;
};

#define X86_FAMILY(q, d, w, b, n) \
	{ X86_REG_##q, n, 64, 0 }, { X86_REG_##d, n, 32, 0 }, \
	{ X86_REG_##w, n, 16, 0 }, { X86_REG_##b, n, 8, 0 }

static const struct reg_map x86_64_regs[] = {
	X86_FAMILY(RAX, EAX, AX, AL, 0), X86_FAMILY(RDX, EDX, DX, DL, 1),
	X86_FAMILY(RCX, ECX, CX, CL, 2), X86_FAMILY(RBX, EBX, BX, BL, 3),
	X86_FAMILY(RSI, ESI, SI, SIL, 4), X86_FAMILY(RDI, EDI, DI, DIL, 5),
	X86_FAMILY(RBP, EBP, BP, BPL, 6), X86_FAMILY(RSP, ESP, SP, SPL, 7),
	X86_FAMILY(R8, R8D, R8W, R8B, 8), X86_FAMILY(R9, R9D, R9W, R9B, 9),
	X86_FAMILY(R10, R10D, R10W, R10B, 10),
	X86_FAMILY(R11, R11D, R11W, R11B, 11),
	X86_FAMILY(R12, R12D, R12W, R12B, 12),
	X86_FAMILY(R13, R13D, R13W, R13B, 13),
	X86_FAMILY(R14, R14D, R14W, R14B, 14),
	X86_FAMILY(R15, R15D, R15W, R15B, 15),
	{ X86_REG_AH, 0, 8, 8 }, { X86_REG_DH, 1, 8, 8 },
	{ X86_REG_CH, 2, 8, 8 }, { X86_REG_BH, 3, 8, 8 },
};

static const struct reg_map i386_regs[] = {
	{ X86_REG_EAX, 0, 32, 0 }, { X86_REG_AX, 0, 16, 0 },
	{ X86_REG_AL, 0, 8, 0 }, { X86_REG_AH, 0, 8, 8 },
	{ X86_REG_ECX, 1, 32, 0 }, { X86_REG_CX, 1, 16, 0 },
	{ X86_REG_CL, 1, 8, 0 }, { X86_REG_CH, 1, 8, 8 },
	{ X86_REG_EDX, 2, 32, 0 }, { X86_REG_DX, 2, 16, 0 },
	{ X86_REG_DL, 2, 8, 0 }, { X86_REG_DH, 2, 8, 8 },
	{ X86_REG_EBX, 3, 32, 0 }, { X86_REG_BX, 3, 16, 0 },
	{ X86_REG_BL, 3, 8, 0 }, { X86_REG_BH, 3, 8, 8 },
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

/* String (block) instructions: a bad one copies or fills a whole range. */
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
	{ CS_ARCH_X86, X86_INS_UD2, "__builtin_trap or a compiler-inserted check" },
	{ CS_ARCH_X86, X86_INS_UD2B, "an undefined-instruction trap" },
	{ CS_ARCH_X86, X86_INS_UD0, "an undefined-instruction trap" },
	{ CS_ARCH_X86, X86_INS_INT3, "a breakpoint (int3, __debugbreak)" },
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
};

static const char *const access_words[] = {
	[CR_ACCESS_UNKNOWN] = "accessed",
	[CR_ACCESS_READ] = "read",
	[CR_ACCESS_WRITE] = "wrote",
	[CR_ACCESS_EXECUTE] = "executed",
};

static const char *const listing_headers[] = {
	"address", "bytes", "instruction",
};

/* Everything one run needs. */
struct decoder {
	struct cr_pass_ctx *ctx;
	const struct cr_dump *d;
	const struct cr_regs *regs;	/* the crashing thread's, at the fault */
	const struct cr_thread *thread;
	csh cs;
	cs_arch arch;
	unsigned align;
	unsigned step;	/* variable length: the smallest instruction */
	cs_mode mode;	/* the mode the decoder was opened in */
	unsigned ptr_bits;
	const char *mode_assumed;	/* ARM: why the mode is a guess, NULL known */
	const char *pc_note;	/* why the decoded pc is not the dump's */
	struct cr_insn_facts *f;
	const char *operand_text;	/* the memory operand, for people */
	char operand_buf[96];
	const char *address_why;	/* why the address is not known */
	/* The module file code is read from when the dump lacks it. */
	const struct cr_module *file_module;	/* NULL: none opened */
	int fd;
	Elf *elf;
	uint64_t file_bias;	/* runtime address - file vaddr */
	const char *code_source;	/* where the faulting bytes came from */
};

static bool is_signal(const struct cr_analysis *a, int signo)
{
	return a->crash.signo == signo;
}

static bool is_exception(const struct cr_dump *d, uint32_t code)
{
	return d->event.kind == CR_EVENT_EXCEPTION && d->event.exc_code == code;
}

/* Crash classes of a fault on a memory access, whatever the system's
 * name for it (macOS EXC_BAD_ACCESS has neither a signal nor a Windows
 * code). */
static const enum cr_crash_class memory_classes[] = {
	CR_CRASH_NULL_DEREF, CR_CRASH_UNMAPPED, CR_CRASH_WRITE_READONLY,
	CR_CRASH_READ_PROTECTED, CR_CRASH_EXEC_NX, CR_CRASH_STACK_OVERFLOW,
	CR_CRASH_BUS_ERROR,
};

bool cr_insn_memory_fault(const struct cr_analysis *a, const struct cr_dump *d)
{
	if (is_signal(a, SIG_SEGV) || is_signal(a, SIG_BUS))
		return true;
	for (size_t k = 0; k < ARRAY_LEN(memory_exceptions); k++)
		if (is_exception(d, memory_exceptions[k]))
			return true;
	for (size_t k = 0; k < ARRAY_LEN(memory_classes); k++)
		if (a->crash.cls == memory_classes[k])
			return true;
	return false;
}

static bool memory_fault(const struct decoder *dc)
{
	return cr_insn_memory_fault(dc->ctx->analysis, dc->d);
}

/* ---- code bytes -------------------------------------------------------- */

/*
 * Kernel cores leave out the text of file-backed mappings (coredump_filter
 * keeps anonymous memory only), and minidumps without a full memory list
 * keep only what the client chose.  The code is then read from the module's
 * file that the symbol session found and checked by build id
 * (a->modules[i].file): its PT_LOAD segments say which file bytes are
 * mapped at which address.
 */
static bool open_module_file(struct decoder *dc, const struct cr_module *m)
{
	if (dc->file_module == m)
		return dc->elf != NULL;
	if (dc->elf)
		elf_end(dc->elf);
	if (dc->fd >= 0)
		close(dc->fd);
	dc->elf = NULL;
	dc->fd = -1;
	dc->file_module = m;
	const struct cr_analysis *a = dc->ctx->analysis;
	size_t i = (size_t)(m - dc->d->modules);
	if (!a->modules || i >= a->nmodules || !a->modules[i].file ||
	    a->modules[i].mismatch)
		return false;
	elf_version(EV_CURRENT);
	dc->fd = open(a->modules[i].file, O_RDONLY | O_CLOEXEC);
	if (dc->fd < 0)
		return false;
	dc->elf = elf_begin(dc->fd, ELF_C_READ_MMAP, NULL);
	size_t n;
	if (!dc->elf || elf_getphdrnum(dc->elf, &n) != 0)
		return false;
	/* The module's base is where its lowest PT_LOAD page is mapped. */
	for (size_t k = 0; k < n; k++) {
		GElf_Phdr ph;
		if (gelf_getphdr(dc->elf, (int)k, &ph) && ph.p_type == PT_LOAD) {
			dc->file_bias = m->base - (ph.p_vaddr & ~(uint64_t)0xfff);
			return true;
		}
	}
	return false;
}

/* N bytes at ADDR from the module file mapped there; false unless all. */
static bool read_module_file(struct decoder *dc, uint64_t addr, uint8_t *buf,
			     size_t n)
{
	const struct cr_module *m = cr_dump_module_at(dc->d, addr);
	size_t np;
	if (!m || !open_module_file(dc, m) || elf_getphdrnum(dc->elf, &np) != 0)
		return false;
	uint64_t v = addr - dc->file_bias, end;
	if (__builtin_add_overflow(v, n, &end))
		return false;
	for (size_t k = 0; k < np; k++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(dc->elf, (int)k, &ph) || ph.p_type != PT_LOAD ||
		    v < ph.p_vaddr || end > ph.p_vaddr + ph.p_filesz)
			continue;
		off_t off = (off_t)(ph.p_offset + (v - ph.p_vaddr));
		return pread(dc->fd, buf, n, off) == (ssize_t)n;
	}
	return false;
}

/* Code bytes at ADDR: from the dump, else from the module file.  Returns
 * how many (all N, or a prefix that the dump has). */
static size_t read_code(struct decoder *dc, uint64_t addr, uint8_t *buf,
			size_t n, bool faulting)
{
	size_t got = cr_dump_read(dc->d, addr, buf, n);
	if (got == n) {
		if (faulting)
			dc->code_source = "the dump";
		return got;
	}
	/* All or a shorter prefix from the file: a module's text ends at
	 * its segment's end, so try the whole then halves. */
	for (size_t want = n; want > got; want /= 2) {
		if (read_module_file(dc, addr, buf, want)) {
			if (faulting)
				dc->code_source = "the module file";
			return want;
		}
	}
	if (got && faulting)
		dc->code_source = "the dump";
	return got;
}

/* ---- registers ------------------------------------------------------- */

/* The Capstone register REG of the decoder's architecture in the dump's
 * registers; false when unknown or not a general register we map. */
static bool reg_value(const struct decoder *dc, unsigned reg, uint64_t *out)
{
	const struct reg_map *map = NULL;
	size_t n = 0;
	unsigned dwarf, bits = 64, shift = 0;
	if (dc->arch == CS_ARCH_X86) {
		bool is64 = dc->ptr_bits == 64;
		map = is64 ? x86_64_regs : i386_regs;
		n = is64 ? ARRAY_LEN(x86_64_regs) : ARRAY_LEN(i386_regs);
	} else if (dc->arch == CS_ARCH_ARM64) {
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
		goto get;
	} else if (dc->arch == CS_ARCH_ARM) {
		if (reg >= ARM_REG_R0 && reg <= ARM_REG_R12)
			dwarf = reg - ARM_REG_R0;
		else if (reg == ARM_REG_SP || reg == ARM_REG_LR)
			dwarf = reg == ARM_REG_SP ? 13 : 14;
		else
			return false;
		bits = 32;
		goto get;
	}
	for (size_t i = 0; i < n; i++) {
		if (map[i].cs == reg) {
			dwarf = map[i].dwarf, bits = map[i].bits;
			shift = map[i].shift;
			goto get;
		}
	}
	return false;
get:;
	uint64_t v;
	if (!cr_regs_get(dc->regs, dwarf, &v))
		return false;
	v >>= shift;
	*out = bits == 64 ? v : v & ((1ull << bits) - 1);
	return true;
}

static const char *reg_name(const struct decoder *dc, unsigned reg)
{
	const char *s = cs_reg_name(dc->cs, reg);
	return s ? s : "?";
}

/* ---- effective addresses --------------------------------------------- */

/* The value of address register REG in *V; false, with WHY kept as the
 * reason the address is unknown, when it is not recorded. */
static bool operand_reg(struct decoder *dc, unsigned reg, const char *why,
			uint64_t *v)
{
	if (reg_value(dc, reg, v))
		return true;
	dc->address_why = why;
	return false;
}

static bool x86_non_canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top != 0 && top != 0x1ffff;
}

/* base + index * scale + disp (+ fs/gs base) of x86 memory operand OP of
 * instruction I; false (and dc->address_why) when a part is not known. */
static bool x86_address(struct decoder *dc, const cs_insn *i,
			const cs_x86_op *op, uint64_t *out)
{
	uint64_t a = (uint64_t)op->mem.disp, v;
	if (op->mem.base == X86_REG_RIP || op->mem.base == X86_REG_EIP) {
		a += i->address + i->size;	/* relative to the next one */
	} else if (op->mem.base != X86_REG_INVALID) {
		if (!operand_reg(dc, op->mem.base, "its base register is not recorded", &v))
			return false;
		a += v;
	}
	if (op->mem.index != X86_REG_INVALID) {
		if (!operand_reg(dc, op->mem.index, "its index register is not recorded", &v))
			return false;
		a += v * (uint64_t)(int64_t)op->mem.scale;
	}
	if (op->mem.segment == X86_REG_FS || op->mem.segment == X86_REG_GS) {
		/* Thread-local storage: the segment base is the fs.base /
		 * gs.base register, which only x86_64 cores record. */
		unsigned n = op->mem.segment == X86_REG_FS ? 58 : 59;
		if (dc->ptr_bits != 64 || !cr_regs_get(dc->regs, n, &v)) {
			dc->address_why = op->mem.segment == X86_REG_FS ?
				"the fs segment base is not recorded" :
				"the gs segment base is not recorded";
			return false;
		}
		a += v;
	}
	*out = dc->ptr_bits == 64 ? a : (uint32_t)a;
	return true;
}

static bool arm64_address(struct decoder *dc, const cs_arm64_op *op,
			  uint64_t *out)
{
	uint64_t a = (uint64_t)(int64_t)op->mem.disp, v;
	if (op->mem.base != ARM64_REG_INVALID) {
		if (!operand_reg(dc, op->mem.base, "its base register is not recorded", &v))
			return false;
		a += v;
	}
	if (op->mem.index != ARM64_REG_INVALID) {
		if (!operand_reg(dc, op->mem.index, "its index register is not recorded", &v))
			return false;
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

/* ---- the memory access ------------------------------------------------ */

static bool in_list(const unsigned *ids, size_t n, unsigned id)
{
	for (size_t k = 0; k < n; k++)
		if (ids[k] == id)
			return true;
	return false;
}

/* The crash's own data address, when the crash pass knows one. */
static bool crash_address(const struct cr_analysis *a, uint64_t *out)
{
	if (!a->crash.address_known)
		return false;
	*out = a->crash.address;
	return true;
}

/* x86: the memory operand (or implicit stack access) of I. */
static void x86_access(struct decoder *dc, const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;
	struct cr_insn_facts *f = dc->f;
	uint64_t fault = 0;
	bool fault_known = crash_address(dc->ctx->analysis, &fault);
	int pick = -1;
	for (int k = 0; k < x->op_count; k++) {
		const cs_x86_op *op = &x->operands[k];
		if (op->type != X86_OP_MEM || i->id == X86_INS_LEA ||
		    i->id == X86_INS_NOP)
			continue;
		uint64_t ea;
		bool known = x86_address(dc, i, op, &ea);
		/* Two memory operands (movs, cmps): the one at the fault
		 * address, else the one written. */
		if (pick < 0 || (known && fault_known && ea == fault) ||
		    (op->access & CS_AC_WRITE && !(fault_known && f->address == fault))) {
			pick = k;
			f->address_known = known;
			f->address = known ? ea : 0;
		}
	}
	f->block = in_list(x86_block_ops, ARRAY_LEN(x86_block_ops), i->id) ||
		   x->prefix[0] == X86_PREFIX_REP ||
		   x->prefix[0] == X86_PREFIX_REPNE;
	if (pick >= 0) {
		const cs_x86_op *op = &x->operands[pick];
		f->access = op->access & CS_AC_WRITE ? CR_ACCESS_WRITE :
							CR_ACCESS_READ;
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
			size_t len = strcspn(s, ",");
			snprintf(dc->operand_buf, sizeof(dc->operand_buf),
				 "%.*s", (int)len, s);
			dc->operand_text = dc->operand_buf;
		}
	} else {
		for (size_t k = 0; k < ARRAY_LEN(x86_stack_ops); k++) {
			if (x86_stack_ops[k].id != i->id)
				continue;
			uint64_t sp;
			f->access = x86_stack_ops[k].access;
			f->access_size = dc->ptr_bits / 8;
			dc->operand_text = "the stack (implicit)";
			if (reg_value(dc, dc->ptr_bits == 64 ? X86_REG_RSP :
				      X86_REG_ESP, &sp)) {
				f->address_known = true;
				f->address = f->access == CR_ACCESS_WRITE ?
					sp - dc->ptr_bits / 8 : sp;
				if (dc->ptr_bits == 32)
					f->address = (uint32_t)f->address;
			}
		}
	}
	if (f->address_known && dc->ptr_bits == 64)
		f->non_canonical = x86_non_canonical(f->address);
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

/* ---- division --------------------------------------------------------- */

/* x86 div/idiv: read the divisor (register or memory) and judge. */
static void x86_divide(struct decoder *dc, const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;
	struct cr_insn_facts *f = dc->f;
	if ((i->id != X86_INS_DIV && i->id != X86_INS_IDIV) || x->op_count < 1)
		return;
	f->divide = true;
	const cs_x86_op *op = &x->operands[0];
	unsigned size = op->size;
	uint64_t divisor = 0;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return;
	if (op->type == X86_OP_REG) {
		if (!reg_value(dc, op->reg, &divisor))
			return;
	} else if (op->type == X86_OP_MEM) {
		uint64_t ea;
		uint8_t b[8] = { 0 };
		if (!x86_address(dc, i, op, &ea) ||
		    !cr_target_read(&dc->ctx->target, ea, b, size))
			return;
		for (unsigned k = size; k-- > 0;)
			divisor = divisor << 8 | b[k];
	} else {
		return;
	}
	f->divisor_known = true;
	if (divisor == 0) {
		f->divisor_zero = true;
		return;
	}
	/* The dividend is twice the operand: ax, dx:ax, edx:eax, rdx:rax;
	 * the quotient must fit in the operand size. */
	uint64_t lo, hi = 0;
	unsigned bits = size * 8;
	if (!reg_value(dc, dc->ptr_bits == 64 ? X86_REG_RAX : X86_REG_EAX, &lo) ||
	    (size > 1 && !reg_value(dc, dc->ptr_bits == 64 ? X86_REG_RDX :
				    X86_REG_EDX, &hi)))
		return;
	unsigned __int128 dividend;
	if (size == 1) {
		dividend = lo & 0xffff;
	} else {
		uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
		dividend = ((unsigned __int128)(hi & mask) << bits) | (lo & mask);
	}
	unsigned dbits = bits * 2;
	if (i->id == X86_INS_DIV) {
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

/* ---- decoding and listing -------------------------------------------- */

static void hex_bytes(const uint8_t *b, size_t n, char *out, size_t size)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t k = 0; k < n && len + 4 < size; k++)
		len += (size_t)snprintf(out + len, size - len, "%s%02x",
					k ? " " : "", b[k]);
}

/* One listing row: the address, the bytes and the instruction TEXT. */
static bool listing_cells(struct cr_table *t, uint64_t address,
			  const uint8_t *b, size_t n, const char *text)
{
	char addr[24], bytes[64];
	snprintf(addr, sizeof(addr), "0x%" PRIx64, address);
	hex_bytes(b, n, bytes, sizeof(bytes));
	const char *cells[] = { addr, bytes, text };
	return cr_table_row(t, cells);
}

static bool listing_row(struct cr_table *t, const cs_insn *i)
{
	char text[200];
	snprintf(text, sizeof(text), "%s%s%s", i->mnemonic,
		 i->op_str[0] ? " " : "", i->op_str);
	return listing_cells(t, i->address, i->bytes, i->size, text);
}

/*
 * The start of the instructions before PC: on fixed-width sets LIST_BEFORE
 * words back; on x86 the furthest start within MAX_BACK bytes whose
 * instructions decode without a gap and end exactly at the pc (a wrong
 * start usually re-synchronises within a few instructions, and the last
 * ones before the pc are then right).  Returns the number of bytes before
 * the pc to list, in *BACK; 0 when none.
 */
/* Largest function prefix decoded to find the instructions before the pc. */
#define MAX_FUNCTION_PREFIX 4096

/* From the start of the pc's function (when the symbols know it) the
 * decoding is exact: the bytes back to the LIST_BEFORE-th instruction
 * before the pc, 0 when unknown or when it does not land on the pc. */
static size_t back_from_symbol(struct decoder *dc, uint64_t pc)
{
	const char *function, *module;
	uint64_t off = 0;
	if (!cr_pass_symbolize(dc->ctx, pc, &function, &off, &module) ||
	    off == 0 || off > MAX_FUNCTION_PREFIX || off > pc)
		return 0;
	uint8_t *code = malloc(off);
	if (!code || read_code(dc, pc - off, code, off, false) != off) {
		free(code);
		return 0;
	}
	cs_insn *ins = NULL;
	size_t n = cs_disasm(dc->cs, code, off, pc - off, 0, &ins);
	free(code);
	size_t back = 0;
	if (n && ins[n - 1].address + ins[n - 1].size == pc)
		back = pc - ins[n > LIST_BEFORE ? n - LIST_BEFORE : 0].address;
	cs_free(ins, n);
	return back <= MAX_BACK ? back : 0;
}

static size_t find_back(struct decoder *dc, uint64_t pc, uint8_t *buf)
{
	size_t exact = dc->align ? 0 : back_from_symbol(dc, pc);
	if (exact && read_code(dc, pc - exact, buf, exact, false) == exact)
		return exact;
	if (dc->align) {
		for (size_t back = LIST_BEFORE * dc->align; back; back -= dc->align)
			if (pc >= back &&
			    read_code(dc, pc - back, buf, back, false) == back)
				return back;
		return 0;
	}
	for (size_t back = MAX_BACK; back > 0; back -= dc->step) {
		if (pc < back || read_code(dc, pc - back, buf, back, false) != back)
			continue;
		cs_insn *ins = NULL;
		size_t n = cs_disasm(dc->cs, buf, back, pc - back, 0, &ins);
		bool lands = n && ins[n - 1].address + ins[n - 1].size == pc;
		uint64_t at = pc - back;
		for (size_t k = 0; lands && k < n; k++) {
			lands = ins[k].address == at;
			at += ins[k].size;
		}
		cs_free(ins, n);
		if (lands)
			return back;
	}
	return 0;
}

/* Fill the facts of the faulting instruction I. */
static void faulting_facts(struct decoder *dc, const cs_insn *i)
{
	struct cr_insn_facts *f = dc->f;
	f->decoded = true;
	f->size = i->size;
	snprintf(f->text, sizeof(f->text), "%s%s%s", i->mnemonic,
		 i->op_str[0] ? " " : "", i->op_str);
	f->control_flow = cs_insn_group(dc->cs, i, CS_GRP_JUMP) ||
			  cs_insn_group(dc->cs, i, CS_GRP_CALL) ||
			  cs_insn_group(dc->cs, i, CS_GRP_RET);
	for (size_t k = 0; k < ARRAY_LEN(trap_ops); k++)
		if (trap_ops[k].arch == dc->arch && trap_ops[k].id == i->id)
			f->trap = true;
	/* The access facts only for a fault on a memory access: an int3
	 * or a division decodes an instruction that faulted for another
	 * reason, whose operand touched nothing wrong. */
	bool access = memory_fault(dc);
	if (dc->arch == CS_ARCH_X86) {
		if (access)
			x86_access(dc, i);
		x86_divide(dc, i);
	} else if (dc->arch == CS_ARCH_ARM64 && access) {
		arm64_access(dc, i);
	}
}

static const char *trap_what(const struct decoder *dc, unsigned id)
{
	for (size_t k = 0; k < ARRAY_LEN(trap_ops); k++)
		if (trap_ops[k].arch == dc->arch && trap_ops[k].id == id)
			return trap_ops[k].what;
	/* AArch64 udf: Capstone 4 has no name for it (see decode()). */
	return "__builtin_trap (udf)";
}

/* ARM in an assumed mode whose bytes are no ARM instruction: Thumb, once. */
static bool arm_try_thumb(struct decoder *dc)
{
	if (dc->arch != CS_ARCH_ARM || !dc->mode_assumed || dc->step == 2 ||
	    cs_option(dc->cs, CS_OPT_MODE, dc->mode | CS_MODE_THUMB) != CS_ERR_OK)
		return false;
	dc->mode_assumed = "Thumb (assumed: the dump does not record cpsr and "
			   "the bytes are no ARM instruction)";
	dc->align = 0;
	dc->step = 2;
	return true;
}

/*
 * Decode the listing around the pc: the faulting instruction's facts and
 * the table.  False when the bytes at the pc are not in the dump.
 */
static bool decode(struct decoder *dc, struct cr_table *t, const char **trap)
{
	struct cr_insn_facts *f = dc->f;
	uint64_t pc = f->pc;
	uint8_t ahead[MAX_AHEAD], before[MAX_BACK];
	size_t nahead = read_code(dc, pc, ahead, sizeof(ahead), true);
	if (nahead == 0)
		return false;
	cs_insn *ins = NULL;
	size_t n = cs_disasm(dc->cs, ahead, nahead, pc, 1 + LIST_AFTER, &ins);
	if (n == 0 || ins[0].address != pc) {
		cs_free(ins, n);
		if (arm_try_thumb(dc))
			return decode(dc, t, trap);
		/* AArch64 "udf #imm16" (0x0000xxxx, the permanently undefined
		 * encoding compilers use for traps) is unknown to Capstone 4. */
		if (dc->arch == CS_ARCH_ARM64 && nahead >= 4 &&
		    ahead[2] == 0 && ahead[3] == 0) {
			f->decoded = f->trap = true;
			f->size = 4;
			snprintf(f->text, sizeof(f->text), "udf #%u",
				 (unsigned)(ahead[0] | ahead[1] << 8));
			*trap = trap_what(dc, 0);
			/* The listing is this one row: a finding's table
			 * is never only its header. */
			t->marked_row = (ssize_t)t->nrows;
			listing_cells(t, pc, ahead, 4, f->text);
		} else if (!dc->mode_assumed) {
			/* (ARM in an unknown mode: Thumb bytes decoded as
			 * ARM prove nothing about the code.) */
			f->undecodable = true;
		}
		return true;
	}
	faulting_facts(dc, &ins[0]);
	if (f->trap)
		*trap = trap_what(dc, ins[0].id);
	size_t back = find_back(dc, pc, before);
	cs_insn *prev = NULL;
	size_t np = back ? cs_disasm(dc->cs, before, back, pc - back, 0, &prev) : 0;
	for (size_t k = np > LIST_BEFORE ? np - LIST_BEFORE : 0; k < np; k++)
		listing_row(t, &prev[k]);
	t->marked_row = (ssize_t)t->nrows;
	for (size_t k = 0; k < n; k++)
		listing_row(t, &ins[k]);
	cs_free(prev, np);
	cs_free(ins, n);
	return true;
}

/* ---- where the pc and the address lie ------------------------------- */

static void place_pc(struct decoder *dc)
{
	struct cr_insn_facts *f = dc->f;
	const struct cr_region *r = cr_dump_region_at(dc->d, f->pc);
	const struct cr_module *m = cr_dump_module_at(dc->d, f->pc);
	if (dc->d->nregions && !r && !m)
		f->pc_place = CR_PC_UNMAPPED;
	else if (r && r->prot_known && !(r->prot & CR_PROT_X))
		f->pc_place = CR_PC_NOT_EXECUTABLE;
	else if (!m)
		f->pc_place = !dc->d->nregions && f->pc < NULL_PAGE ?
			CR_PC_UNMAPPED : CR_PC_OUTSIDE_MODULES;
	f->pc_on_stack = (dc->thread->stack_lo < dc->thread->stack_hi &&
			  f->pc >= dc->thread->stack_lo &&
			  f->pc < dc->thread->stack_hi) ||
			 (r && r->path && !strncmp(r->path, "[stack", 6));
	f->pc_in_heap = r && r->path && !strcmp(r->path, "[heap]");
}

/* Is ADDR mapped (in a region, or in a module when no regions are known)? */
static bool mapped(const struct cr_dump *d, uint64_t addr)
{
	return d->nregions ? cr_dump_region_at(d, addr) != NULL :
			     cr_dump_module_at(d, addr) != NULL;
}

/* Where ADDR lies, in a few words (static or in BUF). */
static const char *where(const struct decoder *dc, uint64_t addr, char *buf,
			 size_t size)
{
	if (dc->ptr_bits == 64 && dc->arch == CS_ARCH_X86 &&
	    x86_non_canonical(addr))
		return "non-canonical: no x86_64 address can be this";
	if (addr < NULL_PAGE)
		return "in the first page: a null pointer plus an offset";
	const struct cr_module *m = cr_dump_module_at(dc->d, addr);
	if (m && m->path) {
		snprintf(buf, size, "in %s", cr_basename(m->path));
		return buf;
	}
	if (dc->d->nregions && !cr_dump_region_at(dc->d, addr))
		return "not mapped";
	return NULL;
}

/* ---- findings ---------------------------------------------------------- */

/* The access sentence: "wrote 4 bytes at 0x45 through dword ptr [rax]". */
static void access_text(const struct decoder *dc, char *buf, size_t size)
{
	const struct cr_insn_facts *f = dc->f;
	int len = snprintf(buf, size, "%s", access_words[f->access]);
	if (f->access_size)
		len += snprintf(buf + len, size - (size_t)len, " %u byte%s",
				f->access_size, f->access_size == 1 ? "" : "s");
	if (f->address_known)
		len += snprintf(buf + len, size - (size_t)len, " at 0x%" PRIx64 "%s",
				f->address, f->non_canonical ? " (non-canonical)" : "");
	if (dc->operand_text)
		len += snprintf(buf + len, size - (size_t)len, " through %s",
				dc->operand_text);
	if (!f->address_known && dc->address_why)
		snprintf(buf + len, size - (size_t)len,
			 "; the address is unknown: %s", dc->address_why);
}

static void add_instruction_finding(struct decoder *dc, struct cr_table *tmp,
				    bool fault_hidden)
{
	struct cr_insn_facts *f = dc->f;
	struct cr_pass_ctx *ctx = dc->ctx;
	struct cr_finding *fi = cr_pass_finding(ctx, CR_FINDING_FAULTING_INSTRUCTION,
						CR_SEVERITY_INFO,
						"faulting instruction: %s", f->text);
	if (!fi)
		return;
	fi->thread = ctx->analysis->crash.thread;
	cr_finding_text(fi, "instruction", "%s", f->text);
	cr_finding_address(fi, "pc", f->pc, NULL);
	if (dc->code_source)
		cr_finding_text(fi, "code read from", "%s", dc->code_source);
	if (dc->mode_assumed)
		cr_finding_text(fi, "decoded as", "%s", dc->mode_assumed);
	if (dc->pc_note)
		cr_finding_text(fi, "reported pc", "0x%" PRIx64 ": %s",
				f->pc + 1, dc->pc_note);
	if (f->access != CR_ACCESS_UNKNOWN) {
		char text[320];
		access_text(dc, text, sizeof(text));
		cr_finding_text(fi, "memory access", "%s", text);
		if (f->address_known) {
			char buf[128];
			cr_finding_address(fi, "accessed address", f->address,
					   where(dc, f->address, buf, sizeof(buf)));
		}
		if (f->address_known && fault_hidden)
			cr_finding_detail(fi, "The instruction accessed 0x%" PRIx64
					  "%s; the %s reports the address as 0x%" PRIx64
					  " because the processor does not give it for "
					  "a general-protection fault.",
					  f->address, f->non_canonical ?
					  " (non-canonical)" : "",
					  dc->d->event.kind == CR_EVENT_EXCEPTION ?
					  "exception" : "kernel",
					  ctx->analysis->crash.address);
	}
	/* Move the listing built beforehand into the finding's table. */
	struct cr_table *t = cr_finding_table(fi, "listing", ARRAY_LEN(listing_headers),
					      listing_headers);
	if (t && tmp) {
		free(t->cells);
		*t = *tmp;
		tmp->cells = NULL;
		tmp->nrows = 0;
	}
}

static void add_divide_finding(struct decoder *dc)
{
	const struct cr_insn_facts *f = dc->f;
	const struct cr_analysis *a = dc->ctx->analysis;
	bool fpe = is_signal(a, SIG_FPE) ||
		   is_exception(dc->d, EXC_INT_DIVIDE_BY_ZERO) ||
		   is_exception(dc->d, EXC_INT_OVERFLOW);
	if (!fpe || !f->divide)
		return;
	struct cr_finding *fi = NULL;
	if (f->divisor_known && f->divisor_zero) {
		fi = cr_pass_finding(dc->ctx, CR_FINDING_DIVIDE_BY_ZERO,
				     CR_SEVERITY_ERROR,
				     "integer divide by zero: the divisor of %s is 0",
				     f->text);
	} else if (f->divisor_known && f->division_overflow) {
		fi = cr_pass_finding(dc->ctx, CR_FINDING_DIVISION_OVERFLOW,
				     CR_SEVERITY_ERROR,
				     "integer division overflow: the quotient of %s does "
				     "not fit (INT_MIN / -1)", f->text);
	} else if (!f->divisor_known) {
		/* The operand could not be read: the signal's code says. */
		bool ovf = (is_signal(a, SIG_FPE) && dc->d->event.si_code == FPE_INTOVF_) ||
			   is_exception(dc->d, EXC_INT_OVERFLOW);
		fi = cr_pass_finding(dc->ctx, ovf ? CR_FINDING_DIVISION_OVERFLOW :
				     CR_FINDING_DIVIDE_BY_ZERO, CR_SEVERITY_ERROR,
				     ovf ? "integer division overflow in %s" :
				     "integer divide by zero in %s", f->text);
		cr_finding_detail(fi, "The divisor is not in the dump; the %s "
				  "code says so.", dc->d->event.kind ==
				  CR_EVENT_EXCEPTION ? "exception" : "signal");
	}
	if (fi)
		fi->thread = a->crash.thread;
}

static void add_trap_finding(struct decoder *dc, const char *trap)
{
	const struct cr_insn_facts *f = dc->f;
	const struct cr_analysis *a = dc->ctx->analysis;
	bool ill = is_signal(a, SIG_ILL) || is_signal(a, SIG_TRAP) ||
		   is_exception(dc->d, EXC_ILLEGAL_INSTRUCTION) ||
		   is_exception(dc->d, EXC_BREAKPOINT);
	if (!ill)
		return;
	struct cr_finding *fi = NULL;
	if (f->trap) {
		fi = cr_pass_finding(dc->ctx, CR_FINDING_INTENTIONAL_TRAP,
				     CR_SEVERITY_ERROR,
				     "intentional trap: %s is %s, not corrupted code",
				     f->text, trap);
	} else if (f->undecodable) {
		uint8_t b[8];
		char hex[64];
		size_t n = read_code(dc, f->pc, b, 8, false);
		hex_bytes(b, n, hex, sizeof(hex));
		fi = cr_pass_finding(dc->ctx, CR_FINDING_INVALID_INSTRUCTION,
				     CR_SEVERITY_ERROR,
				     "the bytes at the pc are no instruction: corrupted "
				     "code or a jump into data");
		cr_finding_text(fi, "bytes at the pc", "%s", hex);
	}
	if (fi)
		fi->thread = a->crash.thread;
}

static const char *const pc_place_words[] = {
	[CR_PC_CODE] = "could not be executed (a page of a module without "
		       "execute permission)",
	[CR_PC_UNMAPPED] = "is not in mapped memory (outside every module)",
	[CR_PC_NOT_EXECUTABLE] = "is in memory that is not executable",
	[CR_PC_OUTSIDE_MODULES] = "is outside every module",
};

static void add_pc_finding(struct decoder *dc, bool exec)
{
	const struct cr_insn_facts *f = dc->f;
	if (f->pc_place == CR_PC_CODE && !exec)
		return;
	const char *extra = f->pc_on_stack ? " (on the stack)" :
			    f->pc_in_heap ? " (in the heap)" : "";
	struct cr_finding *fi = cr_pass_finding(
		dc->ctx, CR_FINDING_PC_NOT_EXECUTABLE,
		f->pc_place == CR_PC_OUTSIDE_MODULES && !exec ?
			CR_SEVERITY_WARNING : CR_SEVERITY_ERROR,
		"the pc 0x%" PRIx64 " %s%s", f->pc, pc_place_words[f->pc_place],
		extra);
	if (!fi)
		return;
	fi->thread = dc->ctx->analysis->crash.thread;
	cr_finding_address(fi, "pc", f->pc, NULL);
	if (exec)
		cr_finding_detail(fi, "The processor refused to execute at the pc: "
				  "the program jumped or returned through a "
				  "corrupted pointer.");
	else if (f->pc_place == CR_PC_OUTSIDE_MODULES)
		cr_finding_detail(fi, "Code outside every module is JIT-compiled "
				  "code, or the program jumped through a corrupted "
				  "function pointer or return address.");
}

/* One bit away from ADDR, mapped and not null-ish: the candidates. */
static void add_bit_flip_finding(struct decoder *dc, uint64_t addr)
{
	const struct cr_dump *d = dc->d;
	if (addr < NULL_PAGE || mapped(d, addr))
		return;
	uint64_t cands[4];
	size_t n = 0;
	for (unsigned b = 0; b < dc->ptr_bits; b++) {
		uint64_t c = addr ^ (1ull << b);
		if (c >= MIN_PLAUSIBLE && mapped(d, c)) {
			if (n == ARRAY_LEN(cands))
				return;	/* many: nothing singles one out */
			cands[n++] = c;
		}
	}
	if (n == 0)
		return;
	struct cr_finding *fi = cr_pass_finding(
		dc->ctx, CR_FINDING_POSSIBLE_BIT_FLIP, CR_SEVERITY_WARNING,
		"possible bit flip: 0x%" PRIx64 " is one bit away from mapped "
		"memory at 0x%" PRIx64, addr, cands[0]);
	if (!fi)
		return;
	fi->thread = dc->ctx->analysis->crash.thread;
	cr_finding_address(fi, "fault address", addr, NULL);
	char buf[128];
	for (size_t k = 0; k < n; k++)
		cr_finding_address(fi, "one bit away", cands[k],
				   where(dc, cands[k], buf, sizeof(buf)));
	cr_finding_detail(fi, "A single changed bit is how faulty memory (no ECC) "
			  "or an overclocked CPU shows; if crashes at addresses "
			  "like this come from one machine only, suspect its "
			  "hardware.");
}

/* ---- the pass ---------------------------------------------------------- */

/* Is the crash a fault of the crashing thread at its pc: not a signal
 * sent from outside, not a dump on demand, not an abort (whose pc is in
 * the system call that raised it)? */
static bool faulted(const struct cr_analysis *a)
{
	return a->crash.cls != CR_CRASH_NONE && a->crash.cls != CR_CRASH_ABORT &&
	       a->crash.cls != CR_CRASH_KILLED && !a->crash.sent &&
	       a->crash.thread >= 0 && (size_t)a->crash.thread < a->nthreads &&
	       a->threads[a->crash.thread].thread;
}

/* Did the fault hide the real address (x86 #GP: si_addr 0 with SI_KERNEL,
 * or all ones on Windows)? */
static bool fault_hidden(const struct decoder *dc)
{
	const struct cr_analysis *a = dc->ctx->analysis;
	if (dc->arch != CS_ARCH_X86)
		return false;
	if (is_signal(a, SIG_SEGV) || is_signal(a, SIG_BUS))
		return dc->d->event.si_code == SI_KERNEL_ &&
		       (!a->crash.address_known || a->crash.address == 0);
	return is_exception(dc->d, EXC_ACCESS_VIOLATION) &&
	       a->crash.address_known &&
	       a->crash.address == (dc->ptr_bits == 64 ? ~0ull : 0xffffffffu);
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

/*
 * Linux delivers an x86 int3's SIGTRAP (si_code SI_KERNEL) with the pc
 * after the int3; Windows' EXCEPTION_BREAKPOINT gives the int3's own
 * address (the kernel steps it back).  Decoding at the reported pc would
 * name the next instruction and its memory operand: decode the int3.
 */
static void int3_pc(struct decoder *dc)
{
	const struct cr_analysis *a = dc->ctx->analysis;
	struct cr_insn_facts *f = dc->f;
	uint8_t b;
	if (dc->arch != CS_ARCH_X86 || !is_signal(a, SIG_TRAP) ||
	    (dc->d->event.siginfo_known && dc->d->event.si_code != SI_KERNEL_) ||
	    f->pc == 0 || read_code(dc, f->pc - 1, &b, 1, false) != 1 ||
	    b != X86_INT3)
		return;
	f->pc--;
	dc->pc_note = "the kernel reports the pc after the int3; the int3 "
		      "is the byte before it";
}

/* Was the pc itself the bad address (an execute fault)? */
static bool execute_fault(const struct decoder *dc)
{
	const struct cr_analysis *a = dc->ctx->analysis;
	if (a->crash.cls == CR_CRASH_EXEC_NX)
		return true;
	if (is_exception(dc->d, EXC_ACCESS_VIOLATION) &&
	    dc->d->event.exc_nparams >= 1 && dc->d->event.exc_params[0] == 8)
		return true;
	return a->crash.address_known && a->crash.address == dc->f->pc &&
	       (is_signal(a, SIG_SEGV) || is_signal(a, SIG_BUS));
}

static struct cr_error *load_capstone(void)
{
	return cr_dynlib_load(&cs_lib, CR_SONAME_CAPSTONE, cs_syms,
			      ARRAY_LEN(cs_syms), CR_ERR_FORMAT,
			      "decoding the faulting instruction");
}

/* The faults whose instruction the pass decodes: start loading Capstone
 * while the stacks are unwound (dynlib.h); before the dump is read (D
 * NULL), at once: its relocation (8 ms of page faults) is longer than
 * what a small core's analysis leaves to overlap once the dump is open. */
void warm_instruction(const struct cr_dump *d);	/* registry.c */
void warm_instruction(const struct cr_dump *d)
{
	static const int fault_signals[] = { SIG_ILL, SIG_TRAP, SIG_BUS, SIG_FPE,
					     SIG_SEGV };
	bool fault = !d || d->event.kind == CR_EVENT_EXCEPTION;
	for (size_t k = 0; k < ARRAY_LEN(fault_signals) && !fault; k++)
		fault = d->event.kind == CR_EVENT_SIGNAL &&
			d->event.signo == fault_signals[k];
	if (fault)
		cr_dynlib_prefetch(&cs_lib, CR_SONAME_CAPSTONE, cs_syms,
				   ARRAY_LEN(cs_syms));
}

void load_instruction(void);	/* registry.c */
void load_instruction(void)
{
	/* A failure is said by the pass, in each report. */
	cr_error_free(load_capstone());
}

CR_PASS_RUN(run_instruction)
{
	struct cr_analysis *a = ctx->analysis;
	const struct cr_dump *d = ctx->dump;
	if (!faulted(a))
		return NULL;
	size_t m = 0;
	while (m < ARRAY_LEN(arch_modes) && arch_modes[m].arch != d->process.arch)
		m++;
	if (m == ARRAY_LEN(arch_modes))
		return NULL;
	const struct cr_thread *t = a->threads[a->crash.thread].thread;
	struct decoder dc = {
		.ctx = ctx, .d = d, .thread = t, .arch = arch_modes[m].cs,
		.align = arch_modes[m].align,
		.ptr_bits = d->process.pointer_size == 4 ? 32 : 64, .fd = -1,
		.regs = cr_thread_regs(d, t),
	};
	uint64_t pc;
	if (!cr_regs_get(dc.regs, cr_arch_pc_reg(d->process.arch), &pc))
		return NULL;
	cs_mode mode = arch_modes[m].mode;
	dc.step = 1;
	if (d->process.arch == CR_ARCH_ARM)
		mode = arm_mode(&dc, mode);
	if (d->process.big_endian && dc.arch != CS_ARCH_X86)
		mode |= CS_MODE_BIG_ENDIAN;
	dc.mode = mode;
	struct cr_error *lerr = load_capstone();
	if (lerr == &cr_enomem)
		return lerr;
	if (lerr) {
		cr_analysis_problem(a, "instruction: %s", lerr->message);
		cr_error_free(lerr);
		return NULL;
	}
	if (cs_open(dc.arch, mode, &dc.cs) != CS_ERR_OK) {
		cr_analysis_problem(a, "instruction: the disassembler does not "
				    "support %s", cr_arch_name(d->process.arch));
		return NULL;
	}
	cs_option(dc.cs, CS_OPT_DETAIL, CS_OPT_ON);
	struct cr_insn_facts *f = calloc(1, sizeof(*f));
	if (!f) {
		cs_close(&dc.cs);
		return &cr_enomem;
	}
	/* Kept for the exploitability pass (cr_pass_kept). */
	if (!cr_pass_keep(ctx, f, NULL)) {
		cs_close(&dc.cs);
		return &cr_enomem;
	}
	dc.f = f;
	f->pc = pc;
	int3_pc(&dc);
	place_pc(&dc);
	bool exec = execute_fault(&dc);
	if (exec)
		f->access = CR_ACCESS_EXECUTE;

	/* The listing is built before the finding exists (the finding's
	 * title needs the decoded text): a table outside any finding. */
	struct cr_table tmp = {
		.ncols = ARRAY_LEN(listing_headers), .headers = listing_headers,
		.marked_row = -1,
	};
	const char *trap = NULL;
	bool have = !exec && decode(&dc, &tmp, &trap);
	if (have && f->decoded)
		add_instruction_finding(&dc, &tmp, fault_hidden(&dc));
	for (size_t k = 0; k < tmp.nrows * tmp.ncols; k++)
		free(tmp.cells[k]);
	free(tmp.cells);
	if (have) {
		add_divide_finding(&dc);
		add_trap_finding(&dc, trap);
	}
	if (exec || f->pc_place != CR_PC_CODE)
		add_pc_finding(&dc, exec);
	uint64_t addr;
	if ((is_signal(a, SIG_SEGV) || is_signal(a, SIG_BUS) ||
	     is_exception(d, EXC_ACCESS_VIOLATION)) && !exec) {
		if (f->address_known && (fault_hidden(&dc) || !crash_address(a, &addr)))
			addr = f->address;
		else if (!crash_address(a, &addr))
			addr = 0;
		add_bit_flip_finding(&dc, addr);
	}
	cs_close(&dc.cs);
	if (dc.elf)
		elf_end(dc.elf);
	if (dc.fd >= 0)
		close(dc.fd);
	return NULL;
}
