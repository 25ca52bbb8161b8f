/* Headless output of hits and traces (DESIGN §7): the same data the TUI
 * lists show, as table, json, jsonl or csv. */
#ifndef LD_OUTPUT_H
#define LD_OUTPUT_H
#include <stdio.h>
#include "backends/backend.h"
#include "lib/strutil.h"

enum out_format { OUT_TABLE, OUT_JSON, OUT_JSONL, OUT_CSV, OUT_MD };

/* Parse "table", "json", "jsonl", "csv", "md". Returns -1 if unknown. */
int	out_format_parse(const char *s);

/* requests: table/csv print the list columns (time, service, group,
 * latency, confidence, level, message); jsonl prints each record as it was
 * in the source, one per line; json prints {"total": N, "records": [...]}.
 * md prints the table's columns as a Markdown table (panels.h md_text).
 * Records are fetched with b->ops->record. Log text in table and md
 * output is made visible; written to a terminal, every format is passed
 * through output_tty_begin (no control characters reach the terminal). */
void	output_hits(struct backend *b, const struct hitlist *l, enum out_format f,
	    FILE *out);

/* trace: json prints {"id": ID, "records": [...]} time-ordered; jsonl one
 * record per line; table a waterfall (offset from the first record, gap to
 * the previous one, service, event, latency, a bar; the slowest step, the
 * largest gap, marked with '*'); csv the waterfall's columns; md the
 * waterfall's columns as a Markdown table, the slowest step in bold. */
void	output_trace(struct backend *b, const char *id, const struct hitlist *l,
	    enum out_format f, FILE *out);

/* Text for a terminal. When out is a terminal, output_tty_begin returns
 * a stream that passes what is written to it on to out with every control
 * character (but newline and tab), C1 control, bidi control, line or
 * paragraph separator and invalid UTF-8 byte made visible (with json set,
 * as \uXXXX escapes, so that JSON stays valid and means the same; else as
 * the TUI shows them: \e, \r, \x07, \u{009b}), and, when the locale is not
 * UTF-8, every non-ASCII character too. Otherwise it returns out itself,
 * untouched. output_tty_end flushes and closes that stream (not out).
 * output_hits and output_trace use it; a command printing log text
 * elsewhere (panels) should too. */
struct output_tty {
	FILE	*real, *f;
	void	*cookie;
};
FILE	*output_tty_begin(FILE *out, int json, struct output_tty *ot);
void	 output_tty_end(struct output_tty *ot);

#endif
