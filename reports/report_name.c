/*
 * report_name.c - the file names of one run's reports (see report.h).
 *
 * A report of dump DIR/NAME is written as OUT/NAME.coroner.EXT, through the
 * temporary OUT/NAME.coroner.EXT.XXXXXX.tmp (output.c).  Three things can go
 * wrong with NAME taken as it is, and each has a rule here:
 *
 *  - Two dumps of one run with the same file name (host-a/core,
 *    host-b/core) would write the same reports, the second silently over the
 *    first.  Every name handed out is remembered; a name already given gets
 *    "-2", "-3", ... (the first free one), in command-line order, so a run
 *    never writes over a report it wrote itself.
 *  - A file name of up to NAME_MAX (255) bytes leaves no room for the
 *    suffixes: the temporary name would be refused (ENAMETOOLONG).  A NAME
 *    longer than REPORT_NAME_MAX is cut, on a UTF-8 character boundary, and
 *    "~" and 8 hex digits of a hash of the whole original name are appended,
 *    so two long names that share a long prefix still differ.
 *  - A name with control characters would be printed to the terminal in
 *    the list of reports written.  Every character that the terminal
 *    sanitizer (analyzer/term.c) would escape becomes '_' in the report's
 *    name, so the list shows the file's true name and that name is safe.
 *
 * The names given are kept in a small open-addressing hash set, each with
 * the next "-N" to try, so a run of k dumps all called "core" costs O(k).
 */
#include "report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"

/* Room for "~" and the hash when a name is cut. */
#define HASH_SUFFIX_LEN 9

/* FNV-1a, 32 bits: a short, stable tag of the whole original name. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The file name of PATH: after the last '/', trailing slashes ignored. */
static char *dump_file_name(const char *path)
{
	size_t end = strlen(path);
	while (end > 1 && path[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (start == end || (end - start == 1 && path[start] == '/'))
		return strdup("dump");
	return strndup(path + start, end - start);
}

/* NAME with every character the terminal sanitizer escapes made '_'. */
static char *clean_name(const char *name)
{
	size_t n = strlen(name), o = 0;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	const unsigned char *p = (const unsigned char *)name;
	while (n) {
		bool esc;
		size_t len = cr_term_char(p, n, &esc);
		if (esc)
			out[o++] = '_';
		else
			memcpy(out + o, p, len), o += len;
		p += len;
		n -= len;
	}
	out[o] = '\0';
	return out;
}

/* The longest prefix of S of at most MAX bytes that ends on a character
 * boundary (never inside a UTF-8 sequence). */
static size_t cut_at_char(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/*
 * The candidate name for STEM (cleaned) with the disambiguator N (0: none),
 * at most REPORT_NAME_MAX bytes: cut with the hash HASH when too long.
 */
static char *candidate(const char *stem, uint32_t hash, unsigned n)
{
	char num[16] = "";
	if (n)
		snprintf(num, sizeof(num), "-%u", n);
	size_t room = REPORT_NAME_MAX - strlen(num);
	if (strlen(stem) <= room)
		return cr_strdup_printf("%s%s", stem, num);
	size_t keep = cut_at_char(stem, room - HASH_SUFFIX_LEN);
	return cr_strdup_printf("%.*s~%08x%s", (int)keep, stem, hash, num);
}

/* --- the set of names given ------------------------------------------------ */

static size_t slot_of(const struct report_names *rn, const char *name)
{
	size_t mask = rn->cap - 1;
	size_t i = name_hash(name) & mask;
	while (rn->slots[i].name && strcmp(rn->slots[i].name, name))
		i = (i + 1) & mask;
	return i;
}

static bool grow(struct report_names *rn)
{
	size_t cap = rn->cap ? rn->cap * 2 : 16;
	struct report_name_slot *old = rn->slots;
	size_t oldcap = rn->cap;
	rn->slots = calloc(cap, sizeof(*rn->slots));
	if (!rn->slots) {
		rn->slots = old;
		return false;
	}
	rn->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].name)
			rn->slots[slot_of(rn, old[i].name)] = old[i];
	free(old);
	return true;
}

/* Take NAME (malloc'd, owned by the set from now on); NULL when out of
 * memory (NAME is freed). */
static struct report_name_slot *add(struct report_names *rn, char *name)
{
	if ((rn->n + 1) * 2 > rn->cap && !grow(rn)) {
		free(name);
		return NULL;
	}
	struct report_name_slot *s = &rn->slots[slot_of(rn, name)];
	*s = (struct report_name_slot){ .name = name, .next = 2 };
	rn->n++;
	return s;
}

static struct report_name_slot *find(const struct report_names *rn,
				     const char *name)
{
	if (!rn->cap)
		return NULL;
	struct report_name_slot *s = &rn->slots[slot_of(rn, name)];
	return s->name ? s : NULL;
}

const char *report_name_claim(struct report_names *rn, const char *dump_path)
{
	char *raw = dump_file_name(dump_path);
	char *stem = raw ? clean_name(raw) : NULL;
	char *name = stem ? candidate(stem, name_hash(raw), 0) : NULL;
	const char *out = NULL;
	if (!name)
		goto out;
	struct report_name_slot *first = find(rn, name);
	if (first) {
		/* Taken: the first free "-N", starting where the last search
		 * for this name stopped. */
		unsigned n = first->next;
		free(name);
		for (;; n++) {
			name = candidate(stem, name_hash(raw), n);
			if (!name || !find(rn, name))
				break;
			free(name);
		}
		first->next = n + 1;
		if (!name)
			goto out;
	}
	struct report_name_slot *s = add(rn, name);
	out = s ? s->name : NULL;
out:
	free(raw);
	free(stem);
	return out;
}

bool report_names_taken(const struct report_names *rn, const char *name)
{
	return find(rn, name) != NULL;
}

bool report_names_take(struct report_names *rn, const char *name)
{
	if (find(rn, name))
		return true;
	char *c = strdup(name);
	return c && add(rn, c);
}

unsigned report_names_next(struct report_names *rn, const char *base)
{
	if (!report_names_take(rn, base))
		return 0;
	return find(rn, base)->next++;
}

void report_names_free(struct report_names *rn)
{
	for (size_t i = 0; i < rn->cap; i++)
		free(rn->slots[i].name);
	free(rn->slots);
	*rn = (struct report_names){ 0 };
}
