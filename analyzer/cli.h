/*
 * cli.h - the command line: a table of subcommands.
 *
 *   coroner COMMAND [options] [operands]      (options may stand anywhere)
 *
 * Each command is one entry of cr_commands[] (cli.c) and one file
 * (cmd_analyze.c, ...) holding its options and its run function, so adding
 * `batch` or `collect` is a line in the table and a file.  What all
 * commands share is here: the program's name for messages, the usage error
 * (exit status 2, CR_ERR_USAGE), naming a bad option as the user wrote it,
 * and checking directory arguments.
 */
#ifndef CR_CLI_H
#define CR_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cr_command {
	const char *name;
	/* What follows "coroner NAME" in the synopsis, and the option
	 * lines of --help (each "  -x, --long ARG  text", so the man page
	 * test can check that each one is documented). */
	const char *synopsis;
	const char *options_help;
	/* Its options, for getopt_long: the parser of cli.c finds the
	 * command with them (an option's argument is not a command). */
	const char *shortopts;
	const struct option *longopts;
	/* Runs the command; returns the exit status.  ARGV is the whole
	 * command line: the command parses its options with getopt_long
	 * (optind = 0) and the first operand is its own name. */
	int (*run)(const char *prog, int argc, char **argv);
};

extern const struct cr_command cr_commands[];
extern const size_t cr_ncommands;

/* main(): find the command and run it. */
int cr_cli_main(int argc, char **argv);

/* The full --help text (every command) to F. */
void cr_cli_usage(FILE *f, const char *prog);
/* The diagnosis passes in run order, one "NAME  what it is for" a line
 * (--list-passes). */
void cr_cli_list_passes(FILE *f);

/*
 * Report the option getopt_long() just refused (C is what it returned: '?'
 * or ':') as the user wrote it (a long option, or the one letter of a
 * cluster such as -qz), with PROG's base name; LONGOPTS is the table
 * getopt_long() was given.  Returns CR_ERR_USAGE.
 */
int cr_cli_bad_option(const char *prog, int c, char **argv,
		      const struct option *longopts);

/* "512M" -> bytes (suffixes K, M, G, T: powers of 1024); 0, or -1 when
 * malformed or zero.  --max-decompressed, collect's --memory. */
int cr_cli_parse_size(const char *s, uint64_t *out);

/* "PROG: MESSAGE (try 'PROG --help')"; returns CR_ERR_USAGE. */
int cr_cli_usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Whether DIR, given to OPTION, is an existing directory; if not, says so
 * in one line. */
bool cr_cli_check_dir(const char *prog, const char *option, const char *dir);

/*
 * The symbol options analyze and batch share: --sysroot DIR, --debug-dir,
 * --image-dir and --symbols DIR (each up to CR_CLI_MAX_DIRS times).
 * cr_cli_symbol_option() takes one, by its long NAME, into D and OPTS
 * (whose dir lists then point into D, which must outlive OPTS); it
 * refuses a directory that is not there (it would be searched in vain,
 * silently).  Returns 0 or CR_ERR_USAGE (said on stderr).
 */
#define CR_CLI_MAX_DIRS 32
struct cr_cli_symbol_dirs {
	const char *debug[CR_CLI_MAX_DIRS + 1];
	const char *image[CR_CLI_MAX_DIRS + 1];
	const char *symbols[CR_CLI_MAX_DIRS + 1];
	size_t ndebug, nimage, nsymbols;
};
struct cr_options;
int cr_cli_symbol_option(const char *prog, const char *name, const char *dir,
			 struct cr_cli_symbol_dirs *d, struct cr_options *opts);

#endif
