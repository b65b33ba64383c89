/*
 * test_dynlib.c - libraries loaded on demand (formats/dynlib.c): a load on
 * the spot and one asked for beforehand (cr_dynlib_prefetch, in any order)
 * both resolve the functions; a library that is not there gives an error
 * naming what needed it, the library and the loader's reason, the same on
 * every later call, without a second attempt; a library's relocated
 * data are made present in bulk while it loads (dynlib_populate.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dynlib.h"
#include "dynlib_populate.h"

/* zlib: on every machine that runs coroner (libdw needs it). */
#define ZLIB "libz.so.1"
static const char *(*zversion)(void);
static const struct cr_dynsym zsyms[] = { { "zlibVersion", (void **)&zversion } };

static void check_zlib(struct cr_dynlib *lib)
{
	struct cr_error *err = cr_dynlib_load(lib, ZLIB, zsyms, 1, CR_ERR_IO,
					      "testing");
	assert_null(err);
	assert_non_null(zversion);
	assert_int_equal(zversion()[0], '1');	/* "1.2.13" */
}

static void test_load_now(void **state)
{
	struct cr_dynlib lib = { 0 };
	zversion = NULL;
	check_zlib(&lib);
	check_zlib(&lib);	/* loaded once: the second call only says so */
}

static void test_load_prefetched(void **state)
{
	struct cr_dynlib lib = { 0 };
	zversion = NULL;
	cr_dynlib_prefetch(&lib, ZLIB, zsyms, 1);
	assert_int_not_equal(lib.state, CR_DYNLIB_IDLE);
	check_zlib(&lib);
	assert_int_equal(lib.state, CR_DYNLIB_OPENED);
	cr_dynlib_prefetch(&lib, ZLIB, zsyms, 1);	/* tried already: nothing asked */
	assert_int_equal(lib.state, CR_DYNLIB_OPENED);
}

static void check_missing(struct cr_dynlib *lib)
{
	static void *slot;
	static const struct cr_dynsym syms[] = { { "f", &slot } };
	struct cr_error *err = cr_dynlib_load(lib, "libcoroner-absent.so.9", syms,
					      1, CR_ERR_FORMAT, "reading tests");
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	assert_non_null(strstr(err->message, "reading tests needs libcoroner-absent.so.9"));
	/* the loader's own words, kept from the thread that tried */
	assert_non_null(strstr(err->message, "No such file"));
	cr_error_free(err);
}

static void test_missing(void **state)
{
	struct cr_dynlib now = { 0 }, ahead = { 0 };
	check_missing(&now);
	check_missing(&now);
	cr_dynlib_prefetch(&ahead, "libcoroner-absent.so.9", NULL, 0);
	check_missing(&ahead);
	check_missing(&ahead);
}

/* A library that loads but lacks a function is refused as a whole. */
static void test_missing_symbol(void **state)
{
	struct cr_dynlib lib = { 0 };
	static void *slot;
	static const struct cr_dynsym syms[] = {
		{ "zlibVersion", (void **)&zversion }, { "no_such_function", &slot },
	};
	struct cr_error *err = cr_dynlib_load(&lib, ZLIB, syms, 2, CR_ERR_IO, "testing");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "has no no_such_function"));
	assert_null(lib.handle);
	cr_error_free(err);
}

/* Three asked for in one order, needed in another: each load gets its
 * library, whether the loader opened it, is opening it, or has not
 * started on it (the load then opens it itself). */
static void test_queue(void **state)
{
	struct cr_dynlib z = { 0 }, absent = { 0 }, bz = { 0 };
	static const char *(*bzversion)(void);
	static const struct cr_dynsym bzsyms[] = {
		{ "BZ2_bzlibVersion", (void **)&bzversion },
	};
	zversion = NULL;
	cr_dynlib_prefetch(&z, ZLIB, zsyms, 1);
	cr_dynlib_prefetch(&absent, "libcoroner-absent.so.9", NULL, 0);
	cr_dynlib_prefetch(&bz, "libbz2.so.1.0", bzsyms, 1);
	struct cr_error *err = cr_dynlib_load(&bz, "libbz2.so.1.0", bzsyms, 1,
					      CR_ERR_IO, "testing");
	assert_null(err);
	assert_non_null(strstr(bzversion(), "1.0"));
	check_missing(&absent);
	check_zlib(&z);
}

/*
 * Capstone's relocation writes 340 pages of its tables, each first write a
 * fault (15-30 us here): the pages are made present in bulk as soon as
 * they are mapped (dynlib_populate.c), so the load's own faults are few.
 * getrusage counts both (a populated page is a fault taken without a
 * trap), the populated ones are counted apart.
 */
/* One load of Capstone in a fresh child (this process may have it loaded
 * already), with or without POPULATE: true with *FAULTS the load's page
 * faults and *POPULATED the pages populated, false when it did not load. */
/* A map of many lines: NMAPS anonymous pages, none merged with the next
 * (one page of a gap between them); false when it could not be made. */
static bool lengthen_map(size_t nmaps)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (nmaps == 0)
		return true;
	char *area = mmap(NULL, 2 * nmaps * page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return false;
	for (size_t i = 0; i < nmaps; i++)
		if (mprotect(area + 2 * i * page, page, PROT_READ) != 0)
			return false;
	return true;
}

static bool load_in_child(bool populate, size_t nmaps, long *faults,
			  long *populated)
{
	int fd[2];
	if (pipe(fd) != 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		if (!lengthen_map(nmaps))
			_exit(1);
		struct cr_dynlib lib = { .populate = populate };
		static void *slot;
		static const struct cr_dynsym syms[] = { { "cs_version", &slot } };
		struct rusage before, after;
		getrusage(RUSAGE_THREAD, &before);
		struct cr_error *err = cr_dynlib_load(&lib, CR_SONAME_CAPSTONE,
						      syms, 1, CR_ERR_IO, "testing");
		getrusage(RUSAGE_THREAD, &after);
		long r[2] = { after.ru_minflt - before.ru_minflt,
			      (long)cr_dynlib_populate_pages() };
		_exit(!err && write(fd[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fd[1]);
	long r[2];
	bool ok = pid > 0 && read(fd[0], r, sizeof(r)) == sizeof(r);
	close(fd[0]);
	int status;
	ok = pid > 0 && waitpid(pid, &status, 0) == pid && ok &&
	     WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (ok) {
		*faults = r[0];
		*populated = r[1];
	}
	return ok;
}

/*
 * The timer that populates fires while dlopen() runs, so on a loaded
 * machine a load could end before its first tick (under ASan about 1 load
 * in 5 populated nothing while the ticks came on a fixed period; none in
 * 60 since, see test_populated_long_map).  Each attempt
 * is a pair of fresh processes, one loading with the timer and one
 * without; the mechanism must work in one of five.  The faults compared
 * are those taken with a trap (getrusage counts a populated page as a
 * fault too): a forked child also takes copy-on-write faults of its own
 * (ASan's shadow and allocator: 100 more), the same with and without.
 */
static void test_populated(void **state)
{
	(void)state;
	if (madvise(NULL, 0, 23 /* MADV_POPULATE_WRITE */) != 0)
		skip();		/* a kernel before 5.14 populates nothing */
	bool met = false;
	for (int i = 0; i < 5 && !met; i++) {
		long faults, populated, plain, none;
		assert_true(load_in_child(true, 0, &faults, &populated));
		assert_true(load_in_child(false, 0, &plain, &none));
		printf("loading %s: %ld page faults, %ld of them populated; "
		       "%ld without populating\n", CR_SONAME_CAPSTONE, faults,
		       populated, plain);
		met = populated >= 300 && plain - (faults - populated) >= 250;
	}
	assert_true(met);
}

/*
 * A process whose map is long (a batch worker's, with many files mapped;
 * or a slow machine): one scan of /proc/self/maps takes longer than the
 * time between ticks.  Ticks on a fixed period then followed each other
 * with no time for the loader between them, until the last tick, before
 * Capstone was even mapped: nothing populated (in every load, where the
 * first test failed in 1 in 5).  Each tick now leaves the loader its time.
 */
static void test_populated_long_map(void **state)
{
	(void)state;
	if (madvise(NULL, 0, 23 /* MADV_POPULATE_WRITE */) != 0)
		skip();
	long faults, populated;
	for (int i = 0; i < 3; i++) {
		assert_true(load_in_child(true, 20000, &faults, &populated));
		printf("loading %s beside 20,000 mappings: %ld page faults, "
		       "%ld of them populated\n", CR_SONAME_CAPSTONE, faults,
		       populated);
		if (populated >= 300)
			return;
	}
	fail_msg("nothing populated in 3 loads");
}

/*
 * A library not marked for it is loaded without the populating timer
 * (Zydis: a hundred relocations), one marked is loaded with it: the
 * count of starts says so whether or not a tick came during the load.
 */
static void test_not_populated(void **state)
{
	(void)state;
	struct cr_dynlib lib = { 0 }, marked = { .populate = true };
	static void *slot;
	static const struct cr_dynsym syms[] = { { "ZydisDecoderInit", &slot } };
	unsigned long before = cr_dynlib_populate_starts();
	struct cr_error *err = cr_dynlib_load(&lib, CR_SONAME_ZYDIS, syms, 1,
					      CR_ERR_IO, "testing");
	assert_null(err);
	assert_int_equal(cr_dynlib_populate_starts(), before);
	zversion = NULL;
	check_zlib(&marked);
	assert_int_equal(cr_dynlib_populate_starts(), before + 1);
}

/*
 * The handler reads /proc/self/maps through a 4 KiB buffer.  A longer line
 * (a mapped path of 4 KB, which a user can choose: the dump's) is dropped
 * to its end; its tail must not be read as a line of its own, or a path
 * naming "START-END rw-p ... x.so" would have any range populated.
 */
static void test_long_maps_line(void **state)
{
	(void)state;
	size_t len = 16 * 4096;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED);
	FILE *f = tmpfile();
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc('x', f);
	fprintf(f, "%lx-%lx rw-p 00001000 00:00 0 /tmp/hostile.so\n",
		(unsigned long)a, (unsigned long)(a + len));
	fprintf(f, "%lx-%lx rw-p 00001000 08:01 12 /lib/real.so\n",
		(unsigned long)b, (unsigned long)(b + len));
	fflush(f);
	int fd = fileno(f);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	size_t pages = cr_dynlib_populate_scan(fd);
	fclose(f);
	if (pages == 0 && madvise(NULL, 0, 23 /* MADV_POPULATE_WRITE */) != 0) {
		munmap(a, len);
		munmap(b, len);
		skip();		/* a kernel before 5.14 */
	}
	/* The real line's segment only. */
	assert_int_equal(pages, 16);
	munmap(a, len);
	munmap(b, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_populated),
		cmocka_unit_test(test_populated_long_map),
		cmocka_unit_test(test_not_populated),
		cmocka_unit_test(test_long_maps_line),
		cmocka_unit_test(test_load_now),
		cmocka_unit_test(test_load_prefetched),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
