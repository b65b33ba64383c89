/*
 * fuzz_analyze.c - libFuzzer harness for the whole pipeline on one input:
 * recognition and reading (formats/), the analysis (stack walking through
 * whatever the input's memory holds, PE images read from that memory,
 * symbolization, the passes) and all three report writers.
 *
 * The readers have their own harness (fuzz_minidump.c); this one finds what
 * a reader lets through but a later stage trusts too much.  Reports go to
 * an in-memory stream.  The plain build replays tests/fuzz-corpus/ in ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "dump.h"
#include "report.h"
#include "term.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The report names (reports/report_name.c) and the terminal sanitizer
 * (analyzer/term.c) on strings the dump chose: the module paths, each
 * claimed twice.  A name must be short enough for its temporary name, hold
 * no '/' and nothing the sanitizer escapes, and never be given twice; the
 * sanitized text holds no control byte.
 */
#define NAMES_CHECKED 64
static void check_names(const struct cr_dump *d)
{
	struct report_names rn = { 0 };
	const char *given[2 * NAMES_CHECKED];
	size_t ngiven = 0;
	for (size_t i = 0; i < d->nmodules && i < NAMES_CHECKED; i++) {
		const char *path = d->modules[i].path;
		if (!path)
			continue;
		for (int twice = 0; twice < 2; twice++) {
			const char *name = report_name_claim(&rn, path);
			if (!name)
				continue;
			size_t n = strlen(name);
			if (n == 0 || n > REPORT_NAME_MAX || strchr(name, '/'))
				abort();
			for (size_t k = 0; k < n;) {
				bool esc;
				k += cr_term_char((const unsigned char *)name + k, n - k, &esc);
				if (esc)
					abort();
			}
			for (size_t k = 0; k < ngiven; k++)
				if (strcmp(given[k], name) == 0)
					abort();
			given[ngiven++] = name;
		}
		char *safe = cr_term_safe(path);
		for (const char *p = safe; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		free(safe);
	}
	report_names_free(&rn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_dump *d = NULL;
	/* Compressed inputs are decompressed (into a temporary file) like
	 * files are; a small limit keeps each input fast. */
	static const struct cr_open_options oo = { .max_decompressed = 64 << 20 };
	struct cr_error *err = cr_dump_from_buffer_with(data, size, "fuzz.dmp",
							&oo, &d);
	if (err) {
		cr_error_free(err);
		return 0;
	}
	/* Small limits keep each input fast; the code paths are the same. */
	struct cr_options opts = { .max_frames = 256 };
	/* FUZZ_SYSROOT (e.g. "/", with CORONER_NO_OPENAT2=1 for the userspace
	 * walk) resolves the dump's paths the --sysroot way
	 * (analyzer/safe_open.c); the replay runs without. */
	opts.sysroot = getenv("FUZZ_SYSROOT");
	/* FUZZ_FILE_CACHE=1: one file cache across the inputs, trimmed after
	 * each, as a batch worker keeps it (symbol templates, the DWARF
	 * sessions of analyzer/symbols/file_cache.h, at the load addresses
	 * the inputs claim). */
	static struct cr_file_cache *cache;
	const char *fc = getenv("FUZZ_FILE_CACHE");
	if (!cache && fc && strcmp(fc, "1") == 0) {
		cache = cr_file_cache_new();
		/* Small: entries are dropped and made again. */
		if (cache)
			cr_file_cache_set_limit(cache, 16u << 20);
	}
	opts.file_cache = cache;
	struct cr_analysis *a = NULL;
	err = cr_analyze(d, &opts, &a);
	if (err) {
		if (err->code != CR_ERR_NOMEM)
			abort();	/* analysis fails only for lack of memory */
		cr_error_free(err);
		cr_dump_free(d);
		if (cache)
			cr_file_cache_trim(cache);
		return 0;
	}
	check_names(d);
	struct cr_error *(*const writers[])(const struct cr_analysis *, FILE *) = {
		report_md_write, report_html_write, report_json_write,
	};
	for (size_t i = 0; i < ARRAY_LEN(writers); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			continue;
		err = writers[i](a, f);
		fclose(f);
		free(buf);
		cr_error_free(err);
	}
	cr_analysis_free(a);
	cr_dump_free(d);
	if (cache)
		cr_file_cache_trim(cache);
	return 0;
}
