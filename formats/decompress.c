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
 * core is still worth reading) and says so in *problem.
 *
 * Decompression bombs: a few kilobytes can inflate to gigabytes.  So the
 * first CR_SNIFF_LEN decoded bytes are held back and shown to the caller's
 * recognizer before anything is written: content that is not a dump stops
 * the decoder at once.  Output beyond the limit (--max-decompressed, and
 * the free space of the temporary file system less a margin, 1/16 of it
 * but at most CR_DECOMPRESS_FREE_MARGIN, so that coroner never fills a
 * disk) stops it with an error that names both.  The xz decoder's memory is capped by CR_XZ_MEMLIMIT (a header may
 * ask for a 1.5 GiB dictionary); zstd keeps its own default window limit
 * (2^27 bytes) and lz4 frames need at most 4 MiB blocks.
 *
 * Magics: zstd frame 28 b5 2f fd; xz fd 37 7a 58 5a 00; lz4 frame 04 22 4d 18;
 * gzip 1f 8b 08; zip local file header 50 4b 03 04.
 *
 * gzip and zip are read through libarchive (Debian's libarchive-dev),
 * opened with dlopen() on the first such file (dynlib.h):
 * zip's entries, its deflate and stored methods, data descriptors and
 * zip64 are libarchive's well-tested work, not ours to redo.  A zip is
 * searched entry by entry for the first whose content is a dump (Windows
 * Error Reporting and crash uploaders put a .dmp beside XML and text
 * files); the others are skipped unread.
 */
#include "decompress.h"
#include "cursor.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#ifdef CR_HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>
#endif
#ifdef CR_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef CR_HAVE_LZ4
#include <lz4frame.h>
#endif
#ifdef CR_HAVE_ARCHIVE
#include <archive.h>
#include <archive_entry.h>

#include "dynlib.h"
#endif

#define CHUNK (1u << 20)	/* decoder output buffer */
#define SPARSE_BLOCK 4096u	/* zero blocks of this size become holes */

static const struct {
	enum cr_compression c;
	const char *name;
	const uint8_t magic[6];
	size_t len;
} formats[] = {
	{ CR_COMP_ZSTD, "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ CR_COMP_XZ, "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
	{ CR_COMP_LZ4, "lz4", { 0x04, 0x22, 0x4d, 0x18 }, 4 },
	{ CR_COMP_GZIP, "gzip", { 0x1f, 0x8b, 0x08 }, 3 },
	{ CR_COMP_ZIP, "zip", { 'P', 'K', 0x03, 0x04 }, 4 },
};

enum cr_compression cr_compression_sniff(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(formats); i++)
		if (len >= formats[i].len &&
		    memcmp(buf, formats[i].magic, formats[i].len) == 0)
			return formats[i].c;
	return CR_COMP_NONE;
}

const char *cr_compression_name(enum cr_compression c)
{
	for (size_t i = 0; i < ARRAY_LEN(formats); i++)
		if (formats[i].c == c)
			return formats[i].name;
	return "none";
}

/* "1.5 GiB" into BUF (at least 32 bytes); returns BUF. */
static const char *fmt_size(char *buf, uint64_t n)
{
	static const char units[][4] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < ARRAY_LEN(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%llu bytes", (unsigned long long)n);
	else
		snprintf(buf, 32, "%.*f %s", v < 10 ? 1 : 0, v, units[u]);
	return buf;
}

/* Where decoded bytes go. */
struct sink {
	int fd;
	uint64_t len;		/* bytes written to fd */
	const char *name;	/* the dump, for messages */
	enum cr_compression c;
	/* The limits: the option's and the free space's (the lower binds). */
	uint64_t max_option;
	uint64_t max_free;
	uint64_t free_bytes;
	uint64_t margin;	/* kept free of the free bytes */
	const char *dir;	/* the temporary directory */
	/* The first decoded bytes, held back until recognized. */
	uint8_t head[CR_SNIFF_LEN];
	size_t nhead;
	bool sniffed;
	cr_sniff_fn sniff;
	struct cr_error *stop;	/* why the decoder must stop (set once) */
};

/* The error for output past a limit. */
static struct cr_error *over_limit(const struct sink *s)
{
	char a[32], b[32], c[32], e[32];
	if (s->max_option <= s->max_free)
		return cr_error_new(CR_ERR_NOMEM, "%s: %s-compressed core larger than %s, the limit of --max-decompressed (%s free in %s); not analyzed",
				    s->name, cr_compression_name(s->c),
				    fmt_size(a, s->max_option),
				    fmt_size(b, s->free_bytes), s->dir);
	return cr_error_new(CR_ERR_NOMEM, "%s: %s-compressed core larger than %s, what the temporary directory %s can hold (%s free, %s kept free; --max-decompressed %s); not analyzed: set TMPDIR to a larger file system",
			    s->name, cr_compression_name(s->c),
			    fmt_size(a, s->max_free), s->dir,
			    fmt_size(b, s->free_bytes),
			    fmt_size(c, s->margin),
			    fmt_size(e, s->max_option));
}

static struct cr_error *write_error(const struct sink *s)
{
	if (errno == ENOSPC || errno == EDQUOT)
		return cr_error_new(CR_ERR_NOMEM, "%s: the temporary directory %s is full after %llu bytes of the decompressed core; not analyzed: set TMPDIR to a larger file system",
				    s->name, s->dir, (unsigned long long)s->len);
	return cr_error_new(CR_ERR_IO, "%s: cannot write the decompressed core to %s: %s",
			    s->name, s->dir, strerror(errno));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/*
 * Append N bytes at s->len.  Blocks of zeros are not written but left as
 * holes (the file is extended to its length at the end, sink_done): cores
 * are mostly zeros where memory was never touched, and a bomb of zeros
 * behind a valid header then costs no disk space.
 */
static struct cr_error *write_all(struct sink *s, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = n < SPARSE_BLOCK ? n : SPARSE_BLOCK;
		if (all_zero(p, k)) {
			p += k;
			n -= k;
			s->len += k;
			continue;
		}
		ssize_t w = pwrite(s->fd, p, k, (off_t)s->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return write_error(s);
		p += w;
		n -= (size_t)w;
		s->len += (uint64_t)w;
	}
	return NULL;
}

/* Give the file its full length (trailing holes included). */
static struct cr_error *sink_done(struct sink *s)
{
	if (ftruncate(s->fd, (off_t)s->len) != 0)
		return write_error(s);
	return NULL;
}

/* Recognize the held-back first bytes; write them when they are a dump. */
static struct cr_error *sink_sniff(struct sink *s)
{
	s->sniffed = true;
	const char *why = NULL;
	if (s->sniff && !s->sniff(s->head, s->nhead, &why))
		return cr_error_new(CR_ERR_FORMAT, "%s: not a dump (%s-compressed, but the content is %s)",
				    s->name, cr_compression_name(s->c),
				    s->nhead ? why : "empty");
	uint64_t limit = s->max_option < s->max_free ? s->max_option : s->max_free;
	if (s->nhead > limit)
		return over_limit(s);
	return write_all(s, s->head, s->nhead);
}

/*
 * Append N decoded bytes.  Sets s->stop (and returns it) when the decoder
 * must stop: the content is not a dump, a limit is reached, a write failed.
 */
static struct cr_error *sink_write(struct sink *s, const uint8_t *p, size_t n)
{
	if (s->stop)
		return s->stop;
	if (!s->sniffed) {
		size_t k = CR_SNIFF_LEN - s->nhead < n ? CR_SNIFF_LEN - s->nhead : n;
		memcpy(s->head + s->nhead, p, k);
		s->nhead += k;
		p += k;
		n -= k;
		if (s->nhead < CR_SNIFF_LEN)
			return NULL;
		if ((s->stop = sink_sniff(s)))
			return s->stop;
	}
	uint64_t limit = s->max_option < s->max_free ? s->max_option : s->max_free;
	if (s->len > limit || n > limit - s->len)
		return s->stop = over_limit(s);
	return s->stop = write_all(s, p, n);
}

/* The end of the stream: recognize a dump shorter than CR_SNIFF_LEN. */
static struct cr_error *sink_finish(struct sink *s)
{
	if (s->stop || s->sniffed)
		return s->stop;
	return s->stop = sink_sniff(s);
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
	for (;;) {
		ZSTD_outBuffer o = { out, CHUNK, 0 };
		ret = ZSTD_decompressStream(z, &o, &in);
		if (ZSTD_isError(ret) &&
		    ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation) {
			/* Our memory, not the stream: exit 6, not "damaged". */
			err = &cr_enomem;
			break;
		}
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
	if (!err && !*problem && ret != 0)
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
	if (!out || lzma_stream_decoder(&z, CR_XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
		free(out);
		return &cr_enomem;
	}
	z.next_in = buf;
	z.avail_in = len;
	for (;;) {
		z.next_out = out;
		z.avail_out = CHUNK;
		lzma_ret r = lzma_code(&z, z.avail_in ? LZMA_RUN : LZMA_FINISH);
		if ((err = sink_write(s, out, CHUNK - z.avail_out)))
			break;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_MEMLIMIT_ERROR) {
			char a[32];
			err = cr_error_new(CR_ERR_NOMEM, "%s: xz stream needs more than %s of memory to decompress (its dictionary); not analyzed",
					   s->name, fmt_size(a, CR_XZ_MEMLIMIT));
			break;
		}
		if (r == LZMA_MEM_ERROR) {
			/* The dictionary could not be allocated: our memory
			 * (ulimit -v), not a damaged stream (exit 6, not 4). */
			err = &cr_enomem;
			break;
		}
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
	/* Frames one after another are read on, as the lz4 tool does. */
	while (hint != 0 || pos < len) {
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
		if ((pos == len || i == 0) && o == 0 && hint != 0) {
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

#ifdef CR_HAVE_ARCHIVE
/* libarchive, opened on the first .gz or .zip (dynlib.h: not every run
 * should load it). */
#define ARCHIVE_FUNCS(X) X(archive_read_new) X(archive_read_free)	\
	X(archive_read_support_filter_gzip)				\
	X(archive_read_support_format_raw)				\
	X(archive_read_support_format_zip) X(archive_read_open_memory)	\
	X(archive_read_next_header) X(archive_read_data)		\
	X(archive_error_string) X(archive_entry_filetype)		\
	X(archive_entry_pathname)
static struct { ARCHIVE_FUNCS(CR_DYN_FIELD) } ar;
#define AR_ENTRY(f) { #f, (void **)&ar.f },
static const struct cr_dynsym ar_syms[] = { ARCHIVE_FUNCS(AR_ENTRY) };
static struct cr_dynlib ar_lib;

/* The most zip entries looked at for a dump (each costs its header). */
#define ZIP_MAX_ENTRIES 4096

/* Stream the current entry of A into S; a read error is a problem (what
 * was decoded is kept), not an error. */
static struct cr_error *archive_entry_out(struct archive *a, struct sink *s,
					  uint8_t *out, char **problem)
{
	for (;;) {
		la_ssize_t n = ar.archive_read_data(a, out, CHUNK);
		if (n == 0)
			return NULL;
		if (n < 0) {
			*problem = cr_strdup_printf("%s stream damaged or cut off after %llu bytes of output: %s",
						    cr_compression_name(s->c),
						    (unsigned long long)s->len,
						    ar.archive_error_string(a) ? ar.archive_error_string(a) : "read error");
			return NULL;
		}
		struct cr_error *err = sink_write(s, out, (size_t)n);
		if (err)
			return err;
	}
}

/*
 * A zip entry's first bytes: read until CR_SNIFF_LEN or its end into HEAD.
 * Returns the count, -1 on a read error.
 */
static la_ssize_t entry_head(struct archive *a, uint8_t *head)
{
	size_t n = 0;
	while (n < CR_SNIFF_LEN) {
		la_ssize_t k = ar.archive_read_data(a, head + n, CR_SNIFF_LEN - n);
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	return (la_ssize_t)n;
}

static struct cr_error *run_archive(const uint8_t *buf, size_t len,
				    struct sink *s, char **problem)
{
	struct cr_error *lerr = cr_dynlib_load(&ar_lib, CR_SONAME_ARCHIVE, ar_syms,
					       ARRAY_LEN(ar_syms), CR_ERR_FORMAT,
					       "reading .gz and .zip files");
	if (lerr)
		return lerr;
	struct archive *a = ar.archive_read_new();
	uint8_t *out = malloc(CHUNK);
	struct cr_error *err = NULL;
	if (!a || !out) {
		err = &cr_enomem;
		goto out;
	}
	if (s->c == CR_COMP_GZIP) {
		ar.archive_read_support_filter_gzip(a);
		ar.archive_read_support_format_raw(a);
	} else {
		ar.archive_read_support_format_zip(a);
	}
	if (ar.archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		*problem = cr_strdup_printf("%s: %s", cr_compression_name(s->c),
					    ar.archive_error_string(a) ? ar.archive_error_string(a) : "not readable");
		goto out;
	}
	struct archive_entry *e;
	size_t entries = 0;
	int r;
	while ((r = ar.archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		if (s->c == CR_COMP_GZIP) {
			err = archive_entry_out(a, s, out, problem);
			goto out;
		}
		if (++entries > ZIP_MAX_ENTRIES)
			break;
		if (ar.archive_entry_filetype(e) != AE_IFREG)
			continue;
		uint8_t head[CR_SNIFF_LEN];
		la_ssize_t n = entry_head(a, head);
		const char *why;
		if (n < 0) {
			free(*problem);
			*problem = cr_strdup_printf("zip entry %s damaged: %s",
						    ar.archive_entry_pathname(e) ? ar.archive_entry_pathname(e) : "(unnamed)",
						    ar.archive_error_string(a) ? ar.archive_error_string(a) : "read error");
			continue;
		}
		if (s->sniff && !s->sniff(head, (size_t)n, &why))
			continue;	/* not a dump: the next entry */
		free(*problem);
		*problem = NULL;
		if ((err = sink_write(s, head, (size_t)n)))
			goto out;
		err = archive_entry_out(a, s, out, problem);
		goto out;
	}
	if (!*problem)
		*problem = cr_strdup_printf(r == ARCHIVE_EOF || r == ARCHIVE_OK
					    ? "no entry of the zip archive (of %zu looked at) is a dump"
					    : "the zip archive is damaged after %zu entries", entries);
out:
	if (a)
		ar.archive_read_free(a);
	free(out);
	return err;
}
#endif

/*
 * A temporary file in DIR that has no name: O_TMPFILE, or where the file
 * system does not support it, mkstemp() and an immediate unlink().  Either
 * way nothing is left behind on any path out of coroner, a crash included
 * (but for the instant between mkstemp() and unlink()).  -1 and errno set
 * on failure.
 */
static int tmpfile_in(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
			errno != EINVAL))
		return fd;
	char *templ = cr_strdup_printf("%s/coroner-XXXXXX", dir);
	if (!templ) {
		errno = ENOMEM;
		return -1;
	}
	fd = mkostemp(templ, O_CLOEXEC);
	if (fd >= 0 && unlink(templ) != 0) {
		int e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	free(templ);
	return fd;
}

/* An unnamed temporary file in $TMPDIR, else /tmp; *DIR says which. */
static int tmpfile_fd(const char **dir)
{
	*dir = getenv("TMPDIR");
	if (!*dir || !**dir)
		*dir = "/tmp";
	int fd = tmpfile_in(*dir);
	if (fd < 0 && strcmp(*dir, "/tmp") != 0) {
		*dir = "/tmp";
		fd = tmpfile_in(*dir);
	}
	return fd;
}

struct cr_error *cr_decompress_to_tmpfile(const uint8_t *buf, size_t len,
					  enum cr_compression c,
					  const struct cr_decompress_opts *o,
					  int *fd, uint64_t *out_len,
					  char **problem)
{
	*fd = -1;
	*out_len = 0;
	*problem = NULL;
	struct sink s = {
		.fd = -1, .name = o->name, .c = c, .sniff = o->sniff,
		.max_option = o->max_size ? o->max_size
					  : CR_MAX_DECOMPRESSED_DEFAULT,
	};
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
#ifdef CR_HAVE_ARCHIVE
	case CR_COMP_GZIP:
	case CR_COMP_ZIP:
		run = run_archive;
		break;
#endif
	default:
		break;
	}
	if (!run)
		return cr_error_new(CR_ERR_FORMAT, "%s: %s-compressed, and %s support is not built in",
				    s.name, cr_compression_name(c),
				    cr_compression_name(c));
	s.fd = tmpfile_fd(&s.dir);
	if (s.fd < 0)
		return cr_error_new(CR_ERR_IO, "%s: cannot create a temporary file in %s to decompress into: %s",
				    s.name, s.dir, strerror(errno));
	/* The free space of the file system the file is on, less a margin. */
	struct statvfs vfs;
	s.max_free = UINT64_MAX;
	if (fstatvfs(s.fd, &vfs) == 0) {
		if (cr_mul_overflows((uint64_t)vfs.f_bavail, vfs.f_frsize,
				     &s.free_bytes))
			s.free_bytes = UINT64_MAX;
		s.margin = s.free_bytes / 16 < CR_DECOMPRESS_FREE_MARGIN
			? s.free_bytes / 16 : CR_DECOMPRESS_FREE_MARGIN;
		s.max_free = s.free_bytes - s.margin;
	}
	err = run(buf, len, &s, problem);
	if (!err && !s.sniffed && *problem) {
		/* Damaged before there was anything to recognize. */
		err = cr_error_new(CR_ERR_FORMAT, "%s: %s-compressed, but %s",
				   s.name, cr_compression_name(c), *problem);
	}
	if (!err)
		err = sink_finish(&s);
	if (!err)
		err = sink_done(&s);
	if (err) {
		close(s.fd);
		free(*problem);
		*problem = NULL;
		return err;
	}
	*fd = s.fd;
	*out_len = s.len;
	return NULL;
}
