/*
 * json_text.c - the JSON report's tree as text (json_util.h).
 *
 * The same bytes as jansson's json_dumps(v, JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER), which the schema tests and golden files read, at a
 * fraction of the cost: jansson decodes every string a code point at a
 * time and appends each token through a callback, which made the JSON
 * report a third of a batch worker's instructions (callgrind, 200 small
 * cores: 2.4 M instructions to dump 26 KB).  Here a string is copied in
 * runs of bytes that need no escape.  The strings are valid UTF-8 already
 * (jstr and put_clean clean every string from a dump), so, as jansson does
 * for valid input, only '"', '\\' and control characters are escaped;
 * other bytes, non-ASCII included, are copied.  Object members come in
 * insertion order (jansson keeps it since 2.8; JSON_PRESERVE_ORDER asks
 * for nothing more), reals as jansson's jsonp_dtostr writes them.
 */
#include "json_text.h"

#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>
#include <string.h>

#include "report_util.h"
#include "strbuf.h"

#define INDENT 2

static void newline(struct cr_buf *b, unsigned depth)
{
	static const char spaces[] = "                                ";
	cr_buf_putc(b, '\n');
	for (size_t n = (size_t)depth * INDENT; n > 0;) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		cr_buf_add(b, spaces, k);
		n -= k;
	}
}

static void string(struct cr_buf *b, const char *s, size_t n)
{
	/* What jansson writes for the characters it escapes. */
	static const char *const named[0x20] = {
		['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
		['\r'] = "\\r", ['\t'] = "\\t",
	};
	cr_buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		cr_buf_add(b, s + run, i - run);
		run = i + 1;
		if (c == '"')
			cr_buf_add(b, "\\\"", 2);
		else if (c == '\\')
			cr_buf_add(b, "\\\\", 2);
		else if (named[c])
			cr_buf_add(b, named[c], 2);
		else
			cr_buf_printf(b, "\\u%04X", c);
	}
	cr_buf_add(b, s + run, n - run);
	cr_buf_putc(b, '"');
}

/* jansson's jsonp_dtostr at its default precision (17): "%.17g", with
 * ".0" when it reads as an integer, the exponent without '+' or leading
 * zeros. */
static void real(struct cr_buf *b, double v)
{
	char t[64];
	int len = snprintf(t, sizeof(t), "%.17g", v);
	if (len < 0 || (size_t)len >= sizeof(t) - 2)
		return;
	if (!strchr(t, '.') && !strchr(t, 'e'))
		memcpy(t + len, ".0", 3);
	char *e = strchr(t, 'e');
	if (e) {
		char *start = e + 1, *end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start)
			memmove(start, end, strlen(end) + 1);
	}
	cr_buf_puts(b, t);
}

static void value(struct cr_buf *b, const json_t *v, unsigned depth)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *m;
		bool first = true;
		cr_buf_putc(b, '{');
		json_object_foreach((json_t *)v, key, m) {
			if (!first)
				cr_buf_putc(b, ',');
			first = false;
			newline(b, depth + 1);
			string(b, key, strlen(key));
			cr_buf_add(b, ": ", 2);
			value(b, m, depth + 1);
		}
		if (!first)
			newline(b, depth);
		cr_buf_putc(b, '}');
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		cr_buf_putc(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				cr_buf_putc(b, ',');
			newline(b, depth + 1);
			value(b, json_array_get(v, i), depth + 1);
		}
		if (n)
			newline(b, depth);
		cr_buf_putc(b, ']');
		break;
	}
	case JSON_STRING:
		string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		cr_buf_put_int(b, json_integer_value(v));
		break;
	case JSON_REAL:
		real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		cr_buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		cr_buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		cr_buf_add(b, "null", 4);
		break;
	}
}

void report_json_text(struct cr_buf *b, const json_t *v, unsigned depth)
{
	value(b, v, depth);
}

/* --- the same text, written as it is made -------------------------------- */

void json_out_init(struct json_out *w, struct cr_buf *b, unsigned depth)
{
	*w = (struct json_out){ .b = b, .base = depth };
}

void json_out_free(struct json_out *w)
{
	cr_buf_free(&w->scratch);
}

/* Before a member or an element: the comma after the one before, and its
 * line. */
static void separate(struct json_out *w)
{
	if (!w->n) {
		w->b->oom = true;	/* no container open */
		return;
	}
	if (!w->empty[w->n - 1])
		cr_buf_putc(w->b, ',');
	w->empty[w->n - 1] = false;
	newline(w->b, w->base + w->n);
}

void json_out_key(struct json_out *w, const char *key)
{
	separate(w);
	string(w->b, key, strlen(key));
	cr_buf_add(w->b, ": ", 2);
}

void json_out_item(struct json_out *w)
{
	separate(w);
}

void json_out_open(struct json_out *w, char bracket)
{
	if (w->n == JSON_OUT_MAX_DEPTH) {
		w->b->oom = true;
		return;
	}
	cr_buf_putc(w->b, bracket);
	w->close[w->n] = bracket == '{' ? '}' : ']';
	w->empty[w->n++] = true;
}

void json_out_close(struct json_out *w)
{
	if (!w->n) {
		w->b->oom = true;
		return;
	}
	w->n--;
	if (!w->empty[w->n])
		newline(w->b, w->base + w->n);
	cr_buf_putc(w->b, w->close[w->n]);
}

void json_out_null(struct json_out *w)
{
	cr_buf_add(w->b, "null", 4);
}

void json_out_bool(struct json_out *w, bool v)
{
	if (v)
		cr_buf_add(w->b, "true", 4);
	else
		cr_buf_add(w->b, "false", 5);
}

void json_out_int(struct json_out *w, int64_t v)
{
	cr_buf_put_int(w->b, v);
}

void json_out_hex(struct json_out *w, uint64_t v)
{
	char buf[REPORT_NUM_LEN];
	const char *s = report_fmt_hex(buf, v, 0);
	string(w->b, s, strlen(s));
}

void json_out_const(struct json_out *w, const char *s)
{
	if (s)
		string(w->b, s, strlen(s));
	else
		json_out_null(w);
}

void json_out_str(struct json_out *w, const char *s)
{
	if (!s) {
		json_out_null(w);
		return;
	}
	w->scratch.len = 0;
	report_clean_into(&w->scratch, s, w->clean);
	if (w->scratch.oom)
		w->b->oom = true;
	else
		string(w->b, w->scratch.len ? w->scratch.p : "", w->scratch.len);
}

void json_out_key_str(struct json_out *w, const char *key, const char *s)
{
	json_out_key(w, key);
	json_out_str(w, s);
}

void json_out_key_int(struct json_out *w, const char *key, int64_t v)
{
	json_out_key(w, key);
	json_out_int(w, v);
}
