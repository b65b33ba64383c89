/*
 * lead.c - the finding that tells a dump without a crash of its own.
 *
 * A dump taken on demand (gcore, procdump, a hang detector) or written
 * because a signal was sent from outside (SIGQUIT to get a kernel core, a
 * watchdog's SIGABRT with kill) records no fault: what it is about is what
 * the passes after the crash pass concluded (a deadlock, a convoy, a
 * spinning thread).  Three passes read the same ranking, so that the focus
 * thread, the signature and the summary of one dump tell the same story:
 * the findings in report order (cr_findings_order: errors, then warnings,
 * then information, each as added), the crash pass's own finding ("Killed
 * by SIGQUIT") left out, the first one the caller's test accepts.
 */
#include <string.h>

#include "passes.h"

bool cr_taken_on_demand(const struct cr_analysis *a)
{
	return a->crash.cls == CR_CRASH_NONE || a->crash.sent;
}

const struct cr_finding *cr_top_finding(
	const struct cr_analysis *a,
	bool (*accept)(const struct cr_analysis *a, const struct cr_finding *f))
{
	const struct cr_findings *fs = &a->findings;
	/* cr_findings_order's ranking without its array: no allocation. */
	for (int sev = CR_SEVERITY_ERROR; sev <= CR_SEVERITY_INFO; sev++) {
		for (size_t i = 0; i < fs->n; i++) {
			const struct cr_finding *f = &fs->items[i];
			if ((int)f->severity != sev ||
			    (f->pass && !strcmp(f->pass, "crash")))
				continue;
			if (accept(a, f))
				return f;
		}
	}
	return NULL;
}
