/* The mapping loader (DESIGN §2). */
#include "config.h"
#include "tests/unit/tap.h"
#include "queries/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmpl[] = "/tmp/t_mapping_XXXXXX";

static const char *
write_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "%s", tmpl);
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

int
main(void)
{
	struct mapping m;
	struct ld_err err;
	const char *f;

	mapping_default(&m);
	is_str(m.paths[ROLE_TIME][0], "timestamp", "default time");
	is_str(m.paths[ROLE_TIME][1], "@timestamp", "default time fallback");
	ok(m.npaths[ROLE_LEVEL] == 3, "level has three candidates");
	is_str(m.paths[ROLE_LEVEL][2], "level", "level's last candidate");
	is_str(m.paths[ROLE_LATENCY][0], "inference_metrics.latency_ms", "default latency");
	is_str(m.paths[ROLE_GROUP][0], "model_metadata.serving_variant", "default group");
	is_str(m.paths[ROLE_VERSION][0], "model_metadata.model_version", "default version");
	is_str(m.paths[ROLE_MESSAGE][1], "error.message", "message fallback");
	is_str(role_name(ROLE_CACHE_HIT), "cache_hit", "role name");

	f = write_file("{\"time\": \"@timestamp\", \"latency\": [\"event.duration_ms\", \"took\"]}");
	ok(mapping_load(&m, f, &err) == LD_OK, "load a mapping");
	unlink(f);
	ok(m.npaths[ROLE_TIME] == 1, "time replaced, one candidate");
	is_str(m.paths[ROLE_TIME][0], "@timestamp", "time path");
	ok(m.npaths[ROLE_LATENCY] == 2, "latency has two candidates");
	is_str(m.paths[ROLE_LATENCY][1], "took", "second latency candidate");
	is_str(m.paths[ROLE_GROUP][0], "model_metadata.serving_variant", "other roles keep defaults");

	f = write_file("{\"latency\": \"x\", \"colour\": \"y\"}");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "unknown role refused");
	ok(strstr(err.msg, "unknown role 'colour'") != NULL, "message names the role: %s", err.msg);
	is_str(m.paths[ROLE_LATENCY][0], "event.duration_ms", "a failed load changes nothing");
	unlink(f);

	f = write_file("{\"time\": 5}");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "a number is not a path");
	ok(strstr(err.msg, "'time'") != NULL, "message names the key: %s", err.msg);
	unlink(f);

	f = write_file("{\"time\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "more than four paths refused");
	unlink(f);

	f = write_file("{\"time\": []}");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "no paths refused");
	unlink(f);

	f = write_file("{\"time\": \"a..b\"}");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "empty path component refused");
	unlink(f);

	f = write_file("{\"time\": \"ts\",}");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "invalid JSON refused");
	ok(strstr(err.msg, "line 1") != NULL, "message has the line: %s", err.msg);
	unlink(f);

	f = write_file("[\"time\"]");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "not an object refused");
	unlink(f);

	f = write_file("{\"time\": \"a\", \"time\": \"b\"}");
	ok(mapping_load(&m, f, &err) == LD_EUSAGE, "duplicate role refused");
	unlink(f);

	ok(mapping_load(&m, "/nonexistent/mapping.json", &err) == LD_EUSAGE,
	    "missing file refused");
	ok(strstr(err.msg, "/nonexistent/mapping.json") != NULL, "message names the file");
	is_str(m.paths[ROLE_TIME][0], "@timestamp", "still the last good mapping");
	mapping_free(&m);
	return tap_done();
}
