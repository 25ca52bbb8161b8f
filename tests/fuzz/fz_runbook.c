/* The runbook loader (queries/runbook.h), named presets resolved from the
 * shipped share/presets. Input: a runbook file, read as fz.json. */
#include "config.h"
#include "queries/runbook.h"
#include "tests/fuzz/fz.h"
#include "tests/fuzz/fz_file.h"

static struct preset_dirs dirs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	preset_dirs_add(&dirs, FZ_SRCDIR "/share/presets", PRESET_SHIPPED);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct runbook rb;
	struct ld_err err = { 0 };
	const char *path = fz_file("fz.json", data, size);

	memset(&rb, 0, sizeof rb);
	if (runbook_load_file(path, PRESET_USER, &dirs, &rb, NULL, &err) == LD_OK) {
		if (rb.nsteps < 1 || rb.name == NULL || rb.title == NULL)
			abort();
		for (size_t i = 0; i < rb.nsteps; i++)
			if (rb.steps[i].title == NULL)
				abort();
	} else if (err.msg[0] == '\0')
		abort();
	runbook_free(&rb);
	return 0;
}
