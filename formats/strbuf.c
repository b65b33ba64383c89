/*
 * strbuf.c - the growable string of strbuf.h.
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Room for MORE bytes and the terminating NUL. */
static bool buf_reserve(struct cr_buf *b, size_t more)
{
	size_t need;
	if (b->oom)
		return false;
	if (__builtin_add_overflow(b->len, more, &need) ||
	    __builtin_add_overflow(need, 1, &need)) {
		b->oom = true;
		return false;
	}
	if (need <= b->cap)
		return true;
	char *p = cr_grow_array(b->p, &b->cap, need, 1, 256);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	return true;
}

void cr_buf_add(struct cr_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void cr_buf_puts(struct cr_buf *b, const char *s)
{
	if (s)
		cr_buf_add(b, s, strlen(s));
}

void cr_buf_putc(struct cr_buf *b, char c)
{
	if (!b->oom && b->cap - b->len >= 2) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
		return;
	}
	cr_buf_add(b, &c, 1);
}

void cr_buf_put_int(struct cr_buf *b, int64_t v)
{
	char t[24];
	size_t i = sizeof(t);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--i] = '-';
	cr_buf_add(b, t + i, sizeof(t) - i);
}

/* Most prints are short: one pass into the room there is (at least
 * PRINT_ROOM bytes), a second only when the text did not fit. */
#define PRINT_ROOM 64

void cr_buf_vprintf(struct cr_buf *b, const char *fmt, va_list ap)
{
	if (!buf_reserve(b, PRINT_ROOM))
		return;
	va_list again;
	va_copy(again, ap);
	size_t room = b->cap - b->len;
	int n = vsnprintf(b->p + b->len, room, fmt, ap);
	if (n >= 0 && (size_t)n >= room) {
		if (buf_reserve(b, (size_t)n))
			vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
		else
			n = -1;
	}
	va_end(again);
	if (n < 0) {
		b->oom = true;
		return;
	}
	b->len += (size_t)n;
}

void cr_buf_printf(struct cr_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cr_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *cr_buf_str(struct cr_buf *b)
{
	if (!buf_reserve(b, 0))
		return NULL;
	b->p[b->len] = '\0';
	return b->p;
}

char *cr_buf_steal(struct cr_buf *b)
{
	if (!cr_buf_str(b)) {
		cr_buf_free(b);
		return NULL;
	}
	char *p = b->p;
	*b = (struct cr_buf){ 0 };
	return p;
}

void cr_buf_free(struct cr_buf *b)
{
	free(b->p);
	*b = (struct cr_buf){ 0 };
}
