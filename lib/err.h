/* Errors travel as a struct with a status (which is also the exit status of
 * DESIGN §7) and one line the user can act on. */
#ifndef LD_ERR_H
#define LD_ERR_H

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
 * period, no "logdive:" prefix. */
int	err_set(struct ld_err *err, enum ld_status status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	err_clear(struct ld_err *err);

#endif
