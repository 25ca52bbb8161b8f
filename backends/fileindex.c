#include "config.h"
#include "backends/fileindex.h"

int
fileindex_load(struct backend *b, struct fsrc *src, uint16_t srcno)
{
	(void)b; (void)src; (void)srcno;
	return -1;
}

void
fileindex_save(struct backend *b, struct fsrc *src, uint16_t srcno)
{
	(void)b; (void)src; (void)srcno;
}
