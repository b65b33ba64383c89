/*
 * demangle.c - libstdc++'s demangler, loaded on first use (demangle.h).
 */
#include "demangle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "error.h"
#include "util.h"

/* libstdc++'s demangler (C++ ABI); no header of ours declares it. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

#define DM_FUNCS(X) X(__cxa_demangle)
static struct { DM_FUNCS(CR_DYN_FIELD) } dm;
#define DM_SYM(f) { #f, (void **)&dm.f },
static const struct cr_dynsym dm_syms[] = { DM_FUNCS(DM_SYM) };
static struct cr_dynlib dm_lib = { .stdcxx_first = true };
static char dm_why[320];

static bool load(void)
{
	struct cr_error *err = cr_dynlib_load(&dm_lib, CR_SONAME_STDCXX, dm_syms,
					      ARRAY_LEN(dm_syms), CR_ERR_IO,
					      "demangling C++ names");
	if (err)
		snprintf(dm_why, sizeof(dm_why), "%s", err->message);
	cr_error_free(err);
	return !dm_why[0];
}

char *cr_demangle(const char *mangled)
{
	if (!mangled || strncmp(mangled, "_Z", 2) != 0 || !load())
		return NULL;
	int status = -1;
	char *s = dm.__cxa_demangle(mangled, NULL, NULL, &status);
	if (s && status == 0)
		return s;
	free(s);
	return NULL;
}

const char *cr_demangle_error(void)
{
	return dm_why[0] ? dm_why : NULL;
}

/* The C++ runtimes whose presence says the program is C++ (and its names
 * Itanium-mangled): GNU's and LLVM's. */
static const char *const CXX_RUNTIMES[] = { "libstdc++.so", "libc++.so" };

void cr_demangle_prefetch(const struct cr_dump *d)
{
	for (size_t i = 0; i < d->nmodules; i++) {
		const char *base = d->modules[i].path ? cr_basename(d->modules[i].path) : "";
		for (size_t k = 0; k < ARRAY_LEN(CXX_RUNTIMES); k++)
			if (!strncmp(base, CXX_RUNTIMES[k], strlen(CXX_RUNTIMES[k]))) {
				cr_dynlib_prefetch(&dm_lib, CR_SONAME_STDCXX, dm_syms,
						   ARRAY_LEN(dm_syms));
				return;
			}
	}
}
