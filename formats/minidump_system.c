/*
 * minidump_system.c - the streams that describe the process and the crash:
 * SystemInfo (7), MiscInfo (15), Exception (6), and the
 * producers' extensions BreakpadInfo (0x47670001), AssertionInfo
 * (0x47670002) and CrashpadInfo (0x43500001).
 *
 * MINIDUMP_SYSTEM_INFO (56 bytes): ProcessorArchitecture, ProcessorLevel,
 * ProcessorRevision (u16), NumberOfProcessors, ProductType (u8),
 * MajorVersion, MinorVersion, BuildNumber, PlatformId (u32), CSDVersionRva
 * (MINIDUMP_STRING), SuiteMask, Reserved2 (u16), then CPU_INFORMATION (24
 * bytes; on x86: VendorId[3] u32, VersionInformation, FeatureInformation,
 * AMDExtendedCpuFeatures).  Breakpad's PlatformId values above 0x8000 name
 * Unix systems, and its CSD string is then `uname -srvmo` (Linux) or the
 * OS build (macOS).
 *
 * MINIDUMP_EXCEPTION_STREAM (168 bytes): ThreadId, align (u32), then
 * MINIDUMP_EXCEPTION: ExceptionCode, ExceptionFlags (u32), ExceptionRecord,
 * ExceptionAddress (u64), NumberParameters, align (u32),
 * ExceptionInformation[15] (u64); then the context's location.  What the
 * code means depends on who wrote it (Breakpad's minidump_exception_*.h):
 * Windows: an NTSTATUS; Linux and Android: the signal number, with si_code
 * in the flags and si_addr as the address (0xffffffff: a dump requested
 * without a crash); macOS and iOS: the Mach exception type, with the Mach
 * code in the flags and the subcode (usually the address) as the address.
 */
#include "minidump.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD_SYSTEM_INFO_SIZE 56u
#define MD_MISC_INFO_SIZE 24u
#define MD_MISC1_PROCESS_ID 0x1u
#define MD_MISC1_PROCESS_TIMES 0x2u
#define MD_EXCEPTION_STREAM_SIZE 168u
#define MD_EXCEPTION_MAX_PARAMS 15u
#define MD_BREAKPAD_INFO_SIZE 12u
#define MD_BREAKPAD_VALID_DUMP_TID 0x1u
#define MD_BREAKPAD_VALID_REQUESTING_TID 0x2u
#define MD_ASSERTION_INFO_SIZE 776u
#define MD_ASSERTION_CHARS 128u
#define MD_CRASHPAD_INFO_MIN_SIZE 52u

#define MD_LINUX_DUMP_REQUESTED 0xffffffffu	/* MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED */
#define MD_STATUS_ACCESS_VIOLATION 0xc0000005u
#define MD_STATUS_IN_PAGE_ERROR 0xc0000006u
#define MD_MACH_EXC_BAD_ACCESS 1u

static const struct {
	uint32_t platform;
	enum cr_os os;
} md_platform_os[] = {
	{ MD_OS_WIN32S, CR_OS_WINDOWS },
	{ MD_OS_WIN32_WINDOWS, CR_OS_WINDOWS },
	{ MD_OS_WIN32_NT, CR_OS_WINDOWS },
	{ MD_OS_WIN32_CE, CR_OS_WINDOWS },
	{ MD_OS_MAC_OS_X, CR_OS_MACOS },
	{ MD_OS_IOS, CR_OS_OTHER },
	{ MD_OS_LINUX, CR_OS_LINUX },
	{ MD_OS_ANDROID, CR_OS_ANDROID },
	{ MD_OS_UNIX, CR_OS_OTHER },
	{ MD_OS_SOLARIS, CR_OS_OTHER },
	{ MD_OS_PS3, CR_OS_OTHER },
	{ MD_OS_NACL, CR_OS_OTHER },
	{ MD_OS_FUCHSIA, CR_OS_OTHER },
};

/* Does the platform put a POSIX signal in the exception code? */
static bool platform_uses_signals(const struct md_state *md)
{
	switch (md->platform) {
	case MD_OS_LINUX: case MD_OS_ANDROID: case MD_OS_UNIX:
	case MD_OS_SOLARIS: case MD_OS_NACL:
		return true;
	default:
		return !md->have_system_info && md->d->process.os == CR_OS_LINUX;
	}
}

/*
 * Does the kernel put a fault address in si_addr for this Linux signal
 * (SIGILL 4, SIGTRAP 5, SIGBUS 7, SIGFPE 8, SIGSEGV 11)?
 */
static bool signal_has_address(uint32_t signo)
{
	static const uint32_t fault_signals[] = { 4, 5, 7, 8, 11 };
	for (size_t i = 0; i < ARRAY_LEN(fault_signals); i++)
		if (fault_signals[i] == signo)
			return true;
	return false;
}

void md_read_system_info(struct md_state *md, const struct md_stream *s)
{
	struct cr_process *p = &md->d->process;
	struct cr_cursor c;
	uint16_t arch, level, revision, suite, reserved;
	uint8_t ncpus, product;
	uint32_t major, minor, build, platform, csd_rva, vendor[3];
	struct cr_error *err;
	char *csd = NULL;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u16(&c, &arch)) ||
	    (err = cr_cursor_u16(&c, &level)) ||
	    (err = cr_cursor_u16(&c, &revision)) ||
	    (err = cr_cursor_u8(&c, &ncpus)) ||
	    (err = cr_cursor_u8(&c, &product)) ||
	    (err = cr_cursor_u32(&c, &major)) ||
	    (err = cr_cursor_u32(&c, &minor)) ||
	    (err = cr_cursor_u32(&c, &build)) ||
	    (err = cr_cursor_u32(&c, &platform)) ||
	    (err = cr_cursor_u32(&c, &csd_rva)) ||
	    (err = cr_cursor_u16(&c, &suite)) ||
	    (err = cr_cursor_u16(&c, &reserved)) ||
	    (err = cr_cursor_u32(&c, &vendor[0])) ||
	    (err = cr_cursor_u32(&c, &vendor[1])) ||
	    (err = cr_cursor_u32(&c, &vendor[2])))
		{ md_fail(md, s, err); return; }

	md->have_system_info = true;
	md->cpu_arch = arch;
	md->platform = platform;
	p->arch = md_arch_from_cpu(arch);
	switch (p->arch) {
	case CR_ARCH_X86: case CR_ARCH_ARM: case CR_ARCH_PPC:
		p->pointer_size = 4;
		break;
	case CR_ARCH_UNKNOWN:
		md_problem(md, s, "unsupported processor architecture 0x%x", arch);
		break;
	default:
		p->pointer_size = 8;
	}
	p->ncpus = ncpus;
	p->os = CR_OS_UNKNOWN;
	for (size_t i = 0; i < ARRAY_LEN(md_platform_os); i++)
		if (md_platform_os[i].platform == platform)
			p->os = md_platform_os[i].os;

	if ((err = md_read_string(md, csd_rva, &csd))) {
		md_problem(md, s, "CSD version: %s", err->message);
		cr_error_free(err);
	}
	free(p->os_version);
	if (platform_uses_signals(md) && csd && csd[0] && !(major | minor | build))
		p->os_version = strdup(csd);	/* Breakpad: uname -srvmo */
	else if (platform_uses_signals(md) && csd && csd[0] && csd[0] != ' ')
		/* Crashpad: the release split into numbers and the rest */
		p->os_version = cr_strdup_printf("%u.%u.%u%s", major, minor,
						 build, csd);
	else if (csd && csd[0])
		p->os_version = cr_strdup_printf("%u.%u.%u %s", major, minor,
						 build, csd);
	else
		p->os_version = cr_strdup_printf("%u.%u.%u", major, minor, build);
	if (md->platform == MD_OS_IOS && p->os_version) {
		char *v = cr_strdup_printf("iOS %s", p->os_version);
		free(p->os_version);
		p->os_version = v;
	}
	free(csd);

	if (p->arch == CR_ARCH_X86 || p->arch == CR_ARCH_X86_64) {
		char v[13];
		bool printable = true;
		for (int i = 0; i < 12; i++) {
			v[i] = (char)(vendor[i / 4] >> (8 * (i % 4)));
			printable = printable && isprint((unsigned char)v[i]);
		}
		v[12] = 0;
		free(p->cpu);
		p->cpu = cr_strdup_printf("%s%sfamily %u model %u stepping %u",
					  printable ? v : "", printable ? " " : "",
					  level, revision >> 8, revision & 0xff);
	}
}

void md_read_misc_info(struct md_state *md, const struct md_stream *s)
{
	struct cr_process *p = &md->d->process;
	struct cr_cursor c;
	uint32_t size, flags, pid, create, user, kernel;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &size)) ||
	    (err = cr_cursor_u32(&c, &flags)) ||
	    (err = cr_cursor_u32(&c, &pid)) ||
	    (err = cr_cursor_u32(&c, &create)) ||
	    (err = cr_cursor_u32(&c, &user)) ||
	    (err = cr_cursor_u32(&c, &kernel)))
		{ md_fail(md, s, err); return; }
	if (flags & MD_MISC1_PROCESS_ID)
		p->pid = pid;
	if (flags & MD_MISC1_PROCESS_TIMES) {
		p->start_time = create ? (int64_t)create : -1;
		p->user.known = p->sys.known = true;
		p->user.usec = (uint64_t)user * 1000000u;
		p->sys.usec = (uint64_t)kernel * 1000000u;
	}
}

void md_read_exception(struct md_state *md, const struct md_stream *s)
{
	struct cr_dump *d = md->d;
	struct cr_event *ev = &d->event;
	struct cr_cursor c;
	uint32_t tid, align, code, flags, nparams, ctx_size, ctx_rva;
	uint64_t record, address, params[MD_EXCEPTION_MAX_PARAMS];
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &tid)) ||
	    (err = cr_cursor_u32(&c, &align)) ||
	    (err = cr_cursor_u32(&c, &code)) ||
	    (err = cr_cursor_u32(&c, &flags)) ||
	    (err = cr_cursor_u64(&c, &record)) ||
	    (err = cr_cursor_u64(&c, &address)) ||
	    (err = cr_cursor_u32(&c, &nparams)) ||
	    (err = cr_cursor_u32(&c, &align)))
		{ md_fail(md, s, err); return; }
	for (unsigned i = 0; i < MD_EXCEPTION_MAX_PARAMS; i++)
		if ((err = cr_cursor_u64(&c, &params[i])))
			{ md_fail(md, s, err); return; }
	if ((err = cr_cursor_u32(&c, &ctx_size)) ||
	    (err = cr_cursor_u32(&c, &ctx_rva)))
		{ md_fail(md, s, err); return; }

	if (nparams > MD_EXCEPTION_MAX_PARAMS) {
		md_problem(md, s, "%u exception parameters, at most %u exist",
			   nparams, MD_EXCEPTION_MAX_PARAMS);
		nparams = MD_EXCEPTION_MAX_PARAMS;
	}
	uint64_t mask = d->process.pointer_size == 4 ? 0xffffffffu : UINT64_MAX;
	ev->tid = tid;
	if (!md_thread_by_tid(md, tid))
		md_problem(md, s, "exception thread 0x%x is not in the thread list",
			   tid);

	if (platform_uses_signals(md)) {
		if (code == MD_LINUX_DUMP_REQUESTED) {
			ev->kind = CR_EVENT_NONE;
		} else {
			ev->kind = CR_EVENT_SIGNAL;
			ev->signo = (int)code;
			/*
			 * Old Breakpad writers leave the flags 0 instead of
			 * si_code, so 0 (SI_USER) is taken as "not recorded".
			 */
			ev->siginfo_known = flags != 0;
			ev->si_code = (int)flags;
			if (signal_has_address(code)) {
				ev->fault_addr_known = true;
				ev->fault_addr = address & mask;
			} else if ((int32_t)flags < 0) {
				/* SI_TKILL, SI_QUEUE...: the union holds
				 * si_pid then si_uid where si_addr would be */
				ev->sender_known = true;
				ev->sender_pid = (uint32_t)address;
				ev->sender_uid = d->process.pointer_size == 8
					? (int64_t)(uint32_t)(address >> 32) : -1;
			}
		}
	} else {
		/* Windows NTSTATUS, or a Mach exception on macOS/iOS. */
		ev->kind = CR_EVENT_EXCEPTION;
		ev->exc_code = code;
		ev->exc_flags = flags;
		ev->exc_address = address & mask;
		ev->exc_nparams = nparams;
		for (unsigned i = 0; i < nparams && i < CR_MAX_EXC_PARAMS; i++)
			ev->exc_params[i] = params[i];
		bool mach = md->platform == MD_OS_MAC_OS_X ||
			    md->platform == MD_OS_IOS;
		if (mach && code == MD_MACH_EXC_BAD_ACCESS) {
			ev->fault_addr_known = true;
			ev->fault_addr = address & mask;
		} else if (!mach && (code == MD_STATUS_ACCESS_VIOLATION ||
				     code == MD_STATUS_IN_PAGE_ERROR) &&
			   nparams >= 2) {
			/* [0]: 0 read, 1 write, 8 execute; [1]: the address */
			ev->fault_addr_known = true;
			ev->fault_addr = params[1] & mask;
		}
	}

	if (ctx_size || ctx_rva) {
		char who[48];
		snprintf(who, sizeof(who), "exception context (tid 0x%x)", tid);
		ev->regs_known = md_read_context(md, ctx_size, ctx_rva, who,
						 &ev->regs);
	}
}

void md_read_breakpad_info(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	uint32_t validity, dump_tid, requesting_tid;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &validity)) ||
	    (err = cr_cursor_u32(&c, &dump_tid)) ||
	    (err = cr_cursor_u32(&c, &requesting_tid)))
		{ md_fail(md, s, err); return; }
	/* Also facts: the dump thread is Breakpad's handler, listed among
	 * the threads; the reader of a report should know it is not the
	 * program's own. */
	if (validity & MD_BREAKPAD_VALID_DUMP_TID) {
		md->dump_tid_known = true;
		md->dump_tid = dump_tid;
		cr_dump_fact(md->d, "Dump written by thread", "tid %u",
			     dump_tid);
	}
	if (validity & MD_BREAKPAD_VALID_REQUESTING_TID) {
		md->requesting_tid_known = true;
		md->requesting_tid = requesting_tid;
		cr_dump_fact(md->d, "Dump requested by thread", "tid %u",
			     requesting_tid);
	}
}

/* Plain words for MDRawAssertionInfo.type. */
static const char *const md_assertion_types[] = {
	[0] = "Assertion failed:",
	[1] = "Invalid parameter passed to library function",
	[2] = "Pure virtual function called",
};

void md_read_assertion_info(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	const uint8_t *expr, *func, *file;
	uint32_t line, type;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_bytes(&c, 2 * MD_ASSERTION_CHARS, &expr)) ||
	    (err = cr_cursor_bytes(&c, 2 * MD_ASSERTION_CHARS, &func)) ||
	    (err = cr_cursor_bytes(&c, 2 * MD_ASSERTION_CHARS, &file)) ||
	    (err = cr_cursor_u32(&c, &line)) ||
	    (err = cr_cursor_u32(&c, &type)))
		{ md_fail(md, s, err); return; }
	char *e = md_utf16_to_utf8(expr, MD_ASSERTION_CHARS);
	char *f = md_utf16_to_utf8(func, MD_ASSERTION_CHARS);
	char *fl = md_utf16_to_utf8(file, MD_ASSERTION_CHARS);
	char lbuf[32] = "";
	if (line)
		snprintf(lbuf, sizeof(lbuf), " at line %u", line);
	const char *what = type < ARRAY_LEN(md_assertion_types)
		? md_assertion_types[type] : "Assertion failed:";
	if (e && f && fl) {
		free(md->d->event.assertion);
		md->d->event.assertion = cr_strdup_printf(
			"%s%s%s%s%s%s%s%s", what, e[0] ? " " : "", e,
			f[0] ? " in function " : "", f,
			fl[0] ? ", in file " : "", fl, lbuf);
	}
	free(e);
	free(f);
	free(fl);
}

/* Append an annotation (taking KEY and VALUE); false when full or out of
 * memory (the caller stops reading that list). */
static bool add_annotation(struct md_state *md, const struct md_stream *s,
			   const char *module, char *key, char *value)
{
	struct cr_dump *d = md->d;
	if (d->nannotations >= MD_MAX_ANNOTATIONS) {
		if (!md->annotations_dropped)	/* said once */
			md_problem(md, s, "more than %u annotations; ignoring the rest",
				   MD_MAX_ANNOTATIONS);
		md->annotations_dropped = true;
		free(key);
		free(value);
		return false;
	}
	char *m = module ? strdup(module) : NULL;
	if ((module && !m) || !cr_dump_add_annotation(d, m, key, value)) {
		if (module && !m) {
			free(key);
			free(value);
		}
		cr_dump_oom(md->d, "annotations");
		return false;
	}
	return true;
}

/* Read a MinidumpSimpleStringDictionary at (SIZE, RVA). */
static void read_string_dict(struct md_state *md, const struct md_stream *s,
			     const char *module, uint32_t size, uint32_t rva)
{
	struct cr_cursor c;
	uint32_t count;
	struct cr_error *err;

	if (!size)
		return;
	if ((err = md_sub(md, rva, size, "annotation dictionary", &c)) ||
	    (err = cr_cursor_u32(&c, &count)))
		{ md_fail(md, s, err); return; }
	size_t n = md_list_entries(md, s, &c, count, 8, MD_MAX_ANNOTATIONS,
				   "annotations");
	for (size_t i = 0; i < n; i++) {
		uint32_t krva, vrva;
		char *k = NULL, *v = NULL;
		if ((err = cr_cursor_u32(&c, &krva)) ||
		    (err = cr_cursor_u32(&c, &vrva)) ||
		    (err = md_read_utf8_string(md, krva, &k)) ||
		    (err = md_read_utf8_string(md, vrva, &v))) {
			free(k);
			{ md_fail(md, s, err); return; }
		}
		if (!add_annotation(md, s, module, k, v))
			return;
	}
}

/* Read a MinidumpRVAList of MinidumpUTF8Strings at (SIZE, RVA). */
static void read_string_list(struct md_state *md, const struct md_stream *s,
			     const char *module, uint32_t size, uint32_t rva)
{
	struct cr_cursor c;
	uint32_t count;
	struct cr_error *err;

	if (!size)
		return;
	if ((err = md_sub(md, rva, size, "annotation list", &c)) ||
	    (err = cr_cursor_u32(&c, &count)))
		{ md_fail(md, s, err); return; }
	size_t n = md_list_entries(md, s, &c, count, 4, MD_MAX_ANNOTATIONS,
				   "list annotations");
	for (size_t i = 0; i < n; i++) {
		uint32_t vrva;
		char *v = NULL;
		if ((err = cr_cursor_u32(&c, &vrva)) ||
		    (err = md_read_utf8_string(md, vrva, &v)))
			{ md_fail(md, s, err); return; }
		if (!add_annotation(md, s, module, NULL, v))
			return;
	}
}

/*
 * Read a MinidumpAnnotationList at (SIZE, RVA): entries of name RVA
 * (UTF-8 string), type u16, reserved u16, value RVA (MinidumpByteArray:
 * u32 length, bytes).  Only string annotations (type 1) are kept.
 */
static void read_annotation_objects(struct md_state *md,
				    const struct md_stream *s,
				    const char *module, uint32_t size,
				    uint32_t rva)
{
	struct cr_cursor c, v;
	uint32_t count;
	struct cr_error *err;

	if (!size)
		return;
	if ((err = md_sub(md, rva, size, "annotation objects", &c)) ||
	    (err = cr_cursor_u32(&c, &count)))
		{ md_fail(md, s, err); return; }
	size_t n = md_list_entries(md, s, &c, count, 12, MD_MAX_ANNOTATIONS,
				   "annotation objects");
	for (size_t i = 0; i < n; i++) {
		uint32_t nrva, vrva, vlen;
		uint16_t type, reserved;
		char *name = NULL, *value = NULL;
		if ((err = cr_cursor_u32(&c, &nrva)) ||
		    (err = cr_cursor_u16(&c, &type)) ||
		    (err = cr_cursor_u16(&c, &reserved)) ||
		    (err = cr_cursor_u32(&c, &vrva)))
			{ md_fail(md, s, err); return; }
		if (type != 1)
			continue;
		if ((err = md_read_utf8_string(md, nrva, &name)) ||
		    (err = md_sub(md, vrva, 4, "annotation value", &v)) ||
		    (err = cr_cursor_u32(&v, &vlen)) ||
		    (err = md_sub(md, (uint64_t)vrva + 4, vlen, "annotation value", &v)) ||
		    (err = md_charge_string(md, vlen < CR_MAX_STRING ? vlen : CR_MAX_STRING)) ||
		    (err = cr_cursor_cstr(&v, vlen < CR_MAX_STRING ? vlen : CR_MAX_STRING,
					  &value))) {
			free(name);
			{ md_fail(md, s, err); return; }
		}
		if (!add_annotation(md, s, module, name, value))
			return;
	}
}

void md_read_crashpad_info(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	uint32_t version, simple_size, simple_rva, mods_size, mods_rva;
	const uint8_t *report, *client;
	struct cr_error *err;
	static const uint8_t zero[16];
	char g[37];

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &version)) ||
	    (err = cr_cursor_bytes(&c, 16, &report)) ||
	    (err = cr_cursor_bytes(&c, 16, &client)) ||
	    (err = cr_cursor_u32(&c, &simple_size)) ||
	    (err = cr_cursor_u32(&c, &simple_rva)) ||
	    (err = cr_cursor_u32(&c, &mods_size)) ||
	    (err = cr_cursor_u32(&c, &mods_rva)))
		{ md_fail(md, s, err); return; }
	if (memcmp(report, zero, 16)) {
		md_format_guid(report, true, g);
		add_annotation(md, s, NULL, strdup("crashpad:report_id"), strdup(g));
	}
	if (memcmp(client, zero, 16)) {
		md_format_guid(client, true, g);
		add_annotation(md, s, NULL, strdup("crashpad:client_id"), strdup(g));
	}
	read_string_dict(md, s, NULL, simple_size, simple_rva);

	/* MinidumpModuleCrashpadInfoList: count, then (module index, location). */
	struct cr_cursor ml;
	uint32_t count;
	if (!mods_size)
		return;
	if ((err = md_sub(md, mods_rva, mods_size, "module annotations", &ml)) ||
	    (err = cr_cursor_u32(&ml, &count)))
		{ md_fail(md, s, err); return; }
	size_t n = md_list_entries(md, s, &ml, count, 12, CR_MAX_MODULES,
				   "module annotation links");
	for (size_t i = 0; i < n; i++) {
		uint32_t index, size, rva, mver;
		uint32_t l_size, l_rva, s_size, s_rva, o_size, o_rva;
		struct cr_cursor mc;
		if ((err = cr_cursor_u32(&ml, &index)) ||
		    (err = cr_cursor_u32(&ml, &size)) ||
		    (err = cr_cursor_u32(&ml, &rva)))
			{ md_fail(md, s, err); return; }
		if ((err = md_sub(md, rva, size, "module annotation record", &mc)) ||
		    (err = cr_cursor_u32(&mc, &mver)) ||
		    (err = cr_cursor_u32(&mc, &l_size)) ||
		    (err = cr_cursor_u32(&mc, &l_rva)) ||
		    (err = cr_cursor_u32(&mc, &s_size)) ||
		    (err = cr_cursor_u32(&mc, &s_rva)) ||
		    (err = cr_cursor_u32(&mc, &o_size)) ||
		    (err = cr_cursor_u32(&mc, &o_rva))) {
			md_fail(md, s, err);
			continue;
		}
		/* Module indexes are into the file's module list (not yet sorted). */
		char idxname[32];
		const char *mod = idxname;
		snprintf(idxname, sizeof(idxname), "module %u", index);
		if (index < md->d->nmodules && md->d->modules[index].path)
			mod = cr_basename(md->d->modules[index].path);
		read_string_list(md, s, mod, l_size, l_rva);
		read_string_dict(md, s, mod, s_size, s_rva);
		read_annotation_objects(md, s, mod, o_size, o_rva);
	}
}
