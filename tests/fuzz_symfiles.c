/*
 * fuzz_symfiles.c - libFuzzer harness for the symbol-side parsers that
 * read files the user points coroner at (also untrusted): Breakpad .sym
 * files and PE images read from files.  The first byte of an input picks
 * the parser; the rest is the file.
 *
 *   0x00-0x7f  Breakpad .sym: parse, then symbolize and look up CFI rules
 *              at offsets taken from the input
 *   0x80-0xff  PE file: parse at a fixed base, then exports, .pdata and
 *              every unwind info it names
 *
 * The plain build replays tests/fuzz-corpus/symfiles/ in ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "breakpad_sym.h"
#include "pe.h"
#include "symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_rule(void *arg, const char *rule, size_t len)
{
	(void)rule;
	(*(size_t *)arg) += len;
}

static void fuzz_sym(const uint8_t *buf, size_t len)
{
	struct bp_symfile *sf = NULL;
	struct cr_error *err = bp_symfile_parse(buf, len, "fuzz.sym", &sf);
	if (err) {
		cr_error_free(err);
		return;
	}
	struct cr_symframe fr[16];
	for (size_t i = 0; i + 8 <= len && i < 64 * 8; i += 8) {
		uint64_t off;
		memcpy(&off, buf + i, 8);
		(void)bp_symbolize(sf, off & 0xffffff, fr, 16);
		size_t total = 0;
		(void)bp_cfi_rules(sf, off & 0xffffff, count_rule, &total);
	}
	bp_symfile_free(sf);
}

static void fuzz_pe(const uint8_t *buf, size_t len)
{
	const uint64_t base = 0x140000000ull;
	struct pe_file f;
	struct cr_error *err = pe_file_parse(buf, len, base, &f);
	if (err) {
		cr_error_free(err);
		return;
	}
	struct pe_image img;
	if ((err = pe_image_open(pe_mem_file(&f), base, f.size_of_image, &img))) {
		cr_error_free(err);
		pe_file_close(&f);
		return;
	}
	struct pe_exports ex = { 0 };
	if (!(err = pe_read_exports(&img, &ex))) {
		for (size_t i = 0; i < ex.n; i++)
			(void)pe_export_lookup(&ex, ex.v[i].rva);
		pe_exports_free(&ex);
	}
	cr_error_free(err);
	struct pe_pdata pd = { 0 };
	if (!(err = pe_read_pdata(&img, &pd))) {
		for (size_t i = 0; i < pd.n && i < 4096; i++) {
			struct pe_unwind_info ui;
			(void)pe_pdata_find(&pd, pd.v[i].begin);
			cr_error_free(pe_read_unwind_info(&img, pd.v[i].unwind, &ui));
		}
		pe_pdata_free(&pd);
	}
	cr_error_free(err);
	pe_file_close(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* A private copy: the parsers borrow the buffer, and an exact-size
	 * heap block lets AddressSanitizer see a read one past the end. */
	uint8_t *buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (data[0] < 0x80)
		fuzz_sym(buf, size - 1);
	else
		fuzz_pe(buf, size - 1);
	free(buf);
	return 0;
}
