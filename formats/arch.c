/*
 * arch.c - per-architecture facts: names, and which DWARF register is the
 * pc, the stack pointer and the frame pointer.
 *
 * Register numbers follow the DWARF numbering of each psABI, as elfutils'
 * backends (backends/<arch>_regs.c) name them, so that registers read from
 * any dump feed libdwfl's unwinder directly (see dump.h).  aarch64 has no
 * psABI number for the pc; we use 32 as elfutils does.  PowerPC and s390
 * keep the pc outside the DWARF numbering (elfutils passes it separately),
 * and no reader decodes their registers yet: their pc/sp queries answer
 * CR_NO_REG, which cr_regs_get() reports as "not recorded".
 *
 * Everything here is a table; adding an architecture is adding rows.
 */
#include "dump.h"
#include "util.h"

#include <stddef.h>

/* A register number no struct cr_regs holds. */
#define CR_NO_REG CR_MAX_REGS

struct reg_name {
	unsigned n;
	const char *name;
};

static const struct reg_name x86_64_regs[] = {
	{ 0, "rax" }, { 1, "rdx" }, { 2, "rcx" }, { 3, "rbx" },
	{ 4, "rsi" }, { 5, "rdi" }, { 6, "rbp" }, { 7, "rsp" },
	{ 8, "r8" }, { 9, "r9" }, { 10, "r10" }, { 11, "r11" },
	{ 12, "r12" }, { 13, "r13" }, { 14, "r14" }, { 15, "r15" },
	{ 16, "rip" }, { 49, "rflags" },
	{ 50, "es" }, { 51, "cs" }, { 52, "ss" }, { 53, "ds" },
	{ 54, "fs" }, { 55, "gs" }, { 58, "fs.base" }, { 59, "gs.base" },
};

static const struct reg_name x86_regs[] = {
	{ 0, "eax" }, { 1, "ecx" }, { 2, "edx" }, { 3, "ebx" },
	{ 4, "esp" }, { 5, "ebp" }, { 6, "esi" }, { 7, "edi" },
	{ 8, "eip" }, { 9, "eflags" },
	{ 40, "es" }, { 41, "cs" }, { 42, "ss" }, { 43, "ds" },
	{ 44, "fs" }, { 45, "gs" },
};

static const struct reg_name aarch64_regs[] = {
	{ 0, "x0" }, { 1, "x1" }, { 2, "x2" }, { 3, "x3" },
	{ 4, "x4" }, { 5, "x5" }, { 6, "x6" }, { 7, "x7" },
	{ 8, "x8" }, { 9, "x9" }, { 10, "x10" }, { 11, "x11" },
	{ 12, "x12" }, { 13, "x13" }, { 14, "x14" }, { 15, "x15" },
	{ 16, "x16" }, { 17, "x17" }, { 18, "x18" }, { 19, "x19" },
	{ 20, "x20" }, { 21, "x21" }, { 22, "x22" }, { 23, "x23" },
	{ 24, "x24" }, { 25, "x25" }, { 26, "x26" }, { 27, "x27" },
	{ 28, "x28" }, { 29, "x29" }, { 30, "x30" }, { 31, "sp" },
	{ 32, "pc" }, { 33, "pstate" },
};

static const struct reg_name arm_regs[] = {
	{ 0, "r0" }, { 1, "r1" }, { 2, "r2" }, { 3, "r3" },
	{ 4, "r4" }, { 5, "r5" }, { 6, "r6" }, { 7, "r7" },
	{ 8, "r8" }, { 9, "r9" }, { 10, "r10" }, { 11, "r11" },
	{ 12, "r12" }, { 13, "sp" }, { 14, "lr" }, { 15, "pc" },
	{ 16, "cpsr" },
};

static const struct reg_name ppc_regs[] = {
	{ 0, "r0" }, { 1, "r1" }, { 2, "r2" }, { 3, "r3" },
	{ 4, "r4" }, { 5, "r5" }, { 6, "r6" }, { 7, "r7" },
	{ 8, "r8" }, { 9, "r9" }, { 10, "r10" }, { 11, "r11" },
	{ 12, "r12" }, { 13, "r13" }, { 14, "r14" }, { 15, "r15" },
	{ 16, "r16" }, { 17, "r17" }, { 18, "r18" }, { 19, "r19" },
	{ 20, "r20" }, { 21, "r21" }, { 22, "r22" }, { 23, "r23" },
	{ 24, "r24" }, { 25, "r25" }, { 26, "r26" }, { 27, "r27" },
	{ 28, "r28" }, { 29, "r29" }, { 30, "r30" }, { 31, "r31" },
	{ 65, "lr" }, { 66, "ctr" }, { 127, "nip" },
};

static const struct reg_name s390x_regs[] = {
	{ 0, "r0" }, { 1, "r1" }, { 2, "r2" }, { 3, "r3" },
	{ 4, "r4" }, { 5, "r5" }, { 6, "r6" }, { 7, "r7" },
	{ 8, "r8" }, { 9, "r9" }, { 10, "r10" }, { 11, "r11" },
	{ 12, "r12" }, { 13, "r13" }, { 14, "r14" }, { 15, "r15" },
	{ 65, "pswa" },
};

struct arch_info {
	enum cr_arch arch;
	const char *name;
	unsigned pc, sp, fp;
	const struct reg_name *regs;
	size_t nregs;
};

#define REGS(t) t, ARRAY_LEN(t)

static const struct arch_info arches[] = {
	{ CR_ARCH_UNKNOWN, "unknown", CR_NO_REG, CR_NO_REG, CR_NO_REG, NULL, 0 },
	{ CR_ARCH_X86_64, "x86_64", 16, 7, 6, REGS(x86_64_regs) },
	{ CR_ARCH_X86, "x86", 8, 4, 5, REGS(x86_regs) },
	{ CR_ARCH_AARCH64, "aarch64", 32, 31, 29, REGS(aarch64_regs) },
	{ CR_ARCH_ARM, "arm", 15, 13, 11, REGS(arm_regs) },
	{ CR_ARCH_PPC, "ppc", 127, 1, 31, REGS(ppc_regs) },
	{ CR_ARCH_PPC64, "ppc64", 127, 1, 31, REGS(ppc_regs) },
	{ CR_ARCH_S390X, "s390x", 65, 15, 11, REGS(s390x_regs) },
};

static const struct arch_info *arch_info(enum cr_arch a)
{
	for (size_t i = 0; i < ARRAY_LEN(arches); i++)
		if (arches[i].arch == a)
			return &arches[i];
	return &arches[0];
}

const char *cr_arch_name(enum cr_arch a)
{
	return arch_info(a)->name;
}

static const struct {
	enum cr_os os;
	const char *name;
} os_names[] = {
	{ CR_OS_UNKNOWN, "unknown" },
	{ CR_OS_LINUX, "Linux" },
	{ CR_OS_WINDOWS, "Windows" },
	{ CR_OS_MACOS, "macOS" },
	{ CR_OS_ANDROID, "Android" },
	{ CR_OS_OTHER, "other" },
};

const char *cr_os_name(enum cr_os os)
{
	for (size_t i = 0; i < ARRAY_LEN(os_names); i++)
		if (os_names[i].os == os)
			return os_names[i].name;
	return "unknown";
}

unsigned cr_arch_pc_reg(enum cr_arch a)
{
	return arch_info(a)->pc;
}

unsigned cr_arch_sp_reg(enum cr_arch a)
{
	return arch_info(a)->sp;
}

unsigned cr_arch_fp_reg(enum cr_arch a)
{
	return arch_info(a)->fp;
}

const char *cr_arch_reg_name(enum cr_arch a, unsigned n)
{
	const struct arch_info *ai = arch_info(a);
	for (size_t i = 0; i < ai->nregs; i++)
		if (ai->regs[i].n == n)
			return ai->regs[i].name;
	return NULL;
}

bool cr_thread_pc(const struct cr_dump *d, const struct cr_thread *t,
		  uint64_t *pc)
{
	return cr_regs_get(&t->regs, cr_arch_pc_reg(d->process.arch), pc);
}

bool cr_thread_sp(const struct cr_dump *d, const struct cr_thread *t,
		  uint64_t *sp)
{
	return cr_regs_get(&t->regs, cr_arch_sp_reg(d->process.arch), sp);
}
