/*
 * mapguard.h - survive a dump file that shrinks while it is mapped.
 *
 * open.c maps the dump.  If the file is cut while coroner reads it (a
 * download still being written, a log rotation), touching a page past the
 * new end raises SIGBUS.  A guard registers one mapping; a process-wide
 * SIGBUS handler (installed with the first guard) maps zero pages over the
 * part of a guarded mapping that the file no longer backs and lets the
 * faulting read go on.  The guard records the new size, and the memory
 * reads of dump.c stop at it from then on (cr_map_faults tells them to
 * look), so every caller, libelf's and libdwfl's reads of the mapping
 * included, keeps working unchanged.  A fault outside every guarded
 * mapping goes to the handler that was there before (or kills as SIGBUS
 * always did).
 */
#ifndef CR_MAPGUARD_H
#define CR_MAPGUARD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* At most this many mappings are guarded at once (one per open dump);
 * more are mapped without a guard, as before. */
#define CR_MAX_GUARDS 16

struct cr_map_guard;

/*
 * Guarded SIGBUS faults handled so far, in the whole process.  Zero in the
 * normal case: readers test it before doing anything more (one load on the
 * hot path).
 */
extern volatile sig_atomic_t cr_map_faults;

/*
 * Guard the read-only file mapping [BASE, BASE+LEN) of file FD (the guard
 * takes FD over and closes it).  NULL when no guard could be made (the
 * mapping then works as before; FD is closed).
 */
struct cr_map_guard *cr_map_guard_add(void *base, size_t len, int fd);
/* G's file descriptor (for pread()), -1 when G is NULL. */
int cr_map_guard_fd(const struct cr_map_guard *g);
/* Unregister and free G (NULL is fine), before the mapping is unmapped. */
void cr_map_guard_remove(struct cr_map_guard *g);
/* The leading bytes of the mapping the file still backs (its length
 * until a fault). */
size_t cr_map_guard_valid(const struct cr_map_guard *g);
/*
 * True when G's file shrank: a fault was handled in its mapping, or the
 * file is now shorter than the mapping (then the reads are cut there from
 * now on, as after a fault).  Not for the signal handler.
 */
bool cr_map_guard_check(struct cr_map_guard *g);

#endif
