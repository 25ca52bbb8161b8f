/* Shared by the remote backends: see remote.h. */
#include "config.h"
#include "backends/remote.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
remote_conf_from_def(struct http_conf *c, const struct source_def *d, int with_org,
    struct ld_err *err)
{
	char *secret = NULL;
	const char *v = NULL;

	if (d->api_key_env) {
		if ((v = getenv(d->api_key_env)) == NULL || *v == '\0')
			return err_set(err, LD_EUSAGE, "source '%s': %s (api_key_env) is not set",
			    d->name, d->api_key_env);
		c->auth = HTTP_AUTH_APIKEY;
		http_conf_set(&c->secret, v);
		http_conf_set(&c->secret_name, d->api_key_env);
	}
	if (d->bearer_token_env || d->bearer_token_file) {
		if (d->bearer_token_file) {
			if (http_read_secret_file(d->bearer_token_file, "bearer_token_file",
			    &secret, err) != LD_OK)
				return err->status;
		} else if ((v = getenv(d->bearer_token_env)) == NULL || *v == '\0')
			return err_set(err, LD_EUSAGE, "source '%s': %s (bearer_token_env) is "
			    "not set", d->name, d->bearer_token_env);
		c->auth = HTTP_AUTH_BEARER;
		http_conf_set(&c->secret, secret ? secret : v);
		http_conf_set(&c->secret_name, d->bearer_token_file ? d->bearer_token_file :
		    d->bearer_token_env);
		http_wipe_free(secret);
		secret = NULL;
	}
	if (d->username_env) {
		const char *u = getenv(d->username_env);
		if (u == NULL || *u == '\0')
			return err_set(err, LD_EUSAGE, "source '%s': %s (username_env) is not set",
			    d->name, d->username_env);
		if (d->password_file) {
			if (http_read_secret_file(d->password_file, "password_file", &secret,
			    err) != LD_OK)
				return err->status;
		} else if (d->password_env == NULL || (v = getenv(d->password_env)) == NULL ||
		    *v == '\0')
			return err_set(err, LD_EUSAGE, "source '%s': name the password with "
			    "password_env or password_file", d->name);
		c->auth = HTTP_AUTH_BASIC;
		http_conf_set(&c->user, u);
		http_conf_set(&c->secret, secret ? secret : v);
		char *name = xasprintf("%s/%s", d->username_env,
		    d->password_file ? d->password_file : d->password_env);
		http_conf_set(&c->secret_name, name);
		free(name);
		http_wipe_free(secret);
	}
	if (d->ca_cert)
		http_conf_set(&c->ca_file, d->ca_cert);
	if (d->client_cert)
		http_conf_set(&c->client_cert, d->client_cert);
	if (d->client_key)
		http_conf_set(&c->client_key, d->client_key);
	if (with_org && d->org_id)
		http_conf_add_header(c, "X-Scope-OrgID", d->org_id);
	return LD_OK;
}

void
remote_conf_timeouts(struct http_conf *c, const struct backend_opts *o)
{
	int64_t ct = o->connect_timeout ? o->connect_timeout :
	    o->def && o->def->connect_timeout ? o->def->connect_timeout : 0;
	int64_t rt = o->timeout ? o->timeout : o->def && o->def->timeout ? o->def->timeout : 0;

	size_t mb = o->max_body ? o->max_body : o->def ? o->def->max_body : 0;

	if (ct)
		c->connect_timeout_ms = (long)(ct / NS_PER_MS);
	if (rt)
		c->timeout_ms = (long)(rt / NS_PER_MS);
	if (mb)
		c->max_body = mb;
}

json_t *
remote_doc_get(json_t *o, const char *path)
{
	json_t *v;
	const char *dot = path;

	if (!json_is_object(o))
		return NULL;
	if ((v = json_object_get(o, path)) != NULL)
		return v;
	while ((dot = strchr(dot, '.')) != NULL) {
		char *head = xstrndup(path, (size_t)(dot - path));
		json_t *sub = json_object_get(o, head);
		free(head);
		if (sub && (v = remote_doc_get(sub, dot + 1)) != NULL)
			return v;
		dot++;
	}
	return NULL;
}

static char *
doc_string(json_t *src, const struct mapping *map, enum role r)
{
	for (size_t i = 0; i < map->npaths[r]; i++) {
		json_t *v = remote_doc_get(src, map->paths[r][i]);
		if (json_is_string(v))
			return xstrdup(json_string_value(v));
		if (json_is_number(v) || json_is_boolean(v))
			return json_dumps(v, JSON_ENCODE_ANY);
	}
	return NULL;
}

static json_t *
doc_role(json_t *src, const struct mapping *map, enum role r)
{
	for (size_t i = 0; i < map->npaths[r]; i++) {
		json_t *v = remote_doc_get(src, map->paths[r][i]);
		if (v)
			return v;
	}
	return NULL;
}

void
remote_fill_hit(const struct mapping *map, struct hit *h, json_t *src,
    const char *group_field)
{
	json_t *v;
	int naive = 0;

	if ((v = doc_role(src, map, ROLE_TIME)) != NULL) {
		if (json_is_string(v))
			time_parse_iso(json_string_value(v), json_string_length(v), &h->t, &naive);
		else if (json_is_number(v))
			time_from_epoch_number(json_number_value(v), &h->t);
		h->naive_time = naive;
	}
	if ((v = doc_role(src, map, ROLE_LATENCY)) != NULL && json_is_number(v))
		h->latency = json_number_value(v);
	if ((v = doc_role(src, map, ROLE_CONFIDENCE)) != NULL) {
		if (json_is_number(v))
			h->confidence = json_number_value(v);
		else if (json_is_array(v) && json_array_size(v) > 0) {
			double s = 0;
			size_t i, n = 0;
			json_t *x;
			json_array_foreach(v, i, x) {
				if (!json_is_number(x))
					break;
				s += json_number_value(x);
				n++;
			}
			if (n == json_array_size(v))
				h->confidence = s / (double)n;
		}
	}
	h->service = doc_string(src, map, ROLE_SERVICE);
	if (group_field) {
		json_t *g = remote_doc_get(src, group_field);
		if (json_is_string(g))
			h->group = xstrdup(json_string_value(g));
		else if (g && !json_is_null(g))
			h->group = json_dumps(g, JSON_ENCODE_ANY);
	} else
		h->group = doc_string(src, map, ROLE_GROUP);
	h->level = doc_string(src, map, ROLE_LEVEL);
	h->message = doc_string(src, map, ROLE_MESSAGE);
	h->event = doc_string(src, map, ROLE_EVENT);
	h->trace_id = doc_string(src, map, ROLE_TRACE_ID);
	h->request_id = doc_string(src, map, ROLE_REQUEST_ID);
}

size_t
remote_list_cap(void)
{
	const char *e = getenv("LOGDIVE_LIST_CAP");
	char *end;
	unsigned long long v;

	if (e == NULL || *e < '0' || *e > '9')
		return REMOTE_LIST_CAP;
	errno = 0;
	v = strtoull(e, &end, 10);
	if (errno != 0 || *end != '\0' || v < 10 || v > SIZE_MAX)
		return REMOTE_LIST_CAP;
	return (size_t)v;
}

int
remote_poll_live(int64_t *last)
{
	int64_t now = time_mono();

	if (*last == 0)		/* the first poll: the load has just asked */
		*last = now;
	if (now - *last < REMOTE_LIVE_NS)
		return 0;
	*last = now;
	return 2;
}
