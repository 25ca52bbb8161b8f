/* Query evaluation over one raw JSON line, through the scanner. */
#include "config.h"
#include "backends/linequery.h"

#include "lib/xalloc.h"

#include <stdlib.h>
#include <string.h>

static size_t
qget(void *ctx, const char *path, struct q_val *out, size_t max)
{
	struct linequery *q = ctx;
	size_t n;
	if (q->fmt) {
		if (!q->parsed) {
			q->parsed = 1;
			if (!tf_parse(q->fmt, q->tr, q->line, q->len))
				q->tr->nf = 0, q->tr->json = NULL;
		}
		n = tf_get(q->tr, path, q->jv, 64);
	} else
		n = jscan_get(q->line, q->len, path, q->jv, 64);
	size_t m = n < max ? n : max;
	if (m > 64)
		m = 64;
	buf_reset(&q->tmp);
	buf_reserve(&q->tmp, q->len + 1);	/* unescaped text never grows */
	for (size_t i = 0; i < m; i++) {
		const struct jv *v = &q->jv[i];
		out[i].num = 0;
		out[i].s = NULL;
		out[i].len = 0;
		switch (v->type) {
		case JV_NULL: out[i].type = QV_NULL; break;
		case JV_FALSE: out[i].type = QV_FALSE; break;
		case JV_TRUE: out[i].type = QV_TRUE; break;
		case JV_NUMBER:
			/* beyond double range (1e400): not a number to compare,
			   as the panels count it (bad_type) */
			out[i].type = v->overflow ? QV_OTHER : QV_NUMBER;
			out[i].num = v->overflow ? 0 : v->num;
			break;
		case JV_STRING:
			out[i].type = QV_STRING;
			if (v->escaped) {
				size_t at = q->tmp.len;
				jscan_unescape(v, &q->tmp);
				out[i].s = q->tmp.p + at;
				out[i].len = q->tmp.len - at;
			} else {
				out[i].s = v->p;
				out[i].len = v->len;
			}
			break;
		default:
			out[i].type = QV_OTHER;
		}
	}
	return n;
}

int
linequery_match(struct linequery *qc, const struct q_node *q, const char *line, size_t len)
{
	struct q_record qr = { qc, qget, line, len };
	qc->line = line;
	qc->len = len;
	qc->parsed = 0;
	return query_match(q, &qr);
}

const char *
linequery_first(struct linequery *qc, const char *path, const char *line, size_t len, size_t *glen)
{
	struct q_val v[1];
	qc->line = line;
	qc->len = len;
	qc->parsed = 0;
	if (qget(qc, path, v, 1) == 0)
		return NULL;
	switch (v[0].type) {
	case QV_STRING: *glen = v[0].len; return v[0].s;
	case QV_NUMBER: case QV_TRUE: case QV_FALSE:
		*glen = qc->jv[0].len;
		return qc->jv[0].p;
	default: return NULL;
	}
}

void
linequery_set_format(struct linequery *qc, const struct tf_format *f, int64_t ref)
{
	qc->fmt = f;
	qc->parsed = 0;
	if (f && qc->tr == NULL) {
		qc->tr = xmalloc(sizeof *qc->tr);
		tf_rec_init(qc->tr);
	}
	if (qc->tr)
		qc->tr->ref = ref;
}

void
linequery_free(struct linequery *qc)
{
	buf_free(&qc->tmp);
	if (qc->tr) {
		tf_rec_free(qc->tr);
		free(qc->tr);
		qc->tr = NULL;
	}
}
