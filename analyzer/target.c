/*
 * target.c - typed reads of the target's memory (target.h).
 *
 * All reads go through cr_dump_read (bounded by the dump's segments); a
 * read is all or nothing, and integers are assembled byte by byte in the
 * target's byte order so the host's order never matters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

void cr_target_init(struct cr_target *t, const struct cr_dump *d)
{
	*t = (struct cr_target){
		.dump = d,
		.word_size = d && d->process.pointer_size == 4 ? 4 : 8,
		.big_endian = d && d->process.big_endian,
	};
}

bool cr_target_read(const struct cr_target *t, uint64_t addr, void *buf,
		    size_t n)
{
	uint64_t end;
	if (!t->dump || __builtin_add_overflow(addr, n, &end))
		return n == 0;
	return cr_dump_read(t->dump, addr, buf, n) == n;
}

/* An unsigned integer of N (1..8) bytes at ADDR. */
static bool read_uint(const struct cr_target *t, uint64_t addr, unsigned n,
		      uint64_t *out)
{
	uint8_t b[8];
	if (n == 0 || n > sizeof(b) || !cr_target_read(t, addr, b, n))
		return false;
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = t->big_endian ? i : n - 1 - i;
		v = v << 8 | b[k];
	}
	*out = v;
	return true;
}

bool cr_target_u8(const struct cr_target *t, uint64_t addr, uint8_t *out)
{
	uint64_t v;
	if (!read_uint(t, addr, 1, &v))
		return false;
	*out = (uint8_t)v;
	return true;
}

bool cr_target_u16(const struct cr_target *t, uint64_t addr, uint16_t *out)
{
	uint64_t v;
	if (!read_uint(t, addr, 2, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

bool cr_target_u32(const struct cr_target *t, uint64_t addr, uint32_t *out)
{
	uint64_t v;
	if (!read_uint(t, addr, 4, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool cr_target_u64(const struct cr_target *t, uint64_t addr, uint64_t *out)
{
	return read_uint(t, addr, 8, out);
}

bool cr_target_pointer(const struct cr_target *t, uint64_t addr,
		       uint64_t *out)
{
	return read_uint(t, addr, t->word_size, out);
}

char *cr_target_string(const struct cr_target *t, uint64_t addr, size_t max)
{
	/* cr_dump_read_string cuts at its max: ask one byte more, so that a
	 * string with no NUL within MAX is told from one that ends there. */
	if (!t->dump || max == SIZE_MAX)
		return NULL;
	char *s = cr_dump_read_string(t->dump, addr, max + 1);
	if (s && strlen(s) > max) {
		free(s);
		return NULL;
	}
	return s;
}

bool cr_target_struct(const struct cr_target *t, uint64_t addr,
		      const struct cr_layout *l, uint64_t *values)
{
	uint8_t stackbuf[256];
	/* A size from a table is small; one from a lying DWARF or a bug is
	 * not allocated. */
	if (l->size > CR_TARGET_MAX_STRUCT)
		return false;
	uint8_t *buf = l->size <= sizeof(stackbuf) ? stackbuf : malloc(l->size);
	bool ok = buf && cr_target_read(t, addr, buf, l->size);
	for (size_t i = 0; ok && i < l->nfields; i++) {
		const struct cr_field *f = &l->fields[i];
		uint64_t end;
		if (f->size == 0 || f->size > 8 ||
		    __builtin_add_overflow(f->offset, f->size, &end) ||
		    end > l->size) {
			ok = false;
			break;
		}
		uint64_t v = 0;
		for (unsigned k = 0; k < f->size; k++) {
			unsigned b = t->big_endian ? k : f->size - 1u - k;
			v = v << 8 | buf[f->offset + b];
		}
		if (f->is_signed && f->size < 8 &&
		    (v >> (f->size * 8 - 1) & 1))
			v |= ~0ull << (f->size * 8);
		values[i] = v;
	}
	if (buf != stackbuf)
		free(buf);
	return ok;
}
