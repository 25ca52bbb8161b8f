/* Text log formats (backends/textfmt.c): every shipped definition loads
 * (its samples pass), exact fields and roles per format, bad lines,
 * continuation joins, RFC 3164 years (rollover), unreadable timestamps,
 * --tz, rendering, and definitions refused with their exact message. */
#include "config.h"
#include "tests/unit/tap.h"
#include "backends/textfmt.h"
#include "backends/jscan.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct tf_set set;
static struct tf_rec R;
static struct mapping M;
static const char *P[JSCAN_MAX_PATHS];
static int RA[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
static size_t NP;
static struct jscan_paths *PS;
static struct jv OUT[JSCAN_MAX_PATHS];
static int64_t T;
static int NAIVE;

static const struct tf_format *
fmt(const char *name)
{
	const struct tf_format *f = tf_set_find(&set, name);
	if (f == NULL) {
		printf("# no format %s\n", name);
		exit(1);
	}
	return f;
}

/* Parse line with format name; extract the roles (default mapping). */
static int
parse(const char *name, const char *line)
{
	const struct tf_format *f = fmt(name);
	int m = tf_parse(f, &R, line, strlen(line));
	if (m)
		tf_extract(f, &R, &M, PS, P, NP, (const int (*)[MAPPING_MAX_CANDIDATES])RA, OUT, &T,
		    &NAIVE, NULL);
	return m;
}

/* A field's value as text ("s:..." string unescaped, "n:..." number as
 * %g, "true", "false", "null", "a:[..]" array text, "-" missing). */
static const char *
field(const char *path)
{
	static char out[512];
	struct jv v[8];
	struct buf b = BUF_INIT;
	size_t n = tf_get(&R, path, v, 8);
	if (n == 0)
		return "-";
	if (n > 1) {
		snprintf(out, sizeof out, "%zu elems", n);
		return out;
	}
	switch (v[0].type) {
	case JV_STRING:
		jscan_unescape(&v[0], &b);
		snprintf(out, sizeof out, "s:%s", b.p ? b.p : "");
		break;
	case JV_NUMBER: snprintf(out, sizeof out, "n:%.17g", v[0].num); break;
	case JV_TRUE: return "true";
	case JV_FALSE: return "false";
	case JV_NULL: return "null";
	default: snprintf(out, sizeof out, "?:%.*s", (int)v[0].len, v[0].p);
	}
	buf_free(&b);
	return out;
}

/* Role r's value as field() shows it. */
static const char *
role(enum role r)
{
	static char out[256];
	for (size_t k = 0; k < M.npaths[r]; k++) {
		const struct jv *v = &OUT[RA[r][k]];
		struct buf b = BUF_INIT;
		switch (v->type) {
		case JV_MISSING: continue;
		case JV_STRING:
			jscan_unescape(v, &b);
			snprintf(out, sizeof out, "s:%s", b.p ? b.p : "");
			buf_free(&b);
			return out;
		case JV_NUMBER: snprintf(out, sizeof out, "n:%.17g", v->num); return out;
		case JV_TRUE: return "true";
		case JV_FALSE: return "false";
		default: snprintf(out, sizeof out, "?:%.*s", (int)v->len, v->p); return out;
		}
	}
	return "-";
}

static const char *
iso(int64_t t)
{
	static char b[48];
	if (t == TIME_NONE)
		return "none";
	return time_format_iso(t, 9, b, sizeof b);
}

static int64_t
at(const char *s)
{
	int64_t t;
	if (time_parse_iso(s, strlen(s), &t, NULL) != 0)
		return TIME_NONE;
	return t;
}

static void
test_shipped(void)
{
	static const char *const names[] = { "logfmt", "python-iso", "python-latency-csv",
		"python-logging", "syslog-3164", "syslog-5424", "torchserve-access",
		"torchserve-log", "torchserve-metrics" };
	const char *dirs[1] = { LOGDIVE_SRCDIR "/share/formats" };
	enum tf_origin o[1] = { TF_SHIPPED };
	size_t bad = tf_set_load(&set, dirs, o, 1, NULL, NULL);
	ok(bad == 0, "every shipped format loads (its samples pass)");
	ok(set.n == 9, "nine shipped formats (%zu)", set.n);
	for (size_t i = 0; i < 9; i++) {
		const struct tf_format *f = tf_set_find(&set, names[i]);
		ok(f != NULL && tf_origin(f) == TF_SHIPPED && tf_npatterns(f) >= 1,
		    "shipped format %s", names[i]);
	}
	char *n = tf_set_names(&set);
	is_str(n, "json, logfmt, python-iso, python-latency-csv, python-logging, syslog-3164, "
	    "syslog-5424, torchserve-access, torchserve-log, torchserve-metrics", "names in order");
	free(n);
}

static void
test_torchserve(void)
{
	R.ref = at("2026-02-27T12:00:00Z");
	ok(parse("torchserve-log", "2026-02-27T03:00:00,123 [INFO ] W-9000-rec_1.0-stdout MODEL_LOG - "
	    "{\"timestamp\":\"2026-02-27T03:00:00.120Z\",\"request_id\":\"req-1\",\"log_level\":"
	    "\"ERROR\",\"inference_metrics\":{\"latency_ms\":87.5},\"output\":{\"confidence_scores\":"
	    "[0.5,0.7]}}"), "ts log: JSON body matches");
	is_str(field("thread"), "s:W-9000-rec_1.0-stdout", "ts log: thread");
	is_str(field("logger"), "s:MODEL_LOG", "ts log: logger");
	is_str(field("level"), "s:INFO", "ts log: bracket level field");
	is_str(field("message"), "-", "ts log: a JSON message is no message field");
	is_str(field("inference_metrics.latency_ms"), "n:87.5", "ts log: body field");
	is_str(field("output.confidence_scores"), "2 elems", "ts log: body array");
	is_str(role(ROLE_LEVEL), "s:ERROR", "ts log: the body's level wins over the bracket");
	is_str(iso(T), "2026-02-27T03:00:00.120000000Z", "ts log: the body's time wins");
	ok(NAIVE == 0, "ts log: the body's time has a zone");
	is_str(role(ROLE_REQUEST_ID), "s:req-1", "ts log: request id");
	ok(parse("torchserve-log", "2026-02-27T03:00:01,005 [WARN ] W-9000-rec_1.0-stderr MODEL_LOG - "
	    "slow"), "ts log: text line");
	is_str(iso(T), "2026-02-27T03:00:01.005000000Z", "ts log: log4j comma milliseconds");
	ok(NAIVE == 1, "ts log: no zone is naive");
	is_str(role(ROLE_MESSAGE), "s:slow", "ts log: message role");
	ok(parse("torchserve-log", "2026-02-27T03:00:01,005 [INFO ] main root - {not json}"),
	    "ts log: a message that looks like an object");
	is_str(field("message"), "s:{not json}", "ts log: ... but is not JSON: the message field");
	is_str(role(ROLE_MESSAGE), "s:{not json}", "ts log: ... and the message role");
	ok(parse("torchserve-log", "2026-02-27T03:00:01,005 [INFO ] main root - caf\xc3 \xff"),
	    "ts log: a message with invalid UTF-8 still matches");
	is_str(field("message"), "s:caf\xc3 \xff", "ts log: ... the message as written");
	ok(parse("torchserve-log", "2026-02-27T03:00:01,005 [WARNING] main root - x"), "WARNING");
	is_str(role(ROLE_LEVEL), "s:WARN", "ts log: level map WARNING -> WARN");

	ok(parse("torchserve-metrics", "2026-02-27T03:00:00,123 - PredictionTime.ms:87.0|"
	    "#ModelName:recommendation,ModelVersion:3.3.0,Level:Model|#hostname:ts-1,"
	    "requestID:req-7,timestamp:1772161200"), "metrics: PredictionTime");
	is_str(field("PredictionTime"), "n:87", "metrics: value under the metric's name");
	is_str(field("unit"), "s:ms", "metrics: unit");
	is_str(field("ModelName"), "s:recommendation", "metrics: dimension");
	is_str(field("hostname"), "s:ts-1", "metrics: hostname");
	is_str(field("metric_timestamp"), "n:1772161200", "metrics: epoch renamed");
	is_str(role(ROLE_LATENCY), "n:87", "metrics: PredictionTime is the latency");
	is_str(role(ROLE_REQUEST_ID), "s:req-7", "metrics: requestID is the request id");
	is_str(role(ROLE_VERSION), "s:3.3.0", "metrics: ModelVersion is the version");
	is_str(iso(T), "2026-02-27T03:00:00.123000000Z", "metrics: the log4j time");
	ok(parse("torchserve-metrics", "2026-02-27T03:00:00,200 - QueueTime.Milliseconds:3.5|"
	    "#ModelName:recommendation,Level:Model|#hostname:ts-1,requestID:req-7,"
	    "timestamp:1772161200"), "metrics: QueueTime");
	is_str(role(ROLE_LATENCY), "-", "metrics: QueueTime is no latency");
	is_str(field("QueueTime"), "n:3.5", "metrics: QueueTime value");
	ok(parse("torchserve-metrics", "2026-02-27T03:01:00,000 - Requests2XX.Count:1|#Level:Host|"
	    "#hostname:ts-1,timestamp:1772161260"), "metrics: ts_metrics host line");
	is_str(role(ROLE_LATENCY), "-", "metrics: Requests2XX is no latency");
	is_str(role(ROLE_REQUEST_ID), "-", "metrics: host line has no request id");
	ok(parse("torchserve-metrics", "[METRICS]PredictionTime.Milliseconds:61.25|"
	    "#ModelName:rec,Level:Model|#hostname:h1,1772161200.5,req-9"), "metrics: [METRICS] form");
	is_str(field("requestID"), "s:req-9", "metrics: positional request id");
	is_str(iso(T), "2026-02-27T03:00:00.500000000Z", "metrics: positional epoch is the time");
	is_str(role(ROLE_LATENCY), "n:61.25", "metrics: [METRICS] latency");

	ok(parse("torchserve-access", "2026-02-27T03:00:00,123 - /10.0.0.7:53712 \"POST "
	    "/predictions/recommendation HTTP/1.1\" 503 89"), "access: matches");
	is_str(field("client"), "s:10.0.0.7:53712", "access: client");
	is_str(field("method"), "s:POST", "access: method");
	is_str(field("path"), "s:/predictions/recommendation", "access: path");
	is_str(field("http.status"), "n:503", "access: status");
	is_str(role(ROLE_LATENCY), "n:89", "access: milliseconds are the latency");
	is_str(role(ROLE_LEVEL), "s:ERROR", "access: 5xx is an error");
	is_str(role(ROLE_REQUEST_ID), "-", "access: no request id");
}

static void
test_python(void)
{
	ok(parse("python-logging", "2026-02-27 03:00:00,123 - rec.handler - INFO - done "
	    "request_id=req-1 inference_metrics.latency_ms=87.5 input_features.cache_hit=True "
	    "ok=False n=None output.confidence_scores=[0.9, 0.7] note=\"a \\\"b\\\" c\""),
	    "python: key=value message");
	is_str(field("logger"), "s:rec.handler", "python: logger");
	is_str(field("request_id"), "s:req-1", "python: string value");
	is_str(field("inference_metrics.latency_ms"), "n:87.5", "python: dotted key, number");
	is_str(field("input_features.cache_hit"), "true", "python: True");
	is_str(field("ok"), "false", "python: False");
	is_str(field("n"), "null", "python: None");
	is_str(field("output.confidence_scores"), "2 elems", "python: list value");
	is_str(field("note"), "s:a \"b\" c", "python: quoted value with escapes");
	is_str(role(ROLE_CACHE_HIT), "true", "python: cache_hit role");
	is_str(role(ROLE_LATENCY), "n:87.5", "python: latency role");
	is_str(iso(T), "2026-02-27T03:00:00.123000000Z", "python: asctime");
	ok(parse("python-logging", "2026-02-27 03:00:00,123 - x - CRITICAL - m"), "CRITICAL");
	is_str(role(ROLE_LEVEL), "s:ERROR", "python: CRITICAL is an error");

	ok(parse("python-iso", "2026-02-27T03:00:00.123456 - hello world"), "python-iso");
	is_str(iso(T), "2026-02-27T03:00:00.123456000Z", "python-iso: microseconds");
	is_str(role(ROLE_MESSAGE), "s:hello world", "python-iso: message");

	ok(parse("python-latency-csv", "1772161200.123, 87.3"), "csv");
	is_str(iso(T), "2026-02-27T03:00:00.123000000Z", "csv: epoch seconds exact");
	is_str(role(ROLE_LATENCY), "n:87.299999999999997", "csv: latency");
	ok(parse("python-latency-csv", "1772161200.000000001,1"), "csv: ns");
	is_str(iso(T), "2026-02-27T03:00:00.000000001Z", "csv: nanoseconds kept");
	/* found by tests/fuzz (fz_textfmt): ten digits of seconds past 2262
	 * overflowed int64 ns (undefined; UBSan stops there) */
	ok(parse("python-latency-csv", "9772161200.1, 2387.5") && T == TIME_NONE,
	    "csv: seconds past 2262: no time");
	ok(parse("python-latency-csv", "9223372036.854775807,1"), "csv: the last ns");
	is_str(iso(T), "2262-04-11T23:47:16.854775807Z", "csv: the last ns read");
	ok(parse("python-latency-csv", "9223372036.854775808,1") && T == TIME_NONE,
	    "csv: one ns more: no time");
}

static void
test_syslog(void)
{
	ok(parse("syslog-5424", "<165>1 2026-02-27T03:00:00.123+01:00 h1 rec 42 inference_complete "
	    "[infer@32473 request_id=\"req-5\" inference_metrics.latency_ms=\"87.3\" "
	    "input_features.cache_hit=\"true\" q=\"a\\\"b\\]c\"][origin ip=\"10.0.0.1\"] done"),
	    "5424: matches");
	is_str(field("request_id"), "s:req-5", "5424: SD param by its name");
	is_str(field("inference_metrics.latency_ms"), "n:87.299999999999997", "5424: typed number");
	is_str(field("input_features.cache_hit"), "true", "5424: typed boolean");
	is_str(field("q"), "s:a\"b]c", "5424: escaped param value");
	is_str(field("ip"), "s:10.0.0.1", "5424: second SD element");
	is_str(field("message"), "s:done", "5424: message");
	is_str(role(ROLE_SERVICE), "s:rec", "5424: APP-NAME is the service");
	is_str(role(ROLE_EVENT), "s:inference_complete", "5424: MSGID is the event");
	is_str(role(ROLE_LEVEL), "s:INFO", "5424: severity 5 (PRI 165 mod 8) is INFO");
	is_str(iso(T), "2026-02-27T02:00:00.123000000Z", "5424: offset applied");
	ok(NAIVE == 0, "5424: zoned");
	ok(parse("syslog-5424", "<11>1 - - - - - -"), "5424: all NILVALUEs");
	ok(T == TIME_NONE, "5424: '-' time is no time");
	is_str(field("hostname"), "-", "5424: '-' hostname is no field");
	is_str(role(ROLE_LEVEL), "s:ERROR", "5424: severity 3 is an error");

	/* RFC 3164: the year from the reference time (mtime), rollover */
	R.ref = at("2027-01-01T00:10:00Z");
	ok(parse("syslog-3164", "<14>Dec 31 23:59:59 h1 cron[7]: a=1"), "3164: Dec");
	is_str(iso(T), "2026-12-31T23:59:59.000000000Z", "3164: December before a January mtime");
	ok(NAIVE == 1, "3164: naive without --tz");
	ok(parse("syslog-3164", "Jan  1 00:00:01 h1 cron: b"), "3164: Jan");
	is_str(iso(T), "2027-01-01T00:00:01.000000000Z", "3164: January of the mtime's year");
	is_str(role(ROLE_SERVICE), "s:cron", "3164: tag is the service");
	R.ref = at("2026-06-15T00:00:00Z");
	ok(parse("syslog-3164", "Feb 27 03:00:00 h1 app: c"), "3164: mid-year");
	is_str(iso(T), "2026-02-27T03:00:00.000000000Z", "3164: same year");
	ok(parse("syslog-3164", "Jun 16 00:00:00 h1 app: d"), "3164: a day after the mtime");
	is_str(iso(T), "2026-06-16T00:00:00.000000000Z", "3164: within a day: same year");
	ok(parse("syslog-3164", "Jun 17 00:00:01 h1 app: e"), "3164: later than the mtime");
	is_str(iso(T), "2025-06-17T00:00:01.000000000Z", "3164: after the mtime: the year before");
	R.ref = at("2027-03-01T00:00:00Z");
	ok(parse("syslog-3164", "Feb 29 12:00:00 h1 app: f"), "3164: Feb 29");
	is_str(iso(T), "2024-02-29T12:00:00.000000000Z", "3164: Feb 29 in the last leap year");
}

static void
test_logfmt(void)
{
	ok(parse("logfmt", "ts=2026-02-27T03:00:00.1Z level=warning msg=\"a b\" "
	    "inference_metrics.latency_ms=87 model_metadata.serving_variant=canary x"),
	    "logfmt: matches");
	is_str(iso(T), "2026-02-27T03:00:00.100000000Z", "logfmt: short fraction");
	is_str(role(ROLE_LEVEL), "s:WARN", "logfmt: warning -> WARN");
	is_str(role(ROLE_MESSAGE), "s:a b", "logfmt: msg is the message");
	is_str(role(ROLE_GROUP), "s:canary", "logfmt: group");
	is_str(role(ROLE_LATENCY), "n:87", "logfmt: latency");
	ok(!parse("logfmt", "level=info msg=no-time"), "logfmt: no ts key: no match");
}

static void
test_bad(void)
{
	R.ref = at("2026-02-27T12:00:00Z");
	ok(!parse("torchserve-log", "hello world"), "garbage matches no pattern");
	ok(!parse("python-logging", ""), "empty line matches nothing");
	ok(!parse("torchserve-metrics", "2026-02-27T03:00:00,123 - PredictionTime.ms:fast|#x|#y"),
	    "a value that is no number does not match");
	ok(parse("python-logging", "2026-02-30 03:00:00,123 - x - INFO - m"),
	    "an impossible date still matches the pattern");
	ok(T == TIME_NONE, "... and its time is unreadable (no_time)");
	ok(parse("torchserve-log", "2026-02-27T27:00:00,123 [INFO ] main x - m"), "hour 27 matches");
	ok(T == TIME_NONE, "... hour 27 is no time");
	ok(parse("torchserve-access", "2026-02-27T03:00:00,123 - /1.2.3.4:5 \"GET /ping HTTP/1.1\" "
	    "200 0") && strcmp(role(ROLE_LATENCY), "n:0") == 0, "access: 0 ms is a latency");
	/* a float group whose text is no number is a string: bad_type for a role */
	const char *def = "{\"logdive_format\":1,\"name\":\"t1\",\"patterns\":[{\"regex\":"
	    "\"^(?<t>\\\\S+) (?<lat>\\\\S+)$\"}],\"groups\":{\"t\":{\"type\":\"timestamp\","
	    "\"layout\":\"iso8601\",\"role\":\"time\"},\"lat\":{\"type\":\"float\",\"role\":"
	    "\"latency\"}},\"samples\":[{\"line\":\"2026-02-27T03:00:00Z 87ms\",\"fields\":"
	    "{\"lat\":\"87ms\"}}]}";
	struct tf_format *f;
	struct ld_err err;
	err_clear(&err);
	ok(tf_load_text(def, strlen(def), "t1.json", TF_USER, &f, &err) == LD_OK,
	    "a float group that is no number stays a string (%s)", err.msg);
	if (f)
		tf_free(f);
}

static void
test_continuation(void)
{
	const struct tf_format *f = fmt("python-logging");
	static const char *const joins[] = { "Traceback (most recent call last):",
		"  File \"/h.py\", line 8, in handle", "    raise RuntimeError(\"x\")",
		"torch.cuda.OutOfMemoryError: CUDA out of memory.", "RuntimeError",
		"\tat com.example.Foo(Foo.java:1)" };
	for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++)
		ok(!tf_parse(f, &R, joins[i], strlen(joins[i])) &&
		    tf_is_continuation(f, &R, joins[i], strlen(joins[i])),
		    "python continuation: %s", joins[i]);
	ok(!tf_is_continuation(f, &R, "some other text", 15), "other text does not join");
	const struct tf_format *t = fmt("torchserve-log");
	struct buf k1 = BUF_INIT, k2 = BUF_INIT;
	const char *a = "2026-02-27T03:00:00,123 [INFO ] W-1-stdout MODEL_LOG - {\"a\":1}";
	const char *b = "2026-02-27T03:00:00,123 [INFO ] W-1-stdout MODEL_LOG - Traceback (most "
	    "recent call last):";
	const char *c = "2026-02-27T03:00:00,124 [INFO ] W-1-stdout MODEL_LOG - x";
	const char *d = "2026-02-27T03:00:00,123 [INFO ] W-2-stdout MODEL_LOG - x";
	tf_parse(t, &R, a, strlen(a));
	ok(tf_join_key(t, &R, &k1) == 0 && k1.len > 0, "a JSON line never joins but has a key");
	tf_parse(t, &R, b, strlen(b));
	ok(tf_join_key(t, &R, &k2) == 1 && k1.len == k2.len && memcmp(k1.p, k2.p, k1.len) == 0,
	    "same millisecond, same thread: the same key");
	tf_parse(t, &R, c, strlen(c));
	tf_join_key(t, &R, &k2);
	ok(k1.len != k2.len || memcmp(k1.p, k2.p, k1.len) != 0, "another millisecond: another key");
	tf_parse(t, &R, d, strlen(d));
	tf_join_key(t, &R, &k2);
	ok(k1.len != k2.len || memcmp(k1.p, k2.p, k1.len) != 0, "another thread: another key");
	ok(tf_join_after_error(t), "torchserve-log joins after an error only");
	buf_free(&k1);
	buf_free(&k2);
}

static void
test_render(void)
{
	struct buf b = BUF_INIT;
	const char *line = "2026-02-27 03:00:00,123 - app - INFO - x=1 y=\"q\\\"\" z=[1, 2] b=True\n"
	    "  continued";
	R.ref = at("2026-02-27T12:00:00Z");
	tf_parse(fmt("python-logging"), &R, line, strlen(line));
	tf_render(&R, line, strlen(line), &b);
	is_str(b.p, "{\"_format\":\"python-logging\",\"_pattern\":\"default\",\"time\":"
	    "\"2026-02-27 03:00:00,123\",\"logger\":\"app\",\"level\":\"INFO\",\"x\":1,\"y\":"
	    "\"q\\\"\",\"z\":[1,2],\"b\":true,\"message\":\"x=1 y=\\\"q\\\\\\\"\\\" z=[1, 2] b=True\","
	    "\"_raw\":\"2026-02-27 03:00:00,123 - app - INFO - x=1 y=\\\"q\\\\\\\"\\\" z=[1, 2] "
	    "b=True\\n  continued\"}", "render: fields typed, the whole text in _raw");
	ok(jscan_line(NULL, b.p, b.len, NULL, NULL) == JSCAN_OK, "render: valid JSON");
	buf_reset(&b);
	const char *j = "2026-02-27T03:00:00,123 [INFO ] W-1 MODEL_LOG - {\"level\":\"ERROR\"}";
	tf_parse(fmt("torchserve-log"), &R, j, strlen(j));
	tf_render(&R, j, strlen(j), &b);
	struct jv v[1];
	ok(jscan_get(b.p, b.len, "level", v, 1) == 1 && v[0].len == 5 &&
	    memcmp(v[0].p, "ERROR", 5) == 0, "render: the body's key wins (it comes later)");
	buf_reset(&b);
	tf_parse(fmt("torchserve-log"), &R, "junk", 4);
	tf_render(&R, "junk", 4, &b);
	is_str(b.p, "{\"_format\":\"torchserve-log\",\"_unparsed\":true,\"_raw\":\"junk\"}",
	    "render: an unparsed line");
	buf_free(&b);
}

static void
test_tz(void)
{
	struct ld_err err;
	err_clear(&err);
	ok(tf_set_tz("+02:00", &err) == LD_OK, "--tz +02:00");
	parse("python-logging", "2026-02-27 03:00:00,000 - a - INFO - m");
	is_str(iso(T), "2026-02-27T01:00:00.000000000Z", "--tz +02:00 moves a naive time");
	ok(NAIVE == 0, "--tz: not naive");
	struct tf_format *pf = NULL;
	ok(tf_load_file(LOGDIVE_SRCDIR "/share/formats/python-iso.json", TF_SHIPPED, &pf, &err) ==
	    LD_OK, "samples are checked in UTC whatever --tz says (%s)", err.msg);
	tf_free(pf);
	ok(tf_set_tz("-0530", &err) == LD_OK, "--tz -0530");
	parse("python-logging", "2026-02-27 03:00:00,000 - a - INFO - m");
	is_str(iso(T), "2026-02-27T08:30:00.000000000Z", "--tz -0530");
	parse("torchserve-log", "2026-02-27T03:00:00,000 [INFO ] a b - {\"timestamp\":"
	    "\"2026-02-27T03:00:00\"}");
	is_str(iso(T), "2026-02-27T03:00:00.000000000Z", "--tz: a JSON body's naive time stays UTC");
	ok(tf_set_tz("Mars/Olympus", &err) == LD_EUSAGE, "unknown zone refused");
	is_str(err.msg, "--tz Mars/Olympus: no such time zone (use UTC, an offset such as +02:00, "
	    "or a name such as Europe/Paris)", "unknown zone message");
	struct stat st;
	if (stat("/usr/share/zoneinfo/Europe/Paris", &st) == 0) {
		ok(tf_set_tz("Europe/Paris", &err) == LD_OK, "--tz Europe/Paris");
		parse("python-logging", "2026-07-01 12:00:00,000 - a - INFO - m");
		is_str(iso(T), "2026-07-01T10:00:00.000000000Z", "Europe/Paris in summer (+2)");
		parse("python-logging", "2026-01-01 12:00:00,000 - a - INFO - m");
		is_str(iso(T), "2026-01-01T11:00:00.000000000Z", "Europe/Paris in winter (+1)");
	} else {
		ok(1, "# skip: no tz database");
		ok(1, "# skip");
		ok(1, "# skip");
	}
	const struct tf_format *f = fmt("logfmt");
	uint64_t h1 = tf_hash(f);
	tf_set_tz(NULL, &err);
	ok(tf_hash(f) != h1, "the format hash includes --tz");
	ok(tf_tz() == NULL, "--tz reset");
}

/* A definition refused with its exact message. */
static void
refused(const char *def, const char *want, const char *name)
{
	struct tf_format *f = NULL;
	struct ld_err err;
	err_clear(&err);
	int rc = tf_load_text(def, strlen(def), "/u/x.json", TF_USER, &f, &err);
	ok(rc == LD_EUSAGE && f == NULL, "refused: %s", name);
	is_str(err.msg, want, "message: %s", name);
	tf_free(f);
}

static void
test_refused(void)
{
	refused("{\"logdive_format\": 1, \"name\": \"x\",\n"
	    " \"patterns\": [{\"name\": \"p\", \"regex\": \"^(?<time>\\\\S+) (?<level>[A-Z]+)$\"}],\n"
	    " \"groups\": {\"time\": {\"type\": \"timestamp\", \"layout\": \"iso8601\"}},\n"
	    " \"samples\": [{\"line\": \"2026-02-27T03:00:00Z INFO\", \"fields\": {\"level\": "
	    "\"WARN\"}}]}",
	    "/u/x.json:4:14: samples[0]: line \"2026-02-27T03:00:00Z INFO\": pattern p "
	    "(^(?<time>\\S+) (?<level>[A-Z]+)$): field level: expected \"WARN\", got \"INFO\"",
	    "a sample field that differs");
	refused("{\"logdive_format\": 1, \"name\": \"x\",\n"
	    " \"patterns\": [{\"name\": \"p\", \"regex\": \"^(?<a>\\\\d+)$\"}],\n"
	    " \"samples\": [{\"line\": \"abc\"}]}",
	    "/u/x.json:3:14: samples[0]: line \"abc\" matches no pattern: p (^(?<a>\\d+)$)",
	    "a sample that matches nothing");
	refused("{\"logdive_format\": 1, \"name\": \"x\",\n"
	    " \"patterns\": [{\"name\": \"p\", \"regex\": \"^(?<a>\\\\d+)$\"}],\n"
	    " \"samples\": [{\"line\": \"12\", \"roles\": {\"latency\": 12}}]}",
	    "/u/x.json:3:14: samples[0]: line \"12\": pattern p (^(?<a>\\d+)$): role latency: "
	    "expected 12, got nothing", "a sample role that is missing");
	refused("{\"logdive_format\": 1, \"name\": \"x\",\n"
	    " \"patterns\": [{\"name\": \"p\", \"regex\": \"^(?<a>\\\\d+\"}],\n"
	    " \"samples\": [{\"line\": \"12\"}]}",
	    "/u/x.json:2:38: patterns[0].regex: the regex does not compile at offset 9: missing "
	    "closing parenthesis", "a regex that does not compile");
	refused("{\"logdive_format\": 1, \"name\": \"x\", \"colour\": 1,\n"
	    " \"patterns\": [{\"regex\": \"^(?<a>x)$\"}], \"samples\": [{\"line\": \"x\"}]}",
	    "/u/x.json:1:46: colour: unknown key (logdive_format, name, description, patterns, "
	    "groups, roles, levels, continuation, samples)", "an unknown key");
	refused("{\"logdive_format\": 1, \"name\": \"x\",\n"
	    " \"patterns\": [{\"regex\": \"^(?<a>x)$\"}]}",
	    "/u/x.json:1:1: samples: missing: give at least one sample line with the fields it "
	    "must produce", "no samples");
	refused("{\"logdive_format\": 2, \"name\": \"x\"}",
	    "/u/x.json:1:20: logdive_format: version 2 is not supported (this logdive reads 1)",
	    "a newer version");
	refused("{\"logdive_format\": 1, \"name\": \"x\",\n"
	    " \"patterns\": [{\"regex\": \"^(?<a>x)$\"}],\n"
	    " \"groups\": {\"a\": {\"role\": \"speed\"}}, \"samples\": [{\"line\": \"x\"}]}",
	    "/u/x.json:3:27: groups.a.role: unknown role 'speed' (time, trace_id, request_id, "
	    "service, level, event, latency, group, version, confidence, cache_hit, drift, "
	    "message)", "an unknown role");
	refused("{\"logdive_format\": 1, \"name\": \"y\", \"patterns\": [{\"regex\": \"(?<a>x)\"}], "
	    "\"samples\": [{\"line\": \"x\"}]}",
	    "/u/x.json:1:31: name: 'y' differs from the file name", "a name that is not the file's");
	refused("{\"logdive_format\": 1, \"name\": \"x\", \"patterns\": [{\"regex\": \"(x)\"}], "
	    "\"samples\": [{\"line\": \"x\"}]}",
	    "/u/x.json:1:59: patterns[0].regex: the regex has no named group (?<name>...)",
	    "a regex without named groups");
	refused("{\"logdive_format\": 1, \"name\": \"x\", \"patterns\": [{\"regex\": \"(?<a>x)\"}], "
	    "\"samples\": [{\"line\": \"x\", \"match\": false}]}",
	    "/u/x.json:1:84: samples[0]: line \"x\": should match no pattern, but pattern 0 "
	    "((?<a>x)) matches", "a sample that should not match");
	refused("{\"logdive_format\": 1, \"name\": \"x\", \"patterns\": [{\"regex\": \"(?<a>x)\"}], "
	    "\"groups\": {\"a\": {\"type\": \"timestamp\"}}, \"samples\": [{\"line\": \"x\"}]}",
	    "/u/x.json:1:88: groups.a: a timestamp needs a layout (iso8601, epoch, rfc5424, "
	    "rfc3164)", "a timestamp without a layout");
	refused("{\"logdive_format\": 1, \"name\": \"x\" ", "/u/x.json:1:34: '}' expected near end "
	    "of file", "JSON syntax");
}

static void
test_dirs(void)
{
	char dir[] = "/tmp/t_textfmt_XXXXXX";
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	char path[300];
	snprintf(path, sizeof path, "%s/logfmt.json", dir);
	FILE *fp = fopen(path, "w");
	fputs("{\"logdive_format\": 1, \"name\": \"logfmt\", \"description\": \"mine\",\n"
	    " \"patterns\": [{\"regex\": \"^(?<a>x)$\"}], \"samples\": [{\"line\": \"x\"}]}", fp);
	fclose(fp);
	snprintf(path, sizeof path, "%s/broken.json", dir);
	fp = fopen(path, "w");
	fputs("{\"logdive_format\": 1, \"name\": \"broken\", \"patterns\": [{\"regex\": \"^(?<a>x)$\"}],"
	    " \"samples\": [{\"line\": \"y\"}]}", fp);
	fclose(fp);
	struct tf_set s2 = { NULL, 0 };
	const char *dirs[2] = { dir, LOGDIVE_SRCDIR "/share/formats" };
	enum tf_origin o[2] = { TF_USER, TF_SHIPPED };
	size_t bad = tf_set_load(&s2, dirs, o, 2, NULL, NULL);
	ok(bad == 1, "a broken user format is skipped");
	const struct tf_format *f = tf_set_find(&s2, "logfmt");
	ok(f && tf_origin(f) == TF_USER && strcmp(tf_description(f), "mine") == 0,
	    "a user format shadows the shipped one of its name");
	ok(s2.n == 9, "9 formats (the user's logfmt and 8 shipped)");
	ok(tf_set_find(&s2, "broken") == NULL, "the broken one is not in the set");
	tf_set_free(&s2);
	snprintf(path, sizeof path, "%s/logfmt.json", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/broken.json", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	mapping_default(&M);
	for (int r = 0; r < ROLE_COUNT; r++)
		for (size_t i = 0; i < M.npaths[r]; i++) {
			size_t k;
			for (k = 0; k < NP && strcmp(P[k], M.paths[r][i]); k++)
				;
			if (k == NP)
				P[NP++] = M.paths[r][i];
			RA[r][i] = (int)k;
		}
	PS = jscan_paths_new(P, NP);
	tf_rec_init(&R);
	test_shipped();
	test_torchserve();
	test_python();
	test_syslog();
	test_logfmt();
	test_bad();
	test_continuation();
	test_render();
	test_tz();
	test_refused();
	test_dirs();
	tf_rec_free(&R);
	jscan_paths_free(PS);
	mapping_free(&M);
	tf_set_free(&set);
	return tap_done();
}
