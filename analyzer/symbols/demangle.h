/*
 * demangle.h - C++ symbol names in plain words, through libstdc++'s
 * demangler opened when a dump first needs it (formats/dynlib.h).
 *
 * libstdc++ served coroner only for __cxa_demangle, and linked it cost
 * every run its loading (about 3 ms on the project's VM, a fifth of a
 * small core's analysis: tests/bench/README.md), most of them for
 * programs written in C.  A dump of a C++ program has the C++ runtime
 * among its modules: cr_demangle_prefetch then has it loaded in the
 * background while the dump's modules are reported, before the first
 * name is looked up.
 */
#ifndef CR_DEMANGLE_H
#define CR_DEMANGLE_H

#include "dump.h"

/*
 * The demangled form of the Itanium C++ ABI name MANGLED ("_Z..."),
 * malloc'ed; NULL when it is not one, memory ran out or libstdc++ cannot
 * be loaded (cr_demangle_error says why).
 */
char *cr_demangle(const char *mangled);
/* Why libstdc++ could not be loaded (NULL: it was, or was not tried). */
const char *cr_demangle_error(void);
/* Start loading the demangler when dump D is of a C++ program. */
void cr_demangle_prefetch(const struct cr_dump *d);

#endif
