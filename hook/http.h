/* HTTP/1.x message heads for the job proxy: a strict request and response
 * head parser, head rewriting, error responses and a chunked-framing
 * tracker. Pure: no syscalls, no globals; nothing outlives a call (the
 * error of a Host check is freed before it returns). Fields point into
 * the caller's buffer, so use them before that buffer changes.
 * Strictness is the point (tinyproxy CVE-2023-49606, CVE-2022-40468). */
#ifndef NW_HTTP_H
#define NW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain.h"

#define HTTP_MAX_LINE	  8192	/* request or status line, without CRLF */
#define HTTP_MAX_FIELDS	  32768 /* header section after the first line */
#define HTTP_MAX_HEADERS  100
#define HTTP_MAX_HEAD	  (HTTP_MAX_LINE + 2 + HTTP_MAX_FIELDS + 2)
#define HTTP_MAX_METHOD	  32
#define HTTP_MAX_CONN_TOK 16
#define HTTP_REASON_MAX	  320

enum http_body { HTTP_BODY_NONE, HTTP_BODY_LENGTH, HTTP_BODY_CHUNKED, HTTP_BODY_CLOSE };

struct http_field {
	const char *name, *value;
	size_t nlen, vlen;
};

/* Why a head was refused: the status to answer and one line for the body. */
struct http_fail {
	int status;
	char reason[HTTP_REASON_MAX];
};

struct http_head_common {
	int minor; /* HTTP/1.minor */
	size_t nfields;
	struct http_field f[HTTP_MAX_HEADERS];
	size_t nconn; /* header names listed in Connection (hop-by-hop) */
	struct http_field conn[HTTP_MAX_CONN_TOK];
	bool conn_close, conn_keep_alive;
	enum http_body body;
	uint64_t length;
	size_t head_len; /* bytes of the head, CRLFCRLF included */
};

struct http_req {
	struct http_head_common h;
	char method[HTTP_MAX_METHOD + 1];
	bool connect, head_method;
	char host[DOMAIN_MAX + 1]; /* canonical (domain_canon) */
	bool host_is_ip;
	uint16_t port;
	const char *path; /* origin form for the upstream; not for CONNECT */
	size_t path_len;
	bool path_slash; /* "/" goes before path (empty path or bare "?query") */
	bool keep_alive; /* the client asks for a persistent connection */
	/* An intercepted request (http_parse_request_at): the port the client
	 * connected to; 0 for a request to the proxy. */
	uint16_t at_port;
};

struct http_resp {
	struct http_head_common h;
	int status;
	const char *line; /* the status line as received, without CRLF */
	size_t line_len;
	bool keep_alive; /* the origin keeps the connection */
};

/* Is there a '\n' in the bytes from *scan on? Moves *scan to len. The
 * proxy parses again only then (or when the buffer is full), so a
 * byte-at-a-time client costs linear time. */
bool http_new_line(const char *buf, size_t len, size_t *scan);
/* Is fl the field name (field names are case-insensitive)? */
bool http_field_is(const struct http_field *fl, const char *name);

/* Would a CGI, WSGI or PHP application see fl as name? Case aside, every
 * character other than a letter or digit counts as '_', so
 * "X_Bacalhau_Job_ID" and "x-bacalhau.job-id" are "X-Bacalhau-Job-ID". */
bool http_field_cgi_is(const struct http_field *fl, const char *name);

/* Returns 1 with req filled when buf holds a whole head, 0 when more bytes
 * are needed (and none seen so far is wrong, and no cap is passed), -1 with
 * f filled when the request is refused. */
int http_parse_request(const char *buf, size_t len, struct http_req *req, struct http_fail *f);
/* The same for a request a client sent to the origin's address, not to a
 * proxy, and that was redirected to the proxy (interception): origin form
 * ("GET /path"), or absolute form (RFC 9112 §3.2.2); the host comes from
 * the Host header, which every version must send; the port is at_port,
 * the one the client connected to, and a port in the Host header or the
 * target must agree with it. CONNECT and "*" are refused. */
int http_parse_request_at(const char *buf, size_t len, uint16_t at_port, struct http_req *req,
			  struct http_fail *f);
/* Same for an origin's response to a request (head_method: it was HEAD). */
int http_parse_response(const char *buf, size_t len, bool head_method, struct http_resp *resp,
			struct http_fail *f);

/* The head sent upstream: origin form, canonical Host, hop-by-hop headers
 * and any client copy of job_hdr (in every spelling http_field_cgi_is
 * matches) dropped, Via and job_hdr: job_id added (job_hdr NULL or "" =
 * none). Returns its length, 0 if cap is too small. Writes out[0, length)
 * and nothing past it (some of out when it returns 0), as does
 * http_build_response. */
size_t http_build_request(const struct http_req *r, const char *job_hdr, const char *job_id,
			  char *out, size_t cap);
/* The head sent to the client: hop-by-hop headers dropped, Via added, and
 * Connection: keep-alive or close as decided. */
size_t http_build_response(const struct http_resp *r, bool keep_alive, char *out, size_t cap);
/* A whole error response (Connection: close, text/plain, X-Netward-Reason,
 * the reason as a one-line body). */
size_t http_error_response(int status, const char *reason, char *out, size_t cap);
const char *http_status_text(int status);

/* Follows chunked framing over the bytes passed on; trailer fields are
 * dropped, the framing around them kept (a last chunk, then CRLF). */
struct http_chunked {
	int state;
	uint64_t left;
	unsigned digits;
	size_t trailer;
};
/* Returns how many bytes of buf belong to the body (all of len, or fewer
 * when the body ends inside buf, with *done set), or -1 when malformed.
 * Those to pass on are copied to out (room for len bytes), *out_len of
 * them: everything but trailer field lines. */
ssize_t http_chunked_feed(struct http_chunked *c, const char *buf, size_t len, char *out,
			  size_t *out_len, bool *done);

#endif
