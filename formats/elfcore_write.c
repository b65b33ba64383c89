/*
 * elfcore_write.c - the Linux ELF core writer (elfcore_write.h).
 *
 * The file: the ELF header, the program headers (one PT_NOTE, then one
 * PT_LOAD per mapping), the notes, then the mappings' bytes at page
 * boundaries.  Headers and notes come first so that a file cut off by a
 * full disk still says what it is and where the missing bytes would be.
 *
 * Note order is the kernel's (fs/binfmt_elf.c fill_note_info): the first
 * thread's NT_PRSTATUS, the process notes, that thread's register sets,
 * then each other thread's; gdb, eu-stack and our reader all take the
 * first NT_PRSTATUS as the current thread.  coroner's note comes last.
 */
#include "elfcore_write.h"
#include "elfcore_notes.h"
#include "strbuf.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_CHUNK (4u << 20)	/* bytes of memory read and written at once */

/* --- notes ---------------------------------------------------------------- */

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned size)
{
	memcpy(p + off, &v, size);	/* little endian: the low bytes */
}

static void add_note(struct cr_buf *b, const char *owner, uint32_t type,
		     const void *desc, size_t len)
{
	static const uint8_t zeros[4];
	uint32_t h[3] = { (uint32_t)strlen(owner) + 1, (uint32_t)len, type };
	cr_buf_add(b, (const char *)h, sizeof(h));
	cr_buf_add(b, owner, h[0]);
	cr_buf_add(b, (const char *)zeros, (4 - h[0] % 4) % 4);
	if (len)
		cr_buf_add(b, desc, len);
	cr_buf_add(b, (const char *)zeros, (4 - len % 4) % 4);
}

static void add_prstatus(struct cr_buf *b, const struct cr_core_desc *d,
			 const struct cr_core_thread *t)
{
	const struct prstatus_layout *l = &prstatus64;
	size_t len = l->reg + t->regs_len + 8;
	uint8_t *p = calloc(1, len);
	if (!p) {
		b->oom = true;
		return;
	}
	put(p, l->cursig, (uint64_t)t->signo, 2);
	put(p, l->pid, (uint64_t)t->tid, 4);
	put(p, l->ppid, (uint64_t)d->ppid, 4);
	put(p, l->pgrp, (uint64_t)d->pgrp, 4);
	put(p, l->sid, (uint64_t)d->sid, 4);
	put(p, l->utime, t->utime_us / 1000000, 8);
	put(p, l->utime + 8, t->utime_us % 1000000, 8);
	put(p, l->stime, t->stime_us / 1000000, 8);
	put(p, l->stime + 8, t->stime_us % 1000000, 8);
	if (t->regs_len)
		memcpy(p + l->reg, t->regs, t->regs_len);
	put(p, l->reg + (unsigned)t->regs_len, t->fpregs != NULL, 4);
	add_note(b, "CORE", NT_PRSTATUS, p, len);
	free(p);
}

static void add_prpsinfo(struct cr_buf *b, const struct cr_core_desc *d)
{
	const struct prpsinfo_layout *l = PRPSINFO64;
	uint8_t p[136] = { 0 };
	p[PR_SNAME] = (uint8_t)d->state;
	put(p, l->uid, (uint64_t)d->uid, l->uid_size);
	put(p, l->gid, (uint64_t)d->gid, l->uid_size);
	put(p, l->pid, (uint64_t)d->pid, 4);
	put(p, l->ppid, (uint64_t)d->ppid, 4);
	put(p, l->pid + 8, (uint64_t)d->pgrp, 4);
	put(p, l->pid + 12, (uint64_t)d->sid, 4);
	memcpy(p + l->fname, d->fname, strnlen(d->fname, PR_FNAME_LEN));
	/* pr_psargs: the arguments joined by spaces, cut at 79 bytes. */
	size_t n = d->cmdline_len < PR_PSARGS_LEN - 1 ? d->cmdline_len
						       : PR_PSARGS_LEN - 1;
	for (size_t i = 0; i < n; i++)
		p[l->psargs + i] = d->cmdline[i] ? (uint8_t)d->cmdline[i] : ' ';
	while (n > 0 && p[l->psargs + n - 1] == ' ')
		p[l->psargs + --n] = 0;
	add_note(b, "CORE", NT_PRPSINFO, p, sizeof(p));
}

static void add_file_note(struct cr_buf *b, const struct cr_core_desc *d)
{
	struct cr_buf f = { 0 };
	uint64_t count = 0;
	for (size_t i = 0; i < d->nmaps; i++)
		count += d->maps[i].path != NULL;
	uint64_t head[2] = { count, d->page_size };
	cr_buf_add(&f, (const char *)head, sizeof(head));
	for (size_t i = 0; i < d->nmaps; i++) {
		const struct cr_core_mapping *m = &d->maps[i];
		if (!m->path)
			continue;
		uint64_t e[3] = { m->start, m->end, m->offset / d->page_size };
		cr_buf_add(&f, (const char *)e, sizeof(e));
	}
	for (size_t i = 0; i < d->nmaps; i++)
		if (d->maps[i].path)
			cr_buf_add(&f, d->maps[i].path, strlen(d->maps[i].path) + 1);
	if (f.oom)
		b->oom = true;
	else
		add_note(b, "CORE", NT_FILE, f.p, f.len);
	cr_buf_free(&f);
}

static void add_thread_regsets(struct cr_buf *b, const struct cr_core_thread *t)
{
	if (t->fpregs)
		add_note(b, "CORE", NT_FPREGSET, t->fpregs, t->fpregs_len);
	if (t->xstate)
		add_note(b, "LINUX", NT_X86_XSTATE, t->xstate, t->xstate_len);
}

static void add_text(struct cr_buf *b, uint32_t type, const char *s)
{
	if (s)
		add_note(b, CR_NOTE_OWNER, type, s, strlen(s));
}

void cr_core_coroner_notes(struct cr_buf *b, const struct cr_core_desc *d)
{
	uint64_t times[CR_NT_TIMES_SIZE / 8] = {
		d->wall_ns, d->boot_ns, d->start_ns, d->user_us, d->sys_us, 0
	};
	add_note(b, CR_NOTE_OWNER, CR_NT_TIMES, times, sizeof(times));
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct cr_core_thread *t = &d->threads[i];
		uint8_t p[CR_NT_THREAD_FIXED + CR_CORE_NAME_LEN] = { 0 };
		put(p, 0, (uint64_t)t->tid, 8);
		p[8] = (uint8_t)t->state;
		size_t n = strnlen(t->name, CR_CORE_NAME_LEN - 1);
		memcpy(p + CR_NT_THREAD_FIXED, t->name, n);
		add_note(b, CR_NOTE_OWNER, CR_NT_THREAD, p,
			 CR_NT_THREAD_FIXED + n + 1);
	}
	add_text(b, CR_NT_STATUS, d->status);
	add_text(b, CR_NT_LIMITS, d->limits);
	add_text(b, CR_NT_CGROUP, d->cgroup);
	if (d->cmdline_len)
		add_note(b, CR_NOTE_OWNER, CR_NT_CMDLINE, d->cmdline,
			 d->cmdline_len);
	if (d->environ)
		add_note(b, CR_NOTE_OWNER, CR_NT_ENVIRON, d->environ,
			 d->environ_len);
}

static void build_notes(struct cr_buf *b, const struct cr_core_desc *d)
{
	uint8_t si[SIGINFO_SIZE] = { 0 };
	put(si, 0, (uint64_t)d->signo, 4);
	for (size_t i = 0; i < d->nthreads; i++) {
		add_prstatus(b, d, &d->threads[i]);
		if (i == 0) {
			add_prpsinfo(b, d);
			add_note(b, "CORE", NT_SIGINFO, si, sizeof(si));
			if (d->auxv_len)
				add_note(b, "CORE", NT_AUXV, d->auxv,
					 d->auxv_len);
			add_file_note(b, d);
		}
		add_thread_regsets(b, &d->threads[i]);
	}
	cr_core_coroner_notes(b, d);
}

/* --- the file --------------------------------------------------------------- */

static struct cr_error *write_all(int fd, const void *p, size_t n,
				  struct cr_core_stats *st)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cr_error_new(CR_ERR_IO, "writing the core: %s",
					    w < 0 ? strerror(errno) : "nothing written");
		c += w;
		n -= (size_t)w;
		st->bytes += (uint64_t)w;
	}
	return NULL;
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

#define ZERO_BLOCK 65536u	/* zero runs this long become holes */

static bool all_zero(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/*
 * Write BUF[0..N): blocks of zeros (memory never touched: idle stacks,
 * fresh heap) are skipped with lseek and become holes of a sparse file, as
 * in the kernel's cores; *HOLE says the file ends in one (the caller sets
 * the size).  A file that cannot seek (a pipe) gets the zeros written.
 */
static struct cr_error *write_sparse(int fd, const uint8_t *buf, size_t n,
				     bool *hole, struct cr_core_stats *st)
{
	size_t i = 0;
	while (i < n) {
		size_t len = n - i < ZERO_BLOCK ? n - i : ZERO_BLOCK;
		if (all_zero(buf + i, len) &&
		    lseek(fd, (off_t)len, SEEK_CUR) != (off_t)-1) {
			st->bytes += len;
			*hole = true;
			i += len;
			continue;
		}
		/* The next blocks that are not all zeros, in one write. */
		size_t j = i + len;
		while (j < n) {
			size_t l = n - j < ZERO_BLOCK ? n - j : ZERO_BLOCK;
			if (all_zero(buf + j, l))
				break;
			j += l;
		}
		struct cr_error *err = write_all(fd, buf + i, j - i, st);
		if (err)
			return err;
		*hole = false;
		i = j;
	}
	return NULL;
}

/*
 * The copy is two jobs that each take about half of its time on 1 GB of
 * memory: reading the process (process_vm_readv copies the pages out) and
 * writing the file (write copies them into the page cache).  A reader
 * thread fills NBUF chunks ahead while this thread writes, so on two cores
 * the copy takes about as long as the slower job, not both together
 * (tests/bench/README.md has the figures).  Chunks are consecutive bytes
 * of the file: the PT_LOADs lie back to back.
 */
#define NBUF 4

struct chunk {
	uint8_t *buf;
	size_t n, got;			/* bytes in it; of them read */
};

struct copier {
	const struct cr_core_desc *d;
	size_t map;			/* the reader's place: mapping, */
	uint64_t addr;			/* address in it */
	struct chunk c[NBUF];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t filled, written;	/* chunks so far */
	bool reader_done, writer_stop;
	uint64_t stopped_at;		/* the chunk D->stop dropped: its
					 * address (the reader's) */
};

/* Fill CH with the next chunk of memory; false when all is copied. */
static bool fill_next(struct copier *cp, struct chunk *ch)
{
	const struct cr_core_desc *d = cp->d;
	while (cp->map < d->nmaps) {
		const struct cr_core_mapping *m = &d->maps[cp->map];
		uint64_t end = m->start + m->dump_len;
		if (cp->addr < m->start)
			cp->addr = m->start;
		if (cp->addr >= end) {
			cp->map++;
			continue;
		}
		ch->n = end - cp->addr < COPY_CHUNK ? (size_t)(end - cp->addr)
						    : COPY_CHUNK;
		ch->got = d->read(d->read_ctx, m, cp->addr, ch->buf, ch->n);
		if (d->stop && *d->stop) {
			/* Not all of it was read: none of it is written,
			 * and the copy ends before it. */
			cp->stopped_at = cp->addr;
			return false;
		}
		cp->addr += ch->n;
		return true;
	}
	return false;
}

static void *reader(void *arg)
{
	struct copier *cp = arg;
	for (;;) {
		pthread_mutex_lock(&cp->mu);
		while (cp->filled - cp->written == NBUF && !cp->writer_stop)
			pthread_cond_wait(&cp->cv, &cp->mu);
		bool stop = cp->writer_stop;
		pthread_mutex_unlock(&cp->mu);
		bool more = !stop && fill_next(cp, &cp->c[cp->filled % NBUF]);
		pthread_mutex_lock(&cp->mu);
		if (more)
			cp->filled++;
		else
			cp->reader_done = true;
		pthread_cond_broadcast(&cp->cv);
		pthread_mutex_unlock(&cp->mu);
		if (!more)
			return NULL;
	}
}

/* The next chunk the reader filled, NULL at the end. */
static struct chunk *next_filled(struct copier *cp)
{
	pthread_mutex_lock(&cp->mu);
	while (cp->filled == cp->written && !cp->reader_done)
		pthread_cond_wait(&cp->cv, &cp->mu);
	struct chunk *ch = cp->filled > cp->written ? &cp->c[cp->written % NBUF]
						     : NULL;
	pthread_mutex_unlock(&cp->mu);
	return ch;
}

static void release(struct copier *cp, bool stop)
{
	pthread_mutex_lock(&cp->mu);
	cp->written++;
	cp->writer_stop |= stop;
	pthread_cond_broadcast(&cp->cv);
	pthread_mutex_unlock(&cp->mu);
}

static struct cr_error *copy_memory(int fd, const struct cr_core_desc *d,
				    struct cr_core_stats *st)
{
	struct copier cp = { .d = d };
	struct cr_error *err = NULL;
	size_t nbuf = 0;
	for (; nbuf < NBUF; nbuf++)
		if (!(cp.c[nbuf].buf = malloc(COPY_CHUNK)))
			break;
	if (nbuf == 0)
		return cr_error_new(CR_ERR_NOMEM, "out of memory (core copy buffer)");
	pthread_t th;
	bool threaded = nbuf == NBUF && pthread_mutex_init(&cp.mu, NULL) == 0;
	if (threaded && pthread_cond_init(&cp.cv, NULL) != 0) {
		pthread_mutex_destroy(&cp.mu);
		threaded = false;
	}
	if (threaded && pthread_create(&th, NULL, reader, &cp) != 0) {
		pthread_cond_destroy(&cp.cv);
		pthread_mutex_destroy(&cp.mu);
		threaded = false;
	}
	uint64_t done = 0;
	bool hole = false;
	for (;;) {
		/* Without the thread (none could be made): read, then write. */
		struct chunk *ch = threaded ? next_filled(&cp)
				   : fill_next(&cp, &cp.c[0]) ? &cp.c[0] : NULL;
		if (!ch)
			break;
		if (ch->got < ch->n)
			st->unreadable += ch->n - ch->got;
		err = write_sparse(fd, ch->buf, ch->n, &hole, st);
		done += ch->n;
		st->copied = done;
		if (threaded)
			release(&cp, err != NULL);
		if (err)
			break;
		if (d->progress)
			d->progress(d->progress_ctx, done, st->memory);
	}
	if (threaded) {
		pthread_join(th, NULL);
		pthread_cond_destroy(&cp.cv);
		pthread_mutex_destroy(&cp.mu);
	}
	/* A hole at the end: the file's size says where it ends (also when
	 * D->stop ended the copy: the zeros read before are the memory's). */
	off_t size = lseek(fd, 0, SEEK_CUR);
	if (!err && hole && (size == (off_t)-1 || ftruncate(fd, size) != 0))
		err = cr_error_new(CR_ERR_IO, "writing the core: %s",
				   strerror(errno));
	/* Read on this thread, or joined: no race on it. */
	if (!err && d->stop && *d->stop) {
		st->stopped_at = cp.stopped_at;
		err = cr_error_new(CR_ERR_PROCESS, "the memory went away during the copy");
	}
	for (size_t i = 0; i < nbuf; i++)
		free(cp.c[i].buf);
	return err;
}

struct cr_error *cr_core_write(int fd, const struct cr_core_desc *d,
			       struct cr_core_stats *stats)
{
	struct cr_core_stats st = { 0 };
	struct cr_buf notes = { 0 };
	struct cr_error *err = NULL;
	size_t nph = 1 + d->nmaps;
	Elf64_Phdr *ph = calloc(nph, sizeof(*ph));
	build_notes(&notes, d);
	if (!ph || notes.oom) {
		err = cr_error_new(CR_ERR_NOMEM, "out of memory (core notes)");
		goto out;
	}
	uint64_t page = d->page_size ? d->page_size : 4096;
	uint64_t notes_off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	uint64_t off = round_up(notes_off + notes.len, page);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off,
			      .p_filesz = notes.len, .p_align = 4 };
	for (size_t i = 0; i < d->nmaps; i++) {
		const struct cr_core_mapping *m = &d->maps[i];
		uint64_t size = m->end - m->start;
		ph[1 + i] = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_offset = off,
			.p_vaddr = m->start, .p_memsz = size,
			.p_filesz = m->dump_len, .p_align = page,
			.p_flags = (m->r ? PF_R : 0) | (m->w ? PF_W : 0) |
				   (m->x ? PF_X : 0),
		};
		off += m->dump_len;
		st.memory += m->dump_len;
	}
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = d->machine;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	/* More than 65534 headers: PN_XNUM, the count in a section header
	 * (not written: the collector refuses that many mappings). */
	eh.e_phnum = (Elf64_Half)nph;
	static const uint8_t zeros[4096];
	uint64_t pad = round_up(notes_off + notes.len, page) -
		       (notes_off + notes.len);
	err = write_all(fd, &eh, sizeof(eh), &st);
	if (!err)
		err = write_all(fd, ph, nph * sizeof(*ph), &st);
	if (!err)
		err = write_all(fd, notes.p, notes.len, &st);
	while (!err && pad > 0) {
		size_t n = pad < sizeof(zeros) ? (size_t)pad : sizeof(zeros);
		err = write_all(fd, zeros, n, &st);
		pad -= n;
	}
	if (!err)
		err = copy_memory(fd, d, &st);
out:
	cr_buf_free(&notes);
	free(ph);
	if (stats)
		*stats = st;
	return err;
}
