/* The Elasticsearch / OpenSearch backend (issue 3): the server does the
 * aggregation. Requests and responses are built and read by es_dsl.c and
 * sent by http.c; this file holds the session: the source URL, the
 * server's version and fields, the role fields, and the records shown. */
#include "config.h"
#include "backends/backend.h"
#include "backends/es_dsl.h"
#include "backends/remote.h"
#include "backends/http.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ES_PAGE		1000	/* hits per page */
#define ES_MAX_HITS	remote_list_cap()	/* a list holds no more unless asked */

#define INSECURE_WARNING "TLS verification is off (--insecure)"

struct esb {
	struct http_client *cl;
	char		*base;		/* http(s)://host:port, no trailing slash */
	char		*pattern;	/* index pattern, as given */
	char		*shown;		/* the source for messages (redacted) */
	char		*trace_pattern;	/* the config's trace_sources, or NULL: pattern */
	int64_t		 live_last;	/* --follow: the last tick (poll) */
	struct es_fields f;
	const char	*role[ROLE_COUNT];	/* full paths in the mapping, or NULL */
	int		 have_extent;
	struct time_range extent;
	pthread_mutex_t	 mu;		/* guards recs */
	char		**recs;		/* record texts handed out by hits */
	size_t		 nrecs, cap;
	int		 insecure;	/* TLS verification off: said in b->warning */
	int		 no_script;	/* the server refused the confidence script */
	char		 script_why[200];
};

/* ---- helpers ---- */

static int
has_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

static int
es_get(struct backend *b, const char *method, const char *path, const char *body,
    size_t len, const char *ctype, json_t **out, long *status, struct ld_err *err)
{
	struct esb *e = b->priv;
	struct http_resp r;
	char *url = xasprintf("%s%s", e->base, path);
	const char *hdr[2] = { NULL, NULL };
	char *h = NULL;
	struct http_req req = { method, url, body, len, NULL, NULL, NULL };
	json_error_t je;
	int rc;

	if (ctype) {
		h = xasprintf("Content-Type: %s", ctype);
		hdr[0] = h;
		req.headers = hdr;
	}
	*out = NULL;
	rc = http_request(e->cl, &req, &r, &b->cancel, err);
	free(h);
	if (rc != LD_OK) {
		http_resp_free(&r);
		free(url);
		return rc;
	}
	*status = r.status;
	*out = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, &je);
	if (r.status >= 300) {
		if (r.status == 404 && *out && strstr(r.body.p, "index_not_found"))
			rc = err_set(err, LD_ESOURCE, "Elasticsearch at %s: no index matches "
			    "'%s': check the index pattern", e->shown, e->pattern);
		else
			rc = http_status_err(e->cl, url, &r, err);
		json_decref(*out);
		*out = NULL;
	} else if (*out == NULL)
		rc = err_set(err, LD_ESOURCE, "Elasticsearch at %s answered %ld with a body "
		    "that is not JSON (%s): a proxy in the way?", e->shown, r.status, je.text);
	if (rc != LD_OK)
		http_scrub(e->cl, err);	/* a body may quote the request */
	http_resp_free(&r);
	free(url);
	return rc;
}

/* Keep a record's text (its _source with _index and _id); returns its id. */
static uint64_t
keep_record(struct esb *e, json_t *hit)
{
	/* _index and _id first, then the document (DESIGN: the record view
	 * shows _source plus _index and _id) */
	json_t *src = json_object();
	json_t *ix = json_object_get(hit, "_index"), *id = json_object_get(hit, "_id");
	json_t *doc = json_object_get(hit, "_source");
	if (ix)
		json_object_set(src, "_index", ix);
	if (id)
		json_object_set(src, "_id", id);
	if (json_is_object(doc))
		json_object_update(src, doc);
	char *text = json_dumps(src, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(src);
	pthread_mutex_lock(&e->mu);
	if (e->nrecs == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 256;
		e->recs = xreallocarray(e->recs, e->cap, sizeof *e->recs);
	}
	uint64_t n = e->nrecs;
	e->recs[e->nrecs++] = text;
	pthread_mutex_unlock(&e->mu);
	return n;
}

static void
fill_hit(struct backend *b, struct hit *h, json_t *hit, const char *group_field)
{
	h->loc[0] = keep_record(b->priv, hit);
	remote_fill_hit(&b->map, h, json_object_get(hit, "_source"), group_field);
}

/* ---- vtable ---- */

static int
es_open(struct backend *b, const struct backend_opts *o, struct ld_err *err)
{
	struct esb *e = xcalloc(1, sizeof *e);
	struct http_conf conf;
	const char *s = o->sources[0];
	const char *rest, *slash;

	b->priv = e;
	pthread_mutex_init(&e->mu, NULL);
	if (o->nsources != 1)
		return err_set(err, LD_EUSAGE, "one Elasticsearch source at a time (a "
		    "comma-separated index pattern reaches several indices)");
	rest = s + 3;				/* after "es+" */
	if (!has_prefix(rest, "http://") && !has_prefix(rest, "https://"))
		return err_set(err, LD_EUSAGE, "%s: use es+https://HOST:9200/INDEX-PATTERN "
		    "(or es+http://)", s);
	const char *hostpart = strstr(rest, "://") + 3;
	slash = strchr(hostpart, '/');
	const char *at = strchr(hostpart, '@');
	if (at && (slash == NULL || at < slash))
		return err_set(err, LD_EUSAGE, "credentials do not go in the URL (they would "
		    "show in ps and shell history): set ES_API_KEY, or ES_USERNAME and "
		    "ES_PASSWORD");
	if (slash == NULL || slash[1] == '\0')
		return err_set(err, LD_EUSAGE, "%s: name the index pattern, e.g. "
		    "es+https://es:9200/ml-inference-*", s);
	e->base = xstrndup(rest, (size_t)(slash - rest));
	e->pattern = xstrdup(slash + 1);
	e->shown = http_redact_url(e->base);
	http_conf_init(&conf);
	http_conf_set(&conf.ca_hint, "ES_CA_CERT");
	int rc = http_conf_from_env(&conf, HTTP_ENV_ES, err);
	if (rc == LD_OK && o->def != NULL)
		rc = remote_conf_from_def(&conf, o->def, 0, err);
	if (rc != LD_OK) {
		http_conf_free(&conf);
		return rc;
	}
	remote_conf_timeouts(&conf, o);
	if (o->insecure || (o->def && o->def->insecure)) {
		conf.insecure = 1;
		e->insecure = 1;
		snprintf(b->warning, sizeof b->warning, "%s", INSECURE_WARNING);
	}
	if (o->def)
		for (size_t i = 0; i < o->def->ntrace_sources; i++) {
			char *p = e->trace_pattern;
			e->trace_pattern = p ? xasprintf("%s,%s", p, o->def->trace_sources[i]) :
			    xstrdup(o->def->trace_sources[i]);
			free(p);
		}
	e->cl = http_client_new(&conf);
	http_conf_free(&conf);
	return LD_OK;
}

static int
es_load(struct backend *b, struct ld_err *err)
{
	struct esb *e = b->priv;
	json_t *info = NULL, *mapping = NULL;
	long status;
	int rc;
	char *path;

	if ((rc = es_get(b, "GET", "/", NULL, 0, NULL, &info, &status, err)) != LD_OK)
		goto out;
	if ((rc = es_server_version(info, &e->f, err)) != LD_OK)
		goto out;
	int version = e->f.version, os = e->f.opensearch;
	path = xasprintf("/%s/_mapping", e->pattern);
	rc = es_get(b, "GET", path, NULL, 0, NULL, &mapping, &status, err);
	free(path);
	if (rc != LD_OK)
		goto out;
	if (json_is_object(mapping) && json_object_size(mapping) == 0) {
		/* a wildcard pattern that matches nothing answers {} */
		rc = err_set(err, LD_ESOURCE, "Elasticsearch at %s: no index matches '%s': "
		    "check the index pattern", e->shown, e->pattern);
		goto out;
	}
	if ((rc = es_fields_from_mapping(mapping, &e->f, err)) != LD_OK)
		goto out;
	e->f.version = version;
	e->f.opensearch = os;
	for (int r = 0; r < ROLE_COUNT; r++) {
		for (size_t i = 0; i < b->map.npaths[r] && e->role[r] == NULL; i++)
			if (es_fields_find(&e->f, b->map.paths[r][i]) != NULL)
				e->role[r] = b->map.paths[r][i];
	}
	if (e->role[ROLE_TIME] == NULL) {
		rc = err_set(err, LD_ESOURCE, "the indices of '%s' have no time field (%s): "
		    "map one with -m", e->pattern, b->map.paths[ROLE_TIME][0]);
		goto out;
	}
out:
	json_decref(info);
	json_decref(mapping);
	b->progress.rc = rc;
	b->progress.done = 1;
	return rc;
}

static int
es_fields_op(struct backend *b, const char *const **paths, size_t *n)
{
	struct esb *e = b->priv;
	*paths = es_fields_paths(&e->f, n);
	return LD_OK;
}

/* The data's extent, when no range is given: min and max of the time field. */
static int
es_extent(struct backend *b, const struct q_node *q, struct time_range *r,
    struct ld_err *err)
{
	struct esb *e = b->priv;
	json_t *res = NULL;
	long status;

	if (e->have_extent && q == NULL) {
		*r = e->extent;
		return LD_OK;
	}
	if (e->role[ROLE_TIME] == NULL)
		return err_set(err, LD_EAGAIN, "load first");
	json_t *query = es_query_in_range(q, &e->f, e->role[ROLE_TIME], NULL, err);
	if (query == NULL)
		return err->status;
	json_t *body = json_pack("{s:i, s:o, s:{s:{s:{s:s}}, s:{s:{s:s}}}}", "size", 0,
	    "query", query, "aggs", "lo", "min", "field", e->role[ROLE_TIME],
	    "hi", "max", "field", e->role[ROLE_TIME]);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	char *path = xasprintf("/%s/_search", e->pattern);
	int rc = es_get(b, "POST", path, text, strlen(text), "application/json", &res,
	    &status, err);
	free(path);
	free(text);
	if (rc != LD_OK)
		return rc;
	json_t *lo = json_object_get(json_object_get(json_object_get(res, "aggregations"),
	    "lo"), "value");
	json_t *hi = json_object_get(json_object_get(json_object_get(res, "aggregations"),
	    "hi"), "value");
	if (!json_is_number(lo) || !json_is_number(hi)) {
		json_decref(res);
		return err_set(err, LD_NOMATCH, "no record with a time in '%s'", e->pattern);
	}
	int64_t a = (int64_t)json_number_value(lo) * NS_PER_MS;
	int64_t z = (int64_t)json_number_value(hi) * NS_PER_MS;
	json_decref(res);
	r->start = time_floor(a, NS_PER_SEC);
	r->end = time_floor(z, NS_PER_SEC) + NS_PER_SEC;
	if (q == NULL) {
		e->extent = *r;
		e->have_extent = 1;
	}
	return LD_OK;
}

/* A 400 about a value or a field of the query: say which term it is. */
static int
blame(const struct q_node *q, int rc, struct ld_err *err)
{
	if (rc == LD_ESOURCE && strstr(err->msg, "400") != NULL && es_blame_err(q, err))
		return LD_EUSAGE;
	return rc;
}

static int
dashboard(struct backend *b, const struct query_opts *q, struct panels *out,
    struct ld_err *err)
{
	struct esb *e = b->priv;
	struct es_dash d;
	json_t *res = NULL;
	long status;
	char note[480] = "";
	int rc;

	memset(out, 0, sizeof *out);
	memset(&d, 0, sizeof d);
	d.range = q->range;
	if (!q->has_range && (rc = es_extent(b, q->query, &d.range, err)) != LD_OK)
		return rc;
	d.index = e->pattern;
	d.time_field = e->role[ROLE_TIME];
	d.latency_field = e->role[ROLE_LATENCY];
	d.group_field = q->group_by ? q->group_by : e->role[ROLE_GROUP];
	d.version_field = e->role[ROLE_VERSION];
	d.conf_field = e->role[ROLE_CONFIDENCE];
	d.cache_field = e->role[ROLE_CACHE_HIT];
	d.level_field = e->role[ROLE_LEVEL];
	d.drift_field = e->role[ROLE_DRIFT];
	d.query = q->query;
	d.bucket = q->bucket ? q->bucket : bucket_auto(&d.range);
	d.conf_script = !e->no_script;
	for (;;) {
		char *body = es_msearch_dashboard(&d, &e->f, err);
		if (body == NULL)
			return err->status;
		rc = es_get(b, "POST", "/_msearch", body, strlen(body),
		    "application/x-ndjson", &res, &status, err);
		free(body);
		if (rc != LD_OK)
			return rc;
		/* a cluster that refuses scripts: the mean of all scores, said */
		if (!d.conf_script || !es_script_refused(res, e->script_why,
		    sizeof e->script_why))
			break;
		json_decref(res);
		res = NULL;
		e->no_script = 1;
		d.conf_script = 0;
	}
	rc = es_parse_dashboard(res, &d, &e->f, out, note, sizeof note, err);
	json_decref(res);
	if (rc != LD_OK)
		return rc;
	b->progress.records = out->records.total;	/* what the title shows */
	if (note[0])
		out->note = xstrdup(note);
	if (e->no_script && d.conf_field != NULL)
		snprintf(note + strlen(note), sizeof note - strlen(note),
		    "%sconfidence is the mean of all scores: %s", note[0] ? "; " : "",
		    e->script_why);
	snprintf(b->warning, sizeof b->warning, "%s%s%s", e->insecure ? INSECURE_WARNING : "",
	    e->insecure && note[0] ? "; " : "", note);
	return LD_OK;
}

/* Open a point in time on pattern (§4.5: ES 7.10+ POST /P/_pit -> "id",
 * OpenSearch 2.4+ POST /P/_search/point_in_time -> "pit_id"): the id
 * (caller frees) or NULL if the server cannot. */
static char *
pit_open(struct backend *b, const char *pattern)
{
	struct esb *e = b->priv;
	json_t *res = NULL, *id;
	long status;
	struct ld_err err;
	char *path, *out = NULL;

	if (e->f.opensearch ? e->f.version && e->f.version < 204 :
	    e->f.version && e->f.version < 710)
		return NULL;
	path = xasprintf(e->f.opensearch ? "/%s/_search/point_in_time?keep_alive=1m" :
	    "/%s/_pit?keep_alive=1m", pattern);
	if (es_get(b, "POST", path, "", 0, "application/json", &res, &status, &err) == LD_OK &&
	    json_is_string(id = json_object_get(res, e->f.opensearch ? "pit_id" : "id")))
		out = xstrdup(json_string_value(id));
	json_decref(res);
	free(path);
	return out;
}

static void
pit_close(struct backend *b, const char *id)
{
	struct esb *e = b->priv;
	json_t *res = NULL, *body = e->f.opensearch ? json_pack("{s:[s]}", "pit_id", id) :
	    json_pack("{s:s}", "id", id);
	char *text = json_dumps(body, JSON_COMPACT);
	long status;
	struct ld_err err;

	es_get(b, "DELETE", e->f.opensearch ? "/_search/point_in_time" : "/_pit", text,
	    strlen(text), "application/json", &res, &status, &err);
	json_decref(res);
	json_decref(body);
	free(text);
}

/* Walk the pages of a search (or, with id, of a trace) on pattern into out
 * (at most limit hits; 0: ES_MAX_HITS; SIZE_MAX: all), with search_after. When the hits
 * do not fit on one page the walk starts again in a point in time, so
 * that pages are consistent while the index changes (§4.5). */
static int
walk(struct backend *b, const char *pattern, struct es_search *s, const char *id_field,
    const char *id, size_t limit, struct hitlist *out, struct ld_err *err)
{
	struct esb *e = b->priv;
	json_t *after = NULL;
	size_t want = limit ? limit : ES_MAX_HITS;
	int rc = LD_OK, tried_pit = 0;
	char *pit = NULL;
	char *path = xasprintf("/%s/_search", pattern);

	out->total = 0;
	/* equal sort values across a page boundary need a unique last key:
	 * _shard_doc in an ES point in time, else _id (OpenSearch before 3.3
	 * has no _shard_doc; its own PIT examples sort on _id) */
	if (e->f.opensearch || (e->f.version && e->f.version < 710))
		s->tiebreak = "_id";
	while (out->n < want) {
		json_t *body, *res = NULL;
		long status;
		s->size = want - out->n < ES_PAGE ? want - out->n : ES_PAGE;
		s->search_after = after;
		s->pit_id = pit;
		body = id ? es_trace_body(s, id_field, id, &e->f, err) :
		    es_search_body(s, &e->f, err);
		if (body == NULL) {
			rc = err->status;
			break;
		}
		char *text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		rc = es_get(b, "POST", pit ? "/_search" : path, text, strlen(text),
		    "application/json", &res, &status, err);
		free(text);
		if (rc != LD_OK)
			break;
		json_t *hits = json_object_get(res, "hits");
		json_t *total = json_object_get(json_object_get(hits, "total"), "value");
		if (after == NULL && json_is_integer(total))
			out->total = (size_t)json_integer_value(total);
		json_t *arr = json_object_get(hits, "hits");
		size_t i, n = json_array_size(arr);
		if (after == NULL && !tried_pit && out->total > n && want > n) {
			/* more than a page: start again in a point in time */
			tried_pit = 1;
			if ((pit = pit_open(b, pattern)) != NULL) {
				json_decref(res);
				continue;
			}
		}
		json_t *hit;
		json_array_foreach(arr, i, hit) {
			fill_hit(b, hitlist_push(out), hit, s->group_field);
			atomic_fetch_add(&b->progress.lines_read, 1);
			if (out->n >= want)
				break;
		}
		json_t *np = json_object_get(res, "pit_id");
		if (pit && json_is_string(np) && strcmp(json_string_value(np), pit) != 0) {
			free(pit);
			pit = xstrdup(json_string_value(np));
		}
		json_decref(after);
		after = n ? json_deep_copy(json_object_get(json_array_get(arr, n - 1), "sort")) :
		    NULL;
		json_decref(res);
		if (n < s->size || after == NULL)
			break;
		if (b->cancel) {
			rc = err_set(err, LD_ECANCEL, "cancelled");
			break;
		}
	}
	json_decref(after);
	if (pit) {
		pit_close(b, pit);
		free(pit);
	}
	free(path);
	if (out->total < out->n)
		out->total = out->n;
	return rc;
}

static int
es_panels(struct backend *b, const struct query_opts *q, struct panels *out,
    struct ld_err *err)
{
	return blame(q->query, dashboard(b, q, out, err), err);
}

static int
es_search(struct backend *b, const struct search_req *rq, struct hitlist *out,
    struct ld_err *err)
{
	struct esb *e = b->priv;
	struct es_search s;
	int rc;

	memset(&s, 0, sizeof s);
	s.time_field = e->role[ROLE_TIME];
	s.latency_field = e->role[ROLE_LATENCY];
	s.query = rq->q.query;
	s.range = rq->q.has_range ? &rq->q.range : NULL;
	s.group_field = rq->q.group_by ? rq->q.group_by : e->role[ROLE_GROUP];
	s.group_value = rq->group_value;
	s.min_latency = rq->min_latency;
	s.sort = rq->sort;
	rc = blame(rq->q.query, walk(b, e->pattern, &s, NULL, NULL, rq->limit ? rq->limit :
	    rq->all ? SIZE_MAX : 0, out, err), err);
	if (rc == LD_OK && out->n == 0)
		return err_set(err, LD_NOMATCH, "no matching records");
	return rc;
}

static int
es_trace(struct backend *b, const char *id, struct hitlist *out, struct ld_err *err)
{
	struct esb *e = b->priv;
	struct es_search s;
	int rc = LD_OK;

	if (!b->progress.done)
		return err_set(err, LD_EAGAIN, "load first");
	memset(&s, 0, sizeof s);
	s.time_field = e->role[ROLE_TIME];
	s.sort = SORT_TIME_ASC;
	s.min_latency = NAN;
	/* the trace may span more indices than the dashboard (trace_sources) */
	const char *pattern = e->trace_pattern ? e->trace_pattern : e->pattern;
	if (e->role[ROLE_TRACE_ID])
		rc = walk(b, pattern, &s, e->role[ROLE_TRACE_ID], id, 0, out, err);
	if (rc == LD_OK && out->n == 0 && e->role[ROLE_REQUEST_ID])
		rc = walk(b, pattern, &s, e->role[ROLE_REQUEST_ID], id, 0, out, err);
	if (rc == LD_OK && out->n == 0)
		return err_set(err, LD_NOMATCH, "no record has the correlation or request id "
		    "'%s'", id);
	return rc;
}

static char *
es_record(struct backend *b, const struct hit *h, struct ld_err *err)
{
	struct esb *e = b->priv;
	char *text = NULL;

	pthread_mutex_lock(&e->mu);
	if (h->loc[0] < e->nrecs)
		text = xstrdup(e->recs[h->loc[0]]);
	pthread_mutex_unlock(&e->mu);
	if (text == NULL)
		err_set(err, LD_NOMATCH, "the record is no longer held");
	return text;
}

static int
es_poll(struct backend *b, struct ld_err *err)
{
	struct esb *e = b->priv;

	(void)err;
	return remote_poll_live(&e->live_last);
}

static void
es_close(struct backend *b)
{
	struct esb *e = b->priv;
	if (e == NULL)
		return;
	if (e->cl)
		http_client_free(e->cl);
	es_fields_free(&e->f);
	for (size_t i = 0; i < e->nrecs; i++)
		free(e->recs[i]);
	free(e->recs);
	free(e->base);
	free(e->pattern);
	free(e->trace_pattern);
	free(e->shown);
	pthread_mutex_destroy(&e->mu);
	free(e);
	b->priv = NULL;
}

const struct backend_ops es_backend_ops = {
	.name = "elasticsearch",
	.open = es_open,
	.load = es_load,
	.fields = es_fields_op,
	.panels = es_panels,
	.search = es_search,
	.trace = es_trace,
	.record = es_record,
	.poll = es_poll,
	.close = es_close,
};
