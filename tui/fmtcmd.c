/* logdive formats: the text log formats (backends/textfmt.h) listed, and
 * a file's first lines shown as a format reads them. No curses. */
#include "config.h"
#include "tui/cli.h"
#include "backends/jscan.h"
#include "backends/reader.h"
#include "backends/textfmt.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/mapping.h"
#include "tui/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TEST_LINES	20
#define TEST_BYTES	((size_t)4 << 20)

struct warns {
	char	**v;
	size_t	  n;
};

static void
keep_warn(void *arg, const char *line)
{
	struct warns *w = arg;
	w->v = xreallocarray(w->v, w->n + 1, sizeof *w->v);
	w->v[w->n++] = xstrdup(line);
}

static void
warns_free(struct warns *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
}

static const char *
origin_text(const struct tf_format *f)
{
	switch (tf_origin(f)) {
	case TF_USER: return "user";
	case TF_SHIPPED: return "shipped";
	default: return "file";
	}
}

static int
list_formats(const struct cli *c, struct tf_set *set, const struct warns *w)
{
	if (c->format == OUT_JSON) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "[");
		for (size_t i = 0; i < set->n; i++) {
			const struct tf_format *f = set->v[i];
			buf_adds(&b, i ? ",\n " : "\n ");
			buf_adds(&b, "{\"name\": ");
			buf_add_json_string(&b, tf_name(f), strlen(tf_name(f)));
			buf_printf(&b, ", \"origin\": \"%s\", \"file\": ", origin_text(f));
			buf_add_json_string(&b, tf_file(f) ? tf_file(f) : "",
			    tf_file(f) ? strlen(tf_file(f)) : 0);
			buf_adds(&b, ", \"description\": ");
			buf_add_json_string(&b, tf_description(f), strlen(tf_description(f)));
			buf_adds(&b, ", \"patterns\": [");
			for (size_t k = 0; k < tf_npatterns(f); k++) {
				if (k)
					buf_adds(&b, ", ");
				buf_add_json_string(&b, tf_pattern_name(f, k),
				    strlen(tf_pattern_name(f, k)));
			}
			buf_adds(&b, "]}");
		}
		buf_adds(&b, "\n]\n");
		fputs(b.p, stdout);
		buf_free(&b);
	} else {
		printf("%-20s %-8s %s\n", "NAME", "ORIGIN", "DESCRIPTION");
		printf("%-20s %-8s %s\n", "json", "builtin", "JSON lines (one object per line): "
		    "the default, and the first tried");
		for (size_t i = 0; i < set->n; i++) {
			const struct tf_format *f = set->v[i];
			printf("%-20s %-8s %s\n", tf_name(f), origin_text(f), tf_description(f));
			if (tf_origin(f) == TF_USER && tf_file(f))
				printf("%-20s %-8s (%s)\n", "", "", tf_file(f));
		}
	}
	for (size_t i = 0; i < w->n; i++)
		fprintf(stderr, "logdive: warning: %s\n", w->v[i]);
	return w->n ? LD_EUSAGE : LD_OK;
}

/* Print v for people: strings as JSON strings (escapes visible). */
static void
put_value(struct buf *b, const struct jv *v)
{
	struct buf tmp = BUF_INIT;
	switch (v->type) {
	case JV_STRING:
		jscan_unescape(v, &tmp);
		buf_add_json_string(b, tmp.p ? tmp.p : "", tmp.len);
		break;
	case JV_MISSING:
		buf_adds(b, "-");
		break;
	default:
		buf_add(b, v->p, v->len > 200 ? 200 : v->len);
		if (v->len > 200)
			buf_adds(b, "...");
	}
	buf_free(&tmp);
}

/* One record's fields and roles. */
static void
show_record(struct buf *b, const struct tf_format *f, struct tf_rec *tr,
    const struct mapping *m, const struct jscan_paths *ps, const char *const *paths,
    size_t np, const int role_at[ROLE_COUNT][MAPPING_MAX_CANDIDATES])
{
	char iso[48];
	tf_check_json(tr);
	buf_printf(b, "  pattern %s\n", tf_pattern_name(f, (size_t)tr->pat));
	for (size_t i = 0; i < tr->nf; i++) {
		struct tf_field *fl = &tr->f[i];
		buf_printf(b, "    %-28.*s %-9s ", (int)fl->namelen, fl->name, tf_field_type(fl));
		put_value(b, &fl->v);
		if (fl->is_time) {
			if (tf_field_time(tr, fl) == TIME_NONE)
				buf_adds(b, "  -> unreadable (no_time)");
			else
				buf_printf(b, "  -> %s%s", time_format_iso(fl->t, -1, iso, sizeof iso),
				    fl->naive ? " (no zone: UTC assumed)" : "");
		}
		buf_addc(b, '\n');
	}
	if (tr->json)
		buf_printf(b, "    %-28s %-9s %zu bytes (its keys are fields)\n", "(body)", "json",
		    tr->jsonlen);
	struct jv out[JSCAN_MAX_PATHS];
	int64_t t;
	int naive;
	tf_extract(f, tr, m, ps, paths, np, role_at, out, &t, &naive, NULL);
	buf_adds(b, "  roles:");
	if (t == TIME_NONE)
		buf_adds(b, " time=(none: no_time)");
	else
		buf_printf(b, " time=%s%s", time_format_iso(t, -1, iso, sizeof iso),
		    naive ? "(naive)" : "");
	for (int r = 1; r < ROLE_COUNT; r++)
		for (size_t k = 0; k < m->npaths[r]; k++) {
			const struct jv *v = &out[role_at[r][k]];
			if (v->type == JV_MISSING)
				continue;
			buf_printf(b, " %s=", role_name((enum role)r));
			put_value(b, v);
			break;
		}
	buf_addc(b, '\n');
}

static int
test_format(const struct cli *c, const struct tf_format *f)
{
	struct rsrc src;
	struct ld_err err;
	struct mapping m;
	err_clear(&err);
	memset(&src, 0, sizeof src);
	if (reader_open(&src, c->sources[0], NULL, NULL, &err) != LD_OK && src.fd < 0) {
		fprintf(stderr, "logdive: %s\n", err.msg);
		return LD_ESOURCE;
	}
	mapping_default(&m);
	if (c->mapping && mapping_load(&m, c->mapping, &err) != LD_OK) {
		fprintf(stderr, "logdive: %s\n", err.msg);
		reader_close(&src);
		return LD_EUSAGE;
	}
	const char *paths[JSCAN_MAX_PATHS];
	int role_at[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
	size_t np = 0;
	for (int r = 0; r < ROLE_COUNT; r++)
		for (size_t i = 0; i < m.npaths[r]; i++) {
			size_t k;
			for (k = 0; k < np && strcmp(paths[k], m.paths[r][i]); k++)
				;
			if (k == np && np < JSCAN_MAX_PATHS)
				paths[np++] = m.paths[r][i];
			role_at[r][i] = (int)(k < JSCAN_MAX_PATHS ? k : 0);
		}
	struct jscan_paths *ps = jscan_paths_new(paths, np);
	char *buf = xmalloc(TEST_BYTES + 1);
	ssize_t got = reader_pread(src.fd, buf, TEST_BYTES, 0);
	size_t n = got > 0 ? (size_t)got : 0;
	struct tf_rec *tr = xmalloc(sizeof *tr);
	struct buf out = BUF_INIT, key = BUF_INIT, prevkey = BUF_INIT;
	struct stat st;
	tf_rec_init(tr);
	tr->ref = !src.spooled && fstat(src.fd, &st) == 0 ?
	    (int64_t)st.st_mtim.tv_sec * NS_PER_SEC + st.st_mtim.tv_nsec : time_now();
	size_t want = c->lines ? c->lines : TEST_LINES, shown = 0, matched = 0, lineno = 0;
	size_t pos = 0;
	int have_prev = 0, prev_keyed = 0;
	if (tf_infers_year(f)) {
		time_t rs = (time_t)(tr->ref / NS_PER_SEC);
		struct tm tm;
		gmtime_r(&rs, &tm);
		buf_printf(&out, "(year inferred %d from %s; zone %s)\n", tm.tm_year + 1900,
		    src.spooled ? "the current time" : "the file's mtime",
		    tf_tz() ? tf_tz() : "UTC assumed (--tz)");
	}
	while (pos < n && shown < want) {
		char *nl = memchr(buf + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (buf + pos)) : n - pos;
		const char *line = buf + pos;
		pos += len + 1;
		lineno++;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		size_t k = 0;
		while (k < len && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == len)
			continue;
		shown++;
		buf_printf(&out, "%zu: ", lineno);
		buf_add_json_string(&out, line, len > 300 ? 300 : len);
		buf_adds(&out, len > 300 ? " (cut)\n" : "\n");
		if (!tf_parse(f, tr, line, len)) {
			if (have_prev && tf_is_continuation(f, tr, line, len)) {
				buf_adds(&out, "  continuation: joins the record above\n");
				continue;
			}
			buf_adds(&out, "  no pattern matches: kept as an unparsed record; tried\n");
			for (size_t p = 0; p < tf_npatterns(f); p++)
				buf_printf(&out, "    %s: %s\n", tf_pattern_name(f, p),
				    tf_pattern_regex(f, p));
			have_prev = 0;
			continue;
		}
		matched++;
		int keyed = tf_join_key(f, tr, &key);
		if (keyed && have_prev && prev_keyed && key.len == prevkey.len &&
		    memcmp(key.p, prevkey.p, key.len) == 0) {
			buf_printf(&out, "  pattern %s; same %s as the record above: joins it if that "
			    "one is %s\n", tf_pattern_name(f, (size_t)tr->pat), "time and thread",
			    tf_join_after_error(f) ? "an error" : "a record");
			continue;
		}
		show_record(&out, f, tr, &m, ps, paths, np,
		    (const int (*)[MAPPING_MAX_CANDIDATES])role_at);
		have_prev = 1;
		prev_keyed = key.len > 0;
		if (prev_keyed) {
			struct buf x = prevkey;
			prevkey = key;
			key = x;
		}
	}
	fputs(out.p ? out.p : "", stdout);
	if (shown == 0)
		printf("(no line in %s)\n", c->sources[0]);
	buf_free(&out);
	buf_free(&key);
	buf_free(&prevkey);
	tf_rec_free(tr);
	free(tr);
	free(buf);
	jscan_paths_free(ps);
	mapping_free(&m);
	reader_close(&src);
	return matched ? LD_OK : LD_NOMATCH;
}

int
cli_run_formats(const struct cli *c)
{
	struct tf_set set = { NULL, 0 };
	struct warns w = { NULL, 0 };
	int rc;

	tf_set_load_default(&set, keep_warn, &w);
	if (c->sub == NULL)
		rc = list_formats(c, &set, &w);
	else {
		const struct tf_format *f = tf_set_find(&set, c->name);
		if (f == NULL) {
			/* a refused definition says why */
			const char *why = NULL;
			char pat[200];
			snprintf(pat, sizeof pat, "/%s.json:", c->name);
			for (size_t i = 0; i < w.n && !why; i++)
				if (strstr(w.v[i], pat))
					why = w.v[i];
			if (why)
				fprintf(stderr, "logdive: %s\n", why);
			else {
				char *names = tf_set_names(&set);
				fprintf(stderr, "logdive: no format named '%s'%s; use one of %s "
				    "(logdive formats lists them)\n", c->name,
				    strcmp(c->name, "json") == 0 ? " to test (json is built in)" : "",
				    names);
				free(names);
			}
			rc = LD_EUSAGE;
		} else
			rc = test_format(c, f);
	}
	warns_free(&w);
	tf_set_free(&set);
	return rc;
}
