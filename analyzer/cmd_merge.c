/*
 * cmd_merge.c - the `merge` command (cli.c's table): the OUTs of
 * `coroner batch --shard I/N` runs into one OUT, as one run over the whole
 * directory would have written it.
 *
 *   coroner merge OUT1 OUT2... -o OUT [-f md,html,json] [-q]
 *
 * 1. read    every input's result store, read-only (a store of another
 *            schema version is refused, never rebuilt: it is somebody's
 *            results); the inputs are never written
 * 2. rows    joined by path; the same file in two inputs (a shard run
 *            twice) is kept once, two different files under one path
 *            (shards of different directories) are refused
 * 3. names   the report directories named again as one run names them
 *            (the dump's cleaned file name, "-2", "-3"... in the order the
 *            run analyzes them: by dump time, then path), since two shards
 *            each called their "core" reports/core
 * 4. write   everything into a new directory beside OUT (OUT.merge-XXXXXX:
 *            reports hard-linked, else copied; the store; the index by
 *            cr_batch_write_index, the batch's own), renamed to OUT at the
 *            end: OUT is the whole merge or untouched, and an existing OUT
 *            is refused rather than mixed into.
 *
 * Exit status (docs/coroner.1.md): 0 merged; 8 merged, the index lists
 * failed dumps; 2 usage (an input that is no batch output, OUT not new,
 * one path with two contents); 9 an input's store cannot be used
 * (damaged, another schema version, in use by a batch); 3 I/O error;
 * 130 interrupted (OUT untouched).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "batch/batch.h"
#include "cli.h"
#include "report.h"
#include "term.h"
#include "util.h"

const char cr_cmd_merge_synopsis[] =
	"merge OUT1 OUT2... -o OUT [-f md,html,json] [--ticket] [-q]";

const char cr_cmd_merge_options[] =
	"  -o, --output OUT     (merge) the joined reports, result store and\n"
	"                       index of the batch OUTs given; OUT must not\n"
	"                       exist or be empty\n";

const char cr_cmd_merge_shortopts[] = "o:f:qhV";

const struct option cr_cmd_merge_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "ticket", no_argument, NULL, 'K' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* A row and the input it came from. */
struct mrow {
	struct report_batch_entry *e;
	size_t input;
};

/* One report directory of one input: a dump's or a series'. */
struct mgroup {
	size_t input;
	const char *dir, *name;	/* in the input */
	int64_t time;		/* the order one run analyzes them in */
	const char *path;
	char base[CR_BATCH_NAME_MAX];
	char *new_name;
};

struct merge {
	const char *prog, *out;
	const char *const *in;
	size_t nin;
	unsigned formats;
	bool tickets, quiet;
	struct report_batch_entry **rows;	/* per input */
	size_t *nrows;
	struct mrow *all;
	size_t nall;
	struct mgroup *groups;	/* in the order one run names them */
	struct mgroup **lookup;	/* by (input, dir) */
	size_t ngroups;
	char *tmp;		/* OUT.merge-XXXXXX while it is built */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static int fail(struct merge *m, int status, struct cr_error *err)
{
	cr_term_printf(stderr, "%s: merge: %s", m->prog, err->message);
	cr_error_free(err);
	return status;
}

static int cmp_path(const void *x, const void *y)
{
	const struct mrow *a = x, *b = y;
	int c = strcmp(a->e->path, b->e->path);
	return c ? c : (a->input > b->input) - (a->input < b->input);
}

static bool failed_row(const struct report_batch_entry *e)
{
	return e->status && !strcmp(e->status, "failed");
}

/* Read every input's rows and join them by path. */
/*
 * Whether E's reports are where a batch puts them, reports/NAME/NAME.*
 * with NAME a cleaned file name: the paths are joined to the input's and
 * hard-linked into OUT, so a store edited to say "../x" must not take
 * files from outside its directory.
 */
static bool report_place_ok(const struct report_batch_entry *e)
{
	if (!e->report_dir && !e->report_name)
		return true;
	if (!e->report_dir || !e->report_name)
		return false;
	char base[CR_BATCH_NAME_MAX];
	cr_batch_report_base(e->report_name, base);
	return !strcmp(base, e->report_name) &&
	       !strncmp(e->report_dir, "reports/", 8) &&
	       !strcmp(e->report_dir + 8, e->report_name);
}

static int read_inputs(struct merge *m)
{
	m->rows = calloc(m->nin, sizeof(*m->rows));
	m->nrows = calloc(m->nin, sizeof(*m->nrows));
	if (!m->rows || !m->nrows)
		return fail(m, CR_ERR_NOMEM, &cr_enomem);
	size_t total = 0;
	for (size_t i = 0; i < m->nin; i++) {
		char *db = cr_strdup_printf("%s/coroner.db", m->in[i]);
		struct stat st;
		if (!db)
			return fail(m, CR_ERR_NOMEM, &cr_enomem);
		if (stat(db, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(db);
			return fail(m, CR_ERR_USAGE, cr_error_new(CR_ERR_USAGE,
				"%s: not the output of a coroner batch (it has no coroner.db)",
				m->in[i]));
		}
		struct cr_batch_store *s = NULL;
		struct cr_error *err = cr_batch_store_open_read(db, &s);
		free(db);
		if (!err)
			err = cr_batch_store_all(s, &m->rows[i], &m->nrows[i]);
		cr_batch_store_close(s);
		for (size_t k = 0; !err && k < m->nrows[i]; k++)
			if (!report_place_ok(&m->rows[i][k]))
				err = cr_error_new(CR_ERR_IO, "%s: the result store is damaged: the row of %s names reports at %s/%s, not where coroner batch writes them",
						   m->in[i], m->rows[i][k].path,
						   m->rows[i][k].report_dir,
						   m->rows[i][k].report_name);
		if (err)
			return fail(m, CR_BATCH_EXIT_STORE, err);
		total += m->nrows[i];
	}
	m->all = calloc(total ? total : 1, sizeof(*m->all));
	if (!m->all)
		return fail(m, CR_ERR_NOMEM, &cr_enomem);
	for (size_t i = 0; i < m->nin; i++)
		for (size_t k = 0; k < m->nrows[i]; k++)
			m->all[m->nall++] = (struct mrow){ &m->rows[i][k], i };
	if (m->nall)
		qsort(m->all, m->nall, sizeof(*m->all), cmp_path);
	/* One row per path: a file in two inputs is the same file (the
	 * same shard run twice) or a mistake. */
	size_t w = 0;
	for (size_t r = 0; r < m->nall; r++) {
		struct mrow *prev = w ? &m->all[w - 1] : NULL;
		if (!prev || strcmp(prev->e->path, m->all[r].e->path)) {
			m->all[w++] = m->all[r];
			continue;
		}
		const struct report_batch_entry *a = prev->e, *b = m->all[r].e;
		if (a->size != b->size || !a->header_hash || !b->header_hash ||
		    strcmp(a->header_hash, b->header_hash))
			return fail(m, CR_ERR_USAGE, cr_error_new(CR_ERR_USAGE,
				"%s is in %s and in %s with different contents: those are not shards of one directory",
				a->path, m->in[prev->input], m->in[m->all[r].input]));
		/* The same file: keep an analysis over a failure (a time
		 * limit one machine did not meet). */
		if (failed_row(a) && !failed_row(b))
			*prev = m->all[r];
	}
	m->nall = w;
	return 0;
}

static int cmp_key(size_t ia, const char *da, size_t ib, const char *db)
{
	if (ia != ib)
		return ia < ib ? -1 : 1;
	return strcmp(da, db);
}

static int cmp_row_key(const void *x, const void *y)
{
	const struct mrow *a = x, *b = y;
	return cmp_key(a->input, a->e->report_dir, b->input, b->e->report_dir);
}

static int cmp_group_key(const void *x, const void *y)
{
	const struct mgroup *a = *(struct mgroup *const *)x,
			    *b = *(struct mgroup *const *)y;
	return cmp_key(a->input, a->dir, b->input, b->dir);
}

/* One run names a job after its last dump, in the order of its first: by
 * dump time (the rows of a series carry their last dump's), then path. */
static int cmp_group_order(const void *x, const void *y)
{
	const struct mgroup *a = x, *b = y;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return strcmp(a->path, b->path);
}

/* Whether NAME is BASE or BASE-K, as a run names a report after a file. */
static bool named_after(const char *name, const char *base)
{
	size_t n = strlen(base);
	if (strncmp(name, base, n))
		return false;
	if (!name[n])
		return true;
	if (name[n] != '-' || !name[n + 1])
		return false;
	for (const char *p = name + n + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* The report directories of the rows, named again as one run names them. */
static int name_groups(struct merge *m)
{
	m->groups = calloc(m->nall ? m->nall : 1, sizeof(*m->groups));
	m->lookup = calloc(m->nall ? m->nall : 1, sizeof(*m->lookup));
	/* Rows with reports, sorted by (input, report_dir): a group each. */
	struct mrow *tmp = calloc(m->nall ? m->nall : 1, sizeof(*tmp));
	size_t n = 0;
	if (!tmp || !m->groups || !m->lookup) {
		free(tmp);
		return fail(m, CR_ERR_NOMEM, &cr_enomem);
	}
	for (size_t r = 0; r < m->nall; r++)
		if (m->all[r].e->report_dir && m->all[r].e->report_name)
			tmp[n++] = m->all[r];
	if (n)
		qsort(tmp, n, sizeof(*tmp), cmp_row_key);
	for (size_t r = 0; r < n; r++) {
		const struct report_batch_entry *e = tmp[r].e;
		struct mgroup *g = m->ngroups ? &m->groups[m->ngroups - 1] : NULL;
		if (!g || g->input != tmp[r].input || strcmp(g->dir, e->report_dir)) {
			g = &m->groups[m->ngroups++];
			*g = (struct mgroup){ .input = tmp[r].input, .dir = e->report_dir,
					      .name = e->report_name, .time = e->dump_time,
					      .path = e->path };
			cr_batch_report_base(e->report_name, g->base);
		}
		if (e->dump_time < g->time || (e->dump_time == g->time &&
					       strcmp(e->path, g->path) < 0)) {
			g->time = e->dump_time;
			g->path = e->path;
		}
		/* The base name is that of the member it was named after. */
		char base[CR_BATCH_NAME_MAX];
		cr_batch_report_base(e->path, base);
		if (named_after(g->name, base))
			memcpy(g->base, base, sizeof(base));
	}
	free(tmp);
	if (m->ngroups)
		qsort(m->groups, m->ngroups, sizeof(*m->groups), cmp_group_order);
	for (size_t i = 0; i < m->ngroups; i++)
		m->lookup[i] = &m->groups[i];
	if (m->ngroups)
		qsort(m->lookup, m->ngroups, sizeof(*m->lookup), cmp_group_key);
	/* As a run names them (cmd_batch.c's new_name): the base name, then
	 * "-2", "-3"... each tried once per base. */
	struct report_names taken = { 0 };
	for (size_t i = 0; i < m->ngroups; i++) {
		struct mgroup *g = &m->groups[i];
		for (unsigned k = 1; k && !g->new_name;) {
			char *name = k == 1 ? strdup(g->base) :
				cr_strdup_printf("%s-%u", g->base, k);
			if (!name)
				break;
			if (!report_names_taken(&taken, name) &&
			    report_names_take(&taken, name)) {
				g->new_name = name;
			} else {
				free(name);
				k = report_names_next(&taken, g->base);
			}
		}
		if (!g->new_name) {
			report_names_free(&taken);
			return fail(m, CR_ERR_NOMEM, &cr_enomem);
		}
	}
	report_names_free(&taken);
	return 0;
}

static const struct mgroup *group_of(const struct merge *m, size_t input,
				     const char *dir)
{
	struct mgroup key = { .input = input, .dir = dir }, *kp = &key;
	struct mgroup **g = m->ngroups ? bsearch(&kp, m->lookup, m->ngroups,
						 sizeof(*m->lookup), cmp_group_key) : NULL;
	return g ? *g : NULL;
}

/* The group's reports into TMP/reports/NEW/NEW.coroner.EXT. */
static struct cr_error *place_reports(struct merge *m, const struct mgroup *g)
{
	static const char *const ext[] = { "md", "html", "json", "ticket.md" };
	char *dir = cr_strdup_printf("%s/reports/%s", m->tmp, g->new_name);
	if (!dir)
		return &cr_enomem;
	struct cr_error *err = NULL;
	if (mkdir(dir, 0777) != 0)
		err = cr_error_new(CR_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
	for (size_t i = 0; !err && i < ARRAY_LEN(ext); i++) {
		char *src = cr_strdup_printf("%s/%s/%s.coroner.%s", m->in[g->input],
					     g->dir, g->name, ext[i]);
		char *dst = cr_strdup_printf("%s/%s.coroner.%s", dir, g->new_name, ext[i]);
		struct stat st;
		if (!src || !dst)
			err = &cr_enomem;
		else if (stat(src, &st) == 0)	/* a run with -f md wrote no HTML */
			err = report_link_or_copy(src, dst);
		free(src);
		free(dst);
	}
	free(dir);
	return err;
}

static int build(struct merge *m)
{
	char *reports = cr_strdup_printf("%s/reports", m->tmp);
	char *db = cr_strdup_printf("%s/coroner.db", m->tmp);
	struct cr_batch_store *s = NULL;
	struct cr_error *err = !reports || !db ? &cr_enomem : NULL;
	if (!err && mkdir(reports, 0777) != 0)
		err = cr_error_new(CR_ERR_IO, "%s: cannot create: %s", reports, strerror(errno));
	if (!err)
		err = cr_batch_store_open(db, &s);
	free(reports);
	free(db);
	for (size_t i = 0; !err && i < m->ngroups && !interrupted; i++)
		err = place_reports(m, &m->groups[i]);
	for (size_t r = 0; !err && r < m->nall && !interrupted; r++) {
		struct report_batch_entry e = *m->all[r].e;
		const struct mgroup *g = e.report_dir ?
			group_of(m, m->all[r].input, e.report_dir) : NULL;
		char *dir = g ? cr_strdup_printf("reports/%s", g->new_name) : NULL;
		if (g && !dir) {
			err = &cr_enomem;
			break;
		}
		e.report_dir = dir;
		e.report_name = g ? g->new_name : NULL;
		/* Another machine's devices and inodes vouch for nothing
		 * here: a batch on the merged OUT reads every file. */
		e.dev = e.inode = e.ctime_ns = -1;
		err = cr_batch_store_put(s, &e);
		free(dir);
	}
	if (err || interrupted) {
		cr_batch_store_close(s);
		return err ? fail(m, CR_ERR_IO, err) : 130;
	}
	int status = cr_batch_write_index(m->prog, "merge", s, m->tmp, m->out,
					  m->formats, m->tickets, m->quiet);
	cr_batch_store_close(s);
	return status;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	(flag == FTW_DP ? rmdir : unlink)(p);
	return 0;
}

/* Whether P does not exist or is an empty directory. */
static bool new_or_empty(const char *p)
{
	struct stat st;
	if (lstat(p, &st) != 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode))
		return false;
	DIR *d = opendir(p);
	struct dirent *de;
	bool empty = d != NULL;
	while (d && empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return empty;
}

static int merge(struct merge *m)
{
	if (!new_or_empty(m->out)) {
		cr_term_printf(stderr, "%s: merge: %s: exists and is not empty; merge into a new directory (nothing was changed)",
			       m->prog, m->out);
		return CR_ERR_USAGE;
	}
	int status = read_inputs(m);
	if (!status)
		status = name_groups(m);
	if (status)
		return status;
	/* Beside OUT, on its file system, so the last step is a rename. */
	size_t n = strlen(m->out);
	while (n > 1 && m->out[n - 1] == '/')
		n--;
	m->tmp = cr_strdup_printf("%.*s.merge-XXXXXX", (int)n, m->out);
	if (!m->tmp)
		return fail(m, CR_ERR_NOMEM, &cr_enomem);
	if (!mkdtemp(m->tmp)) {
		cr_term_printf(stderr, "%s: merge: %s: cannot create: %s", m->prog,
			       m->tmp, strerror(errno));
		return CR_ERR_IO;
	}
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	status = build(m);
	bool ok = status == 0 || status == CR_BATCH_EXIT_FAILED;
	if (ok && !interrupted && rename(m->tmp, m->out) != 0) {
		cr_term_printf(stderr, "%s: merge: %s: cannot rename to %s: %s",
			       m->prog, m->tmp, m->out, strerror(errno));
		status = CR_ERR_IO;
	} else if (ok && !interrupted) {
		m->tmp[0] = '\0';	/* it is OUT now */
	}
	if (interrupted) {
		cr_term_printf(stderr, "%s: merge: interrupted; %s is unchanged",
			       m->prog, m->out);
		status = 130;
	}
	if (m->tmp[0])
		nftw(m->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return status;
}

int cr_cmd_merge(const char *prog, int argc, char **argv);

int cr_cmd_merge(const char *prog, int argc, char **argv)
{
	struct merge m = {
		.prog = prog,
		.formats = CR_REPORT_MD | CR_REPORT_HTML | CR_REPORT_JSON,
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:qhV", cr_cmd_merge_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o': m.out = optarg; break;
		case 'f':
			if (!cr_batch_parse_formats(optarg, &m.formats))
				return cr_cli_usage_error(prog, "unknown format in '%s' (use md, html, json)",
							  optarg);
			break;
		case 'K': m.tickets = true; break;
		case 'q': m.quiet = true; break;
		case 'h': cr_cli_usage(stdout, prog); return 0;
		case 'V': printf("coroner %s\n", CR_VERSION); return 0;
		default: return cr_cli_bad_option(prog, c, argv, cr_cmd_merge_longopts);
		}
	}
	optind++;	/* the command's name */
	if (optind >= argc)
		return cr_cli_usage_error(prog, "merge: no batch output given");
	if (!m.out)
		return cr_cli_usage_error(prog, "merge: -o OUT is required");
	m.in = (const char *const *)argv + optind;
	m.nin = (size_t)(argc - optind);
	for (size_t i = 0; i < m.nin; i++)
		if (!cr_cli_check_dir(prog, "merge", m.in[i]))
			return CR_ERR_USAGE;
	int status = merge(&m);
	for (size_t i = 0; m.rows && i < m.nin; i++) {
		for (size_t k = 0; k < m.nrows[i]; k++)
			report_batch_entry_clear(&m.rows[i][k]);
		free(m.rows[i]);
	}
	for (size_t i = 0; i < m.ngroups; i++)
		free(m.groups[i].new_name);
	free(m.rows);
	free(m.nrows);
	free(m.all);
	free(m.groups);
	free(m.lookup);
	free(m.tmp);
	return status;
}
