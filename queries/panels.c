#include "config.h"
#include "queries/panels.h"
#include "lib/strutil.h"
#include "queries/stats.h"
#include "lib/buf.h"
#include "lib/strmap.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double lat_hist_bounds[LAT_HIST_BINS] = {
	5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, INFINITY
};


struct dvec {
	double	*v;
	size_t	 n, cap;
};

static void
dvec_push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->v = xreallocarray(d->v, d->cap, sizeof *d->v);
	}
	d->v[d->n++] = x;
}

struct sumcount {
	double		sum;
	uint64_t	count;
};

struct bgroup {
	struct dvec	  lat;
	struct sumcount	 *conf;		/* nbuckets */
};

struct panels_builder {
	struct time_range r;
	int64_t		 w, first;
	size_t		 nb;
	struct strmap	 keys;		/* group keys */
	struct bgroup	*groups;
	size_t		 gcap;
	struct strmap	 versions;
	uint64_t	*vcount;
	size_t		 vcap;
	struct sumcount	*conf, *drift;
	struct cache_point *cache;
	struct err_point *errors;
	struct sumcount	 conf_all, conf_prev;
	uint64_t	 invalid_unbucketed;
	/* the last keys seen, by pointer: callers pass interned strings, so
	 * most rows skip hashing */
	const char	*gkey_p[8], *vkey_p[8];
	size_t		 gkey_l[8], vkey_l[8];
	uint32_t	 gkey_id[8], vkey_id[8];
};

/* Id of key s[0..len) in m, through a small cache keyed by the pointer. */
static uint32_t
cached_intern(struct strmap *m, const char **cp, size_t *cl, uint32_t *cid,
    const char *s, size_t len)
{
	size_t slot = ((uintptr_t)s >> 4) & 7;
	if (cp[slot] == s && cl[slot] == len)
		return cid[slot];
	uint32_t id = strmap_intern(m, s, len);
	cp[slot] = s;
	cl[slot] = len;
	cid[slot] = id;
	return id;
}

int64_t
panels_bucket_time(const struct panels *p, size_t i)
{
	/* unsigned: from first = INT64_MIN (1677) i * bucket may pass
	   INT64_MAX though the sum fits */
	return (int64_t)((uint64_t)p->first + (uint64_t)i * (uint64_t)p->bucket);
}

struct panels_builder *
panels_builder_new(const struct time_range *r, int64_t bucket)
{
	struct panels_builder *b = xcalloc(1, sizeof *b);
	b->r = *r;
	b->w = bucket;
	b->first = time_floor(r->start, bucket);
	b->nb = (size_t)bucket_count(r, bucket);
	b->conf = xcalloc(b->nb, sizeof *b->conf);
	b->drift = xcalloc(b->nb, sizeof *b->drift);
	b->cache = xcalloc(b->nb, sizeof *b->cache);
	b->errors = xcalloc(b->nb, sizeof *b->errors);
	return b;
}

static long
bucket_of(const struct panels_builder *b, int64_t t)
{
	if (t == TIME_NONE || t < b->r.start || t >= b->r.end)
		return -1;
	/* unsigned: first may be INT64_MIN (a range from 1677), t - first
	   then exceeds int64 though the bucket number fits */
	return (long)(((uint64_t)t - (uint64_t)b->first) / (uint64_t)b->w);
}

static struct bgroup *
group_for(struct panels_builder *b, const char *key, size_t len)
{
	uint32_t id = cached_intern(&b->keys, b->gkey_p, b->gkey_l, b->gkey_id, key, len);
	if (id >= b->gcap) {
		size_t ncap = b->gcap ? b->gcap * 2 : 8;
		b->groups = xreallocarray(b->groups, ncap, sizeof *b->groups);
		memset(b->groups + b->gcap, 0, (ncap - b->gcap) * sizeof *b->groups);
		b->gcap = ncap;
	}
	struct bgroup *g = &b->groups[id];
	if (g->conf == NULL)
		g->conf = xcalloc(b->nb, sizeof *g->conf);
	return g;
}

void
panels_builder_add(struct panels_builder *b, const struct panels_row *row)
{
	long i = bucket_of(b, row->t);
	if (i < 0)
		return;
	const char *gk = row->group ? row->group : PANELS_NO_GROUP;
	size_t gl = row->group ? row->grouplen : strlen(PANELS_NO_GROUP);
	struct bgroup *g = NULL;

	b->errors[i].total++;
	if (row->is_error)
		b->errors[i].errors++;
	if (!isnan(row->latency)) {
		g = group_for(b, gk, gl);
		dvec_push(&g->lat, row->latency);
	}
	if (!isnan(row->confidence)) {
		b->conf[i].sum += row->confidence;
		b->conf[i].count++;
		b->conf_all.sum += row->confidence;
		b->conf_all.count++;
		if (g == NULL)
			g = group_for(b, gk, gl);
		g->conf[i].sum += row->confidence;
		g->conf[i].count++;
	}
	if (row->cache_hit >= 0) {
		b->cache[i].total++;
		b->cache[i].hits += (uint64_t)row->cache_hit;
	}
	if (!isnan(row->drift)) {
		b->drift[i].sum += row->drift;
		b->drift[i].count++;
	}
	if (row->version != NULL) {
		uint32_t id = cached_intern(&b->versions, b->vkey_p, b->vkey_l, b->vkey_id,
		    row->version, row->versionlen);
		if (id >= b->vcap) {
			size_t ncap = b->vcap ? b->vcap * 2 : 8;
			b->vcount = xreallocarray(b->vcount, ncap, sizeof *b->vcount);
			memset(b->vcount + b->vcap, 0, (ncap - b->vcap) * sizeof *b->vcount);
			b->vcap = ncap;
		}
		b->vcount[id]++;
	}
}

void
panels_builder_add_prev(struct panels_builder *b, double confidence)
{
	if (!isnan(confidence)) {
		b->conf_prev.sum += confidence;
		b->conf_prev.count++;
	}
}

void
panels_builder_add_invalid(struct panels_builder *b, int64_t t)
{
	long i = bucket_of(b, t);
	if (i < 0)
		b->invalid_unbucketed++;
	else
		b->errors[i].invalid++;
}

static int
cmp_group(const void *x, const void *y)
{
	const struct lat_group *a = x, *c = y;
	if (a->count != c->count)
		return a->count > c->count ? -1 : 1;
	return strcmp(a->key, c->key);
}

static int
cmp_share(const void *x, const void *y)
{
	const struct share_row *a = x, *c = y;
	if (a->count != c->count)
		return a->count > c->count ? -1 : 1;
	return strcmp(a->key, c->key);
}

static void
mean_points(struct mean_point *out, const struct sumcount *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i].count = in[i].count;
		out[i].mean = in[i].count ? in[i].sum / (double)in[i].count : NAN;
	}
}

void
panels_builder_finish(struct panels_builder *b, struct panels *p)
{
	size_t ng = b->keys.n;

	memset(p, 0, sizeof *p);
	p->range = b->r;
	p->bucket = b->w;
	p->first = b->first;
	p->nbuckets = b->nb;
	p->exact = 1;
	p->groups = xcalloc(ng, sizeof *p->groups);
	p->ngroups = ng;
	for (size_t id = 0; id < ng; id++) {
		struct lat_group *lg = &p->groups[id];
		struct dvec *d = &b->groups[id].lat;
		lg->key = xstrdup(b->keys.keys[id]);
		lg->count = d->n;
		if (d->n > 0) {
			sort_doubles(d->v, d->n);
			lg->p50 = percentile_sorted(d->v, d->n, 50);
			lg->p95 = percentile_sorted(d->v, d->n, 95);
			lg->p99 = percentile_sorted(d->v, d->n, 99);
		} else
			lg->p50 = lg->p95 = lg->p99 = NAN;
		size_t j = 0;
		for (int k = 0; k < LAT_HIST_BINS; k++) {
			while (j < d->n && d->v[j] <= lat_hist_bounds[k])
				j++;
			lg->hist[k].le = lat_hist_bounds[k];
			lg->hist[k].count = j;
		}
	}
	/* Confidence series follow the final group order: sort first, keeping
	 * the builder's group index with each. */
	size_t *order = xcalloc(ng ? ng : 1, sizeof *order);
	{
		struct { struct lat_group g; size_t id; } *tmp = xcalloc(ng ? ng : 1, sizeof *tmp);
		for (size_t i = 0; i < ng; i++) {
			tmp[i].g = p->groups[i];
			tmp[i].id = i;
		}
		/* insertion sort: few groups */
		for (size_t i = 1; i < ng; i++) {
			for (size_t k = i; k > 0 && cmp_group(&tmp[k - 1].g, &tmp[k].g) > 0; k--) {
				__typeof__(*tmp) s = tmp[k];
				tmp[k] = tmp[k - 1];
				tmp[k - 1] = s;
			}
		}
		for (size_t i = 0; i < ng; i++) {
			p->groups[i] = tmp[i].g;
			order[i] = tmp[i].id;
		}
		free(tmp);
	}
	p->nconf = ng + 1;
	p->conf = xcalloc(p->nconf, sizeof *p->conf);
	p->conf[0].key = xstrdup("*");
	p->conf[0].pts = xcalloc(b->nb, sizeof *p->conf[0].pts);
	mean_points(p->conf[0].pts, b->conf, b->nb);
	for (size_t i = 0; i < ng; i++) {
		p->conf[i + 1].key = xstrdup(p->groups[i].key);
		p->conf[i + 1].pts = xcalloc(b->nb, sizeof *p->conf[i + 1].pts);
		mean_points(p->conf[i + 1].pts, b->groups[order[i]].conf, b->nb);
	}
	free(order);
	/* groups seen only through other fields have no latency row */
	size_t kept = 0;
	for (size_t i = 0; i < ng; i++) {
		if (p->groups[i].count == 0) {
			free(p->groups[i].key);
			continue;
		}
		p->groups[kept++] = p->groups[i];
	}
	p->ngroups = kept;
	p->conf_mean = b->conf_all.count ? b->conf_all.sum / (double)b->conf_all.count : NAN;
	p->conf_prev = b->conf_prev.count ? b->conf_prev.sum / (double)b->conf_prev.count : NAN;
	p->cache = b->cache;
	p->errors = b->errors;
	p->drift = xcalloc(b->nb, sizeof *p->drift);
	mean_points(p->drift, b->drift, b->nb);
	p->nversions = b->versions.n;
	p->versions = xcalloc(p->nversions ? p->nversions : 1, sizeof *p->versions);
	for (size_t i = 0; i < p->nversions; i++) {
		p->versions[i].key = xstrdup(b->versions.keys[i]);
		p->versions[i].count = b->vcount[i];
	}
	qsort(p->versions, p->nversions, sizeof *p->versions, cmp_share);

	for (size_t id = 0; id < ng; id++) {
		free(b->groups[id].lat.v);
		free(b->groups[id].conf);
	}
	free(b->groups);
	strmap_free(&b->keys);
	strmap_free(&b->versions);
	free(b->vcount);
	free(b->conf);
	free(b->drift);
	free(b);
}

void
panels_free(struct panels *p)
{
	for (size_t i = 0; i < p->ngroups; i++)
		free(p->groups[i].key);
	free(p->groups);
	for (size_t i = 0; i < p->nconf; i++) {
		free(p->conf[i].key);
		free(p->conf[i].pts);
	}
	free(p->conf);
	free(p->cache);
	free(p->errors);
	free(p->drift);
	for (size_t i = 0; i < p->nversions; i++)
		free(p->versions[i].key);
	free(p->versions);
	free(p->latency_field);
	free(p->group_by);
	free(p->version_field);
	free(p->note);
	memset(p, 0, sizeof *p);
}

/* ---- printing ---- */

const char *
panels_conf_method_text(const struct panels *p)
{
	if (p->conf_method == NULL || strcmp(p->conf_method, PANELS_CONF_RECORD) == 0)
		return "";
	if (strcmp(p->conf_method, PANELS_CONF_SCRIPT) == 0)
		return " (each record's mean, by a server script)";
	if (strcmp(p->conf_method, PANELS_CONF_LINES) == 0)
		return " (each record's mean, computed from the lines)";
	return " (mean of all scores: the server refused scripts)";
}

/* Shortest text that reads back as the same double; integral values keep
 * a ".0" so that floats look like floats. NAN/inf print as null. */
static void
add_double(struct buf *b, double v)
{
	char s[40];
	if (!isfinite(v)) {
		buf_adds(b, "null");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	buf_adds(b, s);
	if (strpbrk(s, ".eEn") == NULL)
		buf_adds(b, ".0");
}

static void
add_time(struct buf *b, int64_t t)
{
	char s[48];
	time_format_iso(t, -1, s, sizeof s);
	buf_printf(b, "\"%s\"", s);
}

static void
add_str(struct buf *b, const char *s)
{
	buf_add_json_string(b, s, strlen(s));
}

void
panels_print_json(const struct panels *p, const char *const *sources, size_t nsources,
    FILE *out)
{
	struct buf b = BUF_INIT;
	const struct record_counts *rc = &p->records;

	buf_adds(&b, "{\n  \"source\": [");
	for (size_t i = 0; i < nsources; i++) {
		if (i)
			buf_adds(&b, ", ");
		add_str(&b, sources[i]);
	}
	buf_adds(&b, "],\n  \"range\": {\"start\": ");
	add_time(&b, p->range.start);
	buf_adds(&b, ", \"end\": ");
	add_time(&b, p->range.end);
	buf_printf(&b, "},\n  \"bucket_seconds\": %g,\n", (double)p->bucket / 1e9);
	buf_printf(&b, "  \"records\": {\"total\": %llu, \"invalid_json\": %llu, "
	    "\"no_time\": %llu, \"naive_time\": %llu, \"bad_type\": %llu, "
	    "\"invalid_utf8\": %llu, \"too_long\": %llu, \"unparsed\": %llu},\n",
	    (unsigned long long)rc->total, (unsigned long long)rc->invalid_json,
	    (unsigned long long)rc->no_time, (unsigned long long)rc->naive_time,
	    (unsigned long long)rc->bad_type, (unsigned long long)rc->invalid_utf8,
	    (unsigned long long)rc->too_long, (unsigned long long)rc->unparsed);
	buf_adds(&b, "  \"note\": ");
	if (p->note != NULL)
		add_str(&b, p->note);
	else
		buf_adds(&b, "null");
	buf_adds(&b, ",\n");
	buf_adds(&b, "  \"latency\": {\"field\": ");
	add_str(&b, p->latency_field ? p->latency_field : "");
	buf_adds(&b, ", \"group_by\": ");
	add_str(&b, p->group_by ? p->group_by : "");
	buf_printf(&b, ", \"exact\": %s,\n    \"groups\": [", p->exact ? "true" : "false");
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct lat_group *g = &p->groups[i];
		buf_adds(&b, i ? ",\n      {\"key\": " : "\n      {\"key\": ");
		add_str(&b, g->key);
		buf_printf(&b, ", \"count\": %llu, \"p50\": ", (unsigned long long)g->count);
		add_double(&b, g->p50);
		buf_adds(&b, ", \"p95\": ");
		add_double(&b, g->p95);
		buf_adds(&b, ", \"p99\": ");
		add_double(&b, g->p99);
		buf_adds(&b, ",\n       \"histogram\": [");
		for (int k = 0; k < LAT_HIST_BINS; k++) {
			if (k)
				buf_adds(&b, ", ");
			if (isinf(g->hist[k].le))
				buf_printf(&b, "{\"le\": null, \"count\": %llu}",
				    (unsigned long long)g->hist[k].count);
			else
				buf_printf(&b, "{\"le\": %g, \"count\": %llu}", g->hist[k].le,
				    (unsigned long long)g->hist[k].count);
		}
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "]},\n  \"confidence\": {\"method\": ");
	add_str(&b, p->conf_method ? p->conf_method : PANELS_CONF_RECORD);
	buf_adds(&b, ", \"mean\": ");
	add_double(&b, p->conf_mean);
	buf_adds(&b, ", \"previous_mean\": ");
	add_double(&b, p->conf_prev);
	buf_adds(&b, ", \"series\": [");
	for (size_t s = 0; s < p->nconf; s++) {
		buf_adds(&b, s ? ",\n    {\"key\": " : "\n    {\"key\": ");
		add_str(&b, p->conf[s].key);
		buf_adds(&b, ", \"points\": [");
		for (size_t i = 0; i < p->nbuckets; i++) {
			buf_adds(&b, i ? ",\n      {\"t\": " : "\n      {\"t\": ");
			add_time(&b, panels_bucket_time(p, i));
			buf_adds(&b, ", \"mean\": ");
			add_double(&b, p->conf[s].pts[i].mean);
			buf_printf(&b, ", \"count\": %llu}", (unsigned long long)p->conf[s].pts[i].count);
		}
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "]},\n  \"cache_hit\": {\"points\": [");
	for (size_t i = 0; i < p->nbuckets; i++) {
		const struct cache_point *c = &p->cache[i];
		buf_adds(&b, i ? ",\n    {\"t\": " : "\n    {\"t\": ");
		add_time(&b, panels_bucket_time(p, i));
		buf_adds(&b, ", \"rate\": ");
		add_double(&b, c->total ? (double)c->hits / (double)c->total : NAN);
		buf_printf(&b, ", \"hits\": %llu, \"total\": %llu}",
		    (unsigned long long)c->hits, (unsigned long long)c->total);
	}
	buf_adds(&b, "]},\n  \"errors\": {\"points\": [");
	for (size_t i = 0; i < p->nbuckets; i++) {
		const struct err_point *e = &p->errors[i];
		buf_adds(&b, i ? ",\n    {\"t\": " : "\n    {\"t\": ");
		add_time(&b, panels_bucket_time(p, i));
		buf_printf(&b, ", \"errors\": %llu, \"invalid\": %llu, \"total\": %llu}",
		    (unsigned long long)e->errors, (unsigned long long)e->invalid,
		    (unsigned long long)e->total);
	}
	buf_adds(&b, "]},\n  \"drift\": {\"points\": [");
	for (size_t i = 0; i < p->nbuckets; i++) {
		buf_adds(&b, i ? ",\n    {\"t\": " : "\n    {\"t\": ");
		add_time(&b, panels_bucket_time(p, i));
		buf_adds(&b, ", \"mean\": ");
		add_double(&b, p->drift[i].mean);
		buf_printf(&b, ", \"count\": %llu}", (unsigned long long)p->drift[i].count);
	}
	buf_adds(&b, "]},\n  \"versions\": {\"field\": ");
	add_str(&b, p->version_field ? p->version_field : "");
	buf_adds(&b, ", \"shares\": [");
	for (size_t i = 0; i < p->nversions; i++) {
		buf_adds(&b, i ? ", {\"key\": " : "{\"key\": ");
		add_str(&b, p->versions[i].key);
		buf_printf(&b, ", \"count\": %llu}", (unsigned long long)p->versions[i].count);
	}
	buf_adds(&b, "]}\n}\n");
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

static void
fmt_num(char *s, size_t n, double v, int decimals)
{
	if (isnan(v))
		snprintf(s, n, "-");
	else
		snprintf(s, n, "%.*f", decimals, v);
}

void
panels_print_table(const struct panels *p, FILE *out)
{
	char a[48], c[48], d[48], e[48];
	const struct record_counts *rc = &p->records;

	time_format_iso(p->range.start, -1, a, sizeof a);
	time_format_iso(p->range.end, -1, c, sizeof c);
	duration_format(p->bucket, d, sizeof d);
	fprintf(out, "range %s..%s  bucket %s\n", a, c, d);
	if (p->note != NULL)
		fprintf(out, "partial results: %s\n", p->note);
	fprintf(out, "records %llu  invalid_json %llu  invalid_utf8 %llu  too_long %llu  "
	    "no_time %llu  naive_time %llu  bad_type %llu",
	    (unsigned long long)rc->total, (unsigned long long)rc->invalid_json,
	    (unsigned long long)rc->invalid_utf8, (unsigned long long)rc->too_long,
	    (unsigned long long)rc->no_time, (unsigned long long)rc->naive_time,
	    (unsigned long long)rc->bad_type);
	if (rc->unparsed)
		fprintf(out, "  unparsed %llu", (unsigned long long)rc->unparsed);
	fputs("\n\n", out);
	fprintf(out, "Latency (%s) by %s%s\n", p->latency_field ? p->latency_field : "",
	    p->group_by ? p->group_by : "", p->exact ? "" : " (approx.)");
	fprintf(out, "%-24s %10s %10s %10s %10s\n", "group", "count", "p50", "p95", "p99");
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct lat_group *g = &p->groups[i];
		fmt_num(a, sizeof a, g->p50, 1);
		fmt_num(c, sizeof c, g->p95, 1);
		fmt_num(d, sizeof d, g->p99, 1);
		fprintf(out, "%-24.24s %10llu %10s %10s %10s\n", g->key,
		    (unsigned long long)g->count, a, c, d);
	}
	fmt_num(a, sizeof a, p->conf_mean, 4);
	fmt_num(c, sizeof c, p->conf_prev, 4);
	fprintf(out, "\nConfidence mean %s (previous window %s)%s\n", a, c,
	    panels_conf_method_text(p));
	fprintf(out, "%-24s %8s %8s %8s %10s %8s %8s %8s\n", "bucket", "conf", "n",
	    "cache%", "errors", "invalid", "total", "drift");
	for (size_t i = 0; i < p->nbuckets; i++) {
		time_format_iso(panels_bucket_time(p, i), 0, e, sizeof e);
		fmt_num(a, sizeof a, p->conf[0].pts[i].mean, 4);
		fmt_num(c, sizeof c, p->cache[i].total ?
		    100.0 * (double)p->cache[i].hits / (double)p->cache[i].total : NAN, 1);
		fmt_num(d, sizeof d, p->drift[i].mean, 3);
		fprintf(out, "%-24s %8s %8llu %8s %10llu %8llu %8llu %8s\n", e, a,
		    (unsigned long long)p->conf[0].pts[i].count, c,
		    (unsigned long long)p->errors[i].errors,
		    (unsigned long long)p->errors[i].invalid,
		    (unsigned long long)p->errors[i].total, d);
	}
	if (p->nversions) {
		fprintf(out, "\nShare by %s\n", p->version_field ? p->version_field : "version");
		uint64_t tot = 0;
		for (size_t i = 0; i < p->nversions; i++)
			tot += p->versions[i].count;
		for (size_t i = 0; i < p->nversions; i++)
			fprintf(out, "%-24.24s %10llu %6.1f%%\n", p->versions[i].key,
			    (unsigned long long)p->versions[i].count,
			    100.0 * (double)p->versions[i].count / (double)tot);
	}
}


static void
csv_row(FILE *out, const char *panel, const char *key, int64_t t, const char *metric,
    double v)
{
	char ts[48] = "";
	if (t != TIME_NONE)
		time_format_iso(t, -1, ts, sizeof ts);
	fprintf(out, "%s,", panel);
	csv_put(out, key);
	fprintf(out, ",%s,%s,", ts, metric);
	if (!isnan(v))
		fprintf(out, "%.17g", v);
	fputc('\n', out);
}

void
panels_print_csv(const struct panels *p, FILE *out)
{
	fprintf(out, "panel,key,t,metric,value\n");
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct lat_group *g = &p->groups[i];
		csv_row(out, "latency", g->key, TIME_NONE, "count", (double)g->count);
		csv_row(out, "latency", g->key, TIME_NONE, "p50", g->p50);
		csv_row(out, "latency", g->key, TIME_NONE, "p95", g->p95);
		csv_row(out, "latency", g->key, TIME_NONE, "p99", g->p99);
	}
	for (size_t s = 0; s < p->nconf; s++)
		for (size_t i = 0; i < p->nbuckets; i++)
			csv_row(out, "confidence", p->conf[s].key, panels_bucket_time(p, i),
			    "mean", p->conf[s].pts[i].mean);
	for (size_t i = 0; i < p->nbuckets; i++) {
		int64_t t = panels_bucket_time(p, i);
		csv_row(out, "cache_hit", "*", t, "rate", p->cache[i].total ?
		    (double)p->cache[i].hits / (double)p->cache[i].total : NAN);
		csv_row(out, "errors", "*", t, "errors", (double)p->errors[i].errors);
		csv_row(out, "errors", "*", t, "invalid", (double)p->errors[i].invalid);
		csv_row(out, "drift", "*", t, "mean", p->drift[i].mean);
	}
}

/* ---- Markdown ---- */

static int
md_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (unsigned char)c >= 0x80;
}

/* Escapes only what can start Markdown syntax, so that the text stays
 * readable: an '_' inside a word is literal (CommonMark 6.2), '#' and '>'
 * only open a block at the start. */
void
md_text(struct buf *b, const char *s)
{
	char *v = str_visible(s, strlen(s), 0);
	for (const char *p = v; *p; p++) {
		int esc = strchr("\\`*[]<|~", *p) != NULL ||
		    (*p == '_' && (p == v || !md_word(p[-1]) || !md_word(p[1]))) ||
		    ((*p == '#' || *p == '>') && p == v);
		if (esc)
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	free(v);
}

void
md_code(struct buf *b, const char *s)
{
	char *v = str_visible(s, strlen(s), 0);
	size_t run = 0, longest = 0, n = strlen(v);
	int pad;

	for (const char *p = v; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = longest || (n && (v[0] == ' ' || v[n - 1] == ' '));
	for (size_t i = 0; i <= longest; i++)
		buf_addc(b, '`');
	if (pad)
		buf_addc(b, ' ');
	for (const char *p = v; *p; p++) {
		if (*p == '|')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	if (pad)
		buf_addc(b, ' ');
	for (size_t i = 0; i <= longest; i++)
		buf_addc(b, '`');
	free(v);
}

static void
md_head(struct buf *b, const struct panels *p)
{
	const struct record_counts *rc = &p->records;
	const struct { const char *k; uint64_t n; } bad[] = {
		{ "invalid_json", rc->invalid_json }, { "invalid_utf8", rc->invalid_utf8 },
		{ "too_long", rc->too_long }, { "no_time", rc->no_time },
		{ "naive_time", rc->naive_time }, { "bad_type", rc->bad_type },
		{ "unparsed", rc->unparsed } };
	char a[48], c[48], d[48], e[48];
	int nb = 0;

	buf_printf(b, "Range %s..%s, bucket %s. Records %s",
	    time_format_iso(p->range.start, -1, a, sizeof a),
	    time_format_iso(p->range.end, -1, c, sizeof c),
	    duration_format(p->bucket, d, sizeof d), fmt_count(rc->total, e, sizeof e));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (bad[i].n)
			buf_printf(b, "%s%s %s", nb++ ? ", " : " (", bad[i].k,
			    fmt_count(bad[i].n, a, sizeof a));
	buf_adds(b, nb ? ").\n" : ".\n");
	if (p->note) {
		buf_adds(b, "Partial results: ");
		md_text(b, p->note);
		buf_adds(b, ".\n");
	}
	buf_addc(b, '\n');
}

static void
md_latency(struct buf *b, const struct panels *p)
{
	char c[48], x[48], y[48], z[48];

	buf_adds(b, "**Latency (ms");
	buf_adds(b, p->exact ? ") by " : ", approximate) by ");
	md_text(b, p->group_by ? p->group_by : "-");
	buf_adds(b, "**\n\n| Group | Count | p50 | p95 | p99 |\n|---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct lat_group *g = &p->groups[i];
		buf_adds(b, "| ");
		md_text(b, g->key);
		buf_printf(b, " | %s | %s | %s | %s |\n", fmt_count(g->count, c, sizeof c),
		    fmt_double(g->p50, 1, x, sizeof x), fmt_double(g->p95, 1, y, sizeof y),
		    fmt_double(g->p99, 1, z, sizeof z));
	}
	if (p->ngroups == 0)
		buf_adds(b, "| (no latency) | 0 | - | - | - |\n");
	buf_addc(b, '\n');
}

static void
md_versions(struct buf *b, const struct panels *p)
{
	uint64_t tot = 0;
	char c[48];

	buf_adds(b, "**Model versions (");
	md_text(b, p->version_field ? p->version_field : "-");
	buf_adds(b, ")**\n\n| Version | Count | Share |\n|---|---:|---:|\n");
	for (size_t i = 0; i < p->nversions; i++)
		tot += p->versions[i].count;
	for (size_t i = 0; i < p->nversions; i++) {
		buf_adds(b, "| ");
		md_text(b, p->versions[i].key);
		buf_printf(b, " | %s | %.1f%% |\n", fmt_count(p->versions[i].count, c, sizeof c),
		    100.0 * (double)p->versions[i].count / (double)tot);
	}
	if (p->nversions == 0)
		buf_adds(b, "| (none) | 0 | - |\n");
	buf_addc(b, '\n');
}

/* Series s of the dashboard: its value and weight in bucket i. */
enum { S_CONF, S_CACHE, S_ERRORS, S_DRIFT };

static double
series_value(const struct panels *p, int s, size_t i, double *w)
{
	switch (s) {
	case S_CONF:
		*w = (double)p->conf[0].pts[i].count;
		return p->conf[0].pts[i].mean;
	case S_CACHE:
		*w = (double)p->cache[i].total;
		return *w ? (double)p->cache[i].hits / *w : NAN;
	case S_ERRORS:
		*w = (double)p->errors[i].total;
		return *w || p->errors[i].invalid ? (double)p->errors[i].errors : NAN;
	default:
		*w = (double)p->drift[i].count;
		return p->drift[i].mean;
	}
}

static void
md_series_row(struct buf *b, const struct panels *p, int s)
{
	static const char *const names[] = { "Confidence (mean)", "Cache hit rate",
	    "Errors", "Drift (mean)" };
	double first = NAN, last = NAN, lo = NAN, hi = NAN, sum = 0, wsum = 0, w;
	int64_t hit = TIME_NONE;
	int dec = s == S_CONF ? 4 : s == S_DRIFT ? 3 : s == S_CACHE ? 1 : 0;
	double scale = s == S_CACHE ? 100 : 1;
	const char *unit = s == S_CACHE ? "%" : "";
	char v[5][48], t[48];

	for (size_t i = 0; i < p->nbuckets; i++) {
		double x = series_value(p, s, i, &w);
		if (isnan(x))
			continue;
		if (isnan(first))
			first = x;
		last = x;
		if (isnan(lo) || x < lo)
			lo = x;
		if (isnan(hi) || x > hi) {
			hi = x;
			hit = panels_bucket_time(p, i);
		}
		sum += s == S_ERRORS ? x : x * w;
		wsum += w;
	}
	double all = s == S_ERRORS ? (isnan(first) ? NAN : sum) :
	    s == S_CONF ? p->conf_mean : wsum ? sum / wsum : NAN;
	double vals[5] = { all, first, last, lo, hi };
	for (int k = 0; k < 5; k++) {
		fmt_double(vals[k] * scale, dec, v[k], sizeof v[k]);
		if (!isnan(vals[k]))
			strcat(v[k], unit);
	}
	if (hit != TIME_NONE && !(s == S_ERRORS && hi == 0))
		time_format_iso(hit, -1, t, sizeof t);
	else
		snprintf(t, sizeof t, "-");
	buf_printf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", names[s], v[0], v[1], v[2],
	    v[3], v[4], t);
}

static void
md_series_table(struct buf *b, const struct panels *p, const char *panel)
{
	char t[48], x[48], y[48], z[48];
	size_t ng = p->nconf < 7 ? p->nconf : 7;

	if (strcmp(panel, "confidence") == 0) {
		buf_printf(b, "**Confidence (mean)%s**\n\n| Bucket (UTC) |",
		    panels_conf_method_text(p));
		for (size_t s = 0; s < ng; s++) {
			buf_addc(b, ' ');
			md_text(b, s ? p->conf[s].key : "all");
			buf_adds(b, " |");
		}
		buf_adds(b, "\n|---|");
		for (size_t s = 0; s < ng; s++)
			buf_adds(b, "---:|");
		buf_addc(b, '\n');
	} else if (strcmp(panel, "cache_hit") == 0)
		buf_adds(b, "**Cache hit rate**\n\n| Bucket (UTC) | Rate | Hits | Total |\n"
		    "|---|---:|---:|---:|\n");
	else if (strcmp(panel, "errors") == 0)
		buf_adds(b, "**Errors**\n\n| Bucket (UTC) | Errors | Invalid | Total |\n"
		    "|---|---:|---:|---:|\n");
	else
		buf_adds(b, "**Drift (mean)**\n\n| Bucket (UTC) | Mean | Count |\n"
		    "|---|---:|---:|\n");
	for (size_t i = 0; i < p->nbuckets; i++) {
		buf_printf(b, "| %s |", time_format_iso(panels_bucket_time(p, i), -1, t, sizeof t));
		if (strcmp(panel, "confidence") == 0) {
			for (size_t s = 0; s < ng; s++)
				buf_printf(b, " %s |", fmt_double(p->conf[s].pts[i].mean, 4, x,
				    sizeof x));
		} else if (strcmp(panel, "cache_hit") == 0) {
			const struct cache_point *c = &p->cache[i];
			fmt_double(c->total ? 100.0 * (double)c->hits / (double)c->total : NAN, 1,
			    x, sizeof x);
			buf_printf(b, " %s%s | %s | %s |", x, c->total ? "%" : "",
			    fmt_count(c->hits, y, sizeof y), fmt_count(c->total, z, sizeof z));
		} else if (strcmp(panel, "errors") == 0) {
			const struct err_point *e = &p->errors[i];
			buf_printf(b, " %s | %s |", fmt_count(e->errors, x, sizeof x),
			    fmt_count(e->invalid, y, sizeof y));
			buf_printf(b, " %s |", fmt_count(e->total, z, sizeof z));
		} else
			buf_printf(b, " %s | %s |", fmt_double(p->drift[i].mean, 3, x, sizeof x),
			    fmt_count(p->drift[i].count, y, sizeof y));
		buf_addc(b, '\n');
	}
	buf_addc(b, '\n');
}

void
panels_print_md(const struct panels *p, const char *panel, FILE *out)
{
	struct buf b = BUF_INIT;

	md_head(&b, p);
	if (panel == NULL || strcmp(panel, "latency") == 0)
		md_latency(&b, p);
	if (panel == NULL) {
		buf_printf(&b, "**Over time**%s\n\n| Panel | Overall | First | Last | Min | Max "
		    "| Max at (UTC) |\n|---|---:|---:|---:|---:|---:|---|\n",
		    panels_conf_method_text(p));
		for (int s = S_CONF; s <= S_DRIFT; s++)
			md_series_row(&b, p, s);
		buf_addc(&b, '\n');
	}
	if (panel == NULL || strcmp(panel, "versions") == 0)
		md_versions(&b, p);
	if (panel != NULL && strcmp(panel, "latency") != 0 && strcmp(panel, "versions") != 0)
		md_series_table(&b, p, panel);
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}
