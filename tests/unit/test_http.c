/* The proxy's HTTP head parser, rewriting and chunked framing: golden
 * tables of accepted and refused requests. */
#include <stdbool.h>
#include <stdlib.h>

#include "http.h"
#include "unit.h"

struct req_case {
	const char *in;
	int rc;		 /* 1 whole, 0 needs more, -1 refused */
	int status;	 /* when refused */
	const char *why; /* a piece of the reason, when refused */
};

#define H11 " HTTP/1.1\r\nHost: a.test\r\n\r\n"

static const struct req_case req_cases[] = {
    /* good */
    {"GET http://a.test/x" H11, 1, 0, NULL},
    {"GET http://A.Test./x?q=1 HTTP/1.1\r\nHost: a.test:80\r\n\r\n", 1, 0, NULL},
    {"GET http://a.test:8080/ HTTP/1.1\r\nHost: a.test:8080\r\n\r\n", 1, 0, NULL},
    {"GET http://a.test HTTP/1.0\r\n\r\n", 1, 0, NULL},
    {"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\nhello", 1, 0, NULL},
    {"PUT http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n", 1, 0,
     NULL},
    {"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n", 1, 0, NULL},
    {"CONNECT a.test:443 HTTP/1.1\r\n\r\n", 1, 0, NULL},
    {"CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n", 1, 0, NULL},
    {"CONNECT 198.18.0.10:443 HTTP/1.1\r\n\r\n", 1, 0, NULL},
    {"X-CUSTOM http://a.test/" H11, 1, 0, NULL},
    {"GET http://a.test/ HTTP/1.1\r\nHost:a.test\r\nX-Empty:\r\n\r\n", 1, 0, NULL},
    /* incomplete */
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n", 0, 0, NULL},
    {"GET http://a.test/ HTT", 0, 0, NULL},
    {"", 0, 0, NULL},
    /* line endings */
    {"GET http://a.test/ HTTP/1.1\nHost: a.test\r\n\r\n", -1, 400, "bare LF"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\n\r\n", -1, 400, "bare LF"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\n", -1, 400, "bare LF"},
    {"GET http://a.test/\r HTTP/1.1\r\nHost: a.test\r\n\r\n", -1, 400, "control character"},
    /* request line */
    {"GET  http://a.test/" H11, -1, 400, "malformed request line"},
    {"GET http://a.test/ x HTTP/1.1\r\n\r\n", -1, 400, "malformed request line"},
    {"G(T http://a.test/" H11, -1, 400, "method"},
    {"GET http://a.test/\x01" H11, -1, 400, "control character"},
    {"GET http://a.test/\xc3\xa9" H11, -1, 400, "non-ASCII"},
    {"GET http://a.test/ HTTP/1.2\r\n\r\n", -1, 505, "version"},
    {"GET http://a.test/ HTTQ/1.1\r\n\r\n", -1, 400, "version"},
    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -1, 405, "HTTP/2"},
    {"GET /index.html" H11, -1, 400, "this is a proxy"},
    {"OPTIONS *" H11, -1, 400, "this is a proxy"},
    {"GET https://a.test/" H11, -1, 400, "CONNECT"},
    {"GET ftp://a.test/" H11, -1, 400, "only http://"},
    {"GET http://u:p@a.test/" H11, -1, 400, "userinfo"},
    {"GET http://a@a.test/" H11, -1, 400, "userinfo"},
    {"GET http://a%2etest/" H11, -1, 400, "percent"},
    {"GET http://a..test/" H11, -1, 400, "invalid host"},
    {"GET http://a_b.test/" H11, -1, 400, "invalid host"},
    {"GET http:///x" H11, -1, 400, "empty"},
    {"GET http://a.test:/" H11, -1, 400, "invalid port"},
    {"GET http://a.test:0/" H11, -1, 400, "out of range"},
    {"GET http://a.test:65536/" H11, -1, 400, "out of range"},
    {"GET http://a.test:8x/" H11, -1, 400, "invalid port"},
    {"GET http://a.test/#frag" H11, -1, 400, "fragment"},
    {"GET http://[::1/" H11, -1, 400, "IPv6"},
    {"CONNECT a.test HTTP/1.1\r\n\r\n", -1, 400, "host:port"},
    {"CONNECT a.test:443 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", -1, 400, "body"},
    /* headers */
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n folded\r\n\r\n", -1, 400, "folding"},
    {"GET http://a.test/ HTTP/1.1\r\nHost : a.test\r\n\r\n", -1, 400, "before the colon"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nNoColon\r\n\r\n", -1, 400, "colon"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n: v\r\n\r\n", -1, 400, "header name"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX-A: a\x01"
     "b\r\n\r\n",
     -1, 400, "control"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX-A: a\rb\r\n\r\n", -1, 400, "control"},
    {"GET http://a.test/ HTTP/1.1\r\n\r\n", -1, 400, "without a Host"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\n\r\n", -1, 400,
     "more than one Host"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n", -1, 400, "disagrees"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test:81\r\n\r\n", -1, 400, "disagrees"},
    {"GET http://a.test:81/ HTTP/1.1\r\nHost: a.test\r\n\r\n", -1, 400, "disagrees"},
    {"CONNECT a.test:443 HTTP/1.1\r\nHost: b.test:443\r\n\r\n", -1, 400, "disagrees"},
    {"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:8443\r\n\r\n", -1, 400, "disagrees"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: u@a.test\r\n\r\n", -1, 400, "userinfo"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\nContent-Length: "
     "1\r\n\r\n",
     -1, 400, "more than one Content-Length"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1, 2\r\n\r\n", -1, 400,
     "Content-Length"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: -1\r\n\r\n", -1, 400,
     "Content-Length"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: +1\r\n\r\n", -1, 400,
     "Content-Length"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length:\r\n\r\n", -1, 400,
     "Content-Length"},
    {"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     -1, 400, "both"},
    {"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -1,
     400, "other than"},
    {"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: "
     "chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     -1, 400, "more than one Transfer"},
    {"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: xchunked\r\n\r\n", -1, 400,
     "other than"},
    {"POST http://a.test/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 400, "HTTP/1.0"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: a b\r\n\r\n", -1, 400,
     "Connection"},
};

static void test_request_table(void)
{
	for (size_t i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];
		struct http_req *r = calloc(1, sizeof(*r));
		struct http_fail f;
		int rc = http_parse_request(c->in, strlen(c->in), r, &f);
		if (rc != c->rc || (rc < 0 && f.status != c->status) ||
		    (rc < 0 && c->why && strstr(f.reason, c->why) == NULL) ||
		    (rc < 0 && strncmp(f.reason, "netward: ", 9) != 0)) {
			printf("#   case %zu (%.40s): rc %d status %d reason \"%s\"\n", i, c->in,
			       rc, rc < 0 ? f.status : 0, rc < 0 ? f.reason : "");
			unit_cur_failed++;
		}
		free(r);
	}
}

/* Intercepted requests (http_parse_request_at, the connection on port
 * 8080): the host from Host, the port the connection's. */
static const struct at_case {
	const char *in;
	int rc, status;
	const char *host, *why;
} at_cases[] = {
    {"GET /p?q HTTP/1.1\r\nHost: A.test:8080\r\n\r\n", 1, 0, "a.test", NULL},
    {"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", 1, 0, "a.test", NULL},
    {"GET / HTTP/1.0\r\nHost: 198.18.0.9\r\n\r\n", 1, 0, "198.18.0.9", NULL},
    {"GET http://a.test:8080/ HTTP/1.1\r\nHost: a.test:8080\r\n\r\n", 1, 0, "a.test", NULL},
    {"GET / HTTP/1.0\r\n\r\n", -1, 400, NULL, "without a Host header"},
    {"GET / HTTP/1.1\r\nHost: a.test:80\r\n\r\n", -1, 400, NULL, "port 80 is not the port"},
    {"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", -1, 400, NULL,
     "port 80 is not the port"},
    {"GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", -1, 400, NULL, "more than one Host"},
    {"GET / HTTP/1.1\r\nHost: user@a.test\r\n\r\n", -1, 400, NULL, "userinfo"},
    {"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n", -1, 405, NULL, "CONNECT"},
    {"GET /#f HTTP/1.1\r\nHost: a.test\r\n\r\n", -1, 400, NULL, "fragment"},
    {"GET / HTTP/1.1\r\nHost: a.test\r\n", 0, 0, NULL, NULL},
};

static void test_request_at(void)
{
	for (size_t i = 0; i < sizeof(at_cases) / sizeof(at_cases[0]); i++) {
		const struct at_case *c = &at_cases[i];
		struct http_req *r = calloc(1, sizeof(*r));
		struct http_fail f;
		int rc = http_parse_request_at(c->in, strlen(c->in), 8080, r, &f);
		if (rc != c->rc || (rc < 0 && f.status != c->status) ||
		    (rc < 0 && c->why && strstr(f.reason, c->why) == NULL) ||
		    (rc == 1 && (strcmp(r->host, c->host) != 0 || r->port != 8080))) {
			printf("#   case %zu (%.40s): rc %d status %d reason \"%s\" host %s:%u\n",
			       i, c->in, rc, rc < 0 ? f.status : 0, rc < 0 ? f.reason : "", r->host,
			       r->port);
			unit_cur_failed++;
		}
		free(r);
	}
}

/* The head sent upstream for an origin-form request names the host and
 * port checked. */
static void test_build_request_at(void)
{
	static const char in[] = "GET /x HTTP/1.1\r\nHost: a.test:8080\r\nX-Bacalhau-Job-ID: "
				 "forged\r\n\r\n";
	static const char want[] = "GET /x HTTP/1.1\r\nHost: a.test:8080\r\n";
	struct http_req *r = calloc(1, sizeof(*r));
	struct http_fail f;
	char out[1024];
	size_t n;

	CHECK(http_parse_request_at(in, sizeof(in) - 1, 8080, r, &f) == 1);
	n = http_build_request(r, "X-Bacalhau-Job-ID", "job-1", out, sizeof(out));
	out[n] = '\0';
	CHECK(strncmp(out, want, sizeof(want) - 1) == 0);
	CHECK(strstr(out, "forged") == NULL && strstr(out, "X-Bacalhau-Job-ID: job-1\r\n") != NULL);
	free(r);
}

static void test_nul_byte(void)
{
	static const char in[] = "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX-A: a\0b\r\n\r\n";
	struct http_req *r = calloc(1, sizeof(*r));
	struct http_fail f;

	CHECK(http_parse_request(in, sizeof(in) - 1, r, &f) == -1 && f.status == 400);
	free(r);
}

static struct http_req *parse_ok(const char *in)
{
	struct http_req *r = calloc(1, sizeof(*r));
	struct http_fail f;

	if (http_parse_request(in, strlen(in), r, &f) != 1) {
		printf("#   refused: %s\n", f.reason);
		unit_cur_failed++;
	}
	return r;
}

static void test_request_fields(void)
{
	const char *in = "GET http://A.Test.:8080?q=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nX";
	struct http_req *r = parse_ok(in);

	CHECK_STR(r->method, "GET");
	CHECK_STR(r->host, "a.test");
	CHECK(r->port == 8080);
	CHECK(r->path_slash && r->path_len == 4 && memcmp(r->path, "?q=1", 4) == 0);
	CHECK(r->h.minor == 0 && r->keep_alive);
	CHECK(r->h.head_len == strlen(in) - 1);
	free(r);

	r = parse_ok("CONNECT [2001:DB8::1]:443 HTTP/1.1\r\n\r\n");
	CHECK(r->connect && r->host_is_ip && r->port == 443);
	CHECK_STR(r->host, "2001:db8::1");
	free(r);

	r = parse_ok("GET http://a.test/ HTTP/1.0\r\n\r\n");
	CHECK(!r->keep_alive && r->h.body == HTTP_BODY_NONE);
	free(r);
	r = parse_ok("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
	CHECK(!r->keep_alive);
	free(r);
	r = parse_ok("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 12\r\n\r\n");
	CHECK(r->keep_alive && r->h.body == HTTP_BODY_LENGTH && r->h.length == 12);
	free(r);
	r = parse_ok("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\n\r\n");
	CHECK(r->h.body == HTTP_BODY_NONE);
	free(r);
	r = parse_ok(
	    "POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: Chunked\r\n\r\n");
	CHECK(r->h.body == HTTP_BODY_CHUNKED);
	free(r);
}

static void test_caps(void)
{
	size_t big = HTTP_MAX_HEAD + 4096;
	char *buf = calloc(1, big);
	struct http_req *r = calloc(1, sizeof(*r));
	struct http_fail f;
	size_t n;

	/* A request line over 8 KiB is refused before its newline arrives. */
	n = (size_t)sprintf(buf, "GET http://a.test/");
	memset(buf + n, 'a', HTTP_MAX_LINE);
	CHECK(http_parse_request(buf, HTTP_MAX_LINE, r, &f) == 0);
	CHECK(http_parse_request(buf, HTTP_MAX_LINE + 2, r, &f) == -1 && f.status == 414);
	memcpy(buf + HTTP_MAX_LINE + 2, " HTTP/1.1\r\n\r\n", 13);
	CHECK(http_parse_request(buf, HTTP_MAX_LINE + 15, r, &f) == -1 && f.status == 414);

	/* Headers over 32 KiB: 431, also before the blank line. */
	n = (size_t)sprintf(buf, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX-Big: ");
	memset(buf + n, 'b', HTTP_MAX_FIELDS);
	CHECK(http_parse_request(buf, n + 1000, r, &f) == 0);
	CHECK(http_parse_request(buf, n + HTTP_MAX_FIELDS, r, &f) == -1 && f.status == 431);

	/* 101 headers: 431. */
	n = (size_t)sprintf(buf, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(buf + n, "X-%d: v\r\n", i);
	n += (size_t)sprintf(buf + n, "\r\n");
	CHECK(http_parse_request(buf, n, r, &f) == -1 && f.status == 431);
	n = (size_t)sprintf(buf, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n");
	for (int i = 0; i < 99; i++)
		n += (size_t)sprintf(buf + n, "X-%d: v\r\n", i);
	n += (size_t)sprintf(buf + n, "\r\n");
	CHECK(http_parse_request(buf, n, r, &f) == 1);
	free(buf);
	free(r);
}

static void test_new_line_scan(void)
{
	size_t scan = 0;

	CHECK(!http_new_line("GET", 3, &scan) && scan == 3);
	CHECK(!http_new_line("GET", 3, &scan));
	CHECK(http_new_line("GET x\r\n", 7, &scan) && scan == 7);
	CHECK(!http_new_line("GET x\r\nA", 8, &scan));
}

static void test_build_request(void)
{
	const char *in = "POST http://A.test:8080/p?q HTTP/1.1\r\n"
			 "Host: a.test:8080\r\n"
			 "Connection: keep-alive, X-Secret\r\n"
			 "X-Secret: s\r\n"
			 "Keep-Alive: 5\r\n"
			 "Proxy-Connection: keep-alive\r\n"
			 "Proxy-Authorization: Basic eA==\r\n"
			 "TE: trailers\r\n"
			 "Trailer: X-T\r\n"
			 "Upgrade: websocket\r\n"
			 "x-bacalhau-job-id: forged\r\n"
			 "X_Bacalhau_Job_ID: forged\r\n"
			 "x_bacalhau-JOB_id: forged\r\n"
			 "X.Bacalhau.Job.ID: forged\r\n"
			 "X-Bacalhau-Job-IDs: kept\r\n"
			 "X-Bacalhau-Job: kept\r\n"
			 "Content-Length: 2\r\n"
			 "Accept: */*\r\n\r\nhi";
	const char *want = "POST /p?q HTTP/1.1\r\n"
			   "Host: a.test:8080\r\n"
			   "X-Bacalhau-Job-IDs: kept\r\n"
			   "X-Bacalhau-Job: kept\r\n"
			   "Content-Length: 2\r\n"
			   "Accept: */*\r\n"
			   "Via: 1.1 netward\r\n"
			   "X-Bacalhau-Job-ID: job-1\r\n\r\n";
	struct http_req *r = parse_ok(in);
	char out[1024];
	size_t n = http_build_request(r, "X-Bacalhau-Job-ID", "job-1", out, sizeof(out));

	out[n] = '\0';
	CHECK_STR(out, want);
	CHECK(http_build_request(r, "X-Bacalhau-Job-ID", "job-1", out, 20) == 0);
	free(r);

	r = parse_ok("GET http://a.test?x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	n = http_build_request(r, "", "job-1", out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "GET /?x HTTP/1.0\r\nHost: a.test\r\nVia: 1.1 netward\r\n"
		       "Connection: keep-alive\r\n\r\n");
	free(r);
}

static void test_field_cgi_is(void)
{
	static const struct {
		const char *name;
		bool same;
	} cases[] = {
	    {"X-Bacalhau-Job-ID", true},   {"x-bacalhau-job-id", true},
	    {"X_BACALHAU_JOB_ID", true},   {"X_Bacalhau-Job_Id", true},
	    {"X.Bacalhau~Job*ID", true},   {"X-Bacalhau-Job-I", false},
	    {"X-Bacalhau-Job-IDx", false}, {"X-Bacalhau-JobXID", false},
	    {"Y-Bacalhau-Job-ID", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_field fl = {.name = cases[i].name, .nlen = strlen(cases[i].name)};
		if (http_field_cgi_is(&fl, "X-Bacalhau-Job-ID") != cases[i].same) {
			printf("#   %s: expected %s\n", cases[i].name,
			       cases[i].same ? "same" : "other");
			unit_cur_failed++;
		}
	}
	/* A configured name with underscores covers the dashed spellings too. */
	struct http_field dash = {.name = "X-Job", .nlen = 5};
	CHECK(http_field_cgi_is(&dash, "x_job"));
}

static struct http_resp *resp_parse(const char *in, bool head, int want_rc)
{
	struct http_resp *r = calloc(1, sizeof(*r));
	struct http_fail f;
	int rc = http_parse_response(in, strlen(in), head, r, &f);

	if (rc != want_rc) {
		printf("#   response rc %d (%s): %s\n", rc, rc < 0 ? f.reason : "", in);
		unit_cur_failed++;
	}
	if (rc < 0 && f.status != 502)
		unit_cur_failed++;
	return r;
}

static void test_responses(void)
{
	struct http_resp *r;
	char out[512];
	size_t n;

	r = resp_parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close, X-H\r\n"
		       "X-H: 1\r\nServer: t\r\n\r\nhello",
		       false, 1);
	CHECK(r->status == 200 && r->h.body == HTTP_BODY_LENGTH && r->h.length == 5);
	CHECK(!r->keep_alive);
	n = http_build_response(r, true, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\nVia: 1.1 netward\r\n"
		       "Connection: keep-alive\r\n\r\n");
	free(r);

	r = resp_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, 1);
	CHECK(r->h.body == HTTP_BODY_CHUNKED && r->keep_alive);
	free(r);
	r = resp_parse("HTTP/1.0 200 OK\r\n\r\n", false, 1);
	CHECK(r->h.body == HTTP_BODY_CLOSE && !r->keep_alive);
	free(r);
	r = resp_parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, 1);
	CHECK(r->h.body == HTTP_BODY_NONE && r->keep_alive);
	free(r);
	r = resp_parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false, 1);
	CHECK(r->h.body == HTTP_BODY_NONE);
	free(r);
	r = resp_parse("HTTP/1.1 204\r\n\r\n", false, 1);
	CHECK(r->status == 204 && r->h.body == HTTP_BODY_NONE);
	free(r);
	r = resp_parse("HTTP/1.1 100 Continue\r\n\r\n", false, 1);
	CHECK(r->status == 100 && r->h.body == HTTP_BODY_NONE);
	n = http_build_response(r, true, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 100 Continue\r\nVia: 1.1 netward\r\n\r\n");
	free(r);
	free(resp_parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", false, 0));
	free(resp_parse("HTTP/1.1 200 OK\nContent-Length: 1\r\n\r\n", false, -1));
	free(resp_parse("HTTP/1.1 2000 OK\r\n\r\n", false, -1));
	free(resp_parse("HTTP/1.1 099 OK\r\n\r\n", false, -1));
	free(resp_parse("HTTP/3.0 200 OK\r\n\r\n", false, -1));
	free(resp_parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", false,
			-1));
	free(
	    resp_parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		       false, -1));
}

static void test_error_response(void)
{
	char out[1024];
	const char *reason = "netward: domain \"evil.test\" is not in this job's allowlist";
	size_t n = http_error_response(403, reason, out, sizeof(out));

	out[n] = '\0';
	CHECK(n > 0);
	CHECK(strncmp(out, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	CHECK(strstr(out, "\r\nConnection: close\r\n") != NULL);
	CHECK(strstr(out, "\r\nContent-Type: text/plain\r\n") != NULL);
	CHECK(strstr(out, "\r\nX-Netward-Reason: netward: domain \"evil.test\"") != NULL);
	CHECK(strstr(out, "\r\n\r\nnetward: domain") != NULL);
	CHECK(out[n - 1] == '\n');
	/* A line break in a reason cannot split the head. */
	n = http_error_response(400, "netward: a\r\nX-Evil: 1", out, sizeof(out));
	out[n] = '\0';
	CHECK(strstr(out, "\r\nX-Evil") == NULL);
	CHECK(http_error_response(400, reason, out, 16) == 0);
}

/* Feeds in step bytes at a time; what passes goes to out (NUL-ended). */
static int feed_all(const char *in, size_t len, size_t step, size_t *consumed, char *out)
{
	struct http_chunked c = {0};
	size_t off = 0, olen = 0;
	int rc = 0;

	while (off < len) {
		size_t n = len - off < step ? len - off : step, kept;
		bool done;
		ssize_t got = http_chunked_feed(&c, in + off, n, out + olen, &kept, &done);
		if (got < 0)
			return -1;
		off += (size_t)got;
		olen += kept;
		if (done) {
			rc = 1;
			break;
		}
	}
	out[olen] = '\0';
	*consumed = off;
	return rc;
}

static void test_chunked(void)
{
	/* out: what goes on (NULL: the input up to used, unchanged). */
	static const struct {
		const char *in;
		int rc;
		size_t used;
		const char *out;
	} cases[] = {
	    {"5\r\nhello\r\n0\r\n\r\nGET", 1, 15, NULL},
	    {"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n", 1, 36, NULL},
	    /* Trailers are dropped, the framing around them kept. */
	    {"0\r\nX-T: 1\r\n\r\nNEXT", 1, 13, "0\r\n\r\n"},
	    {"3\r\nabc\r\n0\r\nX-Bacalhau-Job-ID: forged\r\nX_Bacalhau_Job_ID: f\r\n\r\n", 1, 62,
	     "3\r\nabc\r\n0\r\n\r\n"},
	    {"0;e\r\nA:\r\n\r\n", 1, 11, "0;e\r\n\r\n"},
	    {"0\r\nX-T: 1\r\n", 0, 11, "0\r\n"},
	    {"5\r\nhello\r\n", 0, 10, NULL},
	    {"5\nhello\r\n0\r\n\r\n", -1, 0, NULL},
	    {"5\r\nhelloX\r\n", -1, 0, NULL},
	    {"x\r\n", -1, 0, NULL},
	    {"\r\n", -1, 0, NULL},
	    {"1000000000000000\r\n", -1, 0, NULL},
	    {"0\r\n folded\r\n\r\n", -1, 0, NULL},
	    {"0\r\nX-T: 1\n\r\n", -1, 0, NULL},
	    {"5 \r\nhello\r\n0\r\n\r\n", -1, 0, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t step = 1; step <= 64; step *= 4) {
			char out[256];
			size_t used = 0;
			int rc = feed_all(cases[i].in, strlen(cases[i].in), step, &used, out);
			bool same =
			    rc < 0 || (cases[i].out ? strcmp(out, cases[i].out) == 0
						    : strlen(out) == used &&
							  memcmp(out, cases[i].in, used) == 0);
			if (rc != cases[i].rc || (rc >= 0 && used != cases[i].used) || !same) {
				printf("#   chunked case %zu step %zu: rc %d used %zu out \"%s\"\n",
				       i, step, rc, used, rc < 0 ? "" : out);
				unit_cur_failed++;
			}
		}
	}
}

/* The builders write what they return and nothing past it (all of out
 * only when they return 0): the proxy marks only that much of a buffer
 * as written, and zeroes only that before the memory serves again. */
static void test_build_writes_only_what_it_returns(void)
{
	struct http_req *q = parse_ok("GET http://a.test/x HTTP/1.0\r\nAccept: */*\r\n\r\n");
	struct http_resp *r = resp_parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, 1);
	char out[512];
	size_t n;

	for (int resp = 0; resp < 2; resp++) {
		for (size_t cap = 0; cap <= sizeof(out); cap += 7) {
			memset(out, 'Z', sizeof(out));
			n = resp ? http_build_response(r, false, out, cap)
				 : http_build_request(q, "X-Job", "j", out, cap);
			for (size_t i = n ? n : cap; i < sizeof(out); i++)
				if (out[i] != 'Z') {
					CHECK(out[i] == 'Z');
					break;
				}
		}
	}
	free(q);
	free(r);
}

int main(void)
{
	RUN(test_request_table);
	RUN(test_request_at);
	RUN(test_build_request_at);
	RUN(test_nul_byte);
	RUN(test_request_fields);
	RUN(test_caps);
	RUN(test_new_line_scan);
	RUN(test_build_request);
	RUN(test_field_cgi_is);
	RUN(test_responses);
	RUN(test_error_response);
	RUN(test_chunked);
	RUN(test_build_writes_only_what_it_returns);
	UNIT_DONE();
}
