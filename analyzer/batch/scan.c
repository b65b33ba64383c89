/*
 * scan.c - the files under the batch's directory and their content
 * identity (batch.h).
 *
 * The identity is what the result store compares to know that a file was
 * analyzed before: its size, its modification time and a hash of its first
 * 64 KiB (a core's notes and a minidump's directory are there; copying a
 * file keeps it, and a dump rewritten in place with the same size and
 * time almost never keeps its header).  Hashing the whole file would read
 * gigabytes on every re-run for nothing.  The scan itself only lists
 * the files with what lstat() says; a file's header is read
 * (cr_batch_file_identify) only when the store does not vouch for it by
 * its device, inode, size, mtime and ctime (docs/batch.md).  (The hash
 * changed once, from byte-wise FNV-1a to ident_hash: a store of an
 * earlier coroner sees every file as changed, once.)
 */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/*
 * FNV-1a over 64-bit words (the last bytes one at a time), then mixed:
 * collisions only cost a needless re-analysis.  Not byte-wise FNV-1a,
 * whose one multiply per byte, each waiting on the last, made hashing a
 * re-run's 64 KiB per file two thirds of its instructions (200 cores: 79M
 * of 120M); this is an eighth of them.  Any one word changed changes the
 * result (each step is a bijection of the state).
 */
static uint64_t ident_hash(uint64_t h, const uint8_t *p, size_t n)
{
	const uint64_t prime = 0x100000001b3ULL;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);	/* one value on every machine */
#endif
		h = (h ^ w) * prime;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * prime;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

void cr_batch_hash(const uint8_t *p, size_t n, char out[17])
{
	uint64_t h = ident_hash(CR_FNV1A_INIT, p,
				n < CR_BATCH_HASH_BYTES ? n : CR_BATCH_HASH_BYTES);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void cr_batch_content_id(const uint8_t *p, size_t n, char out[CR_BATCH_CONTENT_ID])
{
	size_t k = n < CR_BATCH_HASH_BYTES ? n : CR_BATCH_HASH_BYTES;
	uint64_t head = ident_hash(CR_FNV1A_INIT, p, k);
	uint8_t len[8];
	for (size_t i = 0; i < sizeof(len); i++)
		len[i] = (uint8_t)((uint64_t)n >> (8 * i));
	uint64_t tail = ident_hash(CR_FNV1A_INIT, len, sizeof(len));
	tail = ident_hash(tail, p + n - k, k);
	snprintf(out, CR_BATCH_CONTENT_ID, "%016llx%016llx",
		 (unsigned long long)head, (unsigned long long)tail);
}

static void hash_head(int fd, char out[17])
{
	static unsigned char buf[CR_BATCH_HASH_BYTES];
	size_t got = 0;
	while (got < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	cr_batch_hash(buf, got, out);
}

void cr_batch_file_stat(struct cr_batch_file *f, const struct stat *st)
{
	f->size = st->st_size;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	f->dev = (int64_t)st->st_dev;
	f->ino = (int64_t)st->st_ino;
}

struct cr_error *cr_batch_file_identify(struct cr_batch_file *f)
{
	/* The clock the kernel stamps files with (a coarse one): a write
	 * after this instant gets a ctime of this second or later. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	f->identified = true;
	f->settled = false;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		f->size = -1;	/* cannot be read: reported, not analyzed */
		f->hash[0] = '\0';
		return NULL;
	}
	cr_batch_file_stat(f, &st);
	hash_head(fd, f->hash);
	close(fd);
	f->settled = cr_batch_settled(&st, &now);
	return NULL;
}

/* Git's racy-timestamp rule: a file changed in the second it was read
 * may change again within that second and keep its times, so only times
 * of an earlier second vouch for what was read. */
bool cr_batch_settled(const struct stat *st, const struct timespec *read_at)
{
	return st->st_ctim.tv_sec < read_at->tv_sec &&
	       st->st_mtim.tv_sec < read_at->tv_sec;
}

bool cr_batch_same_stat(const struct cr_batch_file *a, const struct cr_batch_file *b)
{
	return a->ctime_ns >= 0 && a->dev >= 0 && a->ino >= 0 &&
	       a->size == b->size && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns && a->dev == b->dev && a->ino == b->ino;
}

/* Append DIR/REL with the stat identity ST (lstat's: the file is not
 * opened; cr_batch_file_identify completes it). */
static struct cr_error *add_file(struct cr_batch_files *f, const char *dir,
				 const char *rel, const struct stat *st)
{
	if (!CR_GROW(f->v, f->cap, f->n + 1))
		return &cr_enomem;
	struct cr_batch_file *e = &f->v[f->n];
	*e = (struct cr_batch_file){ .rel = strdup(rel) };
	e->path = cr_strdup_printf("%s/%s", dir, rel);
	if (!e->rel || !e->path) {
		free(e->rel);
		free(e->path);
		return &cr_enomem;
	}
	f->n++;
	cr_batch_file_stat(e, st);
	return NULL;
}

/*
 * What a batch writes into OUT, besides report files named *.coroner.*:
 * left out when OUT is DIR itself (`coroner batch DIR -o DIR`, the layout
 * `collect --from-kernel` files into), where they would be listed as
 * files that are not dumps on every run.  A dump in DIR is still found.
 */
static const char *const out_names[] = {
	"coroner.db", "coroner.db-wal", "coroner.db-shm", "coroner.db-journal",
	"index.md", "index.html", "index.json", "reports", "tickets",
};

static bool out_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(out_names); i++)
		if (!strcmp(name, out_names[i]))
			return true;
	return false;
}

/* Walk DIR/REL (REL "" for DIR itself); IS_OUT: it is OUT. */
static struct cr_error *walk(const char *dir, const char *rel,
			     const struct stat *skip, struct cr_batch_files *out,
			     unsigned depth, bool is_out, bool read)
{
	/* Deeper than any real dump tree; a bound on the recursion. */
	if (depth > 64)
		return NULL;
	char *here = *rel ? cr_strdup_printf("%s/%s", dir, rel) : strdup(dir);
	if (!here)
		return &cr_enomem;
	DIR *dh = opendir(here);
	if (!dh) {
		struct cr_error *err = depth == 0 ?
			cr_error_new(CR_ERR_IO, "%s: cannot open: %s", here,
				     strerror(errno)) : NULL;
		free(here);
		return err;
	}
	struct cr_error *err = NULL;
	struct dirent *de;
	while (!err && (de = readdir(dh))) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".coroner.") ||
		    (is_out && out_name(de->d_name)))
			continue;
		char *sub = *rel ? cr_strdup_printf("%s/%s", rel, de->d_name) :
			strdup(de->d_name);
		char *full = cr_strdup_printf("%s/%s", here, de->d_name);
		struct stat st;
		if (!sub || !full)
			err = &cr_enomem;
		else if (lstat(full, &st) != 0)
			;	/* vanished while we looked */
		else if (S_ISDIR(st.st_mode)) {
			if (!(skip && st.st_dev == skip->st_dev &&
			      st.st_ino == skip->st_ino))
				err = walk(dir, sub, skip, out, depth + 1, false, read);
		} else if (S_ISREG(st.st_mode)) {
			err = add_file(out, dir, sub, &st);
			if (!err && read)
				err = cr_batch_file_identify(&out->v[out->n - 1]);
		}
		free(sub);
		free(full);
	}
	closedir(dh);
	free(here);
	return err;
}

struct cr_error *cr_batch_file_add(struct cr_batch_files *f, const char *dir,
				   const char *rel)
{
	struct stat st = { 0 };
	struct cr_error *err = add_file(f, dir, rel, &st);
	return err ? err : cr_batch_file_identify(&f->v[f->n - 1]);
}

static int cmp_rel(const void *a, const void *b)
{
	return strcmp(((const struct cr_batch_file *)a)->rel,
		      ((const struct cr_batch_file *)b)->rel);
}

struct cr_error *cr_batch_scan(const char *dir, const char *skip, bool read,
			       struct cr_batch_files *out)
{
	struct stat sk, top;
	bool have_skip = skip && stat(skip, &sk) == 0;
	bool is_out = have_skip && stat(dir, &top) == 0 &&
		      top.st_dev == sk.st_dev && top.st_ino == sk.st_ino;
	struct cr_error *err = walk(dir, "", have_skip ? &sk : NULL, out, 0,
				    is_out, read);
	if (err) {
		cr_batch_files_free(out);
		return err;
	}
	if (out->n)	/* an empty DIR leaves no array */
		qsort(out->v, out->n, sizeof(*out->v), cmp_rel);
	return NULL;
}

void cr_batch_report_base(const char *rel, char out[CR_BATCH_NAME_MAX])
{
	size_t n = 0;
	for (const char *p = cr_basename(rel); *p && n < CR_BATCH_NAME_MAX - 1; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
			  (*p == '.' && n > 0);
		out[n++] = ok ? *p : '_';
	}
	out[n] = '\0';
	if (!n)
		strcpy(out, "dump");
}

void cr_batch_files_free(struct cr_batch_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].rel);
		free(f->v[i].path);
	}
	free(f->v);
	*f = (struct cr_batch_files){ 0 };
}
