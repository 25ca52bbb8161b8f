/* Checked allocation: these never return NULL. On out-of-memory they call
 * the fatal hook (which restores the terminal) and abort. */
#ifndef LD_XALLOC_H
#define LD_XALLOC_H
#include <stddef.h>
#include <stdarg.h>

/* Set a function run once before a fatal exit (tui sets one that ends
 * curses). May be NULL. */
void xalloc_set_fatal_hook(void (*hook)(void));

/* Print "logdive: MSG" to stderr, run the fatal hook, exit(3). Never returns. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void *xmalloc(size_t n);                 /* n == 0 allocates 1 byte */
void *xcalloc(size_t n, size_t size);    /* overflow-checked */
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size); /* overflow-checked */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n); /* copies at most n bytes, NUL-terminates */
/* Formatted string; the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

#endif
