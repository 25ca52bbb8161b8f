/* A single-pass JSON scanner for bulk ingest: validates one line as one
 * JSON object (RFC 8259, UTF-8 checked) and extracts only the values at a
 * compiled set of dotted paths, without building a tree. jansson stays the
 * parser for everything else and is this scanner's test oracle. */
#ifndef LD_JSCAN_H
#define LD_JSCAN_H
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

enum jv_type { JV_MISSING = 0, JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING,
	JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type	 type;
	uint8_t		 escaped;	/* JV_STRING holds backslash escapes */
	uint8_t		 overflow;	/* JV_NUMBER out of double range (num = ±HUGE_VAL or 0) */
	uint32_t	 len;		/* bytes at p */
	const char	*p;		/* JV_STRING: between the quotes; others: the raw value text */
	double		 num;		/* JV_NUMBER: strtod() of the text */
};

/* A compiled set of up to JSCAN_MAX_PATHS dotted paths. A path a.b.c
 * matches nested keys a -> b -> c and also keys that contain dots
 * ("a.b" -> "c", "a.b.c"), DESIGN §2. */
#define JSCAN_MAX_PATHS 32
struct jscan_paths;
struct jscan_paths *jscan_paths_new(const char *const *paths, size_t n);
void		 jscan_paths_free(struct jscan_paths *ps);

enum jscan_verdict {
	JSCAN_OK = 0,
	JSCAN_NOT_JSON,		/* syntax error, trailing garbage, empty */
	JSCAN_NOT_OBJECT,	/* valid JSON but not an object */
	JSCAN_BAD_UTF8,		/* invalid UTF-8 anywhere in the line */
	JSCAN_TOO_DEEP		/* nesting deeper than JSCAN_MAX_DEPTH */
};
#define JSCAN_MAX_DEPTH 2048	/* as jansson's JSON_PARSER_MAX_DEPTH */

/* Scan line[0..len) (no newline). out[i] gets path i's value (JV_MISSING
 * if absent; for a duplicate key the last one wins, as jansson). If shape
 * is non-NULL it gets a hash of the set of key paths in the record (records
 * with the same keys have the same shape). Returns a jscan_verdict; out is
 * only meaningful on JSCAN_OK. Never reads outside line[0..len). */
int		 jscan_line(const struct jscan_paths *ps, const char *line, size_t len,
		    struct jv *out, uint64_t *shape);

/* Find one dotted path in a line already known to be valid. Fills up to
 * max values (if the value is an array, each element is one value) and
 * returns how many there are (0: missing). */
size_t		 jscan_get(const char *line, size_t len, const char *path,
		    struct jv *out, size_t max);

/* Call cb for every leaf path of a valid line (objects are descended,
 * arrays are leaves), with the dotted path. */
void		 jscan_each_path(const char *line, size_t len,
		    void (*cb)(void *ctx, const char *path, size_t pathlen, enum jv_type t),
		    void *ctx);

/* Append the unescaped UTF-8 text of a JV_STRING to out (\uXXXX pairs
 * decoded; a lone surrogate becomes U+FFFD). Returns 0, -1 if v is not a
 * string. */
int		 jscan_unescape(const struct jv *v, struct buf *out);

#endif
