/*
 * dump.h - the neutral dump model.
 *
 * Every reader in formats/ turns one container format (ELF core, minidump)
 * into a struct cr_dump; nothing after a reader knows which format it was.
 * The model holds facts as the dump records them, and says when a fact is
 * not recorded (the *_known flags, -1 for unknown ids): a report must print
 * "not recorded", never a made-up 0.
 *
 * Ownership: a struct cr_dump owns everything reachable from it (strings,
 * arrays, the mapping of the file).  The analysis and the reports borrow it.
 * cr_dump_free() releases it all.
 *
 * Registers are stored in DWARF numbering for the dump's architecture (the
 * numbering libdwfl's unwinder and the psABIs use), so one unwinder serves
 * every format:
 *   x86_64:  0 rax 1 rdx 2 rcx 3 rbx 4 rsi 5 rdi 6 rbp 7 rsp 8-15 r8-r15
 *            16 rip, 49 rflags, 50-55 es cs ss ds fs gs, 58 fs.base 59 gs.base
 *   i386:    0 eax 1 ecx 2 edx 3 ebx 4 esp 5 ebp 6 esi 7 edi 8 eip 9 eflags
 *   aarch64: 0-30 x0-x30, 31 sp, 32 pc (elfutils' number for the pc), 33 pstate
 *   arm:     0-15 r0-r15 (13 sp, 14 lr, 15 pc), 16 cpsr (no DWARF number;
 *            16 is unused by the ARM DWARF numbering)
 * cr_arch_pc_reg()/cr_arch_sp_reg() give the pc and sp numbers.
 *
 * Memory: two separate sorted tables.  `segs` are the byte ranges whose
 * contents are in the dump (PT_LOAD file data, minidump memory lists);
 * `regions` describe the address space (ranges, permissions, file backing),
 * whether or not their bytes were captured.  cr_dump_read() reads the
 * former; cr_dump_region_at() looks up the latter.
 */
#ifndef CR_DUMP_H
#define CR_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "diag.h"

/* Limits on what a dump can make us allocate (named, documented). */
#define CR_MAX_THREADS 100000
#define CR_MAX_MODULES 100000
#define CR_MAX_REGIONS 4000000
#define CR_MAX_PROBLEMS 1000
#define CR_MAX_FACTS 1000	/* other facts (struct cr_fact) kept */
#define CR_MAX_STRING 65536	/* longest string taken from a dump */

enum cr_arch {
	CR_ARCH_UNKNOWN = 0,
	CR_ARCH_X86_64,
	CR_ARCH_X86,
	CR_ARCH_AARCH64,
	CR_ARCH_ARM,
	CR_ARCH_PPC,
	CR_ARCH_PPC64,
	CR_ARCH_S390X,
};

enum cr_os {
	CR_OS_UNKNOWN = 0,
	CR_OS_LINUX,
	CR_OS_WINDOWS,
	CR_OS_MACOS,
	CR_OS_ANDROID,
	CR_OS_OTHER,
};

/* A CPU time as the dump records it. */
struct cr_cpu_time {
	bool known;
	uint64_t usec;
};

#define CR_MAX_REGS 128

struct cr_regs {
	uint64_t v[CR_MAX_REGS];
	uint64_t valid[CR_MAX_REGS / 64];	/* bit n set: v[n] is known */
};

static inline void cr_regs_set(struct cr_regs *r, unsigned n, uint64_t val)
{
	if (n < CR_MAX_REGS) {
		r->v[n] = val;
		r->valid[n / 64] |= 1ull << (n % 64);
	}
}

static inline bool cr_regs_get(const struct cr_regs *r, unsigned n,
			       uint64_t *val)
{
	if (n >= CR_MAX_REGS || !(r->valid[n / 64] & (1ull << (n % 64))))
		return false;
	*val = r->v[n];
	return true;
}

/* Why the dump was taken. */
enum cr_event_kind {
	CR_EVENT_NONE = 0,	/* on demand (gcore, procdump, hang dump) */
	CR_EVENT_SIGNAL,	/* POSIX signal (cores, Linux/mac minidumps) */
	CR_EVENT_EXCEPTION,	/* Windows exception record */
};

#define CR_MAX_EXC_PARAMS 15

struct cr_event {
	enum cr_event_kind kind;
	int64_t tid;		/* thread it happened on, -1 unknown */
	/* CR_EVENT_SIGNAL */
	int signo;
	bool siginfo_known;	/* si_code etc. below are recorded */
	int si_code;
	int si_errno;
	bool fault_addr_known;
	uint64_t fault_addr;	/* si_addr, or the exception's data address */
	bool sender_known;	/* si_pid/si_uid meaningful (SI_USER etc.) */
	int64_t sender_pid;
	int64_t sender_uid;
	/* CR_EVENT_EXCEPTION */
	uint32_t exc_code;
	uint32_t exc_flags;
	uint64_t exc_address;	/* where the exception was raised */
	unsigned exc_nparams;
	uint64_t exc_params[CR_MAX_EXC_PARAMS];
	/*
	 * Minidumps: the registers at the exception (the exception stream's
	 * own context).  Thread `tid`'s regs show that thread later, inside
	 * the handler that wrote the dump; its stack should start from these.
	 */
	bool regs_known;
	struct cr_regs regs;
	/* A failed assertion / invalid-parameter report recorded with the
	 * crash (Breakpad AssertionInfo), NULL none. */
	char *assertion;
	/* The thread that wrote the dump (Breakpad's handler thread). */
	bool dump_tid_known;
	int64_t dump_tid;
};

struct cr_process {
	int64_t pid, ppid;	/* -1 unknown */
	int64_t uid, gid;	/* -1 unknown */
	char *executable;	/* path, NULL unknown */
	char *command_line;	/* arguments joined by spaces, NULL unknown */
	enum cr_os os;
	char *os_version;	/* free text, NULL unknown */
	char *cpu;		/* CPU description, NULL unknown */
	enum cr_arch arch;
	unsigned pointer_size;	/* 4 or 8 */
	unsigned ncpus;		/* processors of the machine, 0 unknown */
	bool big_endian;
	int64_t dump_time;	/* seconds since the epoch, -1 unknown */
	/* Nanoseconds past dump_time, -1 when the producer records whole
	 * seconds only (coroner's own cores record nanoseconds: a series
	 * of dumps a second apart needs better than a second). */
	int64_t dump_time_nsec;
	int64_t start_time;	/* seconds since the epoch, -1 unknown */
	struct cr_cpu_time user, sys;	/* whole process */
};

struct cr_thread {
	int64_t tid;
	char *name;		/* NULL unknown */
	struct cr_regs regs;
	struct cr_cpu_time user, sys;
	bool syscall_known;
	bool in_syscall;	/* stopped inside a system call */
	int64_t syscall_nr;	/* when in_syscall, -1 unknown */
	int signo;		/* signal pending/current for this thread, 0 none */
	uint64_t stack_lo, stack_hi;	/* captured stack range, 0/0 unknown */
	int64_t create_time;	/* seconds since the epoch, -1 unknown */
	uint64_t teb;		/* Windows: the thread environment block
				 * (MINIDUMP_THREAD.Teb), 0 unknown */
};

enum cr_module_kind { CR_MODULE_ELF, CR_MODULE_PE, CR_MODULE_MACHO, CR_MODULE_OTHER };

struct cr_module {
	char *path;		/* as the dump names it */
	uint64_t base;		/* lowest mapped address of the image */
	uint64_t size;
	enum cr_module_kind kind;
	uint8_t *build_id;	/* ELF build id / PE code id bytes, NULL unknown */
	size_t build_id_len;
	char *debug_file;	/* PDB name etc., NULL unknown */
	char *debug_id;		/* Breakpad-style debug id, NULL unknown */
	char *version;		/* NULL unknown */
	bool is_main;		/* the executable */
	/* Breakpad-style code id ("45D35F6C2d000": PE timestamp and size;
	 * ELF: the build id in hex), NULL unknown. */
	char *code_id;
};

#define CR_PROT_R 1u
#define CR_PROT_W 2u
#define CR_PROT_X 4u

/* What backs a region, where the dump says so (a minidump's
 * MINIDUMP_MEMORY_INFO.Type); an ELF core records only file paths
 * (NT_FILE): its regions stay CR_REGION_TYPE_UNKNOWN. */
enum cr_region_type {
	CR_REGION_TYPE_UNKNOWN = 0,
	CR_REGION_TYPE_IMAGE,	/* MEM_IMAGE: a mapped executable image */
	CR_REGION_TYPE_MAPPED,	/* MEM_MAPPED: a mapped view of a section */
	CR_REGION_TYPE_PRIVATE,	/* MEM_PRIVATE: private committed memory */
};

struct cr_region {
	uint64_t start, end;	/* [start, end) */
	bool prot_known;
	unsigned prot;		/* CR_PROT_* */
	char *path;		/* file backing, NULL anonymous/unknown */
	uint64_t file_offset;
	bool captured;		/* some bytes of it are in the dump */
	enum cr_region_type type;
	/* The start of the allocation the region belongs to (a minidump's
	 * AllocationBase: one VirtualAlloc, e.g. a heap segment, may span
	 * regions of different protections), 0 unknown. */
	uint64_t alloc_base;
};

/* Bytes of process memory present in the dump. */
struct cr_memseg {
	uint64_t start;
	uint64_t size;
	const uint8_t *bytes;	/* into the mapping or an owned buffer */
};

struct cr_auxv {
	uint64_t type, value;
};

/* A key/value note the program attached to its crash (Crashpad). */
struct cr_annotation {
	char *module;	/* module that set it, NULL the process itself */
	char *key;	/* NULL: a list annotation (value only) */
	char *value;
};

/*
 * A fact the container records that the model has no field for, kept for
 * display only: nothing after the reader interprets it.  NAME is a short
 * label ("Handles", "stream 0x4d7a0004"), VALUE plain text ("152",
 * "1,234 bytes, not read").  Both are arbitrary text (the report writers
 * escape them).
 */
struct cr_fact {
	char *name;
	char *value;
};

/*
 * A handle the process had open (minidump HandleData stream, written with
 * MiniDumpWithHandleData).  TYPE is the object manager's type name
 * ("Event", "Mutant", "Semaphore", "Thread", "Process", "File"), NAME the
 * object's name; both as recorded, NULL when absent.  A mutant's owner is
 * in the object information of MINIDUMP_HANDLE_DESCRIPTOR_2 (type
 * MiniMutantInformation2), when the dump writer recorded it.
 */
struct cr_handle {
	uint64_t value;		/* the handle value */
	char *type;		/* NULL unknown */
	char *name;		/* NULL unnamed or unknown */
	uint32_t attributes, granted_access;
	bool owner_known;	/* a mutant's owner is recorded below */
	int64_t owner_pid;	/* 0: the mutant is free */
	int64_t owner_tid;
};

#define CR_MAX_HANDLES 100000	/* handles kept (more are counted) */

struct cr_dump {
	char *path;		/* the file as given on the command line */
	uint64_t file_size;
	char *format;		/* "ELF core file", "Windows minidump" (display) */
	char *producer;		/* "Linux kernel", "gdb (gcore)", NULL unknown */
	struct cr_process process;
	struct cr_event event;

	struct cr_thread *threads;
	size_t nthreads;
	struct cr_module *modules;	/* sorted by base */
	size_t nmodules;
	struct cr_region *regions;	/* sorted by start, non-overlapping */
	size_t nregions;
	struct cr_memseg *segs;		/* sorted by start, non-overlapping */
	size_t nsegs;
	struct cr_auxv *auxv;
	size_t nauxv;
	/*
	 * Modules the process had unloaded before the dump (minidump
	 * UnloadedModuleList), in the dump's order; only path, base, size,
	 * kind and code_id are filled.  Not used to look up addresses.
	 */
	struct cr_module *unloaded;
	size_t nunloaded;
	/* Handles sorted by value (minidump HandleData; the reader sorts
	 * them so that cr_dump_handle is a binary search), at most
	 * CR_MAX_HANDLES. */
	struct cr_handle *handles;
	size_t nhandles;
	/* Annotations in file order (cr_dump_add_annotation). */
	struct cr_annotation *annotations;
	size_t nannotations;
	/* Other facts of the container, in the order found (cr_dump_fact). */
	struct cr_fact *facts;
	size_t nfacts;
	size_t facts_dropped;	/* past CR_MAX_FACTS or out of memory */

	/* What could not be read ("thread 7: ..."), with severity and file
	 * offset (diag.h); past CR_MAX_PROBLEMS only counted. */
	struct cr_problems problems;
	const char *reader;	/* static: "elfcore", "minidump" (the origin of
				 * its problems); NULL: "dump" */

	/* Storage owned by the reader. */
	void *map;
	size_t map_len;
	bool map_borrowed;	/* map is the caller's (cr_dump_from_buffer):
				 * cr_dump_free() does not munmap it */
	/* The SIGBUS guard of a mapped dump file (mapguard.h), NULL none;
	 * shrink_noted: the problem line for a shrunk file was added. */
	struct cr_map_guard *guard;
	bool shrink_noted;
	bool identity_only;	/* cr_open_options' */
	void *reader_state;
	void (*reader_free)(void *reader_state);
};

/*
 * Open PATH, recognize its format and read it into a new dump.  A file that
 * is not a dump returns CR_ERR_FORMAT; a damaged dump returns a dump with
 * problems recorded.  The caller frees *OUT with cr_dump_free().
 */
struct cr_error *cr_dump_open(const char *path, struct cr_dump **out);
/* The same from a buffer the caller keeps alive (tests, fuzzers). */
struct cr_error *cr_dump_from_buffer(const uint8_t *buf, size_t len,
				     const char *name, struct cr_dump **out);

/* How to open a dump; a zeroed struct (or NULL) means the defaults. */
struct cr_open_options {
	/* The most bytes a compressed dump may decompress to (on top of the
	 * free space of the temporary directory); 0: 32 GiB
	 * (CR_MAX_DECOMPRESSED_DEFAULT in decompress.h).  Past it: an error
	 * CR_ERR_NOMEM. */
	uint64_t max_decompressed;
	/* Only what tells the process apart (pid, times, executable), for
	 * `coroner batch`'s probe: an ELF core's modules are not looked for
	 * when its AT_EXECFN names the executable by an absolute path (the
	 * executable is that path either way: elfcore.c). */
	bool identity_only;
};
struct cr_error *cr_dump_open_with(const char *path,
				   const struct cr_open_options *o,
				   struct cr_dump **out);
struct cr_error *cr_dump_from_buffer_with(const uint8_t *buf, size_t len,
					  const char *name,
					  const struct cr_open_options *o,
					  struct cr_dump **out);
void cr_dump_free(struct cr_dump *d);

/*
 * If the dump's file shrank while it was read (so far), add the problem
 * line that says so, once.  True when it shrank.  cr_dump_open() calls it;
 * call it again after the analysis (the analysis reads the file too),
 * before the exit status is decided.
 */
bool cr_dump_check_file(struct cr_dump *d);

/* --- helpers for readers ----------------------------------------------- */

struct cr_dump *cr_dump_new(const char *path);
/* Record a problem (printf-style) of warning severity.  Never fails:
 * drops past the limit, counted. */
void cr_dump_problem(struct cr_dump *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with a severity and a place: CR_AT_OFFSET(CR_SEVERITY_ERROR,
 * off) for bytes of the file (source: reader, origin: d->reader). */
void cr_dump_problem_at(struct cr_dump *d, const struct cr_diag_at *at,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Memory ran out and LOST (static: "the PT_LOAD table") is missing from
 * the report; allocates nothing. */
void cr_dump_oom(struct cr_dump *d, const char *lost);
/*
 * Add a fact NAME (copied) with a printf-style value.  Never fails: past
 * CR_MAX_FACTS, or when memory runs out, the fact is dropped and one
 * problem says so.
 */
void cr_dump_fact(struct cr_dump *d, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Append an annotation, taking ownership of MODULE, KEY and VALUE (any may
 * be NULL; they are freed on failure).  False when out of memory.
 */
bool cr_dump_add_annotation(struct cr_dump *d, char *module, char *key,
			    char *value);
/* Free the strings a module owns (not M itself). */
void cr_module_clear(struct cr_module *m);
/* Sort segs/regions/modules by address and drop overlaps (noting them). */
void cr_dump_finish(struct cr_dump *d);

/* --- queries ------------------------------------------------------------ */

/*
 * Copy up to LEN bytes of process memory at ADDR into BUF.  Returns the
 * number of bytes copied: it stops at the first byte that is not in the
 * dump (0 if ADDR itself is not).
 */
size_t cr_dump_read(const struct cr_dump *d, uint64_t addr, void *buf,
		    size_t len);
/* The same for bytes read once, scattered over the dump: copied from the
 * file without mapping their pages into the process (pread()). */
size_t cr_dump_read_cold(const struct cr_dump *d, uint64_t addr, void *buf,
			 size_t len);
/* A pointer to LEN bytes at ADDR if they lie in one segment, else NULL. */
const uint8_t *cr_dump_ptr(const struct cr_dump *d, uint64_t addr, size_t len);
/* The index of the first segment ending above ADDR (d->nsegs: none), for
 * walking the captured bytes from ADDR on, segment by segment. */
size_t cr_dump_seg_from(const struct cr_dump *d, uint64_t addr);
/*
 * The registers thread T's stack starts from: the event's own context for
 * the thread it happened on when the dump records one (a minidump's
 * exception context; the thread list shows that thread later, inside the
 * handler that wrote the dump), else the thread's.  One rule for the
 * unwinder, the passes and the reports' register tables.
 */
static inline const struct cr_regs *cr_thread_regs(const struct cr_dump *d,
						   const struct cr_thread *t)
{
	if (d->event.regs_known && d->event.tid >= 0 && t->tid == d->event.tid)
		return &d->event.regs;
	return &t->regs;
}

/* The handle of value VALUE, NULL when the dump records none (a binary
 * search: d->handles is sorted by value). */
const struct cr_handle *cr_dump_handle(const struct cr_dump *d,
				       uint64_t value);
/* qsort/bsearch order of handles: by value (a value a damaged stream
 * names twice: either one). */
int cr_handle_order(const void *x, const void *y);

/* Read a pointer-sized word in the dump's byte order. */
bool cr_dump_read_word(const struct cr_dump *d, uint64_t addr, uint64_t *out);
/* Read a NUL-terminated string of at most MAX bytes; malloc'd or NULL. */
char *cr_dump_read_string(const struct cr_dump *d, uint64_t addr, size_t max);

/*
 * Drop this process's mappings of the dump pages read so far; they stay in
 * the page cache and are mapped again if read again.  The analyzer calls it
 * between threads so that resident memory stays bounded by what one walk
 * touches, not by all the stacks of a big dump (the kernel maps 64 KiB
 * around every page fault).  Does nothing for a buffer the caller owns.
 */
void cr_dump_trim(const struct cr_dump *d);

/* The number of regions that start at or below ADDR: regions[i - 1] is the
 * last one that may contain ADDR, regions[i] the first above it. */
size_t cr_dump_region_rank(const struct cr_dump *d, uint64_t addr);
const struct cr_region *cr_dump_region_at(const struct cr_dump *d,
					  uint64_t addr);
const struct cr_module *cr_dump_module_at(const struct cr_dump *d,
					  uint64_t addr);
const struct cr_thread *cr_dump_thread_by_tid(const struct cr_dump *d,
					      int64_t tid);

/* --- architecture facts -------------------------------------------------- */

const char *cr_arch_name(enum cr_arch a);	/* "x86_64", "aarch64", ... */
const char *cr_os_name(enum cr_os os);
unsigned cr_arch_pc_reg(enum cr_arch a);
unsigned cr_arch_sp_reg(enum cr_arch a);
unsigned cr_arch_fp_reg(enum cr_arch a);	/* frame pointer register */
/* The DWARF name of register N ("rip"), NULL when it has none. */
const char *cr_arch_reg_name(enum cr_arch a, unsigned n);
/* The thread's pc/sp, false when not recorded. */
bool cr_thread_pc(const struct cr_dump *d, const struct cr_thread *t,
		  uint64_t *pc);
bool cr_thread_sp(const struct cr_dump *d, const struct cr_thread *t,
		  uint64_t *sp);

#endif
