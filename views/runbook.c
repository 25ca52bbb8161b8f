/* The runbook pane: the runbook open (-r NAME, or R), beside the views on
 * a wide screen, folded into one line on a narrow one. It shows the
 * current step's title, note, what to look for and preset, the steps (the
 * done ones marked) and the findings written; ] and [ go to the next and
 * previous step and apply its preset, x marks the step done, f writes a
 * finding. Steps done and findings go to the journal. Also f's prompt,
 * which works without a runbook too. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/xalloc.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

#define SIDE_MIN_W	111	/* narrower screens fold the pane */
#define SIDE_MIN_H	20
#define VIEW_MIN_W	78	/* what the views keep beside the pane */
#define WRAP_MAX	16

struct rbpane {
	struct app	 *a;
	struct runbook	 *rb;
	int		  owned;
	size_t		  cur;		/* the step shown */
	unsigned char	 *done;		/* nsteps flags */
	char		**find;		/* findings written, oldest first (visible text) */
	size_t		  nfind;
};

static const char *
done_glyph(void)
{
	return tui_utf8 ? "\xe2\x9c\x93" : "x";	/* ✓ */
}

struct rbpane *
rbpane_new(struct app *a, struct runbook *rb, int owned)
{
	struct rbpane *p = xcalloc(1, sizeof *p);

	p->a = a;
	p->rb = rb;
	p->owned = owned;
	p->done = xcalloc(rb->nsteps ? rb->nsteps : 1, 1);
	return p;
}

void
rbpane_free(struct rbpane *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->owned) {
		runbook_free(p->rb);
		free(p->rb);
	}
	for (i = 0; i < p->nfind; i++)
		free(p->find[i]);
	free(p->find);
	free(p->done);
	free(p);
}

const struct runbook *
rbpane_runbook(const struct rbpane *p)
{
	return p->rb;
}

int
rbpane_width(int W, int H)
{
	int pw;

	if (W < SIDE_MIN_W || H < SIDE_MIN_H)
		return 0;
	pw = (W - 3) / 3;
	if (pw > 50)
		pw = 50;
	if (W - 3 - pw < VIEW_MIN_W)
		pw = W - 3 - VIEW_MIN_W;
	return pw >= 30 ? pw : 0;
}

void
rbpane_step(struct rbpane *p, size_t i)
{
	const struct runbook_step *st;
	char step[32];

	if (i >= p->rb->nsteps)
		return;
	p->cur = i;
	st = &p->rb->steps[i];
	snprintf(step, sizeof step, "step %zu", i + 1);
	/* on a folded pane the note goes to the status line for a while */
	if (preset_apply(p->a, &st->preset, step) == 0 &&
	    rbpane_width(tui_cols(), tui_lines()) == 0)
		app_message(p->a, 0, "%zu/%zu %s: %s", i + 1, p->rb->nsteps,
		    st->title, st->note);
}

int
rbpane_key(struct rbpane *p, int key)
{
	const struct runbook_step *st = &p->rb->steps[p->cur];
	size_t i, ndone = 0;
	char *t;

	switch (key) {
	case ']':
		if (p->cur + 1 < p->rb->nsteps)
			rbpane_step(p, p->cur + 1);
		else
			app_message(p->a, 0, "this is the last step (%zu/%zu); X closes "
			    "the runbook", p->cur + 1, p->rb->nsteps);
		return 1;
	case '[':
		if (p->cur > 0)
			rbpane_step(p, p->cur - 1);
		else
			app_message(p->a, 0, "this is the first step");
		return 1;
	case 'x':
		if (p->done[p->cur]) {
			app_message(p->a, 0, "step %zu is done already", p->cur + 1);
			return 1;
		}
		p->done[p->cur] = 1;
		t = xasprintf("%zu. %s", p->cur + 1, st->title);
		app_journal(p->a, JK_STEP, t, NULL);
		free(t);
		for (i = 0; i < p->rb->nsteps; i++)
			ndone += p->done[i];
		if (ndone == p->rb->nsteps)
			app_message(p->a, 0, "every step done: logdive journal export "
			    "-f md writes the timeline");
		else
			app_message(p->a, 0, "step %zu done (%zu of %zu)%s", p->cur + 1,
			    ndone, p->rb->nsteps, p->cur + 1 < p->rb->nsteps ?
			    "; ] goes to the next" : "");
		return 1;
	}
	return 0;
}

/* --- f: findings ----------------------------------------------------------- */

static int
on_finding(struct view *v, const char *text, struct ld_err *err)
{
	struct app *a = v->app;
	struct rbpane *p = app_rbpane(a);
	size_t n;
	char *t;

	(void)err;
	text += strspn(text, " \t");
	t = xstrdup(text);
	for (n = strlen(t); n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'); )
		t[--n] = '\0';
	if (*t == '\0') {
		app_message(a, 0, "an empty finding: nothing written");
		free(t);
		return 0;
	}
	if (app_journal_on(a)) {
		app_journal(a, JK_FINDING, t, NULL);
		app_message(a, 0, "finding written to the journal");
	} else
		app_message(a, 1, "the journal is off (--no-journal, or it failed): "
		    "the finding is not kept");
	if (p != NULL) {
		p->find = xreallocarray(p->find, p->nfind + 1, sizeof *p->find);
		p->find[p->nfind++] = str_visible(t, strlen(t), tui_utf8 ? 0 :
		    STRVIS_ASCII);
	}
	free(t);
	return 0;
}

void
finding_prompt(struct app *a, struct view *top)
{
	app_prompt(a, top, "finding: ", NULL, on_finding);
}

/* --- drawing ----------------------------------------------------------------- */

/* Untrusted text s wrapped into w columns from row y, at most rows lines
 * (the last one cut with an ellipsis if there is more). Returns the rows
 * used. */
static int
wrapped(int y, int x, int w, int rows, const char *prefix, const char *s, int st)
{
	size_t start[WRAP_MAX], len[WRAP_MAX], n, i;
	struct buf b = BUF_INIT;
	char *vis, *line;

	if (rows <= 0 || s == NULL)
		return 0;
	vis = str_visible(s, strlen(s), tui_utf8 ? 0 : STRVIS_ASCII);
	buf_printf(&b, "%s%s", prefix, vis);
	free(vis);
	n = text_wrap(b.p, w, start, len, WRAP_MAX);
	for (i = 0; i < n && i < WRAP_MAX && (int)i < rows; i++) {
		if ((int)i == rows - 1 && i + 1 < n)
			line = str_trunc(b.p + start[i], (size_t)w, G->ell);
		else {
			line = xstrdup(b.p + start[i]);
			line[len[i]] = '\0';
		}
		draw_str(y + (int)i, x, w, line, st);
		free(line);
	}
	buf_free(&b);
	return (int)(n < (size_t)rows ? n : (size_t)rows);
}

/* "KEY what" hints, '\t'-separated, from (y, x); returns the width. */
static int
hints(int y, int x, int w, const char *h)
{
	char item[64];
	const char *p = h, *e, *sp;
	int used = 0;

	while (*p != '\0' && used < w) {
		e = strchr(p, '\t');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(item, sizeof item, "%.*s", (int)(e - p), p);
		if (p != h)
			used += draw_fmt(y, x + used, w - used, ST_DIM, " %s ", G->dot);
		sp = strchr(item, ' ');
		if (sp != NULL) {
			item[sp - item] = '\0';
			used += draw_str(y, x + used, w - used, item, ST_HINTKEY);
			used += draw_str(y, x + used, w - used, " ", ST_DIM);
			used += draw_str(y, x + used, w - used, sp + 1, ST_DIM);
		} else
			used += draw_str(y, x + used, w - used, item, ST_HINTKEY);
		p = *e ? e + 1 : e;
	}
	return used;
}

void
rbpane_draw(struct rbpane *p, int y, int x, int h, int w)
{
	const struct runbook *rb = p->rb;
	const struct runbook_step *st = &rb->steps[p->cur];
	int cx = x + 1, cw = w - 2, row = 0, top_rows, left, used, k;
	size_t i, f, first;
	char num[64];

	if (cw < 10 || h < 6)
		return;
	row += wrapped(y + row, cx, cw, 1, "Runbook: ", rb->title, ST_HEADER);
	used = draw_fmt(y + row, cx, cw, ST_FOCUS, "Step %zu of %zu", p->cur + 1,
	    rb->nsteps);
	if (p->done[p->cur])
		draw_fmt(y + row, cx + used, cw - used, ST_GOOD, " %s done", done_glyph());
	row++;
	/* the step, above the list of steps, the findings and two rows of keys */
	top_rows = h - 2 - ((int)rb->nsteps + 2) - row;
	if (top_rows < 3)
		top_rows = 3;
	left = top_rows;
	k = wrapped(y + row, cx, cw, left > 2 ? 2 : left, "", st->title, ST_TITLE);
	row += k;
	left -= k;
	k = wrapped(y + row, cx, cw, left - (st->look_for ? 2 : 1), "", st->note,
	    ST_NORMAL);
	row += k;
	left -= k;
	if (st->look_for != NULL && left > 1) {
		k = wrapped(y + row, cx, cw, left - 1, "Look for: ", st->look_for, ST_WARN);
		row += k;
		left -= k;
	}
	if (left > 0 && row < h - 2) {
		snprintf(num, sizeof num, "Preset: %s", st->preset_name ?
		    st->preset_name : "(inline)");
		wrapped(y + row, cx, cw, 1, "", num, ST_DIM);
		row++;
	}
	row++;
	/* the steps, from one that keeps the current one in view */
	if (row < h - 2)
		draw_str(y + row++, cx, cw, "Steps", ST_HEADER);
	first = 0;
	if (h - 2 - row > 0 && p->cur >= (size_t)(h - 2 - row))
		first = p->cur - (size_t)(h - 2 - row) + 1;
	for (i = first; i < rb->nsteps && row < h - 2; i++, row++) {
		int sel = i == p->cur;
		char *vis = str_visible(rb->steps[i].title, strlen(rb->steps[i].title),
		    tui_utf8 ? 0 : STRVIS_ASCII), *cut;

		if (sel)
			draw_fill(y + row, x, w, ST_SEL);
		snprintf(num, sizeof num, "%s %zu ", p->done[i] ? done_glyph() :
		    sel ? G->crumb : " ", i + 1);
		used = draw_str(y + row, cx, cw, num, sel ? ST_SEL : p->done[i] ?
		    ST_GOOD : ST_DIM);
		cut = str_trunc(vis, (size_t)(cw - used), G->ell);
		draw_str(y + row, cx + used, cw - used, cut, sel ? ST_SEL : ST_NORMAL);
		free(cut);
		free(vis);
	}
	/* the findings, newest first */
	if (p->nfind > 0 && row + 2 < h - 2) {
		row++;
		snprintf(num, sizeof num, "Findings (%zu)", p->nfind);
		draw_str(y + row++, cx, cw, num, ST_HEADER);
		for (f = p->nfind; f-- > 0 && row < h - 2; )
			row += wrapped(y + row, cx, cw, h - 2 - row, "- ", p->find[f],
			    ST_NORMAL);
	}
	hints(y + h - 2, cx, cw, "] next\t[ prev\tx done");
	hints(y + h - 1, cx, cw, "f finding\tX close");
}

void
rbpane_bar(struct rbpane *p, int y, int x, int w)
{
	const struct runbook *rb = p->rb;
	const struct runbook_step *st = &rb->steps[p->cur];
	const char *keys = "] next\t[ prev\tx done\tf finding";
	char head[64], *vis, *cut;
	int used, kw, tw;

	draw_fill(y, x, w, ST_SEL_DIM);
	snprintf(head, sizeof head, " Step %zu/%zu%s%s ", p->cur + 1, rb->nsteps,
	    p->done[p->cur] ? " " : "", p->done[p->cur] ? done_glyph() : "");
	used = draw_str(y, x, w, head, ST_FOCUS);
	/* the keys at the right, the title in between */
	kw = (int)str_width("] next") + (int)str_width("[ prev") +
	    (int)str_width("x done") + (int)str_width("f finding") +
	    3 * (int)(2 + str_width(G->dot)) + 1;
	tw = w - used - kw - 1;
	if (tw < 12) {
		keys = "] next\t[ prev\tx done";
		kw = (int)str_width("] next") + (int)str_width("[ prev") +
		    (int)str_width("x done") + 2 * (int)(2 + str_width(G->dot)) + 1;
		tw = w - used - kw - 1;
	}
	vis = str_visible(st->title, strlen(st->title), tui_utf8 ? 0 : STRVIS_ASCII);
	cut = str_trunc(vis, tw > 0 ? (size_t)tw : 0, G->ell);
	if (tw > 0)
		draw_str(y, x + used, tw, cut, ST_SEL_DIM);
	free(cut);
	free(vis);
	if (w - kw > used)
		hints(y, x + w - kw, kw - 1, keys);
}
