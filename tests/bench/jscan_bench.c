/*
 * jscan_bench FILE [RUNS [MODE]]: read a JSON-lines file into memory, then scan
 * every line with the default role paths of DESIGN §2 (plus shape hash),
 * RUNS times (default 3), and print the best throughput (thread CPU time,
 * so a busy machine disturbs it less) and the lines by verdict. A second pass validates only (no paths, no shape). Build, e.g.:
 *
 *	gcc -std=c11 -O2 -I. -Ibuild -include config.h \
 *	    tests/bench/jscan_bench.c backends/jscan.c lib/buf.c lib/utf8.c \
 *	    lib/xalloc.c -lm -pthread -o jscan_bench
 */
#include "config.h"
#include "backends/jscan.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const role_paths[] = {
	"timestamp", "@timestamp", "correlation_id", "trace.id", "request_id",
	"service", "service.name", "log_level", "log.level", "level",
	"event_type", "inference_metrics.latency_ms",
	"model_metadata.serving_variant", "model_metadata.model_version",
	"output.confidence_scores", "input_features.cache_hit",
	"anomaly_signals.drift_score", "message", "error.message"
};
#define NPATHS (sizeof role_paths / sizeof role_paths[0])

static const char *const verdict_name[] = {
	"ok", "not_json", "not_object", "bad_utf8", "too_deep"
};

struct result {
	size_t	 lines;
	size_t	 verdicts[5];
	size_t	 found;		/* extracted values */
	uint64_t sum;		/* of shapes, so the work is not optimised out */
	double	 secs;
};

/* CPU time of this thread: other work on a shared machine does not count. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *lenp)
{
	size_t cap = 1 << 20, len = 0;
	char *b = xmalloc(cap);
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		fatal("%s: %s", path, strerror(errno));
	for (;;) {
		if (len == cap)
			b = xrealloc(b, cap *= 2);
		if ((n = read(fd, b + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("%s: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*lenp = len;
	return b;
}

static void
run(const struct jscan_paths *ps, const char *b, size_t len, int shape,
    struct result *r)
{
	struct jv out[NPATHS];
	const char *p = b, *end = b + len, *nl;
	double t0 = now();
	size_t i;

	memset(r, 0, sizeof *r);
	while (p < end) {
		uint64_t sh = 0;
		size_t l;
		int v;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		l = (size_t)(nl - p);
		v = jscan_line(ps, p, l, out, shape ? &sh : NULL);
		r->lines++;
		r->verdicts[v]++;
		if (v == JSCAN_OK) {
			r->sum += sh;
			if (ps != NULL)
				for (i = 0; i < NPATHS; i++)
					r->found += out[i].type != JV_MISSING;
		}
		p = nl + 1;
	}
	r->secs = now() - t0;
}

static void
report(const char *what, const struct result *best, size_t len)
{
	size_t i;

	printf("%-22s %8.1f MB/s  %6.3f s  %zu lines  %.0f ns/line",
	    what, (double)len / best->secs / 1e6, best->secs, best->lines,
	    best->secs * 1e9 / (double)(best->lines ? best->lines : 1));
	for (i = 0; i < 5; i++)
		if (best->verdicts[i])
			printf("  %s=%zu", verdict_name[i], best->verdicts[i]);
	if (best->found)
		printf("  values=%zu", best->found);
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct jscan_paths *ps;
	struct result r, best;
	size_t len;
	char *b;
	int runs = 3, mode = 0, i;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: jscan_bench FILE [RUNS [MODE]]\n");
		return 2;
	}
	if (argc >= 3 && (runs = atoi(argv[2])) < 1)
		runs = 1;
	if (argc == 4)
		mode = atoi(argv[3]);
	b = slurp(argv[1], &len);
	if ((ps = jscan_paths_new(role_paths, NPATHS)) == NULL)
		fatal("jscan_paths_new failed");
	printf("%s: %zu bytes, %zu paths, best of %d\n", argv[1], len,
	    (size_t)NPATHS, runs);

	if (mode == 0 || mode == 1) {
		for (i = 0; i < runs; i++) {
			run(ps, b, len, 1, &r);
			if (i == 0 || r.secs < best.secs)
				best = r;
		}
		report("paths+shape", &best, len);
	}
	if (mode == 0 || mode == 2) {
		for (i = 0; i < runs; i++) {
			run(ps, b, len, 0, &r);
			if (i == 0 || r.secs < best.secs)
				best = r;
		}
		report("paths", &best, len);
	}
	if (mode == 0 || mode == 3) {
		for (i = 0; i < runs; i++) {
			run(NULL, b, len, 0, &r);
			if (i == 0 || r.secs < best.secs)
				best = r;
		}
		report("validate only", &best, len);
	}
	jscan_paths_free(ps);
	free(b);
	return 0;
}
