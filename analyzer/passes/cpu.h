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

#endif
