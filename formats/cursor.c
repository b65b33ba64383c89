/*
 * cursor.c - bounds-checked reads of untrusted bytes (see cursor.h).
 */
#include "cursor.h"

#include <stdlib.h>
#include <string.h>

struct cr_cursor cr_cursor_make(const void *buf, size_t len, bool big_endian,
				uint64_t file_off, const char *what)
{
	struct cr_cursor c = {
		.base = buf, .len = buf ? len : 0, .pos = 0,
		.big_endian = big_endian, .file_off = file_off,
		.what = what ? what : "input",
	};
	return c;
}

static struct cr_error *short_read(const struct cr_cursor *c, uint64_t need)
{
	return cr_error_new(CR_ERR_CORRUPT,
			    "%s at offset 0x%llx: need %llu bytes, %zu left",
			    c->what, (unsigned long long)(c->file_off + c->pos),
			    (unsigned long long)need, cr_cursor_left(c));
}

static struct cr_error *take(struct cr_cursor *c, uint64_t n,
			     const uint8_t **p)
{
	if (n > cr_cursor_left(c))
		return short_read(c, n);
	*p = c->base + c->pos;
	c->pos += (size_t)n;
	return NULL;
}

static uint64_t load(const struct cr_cursor *c, const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned shift = c->big_endian ? 8 * (n - 1 - i) : 8 * i;
		v |= (uint64_t)p[i] << shift;
	}
	return v;
}

struct cr_error *cr_cursor_word(struct cr_cursor *c, unsigned size,
				uint64_t *out)
{
	const uint8_t *p = NULL;	/* set by take() on success */
	*out = 0;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return cr_error_new(CR_ERR_INTERNAL, "bad word size %u", size);
	struct cr_error *err = take(c, size, &p);
	if (err)
		return err;
	*out = load(c, p, size);
	return NULL;
}

struct cr_error *cr_cursor_u8(struct cr_cursor *c, uint8_t *out)
{
	uint64_t v;
	struct cr_error *err = cr_cursor_word(c, 1, &v);
	*out = (uint8_t)v;
	return err;
}

struct cr_error *cr_cursor_u16(struct cr_cursor *c, uint16_t *out)
{
	uint64_t v;
	struct cr_error *err = cr_cursor_word(c, 2, &v);
	*out = (uint16_t)v;
	return err;
}

struct cr_error *cr_cursor_u32(struct cr_cursor *c, uint32_t *out)
{
	uint64_t v;
	struct cr_error *err = cr_cursor_word(c, 4, &v);
	*out = (uint32_t)v;
	return err;
}

struct cr_error *cr_cursor_u64(struct cr_cursor *c, uint64_t *out)
{
	return cr_cursor_word(c, 8, out);
}

struct cr_error *cr_cursor_skip(struct cr_cursor *c, uint64_t n)
{
	const uint8_t *p = NULL;	/* set by take() on success */
	return take(c, n, &p);
}

struct cr_error *cr_cursor_bytes(struct cr_cursor *c, uint64_t n,
				 const uint8_t **out)
{
	*out = NULL;
	return take(c, n, out);
}

struct cr_error *cr_cursor_seek(struct cr_cursor *c, uint64_t pos)
{
	if (pos > c->len)
		return cr_error_new(CR_ERR_CORRUPT,
				    "%s: offset 0x%llx is past the end (size 0x%zx)",
				    c->what,
				    (unsigned long long)(c->file_off + pos),
				    c->len);
	c->pos = (size_t)pos;
	return NULL;
}

bool cr_cursor_peek(const struct cr_cursor *c, uint64_t off, unsigned size,
		    uint64_t *out)
{
	struct cr_cursor t = *c;
	struct cr_error *err = cr_cursor_seek(&t, off);
	if (!err)
		err = cr_cursor_word(&t, size, out);
	if (err) {
		cr_error_free(err);
		*out = 0;
		return false;
	}
	return true;
}

struct cr_error *cr_cursor_sub(const struct cr_cursor *c, uint64_t off,
			       uint64_t len, const char *what,
			       struct cr_cursor *out)
{
	uint64_t end;
	*out = cr_cursor_make(NULL, 0, c->big_endian, c->file_off,
			      what ? what : c->what);
	if (cr_add_overflows(off, len, &end) || end > c->len)
		return cr_error_new(CR_ERR_CORRUPT,
				    "%s: range 0x%llx+0x%llx is past the end of %s (size 0x%zx)",
				    what ? what : c->what,
				    (unsigned long long)(c->file_off + off),
				    (unsigned long long)len, c->what, c->len);
	*out = cr_cursor_make(c->base + off, (size_t)len, c->big_endian,
			      c->file_off + off, what ? what : c->what);
	return NULL;
}

struct cr_error *cr_cursor_cstr(struct cr_cursor *c, size_t max, char **out)
{
	*out = NULL;
	size_t left = cr_cursor_left(c);
	size_t lim = left < max ? left : max;
	const uint8_t *p = c->base + c->pos;
	const uint8_t *nul = lim ? memchr(p, 0, lim) : NULL;
	size_t n = nul ? (size_t)(nul - p) : lim;
	char *s = malloc(n + 1);
	if (!s)
		return &cr_enomem;
	if (n)
		memcpy(s, p, n);
	s[n] = 0;
	c->pos += n + (nul ? 1 : 0);
	*out = s;
	return NULL;
}
