/*
 * document.c - the report document's data: adding sections, blocks and
 * spans, and freeing it all (see document.h).  What goes into a report is
 * decided in doc_build.c; how it looks, in md.c and html.c.
 */
#include "document.h"
#include "report_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char doc_trust_legend[] =
	"How each frame was found: context = the thread's registers; "
	"cfi = call frame information; frame-pointer = the frame pointer "
	"chain; scan = a return address found by scanning the stack (may be "
	"wrong); inline = a call inlined into the frame below it.  "
	"Frames marked * are the program's own code; the others are in "
	"system libraries.";

/*
 * Everything in a document comes from its arena: chunks of DOC_CHUNK bytes
 * (a larger request gets a chunk of its own), freed together by
 * doc_free().  A report of 100,000 threads has half a million table cells;
 * a malloc and a free for each string, span array and row took more time
 * than building the document.
 */
#define DOC_CHUNK (64 * 1024)

struct doc_chunk {
	struct doc_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

/* N zeroed bytes, aligned for any type; NULL (and oom) on failure. */
static void *doc_alloc(struct doc *d, size_t n)
{
	if (d->oom)
		return NULL;
	size_t need;
	if (__builtin_add_overflow(n, sizeof(max_align_t) - 1, &need)) {
		d->oom = true;
		return NULL;
	}
	need -= need % sizeof(max_align_t);
	struct doc_chunk *c = d->chunks;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > DOC_CHUNK ? need : DOC_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c) {
			d->oom = true;
			return NULL;
		}
		c->used = 0;
		c->cap = cap;
		/* a chunk of its own goes behind the current one, which
		 * keeps serving small requests */
		if (need > DOC_CHUNK && d->chunks) {
			c->next = d->chunks->next;
			d->chunks->next = c;
		} else {
			c->next = d->chunks;
			d->chunks = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

/* Grow *V (of *CAP elements of SIZE bytes) to hold N + 1, in the arena
 * (the old array is left there: at most as much again).  Most runs of
 * spans are one span (a table cell): they start with room for one. */
static bool grow(struct doc *d, void **v, size_t *cap, size_t n, size_t size)
{
	if (d->oom)
		return false;
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : size == sizeof(struct doc_span) ? 1 : 4;
	size_t bytes;
	if (__builtin_mul_overflow(ncap, size, &bytes))
		bytes = SIZE_MAX;
	void *p = doc_alloc(d, bytes);
	if (!p)
		return false;
	if (n)
		memcpy(p, *v, n * size);
	*v = p;
	*cap = ncap;
	return true;
}

/* S as the document keeps it: cleaned (valid UTF-8, without control
 * characters) with FLAGS, so that renderers need not clean it again. */
static char *clean(struct doc *d, const char *s, unsigned flags)
{
	if (d->oom)
		return NULL;
	d->scratch.len = 0;
	report_clean_into(&d->scratch, s ? s : "", flags);
	const char *c = cr_buf_str(&d->scratch);
	char *p = c ? doc_alloc(d, d->scratch.len + 1) : NULL;
	if (!p) {
		d->oom = true;
		return NULL;
	}
	memcpy(p, c, d->scratch.len + 1);
	return p;
}

/* A one-line text of the document. */
static char *dup(struct doc *d, const char *s)
{
	return clean(d, s, REPORT_CLEAN_FLAT);
}

char *doc_strdup(struct doc *d, const char *s)
{
	return dup(d, s);
}

/* A zeroed element of SIZE bytes appended to the pointer array *V. */
static void *append_new(struct doc *d, void ***v, size_t *n, size_t *cap,
			size_t size)
{
	if (!grow(d, (void **)v, cap, *n, sizeof(**v)))
		return NULL;
	void *p = doc_alloc(d, size);
	if (p)
		(*v)[(*n)++] = p;
	return p;
}

/* FMT formatted into a new string; NULL (and oom) on failure. */
static char *vformat(struct doc *d, const char *fmt, va_list ap)
{
	char *s = NULL;
	if (d->oom)
		return NULL;
	if (vasprintf(&s, fmt, ap) < 0) {
		d->oom = true;
		return NULL;
	}
	char *c = dup(d, s);
	free(s);
	return c;
}

struct doc_section *doc_section(struct doc *d, int level, const char *id,
				const char *title)
{
	struct doc_section *s = append_new(d, (void ***)&d->sections, &d->n,
					   &d->cap, sizeof(*s));
	if (!s)
		return NULL;
	s->level = level;
	s->id = dup(d, id);
	s->title = dup(d, title);
	return s;
}

struct doc_block *doc_block(struct doc *d, struct doc_blocks *in,
			    enum doc_block_kind kind, const char *cls)
{
	struct doc_block *b = in ? append_new(d, (void ***)&in->v, &in->n,
					      &in->cap, sizeof(*b)) : NULL;
	if (!b)
		return NULL;
	b->kind = kind;
	b->cls = cls;
	return b;
}

static void span_take(struct doc *d, struct doc_inline *in,
		      enum doc_span_kind kind, char *text, const char *target)
{
	if (!in || !text ||
	    !grow(d, (void **)&in->v, &in->cap, in->n, sizeof(*in->v)))
		return;
	struct doc_span *s = &in->v[in->n];
	s->kind = kind;
	s->text = text;
	s->target = target ? dup(d, target) : NULL;
	if (target && !s->target)
		return;
	in->n++;
}

void doc_span(struct doc *d, struct doc_inline *in, enum doc_span_kind kind,
	      const char *text)
{
	if (in)
		span_take(d, in, kind, dup(d, text), NULL);
}

void doc_spanf(struct doc *d, struct doc_inline *in, enum doc_span_kind kind,
	       const char *fmt, ...)
{
	if (!in || d->oom)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(d, fmt, ap);
	va_end(ap);
	span_take(d, in, kind, s, NULL);
}

void doc_link(struct doc *d, struct doc_inline *in, const char *text,
	      const char *target)
{
	if (in)
		span_take(d, in, DOC_SPAN_LINK, dup(d, text), target);
}

struct doc_block *doc_para(struct doc *d, struct doc_blocks *in,
			   const char *cls, const char *text)
{
	struct doc_block *b = doc_block(d, in, DOC_PARA, cls);
	if (b)
		doc_span(d, &b->text, DOC_SPAN_TEXT, text);
	return b;
}

struct doc_block *doc_table(struct doc *d, struct doc_blocks *in,
			    const char *cls, size_t ncols,
			    const char *const *headers, const enum doc_col *cols)
{
	struct doc_block *b = doc_block(d, in, DOC_TABLE, cls);
	if (!b)
		return NULL;
	b->table.headers = doc_alloc(d, ncols * sizeof(char *));
	b->table.cols = doc_alloc(d, ncols * sizeof(enum doc_col));
	if (!b->table.headers || !b->table.cols) {
		d->oom = true;
		return b;
	}
	b->table.ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		b->table.headers[i] = dup(d, headers[i]);
		b->table.cols[i] = cols ? cols[i] : DOC_COL_TEXT;
	}
	return b;
}

struct doc_inline *doc_row(struct doc *d, struct doc_block *b,
			   const char *cls)
{
	if (!b)
		return NULL;
	struct doc_table *t = &b->table;
	if (!t->ncols ||
	    !grow(d, (void **)&t->rows, &t->cap, t->nrows, sizeof(*t->rows)))
		return NULL;
	struct doc_inline *cells = doc_alloc(d, t->ncols * sizeof(*cells));
	if (!cells)
		return NULL;
	t->rows[t->nrows].cells = cells;
	t->rows[t->nrows].cls = cls;
	t->nrows++;
	return cells;
}

void doc_row_texts(struct doc *d, struct doc_block *b, const char *cls,
		   const char *const *cells)
{
	struct doc_inline *row = doc_row(d, b, cls);
	for (size_t i = 0; row && i < b->table.ncols; i++)
		if (cells[i] && *cells[i])
			doc_span(d, &row[i], DOC_SPAN_TEXT, cells[i]);
}

struct doc_block *doc_chart(struct doc *d, struct doc_blocks *in,
			    const char *title)
{
	static const char *const heads[] = { "Label", "Value" };
	struct doc_block *b = doc_table(d, in, "chart", 2, heads, NULL);
	if (b) {
		b->kind = DOC_CHART;
		b->code = dup(d, title);
	}
	return b;
}

void doc_chart_bar(struct doc *d, struct doc_block *b, const char *label,
		   const char *value_text, uint64_t value)
{
	if (!b || !grow(d, (void **)&b->values, &b->valcap, b->table.nrows,
			sizeof(*b->values)))
		return;
	size_t n = b->table.nrows;
	doc_row_texts(d, b, NULL, (const char *const[]){ label, value_text });
	if (b->table.nrows > n)
		b->values[n] = value;
}

struct doc_block *doc_facts(struct doc *d, struct doc_blocks *in)
{
	static const char *const heads[] = { "Fact", "Value" };
	struct doc_block *b = doc_table(d, in, "facts", 2, heads, NULL);
	if (b)
		b->kind = DOC_FACTS;
	return b;
}

void doc_fact(struct doc *d, struct doc_block *b, const char *label,
	      const char *fmt, ...)
{
	struct doc_inline *row = doc_row(d, b, NULL);
	if (!row)
		return;
	doc_span(d, &row[0], DOC_SPAN_TEXT, label);
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(d, fmt, ap);
	va_end(ap);
	span_take(d, &row[1], DOC_SPAN_TEXT, s, NULL);
}

struct doc_inline *doc_item(struct doc *d, struct doc_block *b)
{
	if (!b || !grow(d, (void **)&b->items, &b->itemcap, b->nitems,
			sizeof(*b->items)))
		return NULL;
	struct doc_inline *it = &b->items[b->nitems++];
	memset(it, 0, sizeof(*it));
	return it;
}

void doc_item_text(struct doc *d, struct doc_block *b, const char *text)
{
	doc_span(d, doc_item(d, b), DOC_SPAN_TEXT, text);
}

struct doc_block *doc_text_block(struct doc *d, struct doc_blocks *in,
				 enum doc_block_kind kind, const char *text)
{
	struct doc_block *b = doc_block(d, in, kind, NULL);
	if (b)
		b->code = clean(d, text, 0);	/* lines kept */
	return b;
}

void doc_stack_frame(struct doc *d, struct doc_block *b,
		     const struct doc_frame *fr)
{
	if (!b)
		return;
	struct doc_stack *s = &b->stack;
	if (!grow(d, (void **)&s->v, &s->cap, s->n, sizeof(*s->v)))
		return;
	struct doc_frame *o = &s->v[s->n++];
	*o = *fr;
	o->fold = fr->fold ? dup(d, fr->fold) : NULL;
	o->index = dup(d, fr->index);
	o->pc = dup(d, fr->pc);
	o->where = dup(d, fr->where);
	o->module = dup(d, fr->module);
	o->location = dup(d, fr->location);
}

const struct doc_section *doc_find(const struct doc *d, const char *id)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->sections[i]->id && !strcmp(d->sections[i]->id, id))
			return d->sections[i];
	return NULL;
}

/* --- freeing ---------------------------------------------------------------- */

void doc_free(struct doc *d)
{
	if (!d)
		return;
	for (struct doc_chunk *c = d->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	cr_buf_free(&d->scratch);
	free(d);
}
