/*
 * minidump_modules.c - ModuleList (4) and UnloadedModuleList (14).
 *
 * MINIDUMP_MODULE (108 bytes): BaseOfImage u64, SizeOfImage u32, CheckSum
 * u32, TimeDateStamp u32, ModuleNameRva u32 (MINIDUMP_STRING),
 * VersionInfo (VS_FIXEDFILEINFO, 13 u32: dwSignature 0xfeef04bd,
 * dwStrucVersion, dwFileVersionMS, dwFileVersionLS, ...), CvRecord and
 * MiscRecord (MINIDUMP_LOCATION_DESCRIPTOR), two reserved u64.
 *
 * The CodeView record identifies the debug file, as Breakpad's
 * minidump_format.h describes it:
 *   'RSDS' (PDB 7.0): GUID, age u32, NUL-terminated PDB path.  Debug id =
 *          GUID as %08X%04X%04X + 8 bytes %02X, then age %X.
 *   'NB10' (PDB 2.0): offset u32, signature u32, age u32, PDB path.  Debug
 *          id = signature %08X, age %X.
 *   'BpEL' (Breakpad ELF): the GNU build id bytes.  Debug id = its first
 *          16 bytes (zero-padded) read as a GUID, age 0; code id = the
 *          build id in lowercase hex.
 * A PE's code id is TimeDateStamp %08X followed by SizeOfImage %x
 * ("45D35F6C2d000"), the key of Microsoft's symbol servers.
 *
 * The first module of the list is the executable (Windows, Breakpad and
 * Crashpad all write it first).
 */
#include "minidump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD_MODULE_SIZE 108u
#define MD_VS_FFI_SIGNATURE 0xfeef04bdu
#define MD_CV_RSDS 0x53445352u	/* "RSDS" */
#define MD_CV_NB10 0x3031424eu	/* "NB10" */
#define MD_CV_BPEL 0x4270454cu	/* "BpEL" */
#define MD_MAX_BUILD_ID 64u	/* longest ELF build id we keep */
#define MD_UNLOADED_MODULE_SIZE 24u

static char *hex_lower(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * n] = 0;
	return s;
}

/* Charge the string at C's position (at most CR_MAX_STRING bytes). */
static struct cr_error *charge_cstr(struct md_state *md,
				    const struct cr_cursor *c)
{
	size_t left = cr_cursor_left(c);
	return md_charge_string(md, left < CR_MAX_STRING ? left : CR_MAX_STRING);
}

/* Read the CodeView record at (SIZE, RVA) into M. */
static void read_codeview(struct md_state *md, const struct md_stream *s,
			  size_t idx, uint32_t size, uint32_t rva,
			  struct cr_module *m, bool *is_elf)
{
	struct cr_cursor c;
	uint32_t sig;
	struct cr_error *err;
	char id[48], guid[37];

	*is_elf = false;
	if (size == 0 || rva == 0)
		return;
	if ((err = md_sub(md, rva, size, "CodeView record", &c)) ||
	    (err = cr_cursor_u32(&c, &sig)))
		goto fail;
	if (sig == MD_CV_RSDS) {
		const uint8_t *g;
		uint32_t age;
		if ((err = cr_cursor_bytes(&c, 16, &g)) ||
		    (err = cr_cursor_u32(&c, &age)) ||
		    (err = charge_cstr(md, &c)) ||
		    (err = cr_cursor_cstr(&c, CR_MAX_STRING, &m->debug_file)))
			goto fail;
		md_format_guid(g, false, guid);
		snprintf(id, sizeof(id), "%s%X", guid, age);
		m->debug_id = strdup(id);
	} else if (sig == MD_CV_NB10) {
		uint32_t off, stamp, age;
		if ((err = cr_cursor_u32(&c, &off)) ||
		    (err = cr_cursor_u32(&c, &stamp)) ||
		    (err = cr_cursor_u32(&c, &age)) ||
		    (err = charge_cstr(md, &c)) ||
		    (err = cr_cursor_cstr(&c, CR_MAX_STRING, &m->debug_file)))
			goto fail;
		snprintf(id, sizeof(id), "%08X%X", stamp, age);
		m->debug_id = strdup(id);
	} else if (sig == MD_CV_BPEL) {
		size_t n = cr_cursor_left(&c);
		const uint8_t *b;
		uint8_t g[16] = { 0 };
		*is_elf = true;
		if (n == 0)
			return;
		if (n > MD_MAX_BUILD_ID) {
			md_problem(md, s, "module %zu: build id of %zu bytes, keeping %u",
				   idx, n, MD_MAX_BUILD_ID);
			n = MD_MAX_BUILD_ID;
		}
		if ((err = cr_cursor_bytes(&c, n, &b)))
			goto fail;
		m->build_id = malloc(n);
		if (m->build_id) {
			memcpy(m->build_id, b, n);
			m->build_id_len = n;
		}
		memcpy(g, b, n < 16 ? n : 16);
		md_format_guid(g, false, guid);
		snprintf(id, sizeof(id), "%s0", guid);
		m->debug_id = strdup(id);
		m->code_id = hex_lower(b, n);
		if (m->path)
			m->debug_file = strdup(m->path);
	} else {
		md_problem(md, s, "module %zu: unknown CodeView signature 0x%08x",
			   idx, sig);
	}
	return;
fail:
	md_problem(md, s, "module %zu: %s", idx, err->message);
	cr_error_free(err);
}

static enum cr_module_kind kind_for(const struct md_state *md, bool is_elf,
				    bool is_pdb)
{
	switch (md->d->process.os) {
	case CR_OS_WINDOWS: return CR_MODULE_PE;
	case CR_OS_LINUX: case CR_OS_ANDROID: return CR_MODULE_ELF;
	case CR_OS_MACOS: return CR_MODULE_MACHO;
	default: break;
	}
	if (md->platform == MD_OS_IOS)
		return CR_MODULE_MACHO;
	if (is_elf)
		return CR_MODULE_ELF;
	if (is_pdb)
		return CR_MODULE_PE;
	return CR_MODULE_OTHER;
}

void md_read_module_list(struct md_state *md, const struct md_stream *s)
{
	struct cr_dump *d = md->d;
	struct cr_cursor c;
	uint32_t count;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &count))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, MD_MODULE_SIZE,
				   CR_MAX_MODULES, "modules");
	if (n == 0)
		return;
	d->modules = calloc(n, sizeof(*d->modules));
	if (!d->modules) {
		cr_dump_oom(md->d, "modules (ModuleList)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cr_module *m = &d->modules[d->nmodules];
		uint64_t base;
		uint32_t size, checksum, stamp, name_rva, vs[13];
		uint32_t cv_size, cv_rva, misc_size, misc_rva;
		err = NULL;
		if ((err = cr_cursor_u64(&c, &base)) ||
		    (err = cr_cursor_u32(&c, &size)) ||
		    (err = cr_cursor_u32(&c, &checksum)) ||
		    (err = cr_cursor_u32(&c, &stamp)) ||
		    (err = cr_cursor_u32(&c, &name_rva)))
			goto fail;
		for (unsigned k = 0; k < 13 && !err; k++)
			err = cr_cursor_u32(&c, &vs[k]);
		if (err ||
		    (err = cr_cursor_u32(&c, &cv_size)) ||
		    (err = cr_cursor_u32(&c, &cv_rva)) ||
		    (err = cr_cursor_u32(&c, &misc_size)) ||
		    (err = cr_cursor_u32(&c, &misc_rva)) ||
		    (err = cr_cursor_skip(&c, 16)))
			goto fail;

		m->base = base;
		m->size = size;
		m->is_main = i == 0;
		if ((err = md_read_string(md, name_rva, &m->path))) {
			md_problem(md, s, "module %zu name: %s", i, err->message);
			cr_error_free(err);
		}
		if (vs[0] == MD_VS_FFI_SIGNATURE)
			m->version = cr_strdup_printf("%u.%u.%u.%u", vs[2] >> 16,
						      vs[2] & 0xffff, vs[3] >> 16,
						      vs[3] & 0xffff);
		bool is_elf;
		read_codeview(md, s, i, cv_size, cv_rva, m, &is_elf);
		m->kind = kind_for(md, is_elf, m->debug_id && !is_elf);
		if (m->kind == CR_MODULE_PE && !m->code_id)
			m->code_id = cr_strdup_printf("%08X%x", stamp, size);
		d->nmodules++;
		continue;
fail:
		md_problem(md, s, "module %zu: %s", i, err->message);
		cr_error_free(err);
		break;
	}
}

/*
 * MINIDUMP_UNLOADED_MODULE_LIST: SizeOfHeader, SizeOfEntry, NumberOfEntries
 * (u32 each), then entries (MINIDUMP_UNLOADED_MODULE, 24 bytes or more):
 * BaseOfImage u64, SizeOfImage, CheckSum, TimeDateStamp, ModuleNameRva
 * (u32 each).  Read into d->unloaded in file order (Windows keeps them in
 * unload order); the code id is the PE one, as for loaded modules.  A name
 * that cannot be read leaves the entry without a path.
 */
void md_read_unloaded_module_list(struct md_state *md,
				  const struct md_stream *s)
{
	struct cr_dump *d = md->d;
	struct cr_cursor c;
	uint32_t header_size, entry_size, count;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &header_size)) ||
	    (err = cr_cursor_u32(&c, &entry_size)) ||
	    (err = cr_cursor_u32(&c, &count)) ||
	    (err = cr_cursor_seek(&c, header_size))) {
		md_problem_at(md, s, CR_AT(CR_SEVERITY_ERROR), "%s", err->message);
		cr_error_free(err);
		return;
	}
	if (entry_size < MD_UNLOADED_MODULE_SIZE) {
		md_problem(md, s, "entries of %u bytes, expected at least %u",
			   entry_size, MD_UNLOADED_MODULE_SIZE);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, entry_size,
				   CR_MAX_MODULES, "unloaded modules");
	if (n == 0)
		return;
	d->unloaded = calloc(n, sizeof(*d->unloaded));
	if (!d->unloaded) {
		cr_dump_oom(md->d, "unloaded modules (UnloadedModuleList)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cr_cursor e;
		uint64_t base;
		uint32_t size, checksum, stamp, name_rva;
		if ((err = cr_cursor_sub(&c, c.pos, entry_size,
					 "unloaded module", &e)) ||
		    (err = cr_cursor_skip(&c, entry_size)) ||
		    (err = cr_cursor_u64(&e, &base)) ||
		    (err = cr_cursor_u32(&e, &size)) ||
		    (err = cr_cursor_u32(&e, &checksum)) ||
		    (err = cr_cursor_u32(&e, &stamp)) ||
		    (err = cr_cursor_u32(&e, &name_rva))) {
			/* Cannot happen: md_list_entries checked the room. */
			md_problem(md, s, "unloaded module %zu: %s", i,
				   err->message);
			cr_error_free(err);
			break;
		}
		struct cr_module *m = &d->unloaded[d->nunloaded++];
		m->base = base;
		m->size = size;
		m->kind = kind_for(md, false, false);
		m->code_id = cr_strdup_printf("%08X%x", stamp, size);
		if ((err = md_read_string(md, name_rva, &m->path))) {
			md_problem(md, s, "unloaded module %zu name: %s", i,
				   err->message);
			cr_error_free(err);
		}
	}
}
