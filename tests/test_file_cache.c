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
#include "file_cache.h"
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

/* A file at PATH holding TEXT, its identity into *ID. */
static void make_file(const char *path, const char *text, struct cr_file_id *id)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_true(cr_file_id_of(fd, id));
	close(fd);
}

/*
 * Where a module's symbols come from is kept per module file and name; a
 * kept source whose debug file changed (rewritten, replaced, removed) is
 * not handed out again, and the next trim drops it: the worker asks
 * libdwfl again.  No dump needed: the cache's own rules.
 */
static void test_source_stale(void **state)
{
	(void)state;
	char dir[] = "/tmp/coroner-test-source.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char lib[64], dbg[64];
	snprintf(lib, sizeof(lib), "%s/libx.so", dir);
	snprintf(dbg, sizeof(dbg), "%s/libx.debug", dir);
	struct cr_file_id lib_id, dbg_id, unknown = { 0 };
	make_file(lib, "lib", &lib_id);
	make_file(dbg, "debug", &dbg_id);
	struct cr_file_cache *c = cr_file_cache_new();
	assert_non_null(c);
	const struct cr_symsource *s =
		cr_file_cache_keep_symsource(c, &lib_id, lib, dbg, &dbg_id);
	assert_non_null(s);
	assert_string_equal(s->debug_file, dbg);
	assert_ptr_equal(cr_file_cache_symsource(c, &lib_id, lib), s);
	/* The same file by another name may have other debug files. */
	assert_null(cr_file_cache_symsource(c, &lib_id, "/elsewhere/libx.so"));
	/* A debug file that cannot be checked later is not kept. */
	assert_null(cr_file_cache_keep_symsource(c, &lib_id, "/other/libx.so",
						 dbg, &unknown));

	/* The debug file rewritten (another modification time). */
	struct timespec t[2] = { { 0, UTIME_OMIT }, { 1234567, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, dbg, t, 0), 0);
	assert_null(cr_file_cache_symsource(c, &lib_id, lib));
	struct cr_file_cache_stats st;
	cr_file_cache_stats(c, &st);
	assert_int_equal(st.files, 1);
	cr_file_cache_trim(c);	/* within its bound: only the stale goes */
	cr_file_cache_stats(c, &st);
	assert_int_equal(st.files, 0);

	/* Kept again, then the debug file removed: not handed out. */
	make_file(dbg, "debug 2", &dbg_id);
	s = cr_file_cache_keep_symsource(c, &lib_id, lib, dbg, &dbg_id);
	assert_ptr_equal(cr_file_cache_symsource(c, &lib_id, lib), s);
	assert_int_equal(unlink(dbg), 0);
	assert_null(cr_file_cache_symsource(c, &lib_id, lib));

	/* A table of the module file itself (no debug file): nothing to
	 * check, kept while the file is the same. */
	s = cr_file_cache_keep_symsource(c, &lib_id, lib, NULL, NULL);
	assert_non_null(s);
	assert_null(s->debug_file);
	assert_ptr_equal(cr_file_cache_symsource(c, &lib_id, lib), s);
	cr_file_cache_free(c);
	unlink(lib);
	rmdir(dir);
}

int main(void)
{
	char pat[256] = "";
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, pat, sizeof(pat) - 1) : -1;
	if (fd >= 0)
		close(fd);
	const struct CMUnitTest rules[] = {
		cmocka_unit_test(test_source_stale),
	};
	if (cmocka_run_group_tests(rules, NULL, NULL) != 0)
		return 1;
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
