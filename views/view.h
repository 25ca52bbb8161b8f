/* Views: one screen each (dashboard, requests, record, trace, help, the
 * preset and runbook pickers) on a stack with breadcrumbs, and the runbook
 * pane beside them. A view draws its body through tui/draw.h, reacts to
 * keys, and asks for data with jobs that app.c runs on other threads: the
 * backend's calls on the worker, the local files (presets, runbooks, the
 * journal) on the files thread. Results come back to the view's done() (or
 * the job's cb) on the UI thread. Views never call curses, the backend or
 * the file system directly. */
#ifndef LD_VIEW_H
#define LD_VIEW_H
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "lib/err.h"
#include "queries/journal.h"
#include "queries/preset.h"
#include "queries/runbook.h"

struct app;
struct view;

enum job_kind {
	/* the backend, on the worker thread */
	JOB_PANELS, JOB_SEARCH, JOB_TRACE, JOB_RECORD,
	/* local files, on the files thread */
	JOB_PRESETS,	/* out: presets, text (warnings) */
	JOB_RUNBOOKS,	/* out: runbooks, text (warnings) */
	JOB_SAVE,	/* in: preset, overwrite; out: path, exists, text */
	JOB_JOURNAL	/* in: jop, jkind, t, jtext, jdetail, panels; out: hist */
};

/* JOB_JOURNAL's operations. */
enum journal_op {
	JOP_START,	/* open the journal, find or start the investigation
			   titled jtext; out: hist (the query and range history) */
	JOP_ENTRY,	/* journal_add(jkind, jtext, jdetail) */
	JOP_PANELS	/* journal_add_panels(jtext, panels) */
};

/* One backend call. The inputs are owned by the job (job_free frees
 * them); the query travels as text and is parsed and resolved on the
 * worker, so no AST is shared between threads. */
struct job {
	enum job_kind	 kind;
	int		 tag;		/* the view's own label */

	/* in: PANELS and SEARCH */
	char		*query;		/* NULL or "": everything */
	int		 has_range;	/* 0: the data's own extent */
	struct time_range range;
	int64_t		 bucket;	/* ns; 0: automatic */
	char		*group_by;	/* full path; NULL: the mapping's group */
	/* in: SEARCH (and TRACE without an id) */
	char		*group_value;	/* NULL: any */
	double		 min_latency;	/* NAN: no bound */
	enum hit_sort	 sort;
	size_t		 limit;
	int		 all;		/* no list cap (search_req.all): F on a list */
	int		 above;		/* 0, 50, 95, 99. With group_value NULL: the
					   records of each latency group at or above
					   that group's pN, merged in sort order (the
					   panels are computed first). With group_value:
					   only says where min_latency came from */
	int		 own_range;	/* the range is the view's own (a bucket), not
					   the dashboard's; for saving as a preset */
	/* in: TRACE: the trace of id; with id NULL, of the first record the
	 * search above finds (out: id, the one traced) */
	char		*id;
	/* in: RECORD (a deep copy) */
	struct hit	 hit;
	/* in: a view's own note, carried through and copied by job_clone */
	char		*note;

	/* in: SAVE */
	struct preset	*preset;	/* owned */
	int		 overwrite;
	/* in: JOURNAL */
	enum journal_op	 jop;
	enum journal_kind jkind;
	int64_t		 t;		/* ns, taken when queued */
	char		*jtext, *jdetail;	/* jdetail: a JSON object or NULL */

	/* out. done() may take panels/hits/text/presets/runbooks (and must
	 * then zero them). PANELS is also JOP_PANELS's input. */
	int		 rc;		/* 0, or the ld_status (LD_ECANCEL if cancelled) */
	struct ld_err	 err;
	struct panels	 panels;
	struct hitlist	 hits;
	char		*text;		/* RECORD: the record; PRESETS, RUNBOOKS:
					   warnings, one a line; SAVE: what the new
					   file shadows, or NULL */
	struct preset	*presets;	/* PRESETS, sorted by name */
	size_t		 npresets;
	struct runbook	*runbooks;	/* RUNBOOKS, sorted by name */
	size_t		 nrunbooks;
	char		*path;		/* SAVE: the file written (or that exists) */
	int		 exists;	/* SAVE: refused, a user preset of that name exists */
	char		**hist[2];	/* JOP_START: [JH_QUERY], [JH_RANGE], most */
	size_t		 nhist[2];	/* recent first */

	/* A job of the app rather than a view: cb gets it on the UI thread
	 * (view_id 0); the app frees j afterwards. */
	void		(*cb)(struct app *a, struct job *j);

	/* private to app.c */
	unsigned long	 view_id;
	int		 cancelled;
	struct job	*next;
};

/* A zeroed job (min_latency NAN, hit.t TIME_NONE). Free with job_free. */
struct job	*job_new(enum job_kind kind, int tag);
/* A new job with copies of j's inputs (none of its outputs). */
struct job	*job_clone(const struct job *j);
void		 job_free(struct job *j);


struct view_ops {
	const char *name;
	/* Free priv (the view itself is freed by the stack). */
	void	(*free)(struct view *v);
	/* Draw the body in the rectangle (y, x, h, w). */
	void	(*draw)(struct view *v, int y, int x, int h, int w);
	/* A key (tui.h K_* or a code point). Returns 1 if used. */
	int	(*key)(struct view *v, int key);
	/* A job of this view finished (j->rc LD_ECANCEL: cancelled). The app
	 * frees j afterwards. */
	void	(*done)(struct view *v, struct job *j);
	/* The data changed (load progress, --follow): ask again. May be NULL. */
	void	(*refresh)(struct view *v);
	/* Key hints for the bottom line: "KEY what" entries separated by
	 * '\t' ("Enter open\tT trace"). */
	const char *(*hints)(struct view *v);
	/* Text for the status line when there is no prompt or message, into
	 * out. May be NULL (the current query is shown). */
	void	(*status)(struct view *v, char *out, size_t outlen);
	/* What S saves: fill p's query, range, bucket, group_by, view, panel,
	 * sort, above and limit (p is zeroed, its strings then owned by p).
	 * Returns 0, or 1 when this view has nothing to save (the view below
	 * is asked). May be NULL (the same as 1). note gets, if anything, what
	 * could not be kept ("the sort by service"). */
	int	(*to_preset)(struct view *v, struct preset *p, char *note,
		    size_t notelen);
	/* VIEW_* flags. */
	int	 flags;
};

/* The view takes printable keys (and q, ?) before the global keys: it
 * has a text field. */
#define VIEW_TEXT	0x1

struct view {
	const struct view_ops *ops;
	struct app	*app;
	char		*crumb;		/* breadcrumb label, visible text, owned */
	void		*priv;
	unsigned long	 id;		/* jobs find their view by id */
	int		 busy;		/* jobs queued or running */
	int		 stale;		/* refresh when it is on top again */
};

/* New view (crumb copied). Free with view_free (calls ops->free). */
struct view	*view_new(const struct view_ops *ops, struct app *a,
		    const char *crumb, void *priv);
void		 view_free(struct view *v);

/* The stack of views, bottom (the dashboard) first. Owns the views. */
struct viewstack {
	struct view	**v;
	size_t		  n, cap;
};
void		 viewstack_push(struct viewstack *s, struct view *v);
/* Pops and returns the top view (the caller frees it); NULL if empty. */
struct view	*viewstack_pop(struct viewstack *s);
struct view	*viewstack_top(const struct viewstack *s);
struct view	*viewstack_find(const struct viewstack *s, unsigned long id);
void		 viewstack_free(struct viewstack *s);
/* "Dashboard › canary ≥ p95 › …" with sep between crumbs, into out. */
void		 viewstack_crumbs(const struct viewstack *s, const char *sep,
		    char *out, size_t outlen);

/* A scrolling list position: n rows, the selected one and the first one
 * shown. */
struct listpos {
	size_t	n, sel, top;
};
/* Movement keys of lists (j k ↑ ↓ g G Home End PgUp PgDn Ctrl-D Ctrl-U);
 * page is the rows shown. Returns 1 if the key was one of them. gG says
 * whether g and G move (0 where they mean something else). */
int	listpos_key(struct listpos *lp, int key, size_t page, int gG);
/* Keep sel within n and visible in page rows. */
void	listpos_fit(struct listpos *lp, size_t page);

/* The dashboard's query state, shared by the views (app.c owns it). */
struct ui_query {
	char		*query;		/* NULL: everything */
	char		*range;		/* as typed; NULL: the data's extent */
	struct time_range resolved;	/* range resolved at the last request */
	int		 has_range;
	int64_t		 bucket;	/* ns; 0: automatic */
	char		*group_by;	/* full path; NULL: the mapping's group */
	struct time_range shown;	/* range of the last panels, for the title */
	int		 have_shown;
};

/* What views can ask of the app (app.c). */
struct backend	*app_backend(struct app *a);
struct ui_query	*app_query(struct app *a);
/* Push a view on top (the stack owns it; a view marked stale gets its
 * refresh at once) / pop and free the top one (cancelling its jobs); the
 * dashboard is never popped. */
void		 app_push(struct app *a, struct view *v);
void		 app_pop(struct app *a);
/* Queue a job for v (takes ownership). A queued, not yet running job of
 * the same view and tag is replaced. */
void		 app_submit(struct app *a, struct view *v, struct job *j);
/* Cancel v's jobs (all jobs if v is NULL). Returns how many. */
int		 app_cancel(struct app *a, struct view *v);
/* A one-line message in the status line (errors stay until a key). */
void		 app_message(struct app *a, int is_error, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* Open the input line. done(v, text, err) returns 0 to close it, or an
 * error status with err set: the message is shown and the line stays open
 * with the cursor at err->col. init may be NULL. Up/Down recall and Ctrl-R
 * searches what was entered in prompts of the same label. */
typedef int	(*prompt_fn)(struct view *v, const char *text, struct ld_err *err);
void		 app_prompt(struct app *a, struct view *v, const char *label,
		    const char *init, prompt_fn done);
/* The same with the journal's history of kind h (JH_QUERY, JH_RANGE):
 * what earlier sessions ran, then this one's. */
void		 app_prompt_hist(struct app *a, struct view *v, const char *label,
		    const char *init, prompt_fn done, enum journal_hist h);
/* Ask a yes/no question in the status line: the next key answers, y or Y
 * is yes, any other no. fn(a, yes, arg) is called once either way (it
 * owns arg). */
typedef void	(*confirm_fn)(struct app *a, int yes, void *arg);
void		 app_confirm(struct app *a, const char *question, confirm_fn fn,
		    void *arg);
/* Queue a job of the app's (j->cb set; takes ownership). */
void		 app_submit_app(struct app *a, struct job *j);
/* Show the terminal cursor at (y, x) in this frame (a view's text field,
 * called from draw). */
void		 app_cursor(struct app *a, int y, int x);
/* The sources as given on the command line (borrowed). */
const char *const *app_sources(struct app *a, size_t *n);
/* Pop every view above the dashboard (cancelling their jobs, no refresh
 * of the views uncovered) and return the dashboard. */
struct view	*app_dashboard(struct app *a);
/* What S saves: the to_preset of the topmost view that has one (p
 * zeroed first; its strings then owned by p). Returns 0, or 1 if no view
 * has anything to save. */
int		 app_to_preset(struct app *a, struct preset *p, char *note,
		    size_t notelen);
/* The breadcrumbs, "Dashboard › canary ≥ p95 (219 ms)", into out. */
void		 app_crumbs(struct app *a, char *out, size_t outlen);

/* The journal (queries/journal.h), written on the files thread: an entry
 * of kind k at now. text is copied; detail is a JSON object as text, or
 * NULL. Nothing is written with --no-journal, nor after the journal failed
 * (which the status line says once). */
void		 app_journal(struct app *a, enum journal_kind k, const char *text,
		    const char *detail);
/* A JK_PANELS entry (journal_add_panels): what, then p's headline figures
 * (p is copied). */
void		 app_journal_panels(struct app *a, const char *what,
		    const struct panels *p);
/* 1 unless --no-journal or the journal failed. */
int		 app_journal_on(struct app *a);

/* The runbook pane (views/runbook.c) of the app: open rb (taking it if
 * owned, else borrowing it for the app's life) and apply its first step;
 * a runbook of the same name already open stays as it is (rb is then
 * freed if owned). */
void		 app_runbook_open(struct app *a, struct runbook *rb, int owned);
/* The runbook pane open, or NULL (borrowed). */
struct rbpane	*app_rbpane(struct app *a);
/* Check a query: parse and resolve its fields against the backend's.
 * Returns 0 or the error status with err set (err->col). */
int		 app_check_query(struct app *a, const char *text, struct ld_err *err);
/* Resolve a field name (full path or unique suffix) to its full path
 * (caller frees). Returns 0 or LD_EUSAGE with err set. */
int		 app_resolve_field(struct app *a, const char *name, char **path,
		    struct ld_err *err);
/* 1 while the initial load runs. */
int		 app_loading(struct app *a);

/* The views, one file each in views/. */
struct view	*dashboard_new(struct app *a);
/* Requests matching the SEARCH job spec (taken over); crumb is visible text. */
struct view	*requests_new(struct app *a, const char *crumb, struct job *spec);
/* The full JSON of one record (h copied). */
struct view	*record_new(struct app *a, const struct hit *h);
/* Every record whose trace_id (else request_id) is id. */
struct view	*trace_new(struct app *a, const char *id);
struct view	*help_new(struct app *a);
/* The trace of the first record the SEARCH-like spec finds (taken over:
 * kind TRACE, id NULL, sort and limit 1 set by the caller). */
struct view	*trace_new_search(struct app *a, const char *crumb, struct job *spec);

/* The dashboard after a preset: focus panel (a key of panels -f json, NULL
 * or "latency": the latency table), the group-by mode from the shared
 * query, what the journal calls its panels ("preset NAME", "step 2"; NULL:
 * "dashboard") and the breadcrumb's label ("Dashboard · LABEL"; NULL:
 * "Dashboard"); refresh now, or when uncovered if later. Changing the
 * query, range, bucket or group-by by hand drops both. */
void		 dashboard_preset(struct view *dash, const char *panel,
		    const char *what, const char *label, int later);

/* The preset picker (views/presets.c): every preset (user, team,
 * shipped), filtered as one types; Enter applies the selected one. */
struct view	*presets_new(struct app *a);
/* The runbook picker: Enter opens the selected runbook in the pane. */
struct view	*runbooks_new(struct app *a);
/* Apply preset p (borrowed) to the shared query and open its view:
 * query and group-by replaced (absent: none, the default group); range
 * and bucket replaced when the preset has them; the view stack back to
 * the dashboard, then the requests, the trace or the panel it names.
 * step is NULL for a preset chosen by name, else what the runbook calls
 * it ("step 2"): the journal and the breadcrumbs say so. Recorded in the
 * journal (the preset, and the query and range when they change). Returns
 * 0, or LD_EUSAGE with a message in the status line when it does not fit
 * the source (a query that does not parse or names a field the source
 * lacks, a range that does not parse): then nothing changes. */
int		 preset_apply(struct app *a, const struct preset *p, const char *step);
/* Open view v of a preset (the dashboard's panel, requests, a trace) over
 * the shared query, without changing it: the view part of preset_apply
 * and of -p at start. crumb names a pushed view. */
void		 preset_open_view(struct app *a, enum preset_view v, const char *panel,
		    enum hit_sort sort, int sort_given, int above, size_t limit,
		    const char *crumb, const char *what);
/* S: ask for a name and save the state of the views (query, range,
 * bucket, group-by, the view on top) as a user preset, asking before
 * overwriting one (views/presets.c). */
void		 presets_save(struct app *a, struct view *top);

/* The runbook pane (views/runbook.c): the current step's title, note,
 * what to look for and preset, the steps (done ones marked) and the
 * findings written; beside the views, or folded into one line when the
 * screen is narrow. */
struct rbpane;
/* rb is owned by the pane if owned (runbook_free), else borrowed. */
struct rbpane	*rbpane_new(struct app *a, struct runbook *rb, int owned);
void		 rbpane_free(struct rbpane *p);
const struct runbook *rbpane_runbook(const struct rbpane *p);
/* Go to step i (0-based) and apply its preset. */
void		 rbpane_step(struct rbpane *p, size_t i);
/* ] [ x f (f works without a runbook too: app.c). Returns 1 if used. */
int		 rbpane_key(struct rbpane *p, int key);
/* Columns of the side pane on a W x H screen, or 0: fold into a bar. */
int		 rbpane_width(int W, int H);
void		 rbpane_draw(struct rbpane *p, int y, int x, int h, int w);
void		 rbpane_bar(struct rbpane *p, int y, int x, int w);
/* f: ask for a finding and write it in the journal (and the pane). */
void		 finding_prompt(struct app *a, struct view *top);

/* Shared formatting for views (viewstack.c). */
/* Milliseconds: "57", "218.5", "12,345", "-" for NAN. */
char		*fmt_ms(double ms, char *out, size_t outlen);
/* "YYYY-MM-DD HH:MM:SS.mmm" (date 0) or "HH:MM:SS.mmm" (date 1:
 * time only), UTC; "-" for TIME_NONE. */
char		*fmt_time(int64_t t, int time_only, char *out, size_t outlen);
/* A range for people: "2026-02-26 04:00 → 05:00 UTC", the end without
 * what it shares with the start; seconds when either end has them. compact
 * drops the year, the seconds and "UTC": "02-26 04:00 → 02-27 03:59". */
char		*fmt_range(const struct time_range *r, const char *arrow,
		    int compact, char *out, size_t outlen);
/* Break visible text s into lines of at most w columns at blanks (a word
 * longer than w is cut). Writes up to max lines as (start, len) byte
 * pairs into start[] and len[]; returns how many lines the whole text
 * takes. */
size_t		 text_wrap(const char *s, int w, size_t *start, size_t *len,
		    size_t max);
/* "time", "-time", "latency", "-latency" to a sort (0), else -1. */
int		 sort_from_name(const char *s, enum hit_sort *out);
const char	*sort_to_name(enum hit_sort s);

#endif
