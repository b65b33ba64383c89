/*
 * elfcore_private.h - what elfcore.c and elfcore_modules.c share: the
 * reader's working state while one core is read.  Not for other files.
 */
#ifndef CR_ELFCORE_PRIVATE_H
#define CR_ELFCORE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gelf.h>

#include "dump.h"
#include "cursor.h"

#define EC_MAX_BUILD_ID 64		/* bytes of a GNU build id */
#define EC_HEADER_PEEK 4096		/* bytes of an in-memory ELF image read */

/* One NT_FILE entry. */
struct ec_file {
	uint64_t start, end, offset;	/* offset in bytes */
	char *path;
};

/* A siginfo_t as the note has it. */
struct ec_siginfo {
	bool have;
	int signo, errno_, code;
	uint64_t addr;
	int64_t pid, uid;
};

/* Raw per-thread values needed after all notes are read. */
struct ec_thread_raw {
	uint64_t utime, stime;		/* microseconds */
	bool have_times;
	struct ec_siginfo si;		/* the NT_SIGINFO after its NT_PRSTATUS */
};

/* A thread's name and state from coroner's note. */
struct ec_thread_name {
	int64_t tid;
	char state;			/* 'R', 'S', ... 0 unknown */
	char *name;
};

/* The reader's working state; lives only during elfcore_read(). */
struct ec {
	struct cr_dump *d;
	Elf *elf;
	bool is64;
	bool big_endian;
	unsigned word;			/* 4 or 8 */
	uint16_t machine;
	size_t phnum;

	size_t note_index;		/* notes seen, for messages */
	bool first_note_seen;
	uint32_t first_note_type;
	uint32_t lead_types[3];		/* types of the first three notes */
	bool saw_kernel_note;		/* NT_PRFPREG, NT_SIGINFO or NT_FILE */

	size_t threads_cap;
	struct ec_thread_raw *raw;	/* parallel to d->threads */
	size_t threads_dropped;

	bool have_prpsinfo;
	char *fname;			/* pr_fname */

	/* An NT_SIGINFO that came before any NT_PRSTATUS. */
	struct ec_siginfo orphan_si;

	struct ec_file *files;
	size_t nfiles;
	uint64_t page_size;

	/* coroner's own note (elfcore_coroner.c). */
	bool coroner;			/* a CORONER note was seen */
	bool have_times;		/* CR_NT_TIMES read */
	uint64_t wall_ns, boot_ns, start_ns, user_us, sys_us;
	struct ec_thread_name *names;
	size_t nnames, names_cap;
};

/* The value of auxv entry TYPE (NT_AUXV); false when it is not there. */
bool elfcore_auxv_get(const struct cr_dump *d, uint64_t type, uint64_t *val);

/*
 * Fill d->modules from the auxv and the link map, NT_FILE and the ELF
 * headers in the dump's memory (elfcore_modules.c; opens no file).  Needs
 * the notes read, the regions annotated and the segments sorted.
 */
void elfcore_find_modules(struct ec *ec);

/*
 * coroner's own note (owner "CORONER", elfcore_notes.h): one note of TYPE
 * (elfcore_coroner.c).  After the threads are read, elfcore_coroner_finish
 * puts what the notes said on the model; elfcore_coroner_free frees them.
 */
void elfcore_note_coroner(struct ec *ec, uint32_t type,
			  const struct cr_cursor *desc);
void elfcore_coroner_finish(struct ec *ec);
void elfcore_coroner_free(struct ec *ec);

#endif
