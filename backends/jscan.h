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
	uint8_t		 overflow;	/* JV_NUMBER beyond double range (num = ±HUGE_VAL);
					   a total underflow (1e-400) is 0, not overflow */
	uint32_t	 len;		/* bytes at p */
	const char	*p;		/* JV_STRING: between the quotes; others: the raw value text */
	double		 num;		/* JV_NUMBER: strtod() of the text */
};

/* A compiled set of up to JSCAN_MAX_PATHS dotted paths. A path a.b.c
 * matches nested keys a -> b -> c and also keys that contain dots
 * ("a.b" -> "c", "a.b.c"), DESIGN §2: keys are compared unescaped, and the
 * keys joined with '.' must equal the path. Paths do not descend into
 * arrays. A path is at most JSCAN_PATH_MAX bytes and JSCAN_PATH_MAXCOMP
 * components. jscan_paths_new copies the strings; it returns NULL if n >
 * JSCAN_MAX_PATHS or a path is over those limits. The result is read-only
 * during scans (threads may share it); free it with jscan_paths_free
 * (NULL is fine). */
#define JSCAN_MAX_PATHS 32
#define JSCAN_PATH_MAX 255
#define JSCAN_PATH_MAXCOMP 16
struct jscan_paths;
struct jscan_paths *jscan_paths_new(const char *const *paths, size_t n);
void		 jscan_paths_free(struct jscan_paths *ps);

/* The first error from the left decides the verdict. */
enum jscan_verdict {
	JSCAN_OK = 0,
	JSCAN_NOT_JSON,		/* syntax error, trailing garbage, empty */
	JSCAN_NOT_OBJECT,	/* valid JSON but not an object */
	JSCAN_BAD_UTF8,		/* invalid UTF-8 (overlong, surrogate, > U+10FFFF) */
	JSCAN_TOO_DEEP		/* nesting deeper than JSCAN_MAX_DEPTH */
};
/* As jansson's JSON_PARSER_MAX_DEPTH: every value counts one level, so 2048
 * nested empty arrays pass but a scalar inside 2048 arrays does not. */
#define JSCAN_MAX_DEPTH 2048

/* Scan line[0..len) (no newline) as one JSON object (RFC 8259; space, tab,
 * CR and LF around tokens). ps may be NULL (validate only; out may then be
 * NULL). out[0..ps->n) gets path i's value (JV_MISSING if absent); its
 * pointers point into line. For a duplicate key the last one wins, as in
 * jansson, and drops what an earlier object value under that key held;
 * when one path is spelled two ways in a record ({"a.b":1,"a":{"b":2}})
 * the value later in the line wins. JV_NUMBER values are converted (C
 * locale, correctly rounded); a number beyond double range is valid JSON
 * with overflow = 1 (num = ±HUGE_VAL); one too small for a double (1e-400)
 * is the nearest double, ±0, with overflow = 0.
 * If shape is non-NULL it gets a hash of the key paths in order of
 * appearance (keys inside arrays and below 64 nested objects not counted;
 * keys hashed as written, escapes and all): records with the same keys in
 * the same order and nesting have the same shape. Returns a jscan_verdict;
 * out and shape are only meaningful on JSCAN_OK. Never reads outside
 * line[0..len), never allocates (except to convert an extracted number of
 * 64+ characters), no recursion, about 8 KB of stack; thread-safe, errno
 * preserved.
 * Known differences from jansson's json_loadb (tests/unit/t_jscan.c):
 * jscan accepts \u escapes of unpaired surrogates ("\ud800"), which the
 * RFC grammar allows and jansson rejects; numbers beyond double range
 * (1e400), which jansson rejects as "real number overflow"; integers
 * beyond int64, which jansson rejects unless JSON_DECODE_INT_AS_REAL; and
 * "\u0000", which jansson rejects in strings unless JSON_ALLOW_NUL and in
 * object keys always. */
int		 jscan_line(const struct jscan_paths *ps, const char *line, size_t len,
		    struct jv *out, uint64_t *shape);

/* Find one dotted path (same rules as jscan_line) in a line. Fills out[0..
 * min(n, max)) and returns n, the number of values: 0 if the path is
 * missing, the line invalid or the value an empty array; the elements if
 * the value is an array (each element one jv, nested containers as raw
 * text); else 1. out may be NULL if max is 0. The jv point into line.
 * Scans the whole line, with about 20 KB of stack. */
size_t		 jscan_get(const char *line, size_t len, const char *path,
		    struct jv *out, size_t max);

/* Call cb for every leaf path of a valid object line (objects are
 * descended; arrays, scalars and empty objects are leaves), in order of
 * appearance, with the dotted path of unescaped keys (path[pathlen] is
 * NUL; the path is only valid during the call). A duplicate key is
 * reported once per occurrence. Nothing is called for an invalid line. */
void		 jscan_each_path(const char *line, size_t len,
		    void (*cb)(void *ctx, const char *path, size_t pathlen, enum jv_type t),
		    void *ctx);

/* The value of the valid JSON number text p[0..len) as jscan_line gives
 * it (correctly rounded; *overflow, if non-NULL, set as jv.overflow). */
double		 jscan_number(const char *p, size_t len, int *overflow);

/* Append the unescaped UTF-8 text of a JV_STRING to out (\uXXXX pairs
 * decoded; a lone surrogate becomes U+FFFD; \u0000 appends a NUL byte, so
 * use out->len). Returns 0, -1 if v is not a string (out unchanged). */
int		 jscan_unescape(const struct jv *v, struct buf *out);

#endif
