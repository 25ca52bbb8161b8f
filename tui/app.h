/* The interactive program: terminal, event loop, worker threads, views. */
#ifndef LD_APP_H
#define LD_APP_H
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "lib/err.h"
#include "queries/preset.h"
#include "queries/runbook.h"

struct app_opts {
	const char *const *sources;	/* as given, for the title */
	size_t		   nsources;
	const char	  *query_text;	/* -q; NULL: everything */
	const char	  *range_text;	/* -t; NULL: the data's extent */
	int64_t		   bucket;	/* -b, ns; 0: automatic */
	const char	  *group_by;	/* -g, full path or unique suffix; NULL: default */
	int		   follow;	/* --follow: poll the backend every 500 ms */
	int		   ascii;	/* force ASCII glyphs */
	const char	  *config;	/* -c; NULL: the default config file */
	int		   no_journal;	/* --no-journal: write no journal, no history */
	/* -p: the preset's view opens at start (query, range, bucket and
	 * group-by above already hold what the command line left to it) */
	const char	  *preset_name;	/* NULL: no -p */
	enum preset_view   view;
	const char	  *panel;	/* view PRESET_PANEL: a key of panels -f json */
	enum hit_sort	   sort;	/* requests and trace views */
	int		   sort_given;	/* sort was given (--sort or the preset) */
	int		   above;	/* 0, 50, 95, 99 */
	size_t		   limit;	/* 0: none */
	/* -r: the runbook opened in the pane at start (borrowed: it must
	 * outlive app_run); its first step is applied */
	struct runbook	  *runbook;
};

/* Run the dashboard on b, which is open but not loaded: a loader thread
 * runs b->ops->load (progress in the title) while a worker thread runs the
 * views' panels/search/trace/record calls and a files thread reads presets
 * and runbooks and writes the journal (an investigation continued or
 * started, titled after the sources, URLs without credentials); the UI
 * never waits for any of them.
 * Returns the exit status: 0 after q, 128+N after signal N (SIGHUP,
 * SIGTERM, SIGINT from outside), 2 with err set if there is no usable
 * terminal (TERM unset or dumb: the message names the headless commands)
 * or a bad -q/-t/-g. b stays open (the caller closes it); if a backend
 * call does not return within 2 s of quitting, the process exits with the
 * status after restoring the terminal rather than close b under it. */
int	app_run(struct backend *b, const struct app_opts *o, struct ld_err *err);

#endif
