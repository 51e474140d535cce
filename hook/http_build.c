/* Heads netward sends: the request upstream, the response to the client,
 * and its own error responses (see http.h). */
#include "http.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Appends to out within cap; a too-small cap marks the result unusable. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_field(struct out *o, const struct http_field *fl)
{
	put(o, fl->name, fl->nlen);
	put(o, ": ", 2);
	put(o, fl->value, fl->vlen);
	put(o, "\r\n", 2);
}

static bool hop_by_hop(const struct http_head_common *h, const struct http_field *fl)
{
	static const char *const names[] = {
	    "Connection",	  "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
	    "Proxy-Authenticate", "TE",		"Trailer",	    "Upgrade"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (http_field_is(fl, names[i]))
			return true;
	/* Connection may not strip the message's framing or target: a head
	 * forwarded without the Transfer-Encoding or Content-Length it was
	 * parsed with would let the body pass as further requests. */
	if (http_field_is(fl, "Content-Length") || http_field_is(fl, "Transfer-Encoding") ||
	    http_field_is(fl, "Host"))
		return false;
	for (size_t i = 0; i < h->nconn; i++)
		if (fl->nlen == h->conn[i].nlen &&
		    strncasecmp(fl->name, h->conn[i].name, fl->nlen) == 0)
			return true;
	return false;
}

bool http_field_cgi_is(const struct http_field *fl, const char *name)
{
	size_t n = strlen(name);

	if (fl->nlen != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)fl->name[i], b = (unsigned char)name[i];
		/* CGI's HTTP_* variables (Apache's http2env, PHP, WSGI) upcase
		 * the name and turn every other character into '_'. */
		if ((isalnum(a) || isalnum(b)) && toupper(a) != toupper(b))
			return false;
	}
	return true;
}

size_t http_build_request(const struct http_req *r, const char *job_hdr, const char *job_id,
			  char *out, size_t cap)
{
	struct out o = {.p = out, .cap = cap};
	bool job = job_hdr != NULL && job_hdr[0] != '\0';
	char hostbuf[DOMAIN_MAX + 16];
	bool v6 = r->host_is_ip && strchr(r->host, ':') != NULL;

	puts_(&o, r->method);
	put(&o, " ", 1);
	if (r->path_slash)
		put(&o, "/", 1);
	put(&o, r->path, r->path_len);
	puts_(&o, r->h.minor == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
	if (r->port == 80)
		snprintf(hostbuf, sizeof(hostbuf), v6 ? "[%s]" : "%s", r->host);
	else
		snprintf(hostbuf, sizeof(hostbuf), v6 ? "[%s]:%u" : "%s:%u", r->host, r->port);
	puts_(&o, "Host: ");
	puts_(&o, hostbuf);
	put(&o, "\r\n", 2);
	for (size_t i = 0; i < r->h.nfields; i++) {
		const struct http_field *fl = &r->h.f[i];
		if (hop_by_hop(&r->h, fl) || http_field_is(fl, "Host") ||
		    (job && http_field_cgi_is(fl, job_hdr)))
			continue;
		put_field(&o, fl);
	}
	puts_(&o, "Via: 1.1 netward\r\n");
	if (job) {
		puts_(&o, job_hdr);
		put(&o, ": ", 2);
		puts_(&o, job_id ? job_id : "");
		put(&o, "\r\n", 2);
	}
	/* An HTTP/1.0 upstream request is not persistent unless it says so. */
	if (r->h.minor == 0)
		puts_(&o, "Connection: keep-alive\r\n");
	put(&o, "\r\n", 2);
	return o.full ? 0 : o.len;
}

size_t http_build_response(const struct http_resp *r, bool keep_alive, char *out, size_t cap)
{
	struct out o = {.p = out, .cap = cap};

	put(&o, r->line, r->line_len);
	put(&o, "\r\n", 2);
	for (size_t i = 0; i < r->h.nfields; i++)
		if (!hop_by_hop(&r->h, &r->h.f[i]))
			put_field(&o, &r->h.f[i]);
	puts_(&o, "Via: 1.1 netward\r\n");
	/* An interim response (100 Continue) says nothing about the connection. */
	if (r->status >= 200)
		puts_(&o, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	put(&o, "\r\n", 2);
	return o.full ? 0 : o.len;
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

size_t http_error_response(int status, const char *reason, char *out, size_t cap)
{
	char line[HTTP_REASON_MAX];
	int n;
	size_t i;

	/* The reason goes into a header: one printable line, whatever it holds. */
	for (i = 0; reason[i] != '\0' && i + 1 < sizeof(line); i++)
		line[i] = reason[i] >= 0x20 && reason[i] < 0x7f ? reason[i] : '?';
	line[i] = '\0';
	n = snprintf(out, cap,
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\nVia: 1.1 netward\r\nX-Netward-Reason: %s\r\n\r\n%s\n",
		     status, http_status_text(status), i + 1, line, line);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
