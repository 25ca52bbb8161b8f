/* Presets and runbooks: the loaders on good and bad files (exact
 * messages), shadowing, listing, saving (atomic, no overwrite), and every
 * shipped file. */
#include "config.h"
#include "tests/unit/tap.h"
#include "queries/preset.h"
#include "lib/jsonpos.h"
#include "queries/runbook.h"
#include "lib/xalloc.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/t_preset_XXXXXX";
static char warned[512];
static int nwarn;

static void
warn(void *arg, const char *line)
{
	(void)arg;
	snprintf(warned, sizeof warned, "%s", line);
	nwarn++;
}

static const struct ld_warn W = { warn, NULL };

/* Write text to DIR/sub/name (sub created); returns the path (static). */
static const char *
put(const char *sub, const char *name, const char *text)
{
	static char path[512];
	char d[400];
	snprintf(d, sizeof d, "%s/%s", dir, sub);
	mkdir(d, 0755);
	snprintf(path, sizeof path, "%s/%s", d, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text as DIR/bad/NAME.json; the error message with DIR replaced by
 * "D" (static). */
static const char *
bad(const char *name, const char *text)
{
	static char msg[600];
	char file[64];
	struct preset p;
	struct ld_err err;
	int rc;

	snprintf(file, sizeof file, "%s.json", name);
	const char *path = put("bad", file, text);
	err_clear(&err);
	rc = preset_load_file(path, PRESET_USER, &p, &W, &err);
	if (rc == LD_OK) {
		preset_free(&p);
		return "(loaded)";
	}
	if (p.name != NULL || p.query != NULL)
		return "(not left empty)";
	const char *at = strstr(err.msg, dir);
	if (at)
		snprintf(msg, sizeof msg, "%.*sD%s", (int)(at - err.msg), err.msg,
		    at + strlen(dir));
	else
		snprintf(msg, sizeof msg, "%s", err.msg);
	return msg;
}

static void
test_names(void)
{
	ok(preset_name_ok("slow-requests"), "a name with a dash");
	ok(preset_name_ok("a.b_c-9"), "letters, digits, . _ -");
	ok(!preset_name_ok(""), "empty name refused");
	ok(!preset_name_ok("-x"), "a leading dash refused");
	ok(!preset_name_ok(".hidden"), "a leading dot refused");
	ok(!preset_name_ok("a/b"), "a slash refused");
	ok(!preset_name_ok("a b"), "a blank refused");
	ok(!preset_name_ok("0123456789012345678901234567890123456789012345678901234567890123x"),
	    "65 characters refused");
}

static void
test_good(void)
{
	struct preset p;
	struct ld_err err;
	const char *path = put("user", "full.json",
	    "{\"logdive_preset\": 1, \"name\": \"full\", \"description\": \"All keys\",\n"
	    " \"source\": \"prod\", \"query\": \"latency_ms > 500\", \"range\": \"1h\",\n"
	    " \"bucket\": \"1m\", \"group_by\": \"model_version\", \"view\": \"requests\",\n"
	    " \"sort\": \"-latency\", \"above\": \"p95\", \"limit\": 7}\n");

	err_clear(&err);
	nwarn = 0;
	ok(preset_load_file(path, PRESET_USER, &p, &W, &err) == LD_OK, "a full preset loads: %s",
	    err.msg);
	is_str(p.name, "full", "name");
	is_str(p.description, "All keys", "description");
	is_str(p.source, "prod", "source");
	is_str(p.query, "latency_ms > 500", "query");
	is_str(p.range, "1h", "range as written");
	ok(p.bucket == 60 * INT64_C(1000000000), "bucket in ns");
	is_str(p.group_by, "model_version", "group_by");
	ok(p.view == PRESET_REQUESTS, "view requests");
	is_str(p.sort, "-latency", "sort");
	ok(p.above == 95 && p.limit == 7, "above p95, limit 7");
	ok(p.origin == PRESET_USER && strcmp(p.file, path) == 0, "origin and file");
	ok(nwarn == 0, "no warning");

	json_t *o = preset_to_json(&p);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	is_str(s, "{\"logdive_preset\":1,\"name\":\"full\",\"description\":\"All keys\","
	    "\"source\":\"prod\",\"query\":\"latency_ms > 500\",\"range\":\"1h\",\"bucket\":\"1m\","
	    "\"group_by\":\"model_version\",\"view\":\"requests\",\"sort\":\"-latency\","
	    "\"above\":\"p95\",\"limit\":7}", "preset_to_json: every key, in order");
	free(s);
	json_decref(o);
	preset_free(&p);

	/* the smallest preset; an unknown key is a warning */
	path = put("user", "min.json", "{\"logdive_preset\": 1, \"name\": \"min\", \"colour\": 1}");
	nwarn = 0;
	ok(preset_load_file(path, PRESET_USER, &p, &W, &err) == LD_OK, "name and version only");
	ok(p.view == PRESET_DASHBOARD && p.query == NULL && strcmp(p.description, "") == 0,
	    "defaults: dashboard, no query, empty description");
	ok(nwarn == 1, "one warning");
	char want[600];
	snprintf(want, sizeof want, "%s/user/min.json: colour: unknown key, ignored (see "
	    "logdive(1), PRESETS)", dir);
	is_str(warned, want, "the unknown key is named with the file");
	preset_free(&p);
}

static void
test_bad(void)
{
	is_str(bad("syn", "{\"logdive_preset\": 1,\n \"name\": \"syn\" \"query\": 1}"),
	    "D/bad/syn.json:2:22: '}' expected near '\"query\"'",
	    "JSON syntax: file:line:column and jansson's text");
	is_str(bad("arr", "[1]"), "D/bad/arr.json:1:1: expected a JSON object", "not an object");
	is_str(bad("nover", "{\"name\": \"nover\"}"),
	    "D/bad/nover.json:1:1: logdive_preset: missing (a preset file starts with "
	    "{\"logdive_preset\": 1, ...})", "version missing");
	is_str(bad("newer", "{\"logdive_preset\": 2, \"name\": \"newer\"}"),
	    "D/bad/newer.json:1:20: logdive_preset: version 2 is for a newer logdive (this one "
	    "reads 1): upgrade logdive", "a newer version refused");
	is_str(bad("noname", "{\"logdive_preset\": 1}"), "D/bad/noname.json:1:1: name: missing",
	    "name missing");
	is_str(bad("other", "{\"logdive_preset\": 1, \"name\": \"another\"}"),
	    "D/bad/other.json:1:31: name: \"another\" differs from the file's name; name the file "
	    "another.json or change the name", "name and file name differ");
	is_str(bad("q", "{\"logdive_preset\": 1, \"name\": \"q\", \"query\": 5}"),
	    "D/bad/q.json:1:45: query: expected a string", "query of the wrong type");
	is_str(bad("qs", "{\"logdive_preset\": 1, \"name\": \"qs\", \"query\": \"service:\"}"),
	    "D/bad/qs.json:1:46: query: expected value after ':' at col 9",
	    "a query syntax error with its column");
	is_str(bad("r", "{\"logdive_preset\": 1, \"name\": \"r\", \"range\": \"yesterday\"}"),
	    "D/bad/r.json:1:45: range: bad duration 'yesterday' at col 1: use a number and a unit "
	    "(30s, 5m, 1h, 1d), or a range START..END", "a bad range");
	is_str(bad("b", "{\"logdive_preset\": 1, \"name\": \"b\", \"bucket\": \"5x\"}"),
	    "D/bad/b.json:1:46: bucket: expected a bucket width such as \"30s\", \"1m\", \"5m\", "
	    "\"1h\" or \"1d\"", "a bad bucket");
	is_str(bad("v", "{\"logdive_preset\": 1, \"name\": \"v\", \"view\": \"graph\"}"),
	    "D/bad/v.json:1:44: view: expected \"dashboard\", \"panel\", \"requests\" or \"trace\"",
	    "an unknown view");
	is_str(bad("pm", "{\"logdive_preset\": 1, \"name\": \"pm\", \"view\": \"panel\"}"),
	    "D/bad/pm.json:1:1: panel: missing (\"view\": \"panel\" needs one)", "panel missing");
	is_str(bad("pu", "{\"logdive_preset\": 1, \"name\": \"pu\", \"view\": \"panel\", "
	    "\"panel\": \"cpu\"}"),
	    "D/bad/pu.json:1:63: panel: expected one of latency, confidence, cache_hit, errors, "
	    "drift, versions", "an unknown panel");
	is_str(bad("sd", "{\"logdive_preset\": 1, \"name\": \"sd\", \"sort\": \"latency\"}"),
	    "D/bad/sd.json:1:45: sort: only with \"view\": \"requests\" or \"trace\"",
	    "sort on the dashboard");
	is_str(bad("ab", "{\"logdive_preset\": 1, \"name\": \"ab\", \"view\": \"requests\", "
	    "\"above\": \"p90\"}"),
	    "D/bad/ab.json:1:66: above: expected \"p50\", \"p95\" or \"p99\"", "above p90");
	is_str(bad("l", "{\"logdive_preset\": 1, \"name\": \"l\", \"view\": \"requests\", "
	    "\"limit\": 0}"),
	    "D/bad/l.json:1:65: limit: expected a whole number from 1 to 1000000", "limit 0");
	is_str(bad("url", "{\"logdive_preset\": 1, \"name\": \"url\", \"source\": "
	    "\"es+https://u:hunter2@es:9200/x\"}"),
	    "D/bad/url.json:1:48: source: name a source of the config file, not a URL (credentials "
	    "stay in the config file)", "a URL as source refused, its password not echoed");
	is_str(bad("pw", "{\"logdive_preset\": 1, \"name\": \"pw\", \"password\": \"hunter2\"}"),
	    "D/bad/pw.json:1:49: password: presets hold no credentials; name a source of the "
	    "config file instead", "a password key refused");
	is_str(bad("dup", "{\"logdive_preset\": 1, \"name\": \"dup\", \"name\": \"dup\"}"),
	    "D/bad/dup.json:1:43: duplicate object key near '\"name\"'", "a duplicate key");
	is_str(bad("nul", "{\"logdive_preset\": 1, \"name\": \"nul\", \"query\": \"a\\u0000b\"}"),
	    "D/bad/nul.json:1:56: \\u0000 is not allowed without JSON_ALLOW_NUL near "
	    "'\"a\\u0000b\"'", "a NUL in a string: jansson refuses it");

	struct preset p;
	struct ld_err err;
	char path[512];
	snprintf(path, sizeof path, "%s/bad", dir);
	ok(preset_load_file(path, PRESET_USER, &p, &W, &err) == LD_EUSAGE &&
	    strstr(err.msg, "not a preset (a regular file of at most 1 MiB)") != NULL,
	    "a directory is not a preset: %s", err.msg);
}

static void
test_find_list(void)
{
	struct preset_dirs d;
	struct preset p, *v;
	struct ld_err err;
	size_t n, nbad;
	char u[400], t[400], s[400];

	put("u", "same.json", "{\"logdive_preset\": 1, \"name\": \"same\", \"description\": \"user\"}");
	put("t", "same.json", "{\"logdive_preset\": 1, \"name\": \"same\", \"description\": \"team\"}");
	put("s", "same.json", "{\"logdive_preset\": 1, \"name\": \"same\", \"description\": \"ship\"}");
	put("s", "only.json", "{\"logdive_preset\": 1, \"name\": \"only\"}");
	put("t", "broken.json", "{\"logdive_preset\": 1, \"name\": \"broken\", \"view\": 3}");
	put("s", "broken.json", "{\"logdive_preset\": 1, \"name\": \"broken\"}");
	put("t", "notes.txt", "not a preset");
	put("t", ".tmp.json", "{");
	snprintf(u, sizeof u, "%s/u", dir);
	snprintf(t, sizeof t, "%s/t", dir);
	snprintf(s, sizeof s, "%s/s", dir);
	memset(&d, 0, sizeof d);
	preset_dirs_add(&d, u, PRESET_USER);
	preset_dirs_add(&d, t, PRESET_TEAM);
	preset_dirs_add(&d, s, PRESET_SHIPPED);

	ok(preset_find(&d, "same", &p, &W, &err) == LD_OK && strcmp(p.description, "user") == 0 &&
	    p.origin == PRESET_USER, "the user's preset shadows the team's and the shipped one");
	preset_free(&p);
	ok(preset_find(&d, "only", &p, &W, &err) == LD_OK && p.origin == PRESET_SHIPPED,
	    "a shipped preset is found");
	preset_free(&p);
	ok(preset_find(&d, "broken", &p, &W, &err) == LD_EUSAGE &&
	    strstr(err.msg, "/t/broken.json:1:") != NULL &&
	    strstr(err.msg, ": view: expected") != NULL,
	    "a bad shadowing file is an error, not a fallback: %s", err.msg);
	ok(preset_find(&d, "nope", &p, &W, &err) == LD_NOMATCH,
	    "an unknown name is not found");
	is_str(err.msg, "no preset named 'nope' (logdive presets lists them)", "its message");
	ok(preset_find(&d, "../etc/passwd", &p, &W, &err) == LD_EUSAGE,
	    "a path is not a name");

	nwarn = 0;
	nbad = preset_list(&d, &v, &n, &W);
	ok(nbad == 1 && nwarn == 1, "one bad file, warned about");
	ok(n == 2 && strcmp(v[0].name, "only") == 0 && strcmp(v[1].name, "same") == 0 &&
	    strcmp(v[1].description, "user") == 0,
	    "the list: sorted, shadowed ones and the bad one left out");
	for (size_t i = 0; i < n; i++)
		preset_free(&v[i]);
	free(v);

	/* a team folder that does not exist is warned about */
	char gone[400];
	snprintf(gone, sizeof gone, "%s/gone", dir);
	preset_dirs_add(&d, gone, PRESET_TEAM);
	nwarn = 0;
	nbad = preset_list(&d, &v, &n, &W);
	char want[600];
	snprintf(want, sizeof want, "presets_path: %s: No such file or directory", gone);
	is_str(warned, want, "a missing presets_path folder is warned about");
	for (size_t i = 0; i < n; i++)
		preset_free(&v[i]);
	free(v);
	preset_dirs_free(&d);
}

static size_t
count_files(const char *path)
{
	DIR *dp = opendir(path);
	struct dirent *de;
	size_t n = 0;
	while (dp && (de = readdir(dp)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	if (dp)
		closedir(dp);
	return n;
}

static void
test_save(void)
{
	struct preset p, q;
	struct ld_err err;
	char sd[400], *path = NULL, want[512];

	snprintf(sd, sizeof sd, "%s/save/deeper", dir);
	memset(&p, 0, sizeof p);
	p.name = (char *)"mine";
	p.description = (char *)"Saved";
	p.query = (char *)"service:\"a b\"";
	p.bucket = 300 * INT64_C(1000000000);
	p.view = PRESET_PANEL;
	p.panel = (char *)"drift";
	err_clear(&err);
	ok(preset_save(&p, sd, 0, &path, &err) == LD_OK, "save into a new folder: %s", err.msg);
	snprintf(want, sizeof want, "%s/mine.json", sd);
	is_str(path, want, "the file written");
	ok(preset_load_file(want, PRESET_USER, &q, &W, &err) == LD_OK &&
	    strcmp(q.query, p.query) == 0 && q.bucket == p.bucket && q.view == PRESET_PANEL &&
	    strcmp(q.panel, "drift") == 0, "what is saved loads back the same");
	preset_free(&q);
	free(path);

	struct stat st0, st1;
	stat(want, &st0);
	p.description = (char *)"Changed";
	ok(preset_save(&p, sd, 0, NULL, &err) == LD_EUSAGE, "no overwrite without asking");
	char exp[600];
	snprintf(exp, sizeof exp, "preset 'mine' exists (%s): choose another name or "
	    "overwrite it", want);
	is_str(err.msg, exp, "its message");
	stat(want, &st1);
	ok(st0.st_ino == st1.st_ino && st0.st_size == st1.st_size, "the file is untouched");
	ok(preset_save(&p, sd, 1, NULL, &err) == LD_OK, "overwrite when told to");
	ok(preset_load_file(want, PRESET_USER, &q, &W, &err) == LD_OK &&
	    strcmp(q.description, "Changed") == 0, "the new text is there");
	preset_free(&q);
	ok(count_files(sd) == 1, "no temporary file left behind");

	p.name = (char *)"../x";
	ok(preset_save(&p, sd, 0, NULL, &err) == LD_EUSAGE, "an invalid name is refused");
	is_str(err.msg, "'../x' is not a preset name: use 1 to 64 letters, digits, '.', '_' or "
	    "'-', starting with a letter or digit", "its message");
	p.name = (char *)"u";
	p.source = (char *)"es+https://u:pw@h/x";
	ok(preset_save(&p, sd, 0, NULL, &err) == LD_EUSAGE && count_files(sd) == 1,
	    "a URL source is not saved");

	/* into the user's folder by default */
	char cfg[400];
	snprintf(cfg, sizeof cfg, "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	p.name = (char *)"home";
	p.source = NULL;
	ok(preset_save(&p, NULL, 0, &path, &err) == LD_OK, "save to the user folder");
	snprintf(want, sizeof want, "%s/xdg/logdive/presets/home.json", dir);
	is_str(path, want, "$XDG_CONFIG_HOME/logdive/presets/NAME.json");
	free(path);
}

static const char *
bad_rb(const char *name, const char *text, const struct preset_dirs *pd)
{
	static char msg[600];
	char file[64];
	struct runbook rb;
	struct ld_err err;

	snprintf(file, sizeof file, "%s.json", name);
	const char *path = put("rb", file, text);
	err_clear(&err);
	if (runbook_load_file(path, PRESET_USER, pd, &rb, &W, &err) == LD_OK) {
		runbook_free(&rb);
		return "(loaded)";
	}
	const char *at = strstr(err.msg, dir);
	if (at)
		snprintf(msg, sizeof msg, "%.*sD%s", (int)(at - err.msg), err.msg,
		    at + strlen(dir));
	else
		snprintf(msg, sizeof msg, "%s", err.msg);
	return msg;
}

static void
test_runbook(void)
{
	struct preset_dirs pd;
	struct runbook rb;
	struct ld_err err;
	char s[400];

	memset(&pd, 0, sizeof pd);
	snprintf(s, sizeof s, "%s/s", dir);
	preset_dirs_add(&pd, s, PRESET_SHIPPED);
	const char *path = put("rb", "walk.json",
	    "{\"logdive_runbook\": 1, \"name\": \"walk\", \"title\": \"A walk\",\n"
	    " \"alert\": \"it hurts\", \"steps\": [\n"
	    "  {\"title\": \"One\", \"note\": \"named\", \"preset\": \"only\"},\n"
	    "  {\"title\": \"Two\", \"note\": \"inline\", \"look_for\": \"a spike\",\n"
	    "   \"preset\": {\"query\": \"level:ERROR\", \"view\": \"requests\", \"limit\": 3}}]}\n");
	err_clear(&err);
	nwarn = 0;
	ok(runbook_load_file(path, PRESET_USER, &pd, &rb, &W, &err) == LD_OK,
	    "a runbook loads: %s", err.msg);
	ok(rb.nsteps == 2 && strcmp(rb.title, "A walk") == 0 && strcmp(rb.alert, "it hurts") == 0 &&
	    strcmp(rb.description, "") == 0, "title, alert, two steps");
	ok(strcmp(rb.steps[0].preset_name, "only") == 0 &&
	    strcmp(rb.steps[0].preset.name, "only") == 0 &&
	    rb.steps[0].preset.origin == PRESET_SHIPPED, "step 1: the named preset, resolved");
	ok(rb.steps[1].preset_name == NULL && rb.steps[1].preset.view == PRESET_REQUESTS &&
	    rb.steps[1].preset.limit == 3 && strcmp(rb.steps[1].look_for, "a spike") == 0,
	    "step 2: an inline preset and what to look for");
	ok(nwarn == 0, "no warning");
	runbook_free(&rb);

	is_str(bad_rb("m", "{\"logdive_runbook\": 1, \"name\": \"m\", \"title\": \"t\", \"steps\": "
	    "[{\"title\": \"a\", \"note\": \"b\", \"preset\": \"missing\"}]}", &pd),
	    "D/rb/m.json:1:99: steps[1].preset: no preset named 'missing' (logdive presets lists them)",
	    "a step naming a missing preset");
	is_str(bad_rb("e", "{\"logdive_runbook\": 1, \"name\": \"e\", \"title\": \"t\", "
	    "\"steps\": []}", &pd),
	    "D/rb/e.json:1:60: steps: expected a non-empty array of steps", "no steps");
	is_str(bad_rb("n", "{\"logdive_runbook\": 1, \"name\": \"n\", \"title\": \"t\", \"steps\": "
	    "[{\"title\": \"a\", \"preset\": \"only\"}]}", &pd),
	    "D/rb/n.json:1:61: steps[1].note: missing", "a step without a note");
	is_str(bad_rb("i", "{\"logdive_runbook\": 1, \"name\": \"i\", \"title\": \"t\", \"steps\": "
	    "[{\"title\": \"a\", \"note\": \"b\", \"preset\": {\"query\": \"x:\"}}]}", &pd),
	    "D/rb/i.json:1:109: steps[1].preset.query: expected value after ':' at col 3",
	    "a bad inline preset names the step and key");
	is_str(bad_rb("k", "{\"logdive_runbook\": 1, \"name\": \"k\", \"title\": \"t\", \"steps\": "
	    "[{\"title\": \"a\", \"note\": \"b\", \"preset\": 4}]}", &pd),
	    "D/rb/k.json:1:99: steps[1].preset: expected a preset's name or an inline preset object",
	    "a preset of the wrong type");
	is_str(bad_rb("v", "{\"logdive_runbook\": 3, \"name\": \"v\", \"title\": \"t\", "
	    "\"steps\": [{}]}", &pd),
	    "D/rb/v.json:1:21: logdive_runbook: version 3 is for a newer logdive (this one reads 1): "
	    "upgrade logdive", "a newer runbook refused");
	is_str(bad_rb("s", "{\"logdive_runbook\": 1, \"name\": \"s\", \"title\": \"t\", \"steps\": "
	    "[\"x\"]}", &pd),
	    "D/rb/s.json:1:61: steps[1]: expected an object with title, note and preset",
	    "a step that is not an object");
	is_str(bad_rb("x", "{\"logdive_runbook\": 1, \"name\": \"x\", \"steps\": "
	    "[{\"title\": \"a\", \"note\": \"b\", \"preset\": \"only\"}]}", &pd),
	    "D/rb/x.json:1:1: title: missing", "a runbook without a title");
	nwarn = 0;
	ok(strcmp(bad_rb("w", "{\"logdive_runbook\": 1, \"name\": \"w\", \"title\": \"t\", "
	    "\"owner\": \"me\", \"steps\": [{\"title\": \"a\", \"note\": \"b\", \"preset\": "
	    "\"only\", \"when\": 1}]}", &pd), "(loaded)") == 0 && nwarn == 2,
	    "unknown keys are warned about, the runbook loads");
	preset_dirs_free(&pd);
}

/* Every shipped preset and runbook loads without a warning. */
static void
test_shipped(void)
{
	const char *src = getenv("srcdir");
	struct preset_dirs pd, rd;
	struct preset *pv;
	struct runbook *rv;
	size_t np, nr;
	char p[512], r[512];

	snprintf(p, sizeof p, "%s/share/presets", src ? src : ".");
	snprintf(r, sizeof r, "%s/share/runbooks", src ? src : ".");
	memset(&pd, 0, sizeof pd);
	memset(&rd, 0, sizeof rd);
	preset_dirs_add(&pd, p, PRESET_SHIPPED);
	preset_dirs_add(&rd, r, PRESET_SHIPPED);
	nwarn = 0;
	ok(preset_list(&pd, &pv, &np, &W) == 0 && np == 9 && nwarn == 0,
	    "the 9 shipped presets load without a warning (%zu, %s)", np, warned);
	ok(runbook_list(&rd, &pd, &rv, &nr, &W) == 0 && nr == 4 && nwarn == 0,
	    "the 4 shipped runbooks load without a warning (%zu, %s)", nr, warned);
	for (size_t i = 0; i < nr; i++) {
		if (strcmp(rv[i].name, "inference-latency-spike") != 0)
			continue;
		ok(rv[i].nsteps == 5 &&
		    strcmp(rv[i].steps[0].preset.group_by, "model_metadata.model_version") == 0 &&
		    strcmp(rv[i].steps[1].preset.group_by, "model_metadata.serving_variant") == 0 &&
		    strcmp(rv[i].steps[2].preset_name, "feature-store") == 0 &&
		    strcmp(rv[i].steps[3].preset_name, "gpu-memory") == 0 &&
		    rv[i].steps[4].preset.view == PRESET_TRACE,
		    "inference-latency-spike: version, variant, feature store, GPU, trace");
	}
	for (size_t i = 0; i < np; i++)
		preset_free(&pv[i]);
	free(pv);
	for (size_t i = 0; i < nr; i++)
		runbook_free(&rv[i]);
	free(rv);
	preset_dirs_free(&pd);
	preset_dirs_free(&rd);
}

static void
test_jsonpos(void)
{
	static const char t[] = "{\"a\": 1,\n \"é\": {\"b\": [10, {\"c\": true}]},\n \"d\\\"\": 2}";
	static const struct { const char *path; int base, line, col; const char *what; } want[] = {
		{ "", 0, 1, 1, "the whole text" },
		{ "a", 0, 1, 7, "a value" },
		{ "é.b[1].c", 0, 2, 24, "nested, an element from 0, columns in characters" },
		{ "é.b[2].c", 1, 2, 24, "elements counted from 1" },
		{ "é.zz", 0, 2, 7, "an absent key: the object lacking it" },
		{ "d\"", 0, 3, 9, "an escaped quote in a key" },
	};
	int l, c, rc;

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		l = c = -1;
		rc = json_path_pos(t, strlen(t), want[i].path, want[i].base, &l, &c);
		ok(rc == 0 && l == want[i].line && c == want[i].col, "jsonpos: %s (%d:%d)",
		    want[i].what, l, c);
	}
	l = c = -1;
	rc = json_path_pos("{\"a\": [1, 2", 11, "a[5]", 0, &l, &c);
	ok(rc == -1 && l == -1, "jsonpos: not JSON as far as the path goes: -1, nothing set");
	ok(json_path_pos("[1]", 3, "a", 0, &l, &c) == -1, "jsonpos: a key of an array: -1");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_names();
	test_good();
	test_bad();
	test_find_list();
	test_save();
	test_runbook();
	test_shipped();
	test_jsonpos();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
