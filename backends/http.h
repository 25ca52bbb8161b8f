/* logdive's one HTTP client, on libcurl: the Elasticsearch and Loki
 * backends send every request through it. No curses.
 *
 * What it does for them: timeouts, TLS (verification on unless insecure,
 * a CA file, a client certificate), one Authorization scheme and extra
 * headers, a cap on the body, retries of overload answers with backoff
 * (RFC 9110 §15.6.4 503, RFC 6585 §4 429, Retry-After per RFC 9110
 * §10.2.3 with HTTP-dates per §5.6.7), a cancel flag, several requests at
 * once (curl_multi), and one-line messages that never hold a credential.
 *
 * What it leaves to them: HTTP statuses are answers, not errors; a 400,
 * 401, 404 or 500 comes back in struct http_resp for the backend to
 * explain in its own terms (http_status_err is the fallback). Redirects
 * are never followed (a 3xx comes back with its Location), so credentials
 * never travel to another host; proxies come from the environment
 * (http_env_proxy: http_proxy, HTTP_PROXY, https_proxy, all_proxy,
 * no_proxy...), and messages about them name the proxy, redacted.
 *
 * Credentials: a secret (password, token, API key) is held by the client
 * and sent in the Authorization header, nothing else; messages name where
 * it came from ("ES_API_KEY"), never its value, and show URLs through
 * http_redact_url. Memory holding a secret is wiped before it is freed.
 *
 * Threads: a client may be used by several threads at once once built;
 * curl_global_init runs once for the process (pthread_once). */
#ifndef LD_HTTP_H
#define LD_HTTP_H
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

#define HTTP_CONNECT_TIMEOUT_MS	5000L
#define HTTP_TIMEOUT_MS		30000L
#define HTTP_MAX_BODY		((size_t)256 << 20)
#define HTTP_MAX_RETRIES	3
#define HTTP_BACKOFF_MS		500L	/* first wait; doubles, with jitter */
#define HTTP_MAX_WAIT_MS	60000L	/* longest single wait before a retry */
#define HTTP_MAX_PARALLEL	8	/* connections of one batch */

enum http_auth {
	HTTP_AUTH_NONE,
	HTTP_AUTH_BASIC,	/* Authorization: Basic b64(user:secret) (RFC 7617) */
	HTTP_AUTH_BEARER,	/* Authorization: Bearer secret (RFC 6750 §2.1) */
	HTTP_AUTH_APIKEY	/* Authorization: ApiKey secret (Elasticsearch) */
};

/* How to reach a server. Every string is owned by the conf (NULL: unset):
 * set them with http_conf_set, release everything with http_conf_free.
 * http_conf_init gives the defaults above. */
struct http_conf {
	long	 connect_timeout_ms;	/* TCP + TLS handshake */
	long	 timeout_ms;		/* one whole attempt, connect included */
	size_t	 max_body;		/* a bigger response body is refused,
					 * after at most max_body bytes read
					 * (--max-body, config "max_body") */
	int	 max_retries;		/* retries after the first attempt, of
					 * 429, 502, 503, 504 and of connections
					 * reset or closed without an answer */
	long	 backoff_ms;
	long	 max_wait_ms;		/* a longer Retry-After is not waited */
	int	 max_parallel;
	int	 insecure;		/* no TLS verification (say so on screen) */
	char	*ca_file;		/* PEM bundle; NULL: the system's */
	char	*client_cert;		/* PEM; TLS client authentication */
	char	*client_key;
	enum http_auth auth;
	char	*user;			/* HTTP_AUTH_BASIC */
	char	*secret;		/* password, token or encoded API key */
	char	*secret_name;		/* its source for messages: "ES_API_KEY" */
	char	*ca_hint;		/* the setting messages suggest for a CA:
					 * "ES_CA_CERT"; NULL: "a CA file" */
	char	**headers;		/* "Name: value", sent on every request */
	size_t	 nheaders;
};

void	http_conf_init(struct http_conf *c);
void	http_conf_free(struct http_conf *c);	/* wipes the secret */
/* Replace a string field of a conf with a copy of s (NULL clears it). */
void	http_conf_set(char **field, const char *s);
/* Add "name: value" to conf->headers (e.g. X-Scope-OrgID for Loki). */
void	http_conf_add_header(struct http_conf *c, const char *name,
	    const char *value);

/* Fill a conf from the environment, the way the backend's users already
 * name things (unset and empty variables are ignored):
 *   HTTP_ENV_ES:   ES_API_KEY (the "encoded" key, or id:key which is
 *                  base64'd), ES_USERNAME + ES_PASSWORD, ES_BEARER_TOKEN,
 *                  ES_CA_CERT, ES_CLIENT_CERT + ES_CLIENT_KEY
 *   HTTP_ENV_LOKI: LOKI_USERNAME + LOKI_PASSWORD, LOKI_BEARER_TOKEN,
 *                  LOKI_BEARER_TOKEN_FILE (see http_read_secret_file),
 *                  LOKI_ORG_ID (header X-Scope-OrgID), LOKI_CA_CERT_PATH,
 *                  LOKI_CLIENT_CERT_PATH + LOKI_CLIENT_KEY_PATH,
 *                  LOKI_TLS_SKIP_VERIFY (true/1/yes; false/0/no)
 * Two schemes at once, half a pair (user without password, cert without
 * key), an unreadable or too open token file, or a bad boolean: LD_EUSAGE
 * with a message naming the variables. Fields the environment does not
 * set are left as they were. */
enum http_env { HTTP_ENV_ES, HTTP_ENV_LOKI };
int	http_conf_from_env(struct http_conf *c, enum http_env which,
	    struct ld_err *err);

/* Read a secret from a file (a token, a password): the file must be a
 * regular file not accessible to group or others (mode 0600 or stricter),
 * else LD_EUSAGE "NAME: PATH is accessible by others (mode 0644) — chmod
 * 600 PATH". Trailing white space is dropped; at most 64 KiB. *out is the
 * caller's to free (wipe it first: http_wipe_free). name is what the
 * message calls the setting (e.g. "LOKI_BEARER_TOKEN_FILE"). */
int	http_read_secret_file(const char *path, const char *name, char **out,
	    struct ld_err *err);
void	http_wipe_free(char *s);

/* The credential for messages: "no credentials", "API key from
 * ES_API_KEY", "basic auth from ES_USERNAME/ES_PASSWORD"... Never the value.
 * Returns out (>= 128 bytes is enough). */
char	*http_auth_desc(const struct http_conf *c, char *out, size_t outlen);

/* A URL fit to show: the userinfo removed ("https://u:pw@h:9200/x" ->
 * "https://h:9200/x") and the value of every query parameter whose name
 * looks like a secret (holds key, token, pass, pwd, secret, auth, sig,
 * cred or session, ASCII case-insensitive, after percent-decoding)
 * replaced by "***". Anything without "://" comes back unchanged. The
 * caller frees; never NULL. */
char	*http_redact_url(const char *url);

struct http_client;

/* A client with a copy of c. Never NULL (allocation failure is fatal). */
struct http_client *http_client_new(const struct http_conf *c);
void	 http_client_free(struct http_client *cl);
const struct http_conf *http_client_conf(const struct http_client *cl);

struct http_resp;

struct http_req {
	const char	*method;	/* NULL: GET, or POST with a body */
	const char	*url;		/* http:// or https:// */
	const char	*body;		/* borrowed until the call returns */
	size_t		 body_len;
	/* "Name: value" lines after the client's, NULL-terminated; may be
	 * NULL. A body without a Content-Type here goes as application/json. */
	const char *const *headers;
	/* May a 429/502/503/504 be retried? NULL: yes. Called with the
	 * answer (body included), e.g. to refuse an Elasticsearch circuit
	 * breaker with "durability": "PERMANENT". */
	int		(*can_retry)(const struct http_resp *r, void *arg);
	void		*arg;
};

struct http_resp {
	long	 status;		/* last HTTP status; 0 if none came */
	char	*content_type;		/* these headers, NULL if absent */
	char	*retry_after;
	char	*location;
	char	*www_authenticate;	/* the first one */
	struct buf body;		/* NUL-terminated, at most max_body */
	int	 retries;		/* attempts made after the first */
	double	 seconds;		/* wall time, waits included */
	uint64_t bytes_sent;		/* on the wire: headers + bodies */
	uint64_t bytes_received;
};

void	http_resp_free(struct http_resp *r);

/* Send one request. resp need not be initialised: it is overwritten
 * (free it with http_resp_free, also after an error). cancel (may be
 * NULL) is polled at least every 50 ms, during transfers and during
 * waits; a non-zero value ends the request.
 * Returns LD_OK when a response came, whatever its status — including a
 * 429/503 that could not be retried because its Retry-After exceeds
 * max_wait_ms; LD_ECANCEL ("cancelled"); LD_EUSAGE for a URL that is
 * not http(s); or LD_ESOURCE with one line (transport_err in http.c):
 * cannot connect (refused, no route, connect timeout), host not found,
 * TLS (untrusted certificate, wrong name, handshake, CA file, client
 * certificate), request timeout, body too large, cut short, reset, and
 * "still 503 ... after 3 retries" (then resp holds that last answer
 * too). Messages show the URL redacted, its query as "?…", and only
 * scheme://host:port for connection problems. */
int	http_request(struct http_client *cl, const struct http_req *req,
	    struct http_resp *resp, _Atomic int *cancel, struct ld_err *err);

/* Send n requests at once (at most max_parallel connections), each with
 * its own retries. resps[i] and errs[i] as for http_request. Returns
 * LD_OK if every request got a response, LD_ECANCEL if cancel was raised
 * (unfinished requests then say "cancelled"), else LD_ESOURCE. */
int	http_batch(struct http_client *cl, const struct http_req *reqs,
	    struct http_resp *resps, struct ld_err *errs, size_t n,
	    _Atomic int *cancel);

/* The generic message for an HTTP status >= 300, for a backend with
 * nothing better to say (url as in the messages above): "URL: 404 Not
 * Found: TYPE: REASON" from an
 * Elasticsearch error envelope, the "error" or "message" string of another
 * JSON body, a text body's first line, or an HTML page's title (at most
 * 200 bytes, control characters escaped); 401/403 add the credential
 * (http_auth_desc); 429/503 add Retry-After's wait; a 3xx says where it
 * points and that redirects are not followed. Returns LD_ESOURCE. */
int	http_status_err(const struct http_client *cl, const char *url,
	    const struct http_resp *r, struct ld_err *err);

/* Blank out, in err->msg, every copy of the client's secret and of the
 * credential it sends (the base64 of user:password for basic auth) with
 * "***". The messages of this file are already scrubbed; a backend calls
 * it on a message it makes from a server's answer. */
void	http_scrub(const struct http_client *cl, struct ld_err *err);

/* The proxy a request to url goes through, from the environment, the way
 * curl(1) reads it plus HTTP_PROXY: for http://, http_proxy, else
 * HTTP_PROXY (unless REQUEST_METHOD is set: a CGI program, where
 * HTTP_PROXY comes from the client, "httpoxy"); for https://,
 * https_proxy, else HTTPS_PROXY; then all_proxy, ALL_PROXY. None when
 * no_proxy (else NO_PROXY) names the host: "*", a comma- or
 * space-separated list of host names (which match the name and its
 * subdomains, a leading dot ignored), IP addresses and IPv4 CIDR ranges
 * (10.0.0.0/8). Unset and empty variables are ignored. Returns a new
 * string (free it), or NULL for a direct connection; *var (may be NULL)
 * is the variable's name, for messages. The request then uses exactly
 * that proxy (CURLOPT_PROXY), or none. */
char	*http_env_proxy(const char *url, const char **var);

/* A size: digits with an optional K, M or G (binary: 1K = 1024 bytes),
 * optionally followed by "iB" or "B" ("256M", "1GiB", "65536"). Returns 0
 * and *out, or -1 for anything else, 0, or an overflow. */
int	http_parse_size(const char *s, size_t *out);
/* "256 MiB", "1 GiB", "1.5 MiB", "1000 bytes". Returns out. */
char	*http_fmt_size(size_t n, char *out, size_t outlen);

/* The reason phrase of a status (RFC 9110 §15), "" if unknown. */
const char *http_reason(long status);

#endif
