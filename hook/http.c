/* Strict HTTP/1.x heads (see http.h). Every refusal names what was wrong;
 * reasons never carry raw client bytes except canonical host names and
 * header names already checked to be tokens. */
#include "http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"

static int fail(struct http_fail *f, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct http_fail *f, int status, const char *fmt, ...)
{
	va_list ap;

	f->status = status;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	/* One printable line, whatever went into it. */
	for (char *p = f->reason; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return -1;
}

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

bool http_field_is(const struct http_field *fl, const char *name)
{
	return ieq(fl->name, fl->nlen, name);
}

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

bool http_new_line(const char *buf, size_t len, size_t *scan)
{
	bool found = *scan < len && memchr(buf + *scan, '\n', len - *scan) != NULL;

	*scan = len;
	return found;
}

/* Finds the next line from p; returns its length without CRLF, -2 when no
 * LF yet, -1 (f set) on a bare LF. */
static long next_line(const char *buf, size_t len, size_t p, struct http_fail *f, int bad_status)
{
	const char *nl = memchr(buf + p, '\n', len - p);
	size_t n;

	if (nl == NULL)
		return -2;
	n = (size_t)(nl - (buf + p));
	if (n == 0 || buf[p + n - 1] != '\r')
		return fail(f, bad_status, "netward: line ends in a bare LF; HTTP wants CRLF");
	return (long)(n - 1);
}

/* Host and optional port of an authority ("h", "h:80", "[v6]:443"). */
static int parse_authority(const char *s, size_t n, bool need_port, char *host, bool *is_ip,
			   uint16_t *port, bool *has_port, struct http_fail *f, int st)
{
	char raw[DOMAIN_MAX + 3];
	size_t hlen;
	const char *colon = NULL;
	cleanup_err nw_err err = NULL;

	if (memchr(s, '@', n) != NULL)
		return fail(f, st, "netward: a URI with userinfo (user@host) is refused");
	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		if (rb == NULL)
			return fail(f, st, "netward: unterminated IPv6 literal in the host");
		hlen = (size_t)(rb - s) + 1;
		if (hlen < n) {
			if (s[hlen] != ':')
				return fail(f, st,
					    "netward: junk after the IPv6 literal in the host");
			colon = s + hlen;
		}
	} else {
		colon = memchr(s, ':', n);
		hlen = colon ? (size_t)(colon - s) : n;
	}
	if (hlen == 0)
		return fail(f, st, "netward: the host is empty");
	if (memchr(s, '%', hlen) != NULL)
		return fail(f, st, "netward: percent-encoded host names are refused");
	if (hlen >= sizeof(raw))
		return fail(f, st, "netward: the host name is too long");
	memcpy(raw, s, hlen);
	raw[hlen] = '\0';
	if (domain_canon(raw, host, is_ip, &err) < 0)
		return fail(f, st, "netward: invalid host: %s", nw_err_msg(err));
	*has_port = colon != NULL;
	if (colon != NULL) {
		size_t pl = n - (size_t)(colon + 1 - s);
		unsigned long v = 0;

		if (pl == 0 || pl > 5)
			return fail(f, st, "netward: invalid port in \"%s\"", host);
		for (size_t i = 0; i < pl; i++) {
			if (!isdigit((unsigned char)colon[1 + i]))
				return fail(f, st, "netward: invalid port in \"%s\"", host);
			v = v * 10 + (unsigned long)(colon[1 + i] - '0');
		}
		if (v == 0 || v > 65535)
			return fail(f, st, "netward: port %lu is out of range", v);
		*port = (uint16_t)v;
	} else if (need_port) {
		return fail(f, st, "netward: CONNECT needs host:port");
	}
	return 0;
}

static int parse_target(const char *t, size_t n, struct http_req *r, struct http_fail *f)
{
	size_t alen;
	bool has_port;

	if (r->connect && r->at_port != 0)
		return fail(f, 405, "netward: CONNECT sent to an origin's address is refused");
	if (r->connect)
		return parse_authority(t, n, true, r->host, &r->host_is_ip, &r->port, &has_port, f,
				       400);
	if (r->at_port != 0 && t[0] == '/') {
		/* Origin form: the host is the Host header's (check_host). */
		r->port = r->at_port;
		r->path = t;
		r->path_len = n;
		if (memchr(t, '#', n) != NULL)
			return fail(f, 400, "netward: a request target must not carry a #fragment");
		return 0;
	}
	if (t[0] == '/' || t[0] == '*')
		return fail(f, 400,
			    "netward: this is a proxy: send absolute-form requests "
			    "(GET http://host/path) or CONNECT host:port, e.g. via http_proxy");
	if (n >= 8 && strncasecmp(t, "https://", 8) == 0)
		return fail(f, 400, "netward: https:// URLs must go through CONNECT");
	if (n < 7 || strncasecmp(t, "http://", 7) != 0)
		return fail(f, 400, "netward: only http:// URLs can be proxied in absolute form");
	t += 7;
	n -= 7;
	for (alen = 0; alen < n && t[alen] != '/' && t[alen] != '?' && t[alen] != '#'; alen++)
		;
	if (memchr(t, '#', n) != NULL)
		return fail(f, 400, "netward: a request target must not carry a #fragment");
	r->port = 80;
	if (parse_authority(t, alen, false, r->host, &r->host_is_ip, &r->port, &has_port, f, 400) <
	    0)
		return -1;
	if (r->at_port != 0 && r->port != r->at_port)
		return fail(f, 400,
			    "netward: the request target's port %u is not the port the connection "
			    "went to (%u)",
			    r->port, r->at_port);
	r->path = t + alen;
	r->path_len = n - alen;
	r->path_slash = r->path_len == 0 || r->path[0] == '?';
	return 0;
}

static int parse_version(const char *v, size_t n, int *minor, struct http_fail *f, int st)
{
	if (eq(v, n, "HTTP/1.1") || eq(v, n, "HTTP/1.0")) {
		*minor = v[7] - '0';
		return 0;
	}
	if (n == 8 && memcmp(v, "HTTP/", 5) == 0 && isdigit((unsigned char)v[5]) && v[6] == '.' &&
	    isdigit((unsigned char)v[7]))
		return fail(f, st == 400 ? 505 : st, "netward: HTTP version %.8s is not supported",
			    v);
	return fail(f, st, "netward: malformed HTTP version");
}

static int parse_request_line(const char *l, size_t n, struct http_req *r, struct http_fail *f)
{
	const char *sp1, *sp2;
	size_t mlen, tlen;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if (c <= 0x20 && c != ' ')
			return fail(f, 400, "netward: control character in the request line");
		if (c >= 0x7f)
			return fail(f, 400, "netward: non-ASCII byte in the request line");
	}
	sp1 = memchr(l, ' ', n);
	if (sp1 == NULL)
		return fail(f, 400, "netward: malformed request line");
	mlen = (size_t)(sp1 - l);
	if (eq(l, mlen, "PRI"))
		return fail(f, 405,
			    "netward: HTTP/2 is not supported; speak HTTP/1.1 to this proxy");
	if (!is_token(l, mlen))
		return fail(f, 400, "netward: malformed request method");
	if (mlen > HTTP_MAX_METHOD)
		return fail(f, 400, "netward: request method longer than %d bytes",
			    HTTP_MAX_METHOD);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (sp2 == NULL || sp2 == sp1 + 1 || memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - l)))
		return fail(f, 400, "netward: malformed request line");
	if (parse_version(sp2 + 1, n - (size_t)(sp2 + 1 - l), &r->h.minor, f, 400) < 0)
		return -1;
	memcpy(r->method, l, mlen);
	r->method[mlen] = '\0';
	r->connect = strcmp(r->method, "CONNECT") == 0;
	r->head_method = strcmp(r->method, "HEAD") == 0;
	tlen = (size_t)(sp2 - sp1 - 1);
	return parse_target(sp1 + 1, tlen, r, f);
}

/* One field line (not obs-fold, not empty) into *out. */
static int parse_field(const char *l, size_t n, struct http_field *out, struct http_fail *f, int st)
{
	const char *colon;
	size_t vs, ve;

	if (l[0] == ' ' || l[0] == '\t')
		return fail(f, st, "netward: obsolete line folding in a header is refused");
	colon = memchr(l, ':', n);
	if (colon == NULL)
		return fail(f, st, "netward: header line without a colon");
	out->name = l;
	out->nlen = (size_t)(colon - l);
	if (out->nlen > 0 && (l[out->nlen - 1] == ' ' || l[out->nlen - 1] == '\t'))
		return fail(f, st, "netward: whitespace before the colon in a header is refused");
	if (!is_token(l, out->nlen))
		return fail(f, st, "netward: malformed header name");
	for (size_t i = out->nlen + 1; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(f, st, "netward: control character in header \"%.*s\"",
				    (int)out->nlen, l);
	}
	vs = out->nlen + 1;
	ve = n;
	while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	out->value = l + vs;
	out->vlen = ve - vs;
	return 0;
}

static int parse_length(const struct http_field *fl, uint64_t *out, struct http_fail *f, int st)
{
	uint64_t v = 0;

	if (fl->vlen == 0 || fl->vlen > 18)
		return fail(f, st, "netward: invalid Content-Length");
	for (size_t i = 0; i < fl->vlen; i++) {
		if (!isdigit((unsigned char)fl->value[i]))
			return fail(f, st, "netward: invalid Content-Length");
		v = v * 10 + (uint64_t)(fl->value[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_connection(struct http_head_common *h, const struct http_field *fl,
			    struct http_fail *f, int st)
{
	size_t i = 0;

	while (i < fl->vlen) {
		size_t s, e;

		while (i < fl->vlen &&
		       (fl->value[i] == ' ' || fl->value[i] == '\t' || fl->value[i] == ','))
			i++;
		s = i;
		while (i < fl->vlen && fl->value[i] != ',')
			i++;
		e = i;
		while (e > s && (fl->value[e - 1] == ' ' || fl->value[e - 1] == '\t'))
			e--;
		if (e == s)
			continue;
		if (!is_token(fl->value + s, e - s))
			return fail(f, st, "netward: malformed Connection header");
		if (ieq(fl->value + s, e - s, "close"))
			h->conn_close = true;
		else if (ieq(fl->value + s, e - s, "keep-alive"))
			h->conn_keep_alive = true;
		else if (h->nconn == HTTP_MAX_CONN_TOK)
			return fail(f, st, "netward: too many names in the Connection header");
		else
			h->conn[h->nconn++] =
			    (struct http_field){.name = fl->value + s, .nlen = e - s};
	}
	return 0;
}

/* Header section from p; fills h (fields, Connection, framing headers).
 * Returns 1 when complete, 0 for more, -1 refused. st: status for
 * malformed input (400 for requests, 502 for responses). */
static int parse_fields(const char *buf, size_t len, size_t p, struct http_head_common *h,
			const struct http_field **host, bool *has_te, bool *has_cl,
			struct http_fail *f, int st)
{
	size_t start = p;

	for (;;) {
		long n = next_line(buf, len, p, f, st);
		struct http_field fl;

		if (n == -1)
			return -1;
		if (n == -2) {
			if (len - start > HTTP_MAX_FIELDS)
				return fail(f, st == 400 ? 431 : st,
					    "netward: headers larger than %d bytes",
					    HTTP_MAX_FIELDS);
			return 0;
		}
		if (p + (size_t)n + 2 - start > HTTP_MAX_FIELDS)
			return fail(f, st == 400 ? 431 : st,
				    "netward: headers larger than %d bytes", HTTP_MAX_FIELDS);
		if (n == 0) {
			h->head_len = p + 2;
			return 1;
		}
		if (h->nfields == HTTP_MAX_HEADERS)
			return fail(f, st == 400 ? 431 : st, "netward: more than %d headers",
				    HTTP_MAX_HEADERS);
		if (parse_field(buf + p, (size_t)n, &fl, f, st) < 0)
			return -1;
		h->f[h->nfields++] = fl;
		p += (size_t)n + 2;
		if (ieq(fl.name, fl.nlen, "Content-Length")) {
			if (*has_cl)
				return fail(f, st, "netward: more than one Content-Length");
			*has_cl = true;
			if (parse_length(&fl, &h->length, f, st) < 0)
				return -1;
		} else if (ieq(fl.name, fl.nlen, "Transfer-Encoding")) {
			if (*has_te)
				return fail(f, st, "netward: more than one Transfer-Encoding");
			*has_te = true;
			if (!ieq(fl.value, fl.vlen, "chunked"))
				return fail(f, st,
					    "netward: Transfer-Encoding other than "
					    "\"chunked\" is refused");
		} else if (ieq(fl.name, fl.nlen, "Connection")) {
			if (parse_connection(h, &fl, f, st) < 0)
				return -1;
		} else if (host != NULL && ieq(fl.name, fl.nlen, "Host")) {
			if (*host != NULL)
				return fail(f, st, "netward: more than one Host header");
			*host = &h->f[h->nfields - 1];
		}
	}
}

/* An intercepted origin-form request: its host is the Host header's, on
 * the port the connection went to. */
static int host_at(struct http_req *r, const struct http_field *hf, struct http_fail *f)
{
	bool has_port;
	uint16_t port = r->at_port;

	if (hf == NULL)
		return fail(f, 400,
			    "netward: a request without a Host header cannot be checked; "
			    "send one, or use the proxy (http_proxy)");
	if (parse_authority(hf->value, hf->vlen, false, r->host, &r->host_is_ip, &port, &has_port,
			    f, 400) < 0)
		return -1;
	if (port != r->at_port)
		return fail(f, 400,
			    "netward: the Host header's port %u is not the port the connection "
			    "went to (%u)",
			    port, r->at_port);
	return 0;
}

static int check_host(struct http_req *r, const struct http_field *hf, struct http_fail *f)
{
	char host[DOMAIN_MAX + 1];
	bool is_ip, has_port;
	uint16_t port = r->connect ? r->port : 80;

	if (r->at_port != 0 && r->host[0] == '\0')
		return host_at(r, hf, f);
	if (hf == NULL) {
		/* CONNECT names its target in the request line already. */
		if (r->h.minor == 1 && !r->connect)
			return fail(f, 400, "netward: HTTP/1.1 request without a Host header");
		return 0;
	}
	if (parse_authority(hf->value, hf->vlen, false, host, &is_ip, &port, &has_port, f, 400) < 0)
		return -1;
	if (strcmp(host, r->host) != 0 || (port != r->port && (has_port || !r->connect)))
		return fail(f, 400,
			    "netward: the Host header (\"%s\":%u) disagrees with the request "
			    "target (\"%s\":%u)",
			    host, port, r->host, r->port);
	return 0;
}

int http_parse_request(const char *buf, size_t len, struct http_req *r, struct http_fail *f)
{
	return http_parse_request_at(buf, len, 0, r, f);
}

int http_parse_request_at(const char *buf, size_t len, uint16_t at_port, struct http_req *r,
			  struct http_fail *f)
{
	const struct http_field *host = NULL;
	bool has_te = false, has_cl = false;
	long n;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(f, 0, sizeof(*f));
	r->at_port = at_port;
	/* Length first: the verdict on a long line must not depend on how much
	 * of it has arrived. */
	n = next_line(buf, len < HTTP_MAX_LINE + 2 ? len : HTTP_MAX_LINE + 2, 0, f, 400);
	if (n == -1)
		return -1;
	if (n == -2)
		return len > HTTP_MAX_LINE + 1
			   ? fail(f, 414, "netward: request line longer than %d bytes",
				  HTTP_MAX_LINE)
			   : 0;
	if (n > HTTP_MAX_LINE)
		return fail(f, 414, "netward: request line longer than %d bytes", HTTP_MAX_LINE);
	if (parse_request_line(buf, (size_t)n, r, f) < 0)
		return -1;
	rc = parse_fields(buf, len, (size_t)n + 2, &r->h, &host, &has_te, &has_cl, f, 400);
	if (rc <= 0)
		return rc;
	if (check_host(r, host, f) < 0)
		return -1;
	if (has_te && has_cl)
		return fail(f, 400,
			    "netward: both Content-Length and Transfer-Encoding are refused");
	if (has_te && r->h.minor == 0)
		return fail(f, 400, "netward: Transfer-Encoding in an HTTP/1.0 request is refused");
	if (r->connect && (has_te || r->h.length > 0))
		return fail(f, 400, "netward: a CONNECT request cannot have a body");
	r->h.body = has_te		      ? HTTP_BODY_CHUNKED
		    : (has_cl && r->h.length) ? HTTP_BODY_LENGTH
					      : HTTP_BODY_NONE;
	r->keep_alive = !r->h.conn_close && (r->h.minor == 1 || r->h.conn_keep_alive);
	return 1;
}

static int parse_status_line(const char *l, size_t n, struct http_resp *r, struct http_fail *f)
{
	int code = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(f, 502,
				    "netward: the origin sent a control character in its "
				    "status line");
	}
	if (n < 12 || l[8] != ' ' || (n > 12 && l[12] != ' '))
		return fail(f, 502, "netward: the origin sent a malformed status line");
	if (parse_version(l, 8, &r->h.minor, f, 502) < 0)
		return -1;
	for (int i = 9; i < 12; i++) {
		if (!isdigit((unsigned char)l[i]))
			return fail(f, 502, "netward: the origin sent a malformed status code");
		code = code * 10 + (l[i] - '0');
	}
	if (code < 100 || code > 599)
		return fail(f, 502, "netward: the origin sent status %d", code);
	r->status = code;
	r->line = l;
	r->line_len = n;
	return 0;
}

int http_parse_response(const char *buf, size_t len, bool head_method, struct http_resp *r,
			struct http_fail *f)
{
	bool has_te = false, has_cl = false;
	long n;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(f, 0, sizeof(*f));
	n = next_line(buf, len < HTTP_MAX_LINE + 2 ? len : HTTP_MAX_LINE + 2, 0, f, 502);
	if (n == -1)
		return -1;
	if (n == -2)
		return len > HTTP_MAX_LINE + 1
			   ? fail(f, 502, "netward: the origin's status line is too long")
			   : 0;
	if (n > HTTP_MAX_LINE)
		return fail(f, 502, "netward: the origin's status line is too long");
	if (parse_status_line(buf, (size_t)n, r, f) < 0)
		return -1;
	rc = parse_fields(buf, len, (size_t)n + 2, &r->h, NULL, &has_te, &has_cl, f, 502);
	if (rc <= 0)
		return rc;
	if (has_te && has_cl)
		return fail(f, 502,
			    "netward: the origin sent both Content-Length and "
			    "Transfer-Encoding");
	if (head_method || r->status < 200 || r->status == 204 || r->status == 304)
		r->h.body = HTTP_BODY_NONE;
	else if (has_te)
		r->h.body = HTTP_BODY_CHUNKED;
	else if (has_cl)
		r->h.body = r->h.length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	else
		r->h.body = HTTP_BODY_CLOSE;
	r->keep_alive = !r->h.conn_close && (r->h.minor == 1 || r->h.conn_keep_alive) &&
			r->h.body != HTTP_BODY_CLOSE;
	return 1;
}
