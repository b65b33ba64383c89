/*
 * dynlib_populate.h - the writable pages of a library being loaded made
 * present in one call while the dynamic loader relocates them
 * (dynlib_populate.c says why and how).
 */
#ifndef CR_DYNLIB_POPULATE_H
#define CR_DYNLIB_POPULATE_H

#include <stddef.h>

/* Around one dlopen() on this thread: start before it, stop after. */
void cr_dynlib_populate_start(void);
void cr_dynlib_populate_stop(void);
/* Pages this thread's last load made present (tests/test_dynlib.c). */
size_t cr_dynlib_populate_pages(void);
/* Tests: how many loads started populating, in any thread. */
unsigned long cr_dynlib_populate_starts(void);
/* Tests: the pages populated for the lines of maps text read from FD. */
size_t cr_dynlib_populate_scan(int fd);

#endif
