/*
 * decompress.c - stream a compressed core into an unlinked temporary file.
 *
 * systemd-coredump stores cores compressed (core.*.zst by default, .xz or
 * .lz4 on older systems).  A core can be many gigabytes, so it is never
 * decompressed into the heap: the decoder writes fixed-size chunks into an
 * O_TMPFILE file in $TMPDIR (or /tmp), which open.c then maps like any
 * other dump.  The file has no name, so it disappears when the mapping and
 * the descriptor are gone, even if we crash.
 *
 * A stream that ends early or is damaged keeps what was decoded (a partial
 * core is still worth reading) and says so in *problem.  Output beyond
 * CR_MAX_DECOMPRESSED stops the decoder (a decompression bomb).
 *
 * Magics: zstd frame 28 b5 2f fd; xz fd 37 7a 58 5a 00; lz4 frame 04 22 4d 18.
 */
#include "decompress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef CR_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef CR_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef CR_HAVE_LZ4
#include <lz4frame.h>
#endif

#define CHUNK (1u << 20)	/* decoder output buffer */

static const struct {
	enum cr_compression c;
	const char *name;
	const uint8_t magic[6];
	size_t len;
} formats[] = {
	{ CR_COMP_ZSTD, "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ CR_COMP_XZ, "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
	{ CR_COMP_LZ4, "lz4", { 0x04, 0x22, 0x4d, 0x18 }, 4 },
};

enum cr_compression cr_compression_sniff(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (len >= formats[i].len &&
		    memcmp(buf, formats[i].magic, formats[i].len) == 0)
			return formats[i].c;
	return CR_COMP_NONE;
}

const char *cr_compression_name(enum cr_compression c)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].c == c)
			return formats[i].name;
	return "none";
}

/* Where decoded bytes go. */
struct sink {
	int fd;
	uint64_t len;
	bool full;		/* CR_MAX_DECOMPRESSED reached */
	const char *name;
};

/* Append N bytes; an error only for a failed write. */
static struct cr_error *sink_write(struct sink *s, const uint8_t *p, size_t n)
{
	if (s->len + n > CR_MAX_DECOMPRESSED) {
		n = (size_t)(CR_MAX_DECOMPRESSED - s->len);
		s->full = true;
	}
	while (n > 0) {
		ssize_t w = write(s->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return cr_error_new(CR_ERR_IO, "%s: cannot write the decompressed core: %s",
					    s->name, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
		s->len += (uint64_t)w;
	}
	return NULL;
}

#ifdef CR_HAVE_ZSTD
static struct cr_error *run_zstd(const uint8_t *buf, size_t len,
				 struct sink *s, char **problem)
{
	ZSTD_DCtx *z = ZSTD_createDCtx();
	uint8_t *out = malloc(CHUNK);
	struct cr_error *err = NULL;
	if (!z || !out) {
		err = &cr_enomem;
		goto out;
	}
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t ret = 0;
	while (!s->full) {
		ZSTD_outBuffer o = { out, CHUNK, 0 };
		ret = ZSTD_decompressStream(z, &o, &in);
		if (ZSTD_isError(ret)) {
			*problem = cr_strdup_printf("zstd stream damaged after %llu bytes of output: %s",
						    (unsigned long long)s->len,
						    ZSTD_getErrorName(ret));
			break;
		}
		if ((err = sink_write(s, out, o.pos)))
			break;
		if (in.pos == in.size && o.pos < o.size)
			break;	/* all input used and flushed */
	}
	if (!err && !*problem && !s->full && ret != 0)
		*problem = cr_strdup_printf("zstd stream cut off after %llu bytes of output",
					    (unsigned long long)s->len);
out:
	ZSTD_freeDCtx(z);
	free(out);
	return err;
}
#endif

#ifdef CR_HAVE_LZMA
static struct cr_error *run_xz(const uint8_t *buf, size_t len, struct sink *s,
			       char **problem)
{
	lzma_stream z = LZMA_STREAM_INIT;
	uint8_t *out = malloc(CHUNK);
	struct cr_error *err = NULL;
	if (!out || lzma_stream_decoder(&z, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
		free(out);
		return &cr_enomem;
	}
	z.next_in = buf;
	z.avail_in = len;
	while (!s->full) {
		z.next_out = out;
		z.avail_out = CHUNK;
		lzma_ret r = lzma_code(&z, z.avail_in ? LZMA_RUN : LZMA_FINISH);
		if ((err = sink_write(s, out, CHUNK - z.avail_out)))
			break;
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK) {
			*problem = cr_strdup_printf(r == LZMA_BUF_ERROR
						    ? "xz stream cut off after %llu bytes of output"
						    : "xz stream damaged after %llu bytes of output",
						    (unsigned long long)s->len);
			break;
		}
	}
	lzma_end(&z);
	free(out);
	return err;
}
#endif

#ifdef CR_HAVE_LZ4
static struct cr_error *run_lz4(const uint8_t *buf, size_t len, struct sink *s,
				char **problem)
{
	LZ4F_dctx *z = NULL;
	uint8_t *out = malloc(CHUNK);
	struct cr_error *err = NULL;
	if (!out || LZ4F_isError(LZ4F_createDecompressionContext(&z, LZ4F_VERSION))) {
		free(out);
		return &cr_enomem;
	}
	size_t pos = 0, hint = 1;
	while (!s->full && hint != 0) {
		size_t o = CHUNK, i = len - pos;
		hint = LZ4F_decompress(z, out, &o, buf + pos, &i, NULL);
		if (LZ4F_isError(hint)) {
			*problem = cr_strdup_printf("lz4 stream damaged after %llu bytes of output: %s",
						    (unsigned long long)s->len,
						    LZ4F_getErrorName(hint));
			break;
		}
		pos += i;
		if ((err = sink_write(s, out, o)))
			break;
		if (pos == len && o == 0 && hint != 0) {
			*problem = cr_strdup_printf("lz4 stream cut off after %llu bytes of output",
						    (unsigned long long)s->len);
			break;
		}
	}
	LZ4F_freeDecompressionContext(z);
	free(out);
	return err;
}
#endif

/* An unlinked temporary file in $TMPDIR or /tmp. */
static int tmpfile_fd(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && strcmp(dir, "/tmp") != 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd;
}

struct cr_error *cr_decompress_to_tmpfile(const uint8_t *buf, size_t len,
					  enum cr_compression c,
					  const char *name, int *fd,
					  uint64_t *out_len, char **problem)
{
	*fd = -1;
	*out_len = 0;
	*problem = NULL;
	struct sink s = { .fd = -1, .name = name };
	struct cr_error *err = NULL;
	struct cr_error *(*run)(const uint8_t *, size_t, struct sink *,
				char **) = NULL;
	switch (c) {
#ifdef CR_HAVE_ZSTD
	case CR_COMP_ZSTD:
		run = run_zstd;
		break;
#endif
#ifdef CR_HAVE_LZMA
	case CR_COMP_XZ:
		run = run_xz;
		break;
#endif
#ifdef CR_HAVE_LZ4
	case CR_COMP_LZ4:
		run = run_lz4;
		break;
#endif
	default:
		break;
	}
	if (!run)
		return cr_error_new(CR_ERR_FORMAT, "%s: %s-compressed, and %s support is not built in",
				    name, cr_compression_name(c),
				    cr_compression_name(c));
	s.fd = tmpfile_fd();
	if (s.fd < 0)
		return cr_error_new(CR_ERR_IO, "%s: cannot create a temporary file to decompress into: %s",
				    name, strerror(errno));
	err = run(buf, len, &s, problem);
	if (err) {
		close(s.fd);
		free(*problem);
		*problem = NULL;
		return err;
	}
	if (s.full && !*problem)
		*problem = cr_strdup_printf("decompressed core larger than %llu bytes; the rest ignored",
					    (unsigned long long)CR_MAX_DECOMPRESSED);
	*fd = s.fd;
	*out_len = s.len;
	return NULL;
}
