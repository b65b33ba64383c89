/*
 * test_elfcore_write.c - the core writer (formats/elfcore_write.c) and the
 * reader (formats/elfcore.c) agree: a core written from a described
 * process reads back with every field the description gave, and a core
 * cut off part way (a full disk) reads as partial; a copy that the
 * reader stops (the process died) ends the file where the memory
 * written ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "elfcore_write.h"

#define PAGE 4096
#define HEAP 0x10000000ull
#define LIB 0x7f0000000000ull
#define NREGS 27		/* x86_64 user_regs_struct */
#define RIP_SLOT 16
#define RSP_SLOT 19

static uint8_t heap[2 * PAGE];

static size_t read_heap(void *ctx, const struct cr_core_mapping *m,
			uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	(void)m;
	memset(buf, 0, len);
	if (addr < HEAP || addr - HEAP + len > sizeof(heap))
		return 0;
	/* The second page is unreadable, like a guard page. */
	size_t ok = addr - HEAP >= PAGE ? 0 : PAGE - (size_t)(addr - HEAP);
	ok = ok < len ? ok : len;
	memcpy(buf, heap + (addr - HEAP), ok);
	return ok;
}

struct written {
	uint8_t *buf;
	size_t len;
	struct cr_core_stats st;
};

static const char cmdline[] = "/usr/bin/worker\0--queue\0a name longer than eighty characters so that pr_psargs cannot hold all of it\0";
static const char env[] = "HOME=/root\0LANG=C\0";

/* Write the described process with two threads into a buffer. */
static void write_core(struct written *w)
{
	static uint64_t regs[2][NREGS];
	static uint8_t fp[512];
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < NREGS; i++)
			regs[t][i] = 0x1000 * (t + 1) + i;
	for (size_t i = 0; i < sizeof(heap); i++)
		heap[i] = (uint8_t)(i * 7);
	struct cr_core_thread th[2] = {
		{ .tid = 4242, .name = "worker", .state = 'S',
		  .utime_us = 1500000, .stime_us = 250000,
		  .regs = regs[0], .regs_len = sizeof(regs[0]),
		  .fpregs = fp, .fpregs_len = sizeof(fp) },
		{ .tid = 4243, .name = "spinner", .state = 'R',
		  .utime_us = 29600000, .stime_us = 7,
		  .regs = regs[1], .regs_len = sizeof(regs[1]) },
	};
	struct cr_core_mapping maps[] = {
		{ HEAP, HEAP + sizeof(heap), 0, true, true, false, NULL, sizeof(heap) },
		{ LIB, LIB + 3 * PAGE, 2 * PAGE, true, false, true,
		  "/usr/lib/libfoo.so", 0 },
	};
	uint64_t auxv[] = { AT_PAGESZ, PAGE, AT_NULL, 0 };
	struct cr_core_desc d = {
		.machine = EM_X86_64, .pid = 4242, .ppid = 1, .pgrp = 4242,
		.sid = 4242, .uid = 1000, .gid = 100, .fname = "worker",
		.state = 'S', .threads = th, .nthreads = 2, .maps = maps,
		.nmaps = 2, .page_size = PAGE, .auxv = auxv,
		.auxv_len = sizeof(auxv), .cmdline = cmdline,
		.cmdline_len = sizeof(cmdline) - 1, .environ = env,
		.environ_len = sizeof(env) - 1,
		.status = "Name:\tworker\n", .limits = "Limit\n",
		.cgroup = "0::/system.slice/worker.service\n",
		.wall_ns = 1790000000123456789ull, .boot_ns = 5000000000ull,
		.start_ns = 1789999000000000000ull,
		.user_us = 40000000, .sys_us = 300000,
		.read = read_heap,
	};
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_null(cr_core_write(fileno(f), &d, &w->st));
	long n = lseek(fileno(f), 0, SEEK_END);
	assert_true(n > 0);
	w->len = (size_t)n;
	w->buf = malloc(w->len);
	assert_int_equal(pread(fileno(f), w->buf, w->len, 0), (ssize_t)w->len);
	fclose(f);
}

static const struct cr_region *region_at(const struct cr_dump *d, uint64_t a)
{
	for (size_t i = 0; i < d->nregions; i++)
		if (a >= d->regions[i].start && a < d->regions[i].end)
			return &d->regions[i];
	return NULL;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct written w;
	write_core(&w);
	assert_int_equal(w.st.bytes, w.len);
	assert_int_equal(w.st.memory, sizeof(heap));
	assert_int_equal(w.st.unreadable, PAGE);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(w.buf, w.len, "written.core", &d));
	assert_string_equal(d->producer, "coroner");
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_int_equal(d->process.pid, 4242);
	assert_int_equal(d->process.ppid, 1);
	assert_int_equal(d->process.uid, 1000);
	assert_int_equal(d->process.gid, 100);
	/* The full command line from coroner's note, not pr_psargs' 80. */
	assert_string_equal(d->process.command_line,
			    "/usr/bin/worker --queue a name longer than eighty characters so that pr_psargs cannot hold all of it");
	assert_int_equal(d->process.dump_time, 1790000000);
	assert_int_equal(d->process.dump_time_nsec, 123456789);
	assert_int_equal(d->process.start_time, 1789999000);
	assert_true(d->process.user.known && d->process.sys.known);
	assert_int_equal(d->process.user.usec, 40000000);
	assert_int_equal(d->process.sys.usec, 300000);
	assert_int_equal(d->event.kind, CR_EVENT_NONE);

	assert_int_equal(d->nthreads, 2);
	static const struct { int64_t tid; const char *name; uint64_t u, s; } want[] = {
		{ 4242, "worker", 1500000, 250000 },
		{ 4243, "spinner", 29600000, 7 },
	};
	for (size_t i = 0; i < 2; i++) {
		const struct cr_thread *t = &d->threads[i];
		assert_int_equal(t->tid, want[i].tid);
		assert_string_equal(t->name, want[i].name);
		/* The leader's own time, not the process's total. */
		assert_true(t->user.known && t->sys.known);
		assert_int_equal(t->user.usec, want[i].u);
		assert_int_equal(t->sys.usec, want[i].s);
		uint64_t pc, sp;
		assert_true(cr_thread_pc(d, t, &pc));
		assert_int_equal(pc, 0x1000 * (i + 1) + RIP_SLOT);
		assert_true(cr_thread_sp(d, t, &sp));
		assert_int_equal(sp, 0x1000 * (i + 1) + RSP_SLOT);
		assert_int_equal(t->signo, 0);
	}

	uint8_t got[2 * PAGE];
	assert_int_equal(cr_dump_read(d, HEAP, got, sizeof(got)), sizeof(got));
	assert_memory_equal(got, heap, PAGE);
	for (size_t i = PAGE; i < sizeof(got); i++)
		assert_int_equal(got[i], 0);
	const struct cr_region *lib = region_at(d, LIB + PAGE);
	assert_non_null(lib);
	assert_string_equal(lib->path, "/usr/lib/libfoo.so");
	assert_int_equal(lib->start, LIB);
	assert_int_equal(lib->file_offset, 2 * PAGE);
	assert_false(lib->captured);
	assert_int_equal(lib->prot, CR_PROT_R | CR_PROT_X);
	const struct cr_region *h = region_at(d, HEAP);
	assert_true(h->captured);
	assert_int_equal(h->prot, CR_PROT_R | CR_PROT_W);

	bool env_fact = false, cgroup_fact = false;
	for (size_t i = 0; i < d->nfacts; i++) {
		env_fact |= !strcmp(d->facts[i].name, "Environment") &&
			    !strcmp(d->facts[i].value, "2 variables recorded");
		cgroup_fact |= !strcmp(d->facts[i].value,
				       "0::/system.slice/worker.service");
	}
	assert_true(env_fact);
	assert_true(cgroup_fact);
	for (size_t i = 0; i < d->problems.n; i++)
		fail_msg("problem: %s", d->problems.items[i].text);
	cr_dump_free(d);
	free(w.buf);
}

/* A core cut off in its memory (a full disk) reads as partial. */
static void test_cut_off(void **state)
{
	(void)state;
	struct written w;
	write_core(&w);
	size_t cut = w.len - PAGE - 100;
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(w.buf, cut, "cut.core", &d));
	assert_int_equal(d->nthreads, 2);
	assert_string_equal(d->threads[1].name, "spinner");
	bool cut_problem = false;
	for (size_t i = 0; i < d->problems.n; i++)
		cut_problem |= strstr(d->problems.items[i].text, "file cut off") != NULL;
	assert_true(cut_problem);
	cr_dump_free(d);
	free(w.buf);
}

/* coroner's note is input like any other: a times note that says it is
 * shorter than its layout is refused with a problem, and the notes after
 * it (now read from the wrong place) do not crash the reader. */
static void test_short_times_note(void **state)
{
	(void)state;
	struct written w;
	write_core(&w);
	static const uint8_t head[] = { 8, 0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0,
					'C', 'O', 'R', 'O', 'N', 'E', 'R', 0 };
	uint8_t *at = memmem(w.buf, w.len, head, sizeof(head));
	assert_non_null(at);
	at[4] = 4;
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(w.buf, w.len, "short.core", &d));
	assert_int_equal(d->process.dump_time, -1);
	assert_int_equal(d->process.dump_time_nsec, -1);
	bool short_problem = false;
	for (size_t i = 0; i < d->problems.n; i++)
		short_problem |= strstr(d->problems.items[i].text,
					"(CORONER type 1)") != NULL;
	assert_true(short_problem);
	cr_dump_free(d);
	free(w.buf);
}

#define CHUNK (4u << 20)	/* elfcore_write.c's COPY_CHUNK */
#define BIG 0x20000000ull

static bool gone;

/* BIG's memory: a chunk of bytes, a chunk of zeros (a hole in the file),
 * then the process is gone: STOP is set, and the rest reads as zeros. */
static size_t read_dying(void *ctx, const struct cr_core_mapping *m,
			 uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	(void)m;
	memset(buf, 0, len);
	if (addr >= BIG + 2 * CHUNK) {
		gone = true;
		return 0;
	}
	if (addr < BIG + CHUNK)
		memset(buf, 0x5a, len);
	return len;
}

/* The reader sets STOP in the third of four chunks: the copy ends with
 * CR_ERR_PROCESS, the chunk is not written, stopped_at is its address,
 * and the file ends exactly there, the chunk of zeros before it (a hole
 * while written) included. */
static void test_stopped(void **state)
{
	(void)state;
	static uint64_t regs[NREGS];
	struct cr_core_thread th = { .tid = 77, .name = "dying", .state = 'S',
				     .regs = regs, .regs_len = sizeof(regs) };
	struct cr_core_mapping map = { BIG, BIG + 4 * CHUNK, 0, true, true, false,
				       NULL, 4 * CHUNK };
	struct cr_core_desc d = {
		.machine = EM_X86_64, .pid = 77, .fname = "dying", .state = 'S',
		.threads = &th, .nthreads = 1, .maps = &map, .nmaps = 1,
		.page_size = PAGE, .read = read_dying, .stop = &gone,
	};
	gone = false;
	FILE *f = tmpfile();
	assert_non_null(f);
	struct cr_core_stats st;
	struct cr_error *err = cr_core_write(fileno(f), &d, &st);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_PROCESS);
	cr_error_free(err);
	assert_int_equal(st.stopped_at, BIG + 2 * CHUNK);
	assert_int_equal(st.copied, 2 * CHUNK);
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	assert_int_equal(pread(fileno(f), &eh, sizeof(eh), 0), (ssize_t)sizeof(eh));
	assert_int_equal(eh.e_phnum, 2);
	assert_int_equal(pread(fileno(f), ph, sizeof(ph), (off_t)eh.e_phoff), (ssize_t)sizeof(ph));
	assert_int_equal(ph[1].p_type, PT_LOAD);
	assert_int_equal(lseek(fileno(f), 0, SEEK_END),
			 (off_t)(ph[1].p_offset + 2 * CHUNK));
	uint8_t b[2];
	assert_int_equal(pread(fileno(f), b, 1, (off_t)ph[1].p_offset + CHUNK - 1), 1);
	assert_int_equal(pread(fileno(f), b + 1, 1, (off_t)ph[1].p_offset + 2 * CHUNK - 1), 1);
	assert_int_equal(b[0], 0x5a);
	assert_int_equal(b[1], 0);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_cut_off),
		cmocka_unit_test(test_short_times_note),
		cmocka_unit_test(test_stopped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
