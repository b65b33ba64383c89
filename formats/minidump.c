/*
 * minidump.c - the minidump reader: header, stream directory, strings, and
 * the order in which streams are read into the dump model.
 *
 * A minidump (Microsoft's MINIDUMP_HEADER, also written by Breakpad and
 * Crashpad on Linux, macOS and Android) is a 32-byte header, a directory of
 * (stream type, size, RVA) entries and the streams themselves, which refer
 * to each other's data by 32-bit (sometimes 64-bit) file offsets, "RVAs".
 * Nothing in the file is trusted: each RVA and size is checked against the
 * mapped file through the cursor (cursor.h) before a byte is read.
 *
 * Streams depend on each other: contexts need the CPU from SystemInfo,
 * thread names and times need the thread list, Crashpad's per-module
 * annotations need the module list, the crash address needs the pointer
 * size.  So md_read() does not read the directory in file order but walks
 * a table of stream types in dependency order, reading for each type the
 * LAST directory entry of that type (as rust-minidump does; the others are
 * noted as problems).  Types the table does not read are kept in the
 * reader's directory copy (struct md_state) and listed by type and size
 * among the dump's facts (d->facts): an unknown stream is not a problem.
 */
#include "minidump.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readers.h"
#include "util.h"

/* Stream readers in the order they must run (see the file comment). */
static const struct md_stream_reader {
	uint32_t type;
	const char *name;
	void (*read)(struct md_state *md, const struct md_stream *s);
} md_readers[] = {
	{ MD_STREAM_SYSTEM_INFO, "SystemInfo", md_read_system_info },
	{ MD_STREAM_BREAKPAD_INFO, "BreakpadInfo", md_read_breakpad_info },
	{ MD_STREAM_MISC_INFO, "MiscInfo", md_read_misc_info },
	{ MD_STREAM_THREAD_LIST, "ThreadList", md_read_thread_list },
	{ MD_STREAM_THREAD_INFO_LIST, "ThreadInfoList", md_read_thread_info_list },
	{ MD_STREAM_THREAD_NAMES, "ThreadNames", md_read_thread_names },
	{ MD_STREAM_MODULE_LIST, "ModuleList", md_read_module_list },
	{ MD_STREAM_UNLOADED_MODULE_LIST, "UnloadedModuleList",
	  md_read_unloaded_module_list },
	{ MD_STREAM_MEMORY_LIST, "MemoryList", md_read_memory_list },
	{ MD_STREAM_MEMORY64_LIST, "Memory64List", md_read_memory64_list },
	/* LinuxMaps before MemoryInfoList: maps carry file paths. */
	{ MD_STREAM_LINUX_MAPS, "LinuxMaps", md_read_linux_maps },
	{ MD_STREAM_MEMORY_INFO_LIST, "MemoryInfoList", md_read_memory_info_list },
	{ MD_STREAM_EXCEPTION, "Exception", md_read_exception },
	{ MD_STREAM_ASSERTION_INFO, "AssertionInfo", md_read_assertion_info },
	{ MD_STREAM_CRASHPAD_INFO, "CrashpadInfo", md_read_crashpad_info },
	{ MD_STREAM_HANDLE_DATA, "HandleData", md_read_handle_data },
	{ MD_STREAM_LINUX_CPU_INFO, "LinuxCpuInfo", md_read_linux_cpu_info },
	{ MD_STREAM_LINUX_PROC_STATUS, "LinuxProcStatus",
	  md_read_linux_proc_status },
	{ MD_STREAM_LINUX_LSB_RELEASE, "LinuxLsbRelease",
	  md_read_linux_lsb_release },
	{ MD_STREAM_LINUX_CMD_LINE, "LinuxCmdLine", md_read_linux_cmd_line },
	{ MD_STREAM_LINUX_AUXV, "LinuxAuxv", md_read_linux_auxv },
	/*
	 * Known, deliberately not read: the environment has no place in the
	 * model (and often holds secrets); the DSO list (r_debug link map)
	 * repeats the module list.
	 */
	{ MD_STREAM_LINUX_ENVIRON, "LinuxEnviron", NULL },
	{ MD_STREAM_LINUX_DSO_DEBUG, "LinuxDsoDebug", NULL },
};

/*
 * Stream types this reader does not read but can name, so that the list of
 * unread streams (md_list_unread) says what they are.  From Microsoft's
 * MINIDUMP_STREAM_TYPE and rust-minidump's format.rs (Chromium "Kk" and
 * Mozilla "Mz" extensions).
 */
static const struct {
	uint32_t type;
	const char *name;
} md_unread_names[] = {
	{ 8, "ThreadExList" },
	{ 10, "CommentStreamA" },
	{ 11, "CommentStreamW" },
	{ 13, "FunctionTable" },
	{ 18, "HandleOperationList" },
	{ 19, "Token" },
	{ 20, "JavaScriptData" },
	{ 21, "SystemMemoryInfo" },
	{ 22, "ProcessVmCounters" },
	{ 23, "IptTrace" },
	{ 0x4b6b0002, "StabilityReport" },
	{ 0x4d7a0001, "MozMacosCrashInfo" },
	{ 0x4d7a0002, "MozMacosBootargs" },
	{ 0x4d7a0003, "MozLinuxLimits" },
	{ 0x4d7a0004, "MozSoftErrors" },
};

const char *md_stream_name(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_LEN(md_readers); i++)
		if (md_readers[i].type == type)
			return md_readers[i].name;
	for (size_t i = 0; i < ARRAY_LEN(md_unread_names); i++)
		if (md_unread_names[i].type == type)
			return md_unread_names[i].name;
	return NULL;
}

/* Whether this reader reads streams of TYPE (its md_readers entry has a
 * function). */
static bool md_reads(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_LEN(md_readers); i++)
		if (md_readers[i].type == type)
			return md_readers[i].read != NULL;
	return false;
}

/* The line of a problem about stream S (or the dump) into D's list; with
 * no place of its own, it is at the stream's offset. */
static void md_vproblem(struct md_state *md, const struct md_stream *s,
			const struct cr_diag_at *at, const char *fmt,
			va_list ap)
{
	char *msg = cr_strdup_vprintf(fmt, ap);
	struct cr_diag_at where = *at;
	if (s && where.place == CR_PLACE_NONE) {
		where.place = CR_PLACE_OFFSET;
		where.where = s->rva;
	}
	const char *name = s ? md_stream_name(s->type) : NULL;
	if (!msg)
		cr_dump_oom(md->d, "problem texts");
	if (!s)
		cr_dump_problem_at(md->d, &where, "minidump: %s", msg ? msg : fmt);
	else if (name)
		cr_dump_problem_at(md->d, &where, "minidump %s (stream %u at 0x%x): %s",
				   name, s->index, s->rva, msg ? msg : fmt);
	else
		cr_dump_problem_at(md->d, &where,
				   "minidump stream 0x%x (stream %u at 0x%x): %s",
				   s->type, s->index, s->rva, msg ? msg : fmt);
	free(msg);
}

void md_problem(struct md_state *md, const struct md_stream *s,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	md_vproblem(md, s, CR_AT(CR_SEVERITY_WARNING), fmt, ap);
	va_end(ap);
}

void md_problem_at(struct md_state *md, const struct md_stream *s,
		   const struct cr_diag_at *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	md_vproblem(md, s, at, fmt, ap);
	va_end(ap);
}

/* Record ERR as a problem of stream S (or of the dump) and free it. */
static void md_problem_err(struct md_state *md, const struct md_stream *s,
			   struct cr_error *err)
{
	md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
	cr_error_free(err);
}

struct cr_error *md_sub(struct md_state *md, uint64_t rva, uint64_t size,
			const char *what, struct cr_cursor *out)
{
	return cr_cursor_sub(&md->file, rva, size, what, out);
}

void md_fail(struct md_state *md, const struct md_stream *s,
	     struct cr_error *err)
{
	md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
	cr_error_free(err);
}

void md_ignore(struct cr_error *err)
{
	cr_error_free(err);
}

bool md_stream_cursor(struct md_state *md, const struct md_stream *s,
		      struct cr_cursor *out)
{
	struct cr_error *err = md_sub(md, s->rva, s->size, "stream", out);
	if (err) {
		md_problem_err(md, s, err);
		return false;
	}
	return true;
}

/* Append code point CP as UTF-8 to OUT (room checked by the caller). */
static size_t put_utf8(uint8_t *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

char *md_utf16_to_utf8(const uint8_t *p, size_t n)
{
	/* At most 3 bytes per unit (a surrogate pair: 4 bytes for 2 units). */
	size_t cap = n < CR_MAX_STRING ? n * 3 : (size_t)CR_MAX_STRING * 3;
	uint8_t *s = malloc(cap + 1), *o = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t u = p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		if (u == 0)
			break;
		uint32_t cp = u;
		if (u >= 0xd800 && u < 0xdc00 && i + 1 < n) {
			uint32_t lo = p[2 * i + 2] | (uint32_t)p[2 * i + 3] << 8;
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			} else {
				cp = 0xfffd;
			}
		} else if (u >= 0xd800 && u < 0xe000) {
			cp = 0xfffd;
		}
		if ((size_t)(o - s) + 4 > cap || (size_t)(o - s) + 4 > CR_MAX_STRING)
			break;	/* capped: stop on a whole character */
		o += put_utf8(o, cp);
	}
	*o = 0;
	return (char *)s;
}

size_t md_list_entries(struct md_state *md, const struct md_stream *s,
		       struct cr_cursor *c, uint64_t count, uint32_t entry_size,
		       size_t max, const char *what)
{
	uint64_t left = cr_cursor_left(c), need;
	if (!cr_mul_overflows(count, entry_size, &need) && left >= 4 && need == left - 4 &&
	    count > 0)
		md_ignore(cr_cursor_skip(c, 4));	/* alignment padding */
	left = cr_cursor_left(c);
	uint64_t fit = left / entry_size;
	if (count > fit) {
		md_problem(md, s,
			   "%llu %s of %u bytes claimed, the stream holds %llu",
			   (unsigned long long)count, what, entry_size,
			   (unsigned long long)fit);
		count = fit;
	}
	if (count > max) {
		md_problem(md, s, "%llu %s, reading the first %zu",
			   (unsigned long long)count, what, max);
		count = max;
	}
	return (size_t)count;
}

struct cr_error *md_charge_string(struct md_state *md, uint64_t n)
{
	if (n <= md->string_budget) {
		md->string_budget -= n;
		return NULL;
	}
	return cr_error_new(CR_ERR_CORRUPT,
			    "more string bytes than the file holds (records share strings): %llu-byte string not read",
			    (unsigned long long)n);
}

struct cr_error *md_read_string(struct md_state *md, uint64_t rva, char **out)
{
	struct cr_cursor c, body;
	uint32_t len;
	struct cr_error *err;

	*out = NULL;
	if (rva == 0)
		return NULL;
	if ((err = md_sub(md, rva, 4, "string length", &c)) ||
	    (err = cr_cursor_u32(&c, &len)))
		return err;
	uint64_t avail = md->file.len - (rva + 4);
	if (len > avail)
		return cr_error_new(CR_ERR_CORRUPT,
				    "string at 0x%llx claims %u bytes, %llu left in the file",
				    (unsigned long long)rva, len,
				    (unsigned long long)avail);
	uint64_t units = len / 2;
	if (units > CR_MAX_STRING)
		units = CR_MAX_STRING;
	if ((err = md_charge_string(md, units * 2)))
		return err;
	const uint8_t *p;
	if ((err = md_sub(md, rva + 4, units * 2, "string", &body)) ||
	    (err = cr_cursor_bytes(&body, units * 2, &p)))
		return err;
	*out = md_utf16_to_utf8(p, (size_t)units);
	return *out ? NULL : &cr_enomem;
}

struct cr_error *md_read_utf8_string(struct md_state *md, uint64_t rva,
				     char **out)
{
	struct cr_cursor c, body;
	uint32_t len;
	struct cr_error *err;

	*out = NULL;
	if ((err = md_sub(md, rva, 4, "UTF-8 string length", &c)) ||
	    (err = cr_cursor_u32(&c, &len)))
		return err;
	if ((err = md_sub(md, rva + 4, len, "UTF-8 string", &body)) ||
	    (err = md_charge_string(md, len < CR_MAX_STRING ? len : CR_MAX_STRING)))
		return err;
	return cr_cursor_cstr(&body, len < CR_MAX_STRING ? len : CR_MAX_STRING,
			      out);
}

void md_format_guid(const uint8_t g[16], bool dashes, char out[37])
{
	uint32_t d1 = g[0] | g[1] << 8 | g[2] << 16 | (uint32_t)g[3] << 24;
	unsigned d2 = g[4] | g[5] << 8, d3 = g[6] | g[7] << 8;
	snprintf(out, 37,
		 dashes ? "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X"
			: "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X",
		 d1, d2, d3, g[8], g[9], g[10], g[11], g[12], g[13], g[14],
		 g[15]);
}

int64_t md_filetime_to_unix(uint64_t ft)
{
	/* 100-ns intervals between 1601-01-01 and 1970-01-01. */
	const uint64_t epoch_diff = 116444736000000000ull;
	if (ft < epoch_diff)
		return -1;
	return (int64_t)((ft - epoch_diff) / 10000000u);
}

static void md_state_free(void *p)
{
	struct md_state *md = p;
	if (!md)
		return;
	free(md->streams);
	free(md->stacks);
	free(md->tid_index);
	free(md);
}

/*
 * Read the header and the directory into MD.  Fails only when the file is
 * not a minidump (CR_ERR_FORMAT) or has no readable directory entry at all
 * (CR_ERR_CORRUPT); a partly readable directory is a problem.
 */
static struct cr_error *md_read_directory(struct md_state *md)
{
	struct cr_cursor *f = &md->file;
	uint32_t sig, count, dir_rva, checksum, stamp;
	uint64_t flags;
	struct cr_error *err;

	if (f->len < MD_HEADER_SIZE)
		return cr_error_new(CR_ERR_FORMAT,
				    "%s: %zu bytes is too short for a minidump header",
				    md->d->path ? md->d->path : "minidump", f->len);
	if ((err = cr_cursor_u32(f, &sig)) ||
	    (err = cr_cursor_u32(f, &md->version)) ||
	    (err = cr_cursor_u32(f, &count)) ||
	    (err = cr_cursor_u32(f, &dir_rva)) ||
	    (err = cr_cursor_u32(f, &checksum)) ||
	    (err = cr_cursor_u32(f, &stamp)) ||
	    (err = cr_cursor_u64(f, &flags)))
		return err;
	if (sig != MD_SIGNATURE)
		return cr_error_new(CR_ERR_FORMAT, "%s: not a minidump (signature 0x%08x)",
				    md->d->path ? md->d->path : "minidump", sig);
	if ((md->version & 0xffff) != MD_VERSION)
		return cr_error_new(CR_ERR_FORMAT,
				    "%s: unsupported minidump version 0x%08x",
				    md->d->path ? md->d->path : "minidump",
				    md->version);
	md->stream_count = count;
	md->d->process.dump_time = stamp ? (int64_t)stamp : -1;

	if (dir_rva < MD_HEADER_SIZE && count)
		md_problem(md, NULL,
			   "stream directory at 0x%x overlaps the 32-byte header",
			   dir_rva);
	/* Check count * 12 against the file before allocating anything. */
	uint64_t avail = dir_rva <= f->len ? f->len - dir_rva : 0;
	uint64_t fit = avail / MD_DIRENT_SIZE;
	uint64_t n = count;
	if (n > fit) {
		md_problem(md, NULL,
			   "stream directory at 0x%x claims %u entries, the file holds %llu",
			   dir_rva, count, (unsigned long long)fit);
		n = fit;
	}
	if (n > MD_MAX_STREAMS) {
		md_problem(md, NULL, "%llu streams, reading the first %u",
			   (unsigned long long)n, MD_MAX_STREAMS);
		n = MD_MAX_STREAMS;
	}
	if (n == 0 && count != 0)
		return cr_error_new(CR_ERR_CORRUPT,
				    "%s: stream directory at 0x%x (%u entries) is past the end of the file (size 0x%zx)",
				    md->d->path ? md->d->path : "minidump",
				    dir_rva, count, f->len);
	md->streams = calloc(n ? n : 1, sizeof(*md->streams));
	if (!md->streams)
		return &cr_enomem;
	if (n == 0)
		return NULL;	/* an empty dump: nothing to read */
	struct cr_cursor dir;
	if ((err = md_sub(md, dir_rva, n * MD_DIRENT_SIZE, "stream directory",
			  &dir)))
		return err;
	for (uint64_t i = 0; i < n; i++) {
		struct md_stream *s = &md->streams[i];
		if ((err = cr_cursor_u32(&dir, &s->type)) ||
		    (err = cr_cursor_u32(&dir, &s->size)) ||
		    (err = cr_cursor_u32(&dir, &s->rva)))
			return err;	/* cannot happen: checked above */
		s->index = (uint32_t)i;
	}
	md->nstreams = (size_t)n;
	return NULL;
}

/*
 * Mark every entry but the last of each type as superseded, noting the
 * duplicates of types this reader reads.
 */
static void md_mark_duplicates(struct md_state *md)
{
	for (size_t r = 0; r < ARRAY_LEN(md_readers); r++) {
		struct md_stream *last = NULL;
		for (size_t i = md->nstreams; i-- > 0;) {
			struct md_stream *s = &md->streams[i];
			if (s->type != md_readers[r].type)
				continue;
			if (!last) {
				last = s;
				continue;
			}
			s->superseded = true;
			md_problem(md, s,
				   "directory entries %u and %u have the same type; using entry %u",
				   s->index, last->index, last->index);
		}
	}
}

static const char *md_os_display(const struct md_state *md)
{
	switch (md->platform) {
	case MD_OS_WIN32S: case MD_OS_WIN32_WINDOWS: case MD_OS_WIN32_NT:
	case MD_OS_WIN32_CE:
		return "Windows";
	case MD_OS_MAC_OS_X: return "macOS";
	case MD_OS_IOS: return "iOS";
	case MD_OS_LINUX: return "Linux";
	case MD_OS_ANDROID: return "Android";
	case MD_OS_SOLARIS: return "Solaris";
	case MD_OS_FUCHSIA: return "Fuchsia";
	case MD_OS_NACL: return "Native Client";
	case MD_OS_PS3: return "PS3";
	default: return NULL;
	}
}

/*
 * List every stream that was not read as a fact, by type and size, in
 * directory order: "stream 0x4d7a0004" -> "10 bytes, not read" (named when
 * md_stream_name knows the type).  An unknown stream is not a problem.
 * Unused entries (type 0, which dbghelp writes as padding) and entries
 * superseded by a later one of the same type (already a problem) are left
 * out.
 */
static void md_list_unread(struct md_state *md)
{
	for (size_t i = 0; i < md->nstreams; i++) {
		const struct md_stream *s = &md->streams[i];
		if (s->type == MD_STREAM_UNUSED || s->superseded ||
		    md_reads(s->type))
			continue;
		char label[80], num[CR_COUNT_LEN];
		const char *name = md_stream_name(s->type);
		if (name)
			snprintf(label, sizeof(label), "%s (stream 0x%x)", name,
				 s->type);
		else
			snprintf(label, sizeof(label), "stream 0x%x", s->type);
		cr_dump_fact(md->d, label, "%s bytes, not read",
			     cr_fmt_count(num, s->size));
	}
}

/* Fill what depends on the whole file: format, producer, executable. */
static void md_describe(struct md_state *md)
{
	struct cr_dump *d = md->d;
	const char *os = md->have_system_info ? md_os_display(md) : NULL;
	const char *producer = md->crashpad ? "Crashpad"
			     : md->breakpad ? "Breakpad" : NULL;

	if (!os && d->process.os == CR_OS_LINUX)
		os = "Linux";
	free(d->format);
	if (producer && os)
		d->format = cr_strdup_printf("%s minidump (%s)", producer, os);
	else if (producer)
		d->format = cr_strdup_printf("%s minidump", producer);
	else if (os && d->process.os == CR_OS_WINDOWS)
		d->format = strdup("Windows minidump");
	else if (os)
		d->format = cr_strdup_printf("Minidump (%s)", os);
	else
		d->format = strdup("Minidump");
	if (producer && !d->producer)
		d->producer = strdup(producer);

	for (size_t i = 0; i < d->nmodules; i++) {
		if (d->modules[i].is_main && d->modules[i].path &&
		    !d->process.executable) {
			d->process.executable = strdup(d->modules[i].path);
			break;
		}
	}
	d->event.dump_tid_known = md->dump_tid_known;
	d->event.dump_tid = md->dump_tid_known ? (int64_t)md->dump_tid : -1;
	/* No exception record: Breakpad still says which thread asked. */
	if (d->event.kind == CR_EVENT_NONE && d->event.tid < 0 &&
	    md->requesting_tid_known)
		d->event.tid = md->requesting_tid;
}

struct cr_error *md_read(struct cr_dump *d)
{
	struct md_state *md = calloc(1, sizeof(*md));
	if (!md)
		return &cr_enomem;
	md->d = d;
	d->reader = "minidump";
	md->cpu_arch = MD_CPU_UNKNOWN;
	md->file = cr_cursor_make(d->map, d->map_len, false, 0,
				  d->path ? d->path : "minidump");
	md->string_budget = (uint64_t)d->map_len + MD_STRING_SLACK;
	/* Owned by the dump from here on, on success and on error alike. */
	d->reader_state = md;
	d->reader_free = md_state_free;

	struct cr_error *err = md_read_directory(md);
	if (err)
		return err;
	md_mark_duplicates(md);

	/* Producer extensions first: they change how other streams read. */
	for (size_t i = 0; i < md->nstreams; i++) {
		/* 0x4767xxxx ("Gg") are Breakpad's types; Crashpad on Linux
		 * writes them too, and says so with its own stream. */
		if ((md->streams[i].type >> 16) == 0x4767)
			md->breakpad = true;
		/* Without SystemInfo, /proc copies still say "Linux". */
		if (md->streams[i].type >= MD_STREAM_LINUX_CPU_INFO &&
		    md->streams[i].type <= MD_STREAM_LINUX_DSO_DEBUG)
			d->process.os = CR_OS_LINUX;
		else if (md->streams[i].type == MD_STREAM_CRASHPAD_INFO)
			md->crashpad = true;
	}

	for (size_t r = 0; r < ARRAY_LEN(md_readers); r++) {
		for (size_t i = 0; i < md->nstreams; i++) {
			struct md_stream *s = &md->streams[i];
			if (s->type != md_readers[r].type || s->superseded)
				continue;
			s->used = true;
			if (md_readers[r].read)
				md_readers[r].read(md, s);
		}
	}
	md_finish_memory(md);
	md_check_contexts(md);
	md_list_unread(md);
	md_describe(md);
	cr_dump_finish(d);
	return NULL;
}
