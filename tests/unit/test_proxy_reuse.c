/* The pool's rules: which origin connection may wait for another
 * request, which request it may serve, and which failed request may be
 * sent again on a fresh connection. */
#include "proxy_reuse.h"
#include "unit.h"

static struct nw_addr v4(uint8_t last)
{
	struct nw_addr a = {.family = AF_INET, .a = {127, 0, 0, last}};
	return a;
}

static void test_same_key(void)
{
	struct nw_addr a2 = v4(2), a3 = v4(3), six = {.family = AF_INET6, .a = {127, 0, 0, 2}};
	struct proxy_reuse_key k = {"a.test", 80, &a2};
	const struct {
		struct proxy_reuse_key other;
		bool same;
	} cases[] = {
	    {{"a.test", 80, &a2}, true},
	    /* another name at the same address and port: its own decision,
	     * its own connections */
	    {{"b.test", 80, &a2}, false},
	    {{"a.test.x", 80, &a2}, false},
	    {{"a.tes", 80, &a2}, false},
	    {{"a.test", 8080, &a2}, false},
	    /* the name now resolves elsewhere: only the approved address */
	    {{"a.test", 80, &a3}, false},
	    {{"a.test", 80, &six}, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(proxy_reuse_same(&k, &cases[i].other) == cases[i].same);
		CHECK(proxy_reuse_same(&cases[i].other, &k) == cases[i].same);
	}
}

/* A whole 200 with a Content-Length, to a request sent whole, from an
 * origin that keeps the connection: kept and pooled. */
static const struct proxy_reuse_end ok = {.status = 200,
					  .body = HTTP_BODY_LENGTH,
					  .resp_done = true,
					  .origin_keeps = true,
					  .req_forwarded = true};

static void test_keep(void)
{
	struct proxy_reuse_end e;

	CHECK(proxy_reuse_keep(&ok));
	e = ok, e.body = HTTP_BODY_CHUNKED;
	CHECK(proxy_reuse_keep(&e));
	e = ok, e.body = HTTP_BODY_NONE, e.status = 304; /* HEAD, 204, 304: no body */
	CHECK(proxy_reuse_keep(&e));
	/* delimited by the close: the end is the close */
	e = ok, e.body = HTTP_BODY_CLOSE;
	CHECK(!proxy_reuse_keep(&e));
	e = ok, e.resp_done = false;
	CHECK(!proxy_reuse_keep(&e));
	e = ok, e.origin_keeps = false; /* Connection: close, or HTTP/1.0 without keep-alive */
	CHECK(!proxy_reuse_keep(&e));
	e = ok, e.origin_eof = true;
	CHECK(!proxy_reuse_keep(&e));
	/* a byte past the response belongs to no request */
	e = ok, e.extra = 1;
	CHECK(!proxy_reuse_keep(&e));
	/* the origin answered before the body was all sent */
	e = ok, e.req_forwarded = false;
	CHECK(!proxy_reuse_keep(&e));
	/* interim and switching responses end no exchange */
	e = ok, e.status = 100;
	CHECK(!proxy_reuse_keep(&e));
	e = ok, e.status = 101;
	CHECK(!proxy_reuse_keep(&e));
	e = ok, e.status = 0; /* no response */
	CHECK(!proxy_reuse_keep(&e));
}

static void test_pool(void)
{
	struct proxy_reuse_end e;

	CHECK(proxy_reuse_pool(&ok));
	/* after a body, only its own client may go on using the connection */
	e = ok, e.req_body = true;
	CHECK(proxy_reuse_keep(&e) && !proxy_reuse_pool(&e));
	/* what is not kept is not pooled */
	e = ok, e.extra = 1;
	CHECK(!proxy_reuse_pool(&e));
	e = ok, e.origin_keeps = false;
	CHECK(!proxy_reuse_pool(&e));
}

static void test_retry(void)
{
	CHECK(proxy_reuse_retry("GET", HTTP_BODY_NONE, 0));
	CHECK(proxy_reuse_retry("HEAD", HTTP_BODY_NONE, 0));
	/* a byte of a response came back: it may have been acted on */
	CHECK(!proxy_reuse_retry("GET", HTTP_BODY_NONE, 1));
	/* a body, or a method that is not safe to repeat */
	CHECK(!proxy_reuse_retry("GET", HTTP_BODY_LENGTH, 0));
	CHECK(!proxy_reuse_retry("GET", HTTP_BODY_CHUNKED, 0));
	CHECK(!proxy_reuse_retry("POST", HTTP_BODY_NONE, 0));
	CHECK(!proxy_reuse_retry("PUT", HTTP_BODY_NONE, 0));
	CHECK(!proxy_reuse_retry("DELETE", HTTP_BODY_NONE, 0));
	CHECK(!proxy_reuse_retry("get", HTTP_BODY_NONE, 0)); /* methods are case-sensitive */
	CHECK(!proxy_reuse_retry("GETX", HTTP_BODY_NONE, 0));
}

int main(void)
{
	RUN(test_same_key);
	RUN(test_keep);
	RUN(test_pool);
	RUN(test_retry);
	UNIT_DONE();
}
