/*
 * test_mapguard.c - a dump file cut while it is mapped (formats/mapguard.c).
 *
 * A small core is written, opened, and then truncated under the open dump,
 * so that the memory reads of dump.c touch pages that no longer have a file
 * behind them: without the guard each would kill the test with SIGBUS.
 * The reads must stop at the new end (the one in flight during the fault
 * included), and the dump must say that the file shrank.  A SIGBUS outside
 * any guarded mapping must still kill, as it did before.  A cold read
 * (cr_dump_read_cold) copies from the file without mapping the dump's
 * pages into the process.
 */
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "coresynth.h"
#include "dump.h"
#include "mapguard.h"

#define MEM_ADDR 0x20000u
#define MEM_SIZE 0x10000u	/* 64 KiB of pattern */
#define MEM_OFF 0x1000u		/* its file offset */
#define KEEP 100u		/* bytes of it left after the cut */

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 1);	/* never 0: strings run on */
}

/* An x86_64 core: no notes, one PT_LOAD of SIZE pattern bytes at file
 * offset OFF. */
static void write_core(const char *path, size_t off, size_t size)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	Elf64_Ehdr eh = coresynth_ehdr(1);
	Elf64_Phdr ph = {
		.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = off,
		.p_vaddr = MEM_ADDR, .p_filesz = size, .p_memsz = size,
		.p_align = 4096,
	};
	uint8_t *file = calloc(1, off + size);
	assert_non_null(file);
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + sizeof(eh), &ph, sizeof(ph));
	for (size_t i = 0; i < size; i++)
		file[off + i] = pattern(i);
	assert_int_equal(fwrite(file, 1, off + size, f), off + size);
	free(file);
	/* Out of the page cache: pages just written may sit in folios as
	 * big as the file, which one fault would map whole. */
	assert_int_equal(fflush(f), 0);
	assert_int_equal(fsync(fileno(f)), 0);
	assert_int_equal(posix_fadvise(fileno(f), 0, 0, POSIX_FADV_DONTNEED), 0);
	fclose(f);
}

/* Write the core (memory at OFF, SIZE bytes) to a new file PATH (a
 * mkstemp template) and open it. */
static struct cr_dump *open_core_at(char *path, size_t off, size_t size)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_core(path, off, size);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_open(path, &d));
	assert_false(cr_dump_check_file(d));
	return d;
}

static struct cr_dump *open_new_core(char *path)
{
	return open_core_at(path, MEM_OFF, MEM_SIZE);
}

/* The KiB of the mapping starting at START resident in this process
 * (smaps' Rss), -1 when the mapping is not found. */
static long mapped_kib(const void *start)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[512];
	bool in = false;
	long kib = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
			in = lo == (unsigned long)(uintptr_t)start;
			continue;
		}
		if (in && sscanf(line, "Rss: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/*
 * Reads spread over the dump: cold ones leave the mapping as resident as
 * it was (the heap statistics' samples over a 2 GB heap kept 54 MiB of it
 * resident), plain ones map pages.  The memory lies 1 MiB into the file,
 * 64 KiB a read apart: no read falls in the kernel's fault-around window
 * of another or of the headers.
 */
static void test_cold_reads_map_nothing(void **state)
{
	(void)state;
	enum { OFF = 1 << 20, SIZE = 1 << 20, STEP = 1 << 16 };
	char path[] = "/tmp/coroner-mapguard-XXXXXX";
	struct cr_dump *d = open_core_at(path, OFF, SIZE);
	long before = mapped_kib(d->map);
	assert_true(before >= 0);
	uint8_t buf[64];
	for (size_t at = 0; at < SIZE; at += STEP) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(cr_dump_read_cold(d, MEM_ADDR + at, buf,
						   sizeof(buf)), sizeof(buf));
		for (size_t i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], pattern(at + i));
	}
	/* Cut at the end of the memory, as cr_dump_read. */
	assert_int_equal(cr_dump_read_cold(d, MEM_ADDR + SIZE - 8, buf, 64), 8);
	assert_int_equal(mapped_kib(d->map), before);
	for (size_t at = 0; at < SIZE; at += STEP)
		assert_int_equal(cr_dump_read(d, MEM_ADDR + at, buf, sizeof(buf)),
				 sizeof(buf));
	assert_true(mapped_kib(d->map) >= before + (SIZE / STEP) * 4);
	cr_dump_free(d);
	unlink(path);
}

static void test_cut_under_reads(void **state)
{
	(void)state;
	char path[] = "/tmp/coroner-mapguard-XXXXXX";
	struct cr_dump *d = open_new_core(path);
	uint8_t *buf = malloc(MEM_SIZE);
	assert_non_null(buf);
	assert_int_equal(cr_dump_read(d, MEM_ADDR, buf, 16), 16);

	assert_int_equal(truncate(path, MEM_OFF + KEEP), 0);
	/* The copy runs into the lost pages: SIGBUS inside memcpy, then the
	 * read is cut to what the file still holds. */
	memset(buf, 0, MEM_SIZE);
	assert_int_equal(cr_dump_read(d, MEM_ADDR, buf, MEM_SIZE), KEEP);
	for (size_t i = 0; i < KEEP; i++)
		assert_int_equal(buf[i], pattern(i));
	assert_true(cr_map_faults > 0);
	/* Every other read stops at the new end too. */
	uint64_t w;
	assert_true(cr_dump_read_word(d, MEM_ADDR + 8, &w));
	assert_false(cr_dump_read_word(d, MEM_ADDR + 0x8000, &w));
	assert_non_null(cr_dump_ptr(d, MEM_ADDR, KEEP));
	assert_null(cr_dump_ptr(d, MEM_ADDR, KEEP + 1));
	assert_null(cr_dump_read_string(d, MEM_ADDR + 0x4000, 64));
	assert_int_equal(cr_dump_read(d, MEM_ADDR + 0x4000, buf, 8), 0);

	assert_true(cr_dump_check_file(d));
	assert_true(cr_dump_check_file(d));	/* noted once */
	char want[128];
	snprintf(want, sizeof(want), "shrank from %u to %u bytes",
		 MEM_OFF + MEM_SIZE, MEM_OFF + KEEP);
	size_t found = 0;
	for (size_t i = 0; i < d->problems.n; i++)
		if (strstr(d->problems.items[i].text, want))
			found++;
	assert_int_equal(found, 1);
	free(buf);
	cr_dump_free(d);
	unlink(path);
}

/* A fault in a mapping nobody guards still kills with SIGBUS. */
static void test_unguarded_still_dies(void **state)
{
	(void)state;
	char path[] = "/tmp/coroner-mapguard-XXXXXX";
	struct cr_dump *d = open_new_core(path);	/* the handler is installed */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int f = open(path, O_RDONLY);
		volatile uint8_t *p = mmap(NULL, MEM_OFF + MEM_SIZE, PROT_READ,
					   MAP_PRIVATE, f, 0);
		if (p == MAP_FAILED || ftruncate(f, 0) == 0)
			_exit(2);	/* read-only: the ftruncate fails */
		if (truncate(path, 0) != 0)
			_exit(3);
		(void)p[MEM_OFF + 0x8000];
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* Killed by SIGBUS, or (a sanitizer build) by the sanitizer's own
	 * SIGBUS report: the fault went on to the handler before ours. */
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (WIFSIGNALED(st))
		assert_int_equal(WTERMSIG(st), SIGBUS);
	cr_dump_free(d);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_under_reads),
		cmocka_unit_test(test_unguarded_still_dies),
		cmocka_unit_test(test_cold_reads_map_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
