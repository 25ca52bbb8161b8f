/* The Elasticsearch response parsers: the backend end to end
 * (fz_remote.h: GET /, _mapping, _msearch of the dashboard, _search
 * pages), and the parsers of backends/es_dsl.h on each answer alone. */
#include "config.h"
#include "backends/es_dsl.h"
#include "tests/fuzz/fz_remote.h"

#include <jansson.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);

	if (j != NULL) {
		struct es_fields f;
		struct ld_err err = { 0 };
		char why[256], txt[512];
		memset(&f, 0, sizeof f);
		if (es_fields_from_mapping(j, &f, &err) == LD_OK) {
			size_t n;
			const char *const *p = es_fields_paths(&f, &n);
			for (size_t i = 0; i < n; i++)
				if (es_fields_find(&f, p[i]) == NULL)
					abort();
		}
		(void)es_server_version(j, &f, &err);
		es_fields_free(&f);
		(void)es_script_refused(j, why, sizeof why);
		es_error_text(j, txt, sizeof txt);
		es_error_text(json_object_get(j, "error"), txt, sizeof txt);
		json_decref(j);
	}
	fz_remote("es+http://fuzz.invalid:9200/ml-inference-*", data, size);
	return 0;
}
