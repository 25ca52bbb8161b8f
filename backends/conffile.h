/* The config file: named sources (DESIGN §7, issue 3 §1). JSON at
 * $XDG_CONFIG_HOME/logdive/config (default ~/.config/logdive/config) or
 * the file given with -c:
 *
 *   {"logdive_config": 1,
 *    "sources": {"prod": {"url": "es+https://es:9200/ml-inference-*",
 *                          "api_key_env": "ES_API_KEY",
 *                          "ca_cert": "/etc/ssl/es-ca.pem",
 *                          "trace_sources": ["ml-inference-*", "gateway-*"]}},
 *    "presets_path": ["~/team/logdive-presets"]}
 *
 * Credentials are never in the file: only the NAMES of environment
 * variables (*_env) or paths of files (*_file, mode 0600 or stricter)
 * that hold them. A key that would hold a secret itself ("password",
 * "api_key", "token", ...) is refused. */
#ifndef LD_CONFFILE_H
#define LD_CONFFILE_H
#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"

#define CONFIG_VERSION 1

struct source_def {
	char	*name;
	char	*url;			/* es+https://…, loki+https://…, or a file/glob */
	char	*api_key_env;		/* names of environment variables ... */
	char	*username_env;
	char	*password_env;
	char	*bearer_token_env;
	char	*password_file;		/* ... or files (0600) holding the secret */
	char	*bearer_token_file;
	char	*ca_cert;		/* paths */
	char	*client_cert;
	char	*client_key;
	char	*org_id;		/* Loki tenant (X-Scope-OrgID); not a secret */
	char	*mapping;		/* a mapping file for this source */
	int	 insecure;		/* skip TLS verification (warned about) */
	char	**trace_sources;	/* index patterns / selectors searched by trace */
	size_t	 ntrace_sources;
	int64_t	 connect_timeout;	/* ns; 0: default */
	int64_t	 timeout;		/* ns; 0: default */
	size_t	 max_body;		/* "max_body": bytes; 0: default (256 MiB) */
};

struct config {
	char			*file;		/* the file read, or NULL if none */
	struct source_def	*sources;
	size_t			 nsources;
	char			**presets_path;
	size_t			 npresets_path;
};

/* Read file, or the default path when file is NULL (a missing default
 * file is an empty config, not an error). Errors are LD_EUSAGE naming the
 * file and the key: not JSON, unknown keys, wrong types, a secret written
 * in the file, a newer "logdive_config" version. "~/" at the start of a
 * path is expanded. On error c is empty. Free with config_free. */
int	config_load(struct config *c, const char *file, struct ld_err *err);
void	config_free(struct config *c);

/* The source named name, or NULL. */
const struct source_def *config_source(const struct config *c, const char *name);

/* Read a secret from path: refused (LD_EUSAGE) unless it is a regular
 * file of this user with no group or other permission (mode 0600 or
 * stricter). One trailing newline is dropped. *out is the caller's
 * (wipe and free it). The secret never appears in err. */
int	config_read_secret_file(const char *path, char **out, struct ld_err *err);

#endif
