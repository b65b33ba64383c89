/*
 * minidump_context.c - CPU contexts (the CONTEXT structures of threads and
 * of the exception record) into DWARF-numbered registers.
 *
 * A context carries no type tag of its own that is at the same place for
 * every CPU, so the dump's CPU (SystemInfo.ProcessorArchitecture) decides
 * the layout, and the CPU bits of context_flags (mask 0xffffff00, minus the
 * XSTATE bit 0x40) confirm it, as in Breakpad's minidump.cc and
 * rust-minidump's context.rs.  Without SystemInfo the CPU is guessed from
 * the context flags and size.
 *
 * Sizes and offsets (Breakpad minidump_cpu_*.h, Microsoft winnt.h CONTEXT):
 *   x86    MDRawContextX86     716 bytes: edi 0x9c esi 0xa0 ebx 0xa4
 *          edx 0xa8 ecx 0xac eax 0xb0 ebp 0xb4 eip 0xb8 cs 0xbc
 *          eflags 0xc0 esp 0xc4 ss 0xc8; gs fs es ds at 0x8c..0x98.
 *   amd64  MDRawContextAMD64  1232 bytes: context_flags 0x30, segment
 *          selectors cs ds es fs gs ss (u16) at 0x38..0x42, eflags 0x44,
 *          rax rcx rdx rbx rsp rbp rsi rdi r8..r15 at 0x78..0xf0, rip 0xf8.
 *   arm64  MDRawContextARM64 / Windows ARM64 CONTEXT, 912 bytes: flags 0,
 *          cpsr 4, x0..x28 fp lr sp pc at 8 + 8*n.
 *   arm64 (old Breakpad) MDRawContextARM64_Old, 796 bytes: u64 flags,
 *          x0..x30 sp pc at 8 + 8*n, cpsr at 0x110.
 *   arm    MDRawContextARM     368 bytes: r0..r15 at 4 + 4*n, cpsr 0x44.
 * A context longer than its structure is accepted (Windows appends XSTATE
 * data, e.g. CET shadow-stack state); a shorter one is refused.
 *
 * Both references treat every integer register of a thread context as
 * valid whatever its flags say, and so do we.
 */
#include "minidump.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define MD_CONTEXT_CPU_MASK 0xffffff00u
#define MD_CONTEXT_XSTATE 0x40u
#define MD_CONTEXT_X86 0x00010000u
#define MD_CONTEXT_AMD64 0x00100000u
#define MD_CONTEXT_ARM64 0x00400000u
#define MD_CONTEXT_ARM 0x40000000u
#define MD_CONTEXT_ARM64_OLD 0x80000000u

#define MD_CONTEXT_X86_SIZE 716u
#define MD_CONTEXT_AMD64_SIZE 1232u
#define MD_CONTEXT_ARM64_SIZE 912u
#define MD_CONTEXT_ARM64_OLD_SIZE 796u
#define MD_CONTEXT_ARM_SIZE 368u

enum md_ctx_kind { CTX_NONE, CTX_X86, CTX_AMD64, CTX_ARM64, CTX_ARM64_OLD, CTX_ARM };

static const struct md_ctx_layout {
	enum md_ctx_kind kind;
	const char *name;
	uint32_t size;
	uint32_t cpu_flag;	/* expected CPU bits of context_flags */
} md_ctx_layouts[] = {
	{ CTX_X86, "x86", MD_CONTEXT_X86_SIZE, MD_CONTEXT_X86 },
	{ CTX_AMD64, "amd64", MD_CONTEXT_AMD64_SIZE, MD_CONTEXT_AMD64 },
	{ CTX_ARM64, "arm64", MD_CONTEXT_ARM64_SIZE, MD_CONTEXT_ARM64 },
	{ CTX_ARM64_OLD, "arm64 (old Breakpad)", MD_CONTEXT_ARM64_OLD_SIZE,
	  MD_CONTEXT_ARM64_OLD },
	{ CTX_ARM, "arm", MD_CONTEXT_ARM_SIZE, MD_CONTEXT_ARM },
};

/* One register of a fixed-layout context: file offset, width, DWARF number. */
struct md_reg {
	uint16_t off;
	uint8_t width;
	uint8_t dwarf;
};

static const struct md_reg md_regs_x86[] = {
	{ 0xb0, 4, 0 }, { 0xac, 4, 1 }, { 0xa8, 4, 2 }, { 0xa4, 4, 3 },
	{ 0xc4, 4, 4 }, { 0xb4, 4, 5 }, { 0xa0, 4, 6 }, { 0x9c, 4, 7 },
	{ 0xb8, 4, 8 }, { 0xc0, 4, 9 },
	/* segment registers: es 40 cs 41 ss 42 ds 43 fs 44 gs 45 */
	{ 0x94, 4, 40 }, { 0xbc, 4, 41 }, { 0xc8, 4, 42 }, { 0x98, 4, 43 },
	{ 0x90, 4, 44 }, { 0x8c, 4, 45 },
};

static const struct md_reg md_regs_amd64[] = {
	{ 0x78, 8, 0 },  { 0x88, 8, 1 },  { 0x80, 8, 2 },  { 0x90, 8, 3 },
	{ 0xa8, 8, 4 },  { 0xb0, 8, 5 },  { 0xa0, 8, 6 },  { 0x98, 8, 7 },
	{ 0xb8, 8, 8 },  { 0xc0, 8, 9 },  { 0xc8, 8, 10 }, { 0xd0, 8, 11 },
	{ 0xd8, 8, 12 }, { 0xe0, 8, 13 }, { 0xe8, 8, 14 }, { 0xf0, 8, 15 },
	{ 0xf8, 8, 16 }, { 0x44, 4, 49 },
	/* es 50 cs 51 ss 52 ds 53 fs 54 gs 55 */
	{ 0x3c, 2, 50 }, { 0x38, 2, 51 }, { 0x42, 2, 52 }, { 0x3a, 2, 53 },
	{ 0x3e, 2, 54 }, { 0x40, 2, 55 },
};

enum cr_arch md_arch_from_cpu(uint16_t cpu_arch)
{
	switch (cpu_arch) {
	case MD_CPU_X86: case MD_CPU_X86_WIN64: return CR_ARCH_X86;
	case MD_CPU_AMD64: return CR_ARCH_X86_64;
	case MD_CPU_ARM: return CR_ARCH_ARM;
	case MD_CPU_ARM64: case MD_CPU_ARM64_OLD: return CR_ARCH_AARCH64;
	case MD_CPU_PPC: return CR_ARCH_PPC;
	case MD_CPU_PPC64: return CR_ARCH_PPC64;
	default: return CR_ARCH_UNKNOWN;
	}
}

static const struct md_ctx_layout *layout_of(enum md_ctx_kind k)
{
	for (size_t i = 0; i < ARRAY_LEN(md_ctx_layouts); i++)
		if (md_ctx_layouts[i].kind == k)
			return &md_ctx_layouts[i];
	return NULL;
}

static enum md_ctx_kind kind_from_cpu(uint16_t cpu_arch)
{
	switch (cpu_arch) {
	case MD_CPU_X86: case MD_CPU_X86_WIN64: return CTX_X86;
	case MD_CPU_AMD64: return CTX_AMD64;
	case MD_CPU_ARM64: return CTX_ARM64;
	case MD_CPU_ARM64_OLD: return CTX_ARM64_OLD;
	case MD_CPU_ARM: return CTX_ARM;
	default: return CTX_NONE;
	}
}

/*
 * Without SystemInfo: guess the context kind from its bytes, trying each
 * layout whose size fits and whose context_flags carry its CPU bit.
 */
static enum md_ctx_kind guess_kind(struct cr_cursor c)
{
	uint64_t f0 = 0, f48 = 0, f64 = 0;
	/* Fields past the end read as 0 (cr_cursor_peek). */
	cr_cursor_peek(&c, 0, 4, &f0);
	cr_cursor_peek(&c, 0x30, 4, &f48);
	cr_cursor_peek(&c, 0, 8, &f64);
	if (c.len >= MD_CONTEXT_AMD64_SIZE &&
	    (f48 & MD_CONTEXT_CPU_MASK & ~MD_CONTEXT_XSTATE) == MD_CONTEXT_AMD64)
		return CTX_AMD64;
	if (c.len >= MD_CONTEXT_ARM64_SIZE &&
	    (f0 & MD_CONTEXT_CPU_MASK) == MD_CONTEXT_ARM64)
		return CTX_ARM64;
	if (c.len >= MD_CONTEXT_ARM64_OLD_SIZE &&
	    (f64 & MD_CONTEXT_CPU_MASK) == MD_CONTEXT_ARM64_OLD)
		return CTX_ARM64_OLD;
	if (c.len >= MD_CONTEXT_ARM_SIZE &&
	    (f0 & MD_CONTEXT_CPU_MASK) == MD_CONTEXT_ARM)
		return CTX_ARM;
	if (c.len >= MD_CONTEXT_X86_SIZE &&
	    (f0 & MD_CONTEXT_CPU_MASK & ~MD_CONTEXT_XSTATE) == MD_CONTEXT_X86)
		return CTX_X86;
	return CTX_NONE;
}

static struct cr_error *read_table(struct cr_cursor c, const struct md_reg *t,
				   size_t n, struct cr_regs *regs)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		struct cr_error *err;
		if ((err = cr_cursor_seek(&c, t[i].off)) ||
		    (err = cr_cursor_word(&c, t[i].width, &v)))
			return err;
		cr_regs_set(regs, t[i].dwarf, v);
	}
	return NULL;
}

/* General registers at OFF, WIDTH bytes each, DWARF numbers 0..N-1. */
static struct cr_error *read_array(struct cr_cursor c, uint32_t off,
				   unsigned width, unsigned n,
				   struct cr_regs *regs)
{
	struct cr_error *err = cr_cursor_seek(&c, off);
	for (unsigned i = 0; !err && i < n; i++) {
		uint64_t v;
		if (!(err = cr_cursor_word(&c, width, &v)))
			cr_regs_set(regs, i, v);
	}
	return err;
}

static struct cr_error *decode(struct cr_cursor c, enum md_ctx_kind k,
			       struct cr_regs *regs)
{
	struct cr_error *err;
	uint64_t v;
	switch (k) {
	case CTX_X86:
		return read_table(c, md_regs_x86,
				  ARRAY_LEN(md_regs_x86),
				  regs);
	case CTX_AMD64:
		return read_table(c, md_regs_amd64,
				  ARRAY_LEN(md_regs_amd64),
				  regs);
	case CTX_ARM64:
		/* x0..x30, sp (31), pc (32) as in dump.h's numbering */
		if ((err = read_array(c, 8, 8, 33, regs)))
			return err;
		if ((err = cr_cursor_seek(&c, 4)) ||
		    (err = cr_cursor_word(&c, 4, &v)))
			return err;
		cr_regs_set(regs, 33, v);
		return NULL;
	case CTX_ARM64_OLD:
		if ((err = read_array(c, 8, 8, 33, regs)))
			return err;
		if ((err = cr_cursor_seek(&c, 8 + 33 * 8)) ||
		    (err = cr_cursor_word(&c, 4, &v)))
			return err;
		cr_regs_set(regs, 33, v);
		return NULL;
	case CTX_ARM:	/* r0-r15 and cpsr right after them (slot 16) */
		return read_array(c, 4, 4, 17, regs);
	case CTX_NONE:
		break;
	}
	return cr_error_new(CR_ERR_INTERNAL, "no context layout");
}

bool md_read_context(struct md_state *md, uint32_t size, uint32_t rva,
		     const char *who, struct cr_regs *regs)
{
	struct cr_cursor c;
	struct cr_error *err;

	memset(regs, 0, sizeof(*regs));
	/* None recorded: a fact about this thread, not damage (dbghelp and
	 * wine record none for the thread that writes a dump of its own
	 * process); md_check_contexts says when it is damage. */
	if (size == 0 && rva == 0)
		return false;
	if (size == 0 || rva == 0) {
		md_problem_at(md, NULL, CR_AT(CR_SEVERITY_ERROR),
			      "%s: no CPU context recorded", who);
		return false;
	}
	if ((err = md_sub(md, rva, size, "context", &c))) {
		md_problem_at(md, NULL, CR_AT_OFFSET(CR_SEVERITY_ERROR, rva), "%s: %s",
			      who, err->message);
		cr_error_free(err);
		return false;
	}

	enum md_ctx_kind k = kind_from_cpu(md->cpu_arch);
	if (k == CTX_NONE && !md->have_system_info) {
		k = guess_kind(c);
		if (k != CTX_NONE && md->d->process.arch == CR_ARCH_UNKNOWN) {
			static const uint16_t cpu_of[] = {
				[CTX_X86] = MD_CPU_X86, [CTX_AMD64] = MD_CPU_AMD64,
				[CTX_ARM64] = MD_CPU_ARM64,
				[CTX_ARM64_OLD] = MD_CPU_ARM64_OLD,
				[CTX_ARM] = MD_CPU_ARM,
			};
			md->cpu_arch = cpu_of[k];
			md->context_arch_guessed = true;
			md->d->process.arch = md_arch_from_cpu(md->cpu_arch);
			md->d->process.pointer_size =
				(k == CTX_X86 || k == CTX_ARM) ? 4 : 8;
			md_problem(md, NULL,
				   "no SystemInfo stream: CPU guessed from the contexts (%s)",
				   layout_of(k)->name);
		}
	}
	if (k == CTX_NONE) {
		md_problem_at(md, NULL, CR_AT_OFFSET(CR_SEVERITY_ERROR, rva),
			   "%s: context of %u bytes for an unsupported or unknown CPU (0x%x)",
			   who, size, md->cpu_arch);
		return false;
	}
	const struct md_ctx_layout *L = layout_of(k);
	if (size < L->size) {
		md_problem_at(md, NULL, CR_AT_OFFSET(CR_SEVERITY_ERROR, rva),
			   "%s: context of %u bytes, expected %u for %s", who,
			   size, L->size, L->name);
		return false;
	}

	/* The CPU bits of context_flags must name the same CPU (0: old x86). */
	uint64_t flags = 0;
	struct cr_cursor t = c;
	err = k == CTX_AMD64 ? cr_cursor_seek(&t, 0x30) : NULL;
	if (!err)
		err = cr_cursor_word(&t, k == CTX_ARM64_OLD ? 8 : 4, &flags);
	if (err) {
		md_problem_at(md, NULL, CR_AT_OFFSET(CR_SEVERITY_ERROR, rva), "%s: %s",
			      who, err->message);
		cr_error_free(err);
		return false;
	}
	uint64_t cpu = flags & MD_CONTEXT_CPU_MASK & ~(uint64_t)MD_CONTEXT_XSTATE;
	if (cpu != L->cpu_flag && !(k == CTX_X86 && cpu == 0)) {
		md_problem_at(md, NULL, CR_AT_OFFSET(CR_SEVERITY_ERROR, rva),
			   "%s: context flags 0x%llx do not describe an %s context",
			   who, (unsigned long long)flags, L->name);
		return false;
	}

	if ((err = decode(c, k, regs))) {
		memset(regs, 0, sizeof(*regs));
		md_problem_at(md, NULL, CR_AT_OFFSET(CR_SEVERITY_ERROR, rva), "%s: %s",
			      who, err->message);
		cr_error_free(err);
		return false;
	}
	return true;
}
