/* The command line (DESIGN §7): parsing and the headless commands panels,
 * requests and trace. No curses: the TUI is started by main.c. */
#ifndef LD_CLI_H
#define LD_CLI_H
#include <stdint.h>
#include <stdio.h>
#include "backends/backend.h"

enum cli_cmd { CMD_UI, CMD_PANELS, CMD_REQUESTS, CMD_TRACE, CMD_HELP, CMD_VERSION };

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
	size_t		 limit;		/* 0: all */
	size_t		 max_line;	/* bytes */
	int		 no_index;
	int		 insecure;	/* --insecure */
	int64_t		 connect_timeout;	/* ns, 0: default */
	int64_t		 timeout;	/* ns, 0: default */
	int		 ascii;
	enum hit_sort	 sort;
	const char	*trace_id;
	const char	**sources;	/* points into argv; array owned by struct cli */
	size_t		 nsources;
};

/* Parse argv. Returns LD_OK, or LD_EUSAGE with a message naming the
 * option. Free with cli_free. */
int	cli_parse(int argc, char **argv, struct cli *c, struct ld_err *err);
void	cli_free(struct cli *c);
void	cli_usage(FILE *out);

/* Load the mapping (-m) and open the backend for c's sources (not yet
 * loaded). Returns NULL with err set. */
struct backend *cli_open(const struct cli *c, struct ld_err *err);

/* Resolve -g FIELD against the loaded fields into a full path (caller
 * frees). NULL name gives NULL and LD_OK. */
int	cli_resolve_field(struct backend *b, const char *name, char **path,
	    struct ld_err *err);

/* Run a headless command (panels, requests, trace). Returns the exit
 * status of DESIGN §7; errors are printed on stderr in one line. */
int	cli_run(const struct cli *c);

/* Print "logdive: MSG" on stderr for err (nothing for LD_OK). */
void	cli_error(const struct ld_err *err);

#endif
