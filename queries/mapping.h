/* Field roles and the mapping file (DESIGN §2). */
#ifndef LD_MAPPING_H
#define LD_MAPPING_H
#include <stddef.h>
#include "lib/err.h"

enum role {
	ROLE_TIME, ROLE_TRACE_ID, ROLE_REQUEST_ID, ROLE_SERVICE, ROLE_LEVEL,
	ROLE_EVENT, ROLE_LATENCY, ROLE_GROUP, ROLE_VERSION, ROLE_CONFIDENCE,
	ROLE_CACHE_HIT, ROLE_DRIFT, ROLE_MESSAGE,
	ROLE_COUNT
};

#define MAPPING_MAX_CANDIDATES 4

/* For each role, candidate paths in order of preference ("timestamp", else
 * "@timestamp"): a record's value for the role is the first candidate
 * present in it. */
struct mapping {
	char	*paths[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
	size_t	 npaths[ROLE_COUNT];
};

/* Role name as used in the mapping file ("time", "trace_id", ...). */
const char	*role_name(enum role r);
/* The built-in mapping of DESIGN §2 into m. */
void		 mapping_default(struct mapping *m);
/* Load a mapping file over the defaults. The file is a JSON object whose
 * keys are role names and values a path string or an array of 1..4 path
 * strings, e.g. {"time": "@timestamp", "latency": ["duration_ms", "took"]}.
 * Unknown roles, wrong types or empty paths are LD_EUSAGE errors naming the
 * file and the key; on error m is left as the defaults. */
int		 mapping_load(struct mapping *m, const char *file, struct ld_err *err);
void		 mapping_free(struct mapping *m);

#endif
