/*
 * decompress.h - compressed cores (systemd-coredump's .zst, .xz, .lz4).
 *
 * open.c recognizes a compressed file by its magic and has it streamed into
 * an unlinked temporary file, which it then maps like any dump.  Memory use
 * stays bounded whatever the core's size; the output is capped at
 * CR_MAX_DECOMPRESSED bytes.
 */
#ifndef CR_DECOMPRESS_H
#define CR_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The most we write out of one compressed dump (a named limit). */
#define CR_MAX_DECOMPRESSED (64ull << 30)

enum cr_compression {
	CR_COMP_NONE = 0,
	CR_COMP_ZSTD,
	CR_COMP_XZ,
	CR_COMP_LZ4,
};

/* The compression of BUF by its magic, CR_COMP_NONE when none we know. */
enum cr_compression cr_compression_sniff(const uint8_t *buf, size_t len);
const char *cr_compression_name(enum cr_compression c);	/* "zstd" */

/*
 * Decompress BUF[0..LEN) into a new unlinked temporary file (O_TMPFILE in
 * $TMPDIR or /tmp).  On success *FD is the file (the caller closes it) and
 * *OUT_LEN its size.  A stream that is cut off or damaged part way is not an
 * error: what was decoded is kept and *PROBLEM (malloc'd, else NULL) says
 * what happened.  Errors: the decoder is not built in, no temporary file.
 * NAME is the dump's path, for messages.
 */
struct cr_error *cr_decompress_to_tmpfile(const uint8_t *buf, size_t len,
					  enum cr_compression c,
					  const char *name, int *fd,
					  uint64_t *out_len, char **problem);

#endif
