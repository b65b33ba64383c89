/*
 * main.c - the coroner executable: the command line is cli.c's table of
 * subcommands (cli.h).
 */
#include "cli.h"

int main(int argc, char **argv)
{
	return cr_cli_main(argc, argv);
}
