/* Helpers shared by the libFuzzer targets of tests/fuzz (see README.md
 * there). Each target is one C file defining LLVMFuzzerTestOneInput and
 * calling the real code of libldcore.a. */
#ifndef LD_FZ_H
#define LD_FZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of the input (the caller frees). */
static inline char *
fz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An exact-size copy, so that ASan sees a read past the end. */
static inline char *
fz_dup(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	return s;
}

/* Split s (modified) at each line "@@" into at most max parts: the
 * separator of multi-part inputs (several answers of a server, a query
 * and a record...). Returns how many. */
static inline size_t
fz_split(char *s, size_t len, char **part, size_t *plen, size_t max)
{
	size_t n = 0;
	char *p = s, *end = s + len;

	while (n < max) {
		char *q = NULL;
		for (char *x = p; x + 3 < end; x++)
			if (x[0] == '\n' && x[1] == '@' && x[2] == '@' && x[3] == '\n') {
				q = x;
				break;
			}
		if (q == NULL || n + 1 == max) {
			part[n] = p;
			plen[n++] = (size_t)(end - p);
			break;
		}
		*q = '\0';
		part[n] = p;
		plen[n++] = (size_t)(q - p);
		p = q + 4;
	}
	return n;
}
#endif
