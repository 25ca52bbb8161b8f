#include "config.h"
#include "queries/preset.h"
#include "queries/preset-int.h"
#include "queries/query.h"
#include "queries/timerange.h"
#include "lib/buf.h"
#include "lib/jsonpos.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRESET_FILE_MAX	(1 << 20)	/* bytes; a preset is a few hundred */

void
ld_warnf(const struct ld_warn *w, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (w == NULL || w->fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	err_visible(line, sizeof line);
	w->fn(w->arg, line);
}

/* ---- where presets live ---- */

void
preset_dirs_add(struct preset_dirs *d, const char *dir, enum preset_origin o)
{
	d->dir = xreallocarray(d->dir, d->n + 1, sizeof *d->dir);
	d->origin = xreallocarray(d->origin, d->n + 1, sizeof *d->origin);
	d->dir[d->n] = xstrdup(dir);
	d->origin[d->n++] = o;
}

void
preset_dirs_free(struct preset_dirs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->dir[i]);
	free(d->dir);
	free(d->origin);
	memset(d, 0, sizeof *d);
}

/* 1 if this program's executable is in the build directory. */
static int
in_build_tree(void)
{
#if defined(LOGDIVE_BUILDDIR) && defined(LOGDIVE_SRCDIR)
	char exe[PATH_MAX], *slash, *a, *b;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	int same;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return 0;
	*slash = '\0';
	a = realpath(exe, NULL);
	b = realpath(LOGDIVE_BUILDDIR, NULL);
	same = a && b && strcmp(a, b) == 0;
	free(a);
	free(b);
	return same;
#else
	return 0;
#endif
}

char *
preset_shipped_dir(const char *kind)
{
#if defined(LOGDIVE_SRCDIR)
	if (in_build_tree())
		return xasprintf("%s/share/%s", LOGDIVE_SRCDIR, kind);
#endif
	return xasprintf("%s/%s", LOGDIVE_DATADIR, kind);
}

void
preset_dirs_default(struct preset_dirs *d, const char *kind, const char *const *team,
    size_t nteam)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *s;

	memset(d, 0, sizeof *d);
	s = NULL;
	if (x && *x)
		s = xasprintf("%s/logdive/%s", x, kind);
	else if (home && *home)
		s = xasprintf("%s/.config/logdive/%s", home, kind);
	if (s) {
		preset_dirs_add(d, s, PRESET_USER);
		free(s);
	}
	for (size_t i = 0; i < nteam; i++) {
		if (strcmp(kind, "presets") == 0)
			preset_dirs_add(d, team[i], PRESET_TEAM);
		else {
			s = xasprintf("%s/%s", team[i], kind);
			preset_dirs_add(d, s, PRESET_TEAM);
			free(s);
		}
	}
	s = preset_shipped_dir(kind);
	preset_dirs_add(d, s, PRESET_SHIPPED);
	free(s);
}

int
preset_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > PRESET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

const char *
preset_origin_name(enum preset_origin o)
{
	switch (o) {
	case PRESET_USER: return "user";
	case PRESET_TEAM: return "team";
	case PRESET_SHIPPED: return "shipped";
	default: return "inline";
	}
}

static const char *const view_names[] = { "dashboard", "panel", "requests", "trace" };
static const char *const panel_names[] = { "latency", "confidence", "cache_hit", "errors",
	"drift", "versions", NULL };
static const char *const sort_names[] = { "time", "-time", "latency", "-latency", NULL };

const char *
preset_view_name(enum preset_view v)
{
	return view_names[v];
}

static int
in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* Keys that would hold a credential (as the config file refuses them). */
static int
is_secret_key(const char *k)
{
	static const char *const bad[] = { "password", "passwd", "api_key", "apikey",
	    "token", "bearer_token", "secret", "client_secret", "authorization",
	    "username", NULL };
	return in_list(k, bad);
}

/* ---- reading ---- */

void
preset_free(struct preset *p)
{
	free(p->name);
	free(p->description);
	free(p->source);
	free(p->query);
	free(p->range);
	free(p->group_by);
	free(p->panel);
	free(p->sort);
	free(p->file);
	memset(p, 0, sizeof *p);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
preset_copy(struct preset *dst, const struct preset *src)
{
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->description = dup_or_null(src->description);
	dst->source = dup_or_null(src->source);
	dst->query = dup_or_null(src->query);
	dst->range = dup_or_null(src->range);
	dst->group_by = dup_or_null(src->group_by);
	dst->panel = dup_or_null(src->panel);
	dst->sort = dup_or_null(src->sort);
	dst->file = dup_or_null(src->file);
}

/* A string value; empty refused unless empty_ok. */
static int
get_str(json_t *v, const char *file, const char *where, const char *key, int empty_ok,
    char **out, struct ld_err *err)
{
	if (!json_is_string(v) || (!empty_ok && json_string_length(v) == 0))
		return err_set(err, LD_EUSAGE, "%s: %s%s: expected a%s string", file, where, key,
		    empty_ok ? "" : " non-empty");
	free(*out);
	*out = xstrdup(json_string_value(v));
	return LD_OK;
}

/* One key of a preset object into p. */
static int
preset_key(const char *file, const char *where, const char *key, json_t *v,
    struct preset *p, const struct ld_warn *w, struct ld_err *err)
{
	struct ld_err e;
	int rc;

	err_clear(&e);
	if (strcmp(key, "logdive_preset") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return err_set(err, LD_EUSAGE, "%s: %slogdive_preset: expected a version "
			    "number (%d)", file, where, PRESET_VERSION);
		if (json_integer_value(v) > PRESET_VERSION)
			return err_set(err, LD_EUSAGE, "%s: %slogdive_preset: version %lld is "
			    "for a newer logdive (this one reads %d): upgrade logdive", file,
			    where, (long long)json_integer_value(v), PRESET_VERSION);
		return LD_OK;
	}
	if (strcmp(key, "name") == 0) {
		if ((rc = get_str(v, file, where, key, 0, &p->name, err)) != LD_OK)
			return rc;
		if (!preset_name_ok(p->name))
			return err_set(err, LD_EUSAGE, "%s: %sname: use 1 to %d letters, digits, "
			    "'.', '_' or '-', starting with a letter or digit", file, where,
			    PRESET_NAME_MAX);
		return LD_OK;
	}
	if (strcmp(key, "description") == 0)
		return get_str(v, file, where, key, 1, &p->description, err);
	if (strcmp(key, "source") == 0) {
		if ((rc = get_str(v, file, where, key, 0, &p->source, err)) != LD_OK)
			return rc;
		if (strstr(p->source, "://") || strchr(p->source, '@'))
			return err_set(err, LD_EUSAGE, "%s: %ssource: name a source of the config "
			    "file, not a URL (credentials stay in the config file)", file, where);
		return LD_OK;
	}
	if (strcmp(key, "query") == 0) {
		if ((rc = get_str(v, file, where, key, 1, &p->query, err)) != LD_OK)
			return rc;
		struct q_node *q = query_parse(p->query, &e);
		query_free(q);
		if (q == NULL && e.status != LD_OK)
			return err_set(err, LD_EUSAGE, "%s: %squery: %s", file, where, e.msg);
		return LD_OK;
	}
	if (strcmp(key, "range") == 0) {
		struct time_range r;
		if ((rc = get_str(v, file, where, key, 0, &p->range, err)) != LD_OK)
			return rc;
		if (range_parse(p->range, time_now(), &r, &e) != LD_OK)
			return err_set(err, LD_EUSAGE, "%s: %srange: %s", file, where, e.msg);
		return LD_OK;
	}
	if (strcmp(key, "bucket") == 0) {
		if (!json_is_string(v) || duration_parse(json_string_value(v), &p->bucket) != 0)
			return err_set(err, LD_EUSAGE, "%s: %sbucket: expected a bucket width "
			    "such as \"30s\", \"1m\", \"5m\", \"1h\" or \"1d\"", file, where);
		return LD_OK;
	}
	if (strcmp(key, "group_by") == 0)
		return get_str(v, file, where, key, 0, &p->group_by, err);
	if (strcmp(key, "view") == 0) {
		const char *s = json_string_value(v);
		for (size_t i = 0; s && i < sizeof view_names / sizeof view_names[0]; i++)
			if (strcmp(s, view_names[i]) == 0) {
				p->view = (enum preset_view)i;
				return LD_OK;
			}
		return err_set(err, LD_EUSAGE, "%s: %sview: expected \"dashboard\", \"panel\", "
		    "\"requests\" or \"trace\"", file, where);
	}
	if (strcmp(key, "panel") == 0) {
		if (!json_is_string(v) || !in_list(json_string_value(v), panel_names))
			return err_set(err, LD_EUSAGE, "%s: %spanel: expected one of latency, "
			    "confidence, cache_hit, errors, drift, versions", file, where);
		return get_str(v, file, where, key, 0, &p->panel, err);
	}
	if (strcmp(key, "sort") == 0) {
		if (!json_is_string(v) || !in_list(json_string_value(v), sort_names))
			return err_set(err, LD_EUSAGE, "%s: %ssort: expected \"time\", \"-time\", "
			    "\"latency\" or \"-latency\"", file, where);
		return get_str(v, file, where, key, 0, &p->sort, err);
	}
	if (strcmp(key, "above") == 0) {
		const char *s = json_string_value(v);
		if (s && strcmp(s, "p50") == 0)
			p->above = 50;
		else if (s && strcmp(s, "p95") == 0)
			p->above = 95;
		else if (s && strcmp(s, "p99") == 0)
			p->above = 99;
		else
			return err_set(err, LD_EUSAGE, "%s: %sabove: expected \"p50\", \"p95\" or "
			    "\"p99\"", file, where);
		return LD_OK;
	}
	if (strcmp(key, "limit") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1000000)
			return err_set(err, LD_EUSAGE, "%s: %slimit: expected a whole number from "
			    "1 to 1000000", file, where);
		p->limit = (size_t)json_integer_value(v);
		return LD_OK;
	}
	if (is_secret_key(key))
		return err_set(err, LD_EUSAGE, "%s: %s%s: presets hold no credentials; name a "
		    "source of the config file instead", file, where, key);
	ld_warnf(w, "%s: %s%s: unknown key, ignored (see logdive(1), PRESETS)", file, where,
	    key);
	return LD_OK;
}

int
preset_from_json(const void *json, const char *file, const char *where, int inline_,
    struct preset *p, const struct ld_warn *w, struct ld_err *err)
{
	json_t *o = (json_t *)json, *v;
	const char *key;
	int rc = LD_OK;

	memset(p, 0, sizeof *p);
	if (!json_is_object(o)) {
		int wl = (int)strlen(where);	/* "steps[2].preset." -> "steps[2].preset: " */
		return err_set(err, LD_EUSAGE, "%s: %.*s%sexpected a JSON object", file,
		    wl ? wl - 1 : 0, where, wl ? ": " : "");
	}
	json_object_foreach(o, key, v) {
		if ((rc = preset_key(file, where, key, v, p, w, err)) != LD_OK)
			goto fail;
	}
	if (!inline_ && json_object_get(o, "logdive_preset") == NULL) {
		rc = err_set(err, LD_EUSAGE, "%s: %slogdive_preset: missing (a preset file "
		    "starts with {\"logdive_preset\": %d, ...})", file, where, PRESET_VERSION);
		goto fail;
	}
	if (!inline_ && p->name == NULL) {
		rc = err_set(err, LD_EUSAGE, "%s: %sname: missing", file, where);
		goto fail;
	}
	if (p->view == PRESET_PANEL && p->panel == NULL) {
		rc = err_set(err, LD_EUSAGE, "%s: %spanel: missing (\"view\": \"panel\" needs "
		    "one)", file, where);
		goto fail;
	}
	if (p->view != PRESET_PANEL && p->panel != NULL) {
		rc = err_set(err, LD_EUSAGE, "%s: %spanel: only with \"view\": \"panel\"", file,
		    where);
		goto fail;
	}
	if (p->view != PRESET_REQUESTS && p->view != PRESET_TRACE &&
	    (p->sort || p->above || p->limit)) {
		rc = err_set(err, LD_EUSAGE, "%s: %s%s: only with \"view\": \"requests\" or "
		    "\"trace\"", file, where, p->sort ? "sort" : p->above ? "above" : "limit");
		goto fail;
	}
	if (p->description == NULL)
		p->description = xstrdup("");
	p->origin = PRESET_INLINE;
	return LD_OK;
fail:
	preset_free(p);
	return rc;
}

void *
preset_load_json(const char *path, const char *what, struct ld_err *err)
{
	json_error_t je;
	struct stat st;
	json_t *root;
	char *buf;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, LD_EUSAGE, "cannot read the %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PRESET_FILE_MAX) {
		close(fd);
		err_set(err, LD_EUSAGE, "%s: not a %s (a regular file of at most 1 MiB)", path,
		    what);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	root = json_loadb(buf, got, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (root == NULL)
		err_set(err, LD_EUSAGE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	return root;
}

void
preset_err_locate(const char *path, struct ld_err *err)
{
	size_t pl = strlen(path), kl, got = 0;
	const char *key;
	char *buf, *kp, rest[sizeof err->msg];
	struct stat st;
	int fd, line, col;

	if (strncmp(err->msg, path, pl) != 0 || strncmp(err->msg + pl, ": ", 2) != 0)
		return;
	key = err->msg + pl + 2;
	kl = strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.[]");
	if (strncmp(key + kl, ": ", 2) != 0)
		kl = 0;			/* no key: the whole file */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PRESET_FILE_MAX) {
		close(fd);
		return;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	kp = xstrndup(key, kl);
	if (json_path_pos(buf, got, kp, 1, &line, &col) == 0) {
		struct buf b = BUF_INIT;
		snprintf(rest, sizeof rest, "%s", key);
		buf_printf(&b, "%s:%d:%d: %s", path, line, col, rest);
		snprintf(err->msg, sizeof err->msg, "%s", b.p);
		buf_free(&b);
	}
	free(kp);
	free(buf);
}

char *
preset_file_stem(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 5 && strcmp(b + n - 5, ".json") == 0)
		n -= 5;
	return xstrndup(b, n);
}

int
preset_load_file(const char *path, enum preset_origin o, struct preset *p,
    const struct ld_warn *w, struct ld_err *err)
{
	json_t *root;
	char *stem;
	int rc;

	memset(p, 0, sizeof *p);
	if ((root = preset_load_json(path, "preset", err)) == NULL)
		return LD_EUSAGE;
	rc = preset_from_json(root, path, "", 0, p, w, err);
	json_decref(root);
	if (rc != LD_OK) {
		preset_err_locate(path, err);
		return rc;
	}
	stem = preset_file_stem(path);
	if (strcmp(stem, p->name) != 0) {
		rc = err_set(err, LD_EUSAGE, "%s: name: \"%s\" differs from the file's name; "
		    "name the file %s.json or change the name", path, p->name, p->name);
		preset_err_locate(path, err);
		preset_free(p);
	} else {
		p->file = xstrdup(path);
		p->origin = o;
	}
	free(stem);
	return rc;
}

char *
preset_dirs_lookup(const struct preset_dirs *d, const char *name, size_t *which)
{
	for (size_t i = 0; i < d->n; i++) {
		char *path = xasprintf("%s/%s.json", d->dir[i], name);
		if (access(path, F_OK) == 0) {
			*which = i;
			return path;
		}
		free(path);
	}
	return NULL;
}

int
preset_find(const struct preset_dirs *d, const char *name, struct preset *p,
    const struct ld_warn *w, struct ld_err *err)
{
	memset(p, 0, sizeof *p);
	if (!preset_name_ok(name))
		return err_set(err, LD_EUSAGE, "'%s' is not a preset name (letters, digits, "
		    "'.', '_', '-')", name);
	size_t i;
	char *path = preset_dirs_lookup(d, name, &i);
	if (path != NULL) {
		int rc = preset_load_file(path, d->origin[i], p, w, err);
		free(path);
		return rc;
	}
	return err_set(err, LD_NOMATCH, "no preset named '%s' (logdive presets lists them)",
	    name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
preset_dir_stems(const char *dir, size_t *n, int *eno)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (dp == NULL) {
		*eno = errno;
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrndup(de->d_name, len - 5);
	}
	closedir(dp);
	qsort(v, *n, sizeof *v, cmp_str);
	return v ? v : xcalloc(1, sizeof *v);
}

void
preset_dirs_each(const struct preset_dirs *d,
    void (*fn)(void *arg, size_t i, const char *stem, const char *path),
    void (*unreadable)(void *arg, size_t i, int eno), void *arg)
{
	char **seen = NULL;
	size_t nseen = 0;

	for (size_t i = 0; i < d->n; i++) {
		size_t ns;
		int eno = 0;
		char **stems = preset_dir_stems(d->dir[i], &ns, &eno);
		if (stems == NULL) {
			if (unreadable != NULL)
				unreadable(arg, i, eno);
			continue;
		}
		for (size_t k = 0; k < ns; k++) {
			int dup = 0;
			for (size_t s = 0; s < nseen && !dup; s++)
				dup = strcmp(seen[s], stems[k]) == 0;
			if (dup) {
				free(stems[k]);
				continue;
			}
			seen = xreallocarray(seen, nseen + 1, sizeof *seen);
			seen[nseen++] = stems[k];
			char *path = xasprintf("%s/%s.json", d->dir[i], stems[k]);
			fn(arg, i, stems[k], path);
			free(path);
		}
		free(stems);
	}
	for (size_t s = 0; s < nseen; s++)
		free(seen[s]);
	free(seen);
}

static int
cmp_preset(const void *a, const void *b)
{
	return strcmp(((const struct preset *)a)->name, ((const struct preset *)b)->name);
}

struct list_ctx {
	const struct preset_dirs *d;
	const struct ld_warn	*w;
	struct preset		**out;
	size_t			*n, bad;
};

static void
list_unreadable(void *arg, size_t i, int eno)
{
	struct list_ctx *c = arg;

	if (c->d->origin[i] == PRESET_TEAM)
		ld_warnf(c->w, "presets_path: %s: %s", c->d->dir[i], strerror(eno));
}

static void
list_one(void *arg, size_t i, const char *stem, const char *path)
{
	struct list_ctx *c = arg;
	struct preset p;
	struct ld_err e;

	if (!preset_name_ok(stem)) {
		ld_warnf(c->w, "%s: skipped: the file name is not a preset name "
		    "(letters, digits, '.', '_', '-')", path);
		c->bad++;
		return;
	}
	err_clear(&e);
	if (preset_load_file(path, c->d->origin[i], &p, c->w, &e) != LD_OK) {
		ld_warnf(c->w, "%s", e.msg);
		c->bad++;
	} else {
		*c->out = xreallocarray(*c->out, *c->n + 1, sizeof **c->out);
		(*c->out)[(*c->n)++] = p;
	}
}

size_t
preset_list(const struct preset_dirs *d, struct preset **out, size_t *n,
    const struct ld_warn *w)
{
	struct list_ctx c = { d, w, out, n, 0 };

	*out = NULL;
	*n = 0;
	preset_dirs_each(d, list_one, list_unreadable, &c);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, cmp_preset);
	return c.bad;
}

/* ---- writing ---- */

static void
set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL)
		json_object_set_new(o, key, json_string(s));
}

void *
preset_to_json(const struct preset *p)
{
	json_t *o = json_object();
	char b[32];

	json_object_set_new(o, "logdive_preset", json_integer(PRESET_VERSION));
	set_str(o, "name", p->name);
	set_str(o, "description", p->description);
	set_str(o, "source", p->source);
	set_str(o, "query", p->query);
	set_str(o, "range", p->range);
	if (p->bucket > 0)
		set_str(o, "bucket", duration_format(p->bucket, b, sizeof b));
	set_str(o, "group_by", p->group_by);
	set_str(o, "view", preset_view_name(p->view));
	set_str(o, "panel", p->panel);
	set_str(o, "sort", p->sort);
	if (p->above) {
		snprintf(b, sizeof b, "p%d", p->above);
		set_str(o, "above", b);
	}
	if (p->limit)
		json_object_set_new(o, "limit", json_integer((json_int_t)p->limit));
	return o;
}

/* mkdir -p (mode 0777 & ~umask). */
static int
mkdirs(const char *dir)
{
	char *s = xstrdup(dir);
	int rc = 0;

	for (char *p = s + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, 0777) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(s, 0777) != 0 && errno != EEXIST)
		rc = -1;
	free(s);
	return rc;
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
preset_save(const struct preset *p, const char *dir, int overwrite, char **path,
    struct ld_err *err)
{
	struct preset_dirs d;
	char *udir = NULL, *file = NULL, *tmp = NULL, *text = NULL;
	int fd = -1, rc = LD_OK;
	json_t *o;

	if (path)
		*path = NULL;
	if (p->name == NULL || !preset_name_ok(p->name))
		return err_set(err, LD_EUSAGE, "'%s' is not a preset name: use 1 to %d letters, "
		    "digits, '.', '_' or '-', starting with a letter or digit",
		    p->name ? p->name : "", PRESET_NAME_MAX);
	if (p->source && (strstr(p->source, "://") || strchr(p->source, '@')))
		return err_set(err, LD_EUSAGE, "a preset names a source of the config file, "
		    "not a URL (credentials stay in the config file)");
	if (dir == NULL) {
		preset_dirs_default(&d, "presets", NULL, 0);
		if (d.n < 2 || d.origin[0] != PRESET_USER) {
			preset_dirs_free(&d);
			return err_set(err, LD_EUSAGE, "no directory for presets: set "
			    "XDG_CONFIG_HOME or HOME");
		}
		udir = xstrdup(d.dir[0]);
		preset_dirs_free(&d);
		dir = udir;
	}
	file = xasprintf("%s/%s.json", dir, p->name);
	if (!overwrite && access(file, F_OK) == 0) {
		rc = err_set(err, LD_EUSAGE, "preset '%s' exists (%s): choose another name or "
		    "overwrite it", p->name, file);
		goto out;
	}
	if (mkdirs(dir) != 0) {
		rc = err_set(err, LD_EUSAGE, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	o = preset_to_json(p);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL) {
		rc = err_set(err, LD_EUSAGE, "preset '%s': out of memory", p->name);
		goto out;
	}
	tmp = xasprintf("%s/.%s.json.XXXXXX", dir, p->name);
	if ((fd = mkstemp(tmp)) < 0) {
		rc = err_set(err, LD_EUSAGE, "cannot write in %s: %s", dir, strerror(errno));
		goto out;
	}
	fchmod(fd, 0644);
	if (write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 ||
	    fsync(fd) != 0) {
		rc = err_set(err, LD_EUSAGE, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = err_set(err, LD_EUSAGE, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (overwrite ? rename(tmp, file) != 0 : link(tmp, file) != 0) {
		if (errno == EEXIST)
			rc = err_set(err, LD_EUSAGE, "preset '%s' exists (%s): choose another "
			    "name or overwrite it", p->name, file);
		else
			rc = err_set(err, LD_EUSAGE, "cannot write %s: %s", file, strerror(errno));
		goto out;
	}
	if (!overwrite)
		unlink(tmp);
	free(tmp);
	tmp = NULL;
	if (path) {
		*path = file;
		file = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(text);
	free(file);
	free(udir);
	return rc;
}
