/*
 * target.h - typed reads of the target process's memory, for the passes.
 *
 * The dump's memory is bytes at addresses (cr_dump_read); a pass wants
 * words, pointers and C structs of the target's architecture: its word
 * size, its byte order, the layout of glibc's pthread_mutex_t.  Every read
 * is all-or-nothing and bounded; a read that the dump cannot satisfy
 * returns false and the pass says what is missing.
 *
 * Layouts come from tables in the passes (per architecture and library
 * version range) or, when the library's debug information is there, from
 * its DWARF (cr_layout_from_dwarf), so that a pass can cross-check its
 * table against the real struct.
 */
#ifndef CR_TARGET_H
#define CR_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump.h"

struct cr_target {
	const struct cr_dump *dump;
	unsigned word_size;	/* 4 or 8 */
	bool big_endian;
};

/* The target of dump D (word size and byte order from its architecture). */
void cr_target_init(struct cr_target *t, const struct cr_dump *d);

/* N bytes at ADDR, all or nothing. */
bool cr_target_read(const struct cr_target *t, uint64_t addr, void *buf,
		    size_t n);
/* Unsigned integers of 1, 2, 4 or 8 bytes in the target's byte order. */
bool cr_target_u8(const struct cr_target *t, uint64_t addr, uint8_t *out);
bool cr_target_u16(const struct cr_target *t, uint64_t addr, uint16_t *out);
bool cr_target_u32(const struct cr_target *t, uint64_t addr, uint32_t *out);
bool cr_target_u64(const struct cr_target *t, uint64_t addr, uint64_t *out);
/* A pointer (word_size bytes), zero-extended. */
bool cr_target_pointer(const struct cr_target *t, uint64_t addr,
		       uint64_t *out);
/* A NUL-terminated string of at most MAX bytes at ADDR, malloc'd; NULL
 * when unreadable, unterminated within MAX, or out of memory. */
char *cr_target_string(const struct cr_target *t, uint64_t addr, size_t max);

/* One field of a C struct: an integer or pointer of SIZE bytes. */
struct cr_field {
	const char *name;	/* "__owner" */
	uint32_t offset;
	uint8_t size;		/* 1, 2, 4 or 8 */
	bool is_signed;
};

/* A C struct: its size and the fields a pass reads. */
struct cr_layout {
	const char *name;	/* "pthread_mutex_t" */
	uint32_t size;
	const struct cr_field *fields;
	size_t nfields;
};

/* The largest struct cr_target_struct reads (a larger one is refused). */
#define CR_TARGET_MAX_STRUCT (1u << 20)

/*
 * Read the struct at ADDR field by field: VALUES[i] gets field i
 * (sign-extended for signed fields).  All or nothing: false when any byte
 * of the struct is not in the dump.
 */
bool cr_target_struct(const struct cr_target *t, uint64_t addr,
		      const struct cr_layout *l, uint64_t *values);

#endif
