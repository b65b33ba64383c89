/*
 * util.c - the helpers of util.h.
 */
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

const char *cr_basename(const char *path)
{
	if (!path)
		return NULL;
	const char *base = path;
	for (const char *p = path; *p; p++)
		if ((*p == '/' || *p == '\\') && p[1])
			base = p + 1;
	return base;
}

void *cr_grow_array(void *p, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap)
		return p;
	size_t ncap = *cap ? *cap : (first ? first : 1);
	while (ncap < need)
		if (__builtin_mul_overflow(ncap, 2, &ncap))
			return NULL;
	size_t bytes;
	if (__builtin_mul_overflow(ncap, size, &bytes))
		return NULL;
	void *np = realloc(p, bytes ? bytes : 1);
	if (!np)
		return NULL;
	*cap = ncap;
	return np;
}

uint64_t cr_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

double cr_mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
