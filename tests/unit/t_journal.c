/* The journal: schema and migration, current investigation, entries,
 * history, export (exact text), two processes writing at once, and
 * databases refused untouched (newer, damaged, someone else's). */
#include "config.h"
#include "tests/unit/tap.h"
#include "queries/journal.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/t_journal_XXXXXX";

#define T0	(INT64_C(1772161200) * NS_PER_SEC)	/* 2026-02-27T03:00:00Z */
#define MIN	(60 * NS_PER_SEC)

static char *
path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* The file's bytes (caller frees), *n its size. */
static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	b = xmalloc(*n + 1);
	*n = fread(b, 1, *n, f);
	fclose(f);
	return b;
}

static char *
export_text(struct journal *j, int64_t id, int md)
{
	char *s = NULL;
	size_t n = 0;
	struct ld_err err;
	FILE *f = open_memstream(&s, &n);
	journal_export(j, id, md, f, &err);
	fclose(f);
	return s;
}

static int64_t
count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_basics(void)
{
	struct journal *j;
	struct ld_err err;
	int64_t a, b, c;
	char *p = path_of("state/logdive/journal.db");

	err_clear(&err);
	ok(journal_open(p, &j, &err) == LD_OK, "a new journal, its folders created: %s", err.msg);
	ok(count(p, "PRAGMA user_version") == JOURNAL_VERSION, "user_version is %d",
	    JOURNAL_VERSION);
	ok(count(p, "PRAGMA application_id") == JOURNAL_APP_ID, "application_id set");
	ok(count(p, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1,
	    "WAL mode");

	ok(journal_current(j, "first", T0, &a, &err) == LD_OK && a == 1,
	    "no investigation yet: one starts");
	ok(journal_current(j, "second", T0 + 5 * MIN, &b, &err) == LD_OK && b == a,
	    "within the idle time: the same");
	ok(journal_add(j, a, T0 + 60 * MIN, JK_NOTE, "x", NULL, &err) == LD_OK, "an entry");
	ok(journal_current(j, "third", T0 + 60 * MIN + JOURNAL_IDLE - 1, &b, &err) == LD_OK &&
	    b == a, "idle time counts from the last entry");
	ok(journal_current(j, "fourth", T0 + 60 * MIN + JOURNAL_IDLE, &c, &err) == LD_OK &&
	    c == 2, "after the idle time: a new one");
	ok(journal_new(j, "fifth", T0, &c, &err) == LD_OK && c == 3, "journal_new: id 3");
	ok(journal_current(j, "sixth", T0, &b, &err) == LD_OK && b == 3,
	    "the new one is current");
	ok(journal_add(j, 99, T0, JK_NOTE, "x", NULL, &err) == LD_NOMATCH,
	    "an entry for no investigation is refused");
	ok(journal_add(j, 3, T0, JK_NOTE, "x", "[1]", &err) == LD_EUSAGE,
	    "a detail that is not an object is refused");

	struct journal_inv *v;
	size_t n;
	ok(journal_list(j, &v, &n, &err) == LD_OK && n == 3 && v[0].id == 3 &&
	    strcmp(v[2].title, "first") == 0 && v[2].nentries == 1,
	    "list: newest first, with entry counts");
	journal_inv_free(v, n);
	journal_close(j);

	ok(journal_open(p, &j, &err) == LD_OK, "opens again (no migration)");
	journal_close(j);
	free(p);
}

static void
test_export(void)
{
	struct journal *j;
	struct ld_err err;
	int64_t id;
	char *p = path_of("export.db");

	journal_open(p, &j, &err);
	journal_new(j, "p99 latency | canary", T0, &id, &err);
	journal_add(j, id, T0, JK_SOURCE, "es+https://bob:hunter2@es:9200/ml-*?api_key=s3cret",
	    NULL, &err);
	journal_add(j, id, T0, JK_SOURCE, "es+https://bob:hunter2@es:9200/ml-*?api_key=s3cret",
	    NULL, &err);
	journal_add(j, id, T0 + 1 * MIN, JK_QUERY, "error.message:*OOM* and `x` | y", NULL, &err);
	journal_add(j, id, T0 + 2 * MIN, JK_RANGE, "now-1h..now", NULL, &err);
	journal_add(j, id, T0 + 3 * MIN, JK_TRACE, "corr-1: 5 records", "{\"n\": 5}", &err);
	journal_add(j, id, T0 + 4 * MIN, JK_FINDING, "canary *3.3.0* OOMs\x1b[2J", NULL, &err);

	char *md = export_text(j, 0, 1);
	is_str(md,
	    "# Investigation 1: p99 latency \\| canary\n"
	    "\n"
	    "Started 2026-02-27T03:00:00Z, last entry 2026-02-27T03:04:00Z, 5 entries.\n"
	    "Sources: `es+https://es:9200/ml-*?api_key=***`.\n"
	    "\n"
	    "## Findings\n"
	    "\n"
	    "- 2026-02-27T03:04:00Z canary \\*3.3.0\\* OOMs\\\\e\\[2J\n"
	    "\n"
	    "## Timeline\n"
	    "\n"
	    "| Time (UTC) | Event | Detail |\n"
	    "|---|---|---|\n"
	    "| 2026-02-27T03:00:00Z | source | `es+https://es:9200/ml-*?api_key=***` |\n"
	    "| 2026-02-27T03:01:00Z | query | `` error.message:*OOM* and `x` \\| y `` |\n"
	    "| 2026-02-27T03:02:00Z | range | `now-1h..now` |\n"
	    "| 2026-02-27T03:03:00Z | trace | corr-1: 5 records |\n"
	    "| 2026-02-27T03:04:00Z | finding | canary \\*3.3.0\\* OOMs\\\\e\\[2J |\n",
	    "Markdown export: findings first, a timeline; credentials redacted, a repeated "
	    "source once, Markdown and escapes made literal");
	free(md);
	char *js = export_text(j, id, 0);
	is_str(js,
	    "{\n"
	    "  \"logdive_journal\": 1,\n"
	    "  \"id\": 1,\n"
	    "  \"title\": \"p99 latency | canary\",\n"
	    "  \"started\": \"2026-02-27T03:00:00Z\",\n"
	    "  \"updated\": \"2026-02-27T03:04:00Z\",\n"
	    "  \"entries\": [\n"
	    "    {\n"
	    "      \"t\": \"2026-02-27T03:00:00Z\",\n"
	    "      \"kind\": \"source\",\n"
	    "      \"text\": \"es+https://es:9200/ml-*?api_key=***\",\n"
	    "      \"detail\": null\n"
	    "    },\n"
	    "    {\n"
	    "      \"t\": \"2026-02-27T03:01:00Z\",\n"
	    "      \"kind\": \"query\",\n"
	    "      \"text\": \"error.message:*OOM* and `x` | y\",\n"
	    "      \"detail\": null\n"
	    "    },\n"
	    "    {\n"
	    "      \"t\": \"2026-02-27T03:02:00Z\",\n"
	    "      \"kind\": \"range\",\n"
	    "      \"text\": \"now-1h..now\",\n"
	    "      \"detail\": null\n"
	    "    },\n"
	    "    {\n"
	    "      \"t\": \"2026-02-27T03:03:00Z\",\n"
	    "      \"kind\": \"trace\",\n"
	    "      \"text\": \"corr-1: 5 records\",\n"
	    "      \"detail\": {\n"
	    "        \"n\": 5\n"
	    "      }\n"
	    "    },\n"
	    "    {\n"
	    "      \"t\": \"2026-02-27T03:04:00Z\",\n"
	    "      \"kind\": \"finding\",\n"
	    "      \"text\": \"canary *3.3.0* OOMs\\u001B[2J\",\n"
	    "      \"detail\": null\n"
	    "    }\n"
	    "  ]\n"
	    "}\n", "JSON export");
	free(js);
	size_t n;
	char *raw = slurp(p, &n);
	ok(raw && memmem(raw, n, "hunter2", 7) == NULL && memmem(raw, n, "s3cret", 6) == NULL,
	    "no credential in the database file");
	free(raw);
	raw = path_of("export.db-wal");
	char *wal = slurp(raw, &n);
	ok(wal == NULL || (memmem(wal, n, "hunter2", 7) == NULL &&
	    memmem(wal, n, "s3cret", 6) == NULL), "nor in its WAL");
	free(wal);
	free(raw);
	ok(journal_export(j, 7, 1, stdout, &err) == LD_NOMATCH, "export of no investigation: "
	    "not found");

	/* history: distinct, most recent first; search */
	journal_add(j, id, T0, JK_QUERY, "service:api", NULL, &err);
	journal_add(j, id, T0, JK_QUERY, "latency_ms > 500", NULL, &err);
	journal_add(j, id, T0, JK_QUERY, "service:api", NULL, &err);
	journal_history_add(j, JH_RANGE, "15m", T0, &err);
	char **h;
	size_t nh;
	ok(journal_history(j, JH_QUERY, NULL, 0, &h, &nh, &err) == LD_OK && nh == 3 &&
	    strcmp(h[0], "service:api") == 0 && strcmp(h[1], "latency_ms > 500") == 0 &&
	    strcmp(h[2], "error.message:*OOM* and `x` | y") == 0,
	    "query history: distinct, most recent first");
	for (size_t i = 0; i < nh; i++)
		free(h[i]);
	free(h);
	ok(journal_history(j, JH_QUERY, "LATENCY", 0, &h, &nh, &err) == LD_OK && nh == 1 &&
	    strcmp(h[0], "latency_ms > 500") == 0, "search, case-insensitive");
	for (size_t i = 0; i < nh; i++)
		free(h[i]);
	free(h);
	ok(journal_history(j, JH_RANGE, NULL, 1, &h, &nh, &err) == LD_OK && nh == 1 &&
	    strcmp(h[0], "15m") == 0, "range history, limited to 1");
	for (size_t i = 0; i < nh; i++)
		free(h[i]);
	free(h);
	journal_close(j);
	free(p);
}

/* Two processes add entries at the same time: none is lost. */
static void
test_concurrent(void)
{
	char *p = path_of("two.db");
	struct journal *j;
	struct ld_err err;
	int64_t id;
	pid_t kid[2];
	const int N = 300;

	journal_open(p, &j, &err);
	journal_new(j, "shared", T0, &id, &err);
	journal_close(j);
	for (int k = 0; k < 2; k++) {
		if ((kid[k] = fork()) == 0) {
			struct journal *jj;
			int bad = journal_open(p, &jj, &err) != LD_OK;
			for (int i = 0; i < N && !bad; i++)
				bad = journal_add(jj, id, T0 + i, JK_NOTE, k ? "b" : "a", NULL,
				    &err) != LD_OK ||
				    journal_history_add(jj, JH_QUERY, k ? "qb" : "qa", T0, &err) !=
				    LD_OK;
			if (bad)
				fprintf(stderr, "child %d: %s\n", k, err.msg);
			journal_close(jj);
			free(p);
			_exit(bad);
		}
	}
	int st0, st1;
	waitpid(kid[0], &st0, 0);
	waitpid(kid[1], &st1, 0);
	ok(WIFEXITED(st0) && WEXITSTATUS(st0) == 0 && WIFEXITED(st1) &&
	    WEXITSTATUS(st1) == 0, "two processes wrote %d entries each without an error", N);
	ok(count(p, "SELECT count(*) FROM entry WHERE text = 'a'") == N &&
	    count(p, "SELECT count(*) FROM entry WHERE text = 'b'") == N &&
	    count(p, "SELECT count(*) FROM history") == 2 * N, "every entry is there");
	free(p);
}

/* Open path: refused with a message containing want, the bytes unchanged. */
static void
refused(const char *path, const char *want, const char *what)
{
	struct journal *j = NULL;
	struct ld_err err;
	size_t n0, n1;
	char *before = slurp(path, &n0), *after;

	err_clear(&err);
	int rc = journal_open(path, &j, &err);
	after = slurp(path, &n1);
	ok(rc == LD_EUSAGE && j == NULL, "%s: refused", what);
	ok(strstr(err.msg, want) != NULL && strchr(err.msg, '\n') == NULL,
	    "%s: one line saying so: %s", what, err.msg);
	ok(before && after && n0 == n1 && memcmp(before, after, n0) == 0,
	    "%s: the file is unchanged", what);
	free(before);
	free(after);
}

static void
test_refused(void)
{
	char *p, *w;
	sqlite3 *db;
	FILE *f;

	/* newer: ours, user_version 2 */
	p = path_of("newer.db");
	sqlite3_open(p, &db);
	w = xasprintf("CREATE TABLE investigation(id INTEGER PRIMARY KEY, future BLOB);"
	    "PRAGMA application_id=%d; PRAGMA user_version=2", JOURNAL_APP_ID);
	sqlite3_exec(db, w, NULL, NULL, NULL);
	free(w);
	sqlite3_close(db);
	w = xasprintf("journal %s: version 2 is newer than this logdive reads (1): upgrade "
	    "logdive (the file is left as it is)", p);
	refused(p, w, "a newer journal");
	free(w);
	free(p);

	/* not SQLite */
	p = path_of("garbage.db");
	f = fopen(p, "w");
	fputs("this is not a database, but somebody's notes\n", f);
	for (int i = 0; i < 200; i++)
		fputs("0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	refused(p, "not a SQLite database or damaged (file is not a database); logdive "
	    "leaves it as it is", "a file that is not SQLite");
	free(p);

	/* damaged: a valid header, a page overwritten */
	p = path_of("damaged.db");
	{
		struct journal *j;
		struct ld_err err;
		int64_t id;
		journal_open(p, &j, &err);
		journal_new(j, "x", T0, &id, &err);
		for (int i = 0; i < 200; i++)
			journal_add(j, id, T0, JK_NOTE, "some text to fill a few pages of the "
			    "journal so that one of them can be damaged", NULL, &err);
		journal_close(j);
		sqlite3_open(p, &db);
		sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
		sqlite3_close(db);
		f = fopen(p, "r+b");
		fseek(f, 4096, SEEK_SET);	/* pages 2 to 4: b-tree pages */
		for (int i = 0; i < 3 * 4096; i++)
			fputc(0xA5, f);
		fclose(f);
	}
	refused(p, "damaged", "a damaged journal");
	free(p);

	/* another program's database */
	p = path_of("foreign.db");
	sqlite3_open(p, &db);
	sqlite3_exec(db, "CREATE TABLE notes(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	refused(p, "not a logdive journal (left as it is)", "another program's database");
	free(p);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_basics();
	test_export();
	test_concurrent();
	test_refused();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
