/* The Grafana Loki backend (issue 4): LogQL metric queries compute the
 * panels on the server, several at once; what LogQL cannot compute (the
 * mean of a confidence array) is computed here from shrunk lines; lists
 * and traces page through log queries the way logcli does. The LogQL text
 * comes from backends/logql.c; "§n" are sections of
 * shared/protocols/loki.md. */
#include "config.h"
#include "backends/backend.h"
#include "backends/http.h"
#include "backends/logql.h"
#include "backends/remote.h"
#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/stats.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOKI_PAGE	5000	/* entries per log query: Loki's default
				   max_entries_limit_per_query (§5) */
#define LOKI_MAX_HITS	remote_list_cap()	/* a list holds no more unless asked */
#define LOKI_SAMPLE	500	/* lines read to learn the fields */
#define LOKI_PARALLEL	32	/* queries in flight: a refresh is about 30,
				   Loki's max_query_parallelism is 32 */
#define INSECURE_WARNING "TLS verification is off (--insecure)"
/* A label that is a JSON number (RFC 8259 §6): the records a numeric panel
 * counts. A regex, since Loki before 3.1 has no negative literals to say
 * "L >= -Inf". */
#define NUMBER_RE "-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?"

struct lokib {
	struct http_client *cl;
	char		*base;		/* http(s)://host:port[/prefix] */
	char		*shown;		/* for messages (redacted) */
	struct logql_selector sel;
	struct logql_selector *tsel;	/* trace_sources of the config, or NULL */
	size_t		 ntsel;
	pthread_mutex_t	 mu;		/* guards labels and recs */
	struct logql_labels labels;
	char		**paths;	/* field paths seen in sampled lines */
	size_t		 npaths;
	const char	*role[ROLE_COUNT];	/* full paths (mapping's), NULL if none */
	int		 insecure;
	int		 no_negative;	/* before 3.1 (or unknown): no negative
					   numbers in label filters */
	char		 version[32];	/* from buildinfo, "" if unknown */
	int		 have_range;	/* the range to sample fields in */
	struct time_range range;
	struct time_range last;		/* the last range asked: traces search
					   around it */
	int		 have_last;
	char		**recs;		/* record texts handed out by hits */
	size_t		 nrecs, cap;
	_Atomic size_t	 page;		/* entries per log query: LOKI_PAGE, or
					   the server's max_entries_limit */
	_Atomic int64_t	 max_len;	/* the server's max_query_length, ns; 0:
					   not met yet */
	_Atomic int64_t	 max_range;	/* its max_query_range (a range vector's
					   [interval]), ns; 0: not met yet */
	int64_t		 live_last;	/* --follow: the last tick (poll) */
};

/* A Go or Prometheus duration as Loki prints its limits ("721h0m0s",
 * "30d1h", "1h30m"): ns, or 0 if it is not one. */
static int64_t
go_duration(const char *s, size_t n)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ms", NS_PER_MS }, { "y", 365 * 86400 * NS_PER_SEC },
		{ "w", 7 * 86400 * NS_PER_SEC }, { "d", 86400 * NS_PER_SEC },
		{ "h", 3600 * NS_PER_SEC }, { "m", 60 * NS_PER_SEC }, { "s", NS_PER_SEC },
	};
	int64_t total = 0;
	size_t i = 0;

	while (i < n) {
		int64_t v = 0;
		size_t k, d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && v < INT64_MAX / 10)
			v = v * 10 + (s[i++] - '0');
		if (i == d)
			return 0;
		for (k = 0; k < sizeof units / sizeof units[0]; k++)
			if (strncmp(s + i, units[k].u, strlen(units[k].u)) == 0)
				break;
		if (k == sizeof units / sizeof units[0])
			return 0;
		total += v * units[k].ns;
		i += strlen(units[k].u);
	}
	return total;
}

/* A 400 that tells a limit of the server: learn it and return 1 (ask
 * again), else 0. "max entries limit per query exceeded, limit >
 * max_entries_limit_per_query (5000 > 1000)" (before 3.4:
 * "max_entries_limit (5000 > 1000)"); "the query time range
 * exceeds the limit (query length: 744h0m0s, limit: 30d1h)" (§6). */
static int
learn_limit(struct lokib *l, const struct ld_err *err)
{
	const char *p;

	if ((p = strstr(err->msg, "max_entries_limit")) != NULL &&
	    (p = strchr(p, '(')) != NULL && (p = strstr(p, " > ")) != NULL) {
		long v = strtol(p + 3, NULL, 10);
		if (v > 0 && (size_t)v < l->page) {
			l->page = (size_t)v;
			return 1;
		}
	}
	/* max_query_range, a range vector's [interval] (a 500): "[interval]
	 * value exceeds limit: [24h] > [1h]" */
	if ((p = strstr(err->msg, "[interval] value exceeds limit: [")) != NULL &&
	    (p = strstr(p, "] > [")) != NULL) {
		int64_t v = go_duration(p + 5, strcspn(p + 5, "]"));
		if (v > 0 && (l->max_range == 0 || v < l->max_range)) {
			l->max_range = v;
			return 1;
		}
	}
	if ((p = strstr(err->msg, "exceeds the limit (query length: ")) != NULL &&
	    (p = strstr(p, "limit: ")) != NULL) {
		int64_t v = go_duration(p + 7, strcspn(p + 7, ")"));
		if (v > 0 && (l->max_len == 0 || v < l->max_len)) {
			l->max_len = v;
			return 1;
		}
	}
	return 0;
}

static int
has_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

/* ---- HTTP ---- */

static void
form_add(struct buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	if (b->len)
		buf_addc(b, '&');
	buf_adds(b, name);
	buf_addc(b, '=');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_addc(b, (char)*p);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

static void
form_time(struct buf *b, const char *name, int64_t ns)
{
	char s[32];

	snprintf(s, sizeof s, "%lld", (long long)ns);	/* > 1e10: nanoseconds (§1.3) */
	form_add(b, name, s);
}

/* Loki's answer as one line: the status, then the plain-text body (§6). */
static int
loki_status_err(struct lokib *l, const char *url, const struct http_resp *r,
    const char *query, struct ld_err *err)
{
	char *vis;
	const char *body = r->body.p ? r->body.p : "";
	size_t n = strcspn(body, "\n");

	/* a redirect (not followed: say where it points) and a proxy asking
	 * for credentials are explained by http.c whatever the body */
	if ((r->status >= 300 && r->status < 400) || r->status == 407)
		return http_status_err(l->cl, url, r, err);
	if (r->content_type && has_prefix(r->content_type, "text/plain") && n > 0) {
		if (n > 300)
			n = 300;
		vis = str_visible(body, n, 0);
		if (r->status == 400 && query != NULL)
			err_set(err, LD_ESOURCE, "Loki at %s answered 400: %s (LogQL: %.200s)",
			    l->shown, vis, query);
		else if (r->status == 401 || r->status == 403) {
			char who[160];
			err_set(err, LD_ESOURCE, "Loki at %s answered %ld: %s (%s)", l->shown,
			    r->status, vis, http_auth_desc(http_client_conf(l->cl), who,
			    sizeof who));
		} else
			err_set(err, LD_ESOURCE, "Loki at %s answered %ld: %s", l->shown,
			    r->status, vis);
		free(vis);
		http_scrub(l->cl, err);		/* a body may quote the request */
		return LD_ESOURCE;
	}
	return http_status_err(l->cl, url, r, err);
}

/* Check one response: 2xx with a JSON "status": "success" envelope. */
static int
loki_decode(struct lokib *l, const char *url, struct http_resp *r, const char *query,
    json_t **out, struct ld_err *err)
{
	json_error_t je;

	*out = NULL;
	if (r->status >= 300)
		return loki_status_err(l, url, r, query, err);
	*out = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, &je);
	if (*out == NULL) {
		err_set(err, LD_ESOURCE, "Loki at %s answered %ld with a body that is "
		    "not JSON (%s): a proxy in the way?", l->shown, r->status, je.text);
		http_scrub(l->cl, err);
		return LD_ESOURCE;
	}
	const char *st = json_string_value(json_object_get(*out, "status"));
	if (st != NULL && strcmp(st, "success") != 0) {
		const char *e = json_string_value(json_object_get(*out, "error"));
		err_set(err, LD_ESOURCE, "Loki at %s: %s", l->shown, e ? e : st);
		http_scrub(l->cl, err);
		json_decref(*out);
		*out = NULL;
		return LD_ESOURCE;
	}
	return LD_OK;
}

static int
loki_get(struct backend *b, const char *path, const char *form, json_t **out,
    struct ld_err *err)
{
	struct lokib *l = b->priv;
	char *url = xasprintf("%s%s%s%s", l->base, path, form ? "?" : "", form ? form : "");
	struct http_req req = { "GET", url, NULL, 0, NULL, NULL, NULL };
	struct http_resp r;
	int rc = http_request(l->cl, &req, &r, &b->cancel, err);

	if (rc == LD_OK)
		rc = loki_decode(l, url, &r, NULL, out, err);
	else
		*out = NULL;
	http_resp_free(&r);
	free(url);
	return rc;
}

/* One query for a batch: POST form (Loki takes both GET and POST). */
struct lq {
	char		*query;		/* LogQL, owned */
	int		 instant;	/* /query at time, else /query_range */
	int64_t		 time, start, end, step;
	size_t		 limit;		/* log queries */
	int		 forward;
	/* results */
	json_t		*res;		/* data.result */
	char		*body;		/* the form sent */
	char		*url;
};

static void
lq_clear(struct lq *q)
{
	free(q->query);
	free(q->body);
	free(q->url);
	json_decref(q->res);
	memset(q, 0, sizeof *q);
}

/* Send qs[0..n) at once; each gets its data.result. The first failure
 * (in order) is the error. */
static int
run_queries(struct backend *b, struct lq *qs, size_t n, struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct http_req *reqs = xcalloc(n ? n : 1, sizeof *reqs);
	struct http_resp *resps = xcalloc(n ? n : 1, sizeof *resps);
	struct ld_err *errs = xcalloc(n ? n : 1, sizeof *errs);
	static const char *const hdr[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL
	};
	int rc = LD_OK;
	const char *dbg = getenv("LOGDIVE_DEBUG_LOGQL");
	FILE *df = dbg && *dbg ? fopen(dbg, "a") : NULL;	/* each query, a line */

	for (size_t i = 0; i < n; i++) {
		struct buf f = BUF_INIT;
		if (df)
			fprintf(df, "%s\n", qs[i].query);
		form_add(&f, "query", qs[i].query);
		if (qs[i].instant)
			form_time(&f, "time", qs[i].time);
		else {
			form_time(&f, "start", qs[i].start);
			form_time(&f, "end", qs[i].end);
			if (qs[i].step) {
				char s[32];
				snprintf(s, sizeof s, "%lldms", (long long)(qs[i].step / NS_PER_MS));
				form_add(&f, "step", s);
			}
		}
		if (qs[i].limit) {
			char s[32];
			snprintf(s, sizeof s, "%zu", qs[i].limit);
			form_add(&f, "limit", s);
			form_add(&f, "direction", qs[i].forward ? "forward" : "backward");
		}
		qs[i].body = buf_detach(&f);
		qs[i].url = xasprintf("%s/loki/api/v1/%s", l->base,
		    qs[i].instant ? "query" : "query_range");
		reqs[i].method = "POST";
		reqs[i].url = qs[i].url;
		reqs[i].body = qs[i].body;
		reqs[i].body_len = strlen(qs[i].body);
		reqs[i].headers = hdr;
	}
	if (df)
		fclose(df);
	if (n == 1)
		rc = http_request(l->cl, &reqs[0], &resps[0], &b->cancel, &errs[0]);
	else
		http_batch(l->cl, reqs, resps, errs, n, &b->cancel);
	for (size_t i = 0; i < n; i++) {
		json_t *o = NULL;
		int r1 = n == 1 ? rc : (int)errs[i].status;
		if (r1 == LD_OK && resps[i].status == 0)
			r1 = errs[i].status != LD_OK ? (int)errs[i].status : (int)LD_ESOURCE;
		if (r1 == LD_OK)
			r1 = loki_decode(l, qs[i].url, &resps[i], qs[i].query, &o, &errs[i]);
		if (r1 == LD_OK) {
			qs[i].res = json_incref(json_object_get(json_object_get(o, "data"),
			    "result"));
			if (qs[i].res == NULL)
				r1 = err_set(&errs[i], LD_ESOURCE, "Loki at %s: the answer has no "
				    "data.result", l->shown);
		}
		json_decref(o);
		if (r1 != LD_OK && rc == LD_OK) {
			rc = r1;
			*err = errs[i];
		} else if (r1 != LD_OK && n == 1) {
			*err = errs[i];
		}
		http_resp_free(&resps[i]);
	}
	if (b->cancel)
		rc = err_set(err, LD_ECANCEL, "cancelled");
	free(reqs);
	free(resps);
	free(errs);
	return rc;
}

/* ---- fields ---- */

static void
add_path(struct lokib *l, const char *p)
{
	for (size_t i = 0; i < l->npaths; i++)
		if (strcmp(l->paths[i], p) == 0)
			return;
	l->paths = xreallocarray(l->paths, l->npaths + 1, sizeof *l->paths);
	l->paths[l->npaths++] = xstrdup(p);
}

static void
walk_keys(struct lokib *l, json_t *o, const char *prefix, int depth)
{
	const char *k;
	json_t *v;

	if (depth > 16)
		return;
	json_object_foreach(o, k, v) {
		char *p = prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);
		if (json_is_object(v))
			walk_keys(l, v, p, depth + 1);
		else
			add_path(l, p);
		free(p);
	}
}

/* ---- vtable ---- */

static int
loki_open(struct backend *b, const struct backend_opts *o, struct ld_err *err)
{
	struct lokib *l = xcalloc(1, sizeof *l);
	struct http_conf conf;
	const char *s = o->sources[0], *rest, *host, *sel;
	char *seltext;
	int rc;

	b->priv = l;
	pthread_mutex_init(&l->mu, NULL);
	l->page = LOKI_PAGE;
	if (o->nsources != 1)
		return err_set(err, LD_EUSAGE, "one Loki source at a time (a stream selector "
		    "reaches many streams)");
	rest = s + 5;				/* after "loki+" */
	if (!has_prefix(rest, "http://") && !has_prefix(rest, "https://"))
		return err_set(err, LD_EUSAGE, "%s: use loki+https://HOST:3100/{SELECTOR} "
		    "(or loki+http://)", s);
	host = strstr(rest, "://") + 3;
	sel = strstr(host, "/{");
	if (sel == NULL)
		sel = strcasestr(host, "/%7B");
	const char *at = strchr(host, '@');
	if (at && (sel == NULL || at < sel) && (strchr(host, '/') == NULL ||
	    at < strchr(host, '/')))
		return err_set(err, LD_EUSAGE, "credentials do not go in the URL (they would "
		    "show in ps and shell history): set LOKI_USERNAME and LOKI_PASSWORD, or "
		    "LOKI_BEARER_TOKEN");
	if (sel == NULL)
		return err_set(err, LD_EUSAGE, "%s: end the URL with the stream selector, e.g. "
		    "loki+https://loki:3100/{job=\"ml-inference\"}", s);
	l->base = xstrndup(rest, (size_t)(sel - rest));
	l->shown = http_redact_url(l->base);
	/* the selector, percent-decoded when it came URL-encoded */
	seltext = xstrdup(sel + 1);
	if (strchr(seltext, '%') != NULL && seltext[0] == '%') {
		char *d = seltext, *p = seltext;
		while (*p) {
			if (p[0] == '%' && p[1] && p[2] && strchr("0123456789abcdefABCDEF", p[1]) &&
			    strchr("0123456789abcdefABCDEF", p[2])) {
				char h[3] = { p[1], p[2], 0 };
				*d++ = (char)strtol(h, NULL, 16);
				p += 3;
			} else
				*d++ = *p++;
		}
		*d = '\0';
	}
	rc = logql_selector_parse(seltext, &l->sel, err);
	free(seltext);
	if (rc != LD_OK)
		return rc;
	if (o->def)
		for (size_t i = 0; i < o->def->ntrace_sources; i++) {
			struct logql_selector ts;
			if (logql_selector_parse(o->def->trace_sources[i], &ts, err) != LD_OK) {
				char m[sizeof err->msg];
				snprintf(m, sizeof m, "%s", err->msg);
				return err_set(err, LD_EUSAGE, "source '%s': trace_sources: %s",
				    o->def->name, m);
			}
			l->tsel = xreallocarray(l->tsel, l->ntsel + 1, sizeof *l->tsel);
			l->tsel[l->ntsel++] = ts;
		}
	if (o->range) {
		l->range = *o->range;
		l->have_range = 1;
	}
	http_conf_init(&conf);
	http_conf_set(&conf.ca_hint, "LOKI_CA_CERT_PATH");
	rc = http_conf_from_env(&conf, HTTP_ENV_LOKI, err);
	if (rc == LD_OK && o->def != NULL)
		rc = remote_conf_from_def(&conf, o->def, 1, err);
	if (rc != LD_OK) {
		http_conf_free(&conf);
		return rc;
	}
	remote_conf_timeouts(&conf, o);
	conf.max_parallel = LOKI_PARALLEL;
	if (o->insecure || (o->def && o->def->insecure))
		conf.insecure = 1;
	if (conf.insecure) {
		l->insecure = 1;
		snprintf(b->warning, sizeof b->warning, "%s", INSECURE_WARNING);
	}
	l->cl = http_client_new(&conf);
	http_conf_free(&conf);
	return LD_OK;
}

/* The range fields are sampled in: the one asked for, else the last hour. */
static struct time_range
sample_range(struct lokib *l)
{
	struct time_range r;

	if (l->have_range)
		return l->range;
	r.end = time_now();
	r.start = r.end - 3600 * NS_PER_SEC;
	return r;
}

static int
loki_load(struct backend *b, struct ld_err *err)
{
	struct lokib *l = b->priv;
	json_t *res = NULL, *v;
	struct lq q;
	const char **avoid = NULL;
	size_t navoid = 0, i;
	int rc;

	/* who it is: 3.1 and later take negative numbers in label filters */
	l->no_negative = 1;
	if (loki_get(b, "/loki/api/v1/status/buildinfo", NULL, &res, err) == LD_OK) {
		const char *ver = json_string_value(json_object_get(res, "version"));
		int maj = 0, min = 0;
		if (ver != NULL && sscanf(ver[0] == 'v' ? ver + 1 : ver, "%d.%d", &maj,
		    &min) == 2) {
			snprintf(l->version, sizeof l->version, "%s", ver);
			l->no_negative = maj < 3 || (maj == 3 && min < 1);
		}
	} else if (err->status == LD_ECANCEL) {
		rc = LD_ECANCEL;
		goto out;
	}
	json_decref(res);
	res = NULL;
	err_clear(err);
	/* reachable, and its labels */
	if ((rc = loki_get(b, "/loki/api/v1/labels", NULL, &res, err)) != LD_OK)
		goto out;
	json_array_foreach(json_object_get(res, "data"), i, v)
		if (json_is_string(v)) {
			avoid = xreallocarray(avoid, navoid + 1, sizeof *avoid);
			avoid[navoid++] = json_string_value(v);
		}
	avoid = xreallocarray(avoid, navoid + 1, sizeof *avoid);
	avoid[navoid++] = "detected_level";
	logql_labels_init(&l->labels, &l->sel, avoid, navoid);
	free(avoid);
	json_decref(res);
	res = NULL;

	/* the fields: JSON keys of a sample of lines */
	struct time_range r = sample_range(l);
	memset(&q, 0, sizeof q);
	q.query = xstrdup(l->sel.text);
	q.start = r.start;
	q.end = r.end;
	q.limit = LOKI_SAMPLE;
	rc = run_queries(b, &q, 1, err);
	for (int k = 0; k < 2 && rc == LD_ESOURCE && learn_limit(l, err); k++) {
		/* the newest part of the range, as many lines as the server allows */
		err_clear(err);
		if (l->max_len > 0 && q.end - q.start > l->max_len)
			q.start = q.end - l->max_len;
		if (q.limit > l->page)
			q.limit = l->page;
		free(q.body);
		free(q.url);
		q.body = q.url = NULL;
		rc = run_queries(b, &q, 1, err);
	}
	if (rc == LD_OK) {
		json_t *st, *e;
		size_t j;
		json_array_foreach(q.res, i, st)
			json_array_foreach(json_object_get(st, "values"), j, e) {
				const char *line = json_string_value(json_array_get(e, 1));
				json_t *o = line ? json_loads(line, 0, NULL) : NULL;
				if (json_is_object(o))
					walk_keys(l, o, NULL, 0);
				json_decref(o);
			}
	}
	lq_clear(&q);
	if (rc != LD_OK)
		goto out;
	/* roles: the first of the mapping's paths that the lines have, else
	 * the first path (it may appear later) */
	for (int k = 0; k < ROLE_COUNT; k++) {
		for (size_t m = 0; m < b->map.npaths[k] && l->role[k] == NULL; m++)
			for (size_t p = 0; p < l->npaths; p++)
				if (strcmp(l->paths[p], b->map.paths[k][m]) == 0)
					l->role[k] = b->map.paths[k][m];
		if (l->role[k] == NULL && b->map.npaths[k] > 0)
			l->role[k] = b->map.paths[k][0];
	}
	for (int k = 0; k < ROLE_COUNT; k++)
		if (l->role[k])
			add_path(l, l->role[k]);
out:
	json_decref(res);
	b->progress.rc = rc;
	b->progress.done = 1;
	return rc;
}

static int
loki_fields(struct backend *b, const char *const **paths, size_t *n)
{
	struct lokib *l = b->priv;

	*paths = (const char *const *)l->paths;
	*n = l->npaths;
	return LD_OK;
}

/* ---- panels ---- */

struct geo {
	int64_t	 start, end, w, first;
	size_t	 nb;
};

/* text, a metric query whose range is b - a, as an instant query on
 * [a, b): at T = b, with LOGQL_OFFSET, it covers [T - R, T). */
static void
instant(struct lq *q, char *text, int64_t b)
{
	memset(q, 0, sizeof *q);
	q->query = text;
	q->instant = 1;
	q->time = b;
}

/* Sample value of a vector/matrix element, NAN if not a number. */
static double
sample_value(const json_t *pair)
{
	const char *s = json_string_value(json_array_get(pair, 1));
	char *end;
	double v;

	if (s == NULL)
		return NAN;
	v = strtod(s, &end);
	return end == s ? NAN : v;
}

static int64_t
sample_time(const json_t *pair)
{
	const json_t *t = json_array_get(pair, 0);

	return (int64_t)llround(json_number_value(t) * 1e9);
}

/* The group label's value of a series, "(none)" if it has none. */
static const char *
series_key(const json_t *series, const char *label)
{
	const char *v = label ? json_string_value(json_object_get(json_object_get(series,
	    "metric"), label)) : NULL;

	return v && *v ? v : PANELS_NO_GROUP;
}

struct grp {
	char		*key;
	uint64_t	 count;
	double		 p[3];
	uint64_t	 hist[LAT_HIST_BINS];
	struct mean_point *conf;	/* nb */
	double		 csum;		/* over the range */
	uint64_t	 cn;
	int		 has_lat;
};

struct dash {
	struct geo	 g;
	struct grp	*grp;
	size_t		 ngrp;
	double		*csum;		/* nb, all groups */
	uint64_t	*cn;
};

static struct grp *
group_get(struct dash *d, const char *key)
{
	for (size_t i = 0; i < d->ngrp; i++)
		if (strcmp(d->grp[i].key, key) == 0)
			return &d->grp[i];
	d->grp = xreallocarray(d->grp, d->ngrp + 1, sizeof *d->grp);
	struct grp *g = &d->grp[d->ngrp++];
	memset(g, 0, sizeof *g);
	g->key = xstrdup(key);
	g->p[0] = g->p[1] = g->p[2] = NAN;
	g->conf = xcalloc(d->g.nb, sizeof *g->conf);
	return g;
}

static size_t
bucket_of(const struct geo *g, int64_t t)
{
	if (t < g->first)
		return 0;
	/* unsigned: a time from the server may be far from first */
	uint64_t i = ((uint64_t)t - (uint64_t)g->first) / (uint64_t)g->w;

	return i >= g->nb ? g->nb - 1 : (size_t)i;
}

/* Kinds of per-bucket series. */
enum ser { S_HIT, S_CSET, S_ERR, S_TOTAL, S_INVALID, S_BAD, S_DRIFT, S_DRIFTN, S_COUNT };

/* A confidence label that is a number or an array of numbers. */
#define CONF_RE "\\[\\s*(" NUMBER_RE "(\\s*,\\s*" NUMBER_RE ")*)?\\s*\\]|" NUMBER_RE

/* Records whose role field has the wrong type (DESIGN §2 bad_type: a
 * latency, drift or confidence that is not a number, a cache_hit that is
 * not a boolean), as and-chains for logql_req.any. Fills f (8 filters)
 * and any (4); returns how many chains. */
static size_t
bad_type_chains(const struct lokib *l, struct logql_filter *f,
    const struct logql_filter **any)
{
	static const struct { enum role r; const char *re; } want[] = {
		{ ROLE_LATENCY, NUMBER_RE }, { ROLE_DRIFT, NUMBER_RE },
		{ ROLE_CACHE_HIT, "true|false" }, { ROLE_CONFIDENCE, CONF_RE },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *p = l->role[want[i].r];
		if (p == NULL)
			continue;
		memset(&f[2 * n], 0, 2 * sizeof *f);
		f[2 * n] = (struct logql_filter){ p, LOGQL_STR_NE, "", 0, &f[2 * n + 1] };
		f[2 * n + 1] = (struct logql_filter){ p, LOGQL_NRE, want[i].re, 0, NULL };
		any[n] = &f[2 * n];
		n++;
	}
	return n;
}

/* The queries of one series: a query_range over the whole buckets, and
 * instant queries for a partial first and last bucket. */
struct series_q {
	size_t	 first_q, nq;		/* indices into the batch */
};

/* Lines that end an object: a cut line passes Loki's json stage when the
 * paths it reads come before the cut (jsonparser), so records are also
 * required to end with "}". The file backend counts such lines invalid. */
struct objects {
	struct q_node	re, and;
};

static const struct q_node *
objects_only(struct objects *o, const struct q_node *query)
{
	memset(o, 0, sizeof *o);
	o->re.kind = Q_REGEX;
	o->re.value = (char *)"\\}\\s*$";
	if (query == NULL)
		return &o->re;
	o->and.kind = Q_AND;
	o->and.a = &o->re;
	o->and.b = (struct q_node *)query;
	return &o->and;
}

/* r for query (borrowed) on the source's selector, with the json stage
 * extracting paths[0..npaths) too and filter f appended; records only
 * (objects_only, in *ob: keep it while r is used). */
static void
build_req(struct backend *b, struct logql_req *r, struct objects *ob,
    const struct q_node *query, const char *const *paths, size_t npaths,
    const struct logql_filter *f)
{
	struct lokib *l = b->priv;

	memset(r, 0, sizeof *r);
	r->sel = &l->sel;
	r->labels = &l->labels;
	r->query = objects_only(ob, query);
	r->paths = paths;
	r->npaths = npaths;
	r->filter = f;
	r->no_negative = l->no_negative;
}

/* Append the queries of a series (text made by mk for a range) to qs. */
typedef char *(*mkq_fn)(struct backend *b, int kind, const struct q_node *query,
    int64_t range, struct ld_err *err);

static char *
mk_series(struct backend *b, int kind, const struct q_node *query, int64_t range,
    struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct logql_req r;
	struct objects ob;
	struct logql_filter f;
	struct logql_metric m;
	const char *tp[1] = { l->role[ROLE_TIME] };

	memset(&f, 0, sizeof f);
	memset(&m, 0, sizeof m);
	m.fn = LOGQL_COUNT;
	m.range = range;
	switch (kind) {
	case S_HIT:
		f.path = l->role[ROLE_CACHE_HIT];
		f.op = LOGQL_STR_EQ;
		f.str = "true";
		break;
	case S_CSET:
		f.path = l->role[ROLE_CACHE_HIT];
		f.op = LOGQL_RE;
		f.str = "true|false";
		break;
	case S_ERR:
		f.path = l->role[ROLE_LEVEL];
		f.op = LOGQL_RE;
		f.str = "(?i)error";
		break;
	case S_TOTAL:
		break;
	case S_INVALID:
		return logql_count_json_errors(&l->sel, range, err);
	case S_BAD: {
		struct logql_filter bf[8];
		const struct logql_filter *any[4];
		size_t nany = bad_type_chains(l, bf, any);
		if (nany == 0)
			return NULL;
		build_req(b, &r, &ob, query, tp, tp[0] ? 1 : 0, NULL);
		r.any = any;
		r.nany = nany;
		return logql_metric_query(&r, &m, err);
	}
	case S_DRIFT:
		m.fn = LOGQL_AVG;
		m.unwrap = l->role[ROLE_DRIFT];
		break;
	case S_DRIFTN:
		f.path = l->role[ROLE_DRIFT];
		f.op = LOGQL_RE;
		f.str = NUMBER_RE;
		break;
	}
	build_req(b, &r, &ob, query, tp, tp[0] ? 1 : 0, f.path ? &f : NULL);
	return logql_metric_query(&r, &m, err);
}

static int
add_series(struct backend *b, struct lq **qs, size_t *nq, const struct geo *g, int kind,
    const struct q_node *query, struct series_q *sq, struct ld_err *err)
{
	struct lokib *l = b->priv;
	int64_t a = g->first, z = g->first + (int64_t)g->nb * g->w;
	int64_t full_a = g->start == a ? a : a + g->w;		/* whole buckets */
	int64_t full_z = g->end == z ? z : z - g->w;
	/* a query_range no longer than the server's max_query_length */
	int64_t span = l->max_len >= g->w ? l->max_len / g->w * g->w : full_z - full_a;
	char *t;

	sq->first_q = *nq;
	sq->nq = 0;
	for (int64_t wa = full_a; wa < full_z; wa += span) {
		int64_t wz = wa + span < full_z ? wa + span : full_z;
		if ((t = mk_series(b, kind, query, g->w, err)) == NULL)
			return err->status;
		*qs = xreallocarray(*qs, *nq + 1, sizeof **qs);
		struct lq *q = &(*qs)[(*nq)++];
		memset(q, 0, sizeof *q);
		/* points at the ends of the buckets, multiples of the step
		 * as the query frontend would align them anyway */
		q->query = t;
		q->start = wa + g->w;
		q->end = wz;
		q->step = g->w;
		sq->nq++;
	}
	/* partial buckets at the edges: [start, first bucket end), [last
	 * bucket start, end) */
	int64_t edge[2][2] = { { g->start, a + g->w }, { z - g->w, g->end } };
	for (int k = 0; k < 2; k++) {
		if ((k == 0 && g->start == a) || (k == 1 && g->end == z))
			continue;
		if (k == 1 && g->nb == 1)
			continue;	/* one partial bucket: done by k == 0 */
		int64_t ea = edge[k][0], ez = k == 0 && g->nb == 1 ? g->end : edge[k][1];
		if ((t = mk_series(b, kind, query, ez - ea, err)) == NULL)
			return err->status;
		*qs = xreallocarray(*qs, *nq + 1, sizeof **qs);
		struct lq *q = &(*qs)[(*nq)++];
		instant(q, t, ez);
		sq->nq++;
	}
	return LD_OK;
}

/* Walk the samples of a series' queries: fn(bucket, value). */
static void
each_sample(const struct geo *g, const struct lq *qs, const struct series_q *sq,
    void (*fn)(void *, size_t, double), void *arg)
{
	for (size_t k = sq->first_q; k < sq->first_q + sq->nq; k++) {
		const json_t *s, *v;
		size_t i, j;
		json_array_foreach(qs[k].res, i, s) {
			if (qs[k].instant) {
				v = json_object_get(s, "value");
				fn(arg, bucket_of(g, qs[k].time - 1), sample_value(v));
			} else
				/* at first + (i + 1) * w, in float seconds
				 * (rounded): bucket i */
				json_array_foreach(json_object_get(s, "values"), j, v) {
					int64_t t = sample_time(v);
					if (t < g->first)	/* before bucket 0 */
						continue;
					long long bi = llround((double)((uint64_t)t -
					    (uint64_t)g->first) / (double)g->w) - 1;
					if (bi >= 0 && (size_t)bi < g->nb)
						fn(arg, (size_t)bi, sample_value(v));
				}
		}
	}
}

static void
put_u64(void *arg, size_t i, double v)
{
	uint64_t *a = arg;

	if (!isnan(v))
		a[i] += (uint64_t)llround(v);
}

static void
put_double(void *arg, size_t i, double v)
{
	double *a = arg;

	a[i] = v;
}

/* Confidence from the lines: each line shrunk to the confidence field's
 * JSON text, streams per group; [a, b) paged forward. into prev: only the
 * overall sum and count. */
static int
conf_lines(struct backend *b, struct dash *d, const struct q_node *query,
    const char *group, int64_t a, int64_t z, double *psum, uint64_t *pn,
    struct ld_err *err);

/* Latency values by group, read from lines (percentiles over a range
 * longer than the server's max_query_range, where quantile_over_time
 * cannot go: DESIGN §3's percentiles need every value at once). */
struct lat_vals {
	char	*key;
	double	*v;
	size_t	 n, cap;
};

static int
lat_lines(struct backend *b, const struct q_node *query, const char *group, int64_t a,
    int64_t z, struct lat_vals **lv, size_t *nlv, struct ld_err *err);

/* The confidence lines of a refresh, fetched while the metric queries run. */
struct conf_job {
	struct backend	*b;
	struct dash	 d;		/* its own groups and sums */
	const struct q_node *query;
	const char	*grp;
	int64_t		 prev_a;	/* the window before: [prev_a, d.g.start) */
	double		 all, prev;
	uint64_t	 nall, nprev;
	int		 conf;		/* compute the confidence */
	int		 lat;		/* read the latency values too */
	struct lat_vals	*lv;
	size_t		 nlv;
	int		 rc;
	struct ld_err	 err;
};

static void *
conf_main(void *arg)
{
	struct conf_job *j = arg;

	j->rc = LD_OK;
	if (j->lat)
		j->rc = lat_lines(j->b, j->query, j->grp, j->d.g.start, j->d.g.end, &j->lv,
		    &j->nlv, &j->err);
	if (j->conf && j->rc == LD_OK)
		j->rc = conf_lines(j->b, &j->d, j->query, j->grp, j->d.g.start, j->d.g.end,
		    &j->all, &j->nall, &j->err);
	if (j->conf && j->rc == LD_OK)
		j->rc = conf_lines(j->b, NULL, j->query, NULL, j->prev_a, j->d.g.start,
		    &j->prev, &j->nprev, &j->err);
	return NULL;
}

/* A query text for a range (ns) of one total. */
typedef char *(*mk_total_fn)(void *ctx, int64_t range, struct ld_err *err);

struct mk_metric {
	const struct logql_req	*r;
	struct logql_metric	*m;
};

static char *
mk_metric(void *ctx, int64_t range, struct ld_err *err)
{
	struct mk_metric *c = ctx;

	c->m->range = range;
	return logql_metric_query(c->r, c->m, err);
}

static char *
mk_lines(void *ctx, int64_t range, struct ld_err *err)
{
	return logql_count_lines(ctx, range, err);
}

static char *
mk_json_errors(void *ctx, int64_t range, struct ld_err *err)
{
	return logql_count_json_errors(ctx, range, err);
}

struct mk_bad {
	struct backend		*b;
	const struct q_node	*query;
};

static char *
mk_bad(void *ctx, int64_t range, struct ld_err *err)
{
	struct mk_bad *c = ctx;

	return mk_series(c->b, S_BAD, c->query, range, err);
}

/* A total over [a, z) (a count: its parts add up) as instant queries: one,
 * or one per window within the server's max_query_range. Appended to
 * *qs; sq gets where. */
static int
add_total(struct backend *b, struct lq **qs, size_t *nq, mk_total_fn mk, void *ctx,
    int64_t a, int64_t z, struct series_q *sq, struct ld_err *err)
{
	struct lokib *l = b->priv;
	int64_t span = l->max_range >= NS_PER_MS ? time_floor(l->max_range, NS_PER_MS) : z - a;

	sq->first_q = *nq;
	sq->nq = 0;
	for (int64_t wz = z; wz > a; wz -= span) {
		int64_t wa = wz - span > a ? wz - span : a;
		char *t = mk(ctx, wz - wa, err);
		if (t == NULL)
			return err->status;
		*qs = xreallocarray(*qs, *nq + 1, sizeof **qs);
		instant(&(*qs)[(*nq)++], t, wz);
		sq->nq++;
	}
	return LD_OK;
}

/* Every sample of a total's queries: fn(arg, series, value). */
static void
each_total(const struct lq *qs, const struct series_q *sq,
    void (*fn)(void *, const json_t *, double), void *arg)
{
	for (size_t k = sq->first_q; k < sq->first_q + sq->nq; k++) {
		const json_t *s;
		size_t i;
		json_array_foreach(qs[k].res, i, s)
			fn(arg, s, sample_value(json_object_get(s, "value")));
	}
}

static void
sum_u64(void *arg, const json_t *s, double v)
{
	(void)s;
	if (!isnan(v))
		*(uint64_t *)arg += (uint64_t)llround(v);
}

struct hist_acc {
	struct dash	*d;
	const char	*glabel;
	int		 bin;
};

static void
sum_hist(void *arg, const json_t *s, double v)
{
	struct hist_acc *h = arg;
	struct grp *g = group_get(h->d, series_key(s, h->glabel));

	if (!isnan(v))
		g->hist[h->bin] += (uint64_t)llround(v);
}

struct share_acc {
	struct panels	*out;
	size_t		 cap;
	const char	*vlabel;
};

static void
sum_share(void *arg, const json_t *s, double v)
{
	struct share_acc *a = arg;
	const char *k = series_key(s, a->vlabel);
	size_t i;

	if (strcmp(k, PANELS_NO_GROUP) == 0 || isnan(v))
		return;
	for (i = 0; i < a->out->nversions && strcmp(a->out->versions[i].key, k) != 0; i++)
		;
	if (i == a->out->nversions) {
		if (i == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 8;
			a->out->versions = xreallocarray(a->out->versions, a->cap,
			    sizeof *a->out->versions);
		}
		a->out->versions[i].key = xstrdup(k);
		a->out->versions[i].count = 0;
		a->out->nversions++;
	}
	a->out->versions[i].count += (uint64_t)llround(v);
}

static void
lat_vals_free(struct lat_vals *lv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(lv[i].key);
		free(lv[i].v);
	}
	free(lv);
}

static void
dash_free(struct dash *d)
{
	for (size_t i = 0; i < d->ngrp; i++) {
		free(d->grp[i].key);
		free(d->grp[i].conf);
	}
	free(d->grp);
	free(d->csum);
	free(d->cn);
	memset(d, 0, sizeof *d);
}

static int
cmp_grp(const void *x, const void *y)
{
	const struct grp *a = x, *b = y;

	if (a->has_lat != b->has_lat)
		return a->has_lat ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int
panels_once(struct backend *b, const struct query_opts *qo, struct panels *out,
    struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct dash d;
	struct lq *qs = NULL;
	size_t nq = 0, i, j;
	int rc = LD_OK;
	const char *lat = l->role[ROLE_LATENCY], *conf = l->role[ROLE_CONFIDENCE];
	const char *grp = qo->group_by ? qo->group_by : l->role[ROLE_GROUP];
	const char *ver = l->role[ROLE_VERSION];
	const char *glabel = NULL, *vlabel = NULL;
	struct series_q sq[S_COUNT], t_hist[LAT_HIST_BINS], t_ver, t_lines, t_inv, t_bad;
	size_t q_pct = 0;
	static const double phi[3] = { 0.5, 0.95, 0.99 }, pct[3] = { 50, 95, 99 };

	memset(out, 0, sizeof *out);
	memset(&d, 0, sizeof d);
	memset(sq, 0, sizeof sq);
	if (!qo->has_range)
		d.g.end = time_now(), d.g.start = d.g.end - 3600 * NS_PER_SEC;
	else
		d.g.start = qo->range.start, d.g.end = qo->range.end;
	/* LogQL ranges are whole milliseconds */
	d.g.start = time_floor(d.g.start, NS_PER_MS);
	d.g.end = time_floor(d.g.end, NS_PER_MS);
	if (d.g.end <= d.g.start)
		d.g.end = d.g.start + NS_PER_MS;
	struct time_range tr = { d.g.start, d.g.end };
	d.g.w = qo->bucket ? qo->bucket : bucket_auto(&tr);
	if (d.g.w % NS_PER_MS != 0)
		return err_set(err, LD_EUSAGE, "Loki buckets are whole milliseconds");
	d.g.first = time_floor(d.g.start, d.g.w);
	d.g.nb = (size_t)((d.g.end - d.g.first + d.g.w - 1) / d.g.w);
	l->last = tr;
	l->have_last = 1;
	int64_t R = d.g.end - d.g.start;
	/* a range vector longer than the server's max_query_range: totals add
	 * up window by window, percentiles come from the latency values read
	 * as lines */
	int windowed = l->max_range > 0 && R > l->max_range;

	pthread_mutex_lock(&l->mu);
	/* latency: p50/p95/p99, the count and the cumulative histogram by group */
	if (lat != NULL) {
		struct logql_req r;
		struct objects ob;
		struct logql_metric m;
		struct logql_filter f;
		const char *by[1] = { grp };
		memset(&m, 0, sizeof m);
		m.by = by;
		m.nby = grp ? 1 : 0;
		m.range = R;
		build_req(b, &r, &ob, qo->query, NULL, 0, NULL);
		q_pct = nq;
		for (int k = 0; k < 3 && !windowed; k++) {
			char *t;
			m.fn = LOGQL_QUANTILE;
			m.phi = phi[k];
			m.unwrap = lat;
			if ((t = logql_metric_query(&r, &m, err)) == NULL)
				goto fail;
			qs = xreallocarray(qs, nq + 1, sizeof *qs);
			instant(&qs[nq++], t, d.g.end);
		}
		m.fn = LOGQL_COUNT;
		m.unwrap = NULL;
		memset(&f, 0, sizeof f);
		f.path = lat;
		for (int k = 0; k < LAT_HIST_BINS; k++) {
			struct mk_metric mm = { &r, &m };
			f.op = LOGQL_LE;
			f.num = lat_hist_bounds[k];
			if (k == LAT_HIST_BINS - 1) {	/* +Inf: every number */
				f.op = LOGQL_RE;
				f.str = NUMBER_RE;
			}
			r.filter = &f;
			if (add_total(b, &qs, &nq, mk_metric, &mm, d.g.start, d.g.end,
			    &t_hist[k], err) != LD_OK)
				goto fail;
		}
	}
	/* the model-version share */
	if (ver != NULL) {
		struct logql_req r;
		struct objects ob;
		struct logql_metric m;
		const char *by[1] = { ver };
		memset(&m, 0, sizeof m);
		m.fn = LOGQL_COUNT;
		m.by = by;
		m.nby = 1;
		m.range = R;
		struct mk_metric mm = { &r, &m };
		build_req(b, &r, &ob, qo->query, NULL, 0, NULL);
		if (add_total(b, &qs, &nq, mk_metric, &mm, d.g.start, d.g.end, &t_ver,
		    err) != LD_OK)
			goto fail;
	}
	/* every line, and the lines that are not JSON, over the range */
	{
		struct mk_bad mb = { b, qo->query };
		if (add_total(b, &qs, &nq, mk_lines, &l->sel, d.g.start, d.g.end, &t_lines,
		    err) != LD_OK ||
		    add_total(b, &qs, &nq, mk_json_errors, &l->sel, d.g.start, d.g.end, &t_inv,
		    err) != LD_OK ||
		    add_total(b, &qs, &nq, mk_bad, &mb, d.g.start, d.g.end, &t_bad,
		    err) != LD_OK)
			goto fail;
	}
	/* the series */
	for (int k = 0; k < S_COUNT; k++) {
		if ((k == S_HIT || k == S_CSET) && l->role[ROLE_CACHE_HIT] == NULL)
			continue;
		if (k == S_ERR && l->role[ROLE_LEVEL] == NULL)
			continue;
		if ((k == S_DRIFT || k == S_DRIFTN) && l->role[ROLE_DRIFT] == NULL)
			continue;
		if ((rc = add_series(b, &qs, &nq, &d.g, k, qo->query, &sq[k], err)) != LD_OK)
			goto fail;
	}
	if (grp)
		glabel = logql_label(&l->labels, grp, err);
	if (ver)
		vlabel = logql_label(&l->labels, ver, err);
	pthread_mutex_unlock(&l->mu);

	/* the confidence lines meanwhile (LogQL cannot average an array) */
	struct conf_job job;
	pthread_t th;
	int threaded = 0;
	memset(&job, 0, sizeof job);
	job.conf = conf != NULL;
	job.lat = lat != NULL && windowed;
	if (job.conf || job.lat) {
		job.b = b;
		job.d.g = d.g;
		job.d.csum = xcalloc(d.g.nb, sizeof *job.d.csum);
		job.d.cn = xcalloc(d.g.nb, sizeof *job.d.cn);
		job.query = qo->query;
		job.grp = grp;
		job.prev_a = d.g.start - R;
		if (pthread_create(&th, NULL, conf_main, &job) == 0)
			threaded = 1;
		else
			conf_main(&job);
	}
	rc = run_queries(b, qs, nq, err);
	if (threaded)
		pthread_join(th, NULL);
	if (rc == LD_OK && (job.conf || job.lat) && job.rc != LD_OK) {
		rc = job.rc;
		*err = job.err;
	}
	if (rc != LD_OK) {
		dash_free(&job.d);
		lat_vals_free(job.lv, job.nlv);
		goto out;
	}

	/* fill */
	out->range = tr;
	out->bucket = d.g.w;
	out->first = d.g.first;
	out->nbuckets = d.g.nb;
	out->exact = 1;
	out->latency_field = lat ? xstrdup(lat) : NULL;
	out->group_by = grp ? xstrdup(grp) : NULL;
	out->version_field = ver ? xstrdup(ver) : NULL;
	if (lat != NULL) {
		const json_t *s;
		for (int k = 0; k < 3 && !windowed; k++)
			json_array_foreach(qs[q_pct + (size_t)k].res, i, s)
				group_get(&d, series_key(s, glabel))->p[k] =
				    sample_value(json_object_get(s, "value"));
		for (int k = 0; k < LAT_HIST_BINS; k++) {
			struct hist_acc ha = { &d, glabel, k };
			each_total(qs, &t_hist[k], sum_hist, &ha);
		}
		for (i = 0; i < d.ngrp; i++) {
			d.grp[i].count = d.grp[i].hist[LAT_HIST_BINS - 1];
			d.grp[i].has_lat = d.grp[i].count > 0;
		}
		/* percentiles from the values (numpy's linear method, as the
		 * file backend and quantile_over_time) */
		for (i = 0; i < job.nlv; i++) {
			struct lat_vals *v = &job.lv[i];
			struct grp *g = group_get(&d, v->key);
			sort_doubles(v->v, v->n);
			for (int k = 0; k < 3; k++)
				g->p[k] = v->n ? percentile_sorted(v->v, v->n, pct[k]) : NAN;
		}
	}
	lat_vals_free(job.lv, job.nlv);
	job.lv = NULL;
	job.nlv = 0;
	each_total(qs, &t_lines, sum_u64, &out->records.total);
	each_total(qs, &t_inv, sum_u64, &out->records.invalid_json);
	each_total(qs, &t_bad, sum_u64, &out->records.bad_type);
	out->cache = xcalloc(d.g.nb, sizeof *out->cache);
	out->errors = xcalloc(d.g.nb, sizeof *out->errors);
	out->drift = xcalloc(d.g.nb, sizeof *out->drift);
	{
		uint64_t *u = xcalloc(d.g.nb, sizeof *u);
		double *dv = xcalloc(d.g.nb, sizeof *dv);
		for (int k = 0; k < S_COUNT; k++) {
			memset(u, 0, d.g.nb * sizeof *u);
			for (j = 0; j < d.g.nb; j++)
				dv[j] = NAN;
			if (k == S_DRIFT)
				each_sample(&d.g, qs, &sq[k], put_double, dv);
			else
				each_sample(&d.g, qs, &sq[k], put_u64, u);
			for (j = 0; j < d.g.nb; j++)
				switch (k) {
				case S_HIT: out->cache[j].hits = u[j]; break;
				case S_CSET: out->cache[j].total = u[j]; break;
				case S_ERR: out->errors[j].errors = u[j]; break;
				case S_TOTAL: out->errors[j].total = u[j]; break;
				case S_INVALID: out->errors[j].invalid = u[j]; break;
				case S_BAD: out->errors[j].invalid += u[j]; break;
				case S_DRIFT: out->drift[j].mean = dv[j]; break;
				case S_DRIFTN: out->drift[j].count = u[j]; break;
				}
		}
		for (j = 0; j < d.g.nb; j++)
			if (out->drift[j].count == 0)
				out->drift[j].mean = NAN;
		free(u);
		free(dv);
	}
	if (ver != NULL) {
		struct share_acc sa = { out, 0, vlabel };
		each_total(qs, &t_ver, sum_share, &sa);
		if (out->versions == NULL)
			out->versions = xcalloc(1, sizeof *out->versions);
		/* by count desc, then key */
		for (size_t a = 1; a < out->nversions; a++)
			for (size_t c = a; c > 0 && (out->versions[c - 1].count <
			    out->versions[c].count || (out->versions[c - 1].count ==
			    out->versions[c].count && strcmp(out->versions[c - 1].key,
			    out->versions[c].key) > 0)); c--) {
				struct share_row t = out->versions[c];
				out->versions[c] = out->versions[c - 1];
				out->versions[c - 1] = t;
			}
	}

	/* the confidence, into the groups */
	out->conf_mean = out->conf_prev = NAN;
	if (conf != NULL) {
		for (i = 0; i < job.d.ngrp; i++) {
			struct grp *g = group_get(&d, job.d.grp[i].key);
			free(g->conf);
			g->conf = job.d.grp[i].conf;
			job.d.grp[i].conf = NULL;
		}
		d.csum = job.d.csum;
		d.cn = job.d.cn;
		job.d.csum = NULL;
		job.d.cn = NULL;
		out->conf_mean = job.nall ? job.all / (double)job.nall : NAN;
		out->conf_prev = job.nprev ? job.prev / (double)job.nprev : NAN;
		out->conf_method = PANELS_CONF_LINES;
	} else {
		d.csum = xcalloc(d.g.nb, sizeof *d.csum);
		d.cn = xcalloc(d.g.nb, sizeof *d.cn);
	}
	dash_free(&job.d);
	if (d.ngrp > 1)
		qsort(d.grp, d.ngrp, sizeof *d.grp, cmp_grp);
	out->nconf = d.ngrp + 1;
	out->conf = xcalloc(out->nconf, sizeof *out->conf);
	out->conf[0].key = xstrdup("*");
	out->conf[0].pts = xcalloc(d.g.nb, sizeof *out->conf[0].pts);
	for (j = 0; j < d.g.nb; j++) {
		out->conf[0].pts[j].count = d.cn[j];
		out->conf[0].pts[j].mean = d.cn[j] ? d.csum[j] / (double)d.cn[j] : NAN;
	}
	out->groups = xcalloc(d.ngrp ? d.ngrp : 1, sizeof *out->groups);
	for (i = 0; i < d.ngrp; i++) {
		struct grp *g = &d.grp[i];
		out->conf[i + 1].key = xstrdup(g->key);
		out->conf[i + 1].pts = g->conf;
		for (j = 0; j < d.g.nb; j++)
			if (g->conf[j].count == 0)
				g->conf[j].mean = NAN;
			else
				g->conf[j].mean /= (double)g->conf[j].count;
		g->conf = NULL;
		if (!g->has_lat)
			continue;
		struct lat_group *lg = &out->groups[out->ngroups++];
		lg->key = xstrdup(g->key);
		lg->count = g->count;
		lg->p50 = g->p[0];
		lg->p95 = g->p[1];
		lg->p99 = g->p[2];
		for (int k = 0; k < LAT_HIST_BINS; k++) {
			lg->hist[k].le = lat_hist_bounds[k];
			lg->hist[k].count = g->hist[k];
		}
		lg->hist[LAT_HIST_BINS - 1].le = INFINITY;
	}
	b->progress.records = out->records.total;
	goto out;
fail:
	rc = err->status;
	pthread_mutex_unlock(&l->mu);
out:
	for (i = 0; i < nq; i++)
		lq_clear(&qs[i]);
	free(qs);
	dash_free(&d);
	if (rc != LD_OK && rc != LD_NOMATCH) {
		panels_free(out);
		memset(out, 0, sizeof *out);
	}
	return rc;
}

/* A refresh; when the server's max_query_length is met, again with the
 * series split within it (learn_limit). */
static int
loki_panels(struct backend *b, const struct query_opts *qo, struct panels *out,
    struct ld_err *err)
{
	struct lokib *l = b->priv;
	int rc = panels_once(b, qo, out, err);

	if (rc == LD_ESOURCE && learn_limit(l, err)) {
		err_clear(err);
		rc = panels_once(b, qo, out, err);
	}
	return rc;
}

/* ---- log queries: pages the way logcli does (§7.2) ---- */

struct entry {
	int64_t		 ts;
	const char	*line;		/* borrowed from the page's JSON */
	const json_t	*stream;
};

static int
cmp_entry_fwd(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return a->ts < b->ts ? -1 : a->ts > b->ts ? 1 : 0;
}

static int
cmp_entry_bwd(const void *x, const void *y)
{
	return cmp_entry_fwd(y, x);
}

/* Every entry of query on [a, b) in time order (forward or backward), at
 * most max, each once: fn(arg, entry) for each; fn returns non-zero to
 * stop. Entries sharing the last timestamp of a page are fetched again
 * with the next page and skipped by content (logcli's algorithm). */
static int
each_entry(struct backend *b, const char *query, int64_t a, int64_t z, int forward,
    size_t max, int (*fn)(void *, const struct entry *), void *arg, struct ld_err *err)
{
	struct lokib *l = b->priv;
	char **last = NULL;		/* lines of the previous page's final ts */
	size_t nlast = 0, total = 0;
	int64_t last_ts = INT64_MIN;
	int rc = LD_OK, stop = 0;

	while (!stop && total < max) {
		struct lq q;
		struct entry *ev = NULL;
		size_t nev = 0, cap = 0, i, j, printed = 0;
		const json_t *s, *e;

		size_t page = l->page;
		memset(&q, 0, sizeof q);
		q.query = xstrdup(query);
		/* a window no longer than the server's max_query_length */
		q.start = a;
		q.end = z;
		if (l->max_len > 0 && z - a > l->max_len) {
			if (forward)
				q.end = a + l->max_len;
			else
				q.start = z - l->max_len;
		}
		q.forward = forward;
		q.limit = page;
		if ((rc = run_queries(b, &q, 1, err)) != LD_OK) {
			lq_clear(&q);
			if (rc == LD_ESOURCE && learn_limit(l, err)) {
				rc = LD_OK;
				err_clear(err);
				continue;
			}
			break;
		}
		json_array_foreach(q.res, i, s)
			json_array_foreach(json_object_get(s, "values"), j, e) {
				const char *ts = json_string_value(json_array_get(e, 0));
				const char *line = json_string_value(json_array_get(e, 1));
				if (ts == NULL || line == NULL)
					continue;
				if (nev == cap) {
					cap = cap ? cap * 2 : 1024;
					ev = xreallocarray(ev, cap, sizeof *ev);
				}
				ev[nev].ts = strtoll(ts, NULL, 10);
				ev[nev].line = line;
				ev[nev++].stream = s;
			}
		if (nev > 1)
			qsort(ev, nev, sizeof *ev, forward ? cmp_entry_fwd : cmp_entry_bwd);
		for (i = 0; i < nev && !stop && total < max; i++) {
			int seen = 0;
			if (ev[i].ts == last_ts)
				for (j = 0; j < nlast && !seen; j++)
					seen = strcmp(last[j], ev[i].line) == 0;
			if (seen)
				continue;
			printed++;
			total++;
			atomic_fetch_add(&b->progress.lines_read, 1);
			stop = fn(arg, &ev[i]);
		}
		/* the entries of this page at its final timestamp */
		int more = nev == page && printed > 0;
		int window = q.start != a || q.end != z;	/* a part of [a, z) */
		if (nev > 0) {
			int64_t fin = ev[nev - 1].ts;
			if (fin != last_ts) {
				for (j = 0; j < nlast; j++)
					free(last[j]);
				nlast = 0;
			}
			for (i = nev; i > 0 && ev[i - 1].ts == fin; i--) {
				last = xreallocarray(last, nlast + 1, sizeof *last);
				last[nlast++] = xstrdup(ev[i - 1].line);
			}
			last_ts = fin;
			if (forward)
				a = fin;		/* start is inclusive */
			else
				z = fin + 1;		/* end is exclusive */
			if (nlast >= page && more) {
				rc = err_set(err, LD_ESOURCE, "Loki: %zu lines or more share one "
				    "timestamp: cannot page past them", page);
				more = 0;
			}
		}
		if (!more && window && rc == LD_OK) {
			/* this window is done: on to the next one */
			if (forward)
				a = q.end;
			else
				z = q.start;
			more = a < z;
		}
		free(ev);
		lq_clear(&q);
		if (!more || rc != LD_OK)
			break;
		if (b->cancel) {
			rc = err_set(err, LD_ECANCEL, "cancelled");
			break;
		}
	}
	for (size_t j = 0; j < nlast; j++)
		free(last[j]);
	free(last);
	return rc;
}

struct conf_acc {
	struct dash	*d;
	const char	*glabel;
	double		*sum;
	uint64_t	*n;
};

static int
conf_entry(void *arg, const struct entry *e)
{
	struct conf_acc *c = arg;
	json_t *v = json_loads(e->line, JSON_DECODE_ANY, NULL);
	double m = NAN;

	if (json_is_number(v))
		m = json_number_value(v);
	else if (json_is_array(v) && json_array_size(v) > 0) {
		double s = 0;
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (!json_is_number(x))
				break;
			s += json_number_value(x);
		}
		if (i == json_array_size(v))
			m = s / (double)i;
	}
	json_decref(v);
	if (isnan(m))
		return 0;
	*c->sum += m;
	(*c->n)++;
	if (c->d != NULL) {
		size_t k = bucket_of(&c->d->g, e->ts);
		c->d->csum[k] += m;
		c->d->cn[k]++;
		if (c->glabel) {
			const json_t *lab = json_object_get(e->stream, "stream");
			const char *gv = json_string_value(json_object_get(lab, c->glabel));
			struct grp *gr = group_get(c->d, gv && *gv ? gv : PANELS_NO_GROUP);
			gr->conf[k].mean += m;	/* a sum until the end */
			gr->conf[k].count++;
		}
	}
	return 0;
}

/* Every line of query on [a, z) shrunk to the field's text, with group's
 * label kept (*glabel: its name in the streams, NULL without a group), to
 * fn. */
static int
each_field_line(struct backend *b, const struct q_node *query, const char *field,
    const char *group, int64_t a, int64_t z, int (*fn)(void *, const struct entry *),
    void *arg, const char **glabel, struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct logql_req r;
	struct objects ob;
	const char *keep[1] = { group };
	char *text;
	int rc;

	pthread_mutex_lock(&l->mu);
	build_req(b, &r, &ob, query, NULL, 0, NULL);
	text = logql_lines_query(&r, field, keep, group ? 1 : 0, err);
	*glabel = text && group ? logql_label(&l->labels, group, err) : NULL;
	pthread_mutex_unlock(&l->mu);
	if (text == NULL)
		return err->status;
	rc = each_entry(b, text, a, z, 1, SIZE_MAX, fn, arg, err);
	free(text);
	return rc;
}

static int
conf_lines(struct backend *b, struct dash *d, const struct q_node *query,
    const char *group, int64_t a, int64_t z, double *psum, uint64_t *pn,
    struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct conf_acc c = { d, NULL, psum, pn };

	return each_field_line(b, query, l->role[ROLE_CONFIDENCE], group, a, z, conf_entry,
	    &c, &c.glabel, err);
}


struct lat_acc {
	struct lat_vals	**lv;
	size_t		 *nlv;
	const char	 *glabel;
};

static int
lat_entry(void *arg, const struct entry *e)
{
	struct lat_acc *c = arg;
	const char *gv = NULL;
	char *end;
	double x;
	size_t i;

	/* the label's text: a number as written (a string holding one too,
	 * as unwrap reads it) */
	x = strtod(e->line, &end);
	if (end == e->line || *end != '\0' || !isfinite(x))
		return 0;
	if (c->glabel != NULL)
		gv = json_string_value(json_object_get(json_object_get(e->stream, "stream"),
		    c->glabel));
	if (gv == NULL || *gv == '\0')
		gv = PANELS_NO_GROUP;
	for (i = 0; i < *c->nlv && strcmp((*c->lv)[i].key, gv) != 0; i++)
		;
	if (i == *c->nlv) {
		*c->lv = xreallocarray(*c->lv, *c->nlv + 1, sizeof **c->lv);
		memset(&(*c->lv)[i], 0, sizeof **c->lv);
		(*c->lv)[i].key = xstrdup(gv);
		(*c->nlv)++;
	}
	struct lat_vals *v = &(*c->lv)[i];
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->v = xreallocarray(v->v, v->cap, sizeof *v->v);
	}
	v->v[v->n++] = x;
	return 0;
}

static int
lat_lines(struct backend *b, const struct q_node *query, const char *group, int64_t a,
    int64_t z, struct lat_vals **lv, size_t *nlv, struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct lat_acc c = { lv, nlv, NULL };

	return each_field_line(b, query, l->role[ROLE_LATENCY], group, a, z, lat_entry, &c,
	    &c.glabel, err);
}

/* ---- search, trace, record ---- */

static uint64_t
keep_record(struct lokib *l, const char *line)
{
	pthread_mutex_lock(&l->mu);
	if (l->nrecs == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->recs = xreallocarray(l->recs, l->cap, sizeof *l->recs);
	}
	uint64_t n = l->nrecs;
	l->recs[l->nrecs++] = xstrdup(line);
	pthread_mutex_unlock(&l->mu);
	return n;
}

struct hit_acc {
	struct backend	*b;
	struct hitlist	*out;
	const char	*group_field;
	size_t		 max;		/* stop at this many hits */
};

static int
hit_entry(void *arg, const struct entry *e)
{
	struct hit_acc *h = arg;
	struct lokib *l = h->b->priv;
	json_t *o = json_loads(e->line, 0, NULL);
	struct hit *hit;

	if (!json_is_object(o)) {	/* not a record (the file backend: invalid) */
		json_decref(o);
		return 0;
	}
	hit = hitlist_push(h->out);
	hit->loc[0] = keep_record(l, e->line);
	remote_fill_hit(&h->b->map, hit, o, h->group_field);
	if (hit->t == INT64_MIN)
		hit->t = e->ts;
	json_decref(o);
	return h->out->n >= h->max;
}

static int
cmp_lat_desc(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;

	if (isnan(a->latency) != isnan(b->latency))
		return isnan(a->latency) ? 1 : -1;
	if (a->latency != b->latency)
		return a->latency > b->latency ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

static int
cmp_lat_asc(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;

	if (isnan(a->latency) != isnan(b->latency))
		return isnan(a->latency) ? 1 : -1;
	if (a->latency != b->latency)
		return a->latency < b->latency ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

/* One instant metric query over the whole of tr without grouping: the sum
 * of the answer's samples (a count, or the one quantile), NAN if none. */
static int
instant_value(struct backend *b, const struct q_node *query, const struct time_range *tr,
    enum logql_fn fn, double phi, double *value, struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct logql_req r;
	struct objects ob;
	struct logql_metric m;
	struct lq q;
	const json_t *s;
	size_t i;
	int64_t a = time_floor(tr->start, NS_PER_MS), z = time_floor(tr->end, NS_PER_MS);
	int rc;

	*value = NAN;
	if (z <= a)
		return LD_OK;
	memset(&m, 0, sizeof m);
	m.fn = fn;
	m.phi = phi;
	m.range = z - a;
	if (fn == LOGQL_QUANTILE)
		m.unwrap = l->role[ROLE_LATENCY];
	pthread_mutex_lock(&l->mu);
	build_req(b, &r, &ob, query, NULL, 0, NULL);
	char *t = logql_metric_query(&r, &m, err);
	pthread_mutex_unlock(&l->mu);
	if (t == NULL)
		return err->status;
	instant(&q, t, z);
	if ((rc = run_queries(b, &q, 1, err)) == LD_OK)
		json_array_foreach(q.res, i, s) {
			double v = sample_value(json_object_get(s, "value"));
			if (!isnan(v))
				*value = isnan(*value) ? v : *value + v;
		}
	lq_clear(&q);
	return rc;
}

/* How many records of query there are in tr: one count query (the list
 * says "N of M" when it stops early). */
static int
count_total(struct backend *b, const struct q_node *query, const struct time_range *tr,
    size_t *total, struct ld_err *err)
{
	double v;
	int rc = instant_value(b, query, tr, LOGQL_COUNT, 0, &v, err);

	if (rc == LD_OK)
		*total = isnan(v) ? 0 : (size_t)llround(v);
	return rc;
}

/* The latency term "latency >= x" (desc) or "<= x" into *n; num holds x's
 * text. */
static void
lat_term(struct lokib *l, struct q_node *n, char *num, size_t numlen, int desc, double x)
{
	snprintf(num, numlen, "%.17g", x);
	memset(n, 0, sizeof *n);
	n->kind = Q_FIELD;
	n->field = n->path = (char *)l->role[ROLE_LATENCY];
	n->cmp = desc ? Q_GE : Q_LE;
	n->value = num;
	n->is_num = 1;
	n->num = x;
}

/* A latency bound x such that between want and cap of query's records in
 * tr have latency >= x (desc; asc: <= x). The `want` slowest (fastest)
 * records are then all among those, so fetching them gives the exact top
 * of the list although more records match than a list may hold. x is
 * estimated with quantile_over_time and checked by a count; a few tries,
 * bisecting phi. Returns 1 with *x, 0 if none was found (ties, too few
 * numbers, a failed query: the caller falls back to the first records by
 * time and says so). */
static int
lat_bound(struct backend *b, const struct q_node *query, const struct time_range *tr,
    int desc, size_t want, size_t cap, size_t total, double *x)
{
	struct lokib *l = b->priv;
	double lo = 0, hi = 1, tgt = (double)want + (double)(cap - want) / 4;
	struct q_node bound, both, ge0, lt0, isnum;
	struct ld_err e;
	char num[40], zero[40];
	size_t nnum;

	/* the quantile's population: the records whose latency is a number
	 * (>= 0 or < 0: Loki before 3.1 has no negative literals) */
	lat_term(l, &ge0, zero, sizeof zero, 1, 0);
	lt0 = ge0;
	lt0.cmp = Q_LT;
	isnum = (struct q_node){ .kind = Q_OR, .a = &ge0, .b = &lt0 };
	both = (struct q_node){ .kind = Q_AND, .a = (struct q_node *)query, .b = &isnum };
	if (count_total(b, query ? &both : &isnum, tr, &nnum, &e) != LD_OK || nnum < want)
		return 0;	/* records without a latency would be in the list */
	(void)total;
	double phi = desc ? 1 - tgt / (double)nnum : tgt / (double)nnum;
	if (phi <= 0 || phi >= 1)
		phi = 0.5;
	for (int k = 0; k < 8 && !b->cancel; k++) {
		double v;
		size_t c;
		if (instant_value(b, query, tr, LOGQL_QUANTILE, phi, &v, &e) != LD_OK || isnan(v))
			return 0;
		lat_term(l, &bound, num, sizeof num, desc, v);
		both = (struct q_node){ .kind = Q_AND, .a = (struct q_node *)query, .b = &bound };
		if (count_total(b, query ? &both : &bound, tr, &c, &e) != LD_OK)
			return 0;
		if (c >= want && c <= cap) {
			*x = v;
			return 1;
		}
		if ((c < want) == (desc != 0))
			hi = phi;
		else
			lo = phi;
		phi = (lo + hi) / 2;
	}
	return 0;
}

static int
loki_search(struct backend *b, const struct search_req *rq, struct hitlist *out,
    struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct q_node g, lat, notg, a1, a2, *top = (struct q_node *)rq->q.query;
	char num[40];
	const char *grp = rq->q.group_by ? rq->q.group_by : l->role[ROLE_GROUP];
	struct logql_req r;
	struct objects ob;
	char *text;
	int rc;

	/* the group and the latency bound as terms of the query */
	if (rq->group_value != NULL && grp != NULL) {
		memset(&g, 0, sizeof g);
		if (strcmp(rq->group_value, PANELS_NO_GROUP) == 0) {
			g.kind = Q_EXISTS;
			g.field = g.path = (char *)grp;
			memset(&notg, 0, sizeof notg);
			notg.kind = Q_NOT;
			notg.a = &g;
			a1 = (struct q_node){ .kind = Q_AND, .a = top, .b = &notg };
		} else {
			g.kind = Q_FIELD;
			g.field = g.path = (char *)grp;
			g.cmp = Q_EQ;
			g.value = (char *)rq->group_value;
			g.quoted = 1;
			a1 = (struct q_node){ .kind = Q_AND, .a = top, .b = &g };
		}
		top = top ? &a1 : a1.b;
	}
	if (!isnan(rq->min_latency) && l->role[ROLE_LATENCY] != NULL) {
		snprintf(num, sizeof num, "%.17g", rq->min_latency);
		memset(&lat, 0, sizeof lat);
		lat.kind = Q_FIELD;
		lat.field = lat.path = (char *)l->role[ROLE_LATENCY];
		lat.cmp = Q_GE;
		lat.value = num;
		lat.is_num = 1;
		lat.num = rq->min_latency;
		a2 = (struct q_node){ .kind = Q_AND, .a = top, .b = &lat };
		top = top ? &a2 : &lat;
	}
	pthread_mutex_lock(&l->mu);
	build_req(b, &r, &ob, top, NULL, 0, NULL);
	text = logql_log_query(&r, NULL, err);
	pthread_mutex_unlock(&l->mu);
	if (text == NULL)
		return err->status;
	struct time_range tr;
	if (rq->q.has_range)
		tr = rq->q.range;
	else {
		tr.end = time_now();
		tr.start = tr.end - 3600 * NS_PER_SEC;
	}
	l->last = tr;
	l->have_last = 1;
	int by_time = rq->sort == SORT_TIME_ASC || rq->sort == SORT_TIME_DESC;
	int desc = rq->sort == SORT_LATENCY_DESC;
	/* by latency, a limit past the list cap needs every match */
	size_t max = by_time && rq->limit ? rq->limit : rq->all || rq->limit > LOKI_MAX_HITS ?
	    SIZE_MAX : LOKI_MAX_HITS;
	size_t total = 0;
	struct q_node bound, both;
	char bnum[40];
	double x;
	int counted = 0;

	/* By latency with more matches than a list holds: fetch only the
	 * records past a latency bound that keeps the list exact. */
	if (!by_time && !rq->all && rq->limit && rq->limit <= LOKI_MAX_HITS / 2 &&
	    l->role[ROLE_LATENCY] != NULL) {
		struct ld_err e2;
		if (count_total(b, top, &tr, &total, &e2) == LD_OK)
			counted = 1;
		if (counted && total > LOKI_MAX_HITS &&
		    lat_bound(b, top, &tr, desc, rq->limit, LOKI_MAX_HITS, total, &x)) {
			lat_term(l, &bound, bnum, sizeof bnum, desc, x);
			both = (struct q_node){ .kind = Q_AND, .a = top, .b = &bound };
			pthread_mutex_lock(&l->mu);
			build_req(b, &r, &ob, top ? &both : &bound, NULL, 0, NULL);
			char *t2 = logql_log_query(&r, NULL, err);
			pthread_mutex_unlock(&l->mu);
			if (t2 == NULL) {
				free(text);
				return err->status;
			}
			free(text);
			text = t2;
			max = 2 * LOKI_MAX_HITS;	/* the bound keeps it within LOKI_MAX_HITS */
		}
	}
	struct hit_acc acc = { b, out, rq->q.group_by, max };
	rc = each_entry(b, text, tr.start, tr.end, rq->sort != SORT_TIME_DESC, max,
	    hit_entry, &acc, err);
	free(text);
	if (rc != LD_OK)
		return rc;
	if (!by_time && out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, rq->sort == SORT_LATENCY_DESC ?
		    cmp_lat_desc : cmp_lat_asc);
	out->total = out->n;
	if (counted && total > out->total)
		out->total = total;
	if (out->n >= max && !counted) {	/* stopped early: how many there are */
		struct ld_err e2;
		if (count_total(b, top, &tr, &total, &e2) == LD_OK && total > out->total)
			out->total = total;
	}
	/* sorted by latency among the first records by time only */
	out->capped = !by_time && out->n >= LOKI_MAX_HITS && out->total > out->n;
	if (rq->limit && out->n > rq->limit) {
		for (size_t i = rq->limit; i < out->n; i++)
			hit_clear(&out->v[i]);
		out->n = rq->limit;
	}
	if (out->n == 0)
		return err_set(err, LD_NOMATCH, "no matching records");
	return LD_OK;
}

static int
trace_by(struct backend *b, const struct logql_selector *sel, const char *path,
    const char *id, const struct time_range *tr, struct hitlist *out, struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct q_node t, f, a;
	struct logql_req r;
	struct objects ob;
	char *text;
	int rc;

	/* a line filter on the id prunes; the label filter is exact (§4.7) */
	memset(&t, 0, sizeof t);
	t.kind = Q_TEXT;
	t.value = (char *)id;
	memset(&f, 0, sizeof f);
	f.kind = Q_FIELD;
	f.field = f.path = (char *)path;
	f.cmp = Q_EQ;
	f.value = (char *)id;
	f.quoted = 1;
	a = (struct q_node){ .kind = Q_AND, .a = &t, .b = &f };
	pthread_mutex_lock(&l->mu);
	build_req(b, &r, &ob, &a, NULL, 0, NULL);
	r.sel = sel;
	text = logql_log_query(&r, NULL, err);
	pthread_mutex_unlock(&l->mu);
	if (text == NULL)
		return err->status;
	struct hit_acc acc = { b, out, NULL, LOKI_MAX_HITS };
	rc = each_entry(b, text, tr->start, tr->end, 1, LOKI_MAX_HITS, hit_entry, &acc, err);
	free(text);
	return rc;
}

static int
cmp_hit_time(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;

	return a->t < b->t ? -1 : a->t > b->t;
}

static int
loki_trace(struct backend *b, const char *id, struct hitlist *out, struct ld_err *err)
{
	struct lokib *l = b->priv;
	struct time_range tr;
	int rc = LD_OK;

	if (!b->progress.done)
		return err_set(err, LD_EAGAIN, "load first");
	/* around the range last looked at (a trace is minutes long) */
	tr = l->have_last ? l->last : sample_range(l);
	tr.start -= 3600 * NS_PER_SEC;
	tr.end += 3600 * NS_PER_SEC;
	for (int k = 0; k < 2 && rc == LD_OK && out->n == 0; k++) {
		const char *path = l->role[k == 0 ? ROLE_TRACE_ID : ROLE_REQUEST_ID];
		if (path == NULL)
			continue;
		if (l->ntsel == 0)
			rc = trace_by(b, &l->sel, path, id, &tr, out, err);
		for (size_t i = 0; i < l->ntsel && rc == LD_OK; i++)
			rc = trace_by(b, &l->tsel[i], path, id, &tr, out, err);
	}
	if (rc != LD_OK)
		return rc;
	if (out->n == 0)
		return err_set(err, LD_NOMATCH, "no record has the correlation or request id "
		    "'%s'", id);
	qsort(out->v, out->n, sizeof *out->v, cmp_hit_time);
	out->total = out->n;
	return LD_OK;
}

static char *
loki_record(struct backend *b, const struct hit *h, struct ld_err *err)
{
	struct lokib *l = b->priv;
	char *s = NULL;

	pthread_mutex_lock(&l->mu);
	if (h->loc[0] < l->nrecs)
		s = xstrdup(l->recs[h->loc[0]]);
	pthread_mutex_unlock(&l->mu);
	if (s == NULL)
		err_set(err, LD_ESOURCE, "record not found");
	return s;
}

static int
loki_poll(struct backend *b, struct ld_err *err)
{
	struct lokib *l = b->priv;

	(void)err;
	return remote_poll_live(&l->live_last);
}

static void
loki_close(struct backend *b)
{
	struct lokib *l = b->priv;

	if (l == NULL)
		return;
	http_client_free(l->cl);
	free(l->base);
	free(l->shown);
	logql_selector_free(&l->sel);
	for (size_t i = 0; i < l->ntsel; i++)
		logql_selector_free(&l->tsel[i]);
	free(l->tsel);
	logql_labels_free(&l->labels);
	for (size_t i = 0; i < l->npaths; i++)
		free(l->paths[i]);
	free(l->paths);
	for (size_t i = 0; i < l->nrecs; i++)
		free(l->recs[i]);
	free(l->recs);
	pthread_mutex_destroy(&l->mu);
	free(l);
	b->priv = NULL;
}

const struct backend_ops loki_backend_ops = {
	"loki", loki_open, loki_load, loki_fields, loki_panels, loki_search, loki_trace,
	loki_record, loki_poll, loki_close
};
