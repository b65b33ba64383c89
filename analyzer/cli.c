/*
 * cli.c - the command table and what every command shares (cli.h).
 *
 * Why the command is found by parsing: options may stand before or after
 * the command (GNU getopt permutes), and an option's argument may look like
 * a command ("-o analyze").  So each command's own option table is tried
 * over a copy of the command line, and the command is the one whose name
 * is the first operand when its own options are parsed.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis.h"
#include "error.h"
#include "pass.h"
#include "term.h"
#include "util.h"

int cr_cmd_analyze(const char *prog, int argc, char **argv);
extern const char cr_cmd_analyze_synopsis[], cr_cmd_analyze_options[];
extern const char cr_cmd_analyze_shortopts[];
extern const struct option cr_cmd_analyze_longopts[];

int cr_cmd_collect(const char *prog, int argc, char **argv);
extern const char cr_cmd_collect_synopsis[], cr_cmd_collect_options[];
extern const char cr_cmd_collect_shortopts[];
extern const struct option cr_cmd_collect_longopts[];

int cr_cmd_batch(const char *prog, int argc, char **argv);
extern const char cr_cmd_batch_synopsis[], cr_cmd_batch_options[];
extern const char cr_cmd_batch_shortopts[];
extern const struct option cr_cmd_batch_longopts[];

int cr_cmd_merge(const char *prog, int argc, char **argv);
extern const char cr_cmd_merge_synopsis[], cr_cmd_merge_options[];
extern const char cr_cmd_merge_shortopts[];
extern const struct option cr_cmd_merge_longopts[];

/* One line per command. */
const struct cr_command cr_commands[] = {
	{ "analyze", cr_cmd_analyze_synopsis, cr_cmd_analyze_options,
	  cr_cmd_analyze_shortopts, cr_cmd_analyze_longopts, cr_cmd_analyze },
	{ "collect", cr_cmd_collect_synopsis, cr_cmd_collect_options,
	  cr_cmd_collect_shortopts, cr_cmd_collect_longopts, cr_cmd_collect },
	{ "batch", cr_cmd_batch_synopsis, cr_cmd_batch_options,
	  cr_cmd_batch_shortopts, cr_cmd_batch_longopts, cr_cmd_batch },
	{ "merge", cr_cmd_merge_synopsis, cr_cmd_merge_options,
	  cr_cmd_merge_shortopts, cr_cmd_merge_longopts, cr_cmd_merge },
};
const size_t cr_ncommands = ARRAY_LEN(cr_commands);

void cr_cli_usage(FILE *f, const char *prog)
{
	for (size_t i = 0; i < cr_ncommands; i++)
		fprintf(f, "%s %s %s\n", i ? "      " : "usage:", prog,
			cr_commands[i].synopsis);
	fprintf(f, "       %s --version | --help\n"
		"\n"
		"Reads a Linux core file (or a minidump) and writes a report of what\n"
		"happened: the crash and its cause, every thread's stack, the modules.\n",
		prog);
	for (size_t i = 0; i < cr_ncommands; i++)
		fprintf(f, "\n%s options:\n%s", cr_commands[i].name,
			cr_commands[i].options_help);
	fputs("  -h, --help           print this help and exit\n"
	      "  -V, --version        print the version and exit\n"
	      "\n"
	      "Exit status: 0 reports written; 1 written, but the dump is damaged or\n"
	      "incomplete; 2 usage; 3 I/O error; 4 not a dump; 5 too damaged for a\n"
	      "report; 6 out of memory; 7 (collect) the process cannot be collected:\n"
	      "no such process, it exited, or it may not be traced; 8 (batch) some\n"
	      "dumps failed, the rest were analyzed; 9 (batch, merge) a result store\n"
	      "is damaged, of another version (merge) or in use by another batch;\n"
	      "130 (batch, merge) interrupted; 70 internal error.\n", f);
}

void cr_cli_list_passes(FILE *f)
{
	for (size_t i = 0; i < cr_npasses; i++)
		fprintf(f, "%-16s %s\n", cr_passes[i].name, cr_passes[i].what);
}

/* "512M" -> bytes (suffixes K, M, G, T: powers of 1024); -1 if malformed. */
int cr_cli_parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	char *end;
	/* strtoull() would skip blanks and negate " -1" into 2^64 - 1. */
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -1;
	const char *u = *end ? strchr(suffixes, *end) : NULL;
	if (*end && (!u || end[1]))
		return -1;
	for (ptrdiff_t i = u ? u - suffixes : -1; i >= 0; i--)
		if (__builtin_mul_overflow(v, 1024ull, &v))
			return -1;
	*out = v;
	return v ? 0 : -1;
}

int cr_cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = cr_strdup_vprintf(fmt, ap);
	va_end(ap);
	cr_term_printf(stderr, "%s: %s (try '%s --help')", prog,
		       msg ? msg : fmt, prog);
	free(msg);
	return CR_ERR_USAGE;
}

/* Is C the value of an option of LONGOPTS? */
static bool known_value(const struct option *longopts, int c)
{
	for (const struct option *o = longopts; c && o->name; o++)
		if (o->val == c)
			return true;
	return false;
}

int cr_cli_bad_option(const char *prog, int c, char **argv,
		      const struct option *longopts)
{
	/*
	 * getopt's own message would echo the argument raw and name the
	 * program by its full path.  What was refused:
	 *   '?' and optopt 0: an unknown long option, the argument just
	 *     passed (a long option always moves optind on);
	 *   '?' and optopt an option we know: a long option given "=ARG"
	 *     that takes none (a known letter is never unknown, so this is
	 *     not a cluster after "--output=x");
	 *   '?' otherwise: the letter optopt, alone or inside a cluster
	 *     ("-qz": optind may or may not have moved on, so the argument
	 *     is not what to show);
	 *   ':': the last argument, a long option or a cluster ending in
	 *     the letter that wants an argument.
	 */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	bool is_long = !strncmp(arg, "--", 2);
	char letter[3] = { '-', (char)optopt, '\0' };
	if (c == ':')
		return cr_cli_usage_error(prog, "option wants an argument: '%s'",
					  is_long ? arg : letter);
	if (optopt == 0 || (is_long && known_value(longopts, optopt)))
		return cr_cli_usage_error(prog, "%s '%.*s'",
					  optopt ? "option takes no argument:" : "unknown option",
					  (int)strcspn(arg, "="), arg);
	return cr_cli_usage_error(prog, "unknown option '%s'", letter);
}

bool cr_cli_check_dir(const char *prog, const char *option, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		cr_term_printf(stderr, "%s: %s '%s': %s", prog, option, dir,
			       strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		cr_term_printf(stderr, "%s: %s '%s': not a directory", prog,
			       option, dir);
		return false;
	}
	return true;
}

int cr_cli_symbol_option(const char *prog, const char *name, const char *dir,
			 struct cr_cli_symbol_dirs *d, struct cr_options *opts)
{
	const struct {
		const char *name;
		const char **list;
		size_t *n;
	} lists[] = {
		{ "debug-dir", d->debug, &d->ndebug },
		{ "image-dir", d->image, &d->nimage },
		{ "symbols", d->symbols, &d->nsymbols },
	};
	char option[32];
	snprintf(option, sizeof(option), "--%s", name);
	if (!cr_cli_check_dir(prog, option, dir))
		return CR_ERR_USAGE;
	opts->debug_dirs = d->debug;
	opts->image_dirs = d->image;
	opts->symbol_dirs = d->symbols;
	if (!strcmp(name, "sysroot")) {
		opts->sysroot = dir;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
		if (strcmp(name, lists[i].name))
			continue;
		if (*lists[i].n >= CR_CLI_MAX_DIRS)
			return cr_cli_usage_error(prog, "at most %d of each directory option",
						  CR_CLI_MAX_DIRS);
		lists[i].list[(*lists[i].n)++] = dir;
		return 0;
	}
	return cr_cli_usage_error(prog, "unknown option --%s", name);
}

/* The first operand of ARGV when C's options are parsed, or NULL. */
static const char *first_operand(const struct cr_command *c, int argc,
				 char **argv, char **copy)
{
	memcpy(copy, argv, (size_t)(argc + 1) * sizeof(*copy));
	/* A leading '+' stops at the first operand: no permuting needed to
	 * find it, and options after it are the command's business. */
	char shortopts[64];
	snprintf(shortopts, sizeof(shortopts), "+:%s", c->shortopts);
	opterr = 0;
	optind = 0;
	while (getopt_long(argc, copy, shortopts, c->longopts, NULL) != -1)
		;
	return optind < argc ? copy[optind] : NULL;
}

int cr_cli_main(int argc, char **argv)
{
	const char *prog = argc > 0 && argv[0] && *argv[0] ?
		cr_basename(argv[0]) : "coroner";
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return CR_ERR_NOMEM;
	}
	const struct cr_command *cmd = NULL;
	const char *operand = NULL;
	for (size_t i = 0; i < cr_ncommands && !cmd; i++) {
		const char *o = first_operand(&cr_commands[i], argc, argv, copy);
		if (i == 0)
			operand = o;
		if (o && !strcmp(o, cr_commands[i].name))
			cmd = &cr_commands[i];
	}
	free(copy);
	if (cmd) {
		opterr = 0;
		optind = 0;
		return cmd->run(prog, argc, argv);
	}
	/* No command: --help and --version still answer. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cr_cli_usage(stdout, prog);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("coroner %s\n", CR_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--list-passes")) {
			cr_cli_list_passes(stdout);
			return 0;
		}
	}
	if (!operand) {
		cr_cli_usage(stderr, prog);
		return CR_ERR_USAGE;
	}
	return cr_cli_usage_error(prog, "unknown command '%s'", operand);
}
