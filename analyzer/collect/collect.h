/*
 * collect.h - `coroner collect`: stop a live process with ptrace, write an
 * ELF core of it (formats/elfcore_write.h), resume it.
 *
 *   procfs.c   what /proc says: threads, their names, states and CPU
 *              times, the mappings and which of them coredump_filter
 *              keeps, the text files coroner's note records
 *   ptrace.c   stopping every thread (PTRACE_SEIZE + PTRACE_INTERRUPT,
 *              rescanning for threads born meanwhile), their register
 *              sets, reading memory, detaching
 *   trigger.c  when to take it (--cpu, --memory, --threads) and which
 *              process (--name)
 *   snapshot.c --snapshot: a copy-on-write child forked by an injected
 *              system call, so the process is paused for milliseconds
 *   seccomp.c  whether the process's seccomp filters let that call through
 *   fromkernel.c  --from-kernel: the core_pattern pipe handler
 *   collect.c  one dump: the above into a core under a temporary name,
 *              renamed when complete
 *
 * Nothing here uses libelf or libdw: the collector is the part of coroner
 * that runs on the machine being debugged (docs/ARCHITECTURE.md).  The
 * process can exit at any moment: every step says so with CR_ERR_PROCESS.
 */
#ifndef CR_COLLECT_H
#define CR_COLLECT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "elfcore_write.h"
#include "error.h"

/* The kernel's default /proc/PID/coredump_filter. */
#define CR_FILTER_DEFAULT 0x33
/* At most this many threads or mappings (the core's e_phnum is 16 bits). */
#define CR_COLLECT_MAX_THREADS 100000
#define CR_COLLECT_MAX_MAPS 65000

struct cr_collect_options {
	const char *dir;		/* where the core goes */
	const char *trigger;		/* in the file name: "manual" */
	bool filter_given;
	uint64_t filter;		/* coredump_filter bits */
	bool no_env;			/* leave the environment out */
	bool progress;			/* on standard error (a terminal) */
	unsigned index, count;		/* "dump 2 of 3" in progress lines */
	bool snapshot;			/* --snapshot: copy a forked child */
};

struct cr_collect_result {
	char *path;			/* the core written (also when partial) */
	uint64_t bytes;
	size_t nthreads;
	double pause;			/* seconds the process was stopped */
	double stamp;			/* CLOCK_MONOTONIC seconds when the
					 * dump's time was taken */
	bool partial;			/* the write failed part way */
	bool snapshot;			/* written from a --snapshot child */
};

/* --- procfs.c --- */

/* A file under /proc/PID (REL "status", "task/12/stat") read whole into a
 * malloc'd buffer (NUL-terminated, *LEN without it); NULL on error with
 * errno set. */
char *cr_proc_read(pid_t pid, const char *rel, size_t *len);

/* Fields of a /proc stat line after the ")" of the name. */
struct cr_proc_stat {
	char state;
	int64_t ppid, pgrp, sid;
	uint64_t utime_us, stime_us;	/* clock ticks turned into µs */
	uint64_t start_ticks;		/* since boot */
};
bool cr_proc_parse_stat(const char *text, struct cr_proc_stat *st);

/* The mappings of PID with coredump_filter FILTER applied; NULL with errno
 * when /proc/PID/maps cannot be read.  Paths are malloc'd.  FORK_CHILD:
 * PID is a snapshot's fork child, whose MADV_WIPEONFORK mappings are
 * zeros (written without contents, as not captured). */
struct cr_core_mapping *cr_proc_maps(pid_t pid, uint64_t filter,
				     bool fork_child, size_t *n);
/* Add to the fork child's mappings *MAPS (*N of them) its PARENT's
 * MADV_DONTFORK ones, which the child lacks, without contents (not
 * captured). */
struct cr_error *cr_proc_maps_add_dontfork(pid_t parent,
					   struct cr_core_mapping **maps,
					   size_t *n);
void cr_proc_maps_free(struct cr_core_mapping *m, size_t n);
/* The filter in /proc/PID/coredump_filter, CR_FILTER_DEFAULT unknown. */
uint64_t cr_proc_filter(pid_t pid);

/* --- ptrace.c --- */

/* Signals a thread's ptrace stops may swallow beyond the first, each
 * given back with its siginfo after the detach: real-time signals queue,
 * every one counts, and a sigqueue()'s or a timer's value is what its
 * handler reads.  More are counted and said. */
#define CR_KEPT_SIGNALS 64

struct cr_stopped_thread {
	pid_t tid;
	int pending_sig;		/* a signal its stop swallowed, re-sent
					 * on detach */
	siginfo_t *more;		/* those swallowed after it (NULL until
					 * one is; CR_KEPT_SIGNALS of room) */
	unsigned nmore, nlost;		/* kept; beyond the room */
	uint8_t *regs, *fpregs, *xstate;
	size_t regs_len, fpregs_len, xstate_len;
};

struct cr_stopped {
	pid_t pid;
	struct cr_stopped_thread *t;
	size_t n, cap;
	size_t born;			/* threads found by a rescan */
	size_t vanished;		/* threads that exited while we attached */
	pid_t mem_pid;			/* whose memory is read: PID, or the
					 * --snapshot child */
	bool detached;			/* the threads run again */
	bool mem_gone;			/* MEM_PID died during the copy: the
					 * copy ends (cr_core_desc.stop) */
	pid_t orphan;			/* a --snapshot child made, then not
					 * used: its zombie is the process's
					 * to reap (cr_snapshot_release) */
	int mem_fd;			/* /proc/PID/mem, -1 until needed */
	int pagemap_fd;			/* /proc/PID/pagemap, -1 until needed,
					 * -2 unreadable */
};

/* Stop every thread of PID; rescan /proc/PID/task until a scan finds no
 * new one.  On error nothing stays attached. */
struct cr_error *cr_ptrace_stop(pid_t pid, struct cr_stopped *s);
/* Read each stopped thread's register sets. */
struct cr_error *cr_ptrace_regs(struct cr_stopped *s);
/* The read callback of cr_core_desc: CTX is a struct cr_stopped. */
size_t cr_ptrace_read(void *ctx, const struct cr_core_mapping *m,
		      uint64_t addr, void *buf, size_t len);
/* Stop one thread of PID, the first of /proc/PID/task that can be (not
 * the others: they run on); false when none could. */
bool cr_ptrace_stop_any(pid_t pid, struct cr_stopped_thread *t);
/* Keep SIG, which a stop of T swallowed, to give back when T is
 * detached. */
void cr_ptrace_keep_signal(struct cr_stopped_thread *t, int sig);
/* Detach T of process PID and give back the signals its stops swallowed. */
void cr_ptrace_detach_thread(pid_t pid, const struct cr_stopped_thread *t);
/* Detach from every thread: they run again; their registers are kept. */
void cr_ptrace_detach(struct cr_stopped *s);
/* Detach (when not yet) and free S. */
void cr_ptrace_resume(struct cr_stopped *s);

/* --- snapshot.c --- */

/* Make the stopped process S fork a copy-on-write child by an injected
 * clone system call in its first thread, whose registers are restored
 * exactly; *CHILD is the child, stopped and traced by us.  An error says
 * why not (the caller collects without the snapshot). */
struct cr_error *cr_snapshot_fork(struct cr_stopped *s, pid_t *child);
/* Kill CHILD and have PID (running again) reap it, through a wait4
 * injected into one of its threads (the first that can be stopped: the
 * one the clone was injected into may be gone); false when the zombie
 * may remain. */
bool cr_snapshot_release(pid_t pid, pid_t child);

/* --- seccomp.c --- */

/* Whether the seccomp filters of the stopped thread TID let system call
 * NR(ARGS) made at INSN through (ALLOW or LOG); when not, or when they
 * cannot be read or run, false with WHY (LEN bytes) saying so. */
bool cr_seccomp_allows(pid_t tid, long nr, uint64_t insn, const long args[6],
		       char *why, size_t len);

/* --- trigger.c --- */

enum cr_trigger_kind {
	CR_TRIGGER_MANUAL,		/* at once */
	CR_TRIGGER_CPU,			/* percent of one core */
	CR_TRIGGER_MEMORY,		/* resident bytes */
	CR_TRIGGER_THREADS,		/* thread count */
};

struct cr_trigger {
	enum cr_trigger_kind kind;
	double threshold;		/* at or above it holds */
	unsigned needed;		/* cpu: consecutive one-second samples */
	double deadline;		/* CLOCK_MONOTONIC s to give up, 0 never */
	bool progress;			/* "waiting: ..." on standard error */
	double value;			/* the sample that made it hold */
	/* cpu's previous sample */
	double last_time;
	uint64_t last_cpu_us;
};

/* "manual", "cpu", "memory", "threads": in the core's file name. */
const char *cr_trigger_name(enum cr_trigger_kind kind);
/* Wait until T holds for PID (at once for manual). */
struct cr_error *cr_trigger_wait(pid_t pid, struct cr_trigger *t);
/* The newest process (not this one) whose comm or argv[0] base name is
 * NAME, waiting for one to appear until DEADLINE (CLOCK_MONOTONIC s, 0
 * never). */
struct cr_error *cr_find_by_name(const char *name, double deadline,
				 bool progress, pid_t *pid);

/* --- fromkernel.c --- */

/* What core_pattern's %P %s %t %e say of the crash. */
struct cr_kernel_core {
	long long pid;
	int signo;
	long long time;			/* seconds since the epoch */
	const char *exe;		/* the process's comm */
	bool no_env;			/* --no-env */
	/* Set by cr_from_kernel: coroner's notes from /proc/PID went into
	 * the core; why /proc could not be read (malloc'd, NULL none). */
	bool noted;
	char *proc_error;
};

/* Built with libzstd: the kernel's core is written compressed. */
extern const bool cr_from_kernel_compressed;

/* Stream the core on IN into DIR under a name made of K, with coroner's
 * notes of what /proc/PID still says in front; *PATH the file written
 * (also when partial), *BYTES the bytes of core read. */
struct cr_error *cr_from_kernel(struct cr_kernel_core *k, int in,
				const char *dir, char **path, uint64_t *bytes);

/* --- collect.c --- */

/* "spin_series.4242.manual.20261130T182233.123Z.core" + SUFFIX, PROC's
 * name made safe for a file name: a series sorts by time. */
char *cr_collect_name(const char *proc, long long pid, const char *trigger,
		      uint64_t wall_ns, const char *suffix);
/* Create DIR/.NAME.tmp (NAME NULL: out of memory) for a new core, to be
 * renamed to *FINAL when complete; *FD its descriptor. */
struct cr_error *cr_collect_create(const char *dir, const char *name,
				   char **final, char **tmp, int *fd);
/* Write one core of PID into O->dir; R says where and how it went. */
struct cr_error *cr_collect_one(pid_t pid, const struct cr_collect_options *o,
				struct cr_collect_result *r);
void cr_collect_result_free(struct cr_collect_result *r);
/* What /proc says of PID as coroner's notes (cr_core_coroner_notes) into
 * B, without stopping it: for --from-kernel, while the kernel holds the
 * crashed process (its memory still there: the command line and the
 * environment, left out with NO_ENV, can be read). */
struct cr_buf;
struct cr_error *cr_collect_proc_notes(pid_t pid, bool no_env, struct cr_buf *b);

#endif
