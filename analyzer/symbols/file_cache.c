/*
 * file_cache.c - parsed .sym and PE files kept across dumps (file_cache.h).
 *
 * A list searched linearly: a batch reads tens to hundreds of distinct
 * files, and a lookup is a few integer compares next to opening the file
 * to learn its identity.
 */
#include "file_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "breakpad_sym.h"
#include "safe_open.h"
#include "util.h"

enum fc_kind { FC_SYM, FC_PE };

struct fc_entry {
	enum fc_kind kind;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct bp_symfile *sym;	/* FC_SYM; NULL: did not parse (failed) */
	struct pe_file pe;	/* FC_PE, when !failed */
	char *why;		/* the parse error, kept: the same file fails
				 * the same way for every dump */
	bool failed;		/* did not parse (WHY may be NULL when even
				 * its copy ran out of memory) */
};

struct cr_file_cache {
	pthread_mutex_t lock;
	struct fc_entry *v;
	size_t n, cap;
	size_t hits;
};

struct cr_file_cache *cr_file_cache_new(void)
{
	struct cr_file_cache *c = calloc(1, sizeof(*c));
	if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void cr_file_cache_free(struct cr_file_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct fc_entry *e = &c->v[i];
		if (e->kind == FC_SYM)
			bp_symfile_free(e->sym);
		else if (!e->failed)
			pe_file_close(&e->pe);
		free(e->why);
	}
	free(c->v);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void cr_file_cache_stats(struct cr_file_cache *c, struct cr_file_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = (struct cr_file_cache_stats){ .files = c->n, .hits = c->hits };
	pthread_mutex_unlock(&c->lock);
}

static bool same_file(const struct fc_entry *e, enum fc_kind kind,
		      const struct stat *st)
{
	return e->kind == kind && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/*
 * The entry of the file open as FD for KIND, under the lock: the one kept
 * (*NEW false) or a new one to fill (*NEW true; NULL out of memory).
 */
static struct fc_entry *entry_for(struct cr_file_cache *c, enum fc_kind kind,
				  int fd, bool *is_new, int *err)
{
	struct stat st;
	*is_new = false;
	if (fstat(fd, &st) != 0) {
		*err = errno;
		return NULL;
	}
	for (size_t i = 0; i < c->n; i++)
		if (same_file(&c->v[i], kind, &st)) {
			c->hits++;
			return &c->v[i];
		}
	if (!CR_GROW(c->v, c->cap, c->n + 1)) {
		*err = ENOMEM;
		return NULL;
	}
	struct fc_entry *e = &c->v[c->n++];
	*e = (struct fc_entry){
		.kind = kind, .dev = st.st_dev, .ino = st.st_ino,
		.size = st.st_size, .mtime = st.st_mtim,
	};
	*is_new = true;
	return e;
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
