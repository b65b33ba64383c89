/*
 * pe_file.c - PE image files on disk as a byte source for pe.c.
 *
 * Most Windows minidumps (MiniDumpNormal: procdump -mp, Windows Error
 * Reporting) hold the stacks but not the DLL and EXE images, so the
 * .pdata/.xdata and export tables are not in dump memory.  When the user has
 * the module files (--image-dir, --sysroot), this file lets pe.c read them
 * instead: it maps the file and translates "address in the dump" to "file
 * offset" the way the loader laid the file out, and hands that to pe.c as a
 * struct pe_mem.  The parser in pe.c is not duplicated: it reads a file as
 * it reads memory.
 *
 * The file is as untrusted as the dump: the headers are read through a
 * struct cr_cursor, NumberOfSections is capped (PE_MAX_SECTIONS), every
 * section is clipped to the file, and every read is bounded by the file
 * length with overflow-checked arithmetic.
 *
 * Layouts (Microsoft "PE Format"): e_lfanew u32 at 0x3c; "PE\0\0"; the COFF
 * header (Machine u16, NumberOfSections u16, TimeDateStamp u32, 8 bytes,
 * SizeOfOptionalHeader u16, Characteristics u16); the optional header with
 * SizeOfImage at 56 and SizeOfHeaders at 60 (PE32 and PE32+ alike); then
 * the section table, 40 bytes an entry: Name[8], VirtualSize u32,
 * VirtualAddress u32, SizeOfRawData u32, PointerToRawData u32, ...
 */
#include "pe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"

struct cr_error *pe_file_parse(const uint8_t *buf, size_t len, uint64_t base,
			       struct pe_file *out)
{
	memset(out, 0, sizeof(*out));
	struct cr_cursor c = cr_cursor_make(buf, len, false, 0, "PE file");
	struct cr_error *err;
	uint16_t magic, nsections, opt_size;
	uint32_t lfanew, sig, timestamp, size_of_image, size_of_headers;
	if ((err = cr_cursor_u16(&c, &magic)))
		return err;
	if (magic != 0x5a4d)
		return cr_error_new(CR_ERR_CORRUPT, "PE file: no MZ signature");
	if ((err = cr_cursor_seek(&c, 0x3c)) || (err = cr_cursor_u32(&c, &lfanew)) ||
	    (err = cr_cursor_seek(&c, lfanew)) || (err = cr_cursor_u32(&c, &sig)))
		return err;
	if (sig != 0x00004550)
		return cr_error_new(CR_ERR_CORRUPT,
				    "PE file: no PE signature at e_lfanew 0x%x",
				    lfanew);
	size_t coff = c.pos;
	if ((err = cr_cursor_skip(&c, 2)) ||
	    (err = cr_cursor_u16(&c, &nsections)) ||
	    (err = cr_cursor_u32(&c, &timestamp)) ||
	    (err = cr_cursor_seek(&c, coff + 16)) ||
	    (err = cr_cursor_u16(&c, &opt_size)) ||
	    (err = cr_cursor_skip(&c, 2)))
		return err;
	struct cr_cursor opt;
	if ((err = cr_cursor_sub(&c, c.pos, opt_size, "optional header", &opt)) ||
	    (err = cr_cursor_seek(&opt, 56)) ||
	    (err = cr_cursor_u32(&opt, &size_of_image)) ||
	    (err = cr_cursor_u32(&opt, &size_of_headers)))
		return err;
	if (nsections > PE_MAX_SECTIONS)
		return cr_error_new(CR_ERR_CORRUPT,
				    "PE file: %u sections (at most %u)",
				    nsections, PE_MAX_SECTIONS);
	struct cr_cursor tab;
	if ((err = cr_cursor_sub(&c, c.pos + opt_size, (uint64_t)nsections * 40,
				 "section table", &tab)))
		return err;
	out->sections = calloc(nsections ? nsections : 1, sizeof(*out->sections));
	if (!out->sections)
		return &cr_enomem;
	for (unsigned i = 0; i < nsections; i++) {
		struct pe_section *s = &out->sections[i];
		if ((err = cr_cursor_skip(&tab, 8)) ||
		    (err = cr_cursor_u32(&tab, &s->vsize)) ||
		    (err = cr_cursor_u32(&tab, &s->va)) ||
		    (err = cr_cursor_u32(&tab, &s->raw_size)) ||
		    (err = cr_cursor_u32(&tab, &s->raw_off)) ||
		    (err = cr_cursor_skip(&tab, 16))) {
			free(out->sections);
			out->sections = NULL;
			return err;	/* cannot happen: the size was checked */
		}
		if (!s->vsize)
			s->vsize = s->raw_size;
		/* Raw data past the end of the file is a gap, not a crash. */
		if (s->raw_off >= len)
			s->raw_size = 0;
		else if (s->raw_size > len - s->raw_off)
			s->raw_size = (uint32_t)(len - s->raw_off);
	}
	out->buf = buf;
	out->len = len;
	out->base = base;
	out->timestamp = timestamp;
	out->size_of_image = size_of_image;
	out->size_of_headers = size_of_headers < len ? size_of_headers
						     : (uint32_t)len;
	out->nsections = nsections;
	return NULL;
}

struct cr_error *pe_file_open(const char *path, uint64_t base,
			      struct pe_file *out)
{
	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: a FIFO named like a DLL must not block the open(); it
	 * is refused below as not a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return cr_error_new(CR_ERR_IO, "%s: cannot open: %s", path,
				    strerror(errno));
	return pe_file_from_fd(fd, path, base, out);
}

struct cr_error *pe_file_from_fd(int fd, const char *path, uint64_t base,
				 struct pe_file *out)
{
	memset(out, 0, sizeof(*out));
	struct stat st;
	struct cr_error *err = NULL;
	void *map = NULL;
	if (fstat(fd, &st) < 0) {
		err = cr_error_new(CR_ERR_IO, "%s: cannot stat: %s", path,
				   strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		err = cr_error_new(CR_ERR_FORMAT, "%s: not a regular file", path);
	} else if (st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX) {
		err = cr_error_new(CR_ERR_FORMAT, "%s: empty or too large", path);
	} else {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			err = cr_error_new(CR_ERR_IO, "%s: cannot map: %s", path,
					   strerror(errno));
		}
	}
	close(fd);
	if (err)
		return err;
	err = pe_file_parse(map, (size_t)st.st_size, base, out);
	if (err) {
		munmap(map, (size_t)st.st_size);
		return cr_error_wrap(err, "%s", path);
	}
	out->map = map;
	out->map_len = (size_t)st.st_size;
	return NULL;
}

void pe_file_close(struct pe_file *f)
{
	if (!f)
		return;
	free(f->sections);
	if (f->map)
		munmap(f->map, f->map_len);
	memset(f, 0, sizeof(*f));
}

/*
 * Where RVA lies: *OFF gets the file offset and *AVAIL how many bytes from
 * there belong to the same piece (file bytes), or *ZEROS how many zero
 * bytes follow (a section's tail past its raw data).  False: a gap.
 */
static bool locate(const struct pe_file *f, uint32_t rva, size_t *off,
		   size_t *avail, size_t *zeros)
{
	*avail = *zeros = 0;
	for (unsigned i = 0; i < f->nsections; i++) {
		const struct pe_section *s = &f->sections[i];
		if (rva < s->va || rva - s->va >= s->vsize)
			continue;
		uint32_t in = rva - s->va;
		if (in < s->raw_size) {
			*off = (size_t)s->raw_off + in;
			*avail = s->raw_size - in;
			if (*avail > s->vsize - in)
				*avail = s->vsize - in;
		} else {
			*zeros = s->vsize - in;
		}
		return true;
	}
	if (rva < f->size_of_headers) {
		*off = rva;
		*avail = f->size_of_headers - rva;
		return true;
	}
	return false;
}

/* pe_mem read: copy up to LEN bytes at ADDR, stop at the first gap. */
static size_t file_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct pe_file *f = ctx;
	uint8_t *dst = buf;
	size_t done = 0;
	while (done < len) {
		uint64_t a;
		if (cr_add_overflows(addr, done, &a) || a < f->base ||
		    a - f->base > UINT32_MAX)
			break;
		size_t off = 0, avail, zeros;
		if (!locate(f, (uint32_t)(a - f->base), &off, &avail, &zeros))
			break;
		size_t n = avail ? avail : zeros;
		if (n > len - done)
			n = len - done;
		if (avail) {
			/* locate() kept sections and headers inside the
			 * file; checked again, as the cursor would. */
			if (off > f->len || n > f->len - off)
				break;
			memcpy(dst + done, f->buf + off, n);
		} else {
			memset(dst + done, 0, n);
		}
		done += n;
	}
	return done;
}

struct pe_mem pe_mem_file(const struct pe_file *f)
{
	struct pe_mem m = { file_read, (void *)f };
	return m;
}
