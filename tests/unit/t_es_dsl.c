/* backends/es_dsl.c: the _mapping parser, golden query DSL for every
 * DESIGN §4 example and the edge cases, the _msearch body and its parser,
 * drill-down and trace bodies. */
#include "config.h"
#include "tests/unit/tap.h"
#include "backends/es_dsl.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Two daily indices as GET /ml-inference-* /_mapping answers (§3.3):
 * latency_ms float then long, status_code keyword then long, gpu only in
 * the second, an alias, a nested object, a 6.x-free shape. */
static const char *MAPPING =
"{"
" \"ml-inference-2024.05.01\": {\"mappings\": {\"dynamic\": \"true\", \"properties\": {"
"   \"timestamp\": {\"type\": \"date\"},"
"   \"log_level\": {\"type\": \"text\", \"fields\": {\"keyword\": {\"type\": \"keyword\", \"ignore_above\": 256}}},"
"   \"correlation_id\": {\"type\": \"keyword\"},"
"   \"request_id\": {\"type\": \"keyword\"},"
"   \"service\": {\"type\": \"keyword\"},"
"   \"event_type\": {\"type\": \"keyword\"},"
"   \"message\": {\"type\": \"text\"},"
"   \"status_code\": {\"type\": \"keyword\"},"
"   \"model_metadata\": {\"properties\": {"
"     \"model_version\": {\"type\": \"keyword\"},"
"     \"serving_variant\": {\"type\": \"keyword\"}}},"
"   \"inference_metrics\": {\"properties\": {"
"     \"latency_ms\": {\"type\": \"float\"},"
"     \"feature_store_latency_ms\": {\"type\": \"long\"}}},"
"   \"input_features\": {\"properties\": {\"cache_hit\": {\"type\": \"boolean\"}}},"
"   \"output\": {\"properties\": {\"confidence_scores\": {\"type\": \"float\"}}},"
"   \"anomaly_signals\": {\"properties\": {\"drift_score\": {\"type\": \"float\"}}},"
"   \"error\": {\"properties\": {\"message\": {\"type\": \"text\","
"     \"fields\": {\"keyword\": {\"type\": \"keyword\", \"ignore_above\": 256}}}}},"
"   \"spans\": {\"type\": \"nested\", \"properties\": {\"duration_ms\": {\"type\": \"long\"}}},"
"   \"trace\": {\"properties\": {\"id\": {\"type\": \"alias\", \"path\": \"correlation_id\"}}}"
" }}},"
" \"ml-inference-2024.05.02\": {\"mappings\": {\"properties\": {"
"   \"timestamp\": {\"type\": \"date\"},"
"   \"log_level\": {\"type\": \"text\", \"fields\": {\"keyword\": {\"type\": \"keyword\", \"ignore_above\": 256}}},"
"   \"correlation_id\": {\"type\": \"keyword\"},"
"   \"service\": {\"type\": \"keyword\"},"
"   \"status_code\": {\"type\": \"long\"},"
"   \"model_metadata\": {\"properties\": {"
"     \"model_version\": {\"type\": \"keyword\"},"
"     \"serving_variant\": {\"type\": \"keyword\"}}},"
"   \"inference_metrics\": {\"properties\": {"
"     \"latency_ms\": {\"type\": \"long\"}}},"
"   \"gpu\": {\"properties\": {\"memory_mb\": {\"type\": \"long\"}}}"
" }}}"
"}";

/* A small one for the free-text and regex cases. */
static const char *SMALL =
"{\"logs\": {\"mappings\": {\"properties\": {"
" \"msg\": {\"type\": \"keyword\"}, \"body\": {\"type\": \"text\"}}}}}";

static struct es_fields F, S;

static json_t *
load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (j == NULL) {
		printf("# bad test JSON at %d:%d: %s\n", je.line, je.column, je.text);
		abort();
	}
	return j;
}

static char *
dump(json_t *j)
{
	char *s;

	if (j == NULL)
		return xstrdup("(null)");
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* Parse, resolve against f, compile: the DSL sorted and compact, or
 * "ERR col N: message". */
static char *
dsl(const struct es_fields *f, const char *text)
{
	struct ld_err err;
	struct q_node *q;
	const char *const *paths;
	size_t n;
	json_t *j;

	err_clear(&err);
	q = query_parse(text, &err);
	if (q == NULL && err.status != LD_OK)
		return xasprintf("PARSE col %d: %s", err.col, err.msg);
	paths = es_fields_paths(f, &n);
	if (q != NULL && query_resolve(q, paths, n, &err) != LD_OK) {
		query_free(q);
		return xasprintf("RESOLVE col %d: %s", err.col, err.msg);
	}
	j = es_query_from_ast(q, f, &err);
	query_free(q);
	if (j == NULL)
		return xasprintf("ERR col %d: %s", err.col, err.msg);
	return dump(j);
}

#define GOLD(f, text, want) do { char *g__ = dsl(f, text); \
	is_str(g__, want, "dsl: %s", text); free(g__); } while (0)

static int64_t
T(const char *iso)
{
	int64_t ns;

	if (time_parse_iso(iso, strlen(iso), &ns, NULL) != 0)
		abort();
	return ns;
}

static void
test_mapping(void)
{
	json_t *m = load(MAPPING);
	struct ld_err err;
	const struct es_field *fd;
	const char *const *paths;
	size_t n;
	int sorted = 1;

	ok(es_fields_from_mapping(m, &F, &err) == LD_OK, "mapping parses");
	json_decref(m);
	paths = es_fields_paths(&F, &n);
	ok(n == 30, "30 paths (objects and sub-fields included), got %zu", n);
	for (size_t i = 1; i < n; i++)
		if (strcmp(paths[i - 1], paths[i]) >= 0)
			sorted = 0;
	ok(sorted, "paths sorted and unique");
	fd = es_fields_find(&F, "inference_metrics.latency_ms");
	ok(fd && fd->type == ES_DOUBLE && fd->conflict &&
	    fd->types == ((1u << ES_DOUBLE) | (1u << ES_LONG)),
	    "float in one index, long in the other: double, conflict, both types");
	fd = es_fields_find(&F, "status_code");
	ok(fd && fd->type == ES_KEYWORD && fd->conflict, "keyword vs long: keyword wins");
	fd = es_fields_find(&F, "log_level");
	ok(fd && fd->type == ES_TEXT && fd->kwpath && strcmp(fd->kwpath,
	    "log_level.keyword") == 0 && !fd->conflict, "text with .keyword");
	fd = es_fields_find(&F, "log_level.keyword");
	ok(fd && fd->type == ES_KEYWORD && fd->multi, "the sub-field is a field, multi");
	fd = es_fields_find(&F, "message");
	ok(fd && fd->type == ES_TEXT && fd->kwpath == NULL, "text without keyword");
	fd = es_fields_find(&F, "model_metadata");
	ok(fd && fd->type == ES_OBJECT, "object parent listed");
	fd = es_fields_find(&F, "spans.duration_ms");
	ok(fd && fd->nested && fd->type == ES_LONG, "field under nested marked");
	fd = es_fields_find(&F, "trace.id");
	ok(fd && fd->alias && fd->type == ES_KEYWORD, "alias takes its target's type");
	fd = es_fields_find(&F, "gpu.memory_mb");
	ok(fd && fd->type == ES_LONG && !fd->conflict, "field of one index only");
	ok(es_fields_find(&F, "nope") == NULL, "unknown path not found");

	m = load("[1, 2]");
	ok(es_fields_from_mapping(m, &S, &err) == LD_ESOURCE && S.n == 0,
	    "a non-object answer is LD_ESOURCE");
	json_decref(m);
	m = load("{\"idx\": {\"mappings\": {\"_doc\": {\"properties\": "
	    "{\"a\": {\"type\": \"integer\"}}}}}}");
	ok(es_fields_from_mapping(m, &S, &err) == LD_OK && S.n == 1 &&
	    S.v[0].type == ES_LONG, "6.x type level read");
	es_fields_free(&S);
	json_decref(m);
	/* found by tests/fuzz (fz_es): no field at all sorted a NULL array
	 * (qsort(NULL, 0, ...), undefined; UBSan stops there) */
	m = load("{\"idx\": {\"mappings\": {\"propertdes\": {}}}}");
	ok(es_fields_from_mapping(m, &S, &err) == LD_OK && S.n == 0 &&
	    es_fields_find(&S, "a") == NULL, "a mapping without fields: none");
	es_fields_free(&S);
	json_decref(m);
	m = load(SMALL);
	es_fields_from_mapping(m, &S, &err);
	json_decref(m);

	m = load("{\"name\": \"n\", \"version\": {\"number\": \"8.13.4\", "
	    "\"build_flavor\": \"default\"}}");
	ok(es_server_version(m, &S, &err) == LD_OK && S.version == 813 && !S.opensearch,
	    "GET / of ES 8.13.4");
	json_decref(m);
	m = load("{\"version\": {\"distribution\": \"opensearch\", \"number\": \"2.11.0\"}}");
	{
		struct es_fields o;
		memset(&o, 0, sizeof o);
		ok(es_server_version(m, &o, &err) == LD_OK && o.version == 211 &&
		    o.opensearch, "GET / of OpenSearch 2.11.0");
	}
	json_decref(m);
	S.version = 0;
	S.opensearch = 0;
}

static void
test_design_examples(void)
{
	GOLD(&F, "latency_ms > 500 and serving_variant:canary",
	    "{\"bool\":{\"filter\":[{\"range\":{\"inference_metrics.latency_ms\":{\"gt\":500}}},"
	    "{\"term\":{\"model_metadata.serving_variant\":\"canary\"}}]}}");
	GOLD(&F, "model_version:\"3.2.1\" and not log_level:INFO",
	    "{\"bool\":{\"filter\":[{\"term\":{\"model_metadata.model_version\":\"3.2.1\"}},"
	    "{\"bool\":{\"must_not\":[{\"term\":{\"log_level.keyword\":\"INFO\"}}]}}]}}");
	GOLD(&F, "service:(feature-store or api-gateway)",
	    "{\"terms\":{\"service\":[\"feature-store\",\"api-gateway\"]}}");
	GOLD(&F, "error.message:*OOM*            # wildcard",
	    "{\"wildcard\":{\"error.message.keyword\":{\"value\":\"*OOM*\"}}}");
	GOLD(&F, "/CUDA out of memory/           # PCRE2 regex over the raw line",
	    "{\"bool\":{\"minimum_should_match\":1,\"should\":["
	    "{\"regexp\":{\"correlation_id\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}},"
	    "{\"regexp\":{\"error.message.keyword\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}},"
	    "{\"regexp\":{\"event_type\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}},"
	    "{\"regexp\":{\"log_level.keyword\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}},"
	    "{\"regexp\":{\"model_metadata.model_version\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}},"
	    "{\"regexp\":{\"model_metadata.serving_variant\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}},"
	    "{\"regexp\":{\"request_id\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}},"
	    "{\"regexp\":{\"service\":{\"flags\":\"NONE\",\"value\":\".*CUDA out of memory.*\"}}}]}}");
	GOLD(&F, "\"shape mismatch\"               # free text, phrase",
	    "{\"bool\":{\"minimum_should_match\":1,\"should\":["
	    "{\"wildcard\":{\"correlation_id\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}},"
	    "{\"wildcard\":{\"error.message.keyword\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}},"
	    "{\"match_phrase\":{\"error.message\":\"shape mismatch\"}},"
	    "{\"wildcard\":{\"event_type\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}},"
	    "{\"wildcard\":{\"log_level.keyword\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}},"
	    "{\"match_phrase\":{\"log_level\":\"shape mismatch\"}},"
	    "{\"match_phrase\":{\"message\":\"shape mismatch\"}},"
	    "{\"wildcard\":{\"model_metadata.model_version\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}},"
	    "{\"wildcard\":{\"model_metadata.serving_variant\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}},"
	    "{\"wildcard\":{\"request_id\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}},"
	    "{\"wildcard\":{\"service\":{\"case_insensitive\":true,\"value\":\"*shape mismatch*\"}}}]}}");
	GOLD(&F, "cache_hit:false and feature_store_latency_ms >= 40",
	    "{\"bool\":{\"filter\":[{\"term\":{\"input_features.cache_hit\":false}},"
	    "{\"range\":{\"inference_metrics.feature_store_latency_ms\":{\"gte\":40}}}]}}");
}

static void
test_operators(void)
{
	GOLD(&F, "", "{\"match_all\":{}}");
	GOLD(&F, "service:a or service:b or service:c",
	    "{\"terms\":{\"service\":[\"a\",\"b\",\"c\"]}}");
	GOLD(&F, "service:a or event_type:b",
	    "{\"bool\":{\"minimum_should_match\":1,\"should\":[{\"term\":{\"service\":\"a\"}},"
	    "{\"term\":{\"event_type\":\"b\"}}]}}");
	GOLD(&F, "service:a and event_type:b and request_id:c",
	    "{\"bool\":{\"filter\":[{\"term\":{\"service\":\"a\"}},{\"term\":{\"event_type\":\"b\"}},"
	    "{\"term\":{\"request_id\":\"c\"}}]}}");
	GOLD(&F, "service:a or event_type:b and not request_id:c",
	    "{\"bool\":{\"minimum_should_match\":1,\"should\":[{\"term\":{\"service\":\"a\"}},"
	    "{\"bool\":{\"filter\":[{\"term\":{\"event_type\":\"b\"}},{\"bool\":{\"must_not\":"
	    "[{\"term\":{\"request_id\":\"c\"}}]}}]}}]}}");
	GOLD(&F, "not (service:a or service:b*)",
	    "{\"bool\":{\"must_not\":[{\"bool\":{\"minimum_should_match\":1,\"should\":["
	    "{\"term\":{\"service\":\"a\"}},{\"wildcard\":{\"service\":{\"value\":\"b*\"}}}]}}]}}");
	GOLD(&F, "latency_ms:(>100 and <=200)",
	    "{\"bool\":{\"filter\":[{\"range\":{\"inference_metrics.latency_ms\":{\"gt\":100}}},"
	    "{\"range\":{\"inference_metrics.latency_ms\":{\"lte\":200}}}]}}");
	GOLD(&F, "latency_ms < 0.5", "{\"range\":{\"inference_metrics.latency_ms\":{\"lt\":0.5}}}");
	GOLD(&F, "cache_hit:*", "{\"exists\":{\"field\":\"input_features.cache_hit\"}}");
	GOLD(&F, "model_metadata:*", "{\"exists\":{\"field\":\"model_metadata\"}}");
	GOLD(&F, "model_metadata:x", "{\"match_none\":{}}");
}

static void
test_types(void)
{
	GOLD(&F, "latency_ms:87", "{\"term\":{\"inference_metrics.latency_ms\":87}}");
	GOLD(&F, "latency_ms:-2.5", "{\"term\":{\"inference_metrics.latency_ms\":-2.5}}");
	GOLD(&F, "latency_ms:1e3", "{\"term\":{\"inference_metrics.latency_ms\":1000.0}}");
	GOLD(&F, "feature_store_latency_ms:2.5", "{\"match_none\":{}}");
	GOLD(&F, "service:500", "{\"term\":{\"service\":\"500\"}}");
	GOLD(&F, "service > 5", "{\"match_none\":{}}");
	GOLD(&F, "service >= m", "{\"range\":{\"service\":{\"gte\":\"m\"}}}");
	GOLD(&F, "log_level > W", "{\"range\":{\"log_level.keyword\":{\"gt\":\"W\"}}}");
	GOLD(&F, "message:hello", "{\"match_phrase\":{\"message\":\"hello\"}}");
	GOLD(&F, "message:hel*o",
	    "{\"wildcard\":{\"message\":{\"case_insensitive\":true,\"value\":\"hel*o\"}}}");
	GOLD(&F, "log_level:null", "{\"term\":{\"log_level.keyword\":\"null\"}}");
	GOLD(&F, "status_code:503", "{\"term\":{\"status_code\":\"503\"}}");
	GOLD(&F, "trace.id:c-1", "{\"term\":{\"trace.id\":\"c-1\"}}");
	GOLD(&F, "timestamp >= 2026-02-27T03:00:00Z",
	    "{\"range\":{\"timestamp\":{\"gte\":\"2026-02-27T03:00:00Z\"}}}");
	GOLD(&F, "timestamp < 1714557600000",
	    "{\"range\":{\"timestamp\":{\"lt\":1714557600000}}}");
	GOLD(&F, "cache_hit:true", "{\"term\":{\"input_features.cache_hit\":true}}");
	/* values */
	GOLD(&F, "message:\"say \\\"hi\\\" \\\\ ok\"",
	    "{\"match_phrase\":{\"message\":\"say \\\"hi\\\" \\\\ ok\"}}");
	GOLD(&F, "error.message:*a\\*b?c*",
	    "{\"wildcard\":{\"error.message.keyword\":{\"value\":\"*a\\\\*b?c*\"}}}");
	GOLD(&F, "error.message:x\\\\y*",
	    "{\"wildcard\":{\"error.message.keyword\":{\"value\":\"x\\\\\\\\y*\"}}}");
	GOLD(&F, "error.message:\"*literal*\"",
	    "{\"term\":{\"error.message.keyword\":\"*literal*\"}}");
	GOLD(&F, "service:caf\xc3\xa9-\xe2\x9c\x93",
	    "{\"term\":{\"service\":\"caf\xc3\xa9-\xe2\x9c\x93\"}}");
	GOLD(&F, "service:\"tab\\there\"", "{\"term\":{\"service\":\"tabthere\"}}");
}

static void
test_errors(void)
{
	GOLD(&F, "service:x and latency_ms:abc",
	    "ERR col 15: field 'inference_metrics.latency_ms' is numeric (floating-point) "
	    "in Elasticsearch: 'abc' is not a number at col 15");
	GOLD(&F, "latency_ms:\"500\"",
	    "ERR col 1: field 'inference_metrics.latency_ms' is numeric (floating-point) "
	    "in Elasticsearch: \"500\" is not a number (a quoted value is a string; drop "
	    "the quotes) at col 1");
	GOLD(&F, "feature_store_latency_ms > x",
	    "ERR col 1: field 'inference_metrics.feature_store_latency_ms' is numeric "
	    "(integer) in Elasticsearch: 'x' is not a number at col 1");
	GOLD(&F, "  cache_hit:yes",
	    "ERR col 3: field 'input_features.cache_hit' is boolean in Elasticsearch: use "
	    "true or false, not \"yes\" at col 3");
	GOLD(&F, "latency_ms:5*",
	    "ERR col 1: field 'inference_metrics.latency_ms' is floating-point in "
	    "Elasticsearch: a wildcard needs a string field at col 1");
	GOLD(&F, "spans.duration_ms > 5",
	    "ERR col 1: field 'spans.duration_ms' is inside a nested object, which logdive "
	    "cannot query in Elasticsearch at col 1");
	GOLD(&F, "service:x /\\d+/",
	    "ERR col 12: regex: this escape is not supported by Elasticsearch regexp "
	    "(write [0-9]) at col 12");
	GOLD(&F, "/a(?=b)/",
	    "ERR col 3: regex: a (? group (lookaround, named group or option) is not "
	    "supported by Elasticsearch regexp at col 3");
	GOLD(&F, "/(a)\\1/",
	    "ERR col 5: regex: a backreference is not supported by Elasticsearch regexp at col 5");
	GOLD(&F, "/a^b/",
	    "ERR col 3: regex: an anchor other than a leading ^ or a trailing $ is not "
	    "supported by Elasticsearch regexp at col 3");
	GOLD(&F, "/^a|b$/",
	    "ERR col 3: regex: ^ or $ with a top-level | (put the alternatives in (...)) is "
	    "not supported by Elasticsearch regexp at col 3");
	GOLD(&F, "/a++/",
	    "ERR col 4: regex: a possessive quantifier is not supported by Elasticsearch "
	    "regexp at col 4");
	GOLD(&F, "/[[:alpha:]]/",
	    "ERR col 3: regex: a POSIX class [:...:] is not supported by Elasticsearch "
	    "regexp at col 3");
	GOLD(&F, "latency:5", "RESOLVE col 1: unknown field 'latency' at col 1");
}

static void
test_text_regex(void)
{
	GOLD(&S, "oops",
	    "{\"bool\":{\"minimum_should_match\":1,\"should\":["
	    "{\"match_phrase\":{\"body\":\"oops\"}},"
	    "{\"wildcard\":{\"msg\":{\"case_insensitive\":true,\"value\":\"*oops*\"}}}]}}");
	GOLD(&S, "\"50% *off* a\\\\b?\"",
	    "{\"bool\":{\"minimum_should_match\":1,\"should\":["
	    "{\"match_phrase\":{\"body\":\"50% *off* a\\\\b?\"}},"
	    "{\"wildcard\":{\"msg\":{\"case_insensitive\":true,"
	    "\"value\":\"*50% \\\\*off\\\\* a\\\\\\\\b\\\\?*\"}}}]}}");
	GOLD(&S, "/^ERROR: .*$/", "{\"regexp\":{\"msg\":{\"flags\":\"NONE\",\"value\":\"ERROR: .*\"}}}");
	GOLD(&S, "/a|b/", "{\"regexp\":{\"msg\":{\"flags\":\"NONE\",\"value\":\".*(a|b).*\"}}}");
	GOLD(&S, "/(?i)cuda/",
	    "{\"regexp\":{\"msg\":{\"case_insensitive\":true,\"flags\":\"NONE\","
	    "\"value\":\".*cuda.*\"}}}");
	GOLD(&S, "/\"level\":\"ERROR\"/",
	    "{\"regexp\":{\"msg\":{\"flags\":\"NONE\",\"value\":"
	    "\".*\\\\\\\"level\\\\\\\":\\\\\\\"ERROR\\\\\\\".*\"}}}");
	GOLD(&S, "/x+?y(?:ab){2,3}\\.\\/z/",
	    "{\"regexp\":{\"msg\":{\"flags\":\"NONE\",\"value\":\".*x+y(ab){2,3}\\\\./z.*\"}}}");
	GOLD(&S, "/a{x}[^\\]a-c\"]\\t/",
	    "{\"regexp\":{\"msg\":{\"flags\":\"NONE\",\"value\":"
	    "\".*a\\\\{x\\\\}[^\\\\]a-c\\\\\\\"]\\t.*\"}}}");
	S.version = 709;
	GOLD(&S, "oops",
	    "{\"bool\":{\"minimum_should_match\":1,\"should\":["
	    "{\"match_phrase\":{\"body\":\"oops\"}},"
	    "{\"wildcard\":{\"msg\":{\"value\":\"*oops*\"}}}]}}");
	GOLD(&S, "/(?i)x/", "ERR col 1: regex: (?i) needs Elasticsearch 7.10 or later at col 1");
	S.version = 0;
}

static void
test_range(void)
{
	struct time_range r = { T("2024-05-01T10:00:00Z"), T("2024-05-01T11:00:00.0000005Z") };
	struct ld_err err;
	struct q_node *q;
	const char *const *paths;
	size_t n;
	char *s;

	s = dump(es_range_filter("timestamp", &r));
	is_str(s, "{\"range\":{\"timestamp\":{\"format\":\"strict_date_optional_time\","
	    "\"gte\":\"2024-05-01T10:00:00.000Z\",\"lt\":\"2024-05-01T11:00:00.001Z\"}}}",
	    "range filter: ISO UTC, ms, end rounded up");
	free(s);
	q = query_parse("latency_ms > 500 and serving_variant:canary", &err);
	paths = es_fields_paths(&F, &n);
	query_resolve(q, paths, n, &err);
	r.end = T("2024-05-01T11:00:00Z");
	s = dump(es_query_in_range(q, &F, "timestamp", &r, &err));
	is_str(s, "{\"bool\":{\"filter\":[{\"range\":{\"timestamp\":{\"format\":"
	    "\"strict_date_optional_time\",\"gte\":\"2024-05-01T10:00:00.000Z\",\"lt\":"
	    "\"2024-05-01T11:00:00.000Z\"}}},{\"range\":{\"inference_metrics.latency_ms\":"
	    "{\"gt\":500}}},{\"term\":{\"model_metadata.serving_variant\":\"canary\"}}]}}",
	    "query in range: the and-chain spliced into the filter");
	free(s);
	query_free(q);
	s = dump(es_query_in_range(NULL, &F, "timestamp", NULL, &err));
	is_str(s, "{\"match_all\":{}}", "no range, no query: match_all");
	free(s);
}

static struct es_dash
dash(struct q_node *q)
{
	struct es_dash d;

	memset(&d, 0, sizeof d);
	d.index = "ml-inference-*";
	d.time_field = "timestamp";
	d.latency_field = "inference_metrics.latency_ms";
	d.group_field = "model_metadata.serving_variant";
	d.version_field = "model_metadata.model_version";
	d.conf_field = "output.confidence_scores";
	d.cache_field = "input_features.cache_hit";
	d.level_field = "log_level";
	d.drift_field = "anomaly_signals.drift_score";
	d.query = q;
	d.range.start = T("2024-05-01T10:00:30Z");
	d.range.end = T("2024-05-01T10:03:00Z");
	d.bucket = 60 * NS_PER_SEC;
	d.max_groups = 10;
	d.max_versions = 5;
	return d;
}

#define RANGE_1 "{\"range\":{\"timestamp\":{\"gte\":\"2024-05-01T10:00:30.000Z\"," \
	"\"lt\":\"2024-05-01T10:03:00.000Z\",\"format\":\"strict_date_optional_time\"}}}"
#define RANGE_2 "{\"range\":{\"timestamp\":{\"gte\":\"2024-05-01T09:58:00.000Z\"," \
	"\"lt\":\"2024-05-01T10:00:30.000Z\",\"format\":\"strict_date_optional_time\"}}}"
#define CANARY "{\"term\":{\"model_metadata.serving_variant\":\"canary\"}}"
#define HIST(sub) "{\"date_histogram\":{\"field\":\"timestamp\",\"fixed_interval\":\"1m\"," \
	"\"time_zone\":\"UTC\",\"min_doc_count\":0,\"extended_bounds\":{\"min\":1714557600000," \
	"\"max\":1714557720000}}" sub "}"
#define CONF "{\"filter\":{\"exists\":{\"field\":\"output.confidence_scores\"}},\"aggs\":" \
	"{\"avg\":{\"avg\":{\"field\":\"output.confidence_scores\"}}}}"
#define LTE(b) "{\"range\":{\"inference_metrics.latency_ms\":{\"lte\":" b "}}}"

static const char *WANT_MSEARCH =
"{\"index\":\"ml-inference-*\"}\n"
"{\"size\":0,\"track_total_hits\":true,\"query\":{\"bool\":{\"filter\":[" RANGE_1 ","
CANARY "]}},\"aggs\":{"
"\"groups\":{\"filter\":{\"bool\":{\"should\":[{\"exists\":{\"field\":\"inference_metrics.latency_ms\"}},"
"{\"exists\":{\"field\":\"output.confidence_scores\"}}],\"minimum_should_match\":1}},\"aggs\":{"
"\"g\":{\"terms\":{\"field\":\"model_metadata.serving_variant\",\"size\":10,\"order\":"
"[{\"_count\":\"desc\"},{\"_key\":\"asc\"}],\"missing\":\"(none)\"},\"aggs\":{"
"\"lat\":{\"filter\":{\"exists\":{\"field\":\"inference_metrics.latency_ms\"}},\"aggs\":{"
"\"pct\":{\"percentiles\":{\"field\":\"inference_metrics.latency_ms\",\"percents\":[50,95,99],"
"\"keyed\":false}},"
"\"hist\":{\"filters\":{\"filters\":[" LTE("5") "," LTE("10") "," LTE("20") "," LTE("50") ","
LTE("100") "," LTE("200") "," LTE("500") "," LTE("1000") "," LTE("2000") "," LTE("5000") ","
LTE("10000") "]}}}},"
"\"t\":" HIST(",\"aggs\":{\"conf\":" CONF "}") "}}}},"
"\"t\":" HIST(",\"aggs\":{\"conf\":" CONF ","
"\"hit\":{\"filter\":{\"term\":{\"input_features.cache_hit\":true}}},"
"\"cset\":{\"filter\":{\"exists\":{\"field\":\"input_features.cache_hit\"}}},"
"\"err\":{\"filter\":{\"term\":{\"log_level.keyword\":{\"value\":\"ERROR\",\"case_insensitive\":true}}}},"
"\"drift\":{\"filter\":{\"exists\":{\"field\":\"anomaly_signals.drift_score\"}},\"aggs\":"
"{\"avg\":{\"avg\":{\"field\":\"anomaly_signals.drift_score\"}}}}}") ","
"\"conf\":" CONF ","
"\"ver\":{\"terms\":{\"field\":\"model_metadata.model_version\",\"size\":5,\"order\":"
"[{\"_count\":\"desc\"},{\"_key\":\"asc\"}]}}}}\n"
"{\"index\":\"ml-inference-*\"}\n"
"{\"size\":0,\"track_total_hits\":false,\"query\":{\"bool\":{\"filter\":[" RANGE_2 ","
CANARY "]}},\"aggs\":{\"conf\":" CONF "}}\n";

static void
test_msearch(void)
{
	struct ld_err err;
	struct q_node *q = query_parse("serving_variant:canary", &err);
	const char *const *paths;
	size_t n;
	struct es_dash d;
	struct es_fields o;
	json_t *m;
	char *s;

	paths = es_fields_paths(&F, &n);
	query_resolve(q, paths, n, &err);
	d = dash(q);
	s = es_msearch_dashboard(&d, &F, &err);
	is_str(s, WANT_MSEARCH, "msearch body, every panel, exact text");
	ok(s && s[strlen(s) - 1] == '\n', "body ends with a newline");
	free(s);

	/* no group, no confidence, ES 7.9: one search, terms for ERROR */
	d.group_field = NULL;
	d.conf_field = NULL;
	d.index = NULL;
	d.query = NULL;
	F.version = 709;
	s = es_msearch_dashboard(&d, &F, &err);
	F.version = 0;
	ok(s && strncmp(s, "{}\n{\"size\":0,", 13) == 0, "no index: {} header");
	ok(s && strstr(s, "\"err\":{\"filter\":{\"terms\":{\"log_level.keyword\":"
	    "[\"ERROR\",\"error\",\"Error\"]}}}") != NULL, "before 7.10: terms ERROR/error/Error");
	ok(s && strstr(s, "\"groups\":{\"filter\":{\"exists\":{\"field\":"
	    "\"inference_metrics.latency_ms\"}},\"aggs\":{\"lat\":") != NULL,
	    "no group field: the sub-aggs under groups");
	{
		size_t lines = 0;
		for (const char *p = s; p && *p; p++)
			lines += *p == '\n';
		ok(lines == 2, "one search without a confidence field (%zu lines)", lines);
	}
	free(s);

	/* per-record confidence means by the script, everywhere a mean of it is */
	d = dash(NULL);
	d.conf_script = 1;
	s = es_msearch_dashboard(&d, &F, &err);
	{
		const char *sc = "{\"filter\":{\"exists\":{\"field\":"
		    "\"output.confidence_scores\"}},\"aggs\":{\"avg\":{\"avg\":{\"script\":"
		    "{\"lang\":\"painless\",\"source\":\"" ES_CONF_SCRIPT "\",\"params\":"
		    "{\"f\":\"output.confidence_scores\"}}}}}}";
		size_t k = 0;
		for (const char *p = s; p && (p = strstr(p, sc)) != NULL; p++)
			k++;
		ok(k == 4 && strstr(s, "{\"avg\":{\"field\":\"output.confidence") == NULL,
		    "conf_script: the 4 confidence means by the script, no plain avg (%zu)", k);
	}
	free(s);

	d = dash(NULL);
	d.bucket = 1500 * NS_PER_MS;
	d.range.end = d.range.start + 150 * NS_PER_SEC;
	s = es_msearch_dashboard(&d, &F, &err);
	ok(s && strstr(s, "\"fixed_interval\":\"1500ms\"") != NULL, "1.5s bucket as 1500ms");
	free(s);
	d.bucket = NS_PER_MS / 2;
	s = es_msearch_dashboard(&d, &F, &err);
	ok(s == NULL && err.status == LD_EUSAGE, "half-ms bucket refused: %s", err.msg);
	d.bucket = NS_PER_SEC;
	d.range.end = d.range.start + 86400 * NS_PER_SEC;
	s = es_msearch_dashboard(&d, &F, &err);
	ok(s == NULL && err.status == LD_EUSAGE && strstr(err.msg, "too many buckets"),
	    "86400 buckets refused: %s", err.msg);
	d = dash(NULL);
	d.group_field = "message";
	s = es_msearch_dashboard(&d, &F, &err);
	ok(s == NULL && strstr(err.msg, "without a keyword sub-field") != NULL,
	    "group by a text-only field refused: %s", err.msg);
	query_free(q);
	q = query_parse("latency_ms:abc", &err);
	query_resolve(q, paths, n, &err);
	d = dash(q);
	s = es_msearch_dashboard(&d, &F, &err);
	ok(s == NULL && err.status == LD_EUSAGE && err.col == 1,
	    "a query that cannot compile: no body, the column: %s", err.msg);
	query_free(q);
	m = load("{\"i\": {\"mappings\": {\"properties\": {\"a\": {\"type\": \"text\", "
	    "\"fields\": {\"k\": {\"type\": \"keyword\"}}}}}}, \"j\": 5}");
	ok(es_fields_from_mapping(m, &o, &err) == LD_ESOURCE && o.n == 0 &&
	    strstr(err.msg, "index j") != NULL, "an index without mappings: %s", err.msg);
	json_decref(m);
}

/* The answer to WANT_MSEARCH (§5, §6), hand-written: canary 3 records
 * with a latency, prod 2, (none) only a confidence; one shard failed. */
static const char *RESPONSE =
"{\"took\": 21, \"responses\": ["
" {\"took\": 9, \"timed_out\": false,"
"  \"_shards\": {\"total\": 5, \"successful\": 4, \"skipped\": 0, \"failed\": 1,"
"   \"failures\": [{\"shard\": 2, \"index\": \"ml-inference-2024.05.02\", \"node\": \"0sU2\","
"    \"reason\": {\"type\": \"query_shard_exception\", \"reason\": \"failed to create query\","
"     \"caused_by\": {\"type\": \"number_format_exception\", \"reason\": \"For input string: \\\"612ms\\\"\"}}}]},"
"  \"hits\": {\"total\": {\"value\": 7, \"relation\": \"eq\"}, \"max_score\": null, \"hits\": []},"
"  \"aggregations\": {"
"   \"groups\": {\"doc_count\": 6, \"g\": {\"doc_count_error_upper_bound\": 0, \"sum_other_doc_count\": 0,"
"    \"buckets\": ["
"     {\"key\": \"(none)\", \"doc_count\": 1, \"lat\": {\"doc_count\": 0,"
"       \"pct\": {\"values\": [{\"key\": 50.0, \"value\": null}, {\"key\": 95.0, \"value\": null}, {\"key\": 99.0, \"value\": null}]},"
"       \"hist\": {\"buckets\": [{\"doc_count\": 0}]}},"
"      \"t\": {\"buckets\": [{\"key_as_string\": \"2024-05-01T10:02:00.000Z\", \"key\": 1714557720000, \"doc_count\": 1,"
"        \"conf\": {\"doc_count\": 1, \"avg\": {\"value\": 0.5}}}]}},"
"     {\"key\": \"prod\", \"doc_count\": 2, \"lat\": {\"doc_count\": 2,"
"       \"pct\": {\"values\": {\"50.0\": 60.0, \"95.0\": 78.0, \"99.0\": 79.6}},"
"       \"hist\": {\"buckets\": [{\"doc_count\": 0}, {\"doc_count\": 0}, {\"doc_count\": 0}, {\"doc_count\": 1},"
"        {\"doc_count\": 2}, {\"doc_count\": 2}, {\"doc_count\": 2}, {\"doc_count\": 2}, {\"doc_count\": 2},"
"        {\"doc_count\": 2}, {\"doc_count\": 2}]}},"
"      \"t\": {\"buckets\": ["
"       {\"key\": 1714557600000, \"doc_count\": 1, \"conf\": {\"doc_count\": 1, \"avg\": {\"value\": 0.9}}},"
"       {\"key\": 1714557660000, \"doc_count\": 0, \"conf\": {\"doc_count\": 0, \"avg\": {\"value\": null}}},"
"       {\"key\": 1714557720000, \"doc_count\": 1, \"conf\": {\"doc_count\": 1, \"avg\": {\"value\": 0.7}}}]}},"
"     {\"key\": \"canary\", \"doc_count\": 3, \"lat\": {\"doc_count\": 3,"
"       \"pct\": {\"values\": [{\"key\": 50.0, \"value\": 219.5}, {\"key\": 95.0, \"value\": 619.0}, {\"key\": 99.0, \"value\": 984.25}]},"
"       \"hist\": {\"buckets\": [{\"doc_count\": 0}, {\"doc_count\": 0}, {\"doc_count\": 0}, {\"doc_count\": 0},"
"        {\"doc_count\": 0}, {\"doc_count\": 1}, {\"doc_count\": 1}, {\"doc_count\": 3}, {\"doc_count\": 3},"
"        {\"doc_count\": 3}, {\"doc_count\": 3}]}},"
"      \"t\": {\"buckets\": ["
"       {\"key\": 1714557600000, \"doc_count\": 2, \"conf\": {\"doc_count\": 2, \"avg\": {\"value\": 0.25}}},"
"       {\"key\": 1714557660000, \"doc_count\": 1, \"conf\": {\"doc_count\": 0, \"avg\": {\"value\": null}}},"
"       {\"key\": 1714557720000, \"doc_count\": 0, \"conf\": {\"doc_count\": 0, \"avg\": {\"value\": null}}}]}}"
"    ]}},"
"   \"t\": {\"buckets\": ["
"    {\"key_as_string\": \"2024-05-01T10:00:00.000Z\", \"key\": 1714557600000, \"doc_count\": 3,"
"     \"conf\": {\"doc_count\": 3, \"avg\": {\"value\": 0.4666666666666667}},"
"     \"hit\": {\"doc_count\": 2}, \"cset\": {\"doc_count\": 3}, \"err\": {\"doc_count\": 1},"
"     \"drift\": {\"doc_count\": 3, \"avg\": {\"value\": 0.2}}},"
"    {\"key_as_string\": \"2024-05-01T10:01:00.000Z\", \"key\": 1714557660000, \"doc_count\": 1,"
"     \"conf\": {\"doc_count\": 0, \"avg\": {\"value\": null}},"
"     \"hit\": {\"doc_count\": 0}, \"cset\": {\"doc_count\": 0}, \"err\": {\"doc_count\": 1},"
"     \"drift\": {\"doc_count\": 0, \"avg\": {\"value\": null}}},"
"    {\"key_as_string\": \"2024-05-01T10:02:00.000Z\", \"key\": 1714557720000, \"doc_count\": 3,"
"     \"conf\": {\"doc_count\": 2, \"avg\": {\"value\": 0.6}},"
"     \"hit\": {\"doc_count\": 1}, \"cset\": {\"doc_count\": 2}, \"err\": {\"doc_count\": 0},"
"     \"drift\": {\"doc_count\": 1, \"avg\": {\"value\": 0.62}}}]},"
"   \"conf\": {\"doc_count\": 5, \"avg\": {\"value\": 0.52}},"
"   \"ver\": {\"doc_count_error_upper_bound\": 0, \"sum_other_doc_count\": 0, \"buckets\": ["
"    {\"key\": \"3.2.1\", \"doc_count\": 4}, {\"key\": \"3.3.0\", \"doc_count\": 3}]}"
"  },"
"  \"status\": 200},"
" {\"took\": 3, \"timed_out\": false, \"_shards\": {\"total\": 5, \"successful\": 5, \"skipped\": 0, \"failed\": 0},"
"  \"hits\": {\"max_score\": null, \"hits\": []},"
"  \"aggregations\": {\"conf\": {\"doc_count\": 9, \"avg\": {\"value\": 0.81}}}, \"status\": 200}"
"]}";

static void
test_parse(void)
{
	struct es_dash d = dash(NULL);
	json_t *r = load(RESPONSE);
	struct panels p;
	struct ld_err err;
	char note[512];
	int rc;

	rc = es_parse_dashboard(r, &d, &F, &p, note, sizeof note, &err);
	ok(rc == LD_OK, "dashboard response parses");
	is_str(note, "4/5 shards answered: query_shard_exception: failed to create query "
	    "(For input string: \"612ms\")", "partial shard failure noted");
	ok(p.exact == 0 && p.records.total == 7, "approximate; 7 records");
	ok(p.nbuckets == 3 && p.first == T("2024-05-01T10:00:00Z") &&
	    p.bucket == 60 * NS_PER_SEC, "3 aligned buckets from 10:00");
	ok(p.ngroups == 2, "two groups with a latency");
	is_str(p.groups[0].key, "canary", "canary first (3 records)");
	ok(p.groups[0].count == 3, "canary count 3");
	is_num(p.groups[0].p50, 219.5, 0, "canary p50 (keyed false)");
	is_num(p.groups[0].p99, 984.25, 0, "canary p99");
	is_num(p.groups[1].p95, 78.0, 0, "prod p95 (keyed)");
	ok(p.groups[0].hist[5].le == 200 && p.groups[0].hist[5].count == 1 &&
	    p.groups[0].hist[7].count == 3, "canary cumulative histogram");
	ok(isinf(p.groups[1].hist[LAT_HIST_BINS - 1].le) &&
	    p.groups[1].hist[LAT_HIST_BINS - 1].count == 2 && p.groups[1].hist[3].count == 1,
	    "prod histogram, +Inf = count");
	ok(p.nconf == 4, "conf series: * and three groups");
	is_str(p.conf[3].key, "(none)", "the group with only a confidence keeps a series");
	is_num(p.conf[0].pts[0].mean, 0.4666666666666667, 1e-15, "conf * bucket 0");
	ok(p.conf[0].pts[0].count == 3 && isnan(p.conf[0].pts[1].mean) &&
	    p.conf[0].pts[1].count == 0, "conf * counts, empty bucket NAN");
	is_num(p.conf[1].pts[0].mean, 0.25, 0, "canary conf bucket 0");
	is_num(p.conf[2].pts[2].mean, 0.7, 0, "prod conf bucket 2");
	is_num(p.conf[3].pts[2].mean, 0.5, 0, "(none) conf bucket 2");
	ok(isnan(p.conf[3].pts[0].mean), "(none) bucket absent from the answer: NAN");
	ok(p.cache[0].hits == 2 && p.cache[0].total == 3 && p.cache[2].hits == 1 &&
	    p.cache[2].total == 2 && p.cache[1].total == 0, "cache hits over booleans");
	ok(p.errors[0].errors == 1 && p.errors[0].total == 3 && p.errors[1].errors == 1 &&
	    p.errors[1].total == 1 && p.errors[2].invalid == 0, "errors and totals");
	is_num(p.drift[2].mean, 0.62, 0, "drift bucket 2");
	ok(isnan(p.drift[1].mean) && p.drift[0].count == 3, "drift empty bucket NAN");
	is_num(p.conf_mean, 0.52, 0, "confidence over the range");
	is_num(p.conf_prev, 0.81, 0, "confidence before the range");
	ok(p.nversions == 2 && strcmp(p.versions[0].key, "3.2.1") == 0 &&
	    p.versions[1].count == 3, "model-version share");
	is_str(p.group_by, "model_metadata.serving_variant", "group_by named");
	panels_free(&p);
	json_decref(r);

	/* the first search failed; the second failing only loses conf_prev */
	r = load("{\"responses\": [{\"error\": {\"root_cause\": [{\"type\": "
	    "\"index_not_found_exception\", \"reason\": \"no such index [x]\"}], \"type\": "
	    "\"index_not_found_exception\", \"reason\": \"no such index [x]\"}, \"status\": 404},"
	    "{\"status\": 200}]}");
	rc = es_parse_dashboard(r, &d, &F, &p, note, sizeof note, &err);
	ok(rc == LD_ESOURCE, "item error is LD_ESOURCE");
	is_str(err.msg, "Elasticsearch answered 404: index_not_found_exception: no such "
	    "index [x]", "item error message");
	panels_free(&p);
	json_decref(r);
	r = load("{\"responses\": [{\"timed_out\": true, \"hits\": {\"total\": 0}, "
	    "\"aggregations\": {}, \"status\": 200}, {\"error\": \"boom\", \"status\": 503}]}");
	rc = es_parse_dashboard(r, &d, &F, &p, note, sizeof note, &err);
	ok(rc == LD_OK && isnan(p.conf_prev) && p.ngroups == 0 && p.nconf == 1,
	    "empty aggregations parse");
	is_str(note, "timed out: partial results; no confidence change: Elasticsearch "
	    "answered 503: boom", "notes");
	is_str(p.conf_method, PANELS_CONF_VALUES, "plain avg: method values");
	panels_free(&p);
	json_decref(r);
	/* found by tests/fuzz (fz_es): a bucket key (ms) past int64 ns
	 * overflowed (undefined; UBSan stops there); such buckets are ignored */
	r = load("{\"responses\": [{\"hits\": {\"total\": 1}, \"aggregations\": "
	    "{\"t\": {\"buckets\": [{\"key\": 1772157400600000, \"doc_count\": 1, "
	    "\"err\": {\"doc_count\": 1}}, {\"key\": -9.1e15, \"doc_count\": 1}, "
	    "{\"key\": 1714557600000, \"doc_count\": 2}]}}, \"status\": 200}]}");
	rc = es_parse_dashboard(r, &d, &F, &p, note, sizeof note, &err);
	ok(rc == LD_OK && p.nbuckets == 3 && p.errors[0].total == 2 &&
	    p.errors[0].errors == 0, "bucket keys past 2262 ignored");
	panels_free(&p);
	json_decref(r);

	/* a 400 names a value, or a field, of the query */
	{
		struct q_node *q = query_parse("log_level:INFO and (latency_ms > 5 or "
		    "cache_hit:maybe)", &err);
		struct ld_err e2;
		const char *const *paths;
		size_t np;
		paths = es_fields_paths(&F, &np);
		query_resolve(q, paths, np, &err);
		ok(es_blame(q, "Can't parse boolean value [maybe], expected [true] or [false]") ==
		    q->b->b, "blame: the bracketed value");
		ok(es_blame(q, "failed to create query: For input string: \"INFO\"") == q->a,
		    "blame: the quoted value");
		ok(es_blame(q, "No mapping found for [inference_metrics.latency_ms]") == q->b->a,
		    "blame: the field's path");
		ok(es_blame(q, "failed to parse [5.0]") == NULL, "blame: nothing named");
		err_set(&e2, LD_ESOURCE, "Elasticsearch answered 400: x [maybe]");
		ok(es_blame_err(q, &e2) == 1 && e2.status == LD_EUSAGE && e2.col == 39,
		    "blame_err: usage error, column %d", e2.col);
		is_str(e2.msg, "Elasticsearch answered 400: x [maybe]; the query at col 39: "
		    "cache_hit:maybe", "blame_err: the message");
		query_free(q);
	}

	/* a cluster without scripts */
	r = load("{\"responses\": [{\"error\": {\"root_cause\": [{\"type\": "
	    "\"illegal_argument_exception\", \"reason\": \"cannot execute [inline] "
	    "scripts\"}], \"type\": \"search_phase_execution_exception\", \"reason\": "
	    "\"all shards failed\"}, \"status\": 400}]}");
	ok(es_script_refused(r, note, sizeof note) == 1, "scripts refused: detected");
	is_str(note, "illegal_argument_exception: cannot execute [inline] scripts",
	    "scripts refused: the reason");
	json_decref(r);
	r = load(RESPONSE);
	ok(es_script_refused(r, note, sizeof note) == 0 && note[0] == '\0',
	    "a good answer: no script refusal");
	d.conf_script = 1;
	rc = es_parse_dashboard(r, &d, &F, &p, note, sizeof note, &err);
	is_str(rc == LD_OK ? p.conf_method : NULL, PANELS_CONF_SCRIPT, "script: method script");
	panels_free(&p);
	json_decref(r);
}

static void
test_search(void)
{
	struct time_range r = { T("2024-05-01T10:00:00Z"), T("2024-05-01T10:01:00Z") };
	struct es_search s;
	struct ld_err err;
	json_t *after;
	char *got;

	memset(&s, 0, sizeof s);
	s.time_field = "timestamp";
	s.latency_field = "inference_metrics.latency_ms";
	s.group_field = "model_metadata.serving_variant";
	s.group_value = "canary";
	s.min_latency = 619;
	s.range = &r;
	s.sort = SORT_LATENCY_DESC;
	s.size = 500;
	got = dump(es_search_body(&s, &F, &err));
	is_str(got, "{\"query\":{\"bool\":{\"filter\":[{\"range\":{\"timestamp\":{\"format\":"
	    "\"strict_date_optional_time\",\"gte\":\"2024-05-01T10:00:00.000Z\",\"lt\":"
	    "\"2024-05-01T10:01:00.000Z\"}}},{\"term\":{\"model_metadata.serving_variant\":"
	    "\"canary\"}},{\"range\":{\"inference_metrics.latency_ms\":{\"gte\":619}}}]}},"
	    "\"size\":500,\"sort\":[{\"inference_metrics.latency_ms\":{\"order\":\"desc\","
	    "\"unmapped_type\":\"float\"}},{\"timestamp\":{\"order\":\"asc\",\"unmapped_type\":"
	    "\"date\"}}],\"track_total_hits\":true}", "group above a latency, first page");
	free(got);

	after = load("[612.5, 1714557659998, 8421]");
	s.search_after = after;
	s.pit_id = "46ToAw==";
	s.group_value = "(none)";
	s.min_latency = NAN;
	s.range = NULL;
	s.sort = SORT_TIME_DESC;
	got = dump(es_search_body(&s, &F, &err));
	is_str(got, "{\"pit\":{\"id\":\"46ToAw==\",\"keep_alive\":\"1m\"},\"query\":{\"bool\":"
	    "{\"filter\":[{\"bool\":{\"must_not\":[{\"exists\":{\"field\":"
	    "\"model_metadata.serving_variant\"}}]}}]}},\"search_after\":[612.5,1714557659998,"
	    "8421],\"size\":500,\"sort\":[{\"timestamp\":{\"order\":\"desc\",\"unmapped_type\":"
	    "\"date\"}},{\"_shard_doc\":\"asc\"}],\"track_total_hits\":false}",
	    "later page with a PIT: (none) group, search_after, _shard_doc");
	free(got);

	F.opensearch = 1;
	s.tiebreak = NULL;
	s.group_field = NULL;
	got = dump(es_trace_body(&s, "correlation_id", "c-5b8e\"0d", &F, &err));
	F.opensearch = 0;
	is_str(got, "{\"pit\":{\"id\":\"46ToAw==\",\"keep_alive\":\"1m\"},\"query\":{\"bool\":"
	    "{\"filter\":[{\"term\":{\"correlation_id\":\"c-5b8e\\\"0d\"}}]}},\"search_after\":"
	    "[612.5,1714557659998,8421],\"size\":500,\"sort\":[{\"timestamp\":{\"order\":"
	    "\"asc\",\"unmapped_type\":\"date\"}}],\"track_total_hits\":false}",
	    "trace page on OpenSearch: no _shard_doc");
	free(got);
	json_decref(after);

	s.search_after = NULL;
	s.pit_id = NULL;
	s.tiebreak = "request_id";
	got = dump(es_trace_body(&s, "log_level", "r-1", &F, &err));
	is_str(got, "{\"query\":{\"bool\":{\"filter\":[{\"term\":{\"log_level.keyword\":"
	    "\"r-1\"}}]}},\"size\":500,\"sort\":[{\"timestamp\":{\"order\":\"asc\","
	    "\"unmapped_type\":\"date\"}},{\"request_id\":\"asc\"}],\"track_total_hits\":true}",
	    "trace on a text field: its keyword sub-field; tiebreaker field");
	free(got);
}

static void
test_error_text(void)
{
	char out[256];
	json_t *e = load("{\"error\": {\"root_cause\": [{\"type\": \"parsing_exception\", "
	    "\"reason\": \"unknown query [matchh]\"}], \"type\": \"parsing_exception\", "
	    "\"reason\": \"unknown query [matchh]\", \"caused_by\": {\"type\": "
	    "\"named_object_not_found_exception\", \"reason\": \"[1:22] unknown field [matchh]\"}}}");

	is_str(es_error_text(json_object_get(e, "error"), out, sizeof out),
	    "parsing_exception: unknown query [matchh] ([1:22] unknown field [matchh])",
	    "error text with caused_by");
	json_decref(e);
	e = json_string("no handler found for uri [/_serch] and method [GET]");
	is_str(es_error_text(e, out, sizeof out),
	    "no handler found for uri [/_serch] and method [GET]", "string error");
	json_decref(e);
}

int
main(void)
{
	test_mapping();
	test_design_examples();
	test_operators();
	test_types();
	test_errors();
	test_text_regex();
	test_range();
	test_msearch();
	test_parse();
	test_search();
	test_error_text();
	es_fields_free(&F);
	es_fields_free(&S);
	return tap_done();
}
