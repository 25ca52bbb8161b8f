/* Evaluate the query AST on one record as it is in the source: a raw JSON
 * line, read with the scanner (backends/jscan.h), or the text of a text
 * log record, read through its format (backends/textfmt.h). */
#ifndef LD_LINEQUERY_H
#define LD_LINEQUERY_H
#include <stddef.h>
#include "backends/jscan.h"
#include "backends/textfmt.h"
#include "lib/buf.h"
#include "queries/query.h"

/* Scratch space for one thread; zero-initialise, free with
 * linequery_free. */
struct linequery {
	const char	*line;
	size_t		 len;
	struct buf	 tmp;
	struct jv	 jv[64];
	const struct tf_format *fmt;	/* NULL: JSON lines */
	struct tf_rec	*tr;		/* owned; allocated by linequery_set_format */
	int		 parsed;	/* tr holds line's fields */
};

/* Records given from now on are text of format f (NULL: JSON lines);
 * ref is the reference time of RFC 3164 years (textfmt.h). */
void		 linequery_set_format(struct linequery *qc, const struct tf_format *f,
		    int64_t ref);

/* 1 if line[0..len) (a valid JSON object, or a record of the format set)
 * matches q (query_match semantics, queries/query.h; TEXT and REGEX see
 * the whole text, continuation lines included). */
int		 linequery_match(struct linequery *qc, const struct q_node *q,
		    const char *line, size_t len);
/* The first value at the full path in line, as text (strings unescaped,
 * numbers and booleans as written), or NULL if absent, null or a container.
 * *vlen gets its length. Valid until the next call on qc. */
const char	*linequery_first(struct linequery *qc, const char *path, const char *line,
		    size_t len, size_t *vlen);
void		 linequery_free(struct linequery *qc);

#endif
