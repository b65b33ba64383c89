/*
 * output.c - choosing a writer and putting its report in a file safely.
 *
 * A report is written to "PATH.XXXXXX.tmp" in PATH's own directory (so the
 * final rename(2) stays within one file system and is atomic), flushed and
 * fsync'ed, and only then renamed over PATH.  A reader of PATH therefore
 * sees the old file or the complete new one, never half a report; on any
 * failure the temporary file is removed and PATH is left as it was.
 * coroner batch's workers skip the fsync (report_defer_sync): the batch
 * makes its reports durable in groups, before it stores them as done.
 * The reports of one analysis share a struct report_set, which builds the
 * document of the Markdown and HTML writers once.
 */
#include "report.h"
#include "document.h"
#include "batch_index.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "termsig.h"
#include "util.h"

const char *report_extension(enum cr_report_format fmt)
{
	switch (fmt) {
	case CR_REPORT_MD:
		return "md";
	case CR_REPORT_HTML:
		return "html";
	case CR_REPORT_JSON:
		return "json";
	}
	return NULL;
}

/* errno after a failed stdio call; stdio does not always set it. */
static const char *io_error_text(void)
{
	return errno ? strerror(errno) : "write error";
}

struct report_set {
	const struct cr_analysis *a;
	struct doc *doc;	/* NULL until a writer needs it */
};

struct report_set *report_set_new(const struct cr_analysis *a)
{
	struct report_set *rs = calloc(1, sizeof(*rs));
	if (rs)
		rs->a = a;
	return rs;
}

void report_set_free(struct report_set *rs)
{
	if (rs)
		doc_free(rs->doc);
	free(rs);
}

/* The set's document, built on first use; NULL when out of memory. */
static const struct doc *set_doc(struct report_set *rs)
{
	if (!rs->doc)
		rs->doc = doc_build(rs->a);
	return rs->doc;
}

static struct cr_error *write_to(struct report_set *rs,
				 enum cr_report_format fmt,
				 const struct report_md_options *md, FILE *f)
{
	const struct doc *d;
	switch (fmt) {
	case CR_REPORT_MD:
		d = set_doc(rs);
		return d ? report_md_write_doc(d, md, f) : &cr_enomem;
	case CR_REPORT_HTML:
		d = set_doc(rs);
		return d ? report_html_write_doc(d, f) : &cr_enomem;
	case CR_REPORT_JSON:
		return report_json_write(rs->a, f);
	}
	return cr_error_new(CR_ERR_INTERNAL, "unknown report format %d",
			    (int)fmt);
}

/*
 * Create the temporary file TMP ("....XXXXXX.tmp": the six X are replaced)
 * as a new file of mode 0666, which the kernel reduces by the umask: a
 * report gets the permissions of any file the user creates.  mkstemp()
 * would create it 0600, and learning the umask to fchmod() it means
 * setting it (umask(2) cannot only read it), which races with other
 * threads creating files.  O_EXCL|O_NOFOLLOW makes the name ours as
 * mkstemp's does.
 */
static int create_temporary(char *tmp)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char *x = tmp + strlen(tmp) - strlen("XXXXXX.tmp");
	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char r[6];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		for (size_t i = 0; i < sizeof(r); i++)
			x[i] = chars[r[i] % (sizeof(chars) - 1)];
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			      0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

struct cr_error *report_write_file(const struct cr_analysis *a,
				   enum cr_report_format fmt, const char *path)
{
	return report_write_file_with(a, fmt, path, NULL);
}

struct cr_error *report_write_file_with(const struct cr_analysis *a,
					enum cr_report_format fmt,
					const char *path,
					const struct report_md_options *md)
{
	struct report_set *rs = report_set_new(a);
	if (!rs)
		return &cr_enomem;
	struct cr_error *err = report_set_write_file(rs, fmt, path, md);
	report_set_free(rs);
	return err;
}

struct set_write {
	struct report_set *rs;
	enum cr_report_format fmt;
	const struct report_md_options *md;
};

static struct cr_error *set_write(const void *ctx, FILE *f)
{
	const struct set_write *w = ctx;
	return write_to(w->rs, w->fmt, w->md, f);
}

struct cr_error *report_set_write_file(struct report_set *rs,
				       enum cr_report_format fmt,
				       const char *path,
				       const struct report_md_options *md)
{
	struct cr_error *err;

	if (!report_extension(fmt))
		return cr_error_new(CR_ERR_INTERNAL, "unknown report format %d",
				    (int)fmt);
	if (strcmp(path, "-") == 0) {
		err = write_to(rs, fmt, md, stdout);
		if (err)
			return cr_error_wrap(err, "standard output");
		errno = 0;
		if (fflush(stdout) != 0 || ferror(stdout))
			return cr_error_new(CR_ERR_IO, "standard output: %s",
					    io_error_text());
		return NULL;
	}

	struct set_write w = { rs, fmt, md };
	return report_write_atomic(path, set_write, &w);
}

/* Whether report_write_atomic leaves the fsync to its caller. */
static bool sync_deferred;

void report_defer_sync(bool defer)
{
	sync_deferred = defer;
}

/*
 * The temporary files that exist now (being written, or waiting for their
 * rename), for a signal handler to remove (report_remove_temporaries):
 * Ctrl-C while `coroner analyze` waits for the disk would leave them.  A
 * slot changes only with SIGINT, SIGTERM and SIGHUP blocked, so a handler
 * of those never reads a name being set or freed.  A file beyond the
 * slots is only not removed by a signal.
 */
static char *volatile temps[8];

static void block_term_signals(sigset_t *old)
{
	sigset_t block;
	cr_term_sigset(&block);
	sigprocmask(SIG_BLOCK, &block, old);
}

/* The slot holding FROM (NULL: a free one) now holds TO. */
static void temps_swap(const char *from, char *to)
{
	for (size_t i = 0; i < ARRAY_LEN(temps); i++)
		if (temps[i] == from) {
			temps[i] = to;
			return;
		}
}

void report_remove_temporaries(void)
{
	for (size_t i = 0; i < ARRAY_LEN(temps); i++)
		if (temps[i])
			unlink(temps[i]);
}

void report_discard_temporary(char *tmp)
{
	sigset_t old;
	block_term_signals(&old);
	unlink(tmp);
	temps_swap(tmp, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(tmp);
}

/* What write_temporary does to make the file durable. */
enum tmp_sync {
	TMP_FSYNC,	/* fsync(), unless deferred (report_defer_sync) */
	TMP_STARTED,	/* writeback started; report_commit_temporary syncs */
};

/* Write PATH's new content with FILL into a new temporary file beside it,
 * flushed (and made durable as SYNC says); *TMP its name, to rename over
 * PATH.  On failure nothing is left and *TMP is NULL. */
static struct cr_error *write_temporary(const char *path,
					struct cr_error *(*fill)(const void *ctx,
								  FILE *f),
					const void *ctx, enum tmp_sync sync,
					char **tmp_out, int *fd_out)
{
	struct cr_error *err;
	*tmp_out = NULL;
	char *tmp = cr_strdup_printf("%s" REPORT_TMP_SUFFIX, path);
	if (!tmp)
		return &cr_enomem;
	sigset_t old;
	block_term_signals(&old);
	int fd = create_temporary(tmp);
	if (fd >= 0)
		temps_swap(NULL, tmp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		err = cr_error_new(CR_ERR_IO, "%s: cannot create a temporary "
				   "file: %s", path, strerror(errno));
		free(tmp);
		return err;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		err = cr_error_new(CR_ERR_IO, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}

	errno = 0;
	err = fill(ctx, f);
	if (err) {
		err = cr_error_wrap(err, "%s", path);
		fclose(f);
		goto fail;
	}
	bool fsync_now = sync == TMP_FSYNC && !sync_deferred;
	if (fflush(f) != 0 || ferror(f) || (fsync_now && fsync(fd) != 0)) {
		err = cr_error_new(CR_ERR_IO, "%s: %s", path, io_error_text());
		fclose(f);
		goto fail;
	}
	/* Only a start: the disk writes while the caller goes on (with the
	 * next report, or freeing the analysis); a failure here is seen by
	 * the fsync of report_commit_temporary. */
	int kept = -1;
	if (sync == TMP_STARTED) {
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		/* The fsync later goes through the descriptor that wrote:
		 * reopening by name could be refused (a umask without the
		 * owner's read bit). */
		kept = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (kept < 0) {
			err = cr_error_new(CR_ERR_IO, "%s: %s", path, strerror(errno));
			fclose(f);
			goto fail;
		}
	}
	if (fclose(f) != 0) {
		err = cr_error_new(CR_ERR_IO, "%s: %s", path, strerror(errno));
		if (kept >= 0)
			close(kept);
		goto fail;
	}
	if (fd_out)
		*fd_out = kept;
	*tmp_out = tmp;
	return NULL;

fail:
	report_discard_temporary(tmp);
	return err;
}

struct held_bytes {
	const char *p;
	size_t n;
};

/* report_write_changed's FILL: the bytes made before. */
static struct cr_error *put_held(const void *ctx, FILE *f)
{
	const struct held_bytes *h = ctx;
	if (h->n && fwrite(h->p, 1, h->n, f) != h->n)
		return cr_error_new(CR_ERR_IO, "%s", io_error_text());
	return NULL;
}

/* Whether the regular file at PATH holds exactly P[0..N); *ST its fstat
 * then. */
static bool holds(const char *path, const char *p, size_t n, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	bool same = fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) &&
		    st->st_size >= 0 && (uint64_t)st->st_size == n;
	char buf[65536];
	size_t at = 0;
	while (same && at < n) {
		ssize_t r = read(fd, buf, n - at < sizeof(buf) ? n - at : sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		same = r > 0 && !memcmp(buf, p + at, (size_t)r);
		at += r > 0 ? (size_t)r : 0;
	}
	if (fd >= 0)
		close(fd);
	return same;
}

struct cr_error *report_write_changed(const char *path,
				      struct cr_error *(*fill)(const void *ctx,
								FILE *f),
				      const void *ctx, struct report_held *held)
{
	struct report_held h = { 0 };
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	if (!m)
		return &cr_enomem;
	struct cr_error *err = fill(ctx, m);
	if (fclose(m) != 0 && !err)
		err = &cr_enomem;
	if (err) {
		free(buf);
		return cr_error_wrap(err, "%s", path);
	}
	clock_gettime(CLOCK_REALTIME_COARSE, &h.read_at);
	h.same = holds(path, buf, n, &h.st);
	if (!h.same) {
		struct held_bytes hb = { buf, n };
		err = report_write_atomic(path, put_held, &hb);
	}
	free(buf);
	if (held)
		*held = h;
	return err;
}

struct cr_error *report_rename_temporary(char *tmp, const char *path)
{
	struct cr_error *err = NULL;
	sigset_t old;
	block_term_signals(&old);
	if (rename(tmp, path) != 0) {
		err = cr_error_new(CR_ERR_IO, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	temps_swap(tmp, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(tmp);
	return err;
}

struct cr_error *report_write_atomic(const char *path,
				     struct cr_error *(*fill)(const void *ctx,
							       FILE *f),
				     const void *ctx)
{
	char *tmp;
	struct cr_error *err = write_temporary(path, fill, ctx, TMP_FSYNC, &tmp, NULL);
	return err ? err : report_rename_temporary(tmp, path);
}

static struct cr_error *set_write_temporary(struct report_set *rs,
					     enum cr_report_format fmt,
					     const char *path,
					     const struct report_md_options *md,
					     enum tmp_sync sync, char **tmp, int *fd)
{
	*tmp = NULL;
	if (!report_extension(fmt))
		return cr_error_new(CR_ERR_INTERNAL, "unknown report format %d",
				    (int)fmt);
	struct set_write w = { rs, fmt, md };
	return write_temporary(path, set_write, &w, sync, tmp, fd);
}

struct cr_error *report_set_write_temporary(struct report_set *rs,
					    enum cr_report_format fmt,
					    const char *path,
					    const struct report_md_options *md,
					    char **tmp)
{
	return set_write_temporary(rs, fmt, path, md, TMP_FSYNC, tmp, NULL);
}

struct cr_error *report_set_write_started(struct report_set *rs,
					  enum cr_report_format fmt,
					  const char *path,
					  const struct report_md_options *md,
					  char **tmp, int *fd)
{
	*fd = -1;
	return set_write_temporary(rs, fmt, path, md, TMP_STARTED, tmp, fd);
}

struct cr_error *report_commit_temporary(char *tmp, int fd, const char *path)
{
	if (fsync(fd) != 0) {
		struct cr_error *err = cr_error_new(CR_ERR_IO, "%s: %s", path,
						    strerror(errno));
		close(fd);
		report_discard_temporary(tmp);
		return err;
	}
	close(fd);
	return report_rename_temporary(tmp, path);
}

/* report_link_or_copy's FILL: the bytes of the file open at *CTX. */
static struct cr_error *copy_fd(const void *ctx, FILE *f)
{
	int in = *(const int *)ctx;
	char buf[65536];
	ssize_t r;
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || fwrite(buf, 1, (size_t)r, f) != (size_t)r)
			return cr_error_new(CR_ERR_IO, "cannot copy: %s", strerror(errno));
	}
	return NULL;
}

struct cr_error *report_link_or_copy(const char *src, const char *dst)
{
	char *tmp = cr_strdup_printf("%s.link.tmp", dst);
	if (!tmp)
		return &cr_enomem;
	unlink(tmp);
	bool linked = link(src, tmp) == 0 && rename(tmp, dst) == 0;
	unlink(tmp);
	free(tmp);
	if (linked)
		return NULL;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return cr_error_new(CR_ERR_IO, "%s: cannot read: %s", src, strerror(errno));
	struct cr_error *err = report_write_atomic(dst, copy_fd, &in);
	close(in);
	return err;
}
