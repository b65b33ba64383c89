/*
 * safe_open.h - open a file whose name came from a dump.
 *
 * Module paths, .gnu_debuglink names and build-id paths come from the dump,
 * which is untrusted: such a name must not make coroner block on a FIFO,
 * act on a device, read /proc/self/mem or leave the directory the user gave
 * (--sysroot, --image-dir, --debug-dir).  Every open of such a name goes
 * through cr_safe_open().
 */
#ifndef CR_SAFE_OPEN_H
#define CR_SAFE_OPEN_H

/* Symlink hops allowed while resolving one name (the kernel's is 40). */
#define CR_SAFE_OPEN_MAX_HOPS 40

/*
 * Open NAME for reading when it is a regular file, resolved inside ROOT as
 * if ROOT were "/": ".." stops at ROOT and absolute symlinks start again at
 * ROOT (openat2's RESOLVE_IN_ROOT; a userspace walk where the kernel lacks
 * openat2 or a seccomp filter refuses it).  ROOT "/" is the host.  ROOT NULL:
 * NAME is the user's own (-e) and is opened as given, with the same checks.
 * Refused (-1, errno set): anything not a regular file, anything on /proc,
 * /dev or /sys.  The file is checked before it is opened (a FIFO is never
 * opened, so it cannot block) and the descriptor again after (the same
 * inode).  Returns a descriptor opened O_RDONLY|O_NONBLOCK|O_NOCTTY|
 * O_CLOEXEC, or -1.
 */
int cr_safe_open(const char *root, const char *name);

#endif
