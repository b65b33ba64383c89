/*
 * readers.h - the entry points of the format readers, called by open.c
 * once it has recognized a file's magic.
 */
#ifndef CR_READERS_H
#define CR_READERS_H

#include "dump.h"

struct cr_error *elfcore_read(struct cr_dump *d);
struct cr_error *md_read(struct cr_dump *d);

#endif
