/* Where a value sits in a JSON text, for messages that point at it
 * ("file.json:12:5: steps[2].preset.query: ..."): jansson keeps no
 * positions for the values it decodes. No logdive knowledge. */
#ifndef LD_JSONPOS_H
#define LD_JSONPOS_H
#include <stddef.h>

/* The 1-based line and column (UTF-8 characters, as jansson counts them)
 * of the value at path in text[0..n): path is keys joined by '.', with
 * [N] for array elements, counted from base (0 or 1: "steps[2].preset.query"
 * is the second step with base 1); "" is the whole text.
 * When the last key or element is absent, the position of the object or
 * array that lacks it. Returns 0, or -1 if text is not JSON as far as the
 * path goes (then *line and *col are unchanged). RFC 8259 syntax; keys
 * are compared after unescaping only for plain ASCII escapes (\" \\ \/). */
int	json_path_pos(const char *text, size_t n, const char *path, int base, int *line,
	    int *col);

#endif
