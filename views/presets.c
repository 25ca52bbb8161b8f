/* The preset picker (p) and the runbook picker (R): every preset or
 * runbook the files thread finds (user, team, shipped), narrowed as one
 * types (each word must occur in the name or the description), with the
 * selected one's description and settings below. Also what applying a
 * preset does to the views (preset_apply) and S, saving the state as a
 * user preset. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include "queries/query.h"
#include "queries/timerange.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

#define REQ_LIMIT	10000	/* a requests view without a preset limit */
#define NAME_W		24	/* widest name column */
#define WRAP_MAX	8

enum { PK_PRESETS, PK_RUNBOOKS };

struct picker {
	int		 mode;
	int		 have;		/* the list came */
	char		*error;		/* visible text */
	struct preset	*p;		/* PK_PRESETS, sorted by name (owned) */
	struct runbook	*rb;		/* PK_RUNBOOKS (owned) */
	size_t		 n;		/* of either */
	struct buf	 filter;	/* as typed */
	size_t		*shown;		/* indices of the items that match, in order */
	struct listpos	 lp;
	size_t		 page;		/* rows of the list (last draw) */
};

static const char *
item_name(const struct picker *pk, size_t i)
{
	return pk->mode == PK_PRESETS ? pk->p[i].name : pk->rb[i].name;
}

/* The description the list shows and the filter reads. */
static const char *
item_text(const struct picker *pk, size_t i)
{
	return pk->mode == PK_PRESETS ? pk->p[i].description : pk->rb[i].title;
}

/* 1 if every blank-separated word of the filter occurs in the item's
 * name or text (ASCII case-insensitive); *in_name: all of them in the
 * name. */
static int
item_matches(const struct picker *pk, size_t i, int *in_name)
{
	const char *f = pk->filter.p ? pk->filter.p : "", *e;
	const char *name = item_name(pk, i), *text = item_text(pk, i);
	const char *more = pk->mode == PK_RUNBOOKS ? pk->rb[i].description : "";
	char word[256];
	size_t n;

	*in_name = 1;
	for (;;) {
		f += strspn(f, " ");
		if (*f == '\0')
			return 1;
		e = f + strcspn(f, " ");
		n = (size_t)(e - f) < sizeof word - 1 ? (size_t)(e - f) : sizeof word - 1;
		memcpy(word, f, n);
		word[n] = '\0';
		if (str_casestr(name, word) == NULL) {
			*in_name = 0;
			if (str_casestr(text, word) == NULL &&
			    str_casestr(more, word) == NULL)
				return 0;
		}
		f = e;
	}
}

/* The shown rows: matches by name first, then by description, each in
 * name order; the selection kept on its item when it still matches. */
static void
refilter(struct picker *pk)
{
	size_t i, k = 0, keep = (size_t)-1, pass;
	int in_name;

	if (pk->lp.sel < pk->lp.n)
		keep = pk->shown[pk->lp.sel];
	free(pk->shown);
	pk->shown = xcalloc(pk->n ? pk->n : 1, sizeof *pk->shown);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < pk->n; i++)
			if (item_matches(pk, i, &in_name) && in_name == (pass == 0))
				pk->shown[k++] = i;
	pk->lp.n = k;
	pk->lp.sel = 0;
	for (i = 0; i < k; i++)
		if (pk->shown[i] == keep)
			pk->lp.sel = i;
	listpos_fit(&pk->lp, pk->page ? pk->page : 1);
}

/* --- data -------------------------------------------------------------- */

static void
pk_refresh(struct view *v)
{
	struct picker *pk = v->priv;

	if (pk->have)
		return;
	app_submit(v->app, v, job_new(pk->mode == PK_PRESETS ? JOB_PRESETS :
	    JOB_RUNBOOKS, 0));
}

static void
pk_done(struct view *v, struct job *j)
{
	struct picker *pk = v->priv;
	const char *nl;

	if (j->rc != 0) {
		free(pk->error);
		pk->error = str_visible(j->err.msg, strlen(j->err.msg), 0);
		return;
	}
	if (pk->mode == PK_PRESETS) {
		pk->p = j->presets;
		pk->n = j->npresets;
		j->presets = NULL;
		j->npresets = 0;
	} else {
		pk->rb = j->runbooks;
		pk->n = j->nrunbooks;
		j->runbooks = NULL;
		j->nrunbooks = 0;
	}
	pk->have = 1;
	refilter(pk);
	if (j->text != NULL) {
		/* the files skipped: the first one said, and how many more */
		size_t more = 0;

		for (nl = j->text; (nl = strchr(nl, '\n')) != NULL; nl++)
			more++;
		nl = strchr(j->text, '\n');
		app_message(v->app, 1, "%.*s%s", nl ? (int)(nl - j->text) :
		    (int)strlen(j->text), j->text, more ? " (and more: logdive "
		    "presets lists them)" : "");
	}
}

/* --- drawing ----------------------------------------------------------- */

/* What a preset opens, for people. */
static void
preset_opens(const struct preset *p, char *out, size_t outlen)
{
	char lim[48] = "", abv[64] = "";

	if (p->limit)
		snprintf(lim, sizeof lim, ", at most %zu", p->limit);
	if (p->above)
		snprintf(abv, sizeof abv, ", at or above each group's p%d", p->above);
	switch (p->view) {
	case PRESET_PANEL:
		snprintf(out, outlen, "opens the %s panel", p->panel ? p->panel :
		    "latency");
		break;
	case PRESET_REQUESTS:
		snprintf(out, outlen, "opens the requests sorted by %s%s%s",
		    p->sort ? p->sort : "time", abv, lim);
		break;
	case PRESET_TRACE:
		snprintf(out, outlen, "opens the trace of the first record sorted by %s%s",
		    p->sort ? p->sort : "latency", abv);
		break;
	default:
		snprintf(out, outlen, "opens the dashboard");
	}
}

/* Visible text s wrapped in w columns from row y, at most rows lines.
 * Returns the rows used. */
static int
draw_wrapped(int y, int x, int w, int rows, const char *s, int st)
{
	size_t start[WRAP_MAX], len[WRAP_MAX], n, i;
	char *vis = str_visible(s, strlen(s), tui_utf8 ? 0 : STRVIS_ASCII), *line;

	n = text_wrap(vis, w, start, len, WRAP_MAX);
	for (i = 0; i < n && i < WRAP_MAX && (int)i < rows; i++) {
		line = xstrdup(vis + start[i]);
		line[len[i]] = '\0';
		if ((int)i == rows - 1 && i + 1 < n) {
			/* the last row shown: say there is more */
			char *cut = str_trunc(vis + start[i], (size_t)w, G->ell);

			draw_str(y + (int)i, x, w, cut, st);
			free(cut);
		} else
			draw_str(y + (int)i, x, w, line, st);
		free(line);
	}
	free(vis);
	return (int)(n < (size_t)rows ? n : (size_t)rows);
}

static void
details_preset(const struct preset *p, int y, int x, int h, int w)
{
	char buf[512], b[32];
	struct buf set = BUF_INIT;
	int row = 0;

	draw_fmt(y, x, w, ST_HEADER, "%s %s %s", p->name, G->dot,
	    preset_origin_name(p->origin));
	if (p->file != NULL) {
		int used = (int)str_width(p->name) + 3 +
		    (int)str_width(preset_origin_name(p->origin));

		draw_str(y, x + used, w - used, " ", ST_DIM);
		draw_vis(y, x + used + 1, w - used - 1, p->file, strlen(p->file),
		    ST_DIM, NULL);
	}
	row = 1;
	if (h - row > 2 && p->description[0] != '\0')
		row += draw_wrapped(y + row, x, w, h - row - 2, p->description,
		    ST_NORMAL);
	if (row < h) {
		preset_opens(p, buf, sizeof buf);
		draw_str(y + row++, x, w, buf, ST_NORMAL);
	}
	buf_printf(&set, "query %s", p->query ? p->query : "(none: every record)");
	if (p->group_by)
		buf_printf(&set, " %s by %s", G->dot, p->group_by);
	if (p->range)
		buf_printf(&set, " %s range %s", G->dot, p->range);
	if (p->bucket)
		buf_printf(&set, " %s bucket %s", G->dot, duration_format(p->bucket, b,
		    sizeof b));
	if (p->source)
		buf_printf(&set, " %s source %s", G->dot, p->source);
	if (row < h)
		draw_vis(y + row, x, w, set.p, set.len, ST_DIM, NULL);
	buf_free(&set);
}

static void
details_runbook(const struct runbook *rb, int y, int x, int h, int w)
{
	struct buf steps = BUF_INIT;
	size_t i;
	int row;

	draw_fmt(y, x, w, ST_HEADER, "%s %s %s %s %zu steps", rb->name, G->dot,
	    preset_origin_name(rb->origin), G->dot, rb->nsteps);
	row = 1;
	if (rb->alert[0] != '\0' && row < h) {
		row += draw_wrapped(y + row, x, w, 1, rb->alert, ST_WARN);
	}
	if (h - row > 1 && rb->description[0] != '\0')
		row += draw_wrapped(y + row, x, w, h - row - 1, rb->description,
		    ST_NORMAL);
	for (i = 0; i < rb->nsteps; i++)
		buf_printf(&steps, "%s%zu %s", i ? "  " : "", i + 1, rb->steps[i].title);
	if (row < h && steps.len)
		draw_vis(y + row, x, w, steps.p, steps.len, ST_DIM, NULL);
	buf_free(&steps);
}

static void
pk_draw(struct view *v, int y, int x, int h, int w)
{
	struct picker *pk = v->priv;
	const char *f = pk->filter.p ? pk->filter.p : "";
	int nw = 4, ow = 7, row, st, dh, used, lx = x + 1, lw = w - 2;
	size_t i, k;
	char num[64];

	used = draw_str(y, lx, lw, pk->mode == PK_PRESETS ? "Presets" : "Runbooks",
	    ST_HEADER);
	if (pk->have) {
		snprintf(num, sizeof num, " %s %zu of %zu", G->dot, pk->lp.n, pk->n);
		draw_str(y, lx + used, lw - used, num, ST_HEADER);
	}
	used = draw_str(y + 1, lx, lw, "filter: ", ST_PROMPT);
	draw_vis(y + 1, lx + used, lw - used, f, strlen(f), ST_NORMAL, NULL);
	app_cursor(v->app, y + 1, lx + used + (int)str_width(f));
	if (!pk->have) {
		draw_str(y + 3, lx, lw, pk->error ? pk->error : pk->mode == PK_PRESETS ?
		    "Reading the presets..." : "Reading the runbooks...",
		    pk->error ? ST_ERROR : ST_DIM);
		return;
	}
	/* the details of the selected item at the bottom */
	dh = h >= 24 ? 7 : h >= 16 ? 5 : 0;
	for (i = 0; i < pk->n; i++)
		if ((int)str_width(item_name(pk, i)) > nw)
			nw = (int)str_width(item_name(pk, i));
	if (nw > NAME_W)
		nw = NAME_W;
	if (pk->mode == PK_RUNBOOKS)
		ow = 7 + 7;	/* origin and steps */
	draw_str(y + 2, lx, nw, "name", ST_DIM);
	draw_str(y + 2, lx + nw + 2, ow, pk->mode == PK_PRESETS ? "from" :
	    "from    steps", ST_DIM);
	draw_str(y + 2, lx + nw + ow + 4, lw - nw - ow - 4, pk->mode == PK_PRESETS ?
	    "description" : "title", ST_DIM);
	pk->page = h - 3 - dh > 1 ? (size_t)(h - 3 - dh) : 1;
	listpos_fit(&pk->lp, pk->page);
	if (pk->lp.n == 0)
		draw_str(y + 3, lx, lw, pk->n ? "nothing matches the filter "
		    "(Backspace to widen it)" : pk->mode == PK_PRESETS ?
		    "no presets (S saves the current view as one)" : "no runbooks",
		    ST_DIM);
	for (row = 0, k = pk->lp.top; k < pk->lp.n && row < (int)pk->page;
	    k++, row++) {
		const char *text;
		char *cut;

		i = pk->shown[k];
		st = k == pk->lp.sel ? ST_SEL : ST_NORMAL;
		if (st == ST_SEL)
			draw_fill(y + 3 + row, x, w, st);
		cut = str_trunc(item_name(pk, i), (size_t)nw, G->ell);
		draw_str(y + 3 + row, lx, nw, cut, st);
		free(cut);
		if (pk->mode == PK_PRESETS)
			draw_str(y + 3 + row, lx + nw + 2, ow,
			    preset_origin_name(pk->p[i].origin), st == ST_SEL ? st : ST_DIM);
		else {
			draw_str(y + 3 + row, lx + nw + 2, 7,
			    preset_origin_name(pk->rb[i].origin), st == ST_SEL ? st : ST_DIM);
			snprintf(num, sizeof num, "%5zu", pk->rb[i].nsteps);
			draw_str(y + 3 + row, lx + nw + 10, 5, num, st);
		}
		text = item_text(pk, i);
		draw_vis(y + 3 + row, lx + nw + ow + 4, lw - nw - ow - 4, text,
		    strlen(text), st, strchr(f, ' ') == NULL ? f : NULL);
	}
	if (dh > 0 && pk->lp.sel < pk->lp.n) {
		int dy = y + h - dh;

		draw_hline(dy, x, w, ST_BORDER);
		i = pk->shown[pk->lp.sel];
		if (pk->mode == PK_PRESETS)
			details_preset(&pk->p[i], dy + 1, lx, dh - 1, lw);
		else
			details_runbook(&pk->rb[i], dy + 1, lx, dh - 1, lw);
	}
}

/* --- keys -------------------------------------------------------------- */

static void
pk_enter(struct view *v)
{
	struct picker *pk = v->priv;
	struct app *a = v->app;
	struct preset p;
	struct runbook *rb;
	size_t i;

	if (!pk->have || pk->lp.sel >= pk->lp.n)
		return;
	i = pk->shown[pk->lp.sel];
	if (pk->mode == PK_PRESETS) {
		/* a copy: applying pops this view */
		preset_copy(&p, &pk->p[i]);
		preset_apply(a, &p, NULL);
		preset_free(&p);
		return;		/* v may be gone */
	}
	rb = xmalloc(sizeof *rb);
	*rb = pk->rb[i];
	memmove(&pk->rb[i], &pk->rb[i + 1], (pk->n - i - 1) * sizeof *pk->rb);
	pk->n--;
	app_pop(a);		/* v is gone */
	app_runbook_open(a, rb, 1);
}

static int
pk_key(struct view *v, int key)
{
	struct picker *pk = v->priv;
	char enc[4];
	size_t n;

	switch (key) {
	case K_ENTER:
		pk_enter(v);
		return 1;
	case K_BS:
		if (pk->filter.len > 0) {
			do
				pk->filter.len--;
			while (pk->filter.len > 0 &&
			    ((unsigned char)pk->filter.p[pk->filter.len] & 0xc0) == 0x80);
			pk->filter.p[pk->filter.len] = '\0';
			refilter(pk);
		}
		return 1;
	case K_CTRL('u'):
		buf_reset(&pk->filter);
		refilter(pk);
		return 1;
	case K_UP: case K_DOWN: case K_PGUP: case K_PGDN: case K_HOME: case K_END:
		return listpos_key(&pk->lp, key, pk->page, 0);
	}
	if (key >= 0x20 && key < K_BASE && key != 0x7f) {
		n = utf8_encode((uint32_t)key, enc);
		buf_add(&pk->filter, enc, n);
		refilter(pk);
		return 1;
	}
	return 0;
}

static const char *
pk_hints(struct view *v)
{
	struct picker *pk = v->priv;

	if (pk->mode == PK_RUNBOOKS)
		return tui_utf8 ? "type to filter\t\xe2\x86\x91\xe2\x86\x93 select\t"
		    "Enter open" : "type to filter\tUp/Down select\tEnter open";
	return tui_utf8 ? "type to filter\t\xe2\x86\x91\xe2\x86\x93 select\t"
	    "Enter apply" : "type to filter\tUp/Down select\tEnter apply";
}

static void
pk_status(struct view *v, char *out, size_t outlen)
{
	struct picker *pk = v->priv;

	if (pk->mode == PK_RUNBOOKS)
		snprintf(out, outlen, "Enter opens the runbook beside the views; "
		    "] [ walk its steps");
	else
		snprintf(out, outlen, "Enter applies the preset: its query, range, "
		    "group-by and view");
}

static void
pk_free(struct view *v)
{
	struct picker *pk = v->priv;
	size_t i;

	for (i = 0; pk->p != NULL && i < pk->n; i++)
		preset_free(&pk->p[i]);
	for (i = 0; pk->rb != NULL && i < pk->n; i++)
		runbook_free(&pk->rb[i]);
	free(pk->p);
	free(pk->rb);
	free(pk->shown);
	free(pk->error);
	buf_free(&pk->filter);
	free(pk);
}

static const struct view_ops presets_ops = {
	.name = "presets",
	.free = pk_free,
	.draw = pk_draw,
	.key = pk_key,
	.done = pk_done,
	.refresh = pk_refresh,
	.hints = pk_hints,
	.status = pk_status,
	.flags = VIEW_TEXT,
};

static const struct view_ops runbooks_ops = {
	.name = "runbooks",
	.free = pk_free,
	.draw = pk_draw,
	.key = pk_key,
	.done = pk_done,
	.refresh = pk_refresh,
	.hints = pk_hints,
	.status = pk_status,
	.flags = VIEW_TEXT,
};

static struct view *
picker_new(struct app *a, int mode)
{
	struct picker *pk = xcalloc(1, sizeof *pk);
	struct view *v;

	pk->mode = mode;
	buf_adds(&pk->filter, "");
	v = view_new(mode == PK_PRESETS ? &presets_ops : &runbooks_ops, a,
	    mode == PK_PRESETS ? "Presets" : "Runbooks", pk);
	v->stale = 1;		/* the list is asked for once pushed */
	return v;
}

struct view *
presets_new(struct app *a)
{
	return picker_new(a, PK_PRESETS);
}

struct view *
runbooks_new(struct app *a)
{
	return picker_new(a, PK_RUNBOOKS);
}

/* --- applying ---------------------------------------------------------- */

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
preset_open_view(struct app *a, enum preset_view pv, const char *panel,
    enum hit_sort sort, int sort_given, int above, size_t limit,
    const char *crumb, const char *what)
{
	struct view *dash = app_dashboard(a);
	struct ui_query *q = app_query(a);
	struct ld_err err;
	struct time_range r;
	struct job *s;

	if (pv == PRESET_DASHBOARD || pv == PRESET_PANEL) {
		dashboard_preset(dash, pv == PRESET_PANEL ? panel : NULL, what,
		    crumb, 0);
		return;
	}
	/* the dashboard follows when uncovered */
	dashboard_preset(dash, NULL, what, NULL, 1);
	s = job_new(pv == PRESET_TRACE ? JOB_TRACE : JOB_SEARCH, 0);
	s->query = q->query ? xstrdup(q->query) : NULL;
	if (q->range != NULL && range_parse(q->range, time_now(), &r, &err) == 0) {
		s->has_range = 1;
		s->range = r;
	}
	s->bucket = q->bucket;
	s->group_by = q->group_by ? xstrdup(q->group_by) : NULL;
	s->sort = sort_given ? sort : pv == PRESET_TRACE ? SORT_LATENCY_DESC :
	    SORT_TIME_ASC;
	s->above = above;
	s->limit = pv == PRESET_TRACE ? 1 : limit ? limit : REQ_LIMIT;
	if (pv == PRESET_TRACE)
		app_push(a, trace_new_search(a, crumb, s));
	else
		app_push(a, requests_new(a, crumb, s));
}

int
preset_apply(struct app *a, const struct preset *p, const char *step)
{
	struct ui_query *q = app_query(a);
	const char *name = p->name ? p->name : "(inline)", *key = NULL;
	const char *const *src;
	struct q_node *qn;
	struct time_range r;
	struct ld_err err;
	enum hit_sort sort = SORT_TIME_ASC;
	char *group = NULL, *what, *label;
	size_t nsrc, i;
	int loading = app_loading(a), changed;

	/* everything checked before anything changes; while the load runs,
	 * the fields are not all known: the query's syntax only (the panels
	 * then say what does not resolve) */
	err_clear(&err);
	if (p->query != NULL) {
		if (loading) {
			qn = query_parse(p->query, &err);
			query_free(qn);
			if (qn == NULL && err.status != LD_OK)
				key = "query";
		} else if (app_check_query(a, p->query, &err) != 0)
			key = "query";
	}
	if (key == NULL && p->range != NULL &&
	    range_parse(p->range, time_now(), &r, &err) != 0)
		key = "range";
	if (key == NULL && p->group_by != NULL) {
		if (loading)
			group = xstrdup(p->group_by);
		else if (app_resolve_field(a, p->group_by, &group, &err) != 0)
			key = "group_by";
	}
	if (key == NULL && p->sort != NULL && sort_from_name(p->sort, &sort) != 0) {
		err_set(&err, LD_EUSAGE, "'%s' is not a sort (time, -time, latency, "
		    "-latency)", p->sort);
		key = "sort";
	}
	if (key != NULL) {
		app_message(a, 1, "%s%s%s: %s: %s; nothing changed", step ? step : "preset",
		    step ? ", preset " : " ", name, key, err.msg);
		free(group);
		return LD_EUSAGE;
	}

	what = step ? xstrdup(step) : xasprintf("preset %s", name);
	label = step ? xasprintf("%s: %s", step, name) : xstrdup(name);
	app_journal(a, JK_PRESET, label, NULL);
	changed = !same_str(q->query, p->query);
	free(q->query);
	q->query = p->query ? xstrdup(p->query) : NULL;
	if (changed && q->query != NULL)
		app_journal(a, JK_QUERY, q->query, NULL);
	if (p->range != NULL) {
		changed = !same_str(q->range, p->range);
		free(q->range);
		q->range = xstrdup(p->range);
		if (changed)
			app_journal(a, JK_RANGE, q->range, NULL);
	}
	if (p->bucket)
		q->bucket = p->bucket;
	free(q->group_by);
	q->group_by = group;
	preset_open_view(a, p->view, p->panel, sort, p->sort != NULL, p->above,
	    p->limit, label, what);
	if (p->source != NULL) {
		src = app_sources(a, &nsrc);
		for (i = 0; i < nsrc && strcmp(src[i], p->source) != 0; i++)
			;
		if (i == nsrc)
			app_message(a, 0, "preset %s is for the source '%s': applied to "
			    "the one open", name, p->source);
	}
	free(what);
	free(label);
	return 0;
}

/* --- S: save as a preset --------------------------------------------------- */

static void save_done(struct app *a, struct job *j);

static void
save_submit(struct app *a, struct preset *p, int overwrite, const char *note)
{
	struct job *j = job_new(JOB_SAVE, 0);

	j->preset = p;
	j->overwrite = overwrite;
	j->note = note != NULL && *note ? xstrdup(note) : NULL;
	j->cb = save_done;
	app_submit_app(a, j);
}

struct save_ask {
	struct preset	*p;
	char		*note;
};

static void
save_confirm(struct app *a, int yes, void *arg)
{
	struct save_ask *sa = arg;

	if (yes)
		save_submit(a, sa->p, 1, sa->note);
	else {
		app_message(a, 0, "not saved: preset %s is left as it was", sa->p->name);
		preset_free(sa->p);
		free(sa->p);
	}
	free(sa->note);
	free(sa);
}

static void
save_done(struct app *a, struct job *j)
{
	struct save_ask *sa;
	char q[512], *t;

	if (j->rc == 0) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "preset %s saved to %s", j->preset->name, j->path);
		if (j->text != NULL)
			buf_printf(&b, " (%s)", j->text);
		if (j->note != NULL)
			buf_printf(&b, "; %s", j->note);
		app_message(a, 0, "%s", b.p);
		buf_free(&b);
		t = xasprintf("saved preset %s", j->preset->name);
		app_journal(a, JK_NOTE, t, NULL);
		free(t);
		return;
	}
	if (j->exists) {
		sa = xcalloc(1, sizeof *sa);
		sa->p = j->preset;
		sa->note = j->note;
		j->preset = NULL;
		j->note = NULL;
		snprintf(q, sizeof q, "preset %s exists (%s): overwrite it? [y/N] ",
		    sa->p->name, j->path);
		app_confirm(a, q, save_confirm, sa);
		return;
	}
	app_message(a, 1, "preset not saved: %s", j->err.msg);
}

static int
on_save_name(struct view *v, const char *text, struct ld_err *err)
{
	struct app *a = v->app;
	struct preset *p;
	char note[256], crumbs[1024], when[48], *name;
	size_t n;

	text += strspn(text, " \t");
	name = xstrdup(text);
	for (n = strlen(name); n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'); )
		name[--n] = '\0';
	if (!preset_name_ok(name)) {
		err_set(err, LD_EUSAGE, "'%s' is not a preset name: use 1 to %d letters, "
		    "digits, '.', '_' or '-', starting with a letter or digit", name,
		    PRESET_NAME_MAX);
		free(name);
		return LD_EUSAGE;
	}
	p = xcalloc(1, sizeof *p);
	if (app_to_preset(a, p, note, sizeof note) != 0) {
		free(p);
		free(name);
		return err_set(err, LD_EUSAGE, "nothing to save from this view");
	}
	p->name = name;
	p->origin = PRESET_USER;
	app_crumbs(a, crumbs, sizeof crumbs);
	time_format_iso(time_now(), 0, when, sizeof when);
	when[10] = ' ';
	when[16] = '\0';
	p->description = xasprintf("Saved %s UTC from %s", when, crumbs);
	save_submit(a, p, 0, note);
	return 0;
}

void
presets_save(struct app *a, struct view *top)
{
	app_prompt(a, top, "save as preset: ", NULL, on_save_name);
}
