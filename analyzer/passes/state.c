/*
 * state.c - pass_state: what every thread was doing, in plain words.
 *
 * Two facts say it: the system call a thread was stopped in (cores record
 * it: orig_rax / orig_eax / syscallno), and the functions at the top of its
 * stack (pthread_cond_wait says more than "futex"; minidumps record no
 * system call, but NtWaitForSingleObject is on the stack).  Both are looked
 * up in tables below; the function table wins when both match.
 *
 * A state reads "what (details)": "blocked reading (in system call read on
 * fd 5)", "waiting on a lock (in __lll_lock_wait)".  summary.c counts
 * threads by the part before " (", so keep the phrase free of parentheses.
 *
 * The first system call argument survives in the saved registers on x86_64
 * (rdi) and i386 (ebx), so the fd of read() etc. can be named there; on
 * aarch64 x0 carries both the first argument and the return value and is
 * overwritten when the kernel interrupts the call, so no fd is claimed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "util.h"

/* Top frames searched for a function that names the state. */
#define CR_STATE_SCAN_FRAMES 8

/* System call → what a thread inside it is doing. */
static const struct {
	const char *name;
	const char *phrase;
	bool fd_arg;		/* the first argument is a file descriptor */
} syscall_states[] = {
	{ "read", "blocked reading", true },
	{ "readv", "blocked reading", true },
	{ "pread64", "blocked reading", true },
	{ "preadv", "blocked reading", true },
	{ "preadv2", "blocked reading", true },
	{ "recvfrom", "waiting to receive", true },
	{ "recvmsg", "waiting to receive", true },
	{ "recvmmsg", "waiting to receive", true },
	{ "accept", "waiting for a connection", true },
	{ "accept4", "waiting for a connection", true },
	{ "connect", "connecting", true },
	{ "write", "blocked writing", true },
	{ "writev", "blocked writing", true },
	{ "pwrite64", "blocked writing", true },
	{ "sendto", "blocked sending", true },
	{ "sendmsg", "blocked sending", true },
	{ "sendmmsg", "blocked sending", true },
	{ "poll", "waiting for I/O", false },
	{ "ppoll", "waiting for I/O", false },
	{ "select", "waiting for I/O", false },
	{ "_newselect", "waiting for I/O", false },
	{ "pselect6", "waiting for I/O", false },
	{ "epoll_wait", "waiting for events", true },
	{ "epoll_pwait", "waiting for events", true },
	{ "epoll_pwait2", "waiting for events", true },
	{ "futex", "waiting on a lock", false },
	{ "futex_waitv", "waiting on a lock", false },
	{ "nanosleep", "sleeping", false },
	{ "clock_nanosleep", "sleeping", false },
	{ "clock_nanosleep_time64", "sleeping", false },
	{ "wait4", "waiting for a child process", false },
	{ "waitpid", "waiting for a child process", false },
	{ "waitid", "waiting for a child process", false },
	{ "pause", "waiting for a signal", false },
	{ "rt_sigsuspend", "waiting for a signal", false },
	{ "sigsuspend", "waiting for a signal", false },
	{ "rt_sigtimedwait", "waiting for a signal", false },
	{ "sched_yield", "yielding the CPU", false },
	{ "io_getevents", "waiting for asynchronous I/O", false },
	{ "io_pgetevents", "waiting for asynchronous I/O", false },
	{ "io_uring_enter", "waiting on io_uring", true },
	{ "msgrcv", "waiting for a message-queue message", false },
	{ "mq_timedreceive", "waiting for a message-queue message", true },
	{ "semop", "waiting on a semaphore", false },
	{ "semtimedop", "waiting on a semaphore", false },
	{ "flock", "waiting for a file lock", true },
	{ "fcntl", "in fcntl, possibly waiting for a file lock", true },
	{ "fcntl64", "in fcntl, possibly waiting for a file lock", true },
	{ "ioctl", "in a device control call", true },
	{ "open", "opening a file", false },
	{ "openat", "opening a file", false },
	{ "openat2", "opening a file", false },
	{ "close", "closing a file", true },
	{ "fsync", "flushing a file to disk", true },
	{ "fdatasync", "flushing a file to disk", true },
	{ "sync", "flushing files to disk", false },
	{ "mmap", "changing its memory map", false },
	{ "mmap2", "changing its memory map", false },
	{ "munmap", "changing its memory map", false },
	{ "mprotect", "changing its memory map", false },
	{ "mremap", "changing its memory map", false },
	{ "brk", "changing its memory map", false },
	{ "exit", "exiting", false },
	{ "exit_group", "exiting", false },
	{ "kill", "sending a signal", false },
	{ "tkill", "sending a signal", false },
	{ "tgkill", "sending a signal", false },
	{ "execve", "starting a program", false },
	{ "clone", "creating a process or thread", false },
	{ "clone3", "creating a process or thread", false },
	{ "fork", "creating a process or thread", false },
	{ "vfork", "creating a process or thread", false },
	{ "getrandom", "waiting for random numbers", false },
	{ "restart_syscall", "resuming an interrupted sleep or wait", false },
};

/* Function near the top of a stack → what the thread is doing. */
static const struct {
	const char *function;
	const char *phrase;
} function_states[] = {
	/* glibc / POSIX threads */
	{ "pthread_cond_wait", "waiting on a condition variable" },
	{ "pthread_cond_timedwait", "waiting on a condition variable" },
	{ "pthread_cond_clockwait", "waiting on a condition variable" },
	{ "__pthread_cond_wait", "waiting on a condition variable" },
	{ "__pthread_cond_wait_common", "waiting on a condition variable" },
	{ "___pthread_cond_wait", "waiting on a condition variable" },
	{ "___pthread_cond_timedwait", "waiting on a condition variable" },
	{ "pthread_mutex_lock", "waiting on a lock" },
	{ "pthread_mutex_timedlock", "waiting on a lock" },
	{ "___pthread_mutex_lock", "waiting on a lock" },
	{ "__pthread_mutex_lock", "waiting on a lock" },
	{ "__lll_lock_wait", "waiting on a lock" },
	{ "__lll_lock_wait_private", "waiting on a lock" },
	{ "pthread_rwlock_rdlock", "waiting on a read-write lock" },
	{ "pthread_rwlock_wrlock", "waiting on a read-write lock" },
	{ "___pthread_rwlock_rdlock", "waiting on a read-write lock" },
	{ "___pthread_rwlock_wrlock", "waiting on a read-write lock" },
	{ "pthread_join", "waiting for another thread to exit" },
	{ "___pthread_join", "waiting for another thread to exit" },
	{ "__pthread_clockjoin_ex", "waiting for another thread to exit" },
	{ "pthread_barrier_wait", "waiting at a barrier" },
	{ "sem_wait", "waiting on a semaphore" },
	{ "sem_timedwait", "waiting on a semaphore" },
	{ "sem_clockwait", "waiting on a semaphore" },
	{ "__new_sem_wait_slow", "waiting on a semaphore" },
	{ "__new_sem_wait_slow64", "waiting on a semaphore" },
	{ "sleep", "sleeping" },
	{ "usleep", "sleeping" },
	{ "std::this_thread::sleep_for", "sleeping" },
	{ "std::condition_variable::wait", "waiting on a condition variable" },
	{ "std::thread::join", "waiting for another thread to exit" },
	/* Windows (export names of ntdll/kernelbase/user32) */
	{ "NtWaitForSingleObject", "waiting on a kernel object" },
	{ "ZwWaitForSingleObject", "waiting on a kernel object" },
	{ "NtWaitForMultipleObjects", "waiting on kernel objects" },
	{ "ZwWaitForMultipleObjects", "waiting on kernel objects" },
	{ "NtDelayExecution", "sleeping" },
	{ "ZwDelayExecution", "sleeping" },
	{ "RtlSleepConditionVariableSRW", "waiting on a condition variable" },
	{ "RtlSleepConditionVariableCS", "waiting on a condition variable" },
	{ "SleepConditionVariableSRW", "waiting on a condition variable" },
	{ "SleepConditionVariableCS", "waiting on a condition variable" },
	{ "RtlpWaitOnCriticalSection", "waiting on a lock" },
	{ "RtlEnterCriticalSection", "waiting on a lock" },
	{ "RtlAcquireSRWLockExclusive", "waiting on a lock" },
	{ "RtlAcquireSRWLockShared", "waiting on a lock" },
	{ "NtRemoveIoCompletion", "waiting for I/O completions" },
	{ "ZwRemoveIoCompletion", "waiting for I/O completions" },
	{ "NtRemoveIoCompletionEx", "waiting for I/O completions" },
	{ "NtWaitForWorkViaWorkerFactory", "idle thread-pool worker" },
	{ "ZwWaitForWorkViaWorkerFactory", "idle thread-pool worker" },
	{ "NtWaitForAlertByThreadId", "waiting on a lock or condition" },
	{ "NtUserGetMessage", "waiting for window messages" },
	{ "NtUserMsgWaitForMultipleObjectsEx", "waiting for window messages" },
	{ "NtReadFile", "blocked reading" },
	{ "ZwReadFile", "blocked reading" },
	/* macOS */
	{ "__psynch_cvwait", "waiting on a condition variable" },
	{ "__psynch_mutexwait", "waiting on a lock" },
	{ "__semwait_signal", "sleeping" },
	{ "mach_msg_trap", "waiting for a Mach message" },
	{ "mach_msg2_trap", "waiting for a Mach message" },
	{ "__workq_kernreturn", "idle worker thread" },
	{ "kevent", "waiting for events" },
	{ "kevent64", "waiting for events" },
};

/* The register holding the first system call argument, by architecture. */
static const struct {
	enum cr_arch arch;
	unsigned reg;		/* DWARF number */
} first_arg_regs[] = {
	{ CR_ARCH_X86_64, 5 },	/* rdi */
	{ CR_ARCH_X86, 3 },	/* ebx */
};

static bool first_syscall_arg(const struct cr_dump *d,
			      const struct cr_thread *t, uint64_t *val)
{
	for (size_t i = 0; i < ARRAY_LEN(first_arg_regs); i++)
		if (first_arg_regs[i].arch == d->process.arch)
			return cr_regs_get(&t->regs, first_arg_regs[i].reg, val);
	return false;
}

/* The phrase for the first table function among the top frames, or NULL;
 * *FN gets that frame's function name. */
static const char *function_state(const struct cr_stack *s, const char **fn)
{
	size_t n = s->nframes < CR_STATE_SCAN_FRAMES ? s->nframes
						     : CR_STATE_SCAN_FRAMES;
	for (size_t i = 0; i < n; i++) {
		const char *f = s->frames[i].function;
		if (!f)
			continue;
		for (size_t j = 0; j < ARRAY_LEN(function_states); j++) {
			if (cr_function_is(f, function_states[j].function)) {
				*fn = f;
				return function_states[j].phrase;
			}
		}
	}
	return NULL;
}

/* "blocked reading (in system call read on fd 5)" for a thread in a call. */
static char *syscall_state(const struct cr_dump *d, const struct cr_thread *t,
			   const char *fn_phrase)
{
	const char *name = cr_syscall_name(d->process.arch, t->syscall_nr);
	const char *phrase = fn_phrase;
	bool fd_arg = false;
	char call[64];
	uint64_t fd;

	if (name) {
		for (size_t i = 0; i < ARRAY_LEN(syscall_states); i++) {
			if (!strcmp(syscall_states[i].name, name)) {
				if (!phrase)
					phrase = syscall_states[i].phrase;
				fd_arg = syscall_states[i].fd_arg;
				break;
			}
		}
		snprintf(call, sizeof(call), "in system call %s", name);
	} else if (t->syscall_nr >= 0) {
		snprintf(call, sizeof(call), "in system call %" PRId64,
			 t->syscall_nr);
	} else {
		snprintf(call, sizeof(call), "in a system call");
	}

	if (fd_arg && first_syscall_arg(d, t, &fd) && (int64_t)(int32_t)fd >= 0) {
		if (phrase)
			return cr_strdup_printf("%s (%s on fd %" PRId32 ")",
						phrase, call, (int32_t)fd);
		return cr_strdup_printf("%s (fd %" PRId32 ")", call, (int32_t)fd);
	}
	if (phrase)
		return cr_strdup_printf("%s (%s)", phrase, call);
	return cr_strdup_printf("%s", call);
}

/* "in an unknown state (its stack memory is not in the dump; stopped in
 * system call futex)": summary.c counts it as unknown, by the words before
 * " (".  The system call is in the registers, which the dump holds. */
static char *missing_stack_state(const struct cr_dump *d,
				 const struct cr_thread *t)
{
	const char *why = "its stack memory is not in the dump";
	const char *name = cr_syscall_name(d->process.arch, t->syscall_nr);
	if (!t->syscall_known || !t->in_syscall)
		return cr_strdup_printf("in an unknown state (%s)", why);
	if (name)
		return cr_strdup_printf("in an unknown state (%s; stopped in system call %s)",
					why, name);
	return cr_strdup_printf("in an unknown state (%s; stopped in a system call)",
				why);
}

/*
 * The state of the thread that received a signal sent to the process
 * (crash.sent): "received SIGTERM from process 1234 (uid 0)", "received
 * SIGQUIT from the kernel".  It did not crash, so "crashed here" would send
 * the reader looking for a bug at a frame that only happened to be running.
 */
static char *received_state(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	bool self = c->class_id && !strcmp(c->class_id, "self-signal");
	char num[32];
	const char *what = c->signal_name;
	if (!what) {
		snprintf(num, sizeof(num), "signal %d", c->signo);
		what = num;
	}
	if (self)
		return cr_strdup_printf("received %s from the process itself", what);
	if (c->sender)
		return cr_strdup_printf("received %s from %s", what, c->sender);
	if (a->dump->event.kind == CR_EVENT_SIGNAL)
		return cr_strdup_printf("received %s (sender not recorded)", what);
	return cr_strdup_printf("received %s", what);
}

/*
 * pass_state: a->threads[i].state for every thread: "crashed here" (or
 * "received SIGTERM from process 1234" when the signal was sent), the
 * system call it waits in, or what its top frames say; NULL when nothing
 * is known.  Needs pass_crash (the crashed flags).  Returns &cr_enomem when
 * a text could not be allocated.
 */
struct cr_error *pass_state(struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;

	for (size_t i = 0; i < a->nthreads; i++) {
		struct cr_thread_analysis *ta = &a->threads[i];
		const struct cr_thread *t = ta->thread;
		const char *fn = NULL;
		const char *phrase;
		char *state;

		if (!t)
			continue;
		/* A stack not in the dump names no functions to go by; the
		 * system call is in the registers, which are. */
		phrase = ta->stack.stack_missing ? NULL
						 : function_state(&ta->stack, &fn);
		if (ta->crashed)
			state = a->crash.sent ? received_state(a)
					      : cr_strdup_printf("crashed here");
		else if (ta->stack.stack_missing)
			state = missing_stack_state(d, t);
		else if (t->syscall_known && t->in_syscall)
			state = syscall_state(d, t, phrase);
		else if (t->syscall_known)
			state = cr_strdup_printf("running (not in a system call)");
		else if (phrase)
			state = cr_strdup_printf("%s (in %s)", phrase, fn);
		else
			continue;
		if (!state)
			return &cr_enomem;
		free(ta->state);
		ta->state = state;
	}
	return NULL;
}
