/*
 * collect_shim.c - an LD_PRELOAD library for tests/e2e/collect.py that
 * makes the rare moments of `coroner collect --snapshot` happen on cue,
 * from outside coroner (no test hook in coroner itself):
 *
 *   CORONER_SHIM=lose-child     the first process coroner waits for whose
 *                               parent is CORONER_SHIM_TARGET (the
 *                               injected clone's child, before its first
 *                               stop is seen) is killed with SIGKILL
 *                               first: a child lost between the clone and
 *                               its stop
 *   CORONER_SHIM=stop-in-inject SIGSTOP is sent to CORONER_SHIM_TARGET
 *                               just before coroner's first PTRACE_SYSCALL
 *                               (the injected clone's run): a job-control
 *                               stop that arrives during the injection
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static bool fired;

static bool mode(const char *m)
{
	const char *e = getenv("CORONER_SHIM");
	return !fired && e && !strcmp(e, m);
}

static pid_t target(void)
{
	const char *e = getenv("CORONER_SHIM_TARGET");
	return e ? (pid_t)atoi(e) : 0;
}

/* PID's parent as /proc/PID/stat says, 0 unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	int ppid = 0;
	if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	return (pid_t)ppid;
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	static pid_t (*real)(pid_t, int *, int);
	if (!real)
		real = (pid_t (*)(pid_t, int *, int))dlsym(RTLD_NEXT, "waitpid");
	if (mode("lose-child") && pid > 0 && target() > 0 &&
	    parent_of(pid) == target()) {
		fired = true;
		kill(pid, SIGKILL);
	}
	return real(pid, status, options);
}

long ptrace(enum __ptrace_request req, ...)
{
	static long (*real)(enum __ptrace_request, pid_t, void *, void *);
	if (!real)
		real = (long (*)(enum __ptrace_request, pid_t, void *, void *))
			dlsym(RTLD_NEXT, "ptrace");
	va_list ap;
	va_start(ap, req);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if (mode("stop-in-inject") && req == PTRACE_SYSCALL && target() > 0) {
		fired = true;
		kill(target(), SIGSTOP);
	}
	return real(req, pid, addr, data);
}
