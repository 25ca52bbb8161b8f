/* Strings for display: untrusted text made visible, display widths,
 * truncation to a column count, numbers with thousands separators. No
 * curses. Widths come from the C library's wcwidth, so the caller sets the
 * locale (setlocale(LC_ALL, "")) before asking about non-ASCII text. */
#ifndef LD_STRUTIL_H
#define LD_STRUTIL_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* str_vis_next flags. */
#define STRVIS_ASCII	0x1	/* escape every non-ASCII character too (C locale) */

#define STRVIS_UNIT	16	/* room for one display unit, NUL included */

/* One display unit of untrusted text s[0..n), n > 0: a character shown as
 * is, or the visible escape of one that must not reach the terminal:
 *   C0 controls      \t \n \r \e (ESC), else \xNN
 *   DEL              \x7f
 *   invalid UTF-8    \xNN, one byte at a time
 *   C1 controls (U+0080..U+009F), bidi embeddings, overrides, isolates and
 *   marks (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C), line
 *   and paragraph separators (U+2028, U+2029), characters the locale cannot
 *   print, and with STRVIS_ASCII any non-ASCII character: \u{202e}
 * Writes the unit's text, NUL-terminated, to out; sets *adv to the bytes
 * of s consumed (>= 1) and *width to its columns. Returns 1 for an escape,
 * 0 for a character shown as is. */
int	 str_vis_next(const char *s, size_t n, int flags, char out[STRVIS_UNIT],
	    size_t *adv, int *width);

/* s[0..n) made displayable: every unit of str_vis_next in turn. Returns a
 * NUL-terminated string the caller frees; never NULL. */
char	*str_visible(const char *s, size_t n, int flags);

/* Display width in columns of trusted UTF-8 text (already visible): a
 * character's wcwidth; an invalid byte, or a character wcwidth cannot
 * measure, counts one column. */
size_t	 str_width(const char *s);
size_t	 str_nwidth(const char *s, size_t n);

/* How many bytes of s fit in cols columns without splitting a character;
 * *used (if non-NULL) gets their width. */
size_t	 str_fit(const char *s, size_t cols, size_t *used);

/* s cut to at most cols columns; when it had to be cut, the end is
 * replaced by ell (e.g. "…" or "~", counted by its width). Caller frees. */
char	*str_trunc(const char *s, size_t cols, const char *ell);

/* Case-insensitive (ASCII) substring search. Returns a pointer into hay or
 * NULL. An empty needle matches at hay. */
const char *str_casestr(const char *hay, const char *needle);

/* n with thousands separators: 48213 -> "48,213". Writes into out
 * (>= 27 bytes is always enough) and returns out. */
char	*fmt_count(uint64_t n, char *out, size_t outlen);

/* v with `decimals` digits after the point and thousands separators in
 * the integer part ("12,345.6"); "-" for NAN, "inf"/"-inf" for infinities.
 * Returns out (>= 48 bytes is always enough). */
char	*fmt_double(double v, int decimals, char *out, size_t outlen);

/* A byte count for people, in powers of 1024 as ls -h: "812 B",
 * "12.3 KB", "1.5 MB", "2.0 GB". Returns out (>= 16 bytes). */
char	*fmt_bytes(double bytes, char *out, size_t outlen);

/* Print s as one CSV field (RFC 4180 §2: quoted when it holds a comma, a
 * quote or a line break; quotes doubled). NULL prints nothing. */
void	 csv_put(FILE *out, const char *s);

/* 64-bit FNV-1a of p[0..n), continued from h (start with FNV1A64_INIT).
 * For keys and change detection, not security. Source: Fowler, Noll, Vo,
 * "FNV hash" (IETF draft-eastlake-fnv, §2: offset basis and prime). */
#define FNV1A64_INIT	UINT64_C(0xcbf29ce484222325)
uint64_t fnv1a64(uint64_t h, const void *p, size_t n);

#endif
