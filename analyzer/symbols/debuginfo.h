/*
 * debuginfo.h - finding a module's files by build id and .gnu_debuglink,
 * every candidate opened through cr_safe_open() (safe_open.h).
 */
#ifndef CR_DEBUGINFO_H
#define CR_DEBUGINFO_H

#include <stddef.h>
#include <stdint.h>

#include <libelf.h>

#include "analysis.h"

/* Whether ELF (NULL: no) carries the GNU build id ID of LEN bytes. */
bool cr_elf_build_id_is(Elf *elf, const uint8_t *id, size_t len);

/*
 * The build-id trees, in order: each --debug-dir's .build-id, the
 * sysroot's /usr/lib/debug/.build-id, this machine's (a file there is
 * taken only when its build id is the dump's).  Opens ID's file there (SUFFIX "" the binary, ".debug" its debug
 * file) whose own build id is ID.  Returns a descriptor and *FOUND (its
 * path, malloc'd), or -1.
 */
int cr_find_by_build_id(const struct cr_options *o, const uint8_t *id,
			size_t len, const char *suffix, char **found);

/*
 * The separate debug file named DEBUGLINK (only its base name is used: a
 * dump's file must not send us elsewhere) for the file NAME found under
 * ROOT (NULL: NAME as the user gave it), where gdb and eu-stack look: NAME's
 * directory, its .debug/, /usr/lib/debug/<dir>/ (inside ROOT), and each
 * --debug-dir.  A candidate is taken when its build id is ID (ID_LEN > 0)
 * or, without one, when its CRC-32 is CRC.  Returns a descriptor and
 * *FOUND, or -1.
 */
int cr_find_debuglink(const struct cr_options *o, const char *root,
		      const char *name, const char *debuglink, uint32_t crc,
		      const uint8_t *id, size_t id_len, char **found);

/*
 * libdwfl asks find_debuginfo for a dwz file too: the .gnu_debugaltlink
 * (name ALTNAME, and a build id) of FILE, a debug file found earlier.
 * Returns its descriptor and *FOUND (build-id trees first, then ALTNAME
 * inside the sysroot or beside FILE), or -1 when FILE has no such link.
 */
int cr_find_altlink(const struct cr_options *o, const char *file,
		    const char *altname, char **found);

/* ROOT and NAME as one path for the report ("/sysroot" + "/lib/x.so"). */
char *cr_rooted_path(const char *root, const char *name);

#endif
