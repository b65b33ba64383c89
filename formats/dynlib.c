/*
 * dynlib.c - libraries opened when first needed (dynlib.h says why).
 */
#include "dynlib.h"
#include "dynlib_populate.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "termsig.h"

/* dlopen() and dlsym() every symbol, keeping the reason of a failure
 * (dlerror() is per thread).  The thread that opens also resolves: a
 * dlsym() elsewhere would wait for the loader's next dlopen() to end. */
static void open_lib(struct cr_dynlib *lib, const char *soname,
		     const struct cr_dynsym *syms, size_t n)
{
	/* libstdc++ binds its 1,037 PLT entries lazily: bound at open, they
	 * cost the loader 0.3 ms of symbol lookups (of 1.9 ms for libxml2
	 * with ICU and libstdc++), for functions few runs call.  It is the
	 * one library opened so: lazy binding trades a failed dlopen() for a
	 * process killed at the first call of a symbol that is not there,
	 * and libstdc++'s undefined symbols are versioned references to
	 * glibc, libm and libgcc_s, whose version nodes the loader checks at
	 * open either way (a symbol missing from a version its library
	 * declares would be a broken glibc), or weak ones (transactional
	 * memory, profiling) that are allowed to be missing.  A later RTLD_NOW
	 * open of it or of a library that needs it (libxml2 through ICU)
	 * finds it loaded and relocated, and leaves it lazy.  Its handle is
	 * not kept: nothing closes it, it stays loaded until the process
	 * ends. */
	if (lib->stdcxx_first)
		(void)dlopen(CR_SONAME_STDCXX, RTLD_LAZY | RTLD_LOCAL);
	if (lib->populate)
		cr_dynlib_populate_start();
	/* RTLD_NOW: a symbol missing from the library or its dependencies
	 * (a mismatched version installed) fails dlopen() here, and the
	 * report says which library could not be loaded; lazily bound, the
	 * first call to it would kill the process mid-report ("symbol
	 * lookup error").  libxml2, ICU, Zydis, Capstone and SQLite are
	 * linked with -z now anyway; libstdc++ is not, and is bound lazily
	 * (above). */
	lib->handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (lib->populate)
		cr_dynlib_populate_stop();
	if (!lib->handle) {
		const char *e = dlerror();
		snprintf(lib->why, sizeof(lib->why), "%s", e ? e : "not found");
	}
	for (size_t i = 0; lib->handle && i < n; i++) {
		*syms[i].slot = dlsym(lib->handle, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(lib->why, sizeof(lib->why), "%s has no %s",
				 soname, syms[i].name);
			dlclose(lib->handle);
			lib->handle = NULL;
		}
	}
}

/* The libraries asked for in the background, in the order asked (a run
 * asks for two at most: Zydis or Capstone, and libxml2). */
#define MAX_QUEUED 8
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t opened = PTHREAD_COND_INITIALIZER;
static struct cr_dynlib *queue[MAX_QUEUED];
static size_t qhead, qtail;
static bool loader_running;
/* The loader's thread, until joined: its work done is not enough before
 * a fork() (cr_dynlib_settle). */
static pthread_t loader_thread;
static bool loader_joinable;

/* Join the loader's thread once its work is done (LOCK held, and
 * !loader_running: it no longer takes the lock). */
static void join_loader(void)
{
	if (loader_joinable && !loader_running) {
		pthread_join(loader_thread, NULL);
		loader_joinable = false;
	}
}

/* The loader: opens what was asked for until the queue is empty.  A
 * library cr_dynlib_load took over meanwhile is left to it. */
static void *loader(void *arg)
{
	pthread_mutex_lock(&lock);
	while (qhead < qtail) {
		struct cr_dynlib *lib = queue[qhead++];
		if (lib->state != CR_DYNLIB_QUEUED)
			continue;
		lib->state = CR_DYNLIB_OPENING;
		pthread_mutex_unlock(&lock);
		open_lib(lib, lib->soname, lib->syms, lib->nsyms);
		pthread_mutex_lock(&lock);
		lib->state = CR_DYNLIB_OPENED;
		pthread_cond_broadcast(&opened);
	}
	loader_running = false;
	pthread_cond_broadcast(&opened);	/* cr_dynlib_settle */
	pthread_mutex_unlock(&lock);
	return arg;
}

void cr_dynlib_settle(void)
{
	pthread_mutex_lock(&lock);
	while (loader_running)
		pthread_cond_wait(&opened, &lock);
	join_loader();
	pthread_mutex_unlock(&lock);
}

void cr_dynlib_prefetch(struct cr_dynlib *lib, const char *soname,
			const struct cr_dynsym *syms, size_t n)
{
	pthread_mutex_lock(&lock);
	if (lib->tried || lib->state != CR_DYNLIB_IDLE || qtail == MAX_QUEUED) {
		pthread_mutex_unlock(&lock);
		return;
	}
	lib->soname = soname;
	lib->syms = syms;
	lib->nsyms = n;
	lib->state = CR_DYNLIB_QUEUED;
	queue[qtail++] = lib;
	if (!loader_running) {
		join_loader();	/* the one before */
		/* It starts with SIGINT, SIGTERM and SIGHUP blocked, so that a
		 * handler of the program's (analyze's removal of temporary
		 * files) runs on the thread that set up what it reads.  (Not
		 * every signal: its populating timer signals it.) */
		sigset_t block, old;
		cr_term_sigset(&block);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		/* Joined by cr_dynlib_settle, or by the next start; at exit()
		 * it may still run (exit() waits for a dlopen() in
		 * progress). */
		loader_running = loader_joinable =
			!pthread_create(&loader_thread, NULL, loader, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!loader_running)
			lib->state = CR_DYNLIB_IDLE;	/* cr_dynlib_load opens it */
	}
	pthread_mutex_unlock(&lock);
}

/* Open LIB here unless the loader has it: then wait for it. */
static void open_or_wait(struct cr_dynlib *lib, const char *soname,
			 const struct cr_dynsym *syms, size_t n)
{
	pthread_mutex_lock(&lock);
	if (lib->state == CR_DYNLIB_IDLE || lib->state == CR_DYNLIB_QUEUED) {
		lib->state = CR_DYNLIB_OPENING;
		pthread_mutex_unlock(&lock);
		open_lib(lib, soname, syms, n);
		pthread_mutex_lock(&lock);
		lib->state = CR_DYNLIB_OPENED;
	}
	while (lib->state != CR_DYNLIB_OPENED)
		pthread_cond_wait(&opened, &lock);
	pthread_mutex_unlock(&lock);
}

struct cr_error *cr_dynlib_load(struct cr_dynlib *lib, const char *soname,
				const struct cr_dynsym *syms, size_t n,
				enum cr_errcode code, const char *what)
{
	if (!lib->tried) {
		lib->tried = true;
		open_or_wait(lib, soname, syms, n);
	}
	if (lib->handle)
		return NULL;
	return cr_error_new(code, "%s needs %s, which could not be loaded: %s",
			    what, soname, lib->why);
}
