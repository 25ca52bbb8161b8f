#include "config.h"
#include "tui/tui.h"

#include <curses.h>
#include <term.h>

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "tui/draw.h"

static const struct glyphs glyphs_utf8 = {
	"─", "│", "┌", "┐", "└", "┘",
	"├", "┤", "┬", "┴",
	{ "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" },
	{ "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█" },
	"█", "░",
	"▲", "▼",
	"→",
	"…",
	"·",
	"›",
	"≥", "≤",
	"▾", "▸",
	"◀",
	{ "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧" }, 8
};

static const struct glyphs glyphs_ascii = {
	"-", "|", "+", "+", "+", "+",
	"+", "+", "+", "+",
	{ "_", ".", ",", "-", "~", "=", "*", "#" },
	{ "#", "#", "#", "#", "#", "#", "#", "#" },
	"#", ".",
	"^", "v",
	"->",
	"~",
	"-",
	">",
	">=", "<=",
	"-", "+",
	"<",
	{ "|", "/", "-", "\\", "|", "/", "-", "\\" }, 8
};

const struct glyphs *G = &glyphs_ascii;
int tui_utf8;
int tui_colour;

static SCREEN	*screen;
static FILE	*ttyfp;
static int	 tty_fd = -1;
static volatile sig_atomic_t active;	/* curses owns the terminal */
static struct termios saved_tio;
static int	 have_tio;
static char	 reset_seq[256];	/* terminfo strings that undo our modes */
static size_t	 reset_len;
static int	 sigpipe_fd[2] = { -1, -1 };

/* Async-signal-safe restore: the saved tty modes and the reset strings.
 * Used on crashes and fatal errors, where curses state cannot be trusted. */
static void
emergency_restore(void)
{
	ssize_t r;

	if (!active)
		return;
	active = 0;
	if (tty_fd >= 0 && reset_len > 0)
		r = write(tty_fd, reset_seq, reset_len);
	(void)r;
	if (tty_fd >= 0 && have_tio)
		tcsetattr(tty_fd, TCSANOW, &saved_tio);
}

static void
on_crash(int sig)
{
	emergency_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
on_async(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	ssize_t r;

	r = write(sigpipe_fd[1], &c, 1);
	(void)r;
	errno = saved;
}

static void
set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

/* The signals the event loop handles: a blocked mask inherited across
 * exec (some process supervisors, nohup-like wrappers) would leave
 * logdive deaf to a resize, a hangup or a stop. */
static void
unblock_ours(void)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGTSTP, SIGCONT,
	    SIGWINCH, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&set, sigs[i]);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Can curses draw on this terminal type? Asked before anything is written
 * to the terminal. Returns 0; 1 if terminfo does not know the type (or
 * it is a generic one); 2 if it cannot address the cursor or clear the
 * screen (a hard-copy or glass terminal). */
static int
term_usable(const char *term, int fd)
{
	int errret = 0, ok;
	char *cup, *clr;

	if (setupterm((char *)term, fd, &errret) != OK)
		return 1;
	cup = tigetstr((char *)"cup");
	clr = tigetstr((char *)"clear");
	ok = cup != NULL && cup != (char *)-1 && clr != NULL &&
	    clr != (char *)-1 && tigetflag((char *)"hc") <= 0;
	del_curterm(cur_term);
	cur_term = NULL;
	return ok ? 0 : 2;
}

static void
add_reset(const char *cap)
{
	char *s = tigetstr((char *)cap);
	size_t n;

	if (s == NULL || s == (char *)-1)
		return;
	n = strlen(s);
	if (reset_len + n < sizeof reset_seq) {
		memcpy(reset_seq + reset_len, s, n);
		reset_len += n;
	}
}

static void resize_now(void);

static void
at_exit(void)
{
	tui_done();
}

static int
locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return (cs != NULL && (strcasecmp(cs, "UTF-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0));
}

int
tui_init(int force_ascii, struct ld_err *err)
{
	const char *term = getenv("TERM");
	const char *nc = getenv("NO_COLOR");
	int fd, usable;

	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");	/* see main.c */
	tui_utf8 = locale_is_utf8() && !force_ascii;
	G = tui_utf8 ? &glyphs_utf8 : &glyphs_ascii;

	if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0)
		return err_set(err, LD_EUSAGE, "TERM is %s: the interactive "
		    "view needs a terminal; use the headless commands "
		    "instead: logdive panels|requests|trace ID SOURCE... "
		    "(see logdive --help)", term == NULL || *term == '\0' ?
		    "not set" : "dumb");
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || (ttyfp = fdopen(fd, "r+")) == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(err, LD_EUSAGE, "no terminal (/dev/tty: %s): "
		    "use the headless commands instead: logdive "
		    "panels|requests|trace ID SOURCE...", strerror(errno));
	}
	tty_fd = fd;
	if ((usable = term_usable(term, tty_fd)) != 0) {
		fclose(ttyfp);
		ttyfp = NULL;
		tty_fd = -1;
		if (usable == 1)
			return err_set(err, LD_EUSAGE, "unknown terminal type "
			    "'%s': set TERM (e.g. TERM=xterm), or use the "
			    "headless commands: logdive panels|requests|trace "
			    "ID SOURCE...", term);
		return err_set(err, LD_EUSAGE, "terminal type '%s' cannot "
		    "move the cursor: set TERM (e.g. TERM=xterm), or use the "
		    "headless commands: logdive panels|requests|trace ID "
		    "SOURCE...", term);
	}
	have_tio = tcgetattr(tty_fd, &saved_tio) == 0;

	if (pipe(sigpipe_fd) == -1)
		fatal("pipe: %s", strerror(errno));
	for (fd = 0; fd < 2; fd++) {
		fcntl(sigpipe_fd[fd], F_SETFL, O_NONBLOCK);
		fcntl(sigpipe_fd[fd], F_SETFD, FD_CLOEXEC);
	}
	/* Ours before newterm, so curses installs none of its own. */
	unblock_ours();
	set_handler(SIGHUP, on_async, 0);
	set_handler(SIGTERM, on_async, 0);
	set_handler(SIGINT, on_async, 0);
	set_handler(SIGTSTP, on_async, SA_RESTART);
	set_handler(SIGCONT, on_async, SA_RESTART);
	set_handler(SIGWINCH, on_async, SA_RESTART);
	set_handler(SIGSEGV, on_crash, SA_RESETHAND);
	set_handler(SIGBUS, on_crash, SA_RESETHAND);
	set_handler(SIGFPE, on_crash, SA_RESETHAND);
	set_handler(SIGILL, on_crash, SA_RESETHAND);
	set_handler(SIGABRT, on_crash, SA_RESETHAND);
	signal(SIGPIPE, SIG_IGN);

	/* the size is the terminal's own: LINES and COLUMNS in the
	 * environment (exported by some shells, stale after a resize) would
	 * otherwise win over it */
	use_env(FALSE);
	use_tioctl(TRUE);
	screen = newterm(NULL, ttyfp, ttyfp);
	if (screen == NULL) {
		fclose(ttyfp);
		ttyfp = NULL;
		tty_fd = -1;
		return err_set(err, LD_EUSAGE, "unknown terminal type '%s': "
		    "set TERM (e.g. TERM=xterm), or use the headless commands: "
		    "logdive panels|requests|trace ID SOURCE...", term);
	}
	set_term(screen);
	active = 1;
	add_reset("sgr0");
	add_reset("cnorm");
	add_reset("rmkx");
	add_reset("rmcup");
	xalloc_set_fatal_hook(emergency_restore);
	atexit(at_exit);

	raw();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	resize_now();

	tui_colour = 0;
	if (has_colors() && (nc == NULL || *nc == '\0')) {
		start_color();
		tui_colour = COLORS >= 8;
		/* 2: the terminal's own colours stay as the default */
		if (tui_colour && use_default_colors() == OK)
			tui_colour = 2;
	}
	draw_init(tui_colour);
	return 0;
}

void
tui_done(void)
{
	if (!active)
		return;
	active = 0;
	curs_set(1);
	endwin();
	fflush(ttyfp);
}

int
tui_key_fd(void)
{
	return tty_fd;
}

int
tui_signal_fd(void)
{
	return sigpipe_fd[0];
}

int
tui_read_key(void)
{
	wint_t ch;
	int r;

	for (;;) {
		r = wget_wch(stdscr, &ch);
		if (r == ERR)
			return K_NONE;
		if (r == KEY_CODE_YES) {
			switch (ch) {
			case KEY_UP: return K_UP;
			case KEY_DOWN: return K_DOWN;
			case KEY_LEFT: return K_LEFT;
			case KEY_RIGHT: return K_RIGHT;
			case KEY_PPAGE: return K_PGUP;
			case KEY_NPAGE: return K_PGDN;
			case KEY_HOME: case KEY_A1: return K_HOME;
			case KEY_END: case KEY_C1: return K_END;
			case KEY_ENTER: return K_ENTER;
			case KEY_BTAB: return K_BTAB;
			case KEY_BACKSPACE: return K_BS;
			case KEY_DC: return K_DEL;
			case KEY_RESIZE: return K_RESIZE;
			default: continue;	/* keys we do not use */
			}
		}
		switch (ch) {
		case '\r': case '\n': return K_ENTER;
		case '\t': return K_TAB;
		case 27: return K_ESC;
		case 127: case 8: return K_BS;
		default: return (int)ch;
		}
	}
}

static void
resize_now(void)
{
	struct winsize ws;

	if (ioctl(tty_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
}

int
tui_suspend(void)
{
	sigset_t set, old;

	/* In the session leader's process group (logdive started by tmux,
	 * ssh or sh -c without job control) the kernel drops SIGTSTP: there
	 * is no shell to come back to with fg. Say so instead. */
	if (getpgrp() == getsid(0))
		return -1;
	endwin();
	fflush(ttyfp);
	set_handler(SIGTSTP, SIG_DFL, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	pthread_sigmask(SIG_UNBLOCK, &set, &old);
	kill(0, SIGTSTP);
	/* resumed */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	set_handler(SIGTSTP, on_async, SA_RESTART);
	reset_prog_mode();
	resize_now();
	clearok(curscr, TRUE);
	return 0;
}

int
tui_handle_signals(int *redraw, int *nosuspend)
{
	unsigned char sig[64];
	ssize_t n, i;
	int quit = 0;

	while ((n = read(sigpipe_fd[0], sig, sizeof sig)) > 0) {
		for (i = 0; i < n; i++) {
			switch (sig[i]) {
			case SIGWINCH:
				resize_now();
				*redraw = 1;
				break;
			case SIGTSTP:
				if (tui_suspend() != 0)
					*nosuspend = 1;
				*redraw = 1;
				break;
			case SIGCONT:
				/* stopped from outside (SIGSTOP): the shell may
				 * have reset the modes */
				reset_prog_mode();
				resize_now();
				clearok(curscr, TRUE);
				*redraw = 1;
				break;
			case SIGHUP: case SIGTERM: case SIGINT:
				if (quit == 0)
					quit = sig[i];
				break;
			}
		}
	}
	return quit;
}

int
tui_lines(void)
{
	return LINES;
}

int
tui_cols(void)
{
	return COLS;
}

void
tui_cursor(int y, int x)
{
	if (y < 0) {
		curs_set(0);
		return;
	}
	curs_set(1);
	wmove(stdscr, y, x);
}

void
tui_frame_begin(int full)
{
	if (full)
		clearok(curscr, TRUE);
	werase(stdscr);
}

void
tui_frame_end(void)
{
	wnoutrefresh(stdscr);
	doupdate();
}
