/*
 * backends/jscan.c: edge cases, then jansson as the oracle on generated
 * inference-log lines and corrupted variants of them.
 *
 * jansson is called with JSON_DECODE_ANY (so a valid non-object is told
 * apart from invalid JSON), JSON_ALLOW_NUL (RFC 8259 allows "\u0000") and
 * JSON_DECODE_INT_AS_REAL (else jansson rejects integers beyond int64 as
 * "too big integer"). With those flags the documented divergences are:
 *  - a \u escape of an unpaired surrogate ("\ud800", "\udc00\ud800"): the
 *    RFC grammar allows it, jscan accepts it (jscan_unescape gives U+FFFD),
 *    jansson says "invalid Unicode";
 *  - a number beyond double range (1e400, -1e400): valid JSON, jscan gives
 *    overflow = 1 and ±HUGE_VAL, jansson says "real number overflow";
 *  - "\u0000" inside an object key: jscan accepts, jansson says "NUL byte
 *    in object key not supported".
 * A number that underflows (1e-400) is no divergence: both give 0, and
 * jscan does not call it overflow (it is a valid number). Lines where jansson fails with one of those
 * messages and jscan accepts are counted apart; any other disagreement is
 * a failure. Path values are looked up in jansson's tree by the same rule
 * as jscan's (oresolve(): the keys joined with '.' equal the path, the
 * later spelling wins; jansson iterates keys in insertion order). Lines
 * with both a duplicate key and a second spelling of one path are not
 * generated: there jansson keeps the first position of a duplicate key
 * and jscan the last, so "later" differs. On invalid lines
 * the kind must agree too: JSCAN_BAD_UTF8 exactly when jansson reports
 * json_error_invalid_utf8 (the first error from the left decides).
 */
#include "config.h"
#include "backends/jscan.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "tests/unit/tap.h"

#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JFLAGS	(JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL)

/* A copy of s[0..n) in a buffer of exactly n bytes, so ASan sees any read
 * past the line. */
static char *
exact(const char *s, size_t n)
{
	char *p = xmalloc(n ? n : 1);

	memcpy(p, s, n);
	return p;
}

static int
scanv(const char *s, size_t n)
{
	char *p = exact(s, n);
	int v = jscan_line(NULL, p, n, NULL, NULL);

	free(p);
	return v;
}

#define SCAN(s)	scanv((s), sizeof(s) - 1)

/* Value of one path; the line must outlive the result's pointers, so the
 * line is kept in a static exact-size buffer until the next call. */
static char *held;

static struct jv
get1(const char *line, size_t n, const char *path, int *verdict)
{
	const char *paths[1];
	struct jscan_paths *ps;
	struct jv v;
	int r;

	paths[0] = path;
	free(held);
	held = exact(line, n);
	ps = jscan_paths_new(paths, 1);
	memset(&v, 0, sizeof v);
	r = jscan_line(ps, held, n, &v, NULL);
	if (verdict != NULL)
		*verdict = r;
	jscan_paths_free(ps);
	return v;
}

#define GET(s, path)	get1((s), sizeof(s) - 1, (path), NULL)

/* Unescaped string value (static buffer), or "(not a string)". */
static const char *
str(struct jv v)
{
	static struct buf b;

	buf_reset(&b);
	if (jscan_unescape(&v, &b) == -1)
		return "(not a string)";
	return b.p ? b.p : "";
}

static const char *
raw(struct jv v)
{
	static char b[256];

	snprintf(b, sizeof b, "%.*s", (int)v.len, v.p ? v.p : "");
	return b;
}

static void
test_verdicts(void)
{
	static const struct {
		const char *s;
		int v;
	} cases[] = {
		{ "", JSCAN_NOT_JSON },
		{ "   ", JSCAN_NOT_JSON },
		{ "{}", JSCAN_OK },
		{ " \t{ }\r\n", JSCAN_OK },
		{ "\f{}", JSCAN_NOT_JSON },
		{ "{\"a\" : [ 1 , [ 2 , [ ] ] , { } ] , \"b\" : { \"c\" : null } }", JSCAN_OK },
		{ "{\"a\":[[[[[]]]],[[1],[2,[3]]]]}", JSCAN_OK },
		{ "{\"a\":1,}", JSCAN_NOT_JSON },
		{ "{\"a\":[1,]}", JSCAN_NOT_JSON },
		{ "{,}", JSCAN_NOT_JSON },
		{ "{\"a\"}", JSCAN_NOT_JSON },
		{ "{\"a\":}", JSCAN_NOT_JSON },
		{ "{a:1}", JSCAN_NOT_JSON },
		{ "{'a':1}", JSCAN_NOT_JSON },
		{ "{\"a\":1 \"b\":2}", JSCAN_NOT_JSON },
		{ "{\"a\":1}x", JSCAN_NOT_JSON },
		{ "{\"a\":1}}", JSCAN_NOT_JSON },
		{ "{\"a\":1},", JSCAN_NOT_JSON },
		{ "{}{}", JSCAN_NOT_JSON },
		{ "{} {}", JSCAN_NOT_JSON },
		{ "{\"a\":[1}", JSCAN_NOT_JSON },
		{ "{\"a\":{1]}", JSCAN_NOT_JSON },
		{ "[]", JSCAN_NOT_OBJECT },
		{ " [1,{\"a\":2}] ", JSCAN_NOT_OBJECT },
		{ "\"str\"", JSCAN_NOT_OBJECT },
		{ "1", JSCAN_NOT_OBJECT },
		{ "-0", JSCAN_NOT_OBJECT },
		{ "true", JSCAN_NOT_OBJECT },
		{ "false", JSCAN_NOT_OBJECT },
		{ "null", JSCAN_NOT_OBJECT },
		{ "[1,]", JSCAN_NOT_JSON },
		{ "nul", JSCAN_NOT_JSON },
		{ "{\"a\":tru}", JSCAN_NOT_JSON },
		{ "{\"a\":truex}", JSCAN_NOT_JSON },
		{ "{\"a\":nulll}", JSCAN_NOT_JSON },
		{ "{\"a\":True}", JSCAN_NOT_JSON },
		/* numbers */
		{ "{\"a\":0}", JSCAN_OK },
		{ "{\"a\":-0}", JSCAN_OK },
		{ "{\"a\":-0.0e-0}", JSCAN_OK },
		{ "{\"a\":0.5}", JSCAN_OK },
		{ "{\"a\":0e1}", JSCAN_OK },
		{ "{\"a\":1E+2}", JSCAN_OK },
		{ "{\"a\":01}", JSCAN_NOT_JSON },
		{ "{\"a\":-01}", JSCAN_NOT_JSON },
		{ "{\"a\":00}", JSCAN_NOT_JSON },
		{ "{\"a\":-}", JSCAN_NOT_JSON },
		{ "{\"a\":-", JSCAN_NOT_JSON },
		{ "{\"a\":1.}", JSCAN_NOT_JSON },
		{ "{\"a\":1.e5}", JSCAN_NOT_JSON },
		{ "{\"a\":.5}", JSCAN_NOT_JSON },
		{ "{\"a\":1e}", JSCAN_NOT_JSON },
		{ "{\"a\":1e+}", JSCAN_NOT_JSON },
		{ "{\"a\":1e-}", JSCAN_NOT_JSON },
		{ "{\"a\":+1}", JSCAN_NOT_JSON },
		{ "{\"a\":0x10}", JSCAN_NOT_JSON },
		{ "{\"a\":NaN}", JSCAN_NOT_JSON },
		{ "{\"a\":Infinity}", JSCAN_NOT_JSON },
		{ "{\"a\":-Infinity}", JSCAN_NOT_JSON },
		{ "{\"a\":1.5.3}", JSCAN_NOT_JSON },
		{ "{\"a\":- 1}", JSCAN_NOT_JSON },
		/* strings and escapes */
		{ "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uABCD\"}", JSCAN_OK },
		{ "{\"a\":\"\\x\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\\'\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\\u12\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\\u12G4\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\\U00e9\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\\", JSCAN_NOT_JSON },
		{ "{\"a\":\"abc", JSCAN_NOT_JSON },
		{ "{\"a\":\"\t\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\x01\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\x1f\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\x7f\"}", JSCAN_OK },
		{ "{\"a\n\":1}", JSCAN_NOT_JSON },
		{ "{\"a\":\"\\ud800\"}", JSCAN_OK },		/* jansson: no */
		{ "{\"a\":\"\\u0000\"}", JSCAN_OK },
		/* UTF-8 */
		{ "{\"a\":\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80\"}", JSCAN_OK },
		{ "{\"\xc3\xa9\":1}", JSCAN_OK },
		{ "{\"\xff\":1}", JSCAN_BAD_UTF8 },
		{ "{\"k\xc3\":1}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xc3\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xc3\x28\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\x80\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xbf\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xc2\x80\"}", JSCAN_OK },
		{ "{\"a\":\"\xc0\x80\"}", JSCAN_BAD_UTF8 },	/* overlong NUL */
		{ "{\"a\":\"\xc1\xbf\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xe0\x80\x80\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xe0\x9f\xbf\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xe0\xa0\x80\"}", JSCAN_OK },
		{ "{\"a\":\"\xed\x9f\xbf\"}", JSCAN_OK },
		{ "{\"a\":\"\xed\xa0\x80\"}", JSCAN_BAD_UTF8 },	/* surrogate */
		{ "{\"a\":\"\xed\xbf\xbf\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xee\x80\x80\"}", JSCAN_OK },
		{ "{\"a\":\"\xef\xbf\xbf\"}", JSCAN_OK },
		{ "{\"a\":\"\xe2\x82\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xf0\x80\x80\x80\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xf0\x8f\xbf\xbf\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xf0\x90\x80\x80\"}", JSCAN_OK },
		{ "{\"a\":\"\xf4\x8f\xbf\xbf\"}", JSCAN_OK },
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", JSCAN_BAD_UTF8 },	/* > U+10FFFF */
		{ "{\"a\":\"\xf5\x80\x80\x80\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xf8\x88\x80\x80\x80\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xfe\xff\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"\xf0\x9f\x98\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":1}\xff", JSCAN_BAD_UTF8 },
		{ "{\"a\":1\xff}", JSCAN_BAD_UTF8 },
		{ "\xef\xbb\xbf{}", JSCAN_NOT_JSON },		/* BOM: a valid char, not JSON */
		/* a long string crosses the 16-byte fast path */
		{ "{\"a\":\"0123456789abcdef0123456789abcdef\xc3\xa9\\n0123456789abcdef\x01\"}", JSCAN_NOT_JSON },
		{ "{\"a\":\"0123456789abcdef0123456789abcdef\xc3\xa9\\n0123456789abcdef\xc3\"}", JSCAN_BAD_UTF8 },
		{ "{\"a\":\"0123456789abcdef0123456789abcdef\xc3\xa9\\n0123456789abcdef\x7f\"}", JSCAN_OK },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].s);
		int v = scanv(cases[i].s, n);
		struct buf d = BUF_INIT;

		buf_add_json_string(&d, cases[i].s, n);
		ok(v == cases[i].v, "verdict %d for %s (got %d)", cases[i].v,
		    d.p, v);
		buf_free(&d);
	}
	/* NUL bytes are data here, not terminators */
	ok(scanv("{\"a\":\"x\0y\"}", 11) == JSCAN_NOT_JSON, "raw NUL in a string");
	ok(scanv("{\"a\":1}\0", 8) == JSCAN_NOT_JSON, "raw NUL after the object");
	ok(scanv("{\"a\":1}", 7) == JSCAN_OK, "exact length, no terminator");
}

static void
test_truncated(void)
{
	static const char line[] = "{\"ts\":\"2026-02-26T04:00:00Z\",\"m\":{\"v\":[0.5,-1e-3,"
	    "true,false,null,\"caf\xc3\xa9\\u00e9\\ud83d\\ude00\"]},\"n\":-12.5e+3}";
	size_t n = sizeof line - 1, i, bad = 0;

	for (i = 0; i < n; i++)
		if (scanv(line, i) == JSCAN_OK)
			bad++;
	ok(bad == 0, "every truncation of a line is invalid (%zu accepted)", bad);
	ok(scanv(line, n) == JSCAN_OK, "the whole line is valid");
}

static void
test_depth(void)
{
	size_t n = 100000, i, k;
	char *b = xmalloc(2 * n + 16);
	clock_t t0;
	int v;

	memset(b, '[', n);
	t0 = clock();
	v = jscan_line(NULL, b, n, NULL, NULL);
	ok(v == JSCAN_TOO_DEEP, "100000 '[' is TOO_DEEP (%d)", v);
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 0.05, "... and fast");
	memset(b + n, ']', n);
	ok(jscan_line(NULL, b, 2 * n, NULL, NULL) == JSCAN_TOO_DEEP,
	    "100000 '[' closed is TOO_DEEP");
	for (i = 0; i < n / 5; i++)
		memcpy(b + 5 * i, "{\"a\":", 5);
	ok(jscan_line(NULL, b, n, NULL, NULL) == JSCAN_TOO_DEEP,
	    "20000 nested objects are TOO_DEEP");

	/* the limit is jansson's, value for value */
	for (k = 2044; k <= 2050; k++) {
		size_t len = 0;
		json_error_t err;
		json_t *j;
		int jv, sv;

		memcpy(b, "{\"a\":", 5);
		len = 5;
		memset(b + len, '[', k);
		len += k;
		b[len++] = '1';
		memset(b + len, ']', k);
		len += k;
		b[len++] = '}';
		j = json_loadb(b, len, JFLAGS, &err);
		jv = j != NULL;
		json_decref(j);
		sv = jscan_line(NULL, b, len, NULL, NULL);
		ok(jv ? sv == JSCAN_OK : sv == JSCAN_TOO_DEEP,
		    "object + %zu arrays + scalar: jansson %s, jscan %d", k,
		    jv ? "ok" : err.text, sv);

		memset(b, '[', k);
		memset(b + k, ']', k);
		j = json_loadb(b, 2 * k, JFLAGS, &err);
		jv = j != NULL;
		json_decref(j);
		sv = jscan_line(NULL, b, 2 * k, NULL, NULL);
		ok(jv ? sv == JSCAN_NOT_OBJECT : sv == JSCAN_TOO_DEEP,
		    "%zu empty arrays: jansson %s, jscan %d", k,
		    jv ? "ok" : err.text, sv);
	}
	free(b);
}

static void
test_numbers(void)
{
	static const struct {
		const char *text;
		double want;
		int overflow;
	} cases[] = {
		{ "0", 0, 0 },
		{ "-0", -0.0, 0 },
		{ "-0.0e5", -0.0, 0 },
		{ "72", 72, 0 },
		{ "-12.5e+3", -12500, 0 },
		{ "0.1", 0.1, 0 },
		{ "0.87", 0.87, 0 },
		{ "1E2", 100, 0 },
		{ "1e-5", 1e-5, 0 },
		{ "1772078400702", 1772078400702.0, 0 },
		{ "9007199254740993", 9007199254740992.0, 0 },	/* ties to even */
		{ "9007199254740995", 9007199254740996.0, 0 },
		{ "18446744073709551616", 18446744073709551616.0, 0 },
		{ "123456789012345678901234567890", 1.2345678901234568e29, 0 },
		{ "1e22", 1e22, 0 },
		{ "1e23", 1e23, 0 },
		{ "12345e30", 1.2345e34, 0 },
		{ "3.141592653589793238462643383279", 3.141592653589793, 0 },
		{ "1e308", 1e308, 0 },
		{ "1.7976931348623157e308", 1.7976931348623157e308, 0 },
		{ "2.2250738585072014e-308", 2.2250738585072014e-308, 0 },
		{ "4.9e-324", 4.9406564584124654e-324, 0 },
		{ "0.00000000000000000000000000000000000000001", 1e-41, 0 },
		{ "1e-400", 0, 0 },		/* underflow: the nearest double */
		{ "-1e-400", -0.0, 0 },
		{ "1e-99999999999", 0, 0 },
		{ "1e400", HUGE_VAL, 1 },
		{ "-1e400", -HUGE_VAL, 1 },
		{ "1.8e308", HUGE_VAL, 1 },
		{ "0e99999999999", 0, 0 },
		{ "1e99999999999", HUGE_VAL, 1 },
		/* 82 digits: strtod on a heap copy */
		{ "1000000000000000000000000000000000000000000000000000000000000000000000000000000000e-80",
		    10, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[256];
		struct jv v;
		int verdict, same;

		snprintf(line, sizeof line, "{\"n\":%s}", cases[i].text);
		v = get1(line, strlen(line), "n", &verdict);
		same = v.type == JV_NUMBER && v.num == cases[i].want &&
		    !signbit(v.num) == !signbit(cases[i].want);
		ok(verdict == JSCAN_OK && same &&
		    v.overflow == cases[i].overflow &&
		    v.len == strlen(cases[i].text),
		    "number %s = %.17g (overflow %d; got %.17g, %d)",
		    cases[i].text, cases[i].want, cases[i].overflow, v.num,
		    v.overflow);
	}
}

static void
test_strings(void)
{
	struct jv v;
	const char *s;

	v = GET("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "a");
	ok(v.type == JV_STRING && v.escaped, "escaped string is marked");
	is_str(str(v), "\"\\/\b\f\n\r\t", "every short escape");
	v = GET("{\"a\":\"plain\"}", "a");
	ok(v.type == JV_STRING && !v.escaped && v.len == 5, "plain string");
	is_str(str(v), "plain", "plain string text");
	v = GET("{\"a\":\"\\u0041\\u00e9\\u65E5\\uffff\"}", "a");
	is_str(str(v), "A\xc3\xa9\xe6\x97\xa5\xef\xbf\xbf", "\\u escapes to UTF-8");
	v = GET("{\"a\":\"\\ud83d\\ude00\\uD834\\uDD1E\"}", "a");
	is_str(str(v), "\xf0\x9f\x98\x80\xf0\x9d\x84\x9e", "surrogate pairs combine");
	v = GET("{\"a\":\"x\\ud800y\"}", "a");
	is_str(str(v), "x\xef\xbf\xbdy", "lone high surrogate is U+FFFD");
	v = GET("{\"a\":\"\\udc00\\ud800\"}", "a");
	is_str(str(v), "\xef\xbf\xbd\xef\xbf\xbd", "reversed pair is two U+FFFD");
	v = GET("{\"a\":\"\\ud800\\u0041\"}", "a");
	is_str(str(v), "\xef\xbf\xbd" "A", "high surrogate then non-low");
	v = GET("{\"a\":\"\\ud800\"}", "a");
	is_str(str(v), "\xef\xbf\xbd", "lone surrogate at the end");
	v = GET("{\"a\":\"caf\xc3\xa9\"}", "a");
	is_str(str(v), "caf\xc3\xa9", "raw UTF-8 kept");
	v = GET("{\"a\":\"n\\u0000l\"}", "a");
	{
		struct buf b = BUF_INIT;

		jscan_unescape(&v, &b);
		ok(b.len == 3 && memcmp(b.p, "n\0l", 3) == 0, "\\u0000 is a NUL byte");
		buf_free(&b);
	}
	{
		struct buf b = BUF_INIT;

		buf_adds(&b, "pre:");
		v = GET("{\"a\":\"\\n\"}", "a");
		jscan_unescape(&v, &b);
		is_str(b.p, "pre:\n", "unescape appends");
		v = GET("{\"a\":1}", "a");
		ok(jscan_unescape(&v, &b) == -1 && b.len == 5,
		    "unescape of a number is -1 and appends nothing");
		buf_free(&b);
	}
	v = GET("{\"a\":\"\"}", "a");
	ok(v.type == JV_STRING && v.len == 0, "empty string");
	s = "{\"a\":\"0123456789abcdef0123456789abcdef\\\"0123456789\"}";
	v = get1(s, strlen(s), "a", NULL);
	is_str(str(v), "0123456789abcdef0123456789abcdef\"0123456789",
	    "escape past the fast path");
}

static void
test_paths(void)
{
	struct jv v, out[8];
	const char *many[JSCAN_MAX_PATHS + 1];
	char longp[JSCAN_PATH_MAX + 2];
	struct jscan_paths *ps;
	size_t i, n;
	int verdict;

	/* dotted keys both ways */
	v = GET("{\"log.level\":\"warn\"}", "log.level");
	is_str(str(v), "warn", "dotted key by full name");
	v = GET("{\"log\":{\"level\":\"info\"}}", "log.level");
	is_str(str(v), "info", "nested keys");
	v = GET("{\"a.b\":{\"c\":1}}", "a.b.c");
	ok(v.type == JV_NUMBER && v.num == 1, "\"a.b\" -> c");
	v = GET("{\"a\":{\"b.c\":2}}", "a.b.c");
	ok(v.type == JV_NUMBER && v.num == 2, "a -> \"b.c\"");
	v = GET("{\"a.b.c\":3}", "a.b.c");
	ok(v.type == JV_NUMBER && v.num == 3, "\"a.b.c\"");
	v = GET("{\"a\":{\"x\":0,\"b\":{\"y\":0,\"c\":4}}}", "a.b.c");
	ok(v.type == JV_NUMBER && v.num == 4, "a -> b -> c among siblings");
	v = GET("{\"a\":{\"b\":1},\"a.b\":2}", "a.b");
	ok(v.type == JV_NUMBER && v.num == 2, "two spellings: the later wins (dotted)");
	v = GET("{\"a.b\":2,\"a\":{\"b\":1}}", "a.b");
	ok(v.type == JV_NUMBER && v.num == 1, "two spellings: the later wins (nested)");
	v = GET("{\"a\\u002eb\":5}", "a.b");
	ok(v.type == JV_NUMBER && v.num == 5, "escaped key compared unescaped");
	v = GET("{\"x\":{\"\\u0063\":6}}", "x.c");
	ok(v.type == JV_NUMBER && v.num == 6, "escaped nested key");
	v = GET("{\"ab\":{\"c\":1}}", "a.b.c");
	ok(v.type == JV_MISSING, "keys must split at dots");
	v = GET("{\"a\":{\"bc\":1}}", "a.b");
	ok(v.type == JV_MISSING, "prefix of a key is no match");
	v = GET("{\"a\":{\"b\":1}}", "a");
	ok(v.type == JV_OBJECT && strcmp(raw(v), "{\"b\":1}") == 0,
	    "object value is its raw text");
	v = GET("{\"a\":5}", "a.b");
	ok(v.type == JV_MISSING, "a scalar has no children");
	v = GET("{\"a\":[{\"b\":1}]}", "a.b");
	ok(v.type == JV_MISSING, "paths do not descend into arrays");
	v = GET("[{\"a\":1}]", "a");
	ok(v.type == JV_MISSING, "top-level array: no match");
	v = GET("{\"x\":{\"a\":1},\"a\":2}", "a");
	ok(v.type == JV_NUMBER && v.num == 2, "same key deeper is not the path");

	/* duplicates: last wins, as jansson */
	v = GET("{\"a\":1,\"a\":2}", "a");
	ok(v.type == JV_NUMBER && v.num == 2, "duplicate scalar: last wins");
	v = GET("{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "a.b");
	ok(v.type == JV_MISSING, "duplicate object drops the first one's children");
	v = GET("{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "a.c");
	ok(v.type == JV_NUMBER && v.num == 2, "... and keeps the second's");
	v = GET("{\"a\":{\"b\":1},\"a\":5}", "a.b");
	ok(v.type == JV_MISSING, "object then scalar under one key");
	v = GET("{\"a\":{\"b\":1},\"a\":{\"b\":2}}", "a.b");
	ok(v.type == JV_NUMBER && v.num == 2, "duplicate object, same child");
	v = GET("{\"x\":{\"a\":{\"b\":1},\"a\":{}}}", "x.a.b");
	ok(v.type == JV_MISSING, "duplicate deeper down");
	v = GET("{\"x\":{\"a\":{\"b\":1}},\"x\":{}}", "x.a.b");
	ok(v.type == JV_MISSING, "duplicate higher up");
	v = GET("{\"a.b\":7,\"a\":{\"c\":1},\"a\":{}}", "a.b");
	ok(v.type == JV_NUMBER && v.num == 7, "duplicate of another spelling keeps the value");
	v = GET("{\"a\":{\"b\":1},\"a\":{\"d\":1}}", "a");
	ok(v.type == JV_OBJECT && strcmp(raw(v), "{\"d\":1}") == 0,
	    "duplicate object value: the last");
	v = GET("{\"a\":{\"b\":1},\"z\":{\"a\":{}}}", "a.b");
	ok(v.type == JV_NUMBER && v.num == 1, "same key in another object is no duplicate");

	/* arrays at the end of a path */
	{
		static const char line[] = "{\"output\":{\"confidence_scores\":"
		    "[0.87, 0.78,\"x\",null,true,false,[1,[2]],{\"k\":\"]\"}, -0]}}";
		struct jv el[16];

		v = GET(line, "output.confidence_scores");
		ok(v.type == JV_ARRAY && v.p[0] == '[' && v.p[v.len - 1] == ']' &&
		    v.len == strlen("[0.87, 0.78,\"x\",null,true,false,[1,[2]],"
		    "{\"k\":\"]\"}, -0]"), "array value is its raw text");
		n = jscan_get(line, sizeof line - 1, "output.confidence_scores",
		    el, 16);
		ok(n == 9, "jscan_get expands the array (%zu)", n);
		ok(el[0].type == JV_NUMBER && el[0].num == 0.87 &&
		    el[1].num == 0.78, "elements 0, 1");
		is_str(str(el[2]), "x", "element 2");
		ok(el[3].type == JV_NULL && el[4].type == JV_TRUE &&
		    el[5].type == JV_FALSE, "elements 3-5");
		ok(el[6].type == JV_ARRAY && strcmp(raw(el[6]), "[1,[2]]") == 0,
		    "nested array element");
		ok(el[7].type == JV_OBJECT && strcmp(raw(el[7]), "{\"k\":\"]\"}") == 0,
		    "object element with a bracket in a string");
		ok(el[8].type == JV_NUMBER && el[8].num == 0 && signbit(el[8].num),
		    "element -0");
		n = jscan_get(line, sizeof line - 1, "output.confidence_scores",
		    el, 2);
		ok(n == 9, "jscan_get counts past max");
		n = jscan_get("{\"a\":[]}", 8, "a", el, 16);
		ok(n == 0, "empty array: 0 values");
		n = jscan_get("{\"a\":[ ]}", 9, "a", el, 16);
		ok(n == 0, "blank array: 0 values");
		n = jscan_get("{\"a\":\"s\"}", 9, "a", el, 16);
		ok(n == 1 && el[0].type == JV_STRING, "scalar: 1 value");
		n = jscan_get("{\"a\":1}", 7, "b", el, 16);
		ok(n == 0, "missing: 0 values");
		n = jscan_get("{\"a\":1", 6, "a", el, 16);
		ok(n == 0, "invalid line: 0 values");
		n = jscan_get("{\"a\":1}", 7, "a", NULL, 0);
		ok(n == 1, "max 0 only counts");
	}

	/* literals keep their text */
	v = GET("{\"t\":true}", "t");
	ok(v.type == JV_TRUE && v.len == 4, "true");
	v = GET("{\"t\":false}", "t");
	ok(v.type == JV_FALSE && v.len == 5, "false");
	v = GET("{\"t\":null}", "t");
	ok(v.type == JV_NULL && v.len == 4, "null");

	/* several paths at once, sharing prefixes */
	{
		static const char *const pp[] = { "a.b", "a.c", "a", "a.b",
		    "d.e.f", "d.e", "g" };
		static const char line[] = "{\"a\":{\"b\":1,\"c\":\"x\"},"
		    "\"d\":{\"e\":{\"f\":null}},\"g\":[1]}";
		char *l = exact(line, sizeof line - 1);

		ps = jscan_paths_new(pp, 7);
		verdict = jscan_line(ps, l, sizeof line - 1, out, NULL);
		ok(verdict == JSCAN_OK && out[0].type == JV_NUMBER &&
		    out[1].type == JV_STRING && out[2].type == JV_OBJECT &&
		    out[3].type == JV_NUMBER && out[4].type == JV_NULL &&
		    out[5].type == JV_OBJECT && out[6].type == JV_ARRAY,
		    "overlapping and repeated paths");
		ok(strcmp(raw(out[2]), "{\"b\":1,\"c\":\"x\"}") == 0 &&
		    strcmp(raw(out[5]), "{\"f\":null}") == 0 &&
		    strcmp(raw(out[6]), "[1]") == 0, "container texts");
		jscan_paths_free(ps);
		free(l);
	}

	/* limits */
	for (i = 0; i <= JSCAN_MAX_PATHS; i++)
		many[i] = "x";
	ps = jscan_paths_new(many, JSCAN_MAX_PATHS);
	ok(ps != NULL, "JSCAN_MAX_PATHS paths");
	jscan_paths_free(ps);
	ok(jscan_paths_new(many, JSCAN_MAX_PATHS + 1) == NULL, "one more is refused");
	memset(longp, 'k', sizeof longp);
	longp[JSCAN_PATH_MAX] = '\0';
	many[0] = longp;
	ps = jscan_paths_new(many, 1);
	ok(ps != NULL, "a path of JSCAN_PATH_MAX bytes");
	jscan_paths_free(ps);
	longp[JSCAN_PATH_MAX] = 'k';
	longp[JSCAN_PATH_MAX + 1] = '\0';
	ok(jscan_paths_new(many, 1) == NULL, "a longer path is refused");
	many[0] = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q";
	ok(jscan_paths_new(many, 1) == NULL, "17 components are refused");
	jscan_paths_free(NULL);
	{
		static const char line[] = "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":"
		    "{\"g\":{\"h\":{\"i\":{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":"
		    "{\"p\":16}}}}}}}}}}}}}}}}";

		v = GET(line, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p");
		ok(v.type == JV_NUMBER && v.num == 16, "16 nested components");
		v = GET(line, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o");
		ok(v.type == JV_OBJECT, "15 nested components");
	}
	{
		/* a key longer than any path */
		struct buf b = BUF_INIT;

		buf_adds(&b, "{\"");
		for (i = 0; i < 300; i++)
			buf_adds(&b, "\\u0061");
		buf_adds(&b, "\":1,\"a\":2}");
		v = get1(b.p, b.len, "a", &verdict);
		ok(verdict == JSCAN_OK && v.num == 2, "long escaped key skipped");
		/* and one that unescapes to a path of 200 bytes */
		buf_reset(&b);
		buf_adds(&b, "{\"");
		for (i = 0; i < 200; i++)
			buf_adds(&b, i % 2 ? "\\u0061" : "a");
		buf_adds(&b, "\":3}");
		memset(longp, 'a', 200);
		longp[200] = '\0';
		v = get1(b.p, b.len, longp, &verdict);
		ok(verdict == JSCAN_OK && v.type == JV_NUMBER && v.num == 3,
		    "long escaped key matched unescaped");
		buf_free(&b);
	}
}

struct pathlist {
	struct buf	 b;
	size_t		 n;
	size_t		 unterminated;
};

static void
collect(void *ctx, const char *path, size_t len, enum jv_type t)
{
	struct pathlist *pl = ctx;

	buf_add(&pl->b, path, len);
	buf_printf(&pl->b, ":%d ", (int)t);
	pl->n++;
	if (path[len] != '\0')
		pl->unterminated++;
}

static uint64_t
shape_of(const char *s)
{
	uint64_t sh = 0;
	char *l = exact(s, strlen(s));
	int v = jscan_line(NULL, l, strlen(s), NULL, &sh);

	free(l);
	return v == JSCAN_OK ? sh : 0;
}

static void
test_each_shape(void)
{
	static const char line[] = "{\"a\":1,\"b\":{\"c\":\"x\",\"d\":{\"e\":null},"
	    "\"f\":[1,{\"g\":2}],\"h\":{}},\"i\\u002ej\":true,\"k\":{ }}";
	struct pathlist pl = { BUF_INIT, 0, 0 };

	jscan_each_path(line, sizeof line - 1, collect, &pl);
	is_str(pl.b.p, "a:4 b.c:5 b.d.e:1 b.f:6 b.h:7 i.j:3 k:7 ",
	    "each_path: leaves in order");
	ok(pl.n == 7 && pl.unterminated == 0, "each_path: NUL-terminated paths");
	buf_free(&pl.b);
	memset(&pl, 0, sizeof pl);
	jscan_each_path("{\"\":{\"a\":1,\"\":2},\"b\":{\"\":{}}}", 29, collect, &pl);
	is_str(pl.b.p, ".a:4 .:4 b.:7 ", "each_path: empty keys");
	{
		struct jv v = GET("{\"\":{\"a\":1,\"\":2},\"b\":{\"\":{}}}", ".a");

		ok(v.type == JV_NUMBER && v.num == 1, "empty key in a path");
	}
	buf_free(&pl.b);
	pl.n = 0;
	memset(&pl.b, 0, sizeof pl.b);
	jscan_each_path("{\"a\":1", 6, collect, &pl);
	jscan_each_path("[1]", 3, collect, &pl);
	jscan_each_path("{}", 2, collect, &pl);
	ok(pl.n == 0, "each_path: nothing for invalid, non-object or empty lines");
	buf_free(&pl.b);

	ok(shape_of("{\"a\":1,\"b\":{\"c\":2}}") == shape_of("{\"a\":\"x\",\"b\":{\"c\":[1,2]}}"),
	    "shape: same keys, other values");
	ok(shape_of("{\"a\":1,\"b\":{\"c\":2}}") == shape_of(" { \"a\" : 1 , \"b\" : { \"c\" : 2 } } "),
	    "shape: whitespace does not count");
	ok(shape_of("{\"a\":1,\"b\":{\"c\":2}}") != shape_of("{\"b\":{\"c\":2},\"a\":1}"),
	    "shape: key order counts");
	ok(shape_of("{\"a\":{\"b\":1}}") != shape_of("{\"a.b\":1}"),
	    "shape: nesting counts");
	ok(shape_of("{\"a\":{\"b\":1}}") != shape_of("{\"a\":{\"b\":1},\"c\":1}"),
	    "shape: an extra key counts");
	ok(shape_of("{\"ab\":{\"c\":1}}") != shape_of("{\"a\":{\"bc\":1}}"),
	    "shape: key boundaries count");
	ok(shape_of("{\"a\":[{\"x\":1}]}") == shape_of("{\"a\":[{\"y\":1},{\"z\":2}]}"),
	    "shape: keys inside arrays do not count");
	ok(shape_of("{\"a\":{\"b\":{}}}") != shape_of("{\"a\":{\"c\":{}}}"),
	    "shape: inner keys count");
	ok(shape_of("{\"a_long_key_name_over_16\":1}") != shape_of("{\"a_long_key_name_over_17\":1}"),
	    "shape: long keys hashed whole");
	ok(shape_of("{}") != shape_of("{\"\":1}"), "shape: empty key counts");
}

static void
test_locale(void)
{
	static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8",
	    "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8" };
	const char *got = NULL;
	struct jv v;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0] && got == NULL; i++)
		got = setlocale(LC_NUMERIC, names[i]);
	if (got == NULL) {
		ok(1, "# SKIP no locale with a decimal comma installed");
		return;
	}
	v = GET("{\"n\":0.5}", "n");
	is_num(v.num, 0.5, 0, "0.5 under %s", got);
	v = GET("{\"n\":0.50000000000000000000001}", "n");
	is_num(v.num, 0.5, 0, "long 0.5 under %s (strtod)", got);
	setlocale(LC_NUMERIC, "C");
}

/*
 * Oracle. A deterministic generator of inference-log-like lines.
 */
struct gen {
	uint64_t	 s;
	int		 ws;		/* whitespace around tokens */
	struct buf	*b;
	int		 first[64];	/* no comma yet at this depth */
	int		 d;
	int		 afterkey;
};

static uint64_t
rnd(struct gen *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 0x2545f4914f6cdd1dULL;
}

static unsigned
rn(struct gen *g, unsigned n)
{
	return (unsigned)((rnd(g) >> 11) % n);
}

static void
sp(struct gen *g)
{
	static const char *const w[] = { "", " ", "\t", "  ", "\r\n " };

	if (g->ws)
		buf_adds(g->b, w[rn(g, 5)]);
}

static void
pre(struct gen *g)
{
	if (g->afterkey)
		g->afterkey = 0;
	else if (g->d > 0) {
		if (!g->first[g->d])
			buf_addc(g->b, ',');
		g->first[g->d] = 0;
		sp(g);
	}
}

static void
open_(struct gen *g, char c)
{
	pre(g);
	buf_addc(g->b, c);
	g->first[++g->d] = 1;
	sp(g);
}

static void
close_(struct gen *g, char c)
{
	sp(g);
	buf_addc(g->b, c);
	g->d--;
}

/* k is JSON string content, escapes allowed. */
static void
key(struct gen *g, const char *k)
{
	if (!g->first[g->d])
		buf_addc(g->b, ',');
	g->first[g->d] = 0;
	sp(g);
	buf_printf(g->b, "\"%s\"", k);
	sp(g);
	buf_addc(g->b, ':');
	sp(g);
	g->afterkey = 1;
}

static void
rawv(struct gen *g, const char *text)
{
	pre(g);
	buf_adds(g->b, text);
}

static void
strv(struct gen *g, const char *content)
{
	pre(g);
	buf_printf(g->b, "\"%s\"", content);
}

static void
kstr(struct gen *g, const char *k, const char *content)
{
	key(g, k);
	strv(g, content);
}

static void
kraw(struct gen *g, const char *k, const char *text)
{
	key(g, k);
	rawv(g, text);
}

static const char *
pick(struct gen *g, const char *const *a, size_t n)
{
	return a[rn(g, (unsigned)n)];
}
#define PICK(g, a)	pick((g), (a), sizeof(a) / sizeof((a)[0]))

static void
numv(struct gen *g)
{
	static const char *const odd[] = { "-0", "0", "0.0", "-0.0", "1e-400",
	    "1E+2", "1e2", "123456789012345678901234567890",
	    "-9223372036854775809", "9223372036854775807",
	    "1.7976931348623157e308", "4.9e-324", "2.2250738585072011e-308",
	    "0.1", "3.141592653589793238462643383279", "9007199254740993",
	    "1e22", "1e23", "8.98846567431158e307", "0.000001234",
	    "100000000000000000000000", "-1.5E-7", "2e-0",
	    "0.1000000000000000055511151231257827021181583404541015625",
	    "7.2057594037927933e16", "1e-320" };
	char b[64];
	double x;

	switch (rn(g, 6)) {
	case 0:
		snprintf(b, sizeof b, "%u", rn(g, 100000));
		break;
	case 1:
		snprintf(b, sizeof b, "-%u", rn(g, 1000000000));
		break;
	case 2:
		snprintf(b, sizeof b, "%.2f", rn(g, 100000) / 100.0);
		break;
	case 3:
		snprintf(b, sizeof b, "%.17g", (double)(rnd(g) >> 11) / 9007199254740992.0);
		break;
	case 4:
		x = (1 + rn(g, 1000000) / 1e6) * pow(10, (int)rn(g, 600) - 300);
		snprintf(b, sizeof b, "%.*e", (int)rn(g, 17), x);
		break;
	default:
		rawv(g, PICK(g, odd));
		return;
	}
	rawv(g, b);
}

static const char *const messages[] = {
	"CUDA out of memory. Tried to allocate 2.00 GiB",
	"shape mismatch: expected [32, 128], got [32, 64]",
	"Traceback (most recent call last):\\n  File \\\"serve.py\\\", line 12\\n\\tRuntimeError",
	"quote \\\"inner\\\" backslash \\\\ slash \\/ done",
	"caf\\u00e9 \\u65e5\\u672c \\ud83d\\ude00 \\uD834\\uDD1E",
	"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xc2\xa0\xef\xbf\xbd",
	"ctl \\u0001\\u001f \\b\\f\\r",
	"nul \\u0000 inside",
	"",
	"feature store timeout after 40ms (upstream=redis-7, retry=3/3)",
	("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	"emoji at the end \xf0\x9f\x94\xa5",
	"\\\\",
	"tab\\there",
};

static void
idv(struct gen *g, const char *prefix)
{
	char b[96];

	snprintf(b, sizeof b, "%s-%08x-%04x-%04x-%04x-%012llx", prefix,
	    (unsigned)rnd(g), rn(g, 65536), rn(g, 65536), rn(g, 65536),
	    (unsigned long long)(rnd(g) & 0xffffffffffffULL));
	strv(g, b);
}

static void
tsv(struct gen *g)
{
	char b[64];

	snprintf(b, sizeof b, "2026-02-26T%02u:%02u:%02u.%03uZ", rn(g, 24),
	    rn(g, 60), rn(g, 60), rn(g, 1000));
	strv(g, b);
}

static void
floats(struct gen *g, unsigned n)
{
	unsigned i;
	char b[32];

	open_(g, '[');
	for (i = 0; i < n; i++) {
		snprintf(b, sizeof b, "%.2f", rn(g, 100) / 100.0);
		rawv(g, b);
	}
	close_(g, ']');
}

/*
 * One line into b. Returns 1 if it may hold duplicate keys (then the
 * each_path and shape checks are skipped).
 */
static int
gen_line(struct gen *g, struct buf *b)
{
	static const char *const services[] = { "api-gateway", "feature-store",
	    "recommendation-model-prod", "ranking-service" };
	static const char *const levels[] = { "INFO", "WARN", "ERROR", "debug",
	    "Info" };
	static const char *const variants[] = { "prod", "canary", "shadow" };
	static const char *const versions[] = { "3.2.1", "3.3.0-rc1", "2.9.7" };
	unsigned kind = rn(g, 8), spell = rn(g, 4), i;
	int dups = rn(g, 10) == 0 && spell != 3;

	buf_reset(b);
	g->b = b;
	g->ws = rn(g, 6) == 0;
	g->d = 0;
	g->afterkey = 0;
	open_(g, '{');
	if (kind == 7) {
		/* ECS style */
		key(g, "@timestamp");
		tsv(g);
		if (spell & 1)
			kstr(g, "log.level", PICK(g, levels));
		else {
			key(g, "log");
			open_(g, '{');
			kstr(g, "level", PICK(g, levels));
			kstr(g, "logger", "uvicorn");
			close_(g, '}');
		}
		if (spell & 2)
			kstr(g, "service.name", PICK(g, services));
		else {
			key(g, "service");
			open_(g, '{');
			kstr(g, "name", PICK(g, services));
			close_(g, '}');
		}
		if (rn(g, 2)) {
			key(g, "trace.id");
			idv(g, "t");
		} else {
			key(g, "trace");
			open_(g, '{');
			key(g, "id");
			idv(g, "t");
			close_(g, '}');
		}
		kstr(g, "message", PICK(g, messages));
		if (spell == 3) {
			/* both spellings in one record: the later wins */
			key(g, "log");
			open_(g, '{');
			kstr(g, "level", "TRACE");
			close_(g, '}');
			kraw(g, "deep.x.y.z", "1");
			key(g, "deep");
			open_(g, '{');
			key(g, "x.y");
			open_(g, '{');
			kraw(g, "z", "2");
			close_(g, '}');
			close_(g, '}');
		}
	} else {
		key(g, "timestamp");
		tsv(g);
		if (kind != 0) {
			key(g, "request_id");
			idv(g, "req");
		}
		key(g, "correlation_id");
		idv(g, "corr");
		kstr(g, "service", PICK(g, services));
		kstr(g, "environment", "production");
		kstr(g, "log_level", kind == 4 ? "ERROR" : PICK(g, levels));
		kstr(g, "event_type", kind == 0 ? "request_received" :
		    kind == 1 ? "feature_lookup" : kind == 4 ? "inference_error" :
		    "inference_complete");
	}
	if (kind == 1 || kind == 2 || kind == 3) {
		key(g, rn(g, 8) ? "input_features" : "input\\u005ffeatures");
		open_(g, '{');
		kraw(g, "feature_count", "128");
		kraw(g, "cache_hit", rn(g, 3) ? "true" : rn(g, 2) ? "false" : "\"yes\"");
		key(g, "feature_store_latency_ms");
		numv(g);
		close_(g, '}');
	}
	if (kind == 2 || kind == 3 || kind == 4) {
		key(g, "model_metadata");
		open_(g, '{');
		kstr(g, "model_name", "collaborative_filtering_v3");
		kstr(g, "model_version", PICK(g, versions));
		kstr(g, "serving_variant", PICK(g, variants));
		close_(g, '}');
		key(g, "request_context");
		open_(g, '{');
		kstr(g, "user_id", "user_3fe79a9e");
		key(g, "timestamp_ms");
		numv(g);
		kraw(g, "batch_size", "32");
		close_(g, '}');
	}
	if (kind == 2 || kind == 3) {
		key(g, "inference_metrics");
		open_(g, '{');
		key(g, "latency_ms");
		switch (rn(g, 8)) {
		case 0:
			strv(g, "87ms");
			break;
		case 1:
			rawv(g, "null");
			break;
		default:
			numv(g);
		}
		kraw(g, "gpu_memory_mb", "346");
		close_(g, '}');
		key(g, "output");
		open_(g, '{');
		key(g, "prediction");
		open_(g, '[');
		for (i = rn(g, 6); i > 0; i--) {
			char nb[16];

			snprintf(nb, sizeof nb, "%u", rn(g, 50));
			rawv(g, nb);
		}
		close_(g, ']');
		key(g, "confidence_scores");
		switch (rn(g, 6)) {
		case 0:
			numv(g);
			break;
		case 1:
			open_(g, '[');
			close_(g, ']');
			break;
		case 2:
			open_(g, '[');
			numv(g);
			rawv(g, "null");
			strv(g, "0.5");
			open_(g, '[');
			numv(g);
			close_(g, ']');
			open_(g, '{');
			kraw(g, "p", "0.9");
			close_(g, '}');
			close_(g, ']');
			break;
		default:
			floats(g, 1 + rn(g, 8));
		}
		close_(g, '}');
		key(g, "quality_metrics");
		open_(g, '{');
		key(g, "perplexity");
		numv(g);
		close_(g, '}');
		key(g, "anomaly_signals");
		open_(g, '{');
		kraw(g, "latency_anomalous", "false");
		key(g, "drift_score");
		numv(g);
		close_(g, '}');
	}
	if (kind == 4) {
		key(g, "error");
		open_(g, '{');
		kstr(g, "type", "RuntimeError");
		kstr(g, "message", PICK(g, messages));
		kstr(g, "stack", PICK(g, messages));
		close_(g, '}');
		kstr(g, "message", PICK(g, messages));
	}
	if (kind == 5) {
		/* odd shapes */
		key(g, "nums");
		open_(g, '{');
		key(g, "a");
		numv(g);
		key(g, "b");
		open_(g, '[');
		for (i = rn(g, 5); i > 0; i--)
			numv(g);
		close_(g, ']');
		close_(g, '}');
		key(g, "tags");
		open_(g, '[');
		for (i = rn(g, 4); i > 0; i--)
			strv(g, PICK(g, messages));
		close_(g, ']');
		key(g, "empty");
		open_(g, '{');
		close_(g, '}');
		key(g, "deep");
		open_(g, '{');
		key(g, "x");
		open_(g, '{');
		key(g, "y");
		open_(g, '{');
		key(g, "z");
		rn(g, 2) ? numv(g) : strv(g, PICK(g, messages));
		close_(g, '}');
		close_(g, '}');
		close_(g, '}');
	}
	if (kind == 6) {
		kraw(g, "deep.x", "{\"y.z\":[1,2,{\"deep\":{\"x\":3}}]}");
		kraw(g, "level", "\"warn\"");
		kraw(g, "arr", "[[[[]]],[{}],{\"a\":[{\"b\":[null]}]}]");
	}
	if (dups) {
		kstr(g, "log_level", "DUP");
		key(g, "model_metadata");
		open_(g, '{');
		kstr(g, "model_version", "9.9.9");
		close_(g, '}');
		kraw(g, "timestamp", "null");
	}
	close_(g, '}');
	sp(g);
	return dups;
}

static const char *const opaths[] = {
	"timestamp", "@timestamp", "correlation_id", "trace.id", "request_id",
	"service", "service.name", "log_level", "log.level", "level",
	"event_type", "inference_metrics.latency_ms",
	"model_metadata.serving_variant", "model_metadata.model_version",
	"output.confidence_scores", "input_features.cache_hit",
	"anomaly_signals.drift_score", "message", "error.message",
	"output.prediction", "request_context.timestamp_ms", "error",
	"model_metadata", "nums.a", "nums.b", "deep.x.y.z", "deep.x", "tags",
	"empty", "arr", "input_features", "quality_metrics.perplexity"
};
#define NOPATHS (sizeof opaths / sizeof opaths[0])

struct ostats {
	size_t	 lines, agree, valid, invalid, notobj;
	size_t	 surrogate, overflow, nulkey;	/* documented divergences */
	size_t	 values, elements, getpaths;
	size_t	 kindsame, kinddiff;	/* both invalid: UTF-8 error or not */
	size_t	 fails;
};

/* jansson's value at a dotted path, by the same rules: the keys joined
 * with '.' equal the path; of several spellings the later one wins. */
static json_t *
oresolve(json_t *obj, const char *path, size_t plen)
{
	json_t *best = NULL, *v, *r;
	void *it;

	for (it = json_object_iter(obj); it != NULL;
	    it = json_object_iter_next(obj, it)) {
		const char *k = json_object_iter_key(it);
		size_t kl = json_object_iter_key_len(it);

		v = json_object_iter_value(it);
		if (kl > plen || memcmp(k, path, kl) != 0)
			continue;
		if (kl == plen)
			best = v;
		else if (path[kl] == '.' && json_is_object(v) &&
		    (r = oresolve(v, path + kl + 1, plen - kl - 1)) != NULL)
			best = r;
	}
	return best;
}

static void
diag(const char *why, const char *line, size_t len)
{
	struct buf d = BUF_INIT;

	buf_add_json_string(&d, line, len > 400 ? 400 : len);
	printf("# %s\n#   line: %s%s\n", why, d.p, len > 400 ? "..." : "");
	buf_free(&d);
}

/* Compare one scalar or container jv with a jansson value. */
static int
same_value(const struct jv *v, json_t *j, char *why, size_t whysz)
{
	struct buf b = BUF_INIT;
	json_error_t err;
	json_t *parsed;
	int same = 0;

	if (j == NULL) {
		snprintf(why, whysz, "jansson has no value, jscan type %d", v->type);
		return v->type == JV_MISSING;
	}
	switch (v->type) {
	case JV_MISSING:
		snprintf(why, whysz, "jscan has no value");
		return 0;
	case JV_NULL:
		same = json_is_null(j);
		break;
	case JV_TRUE:
		same = json_is_true(j);
		break;
	case JV_FALSE:
		same = json_is_false(j);
		break;
	case JV_NUMBER:
		/* both take underflow to 0; jansson rejects overflow to
		 * infinity */
		same = json_is_number(j) && !v->overflow &&
		    json_number_value(j) == v->num &&
		    !signbit(json_number_value(j)) == !signbit(v->num);
		if (!same)
			snprintf(why, whysz, "number %.17g (%.*s) vs jansson %.17g",
			    v->num, (int)v->len, v->p, json_number_value(j));
		return same;
	case JV_STRING:
		jscan_unescape(v, &b);
		same = json_is_string(j) && json_string_length(j) == b.len &&
		    (b.len == 0 || memcmp(json_string_value(j), b.p, b.len) == 0);
		if (!same)
			snprintf(why, whysz, "string \"%.60s\" vs jansson \"%.60s\"",
			    b.p ? b.p : "", json_is_string(j) ?
			    json_string_value(j) : "(not a string)");
		buf_free(&b);
		return same;
	case JV_ARRAY:
	case JV_OBJECT:
		parsed = json_loadb(v->p, v->len, JFLAGS, &err);
		same = parsed != NULL && json_equal(parsed, j) &&
		    (v->type == JV_ARRAY ? json_is_array(j) : json_is_object(j));
		json_decref(parsed);
		break;
	}
	if (!same)
		snprintf(why, whysz, "type %d (%.*s) differs from jansson's %d",
		    v->type, (int)(v->len > 60 ? 60 : v->len), v->p ? v->p : "",
		    json_typeof(j));
	return same;
}

/* Documented divergence: jansson fails with this message, jscan accepts. */
static int
documented(const json_error_t *err, struct ostats *st)
{
	if (strstr(err->text, "invalid Unicode") != NULL) {
		st->surrogate++;
		return 1;
	}
	if (strstr(err->text, "real number overflow") != NULL) {
		st->overflow++;
		return 1;
	}
	if (strstr(err->text, "NUL byte in object key") != NULL) {
		st->nulkey++;
		return 1;
	}
	return 0;
}

static void
oracle_line(const struct jscan_paths *ps, const char *src, size_t len,
    int deep, struct ostats *st)
{
	struct jv out[NOPATHS], el[64];
	json_error_t err;
	json_t *root;
	char why[300], *line = exact(src, len);
	size_t i, k, n;
	int v, fail = 0;

	st->lines++;
	v = jscan_line(ps, line, len, out, NULL);
	root = json_loadb(line, len, JFLAGS, &err);
	if (root == NULL) {
		if (v == JSCAN_OK || v == JSCAN_NOT_OBJECT) {
			if (!documented(&err, st)) {
				snprintf(why, sizeof why, "jscan %d, jansson: %s", v,
				    err.text);
				fail = 1;
			}
		} else {
			st->invalid++;
			if ((v == JSCAN_BAD_UTF8) ==
			    (json_error_code(&err) == json_error_invalid_utf8))
				st->kindsame++;
			else if (st->kinddiff++ < 3)
				diag(err.text, line, len);
		}
		goto out;
	}
	if (!json_is_object(root)) {
		if (v != JSCAN_NOT_OBJECT) {
			snprintf(why, sizeof why, "jscan %d, jansson: not an object", v);
			fail = 1;
		} else
			st->notobj++;
		goto out;
	}
	if (v != JSCAN_OK) {
		snprintf(why, sizeof why, "jscan %d, jansson: valid", v);
		fail = 1;
		goto out;
	}
	st->valid++;
	for (i = 0; i < NOPATHS && !fail; i++) {
		json_t *j = oresolve(root, opaths[i], strlen(opaths[i]));
		char w2[200] = "";

		st->values += j != NULL;
		if (!same_value(&out[i], j, w2, sizeof w2)) {
			snprintf(why, sizeof why, "%s: %s", opaths[i], w2);
			fail = 1;
			break;
		}
		if (!deep || j == NULL)
			continue;
		/* jscan_get agrees, element by element for arrays */
		n = jscan_get(line, len, opaths[i], el, 64);
		if (json_is_array(j)) {
			fail = n != json_array_size(j);
			for (k = 0; k < n && k < 64 && !fail; k++, st->elements++)
				fail = !same_value(&el[k], json_array_get(j, k), w2,
				    sizeof w2);
		} else
			fail = n != 1 || !same_value(&el[0], j, w2, sizeof w2);
		if (fail)
			snprintf(why, sizeof why, "jscan_get %s: %zu values; %s",
			    opaths[i], n, w2);
	}
out:
	if (fail) {
		st->fails++;
		if (st->fails <= 5)
			diag(why, line, len);
	} else
		st->agree++;
	json_decref(root);
	free(line);
}

/* jansson's leaves (as jscan_each_path) and tracked key paths (the shape). */
static void
owalk(json_t *obj, int depth, struct buf *path, struct buf *leaves,
    struct buf *keys)
{
	size_t base = path->len;
	void *it;

	for (it = json_object_iter(obj); it != NULL;
	    it = json_object_iter_next(obj, it)) {
		json_t *v = json_object_iter_value(it);
		int t;

		path->len = base;
		if (depth > 0)
			buf_addc(path, '.');
		buf_add(path, json_object_iter_key(it), json_object_iter_key_len(it));
		buf_add(keys, path->p, path->len);
		buf_addc(keys, '\n');
		if (json_is_object(v) && json_object_size(v) > 0) {
			owalk(v, depth + 1, path, leaves, keys);
			continue;
		}
		switch (json_typeof(v)) {
		case JSON_OBJECT: t = JV_OBJECT; break;
		case JSON_ARRAY: t = JV_ARRAY; break;
		case JSON_STRING: t = JV_STRING; break;
		case JSON_INTEGER:
		case JSON_REAL: t = JV_NUMBER; break;
		case JSON_TRUE: t = JV_TRUE; break;
		case JSON_FALSE: t = JV_FALSE; break;
		default: t = JV_NULL; break;
		}
		buf_add(leaves, path->p, path->len);
		buf_printf(leaves, ":%d ", t);
	}
	path->len = base;
}

static void
collect_quiet(void *ctx, const char *path, size_t len, enum jv_type t)
{
	struct buf *b = ctx;

	buf_add(b, path, len);
	buf_printf(b, ":%d ", (int)t);
}

struct shaperec {
	uint64_t	 shape;
	char		*keys;
};

static int
by_keys(const void *a, const void *b)
{
	return strcmp(((const struct shaperec *)a)->keys,
	    ((const struct shaperec *)b)->keys);
}

static int
by_shape(const void *a, const void *b)
{
	uint64_t x = ((const struct shaperec *)a)->shape;
	uint64_t y = ((const struct shaperec *)b)->shape;

	return x < y ? -1 : x > y;
}

/* Every leaf path of a line read back with jscan_get. */
static int
leaves_get(const char *line, size_t len, json_t *root, const char *leaves,
    struct ostats *st)
{
	const char *p = leaves, *sep;
	struct jv el[64];
	char path[512], why[200];

	while ((sep = strchr(p, ' ')) != NULL) {
		const char *colon = sep;
		json_t *j;
		size_t n, k;

		while (colon > p && *colon != ':')
			colon--;
		snprintf(path, sizeof path, "%.*s", (int)(colon - p), p);
		p = sep + 1;
		if (strlen(path) > JSCAN_PATH_MAX)
			continue;
		j = oresolve(root, path, strlen(path));
		n = jscan_get(line, len, path, el, 64);
		st->getpaths++;
		if (json_is_array(j)) {
			if (n != json_array_size(j))
				return 0;
			for (k = 0; k < n && k < 64; k++)
				if (!same_value(&el[k], json_array_get(j, k), why,
				    sizeof why))
					return 0;
		} else if (n != (j != NULL) || (n == 1 &&
		    !same_value(&el[0], j, why, sizeof why)))
			return 0;
	}
	return 1;
}

static void
test_oracle(void)
{
	struct jscan_paths *ps = jscan_paths_new(opaths, NOPATHS);
	struct ostats gen, trunc, mut;
	struct gen g;
	struct buf b = BUF_INIT, m = BUF_INIT;
	struct buf path = BUF_INIT, leaves = BUF_INIT, keys = BUF_INIT,
	    mine = BUF_INIT;
	struct shaperec *recs;
	size_t nlines = 3000, nrec = 0, i, k, eachbad = 0, getbad = 0;
	size_t shapebad = 0, collide = 0;
	clock_t t0 = clock();

	ok(ps != NULL, "oracle paths compile (%zu)", NOPATHS);
	memset(&gen, 0, sizeof gen);
	memset(&trunc, 0, sizeof trunc);
	memset(&mut, 0, sizeof mut);
	memset(&g, 0, sizeof g);
	g.s = 0x9e3779b97f4a7c15ULL;
	recs = xcalloc(nlines, sizeof *recs);

	/* (a) generated lines */
	for (i = 0; i < nlines; i++) {
		int dups = gen_line(&g, &b);
		json_t *root;
		uint64_t sh = 0;
		char *l;

		oracle_line(ps, b.p, b.len, 1, &gen);
		if (dups)
			continue;
		root = json_loadb(b.p, b.len, JFLAGS, NULL);
		if (root == NULL || !json_is_object(root)) {
			json_decref(root);
			continue;
		}
		buf_reset(&path);
		buf_reset(&leaves);
		buf_reset(&keys);
		buf_reset(&mine);
		owalk(root, 0, &path, &leaves, &keys);
		jscan_each_path(b.p, b.len, collect_quiet, &mine);
		if (strcmp(leaves.p ? leaves.p : "", mine.p ? mine.p : "") != 0) {
			if (eachbad++ < 3) {
				diag("each_path differs", b.p, b.len);
				printf("#   jansson: %s\n#   jscan:   %s\n",
				    leaves.p, mine.p);
			}
		}
		if (!leaves_get(b.p, b.len, root, leaves.p ? leaves.p : "", &gen))
			if (getbad++ < 3)
				diag("jscan_get of a leaf differs", b.p, b.len);
		l = exact(b.p, b.len);
		/* the shape hashes keys as written */
		if (strstr(b.p, "input\\u005ffeatures") != NULL)
			buf_adds(&keys, "(escaped)");
		if (jscan_line(NULL, l, b.len, NULL, &sh) == JSCAN_OK) {
			recs[nrec].shape = sh;
			recs[nrec++].keys = xstrdup(keys.p ? keys.p : "");
		}
		free(l);
		json_decref(root);
	}
	ok(gen.lines == nlines && gen.fails == 0,
	    "oracle: %zu generated lines agree with jansson (%zu valid, "
	    "%zu values; %zu failures)", gen.agree, gen.valid, gen.values,
	    gen.fails);
	ok(gen.valid > nlines * 9 / 10, "oracle: generated lines are mostly valid");
	ok(gen.surrogate + gen.overflow + gen.nulkey == 0,
	    "oracle: generated lines need no documented divergence");
	ok(eachbad == 0, "each_path: %zu lines match jansson's leaves (%zu differ)",
	    nrec, eachbad);
	ok(getbad == 0 && gen.getpaths > 10000,
	    "jscan_get: %zu leaf paths match jansson (%zu lines differ)",
	    gen.getpaths, getbad);

	/* the shape is equal exactly when the key paths are */
	qsort(recs, nrec, sizeof *recs, by_keys);
	for (i = 1; i < nrec; i++)
		if (strcmp(recs[i].keys, recs[i - 1].keys) == 0 &&
		    recs[i].shape != recs[i - 1].shape)
			shapebad++;
	qsort(recs, nrec, sizeof *recs, by_shape);
	for (i = 1, k = 1; i < nrec; i++) {
		if (recs[i].shape != recs[i - 1].shape) {
			k++;
			continue;
		}
		if (strcmp(recs[i].keys, recs[i - 1].keys) != 0)
			collide++;
	}
	ok(shapebad == 0 && collide == 0 && k > 10,
	    "shape: %zu shapes for %zu lines, %zu split, %zu collide", k, nrec,
	    shapebad, collide);
	for (i = 0; i < nrec; i++)
		free(recs[i].keys);
	free(recs);

	/* (b) truncated at every byte */
	g.s = 42;
	for (i = 0; i < 8; i++) {
		gen_line(&g, &b);
		for (k = 0; k < b.len; k++)
			oracle_line(ps, b.p, k, 0, &trunc);
	}
	ok(trunc.fails == 0 && trunc.lines > 1500,
	    "oracle: %zu truncations agree (%zu valid; %zu failures)",
	    trunc.agree, trunc.valid, trunc.fails);

	/* (c) mutated: bytes replaced, flipped, deleted, inserted; invalid
	 * UTF-8 and JSON syntax spliced in */
	{
		static const char *const inserts[] = { "\xc0\x80", "\xc1\xbf",
		    "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
		    "\x80", "\xe2\x82", "\xf0\x9f\x98", "\xf8\x88\x80\x80\x80",
		    "\\ud800", "\\udc00", "\\u0000", "\\x", "\\u12", "1e400",
		    "-", "0", "01", ".", "e", "E+", "\"", "\\", "{", "}", "[",
		    "]", ",", ":", " ", "\t", "\x01", "\x1f", "\x7f", "true",
		    "nul", "\xc3\xa9", "\xf0\x9f\x98\x80", "{}", "[]", "\"a\":",
		    "\\\"", "\\\\" };
		static const unsigned char bytes[] = { 0x00, 0x01, 0x1f, ' ',
		    '"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '-',
		    '+', '.', 'e', 'E', 'u', 'n', 't', 0x7f, 0x80, 0xbf, 0xc0,
		    0xc2, 0xc3, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff };

		g.s = 7;
		for (i = 0; i < 8000; i++) {
			size_t pos;
			unsigned op = rn(&g, 6);

			gen_line(&g, &b);
			buf_reset(&m);
			buf_add(&m, b.p, b.len);
			pos = rn(&g, (unsigned)m.len);
			switch (op) {
			case 0:
				m.p[pos] = (char)bytes[rn(&g, sizeof bytes)];
				break;
			case 1:
				m.p[pos] ^= (char)(1 << rn(&g, 8));
				break;
			case 2:
				memmove(m.p + pos, m.p + pos + 1, m.len - pos - 1);
				m.len--;
				break;
			case 3:
			case 4: {
				const char *s = PICK(&g, inserts);
				size_t sl = strlen(s);

				buf_reserve(&m, sl);
				memmove(m.p + pos + sl, m.p + pos, m.len - pos);
				memcpy(m.p + pos, s, sl);
				m.len += sl;
				break;
			}
			default:
				m.p[pos] = (char)rn(&g, 256);
				m.p[rn(&g, (unsigned)m.len)] = (char)rn(&g, 256);
			}
			oracle_line(ps, m.p, m.len, 1, &mut);
		}
	}
	ok(mut.fails == 0,
	    "oracle: %zu mutated lines agree (%zu valid, %zu invalid, %zu not "
	    "objects; %zu failures)", mut.agree, mut.valid, mut.invalid,
	    mut.notobj, mut.fails);
	ok(mut.valid > 500 && mut.invalid > 4000,
	    "oracle: mutations give both valid and invalid lines");
	ok(mut.kinddiff == 0 && trunc.kinddiff == 0,
	    "oracle: invalid lines are BAD_UTF8 exactly when jansson says "
	    "invalid UTF-8 (%zu + %zu lines, %zu + %zu differ)", mut.kindsame,
	    trunc.kindsame, mut.kinddiff, trunc.kinddiff);
	printf("# documented divergences in mutated lines: unpaired surrogate "
	    "%zu, number overflow %zu, NUL in key %zu\n", mut.surrogate,
	    mut.overflow, mut.nulkey);
	ok(mut.surrogate > 0 && mut.overflow > 0,
	    "oracle: the documented divergences were exercised");
	printf("# oracle time %.2f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);

	jscan_paths_free(ps);
	buf_free(&b);
	buf_free(&m);
	buf_free(&path);
	buf_free(&leaves);
	buf_free(&keys);
	buf_free(&mine);
}

/* The documented divergences, one by one, and the flags that avoid others. */
static void
test_divergences(void)
{
	static const struct {
		const char *s;
		const char *jansson;	/* jansson's message, NULL: accepts */
		size_t flags;
	} cases[] = {
		{ "{\"a\":\"\\ud800\"}", "invalid Unicode", JFLAGS },
		{ "{\"a\":\"\\udc00\\ud800\"}", "invalid Unicode", JFLAGS },
		{ "{\"a\":1e400}", "real number overflow", JFLAGS },
		{ "{\"a\":-1e400}", "real number overflow", JFLAGS },
		{ "{\"a\\u0000b\":1}", "NUL byte in object key", JFLAGS },
		{ "{\"a\":123456789012345678901234567890}", "too big integer",
		    JSON_DECODE_ANY | JSON_ALLOW_NUL },
		{ "{\"a\":123456789012345678901234567890}", NULL, JFLAGS },
		{ "{\"a\":\"\\u0000\"}", "JSON_ALLOW_NUL", JSON_DECODE_ANY },
		{ "{\"a\":\"\\u0000\"}", NULL, JFLAGS },
		{ "{\"a\":1e-400}", NULL, JFLAGS },
		{ "1", "'[' or '{' expected", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_error_t err;
		json_t *j = json_loadb(cases[i].s, strlen(cases[i].s),
		    cases[i].flags, &err);
		int v = scanv(cases[i].s, strlen(cases[i].s));

		if (cases[i].jansson == NULL)
			ok(j != NULL, "jansson accepts %s", cases[i].s);
		else
			ok(j == NULL && strstr(err.text, cases[i].jansson) != NULL,
			    "jansson rejects %s: %s", cases[i].s,
			    j ? "(accepted)" : err.text);
		ok(v == (cases[i].s[0] == '{' ? JSCAN_OK : JSCAN_NOT_OBJECT),
		    "jscan accepts %s", cases[i].s);
		json_decref(j);
	}
}

int
main(void)
{
	test_verdicts();
	test_truncated();
	test_depth();
	test_numbers();
	test_strings();
	test_paths();
	test_each_shape();
	test_locale();
	test_divergences();
	test_oracle();
	free(held);
	return tap_done();
}
