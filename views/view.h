/* Views: one screen each (dashboard, requests, record, trace, help) on a
 * stack with breadcrumbs. A view draws its body through tui/draw.h, reacts
 * to keys, and asks the backend for data with jobs that app.c runs on a
 * worker thread; results come back to the view's done() on the UI thread.
 * Views never call curses or the backend directly. */
#ifndef LD_VIEW_H
#define LD_VIEW_H
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "lib/err.h"

struct app;
struct view;

enum job_kind { JOB_PANELS, JOB_SEARCH, JOB_TRACE, JOB_RECORD };

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
	/* in: SEARCH */
	char		*group_value;	/* NULL: any */
	double		 min_latency;	/* NAN: no bound */
	enum hit_sort	 sort;
	size_t		 limit;
	/* in: TRACE */
	char		*id;
	/* in: RECORD (a deep copy) */
	struct hit	 hit;

	/* out. done() may take panels/hits/text (and must then zero them). */
	int		 rc;		/* 0, or the ld_status (LD_ECANCEL if cancelled) */
	struct ld_err	 err;
	struct panels	 panels;
	struct hitlist	 hits;
	char		*text;

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
};

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
 * with the cursor at err->col. init may be NULL. */
typedef int	(*prompt_fn)(struct view *v, const char *text, struct ld_err *err);
void		 app_prompt(struct app *a, struct view *v, const char *label,
		    const char *init, prompt_fn done);
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

#endif
