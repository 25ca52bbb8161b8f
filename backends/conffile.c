#include "config.h"
#include "backends/conffile.h"
#include "backends/http.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "~/x" -> "$HOME/x"; others copied. */
static char *
expand_home(const char *p)
{
	const char *home = getenv("HOME");
	if (p[0] == '~' && p[1] == '/' && home && *home)
		return xasprintf("%s/%s", home, p + 2);
	return xstrdup(p);
}

static char *
default_path(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (x && *x)
		return xasprintf("%s/logdive/config", x);
	if (home && *home)
		return xasprintf("%s/.config/logdive/config", home);
	return NULL;
}

static void
source_free(struct source_def *s)
{
	char **strs[] = { &s->name, &s->url, &s->api_key_env, &s->username_env,
	    &s->password_env, &s->bearer_token_env, &s->password_file,
	    &s->bearer_token_file, &s->ca_cert, &s->client_cert, &s->client_key,
	    &s->org_id, &s->mapping };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	for (size_t i = 0; i < s->ntrace_sources; i++)
		free(s->trace_sources[i]);
	free(s->trace_sources);
	memset(s, 0, sizeof *s);
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < c->nsources; i++)
		source_free(&c->sources[i]);
	free(c->sources);
	for (size_t i = 0; i < c->npresets_path; i++)
		free(c->presets_path[i]);
	free(c->presets_path);
	free(c->file);
	memset(c, 0, sizeof *c);
}

const struct source_def *
config_source(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nsources; i++)
		if (strcmp(c->sources[i].name, name) == 0)
			return &c->sources[i];
	return NULL;
}

/* Keys that would hold a secret in the file itself. */
static int
is_secret_key(const char *k)
{
	static const char *const bad[] = { "password", "passwd", "api_key", "apikey",
	    "token", "bearer_token", "secret", "client_secret", "authorization" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (strcmp(k, bad[i]) == 0)
			return 1;
	return 0;
}

static int
get_strings(const char *file, const char *where, const char *key, json_t *v, char ***out,
    size_t *n, int paths, struct ld_err *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return err_set(err, LD_EUSAGE, "%s: %s%s: expected an array of strings",
		    file, where, key);
	*out = xcalloc(json_array_size(v) + 1, sizeof **out);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0)
			return err_set(err, LD_EUSAGE, "%s: %s%s: item %zu is not a "
			    "non-empty string", file, where, key, i + 1);
		(*out)[(*n)++] = paths ? expand_home(json_string_value(e)) :
		    xstrdup(json_string_value(e));
	}
	return LD_OK;
}

static int
parse_source(const char *file, const char *name, json_t *o, struct source_def *s,
    struct ld_err *err)
{
	static const struct { const char *key; size_t off; int path; } str_keys[] = {
		{ "url", offsetof(struct source_def, url), 0 },
		{ "api_key_env", offsetof(struct source_def, api_key_env), 0 },
		{ "username_env", offsetof(struct source_def, username_env), 0 },
		{ "password_env", offsetof(struct source_def, password_env), 0 },
		{ "bearer_token_env", offsetof(struct source_def, bearer_token_env), 0 },
		{ "password_file", offsetof(struct source_def, password_file), 1 },
		{ "bearer_token_file", offsetof(struct source_def, bearer_token_file), 1 },
		{ "ca_cert", offsetof(struct source_def, ca_cert), 1 },
		{ "client_cert", offsetof(struct source_def, client_cert), 1 },
		{ "client_key", offsetof(struct source_def, client_key), 1 },
		{ "org_id", offsetof(struct source_def, org_id), 0 },
		{ "mapping", offsetof(struct source_def, mapping), 1 },
	};
	const char *key;
	json_t *v;
	char where[160];

	snprintf(where, sizeof where, "sources.%s.", name);
	s->name = xstrdup(name);
	if (!json_is_object(o))
		return err_set(err, LD_EUSAGE, "%s: sources.%s: expected an object", file, name);
	json_object_foreach(o, key, v) {
		size_t k;
		if (is_secret_key(key))
			return err_set(err, LD_EUSAGE, "%s: %s%s: secrets do not go in the config "
			    "file; put it in an environment variable or a file (mode 0600) and "
			    "name it with %s_env or %s_file", file, where, key,
			    strcmp(key, "api_key") == 0 ? "api_key" :
			    strstr(key, "token") ? "bearer_token" : "password",
			    strstr(key, "token") ? "bearer_token" : "password");
		for (k = 0; k < sizeof str_keys / sizeof str_keys[0]; k++)
			if (strcmp(key, str_keys[k].key) == 0)
				break;
		if (k < sizeof str_keys / sizeof str_keys[0]) {
			if (!json_is_string(v) || json_string_length(v) == 0)
				return err_set(err, LD_EUSAGE, "%s: %s%s: expected a non-empty string",
				    file, where, key);
			char **dst = (char **)((char *)s + str_keys[k].off);
			*dst = str_keys[k].path ? expand_home(json_string_value(v)) :
			    xstrdup(json_string_value(v));
			continue;
		}
		if (strcmp(key, "insecure") == 0) {
			if (!json_is_boolean(v))
				return err_set(err, LD_EUSAGE, "%s: %s%s: expected true or false",
				    file, where, key);
			s->insecure = json_is_true(v);
		} else if (strcmp(key, "trace_sources") == 0) {
			int rc = get_strings(file, where, key, v, &s->trace_sources,
			    &s->ntrace_sources, 0, err);
			if (rc != LD_OK)
				return rc;
		} else if (strcmp(key, "connect_timeout") == 0 || strcmp(key, "timeout") == 0) {
			int64_t ns;
			if (!json_is_string(v) || duration_parse(json_string_value(v), &ns) != 0)
				return err_set(err, LD_EUSAGE, "%s: %s%s: expected a duration such "
				    "as \"5s\" or \"2m\"", file, where, key);
			if (key[0] == 'c')
				s->connect_timeout = ns;
			else
				s->timeout = ns;
		} else if (strcmp(key, "max_body") == 0) {
			/* "256M", "1G", or a number of bytes */
			if (json_is_integer(v) && json_integer_value(v) > 0 &&
			    (unsigned long long)json_integer_value(v) <= SIZE_MAX / 2)
				s->max_body = (size_t)json_integer_value(v);
			else if (!json_is_string(v) ||
			    http_parse_size(json_string_value(v), &s->max_body) != 0)
				return err_set(err, LD_EUSAGE, "%s: %s%s: expected a size such "
				    "as \"256M\", \"1G\" or a number of bytes", file, where,
				    key);
		} else
			return err_set(err, LD_EUSAGE, "%s: %s%s: unknown key (see logdive(1), "
			    "CONFIGURATION)", file, where, key);
	}
	if (s->url == NULL)
		return err_set(err, LD_EUSAGE, "%s: sources.%s: \"url\" is missing", file, name);
	return LD_OK;
}

int
config_load(struct config *c, const char *file, struct ld_err *err)
{
	json_error_t je;
	json_t *root, *v;
	const char *key;
	char *path;
	int rc = LD_OK;

	memset(c, 0, sizeof *c);
	path = file ? expand_home(file) : default_path();
	if (path == NULL)
		return LD_OK;
	if (file == NULL && access(path, F_OK) != 0) {
		free(path);
		return LD_OK;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (access(path, R_OK) != 0)
			rc = err_set(err, LD_EUSAGE, "cannot read the config file %s: %s", path,
			    strerror(errno));
		else
			rc = err_set(err, LD_EUSAGE, "config file %s: %s (line %d, col %d)", path,
			    je.text, je.line, je.column);
		free(path);
		return rc;
	}
	c->file = path;
	if (!json_is_object(root)) {
		rc = err_set(err, LD_EUSAGE, "config file %s: expected a JSON object", path);
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "logdive_config") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1) {
				rc = err_set(err, LD_EUSAGE, "config file %s: logdive_config: "
				    "expected a version number (%d)", path, CONFIG_VERSION);
				break;
			}
			if (json_integer_value(v) > CONFIG_VERSION) {
				rc = err_set(err, LD_EUSAGE, "config file %s is for a newer logdive "
				    "(version %lld; this one reads %d): upgrade logdive", path,
				    (long long)json_integer_value(v), CONFIG_VERSION);
				break;
			}
		} else if (strcmp(key, "sources") == 0) {
			const char *name;
			json_t *o;
			if (!json_is_object(v)) {
				rc = err_set(err, LD_EUSAGE, "config file %s: sources: expected an "
				    "object of named sources", path);
				break;
			}
			c->sources = xcalloc(json_object_size(v) + 1, sizeof *c->sources);
			json_object_foreach(v, name, o) {
				rc = parse_source(path, name, o, &c->sources[c->nsources++], err);
				if (rc != LD_OK)
					break;
			}
			if (rc != LD_OK)
				break;
		} else if (strcmp(key, "presets_path") == 0) {
			rc = get_strings(path, "", key, v, &c->presets_path, &c->npresets_path, 1,
			    err);
			if (rc != LD_OK)
				break;
		} else {
			rc = err_set(err, LD_EUSAGE, "config file %s: %s: unknown key (see "
			    "logdive(1), CONFIGURATION)", path, key);
			break;
		}
	}
out:
	json_decref(root);
	if (rc != LD_OK)
		config_free(c);
	return rc;
}

int
config_read_secret_file(const char *path, char **out, struct ld_err *err)
{
	struct stat st;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(err, LD_EUSAGE, "cannot read the secret file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, LD_EUSAGE, "the secret file %s is not a regular file", path);
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		close(fd);
		return err_set(err, LD_EUSAGE, "refusing the secret file %s: it must be yours "
		    "and readable by you only (chmod 600 %s)", path, path);
	}
	if (st.st_size > 65536) {
		close(fd);
		return err_set(err, LD_EUSAGE, "the secret file %s is too big to hold a secret",
		    path);
	}
	size_t n = (size_t)st.st_size, got = 0;
	char *buf = xmalloc(n + 1);
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	buf[got] = '\0';
	if (got == 0) {
		free(buf);
		return err_set(err, LD_EUSAGE, "the secret file %s is empty", path);
	}
	*out = buf;
	return LD_OK;
}
