/*
 * batch_ticket.c - `coroner batch --ticket`: per crash bucket, one Markdown
 * file that fits a ticket comment, and the full HTML report of the
 * bucket's most telling dump to attach to it (batch_index.h).
 *
 *   OUT/tickets/ID.md     what the bucket is (code, signature, counts,
 *                         first and last seen, executables, versions, its
 *                         dumps), then the representative dump's short
 *                         report: the summary, findings, what happened, the
 *                         crashing stack's top frames, then the process and
 *                         dump facts (the environment) and the thread
 *                         groups while they fit, by the Markdown report's
 *                         budget
 *   OUT/tickets/ID.html   the representative dump's HTML report
 *
 * The short ("brief" below) report is written by the worker that analyzed
 * the dump (NAME.coroner.ticket.md beside its reports: report_md_write_with
 * in REPORT_TICKET_BRIEF_BUDGET characters), because only it has the
 * analysis; here it is read back and put under the bucket's facts.  The
 * whole stays under REPORT_TICKET_MAX characters (GitHub's comment limit
 * is 65,536): the facts are bounded (strings cut, lists cut), the list of
 * dumps gives way first, then the brief report.  Every string from a dump
 * or a file name goes through report_md_escape_text; the brief report is
 * the Markdown writer's own, escaped already.
 */
#include "batch_index.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "report_util.h"
#include "strbuf.h"
#include "util.h"

/* Strings of the facts are cut to this many bytes, lists to this many
 * entries: a ticket is read by a person. */
#define TICKET_STRING_MAX 300
#define TICKET_LIST_MAX 10
#define TICKET_DUMPS_MAX 30
/* The brief report read back is never longer than this (bytes). */
#define TICKET_BRIEF_READ_MAX (4 * REPORT_TICKET_MAX)

/* Code points in S (what a ticket system counts). */
static size_t chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* S cut to TICKET_STRING_MAX bytes (on a character boundary), escaped. */
static void esc(struct cr_buf *b, const char *s)
{
	size_t n = strlen(s ? s : "");
	char *cut = NULL;
	if (n > TICKET_STRING_MAX) {
		n = TICKET_STRING_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		cut = cr_strdup_printf("%.*s...", (int)n, s);
	}
	char *e = report_md_escape_text(cut ? cut : s ? s : "");
	if (e)
		cr_buf_puts(b, e);
	else
		b->oom = true;
	free(e);
	free(cut);
}

static void list(struct cr_buf *b, char **v, size_t n)
{
	for (size_t i = 0; i < n && i < TICKET_LIST_MAX; i++) {
		cr_buf_puts(b, i ? ", " : "");
		esc(b, v[i]);
	}
	if (n > TICKET_LIST_MAX)
		cr_buf_printf(b, " and %zu more", n - TICKET_LIST_MAX);
	if (!n)
		cr_buf_puts(b, "unknown");
}

static void fact_time(struct cr_buf *b, const char *label, int64_t t)
{
	char buf[REPORT_NUM_LEN];
	const char *s = report_fmt_time(buf, t);
	cr_buf_printf(b, "| %s | %s |\n", label, s ? s : "unknown");
}

/* The bucket's facts, from the index. */
static void head(struct cr_buf *b, const struct report_batch_bucket *bk,
		 const char *attachment)
{
	cr_buf_printf(b, "### Crash bucket %s: %zu dump%s\n\n", bk->id, bk->n,
		      bk->n == 1 ? "" : "s");
	cr_buf_puts(b, "**Signature:** ");
	esc(b, bk->signature ? bk->signature : "none");
	cr_buf_puts(b, "\n\n| | |\n|---|---|\n| Code | ");
	esc(b, bk->code);
	cr_buf_printf(b, " |\n| Bucket | %s |\n| Dumps | %zu |\n", bk->id, bk->n);
	fact_time(b, "First seen", bk->first_seen);
	fact_time(b, "Last seen", bk->last_seen);
	cr_buf_puts(b, "| Executables | ");
	list(b, bk->executables, bk->nexecutables);
	cr_buf_puts(b, " |\n| Versions | ");
	list(b, bk->versions, bk->nversions);
	cr_buf_puts(b, " |\n| Builds | ");
	list(b, bk->builds, bk->nbuilds);
	cr_buf_puts(b, " |\n| Representative dump | ");
	esc(b, bk->example->first->path);
	cr_buf_puts(b, " |\n");
	if (attachment)
		cr_buf_printf(b, "| Full report | attached: %s |\n", attachment);
	cr_buf_putc(b, '\n');
}

/* The dumps, newest first, as many as fit in ROOM characters. */
static void dumps(struct cr_buf *b, const struct report_batch_bucket *bk,
		  size_t room)
{
	struct cr_buf line = { 0 };
	size_t shown = 0;
	cr_buf_puts(b, "#### Dumps\n\n");
	for (size_t i = 0; i < bk->n && i < TICKET_DUMPS_MAX; i++) {
		const struct report_batch_item *it = bk->items[i];
		char buf[REPORT_NUM_LEN];
		const char *t = report_fmt_time(buf, it->seen_last);
		line.len = 0;
		cr_buf_puts(&line, "- ");
		esc(&line, it->first->path);
		if (it->nmembers > 1)
			cr_buf_printf(&line, " (series of %zu dumps)", it->nmembers);
		cr_buf_printf(&line, ", %s\n", t ? t : "time unknown");
		const char *s = cr_buf_str(&line);
		if (!s || chars(s, line.len) + 80 > room)
			break;
		room -= chars(s, line.len);
		cr_buf_add(b, s, line.len);
		shown++;
	}
	if (shown < bk->n)
		cr_buf_printf(b, "- and %zu more: the batch index lists them all\n",
			      bk->n - shown);
	cr_buf_putc(b, '\n');
	cr_buf_free(&line);
}

/* PATH's content when it holds at most MAX bytes (NULL: none). */
static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct cr_buf b = { 0 };
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= max)
		cr_buf_add(&b, chunk, n);
	fclose(f);
	if (b.len > max) {
		cr_buf_free(&b);
		return NULL;
	}
	cr_buf_str(&b);
	return cr_buf_steal(&b);
}

struct ticket {
	const char *text;
	size_t len;
};

static struct cr_error *put_text(const void *ctx, FILE *f)
{
	const struct ticket *t = ctx;
	if (fwrite(t->text, 1, t->len, f) != t->len)
		return cr_error_new(CR_ERR_IO, "cannot write: %s", strerror(errno));
	return NULL;
}

/* The ticket's Markdown for BK; BRIEF the representative dump's brief
 * report (NULL when it has none). */
static char *ticket_text(const struct report_batch_bucket *bk, const char *brief,
			 const char *attachment)
{
	struct cr_buf b = { 0 };
	head(&b, bk, attachment);
	const char *h = cr_buf_str(&b);
	size_t used = h ? chars(h, b.len) : 0;
	size_t nbrief = brief ? chars(brief, strlen(brief)) : 0;
	const char *note = "*The representative dump's report does not fit in a "
			   "ticket comment: see the attached full report.*\n";
	/* What is left is the brief report's, then the list of dumps'. */
	if (brief && used + nbrief + 200 >= REPORT_TICKET_MAX)
		brief = NULL;
	size_t tail = brief ? nbrief : strlen(note);
	if (used + tail + 200 < REPORT_TICKET_MAX)
		dumps(&b, bk, REPORT_TICKET_MAX - used - tail - 200);
	cr_buf_puts(&b, "#### The representative dump\n\n");
	cr_buf_puts(&b, brief ? brief : note);
	return cr_buf_steal(&b);
}

/* A bucket id is ours (hex), but the store is the user's: only names made
 * of [A-Za-z0-9_-] become file names. */
static bool safe_id(const char *id)
{
	if (!id || !*id || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

static struct cr_error *one_ticket(struct report_batch_bucket *bk, const char *out)
{
	char *brief_rel = report_batch_link(bk->example, "ticket.md");
	char *html_rel = report_batch_link(bk->example, "html");
	char *brief_path = brief_rel ? cr_strdup_printf("%s/%s", out, brief_rel) : NULL;
	char *html_src = html_rel ? cr_strdup_printf("%s/%s", out, html_rel) : NULL;
	char *md = cr_strdup_printf("%s/tickets/%s.md", out, bk->id);
	char *html = cr_strdup_printf("%s/tickets/%s.html", out, bk->id);
	char *attachment = cr_strdup_printf("%s.html", bk->id);
	char *brief = brief_path ? slurp(brief_path, TICKET_BRIEF_READ_MAX) : NULL;
	struct cr_error *err = md && html && attachment ? NULL : &cr_enomem;
	bool attached = false;
	if (!err && html_src && access(html_src, F_OK) == 0) {
		err = report_link_or_copy(html_src, html);
		attached = !err;
	}
	char *text = err ? NULL : ticket_text(bk, brief, attached ? attachment : NULL);
	if (!err && !text)
		err = &cr_enomem;
	if (!err) {
		struct ticket t = { text, strlen(text) };
		err = report_write_atomic(md, put_text, &t);
	}
	bk->ticket = !err;
	bk->ticket_attachment = !err && attached;
	free(text);
	free(brief);
	free(brief_rel);
	free(html_rel);
	free(brief_path);
	free(html_src);
	free(md);
	free(html);
	free(attachment);
	return err;
}

/* Whether NAME in OUT/tickets is the ticket or attachment of a bucket. */
static bool current(const struct report_batch_index *ix, const char *name)
{
	for (size_t c = 0; c < ix->ncodes; c++)
		for (size_t k = 0; k < ix->codes[c].n; k++) {
			const struct report_batch_bucket *bk = &ix->codes[c].buckets[k];
			size_t n = strlen(bk->id);
			if (bk->ticket && !strncmp(name, bk->id, n) &&
			    (!strcmp(name + n, ".md") ||
			     (bk->ticket_attachment && !strcmp(name + n, ".html"))))
				return true;
		}
	return false;
}

struct cr_error *report_batch_tickets_write(struct report_batch_index *ix,
					    const char *out)
{
	char *dir = cr_strdup_printf("%s/tickets", out);
	if (!dir)
		return &cr_enomem;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		struct cr_error *err = cr_error_new(CR_ERR_IO, "%s: cannot create: %s",
						    dir, strerror(errno));
		free(dir);
		return err;
	}
	struct cr_error *err = NULL;
	for (size_t c = 0; !err && c < ix->ncodes; c++)
		for (size_t k = 0; !err && k < ix->codes[c].n; k++) {
			struct report_batch_bucket *bk = &ix->codes[c].buckets[k];
			if (safe_id(bk->id) && bk->example)
				err = one_ticket(bk, out);
		}
	/* The tickets of buckets that are gone go with them. */
	DIR *d = err ? NULL : opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || current(ix, de->d_name))
			continue;
		char *p = cr_strdup_printf("%s/%s", dir, de->d_name);
		if (p)
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return err;
}
