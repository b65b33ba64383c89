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
 * the compressed file as it reads systemd-coredump's.  What /proc/%P says
 * is read first, while the process is still there, into coroner's notes
 * put in front of the kernel's core (make_prefix).
 *
 * A full disk: what was written is kept under the final name (a zstd
 * stream cut off, which the reader decodes as far as it goes and reports
 * as cut off), less up to 1 MiB for the reports (make_room), and the
 * error says so; the rest of standard input is not read, so the kernel
 * stops writing at once rather than being held.
 */
#include "collect.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef CR_HAVE_ZSTD
#include <zstd.h>
#define ZSTD_LEVEL 3
#endif

#include "strbuf.h"
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

/* Read LEN bytes of IN into BUF; fewer only at the end or on an error. */
static size_t read_full(int in, void *buf, size_t len)
{
	size_t got = 0;
	for (ssize_t r; got < len && (r = read_some(in, (char *)buf + got, len - got)) > 0;)
		got += (size_t)r;
	return got;
}

/* One program header more must stay below PN_XNUM (0xffff), which would
 * move the count into a section header. */
#define MAX_PHDRS 0xfffdu
#define NOTE_ALIGN 4096u		/* the shift keeps PT_LOADs page aligned */

/*
 * The start of the file: the kernel's ELF header and program headers
 * read from IN (*READ bytes), and coroner's NOTES in a PT_NOTE of their
 * own.  The kernel's core has no room for them, so they go in front:
 *   [ELF header][its program headers + ours][our notes, padding]
 *   [the kernel's notes and memory, as the kernel wrote them]
 * every p_offset past the headers moved by the same page-aligned DELTA;
 * the kernel's PT_NOTE stays first (its first NT_PRSTATUS is the crashed
 * thread).  Headers first, as in every core: a file cut off by a full
 * disk still says what it is.  A start that is not the 64-bit core this
 * expects (or no notes) is passed on as read.  Into *OUT, *OUT_LEN;
 * *ADDED says whether the notes are in.
 */
static int make_prefix(int in, const struct cr_buf *notes, uint8_t **out,
		       size_t *out_len, uint64_t *read, bool *added)
{
	Elf64_Ehdr eh = { 0 };
	*added = false;
	*read = read_full(in, &eh, sizeof(eh));
	size_t n = eh.e_phnum, phlen = n * sizeof(Elf64_Phdr);
	uint64_t delta = ((uint64_t)sizeof(Elf64_Phdr) + notes->len + NOTE_ALIGN - 1) /
			 NOTE_ALIGN * NOTE_ALIGN;
	bool fits = *read == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		    eh.e_ident[EI_CLASS] == ELFCLASS64 &&
		    eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_type == ET_CORE &&
		    eh.e_phoff == sizeof(eh) && eh.e_phentsize == sizeof(Elf64_Phdr) &&
		    n > 0 && n <= MAX_PHDRS && eh.e_shoff == 0 && eh.e_shnum == 0 &&
		    notes->len > 0 && !notes->oom;
	size_t total = sizeof(eh) + (fits ? phlen + delta : 0);
	uint8_t *buf = calloc(1, total);
	if (!buf)
		return ENOMEM;
	memcpy(buf, &eh, *read);
	*out = buf;
	*out_len = *read;
	if (!fits)
		return 0;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(eh));
	size_t got = read_full(in, ph, phlen);
	*read += got;
	*out_len += got;
	uint64_t old_end = sizeof(eh) + phlen, moved;
	for (size_t i = 0; i < n && got == phlen; i++)
		if (ph[i].p_offset >= old_end &&
		    __builtin_add_overflow(ph[i].p_offset, delta, &moved))
			got = 0;	/* not a real core: as read */
	if (got != phlen)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_offset >= old_end)
			ph[i].p_offset += delta;
	ph[n] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = old_end + sizeof(Elf64_Phdr),
			      .p_filesz = notes->len, .p_align = 4 };
	memcpy(buf + old_end + sizeof(Elf64_Phdr), notes->p, notes->len);
	eh.e_phnum = (Elf64_Half)(n + 1);
	memcpy(buf, &eh, sizeof(eh));
	*out_len = total;
	*added = true;
	return 0;
}

#ifdef CR_HAVE_ZSTD
const bool cr_from_kernel_compressed = true;

/* PREFIX, then the rest of IN, compressed into OUT; *BYTES_IN read.
 * errno-style: 0, or why. */
static int copy(int in, const uint8_t *prefix, size_t prefix_len, int out,
		uint64_t *bytes_in, bool *write_failed)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();
	void *ibuf = malloc(CHUNK), *obuf = malloc(ZSTD_CStreamOutSize());
	int e = 0;
	if (!z || !ibuf || !obuf ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, ZSTD_LEVEL))) {
		e = ENOMEM;
		goto out;
	}
	for (bool end = false, first = true; !end && !e; first = false) {
		ZSTD_inBuffer ib = { prefix, prefix_len, 0 };
		if (!first || !prefix_len) {
			ssize_t r = read_some(in, ibuf, CHUNK);
			if (r < 0) {
				e = errno;
				break;
			}
			end = r == 0;
			*bytes_in += (uint64_t)r;
			ib = (ZSTD_inBuffer){ ibuf, (size_t)r, 0 };
		}
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

static int copy(int in, const uint8_t *prefix, size_t prefix_len, int out,
		uint64_t *bytes_in, bool *write_failed)
{
	char *buf = malloc(CHUNK);
	int e = buf ? 0 : ENOMEM;
	if (!e && !write_all(out, prefix, prefix_len)) {
		e = errno;
		*write_failed = true;
	}
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

/*
 * A full disk: the core is cut by up to ROOM bytes more, keeping at least
 * its first KEEP (the headers and notes, the start of the memory), so
 * that the reports and the store's row fit after it: a core without a
 * report that says it is cut off would be worth less than the bytes
 * given up (a cut zstd stream decodes as far as it goes).  The bytes
 * freed, 0 none.
 */
#define ROOM (1u << 20)
#define KEEP (64u << 10)

static off_t make_room(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= (off_t)KEEP)
		return 0;
	off_t cut = st.st_size - (off_t)KEEP < (off_t)ROOM ? st.st_size - (off_t)KEEP
							    : (off_t)ROOM;
	return ftruncate(fd, st.st_size - cut) == 0 ? cut : 0;
}

struct cr_error *cr_from_kernel(struct cr_kernel_core *k, int in,
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
	/* What /proc says while the kernel holds the process, before the
	 * core is read: once it is, the process is gone. */
	struct cr_buf notes = { 0 };
	struct cr_error *proc = cr_collect_proc_notes((pid_t)k->pid, k->no_env, &notes);
	uint8_t *prefix = NULL;
	size_t prefix_len = 0;
	int e = make_prefix(in, &notes, &prefix, &prefix_len, bytes, &k->noted);
	if (!e)
		e = copy(in, prefix, prefix_len, fd, bytes, &write_failed);
	free(prefix);
	cr_buf_free(&notes);
	if (proc) {
		k->proc_error = cr_strdup_printf("%s", proc->message);
		cr_error_free(proc);
	}
	off_t freed = write_failed ? make_room(fd) : 0;
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
		err = cr_error_new(CR_ERR_IO, "%s: partial core (%s %s) after %llu bytes of the kernel's core%s",
				   *path, write_failed ? "writing:" : "reading standard input:",
				   strerror(e), (unsigned long long)*bytes,
				   freed ? "; its end cut to leave room for the reports" : "");
out:
	free(final);
	free(tmp);
	return err;
}
