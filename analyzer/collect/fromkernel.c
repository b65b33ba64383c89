/*
 * fromkernel.c - `collect --from-kernel`: the core_pattern pipe handler
 * (collect.h).
 *
 * With /proc/sys/kernel/core_pattern set to
 *   |/usr/bin/coroner collect --from-kernel -o DIR %P %s %t %e
 * the kernel runs coroner for each crash with the core on standard input
 * and the crashing process held until the core is read.  The core is
 * streamed, never held whole in memory, into DIR as
 *   EXE.PID.SIGNAME.YYYYMMDDTHHMMSS.000Z.core.zst
 * (the name scheme of a collected core, the signal in the trigger's
 * place: a directory of crashes sorts by time per program), zstd level 3
 * when coroner was built with libzstd (a plain .core otherwise), under a
 * hidden temporary name renamed when complete.  `coroner analyze` reads
 * the compressed file as it reads systemd-coredump's.
 *
 * A full disk: what was written is kept under the final name (a zstd
 * stream cut off, which the reader decodes as far as it goes and reports
 * as cut off) and the error says so; the rest of standard input is not
 * read, so the kernel stops writing at once rather than being held.
 */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef CR_HAVE_ZSTD
#include <zstd.h>
#define ZSTD_LEVEL 3
#endif

#include "util.h"

#define CHUNK (1u << 20)

/* Write all of BUF; false with errno set. */
static bool write_all(int fd, const void *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return false;
		}
		buf = (const char *)buf + w;
		len -= (size_t)w;
	}
	return true;
}

/* Read up to LEN bytes of IN; the count, 0 at the end, -1 on error. */
static ssize_t read_some(int in, void *buf, size_t len)
{
	ssize_t r;
	while ((r = read(in, buf, len)) < 0 && errno == EINTR)
		;
	return r;
}

/* "null_deref.4242.SIGSEGV.20261130T182233.000Z.core.zst" */
static char *kernel_core_name(const struct cr_kernel_core *k)
{
	const char *abbrev = sigabbrev_np(k->signo);
	char sig[32];
	if (abbrev)
		snprintf(sig, sizeof(sig), "SIG%s", abbrev);
	else
		snprintf(sig, sizeof(sig), "sig%d", k->signo);
	return cr_collect_name(k->exe, k->pid, sig, (uint64_t)k->time * 1000000000u,
			       cr_from_kernel_compressed ? ".zst" : "");
}

#ifdef CR_HAVE_ZSTD
const bool cr_from_kernel_compressed = true;

/* IN compressed into OUT; *BYTES_IN read.  errno-style: 0, or why. */
static int copy(int in, int out, uint64_t *bytes_in, bool *write_failed)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();
	void *ibuf = malloc(CHUNK), *obuf = malloc(ZSTD_CStreamOutSize());
	int e = 0;
	if (!z || !ibuf || !obuf ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, ZSTD_LEVEL))) {
		e = ENOMEM;
		goto out;
	}
	for (bool end = false; !end && !e;) {
		ssize_t r = read_some(in, ibuf, CHUNK);
		if (r < 0) {
			e = errno;
			break;
		}
		end = r == 0;
		*bytes_in += (uint64_t)r;
		ZSTD_inBuffer ib = { ibuf, (size_t)r, 0 };
		for (size_t left = 1; left && !e;) {
			ZSTD_outBuffer ob = { obuf, ZSTD_CStreamOutSize(), 0 };
			left = ZSTD_compressStream2(z, &ob, &ib, end ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left)) {
				e = EIO;
				break;
			}
			if (!write_all(out, obuf, ob.pos)) {
				e = errno;
				*write_failed = true;
			}
			if (!end && ib.pos == ib.size)
				break;
		}
	}
out:
	ZSTD_freeCCtx(z);
	free(ibuf);
	free(obuf);
	return e;
}
#else
const bool cr_from_kernel_compressed = false;

static int copy(int in, int out, uint64_t *bytes_in, bool *write_failed)
{
	char *buf = malloc(CHUNK);
	int e = buf ? 0 : ENOMEM;
	for (ssize_t r; !e && (r = read_some(in, buf, CHUNK)) != 0;) {
		if (r < 0) {
			e = errno;
		} else if (!write_all(out, buf, (size_t)r)) {
			e = errno;
			*write_failed = true;
		}
		*bytes_in += r > 0 ? (uint64_t)r : 0;
	}
	free(buf);
	return e;
}
#endif

struct cr_error *cr_from_kernel(const struct cr_kernel_core *k, int in,
				const char *dir, char **path, uint64_t *bytes)
{
	*path = NULL;
	*bytes = 0;
	char *name = kernel_core_name(k);
	char *final, *tmp;
	int fd;
	struct cr_error *err = cr_collect_create(dir, name, &final, &tmp, &fd);
	free(name);
	if (err)
		goto out;
	bool write_failed = false;
	int e = copy(in, fd, bytes, &write_failed);
	if (close(fd) != 0 && !e) {
		e = errno;
		write_failed = true;
	}
	if (rename(tmp, final) != 0) {
		err = cr_error_new(CR_ERR_IO, "%s: %s", final, strerror(errno));
		unlink(tmp);
		goto out;
	}
	*path = final;
	final = NULL;
	if (e)
		err = cr_error_new(CR_ERR_IO, "%s: partial core (%s %s) after %llu bytes of the kernel's core",
				   *path, write_failed ? "writing:" : "reading standard input:",
				   strerror(e), (unsigned long long)*bytes);
out:
	free(final);
	free(tmp);
	return err;
}
