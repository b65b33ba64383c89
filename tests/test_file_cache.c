/*
 * test_file_cache.c - a batch worker's file cache across dumps
 * (analyzer/symbols/file_cache.h): two kernel cores of one program
 * analyzed with one cache read and sort each module's symbol table once,
 * and give the same report as analyses without a cache; the cache's bound
 * drops what it kept and the next analysis reads it again.
 *
 * The cores are of this test program: a child aborts (SIGABRT, which ASan
 * leaves alone) in a directory of its own, where the kernel writes "core"
 * when core_pattern is a plain name (else the test is skipped, 77).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis.h"
#include "report.h"

#define SKIP 77

static char cores[2][64];

__attribute__((noinline)) static void crash_inner(void)
{
	abort();
}

__attribute__((noinline)) static void crash_outer(void)
{
	crash_inner();
	__asm__ volatile("");	/* not a tail call: a frame of its own */
}

/* A core of a child that aborts in CRASH, as "core.K" in the working
 * directory; false when the kernel wrote none. */
static bool make_core(int k, void (*crash)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		if (setrlimit(RLIMIT_CORE, &rl) != 0) {
			rl.rlim_cur = rl.rlim_max = 0;
			getrlimit(RLIMIT_CORE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_CORE, &rl);
		}
		crash();
	}
	int ws;
	if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFSIGNALED(ws))
		return false;
	char name[64];
	snprintf(cores[k], sizeof(cores[k]), "core.%d", k);
	snprintf(name, sizeof(name), "core.%d", (int)pid);
	return rename("core", cores[k]) == 0 || rename(name, cores[k]) == 0;
}

/* The JSON report of the core PATH analyzed with CACHE (NULL: none). */
static char *json_of(const char *path, struct cr_file_cache *cache)
{
	struct cr_dump *d = NULL;
	struct cr_analysis *a = NULL;
	struct cr_options o = { .file_cache = cache };
	assert_null(cr_dump_open(path, &d));
	assert_null(cr_analyze(d, &o, &a));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_null(report_json_write(a, f));
	fclose(f);
	cr_analysis_free(a);
	cr_dump_free(d);
	return buf;
}

static void test_two_dumps(void **state)
{
	(void)state;
	struct cr_file_cache *c = cr_file_cache_new();
	assert_non_null(c);
	struct cr_file_cache_stats s1, s2;
	char *with0 = json_of(cores[0], c);
	cr_file_cache_stats(c, &s1);
	char *with1 = json_of(cores[1], c);
	cr_file_cache_stats(c, &s2);
	print_message("first dump: %zu symbol tables read (%zu bytes kept, "
		      "%zu files' DWARF); second: %zu read, %zu reused, %zu "
		      "files' DWARF\n", s1.loads, s1.bytes, s1.dwarf,
		      s2.loads - s1.loads, s2.hits - s1.hits, s2.dwarf);
	/* The program and libc at least (abort is libc's). */
	assert_true(s1.loads >= 2);
	/* The program's DWARF (its frames' source lines) is kept open, and
	 * libc's when its debug file is installed (the top frames are in
	 * libc's abort: their lines come from it). */
	assert_true(s1.dwarf >= 1);
	/* The second dump of the program reads nothing again, and its
	 * source lines come from the DWARF the first opened. */
	assert_int_equal(s2.loads, s1.loads);
	assert_int_equal(s2.dwarf, s1.dwarf);
	assert_true(s2.hits - s1.hits >= s1.loads);

	/* The cache changes nothing in the reports. */
	char *plain0 = json_of(cores[0], NULL);
	char *plain1 = json_of(cores[1], NULL);
	assert_string_equal(with0, plain0);
	assert_string_equal(with1, plain1);
	/* And the two dumps differ (a second dump, not a copy). */
	assert_string_not_equal(with0, with1);

	/* Its bound: trimmed to nothing, the next dump reads again. */
	cr_file_cache_set_limit(c, 0);
	cr_file_cache_trim(c);
	cr_file_cache_stats(c, &s2);
	assert_int_equal(s2.files, 0);
	assert_int_equal(s2.bytes, 0);
	assert_int_equal(s2.dwarf, 0);
	assert_true(s2.evicted >= s1.loads);
	char *again = json_of(cores[1], c);
	struct cr_file_cache_stats s3;
	cr_file_cache_stats(c, &s3);
	assert_true(s3.loads >= s2.loads + s1.loads);
	assert_string_equal(again, plain1);
	free(with0);
	free(with1);
	free(plain0);
	free(plain1);
	free(again);
	cr_file_cache_free(c);
}

int main(void)
{
	char pat[256] = "";
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, pat, sizeof(pat) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0 || pat[0] == '|' || strchr(pat, '/')) {
		printf("skipped: core_pattern does not write cores into the working directory\n");
		return SKIP;
	}
	char dir[] = "/tmp/coroner-test-file-cache.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) != 0)
		return 1;
	bool made = make_core(0, crash_inner) && make_core(1, crash_outer);
	int rc = SKIP;
	if (!made)
		printf("skipped: the kernel wrote no core (a container may drop them)\n");
	else {
		const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_two_dumps),
		};
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	unlink("core.0");
	unlink("core.1");
	if (chdir("/") == 0)
		rmdir(dir);
	return rc;
}
