/*
 * safe_open.c - open a file whose name came from a dump (see safe_open.h).
 *
 * Two steps, so that nothing but a regular file is ever opened for reading:
 * the name is first resolved to an O_PATH descriptor (which opens nothing:
 * a FIFO does not block, a device driver is not called) and checked with
 * fstat/fstatfs; then it is opened for reading (O_NONBLOCK|O_NOCTTY, in
 * case it was swapped meanwhile) and the new descriptor must be the same
 * inode.
 *
 * Resolution inside a root: openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)
 * (Linux 5.6) does it in the kernel.  Where openat2 is missing (ENOSYS) or
 * refused by a seccomp filter (EPERM, as some container runtimes do),
 * walk_in_root() does the same in userspace: one component at a time with
 * openat(O_PATH|O_NOFOLLOW), a symlink's target read with readlinkat() and
 * walked again from the root when absolute, ".." popping a stack of
 * directories that never goes below the root, and at most
 * CR_SAFE_OPEN_MAX_HOPS symlinks.
 */
#include "safe_open.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
#define MAX_DEPTH 256		/* directories deep a walk may go */
#define NAME_BUF 8192		/* a name plus the symlink text spliced in */

/* Pseudo file systems whose "regular files" are not files (/proc/self/mem). */
static const long refused_fs[] = {
	PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
	SECURITYFS_MAGIC, DEVPTS_SUPER_MAGIC, CGROUP_SUPER_MAGIC,
	CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC, PSTOREFS_MAGIC, EFIVARFS_MAGIC,
	NSFS_MAGIC,
};

/* Host directories whose files are refused whatever their type (by
 * device: a file on the file system mounted there; a directory that is no
 * mount point of its own, as /dev in a bare chroot, is not told apart). */
static const char *const refused_dirs[] = { "/proc", "/dev", "/dev/shm", "/sys" };

/* Whether the file behind FD (stat ST) may be read. */
static bool acceptable(int fd, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return false;
	struct statfs fs;
	if (fstatfs(fd, &fs) != 0)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(refused_fs); i++)
		if ((long)fs.f_type == refused_fs[i])
			return false;
	struct stat rs;
	if (stat("/", &rs) != 0)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(refused_dirs); i++) {
		struct stat ds;
		if (stat(refused_dirs[i], &ds) == 0 && ds.st_dev != rs.st_dev &&
		    ds.st_dev == st->st_dev)
			return false;
	}
	return true;
}

static int sys_openat2(int dirfd, const char *name, int flags)
{
	struct open_how how = {
		.flags = (unsigned)flags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

/*
 * Resolve NAME inside the directory ROOTFD in userspace.  On success
 * *PARENT is a descriptor of the directory holding the file (the caller
 * closes it) and LAST its name there (not a symlink when checked).
 */
static bool walk_in_root(int rootfd, const char *name, int *parent,
			 char last[NAME_MAX + 1])
{
	int stack[MAX_DEPTH];
	size_t depth = 0;	/* stack[0..depth) below the root */
	char *buf = malloc(NAME_BUF);
	unsigned hops = 0;
	bool ok = false;
	if (!buf)
		return false;
	if (strlen(name) >= NAME_BUF) {
		errno = ENAMETOOLONG;
		goto out;
	}
	strcpy(buf, name);
	char *rest = buf;
	last[0] = 0;
	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		char *slash = strchr(rest, '/');
		size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			goto out;
		}
		char comp[NAME_MAX + 1];
		memcpy(comp, rest, len);
		comp[len] = 0;
		rest += len;
		bool final = !*rest || !rest[strspn(rest, "/")];
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (depth > 0)
				close(stack[--depth]);
			continue;
		}
		int dir = depth ? stack[depth - 1] : rootfd;
		int fd = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			if (fd >= 0)
				close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (n <= 0 || ++hops > CR_SAFE_OPEN_MAX_HOPS) {
				errno = ELOOP;
				goto out;
			}
			target[n] = 0;
			size_t rl = strlen(rest);
			if ((size_t)n + 1 + rl >= NAME_BUF) {
				errno = ENAMETOOLONG;
				goto out;
			}
			/* target + "/" + rest, built at the buffer's start. */
			memmove(buf + n + 1, rest, rl + 1);
			memcpy(buf, target, (size_t)n);
			buf[n] = '/';
			rest = buf;
			if (target[0] == '/')
				while (depth > 0)
					close(stack[--depth]);
			continue;
		}
		if (final) {
			close(fd);
			strcpy(last, comp);
			break;
		}
		if (!S_ISDIR(st.st_mode) || depth == MAX_DEPTH) {
			close(fd);
			errno = ENOTDIR;
			goto out;
		}
		stack[depth++] = fd;
	}
	if (!last[0]) {		/* NAME was the root itself */
		errno = EISDIR;
		goto out;
	}
	*parent = dup(depth ? stack[depth - 1] : rootfd);
	ok = *parent >= 0;
out:
	while (depth > 0)
		close(stack[--depth]);
	free(buf);
	return ok;
}

/* How a name is opened: as given, by openat2 in a root, or (after the
 * walk) as the last component in its directory without following it. */
enum how { PLAIN, IN_ROOT, NOFOLLOW };

static int open_as(enum how how, int dirfd, const char *name, int flags)
{
	switch (how) {
	case IN_ROOT:
		return sys_openat2(dirfd, name, flags);
	case NOFOLLOW:
		return openat(dirfd, name, flags | O_NOFOLLOW);
	default:
		return openat(dirfd, name, flags);
	}
}

/*
 * The two steps: an O_PATH descriptor checked by acceptable(), then the
 * descriptor for reading, which must be the same inode.
 */
static int checked_open(enum how how, int dirfd, const char *name)
{
	struct stat st, st2;
	int pfd = open_as(how, dirfd, name, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	int fd = -1;
	if (fstat(pfd, &st) == 0 && acceptable(pfd, &st))
		fd = open_as(how, dirfd, name, OPEN_FLAGS);
	else
		errno = EACCES;
	close(pfd);
	if (fd >= 0 && (fstat(fd, &st2) != 0 || st2.st_dev != st.st_dev ||
			st2.st_ino != st.st_ino)) {
		close(fd);
		errno = EACCES;
		fd = -1;
	}
	return fd;
}

/* Whether openat2 may be tried: CORONER_NO_OPENAT2 in the environment
 * forces the userspace walk (for its tests). */
static bool use_openat2(void)
{
	const char *e = getenv("CORONER_NO_OPENAT2");
	return !e || !e[0];
}

int cr_safe_open(const char *root, const char *name)
{
	if (!name || !name[0]) {
		errno = ENOENT;
		return -1;
	}
	if (!root)	/* the user's own name: as given, checked the same */
		return checked_open(PLAIN, AT_FDCWD, name);
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	int fd = -1;
	if (use_openat2())
		fd = checked_open(IN_ROOT, rootfd, name);
	if (fd < 0 && (!use_openat2() || errno == ENOSYS || errno == EPERM)) {
		int parent;
		char last[NAME_MAX + 1];
		if (walk_in_root(rootfd, name, &parent, last)) {
			fd = checked_open(NOFOLLOW, parent, last);
			close(parent);
		}
	}
	int saved = errno;
	close(rootfd);
	errno = saved;
	return fd;
}
