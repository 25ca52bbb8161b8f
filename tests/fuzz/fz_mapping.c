/* The mapping loader (queries/mapping.h). Input: a mapping file. */
#include "config.h"
#include "queries/mapping.h"
#include "tests/fuzz/fz.h"
#include "tests/fuzz/fz_file.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapping m;
	struct ld_err err = { 0 };
	const char *path = fz_file("mapping.json", data, size);

	mapping_default(&m);
	if (mapping_load(&m, path, &err) != LD_OK) {
		if (err.msg[0] == '\0')
			abort();
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		if (m.npaths[r] > MAPPING_MAX_CANDIDATES)
			abort();
		for (size_t i = 0; i < m.npaths[r]; i++)
			if (m.paths[r][i] == NULL || m.paths[r][i][0] == '\0')
				abort();
	}
	mapping_free(&m);
	return 0;
}
