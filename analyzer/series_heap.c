/*
 * series_heap.c - the heap's growth across a series of one process's
 * dumps (series_heap.h): what only several dumps show of a leak, the
 * classes of allocations that keep growing and how fast.
 *
 * Each dump was analyzed alone first, so each has its heap statistics
 * (the "heapstats" pass, passes/heap_stats.h): every size class (chunk
 * size) with its count, sorted by size.  A class is the same class in
 * every dump (glibc's chunk size is a function of the requested size), so
 * matching is a merge of the first and the last dump's sorted classes; a
 * class's count in the middle dumps, for "monotonic", is a binary search.
 * The growth is last minus first; the classes that grew most by bytes are
 * kept (CR_SERIES_HEAP_CLASSES), with what they hold when a dump sampled
 * them (a vtable's type or text: only a dump's top classes are sampled,
 * and a class growing enough to matter is one of them by the last dump).
 *
 * The warning: the heap's bytes in use grew by at least
 * CR_SERIES_HEAP_GROWTH_PERCENT of the first dump's and at least
 * CR_SERIES_HEAP_GROWTH_MIN.  Below it, an information finding says the
 * heap did not grow, with the same tables: a series taken for a hang
 * answers "is it also leaking?" too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "heap_stats.h"
#include "pass.h"
#include "series.h"
#include "series_heap.h"
#include "strbuf.h"

void cr_series_heap_free(struct cr_series_heap *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nclasses; i++) {
		free(h->classes[i].type);
		free(h->classes[i].text);
		free(h->classes[i].counts);
	}
	free(h->classes);
	free(h->dumps);
	free(h);
}

bool cr_series_heap_changed(const struct cr_series_heap *h)
{
	if (!h)
		return false;
	const struct cr_series_heap_dump *a = &h->dumps[h->first];
	for (size_t i = h->first + 1; i <= h->last; i++) {
		const struct cr_series_heap_dump *d = &h->dumps[i];
		if (d->known && (d->in_use_bytes != a->in_use_bytes ||
				 d->in_use_count != a->in_use_count))
			return true;
	}
	return false;
}

bool cr_series_heap_rate(const struct cr_series_heap *h, double growth,
			 double *per_minute)
{
	if (!(h->seconds > 0))
		return false;
	*per_minute = growth / h->seconds * 60;
	return true;
}

/* ------------------------------------------------------------ matching */

static int cmp_class_size(const void *key, const void *elem)
{
	uint64_t size = *(const uint64_t *)key;
	const struct cr_heap_class *c = elem;
	return size < c->size ? -1 : size > c->size;
}

/* The class of chunk size SIZE in S, NULL none (classes by size). */
static const struct cr_heap_class *class_of(const struct cr_heap_stats *s,
					    uint64_t size)
{
	return s->nclasses ? bsearch(&size, s->classes, s->nclasses,
				     sizeof(*s->classes), cmp_class_size)
			   : NULL;
}

/* A class that grew: its chunk size and bytes of growth. */
struct growth {
	uint64_t size, bytes;
};

static int cmp_growth(const void *x, const void *y)
{
	const struct growth *a = x, *b = y;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return a->size < b->size ? -1 : a->size > b->size;
}

/*
 * The classes of LAST with more in use than in FIRST (absent: none), by
 * bytes of growth, largest first; *N of them.  Both class arrays are
 * sorted by size: one merge.  NULL with *N 0 when none grew; NULL with
 * *N SIZE_MAX when out of memory.
 */
static struct growth *growing(const struct cr_heap_stats *first,
			      const struct cr_heap_stats *last, size_t *n)
{
	*n = 0;
	struct growth *g = last->nclasses
		? calloc(last->nclasses, sizeof(*g)) : NULL;
	if (last->nclasses && !g) {
		*n = SIZE_MAX;
		return NULL;
	}
	size_t j = 0;
	for (size_t i = 0; i < last->nclasses; i++) {
		const struct cr_heap_class *c = &last->classes[i];
		while (j < first->nclasses && first->classes[j].size < c->size)
			j++;
		size_t before = j < first->nclasses &&
				first->classes[j].size == c->size
			? first->classes[j].count : 0;
		uint64_t bytes;
		if (c->count <= before ||
		    __builtin_mul_overflow((uint64_t)(c->count - before),
					   c->size, &bytes))
			continue;
		g[(*n)++] = (struct growth){ c->size, bytes };
	}
	if (*n)
		qsort(g, *n, sizeof(*g), cmp_growth);
	return g;
}

/* What class SIZE holds, from the latest dump that sampled it. */
static bool name_class(struct cr_series_heap_class *c,
		       const struct cr_heap_stats *const *st, size_t n)
{
	for (size_t i = n; i-- > 0 && !c->type && !c->text;) {
		const struct cr_heap_class *k = st[i] ? class_of(st[i], c->size)
						      : NULL;
		if (!k || !k->content)
			continue;
		if (k->content->type && !(c->type = strdup(k->content->type)))
			return false;
		if (!c->type && k->content->text &&
		    !(c->text = strdup(k->content->text)))
			return false;
	}
	return true;
}

/* Fill class C (chunk size and growth set) from the dumps' stats ST. */
static bool fill_class(const struct cr_series_heap *h,
		       struct cr_series_heap_class *c,
		       const struct cr_heap_stats *const *st)
{
	c->usable = c->size > h->header ? c->size - h->header : 0;
	c->counts = calloc(h->ndumps, sizeof(*c->counts));
	if (!c->counts)
		return false;
	c->monotonic = true;
	size_t prev = 0;
	bool seen = false;
	for (size_t i = 0; i < h->ndumps; i++) {
		if (!st[i])
			continue;
		const struct cr_heap_class *k = class_of(st[i], c->size);
		c->counts[i] = k ? k->count : 0;
		c->monotonic &= !seen || c->counts[i] >= prev;
		prev = c->counts[i];
		seen = true;
	}
	c->count_growth = c->counts[h->last] - c->counts[h->first];
	const struct cr_heap_class *k = class_of(st[h->last], c->size);
	c->leaked_known = st[h->last]->leaks_known;
	c->leaked_last = k ? k->leaked_count : 0;
	return name_class(c, st, h->ndumps);
}

/* The totals of each dump, the first and last walked ones; false when
 * fewer than two dumps have heap statistics. */
static bool totals(struct cr_series_heap *h,
		   const struct cr_heap_stats *const *st)
{
	size_t known = 0;
	uint64_t prev = 0;
	h->monotonic = true;
	for (size_t i = 0; i < h->ndumps; i++) {
		struct cr_series_heap_dump *d = &h->dumps[i];
		if (!st[i])
			continue;
		d->known = true;
		d->in_use_bytes = st[i]->in_use_bytes;
		d->in_use_count = st[i]->in_use_count;
		d->leaks_known = st[i]->leaks_known;
		d->leaked_count = st[i]->leaked_count;
		d->leaked_bytes = st[i]->leaked_bytes;
		h->monotonic &= !known || d->in_use_bytes >= prev;
		prev = d->in_use_bytes;
		if (!known++)
			h->first = i;
		h->last = i;
	}
	return known >= 2;
}

/* ------------------------------------------------------------ words */

/* "Order objects (200-byte blocks)" or "1,000-byte blocks". */
static char *class_words(const struct cr_series_heap_class *c)
{
	char n[CR_FMT_LEN];
	cr_fmt_thousands(c->usable, n, sizeof(n));
	return c->type ? cr_strdup_printf("%s objects (%s-byte blocks)",
					  c->type, n)
		       : cr_strdup_printf("%s-byte blocks", n);
}

/* "+4,000/min" of a count, "" when the series has no time. */
static void count_rate(const struct cr_series_heap *h, uint64_t growth,
		       char *buf, size_t len)
{
	double pm;
	char n[CR_FMT_LEN];
	if (!cr_series_heap_rate(h, (double)growth, &pm)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "+%s/min",
		 cr_fmt_thousands((uint64_t)(pm + 0.5), n, sizeof(n)));
}

/* "+3.8 MiB/min" of bytes, "" when the series has no time. */
static void bytes_rate(const struct cr_series_heap *h, double growth,
		       char *buf, size_t len)
{
	double pm;
	char n[CR_FMT_LEN];
	if (!cr_series_heap_rate(h, growth, &pm)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "%s%s/min", pm < 0 ? "-" : "+",
		 cr_fmt_bytes((uint64_t)(pm < 0 ? -pm : pm), n, sizeof(n)));
}

/* COUNT chunks of SIZE bytes, saturated (counts come from a dump). */
static uint64_t chunk_bytes(uint64_t count, uint64_t size)
{
	uint64_t v;
	return __builtin_mul_overflow(count, size, &v) ? UINT64_MAX : v;
}

/* A row of the growing classes' table. */
static void class_row(struct cr_table *tab, const struct cr_series_heap *h,
		      const struct cr_series_heap_class *c)
{
	char a[CR_FMT_LEN], b[CR_FMT_LEN], g[CR_FMT_LEN];
	char ba[CR_FMT_LEN], bb[CR_FMT_LEN], cr[48], br[48], leaked[CR_FMT_LEN];
	uint64_t first = c->counts[h->first], last = c->counts[h->last];
	char *size = cr_strdup_printf("%s bytes",
				      cr_fmt_thousands(c->usable, a, sizeof(a)));
	char *holds = c->type ? strdup(c->type) :
		c->text ? cr_strdup_printf("text: %s", c->text) : NULL;
	char *count = cr_strdup_printf("%s → %s (+%s)",
		cr_fmt_thousands(first, a, sizeof(a)),
		cr_fmt_thousands(last, b, sizeof(b)),
		cr_fmt_thousands(c->count_growth, g, sizeof(g)));
	char *bytes = cr_strdup_printf("%s → %s",
		cr_fmt_bytes(chunk_bytes(first, c->size), ba, sizeof(ba)),
		cr_fmt_bytes(chunk_bytes(last, c->size), bb, sizeof(bb)));
	count_rate(h, c->count_growth, cr, sizeof(cr));
	bytes_rate(h, (double)c->bytes_growth, br, sizeof(br));
	char *rate = cr[0] ? cr_strdup_printf("%s, %s", cr, br) : NULL;
	const char *row[] = {
		size, holds, count, bytes, rate ? rate : "unknown",
		c->monotonic ? "yes" : "no",
		c->leaked_known ? cr_fmt_thousands(c->leaked_last, leaked,
						   sizeof(leaked)) : "unknown",
	};
	cr_table_row(tab, row);
	free(size);
	free(holds);
	free(count);
	free(bytes);
	free(rate);
}

static void dumps_table(struct cr_finding *f, const struct cr_series_heap *h)
{
	static const char *const headers[] = {
		"dump", "heap in use", "allocations", "leaked",
	};
	struct cr_table *tab = cr_finding_table(f, "heap in each dump", 4,
						headers);
	for (size_t i = 0; tab && i < h->ndumps; i++) {
		const struct cr_series_heap_dump *d = &h->dumps[i];
		char n[CR_FMT_LEN], b[CR_FMT_LEN], c[CR_FMT_LEN], lb[CR_FMT_LEN];
		char *dump = cr_strdup_printf("%zu", i + 1);
		char *leaked = d->known && d->leaks_known
			? cr_strdup_printf("%s (%s)",
				cr_fmt_thousands(d->leaked_count, c, sizeof(c)),
				cr_fmt_bytes(d->leaked_bytes, lb, sizeof(lb)))
			: NULL;
		const char *row[] = {
			dump,
			d->known ? cr_fmt_bytes(d->in_use_bytes, b, sizeof(b))
				 : "not walked",
			d->known ? cr_fmt_thousands(d->in_use_count, n, sizeof(n))
				 : NULL,
			leaked ? leaked : d->known ? "unknown" : NULL,
		};
		cr_table_row(tab, row);
		free(dump);
		free(leaked);
	}
}

static void classes_table(struct cr_finding *f,
			  const struct cr_series_heap *h)
{
	static const char *const headers[] = {
		"block size", "holds", "count first → last", "bytes first → last",
		"growth per minute", "monotonic", "leaked in the last dump",
	};
	struct cr_table *tab = h->nclasses
		? cr_finding_table(f, "size classes that grew", 7, headers) : NULL;
	for (size_t i = 0; tab && i < h->nclasses; i++)
		class_row(tab, h, &h->classes[i]);
	if (h->ngrowing > h->nclasses)
		cr_finding_number(f, "growing classes not listed",
				  (int64_t)(h->ngrowing - h->nclasses), NULL);
}

/* "over 2.0 s" or "across the 3 dumps" (the order clock). */
static void span_words(const struct cr_series_heap *h, size_t ndumps,
		       char *buf, size_t len)
{
	if (h->seconds > 0)
		snprintf(buf, len, "over %.1f s", h->seconds);
	else
		snprintf(buf, len, "across the %zu dumps", ndumps);
}

static void add_finding(struct cr_pass_ctx *ctx, const struct cr_series_heap *h)
{
	const struct cr_series_heap_dump *a = &h->dumps[h->first];
	const struct cr_series_heap_dump *b = &h->dumps[h->last];
	char from[CR_FMT_LEN], to[CR_FMT_LEN], span[48], rate[64], pct[32];
	cr_fmt_bytes(a->in_use_bytes, from, sizeof(from));
	cr_fmt_bytes(b->in_use_bytes, to, sizeof(to));
	span_words(h, h->last - h->first + 1, span, sizeof(span));
	bytes_rate(h, (double)h->growth_bytes, rate, sizeof(rate));
	double percent = a->in_use_bytes
		? (double)h->growth_bytes * 100 / (double)a->in_use_bytes : 0;
	if (a->in_use_bytes)
		snprintf(pct, sizeof(pct), " (%+.0f%%)", percent);
	else
		pct[0] = '\0';
	struct cr_finding *f;
	if (h->grew) {
		const struct cr_series_heap_class *top = &h->classes[0];
		char *what = class_words(top);
		char n1[CR_FMT_LEN], n2[CR_FMT_LEN], g[CR_FMT_LEN];
		f = cr_pass_finding(ctx, CR_FINDING_SERIES_HEAP_GROWTH,
			CR_SEVERITY_WARNING,
			"the heap in use grew from %s to %s%s %s%s%s; most in %s: +%s (%s → %s)",
			from, to, pct, span, rate[0] ? ", " : "", rate,
			what ? what : "one size class",
			cr_fmt_thousands(top->count_growth, g, sizeof(g)),
			cr_fmt_thousands(top->counts[h->first], n1, sizeof(n1)),
			cr_fmt_thousands(top->counts[h->last], n2, sizeof(n2)));
		if (top->type)
			cr_finding_signature(f, "heap-growth: %s objects",
					     top->type);
		else
			cr_finding_signature(f, "heap-growth: %llu-byte blocks",
					     (unsigned long long)top->usable);
		free(what);
	} else {
		f = cr_pass_finding(ctx, CR_FINDING_SERIES_HEAP_GROWTH,
			CR_SEVERITY_INFO,
			"the heap in use did not grow %s: %s → %s%s",
			span, from, to, pct);
	}
	cr_finding_detail(f, "Each dump's heap was walked on its own; a size class (allocations of one chunk size, shown as the usable block size: what the program asked for, rounded up) is matched between the first and the last dump with a walked heap, and its growth is the difference of its live allocations. The heap counts as growing when its bytes in use rose by at least %d%% and at least %s. Monotonic: never fewer than in the dump before. Leaked: allocations nothing in the last dump points to (the leaks pass); a class that grows while reachable is held on purpose, such as a cache or a queue with no bound.",
		CR_SERIES_HEAP_GROWTH_PERCENT, "1 MiB");
	cr_finding_number(f, "heap growth", h->growth_bytes, "bytes");
	double pm;
	if (cr_series_heap_rate(h, (double)h->growth_bytes, &pm))
		cr_finding_number(f, "heap growth per minute",
				  (int64_t)(pm + (pm < 0 ? -0.5 : 0.5)), "bytes");
	if (a->in_use_bytes)
		cr_finding_number(f, "heap growth share",
				  (int64_t)(percent + (percent < 0 ? -0.5 : 0.5)), "%");
	dumps_table(f, h);
	classes_table(f, h);
}

/* ------------------------------------------------------------ entry */

bool cr_series_heap(struct cr_pass_ctx *ctx, struct cr_series *s,
		    const struct cr_series_input *in)
{
	const struct cr_heap_stats **st = calloc(s->ndumps, sizeof(*st));
	struct cr_series_heap *h = calloc(1, sizeof(*h));
	bool ok = false;
	if (!st || !h)
		goto out;
	h->ndumps = s->ndumps;
	h->dumps = calloc(s->ndumps, sizeof(*h->dumps));
	if (!h->dumps)
		goto out;
	for (size_t i = 0; i < s->ndumps; i++) {
		st[i] = cr_heap_stats_of(in[i].analysis);
		if (st[i] && !h->header)
			h->header = st[i]->header;
	}
	if (!totals(h, st)) {
		ok = true;	/* nothing to compare: no facts, no finding */
		goto out;
	}
	if (s->clock != CR_SERIES_CLOCK_ORDER)
		h->seconds = s->dumps[h->last].time - s->dumps[h->first].time;
	uint64_t a = h->dumps[h->first].in_use_bytes;
	uint64_t b = h->dumps[h->last].in_use_bytes;
	h->growth_bytes = b >= a ? (int64_t)(b - a) : -(int64_t)(a - b);
	size_t n;
	struct growth *g = growing(st[h->first], st[h->last], &n);
	if (n == SIZE_MAX)
		goto out;
	h->ngrowing = n;
	n = n < CR_SERIES_HEAP_CLASSES ? n : CR_SERIES_HEAP_CLASSES;
	h->classes = n ? calloc(n, sizeof(*h->classes)) : NULL;
	if (n && !h->classes) {
		free(g);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct cr_series_heap_class *c = &h->classes[h->nclasses++];
		c->size = g[i].size;
		c->bytes_growth = g[i].bytes;
		if (!fill_class(h, c, st)) {
			free(g);
			goto out;
		}
	}
	free(g);
	h->grew = b > a && b - a >= CR_SERIES_HEAP_GROWTH_MIN &&
		  (double)(b - a) * 100 >=
			  (double)a * CR_SERIES_HEAP_GROWTH_PERCENT &&
		  h->nclasses > 0;
	add_finding(ctx, h);
	s->heap = h;
	h = NULL;
	ok = true;
out:
	cr_series_heap_free(h);
	free(st);
	return ok;
}
