/* See fz_http.c. */
#ifndef LD_FZ_HTTP_H
#define LD_FZ_HTTP_H
#include <stddef.h>
/* The server's answers for the next requests, in order, cycling; at most
 * max_requests are answered, then connections are refused. Borrowed. */
void	fz_http_answers(char **a, size_t *alen, size_t n, size_t max_requests);
#endif
