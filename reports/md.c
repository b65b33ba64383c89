/*
 * md.c - the Markdown report (GitHub-flavoured, pastable into a ticket):
 * a renderer of the report document (document.h); it knows no dump.
 *
 * The report is built in memory and written at the end.  Dump strings
 * reach the output through exactly two functions:
 *
 *   md_text()   inline text and GFM table cells: every character that
 *               CommonMark/GFM gives a meaning inline is backslash-escaped
 *               (CommonMark 0.29 §2.4: any ASCII punctuation may be), the
 *               table extension turns "\|" back into "|" inside a cell, and
 *               newlines and control characters become spaces / U+FFFD, so
 *               a value can neither end its line nor its table cell.
 *   md_code()   fenced code blocks (stacks): the block is rendered first,
 *               then fenced with one backtick more than its longest run of
 *               backticks (CommonMark §4.5: a closing fence must be at least
 *               as long as the opening one), so nothing inside can close it.
 *
 * Nothing here writes raw HTML, so a thread name "</td><script>" stays text.
 */
#include "report.h"
#include "md_budget.h"
#include "report_util.h"
#include "document.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Characters with an inline meaning in CommonMark + GFM (emphasis, code,
 * links, autolinks/raw HTML, entities, tables, strikethrough). */
static const char md_special[] = "\\`*_[]<>&|~";

/* ASCII only: CommonMark's flanking rules are about these, and the
 * locale must not change what we escape. */
static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/*
 * GitHub gives text a meaning beyond Markdown's: "@name" notifies a user or
 * team, "#123" links an issue, and the autolink extension (GFM §6.9) turns
 * "http://...", "www...." and "a@b.c" into links.  A report pasted into a
 * ticket must not notify anyone or link anywhere because of a dump string.
 * Escaping the ':' of "://" and the '.' of "www." stops the extension
 * (it matches on the unescaped source); mentions, issue references and
 * e-mail addresses are matched by GitHub on the rendered text, where a
 * backslash is gone, so a zero-width space follows their '@' or '#'.
 */
#define ZWSP "\xe2\x80\x8b"	/* U+200B, UTF-8 */

/* Whether P[I] is the '@' of a mention or an e-mail address, or the '#' of
 * an issue reference: a zero-width space must follow it. */
static bool github_active(const char *p, size_t i, size_t n)
{
	if (i + 1 >= n)
		return false;
	if (p[i] == '@')
		return is_alnum(p[i + 1]);
	return p[i] == '#' && p[i + 1] >= '0' && p[i + 1] <= '9';
}

/* The characters md_text_at() may act on: md_special's, the '@' and '#'
 * of github_active(), the ':' of "://" and the '.' of "www.".  Any other
 * is copied as it is (most of a report's text), at one look-up. */
static const bool md_acts[256] = {
	['\\'] = true, ['`'] = true, ['*'] = true, ['_'] = true, ['['] = true,
	[']'] = true, ['<'] = true, ['>'] = true, ['&'] = true, ['|'] = true,
	['~'] = true, ['@'] = true, ['#'] = true, [':'] = true, ['.'] = true,
};

/* Whether P[I] is the '.' of a "www." that begins a word. */
static bool starts_www(const char *p, size_t i, size_t n)
{
	if (p[i] != '.' || i < 3 || i + 1 >= n)
		return false;
	for (size_t k = i - 3; k < i; k++)
		if (p[k] != 'w' && p[k] != 'W')
			return false;
	return i == 3 || !is_alnum(p[i - 4]);
}

/*
 * Append S, already cleaned (report_clean with REPORT_CLEAN_FLAT: the
 * document's strings are), to B as inline Markdown text.  LINE_START: S
 * begins a line, so also neutralize what would start a block there (ATX
 * heading "#", list "-"/"+"/"1.", block quote ">", indented code).
 */
static void md_text_at(struct cr_buf *b, const char *s, bool line_start)
{
	const char *p = s ? s : "";
	if (line_start) {
		while (*p == ' ')
			p++;
		const char *q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p && (*q == '.' || *q == ')')) {
			cr_buf_add(b, p, (size_t)(q - p));
			cr_buf_putc(b, '\\');
			p = q;
		} else if (*p && strchr("#-+=>", *p)) {
			cr_buf_putc(b, '\\');
		}
	}
	/* Trailing spaces would make a hard line break in a paragraph. */
	size_t n = strlen(p), run = 0;
	while (n && p[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n; i++) {
		if (!md_acts[(unsigned char)p[i]])
			continue;
		if (github_active(p, i, n)) {
			/* After the character: a zero-width space. */
			cr_buf_add(b, p + run, i + 1 - run);
			cr_buf_puts(b, ZWSP);
			run = i + 1;
			continue;
		}
		/* An intraword "_" (test_app, SEGV_MAPERR) can neither open
		 * nor close emphasis (CommonMark §6.2, rules 2 and 4): leave
		 * it readable. */
		bool intraword = p[i] == '_' && i > 0 && i + 1 < n &&
				 is_alnum(p[i - 1]) && is_alnum(p[i + 1]);
		bool autolink = (p[i] == ':' && i + 2 < n && p[i + 1] == '/' &&
				 p[i + 2] == '/') || starts_www(p, i, n);
		if ((!strchr(md_special, p[i]) || intraword) && !autolink)
			continue;
		cr_buf_add(b, p + run, i - run);
		cr_buf_putc(b, '\\');
		run = i;
	}
	cr_buf_add(b, p + run, n - run);
}

static void md_text(struct cr_buf *b, const char *s)
{
	md_text_at(b, s, false);
}

char *report_md_escape_text(const char *s)
{
	struct cr_buf b = { 0 };
	char *clean = report_clean(s ? s : "", REPORT_CLEAN_FLAT);
	if (!clean)
		return NULL;
	md_text(&b, clean);
	free(clean);
	return cr_buf_steal(&b);
}

/* Append CONTENT (lines ending in '\n') as a fenced code block. */
static void md_code(struct cr_buf *b, const char *content)
{
	size_t longest = 0, run = 0;
	for (const char *p = content; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t fence = longest < 3 ? 3 : longest + 1;
	for (size_t i = 0; i < fence; i++)
		cr_buf_putc(b, '`');
	cr_buf_puts(b, "text\n");
	cr_buf_puts(b, content);
	if (*content && content[strlen(content) - 1] != '\n')
		cr_buf_putc(b, '\n');
	for (size_t i = 0; i < fence; i++)
		cr_buf_putc(b, '`');
	cr_buf_puts(b, "\n\n");
}

char *report_md_code_block(const char *content)
{
	struct cr_buf b = { 0 };
	md_code(&b, content ? content : "");
	return cr_buf_steal(&b);
}

/* Append S (a document string: clean, one line), padded to WIDTH columns
 * (counted in code points, which is what a monospace font mostly shows). */
static void code_cell(struct cr_buf *b, const char *s, size_t width)
{
	size_t start = b->len;
	cr_buf_puts(b, s);	/* clean: a document string */
	if (b->oom)
		return;
	size_t cols = 0;
	for (size_t i = start; i < b->len; i++)
		if (((unsigned char)b->p[i] & 0xc0) != 0x80)
			cols++;
	for (; cols < width; cols++)
		cr_buf_putc(b, ' ');
}

static size_t utf8_cols(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Columns wider than this are not used to align the others. */
#define MD_MAX_COL 60

/* Render a stack as the text of a code block: one line per frame or fold;
 * the program's own frames are marked "*" (the legend says so). */
static void md_stack_lines(struct cr_buf *out, const struct doc_stack *s)
{
	size_t w_idx = 0, w_where = 0, w_mod = 0, w_loc = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct doc_frame *t = &s->v[i];
		size_t w;
		if (t->fold)
			continue;
		if ((w = strlen(t->index)) > w_idx)
			w_idx = w;
		w = utf8_cols(t->where) + (t->inlined ? strlen("(inlined) ") : 0);
		if (w > w_where && w <= MD_MAX_COL)
			w_where = w;
		if ((w = utf8_cols(t->module)) > w_mod && w <= MD_MAX_COL)
			w_mod = w;
		if ((w = utf8_cols(t->location)) > w_loc && w <= MD_MAX_COL)
			w_loc = w;
	}

	for (size_t i = 0; i < s->n && !out->oom; i++) {
		const struct doc_frame *t = &s->v[i];
		if (t->fold) {
			cr_buf_puts(out, "  ");
			code_cell(out, "", w_idx);
			cr_buf_puts(out, "  ... ");
			code_cell(out, t->fold, 0);
			cr_buf_puts(out, " ...\n");
			continue;
		}
		cr_buf_puts(out, t->own ? "* " : "  ");
		code_cell(out, t->index, w_idx);
		cr_buf_puts(out, "  ");
		code_cell(out, t->pc, 0);
		cr_buf_puts(out, "  ");
		size_t start = out->len;
		if (t->inlined)
			cr_buf_puts(out, "(inlined) ");
		code_cell(out, t->where, 0);
		size_t cols = out->oom ? 0 : utf8_cols(out->p + start);
		for (; cols < w_where; cols++)
			cr_buf_putc(out, ' ');
		cr_buf_puts(out, "  ");
		code_cell(out, t->module, w_mod);
		cr_buf_puts(out, "  ");
		code_cell(out, t->location, w_loc);
		cr_buf_puts(out, "  [");
		cr_buf_puts(out, t->trust ? t->trust : "");
		cr_buf_puts(out, "]\n");
	}
	/* Lines end in the padding of empty columns; trim them. */
	if (!out->oom && out->p) {
		char *w = out->p, *r = out->p;
		char *line_end_spaces = NULL;
		for (; r < out->p + out->len; r++) {
			if (*r == ' ') {
				if (!line_end_spaces)
					line_end_spaces = w;
			} else if (*r == '\n' && line_end_spaces) {
				w = line_end_spaces;
				line_end_spaces = NULL;
			} else {
				line_end_spaces = NULL;
			}
			*w++ = *r;
		}
		out->len = (size_t)(w - out->p);
		out->p[out->len] = '\0';
	}
}

/* --- the document ------------------------------------------------------------- */

/*
 * GitHub gives each heading the anchor of its text: lower case, spaces
 * made '-', punctuation other than '-' and '_' dropped, and "-1", "-2" ...
 * for repeats.  Links to a section go to that anchor.
 */
struct md {
	struct cr_buf *b;
	const struct doc *d;
	char **slugs;		/* per section */
	char *title_slug;
};

static char *slug_of(const char *title)
{
	struct cr_buf s = { 0 };
	char *clean = report_clean(title, REPORT_CLEAN_FLAT);
	for (const char *p = clean ? clean : ""; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 'A' && c <= 'Z')
			cr_buf_putc(&s, (char)(c - 'A' + 'a'));
		else if (c >= 0x80 || is_alnum((char)c) || c == '-' || c == '_')
			cr_buf_putc(&s, (char)c);
		else if (c == ' ')
			cr_buf_putc(&s, '-');
	}
	free(clean);
	return cr_buf_steal(&s);
}

static bool md_slugs(struct md *m)
{
	const struct doc *d = m->d;
	m->slugs = calloc(d->n + 1, sizeof(char *));
	if (!m->slugs)
		return false;
	m->title_slug = slug_of(d->title);
	if (!m->title_slug)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		char *base = slug_of(d->sections[i]->title);
		if (!base)
			return false;
		unsigned seen = !strcmp(base, m->title_slug);
		for (size_t k = 0; k < i; k++) {
			/* a repeat of BASE, or of BASE-N that GitHub made */
			const char *o = m->slugs[k];
			size_t n = strlen(base);
			if (!strcmp(o, base) ||
			    (!strncmp(o, base, n) && o[n] == '-' &&
			     strspn(o + n + 1, "0123456789") == strlen(o + n + 1) &&
			     o[n + 1]))
				seen++;
		}
		if (seen) {
			m->slugs[i] = cr_strdup_printf("%s-%u", base, seen);
			free(base);
			if (!m->slugs[i])
				return false;
		} else {
			m->slugs[i] = base;
		}
	}
	return true;
}

static const char *md_target(const struct md *m, const char *id)
{
	for (size_t i = 0; i < m->d->n; i++)
		if (!strcmp(m->d->sections[i]->id, id))
			return m->slugs[i];
	return NULL;
}

static void md_inline(struct md *m, const struct doc_inline *in,
		      bool line_start)
{
	struct cr_buf *b = m->b;
	for (size_t i = 0; i < in->n; i++) {
		const struct doc_span *s = &in->v[i];
		bool at_start = line_start && i == 0;
		const char *slug;
		switch (s->kind) {
		case DOC_SPAN_EM:
		case DOC_SPAN_STRONG: {
			const char *mark = s->kind == DOC_SPAN_EM ? "*" : "**";
			cr_buf_puts(b, mark);
			md_text(b, s->text);
			cr_buf_puts(b, mark);
			break;
		}
		case DOC_SPAN_LINK:
			slug = md_target(m, s->target);
			if (slug)
				cr_buf_putc(b, '[');
			md_text_at(b, s->text, at_start);
			if (slug) {
				cr_buf_puts(b, "](#");
				cr_buf_puts(b, slug);
				cr_buf_putc(b, ')');
			}
			break;
		case DOC_SPAN_TAG:
			cr_buf_puts(b, " (");
			md_text(b, s->text);
			cr_buf_putc(b, ')');
			break;
		default:
			md_text_at(b, s->text, at_start);
			/* md_text trims trailing spaces (a hard break at the
			 * end of a line); between spans one is wanted. */
			if (i + 1 < in->n && *s->text &&
			    s->text[strlen(s->text) - 1] == ' ')
				cr_buf_putc(b, ' ');
			break;
		}
	}
}

static void md_table(struct md *m, const struct doc_table *t, bool facts)
{
	struct cr_buf *b = m->b;
	if (!t->ncols)
		return;
	cr_buf_puts(b, "|");
	for (size_t c = 0; c < t->ncols; c++) {
		cr_buf_putc(b, ' ');
		md_text(b, t->headers[c]);
		cr_buf_puts(b, " |");
	}
	cr_buf_puts(b, "\n|");
	for (size_t c = 0; c < t->ncols; c++)
		cr_buf_puts(b, !facts && t->cols[c] == DOC_COL_NUMBER
				? " ---: |" : " --- |");
	cr_buf_putc(b, '\n');
	for (size_t r = 0; r < t->nrows; r++) {
		cr_buf_puts(b, "|");
		for (size_t c = 0; c < t->ncols; c++) {
			cr_buf_putc(b, ' ');
			/* The marked row of an evidence table, in bold. */
			bool bold = t->rows[r].cls &&
				    !strcmp(t->rows[r].cls, "marked") &&
				    t->rows[r].cells[c].n;
			if (bold)
				cr_buf_puts(b, "**");
			md_inline(m, &t->rows[r].cells[c], false);
			if (bold)
				cr_buf_puts(b, "**");
			cr_buf_puts(b, " |");
		}
		cr_buf_putc(b, '\n');
	}
	cr_buf_putc(b, '\n');
}

static void md_stack(struct md *m, const struct doc_stack *s)
{
	struct cr_buf *b = m->b;
	if (s->n) {
		struct cr_buf lines = { 0 };
		md_stack_lines(&lines, s);
		const char *txt = cr_buf_str(&lines);
		if (!txt)
			b->oom = true;
		else
			md_code(b, txt);
		cr_buf_free(&lines);
	}
	if (s->end) {
		cr_buf_puts(b, "*");
		md_text(b, s->end);
		cr_buf_puts(b, "*\n\n");
	} else if (!s->n) {
		cr_buf_puts(b, "*No frames.*\n\n");
	}
}

/* Our own Markdown (a recommendation) as a block quote: its headings and
 * lists stay inside it. */
static void md_quote(struct cr_buf *b, const char *md)
{
	const char *p = md;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		cr_buf_puts(b, n ? "> " : ">");
		cr_buf_add(b, p, n);
		cr_buf_putc(b, '\n');
		p += n + (nl ? 1 : 0);
	}
	cr_buf_putc(b, '\n');
}

static void md_blocks(struct md *m, const struct doc_blocks *bs);

static void md_block(struct md *m, const struct doc_block *bl)
{
	struct cr_buf *b = m->b;
	switch (bl->kind) {
	case DOC_PARA: {
		bool note = bl->cls && !strcmp(bl->cls, "note");
		if (note)
			cr_buf_putc(b, '*');
		md_inline(m, &bl->text, !note);
		cr_buf_puts(b, note ? "*\n\n" : "\n\n");
		break;
	}
	case DOC_FACTS:
	case DOC_TABLE:
		md_table(m, &bl->table, bl->kind == DOC_FACTS);
		break;
	case DOC_STACK:
		md_stack(m, &bl->stack);
		break;
	case DOC_CHART:
		break;	/* a table beside it has the numbers */
	case DOC_CODE:
		md_code(b, bl->code ? bl->code : "");
		break;
	case DOC_LIST:
		for (size_t i = 0; i < bl->nitems; i++) {
			cr_buf_puts(b, "- ");
			md_inline(m, &bl->items[i], false);
			cr_buf_putc(b, '\n');
		}
		cr_buf_putc(b, '\n');
		break;
	case DOC_MARKDOWN:
		md_quote(b, bl->code ? bl->code : "");
		break;
	case DOC_FINDING:
		cr_buf_puts(b, "**");
		md_text(b, bl->severity);
		cr_buf_puts(b, "** ");
		md_inline(m, &bl->text, false);
		cr_buf_puts(b, " (");
		md_text(b, bl->finding_id);
		cr_buf_puts(b, ")\n\n");
		md_blocks(m, &bl->body);
		break;
	}
}

static void md_blocks(struct md *m, const struct doc_blocks *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		md_block(m, bs->v[i]);
}

/* A short table of contents: the level 2 sections, on one line. */
static void md_toc(struct md *m)
{
	bool first = true;
	for (size_t i = 0; i < m->d->n; i++) {
		const struct doc_section *s = m->d->sections[i];
		if (s->level != 2)
			continue;
		cr_buf_puts(m->b, first ? "Contents: [" : " · [");
		md_text(m->b, s->title);
		cr_buf_puts(m->b, "](#");
		cr_buf_puts(m->b, m->slugs[i]);
		cr_buf_putc(m->b, ')');
		first = false;
	}
	if (!first)
		cr_buf_puts(m->b, "\n\n");
}

/*
 * The part of the Markdown budget (md_budget.h) that section S opens, or
 * false when S belongs to the part before it (a subsection).
 */
static bool section_part(const struct doc_section *s, enum md_part_kind *kind,
			 int *rank)
{
	static const struct {
		enum doc_keep keep;
		enum md_part_kind kind;
	} kinds[] = {
		{ DOC_KEEP_ALWAYS, MD_PART_ESSENTIAL },
		{ DOC_KEEP_THREADS, MD_PART_THREADS },
		{ DOC_KEEP_GROUP, MD_PART_GROUP },
		{ DOC_KEEP_RANKED, MD_PART_SECTION },
	};
	if (s->level > 2 && s->keep != DOC_KEEP_GROUP)
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].keep == s->keep) {
			*kind = kinds[i].kind;
			*rank = s->keep == DOC_KEEP_RANKED ? s->rank : 0;
			return true;
		}
	return false;
}

/* The document as budget parts: each level 2 section and each thread
 * group a part of its own (md_budget.c chooses the ones that fit). */
static void md_doc(struct md *m, struct md_parts *p)
{
	const struct doc *d = m->d;
	struct cr_buf *b = md_part_new(p, MD_PART_ESSENTIAL, 0, NULL, 0);
	if (!b)
		return;
	m->b = b;
	cr_buf_puts(b, "# ");
	md_text(b, d->title);
	cr_buf_puts(b, "\n\n");
	if (d->summary.n) {
		md_inline(m, &d->summary, true);
		cr_buf_puts(b, "\n\n");
	}
	md_toc(m);
	for (size_t i = 0; i < d->n; i++) {
		const struct doc_section *s = d->sections[i];
		enum md_part_kind kind;
		int rank;
		if (section_part(s, &kind, &rank)) {
			b = md_part_new(p, kind, rank, s->title, s->threads);
			if (!b)
				return;
			m->b = b;
		}
		for (int l = 0; l < s->level; l++)
			cr_buf_putc(b, '#');
		cr_buf_putc(b, ' ');
		md_text(b, s->title);
		cr_buf_puts(b, "\n\n");
		md_blocks(m, &s->blocks);
	}
}

struct cr_error *report_md_write(const struct cr_analysis *a, FILE *f)
{
	return report_md_write_with(a, NULL, f);
}

struct cr_error *report_md_write_with(const struct cr_analysis *a,
				      const struct report_md_options *o,
				      FILE *f)
{
	struct doc *d = doc_build(a);
	if (!d)
		return &cr_enomem;
	struct cr_error *err = report_md_write_doc(d, o, f);
	doc_free(d);
	return err;
}

struct cr_error *report_md_write_doc(const struct doc *d,
				     const struct report_md_options *o,
				     FILE *f)
{
	struct md_parts parts = { 0 };
	struct cr_buf b = { 0 };
	struct md m = { .d = d };
	if (!md_slugs(&m))
		b.oom = true;
	else
		md_doc(&m, &parts);
	for (size_t i = 0; m.slugs && i < d->n; i++)
		free(m.slugs[i]);
	free(m.slugs);
	free(m.title_slug);
	if (parts.oom)
		b.oom = true;
	md_parts_join(&parts, o, &b);
	md_parts_free(&parts);
	const char *s = cr_buf_str(&b);
	if (!s) {
		cr_buf_free(&b);
		return &cr_enomem;
	}
	size_t n = strlen(s);
	/* Drop the blank line after the last block. */
	while (n > 1 && s[n - 1] == '\n' && s[n - 2] == '\n')
		n--;
	bool ok = fwrite(s, 1, n, f) == n;
	cr_buf_free(&b);
	if (!ok || ferror(f))
		return cr_error_new(CR_ERR_IO, "writing the Markdown report failed");
	return NULL;
}
