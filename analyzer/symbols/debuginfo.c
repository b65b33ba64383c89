/*
 * debuginfo.c - a module's binary by build id and its separate debug file
 * by build id or .gnu_debuglink, without libdwfl's standard callbacks.
 *
 * Why our own: dwfl_standard_find_debuginfo() and dwfl_build_id_find_elf()
 * open their candidates with a blocking open() of names built from the
 * dump (the debuglink name is a string in a file the dump pointed us to,
 * the directory that of a dump-named path), and do not stay inside a
 * sysroot.  Here every candidate is a (root, name) pair opened by
 * cr_safe_open(): under --sysroot no name from the dump is looked up
 * outside the sysroot and the --debug-dir trees; this machine's build-id
 * tree is, by hex name, and only a file with the dump's build id is taken.
 * The search order is gdb's and eu-stack's (elfutils
 * libdwfl/find-debuginfo.c): the build-id tree, then beside the file, its
 * .debug/ and /usr/lib/debug/<its dir>/.  debuginfod is left to symbolize.c.
 */
#include "debuginfo.h"

#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "safe_open.h"

#define MAX_DEBUG_DIRS 32	/* --debug-dir trees tried */

char *cr_rooted_path(const char *root, const char *name)
{
	if (!root || strcmp(root, "/") == 0)
		return strdup(name);
	return cr_strdup_printf("%s%s%s", root, name[0] == '/' ? "" : "/", name);
}

bool cr_elf_build_id_is(Elf *elf, const uint8_t *id, size_t len)
{
	const void *got = NULL;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &got) : -1;
	return n == (ssize_t)len && memcmp(got, id, len) == 0;
}

/* Whether the ELF file FD has build id ID. */
static bool has_build_id(int fd, const uint8_t *id, size_t len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool ok = cr_elf_build_id_is(elf, id, len);
	if (elf)
		elf_end(elf);
	return ok;
}

/* CRC-32 (IEEE 802.3, as .gnu_debuglink uses) of the file FD. */
static bool file_crc(int fd, uint32_t *out)
{
	/* Built per call (256 entries, nothing next to reading a file), not
	 * lazily into a static that two analyses could race on. */
	uint32_t table[256];
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	uint8_t buf[65536];
	uint32_t crc = 0xffffffffu;
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0)
			return false;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
		off += n;
	}
	*out = crc ^ 0xffffffffu;
	return true;
}

/* Open ROOT/NAME and keep it when it matches (ID, or CRC when no ID). */
static int try_candidate(const char *root, const char *name, const uint8_t *id,
			 size_t id_len, bool use_crc, uint32_t crc, char **found)
{
	int fd = cr_safe_open(root, name);
	if (fd < 0)
		return -1;
	uint32_t got;
	bool ok = id_len ? has_build_id(fd, id, id_len)
			 : use_crc && file_crc(fd, &got) && got == crc;
	if (!ok) {
		close(fd);
		return -1;
	}
	*found = cr_rooted_path(root, name);
	return fd;
}

int cr_find_by_build_id(const struct cr_options *o, const uint8_t *id,
			size_t len, const char *suffix, char **found)
{
	if (len < 2)
		return -1;
	char hex[2 * 64 + 1];
	if (len > 64)
		return -1;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	char *rel = cr_strdup_printf(".build-id/%.2s/%s%s", hex, hex + 2, suffix);
	char *abs = cr_strdup_printf("/usr/lib/debug/%s", rel ? rel : "");
	int fd = -1;
	size_t n = 0;
	for (const char **dir = o->debug_dirs; rel && fd < 0 && dir && *dir &&
	     n < MAX_DEBUG_DIRS; dir++, n++)
		fd = try_candidate(*dir, rel, id, len, false, 0, found);
	if (fd < 0 && abs && o->sysroot)
		fd = try_candidate(o->sysroot, abs, id, len, false, 0, found);
	/* This machine's tree too: its names are hex (nothing from the dump
	 * but the id) and a file is taken only with the dump's build id, so
	 * it is the very file the dump's machine had. */
	if (fd < 0 && abs)
		fd = try_candidate("/", abs, id, len, false, 0, found);
	free(rel);
	free(abs);
	return fd;
}

/* The build id in FILE's .gnu_debugaltlink when its name is ALTNAME. */
static size_t altlink_id(const char *file, const char *altname, uint8_t *id,
			 size_t max)
{
	int fd = cr_safe_open(NULL, file);
	if (fd < 0)
		return 0;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t shstrndx, len = 0;
	if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0)
		for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn && !len;
		     scn = elf_nextscn(elf, scn)) {
			GElf_Shdr sh;
			const char *sname;
			Elf_Data *data;
			if (!gelf_getshdr(scn, &sh) ||
			    !(sname = elf_strptr(elf, shstrndx, sh.sh_name)) ||
			    strcmp(sname, ".gnu_debugaltlink") != 0 ||
			    !(data = elf_getdata(scn, NULL)) || !data->d_buf)
				continue;
			/* A NUL-terminated file name, then the build id. */
			const char *b = data->d_buf;
			size_t nl = strnlen(b, data->d_size);
			if (nl < data->d_size && strcmp(b, altname) == 0 &&
			    data->d_size - nl - 1 <= max) {
				len = data->d_size - nl - 1;
				memcpy(id, b + nl + 1, len);
			}
		}
	if (elf)
		elf_end(elf);
	close(fd);
	return len;
}

int cr_find_altlink(const struct cr_options *o, const char *file,
		    const char *altname, char **found)
{
	uint8_t id[64];
	if (!file || !altname || !altname[0])
		return -1;
	size_t len = altlink_id(file, altname, id, sizeof(id));
	if (len == 0)
		return -1;
	int fd = cr_find_by_build_id(o, id, len, ".debug", found);
	if (fd < 0 && altname[0] == '/')
		fd = try_candidate(o->sysroot ? o->sysroot : "/", altname, id,
				   len, false, 0, found);
	else if (fd < 0) {
		/* Relative to FILE's directory, but inside the tree FILE was
		 * found in: the name comes from a file of the sysroot (or a
		 * --debug-dir), and "../../.." must not leave it. */
		const char *root = NULL;
		const char *rel = file;
		const char *trees[1 + MAX_DEBUG_DIRS + 1] = { o->sysroot };
		size_t nt = 1;
		for (const char **d = o->debug_dirs; d && *d && nt <= MAX_DEBUG_DIRS; d++)
			trees[nt++] = *d;
		for (size_t i = 0; i < nt && !root; i++) {
			const char *r = trees[i];
			size_t rl = r ? strlen(r) : 0;
			while (rl > 1 && r[rl - 1] == '/')
				rl--;
			if (rl && strncmp(file, r, rl) == 0 && file[rl] == '/')
				root = r, rel = file + rl;
		}
		const char *slash = strrchr(rel, '/');
		char *p = cr_strdup_printf("%.*s/%s", slash ? (int)(slash - rel) : 1,
					   slash ? rel : ".", altname);
		if (p)
			fd = try_candidate(root, p, id, len, false, 0, found);
		free(p);
	}
	return fd;
}

int cr_find_debuglink(const struct cr_options *o, const char *root,
		      const char *name, const char *debuglink, uint32_t crc,
		      const uint8_t *id, size_t id_len, char **found)
{
	if (!debuglink || !name)
		return -1;
	const char *link = strrchr(debuglink, '/');
	link = link ? link + 1 : debuglink;
	if (!link[0] || strcmp(link, ".") == 0 || strcmp(link, "..") == 0)
		return -1;
	/* The directory of NAME, "" for a bare name. */
	const char *slash = strrchr(name, '/');
	/* ROOT NULL: the user's own -e, whose directory is opened as given
	 * (a bare relative name lies in "."). */
	bool bare = !root && !slash;
	char *dir = bare ? strdup(".")
			 : strndup(name, slash ? (size_t)(slash - name) : 0);
	if (!dir)
		return -1;
	char *cand[3 + MAX_DEBUG_DIRS * 2];
	const char *croot[3 + MAX_DEBUG_DIRS * 2];
	size_t nc = 0;
	/* Not the file itself (a stripped file naming itself would pass the
	 * build-id check). */
	if (strcmp(link, slash ? slash + 1 : name) != 0) {
		croot[nc] = root;
		cand[nc++] = cr_strdup_printf("%s/%s", dir, link);
	}
	croot[nc] = root;
	cand[nc++] = cr_strdup_printf("%s/.debug/%s", dir, link);
	croot[nc] = root ? root : "/";
	cand[nc++] = cr_strdup_printf("/usr/lib/debug%s%s/%s",
				      dir[0] == '/' ? "" : "/", dir, link);
	size_t n = 0;
	for (const char **d = o->debug_dirs; d && *d && n < MAX_DEBUG_DIRS; d++, n++) {
		croot[nc] = *d;
		cand[nc++] = cr_strdup_printf("%s/%s", dir, link);
		croot[nc] = *d;
		cand[nc++] = strdup(link);
	}
	int fd = -1;
	for (size_t i = 0; i < nc; i++) {
		if (fd < 0 && cand[i])
			fd = try_candidate(croot[i], cand[i], id, id_len, true,
					   crc, found);
		free(cand[i]);
	}
	free(dir);
	return fd;
}
