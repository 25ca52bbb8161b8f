#include "config.h"
#include "views/view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "tui/tui.h"

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

struct job *
job_new(enum job_kind kind, int tag)
{
	struct job *j = xcalloc(1, sizeof *j);

	j->kind = kind;
	j->tag = tag;
	j->min_latency = NAN;
	j->sort = SORT_TIME_ASC;
	j->hit.t = TIME_NONE;
	j->hit.latency = NAN;
	j->hit.confidence = NAN;
	err_clear(&j->err);
	return j;
}

struct job *
job_clone(const struct job *j)
{
	struct job *c = job_new(j->kind, j->tag);

	c->query = dup_or_null(j->query);
	c->has_range = j->has_range;
	c->range = j->range;
	c->bucket = j->bucket;
	c->group_by = dup_or_null(j->group_by);
	c->group_value = dup_or_null(j->group_value);
	c->min_latency = j->min_latency;
	c->sort = j->sort;
	c->limit = j->limit;
	c->all = j->all;
	c->above = j->above;
	c->own_range = j->own_range;
	c->id = dup_or_null(j->id);
	c->note = dup_or_null(j->note);
	hit_copy(&c->hit, &j->hit);
	return c;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->query);
	free(j->group_by);
	free(j->group_value);
	free(j->id);
	free(j->note);
	hit_clear(&j->hit);
	if (j->preset != NULL) {
		preset_free(j->preset);
		free(j->preset);
	}
	free(j->jtext);
	free(j->jdetail);
	panels_free(&j->panels);
	hitlist_free(&j->hits);
	free(j->text);
	for (size_t i = 0; i < j->npresets; i++)
		preset_free(&j->presets[i]);
	free(j->presets);
	for (size_t i = 0; i < j->nrunbooks; i++)
		runbook_free(&j->runbooks[i]);
	free(j->runbooks);
	free(j->path);
	for (size_t h = 0; h < 2; h++) {
		for (size_t i = 0; i < j->nhist[h]; i++)
			free(j->hist[h][i]);
		free(j->hist[h]);
	}
	free(j);
}

struct view *
view_new(const struct view_ops *ops, struct app *a, const char *crumb,
    void *priv)
{
	struct view *v = xcalloc(1, sizeof *v);

	v->ops = ops;
	v->app = a;
	v->crumb = xstrdup(crumb);
	v->priv = priv;
	return v;
}

void
view_free(struct view *v)
{
	if (v == NULL)
		return;
	if (v->ops->free != NULL)
		v->ops->free(v);
	free(v->crumb);
	free(v);
}

void
viewstack_push(struct viewstack *s, struct view *v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n++] = v;
}

struct view *
viewstack_pop(struct viewstack *s)
{
	return s->n == 0 ? NULL : s->v[--s->n];
}

struct view *
viewstack_top(const struct viewstack *s)
{
	return s->n == 0 ? NULL : s->v[s->n - 1];
}

struct view *
viewstack_find(const struct viewstack *s, unsigned long id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i]->id == id)
			return s->v[i];
	return NULL;
}

void
viewstack_free(struct viewstack *s)
{
	while (s->n > 0)
		view_free(s->v[--s->n]);
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}

void
viewstack_crumbs(const struct viewstack *s, const char *sep, char *out,
    size_t outlen)
{
	size_t i, o = 0;
	int r;

	out[0] = '\0';
	for (i = 0; i < s->n && o < outlen; i++) {
		r = snprintf(out + o, outlen - o, "%s%s", i ? sep : "",
		    s->v[i]->crumb);
		if (r < 0)
			break;
		o += (size_t)r;
	}
}

void
listpos_fit(struct listpos *lp, size_t page)
{
	if (page == 0)
		page = 1;
	if (lp->n == 0) {
		lp->sel = lp->top = 0;
		return;
	}
	if (lp->sel >= lp->n)
		lp->sel = lp->n - 1;
	if (lp->sel < lp->top)
		lp->top = lp->sel;
	if (lp->sel >= lp->top + page)
		lp->top = lp->sel - page + 1;
	/* no blank rows below the end when the list could fill them */
	if (lp->n >= page && lp->top + page > lp->n)
		lp->top = lp->n - page;
	if (lp->n < page)
		lp->top = 0;
}

int
listpos_key(struct listpos *lp, int key, size_t page, int gG)
{
	size_t half = page > 1 ? page / 2 : 1;

	if (page == 0)
		page = 1;
	switch (key) {
	case 'j': case K_DOWN:
		if (lp->sel + 1 < lp->n)
			lp->sel++;
		break;
	case 'k': case K_UP:
		if (lp->sel > 0)
			lp->sel--;
		break;
	case K_PGDN: case ' ':
		lp->sel += page;
		lp->top += page;
		break;
	case K_PGUP:
		lp->sel = lp->sel > page ? lp->sel - page : 0;
		lp->top = lp->top > page ? lp->top - page : 0;
		break;
	case K_CTRL('d'):
		lp->sel += half;
		break;
	case K_CTRL('u'):
		lp->sel = lp->sel > half ? lp->sel - half : 0;
		break;
	case K_HOME:
		lp->sel = 0;
		break;
	case K_END:
		lp->sel = lp->n ? lp->n - 1 : 0;
		break;
	case 'g':
		if (!gG)
			return 0;
		lp->sel = 0;
		break;
	case 'G':
		if (!gG)
			return 0;
		lp->sel = lp->n ? lp->n - 1 : 0;
		break;
	default:
		return 0;
	}
	if (lp->n > 0 && lp->sel >= lp->n)
		lp->sel = lp->n - 1;
	if (lp->n > 0 && lp->top >= lp->n)
		lp->top = lp->n - 1;
	listpos_fit(lp, page);
	return 1;
}

char *
fmt_ms(double ms, char *out, size_t outlen)
{
	if (isnan(ms))
		return fmt_double(ms, 0, out, outlen);
	if (fabs(ms) < 1000 && ms != floor(ms))
		return fmt_double(ms, 1, out, outlen);
	return fmt_double(ms, 0, out, outlen);
}

char *
fmt_time(int64_t t, int time_only, char *out, size_t outlen)
{
	char iso[40];

	if (t == TIME_NONE) {
		snprintf(out, outlen, "-");
		return out;
	}
	/* YYYY-MM-DDThh:mm:ss.fffZ */
	time_format_iso(t, 3, iso, sizeof iso);
	iso[10] = ' ';
	iso[23] = '\0';
	snprintf(out, outlen, "%s", time_only ? iso + 11 : iso);
	return out;
}

char *
fmt_range(const struct time_range *r, const char *arrow, int compact,
    char *out, size_t outlen)
{
	char a[40], b[40];
	const char *sa, *sb;
	int sec;

	time_format_iso(r->start, 0, a, sizeof a);
	time_format_iso(r->end, 0, b, sizeof b);
	/* seconds only when either end has them */
	sec = !compact && (strncmp(a + 17, "00", 2) != 0 ||
	    strncmp(b + 17, "00", 2) != 0);
	a[10] = b[10] = ' ';
	a[sec ? 19 : 16] = b[sec ? 19 : 16] = '\0';
	sa = compact ? a + 5 : a;
	if (strncmp(a, b, 10) == 0)
		sb = b + 11;
	else if (strncmp(a, b, 4) == 0)
		sb = b + 5;
	else
		sb = b;
	snprintf(out, outlen, "%s %s %s%s", sa, arrow, sb, compact ? "" : " UTC");
	return out;
}

size_t
text_wrap(const char *s, int w, size_t *start, size_t *len, size_t max)
{
	size_t n = 0, i = 0, slen = strlen(s), fit, end, used;

	if (w < 1)
		w = 1;
	while (i < slen) {
		while (i < slen && s[i] == ' ')
			i++;
		if (i >= slen)
			break;
		fit = str_fit(s + i, (size_t)w, &used);
		end = i + fit;
		if (end < slen && s[end] != ' ') {
			/* back to the last blank, unless the word is longer
			 * than the line */
			size_t k = end;

			while (k > i && s[k - 1] != ' ')
				k--;
			if (k > i)
				end = k;
		}
		if (end == i)		/* a character wider than w */
			end = i + 1;
		if (n < max) {
			size_t e = end;

			while (e > i && s[e - 1] == ' ')
				e--;
			start[n] = i;
			len[n] = e - i;
		}
		n++;
		i = end;
	}
	return n;
}

static const char *const sort_names[] = {
	[SORT_TIME_ASC] = "time", [SORT_TIME_DESC] = "-time",
	[SORT_LATENCY_DESC] = "latency", [SORT_LATENCY_ASC] = "-latency",
};

int
sort_from_name(const char *s, enum hit_sort *out)
{
	size_t i;

	for (i = 0; i < sizeof sort_names / sizeof sort_names[0]; i++)
		if (strcmp(s, sort_names[i]) == 0) {
			*out = (enum hit_sort)i;
			return 0;
		}
	return -1;
}

const char *
sort_to_name(enum hit_sort s)
{
	return (size_t)s < sizeof sort_names / sizeof sort_names[0] ?
	    sort_names[s] : "time";
}
