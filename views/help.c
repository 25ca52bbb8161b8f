#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

/* Every key, by view. A NULL key starts a section. */
static const struct {
	const char *key, *what;
} help[] = {
	{ NULL, "Everywhere" },
	{ "q", "quit" },
	{ "Esc", "back one level (cancels what that view was waiting for)" },
	{ "Ctrl-C", "cancel the running query; with none, stop the load" },
	{ "?", "this help" },
	{ "Ctrl-L", "redraw the screen" },
	{ "Ctrl-Z", "suspend (fg to come back)" },
	{ "j k Up Down", "move" },
	{ "PgUp PgDn", "a page up / down (also Ctrl-U Ctrl-D: half a page)" },
	{ "g G Home End", "first / last row" },
	{ "p", "presets: type to filter, Enter applies one" },
	{ "", "its query, group-by and view (range, bucket too)" },
	{ "S", "save the current view as a preset (asks a name)" },
	{ "R", "runbooks: Enter opens one beside the views" },
	{ "f", "write a finding in the journal" },
	{ NULL, "Runbook" },
	{ "] [", "next / previous step (applies its preset)" },
	{ "x", "mark the step done (in the journal)" },
	{ "X", "close the runbook" },
	{ "", "Under 111 columns the pane is one line." },
	{ NULL, "Dashboard" },
	{ "Tab Shift-Tab", "next / previous panel" },
	{ "Up Down", "latency: select a group; series: the panel above / below" },
	{ "Left Right", "series: select a bucket (column); latency: to the series" },
	{ "Enter", "latency row: its requests at or above its p95, slowest first" },
	{ "", "series: the records of the selected bucket" },
	{ "", "model version: the records of that version" },
	{ "/", "edit the query (field:value, latency_ms > 500, and/or/not, ...)" },
	{ "t", "edit the time range (15m, 24h, now-1h..now, START..END)" },
	{ "b", "bucket width (30s, 1m, 5m, 1h, 1d, or auto)" },
	{ "g", "group by: serving variant, model version, a field you type" },
	{ "r", "compute the panels again" },
	{ "", "A mark after p99 flags a group whose p95 is over 1.5x the" },
	{ "", "biggest group's." },
	{ NULL, "Requests" },
	{ "Enter", "the record's full JSON" },
	{ "T", "the trace of the record (its trace id, else request id)" },
	{ "s", "sort by the next column" },
	{ "1 .. 7", "sort by time, service, variant, latency, conf, level, message" },
	{ "r", "reverse the sort" },
	{ "/", "search (case-insensitive); matches are highlighted" },
	{ "n N", "next / previous match" },
	{ "&", "show only the matching rows (again: all rows)" },
	{ "Ctrl-R", "search the backend again" },
	{ "F", "fetch every match when the list shows the first N of M" },
	{ NULL, "Record" },
	{ "Enter Space", "fold / unfold the object or array" },
	{ "Left Right", "fold (or go to the parent) / unfold (or go in)" },
	{ "E C", "unfold everything / fold everything" },
	{ "T", "the trace of this record (or Enter on its correlation/request id)" },
	{ NULL, "Trace" },
	{ "Enter", "the record of that step" },
	{ "s", "go to the slowest step (the largest gap, marked)" },
	{ NULL, "Input line" },
	{ "Enter Esc", "accept / cancel" },
	{ "Left Right Home End", "move (also Ctrl-B Ctrl-F Ctrl-A Ctrl-E)" },
	{ "Ctrl-U Ctrl-K Ctrl-W", "delete to the start / to the end / a word" },
	{ "Up Down", "history (of queries and ranges: in the journal)" },
	{ "Ctrl-R", "search the history (again: older; Enter runs)" },
	{ NULL, "Text from logs" },
	{ "", "Control characters, escape sequences and bidi controls are shown" },
	{ "", "as visible escapes: \\e \\n \\t \\x07 \\u{202e}." },
};

#define NHELP	(sizeof help / sizeof help[0])

struct helpv {
	struct listpos	lp;		/* sel is the first row shown */
	size_t		page;
};

static void
help_draw(struct view *v, int y, int x, int h, int w)
{
	struct helpv *hv = v->priv;
	size_t i;
	int row;

	hv->page = (size_t)(h > 0 ? h : 1);
	if (hv->lp.top + hv->page > NHELP)
		hv->lp.top = NHELP > hv->page ? NHELP - hv->page : 0;
	for (row = 0, i = hv->lp.top; i < NHELP && row < h; i++, row++) {
		if (help[i].key == NULL) {
			draw_str(y + row, x + 1, w - 2, help[i].what, ST_TITLE);
			continue;
		}
		draw_str(y + row, x + 3, 22, help[i].key, ST_HINTKEY);
		draw_str(y + row, x + 26, w - 27, help[i].what, ST_NORMAL);
	}
}

static int
help_key(struct view *v, int key)
{
	struct helpv *hv = v->priv;
	size_t max = NHELP > hv->page ? NHELP - hv->page : 0;

	switch (key) {
	case 'j': case K_DOWN:
		if (hv->lp.top < max)
			hv->lp.top++;
		return 1;
	case 'k': case K_UP:
		if (hv->lp.top > 0)
			hv->lp.top--;
		return 1;
	case K_PGDN: case ' ':
		hv->lp.top = hv->lp.top + hv->page < max ? hv->lp.top + hv->page :
		    max;
		return 1;
	case K_PGUP:
		hv->lp.top = hv->lp.top > hv->page ? hv->lp.top - hv->page : 0;
		return 1;
	case 'g': case K_HOME:
		hv->lp.top = 0;
		return 1;
	case 'G': case K_END:
		hv->lp.top = max;
		return 1;
	}
	return 0;
}

static const char *
help_hints(struct view *v)
{
	return "j/k scroll";
}

static void
help_status(struct view *v, char *out, size_t outlen)
{
	snprintf(out, outlen, "logdive %s: keys", PACKAGE_VERSION);
}

static void
help_free(struct view *v)
{
	free(v->priv);
}

static const struct view_ops help_ops = {
	.name = "help",
	.free = help_free,
	.draw = help_draw,
	.key = help_key,
	.done = NULL,
	.refresh = NULL,
	.hints = help_hints,
	.status = help_status,
};

struct view *
help_new(struct app *a)
{
	return view_new(&help_ops, a, "Help", xcalloc(1, sizeof(struct helpv)));
}
