#include "config.h"
#include "queries/query.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#include <pcre2.h>

#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The query language of DESIGN §4, a KQL dialect:
 *
 *   query   = [ or ] ;
 *   or      = and { "or" and } ;
 *   and     = unary { [ "and" ] unary } ;	side by side means and
 *   unary   = "not" unary | primary ;
 *   primary = "(" or ")" | WORD ":" fvalue | WORD CMP value
 *           | WORD | PHRASE | REGEX ;		the last three: free text, regex
 *   fvalue  = "(" gor ")" | gvalue ;
 *   gor     = gand { "or" gand } ;		a value group: the same rules
 *   gand    = gunary { [ "and" ] gunary } ;	over the values of one field
 *   gunary  = "not" gunary | "(" gor ")" | gvalue ;
 *   gvalue  = "*" | CMP value | value ;	"*": the field exists
 *   value   = WORD | PHRASE ;
 *   CMP     = "<" | "<=" | ">" | ">=" ;
 *
 * Precedence: not > and > or; and/or/not are keywords in any case unless
 * quoted or escaped. A WORD runs up to a blank, '(', ')' or '"' and, where
 * a field name may stand, ':', '<' or '>'. In a value ':', '<', '>' and
 * '/' are ordinary, so `path:/v1/recommend` and `@timestamp >=
 * 2026-02-27T03:00:00Z` work, except that a leading CMP makes a comparison
 * (Lucene's latency_ms:>500). A backslash makes the next byte literal
 * everywhere. PHRASE is "double-quoted". REGEX is /pcre2/ with \/ for a
 * slash, where a term may start. '#' where a token may start begins a
 * comment to the end of the line. '(' and 'not' nest at most Q_MAXDEPTH
 * deep.
 */

#define Q_MAXDEPTH	128	/* nested '(' and 'not' */
#define Q_NVALS		16	/* values per field read without the thread buffer */
#define Q_NCANDS	8	/* candidates listed in an ambiguity error */

enum tok_type {
	T_EOF, T_ERR, T_LPAREN, T_RPAREN, T_COLON, T_CMP, T_WORD, T_PHRASE,
	T_REGEX, T_AND, T_OR, T_NOT
};

/* Where the lexer is: a term (field names, regexes) or a value. */
enum lex_mode { M_TERM, M_VALUE };

struct tok {
	enum tok_type	 type;
	size_t		 off;		/* first byte in the text */
	size_t		 end;		/* one past the last byte */
	int		 col;
	enum q_cmp	 cmp;		/* T_CMP */
	int		 wild;		/* T_WORD: an unescaped '*' or '?' */
	int		 escaped;	/* T_WORD: a backslash escape */
};

struct parser {
	const char	*s;
	size_t		 pos;		/* next byte to lex */
	int		 depth;
	struct ld_err	*err;
	size_t		 colpos;	/* col() cache: colval is the column at colpos */
	int		 colval;
};

/* A value group's field: every value in it becomes FIELD(name, value). */
struct group {
	const char	*field;
	int		 col;
};

struct nodes {
	struct q_node	**v;
	size_t		  n, cap;
};

static struct q_node	*parse_or(struct parser *, const struct group *,
			    const char *);
static struct q_node	*cmp_value(struct parser *, const struct group *,
			    const struct tok *);

/* 1-based column (in UTF-8 characters) of byte off. */
static int
col(struct parser *p, size_t off)
{
	if (off < p->colpos) {
		p->colpos = 0;
		p->colval = 1;
	}
	for (; p->colpos < off && p->s[p->colpos] != '\0'; p->colpos++)
		if (((unsigned char)p->s[p->colpos] & 0xc0) != 0x80)
			p->colval++;
	return p->colval;
}

/* Set a usage error "WHAT at col N TAIL" pointing at byte off. */
static void __attribute__((format(printf, 4, 5)))
perr(struct parser *p, size_t off, const char *tail, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	int c = col(p, off);

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	err_set(p->err, LD_EUSAGE, "%s at col %d%s", what, c, tail);
	if (p->err != NULL)
		p->err->col = c;
}

static void
too_deep(struct parser *p, size_t off)
{
	char tail[64];

	snprintf(tail, sizeof tail, " (more than %d levels)", Q_MAXDEPTH);
	perr(p, off, tail, "query nested too deeply");
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* 1 if c ends an unquoted word in mode m. */
static int
ends_word(int c, enum lex_mode m)
{
	if (c == '\0' || is_blank(c) || c == '(' || c == ')' || c == '"')
		return 1;
	return m == M_TERM && (c == ':' || c == '<' || c == '>');
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive s[0..n) == kw (kw lower-case). */
static int
is_keyword(const char *s, size_t n, const char *kw)
{
	size_t i;

	if (strlen(kw) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != kw[i])
			return 0;
	return 1;
}

/* Scan a "phrase" or /regex/ starting at i (the opening quote or slash). */
static enum tok_type
lex_quoted(struct parser *p, size_t i, struct tok *t, enum tok_type type)
{
	const char *s = p->s;
	int close = s[i];
	size_t j = i + 1;

	for (;;) {
		if (s[j] == '\0') {
			perr(p, i, "", "unterminated %s starting",
			    type == T_PHRASE ? "string" : "regex");
			return t->type = T_ERR;
		}
		if (s[j] == '\\' && s[j + 1] != '\0')
			j += 2;
		else if (s[j] == close)
			break;
		else
			j++;
	}
	t->end = j + 1;
	if (type == T_REGEX && !is_blank(s[t->end]) && s[t->end] != '\0' &&
	    s[t->end] != '(' && s[t->end] != ')') {
		perr(p, t->end, " (for flags write /(?i)pattern/)",
		    "unexpected text after regex");
		return t->type = T_ERR;
	}
	return t->type = type;
}

/* Lex the token at p->pos without consuming it (the caller sets p->pos to
 * t->end to consume). T_ERR: the error is set. */
static enum tok_type
lex(struct parser *p, enum lex_mode m, struct tok *t)
{
	const char *s = p->s;
	size_t i = p->pos, j;

	memset(t, 0, sizeof *t);
	for (;;) {
		while (is_blank(s[i]))
			i++;
		if (s[i] != '#')
			break;
		while (s[i] != '\0' && s[i] != '\n')
			i++;
	}
	t->off = i;
	t->end = i + 1;
	t->col = col(p, i);
	switch (s[i]) {
	case '\0':
		t->end = i;
		return t->type = T_EOF;
	case '(':
		return t->type = T_LPAREN;
	case ')':
		return t->type = T_RPAREN;
	case '"':
		return lex_quoted(p, i, t, T_PHRASE);
	}
	if (m == M_TERM) {
		switch (s[i]) {
		case ':':
			return t->type = T_COLON;
		case '<':
		case '>':
			if (s[i + 1] == '=') {
				t->cmp = s[i] == '<' ? Q_LE : Q_GE;
				t->end = i + 2;
			} else
				t->cmp = s[i] == '<' ? Q_LT : Q_GT;
			return t->type = T_CMP;
		case '/':
			return lex_quoted(p, i, t, T_REGEX);
		}
	}
	for (j = i; !ends_word(s[j], m); j++) {
		if (s[j] == '\\') {
			if (s[j + 1] == '\0') {
				perr(p, j, "", "nothing to escape after '\\'");
				return t->type = T_ERR;
			}
			t->escaped = 1;
			j++;
		} else if (s[j] == '*' || s[j] == '?')
			t->wild = 1;
	}
	t->end = j;
	if (!t->escaped) {
		if (is_keyword(s + i, j - i, "and"))
			return t->type = T_AND;
		if (is_keyword(s + i, j - i, "or"))
			return t->type = T_OR;
		if (is_keyword(s + i, j - i, "not"))
			return t->type = T_NOT;
	}
	return t->type = T_WORD;
}

/* How a token reads in an error message. */
static const char *
tok_name(const struct tok *t)
{
	static const char *const cmps[] = { ":", "<", "<=", ">", ">=" };

	switch (t->type) {
	case T_COLON:
		return ":";
	case T_CMP:
		return cmps[t->cmp];
	case T_AND:
		return "and";
	case T_OR:
		return "or";
	case T_NOT:
		return "not";
	case T_LPAREN:
		return "(";
	case T_RPAREN:
		return ")";
	default:
		return "?";
	}
}

/* s[off..end) without backslash escapes; keepwild keeps \* \? \\ escaped
 * (a wildcard pattern). */
static char *
unescape(const char *s, size_t off, size_t end, int keepwild)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_add(&b, "", 0);	/* NUL-terminated even if empty */
	buf_reserve(&b, end - off);
	for (i = off; i < end; i++) {
		if (s[i] == '\\' && i + 1 < end) {
			i++;
			if (keepwild && (s[i] == '*' || s[i] == '?' ||
			    s[i] == '\\'))
				buf_addc(&b, '\\');
		}
		buf_addc(&b, s[i]);
	}
	return buf_detach(&b);
}

/* strtod of a validated JSON number, whatever LC_NUMERIC says. */
static double
json_strtod(const char *v)
{
	const char *dp = localeconv()->decimal_point;
	struct buf b = BUF_INIT;
	double d;

	if (strcmp(dp, ".") == 0 || strchr(v, '.') == NULL)
		return strtod(v, NULL);
	for (; *v != '\0'; v++)
		if (*v == '.')
			buf_adds(&b, dp);
		else
			buf_addc(&b, *v);
	d = strtod(b.p, NULL);
	buf_free(&b);
	return d;
}

/* 1 and *num if v is a JSON number (RFC 8259 §6). */
static int
parse_num(const char *v, double *num)
{
	const char *c = v;

#define DIGIT(x)	((x) >= '0' && (x) <= '9')
	if (*c == '-')
		c++;
	if (*c == '0')
		c++;
	else if (*c >= '1' && *c <= '9')
		while (DIGIT(*c))
			c++;
	else
		return 0;
	if (*c == '.') {
		if (!DIGIT(c[1]))
			return 0;
		for (c++; DIGIT(*c); c++)
			;
	}
	if (*c == 'e' || *c == 'E') {
		c++;
		if (*c == '+' || *c == '-')
			c++;
		if (!DIGIT(*c))
			return 0;
		while (DIGIT(*c))
			c++;
	}
#undef DIGIT
	if (*c != '\0')
		return 0;
	*num = json_strtod(v);
	return 1;
}

static struct q_node *
node_new(enum q_kind kind, int c)
{
	struct q_node *q = xcalloc(1, sizeof *q);

	q->kind = kind;
	q->col = c;
	return q;
}

static void
nodes_push(struct nodes *v, struct q_node *q)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->v = xreallocarray(v->v, v->cap, sizeof *v->v);
	}
	v->v[v->n++] = q;
}

static void
nodes_free(struct nodes *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		query_free(v->v[i]);
	free(v->v);
}

/* A balanced tree of kind over v[0..n): a long chain of and/or stays
 * log2(n) deep, so evaluating it cannot exhaust the stack. */
static struct q_node *
build(enum q_kind kind, struct q_node **v, size_t n)
{
	struct q_node *q;
	size_t h = n / 2;

	if (n == 1)
		return v[0];
	q = node_new(kind, v[0]->col);
	q->a = build(kind, v, h);
	q->b = build(kind, v + h, n - h);
	return q;
}

static int
starts_operand(const struct tok *t, const struct group *g)
{
	switch (t->type) {
	case T_WORD:
	case T_PHRASE:
	case T_LPAREN:
	case T_NOT:
		return 1;
	case T_REGEX:
	case T_COLON:
	case T_CMP:
		return g == NULL;
	default:
		return 0;
	}
}

/* Report a missing operand at t; after is the token before it, if any. */
static void
expected(struct parser *p, const struct tok *t, const struct group *g,
    const char *after)
{
	const char *what = g ? "a value" : "a query";

	if (after != NULL)
		perr(p, t->off, "", "expected %s after '%s'", what, after);
	else if (t->type == T_RPAREN)
		perr(p, t->off, "", "unbalanced ')'");
	else if (t->type == T_AND || t->type == T_OR)
		perr(p, t->off, "", "expected %s before '%s'", what,
		    tok_name(t));
	else
		perr(p, t->off, "", "unexpected '%s'", tok_name(t));
}

/* Expect ')' closing the '(' at open; consumes it. */
static int
close_paren(struct parser *p, enum lex_mode m, const struct tok *open)
{
	struct tok t;

	if (lex(p, m, &t) == T_ERR)
		return -1;
	if (t.type != T_RPAREN) {
		perr(p, open->off, "", "missing ')' for '('");
		return -1;
	}
	p->pos = t.end;
	return 0;
}

/* A FIELD or EXISTS node for the value token t of group g. */
static struct q_node *
leaf(struct parser *p, const struct group *g, const struct tok *t,
    enum q_cmp cmp)
{
	const char *s = p->s;
	struct q_node *q;

	p->pos = t->end;
	if (cmp == Q_EQ && t->type == T_WORD &&
	    (s[t->off] == '<' || s[t->off] == '>')) {
		/* Lucene's f:>500 is f > 500 (\> for a literal '>'). */
		struct tok op = *t, v = *t;
		int eq = s[t->off + 1] == '=';

		op.type = T_CMP;
		op.end = t->off + 1 + eq;
		if (s[t->off] == '<')
			op.cmp = eq ? Q_LE : Q_LT;
		else
			op.cmp = eq ? Q_GE : Q_GT;
		if (op.end == t->end) {
			p->pos = op.end;
			return cmp_value(p, g, &op);
		}
		v.off = op.end;
		return leaf(p, g, &v, op.cmp);
	}
	if (cmp == Q_EQ && t->type == T_WORD && t->end - t->off == 1 &&
	    s[t->off] == '*') {
		q = node_new(Q_EXISTS, g->col);
		q->field = xstrdup(g->field);
		return q;
	}
	q = node_new(Q_FIELD, g->col);
	q->field = xstrdup(g->field);
	q->cmp = cmp;
	if (t->type == T_PHRASE) {
		q->value = unescape(s, t->off + 1, t->end - 1, 0);
		q->quoted = 1;
		return q;
	}
	q->wildcard = cmp == Q_EQ && t->wild;
	q->value = unescape(s, t->off, t->end, q->wildcard);
	if (!q->wildcard)
		q->is_num = parse_num(q->value, &q->num);
	return q;
}

/* The value after "field:": a value, "*" or a value group. */
static struct q_node *
field_value(struct parser *p, const struct group *g)
{
	struct q_node *q;
	struct tok t;

	if (lex(p, M_VALUE, &t) == T_ERR)
		return NULL;
	if (t.type == T_WORD || t.type == T_PHRASE)
		return leaf(p, g, &t, Q_EQ);
	if (t.type != T_LPAREN) {
		perr(p, t.off, "", "expected value after ':'");
		return NULL;
	}
	if (++p->depth > Q_MAXDEPTH) {
		too_deep(p, t.off);
		return NULL;
	}
	p->pos = t.end;
	if ((q = parse_or(p, g, "(")) != NULL &&
	    close_paren(p, M_VALUE, &t) == -1) {
		query_free(q);
		q = NULL;
	}
	p->depth--;
	return q;
}

/* The value after "field <op>": one word or phrase. */
static struct q_node *
cmp_value(struct parser *p, const struct group *g, const struct tok *op)
{
	struct tok t;

	if (lex(p, M_VALUE, &t) == T_ERR)
		return NULL;
	if (t.type == T_WORD || t.type == T_PHRASE)
		return leaf(p, g, &t, op->cmp);
	perr(p, t.off, "", "expected value after '%s'", tok_name(op));
	return NULL;
}

static struct q_node *
regex(struct parser *p, const struct tok *t)
{
	const char *s = p->s;
	struct q_node *q;
	struct buf pat = BUF_INIT;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE eoff;
	pcre2_code *re;
	uint32_t opts = 0;
	size_t i;
	int ecode;
	char tail[300];

	p->pos = t->end;
	buf_add(&pat, "", 0);
	buf_reserve(&pat, t->end - t->off);
	for (i = t->off + 1; i < t->end - 1; i++) {
		if (s[i] == '\\' && s[i + 1] == '/')
			i++;
		else if (s[i] == '\\')
			buf_addc(&pat, s[i++]);
		buf_addc(&pat, s[i]);
	}
#ifdef PCRE2_MATCH_INVALID_UTF
	opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;	/* logs hold bad UTF-8 */
#endif
	re = pcre2_compile((PCRE2_SPTR)pat.p, pat.len, opts,
	    &ecode, &eoff, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0)
			snprintf((char *)msg, sizeof msg, "error %d", ecode);
		snprintf(tail, sizeof tail, ": %s", (char *)msg);
		perr(p, t->off, tail, "invalid regex");
		buf_free(&pat);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* else interpreted */
	q = node_new(Q_REGEX, t->col);
	q->value = buf_detach(&pat);
	q->re = re;
	return q;
}

/* A term starting with WORD or PHRASE t: a field test or free text. */
static struct q_node *
term(struct parser *p, const struct tok *t)
{
	struct q_node *q;
	struct group g;
	struct tok n;
	char *field;

	p->pos = t->end;
	if (lex(p, M_TERM, &n) == T_ERR)
		return NULL;
	if (n.type == T_COLON || n.type == T_CMP) {
		if (t->type == T_PHRASE) {
			perr(p, t->off, " (write it bare; escape special "
			    "characters with '\\')", "quoted field name");
			return NULL;
		}
		p->pos = n.end;
		field = unescape(p->s, t->off, t->end, 0);
		g.field = field;
		g.col = t->col;
		q = n.type == T_COLON ? field_value(p, &g) :
		    cmp_value(p, &g, &n);
		free(field);
		return q;
	}
	q = node_new(Q_TEXT, t->col);
	if (t->type == T_PHRASE) {
		q->value = unescape(p->s, t->off + 1, t->end - 1, 0);
		q->quoted = 1;
	} else
		q->value = unescape(p->s, t->off, t->end, 0);
	return q;
}

/* primary: t is the current (unconsumed) token and starts an operand. */
static struct q_node *
parse_primary(struct parser *p, const struct group *g, const struct tok *t)
{
	struct q_node *q;

	switch (t->type) {
	case T_LPAREN:
		if (++p->depth > Q_MAXDEPTH) {
			too_deep(p, t->off);
			return NULL;
		}
		p->pos = t->end;
		if ((q = parse_or(p, g, "(")) != NULL &&
		    close_paren(p, g ? M_VALUE : M_TERM, t) == -1) {
			query_free(q);
			q = NULL;
		}
		p->depth--;
		return q;
	case T_WORD:
	case T_PHRASE:
		return g ? leaf(p, g, t, Q_EQ) : term(p, t);
	case T_REGEX:
		return regex(p, t);
	default:	/* ':' or a comparison where a term should start */
		perr(p, t->off, "", "expected a field name before '%s'",
		    tok_name(t));
		return NULL;
	}
}

static struct q_node *
parse_unary(struct parser *p, const struct group *g, const char *after)
{
	struct q_node *q, *a;
	struct tok t;

	if (lex(p, g ? M_VALUE : M_TERM, &t) == T_ERR)
		return NULL;
	if (!starts_operand(&t, g)) {
		expected(p, &t, g, after);
		return NULL;
	}
	if (t.type != T_NOT)
		return parse_primary(p, g, &t);
	if (++p->depth > Q_MAXDEPTH) {
		too_deep(p, t.off);
		return NULL;
	}
	p->pos = t.end;
	a = parse_unary(p, g, "not");
	p->depth--;
	if (a == NULL)
		return NULL;
	q = node_new(Q_NOT, t.col);
	q->a = a;
	return q;
}

static struct q_node *
parse_and(struct parser *p, const struct group *g, const char *after)
{
	struct nodes v = { NULL, 0, 0 };
	struct q_node *q;
	struct tok t;

	if ((q = parse_unary(p, g, after)) == NULL)
		return NULL;
	nodes_push(&v, q);
	for (;;) {
		if (lex(p, g ? M_VALUE : M_TERM, &t) == T_ERR)
			goto fail;
		if (t.type == T_AND) {
			p->pos = t.end;
			q = parse_unary(p, g, "and");
		} else if (starts_operand(&t, g))
			q = parse_unary(p, g, NULL);	/* juxtaposition */
		else
			break;
		if (q == NULL)
			goto fail;
		nodes_push(&v, q);
	}
	q = build(Q_AND, v.v, v.n);
	free(v.v);
	return q;
fail:
	nodes_free(&v);
	return NULL;
}

static struct q_node *
parse_or(struct parser *p, const struct group *g, const char *after)
{
	struct nodes v = { NULL, 0, 0 };
	struct q_node *q;
	struct tok t;

	if ((q = parse_and(p, g, after)) == NULL)
		return NULL;
	nodes_push(&v, q);
	for (;;) {
		if (lex(p, g ? M_VALUE : M_TERM, &t) == T_ERR)
			goto fail;
		if (t.type != T_OR)
			break;
		p->pos = t.end;
		if ((q = parse_and(p, g, "or")) == NULL)
			goto fail;
		nodes_push(&v, q);
	}
	q = build(Q_OR, v.v, v.n);
	free(v.v);
	return q;
fail:
	nodes_free(&v);
	return NULL;
}

struct q_node *
query_parse(const char *text, struct ld_err *err)
{
	struct parser p;
	struct q_node *q;
	struct tok t;

	memset(&p, 0, sizeof p);
	p.s = text ? text : "";
	p.err = err;
	p.colval = 1;
	err_clear(err);
	if (lex(&p, M_TERM, &t) == T_ERR || t.type == T_EOF)
		return NULL;
	if ((q = parse_or(&p, NULL, NULL)) == NULL)
		return NULL;
	if (lex(&p, M_TERM, &t) == T_ERR)
		goto fail;
	if (t.type != T_EOF) {
		expected(&p, &t, NULL, NULL);
		goto fail;
	}
	return q;
fail:
	query_free(q);
	return NULL;
}

void
query_free(struct q_node *q)
{
	if (q == NULL)
		return;
	query_free(q->a);
	query_free(q->b);
	free(q->field);
	free(q->path);
	free(q->value);
	if (q->re != NULL)
		pcre2_code_free(q->re);
	free(q);
}

/* Field resolution. */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
resolve_one(struct q_node *q, const char *const *paths, size_t n,
    struct ld_err *err)
{
	const char **cand = NULL;
	size_t nl = strlen(q->field), pl, nc = 0, i, k;
	struct buf b = BUF_INIT;

	for (i = 0; i < n; i++)
		if (strcmp(paths[i], q->field) == 0) {
			free(q->path);
			q->path = xstrdup(paths[i]);
			return LD_OK;
		}
	for (i = 0; i < n; i++) {
		pl = strlen(paths[i]);
		if (pl <= nl || paths[i][pl - nl - 1] != '.' ||
		    memcmp(paths[i] + pl - nl, q->field, nl) != 0)
			continue;
		if (nc % 8 == 0)
			cand = xreallocarray(cand, nc + 8, sizeof *cand);
		cand[nc++] = paths[i];
	}
	if (nc > 1) {	/* the same path listed twice is one candidate */
		qsort(cand, nc, sizeof *cand, cmp_str);
		for (i = k = 1; i < nc; i++)
			if (strcmp(cand[i], cand[k - 1]) != 0)
				cand[k++] = cand[i];
		nc = k;
	}
	if (nc == 1) {
		free(q->path);
		q->path = xstrdup(cand[0]);
		free(cand);
		return LD_OK;
	}
	if (nc == 0)
		err_set(err, LD_EUSAGE, "unknown field '%s' at col %d",
		    q->field, q->col);
	else {
		for (i = 0; i < nc && i < Q_NCANDS; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", cand[i]);
		if (nc > Q_NCANDS)
			buf_printf(&b, " and %zu more", nc - Q_NCANDS);
		err_set(err, LD_EUSAGE, "field '%s' is ambiguous at col %d: %s",
		    q->field, q->col, b.p);
		buf_free(&b);
	}
	if (err != NULL)
		err->col = q->col;
	free(cand);
	return LD_EUSAGE;
}

static int
resolve(struct q_node *q, const char *const *paths, size_t n,
    struct ld_err *err)
{
	int rc;

	if (q == NULL)
		return LD_OK;
	switch (q->kind) {
	case Q_AND:
	case Q_OR:
		if ((rc = resolve(q->a, paths, n, err)) != LD_OK)
			return rc;
		return resolve(q->b, paths, n, err);
	case Q_NOT:
		return resolve(q->a, paths, n, err);
	case Q_FIELD:
	case Q_EXISTS:
		return resolve_one(q, paths, n, err);
	default:
		return LD_OK;
	}
}

int
query_resolve(struct q_node *q, const char *const *paths, size_t n,
    struct ld_err *err)
{
	err_clear(err);
	return resolve(q, paths, n, err);
}

/* Canonical text. */

/* A field name bare if it reads back unambiguously, else JSON-quoted. */
static void
put_name(struct buf *b, const char *s)
{
	const unsigned char *u;

	for (u = (const unsigned char *)s; *u != '\0'; u++)
		if (*u <= ' ' || *u == 0x7f || *u == '(' || *u == ')' ||
		    *u == '"' || *u == '\\')
			break;
	if (*s != '\0' && *u == '\0' && utf8_valid(s, strlen(s)))
		buf_adds(b, s);
	else
		buf_add_json_string(b, s, strlen(s));
}

/* An unquoted true/false/null compared with ':' (matches JSON literals). */
static int
is_literal(const struct q_node *q, const char *lit)
{
	return q->cmp == Q_EQ && !q->quoted && !q->wildcard &&
	    strcmp(q->value, lit) == 0;
}

static void put_node(struct buf *, const struct q_node *);

/* The operands of a chain of kind, flattened: (and a b c). */
static void
put_chain(struct buf *b, const struct q_node *q, enum q_kind kind)
{
	if (q->kind == kind) {
		put_chain(b, q->a, kind);
		put_chain(b, q->b, kind);
	} else {
		buf_addc(b, ' ');
		put_node(b, q);
	}
}

static void
put_node(struct buf *b, const struct q_node *q)
{
	static const char *const ops[] = { ":", "<", "<=", ">", ">=" };
	const char *name = q->path ? q->path : q->field;

	switch (q->kind) {
	case Q_AND:
	case Q_OR:
		buf_adds(b, q->kind == Q_AND ? "(and" : "(or");
		put_chain(b, q, q->kind);
		break;
	case Q_NOT:
		buf_adds(b, "(not ");
		put_node(b, q->a);
		break;
	case Q_FIELD:
		buf_printf(b, "(%s ", q->wildcard ? "wild" : ops[q->cmp]);
		put_name(b, name);
		buf_addc(b, ' ');
		if (q->is_num || is_literal(q, "true") ||
		    is_literal(q, "false") || is_literal(q, "null"))
			buf_adds(b, q->value);
		else
			buf_add_json_string(b, q->value, strlen(q->value));
		break;
	case Q_EXISTS:
		buf_adds(b, "(exists ");
		put_name(b, name);
		break;
	case Q_TEXT:
	case Q_REGEX:
		buf_adds(b, q->kind == Q_TEXT ? "(text " : "(regex ");
		buf_add_json_string(b, q->value, strlen(q->value));
		break;
	}
	buf_addc(b, ')');
}

char *
query_to_string(const struct q_node *q)
{
	struct buf b = BUF_INIT;

	if (q != NULL)
		put_node(&b, q);
	return buf_detach(&b);
}

/* Evaluation. */

static _Thread_local pcre2_match_data	*tl_md;
static _Thread_local struct q_val	*tl_vals;	/* fields with many values */
static _Thread_local size_t		 tl_nvals;

/* Bytes in the character at s (1 for an invalid byte). */
static size_t
charlen(const char *s, size_t n)
{
	size_t l = utf8_valid_len(s, n);

	return l ? l : 1;
}

/*
 * Match s[0..n) against the pattern p[0..pn): '*' any run, '?' one
 * character, '\x' a literal x. Greedy with one saved star: on a mismatch
 * retry after the last '*' one character further on; earlier stars never
 * need revisiting, so this is O(pn * n) at worst.
 */
static int
wildmatch(const char *p, size_t pn, const char *s, size_t n)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
	char c;

	while (si < n) {
		if (pi < pn && p[pi] == '*') {
			star = ++pi;
			mark = si;
			continue;
		}
		if (pi < pn && p[pi] == '?') {
			pi++;
			si += charlen(s + si, n - si);
			continue;
		}
		if (pi < pn) {
			size_t lit = pi;

			if (p[lit] == '\\' && lit + 1 < pn)
				lit++;
			c = p[lit];
			if (c == s[si]) {
				pi = lit + 1;
				si++;
				continue;
			}
		}
		if (star == SIZE_MAX)
			return 0;
		pi = star;
		mark += charlen(s + mark, n - mark);
		si = mark;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* ASCII case-insensitive: does needle occur in hay? */
static int
ci_contains(const char *hay, size_t hn, const char *needle, size_t nn)
{
	size_t i, j;
	int first;

	if (nn == 0)
		return 1;
	first = lower((unsigned char)needle[0]);
	for (i = 0; i + nn <= hn; i++) {
		if (lower((unsigned char)hay[i]) != first)
			continue;
		for (j = 1; j < nn; j++)
			if (lower((unsigned char)hay[i + j]) !=
			    lower((unsigned char)needle[j]))
				break;
		if (j == nn)
			return 1;
	}
	return 0;
}

static int
cmp_holds(enum q_cmp cmp, int c)
{
	switch (cmp) {
	case Q_EQ:
		return c == 0;
	case Q_LT:
		return c < 0;
	case Q_LE:
		return c <= 0;
	case Q_GT:
		return c > 0;
	case Q_GE:
		return c >= 0;
	}
	return 0;
}

/* Does one scalar v satisfy the FIELD or EXISTS node q? */
static int
match_val(const struct q_node *q, const struct q_val *v)
{
	size_t len;
	int c;

	if (q->kind == Q_EXISTS)
		return v->type != QV_NULL;
	switch (v->type) {
	case QV_STRING:
		len = strlen(q->value);
		if (q->cmp == Q_EQ) {
			if (q->wildcard)
				return wildmatch(q->value, len, v->s, v->len);
			return v->len == len && memcmp(v->s, q->value, len) == 0;
		}
		if (q->is_num)
			return 0;	/* a number compares with numbers only */
		c = memcmp(v->s, q->value, v->len < len ? v->len : len);
		if (c == 0)
			c = v->len < len ? -1 : v->len > len;
		return cmp_holds(q->cmp, c);
	case QV_NUMBER:
		if (!q->is_num)
			return 0;
		return cmp_holds(q->cmp, v->num < q->num ? -1 : v->num > q->num);
	case QV_TRUE:
		return is_literal(q, "true");
	case QV_FALSE:
		return is_literal(q, "false");
	case QV_NULL:
		return is_literal(q, "null");
	default:
		return 0;
	}
}

static int
match_field(const struct q_node *q, const struct q_record *r)
{
	const char *path = q->path ? q->path : q->field;
	struct q_val local[Q_NVALS], *v = local;
	size_t n, m, i;

	if (r->get == NULL)
		return 0;
	n = r->get(r->ctx, path, local, Q_NVALS);
	if (n > Q_NVALS) {	/* a long array: reread into this thread's buffer */
		if (tl_nvals < n) {
			tl_vals = xreallocarray(tl_vals, n, sizeof *tl_vals);
			tl_nvals = n;
		}
		v = tl_vals;
		m = r->get(r->ctx, path, v, n);
		if (m < n)
			n = m;
	}
	for (i = 0; i < n; i++)
		if (match_val(q, &v[i]))
			return 1;
	return 0;
}

static int
match_regex(const struct q_node *q, const struct q_record *r)
{
	pcre2_code *re = q->re;
	PCRE2_SPTR subj = (PCRE2_SPTR)r->raw;
	size_t jit = 0;
	int rc;

	if (r->raw == NULL || re == NULL)
		return 0;
	if (tl_md == NULL && (tl_md = pcre2_match_data_create(1, NULL)) == NULL)
		fatal("out of memory allocating regex match data");
	if (pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &jit) == 0 && jit > 0)
		rc = pcre2_jit_match(re, subj, r->rawlen, 0, 0, tl_md, NULL);
	else
		rc = pcre2_match(re, subj, r->rawlen, 0, 0, tl_md, NULL);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)	/* the interpreter goes deeper */
		rc = pcre2_match(re, subj, r->rawlen, 0, PCRE2_NO_JIT, tl_md,
		    NULL);
	return rc >= 0;		/* 0: matched, ovector too small */
}

int
query_match(const struct q_node *q, const struct q_record *r)
{
	if (q == NULL)
		return 1;
	switch (q->kind) {
	case Q_AND:
		return query_match(q->a, r) && query_match(q->b, r);
	case Q_OR:
		return query_match(q->a, r) || query_match(q->b, r);
	case Q_NOT:
		return !query_match(q->a, r);
	case Q_FIELD:
	case Q_EXISTS:
		return match_field(q, r);
	case Q_TEXT:
		return r->raw != NULL &&
		    ci_contains(r->raw, r->rawlen, q->value, strlen(q->value));
	case Q_REGEX:
		return match_regex(q, r);
	}
	return 0;
}

void
query_thread_done(void)
{
	pcre2_match_data_free(tl_md);
	tl_md = NULL;
	free(tl_vals);
	tl_vals = NULL;
	tl_nvals = 0;
}
