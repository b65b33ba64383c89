/*
 * finding_asserts.h - cmocka checks on findings shared by the unit tests
 * of the passes (test_passes.c, test_cpu.c).  Include after <cmocka.h>.
 */
#ifndef CR_TEST_FINDING_ASSERTS_H
#define CR_TEST_FINDING_ASSERTS_H

#include <string.h>

#include "findings.h"

#define assert_contains(hay, needle)                                            \
	do {                                                                    \
		const char *h_ = (hay);                                         \
		if (!h_ || !strstr(h_, (needle)))                               \
			fail_msg("\"%s\" does not contain \"%s\"",              \
				 h_ ? h_ : "(null)", (needle));                 \
	} while (0)

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

#endif
