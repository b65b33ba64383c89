/*
 * doc_memory.c - the report's "Memory" section: the address space by
 * kind and protection and its largest regions (the "address-space"
 * pass), then the heap: its totals, fragmentation and leaks, the top size
 * classes with what they hold, the largest allocations and, when there
 * are several, the arenas (the "heap", "leaks" and "heapstats" passes).  The kinds and the top
 * classes by bytes are also bar charts (HTML; Markdown has the tables).
 *
 * Sizes are chunk sizes as the allocator counts them; the tables show the
 * usable size (the chunk size minus its header) and say so.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "address_space.h"
#include "document.h"
#include "heap.h"
#include "heap_stats.h"
#include "pass.h"

#define TEXT_SHOWN 40	/* characters of a text sample in a table */

/* "518 MiB (542,758,912 bytes)" into BUF. */
static const char *size_text(uint64_t v, char *buf, size_t len)
{
	char h[CR_FMT_LEN], n[CR_FMT_LEN];
	cr_fmt_bytes(v, h, sizeof(h));
	if (v < 1024)
		snprintf(buf, len, "%s", h);
	else
		snprintf(buf, len, "%s (%s bytes)", h, cr_fmt_thousands(v, n, sizeof(n)));
	return buf;
}

static void address_space(struct doc *d, struct doc_blocks *in,
			  const struct cr_as_summary *s)
{
	char total[2 * CR_FMT_LEN], n[CR_FMT_LEN], b[CR_FMT_LEN];
	struct doc_block *p = doc_block(d, in, DOC_PARA, NULL);
	if (p)
		doc_spanf(d, &p->text, DOC_SPAN_TEXT,
			  "The address space: %s %s, %s.%s",
			  cr_fmt_thousands(s->all.count, n, sizeof(n)),
			  s->from_memory ? "captured memory ranges (the dump "
			  "lists no regions)" : "regions",
			  size_text(s->all.bytes, total, sizeof(total)),
			  s->heap_walked || s->nt_heaps_known ? "" :
			  " The heap was not walked: its memory is counted as "
			  "private.");

	struct doc_block *chart = doc_chart(d, in, "Address space by kind");
	static const char *const heads[] = { "Kind", "Regions", "Size" };
	static const enum doc_col cols[] = { DOC_COL_TEXT, DOC_COL_NUMBER,
					     DOC_COL_NUMBER };
	struct doc_block *t = doc_table(d, in, NULL, 3, heads, cols);
	for (size_t k = 0; k < CR_AS_NKINDS; k++) {
		const struct cr_as_total *kt = &s->kinds[k];
		if (!kt->count)
			continue;
		cr_fmt_bytes(kt->bytes, b, sizeof(b));
		doc_chart_bar(d, chart, cr_as_kind_name(k), b, kt->bytes);
		doc_row_texts(d, t, NULL, (const char *const[]){
			cr_as_kind_name(k),
			cr_fmt_thousands(kt->count, n, sizeof(n)), b });
	}

	static const char *const pheads[] = { "Protection", "Regions", "Size" };
	t = doc_table(d, in, NULL, 3, pheads, cols);
	for (unsigned k = 0; k <= CR_AS_NPROT; k++) {
		const struct cr_as_total *pt = k < CR_AS_NPROT ? &s->prots[k]
							       : &s->prot_unknown;
		if (pt->count)
			doc_row_texts(d, t, NULL, (const char *const[]){
				k < CR_AS_NPROT ? cr_as_prot_name(k) : "not recorded",
				cr_fmt_thousands(pt->count, n, sizeof(n)),
				cr_fmt_bytes(pt->bytes, b, sizeof(b)) });
	}

	doc_para(d, in, "label", "Largest regions");
	static const char *const lheads[] = { "Start", "Size", "Kind",
					      "Protection", "Path" };
	static const enum doc_col lcols[] = { DOC_COL_ADDRESS, DOC_COL_NUMBER,
		DOC_COL_TEXT, DOC_COL_CODE, DOC_COL_PATH };
	t = doc_table(d, in, NULL, 5, lheads, lcols);
	for (size_t i = 0; i < s->nlargest; i++) {
		const struct cr_as_region *r = &s->largest[i];
		char start[REPORT_NUM_LEN];
		doc_row_texts(d, t, NULL, (const char *const[]){
			report_fmt_hex(start, r->start, 0),
			cr_fmt_bytes(r->end - r->start, b, sizeof(b)),
			cr_as_kind_name(r->kind),
			r->prot_known ? cr_as_prot_name(r->prot) : "",
			r->path });
	}
	if (s->nt_heaps_known) {
		p = doc_block(d, in, DOC_PARA, NULL);
		doc_spanf(d, p ? &p->text : NULL, DOC_SPAN_TEXT,
			  "The PEB lists %zu process heaps%s", s->nnt_heaps,
			  s->nnt_heaps ? ": " : ".");
		for (size_t i = 0; p && i < s->nnt_heaps; i++) {
			char a[REPORT_NUM_LEN];
			if (i)
				doc_span(d, &p->text, DOC_SPAN_TEXT, ", ");
			doc_span(d, &p->text, DOC_SPAN_CODE,
				 report_fmt_hex(a, s->nt_heaps[i], 0));
		}
	}
}

/* What class C holds, in words ("" unknown). */
static const char *content_text(const struct cr_heap_class *c, char *buf,
				size_t len)
{
	const struct cr_heap_content *ct = c->content;
	buf[0] = 0;
	if (!ct || !ct->sampled)
		return buf;
	if (ct->type) {
		snprintf(buf, len, "%s objects (%zu of %zu sampled)", ct->type,
			 ct->type_count, ct->sampled);
	} else if (ct->text) {
		snprintf(buf, len, "text like \"%.*s\" (%zu of %zu sampled)",
			 TEXT_SHOWN, ct->text, ct->text_count, ct->sampled);
	} else if (ct->sig_len) {
		char hex[CR_HEAP_SIG_MAX * 3];
		for (size_t i = 0; i < ct->sig_len; i++)
			snprintf(&hex[i * 3], 4, "%02x%s", ct->sig[i],
				 i + 1 < ct->sig_len ? " " : "");
		snprintf(buf, len, "start with %s (%zu of %zu sampled)", hex,
			 ct->sig_count, ct->sampled);
	}
	return buf;
}

static void class_table(struct doc *d, struct doc_blocks *in,
			const struct cr_heap_stats *s, const char *label,
			const size_t *top, size_t ntop)
{
	doc_para(d, in, "label", label);
	static const char *const heads[] = { "Usable size", "Chunk size",
		"In use", "Bytes", "Free", "Leaked", "What they hold" };
	static const enum doc_col cols[] = { DOC_COL_NUMBER, DOC_COL_NUMBER,
		DOC_COL_NUMBER, DOC_COL_NUMBER, DOC_COL_NUMBER, DOC_COL_NUMBER,
		DOC_COL_TEXT };
	struct doc_block *t = doc_table(d, in, NULL, 7, heads, cols);
	for (size_t k = 0; k < ntop; k++) {
		const struct cr_heap_class *c = &s->classes[top[k]];
		char u[CR_FMT_LEN], cs[CR_FMT_LEN], n[CR_FMT_LEN], b[CR_FMT_LEN],
		     f[CR_FMT_LEN], l[CR_FMT_LEN], what[160];
		doc_row_texts(d, t, NULL, (const char *const[]){
			cr_fmt_thousands(cr_heap_usable(s, c), u, sizeof(u)),
			cr_fmt_thousands(c->size, cs, sizeof(cs)),
			cr_fmt_thousands(c->count, n, sizeof(n)),
			cr_fmt_bytes(c->bytes, b, sizeof(b)),
			cr_fmt_thousands(c->free_count, f, sizeof(f)),
			s->leaks_known ? cr_fmt_thousands(c->leaked_count, l,
							  sizeof(l)) : "",
			content_text(c, what, sizeof(what)) });
	}
}

static void heap_facts(struct doc *d, struct doc_blocks *in,
		       const struct cr_heap_stats *s, const struct cr_leaks *l)
{
	char a[2 * CR_FMT_LEN], n[CR_FMT_LEN];
	struct doc_block *f = doc_facts(d, in);
	doc_fact(d, f, "In use", "%s in %s allocations",
		 size_text(s->in_use_bytes, a, sizeof(a)),
		 cr_fmt_thousands(s->in_use_count, n, sizeof(n)));
	doc_fact(d, f, "Free", "%s in %s chunks",
		 size_text(s->free_bytes, a, sizeof(a)),
		 cr_fmt_thousands(s->free_count, n, sizeof(n)));
	doc_fact(d, f, "Headers", "%s (%u bytes per allocation)",
		 size_text(s->overhead_bytes, a, sizeof(a)), s->header);
	if (s->free_bytes) {
		char big[CR_FMT_LEN];
		doc_fact(d, f, "Fragmentation",
			 "%s free outside the top chunks (%.0f%% of the free "
			 "bytes); the largest free chunk %s",
			 size_text(s->free_outside_top, a, sizeof(a)),
			 (double)s->free_outside_top * 100 / (double)s->free_bytes,
			 cr_fmt_bytes(s->largest_free, big, sizeof(big)));
	}
	if (!s->leaks_known)
		return;
	doc_fact(d, f, "Leaked", "%s in %s allocations nothing points to",
		 size_text(s->leaked_bytes, a, sizeof(a)),
		 cr_fmt_thousands(s->leaked_count, n, sizeof(n)));
	/* What only the missing roots point to is among the leaked. */
	if (l && (l->missing.stacks || l->missing.writable_bytes)) {
		char roots[96];
		doc_fact(d, f, "Roots missing", "%s not in the dump: what only "
			 "they point to is counted as leaked",
			 cr_leaks_missing_text(roots, sizeof(roots), &l->missing));
	}
}

/* Each arena's totals, when there is more than one (one arena's are the
 * heap's, in the facts above). */
static void arenas(struct doc *d, struct doc_blocks *in, const struct cr_heap *h)
{
	if (h->narenas < 2)
		return;
	doc_para(d, in, "label", "Arenas");
	static const char *const heads[] = { "Arena", "Heaps", "In use",
		"In-use bytes", "Free", "Free bytes", "From the system" };
	static const enum doc_col cols[] = { DOC_COL_ADDRESS, DOC_COL_NUMBER,
		DOC_COL_NUMBER, DOC_COL_NUMBER, DOC_COL_NUMBER, DOC_COL_NUMBER,
		DOC_COL_NUMBER };
	struct doc_block *t = doc_table(d, in, NULL, 7, heads, cols);
	for (size_t i = 0; i < h->narenas; i++) {
		const struct cr_heap_arena *ar = &h->arenas[i];
		char a[REPORT_NUM_LEN + 8], nh[CR_FMT_LEN], n[CR_FMT_LEN],
		     b[CR_FMT_LEN], nf[CR_FMT_LEN], bf[CR_FMT_LEN],
		     sys[CR_FMT_LEN];
		report_fmt_hex(a, ar->addr, 0);
		if (ar->main)
			strcat(a, " (main)");
		doc_row_texts(d, t, NULL, (const char *const[]){
			a, cr_fmt_thousands(ar->nheaps, nh, sizeof(nh)),
			cr_fmt_thousands(ar->in_use_count, n, sizeof(n)),
			cr_fmt_bytes(ar->in_use_bytes, b, sizeof(b)),
			cr_fmt_thousands(ar->free_count, nf, sizeof(nf)),
			cr_fmt_bytes(ar->free_bytes, bf, sizeof(bf)),
			cr_fmt_bytes(ar->system_mem, sys, sizeof(sys)) });
	}
}

static void heap(struct doc *d, struct doc_blocks *in, const struct cr_heap *h,
		 const struct cr_heap_stats *s, const struct cr_leaks *l)
{
	struct doc_block *p = doc_block(d, in, DOC_PARA, NULL);
	const char *name = h->allocator_name ? h->allocator_name
					     : "allocator not recognised";
	if (!h->walked) {
		const char *why = h->skipped ? h->skipped :
			h->allocator != CR_HEAP_NONE && h->allocator != CR_HEAP_GLIBC
			? "coroner walks glibc's malloc only" : NULL;
		doc_spanf(d, p ? &p->text : NULL, DOC_SPAN_TEXT,
			  "The heap (%s) was not walked%s%s.", name,
			  why ? ": " : "", why ? why : "");
		return;
	}
	if (!s) {
		doc_spanf(d, p ? &p->text : NULL, DOC_SPAN_TEXT,
			  "The heap (%s): %zu arena%s, walked%s for corruption "
			  "(%zu found). Its statistics and leaks are computed "
			  "for dumps taken on demand, out-of-memory crashes "
			  "and with --heap.", name, h->narenas,
			  h->narenas == 1 ? "" : "s",
			  h->complete ? " completely" : " in part", h->ncorrupt);
		arenas(d, in, h);
		return;
	}
	doc_spanf(d, p ? &p->text : NULL, DOC_SPAN_TEXT,
		  "The heap (%s): %zu arena%s, walked%s. Sizes of allocations "
		  "are usable sizes: the chunk size minus its %u-byte header.",
		  h->allocator_name ? h->allocator_name : "allocator unnamed",
		  h->narenas, h->narenas == 1 ? "" : "s",
		  h->complete ? " completely" : " in part", s->header);
	heap_facts(d, in, s, l);

	struct doc_block *chart = doc_chart(d, in, "Top size classes by bytes");
	for (size_t k = 0; k < s->nby_bytes; k++) {
		const struct cr_heap_class *c = &s->classes[s->by_bytes[k]];
		char label[2 * CR_FMT_LEN + 16], u[CR_FMT_LEN], n[CR_FMT_LEN],
		     b[CR_FMT_LEN];
		snprintf(label, sizeof(label), "%s bytes x %s",
			 cr_fmt_thousands(cr_heap_usable(s, c), u, sizeof(u)),
			 cr_fmt_thousands(c->count, n, sizeof(n)));
		doc_chart_bar(d, chart, label, cr_fmt_bytes(c->bytes, b, sizeof(b)),
			      c->bytes);
	}
	class_table(d, in, s, "Top size classes by bytes", s->by_bytes, s->nby_bytes);
	class_table(d, in, s, "Top size classes by count", s->by_count, s->nby_count);

	doc_para(d, in, "label", "Largest allocations");
	static const char *const heads[] = { "Address", "Usable size", "Mapped" };
	static const enum doc_col cols[] = { DOC_COL_ADDRESS, DOC_COL_NUMBER,
					     DOC_COL_TEXT };
	struct doc_block *t = doc_table(d, in, NULL, 3, heads, cols);
	for (size_t i = 0; i < s->nlargest; i++) {
		const struct cr_heap_chunk *c = &h->chunks[s->largest[i]];
		char a[REPORT_NUM_LEN], u[CR_FMT_LEN];
		uint64_t size = cr_chunk_size(c);
		bool mapped = cr_chunk_state(c) == CR_CHUNK_MMAPPED;
		/* An mmapped chunk has no next chunk whose prev_size field it
		 * could use: its whole two-word header is overhead. */
		uint64_t hdr = (mapped ? 2u : 1u) * s->header;
		doc_row_texts(d, t, NULL, (const char *const[]){
			report_fmt_hex(a, c->addr, 0),
			cr_fmt_thousands(size > hdr ? size - hdr : 0,
					 u, sizeof(u)),
			mapped ? "own mapping" : "" });
	}
	arenas(d, in, h);
}

void doc_add_memory(struct doc *d, const struct cr_analysis *a)
{
	const struct cr_as_summary *as = cr_as_summary_of(a);
	const struct cr_heap *h = cr_pass_kept(a, "heap");
	if (!as && !h)
		return;
	struct doc_section *sec = doc_section(d, 2, "memory", "Memory");
	if (!sec)
		return;
	sec->keep = DOC_KEEP_RANKED;
	sec->rank = 3;	/* after the process and the dump */
	if (as)
		address_space(d, &sec->blocks, as);
	if (h)
		heap(d, &sec->blocks, h, cr_heap_stats_of(a), cr_leaks_of(a));
}
