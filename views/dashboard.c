#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/timerange.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

#define REQ_LIMIT	10000	/* requests fetched per drill */

/* Panels, in Tab order. */
enum { P_LAT, P_CONF, P_CACHE, P_ERR, P_DRIFT, P_VER, P_N };

struct dash {
	struct panels	 p;
	int		 have;		/* p holds data */
	char		*error;		/* the last failure, visible text */
	struct job	*shown;		/* inputs of the panels on screen */
	int		 focus;
	struct listpos	 lat, ver;
	long		 col;		/* selected series column; -1: the last */
	size_t		 per, ncols;	/* buckets per column, columns (last draw) */
	size_t		 lat_rows;	/* group rows shown (last draw) */
	int		 group_mode;	/* 0 default, 1 model version, 2 typed */
	int		 partial;	/* the request in flight saw a partial load */
	char		*jwhat;		/* what the journal calls these panels */
	char		*jsig;		/* the inputs of the panels last journaled */
};

/* Panel names of presets and panels -f json, in the order of the enum. */
static const char *const panel_names[P_N] = {
	"latency", "confidence", "cache_hit", "errors", "drift", "versions"
};

static int
is_series(int panel)
{
	return panel >= P_CONF && panel <= P_DRIFT;
}

/* --- requests -------------------------------------------------------- */

static void
dash_refresh(struct view *v)
{
	struct dash *d = v->priv;
	struct ui_query *q = app_query(v->app);
	struct job *j = job_new(JOB_PANELS, 0);
	struct ld_err err;

	j->query = q->query ? xstrdup(q->query) : NULL;
	if (q->range != NULL &&
	    range_parse(q->range, time_now(), &q->resolved, &err) == 0) {
		q->has_range = 1;
		j->has_range = 1;
		j->range = q->resolved;
	} else
		q->has_range = 0;
	j->bucket = q->bucket;
	j->group_by = q->group_by ? xstrdup(q->group_by) : NULL;
	d->partial = app_loading(v->app);
	/* what the panels are of, for the journal: "P" while loading, the
	 * inputs, then what they are called */
	j->note = xasprintf("%c%s\x1f%s\x1f%lld\x1f%s\x1e%s", d->partial ? 'P' : 'F',
	    q->query ? q->query : "", q->range ? q->range : "",
	    (long long)q->bucket, q->group_by ? q->group_by : "",
	    d->jwhat ? d->jwhat : "dashboard");
	app_submit(v->app, v, j);
}

/* The panels viewed go to the journal once per set of inputs, on the
 * whole data: not while it loads, not again on each --follow refresh. The
 * job's note (dash_refresh) says which: "F" (or "P" while loading), the
 * inputs, then 0x1e and what the journal calls them. */
static void
dash_journal(struct view *v, const struct job *j)
{
	struct dash *d = v->priv;
	const char *what;
	size_t n;

	if (j->note == NULL || j->note[0] != 'F' ||
	    (what = strrchr(j->note, '\x1e')) == NULL)
		return;
	n = (size_t)(what - j->note - 1);
	if (d->jsig != NULL && strlen(d->jsig) == n &&
	    strncmp(d->jsig, j->note + 1, n) == 0)
		return;
	free(d->jsig);
	d->jsig = xstrndup(j->note + 1, n);
	app_journal_panels(v->app, what + 1, &d->p);
}

static void
dash_done(struct view *v, struct job *j)
{
	struct dash *d = v->priv;
	struct ui_query *q = app_query(v->app);
	char *key = NULL;

	if (j->rc == LD_ECANCEL)
		return;
	if (j->rc != 0) {
		/* on a partial load, the next refresh may well succeed */
		if (!d->partial && (d->error == NULL ||
		    strcmp(d->error, j->err.msg) != 0))
			app_message(v->app, 1, "%s", j->err.msg);
		free(d->error);
		d->error = str_visible(j->err.msg, strlen(j->err.msg), 0);
		return;
	}
	free(d->error);
	d->error = NULL;
	/* keep the selected group by its key */
	if (d->have && d->lat.sel < d->p.ngroups && d->p.groups[d->lat.sel].key)
		key = xstrdup(d->p.groups[d->lat.sel].key);
	panels_free(&d->p);
	d->p = j->panels;
	memset(&j->panels, 0, sizeof j->panels);
	d->have = 1;
	job_free(d->shown);
	d->shown = job_clone(j);
	q->shown = d->p.range;
	q->have_shown = 1;
	d->lat.n = d->p.ngroups;
	if (key != NULL) {
		size_t i;

		for (i = 0; i < d->p.ngroups; i++)
			if (d->p.groups[i].key && strcmp(d->p.groups[i].key, key) == 0)
				d->lat.sel = i;
		free(key);
	}
	if (d->lat.sel >= d->lat.n)
		d->lat.sel = d->lat.n ? d->lat.n - 1 : 0;
	d->ver.n = d->p.nversions;
	if (d->ver.sel >= d->ver.n)
		d->ver.sel = d->ver.n ? d->ver.n - 1 : 0;
	dash_journal(v, j);
}

/* --- series ---------------------------------------------------------- */

/* Columns of per buckets each over nbuckets. */
static void
layout_cols(struct dash *d, int w)
{
	size_t nb = d->p.nbuckets;

	if (w < 1)
		w = 1;
	d->per = nb == 0 ? 1 : (nb + (size_t)w - 1) / (size_t)w;
	d->ncols = nb == 0 ? 0 : (nb + d->per - 1) / d->per;
	if (d->col >= (long)d->ncols)
		d->col = -1;
}

static size_t
sel_col(const struct dash *d)
{
	if (d->ncols == 0)
		return 0;
	return d->col < 0 ? d->ncols - 1 : (size_t)d->col;
}

/* The value of panel at column c (NAN: no data). */
static double
col_value(const struct dash *d, int panel, size_t c, uint64_t *count)
{
	const struct panels *p = &d->p;
	size_t i, lo = c * d->per, hi = lo + d->per;
	double sum = 0;
	uint64_t n = 0, a = 0;

	if (hi > p->nbuckets)
		hi = p->nbuckets;
	for (i = lo; i < hi; i++) {
		switch (panel) {
		case P_CONF:
			if (p->nconf > 0 && p->conf[0].pts[i].count > 0) {
				sum += p->conf[0].pts[i].mean *
				    (double)p->conf[0].pts[i].count;
				n += p->conf[0].pts[i].count;
			}
			break;
		case P_CACHE:
			a += p->cache[i].hits;
			n += p->cache[i].total;
			break;
		case P_ERR:
			a += p->errors[i].errors;
			n += p->errors[i].invalid;
			break;
		case P_DRIFT:
			if (p->drift[i].count > 0) {
				sum += p->drift[i].mean * (double)p->drift[i].count;
				n += p->drift[i].count;
			}
			break;
		}
	}
	if (count != NULL)
		*count = n;
	switch (panel) {
	case P_CACHE:
		return n ? (double)a / (double)n : NAN;
	case P_ERR:
		return (double)a;	/* *count: invalid */
	default:
		return n ? sum / (double)n : NAN;
	}
}

static void
col_range(const struct dash *d, size_t c, struct time_range *r)
{
	size_t hi = (c + 1) * d->per;

	if (hi > d->p.nbuckets)
		hi = d->p.nbuckets;
	/* panels_bucket_time: unsigned, as first may be near INT64_MIN (1677) */
	r->start = panels_bucket_time(&d->p, c * d->per);
	r->end = panels_bucket_time(&d->p, hi);
	if (r->start < d->p.range.start)
		r->start = d->p.range.start;
	if (r->end > d->p.range.end)
		r->end = d->p.range.end;
}

/* "02-26 04:00 +1h" for column c. */
static char *
col_label(const struct dash *d, size_t c, char *out, size_t outlen)
{
	struct time_range r;
	char iso[40], dur[24];

	col_range(d, c, &r);
	r.start = panels_bucket_time(&d->p, c * d->per);
	time_format_iso(r.start, 0, iso, sizeof iso);
	duration_format(d->p.bucket * (int64_t)d->per, dur, sizeof dur);
	iso[10] = ' ';
	iso[d->p.bucket * (int64_t)d->per < 60 * NS_PER_SEC ? 19 : 16] = '\0';
	snprintf(out, outlen, "%s +%s", iso + 5, dur);
	return out;
}

/* First and last columns with data. */
static int
first_last(const struct dash *d, int panel, double *first, double *last)
{
	size_t c;
	double v;

	*first = *last = NAN;
	for (c = 0; c < d->ncols; c++) {
		v = col_value(d, panel, c, NULL);
		if (isnan(v))
			continue;
		if (isnan(*first))
			*first = v;
		*last = v;
	}
	return !isnan(*first);
}

static const char *
trend(double first, double last)
{
	if (isnan(first) || isnan(last))
		return "";
	if (last > first * 1.1 + 1e-9)
		return G->up;
	if (last < first * 0.9 - 1e-9)
		return G->down;
	return "";
}

static int
title_style(const struct dash *d, int panel)
{
	return d->focus == panel ? ST_FOCUS : ST_HEADER;
}

/* One series panel: a title row and a sparkline row. */
static void
draw_one_series(struct dash *d, int panel, int y, int x, int w)
{
	const struct panels *p = &d->p;
	double *v = xcalloc(d->ncols ? d->ncols : 1, sizeof *v);
	double first, last, hi = 1, pct;
	char right[160], a[48], b[48], dur[24];
	uint64_t inval = 0, n, errs = 0;
	size_t c;
	const char *title = "";

	right[0] = '\0';
	for (c = 0; c < d->ncols; c++) {
		v[c] = col_value(d, panel, c, &n);
		if (panel == P_ERR) {
			inval += n;
			errs += (uint64_t)v[c];
		}
	}
	switch (panel) {
	case P_CONF:
		title = p->conf_method == NULL ||
		    strcmp(p->conf_method, PANELS_CONF_RECORD) == 0 ? "Confidence (mean)" :
		    strcmp(p->conf_method, PANELS_CONF_SCRIPT) == 0 ?
		    "Confidence (mean, script)" :
		    strcmp(p->conf_method, PANELS_CONF_LINES) == 0 ?
		    "Confidence (mean, from lines)" : "Confidence (mean of all scores)";
		if (!isnan(p->conf_mean)) {
			fmt_double(p->conf_mean, 2, a, sizeof a);
			if (!isnan(p->conf_prev) && p->conf_prev != 0) {
				pct = (p->conf_mean - p->conf_prev) /
				    p->conf_prev * 100;
				duration_format(p->range.end - p->range.start,
				    dur, sizeof dur);
				snprintf(right, sizeof right, "%s  %s: %+.0f%% %s",
				    a, dur, pct, pct > 0.5 ? G->up :
				    pct < -0.5 ? G->down : "=");
			} else
				snprintf(right, sizeof right, "%s", a);
		}
		break;
	case P_CACHE:
		title = "Cache hit rate";
		if (first_last(d, panel, &first, &last))
			snprintf(right, sizeof right, "%.1f%% %s %.1f%%",
			    first * 100, G->arrow, last * 100);
		break;
	case P_ERR:
		duration_format(p->bucket * (int64_t)d->per, dur, sizeof dur);
		snprintf(right, sizeof right, "%s %s invalid %s",
		    fmt_count(errs, a, sizeof a), G->dot,
		    fmt_count(inval, b, sizeof b));
		hi = 0;
		for (c = 0; c < d->ncols; c++)
			if (v[c] > hi)
				hi = v[c];
		break;
	case P_DRIFT:
		title = "Drift (mean)";
		if (first_last(d, panel, &first, &last))
			snprintf(right, sizeof right, "%.2f %s %.2f %s", first,
			    G->arrow, last, trend(first, last));
		break;
	}
	if (panel == P_ERR) {
		char t[48];

		snprintf(t, sizeof t, "Errors / %s", dur);
		draw_str(y, x, w, t, title_style(d, panel));
	} else
		draw_str(y, x, w, title, title_style(d, panel));
	draw_rstr(y, x + (int)str_width(title) + 1, w - (int)str_width(title) - 1,
	    right, panel == P_ERR && errs > 0 ? ST_WARN : ST_NORMAL);
	draw_spark(y + 1, x, v, d->ncols, 0, hi, d->focus == panel ?
	    (long)sel_col(d) : -1, panel == P_ERR ? ST_WARN : ST_SPARK, ST_SEL);
	free(v);
}

static void
draw_sel_info(struct dash *d, int y, int x, int w)
{
	int panel = is_series(d->focus) ? d->focus : P_CONF;
	size_t c = sel_col(d);
	char lab[64], val[128], a[48], b[48];
	uint64_t n;
	double v;

	if (d->ncols == 0)
		return;
	col_label(d, c, lab, sizeof lab);
	v = col_value(d, panel, c, &n);
	switch (panel) {
	case P_CONF:
		snprintf(val, sizeof val, "conf %s n=%s",
		    isnan(v) ? "-" : fmt_double(v, 2, a, sizeof a),
		    fmt_count(n, b, sizeof b));
		break;
	case P_CACHE:
		if (isnan(v))
			snprintf(val, sizeof val, "hit -");
		else
			snprintf(val, sizeof val, "hit %.1f%% n=%s", v * 100,
			    fmt_count(n, a, sizeof a));
		break;
	case P_ERR:
		snprintf(val, sizeof val, "err %.0f inv %s", v,
		    fmt_count(n, a, sizeof a));
		break;
	default:
		snprintf(val, sizeof val, "drift %s",
		    isnan(v) ? "-" : fmt_double(v, 2, a, sizeof a));
		break;
	}
	draw_fmt(y, x, w, is_series(d->focus) ? ST_NORMAL : ST_DIM, "%s %s  %s",
	    G->closed, lab, val);
}

static void
draw_versions(struct dash *d, int y, int x, int h, int w)
{
	const struct panels *p = &d->p;
	uint64_t total = 0;
	size_t i;
	int kw, row, st;
	char pct[16];

	if (h < 2)
		return;
	draw_str(y, x, w, "Model version share", title_style(d, P_VER));
	for (i = 0; i < p->nversions; i++)
		total += p->versions[i].count;
	kw = w / 3;
	listpos_fit(&d->ver, (size_t)(h - 1));
	for (row = 1, i = d->ver.top; i < p->nversions && row < h; i++, row++) {
		double f = total ? (double)p->versions[i].count / (double)total : 0;

		st = ST_NORMAL;
		if (i == d->ver.sel && d->focus == P_VER) {
			st = ST_SEL;
			draw_fill(y + row, x, w, st);
		}
		draw_vis(y + row, x, kw, p->versions[i].key,
		    p->versions[i].key ? strlen(p->versions[i].key) : 0, st, NULL);
		snprintf(pct, sizeof pct, "%5.1f%%", f * 100);
		draw_str(y + row, x + kw + 1, 7, pct, st);
		draw_bar(y + row, x + kw + 8, w - kw - 8, f,
		    st == ST_SEL ? ST_SEL : ST_BAR);
	}
}

/* Column c of confidence series k: count-weighted mean of its buckets. */
static double
conf_col(const struct dash *d, size_t k, size_t c)
{
	const struct conf_series *cs = &d->p.conf[k];
	size_t i, lo = c * d->per, hi = lo + d->per;
	double sum = 0;
	uint64_t n = 0;

	if (hi > d->p.nbuckets)
		hi = d->p.nbuckets;
	for (i = lo; i < hi; i++)
		if (cs->pts[i].count > 0) {
			sum += cs->pts[i].mean * (double)cs->pts[i].count;
			n += cs->pts[i].count;
		}
	return n ? sum / (double)n : NAN;
}

/* Confidence per group, one sparkline each (the most recent columns when
 * the name takes room). */
static void
draw_conf_groups(struct dash *d, int y, int x, int h, int w)
{
	size_t k, c, show, from;
	double *v;
	int kw = w / 4, row;

	if (h < 2 || d->p.nconf < 2 || d->ncols == 0)
		return;
	if (kw < 6)
		kw = 6;
	show = d->ncols < (size_t)(w - kw - 1) ? d->ncols : (size_t)(w - kw - 1);
	from = d->ncols - show;
	draw_str(y, x, w, "Confidence by group", ST_HEADER);
	v = xcalloc(d->ncols, sizeof *v);
	for (k = 1, row = 1; k < d->p.nconf && row < h; k++, row++) {
		const char *key = d->p.conf[k].key;

		for (c = 0; c < d->ncols; c++)
			v[c] = conf_col(d, k, c);
		draw_vis(y + row, x, kw, key, key ? strlen(key) : 0, ST_NORMAL,
		    NULL);
		draw_spark(y + row, x + kw + 1, v + from, show, 0, 1, -1,
		    ST_SPARK, ST_SEL);
	}
	free(v);
}

static void
draw_right(struct dash *d, int y, int x, int h, int w)
{
	static const int order[] = { P_CONF, P_CACHE, P_ERR, P_DRIFT };
	size_t i;
	int row = 0;

	layout_cols(d, w);
	for (i = 0; i < 4 && row + 1 < h; i++, row += 2)
		draw_one_series(d, order[i], y + row, x, w);
	if (row < h)
		draw_sel_info(d, y + row, x, w);
	row += 2;
	if (row < h) {
		int nv = (int)d->p.nversions + 1;

		if (nv > h - row)
			nv = h - row;
		draw_versions(d, y + row, x, nv, w);
		row += nv + 1;
	}
	if (row + 1 < h)
		draw_conf_groups(d, y + row, x, h - row, w);
}

/* --- latency --------------------------------------------------------- */

static char *
fmt_pct(double v, char *out, size_t outlen)
{
	if (!isnan(v) && v < 10)
		return fmt_double(v, 1, out, outlen);
	return fmt_double(v, 0, out, outlen);
}

static const char *
group_label(struct dash *d)
{
	const char *g = d->p.group_by, *dot;

	if (g == NULL)
		return "group";
	dot = strrchr(g, '.');
	return dot ? dot + 1 : g;
}

static void
draw_hist(struct dash *d, int y, int x, int h, int w)
{
	const struct lat_group *g = &d->p.groups[d->lat.sel];
	uint64_t bin[LAT_HIST_BINS], max = 0, prev = 0;
	size_t i, lo = LAT_HIST_BINS, hi = 0;
	char lab[24], num[32], title[160], cnt[32];
	int row;

	for (i = 0; i < LAT_HIST_BINS; i++) {
		bin[i] = g->hist[i].count >= prev ? g->hist[i].count - prev : 0;
		prev = g->hist[i].count;
		if (bin[i] > 0) {
			if (lo == LAT_HIST_BINS)
				lo = i;
			hi = i;
		}
		if (bin[i] > max)
			max = bin[i];
	}
	snprintf(title, sizeof title, "Histogram %s ", G->dot);
	row = draw_str(y, x, w, title, ST_HEADER);
	row += draw_vis(y, x + row, w - row - 16, g->key,
	    g->key ? strlen(g->key) : 0, ST_HEADER, NULL);
	snprintf(title, sizeof title, " (%s, ms)", fmt_count(g->count, cnt,
	    sizeof cnt));
	draw_str(y, x + row, w - row, title, ST_HEADER);
	if (lo == LAT_HIST_BINS)
		return;
	/* drop bins from the top end when short of rows */
	while (hi > lo && (int)(hi - lo + 1) > h - 1)
		hi--;
	for (row = 1, i = lo; i <= hi && row < h; i++, row++) {
		if (isinf(g->hist[i].le))
			snprintf(lab, sizeof lab, ">%s", fmt_double(
			    g->hist[i - (i > 0)].le, 0, num, sizeof num));
		else
			snprintf(lab, sizeof lab, "%s%s", G->le,
			    fmt_double(g->hist[i].le, 0, num, sizeof num));
		draw_str(y + row, x, 8, lab, ST_DIM);
		fmt_count(bin[i], cnt, sizeof cnt);
		draw_rstr(y + row, x + w - 8, 8, cnt, ST_NORMAL);
		draw_bar(y + row, x + 8, w - 17, max ? (double)bin[i] /
		    (double)max : 0, ST_BAR);
	}
}

/* "N/M shards" when the server answered in part, "partial" for another
 * note, else "" (in out). */
static void
partial_text(const struct panels *p, char *out, size_t len)
{
	const char *s, *b;

	out[0] = '\0';
	if (p->note == NULL)
		return;
	if ((s = strstr(p->note, " shards answered")) == NULL) {
		snprintf(out, len, "partial");
		return;
	}
	for (b = s; b > p->note && b[-1] != ' '; b--)
		;
	snprintf(out, len, "%.*s shards", (int)(s - b), b);
}

static void
draw_latency(struct dash *d, int y, int x, int h, int w)
{
	const struct panels *p = &d->p;
	const struct lat_group *g;
	char title[256], a[32], b[32], c[32], n[32], part[48], *gl;
	int nw, cw = 1, pw = 3, row, st, rows, hist_rows, num;
	double base;
	size_t i;

	/* column widths from the widest figure */
	for (i = 0; i < p->ngroups; i++) {
		g = &p->groups[i];
		if ((int)strlen(fmt_count(g->count, n, sizeof n)) > cw)
			cw = (int)strlen(n);
		if ((int)strlen(fmt_pct(g->p99, c, sizeof c)) > pw)
			pw = (int)strlen(c);
		if ((int)strlen(fmt_pct(g->p95, c, sizeof c)) > pw)
			pw = (int)strlen(c);
		if ((int)strlen(fmt_pct(g->p50, c, sizeof c)) > pw)
			pw = (int)strlen(c);
	}
	num = cw + 3 * (pw + 2);	/* " n  p50  p95  p99" */
	nw = w - num - 2;		/* the name, and room for the mark */
	if (nw < 4)
		nw = 4;
	gl = str_visible(group_label(d), strlen(group_label(d)),
	    tui_utf8 ? 0 : STRVIS_ASCII);
	partial_text(p, part, sizeof part);
	snprintf(title, sizeof title, "Latency (ms) by %s%s%s%s%s", gl,
	    p->exact && !part[0] ? "" : " (", p->exact ? "" : "approximate",
	    !p->exact && part[0] ? ", " : "", part);
	if (!p->exact || part[0])
		snprintf(title + strlen(title), sizeof title - strlen(title), ")");
	draw_str(y, x, w, title, title_style(d, P_LAT));
	draw_str(y + 1, x, nw, gl, ST_DIM);
	free(gl);
	draw_fmt(y + 1, x + nw, w - nw, ST_DIM, " %*s  %*s  %*s  %*s", cw, "n",
	    pw, "p50", pw, "p95", pw, "p99");
	if (p->ngroups == 0) {
		draw_str(y + 2, x, w, "no latency values in range", ST_DIM);
		return;
	}
	/* room for the histogram under the table */
	hist_rows = h >= 14 ? 8 : h >= 10 ? 4 : 0;
	rows = h - 2 - hist_rows - (hist_rows ? 1 : 0);
	if (rows < 1)
		rows = 1;
	if ((size_t)rows > p->ngroups) {
		rows = (int)p->ngroups;
		hist_rows = h - 3 - rows;
	}
	d->lat_rows = (size_t)rows;
	d->lat.n = p->ngroups;
	listpos_fit(&d->lat, (size_t)rows);
	/* the biggest group is the baseline for the mark */
	base = p->groups[0].p95;
	for (row = 0, i = d->lat.top; i < p->ngroups && row < rows; i++, row++) {
		g = &p->groups[i];
		st = ST_NORMAL;
		if (i == d->lat.sel)
			st = d->focus == P_LAT ? ST_SEL : ST_SEL_DIM;
		if (st != ST_NORMAL)
			draw_fill(y + 2 + row, x - 1, w + 2, st);
		draw_vis(y + 2 + row, x, nw, g->key, g->key ? strlen(g->key) : 0,
		    st, NULL);
		draw_fmt(y + 2 + row, x + nw, w - nw, st,
		    " %*s  %*s  %*s  %*s", cw, fmt_count(g->count, n, sizeof n),
		    pw, fmt_pct(g->p50, a, sizeof a), pw,
		    fmt_pct(g->p95, b, sizeof b), pw, fmt_pct(g->p99, c, sizeof c));
		if (i > 0 && !isnan(base) && g->p95 > base * 1.5)
			draw_str(y + 2 + row, x + nw + num + 1, 1, G->up,
			    st == ST_NORMAL ? ST_SLOW : st);
	}
	if (hist_rows > 1 && d->lat.sel < p->ngroups)
		draw_hist(d, y + 3 + rows, x, hist_rows, w);
}

/* --- the whole dashboard --------------------------------------------- */

static void
draw_bad_input(struct dash *d, int y, int x, int w)
{
	const struct record_counts *r = &d->p.records;
	const struct { const char *name, *brief; uint64_t n; } k[] = {
		{ "invalid JSON", "json", r->invalid_json },
		{ "invalid UTF-8", "utf8", r->invalid_utf8 },
		{ "too long", "long", r->too_long },
		{ "no time", "no time", r->no_time },
		{ "naive time", "naive", r->naive_time },
		{ "bad type", "type", r->bad_type },
		{ "unparsed", "unparsed", r->unparsed },
	};
	char num[32];
	size_t i;
	int used, brief = w < 96;

	used = draw_str(y, x, w, brief ? "Bad input " : "Bad input  ",
	    ST_HEADER);
	for (i = 0; i < sizeof k / sizeof k[0] && used < w; i++) {
		if (i > 0)
			used += draw_fmt(y, x + used, w - used, ST_DIM, " %s ",
			    G->dot);
		used += draw_fmt(y, x + used, w - used, ST_NORMAL, "%s ",
		    brief ? k[i].brief : k[i].name);
		used += draw_str(y, x + used, w - used,
		    fmt_count(k[i].n, num, sizeof num),
		    k[i].n ? ST_WARN : ST_NORMAL);
	}
}

static void
dash_draw(struct view *v, int y, int x, int h, int w)
{
	struct dash *d = v->priv;
	int lw, rw;

	if (!d->have) {
		if (d->error != NULL && !app_loading(v->app)) {
			draw_str(y + 1, x + 1, w - 2, "No panels:", ST_ERROR);
			draw_str(y + 2, x + 1, w - 2, d->error, ST_NORMAL);
		} else
			draw_str(y + 1, x + 1, w - 2, app_loading(v->app) ?
			    "Loading..." : "Computing panels...", ST_DIM);
		return;
	}
	lw = w * 52 / 100;
	rw = w - lw - 2;
	draw_latency(d, y, x + 1, h - 1, lw - 2);
	draw_vline(y, x + lw, h - 1, ST_BORDER);
	draw_right(d, y, x + lw + 2, h - 1, rw);
	draw_bad_input(d, y + h - 1, x + 1, w - 2);
}

/* --- drilling -------------------------------------------------------- */

static struct job *
drill_spec(struct dash *d)
{
	struct job *s = job_new(JOB_SEARCH, 0);

	if (d->shown != NULL) {
		s->query = d->shown->query ? xstrdup(d->shown->query) : NULL;
		s->has_range = d->shown->has_range;
		s->range = d->shown->range;
		s->group_by = d->shown->group_by ? xstrdup(d->shown->group_by) :
		    NULL;
	}
	s->limit = REQ_LIMIT;
	return s;
}

static void
drill(struct view *v)
{
	struct dash *d = v->priv;
	const struct panels *p = &d->p;
	struct job *s;
	char crumb[256], *key, *cut, lab[64], ms[32];
	size_t c;

	if (!d->have)
		return;
	if (d->focus == P_LAT) {
		const struct lat_group *g;

		if (d->lat.sel >= p->ngroups)
			return;
		g = &p->groups[d->lat.sel];
		if (isnan(g->p95) || g->key == NULL) {
			app_message(v->app, 1, "this group has no p95");
			return;
		}
		s = drill_spec(d);
		s->group_value = xstrdup(g->key);
		s->min_latency = g->p95;
		s->above = 95;
		s->sort = SORT_LATENCY_DESC;
		key = str_visible(g->key, strlen(g->key), tui_utf8 ? 0 :
		    STRVIS_ASCII);
		cut = str_trunc(key, 30, G->ell);
		snprintf(crumb, sizeof crumb, "%s %s p95 (%s ms)", cut, G->ge,
		    fmt_ms(g->p95, ms, sizeof ms));
		free(cut);
		free(key);
	} else if (d->focus == P_VER) {
		const struct share_row *r;

		if (d->ver.sel >= p->nversions || p->version_field == NULL)
			return;
		r = &p->versions[d->ver.sel];
		if (r->key == NULL)
			return;
		s = drill_spec(d);
		free(s->group_by);
		s->group_by = xstrdup(p->version_field);
		s->group_value = xstrdup(r->key);
		s->sort = SORT_TIME_ASC;
		key = str_visible(r->key, strlen(r->key), tui_utf8 ? 0 :
		    STRVIS_ASCII);
		cut = str_trunc(key, 30, G->ell);
		snprintf(crumb, sizeof crumb, "version %s", cut);
		free(cut);
		free(key);
	} else {
		if (d->ncols == 0)
			return;
		c = sel_col(d);
		s = drill_spec(d);
		s->has_range = 1;
		s->own_range = 1;
		col_range(d, c, &s->range);
		s->sort = SORT_TIME_ASC;
		snprintf(crumb, sizeof crumb, "%s", col_label(d, c, lab,
		    sizeof lab));
	}
	app_push(v->app, requests_new(v->app, crumb, s));
}

/* --- prompts ----------------------------------------------------------- */

/* The engineer changed the state: the panels are the dashboard's again
 * (no longer a preset's or a step's). */
static void
dash_user_change(struct view *v)
{
	struct dash *d = v->priv;

	free(d->jwhat);
	d->jwhat = NULL;
	free(v->crumb);
	v->crumb = xstrdup("Dashboard");
}

static int
on_query(struct view *v, const char *text, struct ld_err *err)
{
	struct ui_query *q = app_query(v->app);
	int rc;

	if ((rc = app_check_query(v->app, text, err)) != 0)
		return rc;
	free(q->query);
	q->query = text[strspn(text, " \t")] != '\0' ? xstrdup(text) : NULL;
	if (q->query != NULL)
		app_journal(v->app, JK_QUERY, q->query, NULL);
	else
		app_journal(v->app, JK_NOTE, "query cleared: every record", NULL);
	dash_user_change(v);
	dash_refresh(v);
	return 0;
}

static int
on_range(struct view *v, const char *text, struct ld_err *err)
{
	struct ui_query *q = app_query(v->app);
	struct time_range r;

	if (text[strspn(text, " \t")] == '\0') {
		free(q->range);
		q->range = NULL;
		q->has_range = 0;
		app_journal(v->app, JK_NOTE, "range cleared: the data's own extent",
		    NULL);
		dash_user_change(v);
		dash_refresh(v);
		return 0;
	}
	if (range_parse(text, time_now(), &r, err) != 0)
		return err->status != LD_OK ? (int)err->status : LD_EUSAGE;
	free(q->range);
	q->range = xstrdup(text);
	app_journal(v->app, JK_RANGE, text, NULL);
	dash_user_change(v);
	dash_refresh(v);
	return 0;
}

static int
on_bucket(struct view *v, const char *text, struct ld_err *err)
{
	struct ui_query *q = app_query(v->app);
	int64_t ns;

	if (text[strspn(text, " \t")] == '\0' || strcmp(text, "auto") == 0)
		ns = 0;
	else if (duration_parse(text, &ns) != 0) {
		err_set(err, LD_EUSAGE, "bucket: expected a duration like 30s, "
		    "1m, 5m, 1h or 1d, or auto");
		return LD_EUSAGE;
	}
	q->bucket = ns;
	dash_user_change(v);
	dash_refresh(v);
	return 0;
}

static int
on_group(struct view *v, const char *text, struct ld_err *err)
{
	struct dash *d = v->priv;
	struct ui_query *q = app_query(v->app);
	char *path;
	int rc;

	if (text[strspn(text, " \t")] == '\0') {
		free(q->group_by);
		q->group_by = NULL;
		d->group_mode = 0;
		dash_refresh(v);
		return 0;
	}
	if ((rc = app_resolve_field(v->app, text, &path, err)) != 0)
		return rc;
	free(q->group_by);
	q->group_by = path;
	d->group_mode = 2;
	d->lat.sel = 0;
	dash_refresh(v);
	return 0;
}

static void
cycle_group(struct view *v)
{
	struct dash *d = v->priv;
	struct ui_query *q = app_query(v->app);
	const struct mapping *m = &app_backend(v->app)->map;

	switch (d->group_mode) {
	case 0:
		if (m->npaths[ROLE_VERSION] > 0) {
			free(q->group_by);
			q->group_by = xstrdup(m->paths[ROLE_VERSION][0]);
			d->group_mode = 1;
			d->lat.sel = 0;
			dash_refresh(v);
			return;
		}
		/* FALLTHROUGH */
	case 1:
		app_prompt(v->app, v, "group by field: ", NULL, on_group);
		return;
	default:
		free(q->group_by);
		q->group_by = NULL;
		d->group_mode = 0;
		d->lat.sel = 0;
		dash_refresh(v);
	}
}

/* --- keys ---------------------------------------------------------------- */

static void
move_col(struct dash *d, long delta)
{
	long c = (long)sel_col(d) + delta;

	if (c < 0)
		c = 0;
	if (d->ncols > 0 && c >= (long)d->ncols)
		c = (long)d->ncols - 1;
	d->col = c;
}

static int
dash_key(struct view *v, int key)
{
	struct dash *d = v->priv;
	struct ui_query *q = app_query(v->app);
	char dur[24];

	switch (key) {
	case K_TAB:
		d->focus = (d->focus + 1) % P_N;
		return 1;
	case K_BTAB:
		d->focus = (d->focus + P_N - 1) % P_N;
		return 1;
	case K_ENTER:
		drill(v);
		return 1;
	case '/':
		app_prompt_hist(v->app, v, "/", q->query, on_query, JH_QUERY);
		return 1;
	case 't':
		app_prompt_hist(v->app, v, "range: ", q->range, on_range, JH_RANGE);
		return 1;
	case 'b':
		app_prompt(v->app, v, "bucket: ", q->bucket ?
		    duration_format(q->bucket, dur, sizeof dur) : "auto",
		    on_bucket);
		return 1;
	case 'g':
		dash_user_change(v);
		cycle_group(v);
		return 1;
	case 'r':
		dash_refresh(v);
		return 1;
	}
	if (d->focus == P_LAT) {
		if (key == K_RIGHT || key == 'l') {
			d->focus = P_CONF;
			return 1;
		}
		return listpos_key(&d->lat, key, d->lat_rows, 0);
	}
	if (d->focus == P_VER) {
		if (key == K_UP || key == 'k') {
			if (d->ver.sel == 0) {
				d->focus = P_DRIFT;
				return 1;
			}
		}
		if (key == K_LEFT || key == 'h') {
			d->focus = P_LAT;
			return 1;
		}
		return listpos_key(&d->ver, key, 4, 0);
	}
	/* a series panel */
	switch (key) {
	case K_UP: case 'k':
		if (d->focus > P_CONF)
			d->focus--;
		return 1;
	case K_DOWN: case 'j':
		d->focus++;
		return 1;
	case K_LEFT: case 'h':
		if (sel_col(d) == 0)
			d->focus = P_LAT;
		else
			move_col(d, -1);
		return 1;
	case K_RIGHT: case 'l':
		move_col(d, 1);
		return 1;
	case K_HOME:
		d->col = 0;
		return 1;
	case K_END:
		d->col = -1;
		return 1;
	case K_PGUP:
		move_col(d, -10);
		return 1;
	case K_PGDN:
		move_col(d, 10);
		return 1;
	}
	return 0;
}

static const char *
dash_hints(struct view *v)
{
	struct dash *d = v->priv;

	if (is_series(d->focus))
		return tui_utf8 ? "Tab panel\t\xe2\x86\x90\xe2\x86\x92 "
		    "bucket\tEnter drill\t/ filter\tt range\tg group" :
		    "Tab panel\tLeft/Right bucket\tEnter drill\t/ filter\t"
		    "t range\tg group";
	return "Tab panel\tEnter drill\t/ filter\tt range\tg group";
}

static void
dash_free(struct view *v)
{
	struct dash *d = v->priv;

	panels_free(&d->p);
	job_free(d->shown);
	free(d->error);
	free(d->jwhat);
	free(d->jsig);
	free(d);
}

/* S on the dashboard: the shared query, and the panel in focus (the
 * latency table: the dashboard itself). */
static int
dash_to_preset(struct view *v, struct preset *p, char *note, size_t notelen)
{
	struct dash *d = v->priv;
	struct ui_query *q = app_query(v->app);

	(void)note;
	(void)notelen;
	p->query = q->query ? xstrdup(q->query) : NULL;
	p->range = q->range ? xstrdup(q->range) : NULL;
	p->bucket = q->bucket;
	p->group_by = q->group_by ? xstrdup(q->group_by) : NULL;
	if (d->focus == P_LAT)
		p->view = PRESET_DASHBOARD;
	else {
		p->view = PRESET_PANEL;
		p->panel = xstrdup(panel_names[d->focus]);
	}
	return 0;
}

void
dashboard_preset(struct view *v, const char *panel, const char *what,
    const char *label, int later)
{
	struct dash *d = v->priv;
	struct ui_query *q = app_query(v->app);
	const struct mapping *m = &app_backend(v->app)->map;
	int i;

	d->focus = P_LAT;
	for (i = 0; panel != NULL && i < P_N; i++)
		if (strcmp(panel, panel_names[i]) == 0)
			d->focus = i;
	d->col = -1;
	d->lat.sel = d->lat.top = 0;
	d->ver.sel = d->ver.top = 0;
	if (q->group_by == NULL)
		d->group_mode = 0;
	else if (m->npaths[ROLE_VERSION] > 0 &&
	    strcmp(q->group_by, m->paths[ROLE_VERSION][0]) == 0)
		d->group_mode = 1;
	else
		d->group_mode = 2;
	free(d->jwhat);
	d->jwhat = what != NULL ? xstrdup(what) : NULL;
	free(v->crumb);
	if (label != NULL) {
		char *vis = str_visible(label, strlen(label), tui_utf8 ? 0 : STRVIS_ASCII);

		v->crumb = xasprintf("Dashboard %s %s", G->dot, vis);
		free(vis);
	} else
		v->crumb = xstrdup("Dashboard");
	if (later)
		v->stale = 1;
	else {
		v->stale = 0;
		dash_refresh(v);
	}
}

static const struct view_ops dash_ops = {
	.name = "dashboard",
	.free = dash_free,
	.draw = dash_draw,
	.key = dash_key,
	.done = dash_done,
	.refresh = dash_refresh,
	.hints = dash_hints,
	.status = NULL,
	.to_preset = dash_to_preset,
};

struct view *
dashboard_new(struct app *a)
{
	struct dash *d = xcalloc(1, sizeof *d);
	struct view *v;

	d->col = -1;
	d->focus = P_LAT;
	if (app_query(a)->group_by != NULL)
		d->group_mode = 2;
	v = view_new(&dash_ops, a, "Dashboard", d);
	v->stale = 1;		/* first panels once pushed */
	return v;
}
