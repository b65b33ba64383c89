/*
 * minidump.h - private declarations shared by the minidump reader's files.
 *
 * The reader is split by stream family: minidump.c (header, directory,
 * strings, the order streams are read in, md_read), minidump_system.c
 * (SystemInfo, MiscInfo, Exception, BreakpadInfo, AssertionInfo,
 * CrashpadInfo), minidump_threads.c (ThreadList, ThreadInfoList,
 * ThreadNames), minidump_context.c (CPU contexts into DWARF registers),
 * minidump_modules.c (ModuleList, UnloadedModuleList, CodeView records),
 * minidump_memory.c (MemoryList, Memory64List, MemoryInfoList) and
 * minidump_linux.c (the Breakpad Linux /proc text streams).
 *
 * Layouts come from the public descriptions: Microsoft's minidumpapiset.h
 * documentation (MINIDUMP_HEADER, MINIDUMP_DIRECTORY, MINIDUMP_THREAD...),
 * Breakpad's src/google_breakpad/common/minidump_format.h and
 * minidump_cpu_*.h, and rust-minidump's minidump-common/src/format.rs.
 * All multi-byte fields are little-endian.  Every byte is read through a
 * struct cr_cursor over the mapped file; every RVA and size taken from the
 * file goes through md_sub()/cr_cursor_sub(), which checks it against the
 * file without wrapping.
 *
 * A damaged stream never stops the reader: the stream's function records a
 * problem ("minidump ThreadList (stream 2): ...") with cr_dump_problem() and
 * returns; only an unusable header or directory makes md_read() fail.
 */
#ifndef CR_MINIDUMP_H
#define CR_MINIDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dump.h"

/* --- format constants ---------------------------------------------------- */

#define MD_SIGNATURE 0x504d444du	/* "MDMP" read as a little-endian u32 */
#define MD_VERSION 0xa793u		/* low 16 bits of MINIDUMP_HEADER.Version */
#define MD_HEADER_SIZE 32u
#define MD_DIRENT_SIZE 12u		/* MINIDUMP_DIRECTORY */

enum md_stream_type {
	MD_STREAM_UNUSED = 0,
	MD_STREAM_THREAD_LIST = 3,
	MD_STREAM_MODULE_LIST = 4,
	MD_STREAM_MEMORY_LIST = 5,
	MD_STREAM_EXCEPTION = 6,
	MD_STREAM_SYSTEM_INFO = 7,
	MD_STREAM_MEMORY64_LIST = 9,
	MD_STREAM_HANDLE_DATA = 12,
	MD_STREAM_UNLOADED_MODULE_LIST = 14,
	MD_STREAM_MISC_INFO = 15,
	MD_STREAM_MEMORY_INFO_LIST = 16,
	MD_STREAM_THREAD_INFO_LIST = 17,
	MD_STREAM_THREAD_NAMES = 24,
	MD_STREAM_BREAKPAD_INFO = 0x47670001,
	MD_STREAM_ASSERTION_INFO = 0x47670002,
	MD_STREAM_LINUX_CPU_INFO = 0x47670003,
	MD_STREAM_LINUX_PROC_STATUS = 0x47670004,
	MD_STREAM_LINUX_LSB_RELEASE = 0x47670005,
	MD_STREAM_LINUX_CMD_LINE = 0x47670006,
	MD_STREAM_LINUX_ENVIRON = 0x47670007,
	MD_STREAM_LINUX_AUXV = 0x47670008,
	MD_STREAM_LINUX_MAPS = 0x47670009,
	MD_STREAM_LINUX_DSO_DEBUG = 0x4767000a,
	MD_STREAM_CRASHPAD_INFO = 0x43500001,
};

/* MINIDUMP_SYSTEM_INFO.ProcessorArchitecture */
enum md_cpu_arch {
	MD_CPU_X86 = 0,
	MD_CPU_PPC = 3,
	MD_CPU_ARM = 5,
	MD_CPU_AMD64 = 9,
	MD_CPU_X86_WIN64 = 10,	/* WoW64: x86 contexts */
	MD_CPU_ARM64 = 12,
	MD_CPU_PPC64 = 0x8002,	/* Breakpad-defined */
	MD_CPU_ARM64_OLD = 0x8003,	/* Breakpad-defined, old ARM64 context */
	MD_CPU_UNKNOWN = 0xffff,
};

/* MINIDUMP_SYSTEM_INFO.PlatformId (VER_PLATFORM_* and Breakpad's values) */
enum md_platform {
	MD_OS_WIN32S = 0,
	MD_OS_WIN32_WINDOWS = 1,
	MD_OS_WIN32_NT = 2,
	MD_OS_WIN32_CE = 3,
	MD_OS_UNIX = 0x8000,
	MD_OS_MAC_OS_X = 0x8101,
	MD_OS_IOS = 0x8102,
	MD_OS_LINUX = 0x8201,
	MD_OS_SOLARIS = 0x8202,
	MD_OS_ANDROID = 0x8203,
	MD_OS_PS3 = 0x8204,
	MD_OS_NACL = 0x8205,
	MD_OS_FUCHSIA = 0x8206,
};

/* Limits of our own, beyond dump.h's. */
#define MD_MAX_STREAMS 100000		/* directory entries we look at */
#define MD_MAX_MEMORY_RANGES CR_MAX_REGIONS
/* Bytes compared, per sort of the memory ranges, to tell a range listed
 * twice from two that disagree (minidump_memory.c, same_bytes). */
#define MD_DUP_COMPARE_BUDGET (64ull << 20)
#define MD_MAX_ANNOTATIONS 10000
#define MD_MAX_AUXV 4096
#define MD_MAX_MAPS_LINE 8192		/* longest /proc/PID/maps line */
/*
 * Strings read from the file may total the file's size plus this many
 * bytes (md_charge_string): records may share one string, so without a
 * total a small file could make us copy count x length bytes.
 */
#define MD_STRING_SLACK (1u << 20)

/* --- reader state --------------------------------------------------------- */

/* One directory entry as the file has it. */
struct md_stream {
	uint32_t type;
	uint32_t size;
	uint32_t rva;
	uint32_t index;		/* position in the directory */
	bool used;		/* a reader in this program looked at it */
	bool superseded;	/* a later entry has the same type */
};


/*
 * The reader's state, kept in d->reader_state after md_read() returns (the
 * directory is useful to tests and to a future "--dump" mode) and freed by
 * md_state_free() through d->reader_free.
 */
struct md_state {
	struct cr_dump *d;
	struct cr_cursor file;	/* the whole file */

	uint32_t version;
	uint32_t stream_count;	/* as the header claims */
	struct md_stream *streams;	/* entries that could be read */
	size_t nstreams;

	/* From SystemInfo (read first). */
	bool have_system_info;
	uint16_t cpu_arch;	/* enum md_cpu_arch */
	uint32_t platform;	/* enum md_platform */
	bool context_arch_guessed;

	/* Which producer wrote the dump, from its extension streams. */
	bool breakpad;
	bool crashpad;

	/* BreakpadInfo's thread ids (the model keeps dump_tid in the event). */
	bool dump_tid_known;
	uint32_t dump_tid;	/* Breakpad: the thread that wrote the dump */
	bool requesting_tid_known;
	uint32_t requesting_tid;
	bool annotations_dropped;	/* past MD_MAX_ANNOTATIONS (said once) */
	uint64_t string_budget;		/* file bytes strings may still take */

	/* Thread stacks from the ThreadList, added to the memory segments
	 * that the memory lists lack (md_finish_memory). */
	struct md_stack {
		uint64_t start;
		uint32_t size, rva;
	} *stacks;
	size_t nstacks;
	/* Thread ids sorted, for lookups by tid (md_thread_by_tid). */
	struct md_tid_index {
		uint32_t tid;
		size_t idx;
	} *tid_index;
};

/* --- minidump.c ---------------------------------------------------------- */

/* The reader's name for a stream type ("ThreadList"), NULL if unknown. */
const char *md_stream_name(uint32_t type);
/*
 * Record a problem about stream S: "minidump ThreadList (stream 2 at
 * 0x1c0): ...", of warning severity at the stream's offset.
 */
void md_problem(struct md_state *md, const struct md_stream *s,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with a severity and place (diag.h); CR_AT(sev) places it at
 * the stream's offset. */
void md_problem_at(struct md_state *md, const struct md_stream *s,
		   const struct cr_diag_at *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Record ERR's message as an error-severity problem of stream S and free
 * ERR: the stream (or the rest of it) is not read. */
void md_fail(struct md_state *md, const struct md_stream *s,
	     struct cr_error *err);
/* Free ERR, which the caller may ignore (a read that cannot fail). */
void md_ignore(struct cr_error *err);
/* A cursor over the bytes of stream S (recording a problem on failure). */
bool md_stream_cursor(struct md_state *md, const struct md_stream *s,
		      struct cr_cursor *out);
/* A cursor over [RVA, RVA+SIZE) of the file; WHAT names it in messages. */
struct cr_error *md_sub(struct md_state *md, uint64_t rva, uint64_t size,
			const char *what, struct cr_cursor *out);
/*
 * For a list stream whose COUNT (already read) is followed by entries of
 * ENTRY_SIZE bytes at C's position: skip the 4 padding bytes some writers
 * put after a 32-bit count (Breakpad's minidump.cc tolerates them too), and
 * return how many entries to read: COUNT, or fewer (with a problem) when
 * the stream cannot hold them or MAX is exceeded.  WHAT: "threads".
 */
size_t md_list_entries(struct md_state *md, const struct md_stream *s,
		       struct cr_cursor *c, uint64_t count, uint32_t entry_size,
		       size_t max, const char *what);
/*
 * Read the MINIDUMP_STRING (u32 byte length, then UTF-16LE) at RVA into a
 * new UTF-8 string (capped at CR_MAX_STRING bytes).  RVA 0 gives NULL and no
 * error (the field is absent).
 */
struct cr_error *md_read_string(struct md_state *md, uint64_t rva, char **out);
/*
 * Account for N bytes of file strings about to be copied; an error once the
 * total passes the file's size plus MD_STRING_SLACK (the string is then not
 * read).  md_read_string() and md_read_utf8_string() call it themselves.
 */
struct cr_error *md_charge_string(struct md_state *md, uint64_t n);
/* The same for Crashpad's MinidumpUTF8String (u32 length, bytes, NUL). */
struct cr_error *md_read_utf8_string(struct md_state *md, uint64_t rva,
				     char **out);
/*
 * Convert N UTF-16LE code units at P to a new UTF-8 string, stopping at a
 * NUL unit; unpaired surrogates become U+FFFD.  NULL when out of memory.
 */
char *md_utf16_to_utf8(const uint8_t *p, size_t n);
/* Format a GUID (16 bytes as in the file) as Breakpad prints debug ids. */
void md_format_guid(const uint8_t g[16], bool dashes, char out[37]);
/* Seconds since 1970 from a Windows FILETIME (100 ns since 1601), -1 if 0. */
int64_t md_filetime_to_unix(uint64_t ft);

/* --- per-family readers: each reads one stream into md->d -------------- */

void md_read_system_info(struct md_state *md, const struct md_stream *s);
void md_read_misc_info(struct md_state *md, const struct md_stream *s);
void md_read_exception(struct md_state *md, const struct md_stream *s);
void md_read_breakpad_info(struct md_state *md, const struct md_stream *s);
void md_read_assertion_info(struct md_state *md, const struct md_stream *s);
void md_read_crashpad_info(struct md_state *md, const struct md_stream *s);
void md_read_handle_data(struct md_state *md, const struct md_stream *s);

void md_read_thread_list(struct md_state *md, const struct md_stream *s);
/* The model thread with id TID, NULL when the thread list has none. */
struct cr_thread *md_thread_by_tid(struct md_state *md, uint32_t tid);
void md_read_thread_info_list(struct md_state *md, const struct md_stream *s);
/*
 * After all streams: a thread without a CPU context is a fact about that
 * thread (its stack says so), but a dump in which no thread has one, or
 * whose exception's thread has none, is damaged: an error problem then.
 */
void md_check_contexts(struct md_state *md);
void md_read_thread_names(struct md_state *md, const struct md_stream *s);

void md_read_module_list(struct md_state *md, const struct md_stream *s);
void md_read_unloaded_module_list(struct md_state *md,
				  const struct md_stream *s);

void md_read_memory_list(struct md_state *md, const struct md_stream *s);
void md_read_memory64_list(struct md_state *md, const struct md_stream *s);
void md_read_memory_info_list(struct md_state *md, const struct md_stream *s);
/* After all streams: add thread stacks missing from the memory lists, drop
 * overlapping ranges, mark captured regions. */
void md_finish_memory(struct md_state *md);

void md_read_linux_cpu_info(struct md_state *md, const struct md_stream *s);
void md_read_linux_proc_status(struct md_state *md, const struct md_stream *s);
void md_read_linux_lsb_release(struct md_state *md, const struct md_stream *s);
void md_read_linux_cmd_line(struct md_state *md, const struct md_stream *s);
void md_read_linux_auxv(struct md_state *md, const struct md_stream *s);
void md_read_linux_maps(struct md_state *md, const struct md_stream *s);

/* --- minidump_context.c -------------------------------------------------- */

/* The model's architecture for a MINIDUMP_SYSTEM_INFO processor value. */
enum cr_arch md_arch_from_cpu(uint16_t cpu_arch);
/*
 * Decode the CPU context at LOC (size, rva) into REGS for the dump's
 * architecture.  WHO names the owner in problems ("thread 3 (tid 0xbf4)").
 * Returns false (and records a problem) when the context is absent, out of
 * the file, of the wrong size or for another CPU; REGS is then empty.
 */
bool md_read_context(struct md_state *md, uint32_t size, uint32_t rva,
		     const char *who, struct cr_regs *regs);

#endif
