/*
 * heap_stats.c - the "heapstats" pass: what uses the heap.  From the
 * chunks the "heap" pass walked (passes/heap.h) and the unreached ones the
 * "leaks" pass marked, it sums the heap (in use, free, header overhead),
 * groups the chunks into size classes (one per chunk size: the histogram),
 * ranks the classes by bytes and by count, keeps the largest allocations
 * and the fragmentation (free bytes outside the arenas' top chunks), and
 * for the top classes reads a bounded sample of their allocations to say
 * what they hold:
 *   a type:      the first word points into `vtable for X` (the Itanium
 *                C++ ABI puts the vtable pointer first in a polymorphic
 *                object; the symbol names the class);
 *   a signature: the longest leading bytes (4 to 16) most samples share
 *                (a struct's constant header, a magic number);
 *   text:        most samples start with printable text (a string buffer,
 *                JSON), one sample kept.
 * At most CR_HEAP_SAMPLE chunks per class, spread evenly over the class,
 * so the time is bounded whatever the heap's size; the chunks are walked
 * twice (the classes, then the samples), with a hash table from size to
 * class.
 *
 * The high-memory finding: the heap's in-use bytes are at least
 * HIGH_MEMORY_MIN and at least HIGH_MEMORY_SHARE percent of the process's
 * private memory (the address-space summary's heap and private kinds).  A
 * small healthy program never reaches the absolute size; a big process
 * whose memory is mostly file mappings or stacks is not a heap problem.
 * The title names the top class by bytes and what it holds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address_space.h"
#include "error.h"
#include "heap.h"
#include "heap_stats.h"
#include "pass.h"
#include "util.h"

#define HIGH_MEMORY_MIN (256ull << 20)	/* bytes in use */
#define HIGH_MEMORY_SHARE 50		/* percent of private memory */
#define SIG_MIN 4			/* shortest signature reported */
#define TEXT_MIN 8			/* printable bytes to call it text */
#define VTABLE_PREFIX "vtable for "
#define FOLD_RATIO 100		/* a class this many times larger absorbs
				 * the one just above it (fold_unsplit) */

/* --- size classes -------------------------------------------------------- */

/* Open addressing from chunk size to class index (sizes are never 0). */
struct class_map {
	uint64_t *keys;
	size_t *idx;
	size_t cap;		/* a power of two */
};

static size_t slot_of(const struct class_map *m, uint64_t size)
{
	size_t i = (size_t)((size >> 3) * 0x9e3779b97f4a7c15ull) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != size)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static bool map_grow(struct class_map *m)
{
	struct class_map n = { NULL, NULL, m->cap ? m->cap * 2 : 64 };
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.idx = calloc(n.cap, sizeof(*n.idx));
	if (!n.keys || !n.idx) {
		free(n.keys);
		free(n.idx);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t s = slot_of(&n, m->keys[i]);
		n.keys[s] = m->keys[i];
		n.idx[s] = m->idx[i];
	}
	free(m->keys);
	free(m->idx);
	*m = n;
	return true;
}

struct stats_build {
	struct cr_pass_ctx *ctx;
	const struct cr_heap *h;
	const struct cr_leaks *leaks;
	struct cr_heap_stats *s;
	struct class_map map;
	size_t cap;		/* of s->classes */
};

/* The class of SIZE, created when new; NULL when out of memory. */
static struct cr_heap_class *class_for(struct stats_build *b, uint64_t size)
{
	struct cr_heap_stats *s = b->s;
	if ((s->nclasses + 1) * 2 > b->map.cap && !map_grow(&b->map))
		return NULL;
	size_t slot = slot_of(&b->map, size);
	if (b->map.keys[slot])
		return &s->classes[b->map.idx[slot]];
	if (!CR_GROW(s->classes, b->cap, s->nclasses + 1))
		return NULL;
	b->map.keys[slot] = size;
	b->map.idx[slot] = s->nclasses;
	struct cr_heap_class *c = &s->classes[s->nclasses++];
	memset(c, 0, sizeof(*c));
	c->size = size;
	return c;
}

static int class_cmp(const void *x, const void *y)
{
	const struct cr_heap_class *a = x, *b = y;
	return a->size < b->size ? -1 : a->size > b->size;
}

/*
 * Insert VALUE's index I into TOP (N of CR_HEAP_TOP used, largest value
 * first; VALUE_OF gives an index's value) when it is one of the largest.
 */
static void top_insert(size_t *top, size_t *n, size_t i, uint64_t value,
		       uint64_t (*value_of)(const struct stats_build *, size_t),
		       const struct stats_build *b)
{
	size_t k = *n;
	if (k == CR_HEAP_TOP) {
		if (value <= value_of(b, top[k - 1]))
			return;
		k--;
	} else {
		(*n)++;
	}
	while (k > 0 && value_of(b, top[k - 1]) < value) {
		top[k] = top[k - 1];
		k--;
	}
	top[k] = i;
}

static uint64_t chunk_bytes(const struct stats_build *b, size_t i)
{
	return cr_chunk_size(&b->h->chunks[i]);
}

static uint64_t class_bytes(const struct stats_build *b, size_t i)
{
	return b->s->classes[i].bytes;
}

static uint64_t class_count(const struct stats_build *b, size_t i)
{
	return b->s->classes[i].count;
}

static int index_cmp(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a < b ? -1 : a > b;
}

/*
 * The arenas' top chunks, sorted; *N of them.  A top chunk is free and
 * ends its heap segment exactly (the walk's range); a heap its arena grew
 * out of ends in fenceposts instead, the old top freed before them, so
 * no other free chunk reaches a segment's end.  Not "the arena's
 * highest-address chunk": a new heap is mmapped below the old ones.  An
 * mmapped chunk's range ends with that chunk, which is not free.  NULL
 * with *N 0 when out of memory (then the fragmentation counts the tops as
 * free chunks).
 */
static size_t *top_chunks(const struct cr_heap *h, size_t *n)
{
	size_t *tops = calloc(h->nranges ? h->nranges : 1, sizeof(*tops));
	uint64_t hdr = 2 * (uint64_t)(h->word ? h->word : 8);
	*n = 0;
	for (size_t r = 0; tops && r < h->nranges; r++) {
		uint64_t start = h->ranges[r].start, end = h->ranges[r].end;
		/* The chunk holding the range's last byte. */
		ssize_t i = end > start ? cr_heap_chunk_at(h, end - 1) : -1;
		if (i < 0)
			continue;
		const struct cr_heap_chunk *c = &h->chunks[i];
		uint64_t cend;
		if (c->addr < start + hdr ||
		    cr_chunk_state(c) != CR_CHUNK_FREE ||
		    __builtin_add_overflow(c->addr - hdr, cr_chunk_size(c), &cend) ||
		    cend != end)
			continue;
		tops[(*n)++] = (size_t)i;
	}
	if (tops)
		qsort(tops, *n, sizeof(*tops), index_cmp);
	return tops;
}

/* One walk over the chunks: totals, classes, largest, fragmentation. */
static bool sum_chunks(struct stats_build *b)
{
	const struct cr_heap *h = b->h;
	struct cr_heap_stats *s = b->s;
	size_t ntops, t = 0;
	size_t *tops = top_chunks(h, &ntops);
	if (!tops)
		return false;
	for (size_t i = 0; i < h->nchunks; i++) {
		const struct cr_heap_chunk *ch = &h->chunks[i];
		uint64_t size = cr_chunk_size(ch);
		enum cr_chunk_state st = cr_chunk_state(ch);
		if (size == 0 || st == CR_CHUNK_INTERNAL)
			continue;
		struct cr_heap_class *c = class_for(b, size);
		if (!c) {
			free(tops);
			return false;
		}
		if (st == CR_CHUNK_FREE) {
			c->free_count++;
			s->free_count++;
			s->free_bytes += size;
			while (t < ntops && tops[t] < i)
				t++;
			if (t < ntops && tops[t] == i) {
				s->top_free_bytes += size;
				continue;
			}
			s->free_outside_top += size;
			if (size > s->largest_free)
				s->largest_free = size;
			continue;
		}
		c->count++;
		c->bytes += size;
		s->in_use_count++;
		s->in_use_bytes += size;
		if (cr_leaks_has(b->leaks, i)) {
			c->leaked_count++;
			c->leaked_bytes += size;
			s->leaked_count++;
			s->leaked_bytes += size;
		}
		top_insert(s->largest, &s->nlargest, i, size, chunk_bytes, b);
	}
	free(tops);
	s->overhead_bytes = (uint64_t)s->in_use_count * s->header;
	return true;
}

/*
 * glibc's malloc hands out a free chunk up to MINSIZE (4 words) - 1 bytes
 * larger than the request when the rest is too small to split off
 * (_int_malloc's "exhaust" case): of python3's 530,038 bytearray(1000)
 * buffers, 4 sit in 1,040-byte chunks beside 530,034 of 1,024.  Which
 * chunks those are cannot be told from a class of the program's own (a
 * planted 80-byte class of 500 beside 100,000 chunks of 64 looks the
 * same), so every class keeps its own count, the probable-leak table's
 * grouping, and a class within MINSIZE above one FOLD_RATIO times its
 * count is only shown as a figure of that one (`larger`: "+4 in slightly
 * larger chunks").
 */
static void fold_unsplit(struct cr_heap_stats *s)
{
	uint64_t minsize = 4 * (uint64_t)s->header;
	for (size_t i = s->nclasses; i-- > 1;) {
		const struct cr_heap_class *big = &s->classes[i];
		for (size_t j = i; big->count && j-- > 0 &&
				   big->size - s->classes[j].size < minsize;) {
			struct cr_heap_class *c = &s->classes[j];
			if (big->count <= c->count / FOLD_RATIO) {
				c->larger += big->count;
				break;	/* the nearest one only */
			}
		}
	}
}

/* --- what the top classes hold ------------------------------------------- */

/* The first bytes of one sampled chunk and the vtable it points to. */
struct sample {
	uint8_t bytes[CR_HEAP_TEXT_MAX];
	size_t len;		/* read */
	const char *type;	/* after "vtable for ", static; NULL none */
};

struct class_samples {
	struct sample s[CR_HEAP_SAMPLE];
	size_t n, seen, stride;
};

static bool printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

/* Printable bytes S starts with. */
static size_t text_run(const struct sample *s)
{
	size_t n = 0;
	while (n < s->len && printable(s->bytes[n]))
		n++;
	return n;
}

static void read_sample(struct stats_build *b, const struct cr_heap_class *c,
			uint64_t addr, struct sample *out)
{
	uint64_t usable = cr_heap_usable(b->s, c), word;
	const char *fn, *mod;
	uint64_t off;
	const struct cr_target *t = &b->ctx->target;
	size_t want = usable < sizeof(out->bytes) ? (size_t)usable
						  : sizeof(out->bytes);
	/* Cold: the samples are spread over the whole heap, and reads
	 * through the dump's mapping kept 54 MiB of it resident on
	 * tests/bench/bench_heap.sh's heap.  What is not captured of the
	 * chunk's tail is left out. */
	out->len = cr_dump_read_cold(b->ctx->dump, addr, out->bytes, want);
	out->type = NULL;
	word = 0;
	unsigned w = t->word_size == 4 ? 4 : 8;
	for (unsigned i = 0; i < w && out->len >= w; i++)
		word |= (uint64_t)out->bytes[t->big_endian ? i : w - 1 - i]
			<< 8 * (w - 1 - i);
	if (out->len >= b->s->header && word &&
	    cr_pass_symbolize(b->ctx, word, &fn, &off, &mod) && fn &&
	    !strncmp(fn, VTABLE_PREFIX, strlen(VTABLE_PREFIX)))
		out->type = fn + strlen(VTABLE_PREFIX);
}

/* The type most samples share, when at least half do. */
static bool name_type(const struct class_samples *cs, struct cr_heap_content *ct)
{
	for (size_t i = 0; i < cs->n; i++) {
		if (!cs->s[i].type)
			continue;
		size_t same = 0;
		for (size_t j = 0; j < cs->n; j++)
			same += cs->s[j].type && !strcmp(cs->s[i].type, cs->s[j].type);
		if (same * 2 >= cs->n) {
			ct->type_count = same;
			return (ct->type = strdup(cs->s[i].type)) != NULL;
		}
	}
	return true;
}

/* The longest leading bytes more than half the samples share. */
static void name_signature(const struct class_samples *cs,
			   struct cr_heap_content *ct)
{
	for (size_t len = CR_HEAP_SIG_MAX; len >= SIG_MIN; len--) {
		for (size_t i = 0; i < cs->n; i++) {
			if (cs->s[i].len < len)
				continue;
			size_t same = 0;
			for (size_t j = 0; j < cs->n; j++)
				same += cs->s[j].len >= len &&
					!memcmp(cs->s[i].bytes, cs->s[j].bytes, len);
			if (same * 2 > cs->n) {
				memcpy(ct->sig, cs->s[i].bytes, len);
				ct->sig_len = len;
				ct->sig_count = same;
				return;
			}
		}
	}
}

/* A text sample when at least half the samples start with text. */
static bool name_text(const struct class_samples *cs, struct cr_heap_content *ct)
{
	const struct sample *first = NULL;
	size_t count = 0;
	for (size_t i = 0; i < cs->n; i++) {
		size_t run = text_run(&cs->s[i]);
		bool text = run >= TEXT_MIN ||
			    (run >= SIG_MIN && run < cs->s[i].len &&
			     cs->s[i].bytes[run] == 0);
		if (!text)
			continue;
		count++;
		if (!first)
			first = &cs->s[i];
	}
	if (count * 2 < cs->n || !first)
		return true;
	size_t run = text_run(first);
	if (run >= CR_HEAP_TEXT_MAX)
		run = CR_HEAP_TEXT_MAX - 1;
	if (!(ct->text = malloc(run + 1)))
		return false;
	memcpy(ct->text, first->bytes, run);
	ct->text[run] = 0;
	ct->text_count = count;
	return true;
}

/* Mark the top classes for sampling: a content each and a sample set. */
static struct class_samples **plan_samples(struct cr_heap_stats *s)
{
	struct class_samples **cs = calloc(s->nclasses, sizeof(*cs));
	const size_t *lists[] = { s->by_bytes, s->by_count };
	const size_t lens[] = { s->nby_bytes, s->nby_count };
	for (size_t l = 0; cs && l < ARRAY_LEN(lists); l++) {
		for (size_t k = 0; k < lens[l]; k++) {
			size_t i = lists[l][k];
			struct cr_heap_class *c = &s->classes[i];
			if (cs[i])
				continue;
			cs[i] = calloc(1, sizeof(*cs[i]));
			c->content = calloc(1, sizeof(*c->content));
			if (!cs[i] || !c->content)
				return cs;	/* the caller sees the NULLs */
			cs[i]->stride = c->count / CR_HEAP_SAMPLE;
			if (cs[i]->stride == 0)
				cs[i]->stride = 1;
		}
	}
	return cs;
}

static struct cr_heap_class *class_of_size(struct cr_heap_stats *s,
					   uint64_t size)
{
	struct cr_heap_class key = { .size = size };
	return bsearch(&key, s->classes, s->nclasses, sizeof(key), class_cmp);
}

/* The second walk: read the samples, then name each top class. */
static bool name_contents(struct stats_build *b)
{
	struct cr_heap_stats *s = b->s;
	const struct cr_heap *h = b->h;
	struct class_samples **cs = plan_samples(s);
	bool ok = cs != NULL;
	for (size_t i = 0; ok && i < s->nclasses; i++)
		ok = !!cs[i] == !!s->classes[i].content;
	for (size_t i = 0; ok && i < h->nchunks; i++) {
		const struct cr_heap_chunk *ch = &h->chunks[i];
		if (!cr_chunk_in_use(ch))
			continue;
		struct cr_heap_class *c = class_of_size(s, cr_chunk_size(ch));
		struct class_samples *set = c ? cs[c - s->classes] : NULL;
		if (!set || set->n == CR_HEAP_SAMPLE || set->seen++ % set->stride)
			continue;
		read_sample(b, c, ch->addr, &set->s[set->n++]);
	}
	for (size_t i = 0; ok && i < s->nclasses; i++) {
		struct cr_heap_content *ct = s->classes[i].content;
		if (!ct)
			continue;
		ct->sampled = cs[i]->n;
		name_signature(cs[i], ct);
		ok = name_type(cs[i], ct) && name_text(cs[i], ct);
	}
	for (size_t i = 0; cs && i < s->nclasses; i++)
		free(cs[i]);
	free(cs);
	return ok;
}

/* --- the finding ---------------------------------------------------------- */

const char *cr_fmt_thousands(uint64_t v, char *buf, size_t len)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

const char *cr_fmt_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	double x = (double)v;
	size_t u = 0;
	while (x >= 1024 && u + 1 < ARRAY_LEN(units)) {
		x /= 1024;
		u++;
	}
	bool tenths = u && x < 10 && x != (double)(uint64_t)x;
	snprintf(buf, len, tenths ? "%.1f %s" : "%.0f %s", x, units[u]);
	return buf;
}

static unsigned percent(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)((long double)part * 100 / whole + 0.5) : 0;
}

/* What class C holds, for the title: "; 97% of them start with the same
 * 16 bytes" etc., "" when unknown. */
static void content_phrase(const struct cr_heap_class *c, char *buf, size_t len)
{
	const struct cr_heap_content *ct = c->content;
	buf[0] = 0;
	if (!ct || !ct->sampled)
		return;
	if (ct->type)
		snprintf(buf, len, "; %u%% of them are %s objects (vtable)",
			 percent(ct->type_count, ct->sampled), ct->type);
	else if (ct->text)
		snprintf(buf, len, "; %u%% of them hold text like \"%.32s\"",
			 percent(ct->text_count, ct->sampled), ct->text);
	else if (ct->sig_len)
		snprintf(buf, len, "; %u%% of them start with the same %zu bytes%s",
			 percent(ct->sig_count, ct->sampled), ct->sig_len,
			 ct->sig[0] == 0 && !memcmp(ct->sig, ct->sig + 1, ct->sig_len - 1)
				 ? " (zeros)" : "");
}

static bool high_memory(struct cr_pass_ctx *ctx, const struct cr_heap_stats *s)
{
	const struct cr_as_summary *as = cr_as_summary_of(ctx->analysis);
	if (!as || !s->nby_bytes || s->in_use_bytes < HIGH_MEMORY_MIN)
		return true;
	uint64_t priv = as->kinds[CR_AS_HEAP].bytes + as->kinds[CR_AS_PRIVATE].bytes;
	if (percent(s->in_use_bytes, priv) < HIGH_MEMORY_SHARE)
		return true;
	const struct cr_heap_class *c = &s->classes[s->by_bytes[0]];
	char count[32], usable[32], bytes[32], total[32], privb[32], what[128];
	cr_fmt_thousands(c->count, count, sizeof(count));
	cr_fmt_thousands(cr_heap_usable(s, c), usable, sizeof(usable));
	cr_fmt_bytes(c->bytes, bytes, sizeof(bytes));
	content_phrase(c, what, sizeof(what));
	char larger[64] = "";
	if (c->larger) {
		char n[32];
		snprintf(larger, sizeof(larger), " (+%s in slightly larger chunks)",
			 cr_fmt_thousands(c->larger, n, sizeof(n)));
	}
	struct cr_finding *f = cr_pass_finding(ctx, CR_FINDING_HIGH_MEMORY,
		CR_SEVERITY_WARNING,
		"%s live allocations of %s bytes%s hold %s, %u%% of the heap in use%s",
		count, usable, larger, bytes, percent(c->bytes, s->in_use_bytes),
		what);
	if (!f)
		return false;
	cr_fmt_bytes(s->in_use_bytes, total, sizeof(total));
	cr_fmt_bytes(priv, privb, sizeof(privb));
	return cr_finding_text(f, "heap in use", "%s in %zu allocations", total,
			       s->in_use_count) &&
	       cr_finding_text(f, "private memory", "%s (the heap holds %u%%)",
			       privb, percent(s->in_use_bytes, priv)) &&
	       cr_finding_number(f, "top class count", (int64_t)c->count,
				 "allocations") &&
	       cr_finding_number(f, "top class usable size",
				 (int64_t)cr_heap_usable(s, c), "bytes");
}

/* --- the pass ------------------------------------------------------------- */

void cr_heap_stats_free(void *stats)
{
	struct cr_heap_stats *s = stats;
	if (!s)
		return;
	for (size_t i = 0; i < s->nclasses; i++) {
		struct cr_heap_content *ct = s->classes[i].content;
		if (ct) {
			free(ct->type);
			free(ct->text);
			free(ct);
		}
	}
	free(s->classes);
	free(s);
}

const struct cr_heap_stats *cr_heap_stats_of(const struct cr_analysis *a)
{
	return cr_pass_kept(a, "heapstats");
}

CR_PASS_RUN(run_heapstats)
{
	const struct cr_heap *h = cr_pass_kept(ctx->analysis, "heap");
	if (!h || !h->walked || !cr_heap_all_wanted(ctx))
		return NULL;	/* the heap pass, or the report, says why */
	const struct cr_leaks *leaks = cr_pass_kept(ctx->analysis, "leaks");
	struct stats_build b = { ctx, h, leaks && leaks->done ? leaks : NULL,
				 calloc(1, sizeof(*b.s)), { 0 }, 0 };
	struct cr_heap_stats *s = b.s;
	if (!s)
		return &cr_enomem;
	s->header = h->word ? h->word : ctx->target.word_size;
	s->leaks_known = b.leaks != NULL;
	bool ok = sum_chunks(&b);
	free(b.map.keys);
	free(b.map.idx);
	if (ok) {
		qsort(s->classes, s->nclasses, sizeof(*s->classes), class_cmp);
		fold_unsplit(s);
		for (size_t i = 0; i < s->nclasses; i++) {
			if (!s->classes[i].count)
				continue;	/* only free chunks */
			top_insert(s->by_bytes, &s->nby_bytes, i,
				   s->classes[i].bytes, class_bytes, &b);
			top_insert(s->by_count, &s->nby_count, i,
				   s->classes[i].count, class_count, &b);
		}
		ok = name_contents(&b) && high_memory(ctx, s);
	}
	if (!ok) {
		cr_heap_stats_free(s);
		return &cr_enomem;
	}
	if (!cr_pass_keep(ctx, s, cr_heap_stats_free))
		return &cr_enomem;
	return NULL;
}
