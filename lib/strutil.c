#include "config.h"
#include "lib/strutil.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "lib/buf.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

int
str_vis_next(const char *s, size_t n, int flags, char out[STRVIS_UNIT],
    size_t *adv, int *width)
{
	unsigned char c = (unsigned char)s[0];
	size_t len;
	uint32_t cp;
	int w;

	*adv = 1;
	if (c < 0x20 || c == 0x7f) {
		switch (c) {
		case '\t': memcpy(out, "\\t", 3); break;
		case '\n': memcpy(out, "\\n", 3); break;
		case '\r': memcpy(out, "\\r", 3); break;
		case 0x1b: memcpy(out, "\\e", 3); break;
		default: snprintf(out, STRVIS_UNIT, "\\x%02x", c); break;
		}
		*width = (int)strlen(out);
		return 1;
	}
	if (c < 0x80) {
		out[0] = (char)c;
		out[1] = '\0';
		*width = 1;
		return 0;
	}
	len = utf8_valid_len(s, n);
	if (len == 0) {
		snprintf(out, STRVIS_UNIT, "\\x%02x", c);
		*width = 4;
		return 1;
	}
	*adv = len;
	cp = utf8_decode(s, len);
	w = -1;
	/* utf8_cp_unsafe: C1, and what reorders or breaks the line around it
	 * (Trojan Source, CVE-2021-42574), never shown raw */
	if (!(flags & STRVIS_ASCII) && !utf8_cp_unsafe(cp))
		w = wcwidth((wchar_t)cp);
	if (w < 0) {
		snprintf(out, STRVIS_UNIT, "\\u{%04x}", (unsigned)cp);
		*width = (int)strlen(out);
		return 1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	*width = w;
	return 0;
}

char *
str_visible(const char *s, size_t n, int flags)
{
	struct buf b = BUF_INIT;
	char unit[STRVIS_UNIT];
	size_t i, adv;
	int w;

	buf_reserve(&b, n + 1);
	for (i = 0; i < n; i += adv) {
		str_vis_next(s + i, n - i, flags, unit, &adv, &w);
		buf_adds(&b, unit);
	}
	return buf_detach(&b);
}

/* Width of the character at s[0..n) and its length in *adv. */
static int
char_width(const char *s, size_t n, size_t *adv)
{
	size_t len;
	int w;

	if ((unsigned char)s[0] < 0x80) {
		*adv = 1;
		return 1;
	}
	len = utf8_valid_len(s, n);
	if (len == 0) {
		*adv = 1;
		return 1;
	}
	*adv = len;
	w = wcwidth((wchar_t)utf8_decode(s, len));
	return w < 0 ? 1 : w;
}

size_t
str_nwidth(const char *s, size_t n)
{
	size_t i, adv, cols = 0;

	for (i = 0; i < n; i += adv)
		cols += (size_t)char_width(s + i, n - i, &adv);
	return cols;
}

size_t
str_width(const char *s)
{
	return str_nwidth(s, strlen(s));
}

size_t
str_fit(const char *s, size_t cols, size_t *used)
{
	size_t n = strlen(s), i, adv, w = 0;
	int cw;

	for (i = 0; i < n; i += adv) {
		cw = char_width(s + i, n - i, &adv);
		if (w + (size_t)cw > cols)
			break;
		w += (size_t)cw;
	}
	if (used != NULL)
		*used = w;
	return i;
}

char *
str_trunc(const char *s, size_t cols, const char *ell)
{
	size_t ew, keep, used;
	char *r;

	if (str_width(s) <= cols)
		return xstrdup(s);
	ew = str_width(ell);
	if (ew > cols)
		return xstrndup(s, str_fit(s, cols, NULL));
	keep = str_fit(s, cols - ew, &used);
	r = xmalloc(keep + strlen(ell) + 1);
	memcpy(r, s, keep);
	strcpy(r + keep, ell);
	return r;
}

const char *
str_casestr(const char *hay, const char *needle)
{
	size_t nl = strlen(needle), i;

	for (; ; hay++) {
		for (i = 0; i < nl; i++)
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		if (i == nl)
			return hay;
		if (*hay == '\0')
			return NULL;
	}
}

/* Insert thousands separators into the digits digits[0..n) -> out. */
static void
group_digits(const char *digits, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 2 < outlen; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

char *
fmt_count(uint64_t n, char *out, size_t outlen)
{
	char digits[24];
	int len;

	len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
	group_digits(digits, (size_t)len, out, outlen);
	return out;
}

char *
fmt_double(double v, int decimals, char *out, size_t outlen)
{
	char tmp[400], grouped[48];
	const char *p, *dot;
	int neg;

	if (isnan(v)) {
		snprintf(out, outlen, "-");
		return out;
	}
	if (isinf(v)) {
		snprintf(out, outlen, v < 0 ? "-inf" : "inf");
		return out;
	}
	if (decimals < 0)
		decimals = 0;
	if (fabs(v) >= 1e18) {
		snprintf(out, outlen, "%.*g", 3, v);
		return out;
	}
	snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
	neg = tmp[0] == '-';
	p = tmp + neg;
	/* "-0" after rounding is just "0" */
	if (neg && strspn(p, "0.") == strlen(p))
		neg = 0;
	dot = strchr(p, '.');
	group_digits(p, dot ? (size_t)(dot - p) : strlen(p), grouped,
	    sizeof grouped);
	snprintf(out, outlen, "%s%s%s", neg ? "-" : "", grouped, dot ? dot : "");
	return out;
}

char *
fmt_bytes(double bytes, char *out, size_t outlen)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB", "PB" };
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, outlen, "%.0f B", bytes);
		return out;
	}
	bytes /= 1024;
	while (bytes >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, outlen, "%.1f %s", bytes, unit[u]);
	return out;
}

void
csv_put(FILE *out, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

uint64_t
fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}
