/* Elasticsearch query DSL, _msearch dashboard body and its parser (issue 3
 * §2). Pure: no network. See es_dsl.h for the choices made where
 * Elasticsearch cannot do what the file backend does. */
#include "config.h"
#include "backends/es_dsl.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUCKETS	65000	/* under search.max_buckets (65535/65536) */
#define DEF_TERMS	100
#define NO_GROUP	"(none)"

/* ---- small jansson helpers ---- */

/* {k: v}, stealing v. */
static json_t *
obj1(const char *k, json_t *v)
{
	json_t *o = json_object();

	json_object_set_new(o, k, v);
	return o;
}

/* {k1: {k2: v}}, stealing v. */
static json_t *
obj2(const char *k1, const char *k2, json_t *v)
{
	return obj1(k1, obj1(k2, v));
}

static json_t *
exists_q(const char *path)
{
	return obj2("exists", "field", json_string(path));
}

static json_t *
match_none(void)
{
	return obj1("match_none", json_object());
}

/* {"bool": {kind: arr}} (stealing arr); should gets minimum_should_match 1. */
static json_t *
bool_q(const char *kind, json_t *arr)
{
	json_t *b = obj1(kind, arr);

	if (strcmp(kind, "should") == 0)
		json_object_set_new(b, "minimum_should_match", json_integer(1));
	return obj1("bool", b);
}

/* A double as a JSON integer when it is one (and exact), else a real. */
static json_t *
num_json(double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static double
jnum(const json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : NAN;
}

static uint64_t
jcount(const json_t *j)
{
	double v = jnum(j);

	return isnan(v) || v < 0 ? 0 : (uint64_t)v;
}

static int
ci_ok(const struct es_fields *f)
{
	return f->version == 0 || f->version >= 710 || f->opensearch;
}

/* ---- the field list from _mapping (§3.3) ---- */

struct fent {
	char		*path;
	int		 type;		/* enum es_ftype, or -1 for an alias */
	char		*kwpath;
	char		*alias;		/* alias target */
	int		 multi, nested;
	size_t		 seq;
};

struct fvec {
	struct fent	*v;
	size_t		 n, cap;
};

static struct fent *
fvec_push(struct fvec *fv, char *path, int type)
{
	struct fent *e;

	if (fv->n == fv->cap) {
		fv->cap = fv->cap ? fv->cap * 2 : 64;
		fv->v = xreallocarray(fv->v, fv->cap, sizeof *fv->v);
	}
	e = &fv->v[fv->n];
	memset(e, 0, sizeof *e);
	e->path = path;
	e->type = type;
	e->seq = fv->n++;
	return e;
}

static enum es_ftype
ftype_of(const char *t)
{
	static const struct { const char *name; enum es_ftype t; } tab[] = {
		{ "keyword", ES_KEYWORD }, { "constant_keyword", ES_KEYWORD },
		{ "wildcard", ES_KEYWORD }, { "text", ES_TEXT },
		{ "match_only_text", ES_TEXT }, { "long", ES_LONG },
		{ "integer", ES_LONG }, { "short", ES_LONG }, { "byte", ES_LONG },
		{ "unsigned_long", ES_LONG }, { "double", ES_DOUBLE },
		{ "float", ES_DOUBLE }, { "half_float", ES_DOUBLE },
		{ "scaled_float", ES_DOUBLE }, { "date", ES_DATE },
		{ "date_nanos", ES_DATE }, { "boolean", ES_BOOLEAN },
		{ "object", ES_OBJECT }, { "nested", ES_OBJECT },
	};

	if (t == NULL)
		return ES_OBJECT;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(tab[i].name, t) == 0)
			return tab[i].t;
	return ES_OTHER;
}

static void
walk_props(const json_t *props, const char *prefix, int nested, struct fvec *fv)
{
	const char *k;
	json_t *node;

	if (!json_is_object(props))
		return;
	json_object_foreach((json_t *)props, k, node) {
		char *path = prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);
		const char *t = json_string_value(json_object_get(node, "type"));
		int nest = nested || (t != NULL && strcmp(t, "nested") == 0);
		struct fent *e;

		if (!json_is_object(node)) {
			free(path);
			continue;
		}
		if (t != NULL && strcmp(t, "alias") == 0) {
			e = fvec_push(fv, path, -1);
			e->nested = nest;
			const char *to = json_string_value(json_object_get(node, "path"));
			e->alias = to ? xstrdup(to) : NULL;
			continue;
		}
		e = fvec_push(fv, path, ftype_of(t));
		e->nested = nest;
		size_t me = fv->n - 1;
		const char *sk;
		json_t *sub;
		json_object_foreach(json_object_get(node, "fields"), sk, sub) {
			const char *st = json_string_value(json_object_get(sub, "type"));
			enum es_ftype sty = ftype_of(st);
			struct fent *s = fvec_push(fv, xasprintf("%s.%s", fv->v[me].path, sk),
			    sty);
			s->multi = 1;
			s->nested = nest;
			e = &fv->v[me];		/* fvec_push may move v */
			if (sty == ES_KEYWORD && (e->kwpath == NULL || strcmp(sk, "keyword") == 0)) {
				free(e->kwpath);
				e->kwpath = xstrdup(s->path);
			}
		}
		walk_props(json_object_get(node, "properties"), fv->v[me].path, nest, fv);
	}
}

static int
cmp_fent(const void *x, const void *y)
{
	const struct fent *a = x, *b = y;
	int c = strcmp(a->path, b->path);

	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The type to compile for among those seen (es_dsl.h). */
static enum es_ftype
pick_type(unsigned types)
{
	static const enum es_ftype order[] = {
		ES_KEYWORD, ES_TEXT, ES_DOUBLE, ES_LONG, ES_DATE, ES_BOOLEAN,
		ES_OBJECT, ES_OTHER
	};

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (types & (1u << order[i]))
			return order[i];
	return ES_OTHER;
}

static int
cmp_field(const void *x, const void *y)
{
	const struct es_field *a = x, *b = y;

	return strcmp(a->path, b->path);
}

const struct es_field *
es_fields_find(const struct es_fields *f, const char *path)
{
	struct es_field key;

	if (f == NULL || path == NULL || f->n == 0)
		return NULL;
	key.path = (char *)path;
	return bsearch(&key, f->v, f->n, sizeof *f->v, cmp_field);
}

int
es_fields_from_mapping(const json_t *resp, struct es_fields *out, struct ld_err *err)
{
	struct fvec fv = { NULL, 0, 0 };
	const char *idx;
	json_t *im;
	size_t i, j;

	memset(out, 0, sizeof *out);
	if (!json_is_object(resp))
		return err_set(err, LD_ESOURCE, "Elasticsearch _mapping answer is not a "
		    "JSON object");
	json_object_foreach((json_t *)resp, idx, im) {
		json_t *m = json_object_get(im, "mappings");
		json_t *props;

		if (!json_is_object(m)) {
			for (i = 0; i < fv.n; i++) {
				free(fv.v[i].path);
				free(fv.v[i].kwpath);
				free(fv.v[i].alias);
			}
			free(fv.v);
			return err_set(err, LD_ESOURCE, "Elasticsearch _mapping answer: "
			    "index %s has no \"mappings\" object", idx);
		}
		props = json_object_get(m, "properties");
		if (props == NULL && json_object_size(m) == 1) {	/* 6.x type level */
			void *it = json_object_iter(m);
			props = json_object_get(json_object_iter_value(it), "properties");
		}
		walk_props(props, NULL, 0, &fv);
	}
	if (fv.n > 1)		/* fv.v is NULL when no index has a field */
		qsort(fv.v, fv.n, sizeof *fv.v, cmp_fent);
	out->v = xcalloc(fv.n ? fv.n : 1, sizeof *out->v);
	for (i = 0; i < fv.n; i = j) {
		struct es_field *d = &out->v[out->n++];
		char *alias = NULL;

		d->path = fv.v[i].path;
		for (j = i; j < fv.n && strcmp(fv.v[j].path, d->path) == 0; j++) {
			struct fent *e = &fv.v[j];
			if (e->type >= 0)
				d->types |= 1u << e->type;
			else if (alias == NULL)
				alias = e->alias;
			if (d->kwpath == NULL && e->kwpath != NULL)
				d->kwpath = xstrdup(e->kwpath);
			d->multi |= e->multi;
			d->nested |= e->nested;
			if (j > i)
				free(e->path);
			free(e->kwpath);
			if (e->alias != alias)
				free(e->alias);
		}
		d->type = pick_type(d->types);
		if (d->types == 0)		/* only an alias: resolved below */
			d->types = 1u << ES_OTHER;
		/* keep the alias target in kwpath's place until resolved */
		if (alias != NULL && (d->types & ~(1u << ES_OTHER)) == 0) {
			free(d->kwpath);
			d->kwpath = alias;
			d->type = ES_NTYPES;
		} else
			free(alias);
	}
	free(fv.v);
	/* aliases take their target's type and keyword sub-field */
	for (i = 0; i < out->n; i++) {
		struct es_field *d = &out->v[i];
		const struct es_field *t;
		char *target;

		if (d->type != ES_NTYPES)
			continue;
		target = d->kwpath;
		t = es_fields_find(out, target);
		d->kwpath = NULL;
		d->alias = 1;
		d->type = ES_OTHER;
		if (t != NULL && t->type != ES_NTYPES) {
			d->type = t->type;
			d->types = t->types;
			d->kwpath = t->kwpath ? xstrdup(t->kwpath) : NULL;
			d->nested = t->nested;
		}
		free(target);
	}
	for (i = 0; i < out->n; i++)
		out->v[i].conflict = (out->v[i].types & (out->v[i].types - 1)) != 0;
	out->paths = xcalloc(out->n ? out->n : 1, sizeof *out->paths);
	for (i = 0; i < out->n; i++)
		out->paths[i] = out->v[i].path;
	return LD_OK;
}

void
es_fields_free(struct es_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].kwpath);
	}
	free(f->v);
	free(f->paths);
	memset(f, 0, sizeof *f);
}

const char *const *
es_fields_paths(const struct es_fields *f, size_t *n)
{
	*n = f->n;
	return f->paths;
}

int
es_server_version(const json_t *info, struct es_fields *f, struct ld_err *err)
{
	json_t *v = json_object_get(info, "version");
	const char *num = json_string_value(json_object_get(v, "number"));
	const char *dist = json_string_value(json_object_get(v, "distribution"));
	int major = 0, minor = 0;

	if (num == NULL || sscanf(num, "%d.%d", &major, &minor) < 1)
		return err_set(err, LD_ESOURCE, "the server's answer to GET / has no "
		    "version.number: is it Elasticsearch?");
	f->opensearch = dist != NULL && strcmp(dist, "opensearch") == 0;
	f->version = major * 100 + (minor > 99 ? 99 : minor);
	return LD_OK;
}

/* ---- the query AST to query DSL (§4.2) ---- */

struct cctx {
	const struct es_fields	*f;
	struct ld_err		*err;
};

static json_t *compile(const struct q_node *q, struct cctx *c);

/* LD_EUSAGE "MSG at col N"; returns NULL. */
static json_t * __attribute__((format(printf, 3, 4)))
cerr(struct cctx *c, int col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(c->err, LD_EUSAGE, "%s at col %d", msg, col);
	if (c->err != NULL)
		c->err->col = col;
	return NULL;
}

/* A user string as a JSON string; NULL with an error if not UTF-8. */
static json_t *
ustr(struct cctx *c, const char *s, int col)
{
	json_t *j = json_string(s);

	if (j == NULL)
		cerr(c, col, "value is not valid UTF-8");
	return j;
}

/* The number typed in q: an integer stays one. */
static json_t *
qnum(const struct q_node *q)
{
	const char *s = q->value;
	size_t i = s[0] == '-';

	if (s[i] != '\0' && strspn(s + i, "0123456789") == strlen(s + i)) {
		errno = 0;
		long long v = strtoll(s, NULL, 10);
		if (errno == 0)
			return json_integer((json_int_t)v);
	}
	return json_real(q->num);
}

static const char *
tname(enum es_ftype t)
{
	static const char *names[] = {
		"keyword", "text", "integer", "floating-point", "date", "boolean",
		"object", "other"
	};

	return t < ES_NTYPES ? names[t] : "unknown";
}

/* Escape * ? \ for a Lucene wildcard. */
static void
wild_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '*' || *s == '?' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
}

static json_t *
wildcard_q(const char *path, json_t *value, int ci)
{
	json_t *o = obj1("value", value);

	if (ci)
		json_object_set_new(o, "case_insensitive", json_true());
	return obj2("wildcard", path, o);
}

static const char *
range_op(enum q_cmp cmp)
{
	switch (cmp) {
	case Q_LT:
		return "lt";
	case Q_LE:
		return "lte";
	case Q_GT:
		return "gt";
	default:
		return "gte";
	}
}

static const struct es_field *
field_of(const struct q_node *q, struct cctx *c)
{
	const char *path = q->path ? q->path : q->field;
	const struct es_field *fd = es_fields_find(c->f, path);

	if (fd == NULL) {
		cerr(c, q->col, "unknown field '%s'", path);
		return NULL;
	}
	if (fd->nested) {
		cerr(c, q->col, "field '%s' is inside a nested object, which logdive "
		    "cannot query in Elasticsearch", path);
		return NULL;
	}
	return fd;
}

static json_t *
not_a_number(const struct q_node *q, const struct es_field *fd, struct cctx *c)
{
	return cerr(c, q->col, "field '%s' is numeric (%s) in Elasticsearch: %s%s%s "
	    "is not a number%s", fd->path, tname(fd->type), q->quoted ? "\"" : "'",
	    q->value, q->quoted ? "\"" : "'",
	    q->quoted ? " (a quoted value is a string; drop the quotes)" : "");
}

static json_t *
compile_field(const struct q_node *q, struct cctx *c)
{
	const struct es_field *fd = field_of(q, c);
	const char *kp;
	json_t *v;

	if (fd == NULL)
		return NULL;
	kp = fd->kwpath ? fd->kwpath : fd->path;
	if (q->cmp == Q_EQ && q->wildcard) {
		switch (fd->type) {
		case ES_KEYWORD:
		case ES_OTHER:
		case ES_TEXT:
			if ((v = ustr(c, q->value, q->col)) == NULL)
				return NULL;
			/* without a keyword sub-field: on the (lowercased) tokens */
			return wildcard_q(kp, v, fd->type == ES_TEXT && fd->kwpath == NULL &&
			    ci_ok(c->f));
		case ES_OBJECT:
			return match_none();
		default:
			return cerr(c, q->col, "field '%s' is %s in Elasticsearch: a wildcard "
			    "needs a string field", fd->path, tname(fd->type));
		}
	}
	if (q->cmp == Q_EQ) {
		switch (fd->type) {
		case ES_KEYWORD:
		case ES_OTHER:
			if ((v = ustr(c, q->value, q->col)) == NULL)
				return NULL;
			return obj2("term", fd->path, v);
		case ES_TEXT:
			if ((v = ustr(c, q->value, q->col)) == NULL)
				return NULL;
			if (fd->kwpath != NULL)
				return obj2("term", fd->kwpath, v);
			return obj2("match_phrase", fd->path, v);
		case ES_LONG:
		case ES_DOUBLE:
			if (!q->is_num || q->quoted)
				return not_a_number(q, fd, c);
			if (fd->type == ES_LONG && q->num != floor(q->num))
				return match_none();
			return obj2("term", fd->path, qnum(q));
		case ES_DATE:
			if (q->is_num && !q->quoted)
				return obj2("term", fd->path, qnum(q));
			if ((v = ustr(c, q->value, q->col)) == NULL)
				return NULL;
			return obj2("term", fd->path, v);
		case ES_BOOLEAN:
			if (!q->quoted && (strcmp(q->value, "true") == 0 ||
			    strcmp(q->value, "false") == 0))
				return obj2("term", fd->path,
				    json_boolean(q->value[0] == 't'));
			return cerr(c, q->col, "field '%s' is boolean in Elasticsearch: "
			    "use true or false, not \"%s\"", fd->path, q->value);
		default:
			return match_none();	/* objects match only field:* */
		}
	}
	/* < <= > >= */
	switch (fd->type) {
	case ES_KEYWORD:
	case ES_OTHER:
	case ES_TEXT:
		if (q->is_num && !q->quoted)
			return match_none();	/* numbers compare with numbers only */
		if ((v = ustr(c, q->value, q->col)) == NULL)
			return NULL;
		return obj2("range", kp, obj1(range_op(q->cmp), v));
	case ES_LONG:
	case ES_DOUBLE:
		if (!q->is_num || q->quoted)
			return not_a_number(q, fd, c);
		return obj2("range", fd->path, obj1(range_op(q->cmp), qnum(q)));
	case ES_DATE:
		if (q->is_num && !q->quoted)
			v = qnum(q);
		else if ((v = ustr(c, q->value, q->col)) == NULL)
			return NULL;
		return obj2("range", fd->path, obj1(range_op(q->cmp), v));
	default:
		return match_none();
	}
}

/* A field free text and regexes search: string types in every index (a
 * wildcard on a numeric index fails), not a sub-field, alias or nested. */
static int
string_only(const struct es_field *fd)
{
	return (fd->types & ~((1u << ES_KEYWORD) | (1u << ES_TEXT))) == 0 &&
	    !fd->multi && !fd->nested && !fd->alias;
}

static json_t *
should_or_one(json_t *arr)
{
	json_t *one;

	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return match_none();
	}
	if (json_array_size(arr) == 1) {
		one = json_incref(json_array_get(arr, 0));
		json_decref(arr);
		return one;
	}
	return bool_q("should", arr);
}

static json_t *
compile_text(const struct q_node *q, struct cctx *c)
{
	struct buf b = BUF_INIT;
	json_t *arr, *pat;
	int ci = ci_ok(c->f);

	buf_addc(&b, '*');
	wild_escape(&b, q->value);
	buf_addc(&b, '*');
	pat = ustr(c, b.p, q->col);
	buf_free(&b);
	if (pat == NULL)
		return NULL;
	arr = json_array();
	for (size_t i = 0; i < c->f->n; i++) {
		const struct es_field *fd = &c->f->v[i];
		if (!string_only(fd))
			continue;
		if (fd->type == ES_KEYWORD || fd->kwpath != NULL)
			json_array_append_new(arr, wildcard_q(fd->kwpath ? fd->kwpath :
			    fd->path, json_copy(pat), ci));
		if (fd->type == ES_TEXT)
			json_array_append_new(arr, obj2("match_phrase", fd->path,
			    json_string(q->value)));
	}
	json_decref(pat);
	return should_or_one(arr);
}

/* Translate PCRE2 pattern pat into a Lucene regexp (es_dsl.h) in out.
 * Returns 0, or -1 with err set. */
static int
lucene_regex(const char *pat, int col, struct buf *out, int *ci, struct cctx *c)
{
	size_t n = strlen(pat), i = 0, body;
	int astart = 0, aend = 0, depth = 0, alt = 0;
	const char *what = NULL, *hint = "";
	struct buf b = BUF_INIT;

	*ci = 0;
	if (strncmp(pat, "(?i)", 4) == 0) {
		*ci = 1;
		i = 4;
	}
	if (pat[i] == '^') {
		astart = 1;
		i++;
	}
	if (n > i && pat[n - 1] == '$') {
		size_t k = n - 1, bs = 0;
		while (k > i && pat[k - 1] == '\\') {
			k--;
			bs++;
		}
		if (bs % 2 == 0) {
			aend = 1;
			n--;
		}
	}
	body = i;
	buf_add(&b, "", 0);
	while (i < n && what == NULL) {
		unsigned char ch = (unsigned char)pat[i];
		unsigned char d = i + 1 < n ? (unsigned char)pat[i + 1] : 0;

		switch (ch) {
		case '\\':
			if (d == 0) {
				what = "a trailing backslash";
				break;
			}
			if (d == 't' || d == 'n' || d == 'r' || d == 'f') {
				buf_addc(&b, d == 't' ? '\t' : d == 'n' ? '\n' :
				    d == 'r' ? '\r' : '\f');
			} else if ((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') ||
			    (d >= 'A' && d <= 'Z')) {
				what = "this escape";
				if (d >= '1' && d <= '9')
					what = "a backreference";
				else if (d == 'd')
					hint = " (write [0-9])";
				else if (d == 'w')
					hint = " (write [0-9A-Za-z_])";
				else if (d == 's')
					hint = " (write a space or [ \\t])";
				break;
			} else {
				buf_addc(&b, '\\');
				buf_addc(&b, (char)d);
			}
			i += 2;
			continue;
		case '[': {
			size_t k = i + 1;
			buf_addc(&b, '[');
			if (pat[k] == '^')
				buf_addc(&b, pat[k++]);
			if (pat[k] == ']') {
				buf_adds(&b, "\\]");
				k++;
			}
			for (; k < n && pat[k] != ']' && what == NULL; k++) {
				if (pat[k] == '[' && pat[k + 1] == ':') {
					what = "a POSIX class [:...:]";
					i = k;
				} else if (pat[k] == '\\') {
					char e = k + 1 < n ? pat[k + 1] : 0;
					if (e == 't' || e == 'n' || e == 'r' || e == 'f')
						buf_addc(&b, e == 't' ? '\t' : e == 'n' ? '\n' :
						    e == 'r' ? '\r' : '\f');
					else if (e == 0 || (e >= '0' && e <= '9') ||
					    (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
						what = "this escape in a class";
						i = k;
					} else {
						buf_addc(&b, '\\');
						buf_addc(&b, e);
					}
					k++;
				} else if (pat[k] == '"') {
					buf_adds(&b, "\\\"");
				} else
					buf_addc(&b, pat[k]);
			}
			if (what != NULL)
				break;
			if (k >= n) {
				what = "an unclosed [";
				break;
			}
			buf_addc(&b, ']');
			i = k + 1;
			continue;
		}
		case '(':
			if (d == '?') {
				if (pat[i + 2] == ':') {
					buf_addc(&b, '(');
					depth++;
					i += 3;
					continue;
				}
				what = "a (? group (lookaround, named group or option)";
				break;
			}
			depth++;
			buf_addc(&b, '(');
			i++;
			continue;
		case ')':
			depth--;
			buf_addc(&b, ')');
			i++;
			continue;
		case '|':
			if (depth == 0)
				alt = 1;
			buf_addc(&b, '|');
			i++;
			continue;
		case '*':
		case '+':
		case '?':
			buf_addc(&b, (char)ch);
			i++;
			goto quant;
		case '{': {
			size_t k = i + 1, dig = strspn(pat + k, "0123456789");
			k += dig;
			if (dig > 0 && pat[k] == ',')
				k += 1 + strspn(pat + k + 1, "0123456789");
			if (dig == 0 || pat[k] != '}' || k >= n) {
				buf_adds(&b, "\\{");	/* a literal { in PCRE2 */
				i++;
				continue;
			}
			buf_add(&b, pat + i, k + 1 - i);
			i = k + 1;
			goto quant;
		}
		case '}':
			buf_adds(&b, "\\}");
			i++;
			continue;
		case '^':
		case '$':
			what = "an anchor other than a leading ^ or a trailing $";
			break;
		case '"':
			buf_adds(&b, "\\\"");
			i++;
			continue;
		default:
			buf_addc(&b, (char)ch);
			i++;
			continue;
		}
		break;
quant:
		if (pat[i] == '?' && i < n)
			i++;			/* lazy: same matches */
		else if (pat[i] == '+' && i < n)
			what = "a possessive quantifier";
	}
	if (what == NULL && alt && (astart || aend)) {
		what = "^ or $ with a top-level | (put the alternatives in (...))";
		i = body;
	}
	if (what != NULL) {
		int ecol = col + 1;
		for (size_t k = 0; k < i && pat[k] != '\0'; k++)
			if (((unsigned char)pat[k] & 0xc0) != 0x80)
				ecol++;
		buf_free(&b);
		cerr(c, ecol, "regex: %s is not supported by Elasticsearch regexp%s",
		    what, hint);
		return -1;
	}
	if (alt && !astart && !aend) {
		buf_adds(out, ".*(");
		buf_add(out, b.p, b.len);
		buf_adds(out, ").*");
	} else {
		if (!astart)
			buf_adds(out, ".*");
		buf_add(out, b.p, b.len);
		if (!aend)
			buf_adds(out, ".*");
	}
	buf_free(&b);
	return 0;
}

static json_t *
compile_regex(const struct q_node *q, struct cctx *c)
{
	struct buf b = BUF_INIT;
	json_t *arr, *proto;
	int ci;

	buf_add(&b, "", 0);
	if (lucene_regex(q->value, q->col, &b, &ci, c) != 0) {
		buf_free(&b);
		return NULL;
	}
	if (ci && !ci_ok(c->f)) {
		buf_free(&b);
		return cerr(c, q->col, "regex: (?i) needs Elasticsearch 7.10 or later");
	}
	proto = json_object();
	json_object_set_new(proto, "value", ustr(c, b.p, q->col));
	buf_free(&b);
	if (json_object_get(proto, "value") == NULL) {
		json_decref(proto);
		return NULL;
	}
	json_object_set_new(proto, "flags", json_string("NONE"));
	if (ci)
		json_object_set_new(proto, "case_insensitive", json_true());
	arr = json_array();
	for (size_t i = 0; i < c->f->n; i++) {
		const struct es_field *fd = &c->f->v[i];
		if (!string_only(fd) || (fd->type != ES_KEYWORD && fd->kwpath == NULL))
			continue;
		json_array_append_new(arr, obj2("regexp", fd->kwpath ? fd->kwpath : fd->path,
		    json_copy(proto)));
	}
	json_decref(proto);
	return should_or_one(arr);
}

/* Compile the chain of kind k under q into arr. Returns -1 on error. */
static int
chain(const struct q_node *q, enum q_kind k, json_t *arr, struct cctx *c)
{
	json_t *j;

	if (q->kind == k)
		return chain(q->a, k, arr, c) == 0 && chain(q->b, k, arr, c) == 0 ? 0 : -1;
	if ((j = compile(q, c)) == NULL)
		return -1;
	json_array_append_new(arr, j);
	return 0;
}

/* The field of j if it is {"term": {F: scalar}}, else NULL. */
static const char *
term_field(const json_t *j, json_t **val)
{
	json_t *t = json_object_get(j, "term");
	void *it;

	if (json_object_size(j) != 1 || json_object_size(t) != 1)
		return NULL;
	it = json_object_iter(t);
	*val = json_object_iter_value(it);
	if (json_is_object(*val) || json_is_array(*val))
		return NULL;
	return json_object_iter_key(it);
}

static json_t *
compile(const struct q_node *q, struct cctx *c)
{
	json_t *arr, *j;

	switch (q->kind) {
	case Q_AND:
	case Q_OR:
		arr = json_array();
		if (chain(q, q->kind, arr, c) != 0) {
			json_decref(arr);
			return NULL;
		}
		if (q->kind == Q_AND)
			return bool_q("filter", arr);
		/* or of exact matches on one field: one terms */
		{
			const char *f0 = NULL, *fi;
			json_t *vals = json_array(), *v;
			size_t i;
			json_array_foreach(arr, i, j) {
				fi = term_field(j, &v);
				if (fi == NULL || (f0 != NULL && strcmp(f0, fi) != 0))
					break;
				f0 = fi;
				json_array_append(vals, v);
			}
			if (i == json_array_size(arr)) {
				j = obj2("terms", f0, vals);
				json_decref(arr);
				return j;
			}
			json_decref(vals);
		}
		return bool_q("should", arr);
	case Q_NOT:
		if ((j = compile(q->a, c)) == NULL)
			return NULL;
		arr = json_array();
		json_array_append_new(arr, j);
		return bool_q("must_not", arr);
	case Q_EXISTS: {
		const struct es_field *fd = field_of(q, c);
		return fd ? exists_q(fd->path) : NULL;
	}
	case Q_FIELD:
		return compile_field(q, c);
	case Q_TEXT:
		return compile_text(q, c);
	case Q_REGEX:
		return compile_regex(q, c);
	}
	return NULL;
}

json_t *
es_query_from_ast(const struct q_node *q, const struct es_fields *f, struct ld_err *err)
{
	struct cctx c = { f, err };

	if (q == NULL)
		return obj1("match_all", json_object());
	return compile(q, &c);
}

/* ns rounded up to ms (es_range_filter). */
static int64_t
ceil_ms(int64_t ns)
{
	int64_t ms = ns / NS_PER_MS;

	if (ns % NS_PER_MS > 0)
		ms++;
	return ms;
}

static json_t *
iso_ms(int64_t ns)
{
	char s[48];
	int64_t ms = ceil_ms(ns);

	if (ms <= INT64_MAX / NS_PER_MS && ms >= INT64_MIN / NS_PER_MS + 1)
		ns = ms * NS_PER_MS;
	time_format_iso(ns, 3, s, sizeof s);
	return json_string(s);
}

json_t *
es_range_filter(const char *time_field, const struct time_range *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "gte", iso_ms(r->start));
	json_object_set_new(o, "lt", iso_ms(r->end));
	json_object_set_new(o, "format", json_string("strict_date_optional_time"));
	return obj2("range", time_field, o);
}

/* Append the range and the compiled q (an and-chain spliced) to arr. */
static int
add_filters(json_t *arr, const struct q_node *q, const struct es_fields *f,
    const char *time_field, const struct time_range *r, struct ld_err *err)
{
	json_t *j, *fl;

	if (r != NULL)
		json_array_append_new(arr, es_range_filter(time_field, r));
	if (q == NULL)
		return LD_OK;
	if ((j = es_query_from_ast(q, f, err)) == NULL)
		return LD_EUSAGE;
	fl = json_object_get(json_object_get(j, "bool"), "filter");
	if (json_object_size(j) == 1 && json_object_size(json_object_get(j, "bool")) == 1 &&
	    json_is_array(fl))
		json_array_extend(arr, fl);
	else
		json_array_append(arr, j);
	json_decref(j);
	return LD_OK;
}

json_t *
es_query_in_range(const struct q_node *q, const struct es_fields *f,
    const char *time_field, const struct time_range *r, struct ld_err *err)
{
	json_t *arr = json_array();

	if (add_filters(arr, q, f, time_field, r, err) != LD_OK) {
		json_decref(arr);
		return NULL;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return obj1("match_all", json_object());
	}
	return bool_q("filter", arr);
}

/* ---- the dashboard _msearch (§5, §6) ---- */

/* A role field usable for aggregations, or NULL. */
static const struct es_field *
role(const struct es_fields *f, const char *path)
{
	const struct es_field *fd = es_fields_find(f, path);

	return fd != NULL && !fd->nested ? fd : NULL;
}

/* {"filter": q, "aggs": sub} (sub may be NULL); steals both. */
static json_t *
filter_agg(json_t *q, json_t *sub)
{
	json_t *o = obj1("filter", q);

	if (sub != NULL)
		json_object_set_new(o, "aggs", sub);
	return o;
}

/* filter exists -> "avg": records with the field and the mean. */
static json_t *
mean_agg(const char *path)
{
	return filter_agg(exists_q(path), obj1("avg", obj2("avg", "field",
	    json_string(path))));
}

/* The confidence mean: of each record's array (ES_CONF_SCRIPT) or of
 * every value. */
static json_t *
conf_agg(const struct es_dash *d, const char *path)
{
	json_t *sc;

	if (!d->conf_script)
		return mean_agg(path);
	sc = json_object();
	json_object_set_new(sc, "lang", json_string("painless"));
	json_object_set_new(sc, "source", json_string(ES_CONF_SCRIPT));
	json_object_set_new(sc, "params", obj1("f", json_string(path)));
	return filter_agg(exists_q(path), obj1("avg", obj2("avg", "script", sc)));
}

/* The level-is-ERROR filter, or NULL if the field cannot say. */
static json_t *
error_filter(const struct es_fields *f, const struct es_field *fd)
{
	const char *p;
	json_t *o, *a;

	if (fd == NULL)
		return NULL;
	if (fd->type == ES_TEXT && fd->kwpath == NULL)
		return obj2("match", fd->path, json_string("ERROR"));
	if (fd->type != ES_KEYWORD && fd->type != ES_TEXT)
		return NULL;
	p = fd->kwpath ? fd->kwpath : fd->path;
	if (ci_ok(f)) {
		o = obj1("value", json_string("ERROR"));
		json_object_set_new(o, "case_insensitive", json_true());
		return obj2("term", p, o);
	}
	a = json_array();
	json_array_append_new(a, json_string("ERROR"));
	json_array_append_new(a, json_string("error"));
	json_array_append_new(a, json_string("Error"));
	return obj2("terms", p, a);
}

static json_t *
count_desc_key_asc(void)
{
	json_t *a = json_array();

	json_array_append_new(a, obj1("_count", json_string("desc")));
	json_array_append_new(a, obj1("_key", json_string("asc")));
	return a;
}

/* The aggregatable path of a field, or NULL (text without keyword). */
static const char *
agg_path(const struct es_field *fd)
{
	if (fd->type == ES_TEXT)
		return fd->kwpath;
	return fd->path;
}

struct dgeo {
	int64_t		first;
	size_t		nb;
};

static int
dash_geometry(const struct es_dash *d, struct dgeo *g, struct ld_err *err)
{
	if (d->bucket <= 0 || d->bucket % NS_PER_MS != 0)
		return err_set(err, LD_EUSAGE, "Elasticsearch buckets are whole "
		    "milliseconds: choose another -b");
	if (d->range.end <= d->range.start)
		return err_set(err, LD_EUSAGE, "empty time range");
	g->first = time_floor(d->range.start, d->bucket);
	int64_t nb = bucket_count(&d->range, d->bucket);
	if (nb <= 0 || nb > MAX_BUCKETS)
		return err_set(err, LD_EUSAGE, "too many buckets for Elasticsearch: %lld "
		    "(at most %d); choose a wider -b", (long long)nb, MAX_BUCKETS);
	g->nb = (size_t)nb;
	return LD_OK;
}

static json_t *
date_hist(const struct es_dash *d, const struct dgeo *g, json_t *sub)
{
	int64_t ms = d->bucket / NS_PER_MS;
	char iv[40];
	json_t *h, *eb, *o;

	if (ms % 86400000 == 0)
		snprintf(iv, sizeof iv, "%lldd", (long long)(ms / 86400000));
	else if (ms % 3600000 == 0)
		snprintf(iv, sizeof iv, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(iv, sizeof iv, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(iv, sizeof iv, "%llds", (long long)(ms / 1000));
	else
		snprintf(iv, sizeof iv, "%lldms", (long long)ms);
	h = json_object();
	json_object_set_new(h, "field", json_string(d->time_field));
	json_object_set_new(h, "fixed_interval", json_string(iv));
	json_object_set_new(h, "time_zone", json_string("UTC"));
	json_object_set_new(h, "min_doc_count", json_integer(0));
	eb = json_object();
	json_object_set_new(eb, "min", json_integer(g->first / NS_PER_MS));
	json_object_set_new(eb, "max", json_integer((g->first +
	    (int64_t)(g->nb - 1) * d->bucket) / NS_PER_MS));
	json_object_set_new(h, "extended_bounds", eb);
	o = obj1("date_histogram", h);
	if (sub != NULL && json_object_size(sub) > 0)
		json_object_set_new(o, "aggs", sub);
	else
		json_decref(sub);
	return o;
}

static json_t *
search_header(const struct es_dash *d)
{
	return d->index ? obj1("index", json_string(d->index)) : json_object();
}

static void
ndjson_add(struct buf *b, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	buf_adds(b, s);
	buf_addc(b, '\n');
	free(s);
	json_decref(j);
}

char *
es_msearch_dashboard(const struct es_dash *d, const struct es_fields *f,
    struct ld_err *err)
{
	const struct es_field *lat = role(f, d->latency_field);
	const struct es_field *grp = role(f, d->group_field);
	const struct es_field *ver = role(f, d->version_field);
	const struct es_field *conf = role(f, d->conf_field);
	const struct es_field *cache = role(f, d->cache_field);
	const struct es_field *lvl = role(f, d->level_field);
	const struct es_field *drift = role(f, d->drift_field);
	size_t maxg = d->max_groups ? d->max_groups : DEF_TERMS;
	size_t maxv = d->max_versions ? d->max_versions : DEF_TERMS;
	struct dgeo g;
	struct buf b = BUF_INIT;
	json_t *body, *aggs, *q, *t, *ef;

	if (d->time_field == NULL)
		return err_set(err, LD_EUSAGE, "no time field for Elasticsearch"), NULL;
	if (dash_geometry(d, &g, err) != LD_OK)
		return NULL;
	if (grp != NULL && agg_path(grp) == NULL)
		return err_set(err, LD_EUSAGE, "cannot group by '%s': it is a text field "
		    "without a keyword sub-field in Elasticsearch", grp->path), NULL;
	if (grp != NULL && conf != NULL && g.nb * (maxg + 1) > MAX_BUCKETS)
		return err_set(err, LD_EUSAGE, "too many buckets for Elasticsearch: %zu "
		    "buckets x %zu groups (at most %d); choose a wider -b", g.nb, maxg,
		    MAX_BUCKETS), NULL;
	if ((q = es_query_in_range(d->query, f, d->time_field, &d->range, err)) == NULL)
		return NULL;

	aggs = json_object();
	/* latency (and confidence) by group */
	if (lat != NULL || conf != NULL) {
		json_t *sub = json_object(), *gf;

		if (lat != NULL) {
			json_t *pct = json_object(), *pa = json_array(), *fl = json_array();
			json_t *la;
			json_object_set_new(pct, "field", json_string(lat->path));
			json_array_append_new(pa, json_integer(50));
			json_array_append_new(pa, json_integer(95));
			json_array_append_new(pa, json_integer(99));
			json_object_set_new(pct, "percents", pa);
			json_object_set_new(pct, "keyed", json_false());
			for (int k = 0; k < LAT_HIST_BINS - 1; k++)
				json_array_append_new(fl, obj2("range", lat->path,
				    obj1("lte", num_json(lat_hist_bounds[k]))));
			la = json_object();
			json_object_set_new(la, "pct", obj1("percentiles", pct));
			json_object_set_new(la, "hist", obj2("filters", "filters", fl));
			json_object_set_new(sub, "lat", filter_agg(exists_q(lat->path), la));
		}
		if (conf != NULL)
			json_object_set_new(sub, "t", date_hist(d, &g,
			    obj1("conf", conf_agg(d, conf->path))));
		if (lat != NULL && conf != NULL) {
			json_t *a = json_array();
			json_array_append_new(a, exists_q(lat->path));
			json_array_append_new(a, exists_q(conf->path));
			gf = bool_q("should", a);
		} else
			gf = exists_q(lat ? lat->path : conf->path);
		if (grp != NULL) {
			json_t *tm = json_object();
			json_object_set_new(tm, "field", json_string(agg_path(grp)));
			json_object_set_new(tm, "size", json_integer((json_int_t)maxg));
			json_object_set_new(tm, "order", count_desc_key_asc());
			if (grp->type == ES_KEYWORD || grp->type == ES_TEXT)
				json_object_set_new(tm, "missing", json_string(NO_GROUP));
			json_t *ga = obj1("terms", tm);
			json_object_set_new(ga, "aggs", sub);
			sub = obj1("g", ga);
		}
		json_object_set_new(aggs, "groups", filter_agg(gf, sub));
	}
	/* the time series */
	t = json_object();
	if (conf != NULL)
		json_object_set_new(t, "conf", conf_agg(d, conf->path));
	if (cache != NULL && cache->type == ES_BOOLEAN) {
		json_object_set_new(t, "hit", filter_agg(obj2("term", cache->path,
		    json_true()), NULL));
		json_object_set_new(t, "cset", filter_agg(exists_q(cache->path), NULL));
	}
	if ((ef = error_filter(f, lvl)) != NULL)
		json_object_set_new(t, "err", filter_agg(ef, NULL));
	if (drift != NULL)
		json_object_set_new(t, "drift", mean_agg(drift->path));
	json_object_set_new(aggs, "t", date_hist(d, &g, t));
	if (conf != NULL)
		json_object_set_new(aggs, "conf", conf_agg(d, conf->path));
	if (ver != NULL && agg_path(ver) != NULL) {
		json_t *tm = json_object();
		json_object_set_new(tm, "field", json_string(agg_path(ver)));
		json_object_set_new(tm, "size", json_integer((json_int_t)maxv));
		json_object_set_new(tm, "order", count_desc_key_asc());
		json_object_set_new(aggs, "ver", obj1("terms", tm));
	}

	body = json_object();
	json_object_set_new(body, "size", json_integer(0));
	json_object_set_new(body, "track_total_hits", json_true());
	json_object_set_new(body, "query", q);
	json_object_set_new(body, "aggs", aggs);
	ndjson_add(&b, search_header(d));
	ndjson_add(&b, body);

	if (conf != NULL) {
		int64_t span = d->range.end - d->range.start;
		struct time_range prev = { d->range.start - span, d->range.start };
		if ((q = es_query_in_range(d->query, f, d->time_field, &prev, err)) == NULL) {
			buf_free(&b);
			return NULL;
		}
		body = json_object();
		json_object_set_new(body, "size", json_integer(0));
		json_object_set_new(body, "track_total_hits", json_false());
		json_object_set_new(body, "query", q);
		json_object_set_new(body, "aggs", obj1("conf", conf_agg(d, conf->path)));
		ndjson_add(&b, search_header(d));
		ndjson_add(&b, body);
	}
	return buf_detach(&b);
}

/* ---- the dashboard response ---- */

/* Innermost caused_by of e. */
static const json_t *
innermost(const json_t *e)
{
	const json_t *c;

	while ((c = json_object_get(e, "caused_by")) != NULL && json_is_object(c))
		e = c;
	return e;
}

char *
es_error_text(const json_t *error, char *out, size_t outlen)
{
	const json_t *rc, *e, *in;
	const char *type, *reason, *inr;

	out[0] = '\0';
	if (json_is_string(error)) {
		snprintf(out, outlen, "%s", json_string_value(error));
		return out;
	}
	if (!json_is_object(error))
		return out;
	rc = json_array_get(json_object_get(error, "root_cause"), 0);
	e = json_is_object(rc) ? rc : error;
	type = json_string_value(json_object_get(e, "type"));
	reason = json_string_value(json_object_get(e, "reason"));
	in = innermost(error);
	inr = json_string_value(json_object_get(in, "reason"));
	snprintf(out, outlen, "%s%s%s", type ? type : "error", reason ? ": " : "",
	    reason ? reason : "");
	if (inr != NULL && in != error && (reason == NULL || strcmp(inr, reason) != 0)) {
		size_t l = strlen(out);
		snprintf(out + l, outlen - l, " (%s)", inr);
	}
	return out;
}

/* LD_ESOURCE for an item with an error or a non-200 status, else LD_OK. */
static int
item_error(const json_t *item, char *msg, size_t len)
{
	const json_t *e = json_object_get(item, "error");
	json_int_t st = json_integer_value(json_object_get(item, "status"));
	char why[400];

	if (!json_is_object(item)) {
		snprintf(msg, len, "Elasticsearch: _msearch answer lacks a response");
		return LD_ESOURCE;
	}
	if (e == NULL && (st == 0 || st == 200))
		return LD_OK;
	es_error_text(e, why, sizeof why);
	snprintf(msg, len, "Elasticsearch answered %lld: %s", (long long)(st ? st : 500),
	    why[0] ? why : "error");
	return LD_ESOURCE;
}

static int
names(const char *msg, const char *s, char open, char close)
{
	size_t n = strlen(s);

	if (n == 0)
		return 0;
	for (const char *p = msg; (p = strchr(p, open)) != NULL; p++)
		if (strncmp(p + 1, s, n) == 0 && p[1 + n] == close)
			return 1;
	return 0;
}

static const struct q_node *
blame_walk(const struct q_node *q, const char *msg, int by_path)
{
	const struct q_node *r;

	if (q == NULL)
		return NULL;
	switch (q->kind) {
	case Q_AND:
	case Q_OR:
		if ((r = blame_walk(q->a, msg, by_path)) != NULL)
			return r;
		return blame_walk(q->b, msg, by_path);
	case Q_NOT:
		return blame_walk(q->a, msg, by_path);
	case Q_FIELD:
	case Q_EXISTS:
		if (by_path)
			return q->path && names(msg, q->path, '[', ']') ? q : NULL;
		return q->kind == Q_FIELD && q->value &&
		    (names(msg, q->value, '[', ']') || names(msg, q->value, '"', '"')) ? q : NULL;
	default:
		return NULL;
	}
}

const struct q_node *
es_blame(const struct q_node *q, const char *msg)
{
	const struct q_node *r = blame_walk(q, msg, 0);

	return r ? r : blame_walk(q, msg, 1);
}

int
es_blame_err(const struct q_node *q, struct ld_err *err)
{
	static const char *const op[] = { ":", " < ", " <= ", " > ", " >= " };
	const struct q_node *n = es_blame(q, err->msg);
	size_t l = strlen(err->msg);

	if (n == NULL)
		return 0;
	err->col = n->col;
	err->status = LD_EUSAGE;
	if (n->kind == Q_EXISTS)
		snprintf(err->msg + l, sizeof err->msg - l, "; the query at col %d: %s:*",
		    n->col, n->field);
	else
		snprintf(err->msg + l, sizeof err->msg - l, "; the query at col %d: %s%s%s%s%s",
		    n->col, n->field, op[n->cmp], n->quoted || strpbrk(n->value, " \t") ?
		    "\"" : "", n->value, n->quoted || strpbrk(n->value, " \t") ? "\"" : "");
	return 1;
}

int
es_script_refused(const json_t *resp, char *why, size_t whylen)
{
	const json_t *items = json_object_get(resp, "responses"), *item;
	size_t i;

	json_array_foreach(items, i, item) {
		const json_t *e = json_object_get(item, "error");
		if (e == NULL)
			continue;
		es_error_text(e, why, whylen);
		if (strstr(why, "script") != NULL || strstr(why, "painless") != NULL)
			return 1;
	}
	if (whylen)
		why[0] = '\0';
	return 0;
}

static void
note_add(char *note, size_t notelen, const char *s)
{
	size_t l;

	if (note == NULL || notelen == 0)
		return;
	l = strlen(note);
	snprintf(note + l, notelen - l, "%s%s", l ? "; " : "", s);
}

/* Partial results of one item, as notes. */
static void
item_notes(const json_t *item, char *note, size_t notelen)
{
	const json_t *sh = json_object_get(item, "_shards");
	uint64_t total = jcount(json_object_get(sh, "total"));
	uint64_t failed = jcount(json_object_get(sh, "failed"));
	char why[400], s[512];

	if (failed > 0) {
		const json_t *f0 = json_array_get(json_object_get(sh, "failures"), 0);
		es_error_text(json_object_get(f0, "reason"), why, sizeof why);
		snprintf(s, sizeof s, "%llu/%llu shards answered%s%s",
		    (unsigned long long)(total - failed), (unsigned long long)total,
		    why[0] ? ": " : "", why);
		note_add(note, notelen, s);
	}
	if (json_is_true(json_object_get(item, "timed_out")))
		note_add(note, notelen, "timed out: partial results");
}

/* Bucket index of a date_histogram bucket, or -1. */
static long
bucket_index(const json_t *bk, const struct dgeo *g, int64_t width)
{
	double key = jnum(json_object_get(bk, "key"));
	int64_t t;

	if (isnan(key) || fabs(key) > 9.2e12)	/* ms: int64 ns stop at 9.22e12 */
		return -1;
	t = (int64_t)key * NS_PER_MS;
	if (t < g->first || (t - g->first) % width != 0)
		return -1;
	t = (t - g->first) / width;
	return t < (int64_t)g->nb ? (long)t : -1;
}

static void
fill_mean(struct mean_point *p, const json_t *agg)
{
	p->count = jcount(json_object_get(agg, "doc_count"));
	p->mean = p->count ? jnum(json_object_get(json_object_get(agg, "avg"), "value")) : NAN;
}

static void
mean_series(struct mean_point *pts, const json_t *hist, const char *name,
    const struct dgeo *g, int64_t width)
{
	const json_t *bk;
	size_t i;

	for (i = 0; i < g->nb; i++) {
		pts[i].mean = NAN;
		pts[i].count = 0;
	}
	json_array_foreach(json_object_get(hist, "buckets"), i, bk) {
		long k = bucket_index(bk, g, width);
		if (k >= 0)
			fill_mean(&pts[k], json_object_get(bk, name));
	}
}

/* Percentile p of a percentiles agg, keyed or not. */
static double
pct_value(const json_t *agg, double p)
{
	const json_t *vals = json_object_get(agg, "values"), *e;
	const char *k;
	size_t i;

	if (json_is_array(vals)) {
		json_array_foreach(vals, i, e)
			if (jnum(json_object_get(e, "key")) == p)
				return jnum(json_object_get(e, "value"));
	} else if (json_is_object(vals)) {
		json_object_foreach((json_t *)vals, k, e) {
			char *end;
			double kv = strtod(k, &end);
			if (*end == '\0' && kv == p)
				return jnum(e);
		}
	}
	return NAN;
}

/* A terms bucket's key as text. */
static char *
key_text(const json_t *bk)
{
	const json_t *k = json_object_get(bk, "key");
	const char *ks = json_string_value(json_object_get(bk, "key_as_string"));
	char s[40];

	if (ks != NULL)
		return xstrdup(ks);
	if (json_is_string(k))
		return xstrdup(json_string_value(k));
	if (json_is_integer(k)) {
		snprintf(s, sizeof s, "%lld", (long long)json_integer_value(k));
		return xstrdup(s);
	}
	if (json_is_real(k)) {
		double v = json_real_value(k);
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(s, sizeof s, "%.*g", prec, v);
			if (strtod(s, NULL) == v)
				break;
		}
		return xstrdup(s);
	}
	return xstrdup("");
}

struct pgroup {
	struct lat_group	 g;
	struct mean_point	*conf;
};

static int
cmp_pgroup(const void *x, const void *y)
{
	const struct pgroup *a = x, *b = y;

	if (a->g.count != b->g.count)
		return a->g.count > b->g.count ? -1 : 1;
	return strcmp(a->g.key, b->g.key);
}

static int
cmp_share_row(const void *x, const void *y)
{
	const struct share_row *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

static void
parse_group(struct pgroup *pg, const json_t *bk, char *key, const struct dgeo *g,
    int64_t width)
{
	const json_t *lat = json_object_get(bk, "lat");
	const json_t *hb = json_object_get(json_object_get(lat, "hist"), "buckets");
	const json_t *pct = json_object_get(lat, "pct");

	pg->g.key = key;
	pg->g.count = jcount(json_object_get(lat, "doc_count"));
	pg->g.p50 = pg->g.count ? pct_value(pct, 50) : NAN;
	pg->g.p95 = pg->g.count ? pct_value(pct, 95) : NAN;
	pg->g.p99 = pg->g.count ? pct_value(pct, 99) : NAN;
	for (int k = 0; k < LAT_HIST_BINS; k++) {
		pg->g.hist[k].le = lat_hist_bounds[k];
		pg->g.hist[k].count = k == LAT_HIST_BINS - 1 ? pg->g.count :
		    jcount(json_object_get(json_array_get(hb, (size_t)k), "doc_count"));
	}
	pg->conf = xcalloc(g->nb, sizeof *pg->conf);
	mean_series(pg->conf, json_object_get(bk, "t"), "conf", g, width);
}

static char *
dupor(const char *s)
{
	return xstrdup(s ? s : "");
}

int
es_parse_dashboard(const json_t *resp, const struct es_dash *d, const struct es_fields *f,
    struct panels *out, char *note, size_t notelen, struct ld_err *err)
{
	const json_t *items = json_object_get(resp, "responses");
	const json_t *r1 = json_array_get(items, 0), *r2, *aggs, *tot, *bk, *ga;
	const struct es_field *conf = role(f, d->conf_field);
	struct pgroup *pg = NULL;
	size_t npg = 0, i, k;
	struct dgeo g;
	char msg[512];

	memset(out, 0, sizeof *out);
	if (note != NULL && notelen > 0)
		note[0] = '\0';
	if ((i = (size_t)dash_geometry(d, &g, err)) != LD_OK)
		return (int)i;
	if (!json_is_array(items))
		return err_set(err, LD_ESOURCE, "Elasticsearch: the _msearch answer has no "
		    "\"responses\" array");
	if (item_error(r1, msg, sizeof msg) != LD_OK)
		return err_set(err, LD_ESOURCE, "%s", msg);
	item_notes(r1, note, notelen);
	aggs = json_object_get(r1, "aggregations");

	out->range = d->range;
	out->bucket = d->bucket;
	out->first = g.first;
	out->nbuckets = g.nb;
	out->exact = 0;
	out->conf_method = d->conf_script ? PANELS_CONF_SCRIPT : PANELS_CONF_VALUES;
	tot = json_object_get(json_object_get(r1, "hits"), "total");
	out->records.total = jcount(json_is_object(tot) ? json_object_get(tot, "value") : tot);
	out->latency_field = dupor(d->latency_field);
	out->group_by = dupor(d->group_field);
	out->version_field = dupor(d->version_field);

	/* groups */
	ga = json_object_get(aggs, "groups");
	if (ga != NULL) {
		const json_t *terms = json_object_get(ga, "g");
		if (terms != NULL) {
			const json_t *bks = json_object_get(terms, "buckets");
			pg = xcalloc(json_array_size(bks) + 1, sizeof *pg);
			json_array_foreach(bks, i, bk)
				parse_group(&pg[npg++], bk, key_text(bk), &g, d->bucket);
		} else {
			pg = xcalloc(1, sizeof *pg);
			parse_group(&pg[npg++], ga, xstrdup(NO_GROUP), &g, d->bucket);
		}
		qsort(pg, npg, sizeof *pg, cmp_pgroup);
	}
	out->nconf = npg + 1;
	out->conf = xcalloc(out->nconf, sizeof *out->conf);
	out->conf[0].key = xstrdup("*");
	out->conf[0].pts = xcalloc(g.nb, sizeof *out->conf[0].pts);
	mean_series(out->conf[0].pts, json_object_get(aggs, "t"), "conf", &g, d->bucket);
	out->groups = xcalloc(npg ? npg : 1, sizeof *out->groups);
	for (i = 0; i < npg; i++) {
		out->conf[i + 1].key = xstrdup(pg[i].g.key);
		out->conf[i + 1].pts = pg[i].conf;
		if (pg[i].g.count > 0)
			out->groups[out->ngroups++] = pg[i].g;
		else
			free(pg[i].g.key);
	}
	free(pg);

	/* time series */
	out->cache = xcalloc(g.nb, sizeof *out->cache);
	out->errors = xcalloc(g.nb, sizeof *out->errors);
	out->drift = xcalloc(g.nb, sizeof *out->drift);
	for (i = 0; i < g.nb; i++)
		out->drift[i].mean = NAN;
	json_array_foreach(json_object_get(json_object_get(aggs, "t"), "buckets"), i, bk) {
		long b = bucket_index(bk, &g, d->bucket);
		if (b < 0)
			continue;
		out->errors[b].total = jcount(json_object_get(bk, "doc_count"));
		out->errors[b].errors = jcount(json_object_get(json_object_get(bk, "err"),
		    "doc_count"));
		out->cache[b].hits = jcount(json_object_get(json_object_get(bk, "hit"),
		    "doc_count"));
		out->cache[b].total = jcount(json_object_get(json_object_get(bk, "cset"),
		    "doc_count"));
		if (json_object_get(bk, "drift") != NULL)
			fill_mean(&out->drift[b], json_object_get(bk, "drift"));
	}

	/* confidence over the range and before it */
	out->conf_mean = NAN;
	out->conf_prev = NAN;
	if (json_object_get(aggs, "conf") != NULL) {
		struct mean_point mp;
		fill_mean(&mp, json_object_get(aggs, "conf"));
		out->conf_mean = mp.mean;
	}
	if (conf != NULL) {
		r2 = json_array_get(items, 1);
		if (item_error(r2, msg, sizeof msg) != LD_OK) {
			char s[600];
			snprintf(s, sizeof s, "no confidence change: %s", msg);
			note_add(note, notelen, s);
		} else {
			struct mean_point mp;
			item_notes(r2, note, notelen);
			fill_mean(&mp, json_object_get(json_object_get(r2, "aggregations"),
			    "conf"));
			out->conf_prev = mp.mean;
		}
	}

	/* model-version share */
	{
		const json_t *bks = json_object_get(json_object_get(aggs, "ver"), "buckets");
		out->versions = xcalloc(json_array_size(bks) + 1, sizeof *out->versions);
		json_array_foreach(bks, k, bk) {
			out->versions[out->nversions].key = key_text(bk);
			out->versions[out->nversions++].count =
			    jcount(json_object_get(bk, "doc_count"));
		}
		qsort(out->versions, out->nversions, sizeof *out->versions, cmp_share_row);
	}
	return LD_OK;
}

/* ---- drill-down and trace pages (§4.1, §4.4, §4.5) ---- */

static json_t *
sort_key(const char *field, const char *order, const char *unmapped)
{
	json_t *o = obj1("order", json_string(order));

	if (unmapped != NULL)
		json_object_set_new(o, "unmapped_type", json_string(unmapped));
	return obj1(field, o);
}

/* size, sort, paging: the common part of a page body. */
static void
page_tail(json_t *body, json_t *sort, const struct es_search *s, const struct es_fields *f)
{
	if (s->tiebreak != NULL)
		json_array_append_new(sort, obj1(s->tiebreak, json_string("asc")));
	else if (s->pit_id != NULL && !f->opensearch)
		json_array_append_new(sort, obj1("_shard_doc", json_string("asc")));
	json_object_set_new(body, "sort", sort);
	json_object_set_new(body, "track_total_hits", json_boolean(s->search_after == NULL));
	if (s->search_after != NULL)
		json_object_set_new(body, "search_after", json_deep_copy(s->search_after));
	if (s->pit_id != NULL) {
		json_t *p = obj1("id", json_string(s->pit_id));
		json_object_set_new(p, "keep_alive", json_string(s->keep_alive ?
		    s->keep_alive : "1m"));
		json_object_set_new(body, "pit", p);
	}
}

json_t *
es_search_body(const struct es_search *s, const struct es_fields *f, struct ld_err *err)
{
	json_t *arr = json_array(), *body, *sort;
	const char *tf = s->time_field;
	const char *dir;

	if (add_filters(arr, s->query, f, tf, s->range, err) != LD_OK) {
		json_decref(arr);
		return NULL;
	}
	if (s->group_field != NULL && s->group_value != NULL) {
		const struct es_field *fd = role(f, s->group_field);
		const char *p = fd && agg_path(fd) ? agg_path(fd) : s->group_field;
		json_t *v = json_string(s->group_value);
		if (v == NULL) {
			json_decref(arr);
			return err_set(err, LD_EUSAGE, "group value is not valid UTF-8"), NULL;
		}
		if (strcmp(s->group_value, NO_GROUP) == 0 && fd != NULL &&
		    (fd->type == ES_KEYWORD || fd->type == ES_TEXT)) {
			json_t *n = json_array();
			json_array_append_new(n, exists_q(s->group_field));
			json_array_append_new(arr, bool_q("must_not", n));
			json_decref(v);
		} else
			json_array_append_new(arr, obj2("term", p, v));
	}
	if (!isnan(s->min_latency) && s->latency_field != NULL)
		json_array_append_new(arr, obj2("range", s->latency_field,
		    obj1("gte", num_json(s->min_latency))));
	body = json_object();
	json_object_set_new(body, "size", json_integer((json_int_t)s->size));
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		json_object_set_new(body, "query", obj1("match_all", json_object()));
	} else
		json_object_set_new(body, "query", bool_q("filter", arr));
	sort = json_array();
	dir = s->sort == SORT_TIME_DESC || s->sort == SORT_LATENCY_DESC ? "desc" : "asc";
	if ((s->sort == SORT_LATENCY_DESC || s->sort == SORT_LATENCY_ASC) &&
	    s->latency_field != NULL) {
		json_array_append_new(sort, sort_key(s->latency_field, dir, "float"));
		json_array_append_new(sort, sort_key(tf, "asc", "date"));
	} else
		json_array_append_new(sort, sort_key(tf, s->sort == SORT_TIME_DESC ?
		    "desc" : "asc", "date"));
	page_tail(body, sort, s, f);
	return body;
}

json_t *
es_trace_body(const struct es_search *s, const char *id_field, const char *id,
    const struct es_fields *f, struct ld_err *err)
{
	const struct es_field *fd = role(f, id_field);
	json_t *arr, *body, *sort, *v = json_string(id);

	if (v == NULL)
		return err_set(err, LD_EUSAGE, "trace id is not valid UTF-8"), NULL;
	arr = json_array();
	if (fd != NULL && fd->type == ES_TEXT && fd->kwpath == NULL)
		json_array_append_new(arr, obj2("match_phrase", id_field, v));
	else
		json_array_append_new(arr, obj2("term", fd && fd->kwpath ? fd->kwpath :
		    id_field, v));
	body = json_object();
	json_object_set_new(body, "size", json_integer((json_int_t)s->size));
	json_object_set_new(body, "query", bool_q("filter", arr));
	sort = json_array();
	json_array_append_new(sort, sort_key(s->time_field, "asc", "date"));
	page_tail(body, sort, s, f);
	return body;
}
