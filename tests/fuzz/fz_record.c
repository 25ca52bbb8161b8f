/* Not a fuzz target: records a real server's answers to what fz_es and
 * fz_loki ask, as one seed file (answers separated by lines "@@"). Used
 * to make corpus/es and corpus/loki from tests/fake-es.py and
 * tests/fake-loki.py (tests/fuzz/README.md):
 *   fz_record SOURCE OUTFILE
 * Linked with -Wl,--wrap=http_request,--wrap=http_batch, without
 * fz_http.c. */
#include "config.h"
#include "backends/http.h"
#include "tests/fuzz/fz_remote.h"

#include <stdio.h>

int __real_http_request(struct http_client *cl, const struct http_req *req,
    struct http_resp *resp, _Atomic int *cancel, struct ld_err *err);
int __wrap_http_request(struct http_client *cl, const struct http_req *req,
    struct http_resp *resp, _Atomic int *cancel, struct ld_err *err);
int __wrap_http_batch(struct http_client *cl, const struct http_req *reqs,
    struct http_resp *resps, struct ld_err *errs, size_t n, _Atomic int *cancel);

static FILE *out;
static int nrec;

void
fz_http_answers(char **a, size_t *alen, size_t n, size_t max_requests)
{
	(void)a;
	(void)alen;
	(void)n;
	(void)max_requests;
}

int
__wrap_http_request(struct http_client *cl, const struct http_req *req,
    struct http_resp *resp, _Atomic int *cancel, struct ld_err *err)
{
	int rc = __real_http_request(cl, req, resp, cancel, err);

	if (rc == LD_OK) {
		if (nrec++)
			fputs("\n@@\n", out);
		if (resp->status != 200)
			fprintf(out, "!%03ld ", resp->status);
		fwrite(resp->body.p ? resp->body.p : "", 1, resp->body.len, out);
	}
	return rc;
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

int
main(int argc, char **argv)
{
	if (argc != 3 || (out = fopen(argv[2], "w")) == NULL) {
		fprintf(stderr, "usage: fz_record SOURCE OUTFILE\n");
		return 2;
	}
	fz_remote(argv[1], (const uint8_t *)"", 0);
	fclose(out);
	printf("%d answers\n", nrec);
	return 0;
}
