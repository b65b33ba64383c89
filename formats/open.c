/*
 * open.c - open a dump file, recognize its format and hand it to a reader.
 *
 * The file is mapped read-only (a core can be many gigabytes; its bytes are
 * never copied to the heap) and its first bytes decide the reader: an ELF
 * file of type ET_CORE goes to elfcore_read(), "MDMP" to md_read().  Cores
 * compressed the way systemd-coredump stores them (zstd, xz, lz4) are first
 * streamed into an unlinked temporary file which is then mapped in place of
 * the original (decompress.c), so memory use does not grow with the core.
 *
 * cr_dump_from_buffer() runs the same recognition (decompression included)
 * on a caller's buffer, for tests and fuzzers.
 */
#include "dump.h"
#include "readers.h"
#include "decompress.h"
#include "mapguard.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reader for a buffer's magic, or NULL (*WHY says what it is instead). */
static struct cr_error *(*sniff(const uint8_t *buf, size_t len,
				 const char **why))(struct cr_dump *)
{
	*why = "unknown file type";
	if (len >= EI_NIDENT + 2 && memcmp(buf, ELFMAG, SELFMAG) == 0) {
		unsigned type = buf[EI_DATA] == ELFDATA2MSB
			? (unsigned)buf[16] << 8 | buf[17]
			: (unsigned)buf[17] << 8 | buf[16];
		if (type == ET_CORE)
			return elfcore_read;
		*why = type == ET_EXEC || type == ET_DYN
			? "an ELF executable or library, not a core file"
			: "an ELF file, but not a core file";
		return NULL;
	}
	if (len >= 4 && memcmp(buf, "MDMP", 4) == 0)
		return md_read;
	return NULL;
}

static bool sniff_dump(const uint8_t *buf, size_t len, const char **why)
{
	return sniff(buf, len, why) != NULL;
}

/*
 * Recognize and read D's mapping (d->map, d->map_len set).  On success the
 * dump's tables are sorted (cr_dump_finish()).
 */
static struct cr_error *read_mapped(struct cr_dump *d)
{
	if (d->map_len == 0)
		return cr_error_new(CR_ERR_FORMAT, "%s: empty file, not a dump",
				    d->path);
	const char *why;
	struct cr_error *(*reader)(struct cr_dump *) =
		sniff(d->map, d->map_len, &why);
	if (!reader)
		return cr_error_new(CR_ERR_FORMAT, "%s: not a dump (%s)",
				    d->path, why);
	struct cr_error *err = reader(d);
	if (err)
		return err;
	cr_dump_finish(d);
	return NULL;
}

/*
 * Map FD's LEN bytes read-only into D.  MAP_PRIVATE: libelf is given the
 * mapping and must never be able to change the file.
 */
static struct cr_error *map_fd(struct cr_dump *d, int fd, uint64_t len)
{
	if (len > SIZE_MAX)
		return cr_error_new(CR_ERR_IO, "%s: too large to map", d->path);
	void *p = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return cr_error_new(CR_ERR_IO, "%s: cannot map: %s", d->path,
				    strerror(errno));
	d->map = p;
	d->map_len = (size_t)len;
	d->map_borrowed = false;
	return NULL;
}

/*
 * D's mapping holds a compressed dump: decompress it into a temporary file
 * (decompress.c) and map that in its place.
 */
static struct cr_error *decompress(struct cr_dump *d, enum cr_compression comp,
				   const struct cr_open_options *o)
{
	const struct cr_decompress_opts dopts = {
		.name = d->path,
		.max_size = o ? o->max_decompressed : 0,
		.sniff = sniff_dump,
	};
	int tmp = -1;
	uint64_t tmp_len = 0;
	char *problem = NULL;
	struct cr_error *err = cr_decompress_to_tmpfile(d->map, d->map_len,
							comp, &dopts, &tmp,
							&tmp_len, &problem);
	if (err)
		return err;
	/* The compressed file may have shrunk while it was decoded (the
	 * decoder then saw zeros and said the stream is damaged). */
	if (cr_map_guard_check(d->guard))
		cr_dump_problem(d, "the dump file shrank from %llu to %llu bytes while it was decompressed",
				(unsigned long long)d->file_size,
				(unsigned long long)cr_map_guard_valid(d->guard));
	cr_map_guard_remove(d->guard);	/* the temporary file cannot shrink */
	d->guard = NULL;
	if (!d->map_borrowed)
		munmap(d->map, d->map_len);
	d->map = NULL;
	d->map_len = 0;
	if (problem) {
		cr_dump_problem(d, "%s", problem);
		free(problem);
	}
	err = map_fd(d, tmp, tmp_len);
	close(tmp);
	if (!err)
		d->file_size = tmp_len;
	return err;
}

/* Read D's mapping, decompressing it first when it is compressed. */
static struct cr_error *read_any(struct cr_dump *d,
				 const struct cr_open_options *o)
{
	enum cr_compression comp = cr_compression_sniff(d->map, d->map_len);
	struct cr_error *err = NULL;
	if (comp != CR_COMP_NONE && (err = decompress(d, comp, o)))
		return err;
	err = read_mapped(d);
	if (!err && comp != CR_COMP_NONE && d->format) {
		char *f = cr_strdup_printf("%s (%s-compressed)", d->format,
					   cr_compression_name(comp));
		if (f) {
			free(d->format);
			d->format = f;
		}
	}
	return err;
}

struct cr_error *cr_dump_from_buffer_with(const uint8_t *buf, size_t len,
					  const char *name,
					  const struct cr_open_options *o,
					  struct cr_dump **out)
{
	*out = NULL;
	struct cr_dump *d = cr_dump_new(name);
	if (!d)
		return &cr_enomem;
	d->map = (void *)buf;
	d->map_len = len;
	d->map_borrowed = true;
	d->file_size = len;
	d->identity_only = o && o->identity_only;
	struct cr_error *err = read_any(d, o);
	if (err) {
		cr_dump_free(d);
		return err;
	}
	*out = d;
	return NULL;
}

struct cr_error *cr_dump_from_buffer(const uint8_t *buf, size_t len,
				     const char *name, struct cr_dump **out)
{
	return cr_dump_from_buffer_with(buf, len, name, NULL, out);
}

struct cr_error *cr_dump_open(const char *path, struct cr_dump **out)
{
	return cr_dump_open_with(path, NULL, out);
}

struct cr_error *cr_dump_open_with(const char *path,
				   const struct cr_open_options *o,
				   struct cr_dump **out)
{
	*out = NULL;
	struct cr_error *err = NULL;
	/* O_NONBLOCK: a FIFO must not block the open(); it is refused below
	 * as not a regular file, as is a device (O_NOCTTY: never our tty). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return cr_error_new(CR_ERR_IO, "%s: cannot open: %s", path,
				    strerror(errno));
	struct cr_dump *d = cr_dump_new(path);
	if (!d) {
		close(fd);
		return &cr_enomem;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = cr_error_new(CR_ERR_IO, "%s: cannot stat: %s", path,
				   strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = cr_error_new(CR_ERR_FORMAT, "%s: is a directory, not a dump",
				   path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = cr_error_new(CR_ERR_FORMAT, "%s: not a regular file", path);
		goto out;
	}
	d->file_size = (uint64_t)st.st_size;
	if (st.st_size == 0) {
		err = cr_error_new(CR_ERR_FORMAT, "%s: empty file, not a dump",
				   path);
		goto out;
	}
	err = map_fd(d, fd, (uint64_t)st.st_size);
	if (err)
		goto out;
	/* If the file shrinks while we read it, touching the mapping past its
	 * new end raises SIGBUS: the guard turns that into zeros and a
	 * recorded new size (mapguard.c). */
	d->guard = cr_map_guard_add(d->map, d->map_len,
				    fcntl(fd, F_DUPFD_CLOEXEC, 0));

	d->identity_only = o && o->identity_only;
	err = read_any(d, o);
	if (cr_map_guard_check(d->guard) &&
	    (err || (d->nthreads == 0 && d->nsegs == 0))) {
		/* What the reader could not make sense of was zeros. */
		cr_error_free(err);
		err = cr_error_new(CR_ERR_IO, "%s: the file shrank from %llu to %zu bytes while it was read; nothing usable is left",
				   path, (unsigned long long)st.st_size,
				   cr_map_guard_valid(d->guard));
	} else if (!err) {
		cr_dump_check_file(d);
	}
out:
	close(fd);
	if (err) {
		cr_dump_free(d);
		return err;
	}
	*out = d;
	return NULL;
}
