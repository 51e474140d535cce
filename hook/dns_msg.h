/* DNS messages for the job's resolver (RFC 1035): one query read strictly,
 * one answer built. Pure: no syscalls, no globals. What to answer is the
 * caller's (the job's list, the proxy's own resolver); this module only
 * reads and writes the wire format, and picks the answer's shape from the
 * query type. */
#ifndef NW_DNS_MSG_H
#define NW_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define DNS_UDP_MAX	512  /* what a job's query and our answer keep to */
#define DNS_TCP_MAX	1024 /* a query over TCP, length prefix excluded */
#define DNS_TTL_MAX	60   /* seconds: the job asks again soon, and the proxy checks again */
#define DNS_MAX_ANSWERS 8
#define DNS_HEADER	12

#define DNS_T_A	    1
#define DNS_T_AAAA  28
#define DNS_T_SVCB  64
#define DNS_T_HTTPS 65
#define DNS_C_IN    1

#define DNS_R_NOERROR  0
#define DNS_R_FORMERR  1
#define DNS_R_SERVFAIL 2
#define DNS_R_NXDOMAIN 3
#define DNS_R_NOTIMP   4
#define DNS_R_REFUSED  5

struct dns_query {
	uint16_t id, flags; /* flags as sent */
	uint16_t qtype, qclass;
	/* The name as text, lower case, no trailing dot ("" for the root).
	 * name_ok is false when a label holds a byte a host name cannot
	 * (then name is empty): such a name is covered by no list. */
	char name[DOMAIN_MAX + 1];
	bool name_ok;
	size_t qend; /* offset just past the question */
};

/* Reads a query. Returns 0 with q filled, DNS_R_FORMERR or DNS_R_NOTIMP
 * when the message can be answered with that code (q->id and q->flags
 * are then set, and qend is 0 unless the question was read), or -1 when
 * it cannot be answered at all (shorter than a header, or a response):
 * drop it. *why says what was wrong. */
int dns_parse_query(const uint8_t *m, size_t n, struct dns_query *q, const char **why);

enum dns_shape {
	DNS_ANSWER_A,	 /* A records from the caller's checked addresses */
	DNS_ANSWER_EMPTY /* NOERROR without records: AAAA (IPv6 stays closed),
			    SVCB/HTTPS (no ECH configuration), and every
			    other type */
};
enum dns_shape dns_shape_for(uint16_t qtype);
/* The rcode for a query read without error, given whether the job's list
 * covers its name: NXDOMAIN for any name outside it, whatever the type
 * (the name never leaves the node); REFUSED for a class other than IN;
 * else NOERROR, shaped by dns_shape_for. */
int dns_rcode_for(const struct dns_query *q, bool covered);

/* Builds the response to q into out (cap bytes; at least DNS_UDP_MAX is
 * always enough): rcode, and for NOERROR the IPv4 addresses a4 (4 bytes
 * each, at most DNS_MAX_ANSWERS used) with ttl capped at DNS_TTL_MAX. The
 * question is copied from the query m. Returns the length, or 0 when out
 * is too small. */
size_t dns_build(uint8_t *out, size_t cap, const uint8_t *m, const struct dns_query *q, int rcode,
		 const uint8_t (*a4)[4], size_t na, uint32_t ttl);

#endif
