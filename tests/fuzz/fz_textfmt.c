/* The text-format line parser (backends/textfmt.h) with the shipped
 * formats of share/formats: tf_parse, tf_extract (default mapping),
 * tf_get, tf_each_path, tf_render, tf_join_key, tf_is_continuation.
 * Input: one byte choosing the format, then the record's text (it may
 * span lines). With FZ_TFDEF, the input is a format definition instead
 * (tf_load_text), then its samples are parsed. */
#include "config.h"
#include "backends/textfmt.h"
#include "tests/fuzz/fz.h"

#include <stdio.h>

static struct tf_set set;
static struct tf_rec R;
static struct mapping M;
static const char *P[JSCAN_MAX_PATHS];
static int RA[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
static size_t NP;
static struct jscan_paths *PS;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dirs[] = { FZ_SRCDIR "/share/formats" };
	enum tf_origin o[] = { TF_SHIPPED };

	(void)argc;
	(void)argv;
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
	if (tf_set_load(&set, dirs, o, 1, NULL, NULL) != 0 || set.n == 0)
		abort();
	tf_rec_init(&R);
	R.ref = INT64_C(1772161200000000000);
	return 0;
}

static void
each(void *ctx, const char *path, size_t pathlen, enum jv_type t)
{
	(void)ctx;
	(void)t;
	if (path[pathlen] != '\0')
		abort();
	struct jv v[4];
	(void)tf_get(&R, path, v, 4);
}

static void
one(const struct tf_format *f, const char *text, size_t len)
{
	struct jv out[JSCAN_MAX_PATHS];
	struct buf b = BUF_INIT;
	int64_t t;
	int naive;
	uint64_t shape;

	if (tf_parse(f, &R, text, len)) {
		tf_extract(f, &R, &M, PS, P, NP, (const int (*)[MAPPING_MAX_CANDIDATES])RA, out,
		    &t, &naive, &shape);
		tf_each_path(&R, each, NULL);
		for (size_t i = 0; i < R.nf; i++)
			(void)tf_field_time(&R, &R.f[i]);
		(void)tf_shape(&R);
		tf_join_key(f, &R, &b);
		buf_reset(&b);
		tf_render(&R, text, len, &b);
		/* the record as JSON is one valid object */
		if (jscan_line(NULL, b.p, b.len, NULL, NULL) != JSCAN_OK) {
			fprintf(stderr, "tf_render gave: %s\n", b.p);
			abort();
		}
	} else {
		(void)tf_is_continuation(f, &R, text, len);
		tf_render(&R, text, len, &b);
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FZ_TFDEF
	struct tf_format *f = NULL;
	struct ld_err err = { 0 };
	char *text = fz_dup(data, size);

	if (tf_load_text(text, size, "fz.json", TF_FILE, &f, &err) == LD_OK) {
		static const char *const lines[] = {
			"2026-02-27 03:00:00,123 - x - INFO - hello",
			"level=info msg=\"a b\" latency_ms=5",
			"{\"a\":1}", "  File \"x.py\", line 1", ""
		};
		for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
			one(f, lines[i], strlen(lines[i]));
		tf_free(f);
	} else if (err.msg[0] == '\0')
		abort();
	free(text);
#else
	if (size < 1)
		return 0;
	const struct tf_format *f = set.v[data[0] % set.n];
	char *text = fz_dup(data + 1, size - 1);
	one(f, text, size - 1);
	free(text);
#endif
	return 0;
}
