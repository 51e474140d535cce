/* Domain names and lists by Bacalhau's and squid's dstdomain rules
 * (DESIGN.md §3). IP literals are recognised before names, and a name whose
 * last label reads as a number is refused: resolvers and URL parsers
 * disagree on what "0x7f.1" or "2130706433" means, so netward accepts only
 * the one spelling they all read alike, the strict dotted quad. */
#include "domain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define LABEL_MAX  63
#define QUOTE_MAX  80
#define QUOTE_BUF  (QUOTE_MAX * 4 + 4)
#define REASON_MAX 160

static const char *quote(const char *s, char *buf, size_t len)
{
	return nw_quote(s, QUOTE_MAX, buf, len);
}

/* Every refusal reads `domain "AS WRITTEN": why`. */
static int refuse(nw_err *err, const char *shown, const char *why)
{
	char q[QUOTE_BUF];

	return nw_fail(err, 0, "domain \"%s\": %s", quote(shown, q, sizeof(q)), why);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
}

/* A label that some parser would read as a number: decimal, or 0x hex. */
static bool numeric_label(const char *l, size_t n)
{
	size_t i = 0;

	if (n >= 2 && l[0] == '0' && l[1] == 'x') {
		for (i = 2; i < n; i++)
			if (!is_digit(l[i]) && !(l[i] >= 'a' && l[i] <= 'f'))
				return false;
		return true;
	}
	for (; i < n; i++)
		if (!is_digit(l[i]))
			return false;
	return true;
}

/* Lower-cases n bytes of in into out, refusing what no host name holds. */
static int lower_chars(const char *in, size_t n, const char *shown, char *out, nw_err *err)
{
	char why[REASON_MAX];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c >= 0x80)
			return refuse(err, shown,
				      "non-ASCII characters; write an internationalised name in "
				      "its ASCII xn-- form (for example xn--bcher-kva.example)");
		if (c == '_')
			return refuse(err, shown,
				      "invalid character '_' (underscores are not allowed in "
				      "host names)");
		if (!is_ldh((char)c) && c != '.') {
			if (c > 0x20 && c < 0x7f && c != '\'')
				snprintf(why, sizeof(why), "invalid character '%c'", c);
			else if (c == ' ')
				snprintf(why, sizeof(why), "invalid character ' '");
			else
				snprintf(why, sizeof(why), "invalid character \\x%02x", c);
			return refuse(err, shown, why);
		}
		out[i] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

static int check_label(const char *l, size_t n, const char *shown, nw_err *err)
{
	char why[REASON_MAX];

	if (n == 0)
		return refuse(err, shown, "empty label");
	if (n > LABEL_MAX) {
		snprintf(why, sizeof(why), "a label is longer than %d characters", LABEL_MAX);
		return refuse(err, shown, why);
	}
	if (n == 4 && memcmp(l, "xn--", 4) == 0)
		return refuse(err, shown, "empty xn-- label");
	if (l[0] == '-' || l[n - 1] == '-') {
		/* n <= LABEL_MAX, so the label fits whole. */
		snprintf(why, sizeof(why), "label \"%.*s\" begins or ends with '-'", (int)n, l);
		return refuse(err, shown, why);
	}
	return 0;
}

/* in[0..n) is not an IP literal: canonicalise it as a host name. */
static int canon_name(const char *in, size_t n, const char *shown, char *out, nw_err *err)
{
	const char *label, *dot;

	if (n == 0)
		return refuse(err, shown, "empty name");
	if (n > DOMAIN_MAX)
		return refuse(err, shown, "longer than 253 characters");
	if (lower_chars(in, n, shown, out, err) < 0)
		return -1;
	for (label = out;; label = dot + 1) {
		dot = strchr(label, '.');
		size_t len = dot != NULL ? (size_t)(dot - label) : strlen(label);
		if (check_label(label, len, shown, err) < 0)
			return -1;
		if (dot == NULL) {
			if (numeric_label(label, len))
				return refuse(err, shown,
					      "not a dotted-quad IPv4 address such as 192.0.2.1, "
					      "and a host name cannot end in a numeric label");
			return 0;
		}
	}
}

/* An IPv6 literal, canonical as inet_ntop prints it; an IPv4-mapped one
 * becomes the IPv4 address it is, so both spellings match alike. */
static int canon_v6(const char *in, size_t n, const char *shown, char *out, nw_err *err)
{
	char buf[INET6_ADDRSTRLEN];
	struct nw_addr a = {.family = AF_INET6};

	if (n >= sizeof(buf))
		return refuse(err, shown, "not an IPv6 address");
	memcpy(buf, in, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, a.a) != 1)
		return refuse(err, shown, "not an IPv6 address");
	a = addr_unmap(&a);
	addr_str(&a, out, DOMAIN_MAX + 1);
	return 0;
}

static int canon_as(const char *in, const char *shown, char *out, bool *is_ip, nw_err *err)
{
	char buf[DOMAIN_MAX + 2];
	size_t n;

	*is_ip = false;
	out[0] = '\0';
	n = strnlen(in, DOMAIN_MAX + 2);
	if (n > DOMAIN_MAX + 1)
		return refuse(err, shown, "longer than 253 characters");
	if (in[0] == '[') {
		if (n < 2 || in[n - 1] != ']')
			return refuse(err, shown,
				      "'[' must enclose an IPv6 address, with nothing after ']'");
		*is_ip = true;
		return canon_v6(in + 1, n - 2, shown, out, err);
	}
	if (memchr(in, ':', n) != NULL && canon_v6(in, n, shown, out, NULL) == 0) {
		*is_ip = true;
		return 0;
	}
	/* One trailing dot is the root: "example.com." is "example.com". */
	if (n > 0 && in[n - 1] == '.')
		n--;
	memcpy(buf, in, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out) == 1) {
		/* glibc's inet_pton takes only the strict dotted quad; print it
		 * back so that the text is canonical whatever it was given. */
		struct in_addr v4;
		memcpy(&v4, out, sizeof(v4));
		inet_ntop(AF_INET, &v4, out, DOMAIN_MAX + 1);
		*is_ip = true;
		return 0;
	}
	return canon_name(buf, n, shown, out, err);
}

int domain_canon(const char *in, char *out, bool *is_ip, nw_err *err)
{
	if (in == NULL) {
		*is_ip = false;
		return nw_fail(err, EINVAL, "domain missing");
	}
	return canon_as(in, in, out, is_ip, err);
}

int domain_list_add(struct domain_list *list, const char *entry, nw_err *err)
{
	char canon[DOMAIN_MAX + 1];
	struct domain_entry *e;
	bool wildcard, is_ip;
	char *name;

	if (entry == NULL)
		return nw_fail(err, EINVAL, "domain missing");
	if (entry[0] == '*')
		return refuse(err, entry,
			      "'*' is not a wildcard here; write \".example.com\" for "
			      "example.com and every name below it");
	wildcard = entry[0] == '.';
	if (canon_as(entry + (wildcard ? 1 : 0), entry, canon, &is_ip, err) < 0)
		return -1;
	if (wildcard && is_ip)
		return refuse(err, entry, "an IP address cannot have a leading '.'");
	name = strdup(canon);
	if (name == NULL)
		return nw_fail(err, ENOMEM, "adding domain");
	e = realloc(list->e, (list->n + 1) * sizeof(*e));
	if (e == NULL) {
		free(name);
		return nw_fail(err, ENOMEM, "adding domain");
	}
	list->e = e;
	list->e[list->n++] =
	    (struct domain_entry){.name = name, .wildcard = wildcard, .is_ip = is_ip};
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Adds the entries of csv to tmp, which the caller frees or keeps. */
static int parse_into(struct domain_list *tmp, const char *csv, nw_err *err)
{
	const char *p = csv;

	for (size_t i = 1;; i++) {
		const char *end = strchr(p, ',');
		const char *b = p, *e = end != NULL ? end : p + strlen(p);
		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		if (b == e)
			return nw_fail(err, 0, "domain list: entry %zu is empty", i);
		char *entry = strndup(b, (size_t)(e - b));
		if (entry == NULL)
			return nw_fail(err, ENOMEM, "parsing domain list");
		int r = domain_list_add(tmp, entry, err);
		free(entry);
		if (r < 0)
			return -1;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

int domain_list_parse(struct domain_list *list, const char *csv, nw_err *err)
{
	struct domain_list tmp = {0};
	struct domain_entry *e;

	if (csv == NULL)
		return nw_fail(err, EINVAL, "domain list missing");
	if (parse_into(&tmp, csv, err) < 0)
		goto fail;
	e = realloc(list->e, (list->n + tmp.n) * sizeof(*e));
	if (e == NULL) {
		nw_fail(err, ENOMEM, "parsing domain list");
		goto fail;
	}
	memcpy(e + list->n, tmp.e, tmp.n * sizeof(*e));
	list->e = e;
	list->n += tmp.n;
	free(tmp.e);
	return 0;
fail:
	domain_list_free(&tmp);
	return -1;
}

void domain_list_free(struct domain_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->e[i].name);
	free(list->e);
	list->e = NULL;
	list->n = 0;
}

/* Whole labels only: "x.com" is below "com" but "evilx.com" is not below "x.com". */
static bool is_below(const char *host, const char *name)
{
	size_t h = strlen(host), n = strlen(name);

	return h > n + 1 && host[h - n - 1] == '.' && memcmp(host + h - n, name, n) == 0;
}

bool domain_entry_matches(const struct domain_entry *e, const char *host)
{
	if (strcmp(e->name, host) == 0)
		return true;
	return e->wildcard && !e->is_ip && is_below(host, e->name);
}

const struct domain_entry *domain_list_match(const struct domain_list *list, const char *host)
{
	for (size_t i = 0; i < list->n; i++)
		if (domain_entry_matches(&list->e[i], host))
			return &list->e[i];
	return NULL;
}

const struct domain_entry *domain_list_covering(const struct domain_list *list,
						const struct domain_entry *e)
{
	for (size_t i = 0; i < list->n; i++) {
		const struct domain_entry *f = &list->e[i];
		if (f->is_ip != e->is_ip)
			continue;
		/* A wildcard reaches names no exact entry lists. */
		if (e->wildcard && !f->wildcard)
			continue;
		if (domain_entry_matches(f, e->name))
			return f;
	}
	return NULL;
}

bool domain_list_covers(const struct domain_list *list, const struct domain_entry *e)
{
	return domain_list_covering(list, e) != NULL;
}

const char *domain_entry_str(const struct domain_entry *e, char *buf, size_t len)
{
	if (len == 0)
		return "";
	snprintf(buf, len, "%s%s", e->wildcard ? "." : "", e->name);
	return buf;
}
