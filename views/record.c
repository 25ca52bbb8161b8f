#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

#define DETAIL_MAX	6	/* rows for the selected value in full */

/* A node of the JSON tree: a field of an object or an element of an
 * array. Children are kept in document order. */
struct jnode {
	json_t		*j;		/* borrowed from the root */
	char		*key;		/* visible text: the key, or "[i]" */
	int		 depth;
	int		 open;
	struct jnode	*kids;
	size_t		 nkids;
	struct jnode	*parent;
};

struct rec {
	struct hit	 h;
	int		 have;
	char		*error;		/* visible text */
	char		*text;		/* the record as in the source */
	json_t		*root;		/* NULL: not JSON, shown raw */
	struct jnode	 top;
	struct jnode   **rows;		/* visible nodes */
	size_t		 nrows;
	struct listpos	 lp;
	size_t		 page;
};

static int
is_container(const json_t *j)
{
	return json_is_object(j) || json_is_array(j);
}

static void
build(struct jnode *n, json_t *j, int depth)
{
	const char *k;
	json_t *val;
	size_t i = 0;
	char idx[32];

	n->j = j;
	n->open = 1;
	if (!is_container(j))
		return;
	n->nkids = json_is_object(j) ? json_object_size(j) : json_array_size(j);
	n->kids = xcalloc(n->nkids ? n->nkids : 1, sizeof *n->kids);
	if (json_is_object(j)) {
		json_object_foreach(j, k, val) {
			n->kids[i].key = str_visible(k, strlen(k),
			    tui_utf8 ? 0 : STRVIS_ASCII);
			n->kids[i].depth = depth;
			n->kids[i].parent = n;
			build(&n->kids[i], val, depth + 1);
			i++;
		}
		n->nkids = i;
	} else {
		int scalars = 1;

		json_array_foreach(j, i, val) {
			snprintf(idx, sizeof idx, "[%zu]", i);
			n->kids[i].key = xstrdup(idx);
			n->kids[i].depth = depth;
			n->kids[i].parent = n;
			build(&n->kids[i], val, depth + 1);
			scalars &= !is_container(val);
		}
		/* a list of numbers reads better on one line */
		if (scalars && n->nkids > 1 && depth > 0)
			n->open = 0;
	}
}

static void
unbuild(struct jnode *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++) {
		unbuild(&n->kids[i]);
		free(n->kids[i].key);
	}
	free(n->kids);
	n->kids = NULL;
	n->nkids = 0;
}

static void
add_rows(struct rec *r, struct jnode *n, size_t *cap)
{
	size_t i;

	for (i = 0; i < n->nkids; i++) {
		if (r->nrows == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			r->rows = xreallocarray(r->rows, *cap, sizeof *r->rows);
		}
		r->rows[r->nrows++] = &n->kids[i];
		if (n->kids[i].open)
			add_rows(r, &n->kids[i], cap);
	}
}

/* Recompute the visible rows, keeping node sel selected. */
static void
relayout(struct rec *r, const struct jnode *sel)
{
	size_t cap = 0, i;

	free(r->rows);
	r->rows = NULL;
	r->nrows = 0;
	add_rows(r, &r->top, &cap);
	r->lp.n = r->nrows;
	for (i = 0; sel != NULL && i < r->nrows; i++)
		if (r->rows[i] == sel)
			r->lp.sel = i;
	listpos_fit(&r->lp, r->page ? r->page : 1);
}

static void
set_open_all(struct jnode *n, int open, int depth_limit)
{
	size_t i;

	for (i = 0; i < n->nkids; i++) {
		if (is_container(n->kids[i].j))
			n->kids[i].open = open || n->kids[i].depth < depth_limit;
		set_open_all(&n->kids[i], open, depth_limit);
	}
}

/* --- data ------------------------------------------------------------ */

static void
rec_refresh(struct view *v)
{
	struct rec *r = v->priv;
	struct job *j;

	if (r->have)
		return;		/* a record does not change */
	j = job_new(JOB_RECORD, 0);
	hit_copy(&j->hit, &r->h);
	app_submit(v->app, v, j);
}

static void
rec_done(struct view *v, struct job *j)
{
	struct rec *r = v->priv;
	json_error_t jerr;

	if (j->rc != 0) {
		free(r->error);
		r->error = str_visible(j->err.msg, strlen(j->err.msg), 0);
		return;
	}
	r->text = j->text;
	j->text = NULL;
	r->have = 1;
	{
		/* the journal: which record was read ("REQ (trace ID):
		 * SERVICE TIME, LATENCY ms") */
		const struct hit *h = &r->h;
		struct buf b = BUF_INIT;
		char ts[48], ms[32];

		buf_adds(&b, h->request_id ? h->request_id : h->trace_id ?
		    h->trace_id : "a record");
		if (h->request_id && h->trace_id)
			buf_printf(&b, " (trace %s)", h->trace_id);
		buf_printf(&b, ": %s", h->service ? h->service : "-");
		if (h->t != TIME_NONE)
			buf_printf(&b, " %s", time_format_iso(h->t, -1, ts, sizeof ts));
		if (!isnan(h->latency))
			buf_printf(&b, ", %s ms", fmt_ms(h->latency, ms, sizeof ms));
		app_journal(v->app, JK_RECORD, b.p, NULL);
		buf_free(&b);
	}
	r->root = json_loads(r->text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (r->root != NULL && !is_container(r->root)) {
		json_decref(r->root);
		r->root = NULL;
	}
	if (r->root != NULL)
		build(&r->top, r->root, 0);
	relayout(r, NULL);
}

/* --- drawing ----------------------------------------------------------- */

/* Compact JSON of j (its strings are untrusted: draw with draw_vis). */
static char *
dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(15));

	return s != NULL ? s : xstrdup("?");
}

static int
scalar_style(const json_t *j)
{
	if (json_is_string(j))
		return ST_STRING;
	if (json_is_number(j))
		return ST_NUMBER;
	return ST_LITERAL;
}

static void
draw_node(const struct jnode *n, int y, int x, int w, int sel)
{
	int col = x + 1 + n->depth * 2, end = x + w, st, base;
	char count[48];
	char *s;

	base = sel ? ST_SEL : ST_NORMAL;
	if (sel)
		draw_fill(y, x, w, ST_SEL);
	if (is_container(n->j))
		col += draw_str(y, col, end - col, n->open ? G->open : G->closed,
		    base);
	else
		col += draw_str(y, col, end - col, " ", base);
	col += draw_str(y, col, end - col, " ", base);
	col += draw_str(y, col, end - col, n->key, sel ? ST_SEL : ST_KEY);
	col += draw_str(y, col, end - col, ": ", base);
	if (col >= end)
		return;
	if (is_container(n->j)) {
		size_t k = json_is_object(n->j) ? json_object_size(n->j) :
		    json_array_size(n->j);

		snprintf(count, sizeof count, json_is_object(n->j) ?
		    "{%zu}" : "[%zu]", k);
		col += draw_str(y, col, end - col, count, sel ? ST_SEL : ST_DIM);
		if (!n->open && k > 0) {
			s = dump(n->j);
			col += draw_str(y, col, end - col, " ", base);
			draw_vis(y, col, end - col, s, strlen(s),
			    sel ? ST_SEL : ST_DIM, NULL);
			free(s);
		}
		return;
	}
	st = sel ? ST_SEL : scalar_style(n->j);
	if (json_is_string(n->j)) {
		col += draw_str(y, col, end - col, "\"", st);
		col += draw_vis(y, col, end - col - 1, json_string_value(n->j),
		    json_string_length(n->j), st, NULL);
		draw_str(y, col, end - col, "\"", st);
		return;
	}
	s = dump(n->j);
	draw_str(y, col, end - col, s, st);
	free(s);
}

/* Wrap visible text vis into rows of w columns from y; at most rows. */
static void
draw_wrapped(const char *vis, int y, int x, int w, int rows)
{
	size_t n;
	int row;

	for (row = 0; row < rows && *vis != '\0'; row++) {
		n = str_fit(vis, (size_t)w, NULL);
		if (n == 0)
			n = 1;
		{
			char *line = xstrndup(vis, n);

			draw_str(y + row, x, w, line, ST_NORMAL);
			free(line);
		}
		vis += n;
	}
}

static void
rec_draw(struct view *v, int y, int x, int h, int w)
{
	struct rec *r = v->priv;
	const struct jnode *n = NULL;
	char t[40], *vis = NULL;
	int row, rows, detail = 0, used;
	size_t i;

	used = draw_str(y, x + 1, w - 2, fmt_time(r->h.t, 0, t, sizeof t),
	    ST_HEADER);
	if (r->h.service) {
		used += draw_fmt(y, x + 1 + used, w - 2 - used, ST_HEADER, " %s ",
		    G->dot);
		used += draw_vis(y, x + 1 + used, w - 2 - used, r->h.service,
		    strlen(r->h.service), ST_HEADER, NULL);
	}
	if (r->h.event) {
		used += draw_fmt(y, x + 1 + used, w - 2 - used, ST_HEADER, " %s ",
		    G->dot);
		used += draw_vis(y, x + 1 + used, w - 2 - used, r->h.event,
		    strlen(r->h.event), ST_HEADER, NULL);
	}
	if (!r->have) {
		draw_str(y + 2, x + 1, w - 2, r->error ? r->error : "Reading...",
		    r->error ? ST_ERROR : ST_DIM);
		return;
	}
	if (r->root == NULL) {
		draw_str(y + 1, x + 1, w - 2, "not a JSON object; as read:",
		    ST_DIM);
		vis = str_visible(r->text, strlen(r->text), tui_utf8 ? 0 :
		    STRVIS_ASCII);
		draw_wrapped(vis, y + 2, x + 1, w - 2, h - 2);
		free(vis);
		return;
	}
	/* the selected string in full when it does not fit on its row */
	if (r->lp.sel < r->nrows) {
		n = r->rows[r->lp.sel];
		if (json_is_string(n->j)) {
			vis = str_visible(json_string_value(n->j),
			    json_string_length(n->j), tui_utf8 ? 0 : STRVIS_ASCII);
			if ((int)str_width(vis) + n->depth * 2 +
			    (int)str_width(n->key) + 8 > w) {
				detail = (int)(str_width(vis) / (size_t)(w - 2)) + 2;
				if (detail > DETAIL_MAX + 1)
					detail = DETAIL_MAX + 1;
				if (detail > h / 3)
					detail = h / 3;
			}
		}
	}
	rows = h - 1 - detail;
	if (rows < 1)
		rows = 1;
	r->page = (size_t)rows;
	listpos_fit(&r->lp, r->page);
	for (row = 0, i = r->lp.top; i < r->nrows && row < rows; i++, row++)
		draw_node(r->rows[i], y + 1 + row, x, w, i == r->lp.sel);
	if (detail > 1 && vis != NULL) {
		draw_hline(y + 1 + rows, x, w, ST_BORDER);
		used = draw_str(y + 1 + rows, x + 2, w - 4, " ", ST_KEY);
		used += draw_str(y + 1 + rows, x + 2 + used, w - 4 - used,
		    n->key, ST_KEY);
		draw_str(y + 1 + rows, x + 2 + used, w - 4 - used, " ", ST_KEY);
		draw_wrapped(vis, y + 2 + rows, x + 1, w - 2, detail - 1);
	}
	free(vis);
}

/* --- keys -------------------------------------------------------------- */

static int
rec_key(struct view *v, int key)
{
	struct rec *r = v->priv;
	struct jnode *n = r->lp.sel < r->nrows ? r->rows[r->lp.sel] : NULL;
	const char *id;

	switch (key) {
	case K_ENTER: case ' ':
		if (n != NULL && is_container(n->j)) {
			n->open = !n->open;
			relayout(r, n);
		} else if (key == K_ENTER && n != NULL && json_is_string(n->j) &&
		    ((r->h.trace_id && strcmp(json_string_value(n->j), r->h.trace_id) == 0) ||
		    (r->h.request_id &&
		    strcmp(json_string_value(n->j), r->h.request_id) == 0)))
			/* Enter on the correlation or request id: its trace (DESIGN §6) */
			app_push(v->app, trace_new(v->app, json_string_value(n->j)));
		return 1;
	case K_LEFT: case 'h':
		if (n == NULL)
			return 1;
		if (is_container(n->j) && n->open) {
			n->open = 0;
			relayout(r, n);
		} else if (n->parent != NULL && n->parent != &r->top)
			relayout(r, n->parent);
		return 1;
	case K_RIGHT: case 'l':
		if (n == NULL || !is_container(n->j))
			return 1;
		if (!n->open) {
			n->open = 1;
			relayout(r, n);
		} else if (n->nkids > 0)
			relayout(r, &n->kids[0]);
		return 1;
	case 'E':
		set_open_all(&r->top, 1, 0);
		relayout(r, n);
		return 1;
	case 'C':
		set_open_all(&r->top, 0, 0);
		/* the selection moves to its top-level ancestor */
		while (n != NULL && n->parent != NULL && n->parent != &r->top)
			n = n->parent;
		relayout(r, n);
		return 1;
	case 'T':
		id = r->h.trace_id ? r->h.trace_id : r->h.request_id;
		if (id == NULL)
			app_message(v->app, 1, "this record has no trace or "
			    "request id");
		else
			app_push(v->app, trace_new(v->app, id));
		return 1;
	}
	return listpos_key(&r->lp, key, r->page, 1);
}

static const char *
rec_hints(struct view *v)
{
	return tui_utf8 ? "Enter fold\t\xe2\x86\x90\xe2\x86\x92 fold/unfold\t"
	    "E/C all\tT trace" : "Enter fold\tLeft/Right fold/unfold\t"
	    "E/C all\tT trace";
}

static void
rec_status(struct view *v, char *out, size_t outlen)
{
	struct rec *r = v->priv;

	snprintf(out, outlen, "request %s %s trace %s",
	    r->h.request_id ? r->h.request_id : "-", G->dot,
	    r->h.trace_id ? r->h.trace_id : "-");
}

static void
rec_free(struct view *v)
{
	struct rec *r = v->priv;

	unbuild(&r->top);
	if (r->root != NULL)
		json_decref(r->root);
	free(r->rows);
	free(r->text);
	free(r->error);
	hit_clear(&r->h);
	free(r);
}

static const struct view_ops rec_ops = {
	.name = "record",
	.free = rec_free,
	.draw = rec_draw,
	.key = rec_key,
	.done = rec_done,
	.refresh = rec_refresh,
	.hints = rec_hints,
	.status = rec_status,
};

struct view *
record_new(struct app *a, const struct hit *h)
{
	struct rec *r = xcalloc(1, sizeof *r);
	const char *id = h->request_id ? h->request_id : h->trace_id;
	char *crumb, *vis;
	struct view *v;

	hit_copy(&r->h, h);
	if (id != NULL) {
		vis = str_visible(id, strlen(id), tui_utf8 ? 0 : STRVIS_ASCII);
		crumb = str_trunc(vis, 24, G->ell);
		free(vis);
	} else
		crumb = xstrdup("record");
	v = view_new(&rec_ops, a, crumb, r);
	free(crumb);
	v->stale = 1;
	return v;
}
