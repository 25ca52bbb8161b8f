/* Locating a value in a JSON text: see jsonpos.h. */
#include "config.h"
#include "lib/jsonpos.h"

#include <stdlib.h>
#include <string.h>

struct scan {
	const char	*p, *end;
};

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
	    *s->p == '\r'))
		s->p++;
}

/* Past a string at s->p (on its opening quote); -1 if unterminated. */
static int
skip_string(struct scan *s)
{
	for (s->p++; s->p < s->end; s->p++) {
		if (*s->p == '\\')
			s->p++;
		else if (*s->p == '"') {
			s->p++;
			return 0;
		}
	}
	return -1;
}

/* Past any value; -1 on a syntax error. */
static int
skip_value(struct scan *s, int depth)
{
	char close;

	ws(s);
	if (s->p >= s->end || depth > 4096)
		return -1;
	if (*s->p == '"')
		return skip_string(s);
	if (*s->p != '{' && *s->p != '[') {
		while (s->p < s->end && strchr(" \t\r\n,]}", *s->p) == NULL)
			s->p++;
		return 0;
	}
	close = *s->p == '{' ? '}' : ']';
	s->p++;
	for (;;) {
		ws(s);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"' || skip_string(s) != 0)
				return -1;
			ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
		}
		if (skip_value(s, depth + 1) != 0)
			return -1;
		ws(s);
		if (s->p < s->end && *s->p == ',')
			s->p++;
		else if (s->p >= s->end || *s->p != close)
			return -1;
	}
}

/* 1 if the string at s->p (on its quote) is key[0..klen), plain escapes
 * undone; s->p is left past it. */
static int
key_is(struct scan *s, const char *key, size_t klen)
{
	size_t i = 0;
	int same = 1;

	for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
		char c = *s->p;
		if (c == '\\' && s->p + 1 < s->end) {
			c = *++s->p;
			if (c != '"' && c != '\\' && c != '/')
				same = 0;
		}
		if (i >= klen || key[i] != c)
			same = 0;
		i++;
	}
	if (s->p < s->end)
		s->p++;
	return same && i == klen;
}

/* Move s->p to the member key of the object at s->p; 0 if found, 1 if
 * absent (s->p back on the object), -1 on bad syntax. */
static int
member(struct scan *s, const char *key, size_t klen)
{
	const char *obj = s->p;

	s->p++;
	for (;;) {
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == '}')
			break;
		if (*s->p != '"')
			return -1;
		int hit = key_is(s, key, klen);
		ws(s);
		if (s->p >= s->end || *s->p++ != ':')
			return -1;
		ws(s);
		if (hit)
			return 0;
		if (skip_value(s, 0) != 0)
			return -1;
		ws(s);
		if (s->p < s->end && *s->p == ',')
			s->p++;
	}
	s->p = obj;
	return 1;
}

/* Move s->p to element idx of the array at s->p; as member. */
static int
element(struct scan *s, long idx)
{
	const char *arr = s->p;

	s->p++;
	for (long i = 0;; i++) {
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ']')
			break;
		if (i == idx)
			return 0;
		if (skip_value(s, 0) != 0)
			return -1;
		ws(s);
		if (s->p < s->end && *s->p == ',')
			s->p++;
	}
	s->p = arr;
	return 1;
}

int
json_path_pos(const char *text, size_t n, const char *path, int base, int *line,
    int *col)
{
	struct scan s = { text, text + n };
	const char *q = path;
	int l = 1, c = 1;

	ws(&s);
	while (*q) {
		int rc;
		if (*q == '[') {
			char *e;
			long idx = strtol(q + 1, &e, 10);
			if (*e != ']' || s.p >= s.end || *s.p != '[')
				return -1;
			rc = element(&s, idx - base);
			q = e + 1;
		} else {
			size_t k = strcspn(q, ".[");
			if (s.p >= s.end || *s.p != '{')
				return -1;
			rc = member(&s, q, k);
			q += k;
		}
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;		/* absent: the holder */
		if (*q == '.')
			q++;
	}
	for (const char *p = text; p < s.p; p++) {
		if (*p == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)*p & 0xc0) != 0x80)
			c++;
	}
	*line = l;
	*col = c;
	return 0;
}
