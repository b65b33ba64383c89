/*
 * elfcore_notes.h - the layouts of the notes of a Linux ELF core, shared by
 * the reader (elfcore.c) and the writer (elfcore_write.c) so that the two
 * cannot disagree: the round-trip test (tests/test_elfcore_write.c) writes
 * with one and reads with the other.
 *
 * The kernel's notes follow the Linux uapi (linux/elfcore.h, asm/user.h,
 * asm-generic/siginfo.h) as fs/binfmt_elf.c writes them.  coroner's own
 * note (owner "CORONER", docs/core-note.md) holds what that format has no
 * place for.
 */
#ifndef CR_ELFCORE_NOTES_H
#define CR_ELFCORE_NOTES_H

#include <elf.h>

#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif
#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/*
 * Offsets in struct elf_prstatus (linux/elfcore.h): elf_siginfo (3 ints),
 * short pr_cursig, two unsigned longs, four pid_t, four struct timeval,
 * then pr_reg, then int pr_fpvalid padded to the word.  Only the width of
 * "long" differs between the classes.
 */
struct prstatus_layout {
	unsigned cursig, pid, ppid, pgrp, sid, utime, stime, cutime, cstime,
		 reg;
};
static const struct prstatus_layout prstatus64 = {
	12, 32, 36, 40, 44, 48, 64, 80, 96, 112
};
static const struct prstatus_layout prstatus32 = {
	12, 24, 28, 32, 36, 40, 48, 56, 64, 72
};

/*
 * Offsets in struct elf_prpsinfo: the 32-bit layouts differ in the width of
 * uid_t (16 bits on i386 and arm, 32 elsewhere), which the note's size
 * tells apart (124 or 128 bytes).  All 64-bit Linux arches use 32 bits.
 * The first four bytes are pr_state, pr_sname, pr_zomb, pr_nice.
 */
struct prpsinfo_layout {
	size_t size;
	unsigned uid, gid, uid_size, pid, ppid, fname, psargs;
};
static const struct prpsinfo_layout prpsinfo_layouts[] = {
	{ 136, 16, 20, 4, 24, 28, 40, 56 },	/* 64-bit */
	{ 124, 8, 10, 2, 12, 16, 28, 44 },	/* 32-bit, 16-bit uid */
	{ 128, 8, 12, 4, 16, 20, 32, 48 },	/* 32-bit, 32-bit uid */
};
#define PRPSINFO64 (&prpsinfo_layouts[0])
#define PR_SNAME 1			/* the state letter, "R", "S" */
#define PR_FNAME_LEN 16
#define PR_PSARGS_LEN 80

/* siginfo_t: si_signo, si_errno, si_code (ints), then the union at 16
 * (64-bit) or 12 (32-bit); 128 bytes in all. */
#define SIGINFO_SIZE 128
#define SIGINFO_UNION64 16
#define SIGINFO_UNION32 12

/*
 * coroner's note (owner CR_NOTE_OWNER), one note per type; all integers in
 * the core's byte order, 64 bits, at 4-byte alignment (notes are padded to
 * 4).  docs/core-note.md is the description for other tools.
 */
#define CR_NOTE_OWNER "CORONER"
enum {
	/* u64 wall-clock ns since the epoch (CLOCK_REALTIME), u64
	 * CLOCK_BOOTTIME ns, u64 process start ns since the epoch (0
	 * unknown), u64 process user us, u64 process system us (all
	 * threads, live and exited: /proc/PID/stat), u64 zero (reserved). */
	CR_NT_TIMES = 1,
	/* Per thread: s64 tid, u8 state letter, 7 bytes zero, then the
	 * name up to its NUL (at most 16 bytes with it). */
	CR_NT_THREAD = 2,
	CR_NT_STATUS = 3,	/* /proc/PID/status, text */
	CR_NT_LIMITS = 4,	/* /proc/PID/limits, text */
	CR_NT_CGROUP = 5,	/* /proc/PID/cgroup, text */
	CR_NT_CMDLINE = 6,	/* /proc/PID/cmdline: arguments, NUL after each */
	CR_NT_ENVIRON = 7,	/* /proc/PID/environ: NAME=VALUE, NUL after each */
};
#define CR_NT_TIMES_SIZE 48
#define CR_NT_THREAD_FIXED 16

#endif
