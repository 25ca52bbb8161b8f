/* The investigation journal and the query/range history (DESIGN §8, issue
 * 5 §3): SQLite at $XDG_STATE_HOME/logdive/journal.db (default
 * ~/.local/state/logdive/journal.db).
 *
 * Schema version JOURNAL_VERSION in PRAGMA user_version, PRAGMA
 * application_id JOURNAL_APP_ID; migrations run in one BEGIN IMMEDIATE
 * transaction. WAL mode and a busy timeout let several logdive processes
 * write at once. A database that is newer, not SQLite, damaged (PRAGMA
 * quick_check) or someone else's is refused and never written to.
 *
 *   investigation(id, title, started, updated)	times: ns since the epoch, UTC
 *   entry(id, investigation, t, kind, text, detail)	detail: JSON object or NULL
 *   history(id, kind, text, t)			kind "query" or "range"
 *
 * Entries go to the current investigation: the newest one, unless its
 * last entry is older than JOURNAL_IDLE (then a new one starts). Nothing
 * is stored with credentials: a source that is a URL is stored redacted
 * (http_redact_url). No curses. Not thread-safe: one struct journal per
 * thread. */
#ifndef LD_JOURNAL_H
#define LD_JOURNAL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/err.h"
#include "queries/panels.h"

#define JOURNAL_VERSION	1
#define JOURNAL_APP_ID	0x4c444a4e	/* "LDJN" */
#define JOURNAL_IDLE	(INT64_C(8) * 3600 * INT64_C(1000000000))	/* ns */
#define JOURNAL_BUSY_MS	5000

/* What an entry records; stored by name (journal_kind_name). */
enum journal_kind {
	JK_SOURCE,	/* a source opened (as typed, URLs redacted) */
	JK_QUERY,	/* a query run (also kept in the history) */
	JK_RANGE,	/* a time range (also kept in the history) */
	JK_PRESET,	/* a preset applied */
	JK_PANELS,	/* panels viewed: headline figures, detail has them all */
	JK_REQUESTS,	/* a list of requests viewed */
	JK_RECORD,	/* one record opened */
	JK_TRACE,	/* a trace opened */
	JK_RUNBOOK,	/* a runbook started */
	JK_STEP,	/* a runbook step done */
	JK_FINDING,	/* a finding written by the engineer */
	JK_NOTE		/* anything else */
};
enum journal_hist { JH_QUERY, JH_RANGE };

/* "source", "query", ... (static). */
const char *journal_kind_name(enum journal_kind k);

struct journal;

/* $XDG_STATE_HOME/logdive/journal.db, else ~/.local/state/logdive/
 * journal.db; NULL if neither variable is set. Caller frees. */
char	*journal_default_path(void);

/* Open (creating it and its directory if missing, then migrating) the
 * journal at path (NULL: the default). Errors, LD_EUSAGE, one line naming
 * the file; the file is left as it was: "...: version N is newer than this
 * logdive reads (1): upgrade logdive", "...: not a SQLite database or
 * damaged (...)", "...: not a logdive journal", cannot create. *out is the
 * caller's (journal_close). */
int	journal_open(const char *path, struct journal **out, struct ld_err *err);
void	journal_close(struct journal *j);
/* The file open (borrowed). */
const char *journal_path(const struct journal *j);

/* Start an investigation titled title at now (ns); it becomes the
 * current one. *id gets its id (> 0). */
int	journal_new(struct journal *j, const char *title, int64_t now, int64_t *id,
	    struct ld_err *err);
/* The current investigation's id, starting one titled title when there is
 * none or the newest is idle (last entry before now - JOURNAL_IDLE). One
 * transaction: two processes do not both start one. */
int	journal_current(struct journal *j, const char *title, int64_t now, int64_t *id,
	    struct ld_err *err);

/* Add an entry to investigation inv at t (ns). text: one line (UTF-8;
 * shown in exports with control characters escaped). detail: a JSON
 * object as text, or NULL (refused if not an object). JK_SOURCE text is
 * redacted, and not repeated when it equals the investigation's last
 * source entry; JK_QUERY and JK_RANGE also go to the history. LD_NOMATCH
 * if inv does not exist. */
int	journal_add(struct journal *j, int64_t inv, int64_t t, enum journal_kind k,
	    const char *text, const char *detail, struct ld_err *err);

/* A JK_PANELS entry for panels p: text what (e.g. "dashboard", "step 1")
 * then the headline figures (each latency group's p99 and count, up to 4
 * groups, the confidence mean, the cache hit rate, errors, mean drift);
 * detail has the range, bucket, group-by and every group's count, p50,
 * p95, p99. */
int	journal_add_panels(struct journal *j, int64_t inv, int64_t t, const char *what,
	    const struct panels *p, struct ld_err *err);
/* The headline text journal_add_panels records (caller frees). */
char	*journal_panels_headline(const struct panels *p);

/* Keep text in the history of kind h at t. */
int	journal_history_add(struct journal *j, enum journal_hist h, const char *text,
	    int64_t t, struct ld_err *err);
/* Distinct history texts of kind h, most recently used first, at most
 * limit (0: 100); with needle, only texts containing it (ASCII
 * case-insensitive), as Ctrl-R searches. *out: an array of n strings,
 * the caller frees each and the array. */
int	journal_history(struct journal *j, enum journal_hist h, const char *needle,
	    size_t limit, char ***out, size_t *n, struct ld_err *err);

struct journal_inv {
	int64_t	 id;
	char	*title;
	int64_t	 started, updated;	/* ns */
	size_t	 nentries;
};
/* Every investigation, newest first (*out: the caller's; journal_inv_free). */
int	journal_list(struct journal *j, struct journal_inv **out, size_t *n,
	    struct ld_err *err);
void	journal_inv_free(struct journal_inv *v, size_t n);

/* Print investigation id (0: the newest) as Markdown (md = 1: a title,
 * the findings, then a timeline table; postmortem-ready) or JSON
 * ({"logdive_journal": 1, "id", "title", "started", "updated",
 * "entries": [{"t", "kind", "text", "detail"}]}, times ISO 8601 UTC).
 * LD_NOMATCH if there is no such investigation. */
int	journal_export(struct journal *j, int64_t id, int md, FILE *out, struct ld_err *err);

#endif
