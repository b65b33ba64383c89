/*
 * json_series_heap.c - series.heap of the JSON report: how the heap grew
 * across a series of one process's dumps (analyzer/series_heap.h;
 * docs/report-schema.md, "series").
 */
#include "json_util.h"
#include "series.h"
#include "series_heap.h"

/* A rate per minute, or null when the series has no time. */
static json_t *jrate(const struct cr_series_heap *h, double growth)
{
	double pm;
	return cr_series_heap_rate(h, growth, &pm) ? json_real(pm)
						   : json_null();
}

static json_t *json_dump_heap(struct jctx *j, const struct cr_series_heap_dump *d)
{
	if (!d->known)
		return json_null();
	json_t *o = json_object();
	set(j, o, "in_use_bytes", jbytes(d->in_use_bytes));
	set(j, o, "in_use_count", json_integer((json_int_t)d->in_use_count));
	set(j, o, "leaked_count", d->leaks_known
		? json_integer((json_int_t)d->leaked_count) : json_null());
	set(j, o, "leaked_bytes", d->leaks_known ? jbytes(d->leaked_bytes)
						 : json_null());
	return o;
}

static json_t *json_class(struct jctx *j, const struct cr_series_heap *h,
			  const struct cr_series_heap_class *c)
{
	json_t *o = json_object();
	set(j, o, "chunk_size", jbytes(c->size));
	set(j, o, "usable_size", jbytes(c->usable));
	set(j, o, "type", jstr(c->type));
	set(j, o, "text", jstr(c->text));
	json_t *counts = json_array();
	for (size_t i = 0; i < h->ndumps && !j->oom; i++)
		push(j, counts, h->dumps[i].known
		     ? json_integer((json_int_t)c->counts[i]) : json_null());
	set(j, o, "counts", counts);
	set(j, o, "count_growth", jbytes(c->count_growth));
	set(j, o, "bytes_growth", jbytes(c->bytes_growth));
	set(j, o, "count_per_minute", jrate(h, (double)c->count_growth));
	set(j, o, "bytes_per_minute", jrate(h, (double)c->bytes_growth));
	set(j, o, "monotonic", json_boolean(c->monotonic));
	set(j, o, "leaked_last", c->leaked_known
		? json_integer((json_int_t)c->leaked_last) : json_null());
	return o;
}

json_t *report_json_series_heap(struct jctx *j, const struct cr_series *s)
{
	const struct cr_series_heap *h = s->heap;
	if (!h)
		return json_null();
	json_t *o = json_object();
	json_t *dumps = json_array();
	for (size_t i = 0; i < h->ndumps && !j->oom; i++)
		push(j, dumps, json_dump_heap(j, &h->dumps[i]));
	set(j, o, "dumps", dumps);
	set(j, o, "first", json_integer((json_int_t)h->first));
	set(j, o, "last", json_integer((json_int_t)h->last));
	set(j, o, "growth_bytes", json_integer(h->growth_bytes));
	set(j, o, "bytes_per_minute", jrate(h, (double)h->growth_bytes));
	set(j, o, "monotonic", json_boolean(h->monotonic));
	set(j, o, "grew", json_boolean(h->grew));
	set(j, o, "growing_classes", json_integer((json_int_t)h->ngrowing));
	json_t *classes = json_array();
	for (size_t i = 0; i < h->nclasses && !j->oom; i++)
		push(j, classes, json_class(j, h, &h->classes[i]));
	set(j, o, "classes", classes);
	return o;
}
