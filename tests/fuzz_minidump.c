/*
 * fuzz_minidump.c - libFuzzer harness for the minidump reader, and the same
 * code as a plain program that replays a directory of inputs.
 *
 * Built with -DCR_LIBFUZZER and clang -fsanitize=fuzzer,address,undefined
 * (CORONER_FUZZ=ON) it is a fuzzer; built plainly (always) it is
 * `fuzz_minidump_replay DIR...`, registered in ctest over
 * tests/fuzz-corpus/minidump/ so that every input the fuzzer ever crashed
 * on is re-run by every test run, with gcc too.
 *
 * Each input goes through cr_dump_from_buffer() (the same recognition as a
 * file) and then through the queries a report makes, so that a model that
 * the reader left inconsistent shows up here too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

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
		if (err->code != CR_ERR_FORMAT && err->code != CR_ERR_CORRUPT &&
		    err->code != CR_ERR_NOMEM && err->code != CR_ERR_IO)
			abort();	/* a reader must fail only these ways (I/O:
					 * the temporary file of a compressed one) */
		cr_error_free(err);
		return 0;
	}
	uint8_t buf[64];
	for (size_t i = 0; i < d->nthreads; i++) {
		uint64_t pc, sp;
		const struct cr_thread *t = &d->threads[i];
		if (cr_thread_sp(d, t, &sp))
			(void)cr_dump_read(d, sp, buf, sizeof(buf));
		if (cr_thread_pc(d, t, &pc)) {
			(void)cr_dump_module_at(d, pc);
			(void)cr_dump_region_at(d, pc);
		}
		if (t->name)
			(void)strlen(t->name);
	}
	for (size_t i = 0; i < d->nmodules; i++) {
		const struct cr_module *m = &d->modules[i];
		if (m->path) (void)strlen(m->path);
		if (m->debug_id) (void)strlen(m->debug_id);
		if (m->code_id) (void)strlen(m->code_id);
		if (m->build_id_len) (void)m->build_id[m->build_id_len - 1];
	}
	for (size_t i = 0; i < d->nsegs; i++)
		if (d->segs[i].size)
			(void)cr_dump_read(d, d->segs[i].start + d->segs[i].size - 1, buf, 1);
	for (size_t i = 0; i < d->nannotations; i++)
		if (d->annotations[i].value)
			(void)strlen(d->annotations[i].value);
	if (d->event.assertion)
		(void)strlen(d->event.assertion);
	(void)cr_dump_thread_by_tid(d, d->event.tid);
	cr_dump_free(d);
	return 0;
}

/* main() for the replay build: tests/fuzz_replay.c. */
