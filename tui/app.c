#include "config.h"
#include "tui/app.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/conffile.h"
#include "backends/http.h"
#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include "queries/journal.h"
#include "queries/preset.h"
#include "queries/query.h"
#include "queries/runbook.h"
#include "queries/timerange.h"
#include "tui/draw.h"
#include "tui/tui.h"
#include "views/view.h"

#define TICK_MS		100		/* spinner and progress */
#define LOAD_REFRESH_NS	(1000 * NS_PER_MS)	/* dashboard during load */
#define FOLLOW_POLL_NS	(500 * NS_PER_MS)
#define MSG_NS		(4000 * NS_PER_MS)	/* info messages */
#define QUIT_WAIT_NS	(2000 * NS_PER_MS)
#define HIST_MAX	100		/* entries of a prompt's history */
#define MIN_COLS	30		/* below: "terminal too small" */
#define MIN_LINES	10

/* What the threads tell the event loop through the pipe. */
enum msg_kind { MSG_JOB, MSG_LOADED, MSG_CHANGED, MSG_POLL_ERROR, MSG_TICK };
struct msg {
	enum msg_kind	 kind;
	struct job	*job;
};

struct history {
	char	*label;
	char	*item[HIST_MAX];
	size_t	 n;
};

struct prompt {
	int		 active;
	char		 label[64];
	struct buf	 text;
	size_t		 cur;		/* byte offset of the cursor */
	prompt_fn	 done;
	unsigned long	 view_id;
	struct history	*hist;
	size_t		 hpos;		/* browsing history: index from the end */
	/* Ctrl-R: reverse incremental search of hist */
	int		 isearch;	/* searching */
	int		 ifail;		/* the needle matches nothing older */
	struct buf	 needle;
	size_t		 imatch;	/* hist->item index shown; hist->n: none */
	char		*saved;		/* the text before the search */
};

/* The files thread's own state: nothing else touches it. */
struct files {
	struct journal	*j;		/* NULL: not open (or failed) */
	int64_t		 inv;		/* the investigation written to */
	int		 have_cfg;
	struct config	 cfg;		/* for presets_path */
};

struct app {
	struct backend		*b;
	const struct app_opts	*o;
	struct ui_query		 q;
	struct viewstack	 vs;
	unsigned long		 next_id;

	/* threads */
	pthread_mutex_t		 mu;		/* the queue and running */
	pthread_cond_t		 cv;
	pthread_mutex_t		 fields_mu;	/* b->ops->fields and its array */
	pthread_t		 worker, loader, filer;
	int			 started[3];	/* loader, worker, files thread */
	int			 live;		/* not yet exited (under mu) */
	struct job		*qhead, *qtail;	/* the worker's */
	struct job		*running;
	struct job		*fqhead, *fqtail;	/* the files thread's */
	struct files		 files;
	int			 stop;
	_Atomic int		 loaded;
	int			 load_rc;
	struct ld_err		 load_err;
	int			 pipe_fd[2];

	/* UI */
	int			 quit, status;
	int			 dirty, full;
	char			 msg[512];
	int			 msg_err;
	int64_t			 msg_until;
	struct prompt		 pr;
	struct history		 hists[8];	/* one per prompt label */
	struct history		 jhist[2];	/* JH_QUERY, JH_RANGE: the journal's */
	int64_t			 t0, last_dash_refresh;
	int			 cur_y, cur_x;	/* a view's cursor this frame; -1 none */
	struct {
		int		 active;
		char		 question[512];
		confirm_fn	 fn;
		void		*arg;
	}			 cf;
	int			 journal_off;	/* --no-journal, or it failed */
	struct rbpane		*rb;		/* the runbook pane, or NULL */
};

/* --- helpers ------------------------------------------------------- */

static void
send_msg(struct app *a, enum msg_kind kind, struct job *j)
{
	struct msg m = { kind, j };
	ssize_t r;

	do
		r = write(a->pipe_fd[1], &m, sizeof m);
	while (r == -1 && errno == EINTR);
}

/* The full path for a field name: exact, else a unique suffix after a
 * dot. Call with fields_mu held. */
static int
resolve_in(const char *const *paths, size_t n, const char *name, char **out,
    struct ld_err *err)
{
	size_t i, nl = strlen(name), pl, hits = 0;
	struct buf cand = BUF_INIT;
	const char *found = NULL;

	for (i = 0; i < n; i++)
		if (strcmp(paths[i], name) == 0) {
			*out = xstrdup(paths[i]);
			return 0;
		}
	for (i = 0; i < n; i++) {
		pl = strlen(paths[i]);
		if (pl > nl && paths[i][pl - nl - 1] == '.' &&
		    strcmp(paths[i] + pl - nl, name) == 0) {
			if (hits < 6)
				buf_printf(&cand, "%s%s", hits ? ", " : "",
				    paths[i]);
			found = paths[i];
			hits++;
		}
	}
	if (hits == 1) {
		*out = xstrdup(found);
		buf_free(&cand);
		return 0;
	}
	if (hits > 1)
		err_set(err, LD_EUSAGE, "field '%s' is ambiguous: %s%s", name,
		    cand.p, hits > 6 ? ", ..." : "");
	else
		err_set(err, LD_EUSAGE, "unknown field '%s'", name);
	buf_free(&cand);
	return LD_EUSAGE;
}

static int
fields_locked(struct app *a, const char *const **paths, size_t *n)
{
	*paths = NULL;
	*n = 0;
	if (a->b->ops->fields == NULL)
		return -1;
	return a->b->ops->fields(a->b, paths, n);
}

/* Parse and resolve text into *qn (NULL for everything). */
static int
parse_query(struct app *a, const char *text, struct q_node **qn,
    struct ld_err *err)
{
	const char *const *paths;
	size_t n;
	int rc;

	*qn = NULL;
	err_clear(err);
	if (text == NULL || text[strspn(text, " \t")] == '\0')
		return 0;
	*qn = query_parse(text, err);
	if (*qn == NULL)
		return err->status;
	pthread_mutex_lock(&a->fields_mu);
	fields_locked(a, &paths, &n);
	rc = query_resolve(*qn, paths, n, err);
	pthread_mutex_unlock(&a->fields_mu);
	if (rc != 0) {
		query_free(*qn);
		*qn = NULL;
		if (err->status == LD_OK)
			err->status = rc;
		return err->status;
	}
	return 0;
}

/* --- the worker and the loader ----------------------------------- */

static int
run_query_opts(struct app *a, struct job *j, struct q_node **qn,
    struct query_opts *qo, char **group)
{
	const char *const *paths;
	size_t n;
	int rc;

	memset(qo, 0, sizeof *qo);
	*group = NULL;
	if ((rc = parse_query(a, j->query, qn, &j->err)) != 0)
		return rc;
	if (j->group_by != NULL) {
		pthread_mutex_lock(&a->fields_mu);
		fields_locked(a, &paths, &n);
		rc = resolve_in(paths, n, j->group_by, group, &j->err);
		pthread_mutex_unlock(&a->fields_mu);
		if (rc != 0) {
			query_free(*qn);
			*qn = NULL;
			return rc;
		}
	}
	qo->query = *qn;
	qo->has_range = j->has_range;
	qo->range = j->range;
	qo->bucket = j->bucket;
	qo->group_by = *group;
	return 0;
}

/* The search of j (a SEARCH, or a TRACE without an id): with j->above and
 * no group value, each latency group's records at or above its pN. */
static int
run_search(struct app *a, struct job *j, const struct query_opts *qo,
    size_t limit, struct hitlist *out)
{
	struct search_req sr;

	memset(&sr, 0, sizeof sr);
	sr.q = *qo;
	sr.group_value = j->group_value;
	sr.min_latency = j->min_latency;
	sr.sort = j->sort;
	sr.limit = limit;
	sr.all = j->all;
	return backend_search_above(a->b, &sr, j->above, out, &j->err);
}

static void
run_job(struct app *a, struct job *j)
{
	const struct backend_ops *ops = a->b->ops;
	struct q_node *qn = NULL;
	struct query_opts qo;
	struct hitlist first;
	const char *id;
	char *group = NULL;

	err_clear(&j->err);
	switch (j->kind) {
	case JOB_PANELS:
	case JOB_SEARCH:
		if ((j->rc = run_query_opts(a, j, &qn, &qo, &group)) != 0)
			break;
		if (j->kind == JOB_PANELS) {
			j->rc = ops->panels(a->b, &qo, &j->panels, &j->err);
			break;
		}
		j->rc = run_search(a, j, &qo, j->limit, &j->hits);
		break;
	case JOB_TRACE:
		if (j->id == NULL) {
			/* the trace of the first record found */
			if ((j->rc = run_query_opts(a, j, &qn, &qo, &group)) != 0)
				break;
			memset(&first, 0, sizeof first);
			j->rc = run_search(a, j, &qo, 1, &first);
			if (j->rc == 0) {
				id = first.n ? (first.v[0].trace_id ?
				    first.v[0].trace_id : first.v[0].request_id) : NULL;
				if (id == NULL)
					j->rc = err_set(&j->err, LD_NOMATCH, "the first "
					    "record found has no trace or request id");
				else
					j->id = xstrdup(id);
			}
			hitlist_free(&first);
			if (j->rc != 0)
				break;
		}
		j->rc = ops->trace(a->b, j->id, &j->hits, &j->err);
		break;
	case JOB_RECORD:
		j->text = ops->record(a->b, &j->hit, &j->err);
		j->rc = j->text != NULL ? 0 :
		    j->err.status != LD_OK ? (int)j->err.status : LD_ESOURCE;
		break;
	default:
		j->rc = err_set(&j->err, LD_EUSAGE, "not a backend job");
		break;
	}
	if (j->rc != 0 && j->err.status == LD_OK)
		err_set(&j->err, j->rc, "the backend failed without a message");
	query_free(qn);
	free(group);
}

static void
thread_exit(struct app *a)
{
	pthread_mutex_lock(&a->mu);
	a->live--;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void *
worker_main(void *arg)
{
	struct app *a = arg;
	struct job *j;
	struct timespec ts;
	int64_t last_poll = 0, now;
	struct ld_err err;
	int r, poll_failed = 0;

	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		if ((j = a->qhead) != NULL) {
			a->qhead = j->next;
			if (a->qhead == NULL)
				a->qtail = NULL;
			j->next = NULL;
			a->running = j;
			atomic_store(&a->b->cancel, 0);
			atomic_store(&a->b->progress.lines_read, 0);
			pthread_mutex_unlock(&a->mu);
			run_job(a, j);
			pthread_mutex_lock(&a->mu);
			a->running = NULL;
			if (j->cancelled) {
				j->rc = LD_ECANCEL;
				err_set(&j->err, LD_ECANCEL, "cancelled");
				atomic_store(&a->b->cancel, 0);
			}
			pthread_mutex_unlock(&a->mu);
			send_msg(a, MSG_JOB, j);
			pthread_mutex_lock(&a->mu);
			continue;
		}
		now = time_mono();
		if (a->o->follow && atomic_load(&a->loaded) &&
		    a->b->ops->poll != NULL && now - last_poll >= FOLLOW_POLL_NS) {
			pthread_mutex_unlock(&a->mu);
			err_clear(&err);
			r = a->b->ops->poll(a->b, &err);
			last_poll = time_mono();
			if (r > 0) {
				poll_failed = 0;
				send_msg(a, r == 2 ? MSG_TICK : MSG_CHANGED, NULL);
			} else if (r < 0 && !poll_failed) {
				/* once per run of failures */
				j = job_new(JOB_SEARCH, 0);
				j->err = err;
				poll_failed = 1;
				send_msg(a, MSG_POLL_ERROR, j);
			} else if (r == 0)
				poll_failed = 0;
			pthread_mutex_lock(&a->mu);
			continue;
		}
		if (a->o->follow) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&a->cv, &a->mu, &ts);
		} else
			pthread_cond_wait(&a->cv, &a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	query_thread_done();
	thread_exit(a);
	return NULL;
}

static void *
loader_main(void *arg)
{
	struct app *a = arg;
	struct ld_err err;
	int rc;

	err_clear(&err);
	rc = a->b->ops->load(a->b, &err);
	a->load_rc = rc;
	a->load_err = err;
	atomic_store(&a->b->cancel, 0);
	atomic_store(&a->loaded, 1);
	pthread_mutex_lock(&a->mu);
	pthread_cond_broadcast(&a->cv);	/* --follow polling may start */
	pthread_mutex_unlock(&a->mu);
	send_msg(a, MSG_LOADED, NULL);
	query_thread_done();
	thread_exit(a);
	return NULL;
}

/* --- the files thread: presets, runbooks, the journal -------------- */

/* Warnings of a listing, one a line, into the buf arg. */
static void
warn_collect(void *arg, const char *line)
{
	struct buf *b = arg;

	buf_printf(b, "%s%s", b->len ? "\n" : "", line);
}

/* The directories of kind ("presets", "runbooks"), with the config's
 * presets_path (loaded once; a bad config is warned about). */
static void
files_dirs(struct app *a, struct files *f, const char *kind,
    struct preset_dirs *d, const struct ld_warn *w)
{
	struct ld_err err;

	if (!f->have_cfg) {
		err_clear(&err);
		if (config_load(&f->cfg, a->o->config, &err) != 0) {
			ld_warnf(w, "%s (presets_path not read)", err.msg);
			memset(&f->cfg, 0, sizeof f->cfg);
		}
		f->have_cfg = 1;
	}
	preset_dirs_default(d, kind, (const char *const *)f->cfg.presets_path,
	    f->cfg.npresets_path);
}

static void
files_save(struct app *a, struct files *f, struct job *j)
{
	struct preset_dirs d;
	struct ld_warn w = { NULL, NULL };
	char *path, *other;
	size_t i;

	files_dirs(a, f, "presets", &d, &w);
	if (d.n == 0 || d.origin[0] != PRESET_USER) {
		j->rc = err_set(&j->err, LD_EUSAGE, "no folder for your presets: set "
		    "XDG_CONFIG_HOME or HOME");
		preset_dirs_free(&d);
		return;
	}
	path = xasprintf("%s/%s.json", d.dir[0], j->preset->name);
	if (!j->overwrite && access(path, F_OK) == 0) {
		j->exists = 1;
		j->path = path;
		j->rc = err_set(&j->err, LD_EUSAGE, "preset '%s' exists (%s)",
		    j->preset->name, path);
		preset_dirs_free(&d);
		return;
	}
	j->rc = preset_save(j->preset, d.dir[0], j->overwrite, &j->path, &j->err);
	if (j->rc != 0 && !j->overwrite && access(path, F_OK) == 0) {
		/* written by someone else meanwhile */
		j->exists = 1;
		free(j->path);
		j->path = path;
		path = NULL;
	}
	free(path);
	for (i = 1; j->rc == 0 && i < d.n; i++) {
		other = xasprintf("%s/%s.json", d.dir[i], j->preset->name);
		if (access(other, F_OK) == 0) {
			j->text = xasprintf("it shadows the %s preset of that name",
			    preset_origin_name(d.origin[i]));
			i = d.n;
		}
		free(other);
	}
	preset_dirs_free(&d);
}

static void
files_journal(struct files *f, struct job *j)
{
	struct ld_err e;
	size_t h;

	switch (j->jop) {
	case JOP_START:
		if ((j->rc = journal_open(NULL, &f->j, &j->err)) != 0)
			return;
		if ((j->rc = journal_current(f->j, j->jtext, j->t, &f->inv,
		    &j->err)) != 0) {
			journal_close(f->j);
			f->j = NULL;
			return;
		}
		for (h = 0; h < 2; h++) {
			err_clear(&e);
			journal_history(f->j, (enum journal_hist)h, NULL, HIST_MAX,
			    &j->hist[h], &j->nhist[h], &e);
		}
		return;
	case JOP_ENTRY:
		if (f->j != NULL)
			j->rc = journal_add(f->j, f->inv, j->t, j->jkind, j->jtext,
			    j->jdetail, &j->err);
		return;
	case JOP_PANELS:
		if (f->j != NULL)
			j->rc = journal_add_panels(f->j, f->inv, j->t, j->jtext,
			    &j->panels, &j->err);
		return;
	}
}

static void
files_run(struct app *a, struct files *f, struct job *j)
{
	struct preset_dirs d, pd;
	struct buf warn = BUF_INIT;
	struct ld_warn w = { warn_collect, &warn };

	err_clear(&j->err);
	j->rc = 0;
	switch (j->kind) {
	case JOB_PRESETS:
		files_dirs(a, f, "presets", &d, &w);
		preset_list(&d, &j->presets, &j->npresets, &w);
		preset_dirs_free(&d);
		break;
	case JOB_RUNBOOKS:
		files_dirs(a, f, "presets", &pd, &w);
		files_dirs(a, f, "runbooks", &d, &w);
		runbook_list(&d, &pd, &j->runbooks, &j->nrunbooks, &w);
		preset_dirs_free(&pd);
		preset_dirs_free(&d);
		break;
	case JOB_SAVE:
		files_save(a, f, j);
		break;
	case JOB_JOURNAL:
		files_journal(f, j);
		break;
	default:
		j->rc = err_set(&j->err, LD_EUSAGE, "not a files job");
		break;
	}
	if (warn.len > 0)
		j->text = buf_detach(&warn);
	buf_free(&warn);
	if (j->rc != 0 && j->err.status == LD_OK)
		err_set(&j->err, j->rc, "failed without a message");
}

/* Runs the files queue until stop, then what is left of it (the journal
 * entries of the last moments), then closes the journal. */
static void *
files_main(void *arg)
{
	struct app *a = arg;
	struct files *f = &a->files;
	struct job *j;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		if ((j = a->fqhead) != NULL) {
			a->fqhead = j->next;
			if (a->fqhead == NULL)
				a->fqtail = NULL;
			j->next = NULL;
			pthread_mutex_unlock(&a->mu);
			files_run(a, f, j);
			send_msg(a, MSG_JOB, j);
			pthread_mutex_lock(&a->mu);
			continue;
		}
		if (a->stop)
			break;
		pthread_cond_wait(&a->cv, &a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	journal_close(f->j);
	f->j = NULL;
	if (f->have_cfg)
		config_free(&f->cfg);
	query_thread_done();	/* the presets' queries were parsed here */
	thread_exit(a);
	return NULL;
}

static void
start_thread(struct app *a, pthread_t *t, void *(*fn)(void *))
{
	sigset_t all, old;
	int r;

	/* signals go to the UI thread; a fault stays with the thread that
	 * caused it, so that its handler restores the terminal */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&a->mu);
	a->live++;
	pthread_mutex_unlock(&a->mu);
	r = pthread_create(t, NULL, fn, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		fatal("pthread_create: %s", strerror(r));
	a->started[t == &a->loader ? 0 : t == &a->worker ? 1 : 2] = 1;
}

/* --- what views ask of the app ------------------------------------ */

struct backend *
app_backend(struct app *a)
{
	return a->b;
}

struct ui_query *
app_query(struct app *a)
{
	return &a->q;
}

int
app_loading(struct app *a)
{
	return !atomic_load(&a->loaded);
}

void
app_push(struct app *a, struct view *v)
{
	v->id = ++a->next_id;
	viewstack_push(&a->vs, v);
	a->dirty = 1;
	if (v->stale && v->ops->refresh != NULL) {
		v->stale = 0;
		v->ops->refresh(v);
	}
}

void
app_pop(struct app *a)
{
	struct view *v, *top;

	if (a->vs.n <= 1)
		return;
	v = viewstack_top(&a->vs);
	app_cancel(a, v);
	view_free(viewstack_pop(&a->vs));
	top = viewstack_top(&a->vs);
	if (top->stale && top->ops->refresh != NULL) {
		top->stale = 0;
		top->ops->refresh(top);
	}
	a->dirty = 1;
}

static int
is_files_job(const struct job *j)
{
	return j->kind >= JOB_PRESETS;
}

void
app_submit(struct app *a, struct view *v, struct job *j)
{
	struct job **pp, *old;

	j->view_id = v != NULL ? v->id : 0;
	j->next = NULL;
	pthread_mutex_lock(&a->mu);
	if (is_files_job(j)) {
		/* in order: the journal's entries keep theirs */
		if (a->fqtail != NULL)
			a->fqtail->next = j;
		else
			a->fqhead = j;
		a->fqtail = j;
		if (v != NULL)
			v->busy++;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		a->dirty = 1;
		return;
	}
	for (pp = &a->qhead; *pp != NULL; pp = &(*pp)->next) {
		old = *pp;
		if (old->view_id == j->view_id && old->tag == j->tag &&
		    old->kind == j->kind) {
			/* replace in place; the view keeps one in flight */
			j->next = old->next;
			*pp = j;
			if (a->qtail == old)
				a->qtail = j;
			pthread_mutex_unlock(&a->mu);
			job_free(old);
			a->dirty = 1;
			return;
		}
	}
	if (a->qtail != NULL)
		a->qtail->next = j;
	else
		a->qhead = j;
	a->qtail = j;
	v->busy++;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	a->dirty = 1;
}

void
app_submit_app(struct app *a, struct job *j)
{
	app_submit(a, NULL, j);
}

static void
deliver(struct app *a, struct job *j)
{
	struct view *v = j->view_id ? viewstack_find(&a->vs, j->view_id) : NULL;

	if (j->cb != NULL)
		j->cb(a, j);
	else if (v != NULL) {
		if (v->busy > 0)
			v->busy--;
		if (v->ops->done != NULL)
			v->ops->done(v, j);
	}
	job_free(j);
	a->dirty = 1;
}

int
app_cancel(struct app *a, struct view *v)
{
	struct job **pp, *j, *gone = NULL;
	int n = 0;

	pthread_mutex_lock(&a->mu);
	for (pp = &a->qhead; (j = *pp) != NULL; ) {
		if (v == NULL || j->view_id == v->id) {
			*pp = j->next;
			j->next = gone;
			gone = j;
			n++;
		} else
			pp = &j->next;
	}
	a->qtail = NULL;
	for (j = a->qhead; j != NULL; j = j->next)
		a->qtail = j;
	/* a view's file jobs (never the app's: the journal's entries stay) */
	for (pp = &a->fqhead; v != NULL && (j = *pp) != NULL; ) {
		if (j->view_id == v->id) {
			*pp = j->next;
			j->next = gone;
			gone = j;
		} else
			pp = &j->next;
	}
	a->fqtail = NULL;
	for (j = a->fqhead; j != NULL; j = j->next)
		a->fqtail = j;
	if (a->running != NULL && !a->running->cancelled &&
	    (v == NULL || a->running->view_id == v->id)) {
		a->running->cancelled = 1;
		atomic_store(&a->b->cancel, 1);	/* queries only; the load has its own flag */
		n++;
	}
	pthread_mutex_unlock(&a->mu);
	while ((j = gone) != NULL) {
		gone = j->next;
		j->rc = LD_ECANCEL;
		err_set(&j->err, LD_ECANCEL, "cancelled");
		deliver(a, j);
	}
	return n;
}

void
app_message(struct app *a, int is_error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->msg_err = is_error;
	a->msg_until = is_error ? INT64_MAX : time_mono() + MSG_NS;
	a->dirty = 1;
}

static struct history *
history_for(struct app *a, const char *label)
{
	size_t i;

	for (i = 0; i < sizeof a->hists / sizeof a->hists[0]; i++) {
		if (a->hists[i].label == NULL)
			a->hists[i].label = xstrdup(label);
		if (strcmp(a->hists[i].label, label) == 0)
			return &a->hists[i];
	}
	return NULL;
}

/* Add s as the newest entry (an equal older one moves up: the history
 * holds distinct texts, as the journal's). */
static void
history_add(struct history *h, const char *s)
{
	size_t i;

	if (h == NULL || *s == '\0')
		return;
	for (i = 0; i < h->n; i++)
		if (strcmp(h->item[i], s) == 0) {
			free(h->item[i]);
			memmove(h->item + i, h->item + i + 1,
			    (h->n - i - 1) * sizeof h->item[0]);
			h->n--;
			break;
		}
	if (h->n == HIST_MAX) {
		free(h->item[0]);
		memmove(h->item, h->item + 1, (HIST_MAX - 1) * sizeof h->item[0]);
		h->n--;
	}
	h->item[h->n++] = xstrdup(s);
}

/* Put the journal's texts (most recent first, older than anything of
 * this session) under the session's own. */
static void
history_merge(struct history *h, char **old, size_t nold)
{
	struct history m;
	size_t i, k;

	memset(&m, 0, sizeof m);
	for (i = nold; i-- > 0; ) {
		for (k = 0; k < h->n; k++)
			if (strcmp(h->item[k], old[i]) == 0)
				break;
		if (k == h->n)
			history_add(&m, old[i]);
	}
	for (k = 0; k < h->n; k++) {
		history_add(&m, h->item[k]);
		free(h->item[k]);
	}
	memcpy(h->item, m.item, sizeof m.item);
	h->n = m.n;
}

static void
history_free(struct history *h)
{
	size_t k;

	free(h->label);
	for (k = 0; k < h->n; k++)
		free(h->item[k]);
	memset(h, 0, sizeof *h);
}

static void
prompt_set(struct prompt *p, const char *s)
{
	buf_reset(&p->text);
	buf_adds(&p->text, s != NULL ? s : "");
	p->cur = p->text.len;
}

static void
isearch_end(struct prompt *p, int restore)
{
	if (restore && p->saved != NULL)
		prompt_set(p, p->saved);
	free(p->saved);
	p->saved = NULL;
	p->isearch = p->ifail = 0;
	buf_reset(&p->needle);
}

void
app_prompt(struct app *a, struct view *v, const char *label,
    const char *init, prompt_fn done)
{
	struct prompt *p = &a->pr;

	isearch_end(p, 0);
	p->active = 1;
	snprintf(p->label, sizeof p->label, "%s", label);
	prompt_set(p, init);
	p->done = done;
	p->view_id = v->id;
	p->hist = history_for(a, label);
	p->hpos = 0;
	a->dirty = 1;
}

void
app_prompt_hist(struct app *a, struct view *v, const char *label,
    const char *init, prompt_fn done, enum journal_hist h)
{
	app_prompt(a, v, label, init, done);
	a->pr.hist = &a->jhist[h == JH_RANGE];
}

void
app_confirm(struct app *a, const char *question, confirm_fn fn, void *arg)
{
	if (a->cf.active && a->cf.fn != NULL)
		a->cf.fn(a, 0, a->cf.arg);	/* one question at a time */
	a->cf.active = 1;
	snprintf(a->cf.question, sizeof a->cf.question, "%s", question);
	a->cf.fn = fn;
	a->cf.arg = arg;
	a->dirty = 1;
}

void
app_cursor(struct app *a, int y, int x)
{
	a->cur_y = y;
	a->cur_x = x;
}

const char *const *
app_sources(struct app *a, size_t *n)
{
	*n = a->o->nsources;
	return a->o->sources;
}

struct view *
app_dashboard(struct app *a)
{
	struct view *v;

	while (a->vs.n > 1) {
		v = viewstack_top(&a->vs);
		app_cancel(a, v);
		view_free(viewstack_pop(&a->vs));
	}
	a->dirty = 1;
	return a->vs.v[0];
}

int
app_to_preset(struct app *a, struct preset *p, char *note, size_t notelen)
{
	struct view *v;
	size_t i;

	note[0] = '\0';
	for (i = a->vs.n; i-- > 0; ) {
		v = a->vs.v[i];
		memset(p, 0, sizeof *p);
		if (v->ops->to_preset != NULL && v->ops->to_preset(v, p, note,
		    notelen) == 0)
			return 0;
		preset_free(p);
	}
	memset(p, 0, sizeof *p);
	return 1;
}

void
app_crumbs(struct app *a, char *out, size_t outlen)
{
	char sep[16];

	snprintf(sep, sizeof sep, " %s ", G->crumb);
	viewstack_crumbs(&a->vs, sep, out, outlen);
}

struct rbpane *
app_rbpane(struct app *a)
{
	return a->rb;
}

void
app_runbook_open(struct app *a, struct runbook *rb, int owned)
{
	const struct runbook *cur;
	char *t;

	if (a->rb != NULL) {
		cur = rbpane_runbook(a->rb);
		if (strcmp(cur->name, rb->name) == 0) {
			app_message(a, 0, "runbook %s is open (X closes it)", cur->name);
			if (owned) {
				runbook_free(rb);
				free(rb);
			}
			return;
		}
		rbpane_free(a->rb);
	}
	a->rb = rbpane_new(a, rb, owned);
	t = xasprintf("%s: %s", rb->name, rb->title);
	app_journal(a, JK_RUNBOOK, t, NULL);
	free(t);
	rbpane_step(a->rb, 0);
	a->dirty = 1;
}

/* --- the journal ------------------------------------------------------- */

int
app_journal_on(struct app *a)
{
	return !a->journal_off;
}

/* A journal job came back: the first failure is said once, and the
 * journal is then left alone; the start brings the history. */
static void
journal_done(struct app *a, struct job *j)
{
	size_t h;

	if (j->rc != 0 && j->rc != LD_ECANCEL) {
		if (!a->journal_off)
			app_message(a, 1, "%s (going on without the journal; "
			    "--no-journal turns it off)", j->err.msg);
		a->journal_off = 1;
		return;
	}
	if (j->jop == JOP_START)
		for (h = 0; h < 2; h++)
			history_merge(&a->jhist[h], j->hist[h], j->nhist[h]);
}

static struct job *
journal_job(struct app *a, enum journal_op op, const char *text)
{
	struct job *j = job_new(JOB_JOURNAL, 0);

	j->jop = op;
	j->t = time_now();
	j->jtext = xstrdup(text != NULL ? text : "");
	j->cb = journal_done;
	(void)a;
	return j;
}

void
app_journal(struct app *a, enum journal_kind k, const char *text,
    const char *detail)
{
	struct job *j;

	if (a->journal_off)
		return;
	j = journal_job(a, JOP_ENTRY, text);
	j->jkind = k;
	j->jdetail = detail != NULL ? xstrdup(detail) : NULL;
	app_submit_app(a, j);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A deep copy of p into d (the files thread gets its own). */
static void
panels_copy(struct panels *d, const struct panels *p)
{
	size_t i, nb = p->nbuckets;

	*d = *p;
	d->latency_field = dup_or_null(p->latency_field);
	d->group_by = dup_or_null(p->group_by);
	d->version_field = dup_or_null(p->version_field);
	d->note = dup_or_null(p->note);
	d->groups = xcalloc(p->ngroups ? p->ngroups : 1, sizeof *d->groups);
	for (i = 0; i < p->ngroups; i++) {
		d->groups[i] = p->groups[i];
		d->groups[i].key = dup_or_null(p->groups[i].key);
	}
	d->conf = xcalloc(p->nconf ? p->nconf : 1, sizeof *d->conf);
	for (i = 0; i < p->nconf; i++) {
		d->conf[i].key = dup_or_null(p->conf[i].key);
		d->conf[i].pts = xcalloc(nb ? nb : 1, sizeof *d->conf[i].pts);
		if (nb && p->conf[i].pts != NULL)
			memcpy(d->conf[i].pts, p->conf[i].pts, nb * sizeof *d->conf[i].pts);
	}
	d->cache = xcalloc(nb ? nb : 1, sizeof *d->cache);
	d->errors = xcalloc(nb ? nb : 1, sizeof *d->errors);
	d->drift = xcalloc(nb ? nb : 1, sizeof *d->drift);
	if (nb && p->cache != NULL)
		memcpy(d->cache, p->cache, nb * sizeof *d->cache);
	if (nb && p->errors != NULL)
		memcpy(d->errors, p->errors, nb * sizeof *d->errors);
	if (nb && p->drift != NULL)
		memcpy(d->drift, p->drift, nb * sizeof *d->drift);
	d->versions = xcalloc(p->nversions ? p->nversions : 1, sizeof *d->versions);
	for (i = 0; i < p->nversions; i++) {
		d->versions[i] = p->versions[i];
		d->versions[i].key = dup_or_null(p->versions[i].key);
	}
}

void
app_journal_panels(struct app *a, const char *what, const struct panels *p)
{
	struct job *j;

	if (a->journal_off)
		return;
	j = journal_job(a, JOP_PANELS, what);
	panels_copy(&j->panels, p);
	app_submit_app(a, j);
}

/* The investigation: the current one continued, or one started titled
 * after the sources (URLs without credentials); then what this session
 * starts from. */
static void
journal_start(struct app *a)
{
	const struct app_opts *o = a->o;
	struct buf title = BUF_INIT;
	char *red;
	size_t i;

	if (o->no_journal) {
		a->journal_off = 1;
		return;
	}
	for (i = 0; i < o->nsources; i++) {
		red = http_redact_url(o->sources[i]);
		buf_printf(&title, "%s%s", i ? " " : "", red);
		free(red);
	}
	app_submit_app(a, journal_job(a, JOP_START, title.p != NULL ? title.p :
	    "logdive"));
	buf_free(&title);
	for (i = 0; i < o->nsources; i++)
		app_journal(a, JK_SOURCE, o->sources[i], NULL);
	if (o->preset_name != NULL)
		app_journal(a, JK_PRESET, o->preset_name, NULL);
	if (a->q.query != NULL)
		app_journal(a, JK_QUERY, a->q.query, NULL);
	if (a->q.range != NULL)
		app_journal(a, JK_RANGE, a->q.range, NULL);
}

int
app_check_query(struct app *a, const char *text, struct ld_err *err)
{
	struct q_node *qn;
	int rc;

	rc = parse_query(a, text, &qn, err);
	query_free(qn);
	return rc;
}

int
app_resolve_field(struct app *a, const char *name, char **path,
    struct ld_err *err)
{
	const char *const *paths;
	size_t n;
	int rc;

	err_clear(err);
	pthread_mutex_lock(&a->fields_mu);
	fields_locked(a, &paths, &n);
	rc = resolve_in(paths, n, name, path, err);
	pthread_mutex_unlock(&a->fields_mu);
	return rc;
}

/* --- the input line ------------------------------------------------ */

static size_t
utf8_prev(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[--i] & 0xc0) == 0x80)
		;
	return i;
}

static size_t
utf8_next(const char *s, size_t len, size_t i)
{
	if (i < len)
		i++;
	while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
		i++;
	return i;
}

static void
prompt_delete(struct prompt *p, size_t from, size_t to)
{
	memmove(p->text.p + from, p->text.p + to, p->text.len - to + 1);
	p->text.len -= to - from;
	if (p->cur > to)
		p->cur -= to - from;
	else if (p->cur > from)
		p->cur = from;
}

/* Ctrl-R: the newest entry below index from (hist->n: the newest of
 * all) that contains the needle (ASCII case-insensitive, as the journal
 * searches); shown with the cursor at the match. Returns 1 if found. */
static int
isearch_find(struct prompt *p, size_t from)
{
	const char *m;
	size_t i;

	if (p->hist == NULL || p->needle.len == 0)
		return 0;
	for (i = from; i-- > 0; ) {
		if ((m = str_casestr(p->hist->item[i], p->needle.p)) == NULL)
			continue;
		p->imatch = i;
		prompt_set(p, p->hist->item[i]);
		p->cur = (size_t)(m - p->hist->item[i]);
		p->ifail = 0;
		return 1;
	}
	p->ifail = 1;
	return 0;
}

/* A key during Ctrl-R. Returns 1 if it was the search's; 0 if it ended
 * the search and is to be handled as usual (Enter runs the match, the
 * arrows edit it). */
static int
isearch_key(struct prompt *p, int key)
{
	char enc[4];
	size_t n;

	switch (key) {
	case K_CTRL('r'):
		if (p->needle.len > 0)
			isearch_find(p, p->ifail ? 0 : p->imatch);
		return 1;
	case K_BS:
		if (p->needle.len > 0) {
			p->needle.len = utf8_prev(p->needle.p, p->needle.len);
			p->needle.p[p->needle.len] = '\0';
		}
		if (p->needle.len == 0) {
			prompt_set(p, p->saved);
			p->ifail = 0;
			p->imatch = p->hist ? p->hist->n : 0;
		} else
			isearch_find(p, p->hist ? p->hist->n : 0);
		return 1;
	case K_ESC: case K_CTRL('g'): case K_CTRL('c'):
		isearch_end(p, 1);
		return 1;
	}
	if (key >= 0x20 && key < K_BASE && key != 0x7f) {
		n = utf8_encode((uint32_t)key, enc);
		buf_add(&p->needle, enc, n);
		/* the match shown may still do */
		isearch_find(p, p->ifail || p->imatch >= (p->hist ? p->hist->n : 0) ?
		    (p->hist ? p->hist->n : 0) : p->imatch + 1);
		return 1;
	}
	isearch_end(p, 0);
	return 0;
}

static void
prompt_key(struct app *a, int key)
{
	struct prompt *p = &a->pr;
	struct ld_err err;
	struct view *v;
	char *text, enc[4];
	size_t n, i;

	a->dirty = 1;
	if (p->text.p == NULL)
		buf_adds(&p->text, "");
	if (key != K_ENTER)
		a->msg[0] = '\0';
	if (p->isearch && isearch_key(p, key))
		return;
	switch (key) {
	case K_CTRL('r'):
		if (p->hist == NULL || p->hist->n == 0) {
			app_message(a, 0, "no history to search yet");
			return;
		}
		p->isearch = 1;
		p->ifail = 0;
		p->imatch = p->hist->n;
		free(p->saved);
		p->saved = xstrdup(p->text.p);
		buf_reset(&p->needle);
		return;
	case K_ESC: case K_CTRL('c'): case K_CTRL('g'):
		p->active = 0;
		return;
	case K_ENTER:
		v = viewstack_find(&a->vs, p->view_id);
		text = xstrdup(p->text.p);
		err_clear(&err);
		history_add(p->hist, text);
		p->active = 0;
		if (a->msg_err)		/* why an earlier try was refused */
			a->msg[0] = '\0';
		if (v != NULL && p->done(v, text, &err) != 0) {
			/* stays open, the cursor where the error is */
			p->active = 1;
			app_message(a, 1, "%s", err.msg);
			if (err.col > 0 && (size_t)err.col - 1 <= p->text.len)
				p->cur = (size_t)err.col - 1;
		}
		free(text);
		return;
	case K_LEFT: case K_CTRL('b'):
		p->cur = utf8_prev(p->text.p, p->cur);
		return;
	case K_RIGHT: case K_CTRL('f'):
		p->cur = utf8_next(p->text.p, p->text.len, p->cur);
		return;
	case K_HOME: case K_CTRL('a'):
		p->cur = 0;
		return;
	case K_END: case K_CTRL('e'):
		p->cur = p->text.len;
		return;
	case K_BS:
		if (p->cur > 0)
			prompt_delete(p, utf8_prev(p->text.p, p->cur), p->cur);
		return;
	case K_DEL: case K_CTRL('d'):
		if (p->cur < p->text.len)
			prompt_delete(p, p->cur,
			    utf8_next(p->text.p, p->text.len, p->cur));
		return;
	case K_CTRL('u'):
		prompt_delete(p, 0, p->cur);
		return;
	case K_CTRL('k'):
		prompt_delete(p, p->cur, p->text.len);
		return;
	case K_CTRL('w'):
		i = p->cur;
		while (i > 0 && p->text.p[i - 1] == ' ')
			i--;
		while (i > 0 && p->text.p[i - 1] != ' ')
			i--;
		prompt_delete(p, i, p->cur);
		return;
	case K_UP: case K_DOWN:
		if (p->hist == NULL || p->hist->n == 0)
			return;
		if (key == K_UP && p->hpos < p->hist->n)
			p->hpos++;
		else if (key == K_DOWN && p->hpos > 0)
			p->hpos--;
		prompt_set(p, p->hpos == 0 ? "" :
		    p->hist->item[p->hist->n - p->hpos]);
		return;
	}
	if (key < 0x20 || key >= K_BASE || key == 0x7f)
		return;
	n = utf8_encode((uint32_t)key, enc);
	buf_reserve(&p->text, n);
	memmove(p->text.p + p->cur + n, p->text.p + p->cur,
	    p->text.len - p->cur + 1);
	memcpy(p->text.p + p->cur, enc, n);
	p->text.len += n;
	p->cur += n;
}

/* --- drawing -------------------------------------------------------- */

static void
source_label(struct app *a, char *out, size_t outlen)
{
	const char *s, *slash;
	char *vis;

	if (a->o->nsources == 0) {
		snprintf(out, outlen, "(no source)");
		return;
	}
	s = a->o->sources[0];
	/* a file by its name, a URL as given */
	if (strstr(s, "://") == NULL && (slash = strrchr(s, '/')) != NULL &&
	    slash[1] != '\0')
		s = slash + 1;
	vis = str_visible(s, strlen(s), tui_utf8 ? 0 : STRVIS_ASCII);
	if (a->o->nsources > 1)
		snprintf(out, outlen, "%s +%zu", vis, a->o->nsources - 1);
	else
		snprintf(out, outlen, "%s", vis);
	free(vis);
}

static int any_busy(struct app *a);

static void
progress_label(struct app *a, char *out, size_t outlen)
{
	struct progress *pg = &a->b->progress;
	uint64_t done = atomic_load(&pg->bytes_done);
	uint64_t total = atomic_load(&pg->bytes_total);
	double secs = (double)(time_mono() - a->t0) / 1e9, rate;
	char r[32];
	int o;

	out[0] = '\0';
	if (!app_loading(a)) {
		/* a remote backend reading lines itself (a list, confidence) */
		uint64_t n = atomic_load(&pg->lines_read);
		if (n > 0 && any_busy(a)) {
			fmt_count(n, r, sizeof r);
			snprintf(out, outlen, "%s lines read", r);
		}
		return;
	}
	rate = secs > 0.05 ? (double)done / secs : 0;
	o = snprintf(out, outlen, "loading");
	if (total > 0 && o >= 0 && (size_t)o < outlen)
		o += snprintf(out + o, outlen - (size_t)o, " %d%%",
		    (int)(100.0 * (double)done / (double)total));
	if (rate > 0 && o >= 0 && (size_t)o < outlen) {
		fmt_bytes(rate, r, sizeof r);
		o += snprintf(out + o, outlen - (size_t)o, " %s %s/s", G->dot, r);
	}
	if (rate > 0 && total > done && o >= 0 && (size_t)o < outlen)
		snprintf(out + o, outlen - (size_t)o, " %s ETA %.0fs", G->dot,
		    ceil((double)(total - done) / rate));
}

static int
any_busy(struct app *a)
{
	int busy;

	struct job *j;

	pthread_mutex_lock(&a->mu);
	busy = a->qhead != NULL || a->running != NULL;
	for (j = a->fqhead; !busy && j != NULL; j = j->next)
		busy = j->view_id != 0;
	pthread_mutex_unlock(&a->mu);
	return busy;
}

static void
draw_title(struct app *a, int W)
{
	char src[256], range[96], recs[32], prog[96], parts[512], *cut;
	const char *sep = G->dot;
	const struct time_range *r = NULL;
	size_t fixed = 0, avail, srcw;
	int x, try;

	draw_str(0, 0, 1, G->tl, ST_BORDER);
	draw_hline(0, 1, W - 2, ST_BORDER);
	draw_str(0, W - 1, 1, G->tr, ST_BORDER);
	source_label(a, src, sizeof src);
	if (a->q.has_range)
		r = &a->q.resolved;
	else if (a->q.have_shown)
		r = &a->q.shown;
	fmt_count(atomic_load(&a->b->progress.records), recs, sizeof recs);
	progress_label(a, prog, sizeof prog);
	/* " logdive · SRC · RANGE · N records · PROGRESS ": the source gives
	 * way first, then the range's year and seconds, then the range */
	avail = W > 6 ? (size_t)W - 6 : 0;	/* corners, spinner */
	srcw = str_width(src);
	for (try = 0; try < 3; try++) {
		if (try == 2 || r == NULL)
			snprintf(range, sizeof range, "%s", r ? "" : "all");
		else
			fmt_range(r, G->arrow, try == 1, range, sizeof range);
		if (*range)
			snprintf(parts, sizeof parts, " %s %s %s %s records",
			    sep, range, sep, recs);
		else
			snprintf(parts, sizeof parts, " %s %s records", sep, recs);
		if (*prog)
			snprintf(parts + strlen(parts), sizeof parts -
			    strlen(parts), " %s %s", sep, prog);
		snprintf(parts + strlen(parts), sizeof parts - strlen(parts),
		    " ");
		fixed = str_width(" logdive ") + str_width(sep) + 1 +
		    str_width(parts);
		if (fixed + (srcw < 12 ? srcw : 12) <= avail)
			break;
	}
	x = 1;
	if (fixed < avail) {
		x += draw_str(0, x, W - 6, " logdive ", ST_TITLE);
		x += draw_str(0, x, W - 6 - x, sep, ST_TITLE);
		x += draw_str(0, x, W - 6 - x, " ", ST_TITLE);
		cut = str_trunc(src, avail - fixed, G->ell);
		x += draw_str(0, x, W - 6 - x, cut, ST_TITLE);
		free(cut);
	} else	/* no room for the source: not its separator either */
		x += draw_str(0, x, W - 6, " logdive", ST_TITLE);
	draw_str(0, x, W - 4 - x, parts, ST_TITLE);
	if (app_loading(a) || any_busy(a))
		draw_str(0, W - 4, 1, G->spin[(time_mono() - a->t0) /
		    (TICK_MS * NS_PER_MS) % G->nspin], ST_TITLE);
}

static void
draw_crumbs(struct app *a, int W)
{
	char crumbs[2048], sep[16], *cut;
	size_t avail = W > 4 ? (size_t)W - 4 : 0, from, i, o;
	int r;

	snprintf(sep, sizeof sep, " %s ", G->crumb);
	/* drop whole crumbs from the left until the rest fits */
	for (from = 0; from < a->vs.n; from++) {
		o = 0;
		crumbs[0] = '\0';
		if (from > 0) {
			r = snprintf(crumbs, sizeof crumbs, "%s", G->ell);
			o = (size_t)r;
		}
		for (i = from; i < a->vs.n && o < sizeof crumbs; i++) {
			r = snprintf(crumbs + o, sizeof crumbs - o, "%s%s",
			    i > 0 ? sep : "", a->vs.v[i]->crumb);
			if (r < 0)
				break;
			o += (size_t)r;
		}
		if (str_width(crumbs) <= avail)
			break;
	}
	/* even the last crumb alone is too wide: cut it, visibly */
	cut = str_trunc(crumbs, avail, G->ell);
	draw_str(1, 2, (int)avail, cut, ST_CRUMB);
	free(cut);
}

/* Draws view hints then global hints ('\t'-separated "KEY what"
 * entries), whole entries only; when short of room, view hints go from the
 * end first, then the global ones before the last ("q quit" stays). */
static void
draw_hints(const char *view, const char *global, int y, int x, int w)
{
	const char *item[32], *p, *end, *sp;
	size_t len[32], n = 0, nview = 0, k, total;
	int used = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		for (p = pass ? global : view; *p != '\0' && n < 32; ) {
			end = strchr(p, '\t');
			if (end == NULL)
				end = p + strlen(p);
			item[n] = p;
			len[n++] = (size_t)(end - p);
			p = *end ? end + 1 : end;
		}
		if (pass == 0)
			nview = n;
	}
	for (;;) {
		for (k = 0, total = 0; k < n; k++)
			total += (k ? 3 : 0) + str_nwidth(item[k], len[k]);
		if (total <= (size_t)(w > 0 ? w : 0) || n <= 1)
			break;
		/* the last view hint, else the global one before the last */
		k = nview > 0 ? nview - 1 : n - 2;
		if (nview > 0)
			nview--;
		memmove(item + k, item + k + 1, (n - k - 1) * sizeof item[0]);
		memmove(len + k, len + k + 1, (n - k - 1) * sizeof len[0]);
		n--;
	}
	for (k = 0; k < n && used < w; k++) {
		char buf[128];

		snprintf(buf, sizeof buf, "%.*s", (int)len[k], item[k]);
		if (k > 0) {
			used += draw_str(y, x + used, w - used, " ", ST_HINT);
			used += draw_str(y, x + used, w - used, G->dot, ST_HINT);
			used += draw_str(y, x + used, w - used, " ", ST_HINT);
		}
		sp = strchr(buf, ' ');
		if (sp != NULL) {
			buf[sp - buf] = '\0';
			used += draw_str(y, x + used, w - used, buf, ST_HINTKEY);
			used += draw_str(y, x + used, w - used, " ", ST_HINT);
			used += draw_str(y, x + used, w - used, sp + 1, ST_HINT);
		} else
			used += draw_str(y, x + used, w - used, buf, ST_HINTKEY);
	}
	if (used < w)
		draw_str(y, x + used, 1, " ", ST_HINT);
}

/* The input line; returns the cursor column. */
static int
draw_prompt(struct app *a, int y, int x, int w)
{
	struct prompt *p = &a->pr;
	const char *t = p->text.p != NULL ? p->text.p : "";
	size_t start = 0, lw;
	int used;

	if (p->isearch) {
		/* (reverse-i-search)'needle': match */
		used = draw_str(y, x, w, p->ifail ? "(failing reverse-i-search)'" :
		    "(reverse-i-search)'", ST_PROMPT);
		used += draw_vis(y, x + used, w - used, p->needle.p ? p->needle.p : "",
		    p->needle.len, ST_PROMPT, NULL);
		used += draw_str(y, x + used, w - used, "': ", ST_PROMPT);
	} else
		used = draw_str(y, x, w, p->label, ST_PROMPT);
	if (used > w - 8)
		used = w - 8;
	lw = (size_t)(w - used - 1);
	/* scroll so that the cursor shows */
	while (start < p->cur && str_nwidth(t + start, p->cur - start) > lw)
		start = utf8_next(t, p->text.len, start);
	draw_vis(y, x + used, w - used, t + start, p->text.len - start,
	    ST_NORMAL, NULL);
	return x + used + (int)str_nwidth(t + start, p->cur - start);
}

static void
draw_status(struct app *a, struct view *top, int y, int W)
{
	char buf[1024];
	int st = ST_NORMAL;

	if (a->msg[0] != '\0' && time_mono() < a->msg_until) {
		draw_viss(y, 2, W - 4, a->msg, a->msg_err ? ST_ERROR : ST_WARN);
		return;
	}
	a->msg[0] = '\0';
	if (a->b->warning[0] != '\0') {
		/* a standing problem (--insecure, partial results) stays in view */
		int used = draw_viss(y, 2, W - 4, a->b->warning, ST_WARN);
		if (used + 6 >= W - 4)
			return;
		draw_viss(y, 2 + used, W - 4 - used, " · ", ST_DIM);
		buf[0] = '\0';
		if (top->ops->status != NULL)
			top->ops->status(top, buf, sizeof buf);
		else if (a->q.query != NULL && *a->q.query != '\0')
			snprintf(buf, sizeof buf, "/%s", a->q.query);
		draw_viss(y, 5 + used, W - 7 - used, buf, ST_NORMAL);
		return;
	}
	buf[0] = '\0';
	if (top->ops->status != NULL)
		top->ops->status(top, buf, sizeof buf);
	else if (a->q.query != NULL && *a->q.query != '\0')
		snprintf(buf, sizeof buf, "/%s", a->q.query);
	else {
		snprintf(buf, sizeof buf, "/ (no query: every record)");
		st = ST_DIM;
	}
	draw_viss(y, 2, W - 4, buf, st);
}

static void
draw_all(struct app *a)
{
	int H = tui_lines(), W = tui_cols(), cy = -1, cx = 0, used;
	int by = 2, bh = H - 5, bw = W - 2, pw = 0;
	struct view *top = viewstack_top(&a->vs);
	const char *hints;

	tui_frame_begin(a->full);
	a->full = 0;
	a->cur_y = -1;
	if (H < MIN_LINES || W < MIN_COLS) {
		/* short lines, the most useful first: 20x5 shows them all */
		draw_str(0, 0, W, "terminal too small", ST_ERROR);
		draw_fmt(1, 0, W, ST_NORMAL, "%dx%d, need %dx%d", W, H,
		    MIN_COLS, MIN_LINES);
		draw_str(2, 0, W, a->pr.active || a->cf.active ?
		    "Esc cancels" : "q quits", ST_NORMAL);
		tui_cursor(-1, 0);
		tui_frame_end();
		return;
	}
	draw_title(a, W);
	draw_vline(1, 0, H - 2, ST_BORDER);
	draw_vline(1, W - 1, H - 2, ST_BORDER);
	draw_crumbs(a, W);
	/* the runbook beside the views, or folded into their last line */
	if (a->rb != NULL && (pw = rbpane_width(W, H)) > 0)
		bw = W - 3 - pw;
	else if (a->rb != NULL)
		bh--;
	/* each in its box: never over the borders, however narrow */
	draw_clip(by, 1, bh, bw);
	top->ops->draw(top, by, 1, bh, bw);
	draw_unclip();
	if (pw > 0) {
		draw_vline(by, 1 + bw, bh, ST_BORDER);
		draw_clip(by, 2 + bw, bh, pw);
		rbpane_draw(a->rb, by, 2 + bw, bh, pw);
		draw_unclip();
	} else if (a->rb != NULL) {
		draw_clip(by + bh, 1, 1, bw);
		rbpane_bar(a->rb, by + bh, 1, bw);
		draw_unclip();
	}
	draw_str(H - 3, 0, 1, G->ltee, ST_BORDER);
	draw_hline(H - 3, 1, W - 2, ST_BORDER);
	draw_str(H - 3, W - 1, 1, G->rtee, ST_BORDER);
	if (pw > 0)
		draw_str(H - 3, 1 + bw, 1, G->btee, ST_BORDER);
	if (a->cf.active) {
		used = draw_viss(H - 2, 2, W - 4, a->cf.question, ST_PROMPT);
		cy = H - 2;
		cx = 2 + used;
	} else if (a->pr.active) {
		cx = draw_prompt(a, H - 2, 2, W - 4);
		cy = H - 2;
	} else {
		draw_status(a, top, H - 2, W);
		if (a->cur_y >= 0) {
			cy = a->cur_y;
			cx = a->cur_x;
		}
	}
	draw_str(H - 1, 0, 1, G->bl, ST_BORDER);
	draw_hline(H - 1, 1, W - 2, ST_BORDER);
	draw_str(H - 1, W - 1, 1, G->br, ST_BORDER);
	if (a->cf.active)
		draw_hints("y yes\tany other key no", "", H - 1, 2, W - 4);
	else if (a->pr.active && a->msg[0] != '\0' && a->msg_err) {
		/* why the input was refused, where the hints go */
		draw_str(H - 1, 1, 1, " ", ST_HINT);
		used = draw_viss(H - 1, 2, W - 4, a->msg, ST_ERROR);
		draw_str(H - 1, 2 + used, 1, " ", ST_HINT);
	} else if (a->pr.active && a->pr.isearch)
		draw_hints("Enter run\tCtrl-R older\tEsc back to the line", "",
		    H - 1, 2, W - 4);
	else if (a->pr.active)
		draw_hints(tui_utf8 ? "Enter accept\tEsc cancel\t"
		    "\xe2\x86\x91\xe2\x86\x93 history\tCtrl-R search" :
		    "Enter accept\tEsc cancel\tUp/Down history\tCtrl-R search", "",
		    H - 1, 2, W - 4);
	if (a->pr.active || a->cf.active)
		draw_str(H - 1, 1, 1, " ", ST_HINT);
	else {
		draw_str(H - 1, 1, 1, " ", ST_HINT);
		hints = top->ops->hints != NULL ? top->ops->hints(top) : "";
		draw_hints(hints, (top->ops->flags & VIEW_TEXT) ? "Esc back" :
		    a->vs.n > 1 ? "Esc back\tp presets\t? help\tq quit" :
		    "p presets\t? help\tq quit", H - 1, 2, W - 4);
	}
	tui_cursor(cy, cx);
	tui_frame_end();
}

/* --- keys and messages -------------------------------------------- */

static void
no_suspend(struct app *a)
{
	app_message(a, 0, "cannot suspend: no job control here (start "
	    "logdive from a shell to use Ctrl-Z; q quits)");
}

static void
handle_key(struct app *a, int key)
{
	struct view *top = viewstack_top(&a->vs);

	a->dirty = 1;
	if (key == K_RESIZE || key == K_CTRL('l')) {
		a->full = 1;
		return;
	}
	if (key == K_CTRL('z')) {
		if (tui_suspend() != 0)
			no_suspend(a);
		a->full = 1;
		return;
	}
	if (a->cf.active) {
		confirm_fn fn = a->cf.fn;
		void *arg = a->cf.arg;

		a->cf.active = 0;
		a->cf.fn = NULL;
		a->cf.arg = NULL;
		a->msg[0] = '\0';
		if (fn != NULL)
			fn(a, key == 'y' || key == 'Y', arg);
		return;
	}
	if (a->pr.active) {
		prompt_key(a, key);
		return;
	}
	/* a key dismisses an error */
	if (a->msg_err)
		a->msg[0] = '\0';
	/* a text field takes the keys it can */
	if ((top->ops->flags & VIEW_TEXT) && top->ops->key != NULL &&
	    top->ops->key(top, key))
		return;
	switch (key) {
	case 'q':
		a->quit = 1;
		return;
	case 'p':
		app_push(a, presets_new(a));
		return;
	case 'R':
		app_push(a, runbooks_new(a));
		return;
	case 'S':
		presets_save(a, top);
		return;
	case 'f':
		finding_prompt(a, top);
		return;
	case 'X':
		if (a->rb == NULL)
			app_message(a, 0, "no runbook is open (R opens one)");
		else {
			app_message(a, 0, "runbook %s closed (R opens one)",
			    rbpane_runbook(a->rb)->name);
			rbpane_free(a->rb);
			a->rb = NULL;
			a->full = 1;
		}
		return;
	case ']': case '[': case 'x':
		if (a->rb == NULL) {
			app_message(a, 0, "no runbook is open (R opens one)");
			return;
		}
		rbpane_key(a->rb, key);
		return;
	case K_CTRL('c'):
		if (app_cancel(a, NULL) > 0)
			app_message(a, 0, "cancelled");
		else if (app_loading(a)) {
			atomic_store(&a->b->cancel_load, 1);
			app_message(a, 0, "stopping the load; the records read "
			    "so far stay");
		} else
			app_message(a, 0, "nothing to cancel (q quits)");
		return;
	case K_ESC:
		if (a->vs.n > 1)
			app_pop(a);
		else if (app_cancel(a, top) > 0)
			app_message(a, 0, "cancelled");
		return;
	case '?':
		if (strcmp(top->ops->name, "help") != 0)
			app_push(a, help_new(a));
		return;
	}
	if (top->ops->key != NULL)
		top->ops->key(top, key);
}

static void
refresh_after_change(struct app *a)
{
	struct view *top = viewstack_top(&a->vs);
	size_t i;

	for (i = 0; i < a->vs.n; i++)
		if (a->vs.v[i] != top)
			a->vs.v[i]->stale = 1;
	if (top->ops->refresh != NULL && !top->busy)
		top->ops->refresh(top);
	else
		top->stale = top->ops->refresh != NULL;
}

/* A remote source's live tick (--follow): the dashboard asks again (its
 * relative range re-read); lists keep what they show. */
static void
refresh_dashboard(struct app *a)
{
	struct view *top = viewstack_top(&a->vs), *dash = a->vs.v[0];

	if (dash->ops->refresh == NULL)
		return;
	if (top == dash && !dash->busy)
		dash->ops->refresh(dash);
	else
		dash->stale = 1;
}

static void
handle_msgs(struct app *a)
{
	struct msg m[32];
	ssize_t n, i;
	char recs[32];

	while ((n = read(a->pipe_fd[0], m, sizeof m)) > 0) {
		for (i = 0; i < n / (ssize_t)sizeof m[0]; i++) {
			switch (m[i].kind) {
			case MSG_JOB:
				deliver(a, m[i].job);
				break;
			case MSG_LOADED:
				fmt_count(atomic_load(&a->b->progress.records),
				    recs, sizeof recs);
				if (a->load_rc == LD_ECANCEL)
					app_message(a, 0, "load stopped: %s "
					    "records read", recs);
				else if (a->load_rc != 0)
					app_message(a, 1, "%s", a->load_err.msg);
				refresh_after_change(a);
				break;
			case MSG_CHANGED:
				refresh_after_change(a);
				break;
			case MSG_TICK:
				refresh_dashboard(a);
				break;
			case MSG_POLL_ERROR:
				app_message(a, 1, "--follow: %s",
				    m[i].job->err.msg);
				job_free(m[i].job);
				break;
			}
		}
		a->dirty = 1;
	}
}

/* Periodic work: the dashboard's panels while the load runs, the refresh
 * a view on top was owed, the end of an info message. */
static void
timers(struct app *a)
{
	struct view *top = viewstack_top(&a->vs), *dash = a->vs.v[0];
	int64_t now = time_mono();

	if (app_loading(a) && now - a->last_dash_refresh >= LOAD_REFRESH_NS) {
		a->last_dash_refresh = now;
		if (top == dash && !dash->busy && dash->ops->refresh != NULL)
			dash->ops->refresh(dash);
		else
			dash->stale = 1;
	}
	if (top->stale && !top->busy && top->ops->refresh != NULL) {
		top->stale = 0;
		top->ops->refresh(top);
	}
	if (a->msg[0] != '\0' && now >= a->msg_until)
		a->dirty = 1;
}

/* --- run ------------------------------------------------------------ */

static int
check_opts(struct app *a, const struct app_opts *o, struct ld_err *err)
{
	struct q_node *qn;

	if (o->query_text != NULL && *o->query_text != '\0') {
		err_clear(err);
		qn = query_parse(o->query_text, err);
		if (qn == NULL && err->status != LD_OK)
			return err->status;
		query_free(qn);
		a->q.query = xstrdup(o->query_text);
	}
	if (o->range_text != NULL && *o->range_text != '\0') {
		if (range_parse(o->range_text, time_now(), &a->q.resolved,
		    err) != 0)
			return err->status != LD_OK ? (int)err->status : LD_EUSAGE;
		a->q.range = xstrdup(o->range_text);
		a->q.has_range = 1;
	}
	a->q.bucket = o->bucket;
	if (o->group_by != NULL && *o->group_by != '\0')
		a->q.group_by = xstrdup(o->group_by);
	return 0;
}

static void
shutdown_threads(struct app *a)
{
	struct job *j;
	struct timespec ts;
	int64_t deadline = time_mono() + QUIT_WAIT_NS;
	int i;

	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	while ((j = a->qhead) != NULL) {
		a->qhead = j->next;
		job_free(j);
	}
	a->qtail = NULL;
	atomic_store(&a->b->cancel, 1);
	atomic_store(&a->b->cancel_load, 1);
	pthread_cond_broadcast(&a->cv);
	while (a->live > 0 && time_mono() < deadline) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&a->cv, &a->mu, &ts);
	}
	i = a->live;
	pthread_mutex_unlock(&a->mu);
	if (i > 0) {
		/* a backend call that does not return: leave rather than
		 * close the backend under it */
		tui_done();
		fflush(NULL);
		_exit(a->status);
	}
	if (a->started[0])
		pthread_join(a->loader, NULL);
	if (a->started[1])
		pthread_join(a->worker, NULL);
	if (a->started[2])
		pthread_join(a->filer, NULL);
}

static void
app_free(struct app *a)
{
	size_t i, k;
	struct msg m;

	viewstack_free(&a->vs);
	/* results that arrived after the last read */
	while (read(a->pipe_fd[0], &m, sizeof m) == (ssize_t)sizeof m)
		if (m.job != NULL)
			job_free(m.job);
	close(a->pipe_fd[0]);
	close(a->pipe_fd[1]);
	if (a->cf.active && a->cf.fn != NULL)
		a->cf.fn(a, 0, a->cf.arg);
	rbpane_free(a->rb);
	a->rb = NULL;
	free(a->q.query);
	free(a->q.range);
	free(a->q.group_by);
	buf_free(&a->pr.text);
	buf_free(&a->pr.needle);
	free(a->pr.saved);
	for (i = 0; i < sizeof a->hists / sizeof a->hists[0]; i++)
		history_free(&a->hists[i]);
	for (k = 0; k < 2; k++)
		history_free(&a->jhist[k]);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->fields_mu);
	pthread_cond_destroy(&a->cv);
}

int
app_run(struct backend *b, const struct app_opts *o, struct ld_err *err)
{
	struct app app, *a = &app;
	struct pollfd pfd[3];
	int key, sig, redraw, nosusp, timeout, i, rc;

	memset(a, 0, sizeof *a);
	a->b = b;
	a->o = o;
	err_clear(err);
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->fields_mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (pipe(a->pipe_fd) == -1)
		fatal("pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		fcntl(a->pipe_fd[i], F_SETFD, FD_CLOEXEC);
	fcntl(a->pipe_fd[0], F_SETFL, O_NONBLOCK);
	if ((rc = check_opts(a, o, err)) != 0 ||
	    (rc = tui_init(o->ascii, err)) != 0) {
		app_free(a);
		return rc;
	}
	a->t0 = time_mono();
	/* the first refresh during a load comes sooner than the next ones */
	a->last_dash_refresh = a->t0 - LOAD_REFRESH_NS * 3 / 4;
	a->dirty = a->full = 1;
	atomic_store(&b->cancel, 0);
	atomic_store(&b->cancel_load, 0);
	app_push(a, dashboard_new(a));
	start_thread(a, &a->loader, loader_main);
	start_thread(a, &a->worker, worker_main);
	start_thread(a, &a->filer, files_main);
	journal_start(a);
	/* -p: the preset's view; -r: the runbook, at its first step */
	if (o->preset_name != NULL && o->runbook == NULL) {
		char what[PRESET_NAME_MAX + 16];

		snprintf(what, sizeof what, "preset %s", o->preset_name);
		preset_open_view(a, o->view, o->panel, o->sort, o->sort_given,
		    o->above, o->limit, o->preset_name, what);
	}
	if (o->runbook != NULL)
		app_runbook_open(a, o->runbook, 0);

	while (!a->quit) {
		if (a->dirty) {
			a->dirty = 0;
			draw_all(a);
		}
		timeout = (app_loading(a) || any_busy(a) ||
		    (a->msg[0] != '\0' && !a->msg_err)) ? TICK_MS : 1000;
		pfd[0].fd = tui_key_fd();
		pfd[1].fd = tui_signal_fd();
		pfd[2].fd = a->pipe_fd[0];
		for (i = 0; i < 3; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, 3, timeout) == -1 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		redraw = nosusp = 0;
		if ((sig = tui_handle_signals(&redraw, &nosusp)) != 0) {
			a->status = 128 + sig;
			break;
		}
		/* the terminal hung up (the SSH connection or the terminal
		 * window went away) and no SIGHUP came: do not spin on it */
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			a->status = 128 + SIGHUP;
			break;
		}
		if (nosusp)
			no_suspend(a);
		if (redraw)
			a->dirty = a->full = 1;
		handle_msgs(a);
		while (!a->quit && (key = tui_read_key()) != K_NONE)
			handle_key(a, key);
		timers(a);
		if (app_loading(a) || any_busy(a))
			a->dirty = 1;	/* spinner and progress */
	}
	shutdown_threads(a);
	tui_done();
	app_free(a);
	return a->status;
}
