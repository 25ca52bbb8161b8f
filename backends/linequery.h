/* Evaluate the query AST on one raw JSON line (a record as it is in the
 * source), reading fields with the scanner (backends/jscan.h). */
#ifndef LD_LINEQUERY_H
#define LD_LINEQUERY_H
#include <stddef.h>
#include "backends/jscan.h"
#include "lib/buf.h"
#include "queries/query.h"

/* Scratch space for one thread; zero-initialise, free with
 * linequery_free. */
struct linequery {
	const char	*line;
	size_t		 len;
	struct buf	 tmp;
	struct jv	 jv[64];
};

/* 1 if line[0..len) (a valid JSON object) matches q (query_match
 * semantics, queries/query.h). */
int		 linequery_match(struct linequery *qc, const struct q_node *q,
		    const char *line, size_t len);
/* The first value at the full path in line, as text (strings unescaped,
 * numbers and booleans as written), or NULL if absent, null or a container.
 * *vlen gets its length. Valid until the next call on qc. */
const char	*linequery_first(struct linequery *qc, const char *path, const char *line,
		    size_t len, size_t *vlen);
void		 linequery_free(struct linequery *qc);

#endif
