/*
 * test_asserts.h - cmocka assertions the unit tests share (include after
 * <cmocka.h>).
 */
#ifndef CR_TEST_ASSERTS_H
#define CR_TEST_ASSERTS_H

#include <string.h>

#include "pass.h"

/* Fail unless string HAY (NULL fails) contains NEEDLE. */
#define assert_contains(hay, needle)                                            \
	do {                                                                    \
		const char *h_ = (hay);                                         \
		if (!h_ || !strstr(h_, (needle)))                               \
			fail_msg("\"%s\" does not contain \"%s\"",              \
				 h_ ? h_ : "(null)", (needle));                 \
	} while (0)

/* The registered pass NAME (cr_pass_named), failing the test when there
 * is none. */
static inline const struct cr_pass *test_pass(const char *name)
{
	const struct cr_pass *p = cr_pass_named(name);
	if (!p)
		fail_msg("no pass %s", name);
	return p;
}

#endif
