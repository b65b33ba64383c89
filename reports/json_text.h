/*
 * json_text.h - a jansson tree as the JSON reports' text (json_text.c).
 */
#ifndef CR_JSON_TEXT_H
#define CR_JSON_TEXT_H

#include <jansson.h>

struct cr_buf;
/*
 * Append V to B as json_dumps(V, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
 * writes it, nested DEPTH levels deep (its lines after the first indented
 * 2 * DEPTH more); json_text.c says why not jansson's.  B's oom flag says
 * when memory ran out.
 */
void report_json_text(struct cr_buf *b, const json_t *v, unsigned depth);

#endif
