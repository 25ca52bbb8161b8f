#include "config.h"
#include "backends/backend.h"
#include "lib/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
hit_copy(struct hit *dst, const struct hit *src)
{
	*dst = *src;
	dst->service = dup_or_null(src->service);
	dst->group = dup_or_null(src->group);
	dst->level = dup_or_null(src->level);
	dst->message = dup_or_null(src->message);
	dst->event = dup_or_null(src->event);
	dst->trace_id = dup_or_null(src->trace_id);
	dst->request_id = dup_or_null(src->request_id);
}

void
hit_clear(struct hit *h)
{
	free(h->service);
	free(h->group);
	free(h->level);
	free(h->message);
	free(h->event);
	free(h->trace_id);
	free(h->request_id);
	h->service = h->group = h->level = h->message = h->event = NULL;
	h->trace_id = h->request_id = NULL;
}

void
hitlist_free(struct hitlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		hit_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

struct hit *
hitlist_push(struct hitlist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	struct hit *h = &l->v[l->n++];
	memset(h, 0, sizeof *h);
	h->t = INT64_MIN;
	h->latency = h->confidence = NAN;
	return h;
}

static int
has_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

struct backend *
backend_open(const struct backend_opts *o, struct ld_err *err)
{
	const struct backend_ops *ops = &file_backend_ops;

	if (o->nsources == 0) {
		err_set(err, LD_EUSAGE, "no source given: name a file, a glob, '-' for "
		    "standard input, es+https://… or loki+https://…");
		return NULL;
	}
	size_t nes = 0, nloki = 0;
	for (size_t i = 0; i < o->nsources; i++) {
		const char *s = o->sources[i];
		if (has_prefix(s, "es+"))
			nes++;
		else if (has_prefix(s, "loki+"))
			nloki++;
		else if (has_prefix(s, "http://") || has_prefix(s, "https://")) {
			err_set(err, LD_EUSAGE, "%s: say which server this is: "
			    "es+https://HOST:9200/INDEX-PATTERN or "
			    "loki+https://HOST:3100/{SELECTOR}", s);
			return NULL;
		}
	}
	if ((nes > 0 || nloki > 0) && nes + nloki != o->nsources) {
		err_set(err, LD_EUSAGE, "remote and file sources cannot be mixed");
		return NULL;
	}
	if (nes > 0 && nloki > 0) {
		err_set(err, LD_EUSAGE, "Elasticsearch and Loki sources cannot be mixed");
		return NULL;
	}
	if (nes > 0)
		ops = &es_backend_ops;
	if (nloki > 0)
		ops = &loki_backend_ops;
	struct backend *b = xcalloc(1, sizeof *b);
	b->ops = ops;
	if (o->map) {
		for (int r = 0; r < ROLE_COUNT; r++) {
			for (size_t i = 0; i < o->map->npaths[r]; i++)
				b->map.paths[r][i] = xstrdup(o->map->paths[r][i]);
			b->map.npaths[r] = o->map->npaths[r];
		}
	} else
		mapping_default(&b->map);
	if (ops->open(b, o, err) != LD_OK) {
		backend_close(b);
		return NULL;
	}
	return b;
}

void
backend_close(struct backend *b)
{
	if (b == NULL)
		return;
	if (b->ops && b->ops->close)
		b->ops->close(b);
	mapping_free(&b->map);
	free(b);
}

int
hit_cmp_time_asc(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;

	return (a->t > b->t) - (a->t < b->t);
}

int
hit_cmp_time_desc(const void *x, const void *y)
{
	return hit_cmp_time_asc(y, x);
}

static int
cmp_latency(const struct hit *a, const struct hit *b, int desc)
{
	if (isnan(a->latency) != isnan(b->latency))
		return isnan(a->latency) ? 1 : -1;
	if (!isnan(a->latency) && a->latency != b->latency)
		return (a->latency < b->latency) == desc ? 1 : -1;
	return hit_cmp_time_asc(a, b);
}

int
hit_cmp_latency_desc(const void *x, const void *y)
{
	return cmp_latency(x, y, 1);
}

int
hit_cmp_latency_asc(const void *x, const void *y)
{
	return cmp_latency(x, y, 0);
}

int
backend_search_above(struct backend *b, const struct search_req *rq, int above,
    struct hitlist *out, struct ld_err *err)
{
	int (*const cmp[])(const void *, const void *) = {
	    [SORT_TIME_ASC] = hit_cmp_time_asc, [SORT_TIME_DESC] = hit_cmp_time_desc,
	    [SORT_LATENCY_DESC] = hit_cmp_latency_desc,
	    [SORT_LATENCY_ASC] = hit_cmp_latency_asc };
	struct search_req sr = *rq;
	struct panels p;
	size_t total = 0;
	int rc;

	if (!above || rq->group_value != NULL)
		return b->ops->search(b, rq, out, err);
	rc = b->ops->panels(b, &rq->q, &p, err);
	if (rc != LD_OK && rc != LD_NOMATCH)
		return rc;
	rc = LD_OK;
	for (size_t g = 0; rc == LD_OK && g < p.ngroups; g++) {
		const struct lat_group *lg = &p.groups[g];
		struct hitlist l = { 0 };
		double v = above == 50 ? lg->p50 : above == 95 ? lg->p95 : lg->p99;

		if (isnan(v) || lg->key == NULL)
			continue;
		sr.group_value = lg->key;
		sr.min_latency = v;
		rc = b->ops->search(b, &sr, &l, err);
		if (rc == LD_OK) {
			for (size_t i = 0; i < l.n; i++)
				*hitlist_push(out) = l.v[i];	/* moved */
			total += l.total;
			out->capped |= l.capped;
			free(l.v);
		} else {
			hitlist_free(&l);
			if (rc == LD_NOMATCH) {
				err_clear(err);
				rc = LD_OK;
			}
		}
	}
	panels_free(&p);
	if (rc != LD_OK)
		return rc;
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp[rq->sort]);
	while (rq->limit && out->n > rq->limit)
		hit_clear(&out->v[--out->n]);
	out->total = total;
	if (out->n == 0)
		return err_set(err, LD_NOMATCH, "no matching records");
	return LD_OK;
}
