#include "config.h"
#include "tui/cli.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/mapping.h"
#include "backends/conffile.h"
#include "backends/linequery.h"
#include "tui/output.h"
#include "queries/query.h"
#include "queries/timerange.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_FOLLOW = 256, OPT_LIMIT, OPT_MAX_LINE, OPT_NO_INDEX, OPT_ASCII, OPT_SORT,
	OPT_INSECURE, OPT_CONNECT_TIMEOUT, OPT_TIMEOUT };

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
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "no-index", no_argument, NULL, OPT_NO_INDEX },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
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
"\n"
"SOURCE is a JSON-lines file (plain or .gz), a glob, - for standard input,\n"
"es+https://HOST:9200/INDEX-PATTERN (Elasticsearch/OpenSearch; credentials\n"
"from ES_API_KEY or ES_USERNAME/ES_PASSWORD, CA from ES_CA_CERT), or the name\n"
"of a source in the config file.\n"
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
"  -f, --format FMT      table, json, jsonl or csv (default table)\n"
"  -m, --mapping FILE    JSON file mapping roles to field paths (see logdive(1))\n"
"  -c, --config FILE     config file with named sources (default\n"
"                        $XDG_CONFIG_HOME/logdive/config, if it exists)\n"
"      --follow          keep reading lines appended to the files\n"
"      --limit N         at most N records (requests)\n"
"      --sort KEY        requests order: time, -time, latency, -latency\n"
"                        (default time; latency means slowest first)\n"
"      --max-line BYTES  longest line read (default 16M); longer ones are\n"
"                        counted as too_long and skipped\n"
"      --no-index        do not read or write the index cache\n"
"      --insecure        do not verify TLS certificates (a warning stays on)\n"
"      --connect-timeout D, --timeout D\n"
"                        remote sources: connect (5s) and request (30s) limits\n"
"      --ascii           draw with ASCII only\n"
"  -h, --help            this help\n"
"  -V, --version         the version\n"
"\n"
"Exit status: 0 success, 1 no match, 2 usage or query error, 3 source error.\n"
"Environment: XDG_CONFIG_HOME (config), XDG_CACHE_HOME (index), NO_COLOR,\n"
"LOGDIVE_NOW (fixed 'now').\n"
"See logdive(1) for the query language, keys and the mapping file.\n", out);
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

int
cli_parse(int argc, char **argv, struct cli *c, struct ld_err *err)
{
	int ch, first = 1;

	memset(c, 0, sizeof *c);
	c->format = OUT_TABLE;
	c->sort = SORT_TIME_ASC;
	if (argc > 1) {
		if (strcmp(argv[1], "panels") == 0)
			c->cmd = CMD_PANELS;
		else if (strcmp(argv[1], "requests") == 0)
			c->cmd = CMD_REQUESTS;
		else if (strcmp(argv[1], "trace") == 0)
			c->cmd = CMD_TRACE;
		if (c->cmd != CMD_UI)
			first = 2;
	}
	optind = first;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":q:t:b:g:f:m:c:hV", long_opts, NULL)) != -1) {
		switch (ch) {
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
				    "json, jsonl or csv", optarg);
			break;
		case 'm': c->mapping = optarg; break;
		case 'c': c->config = optarg; break;
		case OPT_FOLLOW: c->follow = 1; break;
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
		case OPT_ASCII: c->ascii = 1; break;
		case OPT_SORT:
			if (strcmp(optarg, "time") == 0)
				c->sort = SORT_TIME_ASC;
			else if (strcmp(optarg, "-time") == 0)
				c->sort = SORT_TIME_DESC;
			else if (strcmp(optarg, "latency") == 0 || strcmp(optarg, "-latency") == 0)
				c->sort = optarg[0] == '-' ? SORT_LATENCY_ASC : SORT_LATENCY_DESC;
			else
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
	if (c->cmd == CMD_TRACE) {
		if (i >= argc)
			return err_set(err, LD_EUSAGE, "trace needs an ID: logdive trace ID SOURCE...");
		c->trace_id = argv[i++];
	}
	c->nsources = (size_t)(argc - i);
	c->sources = xcalloc(c->nsources + 1, sizeof *c->sources);
	for (size_t k = 0; k < c->nsources; k++)
		c->sources[k] = argv[i + (int)k];
	if (c->follow && c->cmd != CMD_UI)
		return err_set(err, LD_EUSAGE, "--follow works in the interactive dashboard "
		    "(logdive --follow FILE); the headless commands read what is there");
	if (c->nsources == 0)
		return err_set(err, LD_EUSAGE, "no source given: name a JSON-lines file, "
		    "a glob or - (try logdive share/samples/incident.jsonl.gz)");
	return LD_OK;
}

void
cli_free(struct cli *c)
{
	free(c->sources);
	c->sources = NULL;
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
	o.def = def;
	o.insecure = c->insecure;
	o.connect_timeout = c->connect_timeout;
	o.timeout = c->timeout;
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

int
cli_resolve_field(struct backend *b, const char *name, char **path, struct ld_err *err)
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
		char msg[sizeof err->msg + 8];
		snprintf(msg, sizeof msg, "-g: %s", err->msg);
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

int
cli_run(const struct cli *c)
{
	struct ld_err err;
	struct backend *b;
	struct q_node *q = NULL;
	struct query_opts qo;
	char *group_path = NULL;
	struct loader loader;
	int rc;

	err_clear(&err);
	memset(&loader, 0, sizeof loader);
	/* syntax errors before any loading */
	if (c->query) {
		q = query_parse(c->query, &err);
		if (q == NULL && err.status != LD_OK) {
			fprintf(stderr, "logdive: -q: %s\n", err.msg);
			return LD_EUSAGE;
		}
	}
	memset(&qo, 0, sizeof qo);
	if (c->range) {
		if (range_parse(c->range, time_now(), &qo.range, &err) != LD_OK) {
			fprintf(stderr, "logdive: -t: %s\n", err.msg);
			query_free(q);
			return LD_EUSAGE;
		}
		qo.has_range = 1;
	}
	qo.bucket = c->bucket;
	if ((b = cli_open(c, &err)) == NULL) {
		cli_error(&err);
		query_free(q);
		return exit_status(err.status);
	}
	/* A warm trace can come straight from the index, without a load (a
	 * query needs the fields a load finds). */
	if (c->cmd == CMD_TRACE && c->query == NULL) {
		struct hitlist l = {0};
		rc = b->ops->trace(b, c->trace_id, &l, &err);
		if (rc == LD_OK)
			rc = trace_narrow(b, &qo, &l, &err);
		if (rc != LD_EAGAIN) {
			if (rc == LD_OK)
				output_trace(b, c->trace_id, &l, c->format, stdout);
			else
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
	if (q) {
		const char *const *paths;
		size_t n;
		b->ops->fields(b, &paths, &n);
		if ((rc = query_resolve(q, paths, n, &err)) != LD_OK) {
			fprintf(stderr, "logdive: -q: %s\n", err.msg);
			goto out;
		}
	}
	qo.query = q;
	if ((rc = cli_resolve_field(b, c->group, &group_path, &err)) != LD_OK) {
		cli_error(&err);
		goto out;
	}
	qo.group_by = group_path;

	switch (c->cmd) {
	case CMD_PANELS: {
		struct panels p;
		rc = b->ops->panels(b, &qo, &p, &err);
		if (rc == LD_OK || rc == LD_NOMATCH) {
			if (c->format == OUT_JSON || c->format == OUT_JSONL)
				panels_print_json(&p, c->sources, c->nsources, stdout);
			else if (c->format == OUT_CSV)
				panels_print_csv(&p, stdout);
			else
				panels_print_table(&p, stdout);
			panels_free(&p);
		}
		if (rc != LD_OK)
			cli_error(&err);
		break;
	}
	case CMD_REQUESTS: {
		struct search_req rq;
		struct hitlist l = {0};
		memset(&rq, 0, sizeof rq);
		rq.q = qo;
		rq.min_latency = NAN;
		rq.sort = c->sort;
		rq.limit = c->limit;
		rc = b->ops->search(b, &rq, &l, &err);
		if (rc == LD_OK)
			output_hits(b, &l, c->format, stdout);
		else
			cli_error(&err);
		hitlist_free(&l);
		break;
	}
	case CMD_TRACE: {
		struct hitlist l = {0};
		rc = b->ops->trace(b, c->trace_id, &l, &err);
		if (rc == LD_OK)
			rc = trace_narrow(b, &qo, &l, &err);
		if (rc == LD_OK)
			output_trace(b, c->trace_id, &l, c->format, stdout);
		else
			cli_error(&err);
		hitlist_free(&l);
		break;
	}
	default:
		rc = LD_EUSAGE;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "logdive: cannot write the output: %s\n", strerror(errno));
		rc = LD_ESOURCE;
	}
out:
	fflush(stdout);
	loader_finish(&loader);
	if (b && b->warning[0])
		fprintf(stderr, "logdive: warning: %s\n", b->warning);
	free(group_path);
	query_free(q);
	backend_close(b);
	query_thread_done();
	return exit_status(rc);
}
