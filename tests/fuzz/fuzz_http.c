/* The proxy's HTTP parser against hostile bytes. Beyond "no crash", it
 * checks what request smuggling would break:
 * - a head split anywhere parses as it does whole (the proxy reparses as
 *   bytes arrive);
 * - the head sent upstream, read back, names the same host, port, method and
 *   body framing as the head that was checked, and carries no hop-by-hop
 *   header; the same for responses sent to the client;
 * - chunked framing fed in pieces ends where it ends fed whole;
 * - every refusal is a printable line that makes a well-formed response.
 * The input is tried as a request head, as a response head (to GET and to
 * HEAD), and as a chunked body. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "fuzz.h"
#include "http.h"

#define OUT_CAP (HTTP_MAX_HEAD + 2048)
#define JOB_HDR "X-Bacalhau-Job-ID"
#define JOB_ID	"job-1"
/* Inputs up to this size are split at every offset; longer ones at a few. */
#define SPLIT_ALL 256

static char out[OUT_CAP], abs_head[OUT_CAP + DOMAIN_MAX + 32];
static struct http_req req2;
static struct http_resp resp2;

static void check_fail(const struct http_fail *f)
{
	static char page[HTTP_REASON_MAX * 2 + 512];
	struct http_resp r;
	struct http_fail f2;
	size_t n;

	FUZZ_ASSERT(f->status == 400 || f->status == 405 || f->status == 414 || f->status == 431 ||
			f->status == 502 || f->status == 505,
		    "status %d", f->status);
	FUZZ_ASSERT(f->reason[0] != '\0', "empty reason for %d", f->status);
	for (const char *p = f->reason; *p; p++)
		FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f, "unprintable reason \"%s\"", f->reason);
	n = http_error_response(f->status, f->reason, page, sizeof(page));
	FUZZ_ASSERT(n > 0, "no room for the error page of \"%s\"", f->reason);
	FUZZ_ASSERT(http_parse_response(page, n, false, &r, &f2) == 1, "own error page refused: %s",
		    f2.reason);
	FUZZ_ASSERT(r.status == f->status && r.h.body == HTTP_BODY_LENGTH &&
			r.h.head_len + r.h.length == n && !r.keep_alive,
		    "own error page misread");
}

static bool has_field(const struct http_head_common *h, const char *name, size_t *count)
{
	size_t c = 0;

	for (size_t i = 0; i < h->nfields; i++)
		if (h->f[i].nlen == strlen(name) &&
		    strncasecmp(h->f[i].name, name, h->f[i].nlen) == 0)
			c++;
	if (count != NULL)
		*count = c;
	return c > 0;
}

static void check_no_hop_by_hop(const struct http_head_common *h)
{
	static const char *const names[] = {
	    "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate", "TE",
	    "Trailer",	  "Upgrade"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		FUZZ_ASSERT(!has_field(h, names[i], NULL), "%s forwarded", names[i]);
}

/* The path as sent upstream: a "/" goes first when path_slash says so. */
static bool same_path(const struct http_req *a, const struct http_req *b)
{
	const char *pa = a->path, *pb = b->path;
	size_t na = a->path_len, nb = b->path_len;

	if (a->path_slash == b->path_slash)
		return na == nb && memcmp(pa, pb, na) == 0;
	if (a->path_slash)
		return nb == na + 1 && pb[0] == '/' && memcmp(pa, pb + 1, na) == 0;
	return na == nb + 1 && pa[0] == '/' && memcmp(pa + 1, pb, nb) == 0;
}

/* The upstream head, put back into absolute form, must read as what was
 * checked. Heads that grow past a cap on the way (Host, Via and the job
 * header are added) may be refused as too large, nothing else. */
static void check_rebuilt_request(const struct http_req *r)
{
	struct http_fail f;
	size_t n, count, m;
	const char *sp;
	char hostport[DOMAIN_MAX + 16];
	bool v6 = r->host_is_ip && strchr(r->host, ':') != NULL;
	int rc;

	n = http_build_request(r, JOB_HDR, JOB_ID, out, sizeof(out));
	FUZZ_ASSERT(n > 0, "upstream head does not fit %zu bytes", sizeof(out));
	FUZZ_ASSERT(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0, "head not terminated");
	sp = memchr(out, ' ', n);
	FUZZ_ASSERT(sp != NULL && sp[1] == '/', "upstream request line not in origin form");
	snprintf(hostport, sizeof(hostport), v6 ? "[%s]:%u" : "%s:%u", r->host, r->port);
	m = (size_t)(sp + 1 - out);
	memcpy(abs_head, out, m);
	m += (size_t)sprintf(abs_head + m, "http://%s", hostport);
	memcpy(abs_head + m, sp + 1, n - (size_t)(sp + 1 - out));
	m += n - (size_t)(sp + 1 - out);

	rc = http_parse_request(abs_head, m, &req2, &f);
	if (rc == -1 && (f.status == 414 || f.status == 431))
		return;
	FUZZ_ASSERT(rc == 1, "upstream head refused (%d): %s\n%.*s", f.status, f.reason, (int)m,
		    abs_head);
	FUZZ_ASSERT(req2.h.head_len == m, "upstream head has %zu bytes, reads as %zu", m,
		    req2.h.head_len);
	FUZZ_ASSERT(strcmp(req2.method, r->method) == 0, "method changed");
	FUZZ_ASSERT(strcmp(req2.host, r->host) == 0 && req2.port == r->port,
		    "destination changed: %s:%u -> %s:%u", r->host, r->port, req2.host, req2.port);
	FUZZ_ASSERT(req2.h.minor == r->h.minor, "version changed");
	FUZZ_ASSERT(req2.h.body == r->h.body,
		    "body framing changed on the way upstream: %d -> %d (smuggling)\n%.*s",
		    r->h.body, req2.h.body, (int)m, abs_head);
	FUZZ_ASSERT(r->h.body != HTTP_BODY_LENGTH || req2.h.length == r->h.length,
		    "Content-Length changed");
	FUZZ_ASSERT(same_path(r, &req2), "path changed: \"%.*s\" -> \"%.*s\"", (int)r->path_len,
		    r->path, (int)req2.path_len, req2.path);
	has_field(&req2.h, JOB_HDR, &count);
	FUZZ_ASSERT(count == 1, "%zu copies of the job header upstream", count);
	has_field(&req2.h, "Host", &count);
	FUZZ_ASSERT(count == 1, "%zu Host headers upstream", count);
	check_no_hop_by_hop(&req2.h);
}

static void check_rebuilt_response(const struct http_resp *r, bool head_method)
{
	struct http_fail f;
	size_t n;
	int rc;

	n = http_build_response(r, r->keep_alive, out, sizeof(out));
	FUZZ_ASSERT(n > 0, "client head does not fit %zu bytes", sizeof(out));
	rc = http_parse_response(out, n, head_method, &resp2, &f);
	if (rc == -1 && f.status == 502 && r->h.nfields + 2 > HTTP_MAX_HEADERS)
		return;
	if (rc == -1 && f.status == 502 && n - r->line_len > HTTP_MAX_FIELDS)
		return;
	FUZZ_ASSERT(rc == 1, "client head refused: %s\n%.*s", f.reason, (int)n, out);
	FUZZ_ASSERT(resp2.h.head_len == n, "client head length");
	FUZZ_ASSERT(resp2.status == r->status, "status changed");
	FUZZ_ASSERT(resp2.h.body == r->h.body,
		    "body framing changed on the way to the client: %d -> %d\n%.*s", r->h.body,
		    resp2.h.body, (int)n, out);
	FUZZ_ASSERT(r->h.body != HTTP_BODY_LENGTH || resp2.h.length == r->h.length,
		    "Content-Length changed");
	if (r->status >= 200)
		FUZZ_ASSERT(resp2.keep_alive == r->keep_alive, "persistence changed");
	check_no_hop_by_hop(&resp2.h);
}

/* Fed in pieces of 1 to 7 bytes, the tracker must stop where it stops fed
 * whole, and fail where it fails. */
static void check_chunked(const char *b, size_t n)
{
	struct http_chunked c1 = {0}, c2 = {0};
	bool d1 = false, d2 = false, bad = false;
	size_t off = 0, step = 1, o1 = 0, o2 = 0;
	char *out1 = malloc(n + 1), *out2 = malloc(n + 1);
	ssize_t r1 = http_chunked_feed(&c1, b, n, out1, &o1, &d1);

	FUZZ_ASSERT(r1 < 0 || (size_t)r1 <= n, "consumed more than given");
	FUZZ_ASSERT(r1 < 0 || o1 <= (size_t)r1, "passed on more than consumed");
	FUZZ_ASSERT(r1 < 0 || d1 || (size_t)r1 == n, "stopped early without being done");
	while (off < n) {
		size_t k = n - off < step ? n - off : step, kept;
		ssize_t r = http_chunked_feed(&c2, b + off, k, out2 + o2, &kept, &d2);
		if (r < 0) {
			bad = true;
			break;
		}
		FUZZ_ASSERT((size_t)r <= k && (d2 || (size_t)r == k), "piece accounting");
		FUZZ_ASSERT(kept <= (size_t)r, "piece passed on more than it consumed");
		o2 += kept;
		off += (size_t)r;
		if (d2)
			break;
		step = step % 7 + 1;
	}
	if (r1 < 0) {
		FUZZ_ASSERT(bad, "malformed whole, accepted in pieces");
	} else {
		FUZZ_ASSERT(!bad, "accepted whole, malformed in pieces");
		FUZZ_ASSERT(d1 == d2 && off == (size_t)r1, "ends at %zd whole, at %zu in pieces",
			    r1, off);
		FUZZ_ASSERT(o1 == o2 && memcmp(out1, out2, o1) == 0,
			    "passes on other bytes in pieces");
		/* What goes on is chunked framing again, ending where it ends. */
		if (d1) {
			struct http_chunked c3 = {0};
			size_t o3;
			bool d3;
			ssize_t r3 = http_chunked_feed(&c3, out1, o1, out2, &o3, &d3);
			FUZZ_ASSERT(r3 == (ssize_t)o1 && d3 && o3 == o1,
				    "the body passed on is not a whole chunked body");
		}
	}
	free(out1);
	free(out2);
}

static int parse_as(bool response, bool head_method, const char *b, size_t n, size_t *head_len,
		    struct http_fail *f)
{
	static struct http_req rq;
	static struct http_resp rs;
	int rc;

	if (response) {
		rc = http_parse_response(b, n, head_method, &rs, f);
		*head_len = rs.h.head_len;
	} else {
		rc = http_parse_request(b, n, &rq, f);
		*head_len = rq.h.head_len;
	}
	return rc;
}

/* The proxy parses again each time bytes arrive: a prefix must say "more",
 * or already give the answer the whole head gives. */
static void check_prefixes(bool response, bool head_method, const char *b, size_t n, int rc,
			   size_t head_len, int status)
{
	size_t end = rc == 1 ? head_len : n;

	for (size_t k = 0; k < end; k++) {
		struct http_fail f;
		size_t hl;
		int r;

		if (end > SPLIT_ALL && k > 16 && k + 16 < end && k % (end / 16 + 1) != 0)
			continue;
		r = parse_as(response, head_method, b, k, &hl, &f);
		if (r == 0)
			continue;
		FUZZ_ASSERT(r == rc, "prefix of %zu bytes gives %d, the whole %d", k, r, rc);
		if (r == 1)
			FUZZ_ASSERT(hl == head_len, "head length differs on a prefix");
		else
			FUZZ_ASSERT(f.status == status, "prefix refused with %d, whole with %d",
				    f.status, status);
	}
	if (rc == 1) {
		struct http_fail f;
		size_t hl;
		FUZZ_ASSERT(parse_as(response, head_method, b, head_len, &hl, &f) == 1 &&
				hl == head_len,
			    "the head alone parses differently");
	}
}

static void check_request(const char *b, size_t n)
{
	static struct http_req r;
	struct http_fail f;
	char canon[DOMAIN_MAX + 1];
	bool is_ip;
	int rc = http_parse_request(b, n, &r, &f);

	check_prefixes(false, false, b, n, rc, r.h.head_len, f.status);
	if (rc == -1)
		check_fail(&f);
	if (rc != 1)
		return;
	FUZZ_ASSERT(r.h.head_len >= 4 && r.h.head_len <= n &&
			memcmp(b + r.h.head_len - 4, "\r\n\r\n", 4) == 0,
		    "head_len %zu", r.h.head_len);
	FUZZ_ASSERT(r.port != 0, "port 0");
	FUZZ_ASSERT(domain_canon(r.host, canon, &is_ip, NULL) == 0 && strcmp(canon, r.host) == 0 &&
			is_ip == r.host_is_ip,
		    "host \"%s\" is not canonical", r.host);
	FUZZ_ASSERT(!r.connect || r.h.body == HTTP_BODY_NONE, "CONNECT with a body");
	FUZZ_ASSERT(r.h.body != HTTP_BODY_CLOSE, "a request body cannot run to close");
	if (!r.connect) {
		FUZZ_ASSERT(r.path >= b && r.path + r.path_len <= b + r.h.head_len, "path outside");
		check_rebuilt_request(&r);
	}
	if (r.h.body == HTTP_BODY_CHUNKED)
		check_chunked(b + r.h.head_len, n - r.h.head_len);
}

/* The same bytes as an intercepted request on port 8080: the host and
 * port sent upstream are the ones checked. */
static void check_request_at(const char *b, size_t n)
{
	static struct http_req r;
	struct http_fail f;
	char canon[DOMAIN_MAX + 1];
	bool is_ip;
	int rc = http_parse_request_at(b, n, 8080, &r, &f);

	if (rc == -1)
		check_fail(&f);
	if (rc != 1)
		return;
	FUZZ_ASSERT(r.port == 8080 && !r.connect, "intercepted port %u", r.port);
	FUZZ_ASSERT(domain_canon(r.host, canon, &is_ip, NULL) == 0 && strcmp(canon, r.host) == 0 &&
			is_ip == r.host_is_ip,
		    "host \"%s\" is not canonical", r.host);
	check_rebuilt_request(&r);
}

static void check_response(const char *b, size_t n, bool head_method)
{
	static struct http_resp r;
	struct http_fail f;
	int rc = http_parse_response(b, n, head_method, &r, &f);

	check_prefixes(true, head_method, b, n, rc, r.h.head_len, f.status);
	if (rc == -1)
		check_fail(&f);
	if (rc != 1)
		return;
	FUZZ_ASSERT(r.status >= 100 && r.status <= 599, "status %d", r.status);
	FUZZ_ASSERT(!head_method || r.h.body == HTTP_BODY_NONE, "a body after HEAD");
	check_rebuilt_response(&r, head_method);
	if (r.h.body == HTTP_BODY_CHUNKED)
		check_chunked(b + r.h.head_len, n - r.h.head_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data;
	size_t scan = 0;

	FUZZ_ASSERT(http_new_line(b, size, &scan) == (memchr(b, '\n', size) != NULL) &&
			scan == size,
		    "http_new_line");
	check_request(b, size);
	check_request_at(b, size);
	check_response(b, size, false);
	check_response(b, size, true);
	check_chunked(b, size);
	return 0;
}
