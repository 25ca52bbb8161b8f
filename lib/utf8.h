/* UTF-8 helpers (RFC 3629 §4: no overlongs, no surrogates, <= U+10FFFF). */
#ifndef LD_UTF8_H
#define LD_UTF8_H
#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence at s[0..n), or 0 if invalid
 * or truncated. */
size_t	utf8_valid_len(const char *s, size_t n);
/* Decode the valid sequence at s (length from utf8_valid_len). */
uint32_t utf8_decode(const char *s, size_t len);
/* Encode cp into out (>= 4 bytes); returns the byte count (1..4). */
size_t	utf8_encode(uint32_t cp, char *out);
/* 1 if all of s[0..n) is valid UTF-8. */
int	utf8_valid(const char *s, size_t n);

/* 1 for a code point that must never reach a terminal as is: C0 controls
 * and DEL, C1 controls (U+0080..U+009F: 8-bit CSI, OSC, DCS...), bidi
 * embeddings, overrides, isolates and marks (U+202A..U+202E,
 * U+2066..U+2069, U+200E, U+200F, U+061C) and the line and paragraph
 * separators (U+2028, U+2029). */
int	utf8_cp_unsafe(uint32_t cp);

/* Bytes of s[0..n) before the first unsafe code point (utf8_cp_unsafe)
 * or invalid UTF-8 byte: n when there is none. */
size_t	utf8_safe_prefix(const char *s, size_t n);

/* Bytes (1..4) the sequence led by the byte c takes, 0 if c cannot start
 * one (a continuation byte, 0xc0, 0xc1, 0xf5..0xff). */
size_t	utf8_seq_len(unsigned char c);

#endif
