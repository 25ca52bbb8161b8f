/* The file backend (DESIGN §5): JSON-lines sources scanned on every core
 * with backends/jscan.c into struct rec columns; panels, searches and
 * traces are computed from the columns, re-reading lines (pread) only for
 * queries on other fields and for display.
 *
 * Text logs (issue 7): each source has a format, detected from its first
 * lines or forced by --log-format (fsrc.fmt; NULL is JSON lines, whose
 * path is unchanged). A text record is read through backends/textfmt.c,
 * which fills the same struct jv role values jscan_line does, so that the
 * role processing below is shared. A record may span lines (continuation
 * lines join the record above: rec.off/len cover the block); region
 * boundaries of the parallel scan move past lines that could join, and a
 * --follow poll extends the last record when its continuation arrives
 * later. A text line that matches no pattern is kept as REC_UNPARSED. */
#include "config.h"
#include "backends/backend.h"
#include "backends/file.h"
#include "backends/fileindex.h"
#include "backends/jscan.h"
#include "backends/linequery.h"
#include "backends/reader.h"
#include "backends/textfmt.h"
#include "lib/buf.h"
#include "lib/strmap.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_LINE	((size_t)16 << 20)
#define READ_CHUNK		((size_t)4 << 20)
#define PUBLISH_EVERY		16384
#define MAX_THREADS		8

static void
seg_push(struct seg *s, const struct rec *r, size_t n)
{
	if (n == 0)
		return;
	if (s->n + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->n + n)
			cap *= 2;
		s->v = xreallocarray(s->v, cap, sizeof *s->v);
		s->cap = cap;
	}
	memcpy(s->v + s->n, r, n * sizeof *r);
	s->n += n;
}

/* ---- value extraction ---- */

/* The value of role r: the first of its candidate paths present. */
static const struct jv *
role_value(const struct fb *fb, const struct mapping *m, const struct jv *out, enum role r)
{
	for (size_t i = 0; i < m->npaths[r]; i++) {
		const struct jv *v = &out[fb->role_at[r][i]];
		if (v->type != JV_MISSING)
			return v;
	}
	return NULL;
}

/* Text of a scalar for keys and hashes: unescaped strings, raw others. */
static const char *
scalar_text(const struct jv *v, struct buf *tmp, size_t *len)
{
	if (v->type == JV_STRING && v->escaped) {
		buf_reset(tmp);
		jscan_unescape(v, tmp);
		*len = tmp->len;
		return tmp->p ? tmp->p : "";
	}
	if (v->type == JV_ARRAY || v->type == JV_OBJECT)
		return NULL;
	*len = v->len;
	return v->p;
}

/* Mean of a number or a non-empty array of numbers (DESIGN §3). Returns
 * 0, or -1 if v has another type. */
static int
confidence_of(const struct jv *v, double *mean)
{
	if (v->type == JV_NUMBER && !v->overflow) {
		*mean = v->num;
		return 0;
	}
	if (v->type != JV_ARRAY)
		return -1;
	const char *p = v->p, *end = v->p + v->len;
	double sum = 0;
	size_t n = 0;
	p++;					/* '[' */
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ','))
			p++;
		if (p >= end || *p == ']')
			break;
		if (!(*p == '-' || (*p >= '0' && *p <= '9')))
			return -1;
		const char *q = p;
		while (q < end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
		    *q == 'E' || *q == '+' || *q == '-'))
			q++;
		int ovf;
		double x = jscan_number(p, (size_t)(q - p), &ovf);
		p = q;
		if (ovf || !isfinite(x))
			return -1;
		sum += x;
		n++;
	}
	if (n == 0)
		return -1;
	*mean = sum / (double)n;
	return 0;
}

/* Thread-local state of one scan. */
struct scanner {
	struct fb	*fb;
	const struct mapping *map;
	struct fsrc	*src;
	uint16_t	 srcno;
	struct seg	*seg;
	struct rec	*block;		/* unpublished records */
	size_t		 nblock;
	struct strmap	 groups, versions, fields;
	uint64_t	*shapes;	/* seen shape hashes (open addressing) */
	size_t		 nshapes, shapecap;
	int64_t		 last_t;
	struct buf	 tmp;
	struct jv	 out[JSCAN_MAX_PATHS];
	_Atomic uint64_t *bytes_done;
	_Atomic uint64_t *records;
	/* text formats */
	const struct tf_format *fmt;	/* NULL: JSON lines */
	struct tf_rec	*tr;		/* scratch (text only) */
	int		 have_prev;	/* a record above that lines may join */
	int		 prev_error;	/* ... and it is an error */
	int		 prev_keyed;	/* ... and prevkey holds its join key */
	struct buf	 prevkey, key;
	long		 tail_seg;	/* follow: the segment holding the record above
					   when this scan starts after it, -1 none */
};

static void
add_path_cb(void *ctx, const char *path, size_t len, enum jv_type t)
{
	struct scanner *sc = ctx;
	(void)t;
	strmap_intern(&sc->fields, path, len);
}

static int
shape_seen(struct scanner *sc, uint64_t h)
{
	if ((sc->nshapes + 1) * 2 > sc->shapecap) {
		size_t ncap = sc->shapecap ? sc->shapecap * 2 : 64;
		uint64_t *n = xcalloc(ncap, sizeof *n);
		for (size_t i = 0; i < sc->shapecap; i++) {
			if (sc->shapes[i] == 0)
				continue;
			size_t j = sc->shapes[i] & (ncap - 1);
			while (n[j])
				j = (j + 1) & (ncap - 1);
			n[j] = sc->shapes[i];
		}
		free(sc->shapes);
		sc->shapes = n;
		sc->shapecap = ncap;
	}
	if (h == 0)
		h = 1;
	size_t j = h & (sc->shapecap - 1);
	while (sc->shapes[j]) {
		if (sc->shapes[j] == h)
			return 1;
		j = (j + 1) & (sc->shapecap - 1);
	}
	sc->shapes[j] = h;
	sc->nshapes++;
	return 0;
}

static void
update_extent(struct fb *fb, const struct rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (REC_KIND(v[i].flags) != REC_OK)
			continue;
		if (fb->tmin == TIME_NONE || v[i].t < fb->tmin)
			fb->tmin = v[i].t;
		if (fb->tmax == TIME_NONE || v[i].t > fb->tmax)
			fb->tmax = v[i].t;
	}
}

/* Hand the block to readers: remap local ids to global ones. */
static void
publish(struct scanner *sc)
{
	struct fb *fb = sc->fb;
	uint32_t *gmap = NULL, *vmap = NULL;

	pthread_rwlock_wrlock(&fb->lock);
	if (sc->groups.n) {
		gmap = xcalloc(sc->groups.n, sizeof *gmap);
		for (size_t i = 0; i < sc->groups.n; i++)
			gmap[i] = strmap_intern(&fb->groups, sc->groups.keys[i], sc->groups.lens[i]) + 1;
	}
	if (sc->versions.n) {
		vmap = xcalloc(sc->versions.n, sizeof *vmap);
		for (size_t i = 0; i < sc->versions.n; i++)
			vmap[i] = strmap_intern(&fb->versions, sc->versions.keys[i],
			    sc->versions.lens[i]) + 1;
	}
	for (size_t i = 0; i < sc->nblock; i++) {
		struct rec *r = &sc->block[i];
		if (r->group)
			r->group = gmap[r->group - 1];
		if (r->version)
			r->version = vmap[r->version - 1];
	}
	size_t before = fb->fields.n;
	for (size_t i = 0; i < sc->fields.n; i++)
		strmap_intern(&fb->fields, sc->fields.keys[i], sc->fields.lens[i]);
	if (fb->fields.n != before) {
		free(fb->field_list);
		fb->field_list = NULL;
	}
	seg_push(sc->seg, sc->block, sc->nblock);
	update_extent(fb, sc->block, sc->nblock);
	fb->nrecs += sc->nblock;
	pthread_rwlock_unlock(&fb->lock);
	if (sc->records)
		*sc->records += sc->nblock;
	free(gmap);
	free(vmap);
	strmap_free(&sc->groups);
	strmap_free(&sc->versions);
	sc->nblock = 0;
}

static struct rec *
new_rec(struct scanner *sc, uint64_t off, size_t len)
{
	if (sc->nblock == PUBLISH_EVERY)
		publish(sc);
	struct rec *r = &sc->block[sc->nblock++];
	memset(r, 0, sizeof *r);
	r->off = off;
	r->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	r->src = sc->srcno;
	r->latency = r->confidence = r->drift = NAN;
	r->t = sc->last_t;
	return r;
}

static uint32_t
intern_value(struct scanner *sc, struct strmap *m, const struct jv *v)
{
	size_t len;
	const char *s;
	if (v == NULL || v->type == JV_NULL)
		return 0;
	s = scalar_text(v, &sc->tmp, &len);
	if (s == NULL)
		return 0;
	return strmap_intern(m, s, len) + 1;
}

static uint64_t
hash_value(struct scanner *sc, const struct jv *v)
{
	size_t len;
	const char *s;
	if (v == NULL || v->type == JV_NULL)
		return 0;
	s = scalar_text(v, &sc->tmp, &len);
	return s ? hash64(s, len) : 0;
}

static void fill_roles(struct scanner *sc, struct rec *r, int64_t t, int naive);
static void scan_text(struct scanner *sc, const char *line, size_t len, uint64_t off);

/* One line (without its newline) at file offset off. */
static void
scan_line(struct scanner *sc, const char *line, size_t len, uint64_t off)
{
	const struct mapping *m = sc->map;
	struct fb *fb = sc->fb;
	struct rec *r;
	uint64_t shape;
	const struct jv *v;
	int naive = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* a UTF-8 byte-order mark before the first line is not part of it */
	if (off == 0 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
		off += 3;
	}
	/* blank lines are not records */
	size_t k = 0;
	while (k < len && (line[k] == ' ' || line[k] == '\t'))
		k++;
	if (k == len)
		return;
	if (sc->fmt) {
		scan_text(sc, line, len, off);
		return;
	}
	r = new_rec(sc, off, len);
	int verdict = jscan_line(fb->ps, line, len, sc->out, &shape);
	if (verdict == JSCAN_BAD_UTF8) {
		r->flags = REC_INVALID_UTF8;
		return;
	}
	if (verdict != JSCAN_OK) {
		r->flags = REC_INVALID_JSON;
		return;
	}
	if (!shape_seen(sc, shape))
		jscan_each_path(line, len, add_path_cb, sc);

	int64_t t = TIME_NONE;
	v = role_value(fb, m, sc->out, ROLE_TIME);
	if (v && v->type == JV_STRING && !v->escaped) {
		if (time_parse_iso(v->p, v->len, &t, &naive) != 0)
			t = TIME_NONE;
	} else if (v && v->type == JV_STRING) {
		buf_reset(&sc->tmp);
		jscan_unescape(v, &sc->tmp);
		if (time_parse_iso(sc->tmp.p, sc->tmp.len, &t, &naive) != 0)
			t = TIME_NONE;
	} else if (v && v->type == JV_NUMBER && !v->overflow) {
		if (time_from_epoch_number(v->num, &t) != 0)
			t = TIME_NONE;
	}
	fill_roles(sc, r, t, naive);
}

/* The role columns of r from sc->out and its time t (TIME_NONE: none). */
static void
fill_roles(struct scanner *sc, struct rec *r, int64_t t, int naive)
{
	const struct mapping *m = sc->map;
	struct fb *fb = sc->fb;
	const struct jv *v;

	if (t == TIME_NONE) {
		r->flags = REC_NO_TIME;
		return;
	}
	r->t = sc->last_t = t;
	if (naive)
		r->flags |= REC_NAIVE;

	if ((v = role_value(fb, m, sc->out, ROLE_LATENCY)) != NULL) {
		if (v->type == JV_NUMBER && !v->overflow)
			r->latency = v->num;
		else if (v->type != JV_NULL)
			r->flags |= REC_BAD_TYPE;
	}
	if ((v = role_value(fb, m, sc->out, ROLE_CONFIDENCE)) != NULL && v->type != JV_NULL) {
		if (confidence_of(v, &r->confidence) != 0) {
			r->confidence = NAN;
			r->flags |= REC_BAD_TYPE;
		}
	}
	if ((v = role_value(fb, m, sc->out, ROLE_DRIFT)) != NULL && v->type != JV_NULL) {
		if (v->type == JV_NUMBER && !v->overflow)
			r->drift = v->num;
		else
			r->flags |= REC_BAD_TYPE;
	}
	if ((v = role_value(fb, m, sc->out, ROLE_CACHE_HIT)) != NULL && v->type != JV_NULL) {
		if (v->type == JV_TRUE)
			r->flags |= REC_CACHE_SET | REC_CACHE_HIT;
		else if (v->type == JV_FALSE)
			r->flags |= REC_CACHE_SET;
		else
			r->flags |= REC_BAD_TYPE;
	}
	if ((v = role_value(fb, m, sc->out, ROLE_LEVEL)) != NULL && v->type == JV_STRING) {
		size_t len2;
		const char *s = scalar_text(v, &sc->tmp, &len2);
		if (len2 == 5 && strncasecmp(s, "error", 5) == 0)
			r->flags |= REC_ERROR;
	}
	r->group = intern_value(sc, &sc->groups, role_value(fb, m, sc->out, ROLE_GROUP));
	r->version = intern_value(sc, &sc->versions, role_value(fb, m, sc->out, ROLE_VERSION));
	r->trace_h = hash_value(sc, role_value(fb, m, sc->out, ROLE_TRACE_ID));
	r->req_h = hash_value(sc, role_value(fb, m, sc->out, ROLE_REQUEST_ID));
}


/* The record above takes the lines up to end (continuation lines). */
static void
extend_prev(struct scanner *sc, uint64_t end)
{
	struct fb *fb = sc->fb;
	struct rec *r = NULL;
	if (sc->nblock > 0) {
		r = &sc->block[sc->nblock - 1];
		uint64_t n = end - r->off;
		r->len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		return;
	}
	/* published already, or a poll's lines joining what a scan before read */
	pthread_rwlock_wrlock(&fb->lock);
	if (sc->seg->n > 0)
		r = &sc->seg->v[sc->seg->n - 1];
	else if (sc->tail_seg >= 0 && (size_t)sc->tail_seg < sc->src->nsegs &&
	    sc->src->segs[sc->tail_seg].n > 0)
		r = &sc->src->segs[sc->tail_seg].v[sc->src->segs[sc->tail_seg].n - 1];
	if (r) {
		uint64_t n = end - r->off;
		r->len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	}
	pthread_rwlock_unlock(&fb->lock);
}

static void
add_text_path_cb(void *ctx, const char *path, size_t len, enum jv_type t)
{
	add_path_cb(ctx, path, len, t);
}

/* One text line (not blank) at off: a new record, a continuation of the
 * record above, or an unparsed line. */
static void
scan_text(struct scanner *sc, const char *line, size_t len, uint64_t off)
{
	struct fb *fb = sc->fb;
	const struct tf_format *f = sc->fmt;
	struct tf_rec *tr = sc->tr;
	struct rec *r;

	if (!tf_parse(f, tr, line, len)) {
		if (sc->have_prev && tf_is_continuation(f, tr, line, len)) {
			extend_prev(sc, off + len);
			return;
		}
		r = new_rec(sc, off, len);
		r->flags = REC_UNPARSED;
		sc->have_prev = 0;
		return;
	}
	int keyed = tf_join_key(f, tr, &sc->key);
	if (keyed && sc->have_prev && sc->prev_keyed &&
	    (!tf_join_after_error(f) || sc->prev_error) && sc->key.len == sc->prevkey.len &&
	    memcmp(sc->key.p, sc->prevkey.p, sc->key.len) == 0) {
		extend_prev(sc, off + len);
		return;
	}
	r = new_rec(sc, off, len);
	int64_t t;
	int naive;
	uint64_t shape;
	tf_extract(f, tr, sc->map, fb->ps, fb->path_str, fb->npaths,
	    (const int (*)[MAPPING_MAX_CANDIDATES])fb->role_at, sc->out, &t, &naive, &shape);
	if (!shape_seen(sc, shape))
		tf_each_path(tr, add_text_path_cb, sc);
	fill_roles(sc, r, t, naive);
	sc->have_prev = 1;
	sc->prev_error = (r->flags & REC_ERROR) != 0;
	sc->prev_keyed = sc->key.len > 0;
	if (sc->prev_keyed) {
		struct buf x = sc->prevkey;
		sc->prevkey = sc->key;
		sc->key = x;
	}
}

/* The record above where a scan of a source starts at start > 0 (a
 * --follow poll): its segment, and its join state from its first line. */
static void
scanner_resume(struct scanner *sc, uint64_t start, size_t nsegs)
{
	struct fsrc *s = sc->src;
	struct rec last;
	int found = 0;

	pthread_rwlock_rdlock(&sc->fb->lock);
	for (size_t k = nsegs; k-- > 0;) {
		if (s->segs[k].n == 0)
			continue;
		if (s->segs[k].v[s->segs[k].n - 1].off < start) {
			sc->tail_seg = (long)k;
			last = s->segs[k].v[s->segs[k].n - 1];
			found = 1;
		}
		break;
	}
	pthread_rwlock_unlock(&sc->fb->lock);
	if (!found || REC_KIND(last.flags) == REC_UNPARSED || REC_KIND(last.flags) == REC_TOO_LONG)
		return;
	size_t n = last.len > 65536 ? 65536 : last.len;
	char *line = xmalloc(n + 1);
	if (reader_pread(s->r.fd, line, n, last.off) == (ssize_t)n &&
	    tf_parse(sc->fmt, sc->tr, line, n)) {
		sc->have_prev = 1;
		sc->prev_error = (last.flags & REC_ERROR) != 0;
		tf_join_key(sc->fmt, sc->tr, &sc->prevkey);
		sc->prev_keyed = sc->prevkey.len > 0;
	}
	free(line);
}

/* Scan [start, end) of sc->src. A last line without a newline is scanned
 * only if final. Returns the offset after the last line consumed. */
static uint64_t
scan_range(struct scanner *sc, uint64_t start, uint64_t end, int final, _Atomic int *cancel)
{
	int fd = sc->src->r.fd;
	size_t cap = READ_CHUNK, have = 0;
	char *buf = xmalloc(cap);
	uint64_t boff = start;		/* file offset of buf[0] */
	uint64_t pos = start;		/* next unread file offset */
	int skipping = 0;		/* inside a too-long line */
	uint64_t skip_off = 0;

	while (pos < end) {
		if (cancel && *cancel)
			break;
		size_t want = cap - have;
		if (want > end - pos)
			want = (size_t)(end - pos);
		ssize_t got = reader_pread(fd, buf + have, want, pos);
		if (got <= 0)
			break;
		pos += (uint64_t)got;
		have += (size_t)got;
		if (sc->bytes_done)
			*sc->bytes_done += (uint64_t)got;
		size_t i = 0;
		for (;;) {
			char *nl = memchr(buf + i, '\n', have - i);
			if (nl == NULL)
				break;
			size_t len = (size_t)(nl - (buf + i));
			if (skipping) {
				skipping = 0;
			} else if (len > sc->fb->max_line) {
				struct rec *r = new_rec(sc, boff + i, len);
				r->flags = REC_TOO_LONG;
				sc->have_prev = 0;
			} else
				scan_line(sc, buf + i, len, boff + i);
			i += len + 1;
		}
		/* keep the partial line at the front */
		size_t rest = have - i;
		if (skipping || rest > sc->fb->max_line) {
			if (!skipping) {
				struct rec *r = new_rec(sc, boff + i, rest);
				r->flags = REC_TOO_LONG;
				sc->have_prev = 0;
				skip_off = boff + i;
				skipping = 1;
			}
			boff += have;
			have = 0;
			continue;
		}
		memmove(buf, buf + i, rest);
		boff += i;
		have = rest;
		if (have == cap) {
			/* a longer line: room for it, but never more than the
			   bound and one byte (a line past it is skipped above) */
			cap = cap > sc->fb->max_line / 2 ? sc->fb->max_line + 1 : cap * 2;
			buf = xrealloc(buf, cap);
		}
	}
	(void)skip_off;
	uint64_t consumed = boff;
	if (have > 0 && final && !skipping) {
		if (have > sc->fb->max_line) {
			struct rec *r = new_rec(sc, boff, have);
			r->flags = REC_TOO_LONG;
		} else
			scan_line(sc, buf, have, boff);
		consumed += have;
	} else if (skipping)
		consumed = pos;
	free(buf);
	return consumed;
}

static void
scanner_init(struct scanner *sc, struct backend *b, struct fsrc *src, uint16_t srcno,
    struct seg *seg)
{
	memset(sc, 0, sizeof *sc);
	sc->fb = b->priv;
	sc->map = &b->map;
	sc->src = src;
	sc->srcno = srcno;
	sc->seg = seg;
	sc->block = xmalloc(PUBLISH_EVERY * sizeof *sc->block);
	sc->last_t = TIME_NONE;
	sc->bytes_done = &b->progress.bytes_done;
	sc->records = &b->progress.records;
	sc->fmt = src->fmt;
	sc->tail_seg = -1;
	if (sc->fmt) {
		sc->tr = xmalloc(sizeof *sc->tr);
		tf_rec_init(sc->tr);
		sc->tr->ref = src->ref_t;
	}
}

static void
scanner_done(struct scanner *sc)
{
	publish(sc);
	free(sc->block);
	free(sc->shapes);
	strmap_free(&sc->fields);
	strmap_free(&sc->groups);
	strmap_free(&sc->versions);
	buf_free(&sc->tmp);
	buf_free(&sc->key);
	buf_free(&sc->prevkey);
	if (sc->tr) {
		tf_rec_free(sc->tr);
		free(sc->tr);
	}
}

struct region {
	struct backend	*b;
	struct fsrc	*src;
	uint16_t	 srcno;
	struct seg	*seg;
	uint64_t	 start, end, consumed;
	int		 final;
	size_t		 resume;	/* text, 1 + the segment count before this scan: the
					   record above may take the region's first lines; 0 no */
};

static void *
region_main(void *arg)
{
	struct region *rg = arg;
	struct scanner sc;

	scanner_init(&sc, rg->b, rg->src, rg->srcno, rg->seg);
	if (sc.fmt && rg->resume)
		scanner_resume(&sc, rg->start, rg->resume - 1);
	rg->consumed = scan_range(&sc, rg->start, rg->end, rg->final, &rg->b->cancel_load);
	scanner_done(&sc);
	return NULL;
}

/* Invalid lines take the time of the last valid record before them. */
static void
fix_invalid_times(struct fsrc *s)
{
	int64_t last = TIME_NONE;
	for (size_t k = 0; k < s->nsegs; k++) {
		struct seg *g = &s->segs[k];
		for (size_t i = 0; i < g->n; i++) {
			if (REC_KIND(g->v[i].flags) == REC_OK)
				last = g->v[i].t;
			else if (g->v[i].t == TIME_NONE)
				g->v[i].t = last;
		}
	}
}

static int
ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	return (int)n;
}

/* A region boundary c (just after a newline) of a text source moved
 * forward past lines that could join the record above it (continuation
 * lines, lines with the join key of the line before), so that no record
 * is split between two scanners. Looks at most 1 MiB ahead. */
static uint64_t
text_safe_cut(const struct fsrc *s, uint64_t c, uint64_t size)
{
	const struct tf_format *f = s->fmt;
	size_t back = c < 65536 ? (size_t)c : 65536;
	size_t want = back + ((size_t)1 << 20);
	if (want > size - (c - back))
		want = (size_t)(size - (c - back));
	char *buf = xmalloc(want + 1);
	ssize_t got = reader_pread(s->r.fd, buf, want, c - back);
	if (got <= 0) {
		free(buf);
		return c;
	}
	size_t n = (size_t)got;
	struct tf_rec *tr = xmalloc(sizeof *tr);
	struct buf prev = BUF_INIT, key = BUF_INIT;
	int prev_known = 0;	/* prev holds the key of the line before */
	tf_rec_init(tr);
	tr->ref = s->ref_t;
	if (back > 0) {
		size_t e = back - 1;	/* the newline before c */
		size_t b0 = e;
		while (b0 > 0 && buf[b0 - 1] != '\n')
			b0--;
		if (tf_parse(f, tr, buf + b0, e - b0)) {
			tf_join_key(f, tr, &prev);
			prev_known = prev.len > 0 ? 1 : 2;
		}
	}
	size_t pos = back;
	for (;;) {
		char *nl = memchr(buf + pos, '\n', n - pos);
		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - (buf + pos));
		const char *line = buf + pos;
		size_t k = 0;
		while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		int joins;
		if (k == len)
			joins = 1;		/* blank: not a record */
		else if (!tf_parse(f, tr, line, len))
			joins = tf_is_continuation(f, tr, line, len);
		else if (!tf_join_key(f, tr, &key))
			joins = 0;	/* a JSON body or no key: a record starts here */
		else {
			/* unknown line before (a continuation): it might join */
			joins = prev_known != 2 && (prev_known == 0 || (key.len == prev.len &&
			    memcmp(key.p, prev.p, key.len) == 0));
			struct buf x = prev;
			prev = key;
			key = x;
			prev_known = 1;
		}
		if (!joins)
			break;
		pos += len + 1;
	}
	tf_rec_free(tr);
	free(tr);
	buf_free(&prev);
	buf_free(&key);
	free(buf);
	return c + (pos - back);
}

/* Scan [from, size) of a source on up to ncpu threads, splitting at
 * newlines. A last line without a newline is a record only if final;
 * s->scanned is set to the offset after the last line consumed. */
static void
scan_source(struct backend *b, struct fsrc *s, uint16_t srcno, uint64_t from, uint64_t size,
    int final)
{
	struct fb *fb = b->priv;
	int nt = ncpu();
	uint64_t len = size - from;
	if (len < ((uint64_t)8 << 20))
		nt = 1;
	uint64_t cut[MAX_THREADS + 1];
	cut[0] = from;
	cut[nt] = size;
	for (int k = 1; k < nt; k++) {
		uint64_t c = from + len * (uint64_t)k / (uint64_t)nt;
		if (c < cut[k - 1])
			c = cut[k - 1];
		/* move past the next newline */
		char tmp[4096];
		for (;;) {
			ssize_t r = reader_pread(s->r.fd, tmp, sizeof tmp, c);
			if (r <= 0) {
				c = size;
				break;
			}
			char *nl = memchr(tmp, '\n', (size_t)r);
			if (nl) {
				c += (uint64_t)(nl - tmp) + 1;
				break;
			}
			c += (uint64_t)r;
		}
		if (s->fmt && c < size)
			c = text_safe_cut(s, c, size);
		cut[k] = c > size ? size : c;
	}
	struct region rg[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	size_t seg0;

	pthread_rwlock_wrlock(&fb->lock);
	seg0 = s->nsegs;
	s->segs = xreallocarray(s->segs, s->nsegs + (size_t)nt, sizeof *s->segs);
	memset(s->segs + s->nsegs, 0, (size_t)nt * sizeof *s->segs);
	s->nsegs += (size_t)nt;
	pthread_rwlock_unlock(&fb->lock);
	for (int k = 0; k < nt; k++) {
		rg[k] = (struct region){ b, s, srcno, &s->segs[seg0 + (size_t)k], cut[k],
		    cut[k + 1], cut[k + 1], k == nt - 1 && final,
		    k == 0 && from > 0 && s->fmt ? seg0 + 1 : 0 };
		if (k > 0 && pthread_create(&th[k], NULL, region_main, &rg[k]) != 0)
			region_main(&rg[k]);	/* no thread: do it here */
	}
	region_main(&rg[0]);
	for (int k = 1; k < nt; k++)
		pthread_join(th[k], NULL);
	s->scanned = rg[nt - 1].consumed;
	pthread_rwlock_wrlock(&fb->lock);
	fix_invalid_times(s);
	pthread_rwlock_unlock(&fb->lock);
}

void
file_append_segment(struct backend *b, struct fsrc *s, struct rec *v, size_t n,
    char *const *groups, size_t ngroups, char *const *versions, size_t nversions,
    char *const *fields, size_t nfields)
{
	struct fb *fb = b->priv;
	uint32_t *gmap = xcalloc(ngroups + 1, sizeof *gmap);
	uint32_t *vmap = xcalloc(nversions + 1, sizeof *vmap);

	pthread_rwlock_wrlock(&fb->lock);
	for (size_t i = 0; i < ngroups; i++)
		gmap[i] = strmap_intern(&fb->groups, groups[i], strlen(groups[i])) + 1;
	for (size_t i = 0; i < nversions; i++)
		vmap[i] = strmap_intern(&fb->versions, versions[i], strlen(versions[i])) + 1;
	for (size_t i = 0; i < nfields; i++)
		strmap_intern(&fb->fields, fields[i], strlen(fields[i]));
	int same = 1;		/* ids already the backend's: skip the remap */
	for (size_t i = 0; i < ngroups; i++)
		same &= gmap[i] == i + 1;
	for (size_t i = 0; i < nversions; i++)
		same &= vmap[i] == i + 1;
	int64_t tmin = fb->tmin, tmax = fb->tmax;
	for (size_t i = 0; i < n; i++) {
		if (!same) {
			if (v[i].group)
				v[i].group = v[i].group <= ngroups ? gmap[v[i].group - 1] : 0;
			if (v[i].version)
				v[i].version = v[i].version <= nversions ?
				    vmap[v[i].version - 1] : 0;
		}
		if (REC_KIND(v[i].flags) != REC_OK)
			continue;
		if (tmin == TIME_NONE || v[i].t < tmin)
			tmin = v[i].t;
		if (tmax == TIME_NONE || v[i].t > tmax)
			tmax = v[i].t;
	}
	fb->tmin = tmin;
	fb->tmax = tmax;
	s->segs = xreallocarray(s->segs, s->nsegs + 1, sizeof *s->segs);
	s->segs[s->nsegs] = (struct seg){ v, n, n };
	s->nsegs++;
	fb->nrecs += n;
	pthread_rwlock_unlock(&fb->lock);
	b->progress.records += n;
	free(gmap);
	free(vmap);
}

/* ---- vtable ---- */

static int
is_gzip(const char *name)
{
	unsigned char m[2];
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = pread(fd, m, 2, 0);
	close(fd);
	return r == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

/* Add a line to the backend's warning ("a; b"), so that one damaged file
 * does not hide another's. */
static void
warn_add(struct backend *b, const char *msg)
{
	size_t used = strlen(b->warning);
	snprintf(b->warning + used, sizeof b->warning - used, "%s%s", used ? "; " : "", msg);
}

#define SIG_BYTES	4096

/* A signature of the up to SIG_BYTES bytes before end in fd (a file that
 * is truncated and written again, or rewritten, changes it). Returns 0, or
 * -1 if they cannot be read (the file is shorter than end). */
static int
tail_sig(int fd, uint64_t end, uint64_t *h)
{
	char buf[SIG_BYTES];
	size_t n = end < SIG_BYTES ? (size_t)end : SIG_BYTES;
	if (reader_pread(fd, buf, n, end - n) != (ssize_t)n)
		return -1;
	*h = hash64(buf, n);
	return 0;
}

/* Note the signature of s up to s->scanned, taken just after a scan. */
static void
take_sig(struct fsrc *s)
{
	s->sig_ok = !s->r.spooled && tail_sig(s->r.fd, s->scanned, &s->sig) == 0;
}

/* Are the bytes up to s->scanned still the ones scanned? (A plain file
 * only: a spool does not change.) */
static int
sig_same(const struct fsrc *s)
{
	uint64_t h;
	if (s->r.spooled || !s->sig_ok)
		return 1;
	return tail_sig(s->r.fd, s->scanned, &h) == 0 && h == s->sig;
}

/* ---- text formats: detection ---- */

#define DETECT_LINES	50
#define DETECT_BYTES	((size_t)256 << 10)

/* Pick s's format from its first DETECT_LINES non-empty lines: the one
 * that reads most of them (continuation lines count for formats that
 * join them) wins; JSON lines first, then the definition order on a tie;
 * nothing read at all is JSON (its lines are then counted invalid). */
static void
detect_format(struct fb *fb, struct fsrc *s)
{
	if (s->detected)
		return;
	s->detected = 1;
	struct stat st;
	s->ref_t = time_now();
	if (!s->r.spooled && fstat(s->r.fd, &st) == 0)
		s->ref_t = (int64_t)st.st_mtim.tv_sec * NS_PER_SEC + st.st_mtim.tv_nsec;
	else if (s->r.gz && s->r.st.st_mtim.tv_sec)
		s->ref_t = (int64_t)s->r.st.st_mtim.tv_sec * NS_PER_SEC + s->r.st.st_mtim.tv_nsec;
	if (fb->forced_json)
		return;
	if (fb->forced) {
		s->fmt = fb->forced;
		return;
	}
	if (fb->formats.n == 0 || s->r.fd < 0)
		return;
	char *buf = xmalloc(DETECT_BYTES);
	ssize_t got = reader_pread(s->r.fd, buf, DETECT_BYTES, 0);
	if (got <= 0) {
		free(buf);
		if (!s->r.spooled)
			s->detected = 0;	/* empty so far: a --follow poll decides */
		return;
	}
	size_t n = (size_t)got, pos = 0, nlines = 0;
	size_t *score = xcalloc(fb->formats.n, sizeof *score);
	size_t json = 0;
	size_t *nfields = xcalloc(fb->formats.n, sizeof *nfields);
	struct tf_rec *tr = xmalloc(sizeof *tr);
	tf_rec_init(tr);
	tr->ref = s->ref_t;
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < n && nlines < DETECT_LINES) {
		char *nl = memchr(buf + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (buf + pos)) : n - pos;
		if (nl == NULL && (size_t)got == DETECT_BYTES)
			break;		/* a partial line at the end of the window */
		const char *line = buf + pos;
		pos += len + 1;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		size_t k = 0;
		while (k < len && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == len)
			continue;
		nlines++;
		if (jscan_line(NULL, line, len, NULL, NULL) == JSCAN_OK)
			json++;
		for (size_t i = 0; i < fb->formats.n; i++) {
			if (tf_parse(fb->formats.v[i], tr, line, len)) {
				score[i]++;
				nfields[i] += tr->nf + (tr->json != NULL);
			} else if (tf_is_continuation(fb->formats.v[i], tr, line, len))
				score[i]++;
		}
	}
	/* most lines read; on a tie the one that finds more fields (the more
	   specific), then the definition order; JSON wins any tie */
	size_t best = json, bestf = 0;
	for (size_t i = 0; i < fb->formats.n; i++)
		if (score[i] > best || (score[i] == best && s->fmt && nfields[i] > bestf)) {
			best = score[i];
			bestf = nfields[i];
			s->fmt = fb->formats.v[i];
		}
	free(nfields);
	/* a format that only explains continuation lines explains nothing */
	if (s->fmt) {
		size_t matched = 0;
		pos = 0;
		for (size_t l = 0; pos < n && l < DETECT_LINES; l++) {
			char *nl = memchr(buf + pos, '\n', n - pos);
			size_t len = nl ? (size_t)(nl - (buf + pos)) : n - pos;
			matched += tf_parse(s->fmt, tr, buf + pos, len);
			pos += len + 1;
		}
		if (matched == 0)
			s->fmt = NULL;
	}
	tf_rec_free(tr);
	free(tr);
	free(score);
	free(buf);
	if (nlines == 0 && !s->r.spooled)
		s->detected = 0;	/* empty so far: a --follow poll decides */
}

/* Assumptions the reading of a text format made, for the status line
 * and stderr ("x.log: syslog-3164: year inferred from ..."). */
static void
note_assumptions(struct backend *b, struct fsrc *s)
{
	if (s->fmt == NULL || !tf_infers_year(s->fmt))
		return;
	time_t rs = (time_t)(s->ref_t / NS_PER_SEC);
	struct tm tm;
	gmtime_r(&rs, &tm);
	size_t used = strlen(b->warning);
	snprintf(b->warning + used, sizeof b->warning - used, "%s%s: %s: year inferred %d from "
	    "%s (the year before for dates after it); zone %s%s", used ? "; " : "", s->r.name,
	    tf_name(s->fmt), tm.tm_year + 1900, s->r.spooled ? "the current time" :
	    "the file's mtime", tf_tz() ? tf_tz() : "UTC", tf_tz() ? " (--tz)" :
	    " assumed (--tz)");
}

/* Lines of a text source that match no pattern of its format, by file:
 * "x.log: 3 lines match no pattern of logfmt (unparsed; see logdive
 * formats test logfmt x.log)". */
static void
note_unparsed(struct backend *b, struct fsrc *s)
{
	uint64_t n = 0;

	if (s->fmt == NULL)
		return;
	for (size_t k = 0; k < s->nsegs; k++)
		for (size_t j = 0; j < s->segs[k].n; j++)
			n += REC_KIND(s->segs[k].v[j].flags) == REC_UNPARSED;
	if (n == 0)
		return;
	size_t used = strlen(b->warning);
	snprintf(b->warning + used, sizeof b->warning - used, "%s%s: %llu line%s match%s no "
	    "pattern of %s (unparsed; see logdive formats test %s %s)", used ? "; " : "",
	    s->r.name, (unsigned long long)n, n == 1 ? "" : "s", n == 1 ? "es" : "",
	    tf_name(s->fmt), tf_name(s->fmt), s->r.name);
}

static void
format_warn(void *arg, const char *line)
{
	struct backend *b = arg;
	size_t used = strlen(b->warning);
	snprintf(b->warning + used, sizeof b->warning - used, "%s%s", used ? "; " : "", line);
}

static int
file_open(struct backend *b, const struct backend_opts *o, struct ld_err *err)
{
	struct fb *fb = xcalloc(1, sizeof *fb);
	char **names;
	size_t n;
	int rc;

	b->priv = fb;
	pthread_rwlock_init(&fb->lock, NULL);
	fb->tmin = fb->tmax = TIME_NONE;
	fb->max_line = o->max_line ? o->max_line : DEFAULT_MAX_LINE;
	fb->follow = o->follow;
	fb->cache_dir = o->cache_dir ? xstrdup(o->cache_dir) : NULL;
	/* text formats: a bad user file is warned about, unless it is the one
	   --log-format names */
	tf_set_load_default(&fb->formats, format_warn, b);
	if (o->log_format && strcmp(o->log_format, "json") == 0)
		fb->forced_json = 1;
	else if (o->log_format && (fb->forced = tf_set_find(&fb->formats, o->log_format)) == NULL) {
		char *names_ = tf_set_names(&fb->formats);
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", b->warning);
		rc = err_set(err, LD_EUSAGE, "--log-format %s: %s%s%s", o->log_format,
		    strstr(why, o->log_format) ? why : "no such format; use one of ",
		    strstr(why, o->log_format) ? "" : names_,
		    strstr(why, o->log_format) ? "" : " (logdive formats lists them)");
		free(names_);
		return rc;
	}
	if ((rc = reader_expand(o->sources, o->nsources, &names, &n, err)) != LD_OK)
		return rc;
	if (n > UINT16_MAX) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return err_set(err, LD_EUSAGE, "too many files (%zu): at most %d", n, UINT16_MAX);
	}
	fb->srcs = xcalloc(n ? n : 1, sizeof *fb->srcs);
	for (size_t i = 0; i < n; i++) {
		struct fsrc *s = &fb->srcs[fb->nsrcs];
		s->r.fd = -1;
		if (strcmp(names[i], "-") == 0) {
			s->deferred = 1;
			s->r.name = names[i];
			fb->nsrcs++;
			continue;
		}
		struct stat st;
		int nostat = stat(names[i], &st) != 0;	/* st unset then */
		if (nostat || S_ISDIR(st.st_mode)) {
			rc = err_set(err, LD_ESOURCE, "cannot open %s: %s", names[i],
			    nostat ? strerror(errno) : "is a directory");
			for (size_t k = i; k < n; k++)
				free(names[k]);
			free(names);
			return rc;
		}
		if (is_gzip(names[i])) {
			/* decompressed by load, with progress */
			s->deferred = 1;
			s->r.name = names[i];
			s->r.st = st;
			fb->nsrcs++;
			b->progress.bytes_total += (uint64_t)st.st_size;
			continue;
		}
		rc = reader_open(&s->r, names[i], NULL, &b->cancel_load, err);
		if (rc != LD_OK && s->r.gz && s->r.fd >= 0) {
			warn_add(b, err->msg);
			err_clear(err);
			rc = LD_OK;
		}
		if (rc != LD_OK) {
			for (size_t k = i; k < n; k++)
				free(names[k]);
			free(names);
			return rc;
		}
		free(names[i]);
		fb->nsrcs++;
	}
	free(names);

	/* compile the role paths */
	const char *paths[JSCAN_MAX_PATHS];
	size_t np = 0;
	for (int r = 0; r < ROLE_COUNT; r++) {
		for (size_t i = 0; i < b->map.npaths[r]; i++) {
			size_t k;
			for (k = 0; k < np; k++)
				if (strcmp(paths[k], b->map.paths[r][i]) == 0)
					break;
			if (k == np) {
				if (np == JSCAN_MAX_PATHS)
					return err_set(err, LD_EUSAGE, "the mapping names more than "
					    "%d paths", JSCAN_MAX_PATHS);
				fb->path_str[np] = b->map.paths[r][i];
				paths[np++] = b->map.paths[r][i];
			}
			fb->role_at[r][i] = (int)k;
		}
	}
	fb->ps = jscan_paths_new(paths, np);
	fb->npaths = np;
	for (size_t i = 0; i < fb->nsrcs; i++)
		if (!fb->srcs[i].deferred) {
			b->progress.bytes_total += (uint64_t)fb->srcs[i].r.st.st_size;
			detect_format(fb, &fb->srcs[i]);
			note_assumptions(b, &fb->srcs[i]);
		}
	return LD_OK;
}

static void drop_source_records(struct backend *b, struct fsrc *s);

#define SCAN_TRIES	3

/* The offset just after the first newline in [from, to) of fd, or 0 if
 * there is none. */
static uint64_t
next_newline(int fd, uint64_t from, uint64_t to)
{
	char buf[65536];
	while (from < to) {
		size_t want = to - from < sizeof buf ? (size_t)(to - from) : sizeof buf;
		ssize_t got = reader_pread(fd, buf, want, from);
		if (got <= 0)
			return 0;
		char *nl = memchr(buf, '\n', (size_t)got);
		if (nl != NULL)
			return from + (uint64_t)(nl - buf) + 1;
		from += (uint64_t)got;
	}
	return 0;
}

/* Scan s from `from` to size, the size it had when the load began. A file
 * truncated or rewritten while it is read (an fstat size below size, or
 * other bytes before size after the scan than before it) gives records of
 * two different files: they are dropped and the file read again from the
 * start, up to SCAN_TRIES times; then the last scan stands, with a
 * warning, and is not indexed. Bytes appended meanwhile are not read (a
 * --follow poll reads them), but for a last line without a newline: if
 * the file has grown, it was being written (it is read up to its newline
 * if that is there now, else left for later: half a line is not an
 * invalid record); if not, it is the file's last line, a record (without
 * --follow). Sets s->unsaved (or not) and s->sig. */
static void
scan_stable(struct backend *b, struct fsrc *s, uint16_t srcno, uint64_t from, uint64_t size)
{
	struct fb *fb = b->priv;

	for (int tries = 1;; tries++) {
		uint64_t h0 = 0, h1;
		struct stat st;
		int have0 = !s->r.spooled && tail_sig(s->r.fd, size, &h0) == 0;
		scan_source(b, s, srcno, from, size, 0);
		if (s->r.spooled || b->cancel_load || fstat(s->r.fd, &st) != 0 ||
		    ((uint64_t)st.st_size >= size && (!have0 ||
		    (tail_sig(s->r.fd, size, &h1) == 0 && h1 == h0)))) {
			s->unsaved = 1;
			break;
		}
		if (tries == SCAN_TRIES) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s changed while it was read (truncated or "
			    "rewritten, %d times): the figures may mix its old and new lines",
			    s->r.name, SCAN_TRIES);
			warn_add(b, msg);
			s->unsaved = 0;
			break;
		}
		/* what was read is not one file: read it again, whole */
		pthread_rwlock_wrlock(&fb->lock);
		drop_source_records(b, s);
		pthread_rwlock_unlock(&fb->lock);
		from = 0;
		size = (uint64_t)st.st_size;
		s->r.st = st;
	}
	if (!fb->follow && !b->cancel_load && s->scanned < size) {
		struct stat st;
		uint64_t end = size;
		int final = 1;
		if (!s->r.spooled && fstat(s->r.fd, &st) == 0 && (uint64_t)st.st_size > size) {
			end = next_newline(s->r.fd, size, (uint64_t)st.st_size);
			final = 0;
		}
		if (end > s->scanned)
			scan_source(b, s, srcno, s->scanned, end, final);
	}
	take_sig(s);
}

static int
file_load(struct backend *b, struct ld_err *err)
{
	struct fb *fb = b->priv;
	int rc = LD_OK;

	for (size_t i = 0; i < fb->nsrcs && !b->cancel_load; i++) {
		struct fsrc *s = &fb->srcs[i];
		if (s->deferred) {
			char *name = s->r.name;
			rc = reader_open(&s->r, name, &b->progress.bytes_done, &b->cancel_load, err);
			free(name);
			if (rc != LD_OK && s->r.fd < 0)
				return rc;
			if (rc != LD_OK) {
				warn_add(b, err->msg);
				err_clear(err);
				rc = LD_OK;
			}
			s->deferred = 0;
			detect_format(fb, s);
			note_assumptions(b, s);
		}
		struct stat st;
		if (fstat(s->r.fd, &st) != 0)
			return err_set(err, LD_ESOURCE, "cannot read %s: %s", s->r.name,
			    strerror(errno));
		uint64_t size = (uint64_t)st.st_size;
		if (s->r.spooled) {
			/* from here on progress counts the decompressed bytes */
			b->progress.bytes_total += size;
			b->progress.bytes_done = 0;
			for (size_t k = 0; k < i; k++)
				b->progress.bytes_done += fb->srcs[k].scanned;
		}
		int ix = fb->cache_dir && fb->cache_dir[0] == '\0' ? -1 :
		    fileindex_load(b, s, (uint16_t)i);
		if (ix == 0) {
			b->progress.from_index = 1;
			b->progress.bytes_done += size;
			continue;
		}
		if (ix > 0)
			b->progress.bytes_done += s->scanned;
		scan_stable(b, s, (uint16_t)i, ix > 0 ? s->scanned : 0, size);
	}
	for (size_t i = 0; i < fb->nsrcs && !b->cancel_load; i++)
		note_unparsed(b, &fb->srcs[i]);
	/* Everything is readable now: callers may show it while the index is
	 * written (DESIGN: persist after the first dashboard is on screen). */
	b->progress.rc = rc;
	b->progress.done = 1;
	if (b->cancel_load)
		return err_set(err, LD_ECANCEL, "load cancelled");
	for (size_t i = 0; i < fb->nsrcs && !b->cancel_load; i++) {
		/* never an index of records from bytes no longer in the file */
		if (fb->srcs[i].unsaved && !(fb->cache_dir && fb->cache_dir[0] == '\0') &&
		    sig_same(&fb->srcs[i]))
			fileindex_save(b, &fb->srcs[i], (uint16_t)i);
		fb->srcs[i].unsaved = 0;
	}
	return rc;
}

/* ---- reading records back ---- */

/* Sequential reader of records of one source, in file order. */
struct lcur {
	int		 fd;
	char		*buf;
	size_t		 cap, blen;
	uint64_t	 boff;
};

static void
lcur_init(struct lcur *c, int fd)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
}

/* The line of r, or NULL if it cannot be read. Valid until the next call. */
static const char *
lcur_get(struct lcur *c, const struct rec *r)
{
	if (r->off >= c->boff && r->off + r->len <= c->boff + c->blen)
		return c->buf + (r->off - c->boff);
	size_t want = r->len > READ_CHUNK ? r->len : READ_CHUNK;
	if (want > c->cap) {
		free(c->buf);
		c->buf = xmalloc(want);
		c->cap = want;
	}
	ssize_t got = reader_pread(c->fd, c->buf, want, r->off);
	if (got < (ssize_t)r->len) {
		c->blen = 0;
		return NULL;
	}
	c->boff = r->off;
	c->blen = (size_t)got;
	return c->buf;
}

static void
lcur_free(struct lcur *c)
{
	free(c->buf);
	c->buf = NULL;
}

/* ---- panels ---- */

static int
resolve_range(struct fb *fb, const struct query_opts *q, struct time_range *r)
{
	if (q->has_range) {
		*r = q->range;
		return 0;
	}
	if (fb->tmin == TIME_NONE)
		return -1;
	r->start = time_floor(fb->tmin, NS_PER_SEC);
	r->end = time_floor(fb->tmax, NS_PER_SEC) + NS_PER_SEC;
	return 0;
}

enum gmode { G_ROLE, G_VERSION, G_LINE };

static enum gmode
group_mode(const struct backend *b, const char *group_by)
{
	if (group_by == NULL)
		return G_ROLE;
	for (size_t i = 0; i < b->map.npaths[ROLE_GROUP]; i++)
		if (strcmp(group_by, b->map.paths[ROLE_GROUP][i]) == 0)
			return G_ROLE;
	for (size_t i = 0; i < b->map.npaths[ROLE_VERSION]; i++)
		if (strcmp(group_by, b->map.paths[ROLE_VERSION][i]) == 0)
			return G_VERSION;
	return G_LINE;
}

static int
file_panels(struct backend *b, const struct query_opts *q, struct panels *out,
    struct ld_err *err)
{
	struct fb *fb = b->priv;
	struct time_range r;
	struct record_counts rc = {0};
	enum gmode gm = group_mode(b, q->group_by);
	int need_line = q->query != NULL || gm == G_LINE;
	struct linequery qc;
	struct strmap linekeys;
	int rcode = LD_OK;

	memset(out, 0, sizeof *out);
	memset(&linekeys, 0, sizeof linekeys);
	memset(&qc, 0, sizeof qc);
	pthread_rwlock_rdlock(&fb->lock);
	if (resolve_range(fb, q, &r) != 0) {
		pthread_rwlock_unlock(&fb->lock);
		/* nothing with a time: still report the counts */
		int64_t now = time_floor(time_now(), NS_PER_SEC);
		r.start = now;
		r.end = now + NS_PER_SEC;
		rcode = LD_NOMATCH;
		pthread_rwlock_rdlock(&fb->lock);
	}
	int64_t width = q->bucket ? q->bucket : bucket_auto(&r);
	if (bucket_count(&r, width) > 100000) {
		pthread_rwlock_unlock(&fb->lock);
		return err_set(err, LD_EUSAGE, "bucket width too small for the range: "
		    "%lld buckets (at most 100000); choose a wider -b",
		    (long long)bucket_count(&r, width));
	}
	struct panels_builder *pb = panels_builder_new(&r, width);
	/* the range as long before it (the confidence trend's "previous");
	   none when it would start before the earliest time (times from
	   1677 to 2262 span more than int64 ns) */
	int64_t span, pstart;
	struct time_range prev = { r.start, r.start };
	if (!__builtin_sub_overflow(r.end, r.start, &span) &&
	    !__builtin_sub_overflow(r.start, span, &pstart))
		prev.start = pstart;

	for (size_t si = 0; si < fb->nsrcs && !b->cancel; si++) {
		struct fsrc *s = &fb->srcs[si];
		struct lcur lc;
		lcur_init(&lc, s->r.fd);
		linequery_set_format(&qc, s->fmt, s->ref_t);
		for (size_t k = 0; k < s->nsegs; k++) {
			struct seg *g = &s->segs[k];
			for (size_t i = 0; i < g->n; i++) {
				const struct rec *rr = &g->v[i];
				int kind = REC_KIND(rr->flags);
				int in = rr->t != TIME_NONE ? (rr->t >= r.start && rr->t < r.end)
				    : !q->has_range;
				if (kind != REC_OK) {
					if (!in || q->query != NULL)
						continue;
					rc.total++;
					switch (kind) {
					case REC_INVALID_JSON: rc.invalid_json++; break;
					case REC_INVALID_UTF8: rc.invalid_utf8++; break;
					case REC_TOO_LONG: rc.too_long++; break;
					case REC_NO_TIME: rc.no_time++; break;
					case REC_UNPARSED: rc.unparsed++; break;
					}
					panels_builder_add_invalid(pb, rr->t);
					continue;
				}
				int inprev = rr->t >= prev.start && rr->t < prev.end;
				if (!in && !inprev)
					continue;
				const char *line = NULL;
				if (need_line) {
					line = lcur_get(&lc, rr);
					if (line == NULL)
						continue;
					if (q->query && !linequery_match(&qc, q->query, line, rr->len))
						continue;
				}
				if (inprev) {
					panels_builder_add_prev(pb, rr->confidence);
					continue;
				}
				struct panels_row row;
				row.t = rr->t;
				row.latency = rr->latency;
				row.confidence = rr->confidence;
				row.drift = rr->drift;
				row.is_error = (rr->flags & REC_ERROR) != 0;
				row.cache_hit = (rr->flags & REC_CACHE_SET) ?
				    ((rr->flags & REC_CACHE_HIT) != 0) : -1;
				row.version = rr->version ? fb->versions.keys[rr->version - 1] : NULL;
				row.versionlen = rr->version ? fb->versions.lens[rr->version - 1] : 0;
				if (gm == G_ROLE) {
					row.group = rr->group ? fb->groups.keys[rr->group - 1] : NULL;
					row.grouplen = rr->group ? fb->groups.lens[rr->group - 1] : 0;
				} else if (gm == G_VERSION) {
					row.group = row.version;
					row.grouplen = row.versionlen;
				} else {
					/* the builder wants stable (interned) key pointers */
					row.group = linequery_first(&qc, q->group_by, line, rr->len,
					    &row.grouplen);
					if (row.group != NULL) {
						uint32_t id = strmap_intern(&linekeys, row.group,
						    row.grouplen);
						row.group = linekeys.keys[id];
					}
				}
				rc.total++;
				if (rr->flags & REC_NAIVE)
					rc.naive_time++;
				if (rr->flags & REC_BAD_TYPE) {
					rc.bad_type++;
					panels_builder_add_invalid(pb, rr->t);
				}
				panels_builder_add(pb, &row);
			}
		}
		lcur_free(&lc);
	}
	pthread_rwlock_unlock(&fb->lock);
	linequery_free(&qc);
	panels_builder_finish(pb, out);
	strmap_free(&linekeys);
	out->records = rc;
	out->latency_field = xstrdup(b->map.npaths[ROLE_LATENCY] ? b->map.paths[ROLE_LATENCY][0] : "");
	out->group_by = xstrdup(q->group_by ? q->group_by :
	    (b->map.npaths[ROLE_GROUP] ? b->map.paths[ROLE_GROUP][0] : ""));
	out->version_field = xstrdup(b->map.npaths[ROLE_VERSION] ? b->map.paths[ROLE_VERSION][0] : "");
	if (b->cancel)
		return err_set(err, LD_ECANCEL, "cancelled");
	if (rcode == LD_NOMATCH)
		return err_set(err, LD_NOMATCH, "no record with a time in %s",
		    fb->nsrcs == 1 ? fb->srcs[0].r.name : "the sources");
	return LD_OK;
}

/* ---- hits ---- */

struct cand {
	int64_t	 t;
	double	 latency;
	uint16_t src;
	uint64_t off;
	uint32_t len;
	uint8_t	 flags;
};

static int
cmp_time_asc(const void *x, const void *y)
{
	const struct cand *a = x, *c = y;
	if (a->t != c->t)
		return a->t < c->t ? -1 : 1;
	if (a->src != c->src)
		return a->src < c->src ? -1 : 1;
	return a->off < c->off ? -1 : a->off > c->off;
}

static int
cmp_time_desc(const void *x, const void *y)
{
	return cmp_time_asc(y, x);
}

static int
cmp_lat(const void *x, const void *y, int dir)
{
	const struct cand *a = x, *c = y;
	int an = isnan(a->latency), cn = isnan(c->latency);
	if (an != cn)
		return an - cn;		/* NaN last either way */
	if (!an && a->latency != c->latency)
		return (a->latency < c->latency ? -1 : 1) * dir;
	return cmp_time_asc(x, y);
}

static int cmp_lat_desc(const void *x, const void *y) { return cmp_lat(x, y, -1); }
static int cmp_lat_asc(const void *x, const void *y) { return cmp_lat(x, y, 1); }

/* A value as a new C string (strings unescaped, others as written; NULL
 * for null, missing, or n 0). A NUL byte ("\u0000") would cut the string
 * short: it becomes U+FFFD, as a lone surrogate does. */
static char *
dup_jv(const struct jv *v, int n)
{
	struct buf b = BUF_INIT;
	if (n == 0 || v->type == JV_NULL || v->type == JV_MISSING)
		return NULL;
	if (v->type == JV_STRING) {
		jscan_unescape(v, &b);
		if (b.len > 0 && memchr(b.p, '\0', b.len) != NULL) {
			struct buf c = BUF_INIT;
			for (size_t i = 0; i < b.len; i++) {
				if (b.p[i] == '\0')
					buf_add(&c, "\xef\xbf\xbd", 3);
				else
					buf_addc(&c, b.p[i]);
			}
			buf_free(&b);
			b = c;
		}
	} else
		buf_add(&b, v->p, v->len);
	return buf_detach(&b);
}

/* Parse a text record and fill out[] with its role values (as scan_text). */
static int
text_values(const struct fb *fb, const struct backend *b, const struct fsrc *s,
    struct tf_rec *tr, const char *line, size_t len, struct jv *out)
{
	int64_t t;
	int naive;
	tr->ref = s->ref_t;
	if (!tf_parse(s->fmt, tr, line, len))
		return -1;
	tf_extract(s->fmt, tr, &b->map, fb->ps, fb->path_str, fb->npaths,
	    (const int (*)[MAPPING_MAX_CANDIDATES])fb->role_at, out, &t, &naive, NULL);
	return 0;
}

static char *
role_string(const struct backend *b, const struct fsrc *s, struct tf_rec *tr, const char *line,
    size_t len, enum role r)
{
	struct jv v[1];
	if (s->fmt) {
		struct jv out[JSCAN_MAX_PATHS];
		const struct jv *x;
		if (text_values(b->priv, b, s, tr, line, len, out) != 0)
			return NULL;
		x = role_value(b->priv, &b->map, out, r);
		return x && x->type != JV_ARRAY && x->type != JV_OBJECT ? dup_jv(x, 1) : NULL;
	}
	for (size_t i = 0; i < b->map.npaths[r]; i++) {
		size_t n = jscan_get(line, len, b->map.paths[r][i], v, 1);
		if (n)
			return dup_jv(&v[0], 1);
	}
	return NULL;
}

static char *
role_dup(const struct backend *b, const struct jv *out, enum role r)
{
	const struct jv *v = role_value(b->priv, &b->map, out, r);
	if (v == NULL || v->type == JV_ARRAY || v->type == JV_OBJECT)
		return NULL;
	return dup_jv(v, 1);
}

static void
fill_hit(const struct backend *b, struct hit *h, const struct cand *c, const char *line,
    const char *group_by, struct tf_rec *tr)
{
	struct fb *fb = b->priv;
	struct jv out[JSCAN_MAX_PATHS], v[1];
	const struct jv *cv;
	const struct fsrc *s = &fb->srcs[c->src];

	h->t = REC_KIND(c->flags) == REC_OK ? c->t : TIME_NONE;
	h->latency = c->latency;
	h->naive_time = (c->flags & REC_NAIVE) != 0;
	h->loc[0] = c->src | ((uint64_t)c->len << 32);
	h->loc[1] = c->off;
	h->confidence = NAN;
	if (line == NULL)
		return;
	if (s->fmt) {
		if (text_values(fb, b, s, tr, line, c->len, out) != 0)
			return;
	} else if (jscan_line(fb->ps, line, c->len, out, NULL) != JSCAN_OK)
		return;
	h->service = role_dup(b, out, ROLE_SERVICE);
	if (group_by && (s->fmt ? tf_get(tr, group_by, v, 1) : jscan_get(line, c->len, group_by,
	    v, 1)))
		h->group = dup_jv(&v[0], 1);
	else if (!group_by)
		h->group = role_dup(b, out, ROLE_GROUP);
	h->level = role_dup(b, out, ROLE_LEVEL);
	h->message = role_dup(b, out, ROLE_MESSAGE);
	h->event = role_dup(b, out, ROLE_EVENT);
	h->trace_id = role_dup(b, out, ROLE_TRACE_ID);
	h->request_id = role_dup(b, out, ROLE_REQUEST_ID);
	if ((cv = role_value(fb, &b->map, out, ROLE_CONFIDENCE)) != NULL &&
	    confidence_of(cv, &h->confidence) != 0)
		h->confidence = NAN;
}

/* Build hits for cands[0..n) (already sorted). */
static void
make_hits(struct backend *b, struct cand *cands, size_t n, struct hitlist *out,
    const char *group_by)
{
	struct fb *fb = b->priv;
	char *line = NULL;
	size_t cap = 0;
	struct tf_rec *tr = xmalloc(sizeof *tr);
	tf_rec_init(tr);
	for (size_t i = 0; i < n; i++) {
		struct cand *c = &cands[i];
		struct hit *h = hitlist_push(out);
		if (c->len + 1 > cap) {
			cap = c->len + 1;
			line = xrealloc(line, cap);
		}
		ssize_t got = reader_pread(fb->srcs[c->src].r.fd, line, c->len, c->off);
		fill_hit(b, h, c, got == (ssize_t)c->len ? line : NULL, group_by, tr);
	}
	tf_rec_free(tr);
	free(tr);
	free(line);
}

static void
cand_push(struct cand **v, size_t *n, size_t *cap, const struct rec *r)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = (struct cand){ r->t, r->latency, r->src, r->off, r->len, r->flags };
}

static int
file_search(struct backend *b, const struct search_req *rq, struct hitlist *out,
    struct ld_err *err)
{
	struct fb *fb = b->priv;
	const struct query_opts *q = &rq->q;
	enum gmode gm = group_mode(b, q->group_by);
	struct cand *cands = NULL;
	size_t n = 0, cap = 0;
	struct linequery qc;
	long gid = -1;

	memset(&qc, 0, sizeof qc);
	pthread_rwlock_rdlock(&fb->lock);
	if (rq->group_value && gm != G_LINE) {
		struct strmap *m = gm == G_ROLE ? &fb->groups : &fb->versions;
		gid = strmap_find(m, rq->group_value, strlen(rq->group_value));
		/* the panels' "(none)" group: records without the field */
		if (gid < 0 && strcmp(rq->group_value, PANELS_NO_GROUP) == 0)
			gid = -2;
		else if (gid < 0)
			goto done;
	}
	for (size_t si = 0; si < fb->nsrcs && !b->cancel; si++) {
		struct fsrc *s = &fb->srcs[si];
		struct lcur lc;
		lcur_init(&lc, s->r.fd);
		linequery_set_format(&qc, s->fmt, s->ref_t);
		for (size_t k = 0; k < s->nsegs; k++) {
			struct seg *g = &s->segs[k];
			for (size_t i = 0; i < g->n; i++) {
				const struct rec *rr = &g->v[i];
				if (REC_KIND(rr->flags) != REC_OK)
					continue;
				if (q->has_range && (rr->t < q->range.start || rr->t >= q->range.end))
					continue;
				if (!isnan(rq->min_latency) &&
				    (isnan(rr->latency) || rr->latency < rq->min_latency))
					continue;
				if (gid != -1 && (gm == G_ROLE ? rr->group : rr->version) !=
				    (gid == -2 ? 0 : (uint32_t)gid + 1))
					continue;
				if (q->query || (rq->group_value && gm == G_LINE)) {
					const char *line = lcur_get(&lc, rr);
					if (line == NULL)
						continue;
					if (q->query && !linequery_match(&qc, q->query, line, rr->len))
						continue;
					if (rq->group_value && gm == G_LINE) {
						size_t gl;
						const char *gv = linequery_first(&qc, q->group_by, line,
						    rr->len, &gl);
						if (gv == NULL || gl != strlen(rq->group_value) ||
						    memcmp(gv, rq->group_value, gl) != 0)
							continue;
					}
				}
				cand_push(&cands, &n, &cap, rr);
			}
		}
		lcur_free(&lc);
	}
done:
	pthread_rwlock_unlock(&fb->lock);
	linequery_free(&qc);
	if (b->cancel) {
		free(cands);
		return err_set(err, LD_ECANCEL, "cancelled");
	}
	int (*cmp)(const void *, const void *) = cmp_time_asc;
	switch (rq->sort) {
	case SORT_TIME_ASC: cmp = cmp_time_asc; break;
	case SORT_TIME_DESC: cmp = cmp_time_desc; break;
	case SORT_LATENCY_DESC: cmp = cmp_lat_desc; break;
	case SORT_LATENCY_ASC: cmp = cmp_lat_asc; break;
	}
	if (n > 1)
		qsort(cands, n, sizeof *cands, cmp);
	out->total = n;
	make_hits(b, cands, rq->limit && rq->limit < n ? rq->limit : n, out, q->group_by);
	free(cands);
	return n ? LD_OK : err_set(err, LD_NOMATCH, "no matching records");
}

/* ---- trace ---- */

/* Records whose role value (exactly) equals id, by hash then by text. */
static size_t
trace_by(struct backend *b, const char *id, enum role role, int from_index,
    struct cand **cands)
{
	struct fb *fb = b->priv;
	uint64_t h = hash64(id, strlen(id));
	size_t n = 0, cap = 0;
	for (size_t si = 0; si < fb->nsrcs && from_index; si++) {
		struct rec *v = NULL;
		size_t nv = 0;
		if (fb->srcs[si].deferred || fb->srcs[si].r.fd < 0 ||
		    fileindex_trace(b, &fb->srcs[si], (uint16_t)si, role == ROLE_REQUEST_ID,
		    h, &v, &nv) != 0)
			return (size_t)-1;
		for (size_t i = 0; i < nv; i++)
			cand_push(cands, &n, &cap, &v[i]);
		free(v);
	}
	for (size_t si = 0; si < fb->nsrcs && !from_index; si++) {
		struct fsrc *s = &fb->srcs[si];
		for (size_t k = 0; k < s->nsegs; k++) {
			struct seg *g = &s->segs[k];
			for (size_t i = 0; i < g->n; i++) {
				const struct rec *rr = &g->v[i];
				if ((role == ROLE_TRACE_ID ? rr->trace_h : rr->req_h) != h ||
				    REC_KIND(rr->flags) != REC_OK)
					continue;
				cand_push(cands, &n, &cap, rr);
			}
		}
	}
	/* confirm the text (a hash can collide) */
	size_t m = 0;
	char *line = NULL;
	struct tf_rec *tr = xmalloc(sizeof *tr);
	tf_rec_init(tr);
	for (size_t i = 0; i < n; i++) {
		struct cand *c = &(*cands)[i];
		line = xrealloc(line, c->len + 1);
		if (reader_pread(fb->srcs[c->src].r.fd, line, c->len, c->off) != (ssize_t)c->len)
			continue;
		char *v = role_string(b, &fb->srcs[c->src], tr, line, c->len, role);
		if (v && strcmp(v, id) == 0)
			(*cands)[m++] = *c;
		free(v);
	}
	tf_rec_free(tr);
	free(tr);
	free(line);
	return m;
}

static int
file_trace(struct backend *b, const char *id, struct hitlist *out, struct ld_err *err)
{
	struct fb *fb = b->priv;
	struct cand *cands = NULL;
	size_t n;
	/* Before the load, only the index can answer (DESIGN: a warm trace
	 * need not read every record). */
	int from_index = !b->progress.done && fb->nrecs == 0;

	pthread_rwlock_rdlock(&fb->lock);
	n = trace_by(b, id, ROLE_TRACE_ID, from_index, &cands);
	if (n == 0) {
		free(cands);
		cands = NULL;
		n = trace_by(b, id, ROLE_REQUEST_ID, from_index, &cands);
	}
	pthread_rwlock_unlock(&fb->lock);
	if (n == (size_t)-1) {
		free(cands);
		return err_set(err, LD_EAGAIN, "load the sources first");
	}
	if (n == 0) {
		free(cands);
		return err_set(err, LD_NOMATCH, "no record has the correlation or request id '%s'",
		    id);
	}
	qsort(cands, n, sizeof *cands, cmp_time_asc);
	out->total = n;
	make_hits(b, cands, n, out, NULL);
	free(cands);
	return LD_OK;
}

static char *
file_record(struct backend *b, const struct hit *h, struct ld_err *err)
{
	struct fb *fb = b->priv;
	uint16_t src = (uint16_t)h->loc[0];
	uint32_t hitlen = (uint32_t)(h->loc[0] >> 32);
	if (src >= fb->nsrcs)
		return NULL;
	/* find the length from the records */
	pthread_rwlock_rdlock(&fb->lock);
	uint32_t len = 0;
	int found = 0;
	struct fsrc *s = &fb->srcs[src];
	for (size_t k = 0; k < s->nsegs && !found; k++) {
		struct seg *g = &s->segs[k];
		if (g->n == 0 || g->v[0].off > h->loc[1] || g->v[g->n - 1].off < h->loc[1])
			continue;
		size_t lo = 0, hi = g->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (g->v[mid].off < h->loc[1])
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < g->n && g->v[lo].off == h->loc[1]) {
			len = g->v[lo].len;
			found = 1;
		}
	}
	int fd = s->r.fd;
	/* a trace answered from the index: nothing loaded to check against */
	if (!found && fb->nrecs == 0 && !b->progress.done) {
		len = hitlen;
		found = 1;
	}
	pthread_rwlock_unlock(&fb->lock);
	if (!found) {
		err_set(err, LD_NOMATCH, "the record is no longer in %s", s->r.name);
		return NULL;
	}
	char *line = xmalloc((size_t)len + 1);
	ssize_t got = reader_pread(fd, line, len, h->loc[1]);
	if (got != (ssize_t)len) {
		free(line);
		if (got < 0)
			err_set(err, LD_ESOURCE, "cannot read %s: %s", s->r.name, strerror(errno));
		else
			err_set(err, LD_ESOURCE, "%s is shorter than when it was read (truncated?): "
			    "load it again", s->r.name);
		return NULL;
	}
	line[len] = '\0';
	if (s->fmt) {
		/* a text record as one JSON object (textfmt.h, tf_render) */
		struct tf_rec *tr = xmalloc(sizeof *tr);
		struct buf out = BUF_INIT;
		tf_rec_init(tr);
		tr->ref = s->ref_t;
		tr->fmt = s->fmt;
		if (!tf_parse(s->fmt, tr, line, len))
			tr->pat = -1;
		tf_render(tr, line, len, &out);
		tf_rec_free(tr);
		free(tr);
		free(line);
		return buf_detach(&out);
	}
	return line;
}

/* ---- follow ---- */

static void
drop_source_records(struct backend *b, struct fsrc *s)
{
	struct fb *fb = b->priv;
	for (size_t k = 0; k < s->nsegs; k++) {
		fb->nrecs -= s->segs[k].n;
		b->progress.records -= s->segs[k].n;
		free(s->segs[k].v);
	}
	free(s->segs);
	s->segs = NULL;
	s->nsegs = 0;
	s->scanned = 0;
	fb->tmin = fb->tmax = TIME_NONE;
	for (size_t i = 0; i < fb->nsrcs; i++)
		for (size_t k = 0; k < fb->srcs[i].nsegs; k++)
			update_extent(fb, fb->srcs[i].segs[k].v, fb->srcs[i].segs[k].n);
}

static int
file_poll(struct backend *b, struct ld_err *err)
{
	struct fb *fb = b->priv;
	int changed = 0;

	for (size_t i = 0; i < fb->nsrcs; i++) {
		struct fsrc *s = &fb->srcs[i];
		struct stat st, fst;
		if (s->r.spooled)
			continue;
		if (stat(s->r.name, &st) != 0 || fstat(s->r.fd, &fst) != 0)
			continue;	/* rotated away and not yet recreated */
		if (!S_ISREG(st.st_mode))
			continue;	/* replaced by a directory, ...: keep what was read */
		if (st.st_ino != fst.st_ino || st.st_dev != fst.st_dev) {
			/* rotated: read the new file from the start */
			int fd = open(s->r.name, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;	/* not readable (yet): keep what was read */
			if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
				close(fd);
				continue;
			}
			pthread_rwlock_wrlock(&fb->lock);
			close(s->r.fd);
			s->r.fd = fd;
			s->r.st = st;
			drop_source_records(b, s);
			pthread_rwlock_unlock(&fb->lock);
			fst = st;
			changed = 1;
		} else if ((uint64_t)fst.st_size < s->scanned || !sig_same(s)) {
			/* truncated (and maybe written again past where it was
			   read, as copytruncate and a busy writer do): re-read */
			pthread_rwlock_wrlock(&fb->lock);
			drop_source_records(b, s);
			pthread_rwlock_unlock(&fb->lock);
			changed = 1;
		}
		if ((uint64_t)fst.st_size > s->scanned) {
			uint64_t before = fb->nrecs;
			if (!s->detected && s->scanned == 0)
				detect_format(fb, s);
			scan_source(b, s, (uint16_t)i, s->scanned, (uint64_t)fst.st_size, 0);
			s->r.st = fst;
			take_sig(s);
			if (fb->nrecs != before)
				changed = 1;
		}
	}
	(void)err;
	return changed;
}

/* ---- fields ---- */

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int
file_fields(struct backend *b, const char *const **paths, size_t *n)
{
	struct fb *fb = b->priv;
	pthread_rwlock_wrlock(&fb->lock);
	if (fb->field_list == NULL || fb->nfield_list != fb->fields.n) {
		free(fb->field_list);
		fb->field_list = xcalloc(fb->fields.n + 1, sizeof *fb->field_list);
		for (size_t i = 0; i < fb->fields.n; i++)
			fb->field_list[i] = fb->fields.keys[i];
		fb->nfield_list = fb->fields.n;
		qsort(fb->field_list, fb->nfield_list, sizeof *fb->field_list, cmp_str);
	}
	*paths = fb->field_list;
	*n = fb->nfield_list;
	pthread_rwlock_unlock(&fb->lock);
	return LD_OK;
}

static void
file_close(struct backend *b)
{
	struct fb *fb = b->priv;
	if (fb == NULL)
		return;
	for (size_t i = 0; i < fb->nsrcs; i++) {
		struct fsrc *s = &fb->srcs[i];
		drop_source_records(b, s);
		if (s->deferred)
			free(s->r.name);
		else
			reader_close(&s->r);
	}
	free(fb->srcs);
	strmap_free(&fb->groups);
	strmap_free(&fb->versions);
	strmap_free(&fb->fields);
	free(fb->field_list);
	free(fb->cache_dir);
	if (fb->ps)
		jscan_paths_free(fb->ps);
	tf_set_free(&fb->formats);
	pthread_rwlock_destroy(&fb->lock);
	free(fb);
	b->priv = NULL;
}

const struct backend_ops file_backend_ops = {
	.name = "file",
	.open = file_open,
	.load = file_load,
	.fields = file_fields,
	.panels = file_panels,
	.search = file_search,
	.trace = file_trace,
	.record = file_record,
	.poll = file_poll,
	.close = file_close,
};
