/*
 * html_md_gen.c - a program of the build: the recommendations'
 * element trees (html_md_tree.h) as a C file.
 *
 *   html_md_gen OUT.c DIR/ID.md...
 *
 * Each file's text is stripped of the white space around it, as
 * analyzer/recommendations.cmake strips it for cr_finding_infos, compiled
 * (html_md_compile.c) and written as a static array of operations;
 * html_md_recommendations[] indexes them by the finding's enum
 * (CR_FINDING_<ID>, the id upper-cased with '-' as '_').  The output is
 * written only when it changed, so that an unchanged text rebuilds nothing.
 */
#include "html_md_compile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

/* The whole file PATH, NUL-terminated; NULL with a message. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return NULL;
	}
	char *s = NULL;
	size_t cap = 0, n = 0, got;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			char *t = realloc(s, cap);
			if (!t) {
				free(s);
				fclose(f);
				return NULL;
			}
			s = t;
		}
		got = fread(s + n, 1, 4096, f);
		n += got;
	} while (got > 0);
	fclose(f);
	s[n] = '\0';
	*len = n;
	return s;
}

/* S as a C string literal: printable ASCII as it is, the rest escaped
 * (octal, three digits, so that no following digit joins it). */
static void c_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p >= 0x20 && *p < 0x7f && *p != '?')	/* no trigraphs */
			fputc(*p, f);
		else
			fprintf(f, "\\%03o", *p);
	}
	fputc('"', f);
}

/* The file name's id ("divide-by-zero"), in ID (size SIZE). */
static int id_of(const char *path, char *id, size_t size)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n < 4 || strcmp(base + n - 3, ".md") || n - 3 >= size)
		return -1;
	memcpy(id, base, n - 3);
	id[n - 3] = '\0';
	return 0;
}

static void enum_name(FILE *f, const char *id)
{
	fputs("CR_FINDING_", f);
	for (const char *p = id; *p; p++)
		fputc(*p == '-' ? '_' : toupper((unsigned char)*p), f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s OUT.c FILE.md...\n", argv[0]);
		return 2;
	}
	struct out o = { 0 };
	o.f = open_memstream(&o.buf, &o.len);
	if (!o.f)
		return 1;
	fputs("/* Generated from analyzer/recommendations by reports/md_compile/"
	      "html_md_gen.c: do not edit. */\n"
	      "#include \"finding_ids.h\"\n#include \"html_md_tree.h\"\n\n", o.f);
	for (int i = 2; i < argc; i++) {
		char id[128];
		size_t len;
		if (id_of(argv[i], id, sizeof(id))) {
			fprintf(stderr, "%s: not an ID.md file\n", argv[i]);
			return 1;
		}
		char *text = slurp(argv[i], &len);
		if (!text)
			return 1;
		char *start = text, *end = text + len;
		while (start < end && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		struct html_md_ops ops = { 0 };
		if (!html_md_compile(start, (size_t)(end - start), &ops) || !ops.n) {
			fprintf(stderr, "%s: cannot compile\n", argv[i]);
			return 1;
		}
		fprintf(o.f, "static const struct html_md_op md_%d[] = {\n", i);
		for (size_t k = 0; k < ops.n; k++) {
			fprintf(o.f, "\t{ %u, %u, ", ops.v[k].kind, ops.v[k].element);
			if (ops.v[k].text)
				c_string(o.f, ops.v[k].text);
			else
				fputs("NULL", o.f);
			fputs(" },\n", o.f);
		}
		fprintf(o.f, "};\n\n");
		html_md_ops_free(&ops);
		free(text);
	}
	fputs("const struct html_md_tree html_md_recommendations[CR_FINDING_COUNT] = {\n", o.f);
	for (int i = 2; i < argc; i++) {
		char id[128];
		id_of(argv[i], id, sizeof(id));
		fputs("\t[", o.f);
		enum_name(o.f, id);
		fprintf(o.f, "] = { md_%d, sizeof(md_%d) / sizeof(md_%d[0]) },\n", i, i, i);
	}
	fputs("};\n", o.f);
	if (fclose(o.f))
		return 1;
	/* Written only when changed. */
	size_t oldlen = 0;
	FILE *old = fopen(argv[1], "rb");
	char *prev = old ? (fclose(old), slurp(argv[1], &oldlen)) : NULL;
	bool same = prev && oldlen == o.len && !memcmp(prev, o.buf, o.len);
	free(prev);
	/* Into OUT.tmp, renamed over OUT once complete: an interrupted
	 * build cannot leave a truncated OUT newer than its inputs, which
	 * make would then not rebuild. */
	int status = 0;
	if (!same) {
		size_t n = strlen(argv[1]) + sizeof(".tmp");
		char *tmp = malloc(n);
		FILE *f = tmp ? (snprintf(tmp, n, "%s.tmp", argv[1]), fopen(tmp, "wb")) : NULL;
		bool ok = f && fwrite(o.buf, 1, o.len, f) == o.len;
		if (f && fclose(f))
			ok = false;
		if (!ok || rename(tmp, argv[1])) {
			perror(tmp ? tmp : argv[1]);
			if (tmp)
				remove(tmp);
			status = 1;
		}
		free(tmp);
	}
	free(o.buf);
	return status;
}
