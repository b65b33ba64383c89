/*
 * shard.c - `coroner batch --shard I/N` (batch.h): which of N shards a file
 * belongs to, the same answer on every machine.
 *
 * The shard comes from what is in the file, never from its path or
 * modification time: a fleet's dumps are copied to each machine of a job
 * array at different times and under different roots, and every machine
 * must agree on who takes which file, with nobody to ask.  The key is
 *   - for a dump of a known process (the probe read its pid and
 *     executable), a hash of the pid, the executable and the process start
 *     time: what makes a series (series.h), so the dumps of one process
 *     land in one shard and are analyzed there together, as one run would;
 *   - for anything else (a dump naming no process, a file that is no dump,
 *     one that cannot be probed), the store's header hash of the file.
 * The shard is the key modulo N.  FNV-1a's low bits follow its last input
 * bytes closely, so the key is mixed (splitmix64's finaliser) first: files
 * spread evenly over the shards whatever N is.
 */
#include "batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

bool cr_batch_shard_parse(const char *s, struct cr_batch_shard *out)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long i = strtoul(s, &end, 10);
	if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
		return false;
	const char *ns = end + 1;
	unsigned long n = strtoul(ns, &end, 10);
	if (errno || *end || n < 1 || n > CR_BATCH_SHARD_MAX || i < 1 || i > n)
		return false;
	*out = (struct cr_batch_shard){ .index = (unsigned)i, .count = (unsigned)n };
	return true;
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t cr_batch_shard_key(int64_t pid, const char *exe, int64_t start_time,
			    const char *header_hash)
{
	uint64_t h = CR_FNV1A_INIT;
	if (pid >= 0 && exe) {
		char num[48];
		int n = snprintf(num, sizeof(num), "process %lld %lld ",
				 (long long)pid, (long long)start_time);
		h = cr_fnv1a(h, num, (size_t)n);
		h = cr_fnv1a(h, exe, strlen(exe));
	} else {
		h = cr_fnv1a(h, "file ", 5);
		h = cr_fnv1a(h, header_hash, strlen(header_hash));
	}
	return mix(h);
}

bool cr_batch_shard_mine(const struct cr_batch_shard *s, uint64_t key)
{
	return !s->count || key % s->count == s->index - 1;
}
