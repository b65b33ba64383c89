/*
 * json_text.h - a jansson tree as the JSON reports' text (json_text.c).
 */
#ifndef CR_JSON_TEXT_H
#define CR_JSON_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "strbuf.h"

/*
 * Append V to B as json_dumps(V, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
 * writes it, nested DEPTH levels deep (its lines after the first indented
 * 2 * DEPTH more); json_text.c says why not jansson's.  B's oom flag says
 * when memory ran out.
 */
void report_json_text(struct cr_buf *b, const json_t *v, unsigned depth);

/*
 * The same text for a value that is written as it is made, not built as
 * a jansson tree first: for the parts of a report made of many small
 * objects (a thread's registers, state and frames; 10,000 jansson
 * objects for a dump of 100 threads, each allocated, hashed, written and
 * freed).  Open an object or array, then for each member json_out_key()
 * (in an object) or json_out_item() (in an array) and its value, then
 * close it.  A misuse (a member outside a container, more than
 * JSON_OUT_MAX_DEPTH open) sets B's oom flag, as running out of memory
 * does.
 */
#define JSON_OUT_MAX_DEPTH 16

struct json_out {
	struct cr_buf *b;
	struct cr_buf scratch;	/* a dump string, cleaned */
	unsigned base;		/* the depth the value is nested at */
	unsigned clean;		/* report_clean()'s flags for json_out_str */
	unsigned n;		/* containers open */
	char close[JSON_OUT_MAX_DEPTH];
	bool empty[JSON_OUT_MAX_DEPTH];	/* no member written yet */
};

/* Write into B a value nested DEPTH levels deep (report_json_text). */
void json_out_init(struct json_out *w, struct cr_buf *b, unsigned depth);
void json_out_free(struct json_out *w);
void json_out_open(struct json_out *w, char bracket);	/* '{' or '[' */
void json_out_close(struct json_out *w);
void json_out_key(struct json_out *w, const char *key);
void json_out_item(struct json_out *w);
void json_out_null(struct json_out *w);
void json_out_bool(struct json_out *w, bool v);
void json_out_int(struct json_out *w, int64_t v);
/* "0x..." as jhex() makes it. */
void json_out_hex(struct json_out *w, uint64_t v);
/* Text of coroner's own (an id, a constant); null for NULL. */
void json_out_const(struct json_out *w, const char *s);
/* A string from a dump, made valid UTF-8 as jstr() makes it (cleaned
 * with W->clean's flags: 0 unless the caller sets them); null for NULL. */
void json_out_str(struct json_out *w, const char *s);
/* The members most writers make: KEY and json_out_str(S), KEY and
 * json_out_int(V). */
void json_out_key_str(struct json_out *w, const char *key, const char *s);
void json_out_key_int(struct json_out *w, const char *key, int64_t v);

#endif
