/* Errors travel as a struct with a status (which is also the exit status of
 * DESIGN §7) and one line the user can act on. */
#ifndef LD_ERR_H
#define LD_ERR_H
#include <stddef.h>

enum ld_status {
	LD_OK = 0,
	LD_NOMATCH = 1,		/* no match / not found */
	LD_EUSAGE = 2,		/* usage or query error */
	LD_ESOURCE = 3,		/* source or backend error */
	LD_ECANCEL = 4,		/* cancelled by the user (exit 130 on the CLI) */
	LD_EAGAIN = 5		/* not possible yet: call again after load (never an exit status) */
};

struct ld_err {
	enum ld_status	status;
	int		col;		/* 1-based column in a query, 0 if none */
	char		msg[512];
};

/* Set err (if non-NULL) and return status. Message: one line, no trailing
 * period, no "logdive:" prefix. Control characters, C1 and bidi controls
 * and invalid UTF-8 that the arguments bring (a file name, a query, a
 * server's answer) are made visible (err_visible). */
int	err_set(struct ld_err *err, enum ld_status status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	err_clear(struct ld_err *err);

/* Make the NUL-terminated text in s[0..size) safe for a terminal in
 * place: every unit lib/utf8.h's utf8_cp_unsafe refuses, and every
 * invalid UTF-8 byte, becomes its visible escape (str_vis_next: \e, \x9b,
 * \u{202e}); what no longer fits is cut at a character boundary. The
 * rest, whatever the locale, is left as is. */
void	err_visible(char *s, size_t size);

#endif
