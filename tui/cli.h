/* The command line (DESIGN §7): parsing and the headless commands panels,
 * requests, trace, runbook, and presets, runbooks, journal (issue 5). No
 * curses: the TUI is started by main.c. */
#ifndef LD_CLI_H
#define LD_CLI_H
#include <stdint.h>
#include <stdio.h>
#include "backends/backend.h"
#include "queries/preset.h"
#include "queries/runbook.h"

enum cli_cmd { CMD_UI, CMD_PANELS, CMD_REQUESTS, CMD_TRACE, CMD_RUNBOOK, CMD_PRESETS,
	CMD_RUNBOOKS, CMD_JOURNAL, CMD_FORMATS, CMD_HELP, CMD_VERSION };

struct cli {
	enum cli_cmd	 cmd;
	const char	*query;		/* -q */
	const char	*range;		/* -t */
	int64_t		 bucket;	/* -b, ns; 0 automatic */
	const char	*group;		/* -g, as typed */
	int		 format;	/* -f, enum out_format */
	const char	*mapping;	/* -m */
	const char	*config;	/* -c; NULL: the default file if there is one */
	int		 follow;
	size_t		 limit;		/* 0: all (up to a remote list cap) */
	int		 all;		/* --all: every match, no list cap */
	size_t		 max_line;	/* bytes */
	int		 no_index;
	int		 insecure;	/* --insecure */
	int64_t		 connect_timeout;	/* ns, 0: default */
	int64_t		 timeout;	/* ns, 0: default */
	size_t		 max_body;	/* --max-body, bytes; 0: default */
	int		 ascii;
	enum hit_sort	 sort;
	const char	*trace_id;
	const char	**sources;	/* points into argv (or the preset); array owned
					   by struct cli */
	size_t		 nsources;
	/* issue 5 */
	const char	*preset_name;	/* -p */
	struct preset	*preset;	/* -p loaded (owned); query, range, group and
					   sources above may point into it */
	char		 query_label[96];	/* "-q", or "preset NAME: query" */
	char		 group_label[96];	/* "-g", or "preset NAME: group_by" */
	int		 sort_given;	/* --sort was given */
	int		 above;		/* from the preset: 0, 50, 95, 99 */
	enum preset_view view;		/* from the preset */
	const char	*panel;		/* from the preset (view panel) */
	const char	*runbook_name;	/* -r (the interactive dashboard only) */
	struct runbook	*runbook;	/* -r loaded (owned) */
	int		 no_journal;	/* --no-journal */
	const char	*sub;		/* presets: "show"; journal: new, list, export,
					   finding; NULL: list */
	const char	*name;		/* runbook NAME, presets show NAME, journal
					   export ID */
	char		*text;		/* journal new TITLE / finding TEXT (owned) */
	/* issue 7 */
	const char	*log_format;	/* --log-format NAME, or NULL: detect */
	const char	*tz;		/* --tz ZONE (already applied: tf_set_tz) */
	size_t		 lines;		/* formats test -n N; 0: 20 */
};

/* Parse argv. Returns LD_OK, or LD_EUSAGE with a message naming the
 * option. With -p, loads the preset (searched as preset_dirs_default with
 * the config's presets_path) and fills query, range, bucket, group, sort,
 * limit and sources from it where the command line gave none; an unknown
 * or bad preset, or a source it names that the config lacks, is
 * LD_EUSAGE. With -r (the interactive dashboard only, not with -p), loads
 * the runbook into runbook (its steps' presets resolved); without a
 * SOURCE, the source a step's preset names is used. Free with cli_free. */
int	cli_parse(int argc, char **argv, struct cli *c, struct ld_err *err);
void	cli_free(struct cli *c);

/* logdive formats: list the text log formats (name, origin, file,
 * description; -f json too), or with sub "test", show how each of the first
 * c->lines (20) lines of the file c->sources[0] parses with format c->name
 * (tui/fmtcmd.c). Returns the exit status: 2 for an unknown or refused
 * format, 3 for an unreadable file, 1 if no line matched. */
int	cli_run_formats(const struct cli *c);
void	cli_usage(FILE *out);

/* Load the mapping (-m) and open the backend for c's sources (not yet
 * loaded). Returns NULL with err set. */
struct backend *cli_open(const struct cli *c, struct ld_err *err);

/* Resolve -g FIELD against the loaded fields into a full path (caller
 * frees). NULL name gives NULL and LD_OK. */
int	cli_resolve_field(struct backend *b, const char *name, char **path,
	    struct ld_err *err);

/* Run a headless command (panels, requests, trace, runbook, presets,
 * runbooks, journal). Returns the exit status of DESIGN §7; errors are
 * printed on stderr in one line. panels, requests, trace and runbook
 * record what they showed in the journal (queries/journal.h) unless
 * --no-journal; a journal that cannot be written is warned about and the
 * command goes on. */
int	cli_run(const struct cli *c);

/* Print "logdive: MSG" on stderr for err (nothing for LD_OK). */
void	cli_error(const struct ld_err *err);

#endif
