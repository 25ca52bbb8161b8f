/* The HTTP client (http.h): every request runs on a curl multi handle,
 * polled in slices of at most 50 ms so that the cancel flag is seen
 * quickly whatever libcurl is waiting for; a single request is a batch of
 * one. Retries are a wait between two attempts, each on a fresh easy
 * handle; connections stay open in the multi handles the client pools. */
#include "config.h"
#include "backends/http.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS		50
#define POOL_MAX	4
#define SECRET_FILE_MAX	65536
#define SHOW_MAX	200	/* bytes of a server's text in a message */

struct http_client {
	struct http_conf conf;
	char		*auth_header;	/* "Authorization: ..." or NULL */
	CURLSH		*share;		/* DNS and TLS sessions */
	pthread_mutex_t	 share_mu;
	pthread_mutex_t	 pool_mu;
	CURLM		*pool[POOL_MAX];
	int		 npool;
};

enum jstate { J_WAIT, J_RUN, J_DONE };

struct job {
	struct http_client	*cl;
	const struct http_req	*req;
	struct http_resp	*resp;
	struct ld_err		*err;
	_Atomic int		*cancel;
	CURL			*easy;
	struct curl_slist	*hdrs;
	enum jstate		 state;
	int64_t			 wake;		/* J_WAIT: start at (mono ns) */
	int64_t			 t0;
	int			 too_big;
	char			*proxy;		/* this attempt's (http_env_proxy) */
	const char		*proxy_var;	/* where it came from */
	uint64_t		 rng;
	char			 errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void
global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatal("cannot initialise libcurl");
}

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

void
http_wipe_free(char *s)
{
	if (s == NULL)
		return;
	wipe(s, strlen(s));
	free(s);
}

/* ---- configuration ---- */

void
http_conf_init(struct http_conf *c)
{
	memset(c, 0, sizeof *c);
	c->connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS;
	c->timeout_ms = HTTP_TIMEOUT_MS;
	c->max_body = HTTP_MAX_BODY;
	c->max_retries = HTTP_MAX_RETRIES;
	c->backoff_ms = HTTP_BACKOFF_MS;
	c->max_wait_ms = HTTP_MAX_WAIT_MS;
	c->max_parallel = HTTP_MAX_PARALLEL;
}

void
http_conf_free(struct http_conf *c)
{
	free(c->ca_file);
	free(c->client_cert);
	free(c->client_key);
	free(c->user);
	http_wipe_free(c->secret);
	free(c->secret_name);
	free(c->ca_hint);
	for (size_t i = 0; i < c->nheaders; i++)
		free(c->headers[i]);
	free(c->headers);
	http_conf_init(c);
}

void
http_conf_set(char **field, const char *s)
{
	char *old = *field;

	*field = s ? xstrdup(s) : NULL;
	http_wipe_free(old);
}

void
http_conf_add_header(struct http_conf *c, const char *name, const char *value)
{
	char *h = xasprintf("%s: %s", name, value);

	/* a line break would start another header */
	for (char *p = h; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	c->headers = xreallocarray(c->headers, c->nheaders + 1, sizeof *c->headers);
	c->headers[c->nheaders++] = h;
}

static char *
base64(const char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = tab[u[i] >> 2];
		*o++ = tab[(u[i] & 3) << 4 | u[i + 1] >> 4];
		*o++ = tab[(u[i + 1] & 15) << 2 | u[i + 2] >> 6];
		*o++ = tab[u[i + 2] & 63];
	}
	if (i < n) {
		*o++ = tab[u[i] >> 2];
		if (i + 1 < n) {
			*o++ = tab[(u[i] & 3) << 4 | u[i + 1] >> 4];
			*o++ = tab[(u[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(u[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* ---- from the environment ---- */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int
http_read_secret_file(const char *path, const char *name, char **out,
    struct ld_err *err)
{
	struct stat st;
	char *s;
	ssize_t n;
	size_t len = 0;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return err_set(err, LD_EUSAGE, "%s: cannot open %s: %s", name,
		    path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, LD_EUSAGE, "%s: %s is not a regular file",
		    name, path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return err_set(err, LD_EUSAGE, "%s: %s is accessible by others "
		    "(mode %04o) — chmod 600 %s", name, path,
		    (unsigned)(st.st_mode & 07777), path);
	}
	s = xmalloc(SECRET_FILE_MAX + 1);
	while (len < SECRET_FILE_MAX &&
	    (n = read(fd, s + len, SECRET_FILE_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			wipe(s, len);
			free(s);
			close(fd);
			return err_set(err, LD_EUSAGE, "%s: cannot read %s: %s",
			    name, path, strerror(errno));
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == SECRET_FILE_MAX) {
		wipe(s, len);
		free(s);
		return err_set(err, LD_EUSAGE, "%s: %s is larger than 64 KiB; "
		    "it should hold one token", name, path);
	}
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	s[len] = '\0';
	*out = s;
	return LD_OK;
}

/* A secret must fit in one header line. */
static int
check_secret(const char *name, const char *v, struct ld_err *err)
{
	for (const char *p = v; *p; p++)
		if (*p == '\r' || *p == '\n')
			return err_set(err, LD_EUSAGE, "%s holds a line break",
			    name);
	return LD_OK;
}

static int
parse_bool(const char *name, const char *v, int *out, struct ld_err *err)
{
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcasecmp(v, "yes") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcasecmp(v, "no") == 0)
		*out = 0;
	else
		return err_set(err, LD_EUSAGE, "%s: expected true or false, "
		    "not \"%s\"", name, v);
	return LD_OK;
}

struct env_names {
	const char *user, *password, *bearer, *bearer_file, *apikey;
	const char *ca, *cert, *key, *org, *skip_verify;
};

static const struct env_names es_names = {
	"ES_USERNAME", "ES_PASSWORD", "ES_BEARER_TOKEN", NULL, "ES_API_KEY",
	"ES_CA_CERT", "ES_CLIENT_CERT", "ES_CLIENT_KEY", NULL, NULL
};
static const struct env_names loki_names = {
	"LOKI_USERNAME", "LOKI_PASSWORD", "LOKI_BEARER_TOKEN",
	"LOKI_BEARER_TOKEN_FILE", NULL, "LOKI_CA_CERT_PATH",
	"LOKI_CLIENT_CERT_PATH", "LOKI_CLIENT_KEY_PATH", "LOKI_ORG_ID",
	"LOKI_TLS_SKIP_VERIFY"
};

int
http_conf_from_env(struct http_conf *c, enum http_env which, struct ld_err *err)
{
	const struct env_names *nm = which == HTTP_ENV_ES ? &es_names : &loki_names;
	const char *user = env(nm->user), *pw = env(nm->password);
	const char *bearer = env(nm->bearer);
	const char *bfile = nm->bearer_file ? env(nm->bearer_file) : NULL;
	const char *apikey = nm->apikey ? env(nm->apikey) : NULL;
	const char *v, *set[4];
	char *secret = NULL, *both;
	int nset = 0, rc, b = 0;

	/* one scheme */
	if (apikey)
		set[nset++] = nm->apikey;
	if (user || pw)
		set[nset++] = which == HTTP_ENV_ES ? "ES_USERNAME/ES_PASSWORD" :
		    "LOKI_USERNAME/LOKI_PASSWORD";
	if (bearer)
		set[nset++] = nm->bearer;
	if (bfile)
		set[nset++] = nm->bearer_file;
	if (nset > 1)
		return err_set(err, LD_EUSAGE, "%s and %s are both set — keep "
		    "one way to authenticate", set[0], set[1]);
	if (user && !pw)
		return err_set(err, LD_EUSAGE, "%s is set but %s is not",
		    nm->user, nm->password);
	if (pw && !user)
		return err_set(err, LD_EUSAGE, "%s is set but %s is not",
		    nm->password, nm->user);
	if (user && strchr(user, ':') != NULL)
		return err_set(err, LD_EUSAGE, "%s must not hold a colon",
		    nm->user);
	if (apikey) {
		if ((rc = check_secret(nm->apikey, apikey, err)) != LD_OK)
			return rc;
		/* "id:api_key" is base64'd; else it is already "encoded" */
		secret = strchr(apikey, ':') ? base64(apikey, strlen(apikey)) :
		    xstrdup(apikey);
		c->auth = HTTP_AUTH_APIKEY;
		http_conf_set(&c->secret_name, nm->apikey);
	} else if (user) {
		if ((rc = check_secret(nm->user, user, err)) != LD_OK ||
		    (rc = check_secret(nm->password, pw, err)) != LD_OK)
			return rc;
		secret = xstrdup(pw);
		c->auth = HTTP_AUTH_BASIC;
		http_conf_set(&c->user, user);
		both = xasprintf("%s/%s", nm->user, nm->password);
		http_conf_set(&c->secret_name, both);
		free(both);
	} else if (bearer) {
		if ((rc = check_secret(nm->bearer, bearer, err)) != LD_OK)
			return rc;
		secret = xstrdup(bearer);
		c->auth = HTTP_AUTH_BEARER;
		http_conf_set(&c->secret_name, nm->bearer);
	} else if (bfile) {
		if ((rc = http_read_secret_file(bfile, nm->bearer_file, &secret,
		    err)) != LD_OK)
			return rc;
		if (*secret == '\0' || check_secret(nm->bearer_file, secret,
		    err) != LD_OK) {
			http_wipe_free(secret);
			return err_set(err, LD_EUSAGE, "%s: %s should hold one "
			    "token on one line", nm->bearer_file, bfile);
		}
		c->auth = HTTP_AUTH_BEARER;
		http_conf_set(&c->secret_name, nm->bearer_file);
	}
	if (secret) {
		http_wipe_free(c->secret);
		c->secret = secret;
	}

	if ((v = env(nm->ca)) != NULL)
		http_conf_set(&c->ca_file, v);
	http_conf_set(&c->ca_hint, nm->ca);
	if (env(nm->key) && !env(nm->cert))
		return err_set(err, LD_EUSAGE, "%s is set but %s is not",
		    nm->key, nm->cert);
	if ((v = env(nm->cert)) != NULL)
		http_conf_set(&c->client_cert, v);
	if ((v = env(nm->key)) != NULL)
		http_conf_set(&c->client_key, v);
	if (nm->org && (v = env(nm->org)) != NULL) {
		if (strpbrk(v, "\r\n") != NULL)
			return err_set(err, LD_EUSAGE, "%s holds a line break",
			    nm->org);
		http_conf_add_header(c, "X-Scope-OrgID", v);
	}
	if (nm->skip_verify && (v = env(nm->skip_verify)) != NULL) {
		if ((rc = parse_bool(nm->skip_verify, v, &b, err)) != LD_OK)
			return rc;
		c->insecure = b;
	}
	return LD_OK;
}

char *
http_auth_desc(const struct http_conf *c, char *out, size_t outlen)
{
	static const char *const kind[] = {
		"no credentials", "basic auth", "bearer token", "API key"
	};

	if (c->auth == HTTP_AUTH_NONE || c->secret_name == NULL)
		snprintf(out, outlen, "%s", kind[c->auth]);
	else
		snprintf(out, outlen, "%s from %s", kind[c->auth],
		    c->secret_name);
	return out;
}

/* ---- redaction ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Does the query parameter name s[0..n) look like it names a secret? */
static int
secret_param(const char *s, size_t n)
{
	static const char *const words[] = {
		"key", "token", "pass", "pwd", "secret", "auth", "sig", "cred",
		"session"
	};
	char name[128];
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < sizeof name; i++) {
		int c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) << 4 | hexval(s[i + 2]);
			i += 2;
		} else if (c == '+')
			c = ' ';
		name[o++] = (char)c;
	}
	name[o] = '\0';
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (str_casestr(name, words[i]) != NULL)
			return 1;
	return 0;
}

char *
http_redact_url(const char *url)
{
	struct buf b = BUF_INIT;
	const char *p, *auth, *end, *at, *q, *frag;

	if ((p = strstr(url, "://")) == NULL)
		return xstrdup(url);
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	buf_add(&b, url, (size_t)(auth - url));
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at)
		auth = at + 1;
	q = end + strcspn(end, "?#");
	buf_add(&b, auth, (size_t)(q - auth));
	if (*q == '?') {
		frag = q + strcspn(q, "#");
		buf_addc(&b, '?');
		for (p = q + 1; p < frag; ) {
			size_t len = strcspn(p, "&#");
			const char *eq = memchr(p, '=', len);
			if (eq && secret_param(p, (size_t)(eq - p))) {
				buf_add(&b, p, (size_t)(eq - p));
				buf_adds(&b, "=***");
			} else
				buf_add(&b, p, len);
			p += len;
			if (p < frag && *p == '&') {
				buf_addc(&b, '&');
				p++;
			}
		}
		q = frag;
	}
	buf_adds(&b, q);
	return buf_detach(&b);
}

/* The redacted URL for messages: "scheme://host:port" alone (origin) or
 * with the path, the query shown as "?…". */
static char *
show_url(const char *url, int origin)
{
	char *r = http_redact_url(url), *p, *s;
	size_t n;

	if ((p = strstr(r, "://")) == NULL)
		p = r;
	else
		p += 3;
	n = (size_t)(p - r) + strcspn(p, origin ? "/?#" : "?#");
	s = xasprintf("%.*s%s", (int)n, r,
	    !origin && (r[n] == '?') ? "?…" : "");
	free(r);
	return s;
}

/* Replace every copy of s[0..n) in msg with "***". */
static void
blank(char *msg, const char *s, size_t n)
{
	char *pat, *p;

	if (n < 4)
		return;
	pat = xstrndup(s, n);
	while ((p = strstr(msg, pat)) != NULL) {
		memmove(p + 3, p + n, strlen(p + n) + 1);
		memcpy(p, "***", 3);
	}
	http_wipe_free(pat);
}

/* Blank out any copy of the secret, or of the credential made of it,
 * that reached a message (http_scrub). */
static void
scrub(const struct http_conf *c, const char *auth_header, struct ld_err *err)
{
	const char *cred;
	size_t n;

	if (err == NULL)
		return;
	if (c->secret != NULL)
		blank(err->msg, c->secret, strlen(c->secret));
	if (auth_header != NULL && (cred = strrchr(auth_header, ' ')) != NULL) {
		/* "Basic dXNlcjpwdw==": also without its padding */
		n = strlen(++cred);
		blank(err->msg, cred, n);
		while (n > 0 && cred[n - 1] == '=')
			n--;
		blank(err->msg, cred, n);
	}
}

void
http_scrub(const struct http_client *cl, struct ld_err *err)
{
	scrub(&cl->conf, cl->auth_header, err);
}

/* ---- proxies from the environment ---- */

/* The first of a, b set (b may be NULL), its name in *var. */
static const char *
env_any(const char *a, const char *b, const char **var)
{
	const char *v;

	if ((v = env(a)) != NULL) {
		if (var)
			*var = a;
		return v;
	}
	if (b != NULL && (v = env(b)) != NULL) {
		if (var)
			*var = b;
		return v;
	}
	return NULL;
}

/* The host of url, lower case, without brackets or port. */
static void
url_host(const char *url, char *host, size_t hostlen)
{
	const char *p = strstr(url, "://"), *e, *q, *h;
	size_t n = 0;

	p = p ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	for (q = p; q < e; q++)
		if (*q == '@')
			p = q + 1;
	if (*p == '[') {
		h = ++p;
		while (p < e && *p != ']')
			p++;
	} else {
		h = p;
		for (q = p; q < e; q++)
			if (*q == ':')
				break;
		p = q;
	}
	for (; h < p && n + 1 < hostlen; h++)
		host[n++] = (char)tolower((unsigned char)*h);
	host[n] = '\0';
}

/* Is the IP address host in the CIDR range or address tok ("10.0.0.0/8",
 * "::1")? */
static int
cidr_match(const char *host, const char *tok, size_t toklen)
{
	unsigned char a[16], b[16];
	char addr[64];
	const char *slash = memchr(tok, '/', toklen);
	size_t alen = slash ? (size_t)(slash - tok) : toklen;
	int fam, bits, maxbits, i;

	if (alen >= sizeof addr)
		return 0;
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	maxbits = fam == AF_INET ? 32 : 128;
	if (inet_pton(fam, addr, a) != 1 || inet_pton(fam, host, b) != 1)
		return 0;
	bits = maxbits;
	if (slash) {
		bits = 0;
		for (const char *d = slash + 1; d < tok + toklen; d++) {
			if (*d < '0' || *d > '9' || bits > maxbits)
				return 0;
			bits = bits * 10 + (*d - '0');
		}
		if (bits > maxbits || slash + 1 == tok + toklen)
			return 0;
	}
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != b[i])
			return 0;
	return bits == 0 || ((a[i] ^ b[i]) & (0xff << (8 - bits)) & 0xff) == 0;
}

/* Does the no_proxy list name host? */
static int
no_proxy_match(const char *host, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n;
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		if (n == 1 && *p == '*')
			return 1;
		if (*p == '.') {
			p++;
			n--;
		}
		if (n > 0 && n < 256) {
			size_t hl = strlen(host);
			if (cidr_match(host, p, n))
				return 1;
			if (hl == n && strncasecmp(host, p, n) == 0)
				return 1;
			if (hl > n && host[hl - n - 1] == '.' &&
			    strncasecmp(host + hl - n, p, n) == 0)
				return 1;
		}
		p += n;
	}
	return 0;
}

char *
http_env_proxy(const char *url, const char **var)
{
	const char *v = NULL, *np;
	char host[256];

	if (var)
		*var = NULL;
	if (strncasecmp(url, "https://", 8) == 0)
		v = env_any("https_proxy", "HTTPS_PROXY", var);
	else if (strncasecmp(url, "http://", 7) == 0)
		v = env_any("http_proxy", getenv("REQUEST_METHOD") ? NULL :
		    "HTTP_PROXY", var);
	if (v == NULL)
		v = env_any("all_proxy", "ALL_PROXY", var);
	if (v == NULL)
		return NULL;
	url_host(url, host, sizeof host);
	if ((np = env("no_proxy")) == NULL)
		np = env("NO_PROXY");
	if (np && no_proxy_match(host, np)) {
		if (var)
			*var = NULL;
		return NULL;
	}
	return xstrdup(v);
}

/* The proxy for messages: "http://host:port (from https_proxy)". */
static char *
show_proxy(const char *proxy, const char *var)
{
	char *u = strstr(proxy, "://") ? xstrdup(proxy) :
	    xasprintf("http://%s", proxy);
	char *o = show_url(u, 1), *s;

	s = xasprintf("%s (from %s)", o, var ? var : "the environment");
	free(o);
	free(u);
	return s;
}

/* ---- sizes ---- */

int
http_parse_size(const char *s, size_t *out)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	switch (*p) {
	case 'k': case 'K': mul = 1ULL << 10; p++; break;
	case 'm': case 'M': mul = 1ULL << 20; p++; break;
	case 'g': case 'G': mul = 1ULL << 30; p++; break;
	}
	if (mul > 1 && (p[0] == 'i' || p[0] == 'I') && (p[1] == 'b' || p[1] == 'B'))
		p += 2;
	else if (p[0] == 'b' || p[0] == 'B')
		p++;
	if (*p != '\0' || v == 0 || v > SIZE_MAX / 2 / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

char *
http_fmt_size(size_t n, char *out, size_t outlen)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;
	double d = (double)n;

	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, outlen, "%zu bytes", n);
	else if (d == (double)(long long)d)
		snprintf(out, outlen, "%lld %s", (long long)d, unit[u]);
	else
		snprintf(out, outlen, "%.1f %s", d, unit[u]);
	return out;
}

/* ---- the client ---- */

static void
share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *arg)
{
	struct http_client *cl = arg;

	pthread_mutex_lock(&cl->share_mu);
}

static void
share_unlock(CURL *h, curl_lock_data d, void *arg)
{
	struct http_client *cl = arg;

	pthread_mutex_unlock(&cl->share_mu);
}

static char **
strv_dup(char **v, size_t n)
{
	char **d = n ? xcalloc(n, sizeof *d) : NULL;

	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct http_client *
http_client_new(const struct http_conf *c)
{
	struct http_client *cl = xcalloc(1, sizeof *cl);
	struct http_conf *k = &cl->conf;
	char *up, *b64;

	pthread_once(&global_once, global_init);
	*k = *c;
	k->ca_file = dup_or_null(c->ca_file);
	k->client_cert = dup_or_null(c->client_cert);
	k->client_key = dup_or_null(c->client_key);
	k->user = dup_or_null(c->user);
	k->secret = dup_or_null(c->secret);
	k->secret_name = dup_or_null(c->secret_name);
	k->ca_hint = dup_or_null(c->ca_hint);
	k->headers = strv_dup(c->headers, c->nheaders);
	if (k->connect_timeout_ms <= 0)
		k->connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS;
	if (k->timeout_ms <= 0)
		k->timeout_ms = HTTP_TIMEOUT_MS;
	if (k->max_body == 0)
		k->max_body = HTTP_MAX_BODY;
	if (k->max_retries < 0)
		k->max_retries = 0;
	if (k->backoff_ms <= 0)
		k->backoff_ms = HTTP_BACKOFF_MS;
	if (k->max_wait_ms < 0)
		k->max_wait_ms = 0;
	if (k->max_parallel <= 0)
		k->max_parallel = HTTP_MAX_PARALLEL;

	switch (k->auth) {
	case HTTP_AUTH_BASIC:
		up = xasprintf("%s:%s", k->user ? k->user : "",
		    k->secret ? k->secret : "");
		b64 = base64(up, strlen(up));
		cl->auth_header = xasprintf("Authorization: Basic %s", b64);
		http_wipe_free(b64);
		http_wipe_free(up);
		break;
	case HTTP_AUTH_BEARER:
		cl->auth_header = xasprintf("Authorization: Bearer %s",
		    k->secret ? k->secret : "");
		break;
	case HTTP_AUTH_APIKEY:
		cl->auth_header = xasprintf("Authorization: ApiKey %s",
		    k->secret ? k->secret : "");
		break;
	case HTTP_AUTH_NONE:
		break;
	}

	pthread_mutex_init(&cl->share_mu, NULL);
	pthread_mutex_init(&cl->pool_mu, NULL);
	if ((cl->share = curl_share_init()) == NULL)
		fatal("out of memory");
	curl_share_setopt(cl->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(cl->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(cl->share, CURLSHOPT_USERDATA, cl);
	curl_share_setopt(cl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(cl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	return cl;
}

void
http_client_free(struct http_client *cl)
{
	if (cl == NULL)
		return;
	for (int i = 0; i < cl->npool; i++)
		curl_multi_cleanup(cl->pool[i]);
	curl_share_cleanup(cl->share);
	pthread_mutex_destroy(&cl->share_mu);
	pthread_mutex_destroy(&cl->pool_mu);
	http_wipe_free(cl->auth_header);
	http_conf_free(&cl->conf);
	free(cl);
}

const struct http_conf *
http_client_conf(const struct http_client *cl)
{
	return &cl->conf;
}

static CURLM *
multi_get(struct http_client *cl)
{
	CURLM *m = NULL;

	pthread_mutex_lock(&cl->pool_mu);
	if (cl->npool > 0)
		m = cl->pool[--cl->npool];
	pthread_mutex_unlock(&cl->pool_mu);
	if (m == NULL) {
		if ((m = curl_multi_init()) == NULL)
			fatal("out of memory");
		curl_multi_setopt(m, CURLMOPT_MAXCONNECTS,
		    (long)cl->conf.max_parallel);
	}
	return m;
}

static void
multi_put(struct http_client *cl, CURLM *m)
{
	pthread_mutex_lock(&cl->pool_mu);
	if (cl->npool < POOL_MAX) {
		cl->pool[cl->npool++] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&cl->pool_mu);
	if (m)
		curl_multi_cleanup(m);
}

void
http_resp_free(struct http_resp *r)
{
	free(r->content_type);
	free(r->retry_after);
	free(r->location);
	free(r->www_authenticate);
	buf_free(&r->body);
	memset(r, 0, sizeof *r);
}

static void
resp_reset_headers(struct http_resp *r)
{
	free(r->content_type);
	free(r->retry_after);
	free(r->location);
	free(r->www_authenticate);
	r->content_type = r->retry_after = r->location = NULL;
	r->www_authenticate = NULL;
}

/* ---- callbacks ---- */

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;

	if (len > j->cl->conf.max_body - j->resp->body.len) {
		j->too_big = 1;
		return 0;	/* CURLE_WRITE_ERROR ends the transfer */
	}
	buf_add(&j->resp->body, p, len);
	return len;
}

static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} keep[] = {
		{ "content-type", offsetof(struct http_resp, content_type) },
		{ "retry-after", offsetof(struct http_resp, retry_after) },
		{ "location", offsetof(struct http_resp, location) },
		{ "www-authenticate", offsetof(struct http_resp, www_authenticate) },
	};
	struct job *j = arg;
	size_t len = size * n, k, i;
	const char *v, *e;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue, say) */
		resp_reset_headers(j->resp);
		return len;
	}
	for (i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		k = strlen(keep[i].name);
		if (len <= k || p[k] != ':' || strncasecmp(p, keep[i].name, k) != 0)
			continue;
		v = p + k + 1;
		e = p + len;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && strchr(" \t\r\n", e[-1]) != NULL)
			e--;
		char **field = (char **)((char *)j->resp + keep[i].off);
		if (*field == NULL)
			*field = xstrndup(v, (size_t)(e - v));
		break;
	}
	return len;
}

static int
progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct job *j = arg;

	return j->cancel != NULL && *j->cancel != 0;
}

/* ---- Retry-After (RFC 9110 §10.2.3) ---- */

/* An HTTP-date (RFC 9110 §5.6.7) in any of its three forms: IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37
 * GMT", asctime "Sun Nov  6 08:49:37 1994". In each the first number is
 * the day and the second the year. Returns 0 and seconds since the epoch. */
static int
http_date(const char *s, int64_t *out)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int num[2], nnum = 0, mon = 0, h = -1, mi = 0, sec = 0, now_y;
	char iso[32];
	int64_t ns;
	time_t now = time(NULL);
	struct tm tm;

	while (*s) {
		size_t n = strcspn(s, " ,-");
		if (n == 3 && mon == 0) {
			for (int i = 0; i < 12; i++)
				if (strncasecmp(s, months + 3 * i, 3) == 0)
					mon = i + 1;
		}
		if (n > 0 && s[0] >= '0' && s[0] <= '9') {
			if (n == 8 && s[2] == ':' && s[5] == ':') {
				if (sscanf(s, "%2d:%2d:%2d", &h, &mi, &sec) != 3)
					return -1;
			} else if (nnum < 2 && n <= 4)
				num[nnum++] = atoi(s);
			else
				return -1;
		}
		s += n;
		s += strspn(s, " ,-");
	}
	if (nnum != 2 || mon == 0 || h < 0)
		return -1;
	if (num[1] < 100) {
		/* RFC 850 years: more than 50 years ahead is the past century */
		gmtime_r(&now, &tm);
		now_y = tm.tm_year + 1900;
		num[1] += now_y / 100 * 100;
		if (num[1] > now_y + 50)
			num[1] -= 100;
	}
	snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", num[1], mon,
	    num[0], h, mi, sec);
	if (time_parse_iso(iso, strlen(iso), &ns, NULL) != 0)
		return -1;
	*out = ns / NS_PER_SEC;
	return 0;
}

/* The wait Retry-After asks for, in ms (0 for a date in the past), or -1
 * if there is none or it cannot be read. */
static long
retry_after_ms(const char *v)
{
	int64_t when;
	long long secs;
	char *end;

	if (v == NULL)
		return -1;
	if (*v >= '0' && *v <= '9') {
		errno = 0;
		secs = strtoll(v, &end, 10);
		if (*end != '\0')
			return -1;
		if (errno == ERANGE || secs > 86400L * 365)
			secs = 86400L * 365;
		return (long)(secs * 1000);
	}
	if (http_date(v, &when) != 0)
		return -1;
	when -= (int64_t)time(NULL);
	if (when <= 0)
		return 0;
	return when > 86400L * 365 ? 86400L * 365 * 1000 : (long)(when * 1000);
}

static uint64_t
rnd(struct job *j)
{
	/* xorshift64*: jitter only */
	j->rng ^= j->rng >> 12;
	j->rng ^= j->rng << 25;
	j->rng ^= j->rng >> 27;
	return j->rng * UINT64_C(2685821657736338717);
}

/* ---- one attempt ---- */

static int
has_header(const struct http_conf *c, const char *const *h, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < c->nheaders; i++)
		if (strncasecmp(c->headers[i], name, n) == 0 &&
		    c->headers[i][n] == ':')
			return 1;
	for (; h && *h; h++)
		if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
			return 1;
	return 0;
}

static void
slist_add(struct curl_slist **l, const char *s)
{
	struct curl_slist *n = curl_slist_append(*l, s);

	if (n == NULL)
		fatal("out of memory");
	*l = n;
}

static void
slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		wipe(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void
job_headers(struct job *j)
{
	const struct http_conf *c = &j->cl->conf;
	const struct http_req *q = j->req;

	slist_add(&j->hdrs, "Expect:");
	if (j->cl->auth_header)
		slist_add(&j->hdrs, j->cl->auth_header);
	for (size_t i = 0; i < c->nheaders; i++)
		slist_add(&j->hdrs, c->headers[i]);
	for (const char *const *h = q->headers; h && *h; h++)
		slist_add(&j->hdrs, *h);
	if (q->body && !has_header(c, q->headers, "Content-Type"))
		slist_add(&j->hdrs, "Content-Type: application/json");
}

static void
job_start(struct job *j, CURLM *m)
{
	const struct http_conf *c = &j->cl->conf;
	const struct http_req *q = j->req;
	const char *method = q->method ? q->method : q->body ? "POST" : "GET";
	CURL *e;

	if ((e = j->easy = curl_easy_init()) == NULL)
		fatal("out of memory");
	j->too_big = 0;
	j->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SHARE, j->cl->share);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* 3xx come back to the caller; no credentials to another host */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "logdive/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
	/* the proxy we chose (http_env_proxy), or none: libcurl's own reading
	 * of the environment would differ (HTTP_PROXY) and hide which one */
	free(j->proxy);
	j->proxy = http_env_proxy(q->url, &j->proxy_var);
	curl_easy_setopt(e, CURLOPT_PROXY, j->proxy ? j->proxy : "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	if (c->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->client_cert)
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->client_cert);
	if (c->client_key)
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->client_key);

	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") == 0 && q->body == NULL)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (q->body || strcmp(method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(q->body ? q->body_len : 0));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);

	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, j);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);

	resp_reset_headers(j->resp);
	buf_reset(&j->resp->body);
	j->resp->status = 0;
	if (curl_multi_add_handle(m, e) != CURLM_OK)
		fatal("curl_multi_add_handle failed");
	j->state = J_RUN;
}

static void
job_stop(struct job *j, CURLM *m)
{
	curl_off_t v;
	long l;

	if (j->easy == NULL)
		return;
	if (curl_easy_getinfo(j->easy, CURLINFO_REQUEST_SIZE, &l) == CURLE_OK)
		j->resp->bytes_sent += (uint64_t)l;
	if (curl_easy_getinfo(j->easy, CURLINFO_SIZE_UPLOAD_T, &v) == CURLE_OK)
		j->resp->bytes_sent += (uint64_t)v;
	if (curl_easy_getinfo(j->easy, CURLINFO_HEADER_SIZE, &l) == CURLE_OK)
		j->resp->bytes_received += (uint64_t)l;
	if (curl_easy_getinfo(j->easy, CURLINFO_SIZE_DOWNLOAD_T, &v) == CURLE_OK)
		j->resp->bytes_received += (uint64_t)v;
	curl_multi_remove_handle(m, j->easy);
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
}

static void
job_done(struct job *j)
{
	j->state = J_DONE;
	j->resp->seconds = (double)(time_mono() - j->t0) / 1e9;
	slist_wipe_free(j->hdrs);
	j->hdrs = NULL;
	free(j->proxy);
	j->proxy = NULL;
	scrub(&j->cl->conf, j->cl->auth_header, j->err);
}

/* "5 s", "1.5 s", "300 ms" */
static char *
fmt_ms(long ms, char *out, size_t outlen)
{
	if (ms < 1000)
		snprintf(out, outlen, "%ld ms", ms);
	else if (ms % 1000 == 0)
		snprintf(out, outlen, "%ld s", ms / 1000);
	else
		snprintf(out, outlen, "%.1f s", ms / 1000.0);
	return out;
}

/* libcurl's detail, without its "SSL: " style prefixes. */
static const char *
detail(const struct job *j, CURLcode rc)
{
	const char *d = j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc);
	static const char *const pre[] = {
		"SSL certificate problem: ", "SSL: ", "OpenSSL SSL_connect: ",
		"error setting certificate file: "
	};

	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
		if (strncmp(d, pre[i], strlen(pre[i])) == 0)
			return d + strlen(pre[i]);
	return d;
}

/* The message of a transfer that ended with rc != CURLE_OK. */
static int
transport_err(struct job *j, CURLcode rc, CURL *e)
{
	const struct http_conf *c = &j->cl->conf;
	char *origin = show_url(j->req->url, 1), *url = show_url(j->req->url, 0);
	const char *ca = c->ca_hint ? c->ca_hint : "a CA file";
	char t[32], sz[32], tries[32] = "", *px = NULL;
	curl_off_t got = 0, want = -1, conn = 0;
	long oserr = 0, cc = 0;
	int st = LD_ESOURCE;

	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(e, CURLINFO_HTTP_CONNECTCODE, &cc);
	if (j->resp->retries > 0)
		snprintf(tries, sizeof tries, " (after %d %s)", j->resp->retries,
		    j->resp->retries == 1 ? "retry" : "retries");
	if (j->proxy)
		px = show_proxy(j->proxy, j->proxy_var);
	if (px && cc >= 300) {
		/* the proxy answered CONNECT with an error */
		if (cc == 407)
			err_set(j->err, st, "the proxy %s refused to reach %s: 407 "
			    "Proxy Authentication Required — check the user name "
			    "and password in %s", px, origin, j->proxy_var);
		else
			err_set(j->err, st, "the proxy %s refused to reach %s: %ld%s%s "
			    "— check %s, or name the host in no_proxy", px,
			    origin, cc, *http_reason(cc) ? " " : "",
			    http_reason(cc), j->proxy_var);
		free(px);
		free(origin);
		free(url);
		return st;
	}
	if (px && (rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_COULDNT_RESOLVE_PROXY)) {
		err_set(j->err, st, "cannot connect to the proxy %s to reach %s: %s "
		    "— check %s, or name the host in no_proxy%s", px, origin,
		    rc == CURLE_COULDNT_RESOLVE_PROXY ? "host name not found" :
		    oserr == ECONNREFUSED ? "connection refused" :
		    oserr ? strerror((int)oserr) : detail(j, rc), j->proxy_var,
		    tries);
		free(px);
		free(origin);
		free(url);
		return st;
	}
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		if (oserr == ECONNREFUSED)
			err_set(j->err, st, "cannot connect to %s: connection "
			    "refused — is the server up and the port right?%s",
			    origin, tries);
		else if (oserr == ENETUNREACH || oserr == EHOSTUNREACH)
			err_set(j->err, st, "cannot connect to %s: no route to "
			    "the host — check the address and the network "
			    "(VPN, firewall)%s", origin, tries);
		else
			err_set(j->err, st, "cannot connect to %s: %s%s", origin,
			    oserr ? strerror((int)oserr) : detail(j, rc), tries);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		err_set(j->err, st, "cannot connect to %s: host name not found "
		    "— check the name in the URL", origin);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		err_set(j->err, st, "cannot connect to %s: the proxy's host name "
		    "was not found — check https_proxy, http_proxy and "
		    "all_proxy in the environment", origin);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(e, strncmp(j->req->url, "https:", 6) == 0 ?
		    CURLINFO_APPCONNECT_TIME_T : CURLINFO_CONNECT_TIME_T, &conn);
		if (conn == 0 && c->connect_timeout_ms <= c->timeout_ms)
			err_set(j->err, st, "cannot connect to %s%s%s: no answer "
			    "within the connect timeout (%s) — is the host "
			    "reachable (firewall, VPN)?%s", origin,
			    px ? " through the proxy " : "", px ? px : "",
			    fmt_ms(c->connect_timeout_ms, t, sizeof t), tries);
		else
			err_set(j->err, st, "%s: no complete response within "
			    "the request timeout (%s) — the server is slow; "
			    "narrow the query or raise --timeout%s", url,
			    fmt_ms(c->timeout_ms, t, sizeof t), tries);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		if (strstr(j->errbuf, "host name") || strstr(j->errbuf,
		    "subject name") || strstr(j->errbuf, "hostname"))
			err_set(j->err, st, "TLS: the certificate of %s is not "
			    "for that name: %s — use a name the certificate "
			    "holds, or --insecure", origin, detail(j, rc));
		else
			err_set(j->err, st, "TLS: the certificate of %s is not "
			    "trusted: %s — set %s to the CA that signed it, or "
			    "use --insecure", origin, detail(j, rc), ca);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		err_set(j->err, st, "TLS handshake with %s failed: %s — is it "
		    "an https port?", origin, detail(j, rc));
		break;
	case CURLE_SSL_CACERT_BADFILE:
		err_set(j->err, st, "cannot use the CA file %s (%s): %s",
		    c->ca_file ? c->ca_file : "(system)", ca, detail(j, rc));
		break;
	case CURLE_SSL_CERTPROBLEM:
		err_set(j->err, st, "cannot use the client certificate %s: %s",
		    c->client_cert ? c->client_cert : "", detail(j, rc));
		break;
	case CURLE_FILESIZE_EXCEEDED:
		j->too_big = 1;
		/* FALLTHROUGH */
	case CURLE_WRITE_ERROR:
		if (j->too_big) {
			buf_free(&j->resp->body);
			err_set(j->err, st, "%s: response larger than the %s "
			    "limit (--max-body) — narrow the query or raise "
			    "--max-body", url,
			    http_fmt_size(c->max_body, sz, sizeof sz));
		} else
			err_set(j->err, st, "%s: %s", url, detail(j, rc));
		break;
	case CURLE_PARTIAL_FILE:
		curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &got);
		curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
		if (want >= 0)
			err_set(j->err, st, "%s: response cut short: %lld of "
			    "%lld bytes came before the connection closed — "
			    "try again%s", url, (long long)got, (long long)want,
			    tries);
		else
			err_set(j->err, st, "%s: response cut short: the "
			    "connection closed after %lld bytes — try again%s",
			    url, (long long)got, tries);
		break;
	case CURLE_RECV_ERROR:
		err_set(j->err, st, "%s: connection reset while receiving the "
		    "response%s — try again", url, tries);
		break;
	case CURLE_SEND_ERROR:
		err_set(j->err, st, "%s: connection reset while sending the "
		    "request%s", url, tries);
		break;
	case CURLE_GOT_NOTHING:
		err_set(j->err, st, "%s: the server closed the connection "
		    "without answering%s%s", url, tries,
		    strncmp(j->req->url, "http:", 5) == 0 ?
		    " — is it an https:// port?" : " — try again");
		break;
	case CURLE_WEIRD_SERVER_REPLY:
		err_set(j->err, st, "%s: the answer is not HTTP — is it the "
		    "right port?", url);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		st = LD_EUSAGE;
		err_set(j->err, st, "%s: not an http:// or https:// URL", url);
		break;
	default:
		err_set(j->err, st, "%s: %s%s", url, detail(j, rc), tries);
		break;
	}
	free(px);
	free(origin);
	free(url);
	return st;
}

static int
retryable_status(long s)
{
	return s == 429 || s == 502 || s == 503 || s == 504;
}

static int
retryable_error(CURLcode rc)
{
	return rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_SEND_ERROR;
}

/* Wait d ms before the next attempt. */
static void
job_retry(struct job *j, long d)
{
	j->resp->retries++;
	j->state = J_WAIT;
	j->wake = time_mono() + (int64_t)d * NS_PER_MS;
}

/* An attempt ended: done, or a retry scheduled. */
static void
job_finish(struct job *j, CURLcode rc, CURLM *m)
{
	const struct http_conf *c = &j->cl->conf;
	struct http_resp *r = j->resp;
	long status = 0, ra, d;
	char *url;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_ABORTED_BY_CALLBACK || (j->cancel && *j->cancel)) {
		job_stop(j, m);
		err_set(j->err, LD_ECANCEL, "cancelled");
		job_done(j);
		return;
	}
	/* the backoff of this retry: backoff_ms * 2^retries, jittered
	 * between half and all of it */
	d = c->backoff_ms << (r->retries < 16 ? r->retries : 16);
	d = d / 2 + (long)(rnd(j) % (uint64_t)(d / 2 + 1));
	if (rc != CURLE_OK) {
		long cc = 0;
		curl_easy_getinfo(j->easy, CURLINFO_HTTP_CONNECTCODE, &cc);
		if (retryable_error(rc) && cc < 300 && r->retries < c->max_retries &&
		    d <= c->max_wait_ms) {
			job_stop(j, m);
			job_retry(j, d);
			return;
		}
		transport_err(j, rc, j->easy);
		job_stop(j, m);
		job_done(j);
		return;
	}
	r->status = status;
	job_stop(j, m);
	if (!retryable_status(status) || c->max_retries == 0 ||
	    (j->req->can_retry && !j->req->can_retry(r, j->req->arg))) {
		err_clear(j->err);
		job_done(j);
		return;
	}
	if (r->retries >= c->max_retries) {
		url = show_url(j->req->url, 0);
		err_set(j->err, LD_ESOURCE, "%s: still %ld %s after %d %s — the "
		    "server is overloaded; try again later", url, status,
		    http_reason(status), r->retries,
		    r->retries == 1 ? "retry" : "retries");
		free(url);
		job_done(j);
		return;
	}
	if ((ra = retry_after_ms(r->retry_after)) >= 0)
		d = ra + (long)(rnd(j) % 101);
	if (d > c->max_wait_ms) {
		/* not worth waiting for: the caller explains the status */
		err_clear(j->err);
		job_done(j);
		return;
	}
	job_retry(j, d);
}

static void
job_cancel(struct job *j, CURLM *m)
{
	job_stop(j, m);
	err_set(j->err, LD_ECANCEL, "cancelled");
	job_done(j);
}

static int
run(struct http_client *cl, const struct http_req *reqs,
    struct http_resp *resps, struct ld_err *errs, size_t n,
    _Atomic int *cancel)
{
	struct job *jobs = xcalloc(n ? n : 1, sizeof *jobs);
	CURLM *m = multi_get(cl);
	CURLMsg *msg;
	size_t i, left = n, running = 0;
	int64_t now = time_mono();
	int still, q, rc = LD_OK;

	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		j->cl = cl;
		j->req = &reqs[i];
		j->resp = &resps[i];
		j->err = &errs[i];
		j->cancel = cancel;
		j->t0 = j->wake = now;
		j->rng = (uint64_t)now ^ ((uint64_t)(uintptr_t)j << 16) ^ i;
		j->rng |= 1;
		memset(j->resp, 0, sizeof *j->resp);
		err_clear(j->err);
		job_headers(j);
	}
	while (left > 0) {
		long wait = POLL_MS;

		if (cancel && *cancel) {
			for (i = 0; i < n; i++)
				if (jobs[i].state != J_DONE)
					job_cancel(&jobs[i], m);
			break;
		}
		now = time_mono();
		for (i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			if (j->state != J_WAIT)
				continue;
			if (j->wake <= now &&
			    running < (size_t)cl->conf.max_parallel) {
				job_start(j, m);
				running++;
			} else if (j->wake > now &&
			    (j->wake - now) / NS_PER_MS < wait)
				wait = (long)((j->wake - now) / NS_PER_MS);
		}
		curl_multi_perform(m, &still);
		while ((msg = curl_multi_info_read(m, &q)) != NULL) {
			struct job *j;
			char *priv = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    &priv);
			j = (struct job *)(void *)priv;
			running--;
			job_finish(j, msg->data.result, m);
			if (j->state == J_DONE)
				left--;
			else if (j->wake <= time_mono())
				wait = 0;
		}
		if (left > 0 && wait > 0)
			curl_multi_poll(m, NULL, 0, (int)wait, NULL);
	}
	multi_put(cl, m);
	for (i = 0; i < n; i++) {
		if (errs[i].status == LD_ECANCEL)
			rc = LD_ECANCEL;
		else if (errs[i].status != LD_OK && rc == LD_OK)
			rc = errs[i].status;
	}
	free(jobs);
	return rc;
}

int
http_request(struct http_client *cl, const struct http_req *req,
    struct http_resp *resp, _Atomic int *cancel, struct ld_err *err)
{
	struct ld_err e;
	int rc = run(cl, req, resp, &e, 1, cancel);

	if (err)
		*err = e;
	return rc;
}

int
http_batch(struct http_client *cl, const struct http_req *reqs,
    struct http_resp *resps, struct ld_err *errs, size_t n,
    _Atomic int *cancel)
{
	return run(cl, reqs, resps, errs, n, cancel);
}

/* ---- statuses ---- */

const char *
http_reason(long s)
{
	static const struct {
		long status;
		const char *reason;
	} tab[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 206, "Partial Content" },
		{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
		{ 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
		{ 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" }, { 409, "Conflict" },
		{ 410, "Gone" }, { 411, "Length Required" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" },		/* RFC 6585 §4 */
		{ 431, "Request Header Fields Too Large" }, /* RFC 6585 §5 */
		{ 499, "Client Closed Request" },	/* nginx, Loki */
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (tab[i].status == s)
			return tab[i].reason;
	return "";
}

/* The useful text of an error body into b (may stay empty). */
static void
body_reason(const struct http_resp *r, struct buf *b)
{
	const char *p = r->body.p ? r->body.p : "", *e;
	json_t *root, *err, *rc, *type, *reason, *s;
	json_error_t je;

	p += strspn(p, " \t\r\n");
	if (*p == '{' && (root = json_loads(p, 0, &je)) != NULL) {
		err = json_object_get(root, "error");
		if (json_is_object(err)) {
			rc = json_object_get(err, "root_cause");
			if (json_is_array(rc) &&
			    json_is_object(json_array_get(rc, 0)))
				err = json_array_get(rc, 0);
			type = json_object_get(err, "type");
			reason = json_object_get(err, "reason");
			if (json_is_string(type))
				buf_adds(b, json_string_value(type));
			if (json_is_string(type) && json_is_string(reason))
				buf_adds(b, ": ");
			if (json_is_string(reason))
				buf_adds(b, json_string_value(reason));
		} else if (json_is_string(err))
			buf_adds(b, json_string_value(err));
		else if (json_is_string(s = json_object_get(root, "message")))
			buf_adds(b, json_string_value(s));
		json_decref(root);
		return;
	}
	if (*p == '<') {
		/* an HTML page from a proxy: its title */
		const char *t = str_casestr(p, "<title>");
		if (t && (e = str_casestr(t, "</title>")) != NULL) {
			t += 7;
			buf_add(b, t, (size_t)(e - t));
		}
		return;
	}
	buf_add(b, p, strcspn(p, "\r\n"));
}

int
http_status_err(const struct http_client *cl, const char *url,
    const struct http_resp *r, struct ld_err *err)
{
	struct buf why = BUF_INIT, extra = BUF_INIT;
	char *u = show_url(url, 0), *vis, *cut, *loc, ad[128], t[32];
	const char *reason = http_reason(r->status);
	long ra;

	if (r->status >= 300 && r->status < 400) {
		loc = r->location ? http_redact_url(r->location) : NULL;
		err_set(err, LD_ESOURCE, "%s: %ld%s%s: redirected to %s — "
		    "logdive does not follow redirects; use that address",
		    u, r->status, *reason ? " " : "", reason,
		    loc ? loc : "nowhere");
		http_scrub(cl, err);
		free(loc);
		free(u);
		return LD_ESOURCE;
	}
	if (r->status == 407) {
		/* from the proxy (a plain http:// request through it) */
		const char *var;
		char *px = http_env_proxy(url, &var), *shown;
		shown = px ? show_proxy(px, var) : NULL;
		err_set(err, LD_ESOURCE, "%s: 407 Proxy Authentication Required: "
		    "the proxy %s asks for credentials — check the user name "
		    "and password in %s", u, shown ? shown : "in the way",
		    var ? var : "http_proxy");
		http_scrub(cl, err);
		free(shown);
		free(px);
		free(u);
		return LD_ESOURCE;
	}
	if (r->status == 401 || r->status == 403)
		buf_printf(&extra, " with %s",
		    http_auth_desc(&cl->conf, ad, sizeof ad));
	if ((r->status == 429 || r->status == 503) &&
	    (ra = retry_after_ms(r->retry_after)) >= 0)
		buf_printf(&extra, " (the server asks to wait %s)",
		    fmt_ms(ra, t, sizeof t));
	body_reason(r, &why);
	vis = str_visible(why.p ? why.p : "", why.len, 0);
	cut = str_trunc(vis, SHOW_MAX, "…");
	err_set(err, LD_ESOURCE, "%s: %ld%s%s%s%s%s", u, r->status,
	    *reason ? " " : "", reason, extra.p ? extra.p : "",
	    *cut ? ": " : "", cut);
	http_scrub(cl, err);
	free(cut);
	free(vis);
	buf_free(&why);
	buf_free(&extra);
	free(u);
	return LD_ESOURCE;
}
