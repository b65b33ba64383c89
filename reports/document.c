/*
 * document.c - the report document's data: adding sections, blocks and
 * spans, and freeing it all (see document.h).  What goes into a report is
 * decided in doc_build.c; how it looks, in md.c and html.c.
 */
#include "document.h"

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

/* Grow *V (of *CAP elements of SIZE bytes) to hold N + 1.  Most runs of
 * spans are one span (a table cell), and a report of 100,000 threads has
 * half a million cells: they start with room for one. */
static bool grow(struct doc *d, void **v, size_t *cap, size_t n, size_t size)
{
	if (d->oom)
		return false;
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : size == sizeof(struct doc_span) ? 1 : 4;
	size_t bytes;
	if (__builtin_mul_overflow(ncap, size, &bytes)) {
		d->oom = true;
		return false;
	}
	void *p = realloc(*v, bytes);
	if (!p) {
		d->oom = true;
		return false;
	}
	*v = p;
	*cap = ncap;
	return true;
}

static char *dup(struct doc *d, const char *s)
{
	if (d->oom)
		return NULL;
	char *p = strdup(s ? s : "");
	if (!p)
		d->oom = true;
	return p;
}

/* A zeroed element of SIZE bytes appended to the pointer array *V. */
static void *append_new(struct doc *d, void ***v, size_t *n, size_t *cap,
			size_t size)
{
	if (!grow(d, (void **)v, cap, *n, sizeof(**v)))
		return NULL;
	void *p = calloc(1, size);
	if (!p) {
		d->oom = true;
		return NULL;
	}
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
	return s;
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
	    !grow(d, (void **)&in->v, &in->cap, in->n, sizeof(*in->v))) {
		free(text);
		return;
	}
	struct doc_span *s = &in->v[in->n];
	s->kind = kind;
	s->text = text;
	s->target = target ? dup(d, target) : NULL;
	if (target && !s->target) {
		free(text);
		return;
	}
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
	b->table.headers = calloc(ncols, sizeof(char *));
	b->table.cols = calloc(ncols, sizeof(enum doc_col));
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
	struct doc_inline *cells = calloc(t->ncols, sizeof(*cells));
	if (!cells) {
		d->oom = true;
		return NULL;
	}
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
		b->code = dup(d, text);
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

static void inline_free(struct doc_inline *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].text);
		free(in->v[i].target);
	}
	free(in->v);
}

static void blocks_free(struct doc_blocks *bs);

static void block_free(struct doc_block *b)
{
	inline_free(&b->text);
	struct doc_table *t = &b->table;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			inline_free(&t->rows[r].cells[c]);
		free(t->rows[r].cells);
	}
	free(t->rows);
	for (size_t c = 0; t->headers && c < t->ncols; c++)
		free(t->headers[c]);
	free(t->headers);
	free(t->cols);
	for (size_t i = 0; i < b->stack.n; i++) {
		struct doc_frame *f = &b->stack.v[i];
		free(f->fold);
		free(f->index);
		free(f->pc);
		free(f->where);
		free(f->module);
		free(f->location);
	}
	free(b->stack.v);
	free(b->stack.end);
	free(b->code);
	for (size_t i = 0; i < b->nitems; i++)
		inline_free(&b->items[i]);
	free(b->items);
	blocks_free(&b->body);
	free(b);
}

static void blocks_free(struct doc_blocks *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		block_free(bs->v[i]);
	free(bs->v);
}

void doc_free(struct doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct doc_section *s = d->sections[i];
		free(s->id);
		free(s->title);
		blocks_free(&s->blocks);
		free(s);
	}
	free(d->sections);
	free(d->title);
	inline_free(&d->summary);
	free(d);
}
