/*
 * diag.c - the diagnostics channel (diag.h).
 *
 * The list grows at powers of two up to the owner's limit.  Whatever
 * cannot be kept is counted per severity, and a failed allocation is
 * also noted in the fixed table of out-of-memory notes, so the report
 * says "out of memory: problem texts" rather than nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "error.h"

const char *cr_severity_name(enum cr_severity s)
{
	static const char *const names[] = {
		[CR_SEVERITY_ERROR] = "error",
		[CR_SEVERITY_WARNING] = "warning",
		[CR_SEVERITY_INFO] = "information",
	};
	return (unsigned)s < CR_NSEVERITIES ? names[s] : "unknown";
}

const char *cr_diag_source_name(enum cr_diag_source s)
{
	static const char *const names[] = {
		[CR_SOURCE_READER] = "reader",
		[CR_SOURCE_SYMBOLIZER] = "symbolizer",
		[CR_SOURCE_WALKER] = "walker",
		[CR_SOURCE_PASS] = "pass",
		[CR_SOURCE_ANALYZER] = "analyzer",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
							       : "unknown";
}

/* A severity usable as an index (an out-of-range one counts as error). */
static unsigned sev_index(enum cr_severity s)
{
	return (unsigned)s < CR_NSEVERITIES ? (unsigned)s : CR_SEVERITY_ERROR;
}

void cr_problems_oom(struct cr_problems *p, enum cr_diag_source source,
		     const char *origin, const char *lost)
{
	for (size_t i = 0; i < p->noom; i++)
		if (p->oom[i].lost == lost && p->oom[i].origin == origin)
			return;	/* said once is enough */
	if (p->noom >= CR_MAX_OOM_NOTES) {
		p->dropped[CR_SEVERITY_ERROR]++;
		return;
	}
	p->oom[p->noom++] = (struct cr_oom_note){
		.source = source, .origin = origin, .lost = lost };
}

void cr_problems_vadd(struct cr_problems *p, size_t max,
		      const struct cr_diag_at *at, const char *default_origin,
		      const char *fmt, va_list ap)
{
	struct cr_diag_at where = *at;
	if (!where.origin)
		where.origin = default_origin;
	unsigned sev = sev_index(where.severity);
	where.severity = (enum cr_severity)sev;
	if (p->n >= max) {
		p->dropped[sev]++;
		return;
	}
	if ((p->n & (p->n - 1)) == 0) {
		/* Grow at powers of two: 1, 2, 4, ... */
		size_t cap = p->n ? p->n * 2 : 1;
		struct cr_problem *n = realloc(p->items, cap * sizeof(*n));
		if (!n)
			goto oom;
		p->items = n;
	}
	char *s = cr_strdup_vprintf(fmt, ap);
	if (!s)
		goto oom;
	p->items[p->n++] = (struct cr_problem){ .at = where, .text = s };
	return;
oom:
	p->dropped[sev]++;
	cr_problems_oom(p, where.source, where.origin, "problem texts");
}

void cr_problems_free(struct cr_problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->items[i].text);
	free(p->items);
	*p = (struct cr_problems){ 0 };
}

size_t cr_problems_count(const struct cr_problems *p, enum cr_severity sev)
{
	unsigned s = sev_index(sev);
	size_t n = p->dropped[s];
	for (size_t i = 0; i < p->n; i++)
		n += p->items[i].at.severity == s;
	if (s == CR_SEVERITY_ERROR)
		n += p->noom;
	return n;
}

bool cr_problems_serious(const struct cr_problems *p)
{
	return cr_problems_count(p, CR_SEVERITY_ERROR) ||
	       cr_problems_count(p, CR_SEVERITY_WARNING);
}

size_t cr_problems_dropped(const struct cr_problems *p)
{
	size_t n = 0;
	for (unsigned s = 0; s < CR_NSEVERITIES; s++)
		n += p->dropped[s];
	return n;
}

bool cr_problems_contain(const struct cr_problems *p, const char *needle)
{
	for (size_t i = 0; i < p->n; i++)
		if (strstr(p->items[i].text, needle))
			return true;
	return false;
}
