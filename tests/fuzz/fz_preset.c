/* The preset loader (queries/preset.h): preset_load_file, then the
 * preset written back as JSON, read again and copied. Input: a preset
 * file, read as fz.json (a preset's name is its file's). */
#include "config.h"
#include "queries/preset.h"
#include "tests/fuzz/fz.h"
#include "tests/fuzz/fz_file.h"

#include <jansson.h>

static void
warn(void *arg, const char *line)
{
	(void)arg;
	if (line == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct preset p, p2, p3;
	struct ld_err err = { 0 };
	struct ld_warn w = { warn, NULL };
	const char *path = fz_file("fz.json", data, size);

	memset(&p, 0, sizeof p);
	if (preset_load_file(path, PRESET_USER, &p, &w, &err) != LD_OK) {
		if (err.msg[0] == '\0')
			abort();
		preset_free(&p);
		return 0;
	}
	json_t *j = preset_to_json(&p);
	memset(&p2, 0, sizeof p2);
	/* what logdive wrote, it reads back */
	if (preset_from_json(j, "fz.json", "", 0, &p2, NULL, &err) != LD_OK)
		abort();
	json_decref(j);
	preset_copy(&p3, &p2);
	preset_free(&p3);
	preset_free(&p2);
	preset_free(&p);
	return 0;
}
