/*
 * cpu_time.c - a thread's own CPU time (cpu.h).
 */
#include "cpu.h"

/* The process total minus every other thread's, clamped at zero: ticks
 * are sampled, so the sum of the parts can pass the total. */
static bool leader_time(const struct cr_dump *d, size_t leader,
			uint64_t *user_us, uint64_t *sys_us)
{
	const struct cr_process *p = &d->process;
	if (!p->user.known || !p->sys.known)
		return false;
	uint64_t user = 0, sys = 0;
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct cr_thread *t = &d->threads[i];
		if (i == leader)
			continue;
		if (!t->user.known || !t->sys.known)
			return false;
		/* Times are the dump's word: a lying one must not wrap. */
		if (__builtin_add_overflow(user, t->user.usec, &user) ||
		    __builtin_add_overflow(sys, t->sys.usec, &sys))
			return false;
	}
	*user_us = p->user.usec > user ? p->user.usec - user : 0;
	*sys_us = p->sys.usec > sys ? p->sys.usec - sys : 0;
	return true;
}

bool cr_thread_cpu_time(const struct cr_dump *d, size_t i, uint64_t *user_us,
			uint64_t *sys_us)
{
	if (i >= d->nthreads)
		return false;
	const struct cr_thread *t = &d->threads[i];
	if (t->user.known && t->sys.known) {
		*user_us = t->user.usec;
		*sys_us = t->sys.usec;
		return true;
	}
	if (d->process.pid >= 0 && t->tid == d->process.pid)
		return leader_time(d, i, user_us, sys_us);
	return false;
}
