/*
 * elfcore.c - the Linux ELF core reader.
 *
 * A core file is an ELF file of type ET_CORE whose program headers describe
 * the process: one PT_LOAD per memory mapping (p_vaddr/p_memsz the mapping,
 * p_offset/p_filesz the bytes that were written, often fewer or none) and
 * PT_NOTE segments holding the process and thread state as ELF notes.  The
 * layouts of the notes are those of the Linux uapi (linux/elfcore.h,
 * asm/user.h, siginfo.h) as written by fs/binfmt_elf.c and by gdb's gcore:
 *
 *   NT_PRSTATUS  one per thread, crashing (dumping) thread first: signal,
 *                tid, cpu times, general registers (pr_reg).
 *   NT_PRPSINFO  process: pid, ppid, uid, gid, 16-char name, 80-char args.
 *   NT_SIGINFO   the siginfo_t of the signal that killed the process.
 *   NT_AUXV      the auxiliary vector.
 *   NT_FILE      the file-backed mappings: ranges, offsets, paths.
 *
 * libelf gives us the ELF and program headers (it handles byte order and
 * class); notes are parsed here through struct cr_cursor, because their
 * sizes come from the file and must be checked one by one.  Every offset
 * and size is checked against the file with overflow builtins: a core cut
 * off part way (a partial copy) keeps what is there and records a problem
 * for each missing part.
 *
 * Modules are found by elfcore_modules.c (the auxv and the link map,
 * NT_FILE, ELF headers in memory); the analyzer unwinds over the model, not through libdwfl's core
 * memory reader.
 */
#include "dump.h"
#include "readers.h"
#include "cursor.h"
#include "elfcore_private.h"
#include "elfcore_notes.h"
#include "util.h"

#include <elf.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

/* Limits of this reader, beyond dump.h's. */
#define EC_MAX_AUXV 4096		/* auxv entries kept */
#define EC_MAX_NOTE_NAME 4096		/* longer note names are not CORE */

/* ----------------------------------------------------------------------- */
/* Architecture tables                                                      */

static const struct {
	uint16_t machine;
	enum cr_arch arch;
} machines[] = {
	{ EM_X86_64, CR_ARCH_X86_64 },
	{ EM_386, CR_ARCH_X86 },
	{ EM_AARCH64, CR_ARCH_AARCH64 },
	{ EM_ARM, CR_ARCH_ARM },
	{ EM_PPC, CR_ARCH_PPC },
	{ EM_PPC64, CR_ARCH_PPC64 },
	{ EM_S390, CR_ARCH_S390X },
};

/* pr_reg slot -> DWARF number; REG_SKIP not kept, REG_ORIG the syscall. */
#define REG_SKIP -1
#define REG_ORIG -2

/* x86_64 struct user_regs_struct (asm/user_64.h). */
static const int x86_64_pr_reg[] = {
	15, 14, 13, 12, 6, 3, 11, 10, 9, 8,	/* r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 */
	0, 2, 1, 4, 5,				/* rax rcx rdx rsi rdi */
	REG_ORIG, 16, 51, 49, 7, 52,		/* orig_rax rip cs eflags rsp ss */
	58, 59, 53, 50, 54, 55,			/* fs_base gs_base ds es fs gs */
};

/* i386 struct user_regs_struct (asm/user_32.h). */
static const int x86_pr_reg[] = {
	3, 1, 2, 6, 7, 5, 0,			/* ebx ecx edx esi edi ebp eax */
	43, 40, 44, 45,				/* xds xes xfs xgs */
	REG_ORIG, 8, 41, 9, 4, 42,		/* orig_eax eip xcs eflags esp xss */
};

/* aarch64 struct user_pt_regs: x0-x30, sp, pc, pstate. */
static const int aarch64_pr_reg[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
	31, 32, 33,
};

/* arm: r0-r15, cpsr (slot 16: its T bit says Thumb), orig_r0 (the syscall
 * is not reliable there). */
static const int arm_pr_reg[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, REG_SKIP,
};

/* s390x s390_regs (asm/ptrace.h): psw mask, psw addr, gprs 0-15 (the
 * 4-byte access registers that follow are not kept).  DWARF numbers per
 * the s390x ELF ABI: r0-r15 0-15, PSW address 65. */
static const int s390x_pr_reg[] = {
	REG_SKIP, 65,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

/* ppc/ppc64 pt_regs (asm/ptrace.h): gpr0-31, nip, msr, orig_gpr3, ctr,
 * link, then xer ccr softe trap dar dsisr result (not kept).  DWARF: r0-r31
 * 0-31, LR 65, CTR 66; nip has no DWARF number: slot 127 (arch.c). */
static const int ppc_pr_reg[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
	127, REG_SKIP, REG_SKIP, 66, 65,
};

static const struct {
	enum cr_arch arch;
	const int *map;
	size_t n;
} pr_reg_maps[] = {
	{ CR_ARCH_S390X, s390x_pr_reg, ARRAY_LEN(s390x_pr_reg) },
	{ CR_ARCH_PPC, ppc_pr_reg, ARRAY_LEN(ppc_pr_reg) },
	{ CR_ARCH_PPC64, ppc_pr_reg, ARRAY_LEN(ppc_pr_reg) },
	{ CR_ARCH_X86_64, x86_64_pr_reg, ARRAY_LEN(x86_64_pr_reg) },
	{ CR_ARCH_X86, x86_pr_reg, ARRAY_LEN(x86_pr_reg) },
	{ CR_ARCH_AARCH64, aarch64_pr_reg, ARRAY_LEN(aarch64_pr_reg) },
	{ CR_ARCH_ARM, arm_pr_reg, ARRAY_LEN(arm_pr_reg) },
};

/* Signals whose si_addr is the faulting address when si_code > 0. */
static const int fault_signals[] = { 4 /* SIGILL */, 5 /* SIGTRAP */,
				     7 /* SIGBUS */, 8 /* SIGFPE */,
				     11 /* SIGSEGV */ };

/* ----------------------------------------------------------------------- */
/* Small helpers                                                            */

static int64_t sext(uint64_t v, unsigned size)
{
	if (size == 2)
		return (int16_t)v;
	if (size == 4)
		return (int32_t)v;
	return (int64_t)v;
}

/* A fixed-size char array from the file as a string, trailing blanks cut. */
static char *fixed_string(const struct cr_cursor *c, uint64_t off, size_t n)
{
	struct cr_cursor t;
	struct cr_error *err = cr_cursor_sub(c, off, n, NULL, &t);
	if (err) {
		cr_error_free(err);
		return NULL;
	}
	char *s = NULL;
	err = cr_cursor_cstr(&t, n, &s);
	if (err) {
		cr_error_free(err);
		return NULL;
	}
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = 0;
	if (len == 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* ----------------------------------------------------------------------- */
/* Program headers                                                          */

/*
 * One PT_LOAD: a region for the mapping and a segment for the bytes the
 * file has (trimmed when the file is cut off).
 */
static void add_load(struct ec *ec, size_t i, const GElf_Phdr *ph)
{
	struct cr_dump *d = ec->d;
	uint64_t end;
	if (ph->p_memsz == 0)
		return;
	if (cr_add_overflows(ph->p_vaddr, ph->p_memsz, &end)) {
		cr_dump_problem_at(d, CR_AT_ADDRESS(CR_SEVERITY_ERROR, ph->p_vaddr),
				   "PT_LOAD %zu at 0x%llx: size 0x%llx wraps the address space; ignored",
				i, (unsigned long long)ph->p_vaddr,
				(unsigned long long)ph->p_memsz);
		return;
	}
	if (d->nregions >= CR_MAX_REGIONS) {
		if (d->nregions == CR_MAX_REGIONS)
			cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
					   "more than %d PT_LOAD segments; the rest ignored",
					CR_MAX_REGIONS);
		return;
	}
	uint64_t filesz = ph->p_filesz < ph->p_memsz ? ph->p_filesz
						      : ph->p_memsz;
	uint64_t have = 0;
	if (filesz > 0) {
		uint64_t fend;
		if (ph->p_offset >= d->map_len) {
			have = 0;
		} else if (cr_add_overflows(ph->p_offset, filesz, &fend) ||
			   fend > d->map_len) {
			have = d->map_len - ph->p_offset;
		} else {
			have = filesz;
		}
		if (have < filesz)
			cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, ph->p_offset + have),
					   "PT_LOAD %zu at 0x%llx: %llu of %llu bytes missing: file cut off",
					i, (unsigned long long)ph->p_vaddr,
					(unsigned long long)(filesz - have),
					(unsigned long long)filesz);
	}
	/* Arrays grow at powers of two. */
	if ((d->nregions & (d->nregions - 1)) == 0) {
		size_t cap = d->nregions ? d->nregions * 2 : 16;
		struct cr_region *r = realloc(d->regions, cap * sizeof(*r));
		struct cr_memseg *s = realloc(d->segs, cap * sizeof(*s));
		if (r)
			d->regions = r;
		if (s)
			d->segs = s;
		if (!r || !s) {
			cr_dump_oom(d, "memory (PT_LOAD segments)");
			return;
		}
	}
	struct cr_region *r = &d->regions[d->nregions++];
	memset(r, 0, sizeof(*r));
	r->start = ph->p_vaddr;
	r->end = end;
	r->prot_known = true;
	r->prot = (ph->p_flags & PF_R ? CR_PROT_R : 0) |
		  (ph->p_flags & PF_W ? CR_PROT_W : 0) |
		  (ph->p_flags & PF_X ? CR_PROT_X : 0);
	r->captured = have > 0;
	if (have > 0) {
		struct cr_memseg *s = &d->segs[d->nsegs++];
		s->start = ph->p_vaddr;
		s->size = have;
		s->bytes = (const uint8_t *)d->map + ph->p_offset;
	}
}

/* ----------------------------------------------------------------------- */
/* Notes                                                                    */

static struct cr_thread *new_thread(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	if (d->nthreads >= CR_MAX_THREADS) {
		ec->threads_dropped++;
		return NULL;
	}
	if (d->nthreads == ec->threads_cap) {
		size_t cap = ec->threads_cap ? ec->threads_cap * 2 : 8;
		struct cr_thread *t = realloc(d->threads, cap * sizeof(*t));
		if (t)
			d->threads = t;
		struct ec_thread_raw *raw = realloc(ec->raw, cap * sizeof(*raw));
		if (raw)
			ec->raw = raw;
		if (!t || !raw) {
			cr_dump_oom(d, "threads (NT_PRSTATUS)");
			ec->threads_dropped++;
			return NULL;
		}
		ec->threads_cap = cap;
	}
	struct cr_thread *t = &d->threads[d->nthreads];
	memset(t, 0, sizeof(*t));
	memset(&ec->raw[d->nthreads], 0, sizeof(ec->raw[0]));
	t->tid = -1;
	t->syscall_nr = -1;
	t->create_time = -1;
	d->nthreads++;
	return t;
}

/* A struct timeval at OFF of DESC in microseconds. */
static bool read_timeval(struct ec *ec, const struct cr_cursor *desc,
			 uint64_t off, uint64_t *usec)
{
	uint64_t sec, us;
	if (!cr_cursor_peek(desc, off, ec->word, &sec) ||
	    !cr_cursor_peek(desc, off + ec->word, ec->word, &us))
		return false;
	uint64_t v;
	if (cr_mul_overflows(sec, 1000000, &v) || cr_add_overflows(v, us, &v))
		v = UINT64_MAX;
	*usec = v;
	return true;
}

/* Decode pr_reg (at OFF of DESC) into T's registers. */
static void read_pr_reg(struct ec *ec, const struct cr_cursor *desc,
			uint64_t off, struct cr_thread *t, size_t tindex)
{
	struct cr_dump *d = ec->d;
	const int *map = NULL;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(pr_reg_maps); i++)
		if (pr_reg_maps[i].arch == d->process.arch) {
			map = pr_reg_maps[i].map;
			n = pr_reg_maps[i].n;
		}
	if (!map) {
		/* One problem per dump, not per thread. */
		if (tindex == 0)
			cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
					   "registers of %s not decoded",
					cr_arch_name(d->process.arch));
		return;
	}
	uint64_t need = off + (uint64_t)n * ec->word;
	if (need > desc->len) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, desc->file_off),
				   "thread %zu (tid %lld): NT_PRSTATUS has %zu bytes, registers need %llu; registers not read",
				tindex, (long long)t->tid, desc->len,
				(unsigned long long)need);
		return;
	}
	/* elf_prstatus ends with pr_fpvalid (an int, padded to the word):
	 * any other size means the note's size field lies, and the notes
	 * after it are read from the wrong place. */
	uint64_t expect = need + (ec->is64 ? 8 : 4);
	if (desc->len != expect)
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_WARNING, desc->file_off),
				   "note %zu (NT_PRSTATUS) at offset 0x%llx: %zu bytes, expected %llu for %s; the notes after it may be misread",
				ec->note_index, (unsigned long long)desc->file_off,
				desc->len, (unsigned long long)expect,
				cr_arch_name(d->process.arch));
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		cr_cursor_peek(desc, off + i * ec->word, ec->word, &v);
		if (map[i] == REG_ORIG) {
			int64_t nr = sext(v, ec->word);
			t->syscall_known = true;
			t->in_syscall = nr >= 0;
			t->syscall_nr = nr >= 0 ? nr : -1;
		} else if (map[i] >= 0) {
			cr_regs_set(&t->regs, (unsigned)map[i], v);
		}
	}
}

static void note_prstatus(struct ec *ec, const struct cr_cursor *desc)
{
	const struct prstatus_layout *l = ec->is64 ? &prstatus64 : &prstatus32;
	struct cr_dump *d = ec->d;
	if (desc->len < (uint64_t)l->reg) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, desc->file_off),
				   "note %zu (NT_PRSTATUS) at offset 0x%llx: %zu bytes, too short",
				ec->note_index,
				(unsigned long long)desc->file_off, desc->len);
		return;
	}
	size_t index = d->nthreads;
	struct cr_thread *t = new_thread(ec);
	if (!t)
		return;
	uint64_t v;
	cr_cursor_peek(desc, l->pid, 4, &v);
	t->tid = sext(v, 4);
	cr_cursor_peek(desc, l->cursig, 2, &v);
	t->signo = (int)sext(v, 2);
	struct ec_thread_raw *raw = &ec->raw[index];
	raw->have_times = read_timeval(ec, desc, l->utime, &raw->utime) &&
			  read_timeval(ec, desc, l->stime, &raw->stime);
	read_pr_reg(ec, desc, l->reg, t, index);
}

static void note_prpsinfo(struct ec *ec, const struct cr_cursor *desc)
{
	struct cr_dump *d = ec->d;
	const struct prpsinfo_layout *l = NULL;
	for (size_t i = 0; i < ARRAY_LEN(prpsinfo_layouts); i++)
		if (prpsinfo_layouts[i].size == desc->len &&
		    (desc->len == 136) == ec->is64)
			l = &prpsinfo_layouts[i];
	if (!l) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, desc->file_off),
				   "note %zu (NT_PRPSINFO) at offset 0x%llx: unexpected size %zu; ignored",
				ec->note_index,
				(unsigned long long)desc->file_off, desc->len);
		return;
	}
	if (ec->have_prpsinfo) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_WARNING, desc->file_off),
				   "note %zu: a second NT_PRPSINFO; ignored",
				ec->note_index);
		return;
	}
	ec->have_prpsinfo = true;
	uint64_t v;
	cr_cursor_peek(desc, l->pid, 4, &v);
	d->process.pid = sext(v, 4);
	cr_cursor_peek(desc, l->ppid, 4, &v);
	d->process.ppid = sext(v, 4);
	cr_cursor_peek(desc, l->uid, l->uid_size, &v);
	d->process.uid = (int64_t)v;
	cr_cursor_peek(desc, l->gid, l->uid_size, &v);
	d->process.gid = (int64_t)v;
	ec->fname = fixed_string(desc, l->fname, PR_FNAME_LEN);
	/* The kernel has already turned the NULs between arguments into
	 * spaces; pr_psargs is cut at 80 bytes. */
	d->process.command_line = fixed_string(desc, l->psargs, PR_PSARGS_LEN);
}

/*
 * siginfo_t: si_signo, si_errno, si_code (ints), then the union, aligned to
 * the word size.  For faults the union starts with si_addr; for kill-like
 * codes (si_code <= 0) with si_pid, si_uid.
 */
static void note_siginfo(struct ec *ec, const struct cr_cursor *desc)
{
	struct cr_dump *d = ec->d;
	unsigned u = ec->is64 ? SIGINFO_UNION64 : SIGINFO_UNION32;
	/* The kernel writes one, after the dumping thread's NT_PRSTATUS;
	 * gdb one after each thread's. */
	struct ec_siginfo *si = d->nthreads ? &ec->raw[d->nthreads - 1].si
					    : &ec->orphan_si;
	if (si->have)
		return;
	if (desc->len < (uint64_t)u + ec->word) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, desc->file_off),
				   "note %zu (NT_SIGINFO) at offset 0x%llx: %zu bytes, too short",
				ec->note_index,
				(unsigned long long)desc->file_off, desc->len);
		return;
	}
	si->have = true;
	uint64_t v;
	cr_cursor_peek(desc, 0, 4, &v);
	si->signo = (int)sext(v, 4);
	cr_cursor_peek(desc, 4, 4, &v);
	si->errno_ = (int)sext(v, 4);
	cr_cursor_peek(desc, 8, 4, &v);
	si->code = (int)sext(v, 4);
	cr_cursor_peek(desc, u, ec->word, &si->addr);
	cr_cursor_peek(desc, u, 4, &v);
	si->pid = sext(v, 4);
	cr_cursor_peek(desc, u + 4, 4, &v);
	si->uid = (int64_t)v;
}

static void note_auxv(struct ec *ec, const struct cr_cursor *desc)
{
	struct cr_dump *d = ec->d;
	if (d->auxv) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_WARNING, desc->file_off),
				   "note %zu: a second NT_AUXV; ignored",
				ec->note_index);
		return;
	}
	size_t n = desc->len / (2u * ec->word);
	if (n > EC_MAX_AUXV) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_WARNING, desc->file_off),
				   "note %zu (NT_AUXV): %zu entries, only %d kept",
				ec->note_index, n, EC_MAX_AUXV);
		n = EC_MAX_AUXV;
	}
	if (n == 0)
		return;
	d->auxv = calloc(n, sizeof(*d->auxv));
	if (!d->auxv) {
		cr_dump_oom(d, "the auxiliary vector (NT_AUXV)");
		return;
	}
	struct cr_cursor c = *desc;
	for (size_t i = 0; i < n; i++) {
		uint64_t type, val;
		if (cr_cursor_word(&c, ec->word, &type) ||
		    cr_cursor_word(&c, ec->word, &val))
			break;	/* cannot happen: n was computed from len */
		if (type == AT_NULL)
			break;
		d->auxv[d->nauxv].type = type;
		d->auxv[d->nauxv].value = val;
		d->nauxv++;
	}
}

/*
 * NT_FILE: count and page size (words), count (start, end, page offset)
 * triples, then count NUL-terminated paths.  The count is checked against
 * the note's size before anything is allocated.
 */
static void note_file(struct ec *ec, const struct cr_cursor *desc)
{
	struct cr_dump *d = ec->d;
	struct cr_cursor c = *desc;
	uint64_t count, page_size, table;
	if (ec->files) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_WARNING, desc->file_off),
				   "note %zu: a second NT_FILE; ignored",
				ec->note_index);
		return;
	}
	if (cr_cursor_word(&c, ec->word, &count) ||
	    cr_cursor_word(&c, ec->word, &page_size)) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, desc->file_off),
				   "note %zu (NT_FILE) at offset 0x%llx: %zu bytes, too short",
				ec->note_index,
				(unsigned long long)desc->file_off, desc->len);
		return;
	}
	if (cr_mul_overflows(count, 3ull * ec->word, &table) ||
	    table > cr_cursor_left(&c)) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, desc->file_off),
				   "note %zu (NT_FILE) at offset 0x%llx: count %llu exceeds note size %zu",
				ec->note_index,
				(unsigned long long)desc->file_off,
				(unsigned long long)count, desc->len);
		return;
	}
	if (count > CR_MAX_REGIONS) {
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, desc->file_off),
				   "note %zu (NT_FILE): %llu files, more than %d; ignored",
				ec->note_index, (unsigned long long)count,
				CR_MAX_REGIONS);
		return;
	}
	if (count == 0)
		return;
	ec->files = calloc((size_t)count, sizeof(*ec->files));
	if (!ec->files) {
		cr_dump_oom(d, "mapped file names (NT_FILE)");
		return;
	}
	ec->page_size = page_size;
	for (size_t i = 0; i < count; i++) {
		struct ec_file *f = &ec->files[i];
		uint64_t pgoff;
		cr_cursor_word(&c, ec->word, &f->start);
		cr_cursor_word(&c, ec->word, &f->end);
		cr_cursor_word(&c, ec->word, &pgoff);
		if (cr_mul_overflows(pgoff, page_size, &f->offset))
			f->offset = 0;
	}
	size_t named = 0;
	for (; named < count && cr_cursor_left(&c) > 0; named++) {
		struct cr_error *err = cr_cursor_cstr(&c, CR_MAX_STRING,
						      &ec->files[named].path);
		if (err) {
			cr_error_free(err);
			break;
		}
	}
	if (named < count)
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_WARNING, desc->file_off),
				   "note %zu (NT_FILE): %llu files but only %zu names",
				ec->note_index, (unsigned long long)count,
				named);
	ec->nfiles = (size_t)count;
}

/* Dispatch one note by owner name and type. */
static void note_one(struct ec *ec, const char *name, size_t namelen,
		     uint32_t type, const struct cr_cursor *desc)
{
	if (!ec->first_note_seen) {
		ec->first_note_seen = true;
		ec->first_note_type = type;
	}
	if (ec->note_index < 3)
		ec->lead_types[ec->note_index] = type;
	if (type == NT_PRFPREG || type == NT_SIGINFO || type == NT_FILE)
		ec->saw_kernel_note = true;
	if (namelen == strlen(CR_NOTE_OWNER) &&
	    !memcmp(name, CR_NOTE_OWNER, namelen)) {
		elfcore_note_coroner(ec, type, desc);
		return;
	}
	if (namelen != 4 || memcmp(name, "CORE", 4) != 0)
		return;	/* "LINUX" notes: FP/vector state, not used */
	switch (type) {
	case NT_PRSTATUS:
		note_prstatus(ec, desc);
		break;
	case NT_PRPSINFO:
		note_prpsinfo(ec, desc);
		break;
	case NT_SIGINFO:
		note_siginfo(ec, desc);
		break;
	case NT_AUXV:
		note_auxv(ec, desc);
		break;
	case NT_FILE:
		note_file(ec, desc);
		break;
	default:
		break;
	}
}

/*
 * Parse the notes of PT_NOTE segment I, the file bytes [OFF, OFF+LEN).
 * Each note: namesz, descsz, type (u32), then the name and the descriptor,
 * each padded to 4 bytes (Linux cores use 4 on every class).  A note whose
 * sizes run past the segment ends the parsing of this segment.
 */
static void parse_notes(struct ec *ec, size_t i, uint64_t off, uint64_t len)
{
	struct cr_dump *d = ec->d;
	struct cr_cursor file = cr_cursor_make(d->map, d->map_len,
					       ec->big_endian, 0, d->path);
	struct cr_cursor c;
	struct cr_error *err = cr_cursor_sub(&file, off, len, NULL, &c);
	if (err) {
		cr_error_free(err);
		return;	/* add_note_segment() trimmed it already */
	}
	while (cr_cursor_left(&c) > 0) {
		uint64_t at = c.file_off + c.pos;
		uint32_t namesz, descsz, type;
		const uint8_t *name;
		if (cr_cursor_left(&c) < 12) {
			cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_WARNING, at),
					   "PT_NOTE %zu: %zu stray bytes at offset 0x%llx",
					i, cr_cursor_left(&c),
					(unsigned long long)at);
			return;
		}
		cr_cursor_u32(&c, &namesz);
		cr_cursor_u32(&c, &descsz);
		cr_cursor_u32(&c, &type);
		uint64_t namepad = ((uint64_t)namesz + 3) & ~3ull;
		uint64_t descpad = ((uint64_t)descsz + 3) & ~3ull;
		struct cr_cursor desc;
		err = cr_cursor_bytes(&c, namepad, &name);
		if (!err)
			err = cr_cursor_sub(&c, c.pos, descsz, "note", &desc);
		if (!err)
			err = cr_cursor_skip(&c, descpad < cr_cursor_left(&c)
						     ? descpad
						     : cr_cursor_left(&c));
		if (err) {
			cr_error_free(err);
			cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, at),
					   "note %zu (type 0x%x) at offset 0x%llx: name size %u and descriptor size %u run past the end of PT_NOTE %zu; rest of its notes ignored",
					ec->note_index, type,
					(unsigned long long)at, namesz, descsz,
					i);
			return;
		}
		/* The name includes its NUL. */
		size_t namelen = namesz;
		if (namelen > 0 && name[namelen - 1] == 0)
			namelen--;
		note_one(ec, (const char *)name, namelen, type, &desc);
		ec->note_index++;
	}
}

/* ----------------------------------------------------------------------- */
/* After the notes                                                          */

/*
 * Decide the producer, the cpu times and the event.
 *
 * Producer: the kernel writes its notes starting with the dumping thread's
 * NT_PRSTATUS (fs/binfmt_elf.c fill_note_info); gdb's gcore starts with
 * NT_PRPSINFO (linux-tdep.c linux_make_corefile_notes) and writes zeros for
 * every pr_utime/pr_stime.  The first note's type is the test.  qemu-user
 * is told apart by its notes (written_by_qemu) and also writes zero times.
 *
 * Times: in a kernel core the thread-group leader's entry (tid == pid) holds
 * the whole process's times (thread_group_cputime) and the other entries
 * each thread's own.  Zeros from the kernel are real (a process that ran
 * less than a tick); gcore's zeros mean "not recorded".
 *
 * Signal: the kernel copies the fatal signal into every thread's pr_cursig;
 * the dumping thread comes first, followed by the one NT_SIGINFO.  gcore
 * records each thread's pending stop signal in pr_cursig (0 for every thread
 * of a live process) and writes an NT_SIGINFO after every thread: for a
 * live process that is the SIGSTOP (si_code SI_KERNEL) of gdb's own
 * ptrace attach, which is no event.  So the event is the first non-zero
 * pr_cursig, and an NT_SIGINFO only describes it when the numbers agree.
 */
/*
 * qemu-user's cores (linux-user/elfload.c fill_note_info): NT_PRSTATUS of
 * the dumping thread, NT_PRPSINFO, NT_AUXV, then one NT_PRSTATUS per other
 * thread, with zero cpu times; never NT_PRFPREG, NT_SIGINFO or NT_FILE.
 * The kernel writes NT_PRFPREG for every thread (since Linux 3.7 also
 * NT_SIGINFO and NT_FILE), so all of this together is qemu's.
 */
static bool written_by_qemu(const struct ec *ec)
{
	if (ec->saw_kernel_note || ec->note_index < 3 ||
	    ec->lead_types[0] != NT_PRSTATUS ||
	    ec->lead_types[1] != NT_PRPSINFO || ec->lead_types[2] != NT_AUXV)
		return false;
	for (size_t i = 0; i < ec->d->nthreads; i++)
		if (ec->raw[i].utime || ec->raw[i].stime)
			return false;
	return true;
}

static void finish_threads(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	bool gcore = ec->first_note_seen &&
		     ec->first_note_type == NT_PRPSINFO;
	bool qemu = !gcore && written_by_qemu(ec);
	d->producer = strdup(ec->coroner ? "coroner" : gcore ? "gdb (gcore)"
			     : qemu ? "qemu-user" : "Linux kernel");

	if (d->process.pid < 0 && d->nthreads > 0)
		d->process.pid = d->threads[0].tid;

	/* gcore and qemu-user write zeros: not recorded. */
	if (!gcore && !qemu && d->nthreads > 0) {
		for (size_t i = 0; i < d->nthreads; i++) {
			struct cr_thread *t = &d->threads[i];
			if (!ec->raw[i].have_times)
				continue;
			t->user = (struct cr_cpu_time){ true, ec->raw[i].utime };
			t->sys = (struct cr_cpu_time){ true, ec->raw[i].stime };
			/* coroner writes each thread's own time and the
			 * process's totals in its note. */
			if (t->tid == d->process.pid && !ec->coroner) {
				d->process.user = t->user;
				d->process.sys = t->sys;
				/* The leader's own share is not recorded
				 * unless it is the only thread. */
				if (d->nthreads > 1)
					t->user.known = t->sys.known = false;
			}
		}
	}

	/* The event. */
	ptrdiff_t sig_thread = -1;
	for (size_t i = 0; i < d->nthreads; i++)
		if (d->threads[i].signo != 0) {
			sig_thread = (ptrdiff_t)i;
			break;
		}
	if (!gcore && sig_thread >= 0)
		for (size_t i = (size_t)sig_thread + 1; i < d->nthreads; i++)
			d->threads[i].signo = 0;
	if (sig_thread < 0)
		return;	/* CR_EVENT_NONE: taken on demand */
	int signo = d->threads[sig_thread].signo;
	struct cr_event *e = &d->event;
	e->kind = CR_EVENT_SIGNAL;
	e->signo = signo;
	e->tid = d->threads[sig_thread].tid;
	const struct ec_siginfo *si = &ec->raw[sig_thread].si;
	if (!si->have)
		si = &ec->orphan_si;
	if (!si->have || si->signo != signo)
		return;
	e->siginfo_known = true;
	e->si_code = si->code;
	e->si_errno = si->errno_;
	if (si->code > 0) {
		for (size_t i = 0; i < ARRAY_LEN(fault_signals); i++)
			if (fault_signals[i] == signo) {
				e->fault_addr_known = true;
				e->fault_addr = si->addr;
			}
	} else {
		e->sender_known = true;
		e->sender_pid = si->pid;
		e->sender_uid = si->uid;
	}
}

static int cmp_file(const void *a, const void *b)
{
	const struct ec_file *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* Longer first, so the one kept for a shared start is the larger. */
	return x->end > y->end ? -1 : x->end < y->end;
}

/*
 * Make the sorted ranges F[0..N) disjoint, in place: where ranges overlap
 * (a lying NT_FILE), the one that starts first keeps the bytes, a later one
 * is trimmed to start where the kept ones end, or dropped when nothing of it
 * is left.  Returns the new count.  One pass: every kept range ends after
 * the one before it, so the last kept range holds the highest end.
 */
static size_t disjoin_files(struct ec_file *f, size_t n)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		struct ec_file r = f[i];
		if (out > 0 && r.start < f[out - 1].end) {
			uint64_t prev_end = f[out - 1].end;
			if (r.end <= prev_end)
				continue;
			r.offset += prev_end - r.start;	/* unsigned: wraps harmlessly */
			r.start = prev_end;
		}
		f[out++] = r;
	}
	return out;
}

/*
 * Put NT_FILE's paths on the regions.  Kernel cores have one PT_LOAD per
 * mapping, so ranges and regions match exactly; when a range covers only
 * part of a region (another producer), the region is split at the range's
 * edges so that each piece has one backing.  Regions are sorted already.
 *
 * Linear after the sorts: the ranges are made disjoint first, so a merge of
 * the two sorted lists visits each (region, range) overlap once, and there
 * are at most nregions + nranges of those.  (Without that step one range
 * spanning the address space kept the merge from advancing and made it
 * quadratic: 60,000 regions took 16 s.)
 */
static void annotate_regions(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	if (ec->nfiles == 0 || d->nregions == 0)
		return;
	/* Sorted copy of the ranges (paths borrowed). */
	struct ec_file *f = malloc(ec->nfiles * sizeof(*f));
	if (!f) {
		cr_dump_oom(d, "file names of memory regions");
		return;
	}
	size_t nf = 0;
	for (size_t i = 0; i < ec->nfiles; i++)
		if (ec->files[i].path && ec->files[i].end > ec->files[i].start)
			f[nf++] = ec->files[i];
	qsort(f, nf, sizeof(*f), cmp_file);
	nf = disjoin_files(f, nf);

	size_t cap = d->nregions + 2 * nf;
	struct cr_region *out = calloc(cap, sizeof(*out));
	if (!out) {
		cr_dump_oom(d, "file names of memory regions");
		free(f);
		return;
	}
	size_t n = 0, j = 0;
	for (size_t i = 0; i < d->nregions; i++) {
		struct cr_region r = d->regions[i];
		while (j < nf && f[j].end <= r.start)
			j++;
		uint64_t cur = r.start;
		for (size_t k = j; k < nf && f[k].start < r.end && n + 2 < cap; k++) {
			if (f[k].start > cur) {	/* an unbacked piece */
				out[n] = r;
				out[n].start = cur;
				out[n].end = f[k].start;
				n++;
				cur = f[k].start;
			}
			uint64_t end = f[k].end < r.end ? f[k].end : r.end;
			out[n] = r;
			out[n].start = cur;
			out[n].end = end;
			out[n].path = strdup(f[k].path);
			out[n].file_offset = f[k].offset + (cur - f[k].start);
			n++;
			cur = end;
		}
		if (cur < r.end && n < cap) {
			out[n] = r;
			out[n].start = cur;
			n++;
		}
	}
	free(d->regions);
	d->regions = out;
	d->nregions = n;
	free(f);
}

bool elfcore_auxv_get(const struct cr_dump *d, uint64_t type, uint64_t *val)
{
	for (size_t i = 0; i < d->nauxv; i++)
		if (d->auxv[i].type == type) {
			*val = d->auxv[i].value;
			return true;
		}
	return false;
}

/* Whether AT_EXECFN's string in memory is an absolute path. */
static bool execfn_absolute(const struct cr_dump *d)
{
	uint64_t v;
	char *execfn = elfcore_auxv_get(d, AT_EXECFN, &v) ?
		       cr_dump_read_string(d, v, CR_MAX_STRING) : NULL;
	bool abs = execfn && execfn[0] == '/';
	free(execfn);
	return abs;
}

/*
 * The executable: AT_EXECFN's string in memory (the path as exec'd) when
 * absolute, else the path of the module holding AT_ENTRY, else AT_EXECFN
 * as it is, else pr_fname (16 chars).  The main module is
 * the one holding AT_ENTRY, else the one whose path is the executable's.
 */
static void find_executable(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	uint64_t v;
	struct cr_module *main_mod = NULL;
	if (elfcore_auxv_get(d, AT_ENTRY, &v)) {
		for (size_t i = 0; i < d->nmodules; i++)
			if (v - d->modules[i].base < d->modules[i].size)
				main_mod = &d->modules[i];
	}
	char *execfn = NULL;
	if (elfcore_auxv_get(d, AT_EXECFN, &v))
		execfn = cr_dump_read_string(d, v, CR_MAX_STRING);
	if (!main_mod && execfn)
		for (size_t i = 0; i < d->nmodules; i++)
			if (strcmp(d->modules[i].path, execfn) == 0)
				main_mod = &d->modules[i];
	if (main_mod)
		main_mod->is_main = true;
	/* AT_EXECFN is the path as given to execve(), maybe relative; an
	 * absolute path of the main module says more. */
	if (execfn && (execfn[0] == '/' || !main_mod ||
		       main_mod->path[0] != '/')) {
		d->process.executable = execfn;
		execfn = NULL;
	} else if (main_mod && main_mod->path[0] == '/') {
		d->process.executable = strdup(main_mod->path);
	}
	free(execfn);
	if (!d->process.executable && ec->fname) {
		d->process.executable = ec->fname;
		ec->fname = NULL;
	}
}

/* ----------------------------------------------------------------------- */

static void ec_cleanup(struct ec *ec)
{
	for (size_t i = 0; i < ec->nfiles; i++)
		free(ec->files[i].path);
	free(ec->files);
	free(ec->raw);
	free(ec->fname);
	elfcore_coroner_free(ec);
	if (ec->elf)
		elf_end(ec->elf);
}

/* Read the PT_NOTE segment I (trimming it when the file is cut off). */
static void add_note_segment(struct ec *ec, size_t i, const GElf_Phdr *ph)
{
	struct cr_dump *d = ec->d;
	uint64_t have, end;
	if (ph->p_offset >= d->map_len)
		have = 0;
	else if (cr_add_overflows(ph->p_offset, ph->p_filesz, &end) ||
		 end > d->map_len)
		have = d->map_len - ph->p_offset;
	else
		have = ph->p_filesz;
	if (have < ph->p_filesz)
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, ph->p_offset + have),
				   "PT_NOTE %zu at offset 0x%llx: %llu of %llu bytes missing: file cut off",
				i, (unsigned long long)ph->p_offset,
				(unsigned long long)(ph->p_filesz - have),
				(unsigned long long)ph->p_filesz);
	if (have > 0)
		parse_notes(ec, i, ph->p_offset, have);
}

struct cr_error *elfcore_read(struct cr_dump *d)
{
	struct ec ec = { .d = d };
	struct cr_error *err = NULL;

	elf_version(EV_CURRENT);
	ec.elf = elf_memory((char *)d->map, d->map_len);
	GElf_Ehdr eh;
	if (!ec.elf || !gelf_getehdr(ec.elf, &eh)) {
		err = cr_error_new(CR_ERR_FORMAT, "%s: not a readable ELF file: %s",
				   d->path, elf_errmsg(-1));
		goto out;
	}
	if (eh.e_type != ET_CORE) {
		err = cr_error_new(CR_ERR_FORMAT, "%s: ELF file of type %u, not a core",
				   d->path, eh.e_type);
		goto out;
	}
	d->reader = "elfcore";
	d->format = strdup("ELF core file");
	ec.is64 = eh.e_ident[EI_CLASS] == ELFCLASS64;
	ec.big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	ec.word = ec.is64 ? 8 : 4;
	ec.machine = eh.e_machine;
	d->process.os = CR_OS_LINUX;
	d->process.pointer_size = ec.word;
	d->process.big_endian = ec.big_endian;
	for (size_t i = 0; i < ARRAY_LEN(machines); i++)
		if (machines[i].machine == eh.e_machine)
			d->process.arch = machines[i].arch;
	if (d->process.arch == CR_ARCH_UNKNOWN)
		cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
				   "unknown machine type %u (e_machine)",
				eh.e_machine);

	if (elf_getphdrnum(ec.elf, &ec.phnum) != 0) {
		err = cr_error_new(CR_ERR_CORRUPT, "%s: cannot read the program header count: %s",
				   d->path, elf_errmsg(-1));
		goto out;
	}
	/* Loads first (the notes' strings may point into memory), then notes. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ec.phnum; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(ec.elf, (int)i, &ph)) {
				if (pass == 0)
					cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
							   "program header %zu: %s",
							i, elf_errmsg(-1));
				continue;
			}
			if (pass == 0 && ph.p_type == PT_LOAD)
				add_load(&ec, i, &ph);
			else if (pass == 1 && ph.p_type == PT_NOTE)
				add_note_segment(&ec, i, &ph);
		}
	if (ec.threads_dropped)
		cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
				   "%zu threads beyond the first %zu not read",
				ec.threads_dropped, d->nthreads);
	if (d->nthreads == 0)
		cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
				   "no thread (NT_PRSTATUS) in the core");
	else if (!ec.have_prpsinfo)
		cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
				   "no NT_PRPSINFO in the core: process name, arguments, parent and user ids are missing");
	cr_dump_finish(d);	/* memory reads need sorted segments */
	finish_threads(&ec);
	elfcore_coroner_finish(&ec);
	/* The modules name the executable only when AT_EXECFN does not by
	 * an absolute path (find_executable); finding them is most of the
	 * reading of a small core. */
	if (!d->identity_only || !execfn_absolute(d)) {
		annotate_regions(&ec);
		elfcore_find_modules(&ec);
		cr_dump_finish(d);
	}
	find_executable(&ec);
out:
	ec_cleanup(&ec);
	return err;
}
