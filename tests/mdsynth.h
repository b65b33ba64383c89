/*
 * mdsynth.h - a tiny minidump writer, for tests only.
 *
 * Tests build a minidump in memory stream by stream, including broken ones,
 * and hand the bytes to cr_dump_from_buffer().  The file is laid out as the
 * 32-byte MINIDUMP_HEADER, then every blob and stream in the order they
 * were added (each 4-byte aligned), then the directory, which mds_finish()
 * writes last.  Blobs (strings, contexts, stack bytes) are appended first
 * and return their RVA, so that a stream can refer to them.
 *
 * Everything is little-endian.  Out of memory aborts the test program.
 */
#ifndef MDSYNTH_H
#define MDSYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MDS_MAX_STREAMS 64

/* A growing byte buffer: the contents of one stream or structure. */
struct mds_buf {
	uint8_t *p;
	size_t len, cap;
};

void mdb_u8(struct mds_buf *b, uint8_t v);
void mdb_u16(struct mds_buf *b, uint16_t v);
void mdb_u32(struct mds_buf *b, uint32_t v);
void mdb_u64(struct mds_buf *b, uint64_t v);
void mdb_bytes(struct mds_buf *b, const void *p, size_t n);
void mdb_zero(struct mds_buf *b, size_t n);
/* Overwrite N (1, 2, 4, 8) bytes at OFF with V (OFF + N <= len). */
void mdb_put_at(struct mds_buf *b, size_t off, unsigned n, uint64_t v);
void mdb_free(struct mds_buf *b);

/* Where a blob lies: MINIDUMP_LOCATION_DESCRIPTOR. */
struct mds_loc {
	uint32_t size, rva;
};

struct mds {
	struct mds_buf file;
	struct {
		uint32_t type, size, rva;
	} dir[MDS_MAX_STREAMS];
	unsigned ndir;
	uint32_t version;	/* default 0xa793 */
	uint32_t time_stamp;	/* default 1600000000 */
	/* Malformed-file knobs applied by mds_finish(). */
	bool set_count;
	uint32_t count;		/* stream count to claim */
	bool set_dir_rva;
	uint32_t dir_rva;	/* directory RVA to claim */
	/* Room for the directory right after the header (as dbghelp lays
	 * files out), when mds_reserve_directory() was called. */
	uint32_t reserved_rva;
	unsigned reserved_n;
};

void mds_init(struct mds *m);
void mds_free(struct mds *m);
/* Put the directory (up to N entries) right after the header instead of at
 * the end; call first, right after mds_init(). */
void mds_reserve_directory(struct mds *m, unsigned n);
/* Append N bytes (4-aligned); return their RVA. */
uint32_t mds_blob(struct mds *m, const void *p, size_t n);
/* Append B's bytes and free B; return their location. */
struct mds_loc mds_put(struct mds *m, struct mds_buf *b);
/* Append B as a stream of TYPE (frees B). */
void mds_stream(struct mds *m, uint32_t type, struct mds_buf *b);
/* A directory entry with any size and RVA (for broken files). */
void mds_stream_raw(struct mds *m, uint32_t type, uint32_t size, uint32_t rva);
/* MINIDUMP_STRING of UTF-8 S (converted to UTF-16LE); its RVA. */
uint32_t mds_string(struct mds *m, const char *s);
/* Crashpad MinidumpUTF8String (u32 length, bytes, NUL); its RVA. */
uint32_t mds_utf8(struct mds *m, const char *s);
/* Write the header and directory; the file stays owned by M. */
const uint8_t *mds_finish(struct mds *m, size_t *len);

/* --- CPU contexts ---------------------------------------------------------- */

/* amd64 CONTEXT (1232 bytes): rax..r15 = 0x1000 + DWARF number. */
struct mds_loc mds_context_amd64(struct mds *m, uint64_t rip, uint64_t rsp,
				 uint64_t rbp);
/* x86 CONTEXT (716 bytes): eax = 0xa0, ecx 0xc0, edx 0xd0, ebx 0xb0. */
struct mds_loc mds_context_x86(struct mds *m, uint32_t eip, uint32_t esp,
			       uint32_t ebp);
/* ARM64 CONTEXT (912 bytes): x0..x28 = 0x100 + n. */
struct mds_loc mds_context_arm64(struct mds *m, uint64_t pc, uint64_t sp,
				 uint64_t fp, uint64_t lr);
/* ARM CONTEXT (368 bytes): r0..r12 = 0x10 + n. */
struct mds_loc mds_context_arm(struct mds *m, uint32_t pc, uint32_t sp,
			       uint32_t lr);
/* A context of SIZE bytes whose first u32 (or u32 at 0x30) is FLAGS. */
struct mds_loc mds_context_raw(struct mds *m, uint32_t size, uint32_t flags,
			       uint32_t flags_off);

/* --- streams --------------------------------------------------------------- */

/* SystemInfo: VENDOR may be NULL (no x86 vendor id), CSD NULL (none). */
void mds_system_info(struct mds *m, uint16_t arch, uint32_t platform,
		     uint32_t major, uint32_t minor, uint32_t build,
		     const char *csd, const char *vendor, uint8_t ncpus);
void mds_misc_info(struct mds *m, uint32_t pid, uint32_t create_time,
		   uint32_t user_s, uint32_t kernel_s);

struct mds_thread {
	uint32_t tid;
	uint64_t stack_start;
	const void *stack;	/* STACK_SIZE bytes, appended as a blob */
	uint32_t stack_size;
	struct mds_loc ctx;
};
/* ThreadList; PAD: add Breakpad's 4 padding bytes after the count. */
void mds_thread_list(struct mds *m, const struct mds_thread *t, size_t n,
		     bool pad);

struct mds_module {
	uint64_t base;
	uint32_t size, stamp;
	const char *name;
	const char *pdb;	/* RSDS record when set */
	uint8_t guid[16];
	uint32_t age;
	const uint8_t *build_id;	/* BpEL record when set */
	size_t build_id_len;
	uint32_t ver_hi, ver_lo;	/* VS_FIXEDFILEINFO when ver_hi */
};
void mds_module_list(struct mds *m, const struct mds_module *mods, size_t n);
/* The usual start of a Windows test dump: SystemInfo of a 4-CPU x64
 * Windows 10 (19045) machine and one module, C:\app\app.exe at
 * 0x140000000 (1 MiB). */
void mds_windows_app(struct mds *m);

struct mds_range {
	uint64_t start;
	const void *bytes;
	uint32_t size;
};
void mds_memory_list(struct mds *m, const struct mds_range *r, size_t n);
void mds_memory64_list(struct mds *m, const struct mds_range *r, size_t n);

void mds_exception(struct mds *m, uint32_t tid, uint32_t code, uint32_t flags,
		   uint64_t address, const uint64_t *params, unsigned nparams,
		   struct mds_loc ctx);

/* A text stream (Linux /proc copies) of TYPE holding TEXT (no NUL). */
void mds_text_stream(struct mds *m, uint32_t type, const char *text);

#endif
