/*
 * minidump_threads.c - ThreadList (3), ThreadInfoList (17) and ThreadNames
 * (24) into the model's threads.
 *
 * MINIDUMP_THREAD (48 bytes): ThreadId u32, SuspendCount u32,
 * PriorityClass u32, Priority u32, Teb u64, Stack (MINIDUMP_MEMORY_DESCRIPTOR:
 * StartOfMemoryRange u64, DataSize u32, Rva u32), ThreadContext
 * (MINIDUMP_LOCATION_DESCRIPTOR: DataSize u32, Rva u32).
 * MINIDUMP_THREAD_INFO_LIST: SizeOfHeader u32, SizeOfEntry u32,
 * NumberOfEntries u32, then entries of SizeOfEntry bytes (64 known) from
 * SizeOfHeader: ThreadId, DumpFlags, DumpError, ExitStatus (u32 each),
 * CreateTime, ExitTime, KernelTime, UserTime (FILETIME / 100-ns u64),
 * StartAddress, Affinity.
 * MINIDUMP_THREAD_NAME_LIST: NumberOfThreadNames u32, then packed entries of
 * ThreadId u32 and RvaOfThreadName u64 (a MINIDUMP_STRING).
 * Stack.Memory.Rva may be 0 when the stack was not captured.
 */
#include "minidump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD_THREAD_SIZE 48u
#define MD_THREAD_INFO_SIZE 64u
#define MD_THREAD_NAME_SIZE 12u

/* MINIDUMP_THREAD_INFO.DumpFlags */
#define MD_THREAD_INFO_WRITING_THREAD 0x2u
#define MD_THREAD_INFO_INVALID_INFO 0x8u

static int tid_cmp(const void *a, const void *b)
{
	const struct md_tid_index *x = a, *y = b;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

struct cr_thread *md_thread_by_tid(struct md_state *md, uint32_t tid)
{
	if (!md->tid_index)
		return NULL;
	struct md_tid_index key = { .tid = tid };
	struct md_tid_index *hit = bsearch(&key, md->tid_index,
					   md->d->nthreads,
					   sizeof(*md->tid_index), tid_cmp);
	return hit ? &md->d->threads[hit->idx] : NULL;
}

void md_read_thread_list(struct md_state *md, const struct md_stream *s)
{
	struct cr_dump *d = md->d;
	struct cr_cursor c;
	uint32_t count;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &count))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, MD_THREAD_SIZE,
				   CR_MAX_THREADS, "threads");
	if (n == 0)
		return;
	d->threads = calloc(n, sizeof(*d->threads));
	md->stacks = calloc(n, sizeof(*md->stacks));
	md->tid_index = calloc(n, sizeof(*md->tid_index));
	if (!d->threads || !md->stacks || !md->tid_index) {
		free(d->threads);
		d->threads = NULL;
		cr_dump_oom(md->d, "threads (ThreadList)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cr_thread *t = &d->threads[i];
		uint32_t tid, suspend, prio_class, prio, stack_size, stack_rva;
		uint32_t ctx_size, ctx_rva;
		uint64_t teb, stack_start;
		/* n entries fit in the stream: these reads cannot fail. */
		if ((err = cr_cursor_u32(&c, &tid)) ||
		    (err = cr_cursor_u32(&c, &suspend)) ||
		    (err = cr_cursor_u32(&c, &prio_class)) ||
		    (err = cr_cursor_u32(&c, &prio)) ||
		    (err = cr_cursor_u64(&c, &teb)) ||
		    (err = cr_cursor_u64(&c, &stack_start)) ||
		    (err = cr_cursor_u32(&c, &stack_size)) ||
		    (err = cr_cursor_u32(&c, &stack_rva)) ||
		    (err = cr_cursor_u32(&c, &ctx_size)) ||
		    (err = cr_cursor_u32(&c, &ctx_rva))) {
			md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
			cr_error_free(err);
			break;
		}
		t->tid = tid;
		t->teb = teb;
		t->create_time = -1;
		t->syscall_nr = -1;
		uint64_t hi;
		if (stack_size && !cr_add_overflows(stack_start, stack_size, &hi)) {
			t->stack_lo = stack_start;
			t->stack_hi = hi;
		} else if (stack_size) {
			md_problem_at(md, s, CR_AT_ADDRESS(CR_SEVERITY_ERROR, stack_start),
				      "thread %zu (tid 0x%x): stack 0x%llx+0x%x wraps around",
				   i, tid, (unsigned long long)stack_start,
				   stack_size);
		}
		if (stack_size && stack_rva) {
			struct md_stack *st = &md->stacks[md->nstacks++];
			st->start = stack_start;
			st->size = stack_size;
			st->rva = stack_rva;
		}
		char who[64];
		snprintf(who, sizeof(who), "thread %zu (tid 0x%x)", i, tid);
		md_read_context(md, ctx_size, ctx_rva, who, &t->regs);
		md->tid_index[i].tid = tid;
		md->tid_index[i].idx = i;
		d->nthreads = i + 1;
	}
	qsort(md->tid_index, d->nthreads, sizeof(*md->tid_index), tid_cmp);
}

static bool regs_any(const struct cr_regs *r)
{
	for (size_t i = 0; i < CR_MAX_REGS / 64; i++)
		if (r->valid[i])
			return true;
	return false;
}

void md_check_contexts(struct md_state *md)
{
	const struct cr_dump *d = md->d;
	const struct cr_event *ev = &d->event;
	size_t with = 0;

	for (size_t i = 0; i < d->nthreads; i++)
		with += regs_any(&d->threads[i].regs);
	if (d->nthreads && !with && !ev->regs_known) {
		md_problem_at(md, NULL, CR_AT(CR_SEVERITY_ERROR),
			      "no thread has a CPU context: no stack can be unwound");
		return;
	}
	if (ev->kind == CR_EVENT_NONE || ev->tid < 0 || ev->regs_known)
		return;
	const struct cr_thread *t = cr_dump_thread_by_tid(d, ev->tid);
	if (t && !regs_any(&t->regs))
		md_problem_at(md, NULL, CR_AT(CR_SEVERITY_ERROR),
			      "the exception's thread (tid 0x%llx) has no CPU context, in the exception stream or the thread list",
			      (unsigned long long)ev->tid);
}

/* 100-ns units to a known CPU time. */
static struct cr_cpu_time cpu_time_100ns(uint64_t t)
{
	struct cr_cpu_time ct = { .known = true, .usec = t / 10 };
	return ct;
}

void md_read_thread_info_list(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	uint32_t header_size, entry_size, count;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &header_size)) ||
	    (err = cr_cursor_u32(&c, &entry_size)) ||
	    (err = cr_cursor_u32(&c, &count))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	if (header_size < 12 || entry_size < MD_THREAD_INFO_SIZE) {
		md_problem(md, s, "header of %u bytes, entries of %u: expected at least 12 and %u",
			   header_size, entry_size, MD_THREAD_INFO_SIZE);
		return;
	}
	if ((err = cr_cursor_seek(&c, header_size))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, entry_size,
				   CR_MAX_THREADS, "thread infos");
	for (size_t i = 0; i < n; i++) {
		struct cr_cursor e;
		uint32_t tid, flags, dump_error, exit_status;
		uint64_t create, exit_time, kernel, user;
		if ((err = cr_cursor_sub(&c, c.pos, entry_size, NULL, &e)) ||
		    (err = cr_cursor_skip(&c, entry_size)) ||
		    (err = cr_cursor_u32(&e, &tid)) ||
		    (err = cr_cursor_u32(&e, &flags)) ||
		    (err = cr_cursor_u32(&e, &dump_error)) ||
		    (err = cr_cursor_u32(&e, &exit_status)) ||
		    (err = cr_cursor_u64(&e, &create)) ||
		    (err = cr_cursor_u64(&e, &exit_time)) ||
		    (err = cr_cursor_u64(&e, &kernel)) ||
		    (err = cr_cursor_u64(&e, &user))) {
			md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
			cr_error_free(err);
			return;
		}
		if ((flags & MD_THREAD_INFO_WRITING_THREAD) && !md->dump_tid_known) {
			md->dump_tid_known = true;
			md->dump_tid = tid;
		}
		struct cr_thread *t = md_thread_by_tid(md, tid);
		if (!t || (flags & MD_THREAD_INFO_INVALID_INFO))
			continue;
		t->create_time = md_filetime_to_unix(create);
		t->user = cpu_time_100ns(user);
		t->sys = cpu_time_100ns(kernel);
	}
}

void md_read_thread_names(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	uint32_t count;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &count))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, MD_THREAD_NAME_SIZE,
				   CR_MAX_THREADS, "thread names");
	for (size_t i = 0; i < n; i++) {
		uint32_t tid;
		uint64_t rva;
		char *name;
		if ((err = cr_cursor_u32(&c, &tid)) ||
		    (err = cr_cursor_u64(&c, &rva))) {
			md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
			cr_error_free(err);
			return;
		}
		if ((err = md_read_string(md, rva, &name))) {
			md_problem(md, s, "name of thread 0x%x: %s", tid,
				   err->message);
			cr_error_free(err);
			continue;
		}
		struct cr_thread *t = md_thread_by_tid(md, tid);
		if (!t || !name || !name[0]) {
			free(name);	/* an empty name says nothing */
			continue;
		}
		free(t->name);
		t->name = name;
	}
}
