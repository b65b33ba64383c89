/*
 * minidump_linux.c - the Breakpad/Crashpad Linux streams, which are copies
 * of files of the crashed process (Breakpad's minidump_format.h):
 *   LinuxCpuInfo   0x47670003  /proc/cpuinfo          -> process.cpu
 *   LinuxProcStatus 0x47670004 /proc/PID/status       -> pid, ppid, uid, gid
 *   LinuxLsbRelease 0x47670005 /etc/lsb-release       -> os_version
 *   LinuxCmdLine   0x47670006  /proc/PID/cmdline      -> command_line
 *   LinuxAuxv      0x47670008  /proc/PID/auxv         -> auxv
 *   LinuxMaps      0x47670009  /proc/PID/maps         -> regions
 * The text is untrusted like everything else: it is walked line by line
 * through the cursor, each line copied (bounded) into a NUL-terminated
 * buffer before any string function looks at it.
 */
#include "minidump.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD_MAX_TEXT_LINES 1000000u	/* lines read from one text stream */
#define AT_NULL_TYPE 0

/*
 * Copy the next line of C (without its '\n', at most MD_MAX_MAPS_LINE - 1
 * bytes, the rest of a longer line dropped) into BUF.  False at the end.
 */
static bool next_line(struct cr_cursor *c, char buf[MD_MAX_MAPS_LINE])
{
	size_t left = cr_cursor_left(c);
	if (left == 0)
		return false;
	const uint8_t *p = c->base + c->pos;
	const uint8_t *nl = memchr(p, '\n', left);
	size_t n = nl ? (size_t)(nl - p) : left;
	size_t keep = n < MD_MAX_MAPS_LINE - 1 ? n : MD_MAX_MAPS_LINE - 1;
	memcpy(buf, p, keep);
	buf[keep] = 0;
	/* An embedded NUL ends the line's text; that is fine for text. */
	md_ignore(cr_cursor_skip(c, n + (nl ? 1 : 0)));
	return true;
}

/* Strip leading and trailing blanks and quotes in place. */
static char *trim(char *s, bool quotes)
{
	while (*s == ' ' || *s == '\t' || (quotes && *s == '"'))
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     (quotes && s[n - 1] == '"')))
		s[--n] = 0;
	return s;
}

/* Parse a decimal number at S; false unless one is there. */
static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s)
		return false;
	*out = v;
	return true;
}

void md_read_linux_cpu_info(struct md_state *md, const struct md_stream *s)
{
	struct cr_process *p = &md->d->process;
	struct cr_cursor c;
	char line[MD_MAX_MAPS_LINE];

	if (p->cpu || !md_stream_cursor(md, s, &c))
		return;
	for (unsigned n = 0; n < MD_MAX_TEXT_LINES && next_line(&c, line); n++) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		char *key = trim(line, false), *val = trim(colon + 1, false);
		if ((!strcmp(key, "model name") || !strcmp(key, "Hardware") ||
		     !strcmp(key, "Processor")) && val[0]) {
			p->cpu = strdup(val);
			return;
		}
	}
}

void md_read_linux_proc_status(struct md_state *md, const struct md_stream *s)
{
	struct cr_process *p = &md->d->process;
	struct cr_cursor c;
	char line[MD_MAX_MAPS_LINE];
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{ "Pid", offsetof(struct cr_process, pid) },
		{ "PPid", offsetof(struct cr_process, ppid) },
		{ "Uid", offsetof(struct cr_process, uid) },	/* real uid first */
		{ "Gid", offsetof(struct cr_process, gid) },
	};

	if (!md_stream_cursor(md, s, &c))
		return;
	for (unsigned n = 0; n < MD_MAX_TEXT_LINES && next_line(&c, line); n++) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
			int64_t v;
			if (strcmp(line, fields[i].key) || !parse_i64(colon + 1, &v))
				continue;
			*(int64_t *)((char *)p + fields[i].off) = v;
		}
	}
}

void md_read_linux_lsb_release(struct md_state *md, const struct md_stream *s)
{
	struct cr_process *p = &md->d->process;
	struct cr_cursor c;
	char line[MD_MAX_MAPS_LINE];
	char *desc = NULL;

	if (!md_stream_cursor(md, s, &c))
		return;
	for (unsigned n = 0; n < MD_MAX_TEXT_LINES && next_line(&c, line); n++) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = 0;
		/* lsb-release, or os-release (Crashpad) */
		if (!strcmp(line, "DISTRIB_DESCRIPTION") ||
		    (!desc && !strcmp(line, "PRETTY_NAME"))) {
			free(desc);
			desc = strdup(trim(eq + 1, true));
		}
	}
	if (!desc || !desc[0]) {
		free(desc);
		return;
	}
	if (p->os_version) {
		char *v = cr_strdup_printf("%s, %s", desc, p->os_version);
		free(desc);
		desc = v;
	}
	if (desc) {
		free(p->os_version);
		p->os_version = desc;
	}
}

void md_read_linux_cmd_line(struct md_state *md, const struct md_stream *s)
{
	struct cr_process *p = &md->d->process;
	struct cr_cursor c;
	const uint8_t *b;

	if (!md_stream_cursor(md, s, &c))
		return;
	size_t n = c.len < CR_MAX_STRING ? c.len : CR_MAX_STRING;
	struct cr_error *err = cr_cursor_bytes(&c, n, &b);
	if (err) {	/* cannot happen: n <= len */
		md_ignore(err);
		return;
	}
	while (n && b[n - 1] == 0)
		n--;
	if (n == 0)
		return;
	char *cl = malloc(n + 1);
	if (!cl) {
		cr_dump_oom(md->d, "the command line (LinuxCmdLine)");
		return;
	}
	for (size_t i = 0; i < n; i++)
		cl[i] = b[i] ? (char)b[i] : ' ';
	cl[n] = 0;
	free(p->command_line);
	p->command_line = cl;
}

void md_read_linux_auxv(struct md_state *md, const struct md_stream *s)
{
	struct cr_dump *d = md->d;
	struct cr_cursor c;
	unsigned ps = d->process.pointer_size ? d->process.pointer_size : 8;

	if (!md_stream_cursor(md, s, &c))
		return;
	size_t n = c.len / (2 * ps);
	if (n > MD_MAX_AUXV) {
		md_problem(md, s, "%zu auxv entries, reading the first %u", n,
			   MD_MAX_AUXV);
		n = MD_MAX_AUXV;
	}
	if (n == 0)
		return;
	struct cr_auxv *a = calloc(n, sizeof(*a));
	if (!a) {
		cr_dump_oom(md->d, "the auxiliary vector (LinuxAuxv)");
		return;
	}
	size_t k = 0;
	for (; k < n; k++) {
		struct cr_error *err;
		if ((err = cr_cursor_word(&c, ps, &a[k].type)) ||
		    (err = cr_cursor_word(&c, ps, &a[k].value))) {
			md_ignore(err);	/* cannot happen: n entries fit */
			break;
		}
		if (a[k].type == AT_NULL_TYPE)
			break;
	}
	free(d->auxv);
	d->auxv = a;
	d->nauxv = k;
}

/* Parse a hexadecimal number at *S, advancing it; false if none. */
static bool parse_hex(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	int digits = 0;
	for (;; p++, digits++) {
		unsigned d;
		if (*p >= '0' && *p <= '9') d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f') d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F') d = (unsigned)(*p - 'A' + 10);
		else break;
		if (digits >= 16)
			return false;	/* more than 64 bits */
		v = v << 4 | d;
	}
	if (!digits)
		return false;
	*out = v;
	*s = p;
	return true;
}

static bool skip_char(const char **s, char ch)
{
	if (**s != ch)
		return false;
	(*s)++;
	return true;
}

static void skip_blanks(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

/*
 * Parse one /proc/PID/maps line:
 *   "start-end perms offset major:minor inode   path"
 * into R (path malloc'd, NULL when absent).  False if it is not such a line.
 */
static bool parse_maps_line(const char *line, struct cr_region *r)
{
	const char *p = line;
	uint64_t start, end, off, major, minor, inode;
	if (!parse_hex(&p, &start) || !skip_char(&p, '-') ||
	    !parse_hex(&p, &end) || !skip_char(&p, ' '))
		return false;
	if (strlen(p) < 4 || end < start)
		return false;
	const char *perms = p;
	for (int i = 0; i < 4; i++)
		if (!strchr("rwxps-", perms[i]))
			return false;
	p += 4;
	skip_blanks(&p);
	if (!parse_hex(&p, &off))
		return false;
	skip_blanks(&p);
	if (!parse_hex(&p, &major) || !skip_char(&p, ':') || !parse_hex(&p, &minor))
		return false;
	skip_blanks(&p);
	const char *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q == p)
		return false;
	inode = strtoull(p, NULL, 10);
	(void)inode;
	p = q;
	skip_blanks(&p);
	r->start = start;
	r->end = end;
	r->prot_known = true;
	r->prot = (perms[0] == 'r' ? CR_PROT_R : 0) |
		  (perms[1] == 'w' ? CR_PROT_W : 0) |
		  (perms[2] == 'x' ? CR_PROT_X : 0);
	r->file_offset = off;
	r->path = *p ? strdup(p) : NULL;	/* "[stack]" etc. kept as named */
	return true;
}

void md_read_linux_maps(struct md_state *md, const struct md_stream *s)
{
	struct cr_dump *d = md->d;
	struct cr_cursor c;
	char line[MD_MAX_MAPS_LINE];

	if (!md_stream_cursor(md, s, &c))
		return;
	/* Grow as lines parse: a stream of blank lines must not size the
	 * array (a maps line is at least ~25 bytes, a blank one 1). */
	struct cr_region *r = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	while (next_line(&c, line)) {
		lineno++;
		if (!trim(line, false)[0])
			continue;
		if (n == CR_MAX_REGIONS) {
			md_problem(md, s, "more than %u regions, reading the first %u",
				   CR_MAX_REGIONS, CR_MAX_REGIONS);
			break;
		}
		if (!CR_GROW(r, cap, n + 1)) {
			cr_dump_oom(md->d, "memory regions (LinuxMaps)");
			break;
		}
		memset(&r[n], 0, sizeof(r[n]));
		if (!parse_maps_line(line, &r[n])) {
			if (cr_cursor_left(&c) == 0 && c.base[c.len - 1] != '\n')
				md_problem(md, s, "the last line (%zu) is cut off",
					   lineno);
			else
				md_problem(md, s, "line %zu is not a maps line; %zu regions read",
					   lineno, n);
			break;
		}
		n++;
	}
	if (n == 0) {
		free(r);
		return;
	}
	for (size_t i = 0; i < d->nregions; i++)
		free(d->regions[i].path);
	free(d->regions);
	d->regions = r;
	d->nregions = n;
}
