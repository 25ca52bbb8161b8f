/* The Elasticsearch and Loki targets: the real backend, opened on a
 * source whose server is the fuzzer (fz_http.c), then what the dashboard
 * and the lists do: load, fields, panels (with a query resolved against
 * the fields), a search by latency, a trace, a record. Input: the
 * server's answers, separated by lines "@@", used in order and cycled;
 * an answer may start with "!NNN " for its HTTP status. */
#ifndef LD_FZ_REMOTE_H
#define LD_FZ_REMOTE_H
#include "backends/backend.h"
#include "lib/timeutil.h"
#include "queries/panels.h"
#include "queries/query.h"
#include "tests/fuzz/fz.h"
#include "tests/fuzz/fz_http.h"

#include <math.h>

#define FZ_MAX_ANSWERS	64
#define FZ_MAX_REQUESTS	120

/* 2026-02-27T01:00Z..03:00Z, in four buckets: small answers */
static const struct time_range fz_range = {
	INT64_C(1772154000000000000), INT64_C(1772161200000000000)
};

static void
fz_remote(const char *source, const uint8_t *data, size_t size)
{
	char *text = fz_dup(data, size);
	char *part[FZ_MAX_ANSWERS];
	size_t plen[FZ_MAX_ANSWERS];
	size_t n = fz_split(text, size, part, plen, FZ_MAX_ANSWERS);
	struct ld_err err = { 0 };
	struct mapping m;
	const char *const sources[] = { source };
	struct backend_opts o;

	mapping_default(&m);
	memset(&o, 0, sizeof o);
	o.sources = sources;
	o.nsources = 1;
	o.map = &m;
	o.cache_dir = "";
	o.range = &fz_range;	/* where the fields are sampled (-t) */
	fz_http_answers(part, plen, n, FZ_MAX_REQUESTS);
	struct backend *b = backend_open(&o, &err);
	if (b == NULL)
		abort();	/* the source is fine: nothing is asked yet */
	if (b->ops->load(b, &err) == LD_OK) {
		const char *const *paths;
		size_t np = 0;
		struct q_node *q = NULL;
		struct query_opts qo;
		struct panels p;
		struct hitlist hl;
		struct search_req sr;

		b->ops->fields(b, &paths, &np);
		q = query_parse("latency_ms > 100 and not level:INFO or /err(or)?/ or "
		    "\"out of memory\" or service:model-*", &err);
		if (q && query_resolve(q, paths, np, &err) != LD_OK) {
			query_free(q);
			q = NULL;
		}
		memset(&qo, 0, sizeof qo);
		qo.query = q;
		qo.has_range = 1;
		qo.range = fz_range;
		qo.bucket = INT64_C(1800) * NS_PER_SEC;
		memset(&p, 0, sizeof p);
		if (b->ops->panels(b, &qo, &p, &err) == LD_OK)
			panels_free(&p);
		else
			panels_free(&p);
		memset(&sr, 0, sizeof sr);
		sr.q = qo;
		sr.min_latency = NAN;
		sr.sort = SORT_LATENCY_DESC;
		sr.limit = 20;
		memset(&hl, 0, sizeof hl);
		if (b->ops->search(b, &sr, &hl, &err) == LD_OK && hl.n > 0) {
			free(b->ops->record(b, &hl.v[0], &err));
			if (hl.v[0].trace_id) {
				struct hitlist tl;
				memset(&tl, 0, sizeof tl);
				(void)b->ops->trace(b, hl.v[0].trace_id, &tl, &err);
				hitlist_free(&tl);
			}
		}
		hitlist_free(&hl);
		query_free(q);
	}
	backend_close(b);
	mapping_free(&m);
	free(text);
}
#endif
