/* Text log formats (issue 7): a format definition is a JSON file of PCRE2
 * patterns with named groups, what the groups are (field path, type,
 * role), how a message body is read (JSON or key=value), a level map,
 * continuation rules for multi-line records and samples checked at load.
 * This module loads definitions, matches one record's text against them
 * without copying it (PCRE2 JIT, per-thread match data), and answers for a
 * parsed record what the file backend needs: role values, a field by path,
 * the field paths, and the record as one JSON object. No curses, no
 * backend state; the only global is the --tz setting (tf_set_tz).
 *
 * The definition file (share/formats/NAME.json, or the user's
 * $XDG_CONFIG_HOME/logdive/formats/NAME.json which shadows a shipped one
 * of the same name; documented in logdive(1), TEXT FORMATS):
 *
 *   {"logdive_format": 1,
 *    "name": "python-logging",		same as the file name without .json
 *    "description": "Python logging: ...",
 *    "patterns": [{"name": "default",	one or more; the first that matches wins
 *                  "regex": "^(?<time>\\d{4}-...) - (?<logger>\\S+) - ..."}],
 *    "groups": {				named groups (and body keys) described
 *      "time":  {"type": "timestamp", "layout": "iso8601", "role": "time"},
 *      "level": {"role": "level"},
 *      "value": {"type": "float", "field_from": "metric"},
 *      "msg":   {"field": "message", "parse": "auto", "role": "message"},
 *      "timestamp": {"field": "metric_timestamp", "type": "integer"}},
 *    "roles": {"latency": "PredictionTime", "request_id": ["requestID"]},
 *    "levels": {"WARNING": "WARN", "CRITICAL": "ERROR", "5xx": "ERROR"},
 *    "continuation": {"regex": "^\\s", "same": ["time", "thread"],
 *                     "after_error": true},
 *    "samples": [{"line": "...", "fields": {"level": "INFO", "PredictionTime": 87.0},
 *                 "roles": {"time": "2026-02-27T03:00:00.123Z", "latency": 87.0}},
 *                {"line": "  File \"x.py\"", "match": false, "continuation": true}]}
 *
 * Group keys: "field" (the field path, default the group's name),
 * "field_from" (the field path is the text of that other group), "type"
 * (string by default; integer, float (a number as written; text that is
 * no number stays a string), boolean (true/false in any case), timestamp
 * with a "layout", syslog_priority (an integer whose RFC 5424 §6.2.1
 * severity, PRI mod 8, is the level when it plays the level role)),
 * "layout": iso8601 (RFC 3339 and the variants log4j2's %d{ISO8601} and
 * Python's asctime write: a space for the T, a comma before the fraction;
 * lib/timeutil.h time_parse_iso), epoch (seconds, integer or fractional,
 * read exactly; larger magnitudes as ms/us/ns), rfc5424 (RFC 5424 §6.2.3,
 * "-" is no time), rfc3164 (RFC 3164 §4.1.2 "Mmm dd hh:mm:ss": no year,
 * the year of the reference time (the file's mtime) or the latest year
 * before it that puts the line at most a day after it: Dec 31 in a file
 * written on Jan 1 is of the year before; Feb 29 of the last leap year);
 * "role" (a DESIGN §2 role name); "parse": json, logfmt (key=value pairs,
 * "quoted" values with backslash escapes, values typed by looks), kv
 * (k:v,k:v pairs, TorchServe metric dimensions), sd (RFC 5424 §6.3
 * STRUCTURED-DATA; "sd_names": param (default) or id.param), or auto (JSON
 * when the text is one object, else key=value pairs when it has any). A
 * "groups" entry also describes a body key of the same name (its type,
 * role, field rename). Times without a zone are read in --tz (default
 * UTC, then flagged naive).
 *
 * Errors name FILE:LINE:COLUMN of the key they are about. A format whose
 * samples fail is refused: "FILE:L:C: samples[N]: line "...": pattern P
 * (REGEX): field F: expected X, got Y" (or "matches no pattern").
 *
 * Sources for the shipped formats: log4j2 PatternLayout (%d{ISO8601},
 * %-5p, %t, %c, %m), TorchServe's logging and metrics documentation,
 * Python's logging module (LogRecord attributes, asctime), RFC 5424, RFC
 * 3164, and the logfmt convention. */
#ifndef LD_TEXTFMT_H
#define LD_TEXTFMT_H
#include <stddef.h>
#include <stdint.h>
#include "backends/jscan.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "queries/mapping.h"

#define TF_VERSION	1
#define TF_MAX_FIELDS	96	/* fields of one record (groups and keys); more are dropped */

enum tf_origin { TF_SHIPPED, TF_USER, TF_FILE };

struct tf_format;			/* a loaded, compiled format (opaque) */

/* A loaded set of formats, definition order (user ones first, then the
 * shipped, each directory's files by name). Owns the formats. */
struct tf_set {
	struct tf_format **v;
	size_t		   n;
};

/* Warnings of a load (a bad file skipped): one line each. */
typedef void (*tf_warn_fn)(void *arg, const char *line);

/* Load every *.json of the directories dirs[0..ndirs) (first wins by
 * name; origins[i] tags them) into set. A file that fails (syntax,
 * a key, a pattern that does not compile, a failing sample) is skipped
 * with a warning through warn (may be NULL) and counted in the return
 * value. set must be zeroed or freed before. */
size_t	tf_set_load(struct tf_set *set, const char *const *dirs, const enum tf_origin *origins,
	    size_t ndirs, tf_warn_fn warn, void *warnarg);
/* The default directories: $XDG_CONFIG_HOME/logdive/formats (else
 * ~/.config/logdive/formats), then the shipped share/formats (the source
 * tree's when run from the build tree, as presets). */
size_t	tf_set_load_default(struct tf_set *set, tf_warn_fn warn, void *warnarg);
void	tf_set_free(struct tf_set *set);
/* The format named name, or NULL. */
const struct tf_format *tf_set_find(const struct tf_set *set, const char *name);
/* "a, b, c": the names of set, for error messages (caller frees). */
char	*tf_set_names(const struct tf_set *set);

/* Load and check one definition file. Returns LD_OK and *out (free with
 * tf_free), or LD_EUSAGE with a message naming FILE:LINE:COL. */
int	tf_load_file(const char *path, enum tf_origin origin, struct tf_format **out,
	    struct ld_err *err);
/* The same from text (file is used in messages only). */
int	tf_load_text(const char *text, size_t n, const char *file, enum tf_origin origin,
	    struct tf_format **out, struct ld_err *err);
void	tf_free(struct tf_format *f);

const char	*tf_name(const struct tf_format *f);
const char	*tf_description(const struct tf_format *f);
const char	*tf_file(const struct tf_format *f);	/* NULL if loaded from text */
enum tf_origin	 tf_origin(const struct tf_format *f);
/* A hash of the definition (its text) and the --tz setting: stored with
 * the index, so that an edited format or another zone re-reads a file. */
uint64_t	 tf_hash(const struct tf_format *f);
/* 1 if the format reads RFC 3164 times (whose year is inferred). */
int		 tf_infers_year(const struct tf_format *f);
/* The number of patterns and pattern i's name and regex (borrowed). */
size_t		 tf_npatterns(const struct tf_format *f);
const char	*tf_pattern_name(const struct tf_format *f, size_t i);
const char	*tf_pattern_regex(const struct tf_format *f, size_t i);

/* --tz: the zone of text timestamps without one: "UTC", "Z", an offset
 * "+02:00"/"-0530", or an IANA name ("Europe/Paris", read from the
 * system's tz database: sets TZ for the process). NULL: UTC, and such
 * times count as naive (DESIGN §2). Not thread-safe: call before any
 * scan. Returns LD_OK or LD_EUSAGE. */
int	tf_set_tz(const char *zone, struct ld_err *err);
/* The --tz given, or NULL. */
const char *tf_tz(void);

/* One field of a parsed record. name points into the format or into the
 * record's text; v points into the text (JV_STRING escaped when a quoted
 * key=value value holds backslashes; JV_ARRAY for a [..] value). */
struct tf_field {
	const char	*name;
	uint32_t	 namelen;
	int16_t		 spec;		/* the group description used, -1 none */
	uint8_t		 naive;		/* timestamp: no zone in the text */
	uint8_t		 is_time;	/* a timestamp-typed field */
	int64_t		 t;		/* timestamp: ns, TIME_NONE if unreadable */
	struct jv	 v;
};

/* A parsed record; scratch owned by one thread (tf_rec_init / free). All
 * pointers point into the text given to tf_parse or into the format. */
struct tf_rec {
	const struct tf_format *fmt;
	int		 pat;		/* pattern matched, -1 none */
	struct tf_field	 f[TF_MAX_FIELDS];
	size_t		 nf;
	const char	*json;		/* a JSON object body, or NULL */
	size_t		 jsonlen;
	const char	*line;		/* the first line parsed */
	size_t		 linelen;
	int64_t		 ref;		/* reference time for RFC 3164 years (ns) */
	void		*md;		/* pcre2 match data */
	char		 arena[2048];	/* composed field names (structured data) */
	size_t		 arenalen;
	uint64_t	 lenmask;	/* bit (namelen mod 64) of every field */
	/* tf_extract's path lengths, for the paths array last given */
	const char *const *plen_paths;
	size_t		 plen_n;
	uint32_t	 plen[JSCAN_MAX_PATHS];
	/* a body that looks like an object, not yet checked (tf_check_json) */
	int		 json_unchecked;
	int16_t		 json_spec;
	const char	*json_raw;
	size_t		 json_rawlen;
};
void	tf_rec_init(struct tf_rec *r);
void	tf_rec_free(struct tf_rec *r);

/* Match the first line of text[0..len) (up to a '\n'; a record may span
 * lines) against f's patterns and read its fields. r->ref must hold the
 * reference time for RFC 3164 years (the file's mtime). Returns 1 if a
 * pattern matched, 0 if none. Never allocates (except PCRE2's JIT stack
 * on first use), never copies the text; thread-safe with one r per
 * thread. */
int	tf_parse(const struct tf_format *f, struct tf_rec *r, const char *text, size_t len);

/* Settle whether the body that looks like a JSON object is one (tf_parse
 * leaves that to the first reader; tf_extract does it as it scans the
 * body): if not, the group is a field as any other. tf_get, tf_each_path
 * and tf_render call it; call it before reading r->json or r->f directly.
 * (tf_join_key does not: a body that looks like an object never joins.) */
void	tf_check_json(struct tf_rec *r);
/* A timestamp field's time (ns, TIME_NONE if the layout cannot read it),
 * read on first use; fl->naive is then set. */
int64_t	tf_field_time(const struct tf_rec *r, struct tf_field *fl);

/* Continuation (multi-line records): 1 if line (which matched no
 * pattern) joins the record above by the format's continuation regex. */
int	tf_is_continuation(const struct tf_format *f, struct tf_rec *scratch, const char *line,
	    size_t len);
/* The join key of a parsed record: the text of its "same" groups, joined
 * by '\x1f', into out (reset first; left empty when the format has no
 * "same" rule or r lacks one of the groups). Returns 1 if r may join the
 * record above (it has a key and no JSON body), else 0. A record whose
 * key is non-empty takes the lines below with the same key. */
int	tf_join_key(const struct tf_format *f, const struct tf_rec *r, struct buf *out);
/* 1 if the format joins lines after an error record only. */
int	tf_join_after_error(const struct tf_format *f);

/* Extract role values as jscan_line does for JSON: for each of the
 * npaths compiled mapping paths, out[i] gets the record's value at
 * paths[i] (a JSON body's key first, then a key=value key, then a group
 * field), JV_MISSING if none; then, for every role whose mapping paths
 * are all missing, the format's own role fields fill out[role_at[r][0]].
 * A level value from the line (not from a JSON body) goes through the
 * format's level map. *t gets the time: the first time candidate present
 * (a timestamp-typed field by its layout, else an ISO 8601 string or an
 * epoch number), TIME_NONE if none or unreadable; *naive as
 * time_parse_iso. shape (may be NULL) gets tf_shape mixed with a JSON
 * body's shape (jscan_line). Returns 0. */
int	tf_extract(const struct tf_format *f, struct tf_rec *r, const struct mapping *m,
	    const struct jscan_paths *ps, const char *const *paths, size_t npaths,
	    const int role_at[ROLE_COUNT][MAPPING_MAX_CANDIDATES], struct jv *out,
	    int64_t *t, int *naive, uint64_t *shape);

/* Values at one dotted path, as jscan_get (JSON body, then fields).
 * Fills out[0..min(n, max)), returns n. */
size_t	tf_get(const struct tf_rec *r, const char *path, struct jv *out, size_t max);

/* Call cb for each field path of r (fields, then a JSON body's leaves),
 * the path valid during the call. */
void	tf_each_path(const struct tf_rec *r,
	    void (*cb)(void *ctx, const char *path, size_t pathlen, enum jv_type t), void *ctx);
/* A hash of r's field names (and the pattern): records with the same
 * hash have the same field paths (a JSON body's shape is added by the
 * caller). */
uint64_t tf_shape(const struct tf_rec *r);

/* The record as one JSON object into out (appended): "_format": the
 * format's name, "_pattern": the pattern's name, each field by its path
 * (typed values as JSON numbers/booleans, timestamps as written), a JSON
 * body's keys merged (they win over the line's fields of the same name:
 * they come later), then "_raw": the whole text (all its lines). A record
 * that matched nothing gives {"_format": NAME, "_unparsed": true, "_raw": ...}. */
void	tf_render(const struct tf_rec *r, const char *text, size_t len, struct buf *out);

/* Type name of a field for display ("string", "number", "boolean",
 * "timestamp", "array", "null", "object"). */
const char *tf_field_type(const struct tf_field *fl);

#endif
