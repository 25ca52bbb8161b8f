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
