#include "config.h"
#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>

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
	return status;
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
