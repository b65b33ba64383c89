/*
 * signals.c - Linux signal and si_code names and their meanings.
 *
 * Pure data: what `kill -l`, strsignal(3) and the kernel's
 * include/uapi/asm-generic/siginfo.h say, in plain words a reader of a
 * crash report understands.  The numbering is the one shared by x86, x86_64,
 * arm, aarch64, ppc and s390 (Alpha, MIPS and SPARC number some signals
 * differently; coroner reads no dumps of those).
 *
 * An si_code is interpreted per signal when it is positive (SEGV_MAPERR is
 * 1, and so are ILL_ILLOPC and BUS_ADRALN), and the same for every signal
 * when it is <= 0 or SI_KERNEL (who sent it: kill(2), sigqueue(3), tgkill(2),
 * a timer ...).  Extending a table is one line.
 */
#include <stddef.h>

#include "passes.h"
#include "util.h"

struct signal_info {
	int signo;
	const char *name;
	const char *text;
};

/* Linux signal numbers (asm-generic/signal.h) and their meaning. */
static const struct signal_info signals[] = {
	{ 1, "SIGHUP", "hangup: the terminal or controlling process went away" },
	{ 2, "SIGINT", "interrupt, Ctrl-C" },
	{ 3, "SIGQUIT", "quit, Ctrl-\\" },
	{ 4, "SIGILL", "illegal instruction" },
	{ 5, "SIGTRAP", "trace or breakpoint trap" },
	{ 6, "SIGABRT", "abort" },
	{ 7, "SIGBUS", "bus error" },
	{ 8, "SIGFPE", "arithmetic exception" },
	{ 9, "SIGKILL", "killed" },
	{ 10, "SIGUSR1", "user-defined signal 1" },
	{ 11, "SIGSEGV", "segmentation fault" },
	{ 12, "SIGUSR2", "user-defined signal 2" },
	{ 13, "SIGPIPE", "broken pipe: write to a pipe or socket with no reader" },
	{ 14, "SIGALRM", "alarm clock" },
	{ 15, "SIGTERM", "termination request" },
	{ 16, "SIGSTKFLT", "stack fault on coprocessor" },
	{ 17, "SIGCHLD", "child process stopped or exited" },
	{ 18, "SIGCONT", "continue after a stop" },
	{ 19, "SIGSTOP", "stop" },
	{ 20, "SIGTSTP", "stop from the terminal, Ctrl-Z" },
	{ 21, "SIGTTIN", "background read from the terminal" },
	{ 22, "SIGTTOU", "background write to the terminal" },
	{ 23, "SIGURG", "urgent data on a socket" },
	{ 24, "SIGXCPU", "CPU time limit exceeded" },
	{ 25, "SIGXFSZ", "file size limit exceeded" },
	{ 26, "SIGVTALRM", "virtual timer expired" },
	{ 27, "SIGPROF", "profiling timer expired" },
	{ 28, "SIGWINCH", "terminal window size changed" },
	{ 29, "SIGIO", "I/O possible" },
	{ 30, "SIGPWR", "power failure" },
	{ 31, "SIGSYS", "bad system call, often a seccomp filter" },
	{ 32, "SIGRTMIN+0", "real-time signal used by glibc itself for thread cancellation and setxid" },
	{ 33, "SIGRTMIN+1", "real-time signal used by glibc itself for thread cancellation and setxid" },
	{ 34, "SIGRTMIN+2", "real-time signal" },
	{ 35, "SIGRTMIN+3", "real-time signal" },
	{ 36, "SIGRTMIN+4", "real-time signal" },
	{ 37, "SIGRTMIN+5", "real-time signal" },
	{ 38, "SIGRTMIN+6", "real-time signal" },
	{ 39, "SIGRTMIN+7", "real-time signal" },
	{ 40, "SIGRTMIN+8", "real-time signal" },
	{ 41, "SIGRTMIN+9", "real-time signal" },
	{ 42, "SIGRTMIN+10", "real-time signal" },
	{ 43, "SIGRTMIN+11", "real-time signal" },
	{ 44, "SIGRTMIN+12", "real-time signal" },
	{ 45, "SIGRTMIN+13", "real-time signal" },
	{ 46, "SIGRTMIN+14", "real-time signal" },
	{ 47, "SIGRTMIN+15", "real-time signal" },
	{ 48, "SIGRTMIN+16", "real-time signal" },
	{ 49, "SIGRTMIN+17", "real-time signal" },
	{ 50, "SIGRTMIN+18", "real-time signal" },
	{ 51, "SIGRTMIN+19", "real-time signal" },
	{ 52, "SIGRTMIN+20", "real-time signal" },
	{ 53, "SIGRTMIN+21", "real-time signal" },
	{ 54, "SIGRTMIN+22", "real-time signal" },
	{ 55, "SIGRTMIN+23", "real-time signal" },
	{ 56, "SIGRTMIN+24", "real-time signal" },
	{ 57, "SIGRTMIN+25", "real-time signal" },
	{ 58, "SIGRTMIN+26", "real-time signal" },
	{ 59, "SIGRTMIN+27", "real-time signal" },
	{ 60, "SIGRTMIN+28", "real-time signal" },
	{ 61, "SIGRTMIN+29", "real-time signal" },
	{ 62, "SIGRTMIN+30", "real-time signal" },
	{ 63, "SIGRTMIN+31", "real-time signal" },
	{ 64, "SIGRTMIN+32", "real-time signal" },
};

struct si_code_info {
	int signo;		/* 0: valid for every signal */
	int code;
	const char *name;
	const char *text;
};

/*
 * si_code values (include/uapi/asm-generic/siginfo.h).  Rows with signo 0
 * say who sent the signal and hold for every signal.
 */
static const struct si_code_info si_codes[] = {
	{ 0, 0, "SI_USER", "sent by kill(2) or raise(3)" },
	{ 0, 0x80, "SI_KERNEL", "sent by the kernel" },
	{ 0, -1, "SI_QUEUE", "sent by sigqueue(3)" },
	{ 0, -2, "SI_TIMER", "a POSIX timer expired" },
	{ 0, -3, "SI_MESGQ", "a POSIX message queue changed state" },
	{ 0, -4, "SI_ASYNCIO", "asynchronous I/O completed" },
	{ 0, -5, "SI_SIGIO", "queued SIGIO" },
	{ 0, -6, "SI_TKILL", "sent by tkill(2) or tgkill(2)" },
	{ 0, -7, "SI_DETHREAD", "sent by execve(2) to the other threads" },
	{ 0, -60, "SI_ASYNCNL", "getaddrinfo_a(3) completed" },

	{ 4, 1, "ILL_ILLOPC", "illegal opcode" },
	{ 4, 2, "ILL_ILLOPN", "illegal operand" },
	{ 4, 3, "ILL_ILLADR", "illegal addressing mode" },
	{ 4, 4, "ILL_ILLTRP", "illegal trap" },
	{ 4, 5, "ILL_PRVOPC", "privileged opcode" },
	{ 4, 6, "ILL_PRVREG", "privileged register" },
	{ 4, 7, "ILL_COPROC", "coprocessor error" },
	{ 4, 8, "ILL_BADSTK", "internal stack error" },
	{ 4, 9, "ILL_BADIADDR", "unimplemented instruction address" },

	{ 8, 1, "FPE_INTDIV", "integer divide by zero" },
	{ 8, 2, "FPE_INTOVF", "integer overflow" },
	{ 8, 3, "FPE_FLTDIV", "floating-point divide by zero" },
	{ 8, 4, "FPE_FLTOVF", "floating-point overflow" },
	{ 8, 5, "FPE_FLTUND", "floating-point underflow" },
	{ 8, 6, "FPE_FLTRES", "floating-point inexact result" },
	{ 8, 7, "FPE_FLTINV", "invalid floating-point operation" },
	{ 8, 8, "FPE_FLTSUB", "subscript out of range" },
	{ 8, 9, "FPE_FLTUNK", "undiagnosed floating-point exception" },
	{ 8, 10, "FPE_CONDTRAP", "trap on condition" },

	/* x86 general-protection fault: si_addr is 0, not the address. */
	{ 11, 0x80, "SI_KERNEL", "general-protection fault (a non-canonical address or a privileged instruction; the address is not reported)" },
	{ 11, 1, "SEGV_MAPERR", "address not mapped to object" },
	{ 11, 2, "SEGV_ACCERR", "invalid permissions for mapped object" },
	{ 11, 3, "SEGV_BNDERR", "failed address bound checks (MPX)" },
	{ 11, 4, "SEGV_PKUERR", "failed protection key checks" },
	{ 11, 5, "SEGV_ACCADI", "ADI not enabled for mapped object" },
	{ 11, 6, "SEGV_ADIDERR", "disrupting ADI memory corruption error" },
	{ 11, 7, "SEGV_ADIPERR", "precise ADI memory corruption error" },
	{ 11, 8, "SEGV_MTEAERR", "asynchronous ARM MTE tag check fault" },
	{ 11, 9, "SEGV_MTESERR", "synchronous ARM MTE tag check fault" },
	{ 11, 10, "SEGV_CPERR", "control protection fault (shadow stack)" },

	{ 7, 1, "BUS_ADRALN", "invalid address alignment" },
	{ 7, 2, "BUS_ADRERR", "nonexistent physical address (often a mapped file truncated under the mapping)" },
	{ 7, 3, "BUS_OBJERR", "object-specific hardware error" },
	{ 7, 4, "BUS_MCEERR_AR", "hardware memory error consumed on a machine check: action required" },
	{ 7, 5, "BUS_MCEERR_AO", "hardware memory error detected in the process but not consumed: action optional" },

	{ 5, 1, "TRAP_BRKPT", "process breakpoint" },
	{ 5, 2, "TRAP_TRACE", "process trace trap (single step)" },
	{ 5, 3, "TRAP_BRANCH", "process taken branch trap" },
	{ 5, 4, "TRAP_HWBKPT", "hardware breakpoint or watchpoint" },
	{ 5, 5, "TRAP_UNK", "undiagnosed trap" },
	{ 5, 6, "TRAP_PERF", "perf event with sigtrap=1" },

	{ 17, 1, "CLD_EXITED", "child has exited" },
	{ 17, 2, "CLD_KILLED", "child was killed" },
	{ 17, 3, "CLD_DUMPED", "child terminated abnormally (dumped core)" },
	{ 17, 4, "CLD_TRAPPED", "traced child has trapped" },
	{ 17, 5, "CLD_STOPPED", "child has stopped" },
	{ 17, 6, "CLD_CONTINUED", "stopped child has continued" },

	{ 29, 1, "POLL_IN", "data input available" },
	{ 29, 2, "POLL_OUT", "output buffers available" },
	{ 29, 3, "POLL_MSG", "input message available" },
	{ 29, 4, "POLL_ERR", "I/O error" },
	{ 29, 5, "POLL_PRI", "high priority input available" },
	{ 29, 6, "POLL_HUP", "device disconnected" },

	{ 31, 1, "SYS_SECCOMP", "system call blocked by a seccomp filter" },
	{ 31, 2, "SYS_USER_DISPATCH", "system call intercepted by syscall user dispatch" },
};

static const struct signal_info *signal_find(int signo)
{
	for (size_t i = 0; i < ARRAY_LEN(signals); i++)
		if (signals[i].signo == signo)
			return &signals[i];
	return NULL;
}

/* The signal's name ("SIGSEGV"), NULL when SIGNO is no Linux signal. */
const char *cr_signal_name(int signo)
{
	const struct signal_info *s = signal_find(signo);
	return s ? s->name : NULL;
}

/* The signal's meaning in plain words, NULL when unknown. */
const char *cr_signal_text(int signo)
{
	const struct signal_info *s = signal_find(signo);
	return s ? s->text : NULL;
}

static const struct si_code_info *si_code_find(int signo, int code)
{
	for (size_t i = 0; i < ARRAY_LEN(si_codes); i++)
		if (si_codes[i].signo == signo && si_codes[i].code == code)
			return &si_codes[i];
	return NULL;
}

/*
 * Name and meaning of si_code CODE for signal SIGNO.  A row for SIGNO wins
 * (SIGSEGV's SI_KERNEL is a general-protection fault); otherwise codes <= 0
 * and SI_KERNEL are looked up among the generic rows.  Positive codes are
 * never taken from another signal, so a 1 on SIGKILL is not SEGV_MAPERR.
 * Both outputs are NULL when nothing matches.
 */
void cr_si_code_describe(int signo, int code, const char **name,
			 const char **text)
{
	const struct si_code_info *c = si_code_find(signo, code);

	if (!c && (code <= 0 || code == 0x80))
		c = si_code_find(0, code);
	*name = c ? c->name : NULL;
	*text = c ? c->text : NULL;
}
