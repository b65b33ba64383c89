/*
 * coresynth.h - the ELF header of a small x86_64 core for the C unit tests
 * that write cores byte by byte (test_elfcore.c, test_mapguard.c).  The
 * python tests write theirs with tests/hostile/corewriter.py.
 */
#ifndef CR_TEST_CORESYNTH_H
#define CR_TEST_CORESYNTH_H

#include <elf.h>
#include <string.h>

/* A little-endian x86_64 ET_CORE header with PHNUM program headers right
 * after it. */
static inline Elf64_Ehdr coresynth_ehdr(unsigned phnum)
{
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)phnum;
	return eh;
}

#endif
