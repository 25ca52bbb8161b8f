/* The Loki response parsers: the backend end to end (fz_remote.h:
 * buildinfo, labels, the sampled lines, the panels' metric queries, log
 * query pages). */
#include "config.h"
#include "tests/fuzz/fz_remote.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_remote("loki+http://fuzz.invalid:3100/{service_name=\"model-server\"}", data, size);
	return 0;
}
