#include "config.h"
#include "tui/cli.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/mapping.h"
#include "backends/conffile.h"
#include "backends/linequery.h"
#include "backends/textfmt.h"
#include "tui/output.h"
#include "queries/query.h"
#include "queries/timerange.h"
#include "queries/journal.h"
#include "queries/preset.h"
#include "queries/runbook.h"
#include "lib/buf.h"
#include "backends/http.h"

#include <errno.h>
#include <jansson.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_FOLLOW = 256, OPT_LIMIT, OPT_MAX_LINE, OPT_NO_INDEX, OPT_ASCII, OPT_SORT,
	OPT_INSECURE, OPT_CONNECT_TIMEOUT, OPT_TIMEOUT, OPT_NO_JOURNAL, OPT_ALL,
	OPT_LOG_FORMAT, OPT_TZ, OPT_MAX_BODY };

static const struct option long_opts[] = {
	{ "query", required_argument, NULL, 'q' },
	{ "time", required_argument, NULL, 't' },
	{ "bucket", required_argument, NULL, 'b' },
	{ "group-by", required_argument, NULL, 'g' },
	{ "format", required_argument, NULL, 'f' },
	{ "mapping", required_argument, NULL, 'm' },
	{ "config", required_argument, NULL, 'c' },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "no-index", no_argument, NULL, OPT_NO_INDEX },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "preset", required_argument, NULL, 'p' },
	{ "runbook", required_argument, NULL, 'r' },
	{ "no-journal", no_argument, NULL, OPT_NO_JOURNAL },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "lines", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

void
cli_usage(FILE *out)
{
	fputs(
"Usage: logdive [OPTIONS] [SOURCE...]            interactive dashboard\n"
"       logdive panels   [OPTIONS] SOURCE...     every panel's data\n"
"       logdive requests [OPTIONS] SOURCE...     matching records\n"
"       logdive trace ID [OPTIONS] SOURCE...     the trace of a correlation/request id\n"
"       logdive runbook NAME [OPTIONS] SOURCE... run every step of a runbook\n"
"       logdive presets [show NAME]              list the presets, or print one\n"
"       logdive runbooks                         list the runbooks\n"
"       logdive formats [test NAME FILE [-n N]]  list the text log formats, or show how\n"
"                                                the first N (20) lines of FILE parse\n"
"       logdive journal new TITLE | finding TEXT | list | export [ID]\n"
"                                                the investigation journal\n"
"\n"
"SOURCE is a JSON-lines or text log file (plain or .gz; logdive formats), a\n"
"glob, - for standard input,\n"
"es+https://HOST:9200/INDEX-PATTERN (Elasticsearch/OpenSearch; credentials\n"
"from ES_API_KEY or ES_USERNAME/ES_PASSWORD, CA from ES_CA_CERT),\n"
"loki+https://HOST:3100/{SELECTOR} (Grafana Loki; LOKI_USERNAME/LOKI_PASSWORD\n"
"or LOKI_BEARER_TOKEN, tenant from LOKI_ORG_ID, as logcli), or the name of a\n"
"source in the config file.\n"
"Several sources are merged by time.\n"
"\n"
"Options:\n"
"  -q, --query QUERY     only records matching QUERY, e.g.\n"
"                        'latency_ms > 500 and serving_variant:canary'\n"
"  -t, --time RANGE      15m, 24h, now-1h..now, or START..END in ISO 8601\n"
"                        (default: the data's own extent)\n"
"  -b, --bucket WIDTH    bucket width: 30s, 1m, 5m, 1h, 1d (default: about 60\n"
"                        buckets over the range)\n"
"  -g, --group-by FIELD  latency group field (default\n"
"                        model_metadata.serving_variant); a unique suffix will do\n"
"  -f, --format FMT      table, json, jsonl, csv or md (Markdown; default table;\n"
"                        runbook and journal export: md or json)\n"
"  -p, --preset NAME     a saved preset: its query, range, bucket, group-by,\n"
"                        sort and source fill what the command line does not give\n"
"  -r, --runbook NAME    the dashboard with runbook NAME beside it, at its first\n"
"                        step (] [ walk the steps, x marks one done)\n"
"  -m, --mapping FILE    JSON file mapping roles to field paths (see logdive(1))\n"
"      --log-format NAME read every file as format NAME (json, torchserve-log,\n"
"                        python-logging, syslog-3164, logfmt, ...: logdive formats);\n"
"                        default: detected per file from its first lines\n"
"      --tz ZONE         zone of text timestamps that have none (UTC, +02:00,\n"
"                        Europe/Paris; default UTC, counted as naive_time)\n"
"  -c, --config FILE     config file with named sources (default\n"
"                        $XDG_CONFIG_HOME/logdive/config, if it exists)\n"
"      --follow          keep reading lines appended to the files; on\n"
"                        Elasticsearch and Loki, ask again every 5 s (with a\n"
"                        relative -t such as 15m, the range moves on)\n"
"      --limit N         at most N records (requests)\n"
"      --all             every matching record: Elasticsearch and Loki lists\n"
"                        otherwise stop at 100,000 (requests)\n"
"      --sort KEY        requests order: time, -time, latency, -latency\n"
"                        (default time; latency means slowest first)\n"
"      --max-line BYTES  longest line read (default 16M); longer ones are\n"
"                        counted as too_long and skipped\n"
"      --no-index        do not read or write the index cache\n"
"      --insecure        do not verify TLS certificates (a warning stays on)\n"
"      --connect-timeout D, --timeout D\n"
"                        remote sources: connect (5s) and request (30s) limits\n"
"      --max-body SIZE   remote sources: largest response read (default 256M;\n"
"                        e.g. 64M, 1G, or bytes); a larger one is an error\n"
"      --no-journal      do not record this command in the journal\n"
"      --ascii           draw with ASCII only\n"
"  -h, --help            this help\n"
"  -V, --version         the version\n"
"\n"
"Exit status: 0 success, 1 no match, 2 usage or query error, 3 source error.\n"
"Environment: XDG_CONFIG_HOME (config, presets, runbooks), XDG_CACHE_HOME\n"
"(index), XDG_STATE_HOME (journal), NO_COLOR, LOGDIVE_NOW (fixed 'now').\n"
"See logdive(1) for the query language, keys, the mapping file, presets,\n"
"runbooks and the journal.\n", out);
}

/* Warnings that do not stop a command (struct ld_warn), made visible: a
 * file name or a server's words may carry escapes. */
static void
cli_warn(void *arg, const char *line)
{
	char vis[1024];

	(void)arg;
	snprintf(vis, sizeof vis, "%s", line);
	err_visible(vis, sizeof vis);
	fprintf(stderr, "logdive: warning: %s\n", vis);
}

static int
parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end != '\0' || v == 0 || v > SIZE_MAX / 2)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* --sort's keys (also a preset's "sort"): time, -time, latency (slowest
 * first), -latency. Returns -1 for anything else. */
static int
sort_parse(const char *s, enum hit_sort *out)
{
	static const char *const keys[] = { "time", "-time", "latency", "-latency" };
	static const enum hit_sort v[] = { SORT_TIME_ASC, SORT_TIME_DESC, SORT_LATENCY_DESC,
	    SORT_LATENCY_ASC };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(s, keys[i]) == 0) {
			*out = v[i];
			return 0;
		}
	return -1;
}

static const struct { const char *name; enum cli_cmd cmd; } commands[] = {
	{ "panels", CMD_PANELS }, { "requests", CMD_REQUESTS }, { "trace", CMD_TRACE },
	{ "runbook", CMD_RUNBOOK }, { "presets", CMD_PRESETS }, { "runbooks", CMD_RUNBOOKS },
	{ "journal", CMD_JOURNAL }, { "formats", CMD_FORMATS },
};

/* The words of argv[i..argc) joined by blanks (caller frees). */
static char *
join_args(int argc, char **argv, int i)
{
	struct buf b = BUF_INIT;

	for (; i < argc; i++) {
		if (b.len)
			buf_addc(&b, ' ');
		buf_adds(&b, argv[i]);
	}
	return buf_detach(&b);
}

/* The positional arguments of presets, runbooks and journal. */
static int
parse_subcommand(int argc, char **argv, int i, struct cli *c, struct ld_err *err)
{
	int left = argc - i;

	switch (c->cmd) {
	case CMD_PRESETS:
		if (left == 0 || (left == 1 && strcmp(argv[i], "list") == 0))
			return LD_OK;
		if (left == 2 && strcmp(argv[i], "show") == 0) {
			c->sub = "show";
			c->name = argv[i + 1];
			return LD_OK;
		}
		return err_set(err, LD_EUSAGE, "use logdive presets, or logdive presets show NAME");
	case CMD_RUNBOOKS:
		if (left == 0)
			return LD_OK;
		return err_set(err, LD_EUSAGE, "logdive runbooks takes no argument (logdive "
		    "runbook NAME SOURCE runs one)");
	default:
		break;
	}
	if (left >= 1 && strcmp(argv[i], "list") == 0 && left == 1)
		c->sub = "list";
	else if (left >= 1 && (strcmp(argv[i], "new") == 0 ||
	    strcmp(argv[i], "finding") == 0)) {
		c->sub = strcmp(argv[i], "new") == 0 ? "new" : "finding";
		c->text = join_args(argc, argv, i + 1);
		if (c->text[0] == '\0')
			return err_set(err, LD_EUSAGE, "journal %s needs a %s", c->sub,
			    c->sub[0] == 'n' ? "TITLE" : "TEXT");
	} else if (left >= 1 && left <= 2 && strcmp(argv[i], "export") == 0) {
		c->sub = "export";
		c->name = left == 2 ? argv[i + 1] : NULL;
	} else
		return err_set(err, LD_EUSAGE, "use logdive journal new TITLE, journal finding "
		    "TEXT, journal list or journal export [ID]");
	return LD_OK;
}

/* -p: load the preset and fill what the command line did not give. */
static int
apply_preset(struct cli *c, struct ld_err *err)
{
	struct config cfg;
	struct preset_dirs d;
	struct ld_warn w = { cli_warn, NULL };
	struct preset *p;
	int rc;

	if (config_load(&cfg, c->config, err) != LD_OK)
		return LD_EUSAGE;
	preset_dirs_default(&d, "presets", (const char *const *)cfg.presets_path,
	    cfg.npresets_path);
	p = xcalloc(1, sizeof *p);
	rc = preset_find(&d, c->preset_name, p, &w, err);
	preset_dirs_free(&d);
	if (rc != LD_OK) {
		free(p);
		config_free(&cfg);
		if (rc == LD_NOMATCH) {
			char m[sizeof err->msg];
			snprintf(m, sizeof m, "%s", err->msg);
			err_set(err, LD_EUSAGE, "-p: %s", m);
		}
		err->status = LD_EUSAGE;
		return LD_EUSAGE;
	}
	c->preset = p;
	if (c->query == NULL && p->query) {
		c->query = p->query;
		snprintf(c->query_label, sizeof c->query_label, "preset %s: query", p->name);
	}
	if (c->range == NULL)
		c->range = p->range;
	if (c->bucket == 0)
		c->bucket = p->bucket;
	if (c->group == NULL && p->group_by) {
		c->group = p->group_by;
		snprintf(c->group_label, sizeof c->group_label, "preset %s: group_by", p->name);
	}
	if (!c->sort_given && p->sort)
		sort_parse(p->sort, &c->sort);
	if (c->limit == 0)
		c->limit = p->limit;
	c->above = p->above;
	c->view = p->view;
	c->panel = p->panel;
	if (c->nsources == 0 && p->source) {
		if (config_source(&cfg, p->source) == NULL && access(p->source, F_OK) != 0) {
			rc = err_set(err, LD_EUSAGE, "preset %s names the source '%s', which the "
			    "config file %s does not define", p->name, p->source,
			    cfg.file ? cfg.file : "(none)");
			config_free(&cfg);
			return rc;
		}
		c->sources[0] = p->source;
		c->nsources = 1;
	}
	config_free(&cfg);
	return LD_OK;
}

/* Load the runbook name, with the config's presets_path. */
static int
load_runbook(const struct cli *c, const char *name, struct runbook *rb,
    struct ld_err *err)
{
	struct config cfg;
	struct preset_dirs pd, rd;
	struct ld_warn w = { cli_warn, NULL };
	int rc;

	if (config_load(&cfg, c->config, err) != LD_OK)
		return LD_EUSAGE;
	preset_dirs_default(&pd, "presets", (const char *const *)cfg.presets_path,
	    cfg.npresets_path);
	preset_dirs_default(&rd, "runbooks", (const char *const *)cfg.presets_path,
	    cfg.npresets_path);
	rc = runbook_find(&rd, name, &pd, rb, &w, err);
	preset_dirs_free(&pd);
	preset_dirs_free(&rd);
	config_free(&cfg);
	if (rc != LD_OK)
		err->status = LD_EUSAGE;
	return rc == LD_OK ? LD_OK : LD_EUSAGE;
}

int
cli_parse(int argc, char **argv, struct cli *c, struct ld_err *err)
{
	int ch, first = 1;

	memset(c, 0, sizeof *c);
	c->format = OUT_TABLE;
	c->sort = SORT_TIME_ASC;
	snprintf(c->query_label, sizeof c->query_label, "-q");
	snprintf(c->group_label, sizeof c->group_label, "-g");
	if (argc > 1) {
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				c->cmd = commands[i].cmd;
		if (c->cmd != CMD_UI)
			first = 2;
	}
	optind = first;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":q:t:b:g:f:m:c:p:r:n:hV", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_LOG_FORMAT: c->log_format = optarg; break;
		case OPT_TZ:
			if (tf_set_tz(optarg, err) != LD_OK)
				return LD_EUSAGE;
			c->tz = optarg;
			break;
		case 'n': {
			size_t n;
			if (parse_size(optarg, &n) != 0 || c->cmd != CMD_FORMATS)
				return err_set(err, LD_EUSAGE, "-n %s: a positive number of lines, "
				    "for logdive formats test NAME FILE -n N", optarg);
			c->lines = n;
			break;
		}
		case 'q': c->query = optarg; break;
		case 't': c->range = optarg; break;
		case 'b':
			if (duration_parse(optarg, &c->bucket) != 0)
				return err_set(err, LD_EUSAGE, "-b %s: not a bucket width; use "
				    "a number and a unit, e.g. 30s, 1m, 5m, 1h, 1d", optarg);
			break;
		case 'g': c->group = optarg; break;
		case 'f':
			if ((c->format = out_format_parse(optarg)) < 0)
				return err_set(err, LD_EUSAGE, "-f %s: unknown format; use table, "
				    "json, jsonl, csv or md", optarg);
			break;
		case 'm': c->mapping = optarg; break;
		case 'c': c->config = optarg; break;
		case 'p': c->preset_name = optarg; break;
		case 'r': c->runbook_name = optarg; break;
		case OPT_NO_JOURNAL: c->no_journal = 1; break;
		case OPT_FOLLOW: c->follow = 1; break;
		case OPT_ALL: c->all = 1; break;
		case OPT_LIMIT: {
			size_t n;
			if (parse_size(optarg, &n) != 0)
				return err_set(err, LD_EUSAGE, "--limit %s: not a positive number",
				    optarg);
			c->limit = n;
			break;
		}
		case OPT_MAX_LINE:
			if (parse_size(optarg, &c->max_line) != 0 || c->max_line > UINT32_MAX)
				return err_set(err, LD_EUSAGE, "--max-line %s: use a size such as "
				    "65536, 512K or 16M (at most 4G)", optarg);
			break;
		case OPT_NO_INDEX: c->no_index = 1; break;
		case OPT_INSECURE: c->insecure = 1; break;
		case OPT_CONNECT_TIMEOUT:
		case OPT_TIMEOUT:
			if (duration_parse(optarg, ch == OPT_TIMEOUT ? &c->timeout :
			    &c->connect_timeout) != 0)
				return err_set(err, LD_EUSAGE, "--%s %s: use a duration such as "
				    "5s or 2m", ch == OPT_TIMEOUT ? "timeout" : "connect-timeout",
				    optarg);
			break;
		case OPT_MAX_BODY:
			if (http_parse_size(optarg, &c->max_body) != 0)
				return err_set(err, LD_EUSAGE, "--max-body %s: use a size such as "
				    "256M, 1G or a number of bytes", optarg);
			break;
		case OPT_ASCII: c->ascii = 1; break;
		case OPT_SORT:
			c->sort_given = 1;
			if (sort_parse(optarg, &c->sort) != 0)
				return err_set(err, LD_EUSAGE, "--sort %s: use time, -time, latency "
				    "or -latency", optarg);
			break;
		case 'h': c->cmd = CMD_HELP; return LD_OK;
		case 'V': c->cmd = CMD_VERSION; return LD_OK;
		case ':':
			return err_set(err, LD_EUSAGE, "option %s needs a value (see logdive --help)",
			    argv[optind - 1]);
		default:
			if (optopt)
				return err_set(err, LD_EUSAGE, "unknown option -%c (see logdive --help)",
				    optopt);
			return err_set(err, LD_EUSAGE, "unknown option %s (see logdive --help)",
			    argv[optind - 1]);
		}
	}
	int i = optind;
	if (c->cmd == CMD_PRESETS || c->cmd == CMD_RUNBOOKS || c->cmd == CMD_JOURNAL) {
		c->sources = xcalloc(1, sizeof *c->sources);
		return parse_subcommand(argc, argv, i, c, err);
	}
	if (c->cmd == CMD_FORMATS) {
		/* logdive formats [list] | formats test NAME FILE */
		int left = argc - i;
		c->sources = xcalloc(2, sizeof *c->sources);
		if (left == 0 || (left == 1 && strcmp(argv[i], "list") == 0))
			return LD_OK;
		if (left == 3 && strcmp(argv[i], "test") == 0) {
			c->sub = "test";
			c->name = argv[i + 1];
			c->sources[0] = argv[i + 2];
			c->nsources = 1;
			return LD_OK;
		}
		return err_set(err, LD_EUSAGE, "use logdive formats, or logdive formats test NAME "
		    "FILE [-n N]");
	}
	if (c->cmd == CMD_TRACE) {
		if (i >= argc)
			return err_set(err, LD_EUSAGE, "trace needs an ID: logdive trace ID SOURCE...");
		c->trace_id = argv[i++];
	}
	if (c->cmd == CMD_RUNBOOK) {
		if (i >= argc)
			return err_set(err, LD_EUSAGE, "runbook needs a NAME: logdive runbook NAME "
			    "SOURCE... (logdive runbooks lists them)");
		c->name = argv[i++];
		if (c->preset_name)
			return err_set(err, LD_EUSAGE, "-p does not go with runbook: each step "
			    "names its preset");
	}
	c->nsources = (size_t)(argc - i);
	c->sources = xcalloc(c->nsources + 1, sizeof *c->sources);
	for (size_t k = 0; k < c->nsources; k++)
		c->sources[k] = argv[i + (int)k];
	if (c->follow && c->cmd != CMD_UI)
		return err_set(err, LD_EUSAGE, "--follow works in the interactive dashboard "
		    "(logdive --follow FILE); the headless commands read what is there");
	if (c->runbook_name && c->cmd != CMD_UI)
		return err_set(err, LD_EUSAGE, "-r opens a runbook beside the interactive "
		    "dashboard (logdive runbook NAME SOURCE runs one headless)");
	if (c->runbook_name && c->preset_name)
		return err_set(err, LD_EUSAGE, "-p does not go with -r: each step of the "
		    "runbook names its preset");
	if (c->preset_name && apply_preset(c, err) != LD_OK)
		return LD_EUSAGE;
	if (c->runbook_name) {
		c->runbook = xcalloc(1, sizeof *c->runbook);
		if (load_runbook(c, c->runbook_name, c->runbook, err) != LD_OK) {
			char m[sizeof err->msg];
			free(c->runbook);
			c->runbook = NULL;
			snprintf(m, sizeof m, "%s", err->msg);
			return err_set(err, LD_EUSAGE, "-r: %s", m);
		}
		/* without a SOURCE, the one the steps' presets name */
		for (size_t s = 0; c->nsources == 0 && s < c->runbook->nsteps; s++)
			if (c->runbook->steps[s].preset.source) {
				c->sources[0] = c->runbook->steps[s].preset.source;
				c->nsources = 1;
			}
	}
	if (c->nsources == 0 && c->cmd != CMD_RUNBOOK)
		return err_set(err, LD_EUSAGE, "no source given: name a JSON-lines file, "
		    "a glob or - (try logdive share/samples/incident.jsonl.gz)");
	return LD_OK;
}

void
cli_free(struct cli *c)
{
	free(c->sources);
	c->sources = NULL;
	if (c->preset) {
		preset_free(c->preset);
		free(c->preset);
		c->preset = NULL;
	}
	free(c->text);
	c->text = NULL;
	if (c->runbook) {
		runbook_free(c->runbook);
		free(c->runbook);
		c->runbook = NULL;
	}
}

void
cli_error(const struct ld_err *err)
{
	if (err->status == LD_OK)
		return;
	fprintf(stderr, "logdive: %s\n", err->msg[0] ? err->msg : "error");
}

struct backend *
cli_open(const struct cli *c, struct ld_err *err)
{
	struct mapping m;
	struct backend_opts o;
	struct backend *b = NULL;
	struct config cfg;
	const char **names;
	const char *mapfile = c->mapping;
	const struct source_def *def = NULL;

	if (config_load(&cfg, c->config, err) != LD_OK)
		return NULL;
	/* a name that is not a file may be a source of the config file */
	names = xcalloc(c->nsources + 1, sizeof *names);
	for (size_t i = 0; i < c->nsources; i++) {
		const struct source_def *sd = NULL;
		names[i] = c->sources[i];
		if (strcmp(names[i], "-") != 0 && access(names[i], F_OK) != 0)
			sd = config_source(&cfg, names[i]);
		if (sd != NULL) {
			names[i] = sd->url;
			if (mapfile == NULL)
				mapfile = sd->mapping;
			if (c->nsources == 1)
				def = sd;
		}
	}
	mapping_default(&m);
	if (mapfile && mapping_load(&m, mapfile, err) != LD_OK)
		goto out;
	memset(&o, 0, sizeof o);
	o.sources = names;
	o.nsources = c->nsources;
	o.map = &m;
	o.max_line = c->max_line;
	o.follow = c->follow;
	o.cache_dir = c->no_index ? "" : NULL;
	o.log_format = c->log_format;
	o.def = def;
	o.insecure = c->insecure;
	o.connect_timeout = c->connect_timeout;
	o.timeout = c->timeout;
	o.max_body = c->max_body;
	struct time_range r;
	struct ld_err e2;
	if (c->range && range_parse(c->range, time_now(), &r, &e2) == LD_OK)
		o.range = &r;
	b = backend_open(&o, err);
out:
	mapping_free(&m);
	free(names);
	config_free(&cfg);
	return b;
}

/* cli_resolve_field with the option's label in messages ("-g"). */
static int
resolve_field(struct backend *b, const char *name, const char *label, char **path,
    struct ld_err *err)
{
	const char *const *paths;
	size_t n;
	struct q_node node;

	*path = NULL;
	if (name == NULL)
		return LD_OK;
	b->ops->fields(b, &paths, &n);
	memset(&node, 0, sizeof node);
	node.kind = Q_EXISTS;
	node.col = 1;
	node.field = (char *)name;
	if (query_resolve(&node, paths, n, err) != LD_OK) {
		char msg[sizeof err->msg + 100];
		snprintf(msg, sizeof msg, "%s: %s", label, err->msg);
		/* "at col 1" means nothing for an option */
		char *at = strstr(msg, " at col 1");
		if (at)
			memmove(at, at + 9, strlen(at + 9) + 1);
		snprintf(err->msg, sizeof err->msg, "%.*s", (int)sizeof err->msg - 1, msg);
		return err->status;
	}
	*path = node.path;
	return LD_OK;
}

int
cli_resolve_field(struct backend *b, const char *name, char **path, struct ld_err *err)
{
	return resolve_field(b, name, "-g", path, err);
}

/* ---- load with progress ---- */

struct loader {
	struct backend	*b;
	struct ld_err	 err;
	int		 rc;
	pthread_t	 th;
	int		 threaded;
	_Atomic int	 done;
};

static void *
loader_main(void *arg)
{
	struct loader *l = arg;
	l->rc = l->b->ops->load(l->b, &l->err);
	query_thread_done();
	l->done = 1;
	return NULL;
}

static void
human_bytes(double v, char *s, size_t n)
{
	const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	int i = 0;
	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(s, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

/* Start the load on a thread and wait until every record is readable
 * (the backend may go on writing its index: loader_finish waits for
 * that). After a second, show progress on stderr if it is a tty. */
static int
loader_start(struct loader *l, struct backend *b, struct ld_err *err)
{
	int64_t t0 = time_mono(), last = 0;
	int shown = 0, tty = isatty(STDERR_FILENO);

	memset(l, 0, sizeof *l);
	l->b = b;
	err_clear(&l->err);
	if (pthread_create(&l->th, NULL, loader_main, l) != 0)
		loader_main(l);
	else
		l->threaded = 1;
	while (!l->done && !b->progress.done) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		int64_t el = time_mono() - t0;
		if (!tty || el < NS_PER_SEC || el - last < 100 * 1000 * 1000)
			continue;
		last = el;
		char a[32], c[32], rate[32], eta[32] = "";
		double done = (double)b->progress.bytes_done;
		double total = (double)b->progress.bytes_total;
		double bps = done / ((double)el / 1e9);
		human_bytes(done, a, sizeof a);
		human_bytes(total, c, sizeof c);
		human_bytes(bps, rate, sizeof rate);
		if (total > done && bps > 0)
			snprintf(eta, sizeof eta, ", ETA %.0fs", (total - done) / bps);
		fprintf(stderr, "\rlogdive: loading %s of %s, %llu records, %s/s%s   ",
		    a, c, (unsigned long long)b->progress.records, rate, eta);
		shown = 1;
	}
	if (shown)
		fputs("\r\033[K", stderr);
	/* the load may still be writing its index, but its status is known */
	int rc = l->done ? l->rc : b->progress.rc;
	if (rc != LD_OK) {
		*err = l->err;
		return rc;
	}
	return LD_OK;
}

/* A query call that takes over a second (a remote server, Loki's lines
 * read for the confidence): "logdive: querying <backend>... 2.1 s, 12,345
 * lines read" on stderr if it is a tty, cleared before the output. */
struct watch {
	struct backend	*b;
	pthread_t	 th;
	int		 threaded;
	_Atomic int	 stop;
};

static void *
watch_main(void *arg)
{
	struct watch *w = arg;
	int64_t t0 = time_mono();
	int shown = 0;

	while (!w->stop) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		int64_t el = time_mono() - t0;
		if (el < NS_PER_SEC || w->stop)
			continue;
		uint64_t n = atomic_load(&w->b->progress.lines_read);
		char lines[48] = "";
		if (n > 0)
			snprintf(lines, sizeof lines, ", %llu lines read", (unsigned long long)n);
		fprintf(stderr, "\rlogdive: querying %s... %.1f s%s   ", w->b->ops->name,
		    (double)el / 1e9, lines);
		shown = 1;
		for (int i = 0; i < 5 && !w->stop; i++) {
			struct timespec t2 = { 0, 20 * 1000 * 1000 };
			nanosleep(&t2, NULL);
		}
	}
	if (shown)
		fputs("\r\033[K", stderr);
	return NULL;
}

static void
watch_start(struct watch *w, struct backend *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	atomic_store(&b->progress.lines_read, 0);
	if (isatty(STDERR_FILENO) && pthread_create(&w->th, NULL, watch_main, w) == 0)
		w->threaded = 1;
}

static void
watch_stop(struct watch *w)
{
	w->stop = 1;
	if (w->threaded)
		pthread_join(w->th, NULL);
	w->threaded = 0;
}

/* Wait for the load to end (index written). */
static void
loader_finish(struct loader *l)
{
	if (l->threaded) {
		pthread_join(l->th, NULL);
		l->threaded = 0;
	}
}

/* ---- headless commands ---- */

/* -t and -q narrow a trace to the records in the range that match. */
static int
trace_narrow(struct backend *b, const struct query_opts *qo, struct hitlist *l,
    struct ld_err *err)
{
	struct linequery lq;
	size_t kept = 0;

	if (!qo->has_range && qo->query == NULL)
		return LD_OK;
	memset(&lq, 0, sizeof lq);
	for (size_t i = 0; i < l->n; i++) {
		struct hit *h = &l->v[i];
		int keep = !qo->has_range ||
		    (h->t != TIME_NONE && h->t >= qo->range.start && h->t < qo->range.end);
		if (keep && qo->query) {
			char *rec = b->ops->record(b, h, NULL);
			keep = rec && linequery_match(&lq, qo->query, rec, strlen(rec));
			free(rec);
		}
		if (keep)
			l->v[kept++] = *h;
		else
			hit_clear(h);
	}
	linequery_free(&lq);
	l->n = l->total = kept;
	if (kept == 0)
		return err_set(err, LD_NOMATCH, "no record of the trace matches -t/-q");
	return LD_OK;
}

static int
exit_status(int rc)
{
	return rc == LD_ECANCEL ? 130 : rc;
}

/* One query to run: the command line's, or a runbook step's. */
struct spec {
	const char	*query, *query_label;
	const char	*range;
	int64_t		 bucket;
	const char	*group, *group_label;
	enum hit_sort	 sort;
	size_t		 limit;
	int		 all;		/* --all */
	int		 above;
	enum preset_view view;
	const char	*panel;
};

static void
spec_from_cli(const struct cli *c, struct spec *s)
{
	memset(s, 0, sizeof *s);
	s->query = c->query;
	s->query_label = c->query_label;
	s->range = c->range;
	s->bucket = c->bucket;
	s->group = c->group;
	s->group_label = c->group_label;
	s->sort = c->sort;
	s->limit = c->limit;
	s->all = c->all;
	s->above = c->above;
	s->view = c->view;
	s->panel = c->panel;
}

/* Syntax of the query and the range, before any load. */
static int
spec_check(const struct spec *s, struct ld_err *err)
{
	struct time_range r;
	struct q_node *q = NULL;
	char m[sizeof err->msg];

	if (s->query && (q = query_parse(s->query, err)) == NULL && err->status != LD_OK) {
		snprintf(m, sizeof m, "%s", err->msg);
		return err_set(err, LD_EUSAGE, "%s: %s", s->query_label, m);
	}
	query_free(q);
	if (s->range && range_parse(s->range, time_now(), &r, err) != LD_OK) {
		snprintf(m, sizeof m, "%s", err->msg);
		return err_set(err, LD_EUSAGE, "-t: %s", m);
	}
	return LD_OK;
}

/* The query options of s against the loaded backend; *q and *group are
 * the caller's (query_free, free). */
static int
spec_prepare(struct backend *b, const struct spec *s, struct query_opts *qo,
    struct q_node **q, char **group, struct ld_err *err)
{
	char m[sizeof err->msg];

	memset(qo, 0, sizeof *qo);
	*q = NULL;
	*group = NULL;
	if (s->query && (*q = query_parse(s->query, err)) == NULL && err->status != LD_OK)
		return LD_EUSAGE;
	if (s->range) {
		if (range_parse(s->range, time_now(), &qo->range, err) != LD_OK)
			return LD_EUSAGE;
		qo->has_range = 1;
	}
	qo->bucket = s->bucket;
	if (*q) {
		const char *const *paths;
		size_t n;
		b->ops->fields(b, &paths, &n);
		if (query_resolve(*q, paths, n, err) != LD_OK) {
			snprintf(m, sizeof m, "%s", err->msg);
			return err_set(err, LD_EUSAGE, "%s: %s", s->query_label, m);
		}
	}
	qo->query = *q;
	if (resolve_field(b, s->group, s->group_label, group, err) != LD_OK)
		return LD_EUSAGE;
	qo->group_by = *group;
	return LD_OK;
}

/* Requests of s: every match, or with s->above the records of each
 * latency group at or above that group's pN (the dashboard's drill-down,
 * for every group), merged in s->sort order. */
static int
search_hits(struct backend *b, const struct query_opts *qo, const struct spec *s,
    struct hitlist *out, struct ld_err *err)
{
	struct search_req rq;

	memset(&rq, 0, sizeof rq);
	rq.q = *qo;
	rq.min_latency = NAN;
	rq.sort = s->sort;
	rq.limit = s->limit;
	rq.all = s->all;
	return backend_search_above(b, &rq, s->above, out, err);
}

/* The trace of the first hit (its correlation id, else its request id). */
static int
first_trace(struct backend *b, const struct hitlist *l, const char **id,
    struct hitlist *tr, struct ld_err *err)
{
	*id = l->n ? (l->v[0].trace_id ? l->v[0].trace_id : l->v[0].request_id) : NULL;
	if (*id == NULL)
		return err_set(err, LD_NOMATCH, l->n ? "the first request has no correlation "
		    "or request id" : "no matching records");
	return b->ops->trace(b, *id, tr, err);
}

/* ---- the journal of headless commands ---- */

struct jrec {
	struct journal	*j;
	int64_t		 inv, now;
	int		 on;
};

static void
jrec_fail(struct jrec *jr, const struct ld_err *e)
{
	fprintf(stderr, "logdive: warning: not recorded in the journal: %s (--no-journal "
	    "turns it off)\n", e->msg);
	jr->on = 0;
}

/* Open the journal and the current investigation (titled after the
 * sources if it starts now). */
static void
jrec_open(const struct cli *c, struct jrec *jr)
{
	struct ld_err e;
	char *title;

	memset(jr, 0, sizeof *jr);
	if (c->no_journal)
		return;
	err_clear(&e);
	jr->now = time_now();
	if (journal_open(NULL, &jr->j, &e) != LD_OK) {
		jrec_fail(jr, &e);
		return;
	}
	{
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < c->nsources; i++) {
			char *red = http_redact_url(c->sources[i]);
			if (i)
				buf_addc(&b, ' ');
			buf_adds(&b, red);
			free(red);
		}
		title = buf_detach(&b);
	}
	jr->on = journal_current(jr->j, title, jr->now, &jr->inv, &e) == LD_OK;
	free(title);
	if (!jr->on)
		jrec_fail(jr, &e);
}

static void
jrec_add(struct jrec *jr, enum journal_kind k, const char *text, const char *detail)
{
	struct ld_err e;

	err_clear(&e);
	if (jr->on && journal_add(jr->j, jr->inv, jr->now, k, text, detail, &e) != LD_OK)
		jrec_fail(jr, &e);
}

static void
jrec_panels(struct jrec *jr, const char *what, const struct panels *p)
{
	struct ld_err e;

	err_clear(&e);
	if (jr->on && journal_add_panels(jr->j, jr->inv, jr->now, what, p, &e) != LD_OK)
		jrec_fail(jr, &e);
}

static void
jrec_close(struct jrec *jr)
{
	journal_close(jr->j);
	memset(jr, 0, sizeof *jr);
}

/* Open the journal, then record the sources, the preset, the query and
 * the range of a command that showed something. */
static void
jrec_context(struct jrec *jr, const struct cli *c, const struct spec *s,
    const char *preset)
{
	jrec_open(c, jr);
	for (size_t i = 0; i < c->nsources; i++) {
		/* as the title: a URL without userinfo or secret parameters */
		char *red = http_redact_url(c->sources[i]);
		jrec_add(jr, JK_SOURCE, red, NULL);
		free(red);
	}
	if (preset)
		jrec_add(jr, JK_PRESET, preset, NULL);
	if (s->query)
		jrec_add(jr, JK_QUERY, s->query, NULL);
	if (s->range)
		jrec_add(jr, JK_RANGE, s->range, NULL);
}

/* The --sort key of s. */
static const char *
sort_name(enum hit_sort s)
{
	static const char *const n[] = { [SORT_TIME_ASC] = "time", [SORT_TIME_DESC] = "-time",
	    [SORT_LATENCY_DESC] = "latency", [SORT_LATENCY_ASC] = "-latency" };
	return n[s];
}

static void
jrec_requests(struct jrec *jr, const char *what, const struct spec *s,
    const struct hitlist *l)
{
	json_t *d, *first;
	char *text, *detail, n1[32], n2[32];

	if (!jr->on)
		return;
	first = json_array();
	for (size_t i = 0; i < l->n && i < 5; i++) {
		const struct hit *h = &l->v[i];
		char ts[48];
		json_array_append_new(first, json_pack("{s:s, s:s?, s:s?, s:o}",
		    "t", time_format_iso(h->t, -1, ts, sizeof ts), "trace_id", h->trace_id,
		    "request_id", h->request_id, "latency",
		    isnan(h->latency) ? json_null() : json_real(h->latency)));
	}
	d = json_pack("{s:I, s:I, s:s, s:o}", "total", (json_int_t)l->total, "shown",
	    (json_int_t)l->n, "sort", sort_name(s->sort), "first", first);
	detail = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(d);
	text = xasprintf("%s: %s of %s records, by %s%s%s", what,
	    fmt_count(l->n, n1, sizeof n1), fmt_count(l->total, n2, sizeof n2),
	    sort_name(s->sort), s->above ? ", at or above each group's p" : "",
	    s->above == 50 ? "50" : s->above == 95 ? "95" : s->above == 99 ? "99" : "");
	jrec_add(jr, JK_REQUESTS, text, detail);
	free(text);
	free(detail);
}

static void
jrec_trace(struct jrec *jr, const char *id, const struct hitlist *l)
{
	char *text;
	size_t slow = 0;
	int64_t gap = -1;

	if (!jr->on)
		return;
	for (size_t i = 1; i < l->n; i++)
		if (l->v[i].t - l->v[i - 1].t > gap) {
			gap = l->v[i].t - l->v[i - 1].t;
			slow = i;
		}
	if (l->n > 1)
		text = xasprintf("%s: %zu records over %.3f ms; slowest step %s %s, %.3f ms",
		    id, l->n, (double)(l->v[l->n - 1].t - l->v[0].t) / 1e6,
		    l->v[slow].service ? l->v[slow].service : "-",
		    l->v[slow].event ? l->v[slow].event : "-", (double)gap / 1e6);
	else
		text = xasprintf("%s: %zu record", id, l->n);
	jrec_add(jr, JK_TRACE, text, NULL);
	free(text);
}

/* ---- panels, requests, trace ---- */

/* Print panels p in format f (md: the preset's panel alone, if any). */
static void
print_panels(const struct panels *p, const struct cli *c, const char *panel, FILE *out)
{
	struct output_tty ot;
	int json = c->format == OUT_JSON || c->format == OUT_JSONL;

	/* group names and versions come from the logs: made visible on a tty */
	out = output_tty_begin(out, json, &ot);
	if (json)
		panels_print_json(p, c->sources, c->nsources, out);
	else if (c->format == OUT_CSV)
		panels_print_csv(p, out);
	else if (c->format == OUT_MD)
		panels_print_md(p, panel, out);
	else
		panels_print_table(p, out);
	output_tty_end(&ot);
}

static int
check_stdout(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "logdive: cannot write the output: %s\n", strerror(errno));
		return LD_ESOURCE;
	}
	return rc;
}

static int
run_query(const struct cli *c)
{
	struct ld_err err;
	struct backend *b;
	struct q_node *q = NULL;
	struct query_opts qo;
	struct spec sp;
	struct jrec jr;
	char *group_path = NULL;
	struct loader loader;
	int rc;

	err_clear(&err);
	memset(&loader, 0, sizeof loader);
	memset(&jr, 0, sizeof jr);
	spec_from_cli(c, &sp);
	/* syntax errors before any loading */
	if (spec_check(&sp, &err) != LD_OK) {
		cli_error(&err);
		return LD_EUSAGE;
	}
	if ((b = cli_open(c, &err)) == NULL) {
		cli_error(&err);
		return exit_status(err.status);
	}
	/* A warm trace can come straight from the index, without a load (a
	 * query needs the fields a load finds). */
	if (c->cmd == CMD_TRACE && c->query == NULL) {
		struct hitlist l = {0};
		memset(&qo, 0, sizeof qo);
		if (c->range && range_parse(c->range, time_now(), &qo.range, &err) == LD_OK)
			qo.has_range = 1;
		rc = b->ops->trace(b, c->trace_id, &l, &err);
		if (rc == LD_OK)
			rc = trace_narrow(b, &qo, &l, &err);
		if (rc != LD_EAGAIN) {
			if (rc == LD_OK) {
				output_trace(b, c->trace_id, &l, c->format, stdout);
				rc = check_stdout(rc);
				jrec_context(&jr, c, &sp, c->preset_name);
				jrec_trace(&jr, c->trace_id, &l);
			} else
				cli_error(&err);
			hitlist_free(&l);
			goto out;
		}
		hitlist_free(&l);
		err_clear(&err);
	}
	rc = loader_start(&loader, b, &err);
	if (rc != LD_OK) {
		/* a corrupt .gz keeps the lines before the damage: warn, go on */
		cli_error(&err);
		if (rc != LD_ESOURCE || b->progress.records == 0)
			goto out;
		err_clear(&err);
	}
	if ((rc = spec_prepare(b, &sp, &qo, &q, &group_path, &err)) != LD_OK) {
		cli_error(&err);
		goto out;
	}
	switch (c->cmd) {
	case CMD_PANELS: {
		struct panels p;
		struct watch w;
		watch_start(&w, b);
		rc = b->ops->panels(b, &qo, &p, &err);
		watch_stop(&w);
		if (rc == LD_OK || rc == LD_NOMATCH) {
			print_panels(&p, c, c->panel, stdout);
			jrec_context(&jr, c, &sp, c->preset_name);
			jrec_panels(&jr, "panels", &p);
			panels_free(&p);
		}
		if (rc != LD_OK)
			cli_error(&err);
		break;
	}
	case CMD_REQUESTS: {
		struct hitlist l = {0};
		struct watch w;
		watch_start(&w, b);
		rc = search_hits(b, &qo, &sp, &l, &err);
		watch_stop(&w);
		if (rc == LD_OK)
			output_hits(b, &l, c->format, stdout);
		else
			cli_error(&err);
		if (rc == LD_OK || rc == LD_NOMATCH) {
			jrec_context(&jr, c, &sp, c->preset_name);
			jrec_requests(&jr, "requests", &sp, &l);
		}
		hitlist_free(&l);
		break;
	}
	case CMD_TRACE: {
		struct hitlist l = {0};
		struct watch w;
		watch_start(&w, b);
		rc = b->ops->trace(b, c->trace_id, &l, &err);
		if (rc == LD_OK)
			rc = trace_narrow(b, &qo, &l, &err);
		watch_stop(&w);
		if (rc == LD_OK) {
			output_trace(b, c->trace_id, &l, c->format, stdout);
			jrec_context(&jr, c, &sp, c->preset_name);
			jrec_trace(&jr, c->trace_id, &l);
		} else
			cli_error(&err);
		hitlist_free(&l);
		break;
	}
	default:
		rc = LD_EUSAGE;
	}
	rc = check_stdout(rc);
out:
	fflush(stdout);
	jrec_close(&jr);
	loader_finish(&loader);
	if (b && b->warning[0])
		cli_warn(NULL, b->warning);
	free(group_path);
	query_free(q);
	backend_close(b);
	query_thread_done();
	return exit_status(rc);
}

/* ---- runbook ---- */

/* The spec of step st: the step's preset, the command line winning. */
static void
spec_for_step(const struct cli *c, const struct runbook_step *st, size_t n,
    struct spec *s, char *qlabel, char *glabel, size_t lablen)
{
	const struct preset *p = &st->preset;

	memset(s, 0, sizeof *s);
	snprintf(qlabel, lablen, "step %zu: query", n);
	snprintf(glabel, lablen, "step %zu: group_by", n);
	s->query = c->query ? c->query : p->query;
	s->query_label = c->query ? "-q" : qlabel;
	s->range = c->range ? c->range : p->range;
	s->bucket = c->bucket ? c->bucket : p->bucket;
	s->group = c->group ? c->group : p->group_by;
	s->group_label = c->group ? "-g" : glabel;
	s->sort = p->view == PRESET_TRACE ? SORT_LATENCY_DESC : SORT_TIME_ASC;
	if (c->sort_given)
		s->sort = c->sort;
	else if (p->sort)
		sort_parse(p->sort, &s->sort);
	s->limit = c->limit ? c->limit : p->limit ? p->limit : p->view == PRESET_TRACE ? 1 : 10;
	s->above = p->above;
	s->view = p->view;
	s->panel = p->panel;
}

/* Markdown: the step's heading, note, what to look for and settings. */
static void
step_md_head(const struct runbook_step *st, size_t n, const struct spec *s, FILE *out)
{
	struct buf b = BUF_INIT;
	char w[32];

	buf_printf(&b, "## %zu. ", n);
	md_text(&b, st->title);
	buf_adds(&b, "\n\n");
	md_text(&b, st->note);
	buf_adds(&b, "\n\n");
	if (st->look_for) {
		buf_adds(&b, "Look for: ");
		md_text(&b, st->look_for);
		buf_adds(&b, "\n\n");
	}
	buf_adds(&b, "Preset ");
	md_code(&b, st->preset_name ? st->preset_name : "(inline)");
	buf_printf(&b, ": %s", preset_view_name(s->view));
	if (s->panel)
		buf_printf(&b, " %s", s->panel);
	if (s->query) {
		buf_adds(&b, ", query ");
		md_code(&b, s->query);
	}
	if (s->group) {
		buf_adds(&b, ", group by ");
		md_code(&b, s->group);
	}
	if (s->range) {
		buf_adds(&b, ", range ");
		md_code(&b, s->range);
	}
	if (s->bucket)
		buf_printf(&b, ", bucket %s", duration_format(s->bucket, w, sizeof w));
	if (s->view == PRESET_REQUESTS || s->view == PRESET_TRACE) {
		buf_printf(&b, ", sorted by %s", sort_name(s->sort));
		if (s->above)
			buf_printf(&b, ", at or above each group's p%d", s->above);
	}
	buf_adds(&b, ".\n\n");
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

static void
print_json_str(const char *s, FILE *out)
{
	struct buf b = BUF_INIT;
	if (s == NULL)
		buf_adds(&b, "null");
	else
		buf_add_json_string(&b, s, strlen(s));
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

/* Run one step on the loaded backend and print it. Returns LD_OK,
 * LD_NOMATCH (printed as such) or an error (printed in the report too). */
static int
run_step(const struct cli *c, struct backend *b, const struct runbook_step *st,
    size_t n, struct jrec *jr, FILE *out)
{
	char ql[48], gl[48], what[32];
	struct spec sp;
	struct query_opts qo;
	struct q_node *q = NULL;
	char *group = NULL;
	struct ld_err err;
	int md = c->format != OUT_JSON, rc;

	err_clear(&err);
	spec_for_step(c, st, n, &sp, ql, gl, sizeof ql);
	snprintf(what, sizeof what, "step %zu", n);
	if (md)
		step_md_head(st, n, &sp, out);
	else {
		json_t *pj = preset_to_json(&st->preset);
		char *ps = json_dumps(pj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(out, "%s\n  {\"step\": %zu, \"title\": ", n > 1 ? "," : "", n);
		print_json_str(st->title, out);
		fputs(", \"note\": ", out);
		print_json_str(st->note, out);
		fputs(", \"look_for\": ", out);
		print_json_str(st->look_for, out);
		fputs(", \"preset_name\": ", out);
		print_json_str(st->preset_name, out);
		fprintf(out, ",\n   \"preset\": %s,\n   ", ps);
		free(ps);
		json_decref(pj);
	}
	rc = spec_prepare(b, &sp, &qo, &q, &group, &err);
	if (rc == LD_OK && (sp.view == PRESET_DASHBOARD || sp.view == PRESET_PANEL)) {
		struct panels p;
		rc = b->ops->panels(b, &qo, &p, &err);
		if (rc == LD_OK || rc == LD_NOMATCH) {
			if (md)
				panels_print_md(&p, sp.panel, out);
			else {
				fputs("\"panels\": ", out);
				panels_print_json(&p, c->sources, c->nsources, out);
			}
			jrec_panels(jr, what, &p);
			panels_free(&p);
			rc = LD_OK;
		}
	} else if (rc == LD_OK) {
		struct hitlist l = {0}, tr = {0};
		rc = search_hits(b, &qo, &sp, &l, &err);
		if (rc == LD_OK || rc == LD_NOMATCH)
			jrec_requests(jr, what, &sp, &l);
		if (rc == LD_OK && sp.view == PRESET_REQUESTS) {
			if (!md)
				fputs("\"requests\": ", out);
			output_hits(b, &l, md ? OUT_MD : OUT_JSON, out);
			if (md)
				fputc('\n', out);
		} else if (rc == LD_OK) {
			const char *id;
			rc = first_trace(b, &l, &id, &tr, &err);
			if (rc == LD_OK) {
				if (!md)
					fputs("\"trace\": ", out);
				output_trace(b, id, &tr, md ? OUT_MD : OUT_JSON, out);
				if (md)
					fputc('\n', out);
				jrec_trace(jr, id, &tr);
			}
		}
		hitlist_free(&l);
		hitlist_free(&tr);
	}
	if (rc != LD_OK) {
		if (md) {
			struct buf bb = BUF_INIT;
			buf_adds(&bb, rc == LD_NOMATCH ? "No matching records.\n\n" : "Step failed: ");
			if (rc != LD_NOMATCH) {
				md_text(&bb, err.msg);
				buf_adds(&bb, "\n\n");
			}
			fwrite(bb.p, 1, bb.len, out);
			buf_free(&bb);
		} else {
			fputs("\"error\": ", out);
			print_json_str(rc == LD_NOMATCH ? "no matching records" : err.msg, out);
			fputc('\n', out);
		}
		if (rc != LD_NOMATCH)
			fprintf(stderr, "logdive: step %zu: %s\n", n, err.msg);
	}
	if (!md)
		fputs("  }", out);
	if (rc == LD_OK || rc == LD_NOMATCH) {
		char *t = xasprintf("%zu. %s", n, st->title);
		jrec_add(jr, JK_STEP, t, NULL);
		free(t);
	}
	free(group);
	query_free(q);
	return rc;
}

static void
runbook_md_head(const struct cli *c, const struct runbook *rb, FILE *out)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "# ");
	md_text(&b, rb->title);
	buf_adds(&b, "\n\n");
	if (rb->alert[0]) {
		buf_adds(&b, "Alert: ");
		md_text(&b, rb->alert);
		buf_adds(&b, "\n");
	}
	buf_adds(&b, "Runbook ");
	md_code(&b, rb->name);
	buf_printf(&b, ", %zu steps, on ", rb->nsteps);
	for (size_t i = 0; i < c->nsources; i++) {
		char *red = http_redact_url(c->sources[i]);
		if (i)
			buf_adds(&b, ", ");
		md_code(&b, red);
		free(red);
	}
	if (c->range) {
		buf_adds(&b, ", range ");
		md_code(&b, c->range);
	}
	buf_adds(&b, ".\n\n");
	if (rb->description[0]) {
		md_text(&b, rb->description);
		buf_adds(&b, "\n\n");
	}
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

static void
runbook_json_head(const struct cli *c, const struct runbook *rb, FILE *out)
{
	fputs("{\"runbook\": ", out);
	print_json_str(rb->name, out);
	fputs(", \"title\": ", out);
	print_json_str(rb->title, out);
	fputs(", \"alert\": ", out);
	print_json_str(rb->alert, out);
	fputs(", \"source\": [", out);
	for (size_t i = 0; i < c->nsources; i++) {
		char *red = http_redact_url(c->sources[i]);
		fputs(i ? ", " : "", out);
		print_json_str(red, out);
		free(red);
	}
	fputs("],\n \"steps\": [", out);
}

static int
run_runbook(const struct cli *c0)
{
	struct cli cc = *c0, *c = &cc;
	const char *one[2] = { NULL, NULL };
	struct runbook rb;
	struct ld_err err;
	struct backend *b;
	struct loader loader;
	struct jrec jr;
	int rc, worst = LD_OK;

	err_clear(&err);
	if (c->format != OUT_TABLE && c->format != OUT_MD && c->format != OUT_JSON) {
		fprintf(stderr, "logdive: runbook: -f md or -f json\n");
		return LD_EUSAGE;
	}
	if (load_runbook(c, c->name, &rb, &err) != LD_OK) {
		cli_error(&err);
		return LD_EUSAGE;
	}
	/* without a SOURCE, the one the steps' presets name */
	for (size_t i = 0; c->nsources == 0 && i < rb.nsteps; i++)
		if (rb.steps[i].preset.source) {
			one[0] = rb.steps[i].preset.source;
			c->sources = one;
			c->nsources = 1;
		}
	if (c->nsources == 0) {
		fprintf(stderr, "logdive: runbook %s needs a SOURCE: logdive runbook %s "
		    "SOURCE...\n", rb.name, rb.name);
		runbook_free(&rb);
		return LD_EUSAGE;
	}
	/* every step's syntax before any load */
	for (size_t i = 0; i < rb.nsteps; i++) {
		struct spec sp;
		char ql[48], gl[48];
		spec_for_step(c, &rb.steps[i], i + 1, &sp, ql, gl, sizeof ql);
		if (spec_check(&sp, &err) != LD_OK) {
			cli_error(&err);
			runbook_free(&rb);
			return LD_EUSAGE;
		}
	}
	if ((b = cli_open(c, &err)) == NULL) {
		cli_error(&err);
		runbook_free(&rb);
		return exit_status(err.status);
	}
	memset(&loader, 0, sizeof loader);
	rc = loader_start(&loader, b, &err);
	if (rc != LD_OK) {
		cli_error(&err);
		if (rc != LD_ESOURCE || b->progress.records == 0)
			goto out;
		err_clear(&err);
	}
	jrec_open(c, &jr);
	for (size_t i = 0; i < c->nsources; i++)
		jrec_add(&jr, JK_SOURCE, c->sources[i], NULL);
	{
		char *t = xasprintf("%s: %s", rb.name, rb.title);
		jrec_add(&jr, JK_RUNBOOK, t, NULL);
		free(t);
	}
	if (c->format == OUT_JSON)
		runbook_json_head(c, &rb, stdout);
	else
		runbook_md_head(c, &rb, stdout);
	for (size_t i = 0; i < rb.nsteps; i++) {
		rc = run_step(c, b, &rb.steps[i], i + 1, &jr, stdout);
		if (rc == LD_ESOURCE || rc == LD_ECANCEL) {
			worst = rc;
			break;
		}
		if (rc == LD_EUSAGE)
			worst = LD_EUSAGE;
	}
	if (c->format == OUT_JSON)
		fputs("]}\n", stdout);
	rc = check_stdout(worst);
	jrec_close(&jr);
out:
	fflush(stdout);
	loader_finish(&loader);
	if (b->warning[0])
		cli_warn(NULL, b->warning);
	backend_close(b);
	runbook_free(&rb);
	query_thread_done();
	return exit_status(rc);
}

/* ---- presets, runbooks ---- */

static int
run_presets(const struct cli *c)
{
	struct config cfg;
	struct preset_dirs d;
	struct ld_warn w = { cli_warn, NULL };
	struct ld_err err;
	struct preset *v;
	size_t n, bad;
	int rc = LD_OK;

	err_clear(&err);
	if (c->format != OUT_TABLE && c->format != OUT_JSON) {
		fprintf(stderr, "logdive: presets: -f table or -f json\n");
		return LD_EUSAGE;
	}
	if (config_load(&cfg, c->config, &err) != LD_OK) {
		cli_error(&err);
		return LD_EUSAGE;
	}
	preset_dirs_default(&d, "presets", (const char *const *)cfg.presets_path,
	    cfg.npresets_path);
	config_free(&cfg);
	if (c->sub != NULL) {		/* show NAME */
		struct preset p;
		rc = preset_find(&d, c->name, &p, &w, &err);
		if (rc == LD_OK) {
			json_t *o = preset_to_json(&p);
			json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
			json_decref(o);
			preset_free(&p);
		} else
			cli_error(&err);
		preset_dirs_free(&d);
		return check_stdout(rc);
	}
	bad = preset_list(&d, &v, &n, &w);
	if (c->format == OUT_JSON) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "name", v[i].name,
			    "origin", preset_origin_name(v[i].origin), "file", v[i].file,
			    "description", v[i].description));
		json_dumpf(a, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(a);
	} else {
		size_t wn = 4;
		for (size_t i = 0; i < n; i++)
			if (strlen(v[i].name) > wn)
				wn = strlen(v[i].name);
		printf("%-*s  %-7s  %s\n", (int)wn, "NAME", "FROM", "DESCRIPTION");
		for (size_t i = 0; i < n; i++) {
			char *desc = str_visible(v[i].description, strlen(v[i].description), 0);
			printf("%-*s  %-7s  %s\n", (int)wn, v[i].name,
			    preset_origin_name(v[i].origin), desc);
			free(desc);
		}
	}
	for (size_t i = 0; i < n; i++)
		preset_free(&v[i]);
	free(v);
	preset_dirs_free(&d);
	return check_stdout(bad ? LD_EUSAGE : LD_OK);
}

static int
run_runbooks(const struct cli *c)
{
	struct config cfg;
	struct preset_dirs pd, rd;
	struct ld_warn w = { cli_warn, NULL };
	struct ld_err err;
	struct runbook *v;
	size_t n, bad, wn = 4;

	err_clear(&err);
	if (config_load(&cfg, c->config, &err) != LD_OK) {
		cli_error(&err);
		return LD_EUSAGE;
	}
	preset_dirs_default(&pd, "presets", (const char *const *)cfg.presets_path,
	    cfg.npresets_path);
	preset_dirs_default(&rd, "runbooks", (const char *const *)cfg.presets_path,
	    cfg.npresets_path);
	config_free(&cfg);
	bad = runbook_list(&rd, &pd, &v, &n, &w);
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].name) > wn)
			wn = strlen(v[i].name);
	printf("%-*s  %-7s  %5s  %s\n", (int)wn, "NAME", "FROM", "STEPS", "TITLE");
	for (size_t i = 0; i < n; i++) {
		char *t = str_visible(v[i].title, strlen(v[i].title), 0);
		printf("%-*s  %-7s  %5zu  %s\n", (int)wn, v[i].name,
		    preset_origin_name(v[i].origin), v[i].nsteps, t);
		free(t);
		runbook_free(&v[i]);
	}
	free(v);
	preset_dirs_free(&pd);
	preset_dirs_free(&rd);
	return check_stdout(bad ? LD_EUSAGE : LD_OK);
}

/* ---- journal ---- */

static int
run_journal(const struct cli *c)
{
	struct journal *j;
	struct ld_err err;
	int64_t id = 0;
	int rc;

	err_clear(&err);
	if (strcmp(c->sub, "export") == 0) {
		char *end;
		if (c->format != OUT_TABLE && c->format != OUT_MD && c->format != OUT_JSON) {
			fprintf(stderr, "logdive: journal export: -f md or -f json\n");
			return LD_EUSAGE;
		}
		if (c->name) {
			errno = 0;
			id = strtoll(c->name, &end, 10);
			if (errno || *end || id < 1) {
				struct ld_err e;
				err_set(&e, LD_EUSAGE, "journal export %s: not an investigation "
				    "number (logdive journal list shows them)", c->name);
				fprintf(stderr, "logdive: %s\n", e.msg);
				return LD_EUSAGE;
			}
		}
	} else if (strcmp(c->sub, "list") == 0 && c->format != OUT_TABLE &&
	    c->format != OUT_JSON) {
		fprintf(stderr, "logdive: journal list: -f table or -f json\n");
		return LD_EUSAGE;
	}
	if (journal_open(NULL, &j, &err) != LD_OK) {
		cli_error(&err);
		return LD_EUSAGE;
	}
	if (strcmp(c->sub, "new") == 0) {
		rc = journal_new(j, c->text, time_now(), &id, &err);
		if (rc == LD_OK)
			printf("investigation %lld: %s\n", (long long)id, c->text);
	} else if (strcmp(c->sub, "finding") == 0) {
		rc = journal_current(j, "untitled", time_now(), &id, &err);
		if (rc == LD_OK)
			rc = journal_add(j, id, time_now(), JK_FINDING, c->text, NULL, &err);
		if (rc == LD_OK)
			printf("finding added to investigation %lld\n", (long long)id);
	} else if (strcmp(c->sub, "export") == 0)
		rc = journal_export(j, id, c->format != OUT_JSON, stdout, &err);
	else {
		struct journal_inv *v;
		size_t n;
		rc = journal_list(j, &v, &n, &err);
		if (rc == LD_OK && c->format == OUT_JSON) {
			json_t *a = json_array();
			char s1[48], s2[48];
			for (size_t i = 0; i < n; i++)
				json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:I}", "id",
				    (json_int_t)v[i].id, "title", v[i].title, "started",
				    time_format_iso(v[i].started, -1, s1, sizeof s1), "updated",
				    time_format_iso(v[i].updated, -1, s2, sizeof s2), "entries",
				    (json_int_t)v[i].nentries));
			json_dumpf(a, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
			json_decref(a);
		} else if (rc == LD_OK) {
			char s1[48], s2[48];
			printf("%4s  %-20s  %-20s  %7s  %s\n", "ID", "STARTED", "LAST", "ENTRIES",
			    "TITLE");
			for (size_t i = 0; i < n; i++) {
				char *t = str_visible(v[i].title, strlen(v[i].title), 0);
				printf("%4lld  %-20s  %-20s  %7zu  %s\n", (long long)v[i].id,
				    time_format_iso(v[i].started, 0, s1, sizeof s1),
				    time_format_iso(v[i].updated, 0, s2, sizeof s2), v[i].nentries, t);
				free(t);
			}
		}
		if (rc == LD_OK)
			journal_inv_free(v, n);
	}
	if (rc != LD_OK)
		cli_error(&err);
	journal_close(j);
	return check_stdout(rc);
}

int
cli_run(const struct cli *c)
{
	switch (c->cmd) {
	case CMD_PRESETS:
		return run_presets(c);
	case CMD_RUNBOOKS:
		return run_runbooks(c);
	case CMD_JOURNAL:
		return run_journal(c);
	case CMD_RUNBOOK:
		return run_runbook(c);
	case CMD_FORMATS:
		return cli_run_formats(c);
	default:
		return run_query(c);
	}
}
