#include "config.h"
#include "tui/output.h"
#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
out_format_parse(const char *s)
{
	if (strcmp(s, "table") == 0)
		return OUT_TABLE;
	if (strcmp(s, "json") == 0)
		return OUT_JSON;
	if (strcmp(s, "jsonl") == 0)
		return OUT_JSONL;
	if (strcmp(s, "csv") == 0)
		return OUT_CSV;
	if (strcmp(s, "md") == 0)
		return OUT_MD;
	return -1;
}

/* Visible, at most cols columns (0: no limit), printed with padding. */
static void
put_cell(FILE *out, const char *s, size_t cols, int pad)
{
	char *v = str_visible(s ? s : "-", s ? strlen(s) : 1, 0);
	char *t = cols ? str_trunc(v, cols, "~") : xstrdup(v);
	fputs(t, out);
	if (pad && cols) {
		for (size_t w = str_width(t); w < cols; w++)
			fputc(' ', out);
	}
	free(t);
	free(v);
}


static void
fmt_time(int64_t t, char *s, size_t n)
{
	if (t == TIME_NONE)
		snprintf(s, n, "-");
	else
		time_format_iso(t, 3, s, n);
}

static void
fmt_opt(double v, int decimals, char *s, size_t n)
{
	if (isnan(v))
		snprintf(s, n, "-");
	else
		snprintf(s, n, "%.*f", decimals, v);
}

/* Print the raw records of l, one per line, or as a JSON array body. */
static void
print_raw(struct backend *b, const struct hitlist *l, FILE *out, int array)
{
	for (size_t i = 0; i < l->n; i++) {
		char *rec = b->ops->record(b, &l->v[i], NULL);
		if (array)
			fputs(i ? ",\n  " : "\n  ", out);
		fputs(rec ? rec : "null", out);
		if (!array)
			fputc('\n', out);
		free(rec);
	}
}

/* A Markdown cell: "-" for none. */
static void
md_cell(struct buf *b, const char *s)
{
	buf_adds(b, " ");
	md_text(b, s && *s ? s : "-");
	buf_adds(b, " |");
}

static void
hits_md(const struct hitlist *l, FILE *out)
{
	struct buf b = BUF_INIT;
	char ts[48], lat[32], conf[32];

	buf_adds(&b, "| Time (UTC) | Service | Variant | Latency ms | Confidence | Level | "
	    "Message |\n|---|---|---|---:|---:|---|---|\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct hit *h = &l->v[i];
		fmt_time(h->t, ts, sizeof ts);
		fmt_opt(h->latency, 1, lat, sizeof lat);
		fmt_opt(h->confidence, 2, conf, sizeof conf);
		buf_printf(&b, "| %s |", ts);
		md_cell(&b, h->service);
		md_cell(&b, h->group);
		buf_printf(&b, " %s | %s |", lat, conf);
		md_cell(&b, h->level);
		md_cell(&b, h->message ? h->message : h->event);
		buf_addc(&b, '\n');
	}
	if (l->total > l->n)
		buf_printf(&b, "\n%zu of %zu records.\n", l->n, l->total);
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

void
output_hits(struct backend *b, const struct hitlist *l, enum out_format f, FILE *out)
{
	char ts[48], lat[32], conf[32];

	switch (f) {
	case OUT_JSONL:
		print_raw(b, l, out, 0);
		return;
	case OUT_JSON:
		fprintf(out, "{\"total\": %zu, \"records\": [", l->total);
		print_raw(b, l, out, 1);
		fputs(l->n ? "\n]}\n" : "]}\n", out);
		return;
	case OUT_CSV:
		fputs("time,service,group,latency_ms,confidence,level,event,trace_id,"
		    "request_id,message\n", out);
		for (size_t i = 0; i < l->n; i++) {
			const struct hit *h = &l->v[i];
			fmt_time(h->t, ts, sizeof ts);
			fmt_opt(h->latency, 3, lat, sizeof lat);
			fmt_opt(h->confidence, 4, conf, sizeof conf);
			fprintf(out, "%s,", h->t == TIME_NONE ? "" : ts);
			csv_put(out, h->service);
			fputc(',', out);
			csv_put(out, h->group);
			fprintf(out, ",%s,%s,", isnan(h->latency) ? "" : lat,
			    isnan(h->confidence) ? "" : conf);
			csv_put(out, h->level);
			fputc(',', out);
			csv_put(out, h->event);
			fputc(',', out);
			csv_put(out, h->trace_id);
			fputc(',', out);
			csv_put(out, h->request_id);
			fputc(',', out);
			csv_put(out, h->message);
			fputc('\n', out);
		}
		return;
	case OUT_MD:
		hits_md(l, out);
		return;
	case OUT_TABLE:
		break;
	}
	fprintf(out, "%-24s %-26s %-16s %10s %6s %-5s %s\n", "time", "service", "variant",
	    "latency", "conf", "level", "message");
	for (size_t i = 0; i < l->n; i++) {
		const struct hit *h = &l->v[i];
		fmt_time(h->t, ts, sizeof ts);
		fmt_opt(h->latency, 1, lat, sizeof lat);
		fmt_opt(h->confidence, 2, conf, sizeof conf);
		fprintf(out, "%-24s ", ts);
		put_cell(out, h->service, 26, 1);
		fputc(' ', out);
		put_cell(out, h->group, 16, 1);
		fprintf(out, " %10s %6s ", lat, conf);
		put_cell(out, h->level, 5, 1);
		fputc(' ', out);
		put_cell(out, h->message ? h->message : h->event, 60, 0);
		fputc('\n', out);
	}
	if (l->total > l->n && l->capped)
		fprintf(out, "(%zu of %zu records, sorted among the first by time; --all fetches "
		    "every match)\n", l->n, l->total);
	else if (l->total > l->n)
		fprintf(out, "(%zu of %zu records; --limit N or --all for more)\n", l->n,
		    l->total);
}

void
output_trace(struct backend *b, const char *id, const struct hitlist *l,
    enum out_format f, FILE *out)
{
	struct buf bb = BUF_INIT;
	char ts[48], lat[32];

	switch (f) {
	case OUT_JSONL:
		print_raw(b, l, out, 0);
		return;
	case OUT_JSON:
		buf_adds(&bb, "{\"id\": ");
		buf_add_json_string(&bb, id, strlen(id));
		fputs(bb.p, out);
		buf_free(&bb);
		fputs(", \"records\": [", out);
		print_raw(b, l, out, 1);
		fputs(l->n ? "\n]}\n" : "]}\n", out);
		return;
	default:
		break;
	}
	int64_t t0 = l->n ? l->v[0].t : 0, tend = t0;
	size_t slow = 0;
	int64_t slowgap = -1;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].t != TIME_NONE && l->v[i].t > tend)
			tend = l->v[i].t;
		if (i > 0 && l->v[i].t - l->v[i - 1].t > slowgap) {
			slowgap = l->v[i].t - l->v[i - 1].t;
			slow = i;
		}
	}
	double span = (double)(tend - t0);
	if (f == OUT_CSV)
		fputs("time,offset_ms,gap_ms,service,event,latency_ms,slowest\n", out);
	else if (f == OUT_MD) {
		buf_printf(&bb, "Trace ");
		md_code(&bb, id);
		buf_printf(&bb, ": %zu records over %.3f ms.\n\n| Time (UTC) | Offset ms | Gap ms "
		    "| Service | Event | Latency ms |\n|---|---:|---:|---|---|---:|\n", l->n,
		    span / 1e6);
	} else {
		char *v = str_visible(id, strlen(id), 0);
		fprintf(out, "trace %s: %zu records over %.3f ms\n", v, l->n, span / 1e6);
		free(v);
		fprintf(out, "%-24s %10s %10s  %-26s %-20s %10s  time\n", "time", "offset",
		    "gap", "service", "event", "latency");
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct hit *h = &l->v[i];
		double off = (double)(h->t - t0) / 1e6;
		double gap = i ? (double)(h->t - l->v[i - 1].t) / 1e6 : 0;
		fmt_time(h->t, ts, sizeof ts);
		fmt_opt(h->latency, 1, lat, sizeof lat);
		if (f == OUT_MD) {
			int mark = l->n > 1 && i == slow;
			buf_printf(&bb, "| %s | %.1f | %s%.1f%s |", ts, off, mark ? "**" : "", gap,
			    mark ? "**" : "");
			md_cell(&bb, h->service);
			md_cell(&bb, h->event);
			buf_printf(&bb, " %s |\n", lat);
			continue;
		}
		if (f == OUT_CSV) {
			fprintf(out, "%s,%.3f,%.3f,", ts, off, gap);
			csv_put(out, h->service);
			fputc(',', out);
			csv_put(out, h->event);
			fprintf(out, ",%s,%d\n", isnan(h->latency) ? "" : lat,
			    l->n > 1 && i == slow);
			continue;
		}
		fprintf(out, "%-24s %8.1fms %8.1fms  ", ts, off, gap);
		put_cell(out, h->service, 26, 1);
		fputc(' ', out);
		put_cell(out, h->event, 20, 1);
		fprintf(out, " %10s  ", lat);
		/* the bar spans the gap this step took: previous record to this one */
		int width = 30;
		double prevoff = i ? (double)(l->v[i - 1].t - t0) : 0;
		int startc = span > 0 ? (int)(prevoff / span * (width - 1)) : 0;
		int endc = span > 0 ? (int)(off * 1e6 / span * (width - 1)) + 1 : 1;
		if (endc <= startc)
			endc = startc + 1;
		if (endc > width)
			endc = width;
		int last = l->n > 1 && i == slow ? width : endc;
		for (int c = 0; c < last; c++)
			fputc(c < startc ? ' ' : c < endc ? '#' : ' ', out);
		if (l->n > 1 && i == slow)
			fputs(" * slowest step", out);
		fputc('\n', out);
	}
	if (f == OUT_MD) {
		if (l->n > 1) {
			const struct hit *h = &l->v[slow];
			buf_adds(&bb, "\nSlowest step (in bold): ");
			md_text(&bb, h->service ? h->service : "-");
			buf_adds(&bb, " ");
			md_text(&bb, h->event ? h->event : "-");
			buf_printf(&bb, ", %.1f ms after the previous record.\n",
			    (double)slowgap / 1e6);
		}
		fwrite(bb.p, 1, bb.len, out);
		buf_free(&bb);
	}
}
