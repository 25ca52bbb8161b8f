#include "config.h"
#include "queries/runbook.h"
#include "queries/preset-int.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void
runbook_free(struct runbook *rb)
{
	for (size_t i = 0; i < rb->nsteps; i++) {
		struct runbook_step *s = &rb->steps[i];
		free(s->title);
		free(s->note);
		free(s->look_for);
		free(s->preset_name);
		preset_free(&s->preset);
	}
	free(rb->steps);
	free(rb->name);
	free(rb->title);
	free(rb->description);
	free(rb->alert);
	free(rb->file);
	memset(rb, 0, sizeof *rb);
}

static int
get_text(json_t *v, const char *file, const char *where, const char *key, char **out,
    struct ld_err *err)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		return err_set(err, LD_EUSAGE, "%s: %s%s: expected a non-empty string", file,
		    where, key);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return LD_OK;
}

static int
parse_step(const char *file, size_t n, json_t *o, const struct preset_dirs *presets,
    struct runbook_step *s, const struct ld_warn *w, struct ld_err *err)
{
	char where[48];
	const char *key;
	json_t *v;
	int rc;

	snprintf(where, sizeof where, "steps[%zu].", n);
	if (!json_is_object(o))
		return err_set(err, LD_EUSAGE, "%s: steps[%zu]: expected an object with "
		    "title, note and preset", file, n);
	json_object_foreach(o, key, v) {
		if (strcmp(key, "title") == 0)
			rc = get_text(v, file, where, key, &s->title, err);
		else if (strcmp(key, "note") == 0)
			rc = get_text(v, file, where, key, &s->note, err);
		else if (strcmp(key, "look_for") == 0)
			rc = get_text(v, file, where, key, &s->look_for, err);
		else if (strcmp(key, "preset") == 0) {
			char pw[64];
			snprintf(pw, sizeof pw, "%spreset.", where);
			if (json_is_string(v)) {
				struct ld_err e;
				err_clear(&e);
				s->preset_name = xstrdup(json_string_value(v));
				rc = presets ? preset_find(presets, s->preset_name, &s->preset, w,
				    &e) : err_set(&e, LD_NOMATCH, "no preset named '%s'",
				    s->preset_name);
				if (rc == LD_NOMATCH || (rc != LD_OK &&
				    !preset_name_ok(s->preset_name)))
					rc = err_set(err, LD_EUSAGE, "%s: %spreset: %s", file, where,
					    e.msg);
				else if (rc != LD_OK)
					*err = e;	/* the preset file's own message */
			} else if (json_is_object(v))
				rc = preset_from_json(v, file, pw, 1, &s->preset, w, err);
			else
				rc = err_set(err, LD_EUSAGE, "%s: %spreset: expected a preset's "
				    "name or an inline preset object", file, where);
		} else {
			ld_warnf(w, "%s: %s%s: unknown key, ignored (see logdive(1), RUNBOOKS)",
			    file, where, key);
			rc = LD_OK;
		}
		if (rc != LD_OK)
			return rc;
	}
	if (s->title == NULL || s->note == NULL || json_object_get(o, "preset") == NULL)
		return err_set(err, LD_EUSAGE, "%s: %s%s: missing", file, where,
		    s->title == NULL ? "title" : s->note == NULL ? "note" : "preset");
	return LD_OK;
}

static int
parse_runbook(const char *file, json_t *root, const struct preset_dirs *presets,
    struct runbook *rb, const struct ld_warn *w, struct ld_err *err)
{
	const char *key;
	json_t *v;
	int rc = LD_OK;

	if (!json_is_object(root))
		return err_set(err, LD_EUSAGE, "%s: expected a JSON object", file);
	json_object_foreach(root, key, v) {
		if (strcmp(key, "logdive_runbook") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1)
				rc = err_set(err, LD_EUSAGE, "%s: logdive_runbook: expected a "
				    "version number (%d)", file, RUNBOOK_VERSION);
			else if (json_integer_value(v) > RUNBOOK_VERSION)
				rc = err_set(err, LD_EUSAGE, "%s: logdive_runbook: version %lld is "
				    "for a newer logdive (this one reads %d): upgrade logdive", file,
				    (long long)json_integer_value(v), RUNBOOK_VERSION);
		} else if (strcmp(key, "name") == 0) {
			rc = get_text(v, file, "", key, &rb->name, err);
			if (rc == LD_OK && !preset_name_ok(rb->name))
				rc = err_set(err, LD_EUSAGE, "%s: name: use 1 to %d letters, digits, "
				    "'.', '_' or '-', starting with a letter or digit", file,
				    PRESET_NAME_MAX);
		} else if (strcmp(key, "title") == 0)
			rc = get_text(v, file, "", key, &rb->title, err);
		else if (strcmp(key, "description") == 0)
			rc = get_text(v, file, "", key, &rb->description, err);
		else if (strcmp(key, "alert") == 0)
			rc = get_text(v, file, "", key, &rb->alert, err);
		else if (strcmp(key, "steps") == 0) {
			size_t i;
			json_t *o;
			if (!json_is_array(v) || json_array_size(v) == 0)
				return err_set(err, LD_EUSAGE, "%s: steps: expected a non-empty "
				    "array of steps", file);
			rb->steps = xcalloc(json_array_size(v), sizeof *rb->steps);
			json_array_foreach(v, i, o) {
				rc = parse_step(file, i + 1, o, presets, &rb->steps[i], w, err);
				rb->nsteps = i + 1;
				if (rc != LD_OK)
					break;
			}
		} else
			ld_warnf(w, "%s: %s: unknown key, ignored (see logdive(1), RUNBOOKS)",
			    file, key);
		if (rc != LD_OK)
			return rc;
	}
	if (json_object_get(root, "logdive_runbook") == NULL)
		return err_set(err, LD_EUSAGE, "%s: logdive_runbook: missing (a runbook file "
		    "starts with {\"logdive_runbook\": %d, ...})", file, RUNBOOK_VERSION);
	if (rb->name == NULL || rb->title == NULL || rb->nsteps == 0)
		return err_set(err, LD_EUSAGE, "%s: %s: missing", file,
		    rb->name == NULL ? "name" : rb->title == NULL ? "title" : "steps");
	return LD_OK;
}

int
runbook_load_file(const char *path, enum preset_origin o,
    const struct preset_dirs *presets, struct runbook *rb,
    const struct ld_warn *w, struct ld_err *err)
{
	json_t *root;
	char *stem;
	int rc;

	memset(rb, 0, sizeof *rb);
	if ((root = preset_load_json(path, "runbook", err)) == NULL)
		return LD_EUSAGE;
	rc = parse_runbook(path, root, presets, rb, w, err);
	json_decref(root);
	if (rc == LD_OK) {
		stem = preset_file_stem(path);
		if (strcmp(stem, rb->name) != 0)
			rc = err_set(err, LD_EUSAGE, "%s: name: \"%s\" differs from the file's "
			    "name; name the file %s.json or change the name", path, rb->name,
			    rb->name);
		free(stem);
	}
	if (rc != LD_OK) {
		preset_err_locate(path, err);
		runbook_free(rb);
		return rc;
	}
	if (rb->description == NULL)
		rb->description = xstrdup("");
	if (rb->alert == NULL)
		rb->alert = xstrdup("");
	rb->file = xstrdup(path);
	rb->origin = o;
	return LD_OK;
}

int
runbook_find(const struct preset_dirs *d, const char *name,
    const struct preset_dirs *presets, struct runbook *rb,
    const struct ld_warn *w, struct ld_err *err)
{
	memset(rb, 0, sizeof *rb);
	if (!preset_name_ok(name))
		return err_set(err, LD_EUSAGE, "'%s' is not a runbook name (letters, digits, "
		    "'.', '_', '-')", name);
	size_t i;
	char *path = preset_dirs_lookup(d, name, &i);
	if (path != NULL) {
		int rc = runbook_load_file(path, d->origin[i], presets, rb, w, err);
		free(path);
		return rc;
	}
	return err_set(err, LD_NOMATCH, "no runbook named '%s' (logdive runbooks lists "
	    "them)", name);
}

static int
cmp_runbook(const void *a, const void *b)
{
	return strcmp(((const struct runbook *)a)->name, ((const struct runbook *)b)->name);
}

struct list_ctx {
	const struct preset_dirs *d, *presets;
	const struct ld_warn	*w;
	struct runbook		**out;
	size_t			*n, bad;
};

static void
list_one(void *arg, size_t i, const char *stem, const char *path)
{
	struct list_ctx *c = arg;
	struct runbook rb;
	struct ld_err e;

	(void)stem;
	err_clear(&e);
	if (runbook_load_file(path, c->d->origin[i], c->presets, &rb, c->w, &e) != LD_OK) {
		ld_warnf(c->w, "%s", e.msg);
		c->bad++;
	} else {
		*c->out = xreallocarray(*c->out, *c->n + 1, sizeof **c->out);
		(*c->out)[(*c->n)++] = rb;
	}
}

size_t
runbook_list(const struct preset_dirs *d, const struct preset_dirs *presets,
    struct runbook **out, size_t *n, const struct ld_warn *w)
{
	struct list_ctx c = { d, presets, w, out, n, 0 };

	*out = NULL;
	*n = 0;
	/* a folder need not have runbooks/ */
	preset_dirs_each(d, list_one, NULL, &c);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, cmp_runbook);
	return c.bad;
}
