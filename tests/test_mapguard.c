/*
 * test_mapguard.c - a dump file cut while it is mapped (formats/mapguard.c).
 *
 * A small core is written, opened, and then truncated under the open dump,
 * so that the memory reads of dump.c touch pages that no longer have a file
 * behind them: without the guard each would kill the test with SIGBUS.
 * The reads must stop at the new end (the one in flight during the fault
 * included), and the dump must say that the file shrank.  A SIGBUS outside
 * any guarded mapping must still kill, as it did before.
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

/* An x86_64 core: no notes, one PT_LOAD of MEM_SIZE pattern bytes. */
static void write_core(const char *path)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	Elf64_Ehdr eh = coresynth_ehdr(1);
	Elf64_Phdr ph = {
		.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = MEM_OFF,
		.p_vaddr = MEM_ADDR, .p_filesz = MEM_SIZE, .p_memsz = MEM_SIZE,
		.p_align = 4096,
	};
	uint8_t *file = calloc(1, MEM_OFF + MEM_SIZE);
	assert_non_null(file);
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + sizeof(eh), &ph, sizeof(ph));
	for (size_t i = 0; i < MEM_SIZE; i++)
		file[MEM_OFF + i] = pattern(i);
	assert_int_equal(fwrite(file, 1, MEM_OFF + MEM_SIZE, f), MEM_OFF + MEM_SIZE);
	free(file);
	fclose(f);
}

/* Write the core to a new file PATH (a mkstemp template) and open it. */
static struct cr_dump *open_new_core(char *path)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_core(path);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_open(path, &d));
	assert_false(cr_dump_check_file(d));
	return d;
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
