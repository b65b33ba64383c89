/*
 * dynlib.c - libraries opened when first needed (dynlib.h says why).
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

/* dlopen() and keep the reason of a failure (dlerror() is per thread). */
static void open_lib(struct cr_dynlib *lib, const char *soname)
{
	lib->handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		const char *e = dlerror();
		snprintf(lib->why, sizeof(lib->why), "%s", e ? e : "not found");
	}
}

static void *prefetch_thread(void *arg)
{
	struct cr_dynlib *lib = arg;
	open_lib(lib, lib->soname);
	return NULL;
}

void cr_dynlib_prefetch(struct cr_dynlib *lib, const char *soname)
{
	if (lib->tried || lib->loading)
		return;
	lib->soname = soname;
	lib->loading = pthread_create(&lib->thread, NULL, prefetch_thread,
				      lib) == 0;
}

struct cr_error *cr_dynlib_load(struct cr_dynlib *lib, const char *soname,
				const struct cr_dynsym *syms, size_t n,
				enum cr_errcode code, const char *what)
{
	if (!lib->tried) {
		lib->tried = true;
		if (lib->loading) {
			pthread_join(lib->thread, NULL);
			lib->loading = false;
		} else {
			open_lib(lib, soname);
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
