/*
 * Single-pass JSON-lines scanner (see jscan.h). One loop with an explicit
 * container stack validates the line; strings are skipped 16 (SSE2) or 8
 * (SWAR) bytes at a time until a quote, backslash, control byte or non-ASCII
 * byte; keys are compared with the compiled paths only in objects where a
 * path can still match.
 *
 * Path matching: a path matches a chain of keys k1..kn when k1 "." k2 ...
 * "." kn equals the path, so "a.b.c" is found as a -> b -> c, "a.b" -> c,
 * a -> "b.c" or "a.b.c". Each object that can still hold a match has a set
 * of entries (path, offset in the path where its keys start, mask of the
 * path's dots used as separators so far). The root object's set (every path
 * at offset 0) is implicit: roottab[] gives the paths that have a prefix
 * ending at a component boundary with the key's length, first and last
 * byte (or a hash collision of that).
 *
 * Duplicate keys: a later value for the same key replaces the earlier one
 * as in jansson, including everything found inside an earlier object. When
 * the same path is spelled more than one way in a record ({"a.b":1,
 * "a":{"b":2}}), the value that comes last in the line wins.
 */
#include "config.h"
#include "backends/jscan.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
/* -DJSCAN_PORTABLE builds the plain C paths (for tests on x86). */
#if defined(__SSE2__) && !defined(JSCAN_PORTABLE)
#define JS_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__APPLE__)
#include <xlocale.h>
#endif

/* strtod_l() with a "C" locale_t; elsewhere strtod() with the '.' swapped
 * for the locale's decimal point. */
#if (defined(__GLIBC__) || defined(__APPLE__)) && !defined(JSCAN_PORTABLE)
#define JS_STRTOD_L 1
#endif

#if defined(__GNUC__)
#define JS_CTZ(x)	__builtin_ctz(x)
#define JS_INLINE	static inline __attribute__((always_inline))
#define JS_UNLIKELY(x)	__builtin_expect(!!(x), 0)
#else
#define JS_INLINE	static inline
#define JS_UNLIKELY(x)	(x)
#define JS_CTZ(x)	js_ctz(x)
static int
js_ctz(uint32_t x)
{
	int n = 0;

	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
}
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__GNUC__) && !defined(JSCAN_PORTABLE)
#define JS_LE 1
#endif

#define JS_POOL		(JSCAN_MAX_PATHS * JSCAN_PATH_MAXCOMP)
#define JS_SHAPE_MAXD	64	/* objects deeper than this add no keys to the shape */
#define JS_SEED		0x6a09e667f3bcc909ULL
#define JS_ROOTTAB	1024

/* Filter for root keys: a key can only match paths in roottab[roothash()]. */
#define roothash(k, n) \
	(((n) * 0x2f1u + ((n) ? (k)[0] * 0x3bu + (k)[(n) - 1] * 0x9u : 0)) & \
	(JS_ROOTTAB - 1))

struct jpath {
	const char	*s;
	uint32_t	 len;
	uint8_t		 dots[JSCAN_PATH_MAX + 1];	/* dots in s[0..i) */
};

struct jscan_paths {
	size_t		 n;
	char		*strs;		/* owned copies of the paths */
	struct jpath	 p[JSCAN_MAX_PATHS];
	uint32_t	 roottab[JS_ROOTTAB];	/* paths by roothash() of a prefix */
};

/* A path that can still match in an open object. */
struct ment {
	uint8_t		 p;		/* path index */
	uint8_t		 off;		/* the object's keys start at s[off] */
	uint16_t	 mask;		/* dots used as separators above */
};

/* Character classes, by byte. */
#define C_WS	0x01	/* JSON whitespace */
#define C_STR	0x02	/* ends the fast string skip: " \\ < 0x20 >= 0x80 */
#define C_HEX	0x04
static const unsigned char ctab[256] = {
	2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 2, 2, 3, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0,
	0, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

#ifdef JS_STRTOD_L
static pthread_once_t	c_locale_once = PTHREAD_ONCE_INIT;
static locale_t		c_locale;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}
#endif

JS_INLINE int
isdig(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
JS_INLINE size_t
u8len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0) {
		if (end - p < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* > U+10FFFF */
	if (c < 0xf0) {
		if (end - p < 3 || p[1] < lo || p[1] > hi ||
		    (p[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (end - p < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 ||
	    (p[3] & 0xc0) != 0x80)
		return 0;
	return 4;
}

/* Verdict for an unexpected byte at p (or the end of the line). */
static int
badbyte(const unsigned char *p, const unsigned char *end)
{
	if (p < end && *p >= 0x80 && u8len(p, end) == 0)
		return JSCAN_BAD_UTF8;
	return JSCAN_NOT_JSON;
}

/* Verdict for a misspelt literal: blame its first wrong byte. */
static int
badlit(const unsigned char *p, const unsigned char *end, const char *lit)
{
	while (p < end && *lit != '\0' && *p == (unsigned char)*lit) {
		p++;
		lit++;
	}
	return badbyte(p, end);
}

/*
 * Skip a string body starting after its opening quote. Returns a pointer
 * to the closing quote, or NULL with *verdict set. Sets *esc if a backslash
 * occurs.
 */
JS_INLINE const unsigned char *
scan_str(const unsigned char *p, const unsigned char *end, int *esc,
    int *verdict)
{
	size_t n;

	for (;;) {
#ifdef JS_SSE2
		const __m128i q = _mm_set1_epi8('"');
		const __m128i bs = _mm_set1_epi8('\\');
		const __m128i sp = _mm_set1_epi8(0x20);

		while (end - p >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i mq = _mm_cmpeq_epi8(x, q);
			/* signed < 0x20 catches control bytes and bytes >= 0x80 */
			__m128i m = _mm_or_si128(_mm_or_si128(mq,
			    _mm_cmpeq_epi8(x, bs)), _mm_cmplt_epi8(x, sp));
			unsigned bits = (unsigned)_mm_movemask_epi8(m);
			if (bits != 0) {
				/* the closing quote, told from the masks */
				if ((bits & -bits) & (unsigned)_mm_movemask_epi8(mq))
					return p + __builtin_ctz(bits);
				p += __builtin_ctz(bits);
				goto special;
			}
			p += 16;
		}
#elif defined(JS_LE)
		while (end - p >= 8) {
			uint64_t w, t, u, m;
			const uint64_t ones = 0x0101010101010101ULL;
			const uint64_t high = 0x8080808080808080ULL;

			memcpy(&w, p, 8);
			t = w ^ (ones * '"');
			u = w ^ (ones * '\\');
			/* the lowest flagged byte is exact (borrows go up) */
			m = ((((w - ones * 0x20) | (t - ones) | (u - ones)) & ~w) |
			    w) & high;
			if (m != 0) {
				p += __builtin_ctzll(m) / 8;
				goto special;
			}
			p += 8;
		}
#endif
		while (p < end && !(ctab[*p] & C_STR))
			p++;
		if (p == end) {
			*verdict = JSCAN_NOT_JSON;
			return NULL;
		}
#if defined(JS_SSE2) || defined(JS_LE)
special:
#endif
		if (*p == '"')
			return p;
		if (*p == '\\') {
			*esc = 1;
			if (end - p < 2)
				goto bad;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (end - p >= 6 && (ctab[p[2]] & C_HEX) &&
				    (ctab[p[3]] & C_HEX) && (ctab[p[4]] & C_HEX) &&
				    (ctab[p[5]] & C_HEX)) {
					p += 6;
					continue;
				}
				/* blame the first byte that is not a hex digit */
				for (p += 2; p < end && (ctab[*p] & C_HEX); p++)
					;
				goto bad;
			}
			p++;
			goto bad;
		}
		if (*p < 0x20)
			goto bad;
		if ((n = u8len(p, end)) == 0) {
			*verdict = JSCAN_BAD_UTF8;
			return NULL;
		}
		p += n;
	}
bad:
	*verdict = badbyte(p, end);
	return NULL;
}

/* Fold two words into one (a 64x64 -> 128-bit multiply where we have it). */
JS_INLINE uint64_t
fold(uint64_t x, uint64_t y)
{
#if defined(__SIZEOF_INT128__) && !defined(JSCAN_PORTABLE)
	__uint128_t r = (__uint128_t)x * y;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	x = (x ^ (x >> 31)) * 0xbf58476d1ce4e5b9ULL;
	return (x ^ y ^ (y >> 29)) * 0x94d049bb133111ebULL;
#endif
}

#ifdef JS_LE
/* Masks keeping the first n bytes of a 16-byte little-endian load. */
static const uint64_t lomask[17] = {
	0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffffULL,
	0xffffffffffffULL, 0xffffffffffffffULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL,
	~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL
};
static const uint64_t himask[17] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xffff, 0xffffff, 0xffffffff,
	0xffffffffffULL, 0xffffffffffffULL, 0xffffffffffffffULL, ~0ULL
};
#endif

/* Hash of a key k[0..n) below the object whose path hashes to h. */
JS_INLINE uint64_t
hkey(uint64_t h, const unsigned char *k, size_t n, const unsigned char *end)
{
	uint64_t a, b;
	size_t i;

	(void)end;
	h ^= (uint64_t)n * 0x9e3779b97f4a7c15ULL;
	for (; n > 16; n -= 16, k += 16) {
		memcpy(&a, k, 8);
		memcpy(&b, k + 8, 8);
		h = fold(a ^ h ^ 0xa0761d6478bd642fULL, b ^ 0xe7037ed1a0b428dbULL);
	}
#ifdef JS_LE
	if (end - k >= 16) {
		/* one load, bytes past the key masked off */
		memcpy(&a, k, 8);
		memcpy(&b, k + 8, 8);
		a &= lomask[n];
		b &= himask[n];
	} else
#endif
	{
		a = b = 0;
		for (i = 0; i < n && i < 8; i++)
			a |= (uint64_t)k[i] << (8 * i);
		for (; i < n; i++)
			b |= (uint64_t)k[i] << (8 * (i - 8));
	}
	return fold(a ^ h ^ 0x8ebc6af09c88c6e3ULL, b ^ 0x589965cc75374cc3ULL);
}

static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* strtod() of a validated number in the C locale; sets v->num, overflow. */
static void
num_slow(struct jv *v)
{
	char stack[64], *b = stack;
	double d;
	int saved;

	if (v->len >= sizeof stack)
		b = xmalloc(v->len + 1);
	memcpy(b, v->p, v->len);
	b[v->len] = '\0';
	saved = errno;
	errno = 0;
#ifdef JS_STRTOD_L
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale != (locale_t)0)
		d = strtod_l(b, NULL, c_locale);
	else
#endif
	{
		/* strtod follows LC_NUMERIC: use its decimal point */
		const char *dp = localeconv()->decimal_point;
		char *dot = strchr(b, '.');

		if (dot != NULL && dp != NULL && dp[0] != '\0' && dp[1] == '\0')
			*dot = dp[0];
		d = strtod(b, NULL);
	}
	/* only a magnitude beyond double range is out of range: a total
	   underflow (1e-400) is the nearest double, a (signed) zero, as
	   jansson, Python and JavaScript read it */
	if (errno == ERANGE && isinf(d))
		v->overflow = 1;
	errno = saved;
	v->num = d;
	if (b != stack)
		free(b);
}

/*
 * Convert a validated JSON number. Exact decimal mantissas up to 2^53
 * with small exponents are one correctly rounded multiply or divide
 * (Clinger's fast path); anything else goes to strtod.
 */
static void
num_conv(struct jv *v)
{
	const unsigned char *p = (const unsigned char *)v->p;
	const unsigned char *end = p + v->len;
	uint64_t m = 0;
	int nd = 0, e10 = 0, neg = 0, x = 0, xneg = 0;
	double d;

	v->overflow = 0;
	if (v->len > 1024)
		goto slow;	/* keeps the exponent arithmetic small */
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end && isdig(*p); p++) {
		if (m == 0 && *p == '0')
			continue;
		if (++nd > 19)
			goto slow;
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && *p == '.') {
		for (p++; p < end && isdig(*p); p++) {
			e10--;
			if (m == 0 && *p == '0')
				continue;
			if (++nd > 19)
				goto slow;
			m = m * 10 + (uint64_t)(*p - '0');
		}
	}
	if (p < end && (*p | 0x20) == 'e') {
		p++;
		if (p < end && (*p == '-' || *p == '+'))
			xneg = *p++ == '-';
		for (; p < end && isdig(*p); p++)
			if (x < 100000)
				x = x * 10 + (*p - '0');
		e10 += xneg ? -x : x;
	}
	if (m == 0) {
		v->num = neg ? -0.0 : 0.0;
		return;
	}
	if (m > (1ULL << 53))
		goto slow;
	d = (double)m;
	if (e10 < 0) {
		if (e10 < -22)
			goto slow;
		d /= p10[-e10];
	} else if (e10 > 22) {
		/* m * 10^(e10 - 22) may still be exact */
		if (e10 > 22 + 15)
			goto slow;
		d *= p10[e10 - 22];
		if (d >= 9007199254740992.0)
			goto slow;
		d *= 1e22;
	} else
		d *= p10[e10];
	v->num = neg ? -d : d;
	return;
slow:
	num_slow(v);
}

static int
paths_compile(struct jscan_paths *ps, const char *const *paths, size_t n)
{
	size_t i, j;

	if (n > JSCAN_MAX_PATHS)
		return -1;
	ps->n = n;
	memset(ps->roottab, 0, sizeof ps->roottab);
	for (i = 0; i < n; i++) {
		struct jpath *jp = &ps->p[i];
		size_t len = strlen(paths[i]);
		unsigned nd = 0;

		if (len > JSCAN_PATH_MAX)
			return -1;
		jp->s = paths[i];
		jp->len = (uint32_t)len;
		for (j = 0; j <= len; j++) {
			jp->dots[j] = (uint8_t)nd;
			if (j == len || jp->s[j] == '.')
				ps->roottab[roothash((const unsigned char *)jp->s,
				    j)] |= 1u << i;
			if (j < len && jp->s[j] == '.')
				nd++;
		}
		if (nd >= JSCAN_PATH_MAXCOMP)
			return -1;
	}
	return 0;
}

struct jscan_paths *
jscan_paths_new(const char *const *paths, size_t n)
{
	struct jscan_paths *ps;
	size_t i, total = 0;
	char *q;

	if (n > JSCAN_MAX_PATHS)
		return NULL;
	for (i = 0; i < n; i++)
		total += strlen(paths[i]) + 1;
	ps = xcalloc(1, sizeof *ps);
	ps->strs = q = xmalloc(total);
	for (i = 0; i < n; i++) {
		size_t l = strlen(paths[i]) + 1;

		memcpy(q, paths[i], l);
		ps->p[i].s = q;
		q += l;
	}
	{
		const char *copies[JSCAN_MAX_PATHS];

		for (i = 0; i < n; i++)
			copies[i] = ps->p[i].s;
		if (paths_compile(ps, copies, n) == -1) {
			jscan_paths_free(ps);
			return NULL;
		}
	}
	return ps;
}

void
jscan_paths_free(struct jscan_paths *ps)
{
	if (ps == NULL)
		return;
	free(ps->strs);
	free(ps);
}

static size_t	unescape_to(const char *, size_t, char *);

/* Room for an escaped key that may still unescape to a path: an escape
 * is at most 6 bytes for 1. */
#define JS_KEYBUF	(6 * (JSCAN_PATH_MAX + 1))

/* Matching state for one key. */
struct mctx {
	const struct jscan_paths *ps;
	struct jv	*out;
	uint16_t	*omask;		/* separators of each out[] value */
	uint32_t	*oser;		/* tick when each out[] was set */
	uint32_t	 tick;
	uint32_t	 fser;		/* tick when this object opened */
	struct ment	*child;		/* entries for the key's object value */
	size_t		 nchild;
	uint32_t	 fullm;		/* paths the key's value completes */
};

/* 1 if a[0..n) == b[0..n); n is a key's length, usually short. */
JS_INLINE int
keyeq(const char *a, const unsigned char *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; n -= 8, a += 8, b += 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	for (; n > 0; n--)
		if ((unsigned char)*a++ != *b++)
			return 0;
	return 1;
}

/* Match key k[0..kl) against one entry of the current object. */
JS_INLINE void
match_ent(struct mctx *m, const struct ment *en, const unsigned char *k,
    size_t kl)
{
	const struct jpath *jp = &m->ps->p[en->p];
	size_t b = en->off + kl;
	uint16_t cm, lo;

	if (b > jp->len || (b != jp->len && jp->s[b] != '.') ||
	    (kl > 0 && (unsigned char)jp->s[en->off] != k[0]) ||
	    !keyeq(jp->s + en->off, k, kl))
		return;
	if (b == jp->len) {
		m->fullm |= 1u << en->p;
		m->omask[en->p] = en->mask;
		m->oser[en->p] = m->tick;
		return;
	}
	cm = (uint16_t)(en->mask | (1u << jp->dots[b]));
	lo = (uint16_t)((2u << jp->dots[b]) - 1);
	/* a duplicate key drops what its earlier object value held */
	if (m->out[en->p].type != JV_MISSING && m->oser[en->p] >= m->fser &&
	    (m->omask[en->p] & lo) == cm)
		m->out[en->p].type = JV_MISSING;
	m->child[m->nchild].p = en->p;
	m->child[m->nchild].off = (uint8_t)(b + 1);
	m->child[m->nchild].mask = cm;
	m->nchild++;
}

int
jscan_line(const struct jscan_paths *ps, const char *line, size_t len,
    struct jv *out, uint64_t *shape)
{
	const unsigned char *p = (const unsigned char *)line;
	const unsigned char *end = p + len, *q, *e;
	uint8_t kind[JSCAN_MAX_DEPTH + 1];	/* 1: object, 0: array */
	uint64_t hstk[JS_SHAPE_MAXD + 1];	/* path hash of tracked objects */
	struct ment pool[JS_POOL];
	struct {
		uint16_t beg, end;
		uint32_t ser;
	} mf[JSCAN_PATH_MAXCOMP + 1];		/* objects that can match */
	struct {
		size_t depth;
		size_t p;
	} pend[JSCAN_MAX_PATHS];		/* matched containers still open */
	uint16_t omask[JSCAN_MAX_PATHS];
	uint32_t oser[JSCAN_MAX_PATHS];
	char kbuf[JS_KEYBUF];
	size_t np = ps != NULL ? ps->n : 0;
	size_t depth = 0, mtop = 0, otop = 0, ptop = 0, npend = 0, nchild = 0;
	size_t i;
	uint32_t fullm = 0, tick = 1, m;
	uint64_t sh = JS_SEED, curkh = JS_SEED;
	int verdict, esc, rootobj = 0;
	unsigned char c;

	if (np > 0)
		memset(out, 0, np * sizeof *out);

value:
	if (JS_UNLIKELY(p == end || (ctab[*p] & C_WS))) {
		while (p < end && (ctab[*p] & C_WS))
			p++;
		if (p == end)
			return JSCAN_NOT_JSON;
	}
	if (JS_UNLIKELY(depth >= JSCAN_MAX_DEPTH))
		return JSCAN_TOO_DEEP;
	switch (*p) {
	case '"':
		esc = 0;
		if ((e = scan_str(p + 1, end, &esc, &verdict)) == NULL)
			return verdict;
		if (fullm != 0) {
			for (m = fullm; m != 0; m &= m - 1) {
				i = (size_t)JS_CTZ(m);
				out[i].type = JV_STRING;
				out[i].escaped = (uint8_t)esc;
				out[i].p = (const char *)p + 1;
				out[i].len = (uint32_t)(e - p - 1);
			}
		}
		p = e + 1;
		goto after;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		q = p;
		if (*p == '-' && ++p == end)
			return JSCAN_NOT_JSON;
		if (*p == '0')
			p++;
		else if (isdig(*p)) {
			for (p++; p < end && isdig(*p); p++)
				;
		} else
			return badbyte(p, end);
		if (p < end && *p == '.') {
			if (++p == end || !isdig(*p))
				return badbyte(p, end);
			for (p++; p < end && isdig(*p); p++)
				;
		}
		if (p < end && (*p | 0x20) == 'e') {
			if (++p < end && (*p == '+' || *p == '-'))
				p++;
			if (p == end || !isdig(*p))
				return badbyte(p, end);
			for (p++; p < end && isdig(*p); p++)
				;
		}
		if (fullm != 0) {
			for (m = fullm; m != 0; m &= m - 1) {
				i = (size_t)JS_CTZ(m);
				out[i].type = JV_NUMBER;
				out[i].p = (const char *)q;
				out[i].len = (uint32_t)(p - q);
			}
		}
		goto after;
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4) != 0)
			return badlit(p, end, "true");
		c = JV_TRUE;
		goto lit;
	case 'f':
		if (end - p < 5 || memcmp(p, "false", 5) != 0)
			return badlit(p, end, "false");
		c = JV_FALSE;
		goto lit;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4) != 0)
			return badlit(p, end, "null");
		c = JV_NULL;
	lit:
		q = p;
		p += c == JV_FALSE ? 5 : 4;
		if (fullm != 0) {
			for (m = fullm; m != 0; m &= m - 1) {
				i = (size_t)JS_CTZ(m);
				out[i].type = (enum jv_type)c;
				out[i].p = (const char *)q;
				out[i].len = (uint32_t)(p - q);
			}
		}
		goto after;
	case '{':
	case '[':
		c = *p == '{';
		if (fullm != 0) {
			for (m = fullm; m != 0; m &= m - 1) {
				i = (size_t)JS_CTZ(m);
				out[i].type = c ? JV_OBJECT : JV_ARRAY;
				out[i].p = (const char *)p;
				pend[npend].depth = depth + 1;
				pend[npend++].p = i;
			}
			fullm = 0;
		}
		p++;
		if (depth == 0) {
			rootobj = c;
			if (c && np > 0) {
				mtop = 1;
				mf[1].ser = tick;
			}
		}
		if (!c)
			nchild = 0;	/* paths do not descend into arrays */
		else {
			if (nchild > 0) {
				/* entries pushed by the key become this object's */
				mf[depth + 1].beg = (uint16_t)ptop;
				mf[depth + 1].end = (uint16_t)(ptop + nchild);
				mf[depth + 1].ser = ++tick;
				ptop += nchild;
				mtop = depth + 1;
				nchild = 0;
			}
			if (depth == otop && depth < JS_SHAPE_MAXD) {
				hstk[depth + 1] = curkh;
				otop = depth + 1;
			}
		}
		kind[++depth] = c;
		while (p < end && (ctab[*p] & C_WS))
			p++;
		if (p < end && *p == (c ? '}' : ']')) {
			p++;
			goto close;
		}
		if (c)
			goto key;
		goto value;
	default:
		return badbyte(p, end);
	}

key:
	/* p at the key's opening quote */
	if (p == end || *p != '"')
		return badbyte(p, end);
	esc = 0;
	q = p + 1;
	if ((e = scan_str(q, end, &esc, &verdict)) == NULL)
		return verdict;
	p = e + 1;
	if (JS_UNLIKELY(p == end || *p != ':')) {
		while (p < end && (ctab[*p] & C_WS))
			p++;
		if (p == end || *p != ':')
			return badbyte(p, end);
	}
	p++;
	if (shape != NULL && depth == otop)
		sh = (sh ^ (curkh = hkey(hstk[depth], q, (size_t)(e - q), end))) *
		    0x9e3779b97f4a7c15ULL;
	if (depth == mtop) {
		struct mctx mc;
		const unsigned char *k = q;
		size_t kl = (size_t)(e - q), j;
		uint32_t cand = 0;

		if (esc) {
			/* keys are compared unescaped */
			if (kl > sizeof kbuf || (kl = unescape_to((const char *)q,
			    kl, kbuf)) > JSCAN_PATH_MAX)
				goto value;
			k = (const unsigned char *)kbuf;
		}
		/* the root holds every path at offset 0 */
		if (depth == 1 && (kl > JSCAN_PATH_MAX ||
		    (cand = ps->roottab[roothash(k, kl)]) == 0))
			goto value;
		mc.ps = ps;
		mc.out = out;
		mc.omask = omask;
		mc.oser = oser;
		mc.tick = tick;
		mc.fser = mf[depth].ser;
		mc.child = pool + ptop;
		mc.nchild = 0;
		mc.fullm = 0;
		if (depth == 1) {
			struct ment root = { 0, 0, 0 };

			for (; cand != 0; cand &= cand - 1) {
				root.p = (uint8_t)JS_CTZ(cand);
				match_ent(&mc, &root, k, kl);
			}
		} else {
			for (j = mf[depth].beg; j < mf[depth].end; j++)
				match_ent(&mc, &pool[j], k, kl);
		}
		fullm = mc.fullm;
		nchild = mc.nchild;
	}
	goto value;

after:
	/* a scalar value ended; any key matches were used */
	fullm = 0;
	nchild = 0;
	if (JS_UNLIKELY(p < end && (ctab[*p] & C_WS)))
		while (p < end && (ctab[*p] & C_WS))
			p++;
	if (depth == 0)
		goto done;
	if (p == end)
		return JSCAN_NOT_JSON;
	c = *p++;
	if (c == ',') {
		if (kind[depth]) {
			if (JS_UNLIKELY(p < end && (ctab[*p] & C_WS)))
				while (p < end && (ctab[*p] & C_WS))
					p++;
			goto key;
		}
		goto value;
	}
	if (c != (kind[depth] ? '}' : ']'))
		return badbyte(p - 1, end);
close:
	/* p is past the closing bracket of the container at depth */
	if (depth == mtop) {
		mtop--;
		if (depth > 1)
			ptop = mf[depth].beg;
	}
	if (depth == otop)
		otop--;
	while (npend > 0 && pend[npend - 1].depth == depth) {
		npend--;
		i = pend[npend].p;
		out[i].len = (uint32_t)((const char *)p - out[i].p);
	}
	depth--;
	goto after;

done:
	if (p != end)
		return badbyte(p, end);
	if (!rootobj)
		return JSCAN_NOT_OBJECT;
	for (i = 0; i < np; i++)
		if (out[i].type == JV_NUMBER)
			num_conv(&out[i]);
	if (shape != NULL) {
		sh ^= sh >> 33;
		sh *= 0xff51afd7ed558ccdULL;
		sh ^= sh >> 33;
		*shape = sh;
	}
	return JSCAN_OK;
}

double
jscan_number(const char *p, size_t len, int *overflow)
{
	struct jv v;

	memset(&v, 0, sizeof v);
	v.type = JV_NUMBER;
	v.p = p;
	v.len = (uint32_t)len;
	num_conv(&v);
	if (overflow)
		*overflow = v.overflow;
	return v.num;
}

/*
 * Read one value of a valid line at p (after whitespace) into v; returns
 * the pointer past it. Containers are skipped by counting brackets outside
 * strings.
 */
static const unsigned char *
read_value(const unsigned char *p, const unsigned char *end, struct jv *v)
{
	const unsigned char *q = p, *e;
	int esc = 0, verdict;
	size_t depth;

	memset(v, 0, sizeof *v);
	v->p = (const char *)p;
	switch (*p) {
	case '"':
		if ((e = scan_str(p + 1, end, &esc, &verdict)) == NULL)
			return end;
		v->type = JV_STRING;
		v->escaped = (uint8_t)esc;
		v->p = (const char *)p + 1;
		v->len = (uint32_t)(e - p - 1);
		return e + 1;
	case 't':
		v->type = JV_TRUE;
		v->len = 4;
		return p + 4;
	case 'f':
		v->type = JV_FALSE;
		v->len = 5;
		return p + 5;
	case 'n':
		v->type = JV_NULL;
		v->len = 4;
		return p + 4;
	case '{':
	case '[':
		v->type = *p == '{' ? JV_OBJECT : JV_ARRAY;
		for (depth = 0; p < end; p++) {
			if (*p == '"') {
				if ((e = scan_str(p + 1, end, &esc, &verdict)) == NULL)
					return end;
				p = e;
			} else if (*p == '{' || *p == '[')
				depth++;
			else if ((*p == '}' || *p == ']') && --depth == 0) {
				p++;
				break;
			}
		}
		v->len = (uint32_t)(p - q);
		return p;
	}
	while (p < end && (isdig(*p) || *p == '-' || *p == '+' || *p == '.' ||
	    (*p | 0x20) == 'e'))
		p++;
	v->type = JV_NUMBER;
	v->len = (uint32_t)(p - q);
	num_conv(v);
	return p;
}

size_t
jscan_get(const char *line, size_t len, const char *path, struct jv *out,
    size_t max)
{
	struct jscan_paths ps;
	struct jv v;
	const unsigned char *p, *end;
	size_t n = 0;

	if (paths_compile(&ps, &path, 1) == -1)
		return 0;
	if (jscan_line(&ps, line, len, &v, NULL) != JSCAN_OK ||
	    v.type == JV_MISSING)
		return 0;
	if (v.type != JV_ARRAY) {
		if (max > 0)
			out[0] = v;
		return 1;
	}
	p = (const unsigned char *)v.p + 1;
	end = (const unsigned char *)v.p + v.len - 1;
	for (;;) {
		struct jv el;

		while (p < end && (ctab[*p] & C_WS))
			p++;
		if (p >= end)
			break;
		p = read_value(p, end, &el);
		if (n < max)
			out[n] = el;
		n++;
		while (p < end && (ctab[*p] & C_WS))
			p++;
		if (p < end && *p == ',')
			p++;
	}
	return n;
}

void
jscan_each_path(const char *line, size_t len,
    void (*cb)(void *ctx, const char *path, size_t pathlen, enum jv_type t),
    void *ctx)
{
	const unsigned char *p = (const unsigned char *)line;
	const unsigned char *end = p + len;
	size_t *stk;		/* path length at each open object */
	size_t depth = 0;
	struct buf path = BUF_INIT;
	struct jv v;

	if (jscan_line(NULL, line, len, NULL, NULL) != JSCAN_OK)
		return;
	stk = xreallocarray(NULL, JSCAN_MAX_DEPTH + 1, sizeof *stk);
	while (*p != '{')
		p++;
	p++;
	stk[depth++] = 0;
	buf_reserve(&path, 64);
	while (depth > 0) {
		while (ctab[*p] & C_WS)
			p++;
		if (*p == ',')
			p++;
		while (ctab[*p] & C_WS)
			p++;
		if (*p == '}') {
			p++;
			depth--;
			continue;
		}
		/* key */
		read_value(p, end, &v);
		p = (const unsigned char *)v.p + v.len + 1;
		path.len = stk[depth - 1];
		if (depth > 1)
			buf_addc(&path, '.');
		jscan_unescape(&v, &path);
		while (ctab[*p] & C_WS || *p == ':')
			p++;
		if (*p == '{') {
			const unsigned char *r = p + 1;

			while (ctab[*r] & C_WS)
				r++;
			if (*r != '}') {
				stk[depth++] = path.len;
				p = r;
				continue;
			}
		}
		p = read_value(p, end, &v);
		cb(ctx, path.p, path.len, v.type);
	}
	free(stk);
	buf_free(&path);
}

/* Value of the 4 hex digits at p. */
static uint32_t
hex4(const char *p)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else
			v |= (uint32_t)((c | 0x20) - 'a' + 10);
	}
	return v;
}

/*
 * Unescape the string body p[0..n) into w, which has room for n bytes
 * (unescaping never lengthens). Returns the bytes written.
 */
static size_t
unescape_to(const char *p, size_t n, char *w)
{
	const char *end = p + n, *bs;
	char *w0 = w;

	while (p < end) {
		if ((bs = memchr(p, '\\', (size_t)(end - p))) == NULL)
			bs = end;
		memcpy(w, p, (size_t)(bs - p));
		w += bs - p;
		p = bs;
		if (p == end)
			break;
		if (end - p < 2) {
			*w++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u': {
			uint32_t cp;

			if (end - p < 6) {
				*w++ = *p++;
				continue;
			}
			cp = hex4(p + 2);
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 12 &&
			    p[6] == '\\' && p[7] == 'u') {
				uint32_t lo = hex4(p + 8);

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;	/* lone surrogate */
			w += utf8_encode(cp, w);
			p += 6;
			continue;
		}
		default:
			*w++ = p[1];	/* " \\ / */
			break;
		}
		p += 2;
	}
	return (size_t)(w - w0);
}

int
jscan_unescape(const struct jv *v, struct buf *out)
{
	if (v->type != JV_STRING)
		return -1;
	if (!v->escaped) {
		buf_add(out, v->p, v->len);
		return 0;
	}
	buf_reserve(out, v->len);
	out->len += unescape_to(v->p, v->len, out->p + out->len);
	out->p[out->len] = '\0';
	return 0;
}
