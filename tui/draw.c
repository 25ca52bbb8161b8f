#include "config.h"
#include "tui/draw.h"

#include <curses.h>

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strutil.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include "tui/tui.h"

static attr_t	style_attr[ST_COUNT];
static short	style_pair[ST_COUNT];
/* the box drawing is clipped to, besides the screen (draw_clip) */
static int	clip_y0, clip_y1 = INT_MAX, clip_x0, clip_x1 = INT_MAX;

void
draw_init(int colour)
{
	static const struct {
		int	 st;
		attr_t	 mono;		/* without colour */
		attr_t	 attr;		/* with colour, beside the pair */
		short	 fg, bg;
	} tab[] = {
		{ ST_NORMAL,	A_NORMAL,		A_NORMAL, -1, -1 },
		{ ST_BORDER,	A_NORMAL,		A_NORMAL, COLOR_CYAN, -1 },
		{ ST_TITLE,	A_BOLD,			A_BOLD, -1, -1 },
		{ ST_CRUMB,	A_BOLD,			A_BOLD, COLOR_CYAN, -1 },
		{ ST_HEADER,	A_BOLD,			A_BOLD, -1, -1 },
		{ ST_FOCUS,	A_REVERSE | A_BOLD,	A_BOLD, COLOR_BLACK, COLOR_CYAN },
		{ ST_SEL,	A_REVERSE,		A_REVERSE, -1, -1 },
		{ ST_SEL_DIM,	A_BOLD,			A_BOLD | A_UNDERLINE, -1, -1 },
		{ ST_DIM,	A_DIM,			A_DIM, -1, -1 },
		{ ST_ERROR,	A_BOLD,			A_BOLD, COLOR_RED, -1 },
		{ ST_WARN,	A_BOLD,			A_NORMAL, COLOR_YELLOW, -1 },
		{ ST_GOOD,	A_NORMAL,		A_NORMAL, COLOR_GREEN, -1 },
		{ ST_ESCAPE,	A_UNDERLINE,		A_BOLD, COLOR_MAGENTA, -1 },
		{ ST_MATCH,	A_UNDERLINE | A_BOLD,	A_NORMAL, COLOR_BLACK, COLOR_YELLOW },
		{ ST_KEY,	A_BOLD,			A_NORMAL, COLOR_CYAN, -1 },
		{ ST_STRING,	A_NORMAL,		A_NORMAL, COLOR_GREEN, -1 },
		{ ST_NUMBER,	A_NORMAL,		A_NORMAL, COLOR_YELLOW, -1 },
		{ ST_LITERAL,	A_NORMAL,		A_NORMAL, COLOR_MAGENTA, -1 },
		{ ST_SPARK,	A_NORMAL,		A_NORMAL, COLOR_GREEN, -1 },
		{ ST_BAR,	A_NORMAL,		A_NORMAL, COLOR_CYAN, -1 },
		{ ST_SLOW,	A_BOLD,			A_BOLD, COLOR_RED, -1 },
		{ ST_HINTKEY,	A_BOLD,			A_BOLD, -1, -1 },
		{ ST_HINT,	A_NORMAL,		A_NORMAL, -1, -1 },
		{ ST_PROMPT,	A_BOLD,			A_BOLD, COLOR_YELLOW, -1 },
	};
	size_t i;
	short pair = 1;

	for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		int st = tab[i].st;

		style_pair[st] = 0;
		if (!colour) {
			style_attr[st] = tab[i].mono;
			continue;
		}
		style_attr[st] = tab[i].attr;
		if (tab[i].fg != -1 || tab[i].bg != -1) {
			short fg = tab[i].fg, bg = tab[i].bg;

			/* no default colours: white on black stands in */
			if (colour != 2) {
				fg = fg == -1 ? COLOR_WHITE : fg;
				bg = bg == -1 ? COLOR_BLACK : bg;
			}
			init_pair(pair, fg, bg);
			style_pair[st] = pair++;
		}
	}
}

void
draw_clip(int y, int x, int h, int w)
{
	clip_y0 = y;
	clip_y1 = h > 0 ? y + h : y;
	clip_x0 = x;
	clip_x1 = w > 0 ? x + w : x;
}

void
draw_unclip(void)
{
	clip_y0 = clip_x0 = 0;
	clip_y1 = clip_x1 = INT_MAX;
}

static int
visible_row(int y)
{
	return y >= 0 && y < LINES && y >= clip_y0 && y < clip_y1;
}

/* The first column past the drawable area. */
static int
right_edge(void)
{
	return clip_x1 < COLS ? clip_x1 : COLS;
}

/* Clip [x, x + w) to the screen and the clip box; returns the usable
 * width. */
static int
clip(int x, int w)
{
	int right = right_edge();

	if (x < 0 || x < clip_x0 || x >= right)
		return 0;
	if (w > right - x)
		w = right - x;
	return w < 0 ? 0 : w;
}

static void
set_style(int st)
{
	wattr_set(stdscr, style_attr[st], style_pair[st], NULL);
}

/* An escape drawn inside a row of style st. */
static void
set_escape_style(int st)
{
	if (st == ST_SEL || st == ST_FOCUS)
		wattr_set(stdscr, style_attr[st] | A_UNDERLINE,
		    style_pair[st], NULL);
	else
		set_style(ST_ESCAPE);
}

int
draw_str(int y, int x, int w, const char *s, int st)
{
	size_t n, used;

	/* trusted text, but a control character slipped into it (a view
	 * that forgot str_visible) is still never sent to the terminal */
	if (s != NULL && utf8_safe_prefix(s, strlen(s)) != strlen(s))
		return draw_vis(y, x, w, s, strlen(s), st, NULL);
	w = clip(x, w);
	if (!visible_row(y) || w == 0 || s == NULL)
		return 0;
	n = str_fit(s, (size_t)w, &used);
	if (n == 0)
		return 0;
	set_style(st);
	mvwaddnstr(stdscr, y, x, s, (int)n);
	return (int)used;
}

int
draw_rstr(int y, int x, int w, const char *s, int st)
{
	int sw = (int)str_width(s);

	if (sw < w)
		return draw_str(y, x + w - sw, sw, s, st);
	return draw_str(y, x, w, s, st);
}

int
draw_fmt(int y, int x, int w, int st, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_str(y, x, w, buf, st);
}

int
draw_vis(int y, int x, int w, const char *s, size_t n, int st,
    const char *needle)
{
	char unit[STRVIS_UNIT];
	char *vis, *kind;
	size_t i, o, adv, vlen, nl, total = 0, fit, used, ell_w, cap;
	const char *m;
	int uw, esc, col;

	w = clip(x, w);
	if (!visible_row(y) || w == 0 || s == NULL || n == 0)
		return 0;
	/* Visible text, with one kind per byte: 0 plain, 1 escape, 2 match. */
	cap = (size_t)w * STRVIS_UNIT + 64;	/* only what can be seen */
	vis = xmalloc(cap);
	kind = xmalloc(cap);
	for (i = 0, o = 0; i < n && total <= (size_t)w + 1 &&
	    o + STRVIS_UNIT < cap; i += adv) {
		esc = str_vis_next(s + i, n - i, tui_utf8 ? 0 : STRVIS_ASCII,
		    unit, &adv, &uw);
		vlen = strlen(unit);
		memcpy(vis + o, unit, vlen);
		memset(kind + o, esc, vlen);
		o += vlen;
		total += (size_t)uw;
	}
	vis[o] = '\0';
	vlen = o;
	if (needle != NULL && (nl = strlen(needle)) > 0) {
		for (m = vis; (m = str_casestr(m, needle)) != NULL && *m != '\0';
		    m += nl)
			memset(kind + (m - vis), 2, nl);
	}
	/* Cut with an ellipsis when it does not fit. */
	ell_w = str_width(G->ell);
	if (i < n || total > (size_t)w) {
		fit = str_fit(vis, (size_t)w - ell_w, &used);
	} else {
		fit = vlen;
		used = total;
	}
	col = x;
	for (i = 0; i < fit; ) {
		size_t j = i;

		while (j < fit && kind[j] == kind[i])
			j++;
		if (kind[i] == 2)
			set_style(ST_MATCH);
		else if (kind[i] == 1)
			set_escape_style(st);
		else
			set_style(st);
		mvwaddnstr(stdscr, y, col, vis + i, (int)(j - i));
		col += (int)str_nwidth(vis + i, j - i);
		i = j;
	}
	if (fit < vlen) {
		set_style(st);
		mvwaddstr(stdscr, y, col, G->ell);
		used += ell_w;
	}
	free(vis);
	free(kind);
	return (int)used;
}

int
draw_viss(int y, int x, int w, const char *s, int st)
{
	if (s == NULL)
		return 0;
	return draw_vis(y, x, w, s, strlen(s), st, NULL);
}

void
draw_fill(int y, int x, int w, int st)
{
	int i;

	w = clip(x, w);
	if (!visible_row(y) || w == 0)
		return;
	set_style(st);
	for (i = 0; i < w; i++)
		mvwaddch(stdscr, y, x + i, ' ');
}

void
draw_hline(int y, int x, int w, int st)
{
	int i;

	w = clip(x, w);
	if (!visible_row(y))
		return;
	set_style(st);
	for (i = 0; i < w; i++)
		mvwaddstr(stdscr, y, x + i, G->h);
}

void
draw_vline(int y, int x, int h, int st)
{
	int i;

	if (clip(x, 1) == 0)
		return;
	set_style(st);
	for (i = 0; i < h; i++)
		if (visible_row(y + i))
			mvwaddstr(stdscr, y + i, x, G->v);
}

int
draw_bar(int y, int x, int w, double frac, int st)
{
	int full, part, i;
	double cells;

	w = clip(x, w);
	if (!visible_row(y) || w == 0 || !(frac > 0))
		return 0;
	if (frac > 1)
		frac = 1;
	cells = frac * w;
	full = (int)cells;
	part = (int)((cells - full) * 8);
	if (!tui_utf8)
		part = 0;
	if (full == 0 && part == 0) {
		/* a sliver shows that the value is not zero */
		if (tui_utf8)
			part = 1;
		else
			full = 1;
	}
	set_style(st);
	for (i = 0; i < full; i++)
		mvwaddstr(stdscr, y, x + i, G->full);
	if (part > 0 && full < w) {
		mvwaddstr(stdscr, y, x + full, G->eighths[part - 1]);
		full++;
	}
	return full;
}

void
draw_spark(int y, int x, const double *v, size_t n, double lo, double hi,
    long sel, int st, int selst)
{
	size_t i;
	int lvl;
	double f;

	if (!visible_row(y))
		return;
	for (i = 0; i < n && x + (int)i < right_edge(); i++) {
		if (x + (int)i < 0 || x + (int)i < clip_x0)
			continue;
		set_style((long)i == sel ? selst : st);
		if (isnan(v[i])) {
			mvwaddch(stdscr, y, x + (int)i, ' ');
			continue;
		}
		f = hi > lo ? (v[i] - lo) / (hi - lo) : 0;
		if (f < 0)
			f = 0;
		if (f > 1)
			f = 1;
		lvl = (int)lround(f * 7);
		mvwaddstr(stdscr, y, x + (int)i, G->spark[lvl]);
	}
}
