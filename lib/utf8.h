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

#endif
