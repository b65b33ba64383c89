/*
 * batch_index.c - the index of a batch: grouping its rows, and its
 * Markdown and JSON files (batch_index.h; HTML in batch_index_html.c).
 */
#include "batch_index.h"
#include "json_text.h"
#include "signature.h"
#include "report.h"
#include "report_util.h"
#include "strbuf.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <jansson.h>

/* The kinds of dumps are the analysis's (passes/signature.h), in its
 * order; the index adds two of its own. */
_Static_assert((int)REPORT_BATCH_CRASH == (int)CR_DUMP_KIND_CRASH &&
	       (int)REPORT_BATCH_HANG == (int)CR_DUMP_KIND_HANG &&
	       (int)REPORT_BATCH_HIGH_CPU == (int)CR_DUMP_KIND_HIGH_CPU &&
	       (int)REPORT_BATCH_HIGH_MEMORY == (int)CR_DUMP_KIND_HIGH_MEMORY &&
	       (int)REPORT_BATCH_UNKNOWN == (int)CR_DUMP_KIND_UNKNOWN &&
	       REPORT_BATCH_FAILED == CR_DUMP_KIND_COUNT,
	       "the index's kinds follow enum cr_dump_kind");
static const char *const extra_ids[] = { "failed", "skipped" };
static const char *const extra_titles[] = { "Failed", "Skipped (not dumps, or copies)" };

const char *report_batch_kind_id(int k)
{
	return k < CR_DUMP_KIND_COUNT ? cr_dump_kind_id((enum cr_dump_kind)k)
				      : extra_ids[k - CR_DUMP_KIND_COUNT];
}

const char *report_batch_kind_title(int k)
{
	return k < CR_DUMP_KIND_COUNT ? cr_dump_kind_title((enum cr_dump_kind)k)
				      : extra_titles[k - CR_DUMP_KIND_COUNT];
}

void report_batch_entry_clear(struct report_batch_entry *e)
{
	char **strs[] = {
		&e->path, &e->header_hash, &e->status, &e->kind, &e->code,
		&e->bucket, &e->signature, &e->executable, &e->version,
		&e->build_id, &e->report_dir, &e->report_name, &e->error,
	};
	for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

/* When E was seen: its dump time, else its file's modification time. */
static int64_t seen(const struct report_batch_entry *e)
{
	return e->dump_time >= 0 ? e->dump_time : e->mtime_ns / 1000000000;
}

static int kind_of(const struct report_batch_entry *e)
{
	if (e->status && !strcmp(e->status, "failed"))
		return REPORT_BATCH_FAILED;
	if (e->status && !strcmp(e->status, "skipped"))
		return REPORT_BATCH_SKIPPED;
	for (int k = 0; k < REPORT_BATCH_FAILED; k++)
		if (e->kind && !strcmp(e->kind, report_batch_kind_id(k)))
			return k;
	return REPORT_BATCH_UNKNOWN;
}

static int item_kind(const struct report_batch_item *it)
{
	return kind_of(it->first);
}

static const struct {
	const char *ext;
	unsigned bit;
} report_exts[] = {
	{ "md", REPORT_BATCH_MISSING_MD },
	{ "html", REPORT_BATCH_MISSING_HTML },
	{ "json", REPORT_BATCH_MISSING_JSON },
};

void report_batch_check_reports(struct report_batch_index *ix, const char *out)
{
	for (size_t i = 0; i < ix->nitems; i++) {
		struct report_batch_item *it = &ix->items[i];
		for (size_t k = 0; k < ARRAY_LEN(report_exts); k++) {
			char *rel = report_batch_link(it, report_exts[k].ext);
			char *path = rel ? cr_strdup_printf("%s/%s", out, rel) : NULL;
			if (path && access(path, F_OK) != 0)
				it->missing |= report_exts[k].bit;
			free(path);
			free(rel);
		}
	}
}

char *report_batch_link(const struct report_batch_item *it, const char *ext)
{
	const struct report_batch_entry *e = it ? it->first : NULL;
	if (!e || !e->report_dir || !e->report_name)
		return NULL;
	for (size_t k = 0; k < ARRAY_LEN(report_exts); k++)
		if (!strcmp(ext, report_exts[k].ext) &&
		    (it->missing & report_exts[k].bit))
			return NULL;
	return cr_strdup_printf("%s/%s.coroner.%s", e->report_dir,
				e->report_name, ext);
}

static int cmp_entry_dir(const void *a, const void *b)
{
	const struct report_batch_entry *x = *(const struct report_batch_entry *const *)a;
	const struct report_batch_entry *y = *(const struct report_batch_entry *const *)b;
	int c = strcmp(x->report_dir ? x->report_dir : "",
		       y->report_dir ? y->report_dir : "");
	return c ? c : strcmp(x->path, y->path);
}

/* Newest first, then by path: the order of every list. */
static int cmp_item_newest(const void *a, const void *b)
{
	const struct report_batch_item *x = *(const struct report_batch_item *const *)a;
	const struct report_batch_item *y = *(const struct report_batch_item *const *)b;
	if (x->seen_last != y->seen_last)
		return x->seen_last > y->seen_last ? -1 : 1;
	return strcmp(x->first->path, y->first->path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add S to the sorted distinct list. */
static bool add_distinct(char ***v, size_t *n, const char *s)
{
	if (!s)
		return true;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return true;
	char **p = realloc(*v, (*n + 1) * sizeof(**v));
	if (!p)
		return false;
	*v = p;
	if (!(p[*n] = strdup(s)))
		return false;
	(*n)++;
	qsort(p, *n, sizeof(*p), cmp_str);
	return true;
}

static const char *code_key(const struct report_batch_item *it)
{
	return it->first->code ? it->first->code : "(no code)";
}

static const char *bucket_key(const struct report_batch_item *it)
{
	return it->first->bucket ? it->first->bucket : "(none)";
}

/* The most telling report of a bucket: the most signature frames (the
 * most symbolized stack), then the newest. */
static bool more_telling(const struct report_batch_item *a,
			 const struct report_batch_item *b)
{
	if (a->first->frames != b->first->frames)
		return a->first->frames > b->first->frames;
	return a->seen_last > b->seen_last;
}

static int cmp_bucket(const void *a, const void *b)
{
	const struct report_batch_bucket *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int cmp_code(const void *a, const void *b)
{
	const struct report_batch_code *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->code, y->code);
}

static bool add_to_bucket(struct report_batch_bucket *bk,
			  struct report_batch_item *it)
{
	struct report_batch_item **p = realloc(bk->items, (bk->n + 1) * sizeof(*p));
	if (!p)
		return false;
	bk->items = p;
	p[bk->n++] = it;
	if (!bk->example || more_telling(it, bk->example))
		bk->example = it;
	if (bk->n == 1 || it->seen_first < bk->first_seen)
		bk->first_seen = it->seen_first;
	if (bk->n == 1 || it->seen_last > bk->last_seen)
		bk->last_seen = it->seen_last;
	return add_distinct(&bk->executables, &bk->nexecutables,
			    it->first->executable) &&
	       add_distinct(&bk->versions, &bk->nversions, it->first->version) &&
	       add_distinct(&bk->builds, &bk->nbuilds, it->first->build_id);
}

/* Crashes by code, then by bucket. */
static bool group_crashes(struct report_batch_index *ix)
{
	struct report_batch_item **v = ix->by_kind[REPORT_BATCH_CRASH];
	for (size_t i = 0; i < ix->nby_kind[REPORT_BATCH_CRASH]; i++) {
		struct report_batch_item *it = v[i];
		size_t c = 0;
		while (c < ix->ncodes && strcmp(ix->codes[c].code, code_key(it)))
			c++;
		if (c == ix->ncodes) {
			struct report_batch_code *p = realloc(ix->codes, (c + 1) * sizeof(*p));
			if (!p)
				return false;
			ix->codes = p;
			p[c] = (struct report_batch_code){ .code = code_key(it) };
			ix->ncodes++;
		}
		struct report_batch_code *cd = &ix->codes[c];
		size_t b = 0;
		while (b < cd->n && strcmp(cd->buckets[b].id, bucket_key(it)))
			b++;
		if (b == cd->n) {
			struct report_batch_bucket *p = realloc(cd->buckets, (b + 1) * sizeof(*p));
			if (!p)
				return false;
			cd->buckets = p;
			p[b] = (struct report_batch_bucket){
				.id = bucket_key(it), .code = it->first->code,
				.signature = it->first->signature,
			};
			cd->n++;
			ix->nbuckets++;
		}
		cd->count++;
		if (!add_to_bucket(&cd->buckets[b], it))
			return false;
	}
	for (size_t c = 0; c < ix->ncodes; c++)
		qsort(ix->codes[c].buckets, ix->codes[c].n,
		      sizeof(*ix->codes[c].buckets), cmp_bucket);
	if (ix->ncodes)	/* qsort wants an array, even of none */
		qsort(ix->codes, ix->ncodes, sizeof(*ix->codes), cmp_code);
	return true;
}

static char *make_summary(const struct report_batch_index *ix)
{
	struct cr_buf b = { 0 };
	size_t dumps = ix->nitems - ix->nby_kind[REPORT_BATCH_SKIPPED];
	size_t crashes = ix->nby_kind[REPORT_BATCH_CRASH];
	cr_buf_printf(&b, "%zu dump%s: %zu crash%s in %zu bucket%s", dumps,
		      dumps == 1 ? "" : "s", crashes, crashes == 1 ? "" : "es",
		      ix->nbuckets, ix->nbuckets == 1 ? "" : "s");
	static const char *const words[REPORT_BATCH_NKINDS][2] = {
		[REPORT_BATCH_HANG] = { "hang", "hangs" },
		[REPORT_BATCH_HIGH_CPU] = { "high CPU", "high CPU" },
		[REPORT_BATCH_HIGH_MEMORY] = { "high memory", "high memory" },
		[REPORT_BATCH_UNKNOWN] = { "unknown", "unknown" },
		[REPORT_BATCH_FAILED] = { "failed", "failed" },
	};
	for (int k = REPORT_BATCH_HANG; k <= REPORT_BATCH_FAILED; k++)
		if (ix->nby_kind[k] || k == REPORT_BATCH_HANG)
			cr_buf_printf(&b, ", %zu %s", ix->nby_kind[k],
				      words[k][ix->nby_kind[k] != 1]);
	size_t skipped = ix->nby_kind[REPORT_BATCH_SKIPPED];
	if (skipped)
		cr_buf_printf(&b, "; %zu file%s skipped (not dumps, or copies)", skipped,
			      skipped == 1 ? "" : "s");
	cr_buf_putc(&b, '.');
	return cr_buf_steal(&b);
}

struct cr_error *report_batch_index_build(const struct report_batch_entry *e,
					  size_t n,
					  struct report_batch_index **out)
{
	struct report_batch_index *ix = calloc(1, sizeof(*ix));
	const struct report_batch_entry **sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!ix || !sorted || !(ix->items = calloc(n ? n : 1, sizeof(*ix->items)))) {
		free(sorted);
		report_batch_index_free(ix);
		return &cr_enomem;
	}
	ix->nfiles = n;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &e[i];
	qsort(sorted, n, sizeof(*sorted), cmp_entry_dir);
	/* The rows of one report directory (a series) are one item. */
	for (size_t i = 0; i < n; i++) {
		const struct report_batch_entry *r = sorted[i];
		struct report_batch_item *it = ix->nitems ? &ix->items[ix->nitems - 1] : NULL;
		if (!it || !r->report_dir || !it->first->report_dir ||
		    strcmp(r->report_dir, it->first->report_dir)) {
			it = &ix->items[ix->nitems++];
			*it = (struct report_batch_item){ .first = r,
				.seen_first = seen(r), .seen_last = seen(r) };
		}
		if (it->first != r) {
			/* Dump times are whole seconds: a series
			 * taken faster is ordered by file time. */
			if (seen(r) > seen(it->first) ||
			    (seen(r) == seen(it->first) &&
			     r->mtime_ns > it->first->mtime_ns))
				it->first = r;
			it->seen_first = seen(r) < it->seen_first ? seen(r) : it->seen_first;
			it->seen_last = seen(r) > it->seen_last ? seen(r) : it->seen_last;
		}
		it->nmembers++;
	}
	free(sorted);
	for (int k = 0; k < REPORT_BATCH_NKINDS; k++) {
		ix->by_kind[k] = calloc(ix->nitems ? ix->nitems : 1,
					sizeof(*ix->by_kind[k]));
		if (!ix->by_kind[k]) {
			report_batch_index_free(ix);
			return &cr_enomem;
		}
	}
	for (size_t i = 0; i < ix->nitems; i++) {
		int k = item_kind(&ix->items[i]);
		ix->by_kind[k][ix->nby_kind[k]++] = &ix->items[i];
	}
	for (int k = 0; k < REPORT_BATCH_NKINDS; k++)
		qsort(ix->by_kind[k], ix->nby_kind[k], sizeof(*ix->by_kind[k]),
		      cmp_item_newest);
	if (!group_crashes(ix) || !(ix->summary = make_summary(ix))) {
		report_batch_index_free(ix);
		return &cr_enomem;
	}
	*out = ix;
	return NULL;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void report_batch_index_free(struct report_batch_index *ix)
{
	if (!ix)
		return;
	for (size_t c = 0; c < ix->ncodes; c++) {
		for (size_t b = 0; b < ix->codes[c].n; b++) {
			struct report_batch_bucket *bk = &ix->codes[c].buckets[b];
			free(bk->items);
			free_list(bk->executables, bk->nexecutables);
			free_list(bk->versions, bk->nversions);
			free_list(bk->builds, bk->nbuilds);
		}
		free(ix->codes[c].buckets);
	}
	free(ix->codes);
	for (int k = 0; k < REPORT_BATCH_NKINDS; k++)
		free(ix->by_kind[k]);
	free(ix->items);
	free(ix->summary);
	free(ix);
}

/* --- Markdown ---------------------------------------------------------------- */

static void md_esc(struct cr_buf *b, const char *s)
{
	char *e = report_md_escape_text(s ? s : "");
	if (e)
		cr_buf_puts(b, e);
	else
		b->oom = true;
	free(e);
}

static void md_time(struct cr_buf *b, int64_t t)
{
	char buf[REPORT_NUM_LEN];
	const char *s = report_fmt_time(buf, t);
	cr_buf_puts(b, s ? s : "unknown");
}

/* "[path](link)"; the link is made of the safe characters report
 * directories are named with (cmd_batch.c), the text is escaped. */
static void md_link(struct cr_buf *b, const struct report_batch_item *it)
{
	char *link = report_batch_link(it, "html");
	if (!link)
		link = report_batch_link(it, "md");
	if (link)
		cr_buf_putc(b, '[');
	md_esc(b, it->first->path);
	if (it->nmembers > 1)
		cr_buf_printf(b, " (series of %zu dumps)", it->nmembers);
	if (link)
		cr_buf_printf(b, "](<%s>)", link);
	free(link);
}

static void md_list(struct cr_buf *b, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			cr_buf_puts(b, ", ");
		md_esc(b, v[i]);
	}
	if (!n)
		cr_buf_puts(b, "unknown");
}

static void md_bucket(struct cr_buf *b, const struct report_batch_bucket *bk)
{
	cr_buf_puts(b, "#### Bucket ");
	md_esc(b, bk->id);
	cr_buf_printf(b, ": %zu dump%s\n\n", bk->n, bk->n == 1 ? "" : "s");
	cr_buf_puts(b, "- Signature: ");
	md_esc(b, bk->signature ? bk->signature : "none");
	cr_buf_puts(b, "\n- First seen: ");
	md_time(b, bk->first_seen);
	cr_buf_puts(b, "\n- Last seen: ");
	md_time(b, bk->last_seen);
	cr_buf_puts(b, "\n- Executables: ");
	md_list(b, bk->executables, bk->nexecutables);
	cr_buf_puts(b, "\n- Versions: ");
	md_list(b, bk->versions, bk->nversions);
	cr_buf_puts(b, "\n- Builds: ");
	md_list(b, bk->builds, bk->nbuilds);
	cr_buf_puts(b, "\n- Most telling report: ");
	md_link(b, bk->example);
	if (bk->ticket)
		cr_buf_printf(b, "\n- Ticket: [tickets/%s.md](<tickets/%s.md>)",
			      bk->id, bk->id);
	if (bk->ticket_attachment)
		cr_buf_printf(b, ", to attach: [tickets/%s.html](<tickets/%s.html>)",
			      bk->id, bk->id);
	cr_buf_puts(b, "\n\n| Dump | Seen |\n|---|---|\n");
	for (size_t i = 0; i < bk->n; i++) {
		cr_buf_puts(b, "| ");
		md_link(b, bk->items[i]);
		cr_buf_puts(b, " | ");
		md_time(b, bk->items[i]->seen_last);
		cr_buf_puts(b, " |\n");
	}
	cr_buf_putc(b, '\n');
}

static void md_items(struct cr_buf *b, const struct report_batch_index *ix,
		     int k)
{
	bool why = k >= REPORT_BATCH_FAILED;
	cr_buf_printf(b, "| %s | Seen | Executable |\n|---|---|---|%s\n",
		      why ? "File | Reason" : "Dump", why ? "---|" : "");
	for (size_t i = 0; i < ix->nby_kind[k]; i++) {
		const struct report_batch_item *it = ix->by_kind[k][i];
		cr_buf_puts(b, "| ");
		md_link(b, it);
		if (why) {
			cr_buf_puts(b, " | ");
			md_esc(b, it->first->error ? it->first->error : "unknown");
		}
		cr_buf_puts(b, " | ");
		md_time(b, it->seen_last);
		cr_buf_puts(b, " | ");
		md_esc(b, it->first->executable ? it->first->executable : "unknown");
		cr_buf_puts(b, " |\n");
	}
	cr_buf_putc(b, '\n');
}

struct cr_error *report_batch_md_write(const struct report_batch_index *ix,
				       FILE *f)
{
	struct cr_buf b = { 0 };
	cr_buf_puts(&b, "# coroner batch index\n\n");
	cr_buf_puts(&b, ix->summary);
	cr_buf_puts(&b, "\n\n");
	for (int k = 0; k < REPORT_BATCH_NKINDS; k++) {
		if (!ix->nby_kind[k])
			continue;
		cr_buf_printf(&b, "## %s (%zu)\n\n", report_batch_kind_title(k),
			      ix->nby_kind[k]);
		if (k != REPORT_BATCH_CRASH) {
			md_items(&b, ix, k);
			continue;
		}
		for (size_t c = 0; c < ix->ncodes; c++) {
			const struct report_batch_code *cd = &ix->codes[c];
			cr_buf_puts(&b, "### ");
			md_esc(&b, cd->code);
			cr_buf_printf(&b, ": %zu crash%s in %zu bucket%s\n\n",
				      cd->count, cd->count == 1 ? "" : "es",
				      cd->n, cd->n == 1 ? "" : "s");
			for (size_t k2 = 0; k2 < cd->n; k2++)
				md_bucket(&b, &cd->buckets[k2]);
		}
	}
	cr_buf_puts(&b, "Generated by coroner " CR_VERSION ".\n");
	const char *s = cr_buf_str(&b);
	struct cr_error *err = NULL;
	if (!s)
		err = &cr_enomem;
	else if (fputs(s, f) == EOF)
		err = cr_error_new(CR_ERR_IO, "writing the index failed");
	cr_buf_free(&b);
	return err;
}

/* --- JSON ---------------------------------------------------------------------- */

/* Written as it is made (json_text.h): strings cleaned to valid UTF-8 on
 * one line (REPORT_CLEAN_FLAT), null for NULL. */
static void k_time(struct json_out *w, const char *key, int64_t t)
{
	char buf[REPORT_NUM_LEN];
	json_out_key(w, key);
	json_out_const(w, t >= 0 ? report_fmt_time(buf, t) : NULL);
}

static void out_item(struct json_out *w, const struct report_batch_item *it)
{
	static const char *const ext[] = { "md", "html", "json" };
	const struct report_batch_entry *e = it->first;
	json_out_open(w, '{');
	json_out_key_str(w, "path", e->path);
	json_out_key_int(w, "dumps", it->nmembers);
	json_out_key_str(w, "status", e->status);
	json_out_key_str(w, "kind", e->kind);
	json_out_key_str(w, "code", e->code);
	json_out_key_str(w, "bucket", e->bucket);
	json_out_key_str(w, "signature", e->signature);
	json_out_key_str(w, "executable", e->executable);
	json_out_key_str(w, "version", e->version);
	json_out_key_str(w, "build_id", e->build_id);
	k_time(w, "first_seen", it->seen_first);
	k_time(w, "last_seen", it->seen_last);
	json_out_key_str(w, "error", e->error);
	json_out_key(w, "reports");
	if (e->report_dir) {
		json_out_open(w, '{');
		for (size_t i = 0; i < ARRAY_LEN(ext); i++) {
			char *l = report_batch_link(it, ext[i]);
			json_out_key_str(w, ext[i], l);
			free(l);
		}
		json_out_close(w);
	} else {
		json_out_null(w);
	}
	json_out_close(w);
}

static void out_strings(struct json_out *w, const char *key, char **v, size_t n)
{
	json_out_key(w, key);
	json_out_open(w, '[');
	for (size_t i = 0; i < n; i++) {
		json_out_item(w);
		json_out_str(w, v[i]);
	}
	json_out_close(w);
}

static void out_bucket(struct json_out *w, const struct report_batch_bucket *bk)
{
	json_out_open(w, '{');
	json_out_key_str(w, "id", bk->id);
	json_out_key_str(w, "signature", bk->signature);
	json_out_key_int(w, "count", bk->n);
	k_time(w, "first_seen", bk->first_seen);
	k_time(w, "last_seen", bk->last_seen);
	out_strings(w, "executables", bk->executables, bk->nexecutables);
	out_strings(w, "versions", bk->versions, bk->nversions);
	out_strings(w, "builds", bk->builds, bk->nbuilds);
	json_out_key(w, "example");
	out_item(w, bk->example);
	json_out_key(w, "ticket");
	if (bk->ticket) {
		char *md = cr_strdup_printf("tickets/%s.md", bk->id);
		char *html = bk->ticket_attachment ?
			cr_strdup_printf("tickets/%s.html", bk->id) : NULL;
		json_out_open(w, '{');
		json_out_key_str(w, "md", md);
		json_out_key_str(w, "html", html);
		json_out_close(w);
		free(md);
		free(html);
	} else {
		json_out_null(w);
	}
	json_out_key(w, "dumps");
	json_out_open(w, '[');
	for (size_t i = 0; i < bk->n; i++) {
		json_out_item(w);
		out_item(w, bk->items[i]);
	}
	json_out_close(w);
	json_out_close(w);
}

struct cr_error *report_batch_json_write(const struct report_batch_index *ix,
					 FILE *f)
{
	struct cr_buf b = { 0 };
	struct json_out w;
	json_out_init(&w, &b, 0);
	w.clean = REPORT_CLEAN_FLAT;
	json_out_open(&w, '{');
	json_out_key(&w, "format");
	json_out_const(&w, "coroner-batch-index");
	json_out_key_int(&w, "version", 2);
	json_out_key(&w, "generator");
	json_out_const(&w, "coroner " CR_VERSION);
	json_out_key_str(&w, "summary", ix->summary);
	json_out_key(&w, "counts");
	json_out_open(&w, '{');
	json_out_key_int(&w, "files", ix->nfiles);
	json_out_key_int(&w, "dumps", ix->nitems - ix->nby_kind[REPORT_BATCH_SKIPPED]);
	json_out_key_int(&w, "buckets", ix->nbuckets);
	for (int k = 0; k < REPORT_BATCH_NKINDS; k++)
		json_out_key_int(&w, report_batch_kind_id(k), ix->nby_kind[k]);
	json_out_close(&w);
	json_out_key(&w, "crashes");
	json_out_open(&w, '[');
	for (size_t c = 0; c < ix->ncodes; c++) {
		json_out_item(&w);
		json_out_open(&w, '{');
		json_out_key_str(&w, "code", ix->codes[c].code);
		json_out_key_int(&w, "count", ix->codes[c].count);
		json_out_key(&w, "buckets");
		json_out_open(&w, '[');
		for (size_t i = 0; i < ix->codes[c].n; i++) {
			json_out_item(&w);
			out_bucket(&w, &ix->codes[c].buckets[i]);
		}
		json_out_close(&w);
		json_out_close(&w);
	}
	json_out_close(&w);
	/* The other kinds' dumps, each kind a list of its own. */
	for (int k = 0; k < REPORT_BATCH_NKINDS; k++) {
		if (k == REPORT_BATCH_CRASH)
			continue;
		json_out_key(&w, report_batch_kind_id(k));
		json_out_open(&w, '[');
		for (size_t i = 0; i < ix->nby_kind[k]; i++) {
			json_out_item(&w);
			out_item(&w, ix->by_kind[k][i]);
		}
		json_out_close(&w);
	}
	json_out_close(&w);
	json_out_free(&w);
	const char *text = cr_buf_str(&b);
	bool ok = text && fwrite(text, 1, b.len, f) == b.len;
	cr_buf_free(&b);
	if (!ok || fputc('\n', f) == EOF)
		return cr_error_new(CR_ERR_IO, "writing the index failed");
	return NULL;
}
