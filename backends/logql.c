/* LogQL for the Loki backend: stream selector check, quoting, the RE2
 * check of /regex/, label names of field paths, the query AST compiled to
 * log and metric queries. Pure: no network. See logql.h for the choices
 * made where Loki cannot do what the file backend does. */
#include "config.h"
#include "backends/logql.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#include <pcre2.h>

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A JSON number (RFC 8259 §6), as a label filter regex: the guard of a
 * numeric filter (logql.h). No backslash or quote, so it quotes as is. */
#define NUM_RE		"-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]+)?"
#define MAX_REPEAT	1000	/* Go's regexp/syntax limit */
#define NS_PER_MS	1000000LL
#define NS_PER_S	1000000000LL

/* Words the LogQL lexer takes as tokens whatever the context, in any case
 * (pkg/logql/syntax/lex.go `tokens`): never label names. Function names
 * (rate, sum, ...) are identifiers unless a '(' follows, so they are not
 * listed. */
static const char *const keywords[] = {
	"by", "without", "bool", "offset", "on", "ignoring", "group_left",
	"group_right", "or", "and", "unless", "json", "regexp", "logfmt",
	"unpack", "pattern", "label_format", "line_format", "decolorize",
	"drop", "keep", "unwrap"
};

/* ---- small helpers ---- */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_xdigit(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1 if s is [a-zA-Z_][a-zA-Z0-9_]*. */
static int
is_ident(const char *s)
{
	if (!is_alpha((unsigned char)*s))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!is_alpha((unsigned char)*s) && !is_digit((unsigned char)*s))
			return 0;
	return 1;
}

static int
is_keyword(const char *s)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strcasecmp(s, keywords[i]) == 0)
			return 1;
	return 0;
}

/* UTF-8 characters in s[0..n) (an invalid byte counts one). */
static int
nchars(const char *s, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Bytes of the character at s[0..n) (1 for an invalid byte). */
static size_t
charlen(const char *s, size_t n)
{
	size_t l = utf8_valid_len(s, n);

	return l ? l : 1;
}

/* LD_EUSAGE "MSG at col N" with err->col = N; returns LD_EUSAGE. */
static int __attribute__((format(printf, 3, 4)))
col_err(struct ld_err *err, int col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(err, LD_EUSAGE, "%s at col %d", msg, col);
	if (err != NULL)
		err->col = col;
	return LD_EUSAGE;
}

/* v as the shortest decimal that reads back the same (an integer below
 * 1e15 without exponent), with '.' whatever LC_NUMERIC says. v is finite. */
static void
fmt_num(double v, char *out, size_t len)
{
	const char *dp = localeconv()->decimal_point;
	size_t dl = strlen(dp);
	char *p;

	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, len, "%.0f", v == 0 ? 0.0 : v);	/* no "-0" */
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	if (strcmp(dp, ".") != 0 && (p = strstr(out, dp)) != NULL) {
		*p = '.';
		memmove(p + 1, p + dl, strlen(p + dl) + 1);
	}
}

/* ---- quoting (§4.8) ---- */

int
logql_quote(struct buf *out, const char *s, size_t n, struct ld_err *err)
{
	if (!utf8_valid(s, n))
		return err_set(err, LD_EUSAGE, "value is not valid UTF-8");
	buf_reserve(out, n + 2);
	buf_addc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\\':
			buf_adds(out, "\\\\");
			break;
		case '"':
			buf_adds(out, "\\\"");
			break;
		case '\n':
			buf_adds(out, "\\n");
			break;
		case '\t':
			buf_adds(out, "\\t");
			break;
		case '\r':
			buf_adds(out, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(out, "\\x%02x", c);
			else
				buf_addc(out, (char)c);
		}
	}
	buf_addc(out, '"');
	return LD_OK;
}

/* Go's regexp.QuoteMeta of s[0..n), appended. */
static void
quote_meta(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\.+*?()|[]{}^$", s[i]) != NULL && s[i] != '\0')
			buf_addc(out, '\\');
		buf_addc(out, s[i]);
	}
}

int
logql_quote_regex(struct buf *out, const char *s, size_t n, struct ld_err *err)
{
	struct buf b = BUF_INIT;
	int rc;

	quote_meta(&b, s, n);
	rc = logql_quote(out, b.p ? b.p : "", b.len, err);
	buf_free(&b);
	return rc;
}

/* ---- stream selector (§4.1) ---- */

struct sel_parser {
	const char	*s;
	size_t		 i;
	struct ld_err	*err;
};

static int __attribute__((format(printf, 3, 4)))
sel_err(struct sel_parser *p, size_t off, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return col_err(p->err, nchars(p->s, off) + 1, "stream selector: %s", msg);
}

/* Skip blanks (Go's scanner: space, tab, CR, LF) and # comments. */
static void
sel_blank(struct sel_parser *p)
{
	for (;;) {
		while (strchr(" \t\r\n", p->s[p->i]) != NULL && p->s[p->i] != '\0')
			p->i++;
		if (p->s[p->i] != '#')
			return;
		while (p->s[p->i] != '\0' && p->s[p->i] != '\n')
			p->i++;
	}
}

static int
hexval(int c)
{
	return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The Go escape at p->s[i] (after the backslash) into val; sets *adv. */
static int
sel_escape(struct sel_parser *p, size_t i, struct buf *val, size_t *adv)
{
	static const char simple[] = "abfnrtv\\\"";
	static const char value[] = "\a\b\f\n\r\t\v\\\"";
	const char *s = p->s, *k;
	unsigned long cp = 0;
	size_t nd;
	char u[4];

	if (s[i] != '\0' && (k = strchr(simple, s[i])) != NULL) {
		buf_addc(val, value[k - simple]);
		*adv = 1;
		return LD_OK;
	}
	if (s[i] >= '0' && s[i] <= '7') {
		for (nd = 0; nd < 3; nd++) {
			if (s[i + nd] < '0' || s[i + nd] > '7')
				return sel_err(p, i - 1, "invalid octal escape in string");
			cp = cp * 8 + (unsigned long)(s[i + nd] - '0');
		}
		if (cp > 255)
			return sel_err(p, i - 1, "octal escape value > 255 in string");
		buf_addc(val, (char)cp);
		*adv = 3;
		return LD_OK;
	}
	nd = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : s[i] == 'U' ? 8 : 0;
	if (nd == 0)
		return sel_err(p, i - 1, "invalid escape '\\%.*s' in string (LogQL "
		    "strings know \\\\ \\\" \\n \\t \\r \\a \\b \\f \\v \\xNN \\NNN "
		    "\\uNNNN \\UNNNNNNNN)", (int)charlen(s + i, strlen(s + i)), s + i);
	for (size_t k2 = 1; k2 <= nd; k2++) {
		if (!is_xdigit((unsigned char)s[i + k2]))
			return sel_err(p, i - 1, "invalid \\%c escape in string", s[i]);
		cp = cp * 16 + (unsigned long)hexval((unsigned char)s[i + k2]);
	}
	*adv = nd + 1;
	if (s[i] == 'x') {
		buf_addc(val, (char)cp);
		return LD_OK;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return sel_err(p, i - 1, "escape \\%c is not a valid code point", s[i]);
	buf_add(val, u, utf8_encode((uint32_t)cp, u));
	return LD_OK;
}

/* A Go string at p->i ("..." or `...`), unescaped into val. */
static int
sel_string(struct sel_parser *p, struct buf *val)
{
	const char *s = p->s;
	size_t i = p->i + 1, adv = 0;
	char q = s[p->i];

	buf_add(val, "", 0);
	if (q != '"' && q != '`')
		return sel_err(p, p->i, "expected a string (\"...\" or `...`)");
	for (;; i++) {
		if (s[i] == '\0')
			return sel_err(p, p->i, "unterminated string");
		if (s[i] == q)
			break;
		if (q == '"' && s[i] == '\n')
			return sel_err(p, p->i, "newline in string");
		if (q == '"' && s[i] == '\\') {
			if (sel_escape(p, i + 1, val, &adv) != LD_OK)
				return LD_EUSAGE;
			i += adv;
		} else if (q == '`' && s[i] == '\r')
			continue;	/* Go drops CRs from raw strings */
		else
			buf_addc(val, s[i]);
	}
	p->i = i + 1;
	return LD_OK;
}

/* Does the anchored regex re match ""? -1 (err set) if it does not compile. */
static int
sel_re_empty(struct sel_parser *p, size_t off, const char *name, const struct buf *re)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE eoff;
	pcre2_code *code;
	pcre2_match_data *md;
	int ecode, rc;

	code = pcre2_compile((PCRE2_SPTR)(re->p ? re->p : ""), re->len, PCRE2_UTF |
	    PCRE2_ANCHORED | PCRE2_ENDANCHORED, &ecode, &eoff, NULL);
	if (code == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0)
			snprintf((char *)msg, sizeof msg, "error %d", ecode);
		sel_err(p, off, "invalid regex for label '%s': %s", name, (char *)msg);
		return -1;
	}
	if ((md = pcre2_match_data_create_from_pattern(code, NULL)) == NULL)
		fatal("out of memory allocating regex match data");
	rc = pcre2_match(code, (PCRE2_SPTR)"", 0, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return rc >= 0;
}

static void
sel_add_label(struct logql_selector *out, const char *s, size_t n)
{
	for (size_t k = 0; k < out->nlabels; k++)
		if (strlen(out->labels[k]) == n && memcmp(out->labels[k], s, n) == 0)
			return;
	out->labels = xreallocarray(out->labels, out->nlabels + 1, sizeof *out->labels);
	out->labels[out->nlabels++] = xstrndup(s, n);
}

/* One matcher at p->i: name op string. *nonempty |= it cannot match "". */
static int
sel_matcher(struct sel_parser *p, struct logql_selector *out, int *nonempty)
{
	const char *s = p->s;
	size_t name = p->i, nl, opoff;
	char op[3] = "", nm[128];
	struct buf val = BUF_INIT;
	int rc, m;

	if (!is_alpha((unsigned char)s[p->i]))
		return sel_err(p, p->i, "expected a label name");
	while (is_alpha((unsigned char)s[p->i]) || is_digit((unsigned char)s[p->i]))
		p->i++;
	nl = p->i - name;
	snprintf(nm, sizeof nm, "%.*s", (int)(nl < 100 ? nl : 100), s + name);
	if (is_keyword(nm))
		return sel_err(p, name, "label name '%s' is a LogQL keyword", nm);
	sel_blank(p);
	opoff = p->i;
	if (s[p->i] == '=' || s[p->i] == '!') {
		op[0] = s[p->i];
		if (s[p->i + 1] == '~' || (op[0] == '!' && s[p->i + 1] == '=')) {
			op[1] = s[p->i + 1];
			p->i++;
		} else if (op[0] == '!')
			op[0] = '\0';
		p->i++;
	}
	if (op[0] == '\0')
		return sel_err(p, opoff, "expected =, !=, =~ or !~ after label name");
	sel_blank(p);
	opoff = p->i;
	if ((rc = sel_string(p, &val)) != LD_OK) {
		buf_free(&val);
		return rc;
	}
	if (op[1] == '~') {
		if ((m = sel_re_empty(p, opoff, nm, &val)) < 0) {
			buf_free(&val);
			return LD_EUSAGE;
		}
		*nonempty |= op[0] == '=' ? !m : m;
	} else
		*nonempty |= op[0] == '=' ? val.len > 0 : val.len == 0;
	buf_free(&val);
	sel_add_label(out, s + name, nl);
	return LD_OK;
}

int
logql_selector_parse(const char *text, struct logql_selector *out, struct ld_err *err)
{
	struct sel_parser p = { text ? text : "", 0, err };
	size_t start, end;
	int nonempty = 0;

	memset(out, 0, sizeof *out);
	err_clear(err);
	if (!utf8_valid(p.s, strlen(p.s))) {
		size_t k = 0;
		while (utf8_valid_len(p.s + k, strlen(p.s + k)) > 0)
			k += utf8_valid_len(p.s + k, strlen(p.s + k));
		return sel_err(&p, k, "invalid UTF-8");
	}
	sel_blank(&p);
	start = p.i;
	if (p.s[p.i] != '{')
		return sel_err(&p, p.i, "expected '{'");
	p.i++;
	sel_blank(&p);
	while (p.s[p.i] != '}') {
		if (sel_matcher(&p, out, &nonempty) != LD_OK)
			goto fail;
		sel_blank(&p);
		if (p.s[p.i] == ',') {
			p.i++;
			sel_blank(&p);
			if (p.s[p.i] == '}') {
				sel_err(&p, p.i, "expected a label name after ','");
				goto fail;
			}
		} else if (p.s[p.i] != '}') {
			sel_err(&p, p.i, "expected ',' or '}'");
			goto fail;
		}
	}
	p.i++;
	end = p.i;
	sel_blank(&p);
	if (p.s[p.i] != '\0') {
		sel_err(&p, p.i, "unexpected text after '}'");
		goto fail;
	}
	if (!nonempty) {
		sel_err(&p, start, "queries require at least one regexp or equality "
		    "matcher that does not have an empty-compatible value. For instance, "
		    "app=~\".*\" does not meet this requirement, but app=~\".+\" will");
		goto fail;
	}
	out->text = xstrndup(p.s + start, end - start);
	return LD_OK;
fail:
	logql_selector_free(out);
	return LD_EUSAGE;
}

void
logql_selector_free(struct logql_selector *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nlabels; i++)
		free(s->labels[i]);
	free(s->labels);
	free(s->text);
	memset(s, 0, sizeof *s);
}

/* ---- PCRE2 constructs RE2 lacks ---- */

struct re_problem {
	size_t	off;		/* byte of the pattern where it starts */
	char	what[96];
	char	hint[64];
};

static int __attribute__((format(printf, 4, 5)))
re_bad(struct re_problem *pr, size_t off, const char *hint, const char *fmt, ...)
{
	va_list ap;

	pr->off = off;
	va_start(ap, fmt);
	vsnprintf(pr->what, sizeof pr->what, fmt, ap);
	va_end(ap);
	snprintf(pr->hint, sizeof pr->hint, "%s", hint ? hint : "");
	return -1;
}

/* Escapes PCRE2 has and RE2 lacks or reads otherwise ('b' only reaches
 * here inside a class, where PCRE2 reads it as a backspace). */
static const struct {
	char		 c;
	const char	*what;
	const char	*hint;
} re_refused[] = {
	{ 'b', "\\b inside [...]", "write \\x08" },
	{ 'v', "\\v (vertical space in PCRE2, one character in RE2)",
	    "write \\x0b or [\\n\\x0b\\f\\r]" },
	{ 'K', "\\K (reset the match start)", NULL },
	{ 'G', "\\G", NULL },
	{ 'Z', "\\Z", "write \\z" },
	{ 'X', "\\X (a grapheme cluster)", NULL },
	{ 'C', "\\C (one code unit)", NULL },
	{ 'R', "\\R (any newline)", "write (\\r\\n|[\\n\\r])" },
	{ 'N', "\\N", "write [^\\n]" },
	{ 'h', "\\h (horizontal or vertical space)", NULL },
	{ 'H', "\\H (horizontal or vertical space)", NULL },
	{ 'V', "\\V (horizontal or vertical space)", NULL },
	{ 'e', "\\e", "write \\x1b" },
	{ 'c', "\\c (a control character)", "write \\xNN" },
	{ 'o', "\\o{...}", "write \\x{...}" },
	{ 'g', "a backreference or subroutine call \\g", NULL },
	{ 'k', "a named backreference \\k", NULL },
};

/* The escape at p[i] == '\\' (in a class if cls). Sets *adv; -1 with pr. */
static int
re_escape(const char *p, size_t n, size_t i, int cls, size_t *adv,
    struct re_problem *pr)
{
	static const char ok_any[] = "afntrdDsSwW";	/* same meaning in both */
	static const char ok_out[] = "bBAz";		/* assertions */
	const char *in = cls ? " inside [...]" : "";
	unsigned char d = i + 1 < n ? (unsigned char)p[i + 1] : 0;
	size_t k;

	*adv = 2;
	if (d == 0)
		return re_bad(pr, i, NULL, "a trailing backslash");
	if (d >= 0x80)
		return re_bad(pr, i, "drop the backslash", "a backslash before a "
		    "non-ASCII character");
	if (!is_alpha(d) && !is_digit(d))
		return 0;			/* an escaped punctuation character */
	if (d == '0') {
		for (k = i + 2; k < i + 4 && k < n && p[k] >= '0' && p[k] <= '7'; k++)
			;
		*adv = k - i;
		return 0;
	}
	if (is_digit(d))
		return re_bad(pr, i, NULL, cls ? "\\%c%s" : "a backreference \\%c", d,
		    in);
	if (strchr(ok_any, d) != NULL || (!cls && strchr(ok_out, d) != NULL))
		return 0;
	switch (d) {
	case 'x':
		if (p[i + 2] == '{') {
			const char *e = memchr(p + i + 2, '}', n - i - 2);
			*adv = e ? (size_t)(e - p) + 1 - i : n - i;
			return 0;
		}
		if (i + 3 < n && is_xdigit((unsigned char)p[i + 2]) &&
		    is_xdigit((unsigned char)p[i + 3])) {
			*adv = 4;
			return 0;
		}
		return re_bad(pr, i, "write \\x0N or \\x{N}", "\\x with fewer than two "
		    "hex digits");
	case 'p':
	case 'P':
		if (p[i + 2] == '{') {
			const char *e = memchr(p + i + 2, '}', n - i - 2);
			*adv = e ? (size_t)(e - p) + 1 - i : n - i;
		} else
			*adv = 3;
		return 0;
	case 'Q':
		if (cls)
			return re_bad(pr, i, NULL, "\\Q inside [...]");
		return 0;			/* the caller skips to \E */
	case 'E':
		return re_bad(pr, i, NULL, "\\E without \\Q");
	}
	for (k = 0; k < sizeof re_refused / sizeof re_refused[0]; k++)
		if (re_refused[k].c == d)
			return re_bad(pr, i, re_refused[k].hint, "%s", re_refused[k].what);
	return re_bad(pr, i, NULL, "the escape \\%c%s", d, in);
}

/* The class at p[i] == '['; sets *end past its ']'. */
static int
re_class(const char *p, size_t n, size_t i, size_t *end, struct re_problem *pr)
{
	size_t j = i + 1, adv;

	if (j < n && p[j] == '^')
		j++;
	if (j < n && p[j] == ']')
		j++;
	while (j < n && p[j] != ']') {
		if (p[j] == '[' && j + 1 < n && p[j + 1] == ':') {
			const char *e = strstr(p + j + 2, ":]");
			if (e != NULL && (size_t)(e - p) < n) {
				if (p[j + 2] == '<' || p[j + 2] == '>')
					return re_bad(pr, j, "write \\b", "a word boundary "
					    "[[:%c:]]", p[j + 2]);
				j = (size_t)(e - p) + 2;
				continue;
			}
		}
		if (p[j] == '\\') {
			if (re_escape(p, n, j, 1, &adv, pr) != 0)
				return -1;
			j += adv;
			continue;
		}
		j += charlen(p + j, n - j);
	}
	*end = j < n ? j + 1 : n;
	return 0;
}

/* The group opening at p[i] == '('; sets *adv over what was read. */
static int
re_group(const char *p, size_t n, size_t i, size_t *adv, struct re_problem *pr)
{
	char c = i + 2 < n ? p[i + 2] : '\0';
	char c3 = i + 3 < n ? p[i + 3] : '\0';
	size_t k;

	*adv = 1;
	if (i + 1 < n && p[i + 1] == '*') {
		for (k = i + 2; k < n && k < i + 24 && p[k] != ':' && p[k] != ')'; k++)
			;
		return re_bad(pr, i, NULL, "the verb (*%.*s", (int)(k - i - 2), p + i + 2);
	}
	if (i + 1 >= n || p[i + 1] != '?')
		return 0;
	switch (c) {
	case ':':
		*adv = 3;
		return 0;
	case '=':
		return re_bad(pr, i, NULL, "a lookahead (?=");
	case '!':
		return re_bad(pr, i, NULL, "a negative lookahead (?!");
	case '<':
		if (c3 == '=')
			return re_bad(pr, i, NULL, "a lookbehind (?<=");
		if (c3 == '!')
			return re_bad(pr, i, NULL, "a negative lookbehind (?<!");
		*adv = 3;			/* (?<name> */
		return 0;
	case 'P':
		if (c3 == '<') {
			*adv = 4;
			return 0;
		}
		if (c3 == '=')
			return re_bad(pr, i, NULL, "a named backreference (?P=");
		return re_bad(pr, i, NULL, "a subroutine call (?P>");
	case '\'':
		return re_bad(pr, i, "write (?P<name>...)", "a named group (?'name'");
	case '>':
		return re_bad(pr, i, NULL, "an atomic group (?>");
	case '|':
		return re_bad(pr, i, NULL, "a branch reset group (?|");
	case '#':
		return re_bad(pr, i, NULL, "a comment (?#");
	case '(':
		return re_bad(pr, i, NULL, "a conditional group (?(");
	case 'C':
		return re_bad(pr, i, NULL, "a callout (?C");
	case 'R':
	case '&':
		return re_bad(pr, i, NULL, "recursion (?%c", c);
	}
	if (is_digit(c) || ((c == '+' || c == '-') && is_digit(c3)))
		return re_bad(pr, i, NULL, "a subroutine call (?%c", c);
	/* flags: (?imsU-imsU) or (?imsU-imsU: */
	for (k = i + 2; k < n && p[k] != ')' && p[k] != ':'; k++)
		if (p[k] != '-' && strchr("imsU", p[k]) == NULL)
			return re_bad(pr, k, "RE2 has i, m, s and U", "the flag '%c'",
			    p[k]);
	*adv = k < n ? k + 1 - i : n - i;
	return 0;
}

/* After a quantifier ending before p[i]: a lazy '?' is skipped, a
 * possessive '+' refused. q is where the quantifier starts. */
static int
re_quant_tail(const char *p, size_t n, size_t q, size_t *i, struct re_problem *pr)
{
	if (*i < n && p[*i] == '+')
		return re_bad(pr, q, NULL, "a possessive quantifier %.*s+", (int)(*i - q),
		    p + q);
	if (*i < n && p[*i] == '?')
		(*i)++;
	return 0;
}

/* A {n}, {n,} or {n,m} at p[i] == '{': 1 and *end if it is a quantifier,
 * 0 if a literal '{' (as both engines read it), -1 with pr. */
static int
re_repeat(const char *p, size_t n, size_t i, size_t *end, struct re_problem *pr)
{
	size_t k = i + 1, d1, d2 = 0;
	long lo, hi = 0;

	d1 = strspn(p + k, "0123456789");
	if (d1 == 0 && p[k] == ',' && is_digit((unsigned char)p[k + 1]))
		return re_bad(pr, i, "write {0,n}", "{,n}");
	if (d1 == 0)
		return 0;
	lo = strtol(p + k, NULL, 10);
	k += d1;
	if (p[k] == ',') {
		d2 = strspn(p + k + 1, "0123456789");
		hi = d2 ? strtol(p + k + 1, NULL, 10) : 0;
		k += 1 + d2;
	}
	if (k >= n || p[k] != '}')
		return 0;
	if (lo > MAX_REPEAT || hi > MAX_REPEAT || d1 > 4 || d2 > 4)
		return re_bad(pr, i, NULL, "a repeat count over %d", MAX_REPEAT);
	*end = k + 1;
	return 1;
}

/* Check pattern p[0..n). 0, or -1 with pr. *openq: ends inside \Q. */
static int
re2_check(const char *p, size_t n, int *openq, struct re_problem *pr)
{
	size_t i = 0, adv, q;
	const char *e;
	int r;

	*openq = 0;
	while (i < n) {
		switch (p[i]) {
		case '\\':
			if (re_escape(p, n, i, 0, &adv, pr) != 0)
				return -1;
			if (p[i + 1] == 'Q') {
				e = strstr(p + i + 2, "\\E");
				if (e == NULL || (size_t)(e - p) >= n) {
					*openq = 1;
					return 0;
				}
				adv = (size_t)(e - p) + 2 - i;
			}
			i += adv;
			break;
		case '[':
			if (re_class(p, n, i, &i, pr) != 0)
				return -1;
			break;
		case '(':
			if (re_group(p, n, i, &adv, pr) != 0)
				return -1;
			i += adv;
			break;
		case '*':
		case '+':
		case '?':
			q = i++;
			if (re_quant_tail(p, n, q, &i, pr) != 0)
				return -1;
			break;
		case '{':
			q = i;
			if ((r = re_repeat(p, n, i, &i, pr)) < 0)
				return -1;
			if (r == 0)
				i++;
			else if (re_quant_tail(p, n, q, &i, pr) != 0)
				return -1;
			break;
		default:
			i += charlen(p + i, n - i);
		}
	}
	return 0;
}

/* Column in the query of byte off of the REGEX node q's pattern. */
static int
regex_col(const struct q_node *q, size_t off)
{
	int c = q->col + 1 + nchars(q->value, off);

	for (size_t i = 0; i < off; i++)
		if (q->value[i] == '/')
			c++;			/* typed as \/ */
	return c;
}

/* logql_check_regex, also telling whether the pattern ends inside \Q. */
static int
check_regex(const struct q_node *q, int *openq, struct ld_err *err)
{
	const char *v = q->value ? q->value : "";
	struct re_problem pr;
	size_t n = strlen(v), k;

	*openq = 0;
	if (!utf8_valid(v, n)) {
		for (k = 0; utf8_valid_len(v + k, n - k) > 0; k += utf8_valid_len(v + k,
		    n - k))
			;
		return col_err(err, regex_col(q, k), "regex is not valid UTF-8");
	}
	if (re2_check(v, n, openq, &pr) == 0)
		return LD_OK;
	return col_err(err, regex_col(q, pr.off), "regex: %s is not supported by Loki "
	    "(RE2)%s%s%s", pr.what, pr.hint[0] ? " (" : "", pr.hint,
	    pr.hint[0] ? ")" : "");
}

int
logql_check_regex(const struct q_node *q, struct ld_err *err)
{
	int openq;

	err_clear(err);
	if (q == NULL || q->kind != Q_REGEX)
		return err_set(err, LD_EUSAGE, "not a regex");
	return check_regex(q, &openq, err);
}

/* ---- label names of paths ---- */

/* Append key k[0..n), trimmed and sanitized, to b. */
static void
flatten_key(struct buf *b, const char *k, size_t n)
{
	while (n > 0 && strchr(" \t\n\v\f\r", *k) != NULL) {
		k++;
		n--;
	}
	while (n > 0 && strchr(" \t\n\v\f\r", k[n - 1]) != NULL)
		n--;
	for (size_t i = 0; i < n; i += charlen(k + i, n - i)) {
		unsigned char c = (unsigned char)k[i];
		buf_addc(b, is_alpha(c) || is_digit(c) ? (char)c : '_');
	}
}

/* Loki's flattening of keys[0..n) (logql.h). */
static char *
flatten_keys(const char *const *keys, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&b, '_');
		flatten_key(&b, keys[i], strlen(keys[i]));
	}
	if (b.len == 0)
		buf_addc(&b, '_');
	if (is_digit((unsigned char)b.p[0])) {
		char *s = xasprintf("_%s", b.p);
		buf_free(&b);
		return s;
	}
	return buf_detach(&b);
}

/* path split at its dots; free with free_keys. */
static char **
split_path(const char *path, size_t *n)
{
	char **keys = NULL;
	const char *s = path, *d;

	*n = 0;
	for (;;) {
		d = strchr(s, '.');
		keys = xreallocarray(keys, *n + 1, sizeof *keys);
		keys[(*n)++] = d ? xstrndup(s, (size_t)(d - s)) : xstrdup(s);
		if (d == NULL)
			return keys;
		s = d + 1;
	}
}

static void
free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

char *
logql_flatten(const char *path)
{
	size_t n;
	char **keys = split_path(path, &n);
	char *s = flatten_keys((const char *const *)keys, n);

	free_keys(keys, n);
	return s;
}

/* The json stage expression of keys (jsonexpr grammar: a.b, a["c d"]),
 * or NULL with *why if a key cannot be written there. */
static char *
json_expr(const char *const *keys, size_t n, const char **why)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (!utf8_valid(keys[i], strlen(keys[i]))) {
			*why = "is not valid UTF-8";
			buf_free(&b);
			return NULL;
		}
		if (is_ident(keys[i])) {
			buf_printf(&b, "%s%s", i > 0 ? "." : "", keys[i]);
			continue;
		}
		/* a bracketed key ends at the first '"' or ']' (no escapes) */
		if (strpbrk(keys[i], "\"]") != NULL) {
			*why = "has a key with '\"' or ']', which Loki's json stage "
			    "cannot read";
			buf_free(&b);
			return NULL;
		}
		buf_printf(&b, "[\"%s\"]", keys[i]);
	}
	return buf_detach(&b);
}

static int
name_taken(const struct logql_labels *l, const char *name)
{
	if (strcmp(name, LOGQL_LINE_LABEL) == 0 || is_keyword(name))
		return 1;
	for (size_t i = 0; i < l->ntaken; i++)
		if (strcmp(l->taken[i], name) == 0)
			return 1;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return 1;
	return 0;
}

/* A free name for keys: flattened, "x" before "__", "_x" until free. */
static char *
unique_name(const struct logql_labels *l, const char *const *keys, size_t n)
{
	char *name = flatten_keys(keys, n), *t;

	if (strncmp(name, "__", 2) == 0) {
		t = xasprintf("x%s", name);
		free(name);
		name = t;
	}
	while (name_taken(l, name)) {
		t = xasprintf("%s_x", name);
		free(name);
		name = t;
	}
	return name;
}

void
logql_labels_init(struct logql_labels *l, const struct logql_selector *sel,
    const char *const *avoid, size_t navoid)
{
	size_t ns = sel ? sel->nlabels : 0;

	memset(l, 0, sizeof *l);
	l->taken = xcalloc(ns + navoid + 1, sizeof *l->taken);
	for (size_t i = 0; i < ns; i++)
		l->taken[l->ntaken++] = xstrdup(sel->labels[i]);
	for (size_t i = 0; i < navoid; i++)
		if (avoid[i] != NULL)
			l->taken[l->ntaken++] = xstrdup(avoid[i]);
}

void
logql_labels_free(struct logql_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].name);
		free(l->v[i].expr);
	}
	free(l->v);
	for (size_t i = 0; i < l->ntaken; i++)
		free(l->taken[i]);
	free(l->taken);
	memset(l, 0, sizeof *l);
}

static struct logql_label *
label_find(const struct logql_labels *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

/* The label of path with keys (NULL: split at the dots), made if new.
 * NULL with *why if the path cannot be read. */
static struct logql_label *
label_make(struct logql_labels *l, const char *path, const char *const *keys,
    size_t nkeys, const char **why)
{
	struct logql_label *e = label_find(l, path);
	char **split = NULL, *expr;
	size_t ns = 0;

	if (keys == NULL) {
		if (e != NULL)
			return e;
		split = split_path(path, &ns);
		keys = (const char *const *)split;
		nkeys = ns;
	}
	if (!utf8_valid(path, strlen(path)))
		expr = (*why = "is not valid UTF-8", NULL);
	else
		expr = json_expr(keys, nkeys, why);
	if (expr == NULL) {
		free_keys(split, ns);
		return NULL;
	}
	if (e != NULL) {
		free(e->expr);
		e->expr = expr;
		return e;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	e = &l->v[l->n];
	e->name = unique_name(l, keys, nkeys);
	e->path = xstrdup(path);
	e->expr = expr;
	l->n++;
	free_keys(split, ns);
	return e;
}

const char *
logql_label(struct logql_labels *l, const char *path, struct ld_err *err)
{
	const char *why = "";
	struct logql_label *e = label_make(l, path, NULL, 0, &why);

	if (e == NULL) {
		err_set(err, LD_EUSAGE, "field '%s' %s", path, why);
		return NULL;
	}
	return e->name;
}

int
logql_label_keys(struct logql_labels *l, const char *path, const char *const *keys,
    size_t nkeys, struct ld_err *err)
{
	const char *why = "";

	if (nkeys == 0)
		return err_set(err, LD_EUSAGE, "field '%s' has no keys", path);
	if (label_make(l, path, keys, nkeys, &why) == NULL)
		return err_set(err, LD_EUSAGE, "field '%s' %s", path, why);
	return LD_OK;
}

/* ---- the query AST in negation normal form ---- */

enum nkind { N_AND, N_OR, N_LEAF };

struct nnode {
	enum nkind		 kind;
	const struct q_node	*q;		/* N_LEAF */
	int			 neg;		/* N_LEAF: negated */
	struct nnode		**kid;		/* N_AND, N_OR: two or more */
	size_t			 nkid;
};

static struct nnode *nnf(const struct q_node *q, int neg);

/* The kind q has once a pending negation is pushed into it. */
static enum nkind
eff_kind(const struct q_node *q, int neg)
{
	if (q->kind == Q_AND)
		return neg ? N_OR : N_AND;
	if (q->kind == Q_OR)
		return neg ? N_AND : N_OR;
	return N_LEAF;
}

/* The operands of the chain of kind k under (q, neg), flattened. */
static void
collect(struct nnode *n, const struct q_node *q, int neg)
{
	while (q->kind == Q_NOT) {
		q = q->a;
		neg = !neg;
	}
	if (eff_kind(q, neg) == n->kind) {
		collect(n, q->a, neg);
		collect(n, q->b, neg);
		return;
	}
	n->kid = xreallocarray(n->kid, n->nkid + 1, sizeof *n->kid);
	n->kid[n->nkid++] = nnf(q, neg);
}

static struct nnode *
nnf(const struct q_node *q, int neg)
{
	struct nnode *n = xcalloc(1, sizeof *n);

	while (q->kind == Q_NOT) {
		q = q->a;
		neg = !neg;
	}
	n->kind = eff_kind(q, neg);
	if (n->kind == N_LEAF) {
		n->q = q;
		n->neg = neg;
	} else {
		collect(n, q->a, neg);
		collect(n, q->b, neg);
	}
	return n;
}

static void
nnode_free(struct nnode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nkid; i++)
		nnode_free(n->kid[i]);
	free(n->kid);
	free(n);
}

static int
is_line_leaf(const struct nnode *n)
{
	return n->kind == N_LEAF && (n->q->kind == Q_TEXT || n->q->kind == Q_REGEX);
}

/* A top-level conjunct that can be one line filter: a text/regex leaf, or
 * an or of positive ones. */
static int
is_line_filter(const struct nnode *n)
{
	if (is_line_leaf(n))
		return 1;
	if (n->kind != N_OR)
		return 0;
	for (size_t i = 0; i < n->nkid; i++)
		if (!is_line_leaf(n->kid[i]) || n->kid[i]->neg)
			return 0;
	return 1;
}

/* A positive numeric filter: it sets __error__ on a non-number. */
static int
risky(const struct nnode *n)
{
	if (n->kind == N_LEAF)
		return !n->neg && n->q->kind == Q_FIELD && n->q->is_num;
	for (size_t i = 0; i < n->nkid; i++)
		if (risky(n->kid[i]))
			return 1;
	return 0;
}

/* ---- compiling ---- */

/* What a compile builds, piece by piece. */
struct cc {
	const struct logql_req	*r;
	struct ld_err		*err;
	struct buf		 json;		/* the json stage's arguments */
	const char		**names;	/* labels in the json stage */
	size_t			 nnames;
	int			 ldline;	/* the line label is used */
};

/* The label of path, added to the json stage on first use. NULL with err
 * (at col if col > 0). */
static const char *
cc_label(struct cc *c, const char *path, int col)
{
	const char *why = "";
	struct logql_label *e = label_make(c->r->labels, path, NULL, 0, &why);

	if (e == NULL) {
		if (col > 0)
			col_err(c->err, col, "field '%s' %s", path, why);
		else
			err_set(c->err, LD_EUSAGE, "field '%s' %s", path, why);
		return NULL;
	}
	for (size_t i = 0; i < c->nnames; i++)
		if (c->names[i] == e->name)
			return e->name;
	c->names = xreallocarray(c->names, c->nnames + 1, sizeof *c->names);
	c->names[c->nnames++] = e->name;
	buf_printf(&c->json, "%s%s=", c->json.len ? ", " : "", e->name);
	logql_quote(&c->json, e->expr, strlen(e->expr), NULL);	/* valid UTF-8 */
	return e->name;
}

static const char *
field_path(const struct q_node *q)
{
	return q->path ? q->path : q->field;
}

/* Every field of q, in order of appearance, into the json stage. */
static int
cc_fields(struct cc *c, const struct q_node *q)
{
	if (q == NULL)
		return LD_OK;
	switch (q->kind) {
	case Q_AND:
	case Q_OR:
		if (cc_fields(c, q->a) != LD_OK)
			return LD_EUSAGE;
		return cc_fields(c, q->b);
	case Q_NOT:
		return cc_fields(c, q->a);
	case Q_FIELD:
	case Q_EXISTS:
		return cc_label(c, field_path(q), q->col) ? LD_OK : LD_EUSAGE;
	default:
		return LD_OK;
	}
}

/* Quote v (a value of node q) into out; LD_EUSAGE at q's column. */
static int
cc_quote(struct cc *c, struct buf *out, const char *v, size_t n, const struct q_node *q)
{
	if (logql_quote(out, v, n, NULL) != LD_OK)
		return col_err(c->err, q->col, "value is not valid UTF-8");
	return LD_OK;
}

/* A wildcard pattern (\* \? \\ literal) as an RE2 regex. */
static void
wild_regex(struct buf *re, const char *w)
{
	buf_adds(re, "(?s)");
	for (size_t i = 0; w[i] != '\0'; i++) {
		if (w[i] == '*') {
			buf_adds(re, ".*");
			while (w[i + 1] == '*')
				i++;
		} else if (w[i] == '?')
			buf_addc(re, '.');
		else {
			if (w[i] == '\\' && w[i + 1] != '\0')
				i++;
			quote_meta(re, w + i, 1);
		}
	}
}

/* The regex of a text or regex leaf, for a line filter or ldline: text is
 * (?i)TEXT alone or (?i:TEXT) in a group, a regex itself or (?:RE). */
static int
line_regex(struct cc *c, struct buf *re, const struct q_node *q, int grouped)
{
	int openq;

	if (q->kind == Q_TEXT) {
		if (!utf8_valid(q->value, strlen(q->value)))
			return col_err(c->err, q->col, "text is not valid UTF-8");
		buf_adds(re, grouped ? "(?i:" : "(?i)");
		quote_meta(re, q->value, strlen(q->value));
		buf_adds(re, grouped ? ")" : "");
		return LD_OK;
	}
	if (check_regex(q, &openq, c->err) != LD_OK)
		return LD_EUSAGE;
	buf_printf(re, "%s%s%s%s", grouped ? "(?:" : "", q->value, openq ? "\\E" : "",
	    grouped ? ")" : "");
	return LD_OK;
}

/* Output kinds, for parentheses: an atom, an and, an or. */
enum okind { O_ATOM, O_AND, O_OR };

static const char *
num_op(enum q_cmp cmp, int neg)
{
	static const char *const pos[] = { "==", "<", "<=", ">", ">=" };
	static const char *const inv[] = { "!=", ">=", ">", "<=", "<" };

	return neg ? inv[cmp] : pos[cmp];
}

/* A numeric leaf (logql.h: bare when strict, else guarded; negated: the
 * guard's complement). */
static enum okind
num_leaf(struct buf *out, const char *l, const struct q_node *q, int neg, int strict)
{
	if (neg) {
		buf_printf(out, "%s!~\"%s\" or %s %s %s", l, NUM_RE, l, num_op(q->cmp, 1),
		    q->value);
		return O_OR;
	}
	if (strict)
		buf_printf(out, "%s %s %s", l, num_op(q->cmp, 0), q->value);
	else
		buf_printf(out, "(%s=~\"%s\" and (%s!~\"%s\" or %s %s %s))", l, NUM_RE, l,
		    NUM_RE, l, num_op(q->cmp, 0), q->value);
	return O_ATOM;
}

static int
string_cmp(struct cc *c, const struct q_node *q)
{
	return col_err(c->err, q->col, "field '%s': LogQL compares only numbers with "
	    "< <= > >=, and %s%s%s is a string%s", field_path(q), q->quoted ? "\"" : "'",
	    q->value, q->quoted ? "\"" : "'", q->quoted ? " (drop the quotes)" : "");
}

/* One leaf as a label filter; returns its okind or -1. */
static int
emit_leaf(struct cc *c, const struct nnode *n, int strict, struct buf *out)
{
	const struct q_node *q = n->q;
	struct buf re = BUF_INIT;
	const char *l;
	int rc;

	if (q->kind == Q_TEXT || q->kind == Q_REGEX) {
		c->ldline = 1;
		buf_adds(&re, q->kind == Q_TEXT ? "(?s).*" : "(?s:.*)");
		if (line_regex(c, &re, q, 1) != LD_OK) {
			buf_free(&re);
			return -1;
		}
		buf_adds(&re, q->kind == Q_TEXT ? ".*" : "(?s:.*)");
		buf_printf(out, "%s%s", LOGQL_LINE_LABEL, n->neg ? "!~" : "=~");
		rc = cc_quote(c, out, re.p, re.len, q);
		buf_free(&re);
		return rc == LD_OK ? O_ATOM : -1;
	}
	if ((l = cc_label(c, field_path(q), q->col)) == NULL)
		return -1;
	if (q->kind == Q_EXISTS) {
		buf_printf(out, "%s%s\"\"", l, n->neg ? "=" : "!=");
		return O_ATOM;
	}
	if (q->is_num && !isfinite(q->num)) {
		col_err(c->err, q->col, "number %s is out of range", q->value);
		return -1;
	}
	if (q->is_num && q->num < 0 && c->r->no_negative) {
		col_err(c->err, q->col, "Loki before 3.1 cannot compare a label with a "
		    "negative number (%s)", q->value);
		return -1;
	}
	if (q->is_num)
		return num_leaf(out, l, q, n->neg, strict);
	if (q->cmp != Q_EQ) {
		string_cmp(c, q);
		return -1;
	}
	if (q->wildcard) {
		wild_regex(&re, q->value);
		buf_printf(out, "%s%s", l, n->neg ? "!~" : "=~");
		rc = cc_quote(c, out, re.p, re.len, q);
		buf_free(&re);
		return rc == LD_OK ? O_ATOM : -1;
	}
	buf_printf(out, "%s%s", l, n->neg ? "!=" : "=");
	return cc_quote(c, out, q->value, strlen(q->value), q) == LD_OK ? O_ATOM : -1;
}

static int emit(struct cc *, const struct nnode *, int, struct buf *);

/* kid[0..n) joined by " and " or " or "; the other kind in parentheses. */
static int
emit_join(struct cc *c, struct nnode *const *kid, size_t n, enum okind as,
    const int *strict, struct buf *out)
{
	struct buf t = BUF_INIT;
	int k = O_ATOM;

	for (size_t i = 0; i < n; i++) {
		buf_reset(&t);
		if ((k = emit(c, kid[i], strict[i], &t)) < 0) {
			buf_free(&t);
			return -1;
		}
		if (i > 0)
			buf_adds(out, as == O_AND ? " and " : " or ");
		if (n > 1 && k != O_ATOM && k != (int)as)
			buf_printf(out, "(%s)", t.p);
		else
			buf_add(out, t.p, t.len);
	}
	buf_free(&t);
	return n > 1 ? (int)as : k;
}

/* An or-chain: operands evaluate left to right and stop at the first
 * true one, so only the last may set __error__ (logql.h): the last risky
 * operand goes last and is the only one compiled strict. */
static int
emit_or(struct cc *c, const struct nnode *n, int strict, struct buf *out)
{
	struct nnode **kid = xcalloc(n->nkid, sizeof *kid);
	int *st = xcalloc(n->nkid, sizeof *st);
	size_t last = n->nkid, j = 0;
	int k;

	for (size_t i = 0; i < n->nkid; i++)
		if (risky(n->kid[i]))
			last = i;
	for (size_t i = 0; i < n->nkid; i++)
		if (i != last)
			kid[j++] = n->kid[i];
	if (last < n->nkid)
		kid[j++] = n->kid[last];
	st[n->nkid - 1] = strict;
	k = emit_join(c, kid, n->nkid, O_OR, st, out);
	free(kid);
	free(st);
	return k;
}

static int
emit(struct cc *c, const struct nnode *n, int strict, struct buf *out)
{
	int *st, k;

	switch (n->kind) {
	case N_LEAF:
		return emit_leaf(c, n, strict, out);
	case N_OR:
		return emit_or(c, n, strict, out);
	default:
		st = xcalloc(n->nkid, sizeof *st);
		for (size_t i = 0; i < n->nkid; i++)
			st[i] = strict;
		k = emit_join(c, n->kid, n->nkid, O_AND, st, out);
		free(st);
		return k;
	}
}

/* A top-level conjunct as a line filter. */
static int
emit_line_filter(struct cc *c, const struct nnode *n, struct buf *out)
{
	struct buf re = BUF_INIT;
	const struct q_node *q = n->kind == N_LEAF ? n->q : n->kid[0]->q;
	int rc = LD_OK;

	if (n->kind == N_LEAF)
		rc = line_regex(c, &re, n->q, 0);
	for (size_t i = 0; i < n->nkid && rc == LD_OK; i++) {
		if (i > 0)
			buf_addc(&re, '|');
		rc = line_regex(c, &re, n->kid[i]->q, 1);
	}
	if (rc == LD_OK) {
		buf_printf(out, "%s%s ", out->len ? " " : "", n->kind == N_LEAF &&
		    n->neg ? "!~" : "|~");
		rc = cc_quote(c, out, re.p, re.len, q);
	}
	buf_free(&re);
	return rc;
}

/* The line filters (lf) and the label filter (lab) of the query. */
static int
cc_query(struct cc *c, struct buf *lf, struct buf *lab)
{
	struct nnode *root, *rest;
	struct nnode *const *conj;
	size_t nconj;
	int rc = LD_OK;

	if (c->r->query == NULL)
		return LD_OK;
	root = nnf(c->r->query, 0);
	conj = root->kind == N_AND ? root->kid : &root;
	nconj = root->kind == N_AND ? root->nkid : 1;
	rest = xcalloc(1, sizeof *rest);
	rest->kind = N_AND;
	rest->kid = xcalloc(nconj, sizeof *rest->kid);
	for (size_t i = 0; i < nconj && rc == LD_OK; i++) {
		if (is_line_filter(conj[i]))
			rc = emit_line_filter(c, conj[i], lf);
		else
			rest->kid[rest->nkid++] = conj[i];
	}
	if (rc == LD_OK && rest->nkid == 1)
		rc = emit(c, rest->kid[0], 1, lab) < 0 ? LD_EUSAGE : LD_OK;
	else if (rc == LD_OK && rest->nkid > 1)
		rc = emit(c, rest, 1, lab) < 0 ? LD_EUSAGE : LD_OK;
	free(rest->kid);
	free(rest);
	nnode_free(root);
	return rc;
}

static int cc_filter1(struct cc *c, const struct logql_filter *f, struct buf *out);

/* An extra filter and its and-chain as a label filter. */
static int
cc_filter(struct cc *c, const struct logql_filter *f, struct buf *out)
{
	for (; f != NULL; f = f->and) {
		if (cc_filter1(c, f, out) != LD_OK)
			return LD_EUSAGE;
		if (f->and != NULL)
			buf_adds(out, " and ");
	}
	return LD_OK;
}

/* r->any: (CHAIN) or (CHAIN) ... */
static int
cc_any(struct cc *c, struct buf *out)
{
	for (size_t i = 0; i < c->r->nany; i++) {
		buf_adds(out, i ? " or (" : "(");
		if (cc_filter(c, c->r->any[i], out) != LD_OK)
			return LD_EUSAGE;
		buf_addc(out, ')');
	}
	return LD_OK;
}

/* One filter as a label filter. */
static int
cc_filter1(struct cc *c, const struct logql_filter *f, struct buf *out)
{
	static const char *const ops[] = {
		"=", "!=", "=~", "!~", " == ", " != ", " < ", " <= ", " > ", " >= "
	};
	const char *l;
	char num[40];

	if (f->op > LOGQL_GE)
		return err_set(c->err, LD_EUSAGE, "bad filter operator");
	if ((l = cc_label(c, f->path, 0)) == NULL)
		return LD_EUSAGE;
	buf_printf(out, "%s%s", l, ops[f->op]);
	if (f->op <= LOGQL_NRE) {
		if (f->str == NULL || logql_quote(out, f->str, strlen(f->str), c->err) !=
		    LD_OK)
			return err_set(c->err, LD_EUSAGE, "filter on '%s': value missing "
			    "or not valid UTF-8", f->path);
		return LD_OK;
	}
	if (!isfinite(f->num))
		return err_set(c->err, LD_EUSAGE, "filter on '%s': the number is not "
		    "finite", f->path);
	fmt_num(f->num, num, sizeof num);
	buf_adds(out, num);
	return LD_OK;
}

/* The log pipeline of r with the paths lead[0..nlead) first in the json
 * stage: {SEL} LF | json ... [| label_format] [| LAB] [| FILTER] |
 * __error__="". NULL with err. */
static char *
pipeline(struct cc *c, const char *const *lead, size_t nlead)
{
	const struct logql_req *r = c->r;
	struct buf lf = BUF_INIT, lab = BUF_INIT, flt = BUF_INIT, out = BUF_INIT;
	int rc = LD_OK;

	if (r->sel == NULL || r->sel->text == NULL || r->labels == NULL) {
		err_set(c->err, LD_EUSAGE, "no stream selector or label set");
		return NULL;
	}
	for (size_t i = 0; i < nlead && rc == LD_OK; i++)
		rc = cc_label(c, lead[i], 0) ? LD_OK : LD_EUSAGE;
	for (size_t i = 0; i < r->npaths && rc == LD_OK; i++)
		rc = cc_label(c, r->paths[i], 0) ? LD_OK : LD_EUSAGE;
	for (const struct logql_filter *f = r->filter; f != NULL && rc == LD_OK; f = f->and)
		rc = cc_label(c, f->path, 0) ? LD_OK : LD_EUSAGE;
	for (size_t i = 0; i < r->nany && rc == LD_OK; i++)
		for (const struct logql_filter *f = r->any[i]; f != NULL && rc == LD_OK;
		    f = f->and)
			rc = cc_label(c, f->path, 0) ? LD_OK : LD_EUSAGE;
	if (rc == LD_OK)
		rc = cc_fields(c, r->query);
	if (rc == LD_OK)
		rc = cc_query(c, &lf, &lab);
	if (rc == LD_OK && r->filter != NULL)
		rc = cc_filter(c, r->filter, &flt);
	if (rc == LD_OK && r->nany > 0) {
		if (flt.len)
			buf_adds(&flt, " | ");
		rc = cc_any(c, &flt);
	}
	if (rc == LD_OK) {
		buf_adds(&out, r->sel->text);
		if (lf.len)
			buf_printf(&out, " %s", lf.p);
		if (c->json.len)
			buf_printf(&out, " | json %s", c->json.p);
		if (c->ldline)
			buf_adds(&out, " | label_format " LOGQL_LINE_LABEL
			    "=\"{{__line__}}\"");
		if (lab.len)
			buf_printf(&out, " | %s", lab.p);
		if (flt.len)
			buf_printf(&out, " | %s", flt.p);
		buf_adds(&out, " | __error__=\"\"");
	}
	buf_free(&lf);
	buf_free(&lab);
	buf_free(&flt);
	if (rc != LD_OK) {
		buf_free(&out);
		return NULL;
	}
	return buf_detach(&out);
}

static void
cc_init(struct cc *c, const struct logql_req *r, struct ld_err *err)
{
	memset(c, 0, sizeof *c);
	c->r = r;
	c->err = err;
	err_clear(err);
}

static void
cc_free(struct cc *c)
{
	buf_free(&c->json);
	free(c->names);
}

char *
logql_log_query(const struct logql_req *r, const char **names, struct ld_err *err)
{
	struct cc c;
	char *s;

	cc_init(&c, r, err);
	s = pipeline(&c, NULL, 0);
	for (size_t i = 0; s != NULL && names != NULL && i < r->npaths; i++)
		names[i] = label_find(r->labels, r->paths[i])->name;
	cc_free(&c);
	return s;
}

int
logql_duration(int64_t ns, char *out, size_t outlen, struct ld_err *err)
{
	if (ns <= 0 || ns % NS_PER_MS != 0)
		return err_set(err, LD_EUSAGE, "range of %lld ns: a LogQL range must be "
		    "a positive whole number of milliseconds", (long long)ns);
	if (ns % NS_PER_S == 0)
		snprintf(out, outlen, "%llds", (long long)(ns / NS_PER_S));
	else
		snprintf(out, outlen, "%lldms", (long long)(ns / NS_PER_MS));
	return LD_OK;
}

/* "A, B" of the labels of paths[0..n) (already in the json stage). */
static void
label_list(const struct logql_labels *l, const char *const *paths, size_t n,
    struct buf *out)
{
	buf_add(out, "", 0);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? ", " : "", label_find(l, paths[i])->name);
}

static int
metric_check(const struct logql_metric *m, char *dur, struct ld_err *err)
{
	if (logql_duration(m->range, dur, 24, err) != LD_OK)
		return LD_EUSAGE;
	if (m->fn > LOGQL_COUNT)
		return err_set(err, LD_EUSAGE, "unknown metric function");
	if (m->fn == LOGQL_QUANTILE && !(m->phi >= 0 && m->phi <= 1))
		return err_set(err, LD_EUSAGE, "quantile must be between 0 and 1");
	if (m->fn != LOGQL_COUNT && m->unwrap == NULL)
		return err_set(err, LD_EUSAGE, "no field to unwrap");
	return LD_OK;
}

char *
logql_metric_query(const struct logql_req *r, const struct logql_metric *m,
    struct ld_err *err)
{
	const char **lead = xcalloc(m->nby + 1, sizeof *lead);
	struct buf out = BUF_INIT, by = BUF_INIT;
	size_t nlead = 0;
	char dur[24], phi[40], *pipe = NULL;
	struct cc c;

	cc_init(&c, r, err);
	if (metric_check(m, dur, err) != LD_OK)
		goto done;
	if (m->fn != LOGQL_COUNT)
		lead[nlead++] = m->unwrap;
	for (size_t i = 0; i < m->nby; i++)
		lead[nlead++] = m->by[i];
	if ((pipe = pipeline(&c, lead, nlead)) == NULL)
		goto done;
	label_list(r->labels, m->by, m->nby, &by);
	switch (m->fn) {
	case LOGQL_QUANTILE:
		fmt_num(m->phi, phi, sizeof phi);
		buf_printf(&out, "quantile_over_time(%s, %s | unwrap %s | __error__=\"\" "
		    "[%s]" LOGQL_OFFSET ") by (%s)", phi, pipe, label_find(r->labels, m->unwrap)->name, dur,
		    by.p);
		break;
	case LOGQL_AVG:
		buf_printf(&out, "avg_over_time(%s | unwrap %s | __error__=\"\" [%s]"
		    LOGQL_OFFSET ") by (%s)", pipe, label_find(r->labels, m->unwrap)->name, dur, by.p);
		break;
	default:
		if (m->nby > 0)
			buf_printf(&out, "sum by (%s) (count_over_time(%s [%s]" LOGQL_OFFSET
			    "))", by.p,
			    pipe, dur);
		else
			buf_printf(&out, "sum(count_over_time(%s [%s]" LOGQL_OFFSET "))", pipe,
			    dur);
	}
done:
	free(lead);
	free(pipe);
	buf_free(&by);
	cc_free(&c);
	return out.p ? buf_detach(&out) : NULL;
}

/* sum(count_over_time({SEL}PIPE [R])) */
static char *
count_sel(const struct logql_selector *sel, const char *pipe, int64_t range,
    struct ld_err *err)
{
	char dur[24];

	err_clear(err);
	if (sel == NULL || sel->text == NULL)
		return err_set(err, LD_EUSAGE, "no stream selector"), NULL;
	if (logql_duration(range, dur, sizeof dur, err) != LD_OK)
		return NULL;
	return xasprintf("sum(count_over_time(%s%s [%s]" LOGQL_OFFSET "))", sel->text, pipe,
	    dur);
}

char *
logql_count_lines(const struct logql_selector *sel, int64_t range, struct ld_err *err)
{
	return count_sel(sel, "", range, err);
}

char *
logql_count_json_errors(const struct logql_selector *sel, int64_t range,
    struct ld_err *err)
{
	return count_sel(sel, " | json | __error__=\"JSONParserErr\"", range, err);
}

char *
logql_lines_query(const struct logql_req *r, const char *line_path,
    const char *const *keep, size_t nkeep, struct ld_err *err)
{
	const char **lead = xcalloc(nkeep + 1, sizeof *lead);
	struct buf out = BUF_INIT, tpl = BUF_INIT;
	char *pipe = NULL;
	struct cc c;

	cc_init(&c, r, err);
	if (line_path == NULL) {
		err_set(err, LD_EUSAGE, "no field for the line");
		goto done;
	}
	lead[0] = line_path;
	for (size_t i = 0; i < nkeep; i++)
		lead[i + 1] = keep[i];
	if ((pipe = pipeline(&c, lead, nkeep + 1)) == NULL)
		goto done;
	buf_printf(&tpl, "{{.%s}}", label_find(r->labels, line_path)->name);
	buf_printf(&out, "%s | line_format ", pipe);
	logql_quote(&out, tpl.p, tpl.len, NULL);
	if (nkeep > 0) {
		buf_adds(&out, " | keep ");
		label_list(r->labels, keep, nkeep, &out);
	} else {
		buf_adds(&out, " | drop ");
		for (size_t i = 0; i < c.nnames; i++)
			buf_printf(&out, "%s%s", i ? ", " : "", c.names[i]);
		if (c.ldline)
			buf_adds(&out, ", " LOGQL_LINE_LABEL);
	}
done:
	free(lead);
	free(pipe);
	buf_free(&tpl);
	cc_free(&c);
	return out.p ? buf_detach(&out) : NULL;
}
