#include "config.h"
#include "queries/mapping.h"
#include "lib/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[ROLE_COUNT] = {
	"time", "trace_id", "request_id", "service", "level", "event", "latency",
	"group", "version", "confidence", "cache_hit", "drift", "message"
};

/* DESIGN §2 table; "version" is the second group-by (model_version). */
static const char *const role_defaults[ROLE_COUNT][MAPPING_MAX_CANDIDATES] = {
	[ROLE_TIME] = { "timestamp", "@timestamp" },
	[ROLE_TRACE_ID] = { "correlation_id", "trace.id" },
	[ROLE_REQUEST_ID] = { "request_id" },
	[ROLE_SERVICE] = { "service", "service.name" },
	[ROLE_LEVEL] = { "log_level", "log.level", "level" },
	[ROLE_EVENT] = { "event_type" },
	[ROLE_LATENCY] = { "inference_metrics.latency_ms" },
	[ROLE_GROUP] = { "model_metadata.serving_variant" },
	[ROLE_VERSION] = { "model_metadata.model_version" },
	[ROLE_CONFIDENCE] = { "output.confidence_scores" },
	[ROLE_CACHE_HIT] = { "input_features.cache_hit" },
	[ROLE_DRIFT] = { "anomaly_signals.drift_score" },
	[ROLE_MESSAGE] = { "message", "error.message" },
};

const char *
role_name(enum role r)
{
	return (r < ROLE_COUNT) ? role_names[r] : "?";
}

static void
clear_role(struct mapping *m, int r)
{
	for (size_t i = 0; i < m->npaths[r]; i++) {
		free(m->paths[r][i]);
		m->paths[r][i] = NULL;
	}
	m->npaths[r] = 0;
}

void
mapping_default(struct mapping *m)
{
	memset(m, 0, sizeof *m);
	for (int r = 0; r < ROLE_COUNT; r++) {
		for (int i = 0; i < MAPPING_MAX_CANDIDATES && role_defaults[r][i]; i++)
			m->paths[r][m->npaths[r]++] = xstrdup(role_defaults[r][i]);
	}
}

void
mapping_free(struct mapping *m)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		clear_role(m, r);
}

static int
role_by_name(const char *name)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (strcmp(role_names[r], name) == 0)
			return r;
	return -1;
}

static int
valid_path(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 256 && s[0] != '.' && s[n - 1] != '.' &&
	    strstr(s, "..") == NULL;
}

int
mapping_load(struct mapping *m, const char *file, struct ld_err *err)
{
	json_error_t je;
	json_t *root, *v;
	const char *key;
	struct mapping tmp;
	int rc = LD_OK;

	root = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return err_set(err, LD_EUSAGE, "mapping file %s: %s (line %d, col %d)",
		    file, je.text, je.line, je.column);
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set(err, LD_EUSAGE,
		    "mapping file %s: expected a JSON object of role names to paths", file);
	}
	/* Build on a copy so that an error leaves m unchanged. */
	mapping_default(&tmp);
	for (int r = 0; r < ROLE_COUNT; r++) {
		clear_role(&tmp, r);
		for (size_t i = 0; i < m->npaths[r]; i++)
			tmp.paths[r][tmp.npaths[r]++] = xstrdup(m->paths[r][i]);
	}
	json_object_foreach(root, key, v) {
		int r = role_by_name(key);
		if (r < 0) {
			rc = err_set(err, LD_EUSAGE, "mapping file %s: unknown role '%s' "
			    "(roles: time trace_id request_id service level event latency group "
			    "version confidence cache_hit drift message)", file, key);
			break;
		}
		clear_role(&tmp, r);
		if (json_is_string(v)) {
			if (!valid_path(json_string_value(v))) {
				rc = err_set(err, LD_EUSAGE, "mapping file %s: role '%s': "
				    "'%s' is not a field path", file, key, json_string_value(v));
				break;
			}
			tmp.paths[r][tmp.npaths[r]++] = xstrdup(json_string_value(v));
			continue;
		}
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > MAPPING_MAX_CANDIDATES) {
			rc = err_set(err, LD_EUSAGE, "mapping file %s: role '%s' must be a "
			    "path or an array of 1 to %d paths", file, key, MAPPING_MAX_CANDIDATES);
			break;
		}
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e) || !valid_path(json_string_value(e))) {
				rc = err_set(err, LD_EUSAGE, "mapping file %s: role '%s': "
				    "item %zu is not a field path", file, key, i + 1);
				break;
			}
			tmp.paths[r][tmp.npaths[r]++] = xstrdup(json_string_value(e));
		}
		if (rc != LD_OK)
			break;
	}
	json_decref(root);
	if (rc != LD_OK) {
		mapping_free(&tmp);
		return rc;
	}
	mapping_free(m);
	*m = tmp;
	return LD_OK;
}
