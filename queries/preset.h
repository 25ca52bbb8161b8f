/* Saved query presets (DESIGN §8, issue 5 §1): a JSON file per preset,
 *
 *   {"logdive_preset": 1,
 *    "name": "slow-requests",		same as the file name without .json
 *    "description": "Requests at or above their group's p99, slowest first",
 *    "source": "prod",			a source of the config file, by name
 *    "query": "latency_ms > 500",	DESIGN §4
 *    "range": "1h",			DESIGN §3, resolved when applied
 *    "bucket": "1m",
 *    "group_by": "model_metadata.model_version",
 *    "view": "requests",		dashboard (default), panel, requests, trace
 *    "panel": "cache_hit",		view panel: a key of panels -f json
 *    "sort": "latency",		requests/trace: --sort's keys
 *    "above": "p99",			requests/trace: at or above the group's p50/p95/p99
 *    "limit": 20}			requests/trace: at most this many
 *
 * Every key but logdive_preset and name is optional. A source is a name,
 * never a URL: credentials stay in the config file. Presets are found in
 * $XDG_CONFIG_HOME/logdive/presets/ (user), each presets_path directory
 * of the config file (team), then the shipped directory; the first file
 * of a name wins. No curses, no backend. */
#ifndef LD_PRESET_H
#define LD_PRESET_H
#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"

#define PRESET_VERSION	1
#define PRESET_NAME_MAX	64

enum preset_view { PRESET_DASHBOARD, PRESET_PANEL, PRESET_REQUESTS, PRESET_TRACE };
enum preset_origin { PRESET_INLINE, PRESET_USER, PRESET_TEAM, PRESET_SHIPPED };

struct preset {
	char		*name;		/* NULL only for an inline preset without one */
	char		*description;	/* never NULL ("" when absent) */
	char		*source;	/* config source name, or NULL */
	char		*query;		/* NULL: none */
	char		*range;		/* as written ("1h"), NULL: none */
	int64_t		 bucket;	/* ns, 0: none */
	char		*group_by;	/* as written (path or unique suffix), or NULL */
	enum preset_view view;
	char		*panel;		/* PRESET_PANEL: latency, confidence, cache_hit,
					   errors, drift or versions; else NULL */
	char		*sort;		/* time, -time, latency, -latency, or NULL */
	int		 above;		/* 0, or 50/95/99: at or above the group's pN */
	size_t		 limit;		/* 0: none */
	char		*file;		/* the file read, or NULL (inline) */
	enum preset_origin origin;
};

/* Warnings that do not stop a load (an unknown key, a bad file skipped
 * from a listing): called with one line, no "logdive:" prefix. */
struct ld_warn {
	void	(*fn)(void *arg, const char *line);
	void	 *arg;
};
/* Call w->fn with the formatted line; w or w->fn may be NULL. */
void	ld_warnf(const struct ld_warn *w, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Directories searched, first wins. Owns its strings. */
struct preset_dirs {
	char			**dir;
	enum preset_origin	 *origin;
	size_t			  n;
};

/* The directories for kind "presets" or "runbooks": the user's
 * ($XDG_CONFIG_HOME/logdive/KIND, else ~/.config/logdive/KIND), each of
 * team[0..nteam) (the config's presets_path; runbooks in its runbooks/
 * subdirectory), then the shipped one (preset_shipped_dir). Directories
 * need not exist. Free with preset_dirs_free. */
void	preset_dirs_default(struct preset_dirs *d, const char *kind,
	    const char *const *team, size_t nteam);
/* Append dir (copied) with its origin. */
void	preset_dirs_add(struct preset_dirs *d, const char *dir, enum preset_origin o);
void	preset_dirs_free(struct preset_dirs *d);
/* The path of NAME.json in the first directory of d that has it (the one
 * that shadows the others), its index in *which; NULL if none has it.
 * Caller frees. */
char	*preset_dirs_lookup(const struct preset_dirs *d, const char *name, size_t *which);

/* The shipped directory of kind ("presets", "runbooks"): the source
 * tree's share/KIND when this program runs from the build tree (its
 * executable is in the build directory configure made), else
 * $(datadir)/logdive/KIND. Caller frees. */
char	*preset_shipped_dir(const char *kind);

/* 1 if name is a valid preset or runbook name: 1..PRESET_NAME_MAX
 * characters of [A-Za-z0-9._-], starting with a letter or digit. */
int	preset_name_ok(const char *name);

/* "user", "team", "shipped", "inline" (static). */
const char *preset_origin_name(enum preset_origin o);
/* "dashboard", "panel", "requests", "trace" (static). */
const char *preset_view_name(enum preset_view v);

/* Read one preset file. Errors (LD_EUSAGE, p left empty) name the file
 * and the key, one line: JSON syntax as FILE:LINE:COL (jansson's
 * position), a missing or mistyped key, a query that does not parse (its
 * column), a range or bucket that does not parse, a name other than the
 * file's, a newer logdive_preset, a key holding a secret. Unknown keys
 * are warned about through w and ignored. Free with preset_free. */
int	preset_load_file(const char *path, enum preset_origin o, struct preset *p,
	    const struct ld_warn *w, struct ld_err *err);

/* Read a preset from a parsed JSON object (jansson json_t *, borrowed).
 * file and where prefix messages ("FILE: WHEREkey: ..."); inline_ makes
 * logdive_preset and name optional (a runbook's inline preset). */
int	preset_from_json(const void *json, const char *file, const char *where,
	    int inline_, struct preset *p, const struct ld_warn *w, struct ld_err *err);

/* The preset as a JSON object (jansson json_t *, new reference, keys in
 * the order of the format above, empty keys left out). */
void	*preset_to_json(const struct preset *p);

/* The preset named name: NAME.json in the first directory of d that has
 * one. LD_NOMATCH "no preset named 'x' (logdive presets lists them)" if
 * none; a bad file is an error (the next directory is not tried). */
int	preset_find(const struct preset_dirs *d, const char *name, struct preset *p,
	    const struct ld_warn *w, struct ld_err *err);

/* Every preset of d, shadowed ones left out, sorted by name (*out owned by
 * the caller: preset_free each, then free). Bad files are warned about
 * through w and skipped; returns how many were bad. A team directory that
 * does not exist is warned about too. */
size_t	preset_list(const struct preset_dirs *d, struct preset **out, size_t *n,
	    const struct ld_warn *w);

/* Write p to DIR/NAME.json (DIR: dir, or the user directory when NULL,
 * created if missing) atomically: a temporary file in DIR, fsync, then
 * rename (overwrite) or link (no overwrite: fails if the file exists,
 * race-free). Refuses an invalid name and, unless overwrite, an existing
 * file (LD_EUSAGE "preset 'x' exists (PATH): ..."). *path (if path is
 * non-NULL) gets the file written; the caller frees it. Nothing is left
 * behind on error. */
int	preset_save(const struct preset *p, const char *dir, int overwrite, char **path,
	    struct ld_err *err);

/* Deep copy (free dst with preset_free). */
void	preset_copy(struct preset *dst, const struct preset *src);
void	preset_free(struct preset *p);

#endif
