#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

struct trace {
	char		*id;		/* NULL until the search finds one */
	struct job	*spec;		/* the search of the record traced, or NULL */
	int		 journaled;
	struct hitlist	 hits;		/* time-ordered */
	int		 have;
	char		*error;		/* visible text */
	struct listpos	 lp;
	size_t		 page;
	size_t		 slow;		/* the step after the largest gap */
	int64_t		 t0, total;	/* first time, last - first (ns) */
};

static int64_t
hit_time(const struct trace *tr, size_t i)
{
	int64_t t = tr->hits.v[i].t;

	return t == TIME_NONE ? tr->t0 : t;
}

static void
analyse(struct trace *tr)
{
	int64_t gap, best = -1;
	size_t i;

	tr->t0 = 0;
	tr->total = 0;
	tr->slow = 0;
	for (i = 0; i < tr->hits.n; i++)
		if (tr->hits.v[i].t != TIME_NONE) {
			tr->t0 = tr->hits.v[i].t;
			break;
		}
	for (i = 1; i < tr->hits.n; i++) {
		gap = hit_time(tr, i) - hit_time(tr, i - 1);
		if (gap > best) {
			best = gap;
			tr->slow = i;
		}
	}
	if (tr->hits.n > 0)
		tr->total = hit_time(tr, tr->hits.n - 1) - tr->t0;
}

static void
trace_refresh(struct view *v)
{
	struct trace *tr = v->priv;
	struct job *j;

	if (tr->spec != NULL) {
		/* search again: with --follow or a finished load, the first
		 * record may be another */
		j = job_clone(tr->spec);
		free(j->id);
		j->id = NULL;
	} else {
		j = job_new(JOB_TRACE, 0);
		j->id = xstrdup(tr->id);
	}
	app_submit(v->app, v, j);
}

/* The journal's line for a trace, as logdive trace writes it. */
static void
trace_journal(struct view *v)
{
	struct trace *tr = v->priv;
	const struct hit *h;
	char *t;

	tr->journaled = 1;
	if (tr->hits.n > 1) {
		h = &tr->hits.v[tr->slow];
		t = xasprintf("%s: %zu records over %.3f ms; slowest step %s %s, "
		    "%.3f ms", tr->id, tr->hits.n, (double)tr->total / 1e6,
		    h->service ? h->service : "-", h->event ? h->event : "-",
		    (double)(hit_time(tr, tr->slow) - hit_time(tr, tr->slow - 1)) / 1e6);
	} else
		t = xasprintf("%s: %zu record", tr->id, tr->hits.n);
	app_journal(v->app, JK_TRACE, t, NULL);
	free(t);
}

static void
set_crumb(struct view *v, const char *id)
{
	char crumb[128], *vis, *cut;

	vis = str_visible(id, strlen(id), tui_utf8 ? 0 : STRVIS_ASCII);
	cut = str_trunc(vis, 24, G->ell);
	snprintf(crumb, sizeof crumb, "trace %s", cut);
	free(cut);
	free(vis);
	free(v->crumb);
	v->crumb = xstrdup(crumb);
}

static void
trace_done(struct view *v, struct job *j)
{
	struct trace *tr = v->priv;

	if (j->rc == LD_NOMATCH && !tr->have) {
		free(tr->error);
		tr->error = xstrdup(tr->spec != NULL ? "no matching records" :
		    "no record has this trace or request id");
		return;
	}
	if (j->rc != 0) {
		free(tr->error);
		tr->error = str_visible(j->err.msg, strlen(j->err.msg), 0);
		return;
	}
	hitlist_free(&tr->hits);
	tr->hits = j->hits;
	memset(&j->hits, 0, sizeof j->hits);
	tr->have = 1;
	free(tr->error);
	tr->error = NULL;
	tr->lp.n = tr->hits.n;
	analyse(tr);
	listpos_fit(&tr->lp, tr->page ? tr->page : 1);
	if (tr->spec != NULL && j->id != NULL &&
	    (tr->id == NULL || strcmp(tr->id, j->id) != 0)) {
		free(tr->id);
		tr->id = xstrdup(j->id);
		tr->journaled = 0;
	}
	if (!tr->journaled && tr->id != NULL && !app_loading(v->app))
		trace_journal(v);
}

static char *
fmt_off(int64_t ns, char *out, size_t outlen)
{
	char num[48];

	fmt_double((double)ns / 1e6, 1, num, sizeof num);
	snprintf(out, outlen, "+%s", num);
	return out;
}

static void
draw_bar_span(int y, int x, int bw, double s, double e, int st)
{
	int x0, x1, i;

	x0 = (int)floor(s * bw);
	x1 = (int)ceil(e * bw);
	if (x0 >= bw)
		x0 = bw - 1;
	if (x1 <= x0)
		x1 = x0 + 1;
	if (x1 > bw)
		x1 = bw;
	for (i = x0; i < x1; i++)
		draw_str(y, x + i, 1, G->full, st);
}

static void
trace_draw(struct view *v, int y, int x, int h, int w)
{
	struct trace *tr = v->priv;
	char a[64], b[64], c[64];
	size_t i, svcw = 7, evw = 5, l, nsvc = 0, k;
	int row, offw = 10, gapw = 9, bw, cx, st, sel;
	const struct hit *hh;

	if (!tr->have) {
		draw_str(y + 1, x + 1, w - 2, tr->error ? tr->error :
		    "Collecting the trace...", tr->error ? ST_ERROR : ST_DIM);
		return;
	}
	for (i = 0; i < tr->hits.n; i++) {
		hh = &tr->hits.v[i];
		if (hh->service && (l = str_width(hh->service)) > svcw)
			svcw = l;
		if (hh->event && (l = str_width(hh->event)) > evw)
			evw = l;
		/* distinct services */
		for (k = 0; k < i; k++)
			if (hh->service && tr->hits.v[k].service &&
			    strcmp(hh->service, tr->hits.v[k].service) == 0)
				break;
		if (hh->service && k == i)
			nsvc++;
	}
	if (svcw > (size_t)(w * 24 / 100))
		svcw = (size_t)(w * 24 / 100);
	if (evw > (size_t)(w * 22 / 100))
		evw = (size_t)(w * 22 / 100);
	bw = w - 2 - offw - gapw - 3 - (int)svcw - (int)evw - 3;
	if (bw < 4)
		bw = 4;

	/* summary */
	cx = x + 1;
	cx += draw_fmt(y, cx, w - 2, ST_HEADER, "%zu records %s %zu services "
	    "%s %s ms", tr->hits.n, G->dot, nsvc, G->dot,
	    fmt_off(tr->total, a, sizeof a) + 1);
	if (tr->hits.n > 1) {
		hh = &tr->hits.v[tr->slow];
		cx += draw_fmt(y, cx, x + w - 1 - cx, ST_SLOW, " %s slowest step "
		    "%s ms, before ", G->dot, fmt_off(hit_time(tr, tr->slow) -
		    hit_time(tr, tr->slow - 1), b, sizeof b) + 1);
		if (hh->service)
			draw_vis(y, cx, x + w - 1 - cx, hh->service,
			    strlen(hh->service), ST_SLOW, NULL);
	}
	/* header */
	draw_rstr(y + 1, x + 1, offw, "offset ms", ST_HEADER);
	draw_rstr(y + 1, x + 2 + offw, gapw, "gap ms", ST_HEADER);
	cx = x + 2 + offw + gapw + 3;
	draw_str(y + 1, cx, (int)svcw, "service", ST_HEADER);
	draw_str(y + 1, cx + (int)svcw + 1, (int)evw, "event", ST_HEADER);
	draw_fmt(y + 1, cx + (int)svcw + (int)evw + 2, bw, ST_HEADER,
	    "0 %s %s ms", G->arrow, fmt_off(tr->total, c, sizeof c) + 1);

	tr->page = h > 2 ? (size_t)(h - 2) : 1;
	listpos_fit(&tr->lp, tr->page);
	for (row = 0, i = tr->lp.top; i < tr->hits.n && row < h - 2; i++, row++) {
		int yy = y + 2 + row;
		int slow = tr->hits.n > 1 && i == tr->slow;
		double s, e;

		hh = &tr->hits.v[i];
		sel = i == tr->lp.sel;
		st = sel ? ST_SEL : ST_NORMAL;
		if (sel)
			draw_fill(yy, x, w, ST_SEL);
		draw_rstr(yy, x + 1, offw, fmt_off(hit_time(tr, i) - tr->t0, a,
		    sizeof a), st);
		draw_rstr(yy, x + 2 + offw, gapw, i == 0 ? "" : fmt_off(
		    hit_time(tr, i) - hit_time(tr, i - 1), b, sizeof b),
		    slow && !sel ? ST_SLOW : st);
		if (slow)
			draw_str(yy, x + 3 + offw + gapw, 1, G->mark,
			    sel ? st : ST_SLOW);
		if (hh->service)
			draw_vis(yy, cx, (int)svcw, hh->service,
			    strlen(hh->service), st, NULL);
		if (hh->event)
			draw_vis(yy, cx + (int)svcw + 1, (int)evw, hh->event,
			    strlen(hh->event), st, NULL);
		s = i == 0 || tr->total <= 0 ? 0 :
		    (double)(hit_time(tr, i - 1) - tr->t0) / (double)tr->total;
		e = tr->total <= 0 ? 0 :
		    (double)(hit_time(tr, i) - tr->t0) / (double)tr->total;
		draw_bar_span(yy, cx + (int)svcw + (int)evw + 2, bw, s, e,
		    sel ? ST_SEL : slow ? ST_SLOW : ST_BAR);
	}
}

static int
trace_key(struct view *v, int key)
{
	struct trace *tr = v->priv;

	if (key == K_ENTER) {
		if (tr->lp.sel < tr->hits.n)
			app_push(v->app, record_new(v->app,
			    &tr->hits.v[tr->lp.sel]));
		return 1;
	}
	if (key == 's' && tr->hits.n > 1) {
		tr->lp.sel = tr->slow;	/* jump to the slowest step */
		listpos_fit(&tr->lp, tr->page ? tr->page : 1);
		return 1;
	}
	return listpos_key(&tr->lp, key, tr->page, 1);
}

static const char *
trace_hints(struct view *v)
{
	return "Enter record\ts slowest step";
}

static void
trace_status(struct view *v, char *out, size_t outlen)
{
	struct trace *tr = v->priv;

	if (tr->id == NULL)
		snprintf(out, outlen, "finding the record to trace...");
	else
		snprintf(out, outlen, "trace %s", tr->id);
}

/* S on a trace found by a search: that search, as a trace preset (a trace
 * opened from a record is not a preset: the view below is asked). */
static int
trace_to_preset(struct view *v, struct preset *p, char *note, size_t notelen)
{
	struct trace *tr = v->priv;
	const struct job *s = tr->spec;
	struct ui_query *q = app_query(v->app);

	(void)note;
	(void)notelen;
	if (s == NULL)
		return 1;
	p->query = s->query ? xstrdup(s->query) : NULL;
	p->range = q->range ? xstrdup(q->range) : NULL;
	p->bucket = q->bucket;
	p->group_by = s->group_by ? xstrdup(s->group_by) : NULL;
	p->view = PRESET_TRACE;
	p->sort = xstrdup(sort_to_name(s->sort));
	p->above = s->above;
	return 0;
}

static void
trace_free(struct view *v)
{
	struct trace *tr = v->priv;

	free(tr->id);
	free(tr->error);
	job_free(tr->spec);
	hitlist_free(&tr->hits);
	free(tr);
}

static const struct view_ops trace_ops = {
	.name = "trace",
	.free = trace_free,
	.draw = trace_draw,
	.key = trace_key,
	.done = trace_done,
	.refresh = trace_refresh,
	.hints = trace_hints,
	.status = trace_status,
	.to_preset = trace_to_preset,
};

struct view *
trace_new(struct app *a, const char *id)
{
	struct trace *tr = xcalloc(1, sizeof *tr);
	struct view *v;

	tr->id = xstrdup(id);
	v = view_new(&trace_ops, a, "trace", tr);
	set_crumb(v, id);
	v->stale = 1;
	return v;
}

struct view *
trace_new_search(struct app *a, const char *crumb, struct job *spec)
{
	struct trace *tr = xcalloc(1, sizeof *tr);
	struct view *v;

	spec->kind = JOB_TRACE;
	free(spec->id);
	spec->id = NULL;
	tr->spec = spec;
	v = view_new(&trace_ops, a, crumb, tr);
	v->stale = 1;
	return v;
}
