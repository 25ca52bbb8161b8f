/* The panels builder: bucket alignment, exact percentiles, histograms,
 * means, rates, the JSON shape (DESIGN §3, §7). */
#include "config.h"
#include "tests/unit/tap.h"
#include "lib/timeutil.h"
#include "queries/panels.h"

#include <stdlib.h>
#include <string.h>

static struct panels_row
row(int64_t t, double lat, const char *group, double conf, int hit, int error,
    double drift, const char *version)
{
	struct panels_row r;
	r.t = t;
	r.latency = lat;
	r.group = group;
	r.grouplen = group ? strlen(group) : 0;
	r.version = version;
	r.versionlen = version ? strlen(version) : 0;
	r.confidence = conf;
	r.cache_hit = hit;
	r.is_error = error;
	r.drift = drift;
	return r;
}

int
main(void)
{
	const int64_t S = NS_PER_SEC;
	/* 2026-02-27T03:00:00Z = 1772161200 */
	int64_t t0 = INT64_C(1772161200) * S;
	struct time_range r = { t0 + 30 * S, t0 + 600 * S };	/* 03:00:30..03:10:00 */
	struct panels_builder *b = panels_builder_new(&r, 60 * S);
	struct panels p;
	struct panels_row x;

	/* canary: 1..10 ms; prod: 100, 200 */
	for (int i = 1; i <= 10; i++) {
		x = row(t0 + 30 * S + i * S, i, "canary", 0.5, i % 2, i == 10, 0.25, "3.3.0");
		panels_builder_add(b, &x);
	}
	x = row(t0 + 125 * S, 100, "prod", 0.9, 1, 0, NAN, "3.2.1");
	panels_builder_add(b, &x);
	x = row(t0 + 599 * S, 200, "prod", NAN, -1, 0, NAN, "3.2.1");
	panels_builder_add(b, &x);
	/* out of range: ignored */
	x = row(t0 + 600 * S, 5000, "prod", 0.1, 1, 1, 1, "3.2.1");
	panels_builder_add(b, &x);
	x = row(t0 + 29 * S, 5000, "prod", 0.1, 1, 1, 1, "3.2.1");
	panels_builder_add(b, &x);
	/* no latency but a confidence; no group */
	x = row(t0 + 200 * S, NAN, NULL, 0.1, -1, 1, NAN, NULL);
	panels_builder_add(b, &x);
	panels_builder_add_invalid(b, t0 + 61 * S);
	panels_builder_add_invalid(b, TIME_NONE);
	panels_builder_add_prev(b, 0.8);
	panels_builder_add_prev(b, 0.6);
	panels_builder_finish(b, &p);

	ok(p.first == t0, "first bucket aligned to the minute: %lld", (long long)p.first);
	ok(p.nbuckets == 10, "10 buckets from 03:00 to 03:10: %zu", p.nbuckets);
	ok(panels_bucket_time(&p, 9) == t0 + 540 * S, "last bucket 03:09");
	ok(p.ngroups == 2, "two latency groups");
	is_str(p.groups[0].key, "canary", "groups sorted by count");
	ok(p.groups[0].count == 10, "canary count");
	/* numpy.percentile(range(1,11), [50,95,99]) = 5.5, 9.549999999999999, 9.91 */
	is_num(p.groups[0].p50, 5.5, 1e-12, "canary p50");
	is_num(p.groups[0].p95, 9.55, 1e-12, "canary p95");
	is_num(p.groups[0].p99, 9.91, 1e-12, "canary p99");
	is_num(p.groups[1].p50, 150, 1e-12, "prod p50 of 100, 200");
	ok(p.groups[0].hist[0].le == 5 && p.groups[0].hist[0].count == 5, "histogram le 5: 5");
	ok(p.groups[0].hist[1].count == 10, "histogram is cumulative");
	ok(isinf(p.groups[0].hist[LAT_HIST_BINS - 1].le) &&
	    p.groups[0].hist[LAT_HIST_BINS - 1].count == 10, "last bin is +Inf with the count");
	ok(p.nconf == 4, "confidence: overall + canary + prod + (none)");
	is_str(p.conf[0].key, "*", "first series is overall");
	ok(p.conf[0].pts[0].count == 10, "bucket 03:00 has 10 confidences");
	is_num(p.conf[0].pts[0].mean, 0.5, 1e-12, "bucket 03:00 mean");
	is_num(p.conf[0].pts[2].mean, 0.9, 1e-12, "bucket 03:02 mean");
	ok(isnan(p.conf[0].pts[1].mean) && p.conf[0].pts[1].count == 0, "empty bucket: NAN, 0");
	is_num(p.conf_mean, (10 * 0.5 + 0.9 + 0.1) / 12, 1e-12, "range mean");
	is_num(p.conf_prev, 0.7, 1e-12, "previous window mean");
	ok(p.cache[0].hits == 5 && p.cache[0].total == 10, "cache 03:00: 5/10");
	ok(p.cache[9].total == 0, "cache_hit -1 not counted");
	ok(p.errors[0].errors == 1 && p.errors[0].total == 10, "errors 03:00: 1 of 10");
	ok(p.errors[1].invalid == 1, "invalid line bucketed at 03:01");
	ok(p.errors[3].errors == 1, "error without latency counted at 03:03");
	is_num(p.drift[0].mean, 0.25, 1e-12, "drift mean");
	ok(p.nversions == 2, "two versions");
	is_str(p.versions[0].key, "3.3.0", "versions by count");
	ok(p.versions[0].count == 10 && p.versions[1].count == 2, "version counts");

	/* JSON shape */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *src[] = { "x.jsonl" };
	p.latency_field = strdup("inference_metrics.latency_ms");
	p.group_by = strdup("model_metadata.serving_variant");
	panels_print_json(&p, src, 1, f);
	fclose(f);
	if (getenv("SHOW_JSON"))
		fputs(buf, stdout);
	const char *head = "{\n  \"source\": [\"x.jsonl\"],\n  \"range\": {\"start\": "
	    "\"2026-02-27T03:00:30Z\", \"end\": \"2026-02-27T03:10:00Z\"},\n  "
	    "\"bucket_seconds\": 60,\n";
	ok(strncmp(buf, head, strlen(head)) == 0, "JSON head");
	ok(strstr(buf, "{\"key\": \"canary\", \"count\": 10, \"p50\": 5.5, \"p95\": 9.549999999999999, "
	    "\"p99\": 9.91,") != NULL, "JSON latency group");
	ok(strstr(buf, "{\"t\": \"2026-02-27T03:01:00Z\", \"mean\": null, \"count\": 0}") != NULL,
	    "JSON empty bucket");
	ok(strstr(buf, "{\"le\": null, \"count\": 10}") != NULL, "JSON +Inf bin");
	ok(strstr(buf, "{\"t\": \"2026-02-27T03:00:00Z\", \"rate\": 0.5, \"hits\": 5, "
	    "\"total\": 10}") != NULL, "JSON cache point");
	ok(strstr(buf, "{\"t\": \"2026-02-27T03:01:00Z\", \"errors\": 0, \"invalid\": 1, "
	    "\"total\": 0}") != NULL, "JSON errors point");
	free(buf);
	panels_free(&p);
	return tap_done();
}
