/*
 * snapshot.c - `collect --snapshot`: copy a forked child, not the process
 * (collect.h).
 *
 * Copying a process with gigabytes resident keeps it stopped for seconds.
 * Windows' PssCaptureSnapshot avoids that with a copy-on-write clone; here
 * the stopped process is made to fork one: its first thread is pointed at
 * a `syscall` instruction (0f 05, found in the [vdso] or another
 * executable mapping) with the clone system call's number and arguments in
 * its registers, run to the end of that system call (PTRACE_SYSCALL:
 * entry, the clone event, exit), then given its own registers back.  The
 * original runs on as soon as that is done (fork copies page tables, not
 * pages: milliseconds); the core is written from the child, which has the
 * same memory as the parent had at the stop.  The threads' registers are
 * those read from the parent before the fork.
 *
 * The clone has no exit signal (flags 0: no SIGCHLD reaches the process,
 * and its own wait() calls, which wait for SIGCHLD children only, never
 * see the child).  Because the child stays the process's child, its
 * zombie is reaped by a second injected system call, wait4(child,
 * __WALL | WNOHANG), once it is killed.
 *
 * The registers given back are fixed up as the kernel would on a restart:
 * a thread stopped inside an interrupted system call holds -ERESTART* in
 * rax, which only the kernel's signal path turns into a restart; after
 * our syscall-exit stop that path does not run, so it is done here
 * (rax = orig_rax, rip -= 2), as CRIU does.
 *
 * Not done: aarch64 (`svc #0`, x8 = 220): --snapshot says so and the
 * collection goes on without it.  Unsafe cases (docs/coroner.1.md): a
 * seccomp filter (clone may kill the process: when /proc says "Seccomp:
 * 2", the filters are run on the clone, seccomp.c, and anything but an
 * ALLOW is a refusal), RLIMIT_NPROC or a cgroup's pids.max reached (clone fails:
 * EAGAIN, the collection goes on without), huge page tables (fork copies
 * them: slower), pthread_atfork handlers (not run: this is the raw system
 * call), MADV_DONTFORK mappings (absent from the child: written without
 * contents, from the parent's smaps) and MADV_WIPEONFORK ones (zeros in
 * the child: written without contents).
 */
#include "collect.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __x86_64__
#include <sys/user.h>

#define NR_CLONE 56
#define NR_WAIT4 61
#define NR_RESTART_SYSCALL 219
#define SCAN_MAX (1u << 20)		/* bytes of one mapping searched */
#define REAP_TRIES 50			/* wait4 WNOHANG attempts, 2 ms apart */
#define CLONE_TRIES 100			/* clones failed by a pending signal */

/* The kernel's restart codes (include/linux/errno.h, not for user
 * space). */
enum { ERESTARTSYS_ = 512, ERESTARTNOINTR_ = 513, ERESTARTNOHAND_ = 514,
       ERESTART_RESTARTBLOCK_ = 516 };

static struct cr_error *fail(const char *why)
{
	return cr_error_new(CR_ERR_PROCESS, "%s", why);
}

/* The address of a `syscall` instruction in an executable mapping of
 * PID, the [vdso] first (always there, small); 0 when none. */
static uint64_t find_syscall(pid_t pid)
{
	char *maps = cr_proc_read(pid, "maps", NULL);
	uint64_t found = 0;
	uint8_t *buf = malloc(SCAN_MAX);
	for (int pass = 0; maps && buf && !found && pass < 2; pass++) {
		for (char *l = maps; l && *l && !found;) {
			char *next = strchr(l, '\n');
			if (next)
				*next = 0;
			unsigned long long lo, hi;
			char perms[8];
			bool vdso = strstr(l, "[vdso]") != NULL;
			if (sscanf(l, "%llx-%llx %7s", &lo, &hi, perms) == 3 &&
			    perms[2] == 'x' && vdso == (pass == 0) && hi > lo) {
				size_t len = hi - lo > SCAN_MAX ? SCAN_MAX : (size_t)(hi - lo);
				struct iovec local = { buf, len };
				struct iovec remote = { (void *)(uintptr_t)lo, len };
				ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
				for (ssize_t i = 0; i + 1 < r; i++)
					if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
						found = lo + (uint64_t)i;
						break;
					}
			}
			if (next)
				*next = '\n';
			l = next ? next + 1 : NULL;
		}
	}
	free(buf);
	free(maps);
	return found;
}

static bool set_regs(pid_t tid, const struct user_regs_struct *r)
{
	struct iovec iov = { (void *)r, sizeof(*r) };
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) == 0;
}

static bool get_regs(pid_t tid, struct user_regs_struct *r)
{
	struct iovec iov = { r, sizeof(*r) };
	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) == 0 &&
	       iov.iov_len == sizeof(*r);
}

/* SAVED as the thread must get it back after an injected system call. */
static struct user_regs_struct restartable(const struct user_regs_struct *saved)
{
	struct user_regs_struct r = *saved;
	long ret = (long)r.rax;
	if ((long)r.orig_rax < 0)
		return r;
	if (ret == -ERESTARTSYS_ || ret == -ERESTARTNOINTR_ ||
	    ret == -ERESTARTNOHAND_) {
		r.rax = r.orig_rax;
		r.rip -= 2;
	} else if (ret == -ERESTART_RESTARTBLOCK_) {
		r.rax = NR_RESTART_SYSCALL;
		r.rip -= 2;
	}
	return r;
}

/* PTRACE_GETSIGMASK/SETSIGMASK's set: the kernel's sigset_t, 64 bits on
 * x86_64 (the request refuses any other size). */
typedef uint64_t kernel_sigset;

/*
 * Run system call NR(A0..A3) in the stopped thread T at the instruction
 * INSN; *RET its result (-errno on failure), *CHILD the pid of a clone
 * event (0 none).  T's registers are restored (restartable) in any case
 * but its exit.  False when the thread could not be driven (it exited).
 *
 * While it runs, T blocks every signal (PTRACE_SETSIGMASK; SIGKILL and
 * SIGSTOP cannot be): a signal sent meanwhile, or pending since the
 * stop, stays queued in the kernel for whichever thread takes it once
 * the process runs again, instead of being taken by T here, where each
 * would stop T and have to be kept and sent again (CR_KEPT_SIGNALS of
 * room: a burst of real-time signals was lost).  The mask T gets back is
 * the one PTRACE_GETSIGMASK gives: the mask it returns to user space
 * with, its saved one when stopped in ppoll() or sigsuspend() (whose
 * restart sets their own again).
 */
static bool inject(struct cr_stopped_thread *t, uint64_t insn, long nr,
		   const long a[4], long *ret, pid_t *child)
{
	struct user_regs_struct saved, r;
	*child = 0;
	if (!get_regs(t->tid, &saved))
		return false;
	r = saved;
	r.rip = insn;
	r.rax = (unsigned long long)nr;
	r.orig_rax = (unsigned long long)-1;
	r.rdi = (unsigned long long)a[0];
	r.rsi = (unsigned long long)a[1];
	r.rdx = (unsigned long long)a[2];
	r.r10 = (unsigned long long)a[3];
	r.r8 = r.r9 = 0;	/* what cr_seccomp_allows is asked about */
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |
		    PTRACE_O_TRACECLONE;
	kernel_sigset mask, all = ~(kernel_sigset)0;
	bool masked = ptrace(PTRACE_GETSIGMASK, t->tid, (void *)sizeof(mask), &mask) == 0 &&
		      ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(all), &all) == 0;
	bool driven = ptrace(PTRACE_SETOPTIONS, t->tid, 0, (void *)opts) == 0 &&
		      set_regs(t->tid, &r);
	for (int syscall_stops = 0; driven && syscall_stops < 2;) {
		int status;
		if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) != 0) {
			driven = false;
			break;
		}
		pid_t w;
		while ((w = waitpid(t->tid, &status, __WALL)) < 0 && errno == EINTR)
			;
		if (w < 0 || !WIFSTOPPED(status)) {
			driven = false;
			break;
		}
		int sig = WSTOPSIG(status), event = status >> 16;
		unsigned long msg;
		if (sig == (SIGTRAP | 0x80))
			syscall_stops++;
		else if ((event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK) &&
			 ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) == 0)
			*child = (pid_t)msg;
		else if (event == 0)
			cr_ptrace_keep_signal(t, sig);	/* given back on detach */
	}
	bool ok = driven && get_regs(t->tid, &r);
	*ret = ok ? (long)r.rax : -EIO;
	if (driven) {
		r = restartable(&saved);
		ptrace(PTRACE_SETOPTIONS, t->tid, 0, 0);
		ok = set_regs(t->tid, &r) && ok;
	}
	if (masked)
		ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(mask), &mask);
	return ok;
}

/* "Seccomp: 2" in /proc/PID/status: a filter, which may kill on clone
 * (seccomp.c runs it to see). */
static bool seccomp_filtered(pid_t pid)
{
	char *st = cr_proc_read(pid, "status", NULL);
	const char *l = st ? strstr(st, "\nSeccomp:") : NULL;
	int mode = 0;
	bool yes = l && sscanf(l, "\nSeccomp: %d", &mode) == 1 && mode == 2;
	free(st);
	return yes;
}

struct cr_error *cr_snapshot_fork(struct cr_stopped *s, pid_t *child)
{
	*child = 0;
	if (s->n == 0 || s->t[0].regs_len != sizeof(struct user_regs_struct))
		return fail("the first thread's registers are not x86_64's");
	uint64_t insn = find_syscall(s->pid);
	if (!insn)
		return fail("no syscall instruction found in an executable mapping");
	const long args[6] = { 0, 0, 0, 0, 0, 0 };	/* flags 0: fork, no SIGCHLD */
	/* The wait4 that reaps the child must get through too (its pid is
	 * not known yet: any child): else the child's zombie would stay. */
	const long reap[6] = { -1, 0, __WALL | WNOHANG, 0, 0, 0 };
	char why[256];
	if (seccomp_filtered(s->pid) &&
	    (!cr_seccomp_allows(s->t[0].tid, NR_CLONE, insn, args, why, sizeof(why)) ||
	     !cr_seccomp_allows(s->t[0].tid, NR_WAIT4, insn, reap, why, sizeof(why))))
		return fail(why);
	long ret;
	bool ok;
	/* A signal pending at the clone's entry fails it at once with
	 * -ERESTARTNOINTR (the kernel's fork restarts after the handler).
	 * inject() blocks them all, so only one that cannot be blocked
	 * (SIGSTOP) still does: the next attempt's return to user mode
	 * takes it first (its stop keeps it for the detach), then enters
	 * the clone. */
	for (int i = 0; (ok = inject(&s->t[0], insn, NR_CLONE, args, &ret, child)) &&
	     ret == -ERESTARTNOINTR_ && i < CLONE_TRIES; i++)
		;
	if (!ok) {
		/* A child made before the thread was lost must not run, nor
		 * stay a zombie: the caller has the process reap it once
		 * its threads run again. */
		if (*child > 0) {
			kill(*child, SIGKILL);
			s->orphan = *child;
		}
		*child = 0;
		return fail("the thread chosen for the injected clone exited");
	}
	if (ret < 0) {
		*child = 0;
		return cr_error_new(CR_ERR_PROCESS, "the injected clone failed: %s",
				    strerror((int)-ret));
	}
	*child = (pid_t)ret;
	/* Its first stop (auto-attached: seized as its parent was); then
	 * the kernel kills it should coroner die before it does: a copy of
	 * the process left running would do the process's work twice. */
	int status;
	pid_t w;
	while ((w = waitpid(*child, &status, __WALL)) < 0 && errno == EINTR)
		;
	if (w != *child || !WIFSTOPPED(status)) {
		/* Killed before that stop (someone's kill -9, the OOM
		 * killer): no memory to read.  Its zombie is the process's
		 * to reap, once its threads run again, as for a child made
		 * and then lost with its thread. */
		s->orphan = *child;
		*child = 0;
		return fail("the child of the injected clone was killed before it could be copied");
	}
	ptrace(PTRACE_SETOPTIONS, *child, 0, (void *)PTRACE_O_EXITKILL);
	return NULL;
}

bool cr_snapshot_release(pid_t pid, pid_t child)
{
	kill(child, SIGKILL);
	for (int status;;) {
		pid_t w = waitpid(child, &status, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			break;
	}
	/* Its zombie is PID's to reap: one thread stopped for a wait4. */
	struct cr_stopped_thread t;
	if (!cr_ptrace_stop_any(pid, &t))
		return false;
	bool reaped = false;
	uint64_t insn = find_syscall(pid);
	const long args[6] = { child, 0, __WALL | WNOHANG, 0, 0, 0 };
	char why[256];
	if (insn && seccomp_filtered(pid) &&
	    !cr_seccomp_allows(t.tid, NR_WAIT4, insn, args, why, sizeof(why)))
		insn = 0;	/* its filter would not let it: the zombie stays */
	for (int i = 0; insn && !reaped && i < REAP_TRIES; i++) {
		long ret;
		pid_t none;
		if (!inject(&t, insn, NR_WAIT4, args, &ret, &none))
			break;
		reaped = ret == child || ret == -ECHILD;
		if (ret == 0) {
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL);
		}
	}
	cr_ptrace_detach_thread(pid, &t);
	return reaped;
}

#else	/* not x86_64 */

struct cr_error *cr_snapshot_fork(struct cr_stopped *s, pid_t *child)
{
	(void)s;
	*child = 0;
	return cr_error_new(CR_ERR_PROCESS, "not implemented on this architecture");
}

bool cr_snapshot_release(pid_t pid, pid_t child)
{
	(void)pid;
	(void)child;
	return false;
}

#endif
