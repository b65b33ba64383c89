/*
 * insn_decode.h - the instruction pass (instruction.c) and its two
 * decoders: Zydis for x86 and x86_64 (insn_zydis.c), Capstone for ARM,
 * AArch64, PowerPC and s390x (insn_capstone.c).
 *
 * Why two: Capstone covers every architecture, but its tables make the
 * dynamic loader apply 77,000 relocations when it is opened (8-10 ms of
 * page faults, as much as the analysis of a small core); libZydis applies
 * about a hundred.  Most dumps are x86_64, so an x86 dump loads Zydis
 * only, and Capstone is opened only for a dump of another architecture,
 * or for x86 when libZydis cannot be loaded (instruction.c: Capstone
 * decodes x86 too; the facts of both x86 decoders are judged by
 * insn_x86.c).
 *
 * The pass does what does not depend on the instruction set (reading the
 * code bytes, the listing and its backwards re-synchronisation, where the
 * pc lies, the findings); a backend decodes one instruction at a time and
 * fills the faulting instruction's facts (its access, divisor, trap).
 */
#ifndef CR_INSN_DECODE_H
#define CR_INSN_DECODE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dynlib.h"
#include "error.h"
#include "instruction.h"
#include "pass.h"

struct insn_backend;

/* Everything one run needs. */
struct decoder {
	struct cr_pass_ctx *ctx;
	const struct cr_dump *d;
	const struct cr_regs *regs;	/* the crashing thread's, at the fault */
	const struct cr_thread *thread;
	const struct insn_backend *be;
	void *state;		/* the backend's, from its open() */
	unsigned align;		/* fixed instruction width, 0 variable */
	unsigned step;	/* variable length: the smallest instruction */
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

/* What a backend made of the bytes at the pc. */
enum insn_result {
	INSN_DECODED,	/* the facts are filled: list around it */
	INSN_NONE,	/* no instruction */
	INSN_RETRY,	/* the backend changed its mode: decode again */
	INSN_ONLY,	/* decoded by a fallback, its one row in the table */
};

struct insn_backend {
	/* The library, opened with dlopen() when first needed (dynlib.h). */
	struct cr_dynlib *lib;
	const char *soname;
	const struct cr_dynsym *syms;
	size_t nsyms;
	/* Ready DC->state for the dump's architecture; false when the
	 * library cannot decode it (an ENOMEM sets *ERR). */
	bool (*open)(struct decoder *dc, struct cr_error **err);
	void (*close)(struct decoder *dc);
	/* The value of register REG (the library's id) in *OUT; false when
	 * the dump does not record it or it is no general register. */
	bool (*reg)(const struct decoder *dc, unsigned reg, uint64_t *out);
	/* The length of the instruction at CODE (N bytes, at ADDR), and
	 * its text in TEXT when TEXT is not NULL; 0: no instruction. */
	unsigned (*one)(struct decoder *dc, const uint8_t *code, size_t n,
			uint64_t addr, char *text, size_t size);
	/* The faulting instruction at CODE (N bytes at dc->f->pc): fill
	 * dc->f (decoded, size, text, control flow, trap, and the access
	 * and divisor facts) and *TRAP (what the trap is). */
	enum insn_result (*facts)(struct decoder *dc, const uint8_t *code,
				  size_t n, struct cr_table *t, const char **trap);
};

extern const struct insn_backend insn_zydis, insn_capstone;

/* Shared by the backends (instruction.c). */
size_t insn_read_code(struct decoder *dc, uint64_t addr, uint8_t *buf,
		      size_t n, bool faulting);
bool insn_memory_fault(const struct decoder *dc);
bool insn_crash_address(const struct cr_analysis *a, uint64_t *out);
/* The value of address register REG in *V; false, with WHY kept as the
 * reason the address is unknown, when it is not recorded. */
bool insn_operand_reg(struct decoder *dc, unsigned reg, const char *why,
		      uint64_t *v);
/* The values of a memory operand's address registers BASE and INDEX
 * (the backend's ids; NONE: the operand has none, 0) in *B and *I; false,
 * with the reason kept (insn_operand_reg), when one is not recorded. */
bool insn_base_index(struct decoder *dc, unsigned base, unsigned index,
		     unsigned none, uint64_t *b, uint64_t *i);
/* The DWARF register DWARF of BITS bits at SHIFT into *OUT. */
bool insn_dwarf_reg(const struct decoder *dc, unsigned dwarf, unsigned bits,
		    unsigned shift, uint64_t *out);
bool insn_listing_cells(struct cr_table *t, uint64_t address,
			const uint8_t *b, size_t n, const char *text);
void insn_hex_bytes(const uint8_t *b, size_t n, char *out, size_t size);
/* x86, for both of its decoders (insn_x86.c). */
/* The fs (FS) or gs segment base in *V; false, with the reason kept,
 * when the dump does not record it. */
bool insn_x86_segment_base(struct decoder *dc, bool fs, uint64_t *v);
/* Is a memory operand at EA (KNOWN), written or not (WRITES), the access
 * rather than the one picked so far (none yet: FIRST)? */
bool insn_x86_prefer(const struct decoder *dc, bool first, bool known,
		     uint64_t ea, bool writes);
/* The implicit stack slot of a push, call, pop or ret as the access. */
void insn_x86_stack_access(struct decoder *dc, enum cr_insn_access access);
/* SIZE (at most 8) bytes of memory at EA, little-endian, in *V. */
bool insn_x86_read(struct decoder *dc, uint64_t ea, unsigned size, uint64_t *v);
/* A div (IS_DIV) or idiv of SIZE bytes by DIVISOR: zero, or overflowing
 * with the dividend in (e/r)dx:(e/r)ax. */
void insn_x86_divide(struct decoder *dc, bool is_div, unsigned size,
		     uint64_t divisor);
/* Is A not a canonical x86_64 address? */
bool insn_x86_non_canonical(uint64_t a);

#endif
