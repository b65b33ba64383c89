/*
 * cursor.h - the one bounds-checked reader of untrusted bytes.
 *
 * Every parser in formats/ reads dump bytes through a struct cr_cursor: a
 * window [base, base+len) of a buffer, a position, a byte order, and the
 * file offset of base so that an error can say where in the file it failed.
 * No parser memcpy()s from an offset it took from the file and no struct is
 * overlaid on file bytes: lengths and offsets from the file go through
 * cr_cursor_sub()/cr_cursor_seek(), which check them with overflow builtins.
 *
 * Functions return NULL on success or a CR_ERR_CORRUPT error whose message
 * names the cursor's `what` and the file offset ("note 3 at offset 0x2a8:
 * need 8 bytes, 3 left").  On error the output is zeroed and the position is
 * unchanged.
 */
#ifndef CR_CURSOR_H
#define CR_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct cr_cursor {
	const uint8_t *base;
	size_t len;
	size_t pos;
	bool big_endian;
	uint64_t file_off;	/* file offset of base[0], for messages */
	const char *what;	/* e.g. the dump's file name; not owned */
};

/* A cursor over BUF[0..LEN) that starts at file offset FILE_OFF. */
struct cr_cursor cr_cursor_make(const void *buf, size_t len, bool big_endian,
				uint64_t file_off, const char *what);

static inline size_t cr_cursor_left(const struct cr_cursor *c)
{
	return c->len - c->pos;
}

struct cr_error *cr_cursor_u8(struct cr_cursor *c, uint8_t *out);
struct cr_error *cr_cursor_u16(struct cr_cursor *c, uint16_t *out);
struct cr_error *cr_cursor_u32(struct cr_cursor *c, uint32_t *out);
struct cr_error *cr_cursor_u64(struct cr_cursor *c, uint64_t *out);
/* A word of SIZE bytes (4 or 8), zero-extended. */
struct cr_error *cr_cursor_word(struct cr_cursor *c, unsigned size,
				uint64_t *out);
struct cr_error *cr_cursor_skip(struct cr_cursor *c, uint64_t n);
/* Point *OUT at the next N bytes and advance past them. */
struct cr_error *cr_cursor_bytes(struct cr_cursor *c, uint64_t n,
				 const uint8_t **out);
/*
 * Read a SIZE-byte word at window offset OFF without moving C: for fixed
 * layouts read field by field.  False (and *OUT = 0) when it is not there;
 * no error object, since a missing optional field is not worth one.
 */
bool cr_cursor_peek(const struct cr_cursor *c, uint64_t off, unsigned size,
		    uint64_t *out);
/* Move to absolute position POS within the window (POS == len is allowed). */
struct cr_error *cr_cursor_seek(struct cr_cursor *c, uint64_t pos);
/*
 * A new cursor over [OFF, OFF+LEN) of C's window (OFF relative to the window
 * start, not the position); checks OFF+LEN against the window without
 * wrapping.  WHAT names the sub-range in messages (NULL keeps C's).
 */
struct cr_error *cr_cursor_sub(const struct cr_cursor *c, uint64_t off,
			       uint64_t len, const char *what,
			       struct cr_cursor *out);
/*
 * Copy a NUL-terminated string of at most MAX bytes starting at the position
 * into a new malloc'd string and advance past its NUL (or past MAX bytes if
 * none).  Never reads past the window.
 */
struct cr_error *cr_cursor_cstr(struct cr_cursor *c, size_t max, char **out);

/* Checked arithmetic for values taken from a file. */
static inline bool cr_add_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_add_overflow(a, b, out);
}
static inline bool cr_mul_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

#endif
