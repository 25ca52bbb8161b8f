#include "config.h"
#include "lib/utf8.h"

size_t
utf8_valid_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		if (n < 2 || (u[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (u[0] >= 0xe0 && u[0] <= 0xef) {
		if (n < 3 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80)
			return 0;
		if (u[0] == 0xe0 && u[1] < 0xa0)
			return 0;	/* overlong */
		if (u[0] == 0xed && u[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		if (n < 4 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80 ||
		    (u[3] & 0xc0) != 0x80)
			return 0;
		if (u[0] == 0xf0 && u[1] < 0x90)
			return 0;
		if (u[0] == 0xf4 && u[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

uint32_t
utf8_decode(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	switch (len) {
	case 1: return u[0];
	case 2: return ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
	case 3: return ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
	case 4: return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
	    ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
	}
	return 0xfffd;
}

size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int
utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		size_t l = utf8_valid_len(s + i, n - i);
		if (l == 0)
			return 0;
		i += l;
	}
	return 1;
}

int
utf8_cp_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	    cp == 0x2028 || cp == 0x2029;
}

size_t
utf8_safe_prefix(const char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		l = utf8_valid_len(s + i, n - i);
		if (l == 0 || utf8_cp_unsafe(utf8_decode(s + i, l)))
			return i;
		i += l;
	}
	return n;
}

size_t
utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}
