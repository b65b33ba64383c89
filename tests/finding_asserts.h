/*
 * finding_asserts.h - cmocka checks on findings shared by the unit tests
 * of the passes (test_passes.c, test_cpu.c), and the whole pipeline on a
 * minidump made with mdsynth.  Include after <cmocka.h>.
 */
#ifndef CR_TEST_FINDING_ASSERTS_H
#define CR_TEST_FINDING_ASSERTS_H

#include <string.h>

#include "analysis.h"
#include "findings.h"
#include "mdsynth.h"
#include "pass.h"
#include "test_asserts.h"	/* assert_contains */

/* The evidence of finding F labelled LABEL, failing when absent. */
static inline const struct cr_evidence *evidence(const struct cr_finding *f,
						 const char *label)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (!strcmp(f->evidence[i].label, label))
			return &f->evidence[i];
	fail_msg("finding %s: no evidence \"%s\"", f->title, label);
	return NULL;
}

/* What a test's analysis A got from the passes it ran: findings,
 * problems and what they kept (a teardown's work; A's other fields are
 * the fixture's). */
static inline void test_analysis_release(struct cr_analysis *a)
{
	cr_findings_free(&a->findings);
	cr_problems_free(&a->problems);
	cr_pass_kept_free(a);
}

/* Finish M, read it as dump NAME into *D and analyze it (cr_analyze runs
 * the registry); the analysis, to free with cr_analysis_free before
 * cr_dump_free(*D) and mds_free(M). */
static inline struct cr_analysis *mds_analyze(struct mds *m, const char *name,
					      struct cr_dump **d)
{
	size_t len;
	const uint8_t *buf = mds_finish(m, &len);
	struct cr_analysis *a = NULL;
	*d = NULL;
	assert_null(cr_dump_from_buffer(buf, len, name, d));
	assert_null(cr_analyze(*d, NULL, &a));
	return a;
}

#endif
