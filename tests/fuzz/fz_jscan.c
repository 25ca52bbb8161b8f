/* JSON-line ingest and field extraction (backends/jscan.h): jscan_line
 * with the default mapping's paths, jscan_get, jscan_each_path,
 * jscan_unescape, with jansson as the oracle of the verdict and of the
 * top-level values. Input: one line. */
#include "config.h"
#include "backends/jscan.h"
#include "queries/mapping.h"
#include "tests/fuzz/fz.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>

static struct jscan_paths *ps;
static const char *P[JSCAN_MAX_PATHS];
static size_t np;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct mapping m;

	(void)argc;
	(void)argv;
	mapping_default(&m);
	for (int r = 0; r < ROLE_COUNT; r++)
		for (size_t i = 0; i < m.npaths[r] && np < JSCAN_MAX_PATHS; i++) {
			size_t k;
			for (k = 0; k < np && strcmp(P[k], m.paths[r][i]); k++)
				;
			if (k == np)
				P[np++] = m.paths[r][i];
		}
	ps = jscan_paths_new(P, np);
	if (ps == NULL)
		abort();
	return 0;
}

static size_t leaves;

static void
each(void *ctx, const char *path, size_t pathlen, enum jv_type t)
{
	(void)ctx;
	if (path[pathlen] != '\0' || t == JV_MISSING)
		abort();
	leaves++;
}

static void
check_string(const struct jv *v)
{
	struct buf b = BUF_INIT;
	if (jscan_unescape(v, &b) != 0)
		abort();
	buf_free(&b);
}

/* jscan's value of top-level key k (no dot in it) against jansson's. */
static void
compare(const char *line, size_t len, const char *k, json_t *jv)
{
	struct jv v[4];
	size_t n = jscan_get(line, len, k, v, 4);

	if (json_is_array(jv)) {
		if (n != json_array_size(jv))
			abort();
		return;
	}
	if (n != 1)
		abort();
	switch (json_typeof(jv)) {
	case JSON_OBJECT: if (v[0].type != JV_OBJECT) abort(); break;
	case JSON_TRUE: if (v[0].type != JV_TRUE) abort(); break;
	case JSON_FALSE: if (v[0].type != JV_FALSE) abort(); break;
	case JSON_NULL: if (v[0].type != JV_NULL) abort(); break;
	case JSON_REAL:
	case JSON_INTEGER:
		if (v[0].type != JV_NUMBER)
			abort();
		if (!v[0].overflow && v[0].num != json_number_value(jv) &&
		    !(isnan(v[0].num) && isnan(json_number_value(jv))))
			abort();
		break;
	case JSON_STRING: {
		struct buf b = BUF_INIT;
		if (v[0].type != JV_STRING || jscan_unescape(&v[0], &b) != 0)
			abort();
		if (b.len != json_string_length(jv) ||
		    memcmp(b.p ? b.p : "", json_string_value(jv), b.len) != 0)
			abort();
		buf_free(&b);
		break;
	}
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fz_dup(data, size);
	struct jv out[JSCAN_MAX_PATHS], g[8];
	uint64_t shape;
	int vd = jscan_line(ps, line, size, out, &shape);
	int vd2 = jscan_line(NULL, line, size, NULL, NULL);
	json_error_t je;
	json_t *j = json_loadb(line, size, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &je);

	if (vd != vd2)
		abort();
	if (vd == JSCAN_OK) {
		for (size_t i = 0; i < np; i++)
			if (out[i].type == JV_STRING)
				check_string(&out[i]);
			else if (out[i].type == JV_NUMBER && !out[i].overflow &&
			    jscan_number(out[i].p, out[i].len, NULL) != out[i].num &&
			    !isnan(out[i].num))
				abort();
		for (size_t i = 0; i < np; i++) {
			size_t n = jscan_get(line, size, P[i], g, 8);
			for (size_t k = 0; k < n && k < 8; k++)
				if (g[k].type == JV_STRING)
					check_string(&g[k]);
		}
		leaves = 0;
		jscan_each_path(line, size, each, NULL);
	} else {
		if (jscan_get(line, size, "a", g, 8) != 0)
			abort();
	}
	/* the oracle: what jansson takes as an object, jscan takes too
	 * (the reverse has the known differences of jscan.h) */
	/* (jansson takes a NUL byte after a value as if it were blank,
	 * {"a":1<NUL>}, which RFC 8259 does not: no oracle then) */
	if (json_is_object(j) && memchr(line, '\0', size) == NULL) {
		const char *k;
		json_t *v;
		if (vd != JSCAN_OK)
			abort();
		json_object_foreach(j, k, v) {
			size_t kl = strlen(k);
			if (kl == 0 || kl > JSCAN_PATH_MAX || strchr(k, '.') != NULL)
				continue;
			/* a key spelled with an escaped NUL is cut short by jansson */
			compare(line, size, k, v);
		}
	} else if (j != NULL && !json_is_object(j) && vd != JSCAN_NOT_OBJECT &&
	    memchr(line, '\0', size) == NULL)
		abort();
	json_decref(j);
	free(line);
	return 0;
}
