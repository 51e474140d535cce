/* Hints and warnings for check-config (advise.h). */
#include "advise.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cleanup.h"

static void add(struct advice_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct advice_list *l, const char *fmt, ...)
{
	char **m = realloc(l->msg, (l->n + 1) * sizeof(*m));
	va_list ap;

	if (m == NULL)
		return;
	l->msg = m;
	va_start(ap, fmt);
	if (vasprintf(&m[l->n], fmt, ap) >= 0)
		l->n++;
	va_end(ap);
}

void advice_free(struct advice_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->msg[i]);
	free(l->msg);
	l->msg = NULL;
	l->n = 0;
}

/* Letters, digits, '-' and dots with at least one letter: a host name. */
static bool looks_like_hostname(const char *s)
{
	bool letter = false;

	if (*s == '\0' || strlen(s) > DOMAIN_MAX)
		return false;
	for (const char *p = s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			letter = true;
		else if (!(*p >= '0' && *p <= '9') && *p != '-' && *p != '.')
			return false;
	}
	return letter;
}

/* "2001:db8::1:53": an unbracketed IPv6 address whose last group reads as
 * a well-known port. Fills addr with what comes before it. */
static bool ipv6_with_port(const char *s, char *addr, size_t len, unsigned *port)
{
	static const unsigned ports[] = {53, 80, 443, 853, 3128, 5353, 6443, 8080, 8443};
	const char *c = strrchr(s, ':');
	struct nw_addr a;
	char *end;

	if (s[0] == '[' || c == NULL || strchr(s, ':') == c || strchr(s, '/') != NULL)
		return false;
	if ((size_t)(c - s) >= len || c[1] == '\0')
		return false;
	*port = (unsigned)strtoul(c + 1, &end, 10);
	if (*end != '\0')
		return false;
	memcpy(addr, s, (size_t)(c - s));
	addr[c - s] = '\0';
	if (addr_parse(addr, &a, NULL) < 0 || a.family != AF_INET6)
		return false;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (*port == ports[i])
			return true;
	return false;
}

static void hint_ipv6_port(const char *key, size_t i, const char *s, struct advice_list *out)
{
	char a[INET6_ADDRSTRLEN + 8];
	unsigned port;

	if (ipv6_with_port(s, a, sizeof(a), &port))
		add(out,
		    "\"%s\"[%zu] \"%s\": an IPv6 address with a port must be in brackets: write "
		    "\"[%s]:%u\" (without them it reads as the address %s)",
		    key, i, s, a, port, s);
}

static void hint_dns(const struct json *j, struct advice_list *out)
{
	for (size_t i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++) {
		const char *s = j->v[i]->type == JSON_STRING ? j->v[i]->s : NULL;
		struct nw_addr a;
		if (s == NULL)
			continue;
		if (looks_like_hostname(s) && addr_parse(s, &a, NULL) < 0)
			add(out,
			    "\"dns_servers\"[%zu] \"%s\" is a host name; dns_servers takes IP "
			    "addresses (the proxy would need DNS to find its DNS): write the "
			    "resolver's address, such as \"192.168.1.1\"",
			    i, s);
		hint_ipv6_port("dns_servers", i, s, out);
	}
}

static void hint_deny(const struct json *j, struct advice_list *out)
{
	for (size_t i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++) {
		const char *s = j->v[i]->type == JSON_STRING ? j->v[i]->s : NULL;
		const char *p = s != NULL ? strstr(s, "://") : NULL;
		if (p != NULL) {
			int n = (int)strcspn(p + 3, "/?#");
			add(out,
			    "\"deny_destinations\"[%zu] \"%s\" is a URL; entries are hosts or "
			    "CIDRs, optionally with \":port\": write \"%.*s\"",
			    i, s, n, p + 3);
		} else if (s != NULL) {
			hint_ipv6_port("deny_destinations", i, s, out);
		}
	}
}

static void hint_allowlist(const struct json *j, struct advice_list *out)
{
	for (size_t i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++) {
		const char *s = j->v[i]->type == JSON_STRING ? j->v[i]->s : NULL;
		const char *c = s != NULL ? strchr(s, ':') : NULL;
		if (c == NULL || strchr(c + 1, ':') != NULL || strstr(s, "://") != NULL)
			continue;
		add(out,
		    "\"domain_allowlist\"[%zu] \"%s\" has a port, and domains carry none: write "
		    "\"%.*s\", and list the port in \"connect_ports\" (HTTPS) or \"http_ports\" "
		    "(plain HTTP)",
		    i, s, (int)(c - s), s);
	}
	for (size_t i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++) {
		const char *s = j->v[i]->type == JSON_STRING ? j->v[i]->s : NULL;
		const char *p = s != NULL ? strstr(s, "://") : NULL;
		if (p != NULL)
			add(out,
			    "\"domain_allowlist\"[%zu] \"%s\" is a URL; entries are domains: "
			    "write \"%.*s\"",
			    i, s, (int)strcspn(p + 3, ":/?#"), p + 3);
	}
}

static void hint_allow_private(const struct json *j, struct advice_list *out)
{
	for (size_t i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++)
		if (j->v[i]->type == JSON_STRING)
			hint_ipv6_port("allow_private_destinations", i, j->v[i]->s, out);
}

/* The example configs mark what the operator must fill in as "<...>". */
static void hint_placeholders(const char *key, const struct json *j, struct advice_list *out)
{
	const struct json *one[1] = {j};
	const struct json *const *v =
	    j->type == JSON_ARRAY ? (const struct json *const *)j->v : one;
	size_t n = j->type == JSON_ARRAY ? j->n : 1;

	for (size_t i = 0; i < n; i++) {
		const char *s = v[i]->type == JSON_STRING ? v[i]->s : NULL;
		if (s == NULL || s[0] != '<' || strchr(s, '>') == NULL)
			continue;
		if (j->type == JSON_ARRAY)
			add(out,
			    "\"%s\"[%zu] \"%s\" is a placeholder of the example config: replace it "
			    "with this node's value",
			    key, i, s);
		else
			add(out,
			    "\"%s\" \"%s\" is a placeholder of the example config: replace it with "
			    "this node's value",
			    key, s);
	}
}

/* A switch written as a string ("false") is refused as a type error;
 * say what was meant. */
static void hint_switch(const char *key, const struct json *v, struct advice_list *out)
{
	if (v == NULL || v->type != JSON_STRING ||
	    (strcasecmp(v->s, "true") != 0 && strcasecmp(v->s, "false") != 0 &&
	     strcasecmp(v->s, "on") != 0 && strcasecmp(v->s, "off") != 0))
		return;
	add(out, "\"%s\" is the string \"%s\"; write %s, without quotes", key, v->s,
	    strcasecmp(v->s, "true") == 0 || strcasecmp(v->s, "on") == 0 ? "true" : "false");
}

void advise_hints(const struct json *root, struct advice_list *out)
{
	if (root == NULL || root->type != JSON_OBJECT)
		return;
	for (size_t i = 0; i < root->n; i++)
		hint_placeholders(root->keys[i], root->v[i], out);
	hint_dns(json_get(root, "dns_servers"), out);
	hint_deny(json_get(root, "deny_destinations"), out);
	hint_allowlist(json_get(root, "domain_allowlist"), out);
	hint_allow_private(json_get(root, "allow_private_destinations"), out);
	hint_switch("intercept", json_get(root, "intercept"), out);
	hint_switch("report_unlisted_domains", json_get(root, "report_unlisted_domains"), out);
}

/* --- warnings ------------------------------------------------------------- */

static bool in_cidr(const char *cidr, const struct nw_addr *a)
{
	struct nw_cidr c;

	return addr_cidr_parse(cidr, &c, NULL) == 0 && addr_cidr_contains(&c, a);
}

/* Does c hold a loopback address, or lie inside loopback? */
static bool has_loopback(const struct nw_cidr *c)
{
	struct nw_addr lo4, lo6;

	addr_parse("127.0.0.1", &lo4, NULL);
	addr_parse("::1", &lo6, NULL);
	return addr_cidr_contains(c, &lo4) || addr_cidr_contains(c, &lo6) ||
	       in_cidr("127.0.0.0/8", &c->addr);
}

static void warn_allow_private(const struct json *j, struct advice_list *out)
{
	for (size_t i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++) {
		struct nw_cidr_port cp;
		if (j->v[i]->type != JSON_STRING || addr_cidr_port_parse(j->v[i]->s, &cp, NULL) < 0)
			continue;
		if (cp.cidr.prefix == 0)
			add(out,
			    "\"allow_private_destinations\"[%zu] \"%s\" opens every private and "
			    "loopback address to http jobs, this node's own services included; "
			    "list "
			    "only the networks jobs need",
			    i, j->v[i]->s);
		else if (has_loopback(&cp.cidr))
			add(out,
			    "\"allow_private_destinations\"[%zu] \"%s\" includes loopback: http "
			    "jobs reach services listening on this node's loopback; list a "
			    "mirror's "
			    "own address instead",
			    i, j->v[i]->s);
	}
}

static void warn_subnet(const struct nw_config *cfg, struct advice_list *out)
{
	static const char *const private[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"};
	struct nw_addr last = cfg->subnet.addr;
	char b[INET6_ADDRSTRLEN + 8];

	/* The network's last address, so the whole subnet must lie inside. */
	for (int bit = cfg->subnet.prefix; bit < 32; bit++)
		last.a[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	for (size_t i = 0; i < sizeof(private) / sizeof(private[0]); i++)
		if (in_cidr(private[i], &cfg -> subnet.addr) && in_cidr(private[i], &last))
			return;
	add(out,
	    "\"subnet\" \"%s\" is not a private network: job addresses would collide with real "
	    "hosts; use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
	    addr_cidr_str(&cfg->subnet, b, sizeof(b)));
}

static void warn_header(const struct nw_config *cfg, struct advice_list *out)
{
	static const char *const taken[] = {"Host",
					    "Content-Length",
					    "Transfer-Encoding",
					    "Connection",
					    "Proxy-Authorization",
					    "Proxy-Connection",
					    "Upgrade",
					    "TE",
					    "Trailer"};

	for (size_t i = 0; cfg->job_id_header != NULL && i < sizeof(taken) / sizeof(taken[0]); i++)
		if (strcasecmp(cfg->job_id_header, taken[i]) == 0)
			add(out,
			    "\"job_id_header\" \"%s\" is a header HTTP itself needs (the proxy "
			    "would strip it from every request and set it to the job id); use a "
			    "name of its own, such as \"X-Job-ID\"",
			    cfg->job_id_header);
}

static bool system_path(const char *p)
{
	static const char *const dirs[] = {"/etc/",   "/usr/",	"/bin/",  "/sbin/", "/lib/",
					   "/lib64/", "/boot/", "/proc/", "/sys/",  "/dev/"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strncmp(p, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return false;
}

static void warn_log(const struct nw_config *cfg, struct advice_list *out)
{
	const char *p = cfg->log;
	char dir[PATH_MAX];
	struct stat st;
	size_t n;

	if (p == NULL || strcmp(p, "syslog") == 0)
		return;
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
		add(out,
		    "\"log\" \"%s\" is a directory; name a file in it, such as \"%s%snetward.log\"",
		    p, p, p[strlen(p) - 1] == '/' ? "" : "/");
		return;
	}
	if (system_path(p)) {
		add(out,
		    "\"log\" \"%s\" is a system path; netward would append its log to it: use a "
		    "file of its own, such as \"/var/log/netward.log\"",
		    p);
		return;
	}
	n = (size_t)(strrchr(p, '/') - p);
	snprintf(dir, sizeof(dir), "%.*s", (int)(n ? n : 1), p);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		add(out,
		    "\"log\" \"%s\": the directory %s does not exist, so nothing would be logged; "
		    "create it, or use \"syslog\"",
		    p, dir);
}

static void warn_dns(const struct nw_config *cfg, struct advice_list *out)
{
	static const char *const doc[] = {"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
					  "2001:db8::/32"};
	char b[INET6_ADDRSTRLEN];

	for (size_t i = 0; !cfg->dns_from_resolv_conf && i < cfg->n_dns; i++)
		for (size_t k = 0; k < sizeof(doc) / sizeof(doc[0]); k++)
			if (in_cidr(doc[k], &cfg->dns[i].addr))
				add(out,
				    "\"dns_servers\"[%zu] \"%s\" is a documentation address "
				    "(%s): no resolver answers there, so every lookup of http "
				    "jobs times out; write your resolver's address",
				    i, addr_str(&cfg->dns[i].addr, b, sizeof(b)), doc[k]);
}

void advise_warnings(const struct json *root, const struct nw_config *cfg, struct advice_list *out)
{
	if ((cfg->allowed_modes & NW_MODE_BIT(NW_MODE_HTTP)) && !cfg->has_allowlist)
		add(out,
		    "\"allowed_modes\" includes http but there is no \"domain_allowlist\": http "
		    "jobs may ask for any domain (no ceiling); list what jobs may reach in "
		    "\"domain_allowlist\"");
	if (root != NULL)
		warn_allow_private(json_get(root, "allow_private_destinations"), out);
	if (cfg->report_unlisted_domains)
		add(out,
		    "\"report_unlisted_domains\" is on: every http job may reach any name %s, "
		    "whatever its io.netward.domains says; it is for learning a job's list "
		    "(netward domains), not for production",
		    cfg->has_allowlist ? "that \"domain_allowlist\" covers"
				       : "(there is no domain_allowlist)");
	warn_subnet(cfg, out);
	warn_header(cfg, out);
	warn_log(cfg, out);
	warn_dns(cfg, out);
}
