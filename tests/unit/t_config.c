/* The config file: named sources, secrets only by name, mode checks. */
#include "config.h"
#include "tests/unit/tap.h"
#include "backends/conffile.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/t_config_XXXXXX";

static const char *
put(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

int
main(void)
{
	struct config c;
	struct ld_err err = { 0 };	/* a name below prints err.msg after a success */
	const struct source_def *s;
	char *secret;

	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("HOME", dir, 1);

	/* no default file: an empty config */
	setenv("XDG_CONFIG_HOME", dir, 1);
	ok(config_load(&c, NULL, &err) == LD_OK && c.nsources == 0 && c.file == NULL,
	    "a missing default config is empty, not an error");
	config_free(&c);

	char sub[300];
	snprintf(sub, sizeof sub, "%s/logdive", dir);
	mkdir(sub, 0700);
	const char *f = put("logdive/config",
	    "{\"logdive_config\": 1,\n"
	    " \"sources\": {\n"
	    "  \"prod\": {\"url\": \"es+https://es-prod:9200/ml-inference-*\",\n"
	    "           \"api_key_env\": \"ES_API_KEY\", \"ca_cert\": \"~/ca.pem\",\n"
	    "           \"trace_sources\": [\"ml-inference-*\", \"gateway-*\"],\n"
	    "           \"connect_timeout\": \"2s\", \"timeout\": \"1m\"},\n"
	    "  \"loki\": {\"url\": \"loki+https://loki:3100/{job=\\\"ml\\\"}\",\n"
	    "           \"username_env\": \"LOKI_USERNAME\", \"password_file\": \"~/pw\",\n"
	    "           \"org_id\": \"tenant-1\", \"insecure\": true}},\n"
	    " \"presets_path\": [\"~/team/presets\"]}\n", 0644);
	ok(config_load(&c, NULL, &err) == LD_OK, "the default file loads: %s", err.msg);
	ok(c.nsources == 2, "two sources");
	s = config_source(&c, "prod");
	ok(s != NULL, "source by name");
	is_str(s ? s->url : NULL, "es+https://es-prod:9200/ml-inference-*", "url");
	is_str(s ? s->api_key_env : NULL, "ES_API_KEY", "api key by variable name");
	char want[300];
	snprintf(want, sizeof want, "%s/ca.pem", dir);
	is_str(s ? s->ca_cert : NULL, want, "~/ expanded in paths");
	ok(s && s->ntrace_sources == 2, "trace sources");
	ok(s && s->connect_timeout == INT64_C(2000000000) && s->timeout == INT64_C(60000000000),
	    "timeouts as durations");
	s = config_source(&c, "loki");
	ok(s && s->insecure == 1, "insecure flag");
	is_str(s ? s->org_id : NULL, "tenant-1", "org id");
	ok(config_source(&c, "nope") == NULL, "unknown name: NULL");
	ok(c.npresets_path == 1, "presets path");
	config_free(&c);

	f = put("bad1", "{\"sources\": {\"prod\": {\"url\": \"es+http://x:9200/i\", "
	    "\"password\": \"hunter2\"}}}", 0644);
	ok(config_load(&c, f, &err) == LD_EUSAGE, "a password in the file is refused");
	ok(strstr(err.msg, "password_env or password_file") != NULL &&
	    strstr(err.msg, "hunter2") == NULL, "message points to *_env/*_file, no secret: %s",
	    err.msg);
	f = put("bad2", "{\"sources\": {\"prod\": {\"url\": \"x\", \"api_key\": \"k\"}}}", 0644);
	ok(config_load(&c, f, &err) == LD_EUSAGE && strstr(err.msg, "api_key_env") != NULL,
	    "an API key in the file is refused: %s", err.msg);
	f = put("bad3", "{\"sources\": {\"prod\": {\"api_key_env\": \"K\"}}}", 0644);
	ok(config_load(&c, f, &err) == LD_EUSAGE && strstr(err.msg, "\"url\" is missing"),
	    "url required: %s", err.msg);
	f = put("bad4", "{\"sources\": {\"prod\": {\"url\": \"x\", \"colour\": \"red\"}}}", 0644);
	ok(config_load(&c, f, &err) == LD_EUSAGE &&
	    strstr(err.msg, "sources.prod.colour: unknown key"), "unknown key: %s", err.msg);
	f = put("bad5", "{\"logdive_config\": 7}", 0644);
	ok(config_load(&c, f, &err) == LD_EUSAGE && strstr(err.msg, "newer logdive"),
	    "newer version refused: %s", err.msg);
	f = put("bad6", "{\"sources\": {\"prod\": {\"url\": \"x\", \"timeout\": \"soon\"}}}", 0644);
	ok(config_load(&c, f, &err) == LD_EUSAGE && strstr(err.msg, "duration"),
	    "bad duration: %s", err.msg);
	f = put("bad7", "{\"sources\": [1]", 0644);
	ok(config_load(&c, f, &err) == LD_EUSAGE && strstr(err.msg, "line 1"),
	    "not JSON: %s", err.msg);
	ok(c.nsources == 0 && c.file == NULL, "a failed load leaves the config empty");
	ok(config_load(&c, "/nonexistent/logdive.conf", &err) == LD_EUSAGE,
	    "a missing -c file is an error");

	f = put("pw", "s3cr3t\n", 0600);
	ok(config_read_secret_file(f, &secret, &err) == LD_OK && secret &&
	    strcmp(secret, "s3cr3t") == 0, "secret file 0600: read, newline dropped");
	free(secret);
	f = put("pw2", "s3cr3t\n", 0644);
	ok(config_read_secret_file(f, &secret, &err) == LD_EUSAGE && secret == NULL,
	    "secret file readable by others: refused");
	ok(strstr(err.msg, "chmod 600") != NULL && strstr(err.msg, "s3cr3t") == NULL,
	    "message says what to do, not the secret: %s", err.msg);
	f = put("pw3", "", 0600);
	ok(config_read_secret_file(f, &secret, &err) == LD_EUSAGE, "empty secret file refused");

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
