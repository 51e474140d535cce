/* Strict query reading: one question, no compression pointers (a query
 * has nothing to point at), no answer or authority records, at most one
 * additional record (EDNS), which is ignored. */
#include <string.h>

#include "dns_msg.h"

#define F_QR	 0x8000
#define F_OPCODE 0x7800
#define F_AA	 0x0400
#define F_RD	 0x0100
#define F_RA	 0x0080

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool host_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The question's name from off; returns the offset past it, or 0. */
static size_t read_name(const uint8_t *m, size_t n, size_t off, struct dns_query *q,
			const char **why)
{
	size_t t = 0, wire = 0;

	q->name_ok = true;
	for (;;) {
		if (off >= n) {
			*why = "the question's name runs past the message";
			return 0;
		}
		uint8_t len = m[off++];
		if (len == 0)
			break;
		if (len & 0xc0) {
			*why = "a compressed or extended label in the question";
			return 0;
		}
		wire += 1u + len;
		if (wire > 254 || n - off < len) {
			*why = wire > 254 ? "the question's name is longer than 255 bytes"
					  : "the question's name runs past the message";
			return 0;
		}
		for (size_t i = 0; i < len; i++)
			if (!host_byte(m[off + i]))
				q->name_ok = false;
		if (q->name_ok && t + len + 1 <= DOMAIN_MAX) {
			if (t)
				q->name[t++] = '.';
			for (size_t i = 0; i < len; i++) {
				uint8_t c = m[off + i];
				q->name[t++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
			}
		} else {
			q->name_ok = false;
		}
		off += len;
	}
	q->name[q->name_ok ? t : 0] = '\0';
	return off;
}

int dns_parse_query(const uint8_t *m, size_t n, struct dns_query *q, const char **why)
{
	size_t off;

	memset(q, 0, sizeof(*q));
	*why = NULL;
	if (n < DNS_HEADER) {
		*why = "shorter than a DNS header";
		return -1;
	}
	q->id = get16(m);
	q->flags = get16(m + 2);
	if (q->flags & F_QR) {
		*why = "a response, not a query";
		return -1;
	}
	if ((q->flags & F_OPCODE) != 0) {
		*why = "an opcode other than QUERY";
		return DNS_R_NOTIMP;
	}
	if (get16(m + 4) != 1 || get16(m + 6) != 0 || get16(m + 8) != 0 || get16(m + 10) > 1) {
		*why = "not exactly one question (or answer/authority records in a query)";
		return DNS_R_FORMERR;
	}
	off = read_name(m, n, DNS_HEADER, q, why);
	if (off == 0)
		return DNS_R_FORMERR;
	if (n - off < 4) {
		*why = "the question's type and class run past the message";
		return DNS_R_FORMERR;
	}
	q->qtype = get16(m + off);
	q->qclass = get16(m + off + 2);
	q->qend = off + 4;
	if (get16(m + 10) == 0 && q->qend != n) {
		*why = "bytes after the question";
		return DNS_R_FORMERR;
	}
	return 0;
}

enum dns_shape dns_shape_for(uint16_t qtype)
{
	return qtype == DNS_T_A ? DNS_ANSWER_A : DNS_ANSWER_EMPTY;
}

int dns_rcode_for(const struct dns_query *q, bool covered)
{
	if (!q->name_ok || !covered)
		return DNS_R_NXDOMAIN;
	if (q->qclass != DNS_C_IN)
		return DNS_R_REFUSED;
	return DNS_R_NOERROR;
}

size_t dns_build(uint8_t *out, size_t cap, const uint8_t *m, const struct dns_query *q, int rcode,
		 const uint8_t (*a4)[4], size_t na, uint32_t ttl)
{
	size_t qlen = q->qend > DNS_HEADER ? q->qend - DNS_HEADER : 0, off;

	if (rcode != DNS_R_NOERROR || q->qclass != DNS_C_IN ||
	    dns_shape_for(q->qtype) != DNS_ANSWER_A)
		na = 0;
	if (na > DNS_MAX_ANSWERS)
		na = DNS_MAX_ANSWERS;
	if (ttl > DNS_TTL_MAX)
		ttl = DNS_TTL_MAX;
	if (cap < DNS_HEADER + qlen + na * 16)
		return 0;
	put16(out, q->id);
	put16(out + 2, F_QR | F_AA | F_RA | (q->flags & F_RD) | (q->flags & F_OPCODE) |
			   ((unsigned)rcode & 0xf));
	put16(out + 4, qlen ? 1 : 0);
	put16(out + 6, (uint32_t)na);
	put16(out + 8, 0);
	put16(out + 10, 0);
	memcpy(out + DNS_HEADER, m + DNS_HEADER, qlen);
	off = DNS_HEADER + qlen;
	for (size_t i = 0; i < na; i++) {
		put16(out + off, 0xc000 | DNS_HEADER); /* the question's name */
		put16(out + off + 2, DNS_T_A);
		put16(out + off + 4, DNS_C_IN);
		put16(out + off + 6, ttl >> 16);
		put16(out + off + 8, ttl & 0xffff);
		put16(out + off + 10, 4);
		memcpy(out + off + 12, a4[i], 4);
		off += 16;
	}
	return off;
}
