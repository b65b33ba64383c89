/*
 * strbuf.h - the one growable string of every layer.
 *
 * Built for text assembled piece by piece from a dump (report facts, symbol
 * names, problem lines): appends never fail loudly; on the first allocation
 * failure `oom` is set, later appends do nothing, and the final
 * cr_buf_str()/cr_buf_steal() return NULL, so a caller checks once at the
 * end instead of after every append.
 */
#ifndef CR_STRBUF_H
#define CR_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct cr_buf {
	char *p;		/* NUL-terminated when len > 0 or after _str() */
	size_t len, cap;
	bool oom;
};

void cr_buf_add(struct cr_buf *b, const char *s, size_t n);
/* A NULL S appends nothing. */
void cr_buf_puts(struct cr_buf *b, const char *s);
void cr_buf_putc(struct cr_buf *b, char c);
/* V in decimal, as "%" PRId64 prints it (without printf's cost). */
void cr_buf_put_int(struct cr_buf *b, int64_t v);
void cr_buf_printf(struct cr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cr_buf_vprintf(struct cr_buf *b, const char *fmt, va_list ap);
/* The contents as a C string ("" when empty); NULL after a failure. */
const char *cr_buf_str(struct cr_buf *b);
/* Hand the malloc'd string to the caller (NULL after a failure; the
 * buffer is empty afterwards either way). */
char *cr_buf_steal(struct cr_buf *b);
void cr_buf_free(struct cr_buf *b);

#endif
