/* A stand-in for the network under the Elasticsearch and Loki fuzz
 * targets: linked with -Wl,--wrap=http_request,--wrap=http_batch, so the
 * real backends (backends/es.c, backends/loki.c) send their requests here
 * and get the fuzzer's bodies as the server's answers. The rest of
 * backends/http.c (client, conf) is the real one; nothing touches the
 * network. */
#include "config.h"
#include "backends/http.h"
#include "lib/xalloc.h"
#include "tests/fuzz/fz_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int __wrap_http_request(struct http_client *cl, const struct http_req *req,
    struct http_resp *resp, _Atomic int *cancel, struct ld_err *err);
int __wrap_http_batch(struct http_client *cl, const struct http_req *reqs,
    struct http_resp *resps, struct ld_err *errs, size_t n, _Atomic int *cancel);

static char **ans;
static size_t *anslen;
static size_t nans, next, budget;

void
fz_http_answers(char **a, size_t *alen, size_t n, size_t max_requests)
{
	ans = a;
	anslen = alen;
	nans = n;
	next = 0;
	budget = max_requests;
}

/* The next answer, cycling: "!NNN " at its start sets the status (else
 * 200); an empty list or a spent budget is a connection refused. */
int
__wrap_http_request(struct http_client *cl, const struct http_req *req,
    struct http_resp *resp, _Atomic int *cancel, struct ld_err *err)
{
	(void)cl;
	(void)req;
	(void)cancel;
	memset(resp, 0, sizeof *resp);
	if (nans == 0 || budget == 0)
		return err_set(err, LD_ESOURCE, "fuzz: connection refused");
	budget--;
	const char *p = ans[next % nans];
	size_t len = anslen[next % nans];
	next++;
	resp->status = 200;
	if (len >= 5 && p[0] == '!' && p[4] == ' ' && p[1] >= '1' && p[1] <= '5' &&
	    p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9') {
		resp->status = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
		p += 5;
		len -= 5;
	}
	resp->content_type = xstrdup("application/json");
	buf_add(&resp->body, p, len);
	if (resp->body.p == NULL)
		buf_adds(&resp->body, "");
	return LD_OK;
}

int
__wrap_http_batch(struct http_client *cl, const struct http_req *reqs,
    struct http_resp *resps, struct ld_err *errs, size_t n, _Atomic int *cancel)
{
	int rc = LD_OK;

	for (size_t i = 0; i < n; i++) {
		err_clear(&errs[i]);
		if (__wrap_http_request(cl, &reqs[i], &resps[i], cancel, &errs[i]) != LD_OK)
			rc = LD_ESOURCE;
	}
	return rc;
}
