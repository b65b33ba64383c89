/*
 * minidump_handles.c - the HandleData stream (12): the handles the process
 * had open, with their object types and names, into dump->handles.  The
 * locks pass names what a thread waits on with it (an event, a mutant and
 * its owner, a semaphore).
 *
 * MINIDUMP_HANDLE_DATA_STREAM (minidumpapiset.h): SizeOfHeader,
 * SizeOfDescriptor, NumberOfDescriptors, Reserved (u32), then the
 * descriptors at SizeOfHeader.  MINIDUMP_HANDLE_DESCRIPTOR (32 bytes):
 * Handle (u64), TypeNameRva, ObjectNameRva (MINIDUMP_STRING), Attributes,
 * GrantedAccess, HandleCount, PointerCount (u32).
 * MINIDUMP_HANDLE_DESCRIPTOR_2 (40 bytes) adds ObjectInfoRva and Reserved0:
 * a chain of MINIDUMP_HANDLE_OBJECT_INFORMATION (NextInfoRva, InfoType,
 * SizeOfInfo, u32; then SizeOfInfo bytes).  Microsoft documents the info
 * types but not their contents; the one read here is MiniMutantInformation2
 * (3), the owner's client id as dbghelp writes it from
 * MUTANT_OWNER_INFORMATION: process id then thread id, each 4 bytes
 * (SizeOfInfo 8) or pointer-sized (SizeOfInfo 16).  A descriptor larger
 * than the known ones is read as its known prefix.
 */
#include "minidump.h"
#include "util.h"

#include <stdlib.h>

#define MD_HANDLE_DATA_HEADER_SIZE 16u
#define MD_HANDLE_DESCRIPTOR_SIZE 32u
#define MD_HANDLE_DESCRIPTOR_2_SIZE 40u
#define MD_HANDLE_INFO_HEADER_SIZE 12u
#define MD_MINI_MUTANT_INFORMATION_2 3u
/* Object information records followed per handle: a chain that loops or
 * runs long is cut here (dbghelp writes one or two per handle). */
#define MD_HANDLE_MAX_INFOS 16u

/* A mutant's owner from its MiniMutantInformation2 record C (SIZE bytes). */
static void read_mutant_owner(struct md_state *md, const struct md_stream *s,
			      size_t i, struct cr_cursor *c, uint32_t size,
			      struct cr_handle *h)
{
	struct cr_error *err = NULL;
	if (size == 8) {
		uint32_t pid, tid;
		if (!(err = cr_cursor_u32(c, &pid)) &&
		    !(err = cr_cursor_u32(c, &tid))) {
			h->owner_pid = pid;
			h->owner_tid = tid;
			h->owner_known = true;
		}
	} else if (size == 16) {
		uint64_t pid, tid;
		if (!(err = cr_cursor_u64(c, &pid)) &&
		    !(err = cr_cursor_u64(c, &tid))) {
			/* Client ids are 32-bit numbers in pointer-sized
			 * fields: larger ones are not ids. */
			if (pid <= UINT32_MAX && tid <= UINT32_MAX) {
				h->owner_pid = (int64_t)pid;
				h->owner_tid = (int64_t)tid;
				h->owner_known = true;
			} else {
				md_problem(md, s, "handle %zu: mutant owner %#llx/%#llx is not a client id",
					   i, (unsigned long long)pid,
					   (unsigned long long)tid);
			}
		}
	} else {
		md_problem(md, s, "handle %zu: mutant owner of %u bytes (8 or 16 known)",
			   i, size);
	}
	if (err)
		md_fail(md, s, err);
}

/* Follow the object information chain at RVA of handle I. */
static void read_object_info(struct md_state *md, const struct md_stream *s,
			     size_t i, uint32_t rva, struct cr_handle *h)
{
	for (unsigned n = 0; rva != 0; n++) {
		if (n == MD_HANDLE_MAX_INFOS) {
			md_problem(md, s, "handle %zu: more than %u object information records (a loop?)",
				   i, MD_HANDLE_MAX_INFOS);
			return;
		}
		struct cr_cursor c, body;
		uint32_t next, type, size;
		struct cr_error *err;
		if ((err = md_sub(md, rva, MD_HANDLE_INFO_HEADER_SIZE,
				  "handle object information", &c)) ||
		    (err = cr_cursor_u32(&c, &next)) ||
		    (err = cr_cursor_u32(&c, &type)) ||
		    (err = cr_cursor_u32(&c, &size)) ||
		    (err = md_sub(md, (uint64_t)rva + MD_HANDLE_INFO_HEADER_SIZE,
				  size, "handle object information", &body))) {
			md_fail(md, s, err);
			return;
		}
		if (type == MD_MINI_MUTANT_INFORMATION_2)
			read_mutant_owner(md, s, i, &body, size, h);
		rva = next;
	}
}

void md_read_handle_data(struct md_state *md, const struct md_stream *s)
{
	struct cr_cursor c;
	uint32_t header_size, desc_size, count, reserved;
	struct cr_error *err;

	if (!md_stream_cursor(md, s, &c))
		return;
	if ((err = cr_cursor_u32(&c, &header_size)) ||
	    (err = cr_cursor_u32(&c, &desc_size)) ||
	    (err = cr_cursor_u32(&c, &count)) ||
	    (err = cr_cursor_u32(&c, &reserved)) ||
	    (err = cr_cursor_seek(&c, header_size)))
		{ md_fail(md, s, err); return; }
	if (header_size < MD_HANDLE_DATA_HEADER_SIZE || desc_size == 0) {
		md_problem(md, s, "header of %u bytes, descriptors of %u",
			   header_size, desc_size);
		return;
	}
	size_t n = md_list_entries(md, s, &c, count, desc_size, UINT32_MAX,
				   "handles");
	char num[CR_COUNT_LEN];
	cr_dump_fact(md->d, "Handles", "%s", cr_fmt_count(num, n));
	if (desc_size < MD_HANDLE_DESCRIPTOR_SIZE) {
		md_problem(md, s, "descriptors of %u bytes (a MINIDUMP_HANDLE_DESCRIPTOR has 32): handles not read",
			   desc_size);
		return;
	}
	size_t keep = n < CR_MAX_HANDLES ? n : CR_MAX_HANDLES;
	if (keep < n)
		md_problem(md, s, "%zu handles, keeping the first %zu", n, keep);
	if (keep == 0)
		return;
	struct cr_dump *d = md->d;
	d->handles = calloc(keep, sizeof(*d->handles));
	if (!d->handles) {
		cr_dump_oom(d, "handles (HandleData)");
		return;
	}
	for (size_t i = 0; i < keep; i++) {
		struct cr_handle *h = &d->handles[i];
		struct cr_cursor e;
		uint32_t type_rva, name_rva, handle_count, pointer_count;
		uint32_t info_rva = 0;
		/* n descriptors fit in the stream: these reads cannot fail. */
		if ((err = cr_cursor_sub(&c, c.pos, desc_size, NULL, &e)) ||
		    (err = cr_cursor_skip(&c, desc_size)) ||
		    (err = cr_cursor_u64(&e, &h->value)) ||
		    (err = cr_cursor_u32(&e, &type_rva)) ||
		    (err = cr_cursor_u32(&e, &name_rva)) ||
		    (err = cr_cursor_u32(&e, &h->attributes)) ||
		    (err = cr_cursor_u32(&e, &h->granted_access)) ||
		    (err = cr_cursor_u32(&e, &handle_count)) ||
		    (err = cr_cursor_u32(&e, &pointer_count)) ||
		    (desc_size >= MD_HANDLE_DESCRIPTOR_2_SIZE &&
		     (err = cr_cursor_u32(&e, &info_rva)))) {
			md_fail(md, s, err);
			break;
		}
		d->nhandles = i + 1;
		if ((err = md_read_string(md, type_rva, &h->type))) {
			md_problem(md, s, "handle %zu type name: %s", i,
				   err->message);
			cr_error_free(err);
		}
		if ((err = md_read_string(md, name_rva, &h->name))) {
			md_problem(md, s, "handle %zu object name: %s", i,
				   err->message);
			cr_error_free(err);
		}
		/* An empty name is no name. */
		if (h->name && !h->name[0]) {
			free(h->name);
			h->name = NULL;
		}
		read_object_info(md, s, i, info_rva, h);
	}
	/* Sorted once, so that the lookups (locks_windows.c asks for each
	 * handle a waiting thread's stack may hold) are binary searches. */
	qsort(d->handles, d->nhandles, sizeof(*d->handles), cr_handle_order);
}
