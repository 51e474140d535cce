/* Domain canonicalisation and matching, and the address parsers next to
 * them. The input is lines: the first is a job's domain list as the
 * annotation carries it ("a.com, .b.org"), each further line a host name to
 * canonicalise and match against that list, and also an address or
 * CIDR[:port] to parse. Matching is checked against a plain whole-label
 * reference, so a bare suffix match ("evilexample.com" for "example.com")
 * aborts. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "addr.h"
#include "domain.h"
#include "fuzz.h"

#define MAX_LINES 64
#define LINE_MAX_ 1024

/* DESIGN.md §3, written out the slow and obvious way. */
static bool ref_match(const struct domain_entry *e, const char *h)
{
	size_t hl = strlen(h), nl = strlen(e->name);

	if (strcmp(e->name, h) == 0)
		return true;
	if (!e->wildcard || e->is_ip)
		return false;
	return hl > nl + 1 && h[hl - nl - 1] == '.' && strcmp(h + hl - nl, e->name) == 0;
}

static bool ref_list_match(const struct domain_list *l, const char *h)
{
	for (size_t i = 0; i < l->n; i++)
		if (ref_match(&l->e[i], h))
			return true;
	return false;
}

static void check_canonical_name(const char *c)
{
	size_t n = strlen(c), label = 0;

	FUZZ_ASSERT(n >= 1 && n <= DOMAIN_MAX, "length %zu", n);
	FUZZ_ASSERT(c[0] != '.' && c[n - 1] != '.' && c[0] != '-', "\"%s\"", c);
	for (size_t i = 0; i < n; i++) {
		char ch = c[i];
		FUZZ_ASSERT((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
				ch == '.',
			    "character 0x%02x in \"%s\"", (unsigned char)ch, c);
		if (ch == '.') {
			FUZZ_ASSERT(label > 0 && c[i - 1] != '-' && c[i + 1] != '-',
				    "bad label in \"%s\"", c);
			label = 0;
		} else {
			FUZZ_ASSERT(++label <= 63, "long label in \"%s\"", c);
		}
	}
}

/* Canonical text is a fixed point, and the spellings DESIGN.md calls equal
 * (upper case, one trailing dot) canonicalise to it. */
static void check_canon(const char *in)
{
	char c[DOMAIN_MAX + 1], c2[DOMAIN_MAX + 1], alt[DOMAIN_MAX + 3];
	bool is_ip, is_ip2;
	cleanup_err nw_err err = NULL;
	size_t n;

	if (domain_canon(in, c, &is_ip, &err) < 0) {
		FUZZ_ASSERT(err != NULL && nw_err_msg(err)[0] != '\0', "refusal without a reason");
		for (const char *p = nw_err_msg(err); *p; p++)
			FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f, "unprintable refusal");
		return;
	}
	FUZZ_ASSERT(domain_canon(c, c2, &is_ip2, NULL) == 0 && strcmp(c, c2) == 0 &&
			is_ip == is_ip2,
		    "\"%s\" -> \"%s\" -> \"%s\"", in, c, c2);
	if (!is_ip)
		check_canonical_name(c);
	n = strlen(c);
	for (size_t i = 0; i <= n; i++)
		alt[i] = (char)(c[i] >= 'a' && c[i] <= 'z' ? c[i] - 'a' + 'A' : c[i]);
	FUZZ_ASSERT(domain_canon(alt, c2, &is_ip2, NULL) == 0 && strcmp(c, c2) == 0,
		    "\"%s\" upper-cased reads as \"%s\"", c, c2);
	if (strchr(c, ':') == NULL) {
		memcpy(alt, c, n);
		memcpy(alt + n, ".", 2);
		FUZZ_ASSERT(domain_canon(alt, c2, &is_ip2, NULL) == 0 && strcmp(c, c2) == 0,
			    "\"%s.\" reads as \"%s\"", c, c2);
	}
}

static void check_host(const struct domain_list *l, const char *in)
{
	char h[DOMAIN_MAX + 1], sub[DOMAIN_MAX + 3];
	bool is_ip, any_wild = false;
	const struct domain_entry *m;
	struct domain_entry exact, wild;

	check_canon(in);
	if (domain_canon(in, h, &is_ip, NULL) < 0)
		return;
	m = domain_list_match(l, h);
	FUZZ_ASSERT((m != NULL) == ref_list_match(l, h), "\"%s\" %s", h,
		    m ? "matched by no whole-label rule" : "missed");
	if (m != NULL)
		FUZZ_ASSERT(ref_match(m, h) && m->is_ip == is_ip, "\"%s\" matched by \"%s\"", h,
			    m->name);

	exact = (struct domain_entry){.name = h, .is_ip = is_ip};
	FUZZ_ASSERT(domain_list_covers(l, &exact) == (m != NULL), "covers(\"%s\") != match", h);
	if (is_ip)
		return;
	wild = (struct domain_entry){.name = h, .wildcard = true};
	for (size_t i = 0; i < l->n; i++)
		any_wild |= l->e[i].wildcard && !l->e[i].is_ip && ref_match(&l->e[i], h);
	FUZZ_ASSERT(domain_list_covers(l, &wild) == any_wild, "covers(\".%s\") is %d", h,
		    !any_wild);
	if (any_wild && strlen(h) + 2 <= DOMAIN_MAX) {
		snprintf(sub, sizeof(sub), "a.%s", h);
		FUZZ_ASSERT(domain_list_match(l, sub) != NULL, ".%s covered, %s not matched", h,
			    sub);
	}
}

static void check_list(const char *csv, struct domain_list *l)
{
	cleanup_err nw_err err = NULL;
	size_t commas = 0;
	char s[DOMAIN_MAX + 3];

	FUZZ_ASSERT(domain_list_add(l, "seed.example", NULL) == 0, "adding a plain name");
	for (const char *p = csv; *p; p++)
		commas += *p == ',';
	if (domain_list_parse(l, csv, &err) < 0) {
		FUZZ_ASSERT(l->n == 1, "a refused list changed the list (%zu entries)", l->n);
		return;
	}
	FUZZ_ASSERT(l->n == 2 + commas, "%zu entries from %zu commas", l->n - 1, commas);
	for (size_t i = 0; i < l->n; i++) {
		const struct domain_entry *e = &l->e[i];
		struct domain_list again = {0};

		FUZZ_ASSERT(!(e->wildcard && e->is_ip), "wildcard IP \"%s\"", e->name);
		if (!e->is_ip)
			check_canonical_name(e->name);
		FUZZ_ASSERT(domain_list_match(l, e->name) != NULL, "\"%s\" misses itself", e->name);
		FUZZ_ASSERT(domain_list_covers(l, e), "the list does not cover \"%s\"", e->name);
		domain_entry_str(e, s, sizeof(s));
		FUZZ_ASSERT(domain_list_add(&again, s, NULL) == 0 && again.n == 1 &&
				strcmp(again.e[0].name, e->name) == 0 &&
				again.e[0].wildcard == e->wildcard && again.e[0].is_ip == e->is_ip,
			    "\"%s\" does not read back", s);
		domain_list_free(&again);
	}
}

static void check_addr(const char *s)
{
	struct nw_addr a, b, u;
	struct nw_cidr_port cp;
	struct nw_cidr c2;
	char t[INET6_ADDRSTRLEN + 8], canon[DOMAIN_MAX + 1];
	bool is_ip;

	if (addr_parse(s, &a, NULL) == 0) {
		addr_str(&a, t, sizeof(t));
		FUZZ_ASSERT(addr_parse(t, &b, NULL) == 0 && memcmp(&a, &b, sizeof(a)) == 0,
			    "\"%s\" does not read back", t);
		u = addr_unmap(&a);
		addr_str(&u, t, sizeof(t));
		FUZZ_ASSERT(domain_canon(t, canon, &is_ip, NULL) == 0 && is_ip &&
				strcmp(canon, t) == 0,
			    "address \"%s\" canonicalises to \"%s\"", t, canon);
		(void)addr_is_global(&a);
	}
	if (addr_cidr_port_parse(s, &cp, NULL) == 0) {
		const struct nw_cidr *c = &cp.cidr;
		int bits = c->addr.family == AF_INET ? 32 : 128;

		FUZZ_ASSERT(c->addr.family == AF_INET || c->addr.family == AF_INET6, "family");
		FUZZ_ASSERT(c->prefix >= 0 && c->prefix <= bits, "prefix %d", c->prefix);
		FUZZ_ASSERT(addr_cidr_contains(c, &c->addr), "a CIDR without its own network");
		addr_cidr_str(c, t, sizeof(t));
		FUZZ_ASSERT(addr_cidr_parse(t, &c2, NULL) == 0 && c2.prefix == c->prefix &&
				memcmp(&c2.addr, &c->addr, sizeof(c2.addr)) == 0,
			    "\"%s\" does not read back", t);
		(void)addr_is_global(&c->addr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domain_list list = {0};
	char line[LINE_MAX_ + 1];
	size_t off = 0;

	for (int i = 0; i < MAX_LINES && off <= size; i++) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (data + off)) : size - off;

		/* An embedded NUL ends the string, as it would in C. */
		memcpy(line, data + off, n < LINE_MAX_ ? n : LINE_MAX_);
		line[n < LINE_MAX_ ? n : LINE_MAX_] = '\0';
		if (i == 0) {
			check_list(line, &list);
		} else {
			check_host(&list, line);
			check_addr(line);
		}
		off += n + 1;
	}
	domain_list_free(&list);
	return 0;
}
