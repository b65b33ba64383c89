/*
 * term.c - the terminal sanitizer (see term.h).
 *
 * A terminal acts on more than ESC: any C0 byte (BEL ends an OSC title
 * sequence, BS and CR overwrite what was printed), DEL, and the C1 controls,
 * which xterm and others also accept as UTF-8 encoded code points
 * (U+009B is CSI, U+009D OSC).  Bytes that are not UTF-8 are shown too,
 * because a terminal in a legacy 8-bit mode reads 0x9b as CSI.  The bidi
 * controls do not program the terminal but reorder what the user reads
 * (the "Trojan Source" trick), and U+2028/U+2029 break a line: they are
 * shown escaped as well.  The table below is the whole policy.
 *
 * The escapes look like C string escapes so that a user can still tell
 * what the name was; a backslash itself is left alone (paths stay
 * copy-pastable), so the output is safe, not reversible.
 */
#include "term.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

size_t cr_utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return len;
}

/* Code points shown as "\uHHHH" (C0 and DEL are shown as "\xHH"). */
static const struct {
	uint32_t first, last;
} escaped_ranges[] = {
	{ 0x0080, 0x009f },	/* C1 controls: CSI, OSC, DCS ... */
	{ 0x061c, 0x061c },	/* ARABIC LETTER MARK */
	{ 0x200e, 0x200f },	/* LRM, RLM */
	{ 0x2028, 0x2029 },	/* LINE / PARAGRAPH SEPARATOR */
	{ 0x202a, 0x202e },	/* LRE, RLE, PDF, LRO, RLO */
	{ 0x2066, 0x2069 },	/* LRI, RLI, FSI, PDI */
};

static bool escaped_code_point(uint32_t cp)
{
	for (size_t i = 0; i < ARRAY_LEN(escaped_ranges); i++)
		if (cp >= escaped_ranges[i].first && cp <= escaped_ranges[i].last)
			return true;
	return false;
}

size_t cr_term_char(const unsigned char *s, size_t n, bool *escaped)
{
	uint32_t cp = 0;
	size_t len = cr_utf8_len(s, n, &cp);
	if (len == 0) {
		*escaped = true;
		return 1;
	}
	*escaped = cp < 0x20 || cp == 0x7f || escaped_code_point(cp);
	return len;
}

void cr_term_fputs(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		bool esc;
		size_t len = cr_term_char(p, n, &esc);
		uint32_t cp = 0;
		if (!esc)
			fwrite(p, 1, len, f);
		else if (len > 1 && cr_utf8_len(p, n, &cp))
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fprintf(f, "\\x%02x", p[0]);
		p += len;
		n -= len;
	}
}

char *cr_term_safe(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	cr_term_fputs(s, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void cr_term_printf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = cr_strdup_vprintf(fmt, ap);
	va_end(ap);
	cr_term_fputs(line ? line : fmt, f);
	fputc('\n', f);
	free(line);
}
