/* The terminal: set-up and restore, glyphs, colours, keys, signals. The
 * only file (with draw.c) that talks to curses. */
#ifndef LD_TUI_H
#define LD_TUI_H
#include "lib/err.h"

/* Glyphs: UTF-8 when the locale's codeset is UTF-8, else plain ASCII. */
struct glyphs {
	const char *h, *v, *tl, *tr, *bl, *br;	/* box lines and corners */
	const char *ltee, *rtee, *ttee, *btee;	/* ├ ┤ ┬ ┴ */
	const char *spark[8];			/* ▁ .. █, lowest first */
	const char *eighths[8];			/* ▏ .. █: horizontal bar ends */
	const char *full, *shade;		/* █ ░ */
	const char *up, *down;			/* ▲ ▼ */
	const char *arrow;			/* → */
	const char *ell;			/* … */
	const char *dot;			/* · */
	const char *crumb;			/* › */
	const char *ge, *le;			/* ≥ ≤ */
	const char *open, *closed;		/* ▾ ▸: folds */
	const char *mark;			/* ◀: the slowest step */
	const char *spin[8];			/* spinner frames */
	int	    nspin;
};

extern const struct glyphs *G;
extern int tui_utf8;		/* glyphs are UTF-8 */
extern int tui_colour;		/* colours in use (2: on the terminal's default colours) */

/* Key codes: Unicode code points for characters, these above for the rest.
 * No curses KEY_* value leaves tui.c. */
enum {
	K_NONE = -1,
	K_BASE = 0x110000,
	K_UP, K_DOWN, K_LEFT, K_RIGHT, K_PGUP, K_PGDN, K_HOME, K_END,
	K_ENTER, K_ESC, K_TAB, K_BTAB, K_BS, K_DEL, K_RESIZE
};
#define K_CTRL(c)	((c) & 0x1f)

/* Set up the terminal: locale, glyphs (ASCII when the codeset is not
 * UTF-8 or force_ascii), colours (none with NO_COLOR or a monochrome
 * terminal), curses on /dev/tty, signal handlers, and a fatal hook and
 * atexit handler that restore the terminal. TERM unset or "dumb", a type
 * terminfo does not know or one that cannot address the cursor, or no
 * /dev/tty: LD_EUSAGE with a one-line message pointing to the headless
 * commands, and nothing written to the terminal. The screen size comes
 * from the terminal (not from LINES and COLUMNS in the environment). The
 * signals it handles are unblocked.
 * Returns 0 or the error status. */
int	tui_init(int force_ascii, struct ld_err *err);

/* Restore the terminal (endwin). Idempotent; safe after a failed init. */
void	tui_done(void);

/* The descriptor to poll for keys, and the one that becomes readable when
 * a signal the event loop handles has arrived. */
int	tui_key_fd(void);
int	tui_signal_fd(void);

/* Next key without waiting, or K_NONE. */
int	tui_read_key(void);

/* Handle pending signals (after tui_signal_fd is readable): resize,
 * suspend/resume, and the ones that end the program. Returns 0, or the
 * signal number that asks to quit (SIGHUP, SIGTERM, SIGINT). Sets
 * *redraw when the screen must be redrawn in full, *nosuspend when a
 * SIGTSTP could not stop the process (see tui_suspend). */
int	tui_handle_signals(int *redraw, int *nosuspend);

/* Stop the process (Ctrl-Z): restore the terminal, stop, and set it up
 * again on resume. Returns 0, or -1 (the terminal untouched) when there
 * is no job control to resume it: logdive runs in its session leader's
 * process group, where the kernel discards SIGTSTP. */
int	tui_suspend(void);

/* Screen size. */
int	tui_lines(void);
int	tui_cols(void);

/* Show the cursor at (y, x), or hide it (y < 0). */
void	tui_cursor(int y, int x);

/* Start a frame (erase the screen buffer) and end it (one doupdate). A
 * full redraw clears the physical screen first. */
void	tui_frame_begin(int full);
void	tui_frame_end(void);

#endif
