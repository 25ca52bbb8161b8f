/* backends/http.c against tests/fake-http.py, which this program starts
 * ($PYTHON3 $srcdir/tests/fake-http.py) and kills at exit. */
#include "config.h"
#include "backends/http.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "tests/unit/tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET	"s3cr3t-token"

static int port, tls_port;
static pid_t server_pid;
static char ca_file[512];
static int leaks;		/* messages that held the secret */

static void
stop_server(void)
{
	if (server_pid > 0)
		kill(server_pid, SIGTERM);
	server_pid = 0;
}

static void
on_signal(int sig)
{
	stop_server();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
start_server(void)
{
	const char *py = getenv("PYTHON3"), *src = getenv("srcdir");
	char cmd[1024], line[1024];
	FILE *f;
	int pid;

	snprintf(cmd, sizeof cmd, "exec %s %s/tests/fake-http.py",
	    py && *py ? py : "python3", src && *src ? src : ".");
	if ((f = popen(cmd, "r")) == NULL || fgets(line, sizeof line, f) == NULL)
		return -1;
	/* the pipe stays open (and unread) until exit */
	if (sscanf(line, "%d %d %511s %d", &port, &tls_port, ca_file, &pid) != 4)
		return -1;
	server_pid = pid;
	atexit(stop_server);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGABRT, on_signal);
	return 0;
}

static char *
url(const char *fmt, ...)
{
	static char u[8][1024];
	static int k;
	char path[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	k = (k + 1) % 8;
	snprintf(u[k], sizeof u[k], "http://127.0.0.1:%d%s", port, path);
	return u[k];
}

static double
now_s(void)
{
	return (double)time_mono() / 1e9;
}

static void
conf_test(struct http_conf *c)
{
	http_conf_init(c);
	c->backoff_ms = 40;
}

static void
check_leak(const struct ld_err *e)
{
	if (strstr(e->msg, SECRET) != NULL)
		leaks++;
}

/* GET u with client cl; returns the status code of http_request. */
static int
get(struct http_client *cl, const char *u, struct http_resp *r,
    struct ld_err *e)
{
	struct http_req q = { .url = u };
	int rc = http_request(cl, &q, r, NULL, e);

	check_leak(e);
	return rc;
}

static long
hits(struct http_client *cl, const char *key)
{
	struct http_resp r;
	struct ld_err e;
	json_t *j;
	long n = -1;

	if (get(cl, url("/hits?key=%s", key), &r, &e) == LD_OK &&
	    (j = json_loads(r.body.p, 0, NULL)) != NULL) {
		n = (long)json_integer_value(json_object_get(j, "hits"));
		json_decref(j);
	}
	http_resp_free(&r);
	return n;
}

/* The value of header name in an /echo answer, or NULL. */
static const char *
echo_header(json_t *echo, const char *name)
{
	json_t *h = json_object_get(echo, "headers"), *pair;
	size_t i;

	json_array_foreach(h, i, pair)
		if (strcasecmp(json_string_value(json_array_get(pair, 0)), name) == 0)
			return json_string_value(json_array_get(pair, 1));
	return NULL;
}

static void
unset_env(void)
{
	static const char *const names[] = {
		"ES_API_KEY", "ES_USERNAME", "ES_PASSWORD", "ES_BEARER_TOKEN",
		"ES_CA_CERT", "ES_CLIENT_CERT", "ES_CLIENT_KEY",
		"LOKI_USERNAME", "LOKI_PASSWORD", "LOKI_BEARER_TOKEN",
		"LOKI_BEARER_TOKEN_FILE", "LOKI_ORG_ID", "LOKI_CA_CERT_PATH",
		"LOKI_CLIENT_CERT_PATH", "LOKI_CLIENT_KEY_PATH",
		"LOKI_TLS_SKIP_VERIFY",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unsetenv(names[i]);
}

static void
t_redact(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "https://user:" SECRET "@es:9200/idx/_search",
		  "https://es:9200/idx/_search" },
		{ "es+https://elastic:" SECRET "@es/logs-*",
		  "es+https://es/logs-*" },
		{ "https://u:p@ss" SECRET "@h/", "https://h/" },
		{ "https://" SECRET "@h", "https://h" },
		{ "http://es:9200/x?api_key=" SECRET "&size=10",
		  "http://es:9200/x?api_key=***&size=10" },
		{ "https://h/?access_token=" SECRET "#frag",
		  "https://h/?access_token=***#frag" },
		{ "https://h/p?Password=" SECRET "&query=%7Bjob%3D%22a%22%7D&X-Amz-Signature=" SECRET,
		  "https://h/p?Password=***&query=%7Bjob%3D%22a%22%7D&X-Amz-Signature=***" },
		{ "https://h/p?api%5Fkey=" SECRET "&limit=5",
		  "https://h/p?api%5Fkey=***&limit=5" },
		{ "https://h/p?token&x=1", "https://h/p?token&x=1" },
		{ "https://h/a@b?q=1", "https://h/a@b?q=1" },
		{ "not a url", "not a url" },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *r = http_redact_url(t[i].in);
		is_str(r, t[i].want, "redact %s", t[i].want);
		ok(strstr(r, SECRET) == NULL, "no secret in %s", t[i].want);
		free(r);
	}
}

static void
t_env(void)
{
	struct http_conf c;
	struct ld_err e;
	char ad[128], path[] = "/tmp/t_http.XXXXXX", msg[512];
	int fd;

	unset_env();
	setenv("ES_API_KEY", SECRET, 1);
	setenv("ES_USERNAME", "elastic", 1);
	setenv("ES_PASSWORD", SECRET, 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_ES, &e) == LD_EUSAGE, "two schemes refused");
	is_str(e.msg, "ES_API_KEY and ES_USERNAME/ES_PASSWORD are both set — keep "
	    "one way to authenticate", "two schemes: message");
	http_conf_free(&c);

	unsetenv("ES_API_KEY");
	unsetenv("ES_PASSWORD");
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_ES, &e) == LD_EUSAGE, "user alone refused");
	is_str(e.msg, "ES_USERNAME is set but ES_PASSWORD is not", "user alone: message");
	http_conf_free(&c);

	setenv("ES_PASSWORD", SECRET, 1);
	setenv("ES_CA_CERT", "/etc/es-ca.pem", 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_ES, &e) == LD_OK, "ES basic from env");
	ok(c.auth == HTTP_AUTH_BASIC && strcmp(c.user, "elastic") == 0 &&
	    strcmp(c.secret, SECRET) == 0, "ES basic: user and secret");
	is_str(c.ca_file, "/etc/es-ca.pem", "ES_CA_CERT");
	is_str(http_auth_desc(&c, ad, sizeof ad),
	    "basic auth from ES_USERNAME/ES_PASSWORD", "basic: description");
	http_conf_free(&c);
	unset_env();

	setenv("ES_API_KEY", "key-id:" SECRET, 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_ES, &e) == LD_OK, "ES_API_KEY id:key");
	is_str(c.secret, "a2V5LWlkOnMzY3IzdC10b2tlbg==", "id:key is base64'd");
	is_str(http_auth_desc(&c, ad, sizeof ad), "API key from ES_API_KEY",
	    "API key: description");
	http_conf_free(&c);
	setenv("ES_API_KEY", "ZW5jb2RlZA==", 1);
	conf_test(&c);
	http_conf_from_env(&c, HTTP_ENV_ES, &e);
	is_str(c.secret, "ZW5jb2RlZA==", "an encoded key is kept as is");
	is_str(c.ca_hint, "ES_CA_CERT", "ES messages suggest ES_CA_CERT");
	http_conf_free(&c);
	unset_env();

	/* Loki: a token file must be 0600 or stricter */
	fd = mkstemp(path);
	if (write(fd, SECRET "\n", strlen(SECRET) + 1) < 0)
		perror("write");
	close(fd);
	chmod(path, 0644);
	setenv("LOKI_BEARER_TOKEN_FILE", path, 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_LOKI, &e) == LD_EUSAGE,
	    "token file 0644 refused");
	snprintf(msg, sizeof msg, "LOKI_BEARER_TOKEN_FILE: %s is accessible by "
	    "others (mode 0644) — chmod 600 %s", path, path);
	is_str(e.msg, msg, "token file 0644: message");
	check_leak(&e);
	http_conf_free(&c);
	chmod(path, 0600);
	setenv("LOKI_ORG_ID", "tenant-1", 1);
	setenv("LOKI_TLS_SKIP_VERIFY", "true", 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_LOKI, &e) == LD_OK, "token file 0600 read");
	ok(c.auth == HTTP_AUTH_BEARER && c.secret && strcmp(c.secret, SECRET) == 0,
	    "token file: bearer, newline dropped");
	ok(c.insecure == 1, "LOKI_TLS_SKIP_VERIFY=true");
	ok(c.nheaders == 1 && strcmp(c.headers[0], "X-Scope-OrgID: tenant-1") == 0,
	    "LOKI_ORG_ID: X-Scope-OrgID");
	is_str(http_auth_desc(&c, ad, sizeof ad),
	    "bearer token from LOKI_BEARER_TOKEN_FILE", "token file: description");
	http_conf_free(&c);
	setenv("LOKI_BEARER_TOKEN", SECRET, 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_LOKI, &e) == LD_EUSAGE, "token and file refused");
	is_str(e.msg, "LOKI_BEARER_TOKEN and LOKI_BEARER_TOKEN_FILE are both set — "
	    "keep one way to authenticate", "token and file: message");
	http_conf_free(&c);
	unset_env();
	setenv("LOKI_TLS_SKIP_VERIFY", "maybe", 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_LOKI, &e) == LD_EUSAGE, "bad boolean");
	is_str(e.msg, "LOKI_TLS_SKIP_VERIFY: expected true or false, not \"maybe\"",
	    "bad boolean: message");
	http_conf_free(&c);
	unset_env();
	setenv("LOKI_CLIENT_KEY_PATH", "/k.pem", 1);
	conf_test(&c);
	ok(http_conf_from_env(&c, HTTP_ENV_LOKI, &e) == LD_EUSAGE, "key without cert");
	is_str(e.msg, "LOKI_CLIENT_KEY_PATH is set but LOKI_CLIENT_CERT_PATH is not",
	    "key without cert: message");
	http_conf_free(&c);
	unset_env();
	unlink(path);
	conf_test(&c);
	is_str(http_auth_desc(&c, ad, sizeof ad), "no credentials", "no auth: description");
	http_conf_free(&c);
}

/* What /echo saw, with each auth scheme; nothing else carries the secret. */
static void
t_echo(void)
{
	static const char *const ndjson[] = {
		"Content-Type: application/x-ndjson", NULL
	};
	static const char *const allowed[] = {
		"Host", "User-Agent", "Accept", "Accept-Encoding",
		"Authorization", "Content-Type", "Content-Length", "X-Scope-OrgID",
	};
	struct http_conf c;
	struct http_client *cl;
	struct http_resp r;
	struct ld_err e;
	struct http_req q = { .url = url("/echo?key=e") };
	json_t *j, *h, *pair;
	const char *v;
	size_t i, k;
	int extra = 0;

	/* basic */
	conf_test(&c);
	c.auth = HTTP_AUTH_BASIC;
	http_conf_set(&c.user, "elastic");
	http_conf_set(&c.secret, SECRET);
	http_conf_set(&c.secret_name, "ES_USERNAME/ES_PASSWORD");
	cl = http_client_new(&c);
	http_conf_free(&c);
	q.body = "{\"size\":0}";
	q.body_len = strlen(q.body);
	ok(http_request(cl, &q, &r, NULL, &e) == LD_OK && r.status == 200, "echo: 200");
	is_str(r.content_type, "application/json", "Content-Type captured");
	j = json_loads(r.body.p ? r.body.p : "", 0, NULL);
	is_str(json_string_value(json_object_get(j, "method")), "POST", "a body: POST");
	is_str(json_string_value(json_object_get(j, "body")), "{\"size\":0}", "body sent");
	is_str(echo_header(j, "Authorization"), "Basic ZWxhc3RpYzpzM2NyM3QtdG9rZW4=",
	    "basic auth header");
	is_str(echo_header(j, "Content-Type"), "application/json",
	    "default Content-Type: application/json");
	is_str(echo_header(j, "User-Agent"), "logdive/" PACKAGE_VERSION, "User-Agent");
	ok(echo_header(j, "Expect") == NULL, "no Expect: 100-continue");
	ok(strstr(r.body.p, SECRET) == NULL, "basic: the password is not in clear");
	json_decref(j);
	http_resp_free(&r);
	http_client_free(cl);

	/* bearer, extra headers, an NDJSON body, PUT */
	conf_test(&c);
	c.auth = HTTP_AUTH_BEARER;
	http_conf_set(&c.secret, SECRET);
	http_conf_add_header(&c, "X-Scope-OrgID", "tenant\r\nX-Evil: 1");
	cl = http_client_new(&c);
	http_conf_free(&c);
	q.headers = ndjson;
	q.method = "PUT";
	ok(http_request(cl, &q, &r, NULL, &e) == LD_OK && r.status == 200, "echo bearer: 200");
	j = json_loads(r.body.p ? r.body.p : "", 0, NULL);
	is_str(json_string_value(json_object_get(j, "method")), "PUT", "PUT");
	is_str(echo_header(j, "Authorization"), "Bearer " SECRET, "bearer header");
	is_str(echo_header(j, "Content-Type"), "application/x-ndjson",
	    "request Content-Type wins");
	is_str(echo_header(j, "X-Scope-OrgID"), "tenant  X-Evil: 1",
	    "a line break cannot start a header");
	h = json_object_get(j, "headers");
	json_array_foreach(h, i, pair) {
		const char *name = json_string_value(json_array_get(pair, 0));
		int known = 0;
		for (k = 0; k < sizeof allowed / sizeof allowed[0]; k++)
			known |= strcasecmp(name, allowed[k]) == 0;
		if (!known) {
			printf("# unexpected header %s\n", name);
			extra++;
		}
		v = json_string_value(json_array_get(pair, 1));
		if (strcasecmp(name, "Authorization") != 0 && strstr(v, SECRET))
			extra++;
	}
	ok(extra == 0, "only the expected headers; the secret only in Authorization");
	json_decref(j);
	http_resp_free(&r);
	http_client_free(cl);

	/* API key from the environment */
	unset_env();
	setenv("ES_API_KEY", "key-id:" SECRET, 1);
	conf_test(&c);
	http_conf_from_env(&c, HTTP_ENV_ES, &e);
	cl = http_client_new(&c);
	http_conf_free(&c);
	unset_env();
	ok(get(cl, url("/echo"), &r, &e) == LD_OK, "echo api key");
	j = json_loads(r.body.p ? r.body.p : "", 0, NULL);
	is_str(json_string_value(json_object_get(j, "method")), "GET", "no body: GET");
	is_str(echo_header(j, "Authorization"), "ApiKey a2V5LWlkOnMzY3IzdC10b2tlbg==",
	    "ApiKey header");
	ok(echo_header(j, "Content-Type") == NULL, "GET: no Content-Type");
	json_decref(j);
	http_resp_free(&r);

	/* HEAD */
	q.method = "HEAD";
	q.url = url("/echo");
	q.body = NULL;
	q.headers = NULL;
	ok(http_request(cl, &q, &r, NULL, &e) == LD_OK && r.status == 200 &&
	    r.body.len == 0, "HEAD: 200, no body");
	ok(r.bytes_sent > 0 && r.bytes_received > 0, "bytes counted");
	http_resp_free(&r);
	http_client_free(cl);
}

static void
t_status(void)
{
	struct http_conf c;
	struct http_client *cl;
	struct http_resp r;
	struct ld_err e;
	char want[1024];
	const char *es404 = "{\"error\":{\"root_cause\":[{\"type\":"
	    "\"index_not_found_exception\",\"reason\":\"no such index "
	    "[ml-old]\",\"index\":\"ml-old\"}],\"type\":"
	    "\"index_not_found_exception\",\"reason\":\"no such index "
	    "[ml-old]\"},\"status\":404}";

	conf_test(&c);
	c.auth = HTTP_AUTH_BEARER;
	http_conf_set(&c.secret, SECRET);
	http_conf_set(&c.secret_name, "LOKI_BEARER_TOKEN");
	cl = http_client_new(&c);
	http_conf_free(&c);

	ok(get(cl, url("/status/404?key=s404"), &r, &e) == LD_OK && r.status == 404,
	    "404 is an answer, not an error");
	ok(r.retries == 0 && hits(cl, "s404") == 1, "404 not retried");
	http_resp_free(&r);
	ok(get(cl, url("/status/400?key=s400"), &r, &e) == LD_OK && r.status == 400 &&
	    hits(cl, "s400") == 1, "400 not retried");
	http_resp_free(&r);

	/* the generic messages */
	memset(&r, 0, sizeof r);
	r.status = 404;
	buf_adds(&r.body, es404);
	http_status_err(cl, "https://u:" SECRET "@es:9200/ml-old/_search?size=0",
	    &r, &e);
	is_str(e.msg, "https://es:9200/ml-old/_search?…: 404 Not Found: "
	    "index_not_found_exception: no such index [ml-old]",
	    "status message: ES envelope");
	check_leak(&e);
	buf_reset(&r.body);
	buf_adds(&r.body, "{\"error\":\"no handler found for uri [/_serch] and "
	    "method [GET]\"}");
	r.status = 400;
	http_status_err(cl, "http://es:9200/_serch", &r, &e);
	is_str(e.msg, "http://es:9200/_serch: 400 Bad Request: no handler found "
	    "for uri [/_serch] and method [GET]", "status message: string error");
	buf_reset(&r.body);
	buf_adds(&r.body, "<html><head><title>401 Authorization Required</title>"
	    "</head><body>" SECRET "</body></html>");
	r.status = 401;
	http_status_err(cl, "http://loki:3100/loki/api/v1/labels", &r, &e);
	is_str(e.msg, "http://loki:3100/loki/api/v1/labels: 401 Unauthorized with "
	    "bearer token from LOKI_BEARER_TOKEN: 401 Authorization Required",
	    "status message: 401 names the credential, HTML title");
	check_leak(&e);
	buf_reset(&r.body);
	buf_adds(&r.body, "parse error at line 1, col 5: syntax error: unexpected "
	    "\x1b[31mIDENTIFIER\nsecond line");
	r.status = 400;
	http_status_err(cl, "http://loki:3100/x", &r, &e);
	is_str(e.msg, "http://loki:3100/x: 400 Bad Request: parse error at line 1, "
	    "col 5: syntax error: unexpected \\e[31mIDENTIFIER",
	    "status message: text body, first line, escaped");
	buf_reset(&r.body);
	buf_adds(&r.body, "token " SECRET " rejected");
	http_status_err(cl, "http://loki:3100/x", &r, &e);
	ok(strstr(e.msg, SECRET) == NULL, "a secret echoed by the server is blanked");
	buf_reset(&r.body);
	r.status = 302;
	r.location = strdup("https://u:pw@other:9200/?token=" SECRET);
	http_status_err(cl, "http://es:9200/", &r, &e);
	is_str(e.msg, "http://es:9200/: 302 Found: redirected to "
	    "https://other:9200/?token=*** — logdive does not follow redirects; "
	    "use that address", "status message: redirect");
	http_resp_free(&r);

	/* a redirect to another host is not followed (with the token) */
	ok(get(cl, url("/redirect?to=http://localhost:%d/echo%%3Fkey%%3Dr1", port),
	    &r, &e) == LD_OK && r.status == 302, "redirect: 302 returned");
	snprintf(want, sizeof want, "http://localhost:%d/echo?key=r1", port);
	is_str(r.location, want, "redirect: Location captured");
	ok(hits(cl, "r1") == 0, "redirect: not followed");
	http_resp_free(&r);
	http_client_free(cl);
}

static int
never(const struct http_resp *r, void *arg)
{
	return 0;
}

static void
t_retry(void)
{
	struct http_conf c;
	struct http_client *cl;
	struct http_req q = { 0 };
	struct http_resp r;
	struct ld_err e;
	char want[512];
	double t;

	conf_test(&c);
	cl = http_client_new(&c);

	ok(get(cl, url("/flaky?fail=2&code=503&key=f1"), &r, &e) == LD_OK &&
	    r.status == 200 && r.retries == 2, "503 twice, then 200: 2 retries");
	ok(hits(cl, "f1") == 3, "flaky: 3 requests");
	http_resp_free(&r);

	ok(get(cl, url("/status/503?key=s503"), &r, &e) == LD_ESOURCE,
	    "503 forever: an error");
	snprintf(want, sizeof want, "http://127.0.0.1:%d/status/503?…: still 503 "
	    "Service Unavailable after 3 retries — the server is overloaded; try "
	    "again later", port);
	is_str(e.msg, want, "503 forever: message");
	ok(r.status == 503 && r.retries == 3 && r.body.len > 0,
	    "503 forever: the last answer is kept");
	ok(hits(cl, "s503") == 4, "503 forever: 1 + 3 requests");
	http_resp_free(&r);

	t = now_s();
	ok(get(cl, url("/flaky?fail=1&code=429&retry_after=1&key=f2"), &r, &e) ==
	    LD_OK && r.status == 200 && r.retries == 1, "429 Retry-After: 1: retried");
	t = now_s() - t;
	ok(t >= 1.0 && t < 1.6, "Retry-After: 1 waited %.3f s (>= 1 s)", t);
	http_resp_free(&r);

	t = now_s();
	ok(get(cl, url("/flaky?fail=1&code=503&key=f3&retry_after="
	    "Sun,%%2006%%20Nov%%201994%%2008:49:37%%20GMT"), &r, &e) == LD_OK &&
	    r.status == 200 && r.retries == 1 && now_s() - t < 0.5,
	    "Retry-After: an IMF-fixdate in the past: retried at once");
	http_resp_free(&r);
	t = now_s();
	ok(get(cl, url("/flaky?fail=1&code=503&key=f4&retry_after="
	    "Sun%%20Nov%%20%%206%%2008:49:37%%201994"), &r, &e) == LD_OK &&
	    r.status == 200 && r.retries == 1 && now_s() - t < 0.5,
	    "Retry-After: an asctime date in the past: retried at once");
	http_resp_free(&r);

	t = now_s();
	ok(get(cl, url("/status/429?retry_after=3600&key=s429"), &r, &e) == LD_OK &&
	    r.status == 429 && r.retries == 0 && now_s() - t < 0.5,
	    "Retry-After: 3600 is not waited: the 429 comes back");
	is_str(r.retry_after, "3600", "Retry-After captured");
	http_status_err(cl, url("/status/429"), &r, &e);
	snprintf(want, sizeof want, "http://127.0.0.1:%d/status/429: 429 Too Many "
	    "Requests (the server asks to wait 3600 s): injected", port);
	is_str(e.msg, want, "429 message says how long");
	http_resp_free(&r);

	q.url = url("/status/429?key=veto");
	q.can_retry = never;
	ok(http_request(cl, &q, &r, NULL, &e) == LD_OK && r.status == 429 &&
	    r.retries == 0 && hits(cl, "veto") == 1, "can_retry says no: not retried");
	http_resp_free(&r);
	http_client_free(cl);

	c.max_retries = 1;
	cl = http_client_new(&c);
	ok(get(cl, url("/reset?key=rst"), &r, &e) == LD_ESOURCE, "reset: an error");
	snprintf(want, sizeof want, "http://127.0.0.1:%d/reset?…: connection reset "
	    "while receiving the response (after 1 retry) — try again", port);
	is_str(e.msg, want, "reset: message");
	ok(hits(cl, "rst") == 2, "reset: retried once");
	http_resp_free(&r);
	http_client_free(cl);

	c.max_retries = 0;
	cl = http_client_new(&c);
	ok(get(cl, url("/status/503?key=n503"), &r, &e) == LD_OK && r.status == 503 &&
	    hits(cl, "n503") == 1, "max_retries 0: the 503 comes back at once");
	http_resp_free(&r);
	http_client_free(cl);
	http_conf_free(&c);
}

static void
t_failures(void)
{
	struct http_conf c;
	struct http_client *cl;
	struct http_resp r;
	struct ld_err e;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	char want[512];
	int fd, fill[4], closed_port;
	double t;

	/* a closed port */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	closed_port = ntohs(sa.sin_port);
	close(fd);

	conf_test(&c);
	c.auth = HTTP_AUTH_BASIC;
	http_conf_set(&c.user, "elastic");
	http_conf_set(&c.secret, SECRET);
	http_conf_set(&c.ca_hint, "ES_CA_CERT");
	c.timeout_ms = 400;
	c.connect_timeout_ms = 300;
	c.max_body = 1 << 20;
	cl = http_client_new(&c);

	char u[256];
	snprintf(u, sizeof u, "http://elastic:" SECRET "@127.0.0.1:%d/_search",
	    closed_port);
	ok(get(cl, u, &r, &e) == LD_ESOURCE, "closed port: an error");
	snprintf(want, sizeof want, "cannot connect to http://127.0.0.1:%d: "
	    "connection refused — is the server up and the port right?",
	    closed_port);
	is_str(e.msg, want, "closed port: message");
	ok(r.status == 0 && r.retries == 0, "closed port: not retried");
	http_resp_free(&r);

	/* a connect timeout the resolver cannot miss (slow under valgrind) */
	struct http_conf c2;
	conf_test(&c2);
	c2.connect_timeout_ms = c2.timeout_ms = 20000;
	struct http_client *cl2 = http_client_new(&c2);
	ok(get(cl2, "http://no-such-host.invalid:9200/", &r, &e) == LD_ESOURCE,
	    "unknown host: an error");
	is_str(e.msg, "cannot connect to http://no-such-host.invalid:9200: host "
	    "name not found — check the name in the URL", "unknown host: message");
	http_resp_free(&r);
	http_client_free(cl2);
	http_conf_free(&c2);

	/* a listener whose queue is full drops the SYN: connect timeout */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = 0;
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	listen(fd, 0);
	sl = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM, 0);
		fcntl(fill[i], F_SETFL, O_NONBLOCK);
		connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
	}
	usleep(50000);
	snprintf(u, sizeof u, "http://127.0.0.1:%d/", ntohs(sa.sin_port));
	t = now_s();
	ok(get(cl, u, &r, &e) == LD_ESOURCE, "full listen queue: an error");
	t = now_s() - t;
	snprintf(want, sizeof want, "cannot connect to http://127.0.0.1:%d: no "
	    "answer within the connect timeout (300 ms) — is the host reachable "
	    "(firewall, VPN)?", ntohs(sa.sin_port));
	is_str(e.msg, want, "connect timeout: message");
	ok(t >= 0.29 && t < 0.8, "connect timeout after %.3f s", t);
	http_resp_free(&r);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(fd);

	t = now_s();
	ok(get(cl, url("/slow?ms=2000"), &r, &e) == LD_ESOURCE, "slow: an error");
	t = now_s() - t;
	snprintf(want, sizeof want, "http://127.0.0.1:%d/slow?…: no complete "
	    "response within the request timeout (400 ms) — the server is slow; "
	    "narrow the query or raise --timeout", port);
	is_str(e.msg, want, "request timeout: message");
	ok(t >= 0.39 && t < 0.9, "request timeout after %.3f s", t);
	http_resp_free(&r);

	ok(get(cl, url("/trickle?n=5"), &r, &e) == LD_ESOURCE &&
	    strstr(e.msg, "request timeout (400 ms)") != NULL,
	    "trickle: the request timeout covers the whole body");
	http_resp_free(&r);

	ok(get(cl, url("/big?mb=2"), &r, &e) == LD_ESOURCE, "big body: an error");
	snprintf(want, sizeof want, "http://127.0.0.1:%d/big?…: response larger "
	    "than the 1 MiB limit (--max-body) — narrow the query or raise "
	    "--max-body", port);
	is_str(e.msg, want, "big body (Content-Length): message");
	ok(r.body.len == 0 && r.body.p == NULL, "big body: nothing kept");
	http_resp_free(&r);
	ok(get(cl, url("/big?mb=2&nolength=1"), &r, &e) == LD_ESOURCE, "big body without length");
	snprintf(want, sizeof want, "http://127.0.0.1:%d/big?…: response larger "
	    "than the 1 MiB limit (--max-body) — narrow the query or raise "
	    "--max-body", port);
	is_str(e.msg, want, "big body (no length): message");
	http_resp_free(&r);
	ok(get(cl, url("/big?mb=1"), &r, &e) == LD_OK && r.status == 200 &&
	    r.body.len == 1 << 20, "a body of exactly the limit is fine");
	http_resp_free(&r);

	ok(get(cl, url("/truncated"), &r, &e) == LD_ESOURCE, "truncated: an error");
	snprintf(want, sizeof want, "http://127.0.0.1:%d/truncated: response cut "
	    "short: 10 of 100 bytes came before the connection closed — try "
	    "again", port);
	is_str(e.msg, want, "truncated: message");
	http_resp_free(&r);

	snprintf(u, sizeof u, "ftp://127.0.0.1:%d/", port);
	ok(get(cl, u, &r, &e) == LD_EUSAGE, "ftp: refused");
	snprintf(want, sizeof want, "ftp://127.0.0.1:%d/: not an http:// or "
	    "https:// URL", port);
	is_str(e.msg, want, "ftp: message");
	http_resp_free(&r);

	http_client_free(cl);
	http_conf_free(&c);
}

static int
has_prefix_suffix(const char *s, const char *pre, const char *suf)
{
	size_t n = strlen(s), p = strlen(pre), q = strlen(suf);

	if (n < p + q || strncmp(s, pre, p) != 0 || strcmp(s + n - q, suf) != 0) {
		printf("#   got:  %s\n#   want: %s...%s\n", s, pre, suf);
		return 0;
	}
	return 1;
}

static void
t_tls(void)
{
	struct http_conf c;
	struct http_client *cl;
	struct http_resp r;
	struct ld_err e;
	char u[256], pre[512];

	conf_test(&c);
	http_conf_set(&c.ca_hint, "ES_CA_CERT");
	cl = http_client_new(&c);
	snprintf(u, sizeof u, "https://127.0.0.1:%d/echo", tls_port);
	ok(get(cl, u, &r, &e) == LD_ESOURCE, "self-signed: an error");
	snprintf(pre, sizeof pre, "TLS: the certificate of https://127.0.0.1:%d is "
	    "not trusted: ", tls_port);
	ok(has_prefix_suffix(e.msg, pre, " — set ES_CA_CERT to the CA that signed "
	    "it, or use --insecure"), "self-signed: message");
	ok(strstr(e.msg, "self") != NULL, "self-signed: says so (%s)", e.msg);
	http_resp_free(&r);
	snprintf(u, sizeof u, "https://127.0.0.1:%d/echo", port);
	ok(get(cl, u, &r, &e) == LD_ESOURCE, "https to a plain port: an error");
	snprintf(pre, sizeof pre, "TLS handshake with https://127.0.0.1:%d failed: ",
	    port);
	ok(has_prefix_suffix(e.msg, pre, " — is it an https port?"),
	    "https to a plain port: message");
	http_resp_free(&r);
	http_client_free(cl);

	http_conf_set(&c.ca_file, ca_file);
	cl = http_client_new(&c);
	snprintf(u, sizeof u, "https://127.0.0.1:%d/echo", tls_port);
	ok(get(cl, u, &r, &e) == LD_OK && r.status == 200, "with the CA file: 200");
	http_resp_free(&r);
	snprintf(u, sizeof u, "https://localhost:%d/echo", tls_port);
	ok(get(cl, u, &r, &e) == LD_ESOURCE, "wrong name: an error");
	snprintf(pre, sizeof pre, "TLS: the certificate of https://localhost:%d is "
	    "not for that name: ", tls_port);
	ok(has_prefix_suffix(e.msg, pre, " — use a name the certificate holds, or "
	    "--insecure"), "wrong name: message");
	http_resp_free(&r);
	http_client_free(cl);

	http_conf_set(&c.ca_file, "/nonexistent/ca.pem");
	cl = http_client_new(&c);
	snprintf(u, sizeof u, "https://127.0.0.1:%d/echo", tls_port);
	ok(get(cl, u, &r, &e) == LD_ESOURCE &&
	    has_prefix_suffix(e.msg, "cannot use the CA file /nonexistent/ca.pem "
	    "(ES_CA_CERT): ", ""), "missing CA file: message");
	http_resp_free(&r);
	http_client_free(cl);

	http_conf_set(&c.ca_file, NULL);
	c.insecure = 1;
	cl = http_client_new(&c);
	ok(get(cl, u, &r, &e) == LD_OK && r.status == 200, "insecure: 200");
	http_resp_free(&r);
	http_client_free(cl);
	http_conf_free(&c);
}

struct canceller {
	_Atomic int	*flag;
	int		 ms;
	double		 at;
};

static void *
cancel_later(void *arg)
{
	struct canceller *k = arg;

	usleep((useconds_t)k->ms * 1000);
	k->at = now_s();
	*k->flag = 1;
	return NULL;
}

/* Run q with a cancel raised after 150 ms; returns the status and sets
 * *lag to the seconds between the flag and the return. */
static int
cancelled(struct http_client *cl, const char *u, double *lag, struct ld_err *e)
{
	_Atomic int flag = 0;
	struct canceller k = { &flag, 150, 0 };
	struct http_req q = { .url = u };
	struct http_resp r;
	pthread_t th;
	int rc;

	pthread_create(&th, NULL, cancel_later, &k);
	rc = http_request(cl, &q, &r, &flag, e);
	*lag = now_s() - k.at;
	pthread_join(th, NULL);
	http_resp_free(&r);
	return rc;
}

static void
t_cancel(void)
{
	struct http_conf c;
	struct http_client *cl;
	struct ld_err e;
	double lag;
	_Atomic int flag = 0;
	struct canceller k = { &flag, 150, 0 };
	struct http_req q[3];
	struct http_resp r[3];
	struct ld_err es[3];
	pthread_t th;
	int rc;

	conf_test(&c);
	cl = http_client_new(&c);
	ok(cancelled(cl, url("/slow?ms=3000"), &lag, &e) == LD_ECANCEL,
	    "cancel a slow answer");
	is_str(e.msg, "cancelled", "cancel: message");
	ok(lag < 0.2, "cancel: returned %.3f s after the flag", lag);
	ok(cancelled(cl, url("/trickle?n=5"), &lag, &e) == LD_ECANCEL && lag < 0.2,
	    "cancel a trickling body (%.3f s)", lag);
	ok(cancelled(cl, url("/status/503?retry_after=5"), &lag, &e) == LD_ECANCEL &&
	    lag < 0.2, "cancel during a Retry-After wait (%.3f s)", lag);

	memset(q, 0, sizeof q);
	for (int i = 0; i < 3; i++)
		q[i].url = url("/slow?ms=%d", 2000 + i);
	pthread_create(&th, NULL, cancel_later, &k);
	rc = http_batch(cl, q, r, es, 3, &flag);
	lag = now_s() - k.at;
	pthread_join(th, NULL);
	ok(rc == LD_ECANCEL && es[0].status == LD_ECANCEL &&
	    es[2].status == LD_ECANCEL && lag < 0.2,
	    "cancel a batch (%.3f s)", lag);
	for (int i = 0; i < 3; i++)
		http_resp_free(&r[i]);
	http_client_free(cl);
	http_conf_free(&c);
}

struct worker {
	struct http_client *cl;
	int good;
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct http_req q = { .url = url("/echo") };
	struct http_resp r;
	struct ld_err e;

	for (int i = 0; i < 5; i++) {
		if (http_request(w->cl, &q, &r, NULL, &e) == LD_OK && r.status == 200)
			w->good++;
		http_resp_free(&r);
	}
	return NULL;
}

static void
t_batch(void)
{
	struct http_conf c;
	struct http_client *cl;
	struct http_req q[5];
	struct http_resp r[5];
	struct ld_err e[5];
	struct worker w[3];
	pthread_t th[3];
	double t;
	char want[512];
	int rc;

	conf_test(&c);
	c.max_parallel = 4;
	cl = http_client_new(&c);

	memset(q, 0, sizeof q);
	for (int i = 0; i < 3; i++)
		q[i].url = url("/slow?ms=500&i=%d", i);
	t = now_s();
	rc = http_batch(cl, q, r, e, 3, NULL);
	t = now_s() - t;
	ok(rc == LD_OK && r[0].status == 200 && r[1].status == 200 &&
	    r[2].status == 200, "batch of 3 slow: all 200");
	ok(t >= 0.5 && t < 1.0, "batch of 3 x 500 ms: %.3f s (concurrent)", t);
	for (int i = 0; i < 3; i++)
		http_resp_free(&r[i]);

	/* each its own fate */
	q[0].url = url("/echo");
	q[1].url = url("/status/404");
	q[2].url = "http://127.0.0.1:1/";
	q[3].url = url("/flaky?fail=1&code=503&key=b3");
	q[4].url = url("/truncated");
	rc = http_batch(cl, q, r, e, 5, NULL);
	ok(rc == LD_ESOURCE, "mixed batch: LD_ESOURCE");
	ok(e[0].status == LD_OK && r[0].status == 200, "mixed batch: echo 200");
	ok(e[1].status == LD_OK && r[1].status == 404, "mixed batch: 404 answered");
	is_str(e[2].msg, "cannot connect to http://127.0.0.1:1: connection refused "
	    "— is the server up and the port right?", "mixed batch: refused");
	ok(e[3].status == LD_OK && r[3].status == 200 && r[3].retries == 1,
	    "mixed batch: retried alone");
	snprintf(want, sizeof want, "http://127.0.0.1:%d/truncated: response cut "
	    "short: 10 of 100 bytes came before the connection closed — try "
	    "again", port);
	is_str(e[4].msg, want, "mixed batch: truncated");
	for (int i = 0; i < 5; i++) {
		check_leak(&e[i]);
		http_resp_free(&r[i]);
	}

	/* more requests than connections: they queue, none times out */
	for (int i = 0; i < 5; i++)
		q[i].url = url("/slow?ms=300&j=%d", i);
	t = now_s();
	rc = http_batch(cl, q, r, e, 5, NULL);
	t = now_s() - t;
	ok(rc == LD_OK && t >= 0.6 && t < 1.2,
	    "5 requests on 4 connections: two rounds (%.3f s)", t);
	for (int i = 0; i < 5; i++)
		http_resp_free(&r[i]);

	/* one client, three threads */
	for (int i = 0; i < 3; i++) {
		w[i].cl = cl;
		w[i].good = 0;
		pthread_create(&th[i], NULL, worker, &w[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	ok(w[0].good + w[1].good + w[2].good == 15, "3 threads x 5 requests, one client");
	http_client_free(cl);
	http_conf_free(&c);
}

/* --max-body sizes, proxies from the environment, the scrubbed credential */
static void
t_proxy_size(void)
{
	static const struct { const char *in; size_t want; } sz[] = {
		{ "65536", 65536 }, { "1K", 1024 }, { "256M", (size_t)256 << 20 },
		{ "256m", (size_t)256 << 20 }, { "1G", (size_t)1 << 30 },
		{ "1GiB", (size_t)1 << 30 }, { "64MB", (size_t)64 << 20 },
		{ "100B", 100 },
	};
	static const char *const bad[] = { "", "0", "-1", "1X", "1.5M", "M",
	    "99999999999999999999", "17179869184G", "1 M", "1MiBs" };
	static const struct { size_t n; const char *want; } fs[] = {
		{ 1000, "1000 bytes" }, { 1024, "1 KiB" }, { (size_t)1 << 20, "1 MiB" },
		{ (size_t)256 << 20, "256 MiB" }, { (size_t)3 << 29, "1.5 GiB" },
	};
	static const struct {
		const char *http, *HTTP, *https, *all, *no, *url, *want, *var;
	} px[] = {
		{ NULL, NULL, NULL, NULL, NULL, "http://es:9200/x", NULL, NULL },
		{ "http://p:3128", NULL, NULL, NULL, NULL, "http://es:9200/x",
		  "http://p:3128", "http_proxy" },
		{ "http://p:3128", NULL, NULL, NULL, NULL, "https://es:9200/x", NULL, NULL },
		{ NULL, "http://P:1", NULL, NULL, NULL, "http://es/x", "http://P:1", "HTTP_PROXY" },
		{ "http://p:2", "http://P:1", NULL, NULL, NULL, "http://es/x", "http://p:2",
		  "http_proxy" },
		{ NULL, NULL, "http://s:3", NULL, NULL, "https://es/x", "http://s:3",
		  "https_proxy" },
		{ NULL, NULL, NULL, "socks5://a:4", NULL, "https://es/x", "socks5://a:4",
		  "all_proxy" },
		{ "http://p:2", NULL, NULL, NULL, "*", "http://es/x", NULL, NULL },
		{ "http://p:2", NULL, NULL, NULL, "example.com", "http://es.example.com:9200/x",
		  NULL, NULL },
		{ "http://p:2", NULL, NULL, NULL, ".example.com", "http://EXAMPLE.com/x",
		  NULL, NULL },
		{ "http://p:2", NULL, NULL, NULL, "example.com", "http://badexample.com/x",
		  "http://p:2", "http_proxy" },
		{ "http://p:2", NULL, NULL, NULL, "localhost, 10.0.0.0/8", "http://10.1.2.3:80/",
		  NULL, NULL },
		{ "http://p:2", NULL, NULL, NULL, "10.0.0.0/8", "http://11.1.2.3/", "http://p:2",
		  "http_proxy" },
		{ "http://p:2", NULL, NULL, NULL, "127.0.0.1", "http://u:pw@127.0.0.1:9/",
		  NULL, NULL },
		{ "http://p:2", NULL, NULL, NULL, "::1", "http://[::1]:9200/", NULL, NULL },
		{ "http://p:2", NULL, NULL, NULL, "fd00::/8", "http://[fd12::5]/", NULL, NULL },
		{ "http://p:2", NULL, NULL, NULL, "127.0.0.2", "http://127.0.0.1/", "http://p:2",
		  "http_proxy" },
	};
	struct http_conf c;
	struct http_client *cl;
	struct http_resp r;
	struct ld_err e;
	char out[64], want[512];
	size_t n;
	const char *var;

	for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
		ok(http_parse_size(sz[i].in, &n) == 0 && n == sz[i].want, "size %s",
		    sz[i].in);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(http_parse_size(bad[i], &n) == -1, "size '%s' refused", bad[i]);
	for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
		is_str(http_fmt_size(fs[i].n, out, sizeof out), fs[i].want, "format %zu",
		    fs[i].n);

	for (size_t i = 0; i < sizeof px / sizeof px[0]; i++) {
		char *got;
#define SETENV(name, v) ((v) ? setenv(name, v, 1) : unsetenv(name))
		SETENV("http_proxy", px[i].http);
		SETENV("HTTP_PROXY", px[i].HTTP);
		SETENV("https_proxy", px[i].https);
		SETENV("all_proxy", px[i].all);
		SETENV("no_proxy", px[i].no);
		got = http_env_proxy(px[i].url, &var);
		ok((got == NULL && px[i].want == NULL) || (got && px[i].want &&
		    strcmp(got, px[i].want) == 0), "proxy of %s (no_proxy %s): %s",
		    px[i].url, px[i].no ? px[i].no : "-", got ? got : "none");
		ok((var == NULL && px[i].var == NULL) || (var && px[i].var &&
		    strcmp(var, px[i].var) == 0), "... from %s", var ? var : "-");
		free(got);
	}
	/* a CGI program: HTTP_PROXY is the client's Proxy: header (httpoxy) */
	unsetenv("http_proxy");
	unsetenv("no_proxy");
	setenv("HTTP_PROXY", "http://evil:1", 1);
	setenv("REQUEST_METHOD", "GET", 1);
	ok(http_env_proxy("http://es/x", NULL) == NULL, "HTTP_PROXY ignored under CGI");
	unsetenv("REQUEST_METHOD");

	/* a plain http:// request answered 407 by the proxy */
	setenv("HTTP_PROXY", "http://puser:" SECRET "@127.0.0.1:3128", 1);
	conf_test(&c);
	cl = http_client_new(&c);
	memset(&r, 0, sizeof r);
	r.status = 407;
	http_status_err(cl, "http://es:9200/x", &r, &e);
	is_str(e.msg, "http://es:9200/x: 407 Proxy Authentication Required: the proxy "
	    "http://127.0.0.1:3128 (from HTTP_PROXY) asks for credentials — check the user "
	    "name and password in HTTP_PROXY", "407: the proxy named, redacted");
	check_leak(&e);
	http_client_free(cl);
	http_conf_free(&c);
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("all_proxy");

	/* an error body that quotes the Authorization header: basic auth is
	 * base64(user:password), blanked too, with or without its padding */
	conf_test(&c);
	c.auth = HTTP_AUTH_BASIC;
	http_conf_set(&c.user, "elastic");
	http_conf_set(&c.secret, SECRET);
	cl = http_client_new(&c);
	{
		char *up = xasprintf("elastic:%s", SECRET), *b64;
		size_t k;
		/* base64 by hand: the test must not trust http.c's */
		static const char tab[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		const unsigned char *u = (const unsigned char *)up;
		size_t len = strlen(up);
		b64 = xcalloc(len * 2 + 8, 1);
		for (k = 0, n = 0; k < len; k += 3) {
			unsigned v = u[k] << 16 | (k + 1 < len ? u[k + 1] << 8 : 0) |
			    (k + 2 < len ? u[k + 2] : 0);
			b64[n++] = tab[v >> 18 & 63];
			b64[n++] = tab[v >> 12 & 63];
			b64[n++] = k + 1 < len ? tab[v >> 6 & 63] : '=';
			b64[n++] = k + 2 < len ? tab[v & 63] : '=';
		}
		err_set(&e, LD_ESOURCE, "500: bad Authorization: Basic %s; again %.*s", b64,
		    (int)strcspn(b64, "="), b64);
		http_scrub(cl, &e);
		is_str(e.msg, "500: bad Authorization: Basic ***; again ***",
		    "the base64 credential scrubbed, padded or not");
		snprintf(want, sizeof want, "echo %s and %s", SECRET, "elastic");
		err_set(&e, LD_ESOURCE, "%s", want);
		http_scrub(cl, &e);
		is_str(e.msg, "echo *** and elastic", "the password scrubbed, the user kept");
		free(b64);
		free(up);
	}
	http_client_free(cl);
	http_conf_free(&c);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* the tests talk to 127.0.0.1 directly */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");

	t_redact();
	t_env();
	t_proxy_size();
	if (start_server() != 0) {
		ok(0, "start tests/fake-http.py");
		return tap_done();
	}
	t_echo();
	t_status();
	t_retry();
	t_failures();
	t_tls();
	t_cancel();
	t_batch();
	ok(leaks == 0, "no message held the secret (%d did)", leaks);
	stop_server();
	return tap_done();
}
