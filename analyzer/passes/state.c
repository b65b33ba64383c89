/*
 * state.c - pass_state: what every thread was doing, as data
 * (struct cr_thread_state; the sentence is made in state_text.c).
 *
 * Two facts say it: the system call a thread was stopped in (cores record
 * it: orig_rax / orig_eax / syscallno), and the functions at the top of its
 * stack (pthread_cond_wait says more than "futex"; minidumps record no
 * system call, but NtWaitForSingleObject is on the stack).  Both are looked
 * up in tables below, each row giving a kind and the activity in words;
 * the function table wins when both match, and among functions an idle
 * thread-pool function wins over a specific wait, which wins over a
 * generic one (NtWaitForSingleObject under RtlpWaitOnCriticalSection is a
 * lock).
 *
 * The arguments of the system call are decoded from the registers saved
 * at the stop, where they matter (a table per call): the fd of read(), the
 * futex word, operation and timeout.  x86_64 keeps rdi, rsi, rdx, r10 and
 * i386 ebx, ecx, edx, esi as the call received them.  On aarch64 (and arm)
 * x0 (r0) carries both the first argument and the return value and is
 * overwritten when the kernel interrupts the call, so the first argument
 * (an fd, the futex address) is never claimed there; x1..x3 are kept.
 *
 * glibc's pthread_mutex_t starts with its lock word (__data.__lock), so
 * for a thread blocked in pthread_mutex_lock the futex address is the
 * mutex's own address.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "passes.h"
#include "util.h"

/* Top frames searched for a function that names the state. */
#define CR_STATE_SCAN_FRAMES 8

/* System call → what a thread inside it is doing. */
static const struct {
	const char *name;
	enum cr_state_kind kind;
	const char *activity;	/* NULL: the kind's own words */
} syscall_states[] = {
	{ "read", CR_STATE_IO, "blocked reading" },
	{ "readv", CR_STATE_IO, "blocked reading" },
	{ "pread64", CR_STATE_IO, "blocked reading" },
	{ "preadv", CR_STATE_IO, "blocked reading" },
	{ "preadv2", CR_STATE_IO, "blocked reading" },
	{ "recvfrom", CR_STATE_IO, "waiting to receive" },
	{ "recvmsg", CR_STATE_IO, "waiting to receive" },
	{ "recvmmsg", CR_STATE_IO, "waiting to receive" },
	{ "accept", CR_STATE_IO, "waiting for a connection" },
	{ "accept4", CR_STATE_IO, "waiting for a connection" },
	{ "connect", CR_STATE_IO, "connecting" },
	{ "write", CR_STATE_IO, "blocked writing" },
	{ "writev", CR_STATE_IO, "blocked writing" },
	{ "pwrite64", CR_STATE_IO, "blocked writing" },
	{ "sendto", CR_STATE_IO, "blocked sending" },
	{ "sendmsg", CR_STATE_IO, "blocked sending" },
	{ "sendmmsg", CR_STATE_IO, "blocked sending" },
	{ "poll", CR_STATE_IO, "waiting for I/O" },
	{ "ppoll", CR_STATE_IO, "waiting for I/O" },
	{ "select", CR_STATE_IO, "waiting for I/O" },
	{ "_newselect", CR_STATE_IO, "waiting for I/O" },
	{ "pselect6", CR_STATE_IO, "waiting for I/O" },
	{ "epoll_wait", CR_STATE_IO, "waiting for events" },
	{ "epoll_pwait", CR_STATE_IO, "waiting for events" },
	{ "epoll_pwait2", CR_STATE_IO, "waiting for events" },
	{ "io_getevents", CR_STATE_IO, "waiting for asynchronous I/O" },
	{ "io_pgetevents", CR_STATE_IO, "waiting for asynchronous I/O" },
	{ "io_uring_enter", CR_STATE_IO, "waiting on io_uring" },
	{ "msgrcv", CR_STATE_IO, "waiting for a message-queue message" },
	{ "mq_timedreceive", CR_STATE_IO, "waiting for a message-queue message" },
	{ "getrandom", CR_STATE_IO, "waiting for random numbers" },
	/* Without a function to tell a condition variable from a mutex, a
	 * futex wait is a lock: the kind most waits on a futex are. */
	{ "futex", CR_STATE_LOCK, NULL },
	{ "futex_waitv", CR_STATE_LOCK, NULL },
	{ "semop", CR_STATE_SEMAPHORE, NULL },
	{ "semtimedop", CR_STATE_SEMAPHORE, NULL },
	{ "flock", CR_STATE_LOCK, "waiting for a file lock" },
	{ "nanosleep", CR_STATE_SLEEPING, NULL },
	{ "clock_nanosleep", CR_STATE_SLEEPING, NULL },
	{ "clock_nanosleep_time64", CR_STATE_SLEEPING, NULL },
	{ "wait4", CR_STATE_CHILD, NULL },
	{ "waitpid", CR_STATE_CHILD, NULL },
	{ "waitid", CR_STATE_CHILD, NULL },
	{ "pause", CR_STATE_SIGNAL, NULL },
	{ "rt_sigsuspend", CR_STATE_SIGNAL, NULL },
	{ "sigsuspend", CR_STATE_SIGNAL, NULL },
	{ "rt_sigtimedwait", CR_STATE_SIGNAL, NULL },
	{ "sched_yield", CR_STATE_SYSCALL, "yielding the CPU" },
	{ "fcntl", CR_STATE_SYSCALL, "in fcntl, possibly waiting for a file lock" },
	{ "fcntl64", CR_STATE_SYSCALL, "in fcntl, possibly waiting for a file lock" },
	{ "ioctl", CR_STATE_SYSCALL, "in a device control call" },
	{ "open", CR_STATE_SYSCALL, "opening a file" },
	{ "openat", CR_STATE_SYSCALL, "opening a file" },
	{ "openat2", CR_STATE_SYSCALL, "opening a file" },
	{ "close", CR_STATE_SYSCALL, "closing a file" },
	{ "fsync", CR_STATE_IO, "flushing a file to disk" },
	{ "fdatasync", CR_STATE_IO, "flushing a file to disk" },
	{ "sync", CR_STATE_IO, "flushing files to disk" },
	{ "mmap", CR_STATE_SYSCALL, "changing its memory map" },
	{ "mmap2", CR_STATE_SYSCALL, "changing its memory map" },
	{ "munmap", CR_STATE_SYSCALL, "changing its memory map" },
	{ "mprotect", CR_STATE_SYSCALL, "changing its memory map" },
	{ "mremap", CR_STATE_SYSCALL, "changing its memory map" },
	{ "brk", CR_STATE_SYSCALL, "changing its memory map" },
	{ "exit", CR_STATE_SYSCALL, "exiting" },
	{ "exit_group", CR_STATE_SYSCALL, "exiting" },
	{ "kill", CR_STATE_SYSCALL, "sending a signal" },
	{ "tkill", CR_STATE_SYSCALL, "sending a signal" },
	{ "tgkill", CR_STATE_SYSCALL, "sending a signal" },
	{ "execve", CR_STATE_SYSCALL, "starting a program" },
	{ "clone", CR_STATE_SYSCALL, "creating a process or thread" },
	{ "clone3", CR_STATE_SYSCALL, "creating a process or thread" },
	{ "fork", CR_STATE_SYSCALL, "creating a process or thread" },
	{ "vfork", CR_STATE_SYSCALL, "creating a process or thread" },
	{ "restart_syscall", CR_STATE_SYSCALL, "resuming an interrupted sleep or wait" },
};

/* A system call argument worth decoding: which (0-based), what it is. */
struct arg_rule {
	const char *name;	/* NULL ends the list */
	unsigned char index;
	enum cr_arg_kind kind;
	enum arg_role {
		PLAIN = 0,
		WAIT_OBJECT,	/* the address the thread waits on */
		TIMESPEC,	/* points to a relative struct timespec of
				 * pointer-sized fields: its duration is
				 * read from the dump too */
	} role;
};

#define ARG(name, index, kind) { name, index, kind, PLAIN }
#define OBJECT_ARG(name, index) { name, index, CR_ARG_ADDRESS, WAIT_OBJECT }
#define TIMESPEC_ARG(name, index) { name, index, CR_ARG_ADDRESS, TIMESPEC }
#define FD_ARG { ARG("fd", 0, CR_ARG_FD) }

/* System call -> its arguments that tell something about the wait. */
static const struct {
	const char *name;
	struct arg_rule args[CR_STATE_MAX_ARGS];
} syscall_args[] = {
	{ "read", FD_ARG }, { "readv", FD_ARG }, { "pread64", FD_ARG },
	{ "preadv", FD_ARG }, { "preadv2", FD_ARG },
	{ "recvfrom", FD_ARG }, { "recvmsg", FD_ARG }, { "recvmmsg", FD_ARG },
	{ "accept", FD_ARG }, { "accept4", FD_ARG }, { "connect", FD_ARG },
	{ "write", FD_ARG }, { "writev", FD_ARG }, { "pwrite64", FD_ARG },
	{ "sendto", FD_ARG }, { "sendmsg", FD_ARG }, { "sendmmsg", FD_ARG },
	{ "io_uring_enter", FD_ARG }, { "mq_timedreceive", FD_ARG },
	{ "flock", FD_ARG }, { "fcntl", FD_ARG }, { "fcntl64", FD_ARG },
	{ "ioctl", FD_ARG }, { "close", FD_ARG },
	{ "fsync", FD_ARG }, { "fdatasync", FD_ARG },
	{ "epoll_wait", { ARG("epfd", 0, CR_ARG_FD),
			  ARG("timeout", 3, CR_ARG_TIMEOUT_MS) } },
	{ "epoll_pwait", { ARG("epfd", 0, CR_ARG_FD),
			   ARG("timeout", 3, CR_ARG_TIMEOUT_MS) } },
	{ "epoll_pwait2", { ARG("epfd", 0, CR_ARG_FD),
			    ARG("timeout", 3, CR_ARG_TIMEOUT) } },
	{ "poll", { ARG("nfds", 1, CR_ARG_INT),
		    ARG("timeout", 2, CR_ARG_TIMEOUT_MS) } },
	{ "ppoll", { ARG("nfds", 1, CR_ARG_INT),
		     ARG("timeout", 2, CR_ARG_TIMEOUT) } },
	{ "futex", { OBJECT_ARG("uaddr", 0),
		     ARG("op", 1, CR_ARG_FUTEX_OP),
		     ARG("timeout", 3, CR_ARG_TIMEOUT) } },
	{ "futex_waitv", { ARG("waiters", 0, CR_ARG_ADDRESS),
			   ARG("nr_futexes", 1, CR_ARG_INT),
			   ARG("timeout", 3, CR_ARG_TIMEOUT) } },
	/* rem before req: when the two are one struct (glibc's sleep()),
	 * the kernel has written the time left into it when a signal, the
	 * dump's own, interrupted the sleep */
	{ "nanosleep", { ARG("rem", 1, CR_ARG_ADDRESS), TIMESPEC_ARG("req", 0) } },
	/* flags before req: TIMER_ABSTIME makes req a time, not a duration */
	{ "clock_nanosleep", { ARG("flags", 1, CR_ARG_HEX),
			       ARG("rem", 3, CR_ARG_ADDRESS),
			       TIMESPEC_ARG("req", 2) } },
	/* 64-bit fields on 32-bit targets: not pointer-sized */
	{ "clock_nanosleep_time64", { ARG("flags", 1, CR_ARG_HEX),
				      ARG("req", 2, CR_ARG_ADDRESS) } },
	{ "wait4", { ARG("pid", 0, CR_ARG_INT) } },
	{ "waitpid", { ARG("pid", 0, CR_ARG_INT) } },
	{ "rt_sigtimedwait", { ARG("timeout", 2, CR_ARG_TIMEOUT) } },
	{ "semtimedop", { ARG("semid", 0, CR_ARG_INT),
			  ARG("timeout", 3, CR_ARG_TIMEOUT) } },
};

/* The registers (DWARF numbers) holding system call arguments 0..3 at the
 * stop; NO_REG where the value is not the argument any more. */
#define NO_REG 0xffffu
static const struct {
	enum cr_arch arch;
	unsigned regs[4];
	bool int32;		/* arguments are 32-bit */
} arg_regs[] = {
	{ CR_ARCH_X86_64, { 5, 4, 1, 10 }, false },	/* rdi rsi rdx r10 */
	{ CR_ARCH_X86, { 3, 1, 2, 6 }, true },		/* ebx ecx edx esi */
	{ CR_ARCH_AARCH64, { NO_REG, 1, 2, 3 }, false },	/* x0 clobbered */
	{ CR_ARCH_ARM, { NO_REG, 1, 2, 3 }, true },	/* r0 clobbered */
};

/* How much a function row says: a generic wait yields to a specific one
 * further down the top frames; an idle pool function beats both. */
enum rank { GENERIC = 1, SPECIFIC, POOL };

/* Function near the top of a stack -> what the thread is doing. */
static const struct {
	const char *function;
	enum cr_state_kind kind;
	const char *activity;	/* NULL: the kind's own words */
	enum rank rank;
	const char *object;	/* the futex word is the first field of this
				 * object: the wait object is named so */
} function_states[] = {
	/* glibc / POSIX threads */
	{ "pthread_cond_wait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "pthread_cond_timedwait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "pthread_cond_clockwait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "__pthread_cond_wait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "__pthread_cond_wait_common", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "___pthread_cond_wait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "___pthread_cond_timedwait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "pthread_mutex_lock", CR_STATE_LOCK, NULL, SPECIFIC, "mutex" },
	{ "pthread_mutex_timedlock", CR_STATE_LOCK, NULL, SPECIFIC, "mutex" },
	{ "pthread_mutex_clocklock", CR_STATE_LOCK, NULL, SPECIFIC, "mutex" },
	{ "___pthread_mutex_lock", CR_STATE_LOCK, NULL, SPECIFIC, "mutex" },
	{ "__pthread_mutex_lock", CR_STATE_LOCK, NULL, SPECIFIC, "mutex" },
	{ "__pthread_mutex_lock_full", CR_STATE_LOCK, NULL, SPECIFIC, "mutex" },
	{ "__lll_lock_wait", CR_STATE_LOCK, NULL, SPECIFIC, "lock" },
	{ "__lll_lock_wait_private", CR_STATE_LOCK, NULL, SPECIFIC, "lock" },
	{ "pthread_rwlock_rdlock", CR_STATE_LOCK, "waiting on a read-write lock", SPECIFIC, NULL },
	{ "pthread_rwlock_wrlock", CR_STATE_LOCK, "waiting on a read-write lock", SPECIFIC, NULL },
	{ "___pthread_rwlock_rdlock", CR_STATE_LOCK, "waiting on a read-write lock", SPECIFIC, NULL },
	{ "___pthread_rwlock_wrlock", CR_STATE_LOCK, "waiting on a read-write lock", SPECIFIC, NULL },
	{ "pthread_join", CR_STATE_EVENT, "waiting for another thread to exit", SPECIFIC, NULL },
	{ "___pthread_join", CR_STATE_EVENT, "waiting for another thread to exit", SPECIFIC, NULL },
	{ "__pthread_clockjoin_ex", CR_STATE_EVENT, "waiting for another thread to exit", SPECIFIC, NULL },
	{ "pthread_barrier_wait", CR_STATE_EVENT, "waiting at a barrier", SPECIFIC, NULL },
	{ "sem_wait", CR_STATE_SEMAPHORE, NULL, SPECIFIC, NULL },
	{ "sem_timedwait", CR_STATE_SEMAPHORE, NULL, SPECIFIC, NULL },
	{ "sem_clockwait", CR_STATE_SEMAPHORE, NULL, SPECIFIC, NULL },
	{ "__new_sem_wait_slow", CR_STATE_SEMAPHORE, NULL, SPECIFIC, NULL },
	{ "__new_sem_wait_slow64", CR_STATE_SEMAPHORE, NULL, SPECIFIC, NULL },
	{ "sleep", CR_STATE_SLEEPING, NULL, SPECIFIC, NULL },
	{ "usleep", CR_STATE_SLEEPING, NULL, SPECIFIC, NULL },
	{ "std::this_thread::sleep_for", CR_STATE_SLEEPING, NULL, SPECIFIC, NULL },
	{ "std::condition_variable::wait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "std::thread::join", CR_STATE_EVENT, "waiting for another thread to exit", SPECIFIC, NULL },
	/* Windows (export names of ntdll/kernelbase/user32).  Which object a
	 * handle is needs the handle stream, so a wait on a handle is an
	 * event unless a caller says otherwise. */
	{ "NtWaitForSingleObject", CR_STATE_EVENT, "waiting on a kernel object", GENERIC, NULL },
	{ "ZwWaitForSingleObject", CR_STATE_EVENT, "waiting on a kernel object", GENERIC, NULL },
	{ "NtWaitForMultipleObjects", CR_STATE_EVENT, "waiting on kernel objects", GENERIC, NULL },
	{ "ZwWaitForMultipleObjects", CR_STATE_EVENT, "waiting on kernel objects", GENERIC, NULL },
	{ "NtWaitForAlertByThreadId", CR_STATE_LOCK, "waiting on a lock or condition", GENERIC, NULL },
	{ "NtDelayExecution", CR_STATE_SLEEPING, NULL, SPECIFIC, NULL },
	{ "ZwDelayExecution", CR_STATE_SLEEPING, NULL, SPECIFIC, NULL },
	{ "RtlSleepConditionVariableSRW", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "RtlSleepConditionVariableCS", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "SleepConditionVariableSRW", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "SleepConditionVariableCS", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "RtlpWaitOnCriticalSection", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "RtlpEnterCriticalSectionContended", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "RtlEnterCriticalSection", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "RtlAcquireSRWLockExclusive", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "RtlAcquireSRWLockShared", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "AcquireSRWLockExclusive", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "AcquireSRWLockShared", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "NtRemoveIoCompletion", CR_STATE_IO, "waiting for I/O completions", SPECIFIC, NULL },
	{ "ZwRemoveIoCompletion", CR_STATE_IO, "waiting for I/O completions", SPECIFIC, NULL },
	{ "NtRemoveIoCompletionEx", CR_STATE_IO, "waiting for I/O completions", SPECIFIC, NULL },
	{ "NtUserGetMessage", CR_STATE_EVENT, "waiting for window messages", SPECIFIC, NULL },
	{ "NtUserMsgWaitForMultipleObjectsEx", CR_STATE_EVENT, "waiting for window messages", SPECIFIC, NULL },
	{ "NtReadFile", CR_STATE_IO, "blocked reading", SPECIFIC, NULL },
	{ "ZwReadFile", CR_STATE_IO, "blocked reading", SPECIFIC, NULL },
	{ "NtDeviceIoControlFile", CR_STATE_IO, "waiting on a device (sockets, pipes)", GENERIC, NULL },
	/* macOS */
	{ "__psynch_cvwait", CR_STATE_CONDVAR, NULL, SPECIFIC, NULL },
	{ "__psynch_mutexwait", CR_STATE_LOCK, NULL, SPECIFIC, NULL },
	{ "__semwait_signal", CR_STATE_SLEEPING, NULL, SPECIFIC, NULL },
	{ "mach_msg_trap", CR_STATE_EVENT, "waiting for a Mach message", GENERIC, NULL },
	{ "mach_msg2_trap", CR_STATE_EVENT, "waiting for a Mach message", GENERIC, NULL },
	{ "kevent", CR_STATE_IO, "waiting for events", SPECIFIC, NULL },
	{ "kevent64", CR_STATE_IO, "waiting for events", SPECIFIC, NULL },
	/* Idle workers of thread pools: functions only an idle worker is in
	 * (not the pool's thread entry, under which a busy task runs too).
	 * glibc has no pool; Java's park() is every blocking of j.u.c., so
	 * it says nothing of idleness. */
	{ "NtWaitForWorkViaWorkerFactory", CR_STATE_POOL_IDLE, NULL, POOL, NULL },
	{ "ZwWaitForWorkViaWorkerFactory", CR_STATE_POOL_IDLE, NULL, POOL, NULL },
	{ "__workq_kernreturn", CR_STATE_POOL_IDLE, NULL, POOL, NULL },
	{ "CLRLifoSemaphore::Wait", CR_STATE_POOL_IDLE, "idle .NET thread-pool worker", POOL, NULL },
	{ "ThreadpoolMgr::UnfairSemaphore::Wait", CR_STATE_POOL_IDLE, "idle .NET thread-pool worker", POOL, NULL },
	{ "runtime.stopm", CR_STATE_POOL_IDLE, "idle Go scheduler thread", POOL, NULL },
	{ "g_thread_pool_wait_for_new_task", CR_STATE_POOL_IDLE, "idle GLib thread-pool worker", POOL, NULL },
	{ "g_thread_pool_wait_for_new_pool", CR_STATE_POOL_IDLE, "idle GLib thread-pool worker", POOL, NULL },
};

/*
 * System call stubs by operating system: a thread whose innermost frame is
 * one is in a system call even where the dump records none (minidumps).
 * Windows: ntdll's Nt and Zw exports and win32u's NtUser / NtGdi are each a
 * "syscall" instruction and a return (a capital follows the prefix:
 * "NtdllDefWindowProc_W" is no stub).  Only where the table knows the stubs
 * does an innermost frame of user code mean a running thread.
 */
static const struct {
	enum cr_os os;
	const char *module;	/* file name, any case */
	const char *prefix;
} syscall_stubs[] = {
	{ CR_OS_WINDOWS, "ntdll.dll", "Nt" },
	{ CR_OS_WINDOWS, "ntdll.dll", "Zw" },
	{ CR_OS_WINDOWS, "win32u.dll", "Nt" },
};

/* Whether OS has stubs in the table; whether frame F is one of them. */
static bool stubs_known(enum cr_os os, const struct cr_frame *f, bool *stub)
{
	bool known = false;

	*stub = false;
	for (size_t i = 0; i < ARRAY_LEN(syscall_stubs); i++) {
		size_t n = strlen(syscall_stubs[i].prefix);
		if (syscall_stubs[i].os != os)
			continue;
		known = true;
		if (f->module && f->function &&
		    !strcasecmp(f->module, syscall_stubs[i].module) &&
		    !strncmp(f->function, syscall_stubs[i].prefix, n) &&
		    f->function[n] >= 'A' && f->function[n] <= 'Z')
			*stub = true;
	}
	return known;
}

/* A thread the dump records no system call of, by its innermost frame:
 * in a system call (a stub), running (user code), or unknown. */
static void stub_state(const struct cr_dump *d, const struct cr_stack *s,
		       struct cr_thread_state *st)
{
	const struct cr_frame *f = s->nframes ? &s->frames[0] : NULL;
	bool stub;

	if (!f || !f->function || f->trust != CR_TRUST_CONTEXT ||
	    !stubs_known(d->process.os, f, &stub))
		return;
	if (stub) {
		st->kind = CR_STATE_SYSCALL;
		st->function = f->function;
	} else {
		st->kind = CR_STATE_RUNNING;
	}
}

/* The index of the function_states row that best tells S's state (the
 * highest rank among the top frames, the innermost of equals), -1 none;
 * *FN gets the matching frame's function name. */
static ssize_t function_state(const struct cr_stack *s, const char **fn)
{
	size_t n = s->nframes < CR_STATE_SCAN_FRAMES ? s->nframes
						     : CR_STATE_SCAN_FRAMES;
	ssize_t best = -1;

	for (size_t i = 0; i < n; i++) {
		const char *f = s->frames[i].function;
		if (!f)
			continue;
		struct cr_function_key key;
		cr_function_key(&key, f);
		for (size_t j = 0; j < ARRAY_LEN(function_states); j++) {
			if (!cr_function_key_is(&key, function_states[j].function))
				continue;
			if (best < 0 ||
			    function_states[j].rank > function_states[best].rank) {
				best = (ssize_t)j;
				*fn = f;
			}
			break;
		}
	}
	return best;
}

/* What the futex word of a lock is the first field of, from the outermost
 * top frame that says ("mutex" for pthread_mutex_lock above
 * __lll_lock_wait), NULL none. */
static const char *lock_object(const struct cr_stack *s)
{
	size_t n = s->nframes < CR_STATE_SCAN_FRAMES ? s->nframes
						     : CR_STATE_SCAN_FRAMES;
	const char *object = NULL;

	for (size_t i = 0; i < n; i++) {
		struct cr_function_key key;
		cr_function_key(&key, s->frames[i].function);
		for (size_t j = 0; j < ARRAY_LEN(function_states); j++)
			if (function_states[j].object &&
			    cr_function_key_is(&key, function_states[j].function))
				object = function_states[j].object;
	}
	return object;
}

/* Argument INDEX of the call T is stopped in, from its saved registers;
 * false when the architecture does not keep it. */
static bool syscall_arg(const struct cr_dump *d, const struct cr_thread *t,
			unsigned index, uint64_t *val)
{
	for (size_t i = 0; i < ARRAY_LEN(arg_regs); i++) {
		if (arg_regs[i].arch != d->process.arch)
			continue;
		if (index >= 4 || arg_regs[i].regs[index] == NO_REG ||
		    !cr_regs_get(&t->regs, arg_regs[i].regs[index], val))
			return false;
		if (arg_regs[i].int32)
			*val &= 0xffffffffu;
		return true;
	}
	return false;
}

/* Numbers that are C ints are sign-extended from 32 bits, so -1 reads -1
 * whatever the register's upper half held. */
static uint64_t arg_value(enum cr_arg_kind kind, uint64_t raw)
{
	switch (kind) {
	case CR_ARG_INT:
	case CR_ARG_FD:
	case CR_ARG_TIMEOUT_MS:
		return (uint64_t)(int64_t)(int32_t)raw;
	default:
		return raw;
	}
}

#define TIMER_ABSTIME 1
#define NSEC_PER_SEC 1000000000u

/*
 * The duration a relative struct timespec at ADDR asks for, in
 * nanoseconds, when its bytes are in the dump and it is a valid one
 * (tv_nsec below a second, tv_sec not negative, no overflow).
 */
static bool timespec_ns(const struct cr_dump *d, uint64_t addr, uint64_t *ns)
{
	uint64_t sec, nsec, ps = d->process.pointer_size;

	if (!cr_dump_read_word(d, addr, &sec) ||
	    __builtin_add_overflow(addr, ps, &addr) ||
	    !cr_dump_read_word(d, addr, &nsec))
		return false;
	if (ps == 4 && sec > INT32_MAX)
		return false;
	if ((int64_t)sec < 0 || nsec >= NSEC_PER_SEC ||
	    __builtin_mul_overflow(sec, (uint64_t)NSEC_PER_SEC, ns) ||
	    __builtin_add_overflow(*ns, nsec, ns) || *ns > INT64_MAX)
		return false;	/* JSON carries it as a signed 64-bit number */
	return true;
}

/* The argument NAME decoded so far, NULL none. */
static const struct cr_syscall_arg *decoded(const struct cr_thread_state *st,
					    const char *name)
{
	for (unsigned i = 0; i < st->nargs; i++)
		if (!strcmp(st->args[i].name, name))
			return &st->args[i];
	return NULL;
}

/*
 * The duration argument of a sleep whose request is the timespec at REQ:
 * "duration" (what was asked), or "remaining" when rem is the same struct
 * (the kernel wrote the time left into it); NULL when req is a time to
 * wake at (TIMER_ABSTIME), not a duration.
 */
static const char *duration_name(const struct cr_thread_state *st, uint64_t req)
{
	const struct cr_syscall_arg *flags = decoded(st, "flags");
	const struct cr_syscall_arg *rem = decoded(st, "rem");

	if (flags && (flags->value & TIMER_ABSTIME))
		return NULL;
	return rem && rem->value == req ? "remaining" : "duration";
}

/* The system call T is stopped in, into ST: number, name, the arguments
 * its row names, the wait object (a futex word: "futex") among them. */
static void decode_syscall(const struct cr_dump *d, const struct cr_thread *t,
			   struct cr_thread_state *st)
{
	st->syscall_known = true;
	st->syscall_nr = t->syscall_nr;
	st->syscall_name = cr_syscall_name(d->process.arch, t->syscall_nr);
	if (!st->syscall_name)
		return;
	for (size_t i = 0; i < ARRAY_LEN(syscall_args); i++) {
		if (strcmp(syscall_args[i].name, st->syscall_name))
			continue;
		for (size_t k = 0; k < CR_STATE_MAX_ARGS; k++) {
			const struct arg_rule *r = &syscall_args[i].args[k];
			uint64_t v, ns;
			if (!r->name || st->nargs >= CR_STATE_MAX_ARGS)
				break;
			if (!syscall_arg(d, t, r->index, &v))
				continue;
			st->args[st->nargs++] = (struct cr_syscall_arg){
				r->name, r->kind, arg_value(r->kind, v) };
			if (r->role == WAIT_OBJECT) {
				st->wait_object_known = true;
				st->wait_object = v;
				st->wait_object_what = st->syscall_name;
			}
			const char *dname = r->role == TIMESPEC
						    ? duration_name(st, v)
						    : NULL;
			if (dname && st->nargs < CR_STATE_MAX_ARGS &&
			    timespec_ns(d, v, &ns))
				st->args[st->nargs++] = (struct cr_syscall_arg){
					dname, CR_ARG_DURATION_NS, ns };
		}
		break;
	}
}

/* Kind and activity from the syscall table; SYSCALL when not listed. */
static void syscall_kind(struct cr_thread_state *st)
{
	st->kind = CR_STATE_SYSCALL;
	if (!st->syscall_name)
		return;
	for (size_t i = 0; i < ARRAY_LEN(syscall_states); i++) {
		if (!strcmp(syscall_states[i].name, st->syscall_name)) {
			st->kind = syscall_states[i].kind;
			st->activity = syscall_states[i].activity;
			return;
		}
	}
}

/*
 * The thread that received a signal sent to the process (crash.sent): it
 * did not crash, so "crashed here" would send the reader looking for a bug
 * at a frame that only happened to be running.
 */
static void set_received(const struct cr_analysis *a,
			 struct cr_thread_state *st)
{
	const struct cr_crash *c = &a->crash;

	st->received.known = true;
	st->received.signo = c->signo;
	st->received.signal = c->signal_name;
	if (c->class_id && !strcmp(c->class_id, "self-signal"))
		st->received.from = "the process itself";
	else
		st->received.from = c->sender;
}

/* What thread TA was doing, into its st. */
static void thread_state(const struct cr_analysis *a,
			 struct cr_thread_analysis *ta)
{
	const struct cr_thread *t = ta->thread;
	struct cr_thread_state *st = &ta->st;
	const char *fn = NULL;
	ssize_t row;

	*st = (struct cr_thread_state){ .kind = CR_STATE_UNKNOWN,
					.syscall_nr = -1 };
	if (!t)
		return;
	if (t->syscall_known && t->in_syscall)
		decode_syscall(a->dump, t, st);
	if (ta->crashed && a->crash.sent)
		set_received(a, st);
	if (ta->crashed && !a->crash.sent) {
		st->kind = CR_STATE_CRASHED;
		return;
	}
	/* A stack not in the dump names no functions to go by; the system
	 * call is in the registers, which are. */
	if (ta->stack.stack_missing) {
		st->stack_missing = true;
		return;
	}
	if (t->syscall_known && !t->in_syscall) {
		st->kind = CR_STATE_RUNNING;
		return;
	}
	row = function_state(&ta->stack, &fn);
	if (row >= 0) {
		st->kind = function_states[row].kind;
		st->activity = function_states[row].activity;
		st->function = fn;
	} else if (st->syscall_known) {
		syscall_kind(st);
	} else if (!t->syscall_known) {
		stub_state(a->dump, &ta->stack, st);
	}
	if (st->kind == CR_STATE_LOCK && st->wait_object_known) {
		const char *object = lock_object(&ta->stack);
		if (object)
			st->wait_object_what = object;
	}
}

/*
 * pass_state: a->threads[i].st for every thread: crashed (or received the
 * signal sent to the process), the system call it waits in with its
 * arguments, or what its top frames say; kind UNKNOWN when nothing is
 * known.  Needs the crash pass (the crashed flags, crash.sent).  Never fails:
 * the state borrows static strings and the analysis' own.
 */
struct cr_error *pass_state(struct cr_analysis *a)
{
	for (size_t i = 0; i < a->nthreads; i++)
		thread_state(a, &a->threads[i]);
	return NULL;
}

CR_PASS_RUN(run_state)
{
	return pass_state(ctx->analysis);
}
