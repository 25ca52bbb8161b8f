/* What the remote backends (Elasticsearch, Loki) share: the config file's
 * credentials and timeouts turned into an HTTP client configuration, and
 * one record (a JSON document) read into a struct hit through the
 * mapping's roles (DESIGN §2). No curses, no network. */
#ifndef LD_REMOTE_H
#define LD_REMOTE_H
#include <jansson.h>
#include "backends/backend.h"
#include "backends/http.h"

/* Credentials and TLS files named by the config file's entry d override
 * the environment's in c: the entry names variables (api_key_env,
 * username_env + password_env, bearer_token_env) or 0600 files
 * (password_file, bearer_token_file), never values; plus ca_cert,
 * client_cert, client_key, and org_id as X-Scope-OrgID when with_org.
 * LD_EUSAGE naming the source and the setting when a named variable is
 * unset or a file is refused (never the value). */
int	remote_conf_from_def(struct http_conf *c, const struct source_def *d,
	    int with_org, struct ld_err *err);

/* Timeouts and the body bound from the command line, else the config
 * entry, into c (o->connect_timeout and o->timeout are ns, o->max_body
 * bytes; 0 leaves c's default). */
void	remote_conf_timeouts(struct http_conf *c, const struct backend_opts *o);

/* The most hits a list holds unless asked for all (search_req.all):
 * 100,000, or $LOGDIVE_LIST_CAP if it is a number >= 10 (for tests: a
 * cap reached without 100,000 lines). */
#define REMOTE_LIST_CAP 100000
size_t	remote_list_cap(void);

/* --follow on a remote source: poll's answer. 2 (a live tick: ask again,
 * a relative range has moved) once REMOTE_LIVE_NS have passed since the
 * last tick (*last, time_mono ns; 0 at first: the first call only starts
 * the clock), else 0. */
#define REMOTE_LIVE_NS (5 * 1000000000LL)
int	remote_poll_live(int64_t *last);

/* The value at a dotted path of a JSON document, also through keys that
 * hold dots ("log.level"); NULL if absent. Borrowed from o. */
json_t	*remote_doc_get(json_t *o, const char *path);

/* Fill h's time, latency, confidence (a number, or the mean of an array of
 * numbers: DESIGN §2), service, group (group_field's value, else the
 * group role's; non-strings as JSON text), level, message, event,
 * trace_id and request_id from the document src through map's roles.
 * h->loc is left alone. Strings are new (hit_clear frees them). */
void	remote_fill_hit(const struct mapping *map, struct hit *h, json_t *src,
	    const char *group_field);

#endif
