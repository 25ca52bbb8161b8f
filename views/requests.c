#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/timerange.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

enum { C_TIME, C_SERVICE, C_GROUP, C_LAT, C_CONF, C_LEVEL, C_MSG, C_N };

struct reqs {
	struct job	*spec;		/* the search, run again on refresh */
	struct hitlist	 hits;
	size_t		*order;		/* rows: indices into hits */
	size_t		 norder;
	int		 have;
	char		*error;		/* visible text */
	int		 sortcol, desc;
	struct listpos	 lp;
	size_t		 page;		/* rows shown (last draw) */
	char		*glabel;	/* the group column's name, visible text */
	char		*needle;	/* search text */
	int		 filter;	/* show matching rows only */
	size_t		 nmatch;
	int		 journaled;	/* the list is in the journal */
};

static const char *const colname[C_N] = {
	"time (UTC)", "service", "variant", "latency", "conf", "level", "message"
};

static const char *
col_name(const struct reqs *r, int k)
{
	return k == C_GROUP && r->glabel != NULL ? r->glabel : colname[k];
}

/* --- sorting and matching ------------------------------------------ */

static const struct reqs *sort_ctx;	/* qsort has no context argument */

static int
cmp_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int
cmp_num(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

static int
missing(const struct hit *h, int col)
{
	switch (col) {
	case C_TIME: return h->t == TIME_NONE;
	case C_SERVICE: return h->service == NULL;
	case C_GROUP: return h->group == NULL;
	case C_LAT: return isnan(h->latency);
	case C_CONF: return isnan(h->confidence);
	case C_LEVEL: return h->level == NULL;
	default: return h->message == NULL && h->event == NULL;
	}
}

static int
cmp_rows(const void *pa, const void *pb)
{
	const struct reqs *r = sort_ctx;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct hit *a = &r->hits.v[ia], *b = &r->hits.v[ib];
	int c = 0, ma = missing(a, r->sortcol), mb = missing(b, r->sortcol);

	if (ma || mb)		/* missing values last either way */
		c = ma - mb;
	else {
		switch (r->sortcol) {
		case C_TIME: c = (a->t > b->t) - (a->t < b->t); break;
		case C_SERVICE: c = cmp_str(a->service, b->service); break;
		case C_GROUP: c = cmp_str(a->group, b->group); break;
		case C_LAT: c = cmp_num(a->latency, b->latency); break;
		case C_CONF: c = cmp_num(a->confidence, b->confidence); break;
		case C_LEVEL: c = cmp_str(a->level, b->level); break;
		case C_MSG:
			c = cmp_str(a->message ? a->message : a->event,
			    b->message ? b->message : b->event);
			break;
		}
		if (r->desc)
			c = -c;
	}
	if (c == 0)
		c = (a->t > b->t) - (a->t < b->t);
	if (c == 0)
		c = (ia > ib) - (ia < ib);
	return c;
}

static int
hit_matches(const struct hit *h, const char *needle)
{
	const char *f[] = { h->service, h->group, h->level, h->message,
	    h->event, h->trace_id, h->request_id };
	char t[40];
	size_t i;

	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i] != NULL && str_casestr(f[i], needle) != NULL)
			return 1;
	fmt_time(h->t, 0, t, sizeof t);
	return str_casestr(t, needle) != NULL;
}

/* Rebuild the rows: filter, sort, and keep the selected hit selected. */
static void
rebuild(struct reqs *r)
{
	size_t i, keep = (size_t)-1;

	if (r->lp.sel < r->norder)
		keep = r->order[r->lp.sel];
	free(r->order);
	r->order = xcalloc(r->hits.n ? r->hits.n : 1, sizeof *r->order);
	r->norder = 0;
	r->nmatch = 0;
	for (i = 0; i < r->hits.n; i++) {
		int m = r->needle != NULL && hit_matches(&r->hits.v[i], r->needle);

		r->nmatch += m;
		if (!r->filter || r->needle == NULL || m)
			r->order[r->norder++] = i;
	}
	sort_ctx = r;
	qsort(r->order, r->norder, sizeof *r->order, cmp_rows);
	sort_ctx = NULL;
	r->lp.n = r->norder;
	for (i = 0; i < r->norder; i++)
		if (r->order[i] == keep) {
			r->lp.sel = i;
			break;
		}
	listpos_fit(&r->lp, r->page ? r->page : 1);
}

/* The next (dir 1) or previous (-1) matching row from sel, wrapping. */
static void
find_match(struct view *v, int dir, int include_sel)
{
	struct reqs *r = v->priv;
	size_t i, k, n = r->norder;

	if (r->needle == NULL || n == 0)
		return;
	for (k = include_sel ? 0 : 1; k <= n; k++) {
		i = dir > 0 ? (r->lp.sel + k) % n : (r->lp.sel + n * 2 - k) % n;
		if (hit_matches(&r->hits.v[r->order[i]], r->needle)) {
			if ((dir > 0 && i < r->lp.sel) || (dir < 0 && i > r->lp.sel))
				app_message(v->app, 0, "search wrapped");
			r->lp.sel = i;
			listpos_fit(&r->lp, r->page ? r->page : 1);
			return;
		}
	}
	app_message(v->app, 1, "no match for '%s'", r->needle);
}

/* --- data ------------------------------------------------------------ */

static void
reqs_refresh(struct view *v)
{
	struct reqs *r = v->priv;

	app_submit(v->app, v, job_clone(r->spec));
}

static void
reqs_done(struct view *v, struct job *j)
{
	struct reqs *r = v->priv;
	uint64_t keep[2] = { 0, 0 };
	int have_keep = 0;
	size_t i;

	if (j->rc == LD_ECANCEL) {
		if (!r->have) {
			free(r->error);
			r->error = xstrdup("cancelled (r runs it again)");
		}
		return;
	}
	if (j->rc != 0 && j->rc != LD_NOMATCH) {
		free(r->error);
		r->error = str_visible(j->err.msg, strlen(j->err.msg), 0);
		app_message(v->app, 1, "%s", j->err.msg);
		return;
	}
	if (r->lp.sel < r->norder) {
		const struct hit *h = &r->hits.v[r->order[r->lp.sel]];

		keep[0] = h->loc[0];
		keep[1] = h->loc[1];
		have_keep = 1;
	}
	hitlist_free(&r->hits);
	r->hits = j->hits;
	memset(&j->hits, 0, sizeof j->hits);
	r->have = 1;
	free(r->error);
	r->error = NULL;
	r->lp.sel = 0;
	rebuild(r);
	if (!r->journaled && !app_loading(v->app)) {
		char n1[32], n2[32], *t;

		r->journaled = 1;
		t = xasprintf("%s: %s of %s records, by %s", v->crumb,
		    fmt_count(r->hits.n, n1, sizeof n1),
		    fmt_count(r->hits.total, n2, sizeof n2), sort_to_name(r->spec->sort));
		app_journal(v->app, JK_REQUESTS, t, NULL);
		free(t);
	}
	if (have_keep)
		for (i = 0; i < r->norder; i++)
			if (r->hits.v[r->order[i]].loc[0] == keep[0] &&
			    r->hits.v[r->order[i]].loc[1] == keep[1]) {
				r->lp.sel = i;
				break;
			}
}

/* --- drawing ----------------------------------------------------------- */

struct cols {
	int x[C_N], w[C_N];
	int time_only;
};

static void
layout(struct reqs *r, int w, struct cols *c)
{
	size_t i, svc = 7, grp = 7, l;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	int rest, k, x;

	for (i = 0; i < r->hits.n; i++) {
		const struct hit *h = &r->hits.v[i];

		if (h->service && (l = str_width(h->service)) > svc)
			svc = l;
		if (h->group && (l = str_width(h->group)) > grp)
			grp = l;
		if (h->t != TIME_NONE) {
			if (h->t < lo)
				lo = h->t;
			if (h->t > hi)
				hi = h->t;
		}
	}
	c->time_only = lo == INT64_MAX ||
	    time_floor(lo, 86400 * NS_PER_SEC) == time_floor(hi, 86400 * NS_PER_SEC);
	c->w[C_TIME] = c->time_only ? 12 : 18;
	c->w[C_LAT] = 8;
	c->w[C_CONF] = 5;
	c->w[C_LEVEL] = 5;
	rest = w - 1 - c->w[C_TIME] - c->w[C_LAT] - c->w[C_CONF] -
	    c->w[C_LEVEL] - C_N;
	if (svc > 25)
		svc = 25;
	if (grp > 16)
		grp = 16;
	/* the message keeps at least 40% */
	if ((int)(svc + grp) > rest * 60 / 100) {
		if ((int)svc > rest * 38 / 100)
			svc = (size_t)(rest * 38 / 100);
		if ((int)grp > rest * 22 / 100)
			grp = (size_t)(rest * 22 / 100);
	}
	if (svc < 7)
		svc = 7;
	if (grp < 7)
		grp = 7;
	c->w[C_SERVICE] = (int)svc;
	c->w[C_GROUP] = (int)grp;
	c->w[C_MSG] = rest - (int)svc - (int)grp;
	if (c->w[C_MSG] < 4)
		c->w[C_MSG] = 4;
	for (x = 1, k = 0; k < C_N; k++) {
		c->x[k] = x;
		x += c->w[k] + 1;
	}
}

static int
level_style(const char *lvl, int st)
{
	if (st != ST_NORMAL || lvl == NULL)
		return st;
	if (strncasecmp(lvl, "err", 3) == 0 || strncasecmp(lvl, "fatal", 5) == 0 ||
	    strncasecmp(lvl, "crit", 4) == 0)
		return ST_ERROR;
	if (strncasecmp(lvl, "warn", 4) == 0)
		return ST_WARN;
	return st;
}

static void
draw_row(struct reqs *r, const struct hit *h, int y, int x, int w,
    const struct cols *c, int st)
{
	char buf[64];
	const char *needle = r->needle;

	if (st != ST_NORMAL)
		draw_fill(y, x, w, st);
	fmt_time(h->t, 0, buf, sizeof buf);
	draw_str(y, x + c->x[C_TIME], c->w[C_TIME], buf + (c->time_only ? 11 : 5),
	    st);
	if (h->service)
		draw_vis(y, x + c->x[C_SERVICE], c->w[C_SERVICE], h->service,
		    strlen(h->service), st, needle);
	if (h->group)
		draw_vis(y, x + c->x[C_GROUP], c->w[C_GROUP], h->group,
		    strlen(h->group), st, needle);
	draw_rstr(y, x + c->x[C_LAT], c->w[C_LAT], fmt_double(h->latency, 1,
	    buf, sizeof buf), st);
	if (!isnan(h->confidence))
		snprintf(buf, sizeof buf, "%.2f", h->confidence);
	else
		snprintf(buf, sizeof buf, "-");
	draw_rstr(y, x + c->x[C_CONF], c->w[C_CONF], buf, st);
	if (h->level)
		draw_vis(y, x + c->x[C_LEVEL], c->w[C_LEVEL], h->level,
		    strlen(h->level), level_style(h->level, st), needle);
	if (h->message)
		draw_vis(y, x + c->x[C_MSG], c->w[C_MSG], h->message,
		    strlen(h->message), st, needle);
	else if (h->event)
		draw_vis(y, x + c->x[C_MSG], c->w[C_MSG], h->event,
		    strlen(h->event), st == ST_NORMAL ? ST_DIM : st, needle);
}

static void
reqs_draw(struct view *v, int y, int x, int h, int w)
{
	struct reqs *r = v->priv;
	struct cols c;
	char a[32], b[32], info[512];
	size_t i;
	int k, row, used;

	if (!r->have) {
		if (r->error != NULL)
			draw_str(y + 1, x + 1, w - 2, r->error, ST_ERROR);
		else
			draw_str(y + 1, x + 1, w - 2, "Searching...", ST_DIM);
		return;
	}
	/* the line above the table */
	fmt_count(r->norder, a, sizeof a);
	used = draw_fmt(y, x + 1, w - 2, ST_HEADER, "%s %s", a,
	    r->norder == 1 ? "request" : "requests");
	info[0] = '\0';
	if (r->hits.total > r->hits.n)
		snprintf(info, sizeof info, " (first %s of %s%s %s F fetches all)",
		    fmt_count(r->hits.n, a, sizeof a),
		    fmt_count(r->hits.total, b, sizeof b),
		    r->hits.capped ? " by time" : "", G->dot);
	if (r->filter && r->needle)
		snprintf(info + strlen(info), sizeof info - strlen(info),
		    " matching the search");
	snprintf(info + strlen(info), sizeof info - strlen(info),
	    " %s sorted by %s %s", G->dot, col_name(r, r->sortcol),
	    r->desc ? G->down : G->up);
	draw_str(y, x + 1 + used, w - 2 - used, info, ST_NORMAL);

	layout(r, w, &c);
	for (k = 0; k < C_N; k++) {
		int st = k == r->sortcol ? ST_TITLE : ST_HEADER;
		char name[40];

		snprintf(name, sizeof name, "%s%s", col_name(r, k), k == r->sortcol ?
		    (r->desc ? G->down : G->up) : "");
		if (k == C_LAT || k == C_CONF)
			draw_rstr(y + 1, x + c.x[k], c.w[k], name, st);
		else
			draw_str(y + 1, x + c.x[k], c.w[k], name, st);
	}
	r->page = h > 2 ? (size_t)(h - 2) : 1;
	listpos_fit(&r->lp, r->page);
	if (r->norder == 0) {
		draw_str(y + 2, x + 1, w - 2, r->hits.n ? "no row matches the "
		    "search" : "no matching records", ST_DIM);
		return;
	}
	for (row = 0, i = r->lp.top; i < r->norder && row < h - 2; i++, row++)
		draw_row(r, &r->hits.v[r->order[i]], y + 2 + row, x, w, &c,
		    i == r->lp.sel ? ST_SEL : ST_NORMAL);
}

/* --- keys -------------------------------------------------------------- */

static int
on_search(struct view *v, const char *text, struct ld_err *err)
{
	struct reqs *r = v->priv;

	free(r->needle);
	r->needle = *text ? xstrdup(text) : NULL;
	rebuild(r);
	if (r->needle != NULL)
		find_match(v, 1, 1);
	return 0;
}

static void
set_sort(struct reqs *r, int col)
{
	r->sortcol = col;
	r->desc = col == C_LAT || col == C_CONF;
	rebuild(r);
}

static int
reqs_key(struct view *v, int key)
{
	struct reqs *r = v->priv;
	const struct hit *h = NULL;
	const char *id;

	if (r->lp.sel < r->norder)
		h = &r->hits.v[r->order[r->lp.sel]];
	if (listpos_key(&r->lp, key, r->page, 1))
		return 1;
	switch (key) {
	case K_ENTER:
		if (h != NULL)
			app_push(v->app, record_new(v->app, h));
		return 1;
	case 'T':
		if (h == NULL)
			return 1;
		id = h->trace_id ? h->trace_id : h->request_id;
		if (id == NULL)
			app_message(v->app, 1, "this record has no trace or "
			    "request id");
		else
			app_push(v->app, trace_new(v->app, id));
		return 1;
	case 's':
		set_sort(r, (r->sortcol + 1) % C_N);
		return 1;
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		set_sort(r, key - '1');
		return 1;
	case 'r':
		r->desc = !r->desc;
		rebuild(r);
		return 1;
	case '/':
		app_prompt(v->app, v, "search: ", r->needle, on_search);
		return 1;
	case 'n':
		find_match(v, 1, 0);
		return 1;
	case 'N':
		find_match(v, -1, 0);
		return 1;
	case '&':
		if (r->needle == NULL) {
			app_message(v->app, 0, "search with / first");
			return 1;
		}
		r->filter = !r->filter;
		rebuild(r);
		return 1;
	case K_CTRL('r'):
		reqs_refresh(v);
		return 1;
	case 'F': {
		char n[32];

		if (!r->have || r->hits.total <= r->hits.n) {
			app_message(v->app, 0, "the list has every matching record");
			return 1;
		}
		/* every match: no limit, no list cap (progress in the title) */
		r->spec->limit = 0;
		r->spec->all = 1;
		app_message(v->app, 0, "fetching all %s records (Esc cancels)",
		    fmt_count(r->hits.total, n, sizeof n));
		reqs_refresh(v);
		return 1;
	}
	}
	return 0;
}

static const char *
reqs_hints(struct view *v)
{
	struct reqs *r = v->priv;

	if (r->have && r->hits.total > r->hits.n)
		return "Enter open\tT trace\ts sort\tr reverse\t/ search\tn/N next"
		    "\tF fetch all";
	return "Enter open\tT trace\ts sort\tr reverse\t/ search\tn/N next";
}

static void
reqs_status(struct view *v, char *out, size_t outlen)
{
	struct reqs *r = v->priv;
	const struct job *s = r->spec;

	if (r->needle != NULL) {
		snprintf(out, outlen, "search: %s %s %zu matching row%s%s",
		    r->needle, G->dot, r->nmatch, r->nmatch == 1 ? "" : "s",
		    r->filter ? " (only these shown; & shows all)" : "");
		return;
	}
	snprintf(out, outlen, "/%s", s->query ? s->query : "");
	if (s->query == NULL)
		snprintf(out, outlen, "/ (no query)");
}

static void
reqs_free(struct view *v)
{
	struct reqs *r = v->priv;

	job_free(r->spec);
	hitlist_free(&r->hits);
	free(r->order);
	free(r->error);
	free(r->needle);
	free(r->glabel);
	free(r);
}

/* A query term for field = value: field:"value" (quoted, escaped), or
 * "not field:*" for the records without the field. */
static void
group_term(struct buf *b, const char *field, const char *value)
{
	const char *c;

	if (strcmp(value, PANELS_NO_GROUP) == 0) {
		buf_printf(b, "not %s:*", field);
		return;
	}
	buf_printf(b, "%s:\"", field);
	for (c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *c);
	}
	buf_addc(b, '"');
}

/* S on a list: its query (with the group drilled into as a term), its
 * range (a bucket's as START..END), the sort when a preset can say it. */
static int
reqs_to_preset(struct view *v, struct preset *p, char *note, size_t notelen)
{
	struct reqs *r = v->priv;
	const struct job *s = r->spec;
	struct ui_query *q = app_query(v->app);
	const struct mapping *m = &app_backend(v->app)->map;
	const char *field;
	struct buf b = BUF_INIT;
	char a1[40], a2[40];

	if (s->query != NULL && s->query[strspn(s->query, " \t")] != '\0')
		buf_printf(&b, s->group_value ? "(%s) and " : "%s", s->query);
	if (s->group_value != NULL) {
		field = s->group_by ? s->group_by : m->npaths[ROLE_GROUP] ?
		    m->paths[ROLE_GROUP][0] : NULL;
		if (field != NULL)
			group_term(&b, field, s->group_value);
	}
	p->query = b.len ? buf_detach(&b) : NULL;
	buf_free(&b);
	if (s->own_range && s->has_range) {
		time_format_iso(s->range.start, -1, a1, sizeof a1);
		time_format_iso(s->range.end, -1, a2, sizeof a2);
		p->range = xasprintf("%s..%s", a1, a2);
	} else
		p->range = q->range ? xstrdup(q->range) : NULL;
	p->bucket = q->bucket;
	p->group_by = s->group_by ? xstrdup(s->group_by) : NULL;
	p->view = PRESET_REQUESTS;
	p->above = s->above;
	p->limit = s->limit < 10000 ? s->limit : 0;
	if (r->sortcol == C_TIME || r->sortcol == C_LAT)
		p->sort = xstrdup(r->sortcol == C_TIME ? (r->desc ? "-time" : "time") :
		    r->desc ? "latency" : "-latency");
	else
		snprintf(note, notelen, "the sort by %s is not kept: presets sort "
		    "by time or latency", col_name(r, r->sortcol));
	return 0;
}

static const struct view_ops reqs_ops = {
	.name = "requests",
	.free = reqs_free,
	.draw = reqs_draw,
	.key = reqs_key,
	.done = reqs_done,
	.refresh = reqs_refresh,
	.hints = reqs_hints,
	.status = reqs_status,
	.to_preset = reqs_to_preset,
};

struct view *
requests_new(struct app *a, const char *crumb, struct job *spec)
{
	struct reqs *r = xcalloc(1, sizeof *r);
	struct view *v;

	r->spec = spec;
	/* grouped by another field than the default: name the column after it */
	if (spec->group_by != NULL) {
		const char *dot = strrchr(spec->group_by, '.');
		const char *last = dot ? dot + 1 : spec->group_by;
		char *vis = str_visible(last, strlen(last), tui_utf8 ? 0 :
		    STRVIS_ASCII);

		r->glabel = str_trunc(vis, 16, G->ell);
		free(vis);
	}
	switch (spec->sort) {
	case SORT_LATENCY_DESC: r->sortcol = C_LAT; r->desc = 1; break;
	case SORT_LATENCY_ASC: r->sortcol = C_LAT; break;
	case SORT_TIME_DESC: r->sortcol = C_TIME; r->desc = 1; break;
	default: r->sortcol = C_TIME; break;
	}
	v = view_new(&reqs_ops, a, crumb, r);
	/* the job goes out once the view has its id (app_push) */
	v->stale = 1;
	return v;
}
