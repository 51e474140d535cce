/* Destination port lists: "80", 443, "1025-65535". Pure. */
#include "ports.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* How much of a hostile string a message quotes. */
#define QUOTE_MAX 64
#define QUOTE_BUF (QUOTE_MAX * 4 + 4)

static const char *quote(const char *s, char *buf, size_t len)
{
	return nw_quote(s, QUOTE_MAX, buf, len);
}

/* Decimal 1..65535 over exactly n bytes: digits only, no sign, no leading zero. */
int ports_parse_number(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

bool ports_contain(const struct nw_ports *p, uint16_t port)
{
	for (size_t i = 0; i < p->n; i++)
		if (port >= p->r[i].lo && port <= p->r[i].hi)
			return true;
	return false;
}

int ports_add(struct nw_ports *p, uint16_t lo, uint16_t hi, nw_err *err)
{
	struct nw_port_range *r;

	if (lo == 0 || lo > hi)
		return nw_fail(err, 0, "port range %u-%u: need 1 <= start <= end <= 65535",
			       (unsigned)lo, (unsigned)hi);
	if (p->n >= 65535)
		return nw_fail(err, 0, "too many port ranges");
	r = realloc(p->r, (p->n + 1) * sizeof(*r));
	if (r == NULL)
		return nw_fail(err, ENOMEM, "adding port range");
	p->r = r;
	p->r[p->n].lo = lo;
	p->r[p->n].hi = hi;
	p->n++;
	return 0;
}

int ports_parse_range(const char *s, struct nw_port_range *out, nw_err *err)
{
	char q[QUOTE_BUF];
	const char *dash;
	struct nw_port_range r;

	if (s == NULL)
		return nw_fail(err, EINVAL, "port range missing");
	dash = strchr(s, '-');
	if (dash == NULL) {
		if (ports_parse_number(s, strlen(s), &r.lo) < 0)
			return nw_fail(err, 0, "port \"%s\": must be a number from 1 to 65535",
				       quote(s, q, sizeof(q)));
		r.hi = r.lo;
	} else if (ports_parse_number(s, (size_t)(dash - s), &r.lo) < 0 ||
		   ports_parse_number(dash + 1, strlen(dash + 1), &r.hi) < 0) {
		return nw_fail(err, 0,
			       "port range \"%s\": expected \"LO-HI\" with numbers from 1 to 65535",
			       quote(s, q, sizeof(q)));
	}
	if (r.lo > r.hi)
		return nw_fail(err, 0, "port range \"%s\": start %u is above end %u",
			       quote(s, q, sizeof(q)), (unsigned)r.lo, (unsigned)r.hi);
	*out = r;
	return 0;
}

void ports_free(struct nw_ports *p)
{
	free(p->r);
	p->r = NULL;
	p->n = 0;
}
