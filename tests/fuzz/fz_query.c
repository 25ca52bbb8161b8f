/* The query language (queries/query.h): parse, print, resolve against
 * the paths of a record, match the record. Input: the query text. */
#include "config.h"
#include "backends/jscan.h"
#include "queries/query.h"
#include "tests/fuzz/fz.h"

#include <stdio.h>

static const char rec[] =
    "{\"timestamp\":\"2026-02-27T03:00:00.123Z\",\"service\":\"model-server\","
    "\"log_level\":\"ERROR\",\"event\":\"inference\",\"trace_id\":\"t-1\","
    "\"inference_metrics\":{\"latency_ms\":512.5,\"confidence\":[0.9,0.4]},"
    "\"model_metadata\":{\"serving_variant\":\"canary\",\"model_version\":\"3.2.1\"},"
    "\"cache_hit\":false,\"error\":{\"message\":\"CUDA out of memory\"},"
    "\"tags\":[\"a\",\"b\"],\"log.level\":\"x\",\"n\":null,\"s\":\"500\"}";

static const char *const paths[] = {
	"timestamp", "service", "log_level", "event", "trace_id",
	"inference_metrics.latency_ms", "inference_metrics.confidence",
	"model_metadata.serving_variant", "model_metadata.model_version",
	"cache_hit", "error.message", "tags", "log.level", "n", "s",
	"a.b.c", "x.level", "y.level"
};

static size_t
get(void *ctx, const char *path, struct q_val *out, size_t max)
{
	struct jv v[8];
	size_t n = jscan_get(rec, sizeof rec - 1, path, v, 8), k;

	(void)ctx;
	for (k = 0; k < n && k < 8 && k < max; k++) {
		switch (v[k].type) {
		case JV_NULL: out[k].type = QV_NULL; break;
		case JV_FALSE: out[k].type = QV_FALSE; break;
		case JV_TRUE: out[k].type = QV_TRUE; break;
		case JV_NUMBER: out[k].type = QV_NUMBER; out[k].num = v[k].num; break;
		case JV_STRING:
			out[k].type = QV_STRING;
			out[k].s = v[k].p;
			out[k].len = v[k].len;
			break;
		default: out[k].type = QV_OTHER; break;
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ld_err err = { 0 };
	char *text = fz_str(data, size);
	struct q_node *q = query_parse(text, &err);

	if (q == NULL) {
		if (err.status == LD_OK) {
			/* blank: matches everything */
		} else if (err.status != LD_EUSAGE || err.msg[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	free(query_to_string(q));
	if (query_resolve(q, paths, sizeof paths / sizeof *paths, &err) == LD_OK) {
		struct q_record r = { NULL, get, rec, sizeof rec - 1 };
		free(query_to_string(q));
		(void)query_match(q, &r);
	}
	query_free(q);
	free(text);
	return 0;
}
