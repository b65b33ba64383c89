/*
 * pe.h - PE images as loaded in process memory: headers, the export table,
 * the x64 exception table (.pdata) and its unwind info (.xdata), and the
 * decoding of x64 epilog instructions.
 *
 * The image is read as the loader mapped it: an RVA is an offset from the
 * image base, not a file offset.  Bytes come through a struct pe_mem (dump
 * memory; a module file on disk read as the loader maps it, pe_file.c; a
 * plain buffer in tests), are copied into bounded buffers and read
 * through a struct cr_cursor; nothing from the image is trusted: every
 * count, RVA and size is checked against the image size and the named caps
 * below.
 *
 * This file parses and decodes; applying unwind codes to registers is the
 * walker's job (analyzer/walk_pe.c).
 *
 * Format facts from Microsoft's "PE Format" and "x64 exception handling"
 * documentation (winnt.h names in comments).
 */
#ifndef CR_PE_H
#define CR_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct cr_dump;

/* Caps on what an image can make us read or allocate. */
#define PE_MAX_HEADER 4096		/* DOS + NT headers must fit here */
#define PE_MAX_EXPORTS 65536		/* named exports kept per image */
#define PE_MAX_EXPORT_NAME 512		/* bytes of one export name */
#define PE_MAX_RUNTIME_FUNCTIONS (1u << 20)	/* .pdata entries */
#define PE_MAX_UNWIND_CODES 255		/* CountOfCodes is a byte */
#define PE_MAX_EPILOG_POPS 16		/* pops in one epilog */
#define PE_MAX_EPILOG_JUMPS 4		/* jmps followed inside an epilog */

/* Where image bytes come from: copy up to LEN bytes at absolute address
 * ADDR into BUF, return how many were copied (stops at the first gap). */
struct pe_mem {
	size_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* A pe_mem over dump memory (cr_dump_read). */
struct pe_mem pe_mem_dump(const struct cr_dump *d);

/* The facts of a loaded image that the rest of this file needs. */
struct pe_image {
	struct pe_mem mem;
	uint64_t base;
	uint32_t size;		/* SizeOfImage (capped by the module size) */
	uint16_t machine;	/* IMAGE_FILE_MACHINE_* */
	bool pe32plus;		/* optional header magic 0x20b */
	uint32_t export_rva, export_size;	/* data directory 0 */
	uint32_t pdata_rva, pdata_size;		/* data directory 3 */
};

#define PE_MACHINE_I386 0x014c
#define PE_MACHINE_AMD64 0x8664

/*
 * Read the headers of the image at BASE.  MODULE_SIZE (0: unknown) caps
 * SizeOfImage.  Returns CR_ERR_CORRUPT (with the address) when the header
 * page is missing or malformed.
 */
struct cr_error *pe_image_open(struct pe_mem mem, uint64_t base,
			       uint64_t module_size, struct pe_image *out);

/* --- exports ------------------------------------------------------------- */

struct pe_export {
	uint32_t rva;
	const char *name;	/* into pe_exports.pool */
};

/* Named exports sorted by rva (then name); forwarders are left out. */
struct pe_exports {
	struct pe_export *v;
	size_t n;
	char *pool;
	size_t skipped;		/* names that could not be read or were bad */
};

struct cr_error *pe_read_exports(const struct pe_image *img,
				 struct pe_exports *out);
/* The export with the largest rva <= RVA, NULL none. */
const struct pe_export *pe_export_lookup(const struct pe_exports *e,
					 uint32_t rva);
void pe_exports_free(struct pe_exports *e);

/* --- .pdata -------------------------------------------------------------- */

struct pe_runtime_function {	/* RUNTIME_FUNCTION */
	uint32_t begin, end;	/* [begin, end) rvas */
	uint32_t unwind;	/* UnwindData rva (bit 0: an indirect entry) */
};

struct pe_pdata {
	struct pe_runtime_function *v;	/* sorted by begin */
	size_t n;
};

/* Read the exception directory; entries that are empty or past the image
 * are dropped, the rest sorted. */
struct cr_error *pe_read_pdata(const struct pe_image *img,
			       struct pe_pdata *out);
/* The entry with begin <= RVA < end, NULL none. */
const struct pe_runtime_function *pe_pdata_find(const struct pe_pdata *p,
						uint32_t rva);
void pe_pdata_free(struct pe_pdata *p);

/* --- UNWIND_INFO ---------------------------------------------------------- */

enum pe_uwop {
	PE_UWOP_PUSH_NONVOL = 0,
	PE_UWOP_ALLOC_LARGE = 1,
	PE_UWOP_ALLOC_SMALL = 2,
	PE_UWOP_SET_FPREG = 3,
	PE_UWOP_SAVE_NONVOL = 4,
	PE_UWOP_SAVE_NONVOL_FAR = 5,
	PE_UWOP_EPILOG = 6,		/* version 2; SAVE_XMM in old docs */
	PE_UWOP_SPARE_CODE = 7,
	PE_UWOP_SAVE_XMM128 = 8,
	PE_UWOP_SAVE_XMM128_FAR = 9,
	PE_UWOP_PUSH_MACHFRAME = 10,
};

#define PE_UNW_FLAG_EHANDLER 0x1
#define PE_UNW_FLAG_UHANDLER 0x2
#define PE_UNW_FLAG_CHAININFO 0x4

/* One unwind operation with its operand decoded (slots merged). */
struct pe_unwind_op {
	uint8_t prolog_offset;	/* offset of the end of the prolog instruction */
	uint8_t op;		/* enum pe_uwop */
	uint8_t info;		/* register number (x64 order) or op info */
	uint32_t arg;		/* bytes: allocation size, save offset from
				 * the frame base; MACHFRAME: has error code */
};

struct pe_unwind_info {
	uint8_t version;	/* 1 or 2 */
	uint8_t flags;		/* PE_UNW_FLAG_* */
	uint8_t prolog_size;
	uint8_t frame_reg;	/* x64 register number, 0: none */
	uint32_t frame_offset;	/* bytes (the field * 16) */
	unsigned nops;
	struct pe_unwind_op ops[PE_MAX_UNWIND_CODES];	/* in table order */
	bool chained;		/* flags has CHAININFO */
	struct pe_runtime_function chain;	/* the parent entry */
};

/* Decode the UNWIND_INFO at RVA.  Version 2 EPILOG codes are skipped (not
 * in ops); unknown codes and operands past CountOfCodes are errors. */
struct cr_error *pe_read_unwind_info(const struct pe_image *img, uint32_t rva,
				     struct pe_unwind_info *out);
/* Read the RUNTIME_FUNCTION at RVA (for indirect entries). */
struct cr_error *pe_read_runtime_function(const struct pe_image *img,
					  uint32_t rva,
					  struct pe_runtime_function *out);

/*
 * x64 register numbers in unwind codes: 0 rax 1 rcx 2 rdx 3 rbx 4 rsp
 * 5 rbp 6 rsi 7 rdi 8-15 r8-r15.  The DWARF number of register N.
 */
unsigned pe_x64_reg_to_dwarf(unsigned n);

/* --- epilogs -------------------------------------------------------------- */

/*
 * An x64 epilog as the unwind rules allow it: optionally `add rsp, imm` or
 * `lea rsp, [reg+disp]`, then `pop reg`*, then `ret`/`ret imm`/`rep ret`,
 * possibly through `jmp`s that stay inside the function.  The registers are
 * x64 unwind numbers.
 */
struct pe_epilog {
	bool has_add;
	int64_t add;		/* rsp += add */
	bool has_lea;
	uint8_t lea_reg;	/* rsp = reg + lea_disp */
	int32_t lea_disp;
	unsigned npops;
	uint8_t pops[PE_MAX_EPILOG_POPS];
};

/*
 * Decide whether PC (absolute) lies at the start of an epilog of the
 * function [BASE+BEGIN, BASE+END), reading instruction bytes through MEM.
 * Returns true and fills *OUT when it does.
 */
bool pe_x64_decode_epilog(struct pe_mem mem, uint64_t pc, uint64_t base,
			  uint32_t begin, uint32_t end, struct pe_epilog *out);

/* --- image files on disk (pe_file.c) ---------------------------------------- */

/*
 * A PE file read as the loader would map it, for dumps that hold the stacks
 * but not the module images (MiniDumpNormal, WER's small dumps): an RVA in
 * a section [VirtualAddress, +VirtualSize) is the file offset
 * PointerToRawData + (RVA - VirtualAddress) while that is within
 * SizeOfRawData, zeros past it up to VirtualSize (.bss); an RVA below
 * SizeOfHeaders in no section is the same file offset.  Anything else, or
 * a file offset past the end of the file, is a gap.  pe_mem_file() gives a
 * struct pe_mem over it at the module's base in the dump, so pe_image_open
 * and everything above read the file exactly as they read dump memory.
 */
#define PE_MAX_SECTIONS 96	/* the Windows loader's own limit */

struct pe_section {
	uint32_t va, vsize;	/* VirtualSize (SizeOfRawData when 0) */
	uint32_t raw_off, raw_size;	/* raw_size clipped to the file */
};

struct pe_file {
	const uint8_t *buf;	/* the file bytes (mapped, or the caller's) */
	size_t len;
	uint64_t base;		/* where the image is in the dump */
	uint32_t timestamp;	/* COFF TimeDateStamp */
	uint32_t size_of_image;	/* OptionalHeader.SizeOfImage */
	uint32_t size_of_headers;	/* clipped to the file */
	unsigned nsections;
	struct pe_section *sections;	/* owned */
	void *map;		/* owned mapping (pe_file_open), NULL otherwise */
	size_t map_len;
};

/*
 * Parse the headers and section table of the file BUF[0..LEN) (borrowed:
 * it must outlive *OUT) for an image at BASE.  Section entries that point
 * outside the file are clipped to it.  CR_ERR_CORRUPT when the headers are
 * not there or not a PE file.
 */
struct cr_error *pe_file_parse(const uint8_t *buf, size_t len, uint64_t base,
			       struct pe_file *out);
/* Map PATH (a regular file only; opened O_NONBLOCK) read-only and parse it. */
struct cr_error *pe_file_open(const char *path, uint64_t base,
			      struct pe_file *out);
/* The same for the descriptor FD (taken over: closed here) of PATH. */
struct cr_error *pe_file_from_fd(int fd, const char *path, uint64_t base,
				 struct pe_file *out);
void pe_file_close(struct pe_file *f);
/* A pe_mem over F (borrowed). */
struct pe_mem pe_mem_file(const struct pe_file *f);

#endif
