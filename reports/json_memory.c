/*
 * json_memory.c - the JSON report's "address_space" and "heap" objects
 * (docs/report-schema.md), from what the "address-space", "heap",
 * "leaks" and "heapstats" passes kept.  Byte counts are integers, sizes
 * of chunks too (a chunk size fits a JSON number); addresses are hex.
 */
#include <stdio.h>
#include <stdlib.h>

#include "address_space.h"
#include "heap.h"
#include "heap_stats.h"
#include "json_util.h"
#include "pass.h"

/* Size classes the histogram lists at most (json_histogram). */
#define HISTOGRAM_MAX 64

static json_t *json_total(struct jctx *j, const char *key, const char *name,
			  const struct cr_as_total *t)
{
	json_t *o = json_object();
	set(j, o, key, name ? json_string(name) : json_null());
	set(j, o, "regions", json_integer((json_int_t)t->count));
	set(j, o, "bytes", jbytes(t->bytes));
	return o;
}

json_t *report_json_address_space(struct jctx *j)
{
	const struct cr_as_summary *s = cr_as_summary_of(j->a);
	if (!s)
		return json_null();
	json_t *o = json_object();
	set(j, o, "source", json_string(s->from_memory ? "captured memory"
							 : "regions"));
	set(j, o, "regions", json_integer((json_int_t)s->all.count));
	set(j, o, "bytes", jbytes(s->all.bytes));
	json_t *kinds = json_array();
	for (size_t k = 0; k < CR_AS_NKINDS && !j->oom; k++)
		push(j, kinds, json_total(j, "kind", cr_as_kind_name(k),
					  &s->kinds[k]));
	set(j, o, "kinds", kinds);
	json_t *prots = json_array();
	for (unsigned p = 0; p < CR_AS_NPROT && !j->oom; p++)
		if (s->prots[p].count)
			push(j, prots, json_total(j, "protection",
						  cr_as_prot_name(p), &s->prots[p]));
	if (s->prot_unknown.count)
		push(j, prots, json_total(j, "protection", NULL, &s->prot_unknown));
	set(j, o, "protections", prots);
	json_t *largest = json_array();
	for (size_t i = 0; i < s->nlargest && !j->oom; i++) {
		const struct cr_as_region *r = &s->largest[i];
		json_t *ro = json_object();
		set(j, ro, "start", jhex(r->start));
		set(j, ro, "bytes", jbytes(r->end - r->start));
		set(j, ro, "kind", json_string(cr_as_kind_name(r->kind)));
		set(j, ro, "protection", r->prot_known
			? json_string(cr_as_prot_name(r->prot)) : json_null());
		set(j, ro, "path", jstr(r->path));
		push(j, largest, ro);
	}
	set(j, o, "largest", largest);
	json_t *heaps = s->nt_heaps_known ? json_array() : json_null();
	for (size_t i = 0; s->nt_heaps_known && i < s->nnt_heaps && !j->oom; i++)
		push(j, heaps, jhex(s->nt_heaps[i]));
	set(j, o, "process_heaps", heaps);
	set(j, o, "heap_walked", json_boolean(s->heap_walked));
	return o;
}

static json_t *json_content(struct jctx *j, const struct cr_heap_content *ct)
{
	json_t *o = json_object();
	set(j, o, "sampled", json_integer((json_int_t)ct->sampled));
	set(j, o, "type", jstr(ct->type));
	set(j, o, "type_count", json_integer((json_int_t)ct->type_count));
	char hex[CR_HEAP_SIG_MAX * 2 + 1];
	for (size_t i = 0; i < ct->sig_len; i++)
		snprintf(&hex[i * 2], 3, "%02x", ct->sig[i]);
	hex[ct->sig_len * 2] = 0;
	set(j, o, "signature", ct->sig_len ? json_string(hex) : json_null());
	set(j, o, "signature_count", json_integer((json_int_t)ct->sig_count));
	set(j, o, "text", jstr(ct->text));
	set(j, o, "text_count", json_integer((json_int_t)ct->text_count));
	return o;
}

static json_t *json_class(struct jctx *j, const struct cr_heap_stats *s,
			  size_t i)
{
	const struct cr_heap_class *c = &s->classes[i];
	json_t *o = json_object();
	set(j, o, "chunk_size", jbytes(c->size));
	set(j, o, "usable_size", jbytes(cr_heap_usable(s, c)));
	set(j, o, "count", json_integer((json_int_t)c->count));
	set(j, o, "larger_count", json_integer((json_int_t)c->larger));
	set(j, o, "bytes", jbytes(c->bytes));
	set(j, o, "free_count", json_integer((json_int_t)c->free_count));
	set(j, o, "leaked_count", s->leaks_known
		? json_integer((json_int_t)c->leaked_count) : json_null());
	set(j, o, "content", c->content ? json_content(j, c->content)
					: json_null());
	return o;
}

static json_t *json_top(struct jctx *j, const struct cr_heap_stats *s,
			const size_t *top, size_t n)
{
	json_t *a = json_array();
	for (size_t k = 0; k < n && !j->oom; k++)
		push(j, a, json_class(j, s, top[k]));
	return a;
}

static json_t *json_arena(struct jctx *j, const struct cr_heap_arena *ar)
{
	json_t *o = json_object();
	set(j, o, "address", jhex(ar->addr));
	set(j, o, "main", json_boolean(ar->main));
	set(j, o, "system_bytes", jbytes(ar->system_mem));
	set(j, o, "in_use_bytes", jbytes(ar->in_use_bytes));
	set(j, o, "in_use_count", json_integer((json_int_t)ar->in_use_count));
	set(j, o, "free_bytes", jbytes(ar->free_bytes));
	set(j, o, "free_count", json_integer((json_int_t)ar->free_count));
	set(j, o, "heaps", json_integer((json_int_t)ar->nheaps));
	return o;
}

/* A class's place in the histogram's choice: in-use bytes, then free. */
struct ranked {
	uint64_t bytes, free_bytes;
	size_t i;
};

static int ranked_cmp(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? 1 : -1;
	if (a->free_bytes != b->free_bytes)
		return a->free_bytes < b->free_bytes ? 1 : -1;
	return a->i > b->i ? 1 : a->i < b->i ? -1 : 0;
}

static int index_cmp(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a > b ? 1 : a < b ? -1 : 0;
}

/*
 * "histogram": at most HISTOGRAM_MAX size classes, those holding the most
 * bytes in use (then free), by chunk size ascending; "histogram_other"
 * the rest summed, null when nothing is left out.  A heap of many sizes
 * (every size up to megabytes is a class) made a report of megabytes.
 */
static void json_histogram(struct jctx *j, json_t *o,
			   const struct cr_heap_stats *s)
{
	size_t n = s->nclasses, *keep = NULL;
	struct ranked *r = NULL;
	if (n > HISTOGRAM_MAX) {
		r = malloc(n * sizeof(*r));
		keep = malloc(HISTOGRAM_MAX * sizeof(*keep));
		if (!r || !keep) {
			free(r);
			free(keep);
			j->oom = true;
			return;
		}
		for (size_t i = 0; i < n; i++) {
			const struct cr_heap_class *c = &s->classes[i];
			uint64_t fb;
			if (__builtin_mul_overflow(c->size, c->free_count, &fb))
				fb = UINT64_MAX;
			r[i] = (struct ranked){ c->bytes, fb, i };
		}
		qsort(r, n, sizeof(*r), ranked_cmp);
		for (size_t k = 0; k < HISTOGRAM_MAX; k++)
			keep[k] = r[k].i;
		qsort(keep, HISTOGRAM_MAX, sizeof(*keep), index_cmp);
	}
	size_t shown = keep ? HISTOGRAM_MAX : n;
	json_t *hist = json_array();
	for (size_t k = 0; k < shown && !j->oom; k++) {
		const struct cr_heap_class *c = &s->classes[keep ? keep[k] : k];
		json_t *co = json_object();
		set(j, co, "chunk_size", jbytes(c->size));
		set(j, co, "count", json_integer((json_int_t)c->count));
		set(j, co, "free_count", json_integer((json_int_t)c->free_count));
		push(j, hist, co);
	}
	set(j, o, "histogram", hist);
	json_t *other = json_null();
	if (keep) {
		size_t count = 0, free_count = 0;
		uint64_t bytes = 0;
		for (size_t k = HISTOGRAM_MAX; k < n; k++) {
			const struct cr_heap_class *c = &s->classes[r[k].i];
			count += c->count;
			free_count += c->free_count;
			bytes += c->bytes;
		}
		other = json_object();
		set(j, other, "classes", json_integer((json_int_t)(n - HISTOGRAM_MAX)));
		set(j, other, "count", json_integer((json_int_t)count));
		set(j, other, "free_count", json_integer((json_int_t)free_count));
		set(j, other, "bytes", jbytes(bytes));
	}
	set(j, o, "histogram_other", other);
	free(r);
	free(keep);
}

/* The statistics part of "heap" (null members when no statistics). */
static void json_stats(struct jctx *j, json_t *o, const struct cr_heap *h,
		       const struct cr_heap_stats *s)
{
	if (!s) {
		static const char *const keys[] = {
			"totals", "histogram", "histogram_other",
			"top_by_bytes", "top_by_count",
			"largest", "fragmentation", "leaks",
		};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			set(j, o, keys[i], json_null());
		return;
	}
	json_t *t = json_object();
	set(j, t, "in_use_bytes", jbytes(s->in_use_bytes));
	set(j, t, "in_use_count", json_integer((json_int_t)s->in_use_count));
	set(j, t, "free_bytes", jbytes(s->free_bytes));
	set(j, t, "free_count", json_integer((json_int_t)s->free_count));
	set(j, t, "overhead_bytes", jbytes(s->overhead_bytes));
	set(j, t, "header_bytes", json_integer(s->header));
	set(j, o, "totals", t);
	json_histogram(j, o, s);
	set(j, o, "top_by_bytes", json_top(j, s, s->by_bytes, s->nby_bytes));
	set(j, o, "top_by_count", json_top(j, s, s->by_count, s->nby_count));
	json_t *big = json_array();
	for (size_t i = 0; i < s->nlargest && !j->oom; i++) {
		const struct cr_heap_chunk *c = &h->chunks[s->largest[i]];
		json_t *co = json_object();
		set(j, co, "address", jhex(c->addr));
		set(j, co, "chunk_size", jbytes(cr_chunk_size(c)));
		set(j, co, "mmapped", json_boolean(cr_chunk_state(c) == CR_CHUNK_MMAPPED));
		push(j, big, co);
	}
	set(j, o, "largest", big);
	json_t *fr = json_object();
	set(j, fr, "free_outside_top_bytes", jbytes(s->free_outside_top));
	set(j, fr, "top_free_bytes", jbytes(s->top_free_bytes));
	set(j, fr, "largest_free_bytes", jbytes(s->largest_free));
	set(j, fr, "fragmentation_percent", s->free_bytes
		? json_real((double)s->free_outside_top * 100 / (double)s->free_bytes)
		: json_null());
	set(j, o, "fragmentation", fr);
	json_t *lk = json_null();
	const struct cr_leaks *l = cr_leaks_of(j->a);
	if (s->leaks_known && l) {
		lk = json_object();
		set(j, lk, "count", json_integer((json_int_t)s->leaked_count));
		set(j, lk, "bytes", jbytes(s->leaked_bytes));
		json_t *mr = json_object();
		set(j, mr, "stacks", json_integer((json_int_t)l->missing.stacks));
		set(j, mr, "writable_bytes", jbytes(l->missing.writable_bytes));
		set(j, lk, "missing_roots", mr);
	}
	set(j, o, "leaks", lk);
}

json_t *report_json_heap(struct jctx *j)
{
	const struct cr_heap *h = cr_pass_kept(j->a, "heap");
	if (!h)
		return json_null();
	json_t *o = json_object();
	set(j, o, "allocator", jstr(h->allocator_name));
	set(j, o, "walked", json_boolean(h->walked));
	set(j, o, "skipped", jstr(h->skipped));
	set(j, o, "complete", json_boolean(h->complete));
	set(j, o, "corruptions", json_integer((json_int_t)h->ncorrupt));
	json_t *arenas = json_array();
	for (size_t i = 0; h->walked && i < h->narenas && !j->oom; i++)
		push(j, arenas, json_arena(j, &h->arenas[i]));
	set(j, o, "arenas", arenas);
	json_stats(j, o, h, h->walked ? cr_heap_stats_of(j->a) : NULL);
	return o;
}
