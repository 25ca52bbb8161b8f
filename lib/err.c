#include "config.h"
#include "lib/err.h"
#include "lib/strutil.h"
#include "lib/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
err_set(struct ld_err *err, enum ld_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err_visible(err->msg, sizeof err->msg);
	return status;
}

void
err_visible(char *s, size_t size)
{
	char out[1024], unit[STRVIS_UNIT];
	size_t n = strlen(s), i = 0, o = 0, adv, k;
	int width;

	if (utf8_safe_prefix(s, n) == n)
		return;
	if (size > sizeof out)
		size = sizeof out;
	while (i < n) {
		k = utf8_safe_prefix(s + i, n - i);
		if (k == 0) {
			str_vis_next(s + i, n - i, 0, unit, &adv, &width);
			k = strlen(unit);
			if (o + k >= size)
				break;
			memcpy(out + o, unit, k);
			o += k;
			i += adv;
			continue;
		}
		if (o + k >= size) {
			k = size - 1 - o;
			while (k > 0 && (s[i + k] & 0xc0) == 0x80)
				k--;	/* not in the middle of a character */
			memcpy(out + o, s + i, k);
			o += k;
			break;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	memcpy(s, out, o + 1);
}

void
err_clear(struct ld_err *err)
{
	if (err == NULL)
		return;
	err->status = LD_OK;
	err->col = 0;
	err->msg[0] = '\0';
}
