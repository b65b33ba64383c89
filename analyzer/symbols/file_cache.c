/*
 * file_cache.c - parsed .sym and PE files and ELF symbol indexes kept
 * across dumps (file_cache.h).
 *
 * A list searched linearly: a batch reads tens to hundreds of distinct
 * files, and a lookup is a few integer compares next to opening the file
 * to learn its identity.  The bound: each entry counts the memory its
 * parse holds (not the file's mapping, which is the page cache's);
 * cr_file_cache_trim() drops the least recently used entries until the
 * sum is within the limit.  It runs between dumps only (entries are
 * borrowed by the analysis that asked for them), so during one dump the
 * cache may hold more: what that dump needs.
 */
#include "file_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "breakpad_sym.h"
#include "symindex.h"
#include "safe_open.h"
#include "util.h"

enum fc_kind { FC_SYM, FC_PE, FC_SYMINDEX };

struct fc_entry {
	enum fc_kind kind;
	struct cr_file_id id;
	char *path;		/* FC_SYMINDEX: the name FILE was found by */
	bool stale;		/* FC_SYMINDEX: its debug file changed; dropped
				 * by the next trim */
	uint64_t used;		/* the cache's clock at the last request */
	size_t bytes;		/* memory held (the bound) */
	struct bp_symfile *sym;	/* FC_SYM; NULL: did not parse (failed) */
	struct pe_file pe;	/* FC_PE, when !failed */
	struct cr_symsource *src;	/* FC_SYMINDEX */
	char *why;		/* the parse error, kept: the same file fails
				 * the same way for every dump */
	bool failed;		/* did not parse (WHY may be NULL when even
				 * its copy ran out of memory) */
};

struct cr_file_cache {
	pthread_mutex_t lock;
	struct fc_entry *v;
	size_t n, cap;
	size_t hits, loads, evicted;
	uint64_t clock;
	size_t bytes, limit;
	size_t ndwarf;		/* sources with a DWARF session */
};

struct cr_file_cache *cr_file_cache_new(void)
{
	struct cr_file_cache *c = calloc(1, sizeof(*c));
	if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	if (c)
		c->limit = CR_FILE_CACHE_LIMIT;
	return c;
}

void cr_file_cache_set_limit(struct cr_file_cache *c, size_t bytes)
{
	pthread_mutex_lock(&c->lock);
	c->limit = bytes;
	pthread_mutex_unlock(&c->lock);
}

static void entry_free(struct fc_entry *e)
{
	if (e->kind == FC_SYM)
		bp_symfile_free(e->sym);
	else if (e->kind == FC_SYMINDEX && e->src) {
		cr_symtemplate_free(e->src->tmpl);
		cr_dwarf_shadow_free(e->src->dwarf);
		free(e->src->debug_file);
		free(e->src);
	}
	else if (!e->failed)
		pe_file_close(&e->pe);
	free(e->why);
	free(e->path);
}

/* Drop entry I (under the lock). */
static void drop(struct cr_file_cache *c, size_t i)
{
	if (c->v[i].src && c->v[i].src->dwarf)
		c->ndwarf--;
	c->bytes -= c->v[i].bytes;
	entry_free(&c->v[i]);
	c->v[i] = c->v[--c->n];
	c->evicted++;
}

void cr_file_cache_trim(struct cr_file_cache *c)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = c->n; i-- > 0;)
		if (c->v[i].stale)
			drop(c, i);
	while (c->bytes > c->limit && c->n > 0) {
		size_t old = 0;
		for (size_t i = 1; i < c->n; i++)
			if (c->v[i].used < c->v[old].used)
				old = i;
		drop(c, old);
	}
	pthread_mutex_unlock(&c->lock);
}

void cr_file_cache_free(struct cr_file_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_free(&c->v[i]);
	free(c->v);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void cr_file_cache_stats(struct cr_file_cache *c, struct cr_file_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = (struct cr_file_cache_stats){
		.files = c->n, .hits = c->hits, .loads = c->loads,
		.evicted = c->evicted, .bytes = c->bytes, .dwarf = c->ndwarf,
	};
	pthread_mutex_unlock(&c->lock);
}

/* The identity ST describes. */
static struct cr_file_id id_of_stat(const struct stat *st)
{
	return (struct cr_file_id){
		.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
		.mtime_sec = st->st_mtim.tv_sec, .mtime_nsec = st->st_mtim.tv_nsec,
		.known = true,
	};
}

bool cr_file_id_of(int fd, struct cr_file_id *out)
{
	struct stat st;
	memset(out, 0, sizeof(*out));
	if (fd < 0 || fstat(fd, &st) != 0)
		return false;
	*out = id_of_stat(&st);
	return true;
}

bool cr_file_id_same(const struct cr_file_id *a, const struct cr_file_id *b)
{
	return a->known == b->known && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime_sec == b->mtime_sec &&
	       a->mtime_nsec == b->mtime_nsec;
}

/* The entry of KIND for the file ID (found at PATH for FC_SYMINDEX, NULL
 * for the others) under the lock, counted as used; NULL when none. */
static struct fc_entry *lookup_entry(struct cr_file_cache *c, enum fc_kind kind,
				     const struct cr_file_id *id, const char *path)
{
	c->clock++;
	for (size_t i = 0; i < c->n; i++) {
		struct fc_entry *e = &c->v[i];
		if (e->kind == kind && !e->stale && cr_file_id_same(&e->id, id) &&
		    (!path || strcmp(e->path, path) == 0)) {
			c->hits++;
			e->used = c->clock;
			return e;
		}
	}
	return NULL;
}

/* A new entry of KIND for ID to fill (under the lock); NULL out of memory. */
static struct fc_entry *new_entry(struct cr_file_cache *c, enum fc_kind kind,
				  const struct cr_file_id *id)
{
	if (!CR_GROW(c->v, c->cap, c->n + 1))
		return NULL;
	struct fc_entry *e = &c->v[c->n++];
	*e = (struct fc_entry){ .kind = kind, .id = *id, .used = c->clock };
	c->loads++;
	return e;
}

/*
 * The entry of KIND for the file ID, under the lock: the one kept (*NEW
 * false) or a new one to fill (*NEW true; NULL out of memory).
 */
static struct fc_entry *find_entry(struct cr_file_cache *c, enum fc_kind kind,
				   const struct cr_file_id *id, bool *is_new)
{
	struct fc_entry *e = lookup_entry(c, kind, id, NULL);
	*is_new = e == NULL;
	return e ? e : new_entry(c, kind, id);
}

/* Count what the new entry E holds. */
static void account(struct cr_file_cache *c, struct fc_entry *e, size_t bytes)
{
	e->bytes = bytes + sizeof(*e);
	c->bytes += e->bytes;
}

/* The entry of the file open as FD for KIND, as find_entry(). */
static struct fc_entry *entry_for(struct cr_file_cache *c, enum fc_kind kind,
				  int fd, bool *is_new, int *err)
{
	struct cr_file_id id;
	*is_new = false;
	if (!cr_file_id_of(fd, &id)) {
		*err = errno;
		return NULL;
	}
	struct fc_entry *e = find_entry(c, kind, &id, is_new);
	if (!e)
		*err = ENOMEM;
	return e;
}

/* Is the file at PATH still the file ID? */
static bool still(const char *path, const struct cr_file_id *id)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	struct cr_file_id now = id_of_stat(&st);
	return cr_file_id_same(&now, id);
}

/* Count BYTES more on the entry that owns SRC (under the lock). */
static void account_source(struct cr_file_cache *c,
			   const struct cr_symsource *src, size_t bytes)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].kind == FC_SYMINDEX && c->v[i].src == src) {
			c->v[i].bytes += bytes;
			c->bytes += bytes;
		}
}

const struct cr_symsource *cr_file_cache_symsource(struct cr_file_cache *c,
						   const struct cr_file_id *file,
						   const char *path)
{
	if (!file->known || !path)
		return NULL;
	pthread_mutex_lock(&c->lock);
	struct fc_entry *e = lookup_entry(c, FC_SYMINDEX, file, path);
	/* A debug file replaced or removed: ask libdwfl again.  The entry
	 * may be borrowed by another analysis: the next trim drops it. */
	if (e && e->src->debug_file && !still(e->src->debug_file,
					      &e->src->debug_id)) {
		e->stale = true;
		c->hits--;
		e = NULL;
	}
	const struct cr_symsource *src = e ? e->src : NULL;
	pthread_mutex_unlock(&c->lock);
	return src;
}

const struct cr_symsource *cr_file_cache_keep_symsource(
	struct cr_file_cache *c, const struct cr_file_id *file,
	const char *path, const char *debug_file,
	const struct cr_file_id *debug_id)
{
	if (!file->known || !path || (debug_file && (!debug_id || !debug_id->known)))
		return NULL;
	struct cr_symsource *src = calloc(1, sizeof(*src));
	char *p = strdup(path);
	if (!src || !p || (debug_file && !(src->debug_file = strdup(debug_file)))) {
		free(p);
		if (src)
			free(src->debug_file);
		free(src);
		return NULL;
	}
	if (debug_file)
		src->debug_id = *debug_id;
	pthread_mutex_lock(&c->lock);
	/* Kept meanwhile by an analysis on another thread: that one. */
	struct fc_entry *e = lookup_entry(c, FC_SYMINDEX, file, path);
	if (!e && (e = new_entry(c, FC_SYMINDEX, file))) {
		e->path = p;
		e->src = src;
		p = NULL;
		src = NULL;
		account(c, e, strlen(e->path) + 1 + sizeof(*e->src) +
			(e->src->debug_file ? strlen(e->src->debug_file) + 1 : 0));
	}
	const struct cr_symsource *out = e ? e->src : NULL;
	pthread_mutex_unlock(&c->lock);
	free(p);
	if (src)
		free(src->debug_file);
	free(src);
	return out;
}

const struct cr_symtemplate *cr_file_cache_symtemplate(
	struct cr_file_cache *c, const struct cr_symsource *src,
	Dwfl_Module *mod)
{
	pthread_mutex_lock(&c->lock);
	struct cr_symsource *s = (struct cr_symsource *)src;
	if (!s->tmpl_tried) {
		s->tmpl_tried = true;
		s->tmpl = cr_symtemplate_new(mod);
		if (s->tmpl)
			account_source(c, s, cr_symtemplate_memory(s->tmpl));
	}
	const struct cr_symtemplate *t = s->tmpl;
	pthread_mutex_unlock(&c->lock);
	return t;
}

struct cr_dwarf_shadow *cr_file_cache_dwarf(
	struct cr_file_cache *c, const struct cr_symsource *src,
	struct cr_dwarf_shadow *(*make)(void *arg, size_t *bytes), void *arg)
{
	pthread_mutex_lock(&c->lock);
	struct cr_symsource *s = (struct cr_symsource *)src;
	if (!s->dwarf_tried && c->ndwarf < CR_FILE_CACHE_MAX_DWARF) {
		size_t bytes = 0;
		s->dwarf_tried = true;
		s->dwarf = make(arg, &bytes);
		account_source(c, s, bytes);
		c->ndwarf += s->dwarf != NULL;
	}
	struct cr_dwarf_shadow *sh = s->dwarf;
	pthread_mutex_unlock(&c->lock);
	return sh;
}

struct bp_symfile *cr_file_cache_symfile(struct cr_file_cache *c,
					 const char *path, char **why)
{
	*why = NULL;
	/* A FIFO or device under the symbol directory is never opened. */
	int fd = cr_safe_open(NULL, path);
	if (fd < 0) {
		*why = cr_strdup_printf("%s: %s", path, strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	bool is_new;
	int e = 0;
	struct fc_entry *ent = entry_for(c, FC_SYM, fd, &is_new, &e);
	if (ent && is_new) {
		struct cr_error *err = bp_symfile_load_fd(fd, path, &ent->sym);
		fd = -1;	/* taken over */
		if (err) {
			ent->failed = true;
			ent->why = strdup(err->message);
			cr_error_free(err);
		}
		account(c, ent, ent->sym ? bp_symfile_memory(ent->sym) : 0);
	}
	struct bp_symfile *sf = ent ? ent->sym : NULL;
	if (!ent)
		*why = cr_strdup_printf("%s: %s", path, strerror(e));
	else if (ent->failed)
		*why = ent->why ? strdup(ent->why)
				: cr_strdup_printf("%s: out of memory", path);
	pthread_mutex_unlock(&c->lock);
	if (fd >= 0)
		close(fd);
	return sf;
}

struct cr_error *cr_file_cache_pe(struct cr_file_cache *c, int fd,
				  const char *path, uint64_t base,
				  struct pe_file *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->lock);
	bool is_new;
	int e = 0;
	struct cr_error *err = NULL;
	struct fc_entry *ent = entry_for(c, FC_PE, fd, &is_new, &e);
	if (ent && is_new) {
		/* Parsed at base 0; each view gets its dump's base. */
		err = pe_file_from_fd(fd, path, 0, &ent->pe);
		fd = -1;
		if (err) {
			ent->failed = true;
			ent->why = strdup(err->message);
			cr_error_free(err);
			err = NULL;
		}
		account(c, ent, ent->failed ? 0 :
			ent->pe.nsections * sizeof(*ent->pe.sections));
	}
	if (!ent)
		err = e == ENOMEM ? &cr_enomem :
			cr_error_new(CR_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
	else if (ent->failed)
		err = ent->why ? cr_error_new(CR_ERR_FORMAT, "%s", ent->why)
			       : &cr_enomem;
	else {
		*out = ent->pe;
		out->base = base;
		out->map = NULL;	/* the cache's, not the view's */
	}
	pthread_mutex_unlock(&c->lock);
	if (fd >= 0)
		close(fd);
	return err;
}
