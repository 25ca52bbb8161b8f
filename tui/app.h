/* The interactive program: terminal, event loop, worker threads, views. */
#ifndef LD_APP_H
#define LD_APP_H
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "lib/err.h"

struct app_opts {
	const char *const *sources;	/* as given, for the title */
	size_t		   nsources;
	const char	  *query_text;	/* -q; NULL: everything */
	const char	  *range_text;	/* -t; NULL: the data's extent */
	int64_t		   bucket;	/* -b, ns; 0: automatic */
	const char	  *group_by;	/* -g, full path or unique suffix; NULL: default */
	int		   follow;	/* --follow: poll the backend every 500 ms */
	int		   ascii;	/* force ASCII glyphs */
};

/* Run the dashboard on b, which is open but not loaded: a loader thread
 * runs b->ops->load (progress in the title) while a worker thread runs the
 * views' panels/search/trace/record calls; the UI never waits for either.
 * Returns the exit status: 0 after q, 128+N after signal N (SIGHUP,
 * SIGTERM, SIGINT from outside), 2 with err set if there is no usable
 * terminal (TERM unset or dumb: the message names the headless commands)
 * or a bad -q/-t/-g. b stays open (the caller closes it); if a backend
 * call does not return within 2 s of quitting, the process exits with the
 * status after restoring the terminal rather than close b under it. */
int	app_run(struct backend *b, const struct app_opts *o, struct ld_err *err);

#endif
