/* logdive: wiring only. Headless commands go to tui/cli.c, the interactive
 * dashboard to tui/app.c. */
#include "config.h"
#include "tui/app.h"
#include "tui/cli.h"
#include "lib/err.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	struct cli c;
	struct ld_err err;
	int rc;

	setlocale(LC_ALL, "");
	/* numbers in and out (JSON, CSV, strtod) always use a '.' */
	setlocale(LC_NUMERIC, "C");
	signal(SIGPIPE, SIG_IGN);
	err_clear(&err);
	if (cli_parse(argc, argv, &c, &err) != LD_OK) {
		cli_error(&err);
		cli_free(&c);
		return LD_EUSAGE;
	}
	switch (c.cmd) {
	case CMD_HELP:
		cli_usage(stdout);
		rc = 0;
		break;
	case CMD_VERSION:
		printf("logdive %s\n", PACKAGE_VERSION);
		rc = 0;
		break;
	case CMD_UI: {
		struct backend *b = cli_open(&c, &err);
		if (b == NULL) {
			cli_error(&err);
			rc = err.status;
			break;
		}
		struct app_opts o = {
			.sources = c.sources, .nsources = c.nsources,
			.query_text = c.query, .range_text = c.range, .bucket = c.bucket,
			.group_by = c.group, .follow = c.follow, .ascii = c.ascii,
			.config = c.config, .no_journal = c.no_journal,
			.preset_name = c.preset ? c.preset_name : NULL, .view = c.view,
			.panel = c.panel, .sort = c.sort,
			.sort_given = c.sort_given || (c.preset && c.preset->sort),
			.above = c.above, .limit = c.limit, .runbook = c.runbook,
		};
		rc = app_run(b, &o, &err);
		if (rc != 0)
			cli_error(&err);
		backend_close(b);
		break;
	}
	default:
		rc = cli_run(&c);
	}
	cli_free(&c);
	return rc;
}
