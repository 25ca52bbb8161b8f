#include "config.h"
#include "queries/journal.h"
#include "backends/http.h"
#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HISTORY_KEEP	10000	/* entries of each history kind kept */

struct journal {
	sqlite3	*db;
	char	*path;
};

/* Migration i takes user_version i to i + 1. Never edit a released one:
 * add the next. */
static const char *const migrations[JOURNAL_VERSION] = {
	"CREATE TABLE investigation ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE TABLE entry ("
	"  id INTEGER PRIMARY KEY,"
	"  investigation INTEGER NOT NULL REFERENCES investigation(id),"
	"  t INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX entry_by_investigation ON entry(investigation, t, id);"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  t INTEGER NOT NULL);"
	"CREATE INDEX history_by_kind ON history(kind, id);",
};

static const char *const kind_names[] = { "source", "query", "range", "preset", "panels",
	"requests", "record", "trace", "runbook", "step", "finding", "note" };
static const char *const hist_names[] = { "query", "range" };

const char *
journal_kind_name(enum journal_kind k)
{
	return kind_names[k];
}

char *
journal_default_path(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (x && *x)
		return xasprintf("%s/logdive/journal.db", x);
	if (home && *home)
		return xasprintf("%s/.local/state/logdive/journal.db", home);
	return NULL;
}

const char *
journal_path(const struct journal *j)
{
	return j->path;
}

static int
db_err(struct journal *j, const char *what, struct ld_err *err)
{
	return err_set(err, LD_EUSAGE, "journal %s: %s: %s", j->path, what,
	    sqlite3_errmsg(j->db));
}

/* One integer from sql; *rc gets the SQLite result. */
static int64_t
one_int(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if ((*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return 0;
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		*rc = SQLITE_OK;
	} else if (*rc == SQLITE_DONE)
		*rc = SQLITE_OK;
	else
		*rc = sqlite3_errcode(db);
	sqlite3_finalize(st);
	return v;
}

static int
mkdirs(const char *dir, mode_t mode)
{
	char *s = xstrdup(dir);
	int rc = 0;

	for (char *p = s + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, mode) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(s, mode) != 0 && errno != EEXIST)
		rc = -1;
	free(s);
	return rc;
}

/* Whether the database is one this logdive may write: ours and not newer,
 * or empty. Reads only. */
static int
check_db(struct journal *j, int64_t *ver, struct ld_err *err)
{
	int rc;
	int64_t app = one_int(j->db, "PRAGMA application_id", &rc);

	if (rc == SQLITE_OK)
		*ver = one_int(j->db, "PRAGMA user_version", &rc);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return err_set(err, LD_EUSAGE, "journal %s: not a SQLite database or damaged "
		    "(%s); logdive leaves it as it is: move it away to start a new one", j->path,
		    sqlite3_errstr(rc));
	if (rc != SQLITE_OK)
		return db_err(j, "cannot read it", err);
	if (*ver > JOURNAL_VERSION && (app == JOURNAL_APP_ID || app == 0))
		return err_set(err, LD_EUSAGE, "journal %s: version %lld is newer than this "
		    "logdive reads (%d): upgrade logdive (the file is left as it is)", j->path,
		    (long long)*ver, JOURNAL_VERSION);
	int64_t ntab = one_int(j->db, "SELECT count(*) FROM sqlite_master", &rc);
	if (rc == SQLITE_OK && (app != 0 ? app != JOURNAL_APP_ID : ntab != 0 || *ver != 0))
		return err_set(err, LD_EUSAGE, "journal %s: not a logdive journal (left as it "
		    "is): move it away or set XDG_STATE_HOME", j->path);
	if (rc == SQLITE_OK && ntab != 0) {
		sqlite3_stmt *st;
		rc = sqlite3_prepare_v2(j->db, "PRAGMA quick_check(1)", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			const char *r = (const char *)sqlite3_column_text(st, 0);
			int good = rc == SQLITE_ROW && r && strcmp(r, "ok") == 0;
			char what[160], *nl;
			snprintf(what, sizeof what, "%s", r ? r : sqlite3_errmsg(j->db));
			/* quick_check's first line is "*** in database main ***" */
			if (strncmp(what, "*** ", 4) == 0 && (nl = strchr(what, '\n')) != NULL)
				memmove(what, nl + 1, strlen(nl + 1) + 1);
			while ((nl = strchr(what, '\n')) != NULL)
				*nl = ' ';
			sqlite3_finalize(st);
			if (!good)
				return err_set(err, LD_EUSAGE, "journal %s: damaged (%s); logdive "
				    "leaves it as it is: move it away to start a new one", j->path,
				    what);
			rc = SQLITE_OK;
		}
	}
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return err_set(err, LD_EUSAGE, "journal %s: not a SQLite database or damaged "
		    "(%s); logdive leaves it as it is: move it away to start a new one", j->path,
		    sqlite3_errstr(rc));
	if (rc != SQLITE_OK)
		return db_err(j, "cannot read it", err);
	return LD_OK;
}

/* Bring the schema to JOURNAL_VERSION in one transaction. */
static int
migrate(struct journal *j, struct ld_err *err)
{
	char sql[128];
	int64_t ver;
	int rc;

	if (sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(j, "cannot lock it", err);
	/* another process may have migrated it meanwhile */
	if ((rc = check_db(j, &ver, err)) != LD_OK) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	for (int64_t v = ver; v < JOURNAL_VERSION; v++) {
		if (sqlite3_exec(j->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
			rc = db_err(j, "cannot create its tables", err);
			sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d",
	    JOURNAL_APP_ID, JOURNAL_VERSION);
	if (ver < JOURNAL_VERSION && sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(j, "cannot set its version", err);
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(j, "cannot write it", err);
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return LD_OK;
}

int
journal_open(const char *path, struct journal **out, struct ld_err *err)
{
	struct journal *j;
	int64_t ver = 0;
	char *dir, *slash;
	int rc;

	*out = NULL;
	j = xcalloc(1, sizeof *j);
	j->path = path ? xstrdup(path) : journal_default_path();
	if (j->path == NULL) {
		free(j);
		return err_set(err, LD_EUSAGE, "no place for the journal: set XDG_STATE_HOME "
		    "or HOME (or use --no-journal)");
	}
	dir = xstrdup(j->path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdirs(dir, 0700) != 0) {
			rc = err_set(err, LD_EUSAGE, "cannot create %s for the journal: %s", dir,
			    strerror(errno));
			free(dir);
			goto fail;
		}
	}
	free(dir);
	if (sqlite3_open_v2(j->path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = db_err(j, "cannot open it", err);
		goto fail;
	}
	sqlite3_busy_timeout(j->db, JOURNAL_BUSY_MS);
	/* reads only, before anything could write */
	if ((rc = check_db(j, &ver, err)) != LD_OK)
		goto fail;
	if (ver < JOURNAL_VERSION && (rc = migrate(j, err)) != LD_OK)
		goto fail;
	/* WAL: readers never block the writer; a failure (a file system
	 * without shared memory) leaves the rollback journal, which works. */
	sqlite3_exec(j->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL,
	    NULL);
	*out = j;
	return LD_OK;
fail:
	journal_close(j);
	return rc;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	sqlite3_close(j->db);
	free(j->path);
	free(j);
}

/* ---- writing ---- */

static int
begin(struct journal *j, struct ld_err *err)
{
	if (sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(j, "cannot lock it", err);
	return LD_OK;
}

static int
commit(struct journal *j, struct ld_err *err)
{
	if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = db_err(j, "cannot write it", err);
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return LD_OK;
}

static int
rollback(struct journal *j, const char *what, struct ld_err *err)
{
	int rc = db_err(j, what, err);
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Run sql with the bound values ("i" int64, "s" text or NULL), no rows. */
static int
run(struct journal *j, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	if ((rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int
insert_investigation(struct journal *j, const char *title, int64_t now, int64_t *id)
{
	int rc = run(j, "INSERT INTO investigation(title, started, updated) VALUES(?, ?, ?)",
	    "sii", title, now, now);
	if (rc == SQLITE_OK)
		*id = sqlite3_last_insert_rowid(j->db);
	return rc;
}

int
journal_new(struct journal *j, const char *title, int64_t now, int64_t *id,
    struct ld_err *err)
{
	int rc;

	if ((rc = begin(j, err)) != LD_OK)
		return rc;
	if (insert_investigation(j, title, now, id) != SQLITE_OK)
		return rollback(j, "cannot start an investigation", err);
	return commit(j, err);
}

int
journal_current(struct journal *j, const char *title, int64_t now, int64_t *id,
    struct ld_err *err)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((rc = begin(j, err)) != LD_OK)
		return rc;
	if (sqlite3_prepare_v2(j->db, "SELECT id, updated FROM investigation "
	    "ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return rollback(j, "cannot read it", err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && now - sqlite3_column_int64(st, 1) < JOURNAL_IDLE) {
		*id = sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rollback(j, "cannot read it", err);
	if (!found && insert_investigation(j, title, now, id) != SQLITE_OK)
		return rollback(j, "cannot start an investigation", err);
	return commit(j, err);
}

static int
history_insert(struct journal *j, enum journal_hist h, const char *text, int64_t t)
{
	int rc = run(j, "INSERT INTO history(kind, text, t) VALUES(?, ?, ?)", "ssi",
	    hist_names[h], text, t);
	if (rc == SQLITE_OK)
		rc = run(j, "DELETE FROM history WHERE kind = ?1 AND id <= (SELECT id FROM "
		    "history WHERE kind = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)", "si",
		    hist_names[h], (int64_t)HISTORY_KEEP);
	return rc;
}

/* 1 if the investigation's last source entry is text. */
static int
last_source_is(struct journal *j, int64_t inv, const char *text)
{
	sqlite3_stmt *st;
	int same = 0;

	if (sqlite3_prepare_v2(j->db, "SELECT text FROM entry WHERE investigation = ? AND "
	    "kind = 'source' ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, inv);
	if (sqlite3_step(st) == SQLITE_ROW)
		same = strcmp((const char *)sqlite3_column_text(st, 0), text) == 0;
	sqlite3_finalize(st);
	return same;
}

int
journal_add(struct journal *j, int64_t inv, int64_t t, enum journal_kind k,
    const char *text, const char *detail, struct ld_err *err)
{
	char *red = NULL;
	int rc;

	if (detail != NULL) {
		json_t *o = json_loads(detail, 0, NULL);
		int isobj = json_is_object(o);
		json_decref(o);
		if (!isobj)
			return err_set(err, LD_EUSAGE, "journal: an entry's detail must be a JSON "
			    "object");
	}
	if (k == JK_SOURCE)
		text = red = http_redact_url(text);
	if ((rc = begin(j, err)) != LD_OK)
		goto out;
	if (run(j, "UPDATE investigation SET updated = max(updated, ?) WHERE id = ?", "ii",
	    t, inv) != SQLITE_OK) {
		rc = rollback(j, "cannot write it", err);
		goto out;
	}
	if (sqlite3_changes(j->db) == 0) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		rc = err_set(err, LD_NOMATCH, "journal %s: no investigation %lld", j->path,
		    (long long)inv);
		goto out;
	}
	if (k == JK_SOURCE && last_source_is(j, inv, text)) {
		rc = commit(j, err);
		goto out;
	}
	if (run(j, "INSERT INTO entry(investigation, t, kind, text, detail) "
	    "VALUES(?, ?, ?, ?, ?)", "iisss", inv, t, kind_names[k], text, detail) != SQLITE_OK ||
	    ((k == JK_QUERY || k == JK_RANGE) &&
	    history_insert(j, k == JK_QUERY ? JH_QUERY : JH_RANGE, text, t) != SQLITE_OK)) {
		rc = rollback(j, "cannot write it", err);
		goto out;
	}
	rc = commit(j, err);
out:
	free(red);
	return rc;
}

int
journal_history_add(struct journal *j, enum journal_hist h, const char *text, int64_t t,
    struct ld_err *err)
{
	int rc;

	if ((rc = begin(j, err)) != LD_OK)
		return rc;
	if (history_insert(j, h, text, t) != SQLITE_OK)
		return rollback(j, "cannot write it", err);
	return commit(j, err);
}

/* ---- panels' headline ---- */

static void
fmt_num(char *s, size_t n, double v, int decimals)
{
	if (isnan(v))
		snprintf(s, n, "-");
	else
		snprintf(s, n, "%.*f", decimals, v);
}

struct totals {
	uint64_t hits, cached, errors, invalid, drift_n;
	double	 drift_sum;
};

static void
panels_totals(const struct panels *p, struct totals *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < p->nbuckets; i++) {
		t->hits += p->cache[i].hits;
		t->cached += p->cache[i].total;
		t->errors += p->errors[i].errors;
		t->invalid += p->errors[i].invalid;
		if (p->drift[i].count) {
			t->drift_sum += p->drift[i].mean * (double)p->drift[i].count;
			t->drift_n += p->drift[i].count;
		}
	}
}

char *
journal_panels_headline(const struct panels *p)
{
	struct buf b = BUF_INIT;
	struct totals t;
	char n1[48], n2[48];

	panels_totals(p, &t);
	for (size_t i = 0; i < p->ngroups && i < 4; i++) {
		const struct lat_group *g = &p->groups[i];
		char *k = str_visible(g->key, strlen(g->key), 0);
		fmt_num(n1, sizeof n1, g->p99, 1);
		buf_printf(&b, "%s%s p99 %s ms (n %s)", i ? ", " : "", k, n1,
		    fmt_count(g->count, n2, sizeof n2));
		free(k);
	}
	if (p->ngroups > 4)
		buf_printf(&b, ", %zu more groups", p->ngroups - 4);
	if (p->ngroups == 0)
		buf_adds(&b, "no latency");
	fmt_num(n1, sizeof n1, p->conf_mean, 4);
	buf_printf(&b, "; confidence %s", n1);
	fmt_num(n1, sizeof n1, t.cached ? 100.0 * (double)t.hits / (double)t.cached : NAN, 1);
	buf_printf(&b, "; cache hit %s%s", n1, t.cached ? "%" : "");
	buf_printf(&b, "; errors %llu", (unsigned long long)t.errors);
	if (t.invalid)
		buf_printf(&b, " (invalid lines %llu)", (unsigned long long)t.invalid);
	fmt_num(n1, sizeof n1, t.drift_n ? t.drift_sum / (double)t.drift_n : NAN, 3);
	buf_printf(&b, "; drift %s", n1);
	if (p->note)
		buf_printf(&b, "; partial: %s", p->note);
	return buf_detach(&b);
}

/* A JSON string of s; text that is not UTF-8 gets its bytes escaped. */
static json_t *
jstr(const char *s)
{
	json_t *v = json_string(s);
	if (v == NULL) {
		char *vis = str_visible(s, strlen(s), 0);
		v = json_string(vis);
		free(vis);
	}
	return v ? v : json_string("");
}

static json_t *
num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
iso_time(int64_t t)
{
	char s[48];
	return json_string(time_format_iso(t, -1, s, sizeof s));
}

int
journal_add_panels(struct journal *j, int64_t inv, int64_t t, const char *what,
    const struct panels *p, struct ld_err *err)
{
	struct totals tt;
	json_t *d = json_object(), *groups = json_array();
	char *head, *text, *detail, rs[96], bs[32];
	int rc;

	panels_totals(p, &tt);
	range_format(&p->range, rs, sizeof rs);
	duration_format(p->bucket, bs, sizeof bs);
	json_object_set_new(d, "range", json_string(rs));
	json_object_set_new(d, "bucket", json_string(bs));
	json_object_set_new(d, "group_by", p->group_by ? jstr(p->group_by) :
	    json_null());
	json_object_set_new(d, "exact", json_boolean(p->exact));
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct lat_group *g = &p->groups[i];
		json_array_append_new(groups, json_pack("{s:o, s:I, s:o, s:o, s:o}", "key",
		    jstr(g->key), "count", (json_int_t)g->count, "p50", num_or_null(g->p50),
		    "p95", num_or_null(g->p95), "p99", num_or_null(g->p99)));
	}
	json_object_set_new(d, "groups", groups);
	json_object_set_new(d, "confidence_mean", num_or_null(p->conf_mean));
	json_object_set_new(d, "cache_hit_rate", tt.cached ?
	    json_real((double)tt.hits / (double)tt.cached) : json_null());
	json_object_set_new(d, "errors", json_integer((json_int_t)tt.errors));
	json_object_set_new(d, "invalid", json_integer((json_int_t)tt.invalid));
	json_object_set_new(d, "drift_mean", tt.drift_n ?
	    json_real(tt.drift_sum / (double)tt.drift_n) : json_null());
	detail = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(d);
	head = journal_panels_headline(p);
	text = xasprintf("%s, by %s, %s: %s", what, p->group_by ? p->group_by : "-", rs, head);
	rc = journal_add(j, inv, t, JK_PANELS, text, detail, err);
	free(head);
	free(text);
	free(detail);
	return rc;
}

/* ---- reading ---- */

int
journal_history(struct journal *j, enum journal_hist h, const char *needle,
    size_t limit, char ***out, size_t *n, struct ld_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(j->db, "SELECT text FROM history WHERE kind = ?1 AND "
	    "(?2 IS NULL OR instr(lower(text), lower(?2)) > 0) GROUP BY text "
	    "ORDER BY max(id) DESC LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
		return db_err(j, "cannot read it", err);
	sqlite3_bind_text(st, 1, hist_names[h], -1, SQLITE_STATIC);
	if (needle)
		sqlite3_bind_text(st, 2, needle, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : 100);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < *n; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
		return db_err(j, "cannot read it", err);
	}
	return LD_OK;
}

void
journal_inv_free(struct journal_inv *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].title);
	free(v);
}

int
journal_list(struct journal *j, struct journal_inv **out, size_t *n, struct ld_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(j->db, "SELECT i.id, i.title, i.started, i.updated, "
	    "(SELECT count(*) FROM entry e WHERE e.investigation = i.id) "
	    "FROM investigation i ORDER BY i.id DESC", -1, &st, NULL) != SQLITE_OK)
		return db_err(j, "cannot read it", err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		struct journal_inv *v = &(*out)[(*n)++];
		v->id = sqlite3_column_int64(st, 0);
		v->title = xstrdup((const char *)sqlite3_column_text(st, 1));
		v->started = sqlite3_column_int64(st, 2);
		v->updated = sqlite3_column_int64(st, 3);
		v->nentries = (size_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		journal_inv_free(*out, *n);
		*out = NULL;
		*n = 0;
		return db_err(j, "cannot read it", err);
	}
	return LD_OK;
}

struct entry {
	int64_t	 t;
	char	*kind, *text, *detail;
};

static void
entries_free(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].kind);
		free(e[i].text);
		free(e[i].detail);
	}
	free(e);
}

static int
read_entries(struct journal *j, int64_t id, struct entry **out, size_t *n,
    struct ld_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(j->db, "SELECT t, kind, text, detail FROM entry WHERE "
	    "investigation = ? ORDER BY t, id", -1, &st, NULL) != SQLITE_OK)
		return db_err(j, "cannot read it", err);
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		struct entry *e = &(*out)[(*n)++];
		const char *d = (const char *)sqlite3_column_text(st, 3);
		e->t = sqlite3_column_int64(st, 0);
		e->kind = xstrdup((const char *)sqlite3_column_text(st, 1));
		e->text = xstrdup((const char *)sqlite3_column_text(st, 2));
		e->detail = d ? xstrdup(d) : NULL;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		entries_free(*out, *n);
		*out = NULL;
		*n = 0;
		return db_err(j, "cannot read it", err);
	}
	return LD_OK;
}

/* Entries whose text is code (a query, a source...) rather than prose. */
static int
is_code_kind(const char *k)
{
	return strcmp(k, "source") == 0 || strcmp(k, "query") == 0 ||
	    strcmp(k, "range") == 0 || strcmp(k, "preset") == 0;
}

static void
export_md(const struct journal_inv *inv, const struct entry *e, size_t n, FILE *out)
{
	struct buf b = BUF_INIT;
	char t1[48], t2[48];
	size_t nsrc = 0, nfind = 0;

	buf_printf(&b, "# Investigation %lld: ", (long long)inv->id);
	md_text(&b, inv->title);
	buf_printf(&b, "\n\nStarted %s, last entry %s, %zu %s.\n",
	    time_format_iso(inv->started, -1, t1, sizeof t1),
	    time_format_iso(inv->updated, -1, t2, sizeof t2), n, n == 1 ? "entry" : "entries");
	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		if (strcmp(e[i].kind, "source") != 0)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = strcmp(e[k].kind, "source") == 0 && strcmp(e[k].text, e[i].text) == 0;
		if (dup)
			continue;
		buf_adds(&b, nsrc++ ? ", " : "Sources: ");
		md_code(&b, e[i].text);
	}
	if (nsrc)
		buf_adds(&b, ".\n");
	buf_adds(&b, "\n## Findings\n\n");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].kind, "finding") != 0)
			continue;
		buf_printf(&b, "- %s ", time_format_iso(e[i].t, -1, t1, sizeof t1));
		md_text(&b, e[i].text);
		buf_addc(&b, '\n');
		nfind++;
	}
	if (nfind == 0)
		buf_adds(&b, "None recorded.\n");
	buf_adds(&b, "\n## Timeline\n\n| Time (UTC) | Event | Detail |\n|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "| %s | %s | ", time_format_iso(e[i].t, -1, t1, sizeof t1),
		    e[i].kind);
		if (is_code_kind(e[i].kind))
			md_code(&b, e[i].text);
		else
			md_text(&b, e[i].text);
		buf_adds(&b, " |\n");
	}
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

static void
export_json(const struct journal_inv *inv, const struct entry *e, size_t n, FILE *out)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "logdive_journal", json_integer(JOURNAL_VERSION));
	json_object_set_new(o, "id", json_integer(inv->id));
	json_object_set_new(o, "title", jstr(inv->title));
	json_object_set_new(o, "started", iso_time(inv->started));
	json_object_set_new(o, "updated", iso_time(inv->updated));
	for (size_t i = 0; i < n; i++) {
		json_t *d = e[i].detail ? json_loads(e[i].detail, 0, NULL) : NULL;
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o}", "t", iso_time(e[i].t),
		    "kind", jstr(e[i].kind), "text", jstr(e[i].text), "detail", d ? d : json_null()));
	}
	json_object_set_new(o, "entries", a);
	json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(o);
}

int
journal_export(struct journal *j, int64_t id, int md, FILE *out, struct ld_err *err)
{
	struct journal_inv *all, *inv = NULL;
	struct entry *e;
	size_t n, ne;
	int rc;

	if ((rc = journal_list(j, &all, &n, err)) != LD_OK)
		return rc;
	for (size_t i = 0; i < n && inv == NULL; i++)
		if (id == 0 || all[i].id == id)
			inv = &all[i];
	if (inv == NULL) {
		rc = id ? err_set(err, LD_NOMATCH, "journal %s: no investigation %lld "
		    "(logdive journal list shows them)", j->path, (long long)id) :
		    err_set(err, LD_NOMATCH, "journal %s: no investigation yet (logdive "
		    "journal new TITLE starts one)", j->path);
		journal_inv_free(all, n);
		return rc;
	}
	if ((rc = read_entries(j, inv->id, &e, &ne, err)) == LD_OK) {
		if (md)
			export_md(inv, e, ne, out);
		else
			export_json(inv, e, ne, out);
		entries_free(e, ne);
	}
	journal_inv_free(all, n);
	return rc;
}
