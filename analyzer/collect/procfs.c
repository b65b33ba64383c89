/*
 * procfs.c - what the collector reads from /proc (collect.h).
 *
 * Which mappings a core holds follows the kernel's coredump_filter
 * (Documentation/filesystems/proc.rst, fs/coredump.c vma_dump_size), bit
 * by bit, decided from what /proc/PID/smaps shows:
 *   0 private anonymous    1 shared anonymous (shmem: SysV segments,
 *   2 private file-backed    /dev/zero, memfd, a deleted file)
 *   3 shared file-backed   4 the first page of a file mapped at offset 0
 *                            (the ELF header: build ids for debuggers)
 * A private file mapping the process wrote to ("Anonymous:" in smaps, the
 * kernel's anon_vma) counts as private anonymous, as in the kernel: the
 * relocated data and GOT that debuggers read the link map from.  Mappings
 * marked MADV_DONTDUMP (VmFlags "dd") are left out.  Hugetlb and DAX
 * (bits 5-8) are not told apart here: they count as what they look like.  Never copied: mappings that cannot be read (guard
 * pages, PROT_NONE reservations; the kernel writes nothing for them
 * either) and the kernel's [vvar]/[vsyscall] pages; always copied: [vdso],
 * as the kernel does, because unwinders need its CFI.
 */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define PROC_FILE_MAX (64u << 20)	/* a /proc file larger is cut */

char *cr_proc_read(pid_t pid, const char *rel, size_t *len)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			buf = NULL;
			errno = e;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			if (cap >= PROC_FILE_MAX)
				break;
			char *b = realloc(buf, cap * 2 + 1);
			if (!b) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	int e = errno;
	close(fd);
	errno = e;
	if (buf) {
		buf[n] = 0;
		if (len)
			*len = n;
	}
	return buf;
}

bool cr_proc_parse_stat(const char *text, struct cr_proc_stat *st)
{
	/* The name may hold anything, ")" too: the fields follow the last. */
	const char *p = text ? strrchr(text, ')') : NULL;
	if (!p)
		return false;
	uint64_t f[20];
	char state;
	int got = sscanf(p + 1, " %c %" SCNu64 " %" SCNu64 " %" SCNu64
			 " %*s %*s %*s %*s %*s %*s %*s %" SCNu64 " %" SCNu64
			 " %*s %*s %*s %*s %*s %*s %" SCNu64,
			 &state, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5]);
	if (got != 7)
		return false;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	st->state = state;
	st->ppid = (int64_t)f[0];
	st->pgrp = (int64_t)f[1];
	st->sid = (int64_t)f[2];
	st->utime_us = f[3] * 1000000 / (uint64_t)hz;
	st->stime_us = f[4] * 1000000 / (uint64_t)hz;
	st->start_ticks = f[5];
	return true;
}

uint64_t cr_proc_filter(pid_t pid)
{
	char *s = cr_proc_read(pid, "coredump_filter", NULL);
	uint64_t v = CR_FILTER_DEFAULT;
	if (s) {
		char *end;
		errno = 0;
		unsigned long long x = strtoull(s, &end, 16);
		if (!errno && end != s)
			v = x;
	}
	free(s);
	return v;
}

/* Shared memory without a file of its own (shmem): bit 1, not bit 3. */
static bool shmem_path(const char *path)
{
	static const char *const prefixes[] = { "/dev/zero", "/SYSV",
						"/memfd:", "/dev/shm/" };
	for (size_t i = 0; i < ARRAY_LEN(prefixes); i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			return true;
	size_t n = strlen(path);
	return n > 10 && !strcmp(path + n - 10, " (deleted)");
}

/* Pseudo-paths of kernel pages: copied always (1) or never (0). */
static const struct {
	const char *path;
	bool copy;
} special[] = {
	{ "[vdso]", true },
	{ "[vvar]", false },
	{ "[vvar_vclock]", false },
	{ "[vsyscall]", false },
};

/* What /proc/PID/smaps says of one mapping besides its line in maps. */
struct smaps_extra {
	bool shared, anon;
	bool written;			/* "Anonymous:" above 0: private copies
					 * (the kernel's anon_vma test) */
	bool dontdump;			/* VmFlags "dd" (MADV_DONTDUMP) */
	bool wipeonfork;		/* VmFlags "wf" (MADV_WIPEONFORK) */
	bool dontfork;			/* VmFlags "dc" (MADV_DONTFORK) */
	char *name;			/* as maps shows it, borrowed */
};

static uint64_t dump_len(const struct cr_core_mapping *m,
			 const struct smaps_extra *x, uint64_t filter,
			 uint64_t page, bool fork_child)
{
	uint64_t size = m->end - m->start;
	for (size_t i = 0; i < ARRAY_LEN(special); i++)
		if (!strcmp(x->name, special[i].path))
			return special[i].copy ? size : 0;
	/* A fork child's copy of a MADV_WIPEONFORK mapping is zeros, not
	 * the process's memory (OpenSSL's random state): not captured. */
	if (!m->r || x->dontdump || (fork_child && x->wipeonfork))
		return 0;
	/* A private file mapping the process wrote to (relocated data,
	 * the GOT: what debuggers read the link map from) counts as
	 * private anonymous, as in the kernel. */
	if (!x->shared && !x->anon && x->written && (filter & 1))
		return size;
	unsigned bit = x->shared ? (x->anon ? 1 : 3) : (x->anon ? 0 : 2);
	if (filter & (1ull << bit))
		return size;
	if (!x->shared && !x->anon && m->offset == 0 && (filter & (1ull << 4)))
		return page < size ? page : size;
	return 0;
}

/* A header line of smaps ("start-end perms offset dev inode path") into
 * M and X; false for the other lines. */
static bool parse_header(char *line, struct cr_core_mapping *m,
			 struct smaps_extra *x)
{
	uint64_t start, end, off, inode;
	char perms[5];
	int pathpos = 0;
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64
		   " %*x:%*x %" SCNu64 " %n",
		   &start, &end, perms, &off, &inode, &pathpos) < 5 ||
	    end <= start || strlen(perms) != 4)
		return false;
	x->name = pathpos ? line + pathpos : line + strlen(line);
	m->start = start;
	m->end = end;
	m->offset = off;
	m->r = perms[0] == 'r';
	m->w = perms[1] == 'w';
	m->x = perms[2] == 'x';
	x->shared = perms[3] == 's';
	x->anon = inode == 0 || (x->shared && shmem_path(x->name));
	x->written = x->dontdump = x->wipeonfork = x->dontfork = false;
	if (x->name[0] == '/' && inode != 0)
		m->path = strdup(x->name);
	return true;
}

/* Whether the VmFlags list FLAGS (" rd wr mr ...") has the two-letter
 * flag F. */
static bool vm_flag(const char *flags, const char *f)
{
	for (const char *p = flags; (p = strstr(p, f)); p += 2)
		if (p > flags && p[-1] == ' ' && (p[2] == ' ' || p[2] == 0))
			return true;
	return false;
}

/* The other lines of a mapping in smaps that matter. */
static void parse_field(const char *line, struct smaps_extra *x)
{
	unsigned long long kb;
	if (sscanf(line, "Anonymous: %llu", &kb) == 1 && kb > 0)
		x->written = true;
	if (!strncmp(line, "VmFlags:", 8)) {
		x->dontdump = vm_flag(line + 8, "dd");
		x->wipeonfork = vm_flag(line + 8, "wf");
		x->dontfork = vm_flag(line + 8, "dc");
	}
}

/* PID's mappings from smaps with FILTER applied; DONTFORK_ONLY: only its
 * MADV_DONTFORK ones, without contents. */
static struct cr_core_mapping *read_maps(pid_t pid, uint64_t filter,
					 bool fork_child, bool dontfork_only,
					 size_t *n)
{
	char *text = cr_proc_read(pid, "smaps", NULL);
	if (!text)
		return NULL;
	struct cr_core_mapping *maps = NULL;
	struct smaps_extra *extra = NULL;
	size_t cap = 0, k = 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (k == cap) {
			if (cap >= CR_COLLECT_MAX_MAPS) {
				errno = E2BIG;
				goto fail;
			}
			size_t c = cap ? cap * 2 : 64;
			struct cr_core_mapping *m = realloc(maps, c * sizeof(*m));
			if (m)
				maps = m;
			struct smaps_extra *x = realloc(extra, c * sizeof(*x));
			if (x)
				extra = x;
			if (!m || !x) {
				errno = ENOMEM;
				goto fail;
			}
			cap = c;
		}
		memset(&maps[k], 0, sizeof(maps[k]));
		if (parse_header(line, &maps[k], &extra[k]))
			k++;
		else if (k > 0)
			parse_field(line, &extra[k - 1]);
	}
	size_t kept = 0;
	for (size_t i = 0; i < k; i++) {
		if (dontfork_only && !extra[i].dontfork) {
			free((char *)maps[i].path);
			continue;
		}
		maps[kept] = maps[i];
		maps[kept++].dump_len = dontfork_only ? 0 :
			dump_len(&maps[i], &extra[i], filter, page, fork_child);
	}
	k = kept;
	free(extra);
	free(text);
	*n = k;
	return maps;
fail:
	cr_proc_maps_free(maps, k);
	free(extra);
	free(text);
	return NULL;
}

struct cr_core_mapping *cr_proc_maps(pid_t pid, uint64_t filter,
				     bool fork_child, size_t *n)
{
	return read_maps(pid, filter, fork_child, false, n);
}

/*
 * A fork child has no copy of its parent's MADV_DONTFORK mappings (RDMA
 * and device buffers, some allocators' arenas); without a word the core
 * would look as if the process had none there.  They are added from the
 * parent's smaps, read after the fork (the parent runs by then: one
 * mapped or unmapped since is taken as it is now), as mappings without
 * contents, like the MADV_WIPEONFORK ones: the reader says their memory
 * was not captured.  One that overlaps the child's mappings is not added.
 */
struct cr_error *cr_proc_maps_add_dontfork(pid_t parent,
					   struct cr_core_mapping **maps,
					   size_t *n)
{
	size_t nd = 0;
	struct cr_core_mapping *d = read_maps(parent, 0, false, true, &nd);
	if (!d)
		return errno == ENOMEM ? cr_error_new(CR_ERR_NOMEM, "out of memory (mappings)")
				       : NULL;	/* gone: nothing to add */
	struct cr_core_mapping *all = nd ? malloc((*n + nd) * sizeof(*all)) : NULL;
	if (nd && !all) {
		cr_proc_maps_free(d, nd);
		return cr_error_new(CR_ERR_NOMEM, "out of memory (mappings)");
	}
	/* Both lists are in address order: merge them. */
	size_t i = 0, j = 0, k = 0;
	while (nd && (i < *n || j < nd)) {
		if (j == nd || (i < *n && (*maps)[i].start < d[j].start)) {
			all[k++] = (*maps)[i++];
			continue;
		}
		bool overlaps = (i < *n && (*maps)[i].start < d[j].end) ||
				(k > 0 && all[k - 1].end > d[j].start);
		if (overlaps || *n + nd > CR_COLLECT_MAX_MAPS)
			free((char *)d[j].path);
		else
			all[k++] = d[j];
		j++;
	}
	if (nd) {
		free(*maps);
		*maps = all;
		*n = k;
	}
	free(d);
	return NULL;
}

void cr_proc_maps_free(struct cr_core_mapping *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		free((char *)m[i].path);
	free(m);
}
