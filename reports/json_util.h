/*
 * json_util.h - the helpers the JSON report's files share (json.c, the
 * report's top level; json_memory.c, the address space and the heap):
 * building never stops on a failed allocation, it notes it in jctx.oom
 * (json.c's file comment).
 */
#ifndef CR_JSON_UTIL_H
#define CR_JSON_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "analysis.h"
#include "json_text.h"
#include "report_util.h"

struct jctx {
	const struct cr_analysis *a;
	bool oom;
};

/* Both steal V (jansson's *_new functions release it on failure). */
static inline void set(struct jctx *j, json_t *obj, const char *key, json_t *v)
{
	if (!v || !obj) {
		json_decref(v);
		j->oom = true;
	} else if (json_object_set_new(obj, key, v) != 0) {
		j->oom = true;
	}
}

static inline void push(struct jctx *j, json_t *arr, json_t *v)
{
	if (!v || !arr) {
		json_decref(v);
		j->oom = true;
	} else if (json_array_append_new(arr, v) != 0) {
		j->oom = true;
	}
}

/* A dump string: null when NULL, else cleaned to valid UTF-8. */
static inline json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	char *clean = report_clean(s, 0);
	if (!clean)
		return NULL;
	json_t *v = json_string(clean);
	free(clean);
	return v;
}

static inline json_t *jhex(uint64_t v)
{
	char buf[REPORT_NUM_LEN];
	return json_string_nocheck(report_fmt_hex(buf, v, 0));
}

/* A byte count: an integer (null past what a JSON integer holds). */
static inline json_t *jbytes(uint64_t n)
{
	return n <= (uint64_t)INT64_MAX ? json_integer((json_int_t)n)
					 : json_null();
}

/* The "address_space" and "heap" objects (json_memory.c); null when the
 * pass did not run or kept nothing. */
json_t *report_json_address_space(struct jctx *j);
json_t *report_json_heap(struct jctx *j);
/* A series report's "heap" (json_series_heap.c); null when the series'
 * dumps have no walked heap to compare. */
struct cr_series;
json_t *report_json_series_heap(struct jctx *j, const struct cr_series *s);

#endif
