/* Drawing primitives for views: text (trusted, or untrusted through
 * str_visible), lines, bars, sparklines, in semantic styles. Coordinates
 * are screen cells; everything is clipped to the screen and to the width
 * given. Views draw only through these, never through curses. */
#ifndef LD_DRAW_H
#define LD_DRAW_H
#include <stddef.h>

enum style {
	ST_NORMAL, ST_BORDER, ST_TITLE, ST_CRUMB, ST_HEADER,
	ST_FOCUS,	/* title of the focused panel */
	ST_SEL,		/* the selected row */
	ST_SEL_DIM,	/* the selected row of a panel without focus */
	ST_DIM, ST_ERROR, ST_WARN, ST_GOOD,
	ST_ESCAPE,	/* visible escapes of control characters */
	ST_MATCH,	/* search matches */
	ST_KEY, ST_STRING, ST_NUMBER, ST_LITERAL,	/* JSON */
	ST_SPARK, ST_BAR, ST_SLOW,
	ST_HINTKEY, ST_HINT, ST_PROMPT,
	ST_COUNT
};

/* Map styles to attributes: colours when colour is set (2: the terminal
 * has default colours, 1: it has not), else attributes only (bold,
 * reverse, underline). Called by tui_init. */
void	draw_init(int colour);

/* Clip all drawing to the box of h rows and w columns at (y, x), besides
 * the screen, until draw_unclip: a view drawn in its box never writes over
 * the borders around it, however narrow the terminal. */
void	draw_clip(int y, int x, int h, int w);
void	draw_unclip(void);

/* Trusted text s (glyphs, numbers, our own labels), cut to w columns.
 * Should a control character, C1 or bidi control or invalid UTF-8 be in
 * it all the same, it is drawn as draw_vis draws it (never raw). Returns
 * the columns drawn. */
int	draw_str(int y, int x, int w, const char *s, int st);
/* The same, right-aligned in [x, x + w). */
int	draw_rstr(int y, int x, int w, const char *s, int st);
/* printf into trusted text (do not pass untrusted strings as arguments). */
int	draw_fmt(int y, int x, int w, int st, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* Untrusted text s[0..n) (from logs): control characters, escape
 * sequences, bidi controls and invalid UTF-8 shown as visible escapes in
 * ST_ESCAPE; cut to w columns with an ellipsis. If needle is non-NULL and
 * non-empty, its case-insensitive matches in the visible text are drawn
 * in ST_MATCH. Returns the columns drawn. */
int	draw_vis(int y, int x, int w, const char *s, size_t n, int st,
	    const char *needle);
/* NUL-terminated shorthand; NULL draws nothing. */
int	draw_viss(int y, int x, int w, const char *s, int st);

/* w spaces in style st (a row's background). */
void	draw_fill(int y, int x, int w, int st);
/* Lines of box glyphs. */
void	draw_hline(int y, int x, int w, int st);
void	draw_vline(int y, int x, int h, int st);

/* A horizontal bar frac (0..1) of w columns, in eighths where the glyphs
 * allow. Returns the columns drawn. */
int	draw_bar(int y, int x, int w, double frac, int st);

/* A sparkline of v[0..n) (NAN: blank) scaled from lo to hi, one column per
 * value; column sel (if 0 <= sel < n) drawn in selst. */
void	draw_spark(int y, int x, const double *v, size_t n, double lo,
	    double hi, long sel, int st, int selst);

#endif
