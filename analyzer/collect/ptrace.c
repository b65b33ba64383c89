/*
 * ptrace.c - stop, read and resume a live process (collect.h).
 *
 * PTRACE_SEIZE does not stop a thread and sends it no signal; a
 * PTRACE_INTERRUPT then stops it in a ptrace-stop that is not a
 * group-stop, so when we detach each thread simply runs on: nothing the
 * process can see (no SIGSTOP, no SIGCHLD to its parent).  A running
 * thread may create threads until it is stopped, so /proc/PID/task is
 * scanned again until a scan finds no thread we do not hold.
 *
 * A stop that reports a signal (the thread had one pending) swallows it:
 * it is given back on PTRACE_DETACH.
 */
#include "collect.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "term.h"
#include "util.h"

#define MAX_SCANS 1000			/* rescans of /proc/PID/task */
#define REGSET_MAX (64u << 10)		/* bytes of one register set */

/* The register sets read per thread, in the order the core has them. */
static const struct {
	int type;
	size_t off_buf, off_len;	/* where in cr_stopped_thread */
} regsets[] = {
	{ NT_PRSTATUS, offsetof(struct cr_stopped_thread, regs),
	  offsetof(struct cr_stopped_thread, regs_len) },
	{ NT_FPREGSET, offsetof(struct cr_stopped_thread, fpregs),
	  offsetof(struct cr_stopped_thread, fpregs_len) },
#ifdef __x86_64__
	{ NT_X86_XSTATE, offsetof(struct cr_stopped_thread, xstate),
	  offsetof(struct cr_stopped_thread, xstate_len) },
#endif
};

static bool holds(const struct cr_stopped *s, pid_t tid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].tid == tid)
			return true;
	return false;
}

/* Is PID gone, or a zombie nobody has reaped yet (ptrace refuses one
 * with EPERM)? */
static bool exited(pid_t pid)
{
	char *text = cr_proc_read(pid, "stat", NULL);
	struct cr_proc_stat st;
	bool gone = !text || !cr_proc_parse_stat(text, &st) ||
		    st.state == 'Z' || st.state == 'X';
	free(text);
	return gone;
}

static void why_not(int e, pid_t pid, char *buf, size_t len)
{
	if (e == ESRCH || (e == EPERM && exited(pid)))
		snprintf(buf, len, "it exited");
	else if (e == EPERM)
		snprintf(buf, len, "not permitted (another tracer attached, another user's process, or "
			 "/proc/sys/kernel/yama/ptrace_scope forbids it)");
	else if (e == ESRCH)
		snprintf(buf, len, "no such process");
	else
		snprintf(buf, len, "%s", strerror(e));
}

/* Wait for TID's interrupt stop; false when it exited meanwhile. */
static bool wait_stop(struct cr_stopped_thread *t)
{
	for (;;) {
		int status;
		pid_t r = waitpid(t->tid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			return false;
		if (!WIFSTOPPED(status))
			continue;
		int sig = WSTOPSIG(status);
		/* PTRACE_EVENT_STOP (status>>16) is our interrupt (or a
		 * group-stop); anything else is a signal-delivery-stop. */
		if ((status >> 16) == 0 && sig != SIGTRAP)
			cr_ptrace_keep_signal(t, sig);
		return true;
	}
}

/* Seize and stop TID into T; 0, or the errno of the failure. */
static int seize(pid_t tid, struct cr_stopped_thread *t)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) != 0)
		return errno;
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 || !wait_stop(t)) {
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return ESRCH;
	}
	return 0;
}

static int stop_one(struct cr_stopped *s, pid_t tid)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct cr_stopped_thread *t = realloc(s->t, cap * sizeof(*t));
		if (!t)
			return ENOMEM;
		s->t = t;
		s->cap = cap;
	}
	int e = seize(tid, &s->t[s->n]);
	if (e == 0)
		s->n++;
	return e;
}

bool cr_ptrace_stop_any(pid_t pid, struct cr_stopped_thread *t)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	struct dirent *e;
	bool stopped = false;
	while (dir && !stopped && (e = readdir(dir))) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);
		stopped = !*end && tid > 0 && seize((pid_t)tid, t) == 0;
	}
	if (dir)
		closedir(dir);
	return stopped;
}

/* One scan of /proc/PID/task: stop the threads not held yet; *NEW how
 * many.  The error only when the process itself is gone or refused. */
static struct cr_error *scan(pid_t pid, struct cr_stopped *s, size_t *new)
{
	char path[64], why[160];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	*new = 0;
	if (!dir) {
		if (errno == ENOENT)
			snprintf(why, sizeof(why), "%s", s->n ? "it exited during the collection"
								: "no such process");
		else
			why_not(errno, pid, why, sizeof(why));
		return cr_error_new(CR_ERR_PROCESS, "process %d: %s", (int)pid, why);
	}
	struct dirent *e;
	struct cr_error *err = NULL;
	while (!err && (e = readdir(dir))) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);
		if (*end || tid <= 0 || holds(s, (pid_t)tid))
			continue;
		if (s->n >= CR_COLLECT_MAX_THREADS) {
			err = cr_error_new(CR_ERR_NOMEM, "process %d: more than %d threads",
					   (int)pid, CR_COLLECT_MAX_THREADS);
			break;
		}
		int r = stop_one(s, (pid_t)tid);
		if (r == 0) {
			(*new)++;
		} else if (r == ESRCH || (r == EPERM && exited(pid))) {
			/* A thread that ended, or the whole process (the
			 * check after the scan says which). */
			s->vanished++;
		} else {
			why_not(r, pid, why, sizeof(why));
			err = r == ENOMEM ? cr_error_new(CR_ERR_NOMEM, "out of memory (threads)")
			      : cr_error_new(CR_ERR_PROCESS, "cannot stop process %d (thread %ld): %s",
					     (int)pid, tid, why);
		}
	}
	closedir(dir);
	return err;
}

struct cr_error *cr_ptrace_stop(pid_t pid, struct cr_stopped *s)
{
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->mem_pid = pid;
	s->mem_fd = -1;
	s->pagemap_fd = -1;
	struct cr_error *err = NULL;
	size_t new = 0;
	int i = 0;
	for (; i < MAX_SCANS; i++) {
		err = scan(pid, s, &new);
		if (err || new == 0)
			break;
		if (i > 0)
			s->born += new;
	}
	if (!err && i == MAX_SCANS)
		err = cr_error_new(CR_ERR_PROCESS, "process %d: still creating threads after %d scans of /proc/%d/task",
				   (int)pid, MAX_SCANS, (int)pid);
	if (!err && !holds(s, pid))
		err = cr_error_new(CR_ERR_PROCESS, "process %d: %s", (int)pid,
				   s->n ? "its main thread exited during the collection"
					: "it exited during the collection");
	if (err)
		cr_ptrace_resume(s);
	return err;
}

/* Read register set TYPE of T into a buffer of its own size. */
static int get_regset(pid_t tid, int type, uint8_t **buf, size_t *len)
{
	uint8_t *b = malloc(REGSET_MAX);
	if (!b)
		return ENOMEM;
	struct iovec iov = { b, REGSET_MAX };
	if (ptrace(PTRACE_GETREGSET, tid, (void *)(uintptr_t)type, &iov) != 0) {
		int e = errno;
		free(b);
		return e;
	}
	uint8_t *shrunk = realloc(b, iov.iov_len ? iov.iov_len : 1);
	*buf = shrunk ? shrunk : b;
	*len = iov.iov_len;
	return 0;
}

struct cr_error *cr_ptrace_regs(struct cr_stopped *s)
{
	/* The leader first: the core's first thread is the current one. */
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].tid == s->pid && i != 0) {
			struct cr_stopped_thread x = s->t[0];
			s->t[0] = s->t[i];
			s->t[i] = x;
		}
	for (size_t i = 0; i < s->n; i++) {
		struct cr_stopped_thread *t = &s->t[i];
		for (size_t k = 0; k < ARRAY_LEN(regsets); k++) {
			uint8_t **buf = (uint8_t **)((char *)t + regsets[k].off_buf);
			size_t *len = (size_t *)((char *)t + regsets[k].off_len);
			int e = get_regset(t->tid, regsets[k].type, buf, len);
			if (e == ENOMEM)
				return cr_error_new(CR_ERR_NOMEM, "out of memory (registers)");
			/* Only the general registers are needed; a thread
			 * killed meanwhile (SIGKILL needs no consent) has
			 * none: the process is dying. */
			if (e && k == 0)
				return cr_error_new(CR_ERR_PROCESS, "process %d: the registers of thread %d: %s",
						    (int)s->pid, (int)t->tid,
						    e == ESRCH ? "it exited during the collection" : strerror(e));
		}
	}
	return NULL;
}

/* Read [ADDR, ADDR+LEN) into BUF, zeros where it cannot be read; the
 * bytes read. */
static size_t read_range(struct cr_stopped *s, uint64_t addr, char *buf,
			 size_t len)
{
	size_t done = 0, readable = 0;
	long page = sysconf(_SC_PAGESIZE);
	while (done < len) {
		if (s->mem_gone) {
			/* MEM_PID is dead: every page would fail alike, one
			 * system call each; the copy ends (the writer's
			 * stop), so no more tries. */
			memset((char *)buf + done, 0, len - done);
			break;
		}
		struct iovec local = { (char *)buf + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), len - done };
		ssize_t r = process_vm_readv(s->mem_pid, &local, 1, &remote, 1, 0);
		if (r < 0 && errno == ESRCH)
			s->mem_gone = true;
		if (r <= 0 && s->mem_fd < 0 && errno != ESRCH) {
			/* Not allowed (no CAP_SYS_PTRACE in this namespace,
			 * old kernel): /proc/PID/mem, which ptrace opens. */
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/mem", (int)s->mem_pid);
			s->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (r <= 0 && s->mem_fd >= 0) {
			r = pread(s->mem_fd, (char *)buf + done, len - done,
				  (off_t)(addr + done));
			/* 0, not an error: the memory is gone (fs/proc's
			 * mem_rw once the last user of the mm left). */
			if (r == 0)
				s->mem_gone = true;
		}
		if (r > 0) {
			done += (size_t)r;
			readable += (size_t)r;
			continue;
		}
		/* This page cannot be read: zeros, and on to the next. */
		size_t skip = (size_t)page - (size_t)((addr + done) % (uint64_t)page);
		if (skip > len - done)
			skip = len - done;
		memset((char *)buf + done, 0, skip);
		done += skip;
	}
	return readable;
}

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_MAX 512			/* pagemap entries read at once */

/*
 * Pages of anonymous memory the process never touched hold zeros and are
 * not read: their pagemap entry is neither present nor swapped (reading
 * them would fault the zero page into the process, and cost pause time).
 * Not so for a file's pages (their bytes are in the file: "not present"
 * only means not mapped yet) nor the [vdso] (executable, faulted in page
 * by page).  Without /proc/PID/pagemap everything is read.
 */
size_t cr_ptrace_read(void *ctx, const struct cr_core_mapping *m,
		      uint64_t addr, void *buf, size_t len)
{
	struct cr_stopped *s = ctx;
	if (m->path || m->x)
		return read_range(s, addr, buf, len);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (s->pagemap_fd == -1) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)s->mem_pid);
		s->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->pagemap_fd < 0)
			s->pagemap_fd = -2;
	}
	if (s->pagemap_fd < 0 || addr % page || len % page)
		return read_range(s, addr, buf, len);
	size_t readable = 0;
	uint64_t entries[PM_MAX];
	for (size_t off = 0; off < len;) {
		size_t npages = (len - off) / page;
		if (npages > PM_MAX)
			npages = PM_MAX;
		ssize_t r = pread(s->pagemap_fd, entries, npages * 8,
				  (off_t)((addr + off) / page * 8));
		if (r != (ssize_t)(npages * 8))
			return readable + read_range(s, addr + off,
						     (char *)buf + off, len - off);
		for (size_t i = 0; i < npages;) {
			size_t j = i;
			bool used = entries[i] & (PM_PRESENT | PM_SWAPPED);
			while (j < npages &&
			       !!(entries[j] & (PM_PRESENT | PM_SWAPPED)) == used)
				j++;
			char *p = (char *)buf + off + i * page;
			size_t n = (j - i) * page;
			if (used) {
				readable += read_range(s, addr + off + i * page, p, n);
			} else {
				memset(p, 0, n);
				readable += n;
			}
			i = j;
		}
		off += npages * page;
	}
	return readable;
}

void cr_ptrace_keep_signal(struct cr_stopped_thread *t, int sig)
{
	if (!t->pending_sig) {
		t->pending_sig = sig;	/* PTRACE_DETACH gives its siginfo */
		return;
	}
	if (!t->more)
		t->more = calloc(CR_KEPT_SIGNALS, sizeof(*t->more));
	if (!t->more || t->nmore == CR_KEPT_SIGNALS) {
		t->nlost++;
		return;
	}
	siginfo_t *si = &t->more[t->nmore++];
	/* The thread is in this signal's delivery stop: its siginfo is the
	 * kernel's, with the sender and the value.  Without it, the signal
	 * alone (SI_TKILL). */
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, si) != 0 || si->si_signo != sig) {
		memset(si, 0, sizeof(*si));
		si->si_signo = sig;
		si->si_code = SI_TKILL;
	}
}

/*
 * The first signal goes back through PTRACE_DETACH (with its siginfo);
 * the others are queued again to the thread they were for with the
 * siginfo they had (rt_tgsigqueueinfo: a sigqueue()'s value, a timer's
 * id and value, the sender's pid).  The kernel refuses a siginfo of a
 * kernel source (si_code >= 0 other than SI_USER) from another process:
 * such a signal is sent alone (tgkill), which its handler sees as
 * SI_TKILL.
 */
void cr_ptrace_detach_thread(pid_t pid, const struct cr_stopped_thread *t)
{
	ptrace(PTRACE_DETACH, t->tid, 0, (void *)(uintptr_t)t->pending_sig);
	for (unsigned i = 0; i < t->nmore; i++) {
		siginfo_t si = t->more[i];
		if (syscall(SYS_rt_tgsigqueueinfo, pid, t->tid, si.si_signo, &si) != 0)
			syscall(SYS_tgkill, pid, t->tid, si.si_signo);
	}
	if (t->nlost)
		cr_term_printf(stderr, "coroner: collect: %u signals for thread %d "
			       "arrived while it was stopped beyond the %d kept; "
			       "they are lost", t->nlost, (int)t->tid,
			       CR_KEPT_SIGNALS);
}

void cr_ptrace_detach(struct cr_stopped *s)
{
	for (size_t i = 0; i < s->n && !s->detached; i++)
		cr_ptrace_detach_thread(s->pid, &s->t[i]);
	s->detached = true;
}

void cr_ptrace_resume(struct cr_stopped *s)
{
	cr_ptrace_detach(s);
	for (size_t i = 0; i < s->n; i++) {
		struct cr_stopped_thread *t = &s->t[i];
		free(t->regs);
		free(t->fpregs);
		free(t->xstate);
		free(t->more);
	}
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	if (s->pagemap_fd >= 0)
		close(s->pagemap_fd);
	free(s->t);
	s->t = NULL;
	s->n = s->cap = 0;
}
