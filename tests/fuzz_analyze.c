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

#include "analysis.h"
#include "dump.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct cr_analysis *a = NULL;
	err = cr_analyze(d, &opts, &a);
	if (err) {
		if (err->code != CR_ERR_NOMEM)
			abort();	/* analysis fails only for lack of memory */
		cr_error_free(err);
		cr_dump_free(d);
		return 0;
	}
	struct cr_error *(*const writers[])(const struct cr_analysis *, FILE *) = {
		report_md_write, report_html_write, report_json_write,
	};
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
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
	return 0;
}
