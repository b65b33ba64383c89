/*
 * leaks_finding.c - the leaks pass's finding, probable-leak: how many
 * in-use allocations nothing reaches, grouped by chunk size, with a sample
 * of their addresses and the first bytes of one.
 *
 * The rule against false alarms: a healthy process has a few unreachable
 * chunks of its own (buffers glibc or the dynamic loader allocated once
 * and reach through a pointer the mark cannot see, a pointer stored
 * shifted or XORed, an allocation whose only pointer a register lost at
 * the moment of the dump).  Measured with the heap pass's walk on the
 * controls of tests/e2e/leaks.py (corpus/heap_leak keepall and freeall,
 * kernel core and gcore) and on python3 holding 530,038 bytearrays: 0
 * unreachable chunks on each; a walk that took the tcache's chunks for in
 * use found 54 on the freeall control and on python3.  So, with a margin
 * for other programs:
 *  - fewer than QUIET_COUNT chunks and less than QUIET_BYTES: no finding;
 *  - at least WARN_COUNT chunks or WARN_BYTES: a warning;
 *  - in between: information (worth a look, not an alarm).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "leaks.h"
#include "pass.h"

#define QUIET_COUNT 32u
#define QUIET_BYTES (64u << 10)
#define WARN_COUNT 256u
#define WARN_BYTES (1u << 20)
/* Rows of the table of chunk sizes. */
#define TOP_CLASSES 8
/* Sizes told apart (open addressing, a power of two); more sizes than
 * this go to one "other sizes" row. */
#define CLASS_SLOTS 8192u
/* Leaked addresses shown, and bytes shown of the first of them. */
#define SAMPLE_ADDRS 8
#define SAMPLE_BYTES 32

struct size_class {
	uint64_t size;		/* 0: empty slot */
	uint64_t count, bytes;
	size_t first;		/* its first leaked chunk */
};

/* "1.5 MiB" into BUF (at least 32 bytes); returns BUF. */
static const char *fmt_bytes(char *buf, uint64_t n)
{
	static const char units[][4] = { "KiB", "MiB", "GiB", "TiB" };
	if (n < 1024) {
		snprintf(buf, 32, "%" PRIu64 " bytes", n);
		return buf;
	}
	double v = (double)n / 1024;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 32, "%.*f %s", v < 10 ? 1 : 0, v, units[u]);
	return buf;
}

/* Count chunk I of SIZE into its class of CLASSES, or into OTHER. */
static void count_one(struct size_class *classes, struct size_class *other,
		      size_t i, uint64_t size)
{
	struct size_class *c = other;
	uint64_t slot = (size >> 3) * 0x9e3779b97f4a7c15ull >> 51;
	for (unsigned probe = 0; probe < 64 && size; probe++) {
		struct size_class *s = &classes[(slot + probe) & (CLASS_SLOTS - 1)];
		if (s->size == size || !s->size) {
			c = s;
			break;
		}
	}
	if (!c->count)
		c->first = i;
	c->size = c == other ? 0 : size;
	c->count++;
	c->bytes += size;
}

/* Count the leaked chunks by size into CLASSES (CLASS_SLOTS entries) and
 * OTHER (the sizes that found no slot). */
static void count_classes(const struct cr_heap *h, const struct cr_leaks *l,
			  struct size_class *classes, struct size_class *other)
{
	size_t nwords = (h->nchunks + 63) / 64;
	for (size_t w = 0; w < nwords; w++) {
		/* Over the leaked bits only, a word at a time. */
		for (uint64_t bits = l->leaked[w]; bits; bits &= bits - 1) {
			size_t i = w * 64 + (unsigned)__builtin_ctzll(bits);
			count_one(classes, other, i,
				  cr_chunk_size(&h->chunks[i]));
		}
	}
}

static int class_order(const void *x, const void *y)
{
	const struct size_class *a = x, *b = y;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return a->size < b->size ? -1 : a->size > b->size;
}

static bool class_table(struct cr_finding *f, const struct size_class *top,
			size_t ntop, const struct size_class *other)
{
	static const char *const headers[] = {
		"chunk size", "allocations", "bytes",
	};
	struct cr_table *t = cr_finding_table(f, "leaked by chunk size", 3,
					      headers);
	if (!t)
		return false;
	for (size_t i = 0; i <= ntop; i++) {
		const struct size_class *c = i < ntop ? &top[i] : other;
		if (!c->count)
			continue;
		char size[32], count[CR_COUNT_LEN], bytes[32];
		if (c == other)
			snprintf(size, sizeof(size), "other sizes");
		else
			snprintf(size, sizeof(size), "%" PRIu64, c->size);
		const char *cells[] = { size, cr_fmt_count(count, c->count),
					fmt_bytes(bytes, c->bytes) };
		if (!cr_table_row(t, cells))
			return false;
	}
	return true;
}

/* The addresses of up to SAMPLE_ADDRS leaked chunks of size SIZE (0: any
 * size) from chunk FIRST on, as text. */
static bool sample_text(struct cr_finding *f, const struct cr_heap *h,
			const struct cr_leaks *l, size_t first, uint64_t size)
{
	char buf[SAMPLE_ADDRS * 20 + 1] = "";
	size_t len = 0, n = 0;
	for (size_t i = first; i < h->nchunks && n < SAMPLE_ADDRS; i++) {
		if (!cr_leaks_has(l, i) ||
		    (size && cr_chunk_size(&h->chunks[i]) != size))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s0x%" PRIx64,
					n ? " " : "", h->chunks[i].addr);
		n++;
	}
	return cr_finding_text(f, "sample of leaked addresses", "%s", buf);
}

/* The first bytes of chunk I as hex and printable characters. */
static bool first_bytes(struct cr_pass_ctx *ctx, struct cr_finding *f,
			const struct cr_heap *h, size_t i)
{
	const struct cr_heap_chunk *c = &h->chunks[i];
	uint64_t size = cr_chunk_size(c);
	uint8_t b[SAMPLE_BYTES];
	size_t want = size > 2u * h->word ? (size_t)(size - 2u * h->word) : 0;
	if (want > sizeof(b))
		want = sizeof(b);
	size_t n = cr_dump_read_cold(ctx->dump, c->addr, b, want);
	if (!n)
		return true;	/* not captured: no evidence */
	char text[SAMPLE_BYTES / 16 * 80 + 1];
	size_t len = 0;
	for (size_t row = 0; row < n; row += 16) {
		char hex[16 * 3 + 1] = "", chars[17] = "";
		for (size_t k = 0; k < 16 && row + k < n; k++) {
			uint8_t ch = b[row + k];
			snprintf(hex + 3 * k, 4, "%02x ", ch);
			chars[k] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
		}
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s+%02zx  %-48s %s", row ? "\n" : "", row,
					hex, chars);
	}
	return cr_finding_address(f, "leaked allocation shown", c->addr,
				  "in the heap") &&
	       cr_finding_code(f, "its first bytes", text);
}

const char *cr_leaks_missing_text(char *buf, size_t len,
				  const struct cr_leaks_missing *m)
{
	char count[CR_COUNT_LEN], bytes[32];
	int n = 0;
	buf[0] = 0;
	if (m->stacks)
		n = snprintf(buf, len, "%s thread%s", cr_fmt_count(count, m->stacks),
			     m->stacks == 1 ? "'s stack" : "s' stacks");
	if (m->writable_bytes && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s%s of writable memory",
			 n ? " and " : "", fmt_bytes(bytes, m->writable_bytes));
	return buf;
}

bool cr_leaks_report(struct cr_pass_ctx *ctx, const struct cr_heap *h,
		     const struct cr_leaks *l)
{
	const struct cr_leaks_missing *missing = &l->missing;
	if (l->nleaked < QUIET_COUNT && l->leaked_bytes < QUIET_BYTES)
		return true;
	/* With roots missing, what they alone reach is counted too: not an
	 * alarm, however much. */
	bool lacks = missing->stacks || missing->writable_bytes;
	bool many = missing->stacks > 1 ||
		    (missing->stacks && missing->writable_bytes);
	enum cr_severity sev = !lacks && (l->nleaked >= WARN_COUNT ||
					  l->leaked_bytes >= WARN_BYTES)
		? CR_SEVERITY_WARNING : CR_SEVERITY_INFO;
	struct size_class *classes = calloc(CLASS_SLOTS, sizeof(*classes));
	if (!classes)
		return false;
	struct size_class other = { 0 };
	count_classes(h, l, classes, &other);
	size_t n = 0;	/* the used slots to the front, biggest first */
	for (size_t i = 0; i < CLASS_SLOTS; i++)
		if (classes[i].count)
			classes[n++] = classes[i];
	qsort(classes, n, sizeof(*classes), class_order);
	/* The sizes past the table's rows go to "other sizes" too, so that
	 * the rows add up to the title's total. */
	for (size_t i = TOP_CLASSES; i < n; i++) {
		other.count += classes[i].count;
		other.bytes += classes[i].bytes;
	}

	char count[CR_COUNT_LEN], bytes[32], roots[96];
	struct cr_finding *f = cr_pass_finding(ctx, CR_FINDING_PROBABLE_LEAK, sev,
		"%s allocation%s (%s) %s referenced from nowhere (leaked)",
		cr_fmt_count(count, l->nleaked), l->nleaked == 1 ? "" : "s",
		fmt_bytes(bytes, l->leaked_bytes),
		l->nleaked == 1 ? "is" : "are");
	bool ok = cr_finding_detail(f,
		"No pointer in the registers, the live stacks, the writable "
		"memory outside the heap or a reachable heap allocation points "
		"into these allocations, so the program can no longer free "
		"them.%s",
		h->complete ? "" : " The heap walk was incomplete: what it "
		"could not walk was counted as a root, but some of these may "
		"be reachable from there.") &&
		(!lacks || cr_finding_text(f, "roots missing from the dump",
			"%s %s not in the dump: what %s point%s to is counted "
			"as leaked.", cr_leaks_missing_text(roots, sizeof(roots), missing),
			many ? "are" : "is", many ? "they" : "it",
			many ? "" : "s")) &&
		cr_finding_number(f, "leaked allocations", (int64_t)l->nleaked,
				  NULL) &&
		cr_finding_number(f, "leaked bytes", (int64_t)l->leaked_bytes,
				  "bytes") &&
		class_table(f, classes, n < TOP_CLASSES ? n : TOP_CLASSES,
			    &other);
	if (ok && n) {
		ok = sample_text(f, h, l, classes[0].first, classes[0].size) &&
		     first_bytes(ctx, f, h, classes[0].first);
	}
	free(classes);
	return ok || !f;
}
