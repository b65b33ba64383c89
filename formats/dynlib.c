/*
 * dynlib.c - libraries opened when first needed (dynlib.h says why).
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

struct cr_error *cr_dynlib_load(struct cr_dynlib *lib, const char *soname,
				const struct cr_dynsym *syms, size_t n,
				enum cr_errcode code, const char *what)
{
	if (!lib->tried) {
		lib->tried = true;
		lib->handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
		if (!lib->handle) {
			const char *e = dlerror();
			snprintf(lib->why, sizeof(lib->why), "%s", e ? e : "not found");
		}
		for (size_t i = 0; lib->handle && i < n; i++) {
			*syms[i].slot = dlsym(lib->handle, syms[i].name);
			if (!*syms[i].slot) {
				snprintf(lib->why, sizeof(lib->why),
					 "%s has no %s", soname, syms[i].name);
				dlclose(lib->handle);
				lib->handle = NULL;
			}
		}
	}
	if (lib->handle)
		return NULL;
	return cr_error_new(code, "%s needs %s, which could not be loaded: %s",
			    what, soname, lib->why);
}
