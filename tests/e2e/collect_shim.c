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
 *   CORONER_SHIM=kill-in-copy   the first process_vm_readv of a process
 *                               whose parent is CORONER_SHIM_TARGET (the
 *                               copy of the snapshot's child) kills it
 *                               with SIGKILL first: a child lost during
 *                               the copy
 *                               (CORONER_SHIM_COUNT: a file that gets
 *                               how many process_vm_readv calls were
 *                               made on the child once it was killed)
 *   CORONER_SHIM=kill-target-in-copy  the process CORONER_SHIM_TARGET
 *                               itself is killed with SIGKILL before the
 *                               SHIM_KILL_AT-th process_vm_readv of its
 *                               memory (a plain collection's copy, some
 *                               of it read); CORONER_SHIM_COUNT as above
 *   CORONER_SHIM=kill-before-maps  the first open of /proc/PID/smaps of
 *                               a process whose parent is
 *                               CORONER_SHIM_TARGET kills it first: a
 *                               child lost after its stop, before its
 *                               mappings are read
 *   CORONER_SHIM=stop-in-inject SIGSTOP is sent to CORONER_SHIM_TARGET
 *                               just before coroner's first PTRACE_SYSCALL
 *                               (the injected clone's run): a job-control
 *                               stop that arrives during the injection
 *   CORONER_SHIM=signals-in-inject  SHIM_SIGNALS real-time signals
 *                               (SIGRTMIN, kill(): queued, process-wide)
 *                               are sent to CORONER_SHIM_TARGET just
 *                               before coroner's first PTRACE_SYSCALL:
 *                               more than coroner keeps per thread
 *                               (CR_KEPT_SIGNALS), should the injected
 *                               thread take them
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHIM_SIGNALS 200
#define SHIM_KILL_AT 8

static bool fired;
static pid_t killed;			/* kill-in-copy's child */
static long reads_after;		/* process_vm_readv calls on it */

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

/* PID's state letter and parent as /proc/PID/stat says ('X' and 0 when
 * it is gone). */
static char stat_of(pid_t pid, pid_t *ppid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	char state = 'X';
	int parent = 0;
	if (!p || sscanf(p + 1, " %c %d", &state, &parent) != 2) {
		state = 'X';
		parent = 0;
	}
	*ppid = (pid_t)parent;
	return state;
}

static pid_t parent_of(pid_t pid)
{
	pid_t ppid;
	stat_of(pid, &ppid);
	return ppid;
}

static bool zombie(pid_t pid)
{
	pid_t ppid;
	char state = stat_of(pid, &ppid);
	return state == 'Z' || state == 'X';
}

/* SIGKILL to PID (the target or its child), then wait until it is dead
 * (a zombie, or gone): its memory is gone. */
static void kill_and_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	for (int i = 0; i < 1000 && (pid == target() || parent_of(pid) == target()) &&
	     kill(pid, 0) == 0 && !zombie(pid); i++)
		usleep(1000);
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

ssize_t process_vm_readv(pid_t pid, const struct iovec *local,
			 unsigned long nlocal, const struct iovec *remote,
			 unsigned long nremote, unsigned long flags)
{
	static ssize_t (*real)(pid_t, const struct iovec *, unsigned long,
			       const struct iovec *, unsigned long, unsigned long);
	if (!real)
		real = (ssize_t (*)(pid_t, const struct iovec *, unsigned long,
				    const struct iovec *, unsigned long, unsigned long))
			dlsym(RTLD_NEXT, "process_vm_readv");
	if (mode("kill-in-copy") && target() > 0 && parent_of(pid) == target()) {
		fired = true;
		killed = pid;
		kill_and_wait(pid);
	}
	static int target_reads;
	if (mode("kill-target-in-copy") && target() > 0 && pid == target() &&
	    ++target_reads == SHIM_KILL_AT) {
		fired = true;
		killed = pid;
		kill_and_wait(pid);
	}
	if (killed && pid == killed)
		reads_after++;
	return real(pid, local, nlocal, remote, nremote, flags);
}

__attribute__((destructor)) static void report_count(void)
{
	const char *path = getenv("CORONER_SHIM_COUNT");
	FILE *f = killed && path ? fopen(path, "w") : NULL;
	if (f) {
		fprintf(f, "%ld\n", reads_after);
		fclose(f);
	}
}

/* kill-before-maps: PATH is /proc/PID/smaps of the target's child. */
static void maybe_kill_before_maps(const char *path)
{
	int pid;
	char rest[16];
	if (mode("kill-before-maps") && target() > 0 &&
	    sscanf(path, "/proc/%d/%15s", &pid, rest) == 2 &&
	    !strcmp(rest, "smaps") && parent_of(pid) == target()) {
		fired = true;
		kill_and_wait(pid);
	}
}

/* open and open64 alike (which one coroner calls depends on
 * _FILE_OFFSET_BITS). */
#define SHIM_OPEN(name)							\
	int name(const char *path, int flags, ...)			\
	{								\
		static int (*real)(const char *, int, ...);		\
		if (!real)						\
			real = (int (*)(const char *, int, ...))	\
				dlsym(RTLD_NEXT, #name);		\
		va_list ap;						\
		va_start(ap, flags);					\
		mode_t m = (mode_t)va_arg(ap, int);			\
		va_end(ap);						\
		maybe_kill_before_maps(path);				\
		return real(path, flags, m);				\
	}
SHIM_OPEN(open)
SHIM_OPEN(open64)

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
	if (mode("signals-in-inject") && req == PTRACE_SYSCALL && target() > 0) {
		fired = true;
		for (int i = 0; i < SHIM_SIGNALS; i++)
			kill(target(), SIGRTMIN);
	}
	return real(req, pid, addr, data);
}
