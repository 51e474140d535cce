/* Domain names and lists, by Bacalhau's and squid's dstdomain rules
 * (DESIGN.md §3). Pure: no syscalls, no globals. */
#ifndef NW_DOMAIN_H
#define NW_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define DOMAIN_MAX 253

struct domain_entry {
	char *name;    /* canonical: lower case, no trailing dot, no leading dot */
	bool wildcard; /* written as ".name": name itself and everything below */
	bool is_ip;    /* an IP literal (v4 dotted quad or v6, canonical text) */
};

struct domain_list {
	size_t n;
	struct domain_entry *e;
};

/* Canonicalises a host name or IP literal into out (DOMAIN_MAX + 1 bytes):
 * lower case, one trailing dot removed, labels of 1-63 [a-z0-9-] not starting
 * or ending in '-', total <= 253; IPv6 literals may come in brackets and are
 * printed canonically (inet_ntop), an IPv4-mapped one (::ffff:a.b.c.d) as
 * the IPv4 address it is; IPv4 only as a strict dotted quad, and a name whose
 * last label reads as a number ("2130706433", "0x7f.1", "1.2.3.0x7f") is
 * refused, as parsers disagree on it. Non-ASCII, '_', '%', '@', ':' and
 * spaces are refused. Sets *is_ip. Returns 0, or -1 with a reason in *err
 * naming the input: `domain "ex ample.com": invalid character ' '`. */
int domain_canon(const char *in, char *out, bool *is_ip, nw_err *err);

/* Parses "a.com,.b.org, c.net" (spaces around entries allowed; empty
 * entries refused) into list. Each entry may begin with '.' (wildcard).
 * Appends to list; on failure list is left as it was. */
int domain_list_parse(struct domain_list *list, const char *csv, nw_err *err);
/* Adds one entry as written ("x.com" or ".x.com"). */
int domain_list_add(struct domain_list *list, const char *entry, nw_err *err);
void domain_list_free(struct domain_list *list);
#define cleanup_domain_list __attribute__((cleanup(domain_list_free)))

/* host must already be canonical. */
bool domain_entry_matches(const struct domain_entry *e, const char *host);
/* The first entry that matches, or NULL. */
const struct domain_entry *domain_list_match(const struct domain_list *list, const char *host);
/* Is every name that `e` matches also matched by `list`? (Used for the node
 * ceiling: a job's ".x.com" needs ".x.com" or a wider wildcard there.) */
bool domain_list_covers(const struct domain_list *list, const struct domain_entry *e);
/* The first entry of list that covers e, or NULL. */
const struct domain_entry *domain_list_covering(const struct domain_list *list,
						const struct domain_entry *e);
/* "x.com" or ".x.com" into buf. */
const char *domain_entry_str(const struct domain_entry *e, char *buf, size_t len);

#endif
