/* Growable byte buffer. Always NUL-terminated after any append (p may be
 * NULL while len == 0 and nothing was appended). The buffer owns p;
 * buf_free releases it, buf_detach hands it to the caller. */
#ifndef LD_BUF_H
#define LD_BUF_H
#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_reserve(struct buf *b, size_t extra);
void	 buf_add(struct buf *b, const void *data, size_t n);
void	 buf_addc(struct buf *b, char c);
void	 buf_adds(struct buf *b, const char *s);
void	 buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *b);        /* len = 0, keeps memory */
void	 buf_free(struct buf *b);
char	*buf_detach(struct buf *b);       /* caller frees; never NULL */
/* Append s[0..n) as a JSON string literal with quotes (RFC 8259 §7);
 * invalid UTF-8 bytes become U+FFFD. */
void	 buf_add_json_string(struct buf *b, const char *s, size_t n);

#endif
