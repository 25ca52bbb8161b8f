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
 * output is made visible (no control characters reach the terminal). */
void	output_hits(struct backend *b, const struct hitlist *l, enum out_format f,
	    FILE *out);

/* trace: json prints {"id": ID, "records": [...]} time-ordered; jsonl one
 * record per line; table a waterfall (offset from the first record, gap to
 * the previous one, service, event, latency, a bar; the slowest step, the
 * largest gap, marked with '*'); csv the waterfall's columns; md the
 * waterfall's columns as a Markdown table, the slowest step in bold. */
void	output_trace(struct backend *b, const char *id, const struct hitlist *l,
	    enum out_format f, FILE *out);

#endif
