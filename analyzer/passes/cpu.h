/*
 * cpu.h - CPU time per thread, as the dump records it.
 *
 * The "cpu" pass (cpu.c) keeps its facts as "cpu" for the passes after it
 * (the focus thread, the signature, the series).  cr_thread_cpu_time is the
 * one place that knows how a dump records a thread's own time.
 */
#ifndef CR_CPU_H
#define CR_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dump.h"

/*
 * Thread I's own user and system time in microseconds.  A kernel core
 * records the whole process's times in the thread-group leader's entry
 * (the reader moves them to process.user/sys and marks the leader's own
 * unknown): the leader's own time is then the total minus the other
 * threads'.  False when the dump does not record it (gcore, qemu-user, a
 * minidump without ThreadInfoList).
 */
bool cr_thread_cpu_time(const struct cr_dump *d, size_t i, uint64_t *user_us,
			uint64_t *sys_us);

/* One thread's CPU facts, at the same index as the analysis' threads
 * (its tid: analysis->threads[i].thread->tid). */
struct cr_cpu_thread {
	/* user_us and sys_us hold its own time (cr_thread_cpu_time: for a
	 * kernel core's leader the process total minus the others').
	 * Kernel cores count in clock ticks (4 ms at HZ=250), minidumps'
	 * ThreadInfoList in 100 ns units. */
	bool times_known;
	uint64_t user_us, sys_us;
	/* Per mille of cpu_facts.total_us (user + system), -1 when the
	 * thread's or the process's time is not recorded. */
	int share_permille;
	/* Per mille of one CPU over the process's lifetime (dump time minus
	 * start time), -1 when either time is not recorded (kernel cores:
	 * no dump time).  Can pass 1000 only if the times lie. */
	int lifetime_permille;
	/* On a CPU running user code when the dump was taken: state
	 * CR_STATE_RUNNING (not in a system call). */
	bool on_cpu;
};

/*
 * What the "cpu" pass keeps as "cpu" (cr_pass_kept(a, "cpu")), for the
 * focus thread, the signature and the series of dumps.  Times are those
 * of this one dump, in microseconds since each thread started; a series
 * subtracts two dumps' user_us + sys_us per tid for the CPU used between
 * them.
 */
struct cr_cpu_facts {
	size_t nthreads;		/* == analysis->nthreads */
	struct cr_cpu_thread *threads;	/* nthreads entries */
	/* Every thread's own time is recorded (a kernel core, a minidump
	 * with ThreadInfoList); false for gcore and qemu-user cores. */
	bool times_known;
	/* The process's user + system time: its own total where recorded
	 * (threads that exited included), never less than the sum of the
	 * threads' known times (a minidump's total is in whole seconds); 0
	 * when nothing is recorded (or nothing was used). */
	uint64_t total_us;
	/* The process's age at the dump in microseconds, -1 not recorded. */
	int64_t lifetime_us;
	/* Threads on a CPU running user code. */
	size_t on_cpu;
	/* The thread the pass reported as spinning (the high-cpu-thread or
	 * spin-lock finding's thread), -1 none; spin_lock: it spins in a lock
	 * (spin-lock) rather than in its own code (high-cpu-thread). */
	ssize_t spinner;
	bool spin_lock;
};

/* Frees a struct cr_cpu_facts (the free function given to cr_pass_keep). */
void cr_cpu_facts_free(void *facts);

#endif
