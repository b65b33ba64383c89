/*
 * sigbug.c - two bugs, each crashing the same way whatever the build, for
 * the signature and bucket tests (tests/e2e/signature.py).
 *
 *   sigbug read     bug one: parse_record reads through a null pointer
 *   sigbug write    bug one again, the same code site writing instead
 *                   (another crash class, the same bucket)
 *   sigbug other    bug two: checksum reads through a null pointer
 *   sigbug recurse  walk and visit call each other until the stack
 *                   overflows (its depth follows the stack limit)
 *
 * Built twice by tests/signature.cmake (-O0 PIE and -O2 -no-pie): the
 * calls are kept real calls (noinline, noipa, a use of the result after them) so
 * both builds have the same functions on the stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* noipa: without it GCC -O2's IPA-SRA moves checksum's load into its
 * caller, and the -O2 build crashes in verify_records: another stack, so
 * another bucket (rightly, but not the test's point). */
#if defined(__GNUC__) && !defined(__clang__)
#define NOINLINE __attribute__((noinline, noipa))
#else
#define NOINLINE __attribute__((noinline))
#endif

struct record {
	int len;
	char body[60];
};

static volatile int sink;
static struct record *volatile nowhere;

NOINLINE static int parse_record(struct record *r, int write)
{
	if (write)
		r->len = 42;
	return r->len + sink;
}

NOINLINE static int load_records(int write)
{
	int n = parse_record(nowhere, write);
	sink = n;
	return n + 1;
}

NOINLINE static int checksum(const struct record *r)
{
	return r->body[3] + sink;
}

NOINLINE static int verify_records(void)
{
	int n = checksum(nowhere);
	sink = n;
	return n + 1;
}

NOINLINE static int visit(int depth);

NOINLINE static int walk(int depth)
{
	volatile char frame[256];
	frame[0] = (char)depth;
	return visit(depth + 1) + frame[0];
}

NOINLINE static int visit(int depth)
{
	volatile char frame[256];
	frame[0] = (char)depth;
	return walk(depth + 1) + frame[0];
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int r;

	if (!strcmp(mode, "read"))
		r = load_records(0);
	else if (!strcmp(mode, "write"))
		r = load_records(1);
	else if (!strcmp(mode, "other"))
		r = verify_records();
	else if (!strcmp(mode, "recurse"))
		r = walk(0);
	else {
		fprintf(stderr, "usage: sigbug read|write|other|recurse\n");
		return 2;
	}
	printf("%d\n", r);
	return 0;
}
