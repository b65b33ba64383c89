/*
 * instruction.c - pass "instruction": the instruction that crashed, decoded.
 *
 * When the bytes at the crashing thread's pc are in the dump (a core's
 * text pages, a full-memory minidump, or the few hundred bytes around the
 * pc that Breakpad's and Crashpad's clients store as a memory range), this
 * pass decodes them (x86 with Zydis, the others with Capstone:
 * insn_decode.h) and says what the signal alone cannot:
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
 * Registers: the dump model keeps DWARF numbers (formats/dump.h); each
 * decoder maps its register ids to them.  The pc comes from the
 * exception's own context when the dump has one (a minidump written from a
 * signal handler: the thread's context is the handler's).
 *
 * The decoders are opened with dlopen() (formats/dynlib.h).  A dump whose
 * crash is a fault starts loading its decoder on a thread of its own
 * before the stacks are unwound (warm_instruction).
 */
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dynlib.h"
#include "error.h"
#include "insn_decode.h"
#include "instruction.h"
#include "pass.h"
#include "passes.h"
#include "util.h"

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

/* The dump's architecture: its decoder, and its fixed instruction width
 * (listing backwards is then exact), 0 variable. */
static const struct {
	enum cr_arch arch;
	const struct insn_backend *be;
	unsigned align;
} arch_decoders[] = {
	{ CR_ARCH_X86_64, &insn_zydis, 0 },
	{ CR_ARCH_X86, &insn_zydis, 0 },
	{ CR_ARCH_AARCH64, &insn_capstone, 4 },
	{ CR_ARCH_ARM, &insn_capstone, 4 },
	{ CR_ARCH_PPC, &insn_capstone, 4 },
	{ CR_ARCH_PPC64, &insn_capstone, 4 },
	{ CR_ARCH_S390X, &insn_capstone, 0 },
};

/* x86 int3, which Linux reports with the pc after it. */
#define X86_INT3 0xcc

static const char *const access_words[] = {
	[CR_ACCESS_UNKNOWN] = "accessed",
	[CR_ACCESS_READ] = "read",
	[CR_ACCESS_WRITE] = "wrote",
	[CR_ACCESS_EXECUTE] = "executed",
};

static const char *const listing_headers[] = {
	"address", "bytes", "instruction",
};

static bool is_signal(const struct cr_analysis *a, int signo)
{
	return a->crash.signo == signo;
}

static bool is_exception(const struct cr_dump *d, uint32_t code)
{
	return d->event.kind == CR_EVENT_EXCEPTION && d->event.exc_code == code;
}

static bool is_x86(const struct cr_dump *d)
{
	return d->process.arch == CR_ARCH_X86_64 || d->process.arch == CR_ARCH_X86;
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

bool insn_memory_fault(const struct decoder *dc)
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
size_t insn_read_code(struct decoder *dc, uint64_t addr, uint8_t *buf,
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

/* ---- registers and addresses ----------------------------------------- */

bool insn_dwarf_reg(const struct decoder *dc, unsigned dwarf, unsigned bits,
		    unsigned shift, uint64_t *out)
{
	uint64_t v;
	if (!cr_regs_get(dc->regs, dwarf, &v))
		return false;
	v >>= shift;
	*out = bits >= 64 ? v : v & ((1ull << bits) - 1);
	return true;
}

bool insn_operand_reg(struct decoder *dc, unsigned reg, const char *why,
		      uint64_t *v)
{
	if (dc->be->reg(dc, reg, v))
		return true;
	dc->address_why = why;
	return false;
}

bool insn_base_index(struct decoder *dc, unsigned base, unsigned index,
		     unsigned none, uint64_t *b, uint64_t *i)
{
	*b = *i = 0;
	return (base == none ||
		insn_operand_reg(dc, base, "its base register is not recorded", b)) &&
	       (index == none ||
		insn_operand_reg(dc, index, "its index register is not recorded", i));
}

bool insn_x86_non_canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top != 0 && top != 0x1ffff;
}

/* The crash's own data address, when the crash pass knows one. */
bool insn_crash_address(const struct cr_analysis *a, uint64_t *out)
{
	if (!a->crash.address_known)
		return false;
	*out = a->crash.address;
	return true;
}

/* ---- decoding and listing -------------------------------------------- */

void insn_hex_bytes(const uint8_t *b, size_t n, char *out, size_t size)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t k = 0; k < n && len + 4 < size; k++)
		len += (size_t)snprintf(out + len, size - len, "%s%02x",
					k ? " " : "", b[k]);
}

/* One listing row: the address, the bytes and the instruction TEXT. */
bool insn_listing_cells(struct cr_table *t, uint64_t address,
			const uint8_t *b, size_t n, const char *text)
{
	char addr[24], bytes[64];
	snprintf(addr, sizeof(addr), "0x%" PRIx64, address);
	insn_hex_bytes(b, n, bytes, sizeof(bytes));
	const char *cells[] = { addr, bytes, text };
	return cr_table_row(t, cells);
}

/* Rows for the instructions in CODE (N bytes at ADDR), at most MAX, from
 * the SKIP-th on; the number decoded (they stop at the first that is no
 * instruction). */
static size_t listing_rows(struct decoder *dc, struct cr_table *t,
			   const uint8_t *code, size_t n, uint64_t addr,
			   size_t max, size_t skip)
{
	size_t k = 0, off = 0;
	char text[200];
	while (k < max && off < n) {
		unsigned len = dc->be->one(dc, code + off, n - off, addr + off,
					   k >= skip ? text : NULL, sizeof(text));
		if (!len)
			break;
		if (k >= skip)
			insn_listing_cells(t, addr + off, code + off, len, text);
		off += len;
		k++;
	}
	return k;
}

/*
 * The starts of the instructions in CODE (N bytes at ADDR), in STARTS (at
 * most MAX, the latest kept: a ring); the number decoded, and whether the
 * last one ends exactly at ADDR + N, in *LANDS.
 */
static size_t instruction_starts(struct decoder *dc, const uint8_t *code,
				 size_t n, uint64_t addr, uint64_t *starts,
				 size_t max, bool *lands)
{
	size_t k = 0, off = 0;
	*lands = false;
	while (off < n) {
		unsigned len = dc->be->one(dc, code + off, n - off, addr + off,
					   NULL, 0);
		if (!len)
			break;
		starts[k++ % max] = addr + off;
		off += len;
	}
	*lands = k && off == n;
	return k;
}

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
	if (!code || insn_read_code(dc, pc - off, code, off, false) != off) {
		free(code);
		return 0;
	}
	uint64_t starts[LIST_BEFORE];
	bool lands;
	size_t n = instruction_starts(dc, code, off, pc - off, starts,
				      LIST_BEFORE, &lands);
	free(code);
	size_t back = 0;
	if (lands)	/* the LIST_BEFORE-th from the end, or the first */
		back = pc - starts[n > LIST_BEFORE ? n % LIST_BEFORE : 0];
	return back <= MAX_BACK ? back : 0;
}

/*
 * The start of the instructions before PC: on fixed-width sets LIST_BEFORE
 * words back; on x86 the furthest start within MAX_BACK bytes whose
 * instructions decode without a gap and end exactly at the pc (a wrong
 * start usually re-synchronises within a few instructions, and the last
 * ones before the pc are then right).  Returns the number of bytes before
 * the pc to list, with them in BUF; 0 when none.
 */
static size_t find_back(struct decoder *dc, uint64_t pc, uint8_t *buf)
{
	size_t exact = dc->align ? 0 : back_from_symbol(dc, pc);
	if (exact && insn_read_code(dc, pc - exact, buf, exact, false) == exact)
		return exact;
	if (dc->align) {
		for (size_t back = LIST_BEFORE * dc->align; back; back -= dc->align)
			if (pc >= back &&
			    insn_read_code(dc, pc - back, buf, back, false) == back)
				return back;
		return 0;
	}
	for (size_t back = MAX_BACK; back > 0; back -= dc->step) {
		if (pc < back || insn_read_code(dc, pc - back, buf, back, false) != back)
			continue;
		uint64_t starts[1];
		bool lands;
		instruction_starts(dc, buf, back, pc - back, starts, 1, &lands);
		if (lands)
			return back;
	}
	return 0;
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
	size_t nahead = insn_read_code(dc, pc, ahead, sizeof(ahead), true);
	if (nahead == 0)
		return false;
	switch (dc->be->facts(dc, ahead, nahead, t, trap)) {
	case INSN_RETRY:
		return decode(dc, t, trap);
	case INSN_ONLY:
		return true;
	case INSN_NONE:
		/* (ARM in an unknown mode: Thumb bytes decoded as ARM prove
		 * nothing about the code.) */
		if (!dc->mode_assumed)
			f->undecodable = true;
		return true;
	case INSN_DECODED:
		break;
	}
	size_t back = find_back(dc, pc, before);
	size_t np = back ? listing_rows(dc, NULL, before, back, pc - back,
					SIZE_MAX, SIZE_MAX) : 0;
	if (np)
		listing_rows(dc, t, before, back, pc - back, np,
			     np > LIST_BEFORE ? np - LIST_BEFORE : 0);
	t->marked_row = (ssize_t)t->nrows;
	listing_rows(dc, t, ahead, nahead, pc, 1 + LIST_AFTER, 0);
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
	if (dc->ptr_bits == 64 && is_x86(dc->d) &&
	    insn_x86_non_canonical(addr))
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
		size_t n = insn_read_code(dc, f->pc, b, 8, false);
		insn_hex_bytes(b, n, hex, sizeof(hex));
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
	if (!is_x86(dc->d))
		return false;
	if (is_signal(a, SIG_SEGV) || is_signal(a, SIG_BUS))
		return dc->d->event.si_code == SI_KERNEL_ &&
		       (!a->crash.address_known || a->crash.address == 0);
	return is_exception(dc->d, EXC_ACCESS_VIOLATION) &&
	       a->crash.address_known &&
	       a->crash.address == (dc->ptr_bits == 64 ? ~0ull : 0xffffffffu);
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
	if (!is_x86(dc->d) || !is_signal(a, SIG_TRAP) ||
	    (dc->d->event.siginfo_known && dc->d->event.si_code != SI_KERNEL_) ||
	    f->pc == 0 || insn_read_code(dc, f->pc - 1, &b, 1, false) != 1 ||
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
/* The entry of arch_decoders for ARCH, NULL when none decodes it. */
static const struct insn_backend *arch_backend(enum cr_arch arch, unsigned *align)
{
	for (size_t m = 0; m < ARRAY_LEN(arch_decoders); m++) {
		if (arch_decoders[m].arch == arch) {
			if (align)
				*align = arch_decoders[m].align;
			return arch_decoders[m].be;
		}
	}
	return NULL;
}

/* Open BE's library (once per process): NULL, or why not. */
static struct cr_error *load_backend(const struct insn_backend *be)
{
	return cr_dynlib_load(be->lib, be->soname, be->syms, be->nsyms,
			      CR_ERR_FORMAT, "decoding the faulting instruction");
}

static void prefetch_backend(const struct insn_backend *be)
{
	cr_dynlib_prefetch(be->lib, be->soname, be->syms, be->nsyms);
}

/* The faults whose instruction the pass decodes: start loading the
 * dump's decoder while the stacks are unwound (dynlib.h).  Before the
 * dump is read (D NULL), Zydis at once: x86_64 is what most dumps are,
 * and it costs little; Capstone (8 ms of relocation) only once a dump of
 * another architecture is known to need it. */
void warm_instruction(const struct cr_dump *d);	/* registry.c */
void warm_instruction(const struct cr_dump *d)
{
	static const int fault_signals[] = { SIG_ILL, SIG_TRAP, SIG_BUS, SIG_FPE,
					     SIG_SEGV };
	if (!d) {
		prefetch_backend(&insn_zydis);
		return;
	}
	bool fault = d->event.kind == CR_EVENT_EXCEPTION;
	for (size_t k = 0; k < ARRAY_LEN(fault_signals) && !fault; k++)
		fault = d->event.kind == CR_EVENT_SIGNAL &&
			d->event.signo == fault_signals[k];
	const struct insn_backend *be = arch_backend(d->process.arch, NULL);
	if (fault && be)
		prefetch_backend(be);
}

/* Before `coroner batch` forks its workers: Zydis, which x86 dumps need
 * (a worker opens Capstone itself for a dump of another architecture). */
void load_instruction(void);	/* registry.c */
void load_instruction(void)
{
	/* A failure is said by the pass, in each report. */
	cr_error_free(load_backend(&insn_zydis));
}

/* The pass proper, once DC is open. */
static struct cr_error *run_decoder(struct decoder *dc, uint64_t pc)
{
	struct cr_pass_ctx *ctx = dc->ctx;
	struct cr_analysis *a = ctx->analysis;
	const struct cr_dump *d = dc->d;
	struct cr_insn_facts *f = calloc(1, sizeof(*f));
	if (!f)
		return &cr_enomem;
	/* Kept for the exploitability pass (cr_pass_kept). */
	if (!cr_pass_keep(ctx, f, NULL))
		return &cr_enomem;
	dc->f = f;
	f->pc = pc;
	int3_pc(dc);
	place_pc(dc);
	bool exec = execute_fault(dc);
	if (exec)
		f->access = CR_ACCESS_EXECUTE;

	/* The listing is built before the finding exists (the finding's
	 * title needs the decoded text): a table outside any finding. */
	struct cr_table tmp = {
		.ncols = ARRAY_LEN(listing_headers), .headers = listing_headers,
		.marked_row = -1,
	};
	const char *trap = NULL;
	bool have = !exec && decode(dc, &tmp, &trap);
	if (have && f->decoded)
		add_instruction_finding(dc, &tmp, fault_hidden(dc));
	for (size_t k = 0; k < tmp.nrows * tmp.ncols; k++)
		free(tmp.cells[k]);
	free(tmp.cells);
	if (have) {
		add_divide_finding(dc);
		add_trap_finding(dc, trap);
	}
	if (exec || f->pc_place != CR_PC_CODE)
		add_pc_finding(dc, exec);
	uint64_t addr;
	if ((is_signal(a, SIG_SEGV) || is_signal(a, SIG_BUS) ||
	     is_exception(d, EXC_ACCESS_VIOLATION)) && !exec) {
		if (f->address_known && (fault_hidden(dc) || !insn_crash_address(a, &addr)))
			addr = f->address;
		else if (!insn_crash_address(a, &addr))
			addr = 0;
		add_bit_flip_finding(dc, addr);
	}
	return NULL;
}

CR_PASS_RUN(run_instruction)
{
	struct cr_analysis *a = ctx->analysis;
	const struct cr_dump *d = ctx->dump;
	if (!faulted(a))
		return NULL;
	unsigned align = 0;
	const struct insn_backend *be = arch_backend(d->process.arch, &align);
	if (!be)
		return NULL;
	const struct cr_thread *t = a->threads[a->crash.thread].thread;
	struct decoder dc = {
		.ctx = ctx, .d = d, .thread = t, .be = be, .align = align,
		.step = 1, .ptr_bits = d->process.pointer_size == 4 ? 32 : 64,
		.fd = -1, .regs = cr_thread_regs(d, t),
	};
	uint64_t pc;
	if (!cr_regs_get(dc.regs, cr_arch_pc_reg(d->process.arch), &pc))
		return NULL;
	struct cr_error *err = load_backend(be);
	if (err && err != &cr_enomem && be == &insn_zydis) {
		/* Capstone decodes x86 too, only slower to load (insn_decode.h):
		 * the instruction is still decoded, and the problem says
		 * Zydis is missing (its text may differ a little). */
		struct cr_error *cs_err = load_backend(&insn_capstone);
		if (cs_err == &cr_enomem) {
			cr_error_free(err);
			return cs_err;
		}
		if (!cs_err) {
			cr_analysis_problem(a, "instruction: %s; decoded with %s instead",
					    err->message, insn_capstone.soname);
			cr_error_free(err);
			err = NULL;
			dc.be = be = &insn_capstone;
		}
		cr_error_free(cs_err);
	}
	if (err == &cr_enomem)
		return err;
	if (err) {
		cr_analysis_problem(a, "instruction: %s", err->message);
		cr_error_free(err);
		return NULL;
	}
	if (!be->open(&dc, &err)) {
		if (!err)
			cr_analysis_problem(a, "instruction: the disassembler does "
					    "not support %s",
					    cr_arch_name(d->process.arch));
		return err;
	}
	err = run_decoder(&dc, pc);
	be->close(&dc);
	if (dc.elf)
		elf_end(dc.elf);
	if (dc.fd >= 0)
		close(dc.fd);
	return err;
}
