/*
 * elfcore_write.h - write a Linux ELF core of a described process.
 *
 * The collector (analyzer/collect/) describes a stopped process, this
 * writes the core: the kernel's notes (NT_PRSTATUS per thread with the
 * thread's OWN cpu times, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE,
 * NT_FPREGSET and NT_X86_XSTATE as given), coroner's own note (owner
 * "CORONER", docs/core-note.md) and one PT_LOAD per mapping.  The layouts
 * are the reader's (private/elfcore_notes.h).  64-bit little-endian
 * targets only: the collector writes cores of processes on its own
 * machine.  Needs neither libelf nor libdw.
 */
#ifndef CR_ELFCORE_WRITE_H
#define CR_ELFCORE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CR_CORE_NAME_LEN 16

struct cr_core_thread {
	int64_t tid;
	char name[CR_CORE_NAME_LEN];	/* /proc/PID/task/TID/comm */
	char state;			/* /proc .../stat state letter */
	int signo;			/* pr_cursig: 0 none */
	uint64_t utime_us, stime_us;	/* this thread's own */
	/* The general registers as PTRACE_GETREGSET(NT_PRSTATUS) gives them
	 * (pr_reg of elf_prstatus); the other register sets as their
	 * regsets give them, NULL when not read. */
	const void *regs;
	size_t regs_len;
	const void *fpregs;
	size_t fpregs_len;
	const void *xstate;
	size_t xstate_len;
};

struct cr_core_mapping {
	uint64_t start, end;
	uint64_t offset;		/* in the file, bytes */
	bool r, w, x;
	const char *path;		/* NULL: anonymous (no NT_FILE entry) */
	uint64_t dump_len;		/* bytes from start copied into the core
					 * (coredump_filter: all, none, or the
					 * first page of an ELF file) */
};

/*
 * Fill BUF with the LEN bytes at ADDR (inside mapping M) of the process,
 * zeros where they cannot be read; returns how many bytes were read (the
 * rest are counted as unreadable).
 */
struct cr_core_mapping;
typedef size_t (*cr_core_read_fn)(void *ctx, const struct cr_core_mapping *m,
				  uint64_t addr, void *buf, size_t len);

struct cr_core_desc {
	uint16_t machine;		/* EM_X86_64, EM_AARCH64 */
	int64_t pid, ppid, pgrp, sid, uid, gid;
	char fname[CR_CORE_NAME_LEN];	/* /proc/PID/comm */
	char state;
	int signo;			/* NT_SIGINFO's si_signo: 0 on demand */
	const struct cr_core_thread *threads;	/* leader first */
	size_t nthreads;
	const struct cr_core_mapping *maps;	/* in address order */
	size_t nmaps;
	uint64_t page_size;
	const void *auxv;		/* /proc/PID/auxv */
	size_t auxv_len;
	const char *cmdline;		/* NUL after each argument */
	size_t cmdline_len;
	const char *environ;		/* NULL: left out */
	size_t environ_len;
	const char *status, *limits, *cgroup;	/* text, NULL unknown */
	uint64_t wall_ns, boot_ns, start_ns;	/* CR_NT_TIMES */
	uint64_t user_us, sys_us;		/* the process's totals */
	cr_core_read_fn read;
	void *read_ctx;
	/* May be NULL; set by READ (on the thread that calls it) when the
	 * rest is not worth copying (the memory is gone): the copy ends at
	 * once with an error (CR_ERR_PROCESS) instead of writing zeros to
	 * the end, and the file ends where the memory written ends
	 * (cr_core_stats.stopped_at). */
	const bool *stop;
	/* Called after each chunk of memory written, may be NULL. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct cr_core_stats {
	uint64_t bytes;			/* written to FD */
	uint64_t memory;		/* bytes of memory the core should hold */
	uint64_t unreadable;		/* of them, written as zeros */
	uint64_t copied;		/* of them, written before the copy
					 * ended */
	uint64_t stopped_at;		/* when STOP ended the copy: the
					 * address of the first byte of memory
					 * not written (all before it was) */
};

/*
 * Append coroner's notes of D alone (owner "CORONER": the times, each
 * thread's name and state, status, limits, cgroup, command line,
 * environment) to B, as the core written by cr_core_write has them:
 * collect --from-kernel adds them to the kernel's core.
 */
struct cr_buf;
void cr_core_coroner_notes(struct cr_buf *b, const struct cr_core_desc *d);

/*
 * Write the core of D to FD from its current position.  On a write error
 * (a full disk) returns CR_ERR_IO with what was written in STATS: the file
 * then holds the headers, the notes and the first mappings, which the
 * reader reads as a core cut off.
 */
struct cr_error *cr_core_write(int fd, const struct cr_core_desc *d,
			       struct cr_core_stats *stats);

#endif
