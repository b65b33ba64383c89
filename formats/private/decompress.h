/*
 * decompress.h - compressed cores (systemd-coredump's .zst, .xz, .lz4).
 *
 * open.c recognizes a compressed file by its magic and has it streamed into
 * an unlinked temporary file, which it then maps like any dump.  Memory use
 * stays bounded whatever the core's size.  The output is recognized from
 * its first bytes before it is written, and capped by --max-decompressed
 * and by the free space of the temporary directory.
 */
#ifndef CR_DECOMPRESS_H
#define CR_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The most we write out of one compressed dump unless --max-decompressed
 * says otherwise: 32 GiB, systemd-coredump's default ExternalSizeMax= and
 * ProcessSizeMax= on 64-bit machines (coredump.conf(5)), so any core it
 * stores fits.
 */
#define CR_MAX_DECOMPRESSED_DEFAULT (32ull << 30)
/* Space left free on the temporary file system whatever the limit says:
 * 1/16 of the free space, at most this. */
#define CR_DECOMPRESS_FREE_MARGIN (256ull << 20)
/* The most memory the xz decoder may use (xz -9 needs 65 MiB). */
#define CR_XZ_MEMLIMIT (256ull << 20)
/* Decoded bytes shown to the recognizer before any is written. */
#define CR_SNIFF_LEN 64

enum cr_compression {
	CR_COMP_NONE = 0,
	CR_COMP_ZSTD,
	CR_COMP_XZ,
	CR_COMP_LZ4,
	CR_COMP_GZIP,
	CR_COMP_ZIP,	/* the archive's first regular file */
};

/* The compression of BUF by its magic, CR_COMP_NONE when none we know. */
enum cr_compression cr_compression_sniff(const uint8_t *buf, size_t len);
const char *cr_compression_name(enum cr_compression c);	/* "zstd" */

/*
 * True when BUF[0..LEN) (the first CR_SNIFF_LEN bytes of the content, or all
 * of it when shorter) starts a dump we read; else *WHY says what it is.
 */
typedef bool (*cr_sniff_fn)(const uint8_t *buf, size_t len, const char **why);

struct cr_decompress_opts {
	const char *name;	/* the dump's path, for messages */
	uint64_t max_size;	/* --max-decompressed, 0: the default */
	cr_sniff_fn sniff;	/* the content's recognizer, NULL: any */
};

/*
 * Decompress BUF[0..LEN) into a new unnamed temporary file (O_TMPFILE in
 * $TMPDIR or /tmp).  On success *FD is the file (the caller closes it) and
 * *OUT_LEN its size.  A stream that is cut off or damaged part way is not an
 * error: what was decoded is kept and *PROBLEM (malloc'd, else NULL) says
 * what happened.  Errors: CR_ERR_FORMAT when the content is not a dump (O's
 * sniff said no, before more than CR_SNIFF_LEN bytes were decoded) or the
 * decoder is not built in; CR_ERR_NOMEM when a limit is reached (the
 * message names the limit, the free space and the option); CR_ERR_IO when
 * no temporary file can be made or written.  No file is left on any error.
 */
struct cr_error *cr_decompress_to_tmpfile(const uint8_t *buf, size_t len,
					  enum cr_compression c,
					  const struct cr_decompress_opts *o,
					  int *fd, uint64_t *out_len,
					  char **problem);

#endif
