#include "config.h"
#include "tui/output.h"
#include "lib/buf.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <langinfo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/utf8.h"

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

/* --- text for a terminal ------------------------------------------------ */

struct ttyf {
	FILE		*real;
	int		 json;		/* \uXXXX escapes (the JSON stays valid) */
	int		 ascii;		/* the locale is not UTF-8: escape non-ASCII too */
	unsigned char	 pend[4];	/* a sequence split between two writes */
	size_t		 npend;
};

static void
ttyf_escape(struct ttyf *t, const unsigned char *p, size_t len, int valid)
{
	char e[16];
	uint32_t cp;

	if (!valid) {
		/* a byte that is no character: JSON keeps a replacement */
		if (t->json)
			fputs("\\ufffd", t->real);
		else
			fprintf(t->real, "\\x%02x", p[0]);
		return;
	}
	cp = utf8_decode((const char *)p, len);
	if (t->json) {
		if (cp > 0xffff)
			snprintf(e, sizeof e, "\\u%04x\\u%04x",
			    (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
			    (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
		else
			snprintf(e, sizeof e, "\\u%04x", (unsigned)cp);
	} else if (cp == 0x1b)
		snprintf(e, sizeof e, "\\e");
	else if (cp == '\r')
		snprintf(e, sizeof e, "\\r");
	else if (cp < 0x80)
		snprintf(e, sizeof e, "\\x%02x", (unsigned)cp);
	else
		snprintf(e, sizeof e, "\\u{%04x}", (unsigned)cp);
	fputs(e, t->real);
}

/* Write p[0..n) made safe; a sequence cut at the end waits in pend
 * unless last. */
static void
ttyf_put(struct ttyf *t, const unsigned char *p, size_t n, int last)
{
	size_t i = 0, from = 0, len, need, k;
	uint32_t cp;

	while (i < n) {
		unsigned char c = p[i];

		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
			i++;
			continue;
		}
		fwrite(p + from, 1, i - from, t->real);
		if (c < 0x80) {
			ttyf_escape(t, p + i, 1, 1);
			from = ++i;
			continue;
		}
		len = utf8_valid_len((const char *)p + i, n - i);
		if (len == 0) {
			need = utf8_seq_len(c);
			for (k = 1; k < need && i + k < n &&
			    (p[i + k] & 0xc0) == 0x80; k++)
				;
			if (!last && need > 1 && i + k == n) {
				/* cut by the buffer: finish it next time */
				memcpy(t->pend, p + i, n - i);
				t->npend = n - i;
				return;
			}
			ttyf_escape(t, p + i, 1, 0);
			from = ++i;
			continue;
		}
		cp = utf8_decode((const char *)p + i, len);
		if (utf8_cp_unsafe(cp) || t->ascii)
			ttyf_escape(t, p + i, len, 1);
		else
			fwrite(p + i, 1, len, t->real);
		from = i += len;
	}
	fwrite(p + from, 1, n - from, t->real);
}

static ssize_t
ttyf_write(void *cookie, const char *buf, size_t size)
{
	struct ttyf *t = cookie;
	unsigned char tmp[8];
	size_t take, i = 0;

	/* first complete the sequence a previous write left cut */
	while (t->npend > 0 && i < size) {
		take = t->npend;
		memcpy(tmp, t->pend, take);
		tmp[take] = (unsigned char)buf[i++];
		t->npend = 0;
		ttyf_put(t, tmp, take + 1, 0);
	}
	ttyf_put(t, (const unsigned char *)buf + i, size - i, 0);
	return ferror(t->real) ? -1 : (ssize_t)size;
}

static int
ttyf_close(void *cookie)
{
	struct ttyf *t = cookie;

	if (t->npend > 0)
		ttyf_put(t, t->pend, t->npend, 1);
	t->npend = 0;
	return 0;
}

static int
locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcasecmp(cs, "UTF-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0);
}

FILE *
output_tty_begin(FILE *out, int json, struct output_tty *ot)
{
	static const cookie_io_functions_t io = {
		NULL, ttyf_write, NULL, ttyf_close
	};
	struct ttyf *t;
	FILE *f;

	ot->real = out;
	ot->f = out;
	ot->cookie = NULL;
	if (!isatty(fileno(out)))
		return out;
	t = xcalloc(1, sizeof *t);
	t->real = out;
	t->json = json;
	t->ascii = !locale_utf8();
	if ((f = fopencookie(t, "w", io)) == NULL) {
		free(t);
		return out;
	}
	ot->f = f;
	ot->cookie = t;
	return f;
}

void
output_tty_end(struct output_tty *ot)
{
	if (ot->cookie == NULL)
		return;
	fclose(ot->f);
	free(ot->cookie);
	ot->cookie = NULL;
	ot->f = ot->real;
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
	else if (fabs(v) >= 1e15)	/* %f would not fit: 1e308 has 309 digits */
		snprintf(s, n, "%.17g", v);
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

static void
hits_write(struct backend *b, const struct hitlist *l, enum out_format f, FILE *out)
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

static void
trace_write(struct backend *b, const char *id, const struct hitlist *l,
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

void
output_hits(struct backend *b, const struct hitlist *l, enum out_format f, FILE *out)
{
	struct output_tty ot;

	out = output_tty_begin(out, f == OUT_JSON || f == OUT_JSONL, &ot);
	hits_write(b, l, f, out);
	output_tty_end(&ot);
}

void
output_trace(struct backend *b, const char *id, const struct hitlist *l,
    enum out_format f, FILE *out)
{
	struct output_tty ot;

	out = output_tty_begin(out, f == OUT_JSON || f == OUT_JSONL, &ot);
	trace_write(b, id, l, f, out);
	output_tty_end(&ot);
}
