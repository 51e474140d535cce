/* The node config: parsing and checking (config.h); config_load.c reads
 * it from its file, config_render.c writes it back out. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "ports.h"

#define RATE_MIN	8000LL
#define RATE_MAX	100000000000LL
#define HEADER_NAME_MAX 128
#define GOT_MAX		60

/* A value as the user wrote it, shortened, for "got ..." in messages. */
static const char *got(const struct json *j, char *buf, size_t len)
{
	cleanup_free char *s = json_render(j, false, NULL);

	if (s == NULL)
		return "(unprintable)";
	if (strlen(s) > GOT_MAX)
		snprintf(buf, len, "%.*s...", GOT_MAX, s);
	else
		snprintf(buf, len, "%s", s);
	return buf;
}

static int type_error(const struct json *j, const char *key, const char *want, nw_err *err)
{
	char b[GOT_MAX + 8];

	return nw_fail(err, 0, "\"%s\" must be %s, got %s", key, want, got(j, b, sizeof(b)));
}

/* The array under key, checked to hold strings only (and to be non-empty
 * when asked); `want` describes one element for the message. */
static int string_array(const struct json *j, const char *key, bool nonempty, const char *want,
			nw_err *err)
{
	char b[GOT_MAX + 8];

	if (j->type != JSON_ARRAY)
		return nw_fail(err, 0, "\"%s\" must be an array of %s, got %s", key, want,
			       got(j, b, sizeof(b)));
	if (nonempty && j->n == 0)
		return nw_fail(err, 0, "\"%s\" must not be empty", key);
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i]->type != JSON_STRING)
			return nw_fail(err, 0, "\"%s\"[%zu] must be %s, got %s", key, i, want,
				       got(j->v[i], b, sizeof(b)));
	return 0;
}

static int parse_modes(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	enum nw_mode m;

	if (string_array(j, key, true, "a mode name (\"none\", \"http\" or \"full\")", err) < 0)
		return -1;
	cfg->allowed_modes = 0;
	for (size_t i = 0; i < j->n; i++) {
		if (mode_parse(j->v[i]->s, &m) < 0)
			return nw_fail(err, 0,
				       "\"%s\"[%zu]: unknown mode \"%s\" (known: none, http, full)",
				       key, i, j->v[i]->s);
		cfg->allowed_modes |= NW_MODE_BIT(m);
	}
	return 0;
}

static int parse_allowlist(struct nw_config *cfg, const struct json *j, const char *key,
			   nw_err *err)
{
	if (string_array(j, key, false, "a domain (\"example.com\" or \".example.com\")", err) < 0)
		return -1;
	domain_list_free(&cfg->allowlist);
	cfg->has_allowlist = true;
	for (size_t i = 0; i < j->n; i++)
		if (domain_list_add(&cfg->allowlist, j->v[i]->s, err) < 0)
			return nw_wrap(err, "\"%s\"[%zu]", key, i);
	return 0;
}

static int parse_rate(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	int64_t v;

	if (json_int(j, 1, INT64_MAX, &v, NULL) < 0)
		return type_error(j, key, "a positive integer (bits per second)", err);
	if (v < RATE_MIN || v > RATE_MAX)
		return nw_fail(err, 0,
			       "\"%s\" must be from %lld (8 kbit/s) to %lld (100 Gbit/s) bits per "
			       "second, got %lld",
			       key, RATE_MIN, RATE_MAX, (long long)v);
	cfg->rate_limit_bps = (uint64_t)v;
	return 0;
}

static const char port_want[] = "a port (1-65535) or a range (\"1025-65535\")";

/* Element i of the array under key. */
static int parse_one_port(struct nw_ports *p, const struct json *v, const char *key, size_t i,
			  nw_err *err)
{
	struct nw_port_range r;
	char b[GOT_MAX + 8];
	int64_t n;

	if (v->type == JSON_STRING) {
		if (ports_parse_range(v->s, &r, err) < 0 || ports_add(p, r.lo, r.hi, err) < 0)
			return nw_wrap(err, "\"%s\"[%zu]", key, i);
		return 0;
	}
	if (json_int(v, 1, 65535, &n, NULL) < 0)
		return nw_fail(err, 0, "\"%s\"[%zu] must be %s, got %s", key, i, port_want,
			       got(v, b, sizeof(b)));
	if (ports_add(p, (uint16_t)n, (uint16_t)n, err) < 0)
		return nw_wrap(err, "\"%s\"[%zu]", key, i);
	return 0;
}

static int parse_ports(struct nw_ports *out, const struct json *j, const char *key, nw_err *err)
{
	struct nw_ports p = {0};
	char b[GOT_MAX + 8];

	if (j->type != JSON_ARRAY)
		return nw_fail(err, 0, "\"%s\" must be an array of %s, got %s", key, port_want,
			       got(j, b, sizeof(b)));
	if (j->n == 0)
		return nw_fail(err, 0, "\"%s\" must not be empty", key);
	for (size_t i = 0; i < j->n; i++) {
		if (parse_one_port(&p, j->v[i], key, i, err) < 0) {
			ports_free(&p);
			return -1;
		}
	}
	ports_free(out);
	*out = p;
	return 0;
}

static int parse_http_ports(struct nw_config *cfg, const struct json *j, const char *key,
			    nw_err *err)
{
	return parse_ports(&cfg->http_ports, j, key, err);
}

static int parse_connect_ports(struct nw_config *cfg, const struct json *j, const char *key,
			       nw_err *err)
{
	return parse_ports(&cfg->connect_ports, j, key, err);
}

/* "name" or "name:port", where name may be a wildcard ".x.com". */
static int deny_domain(struct nw_deny *d, const char *s, nw_err *err)
{
	cleanup_free char *host = strdup(s);
	struct domain_list l = {0};
	struct nw_port_range r;
	char *colon;

	if (host == NULL)
		return nw_fail(err, ENOMEM, "parsing \"%s\"", s);
	colon = strchr(host, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (ports_parse_range(colon + 1, &r, err) < 0 || r.lo != r.hi)
			return nw_fail(err, 0, "\"%s\": port must be a number from 1 to 65535", s);
		d->port = r.lo;
	}
	if (domain_list_add(&l, host, err) < 0)
		return -1;
	d->is_domain = true;
	d->domain = l.e[0];
	free(l.e);
	return 0;
}

/* Text meant as an address rather than a name: brackets, a prefix, more
 * than one ':', or only digits and dots before any ':'. */
static bool looks_like_cidr(const char *s)
{
	const char *c = strchr(s, ':');
	size_t head = c != NULL ? (size_t)(c - s) : strlen(s);

	if (s[0] == '[' || strchr(s, '/') != NULL || (c != NULL && strchr(c + 1, ':') != NULL))
		return true;
	return head > 0 && strspn(s, "0123456789.") == head;
}

static int deny_one(struct nw_deny *d, const char *s, nw_err *err)
{
	struct nw_cidr_port cp;

	memset(d, 0, sizeof(*d));
	if (looks_like_cidr(s)) {
		if (addr_cidr_port_parse(s, &cp, err) < 0)
			return -1;
		d->cidr = cp.cidr;
		d->port = cp.port;
	} else if (deny_domain(d, s, err) < 0) {
		return -1;
	}
	d->text = strdup(s);
	if (d->text == NULL) {
		if (d->is_domain)
			free(d->domain.name);
		return nw_fail(err, ENOMEM, "parsing \"%s\"", s);
	}
	return 0;
}

static void deny_free(struct nw_deny *deny, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(deny[i].text);
		if (deny[i].is_domain)
			free(deny[i].domain.name);
	}
	free(deny);
}

static int parse_deny(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	struct nw_deny *d;

	if (string_array(j, key, false, "a CIDR or a domain, optionally with \":port\"", err) < 0)
		return -1;
	d = calloc(j->n ? j->n : 1, sizeof(*d));
	if (d == NULL)
		return nw_fail(err, ENOMEM, "parsing \"%s\"", key);
	for (size_t i = 0; i < j->n; i++) {
		if (deny_one(&d[i], j->v[i]->s, err) < 0) {
			deny_free(d, i);
			return nw_wrap(err, "\"%s\"[%zu]", key, i);
		}
	}
	deny_free(cfg->deny, cfg->n_deny);
	cfg->deny = d;
	cfg->n_deny = j->n;
	return 0;
}

static int parse_allow_private(struct nw_config *cfg, const struct json *j, const char *key,
			       nw_err *err)
{
	struct nw_cidr_port *c;

	if (string_array(j, key, false,
			 "a CIDR, optionally with \":port\" (\"10.1.0.0/16\", \"10.1.2.3:8080\")",
			 err) < 0)
		return -1;
	c = calloc(j->n ? j->n : 1, sizeof(*c));
	if (c == NULL)
		return nw_fail(err, ENOMEM, "parsing \"%s\"", key);
	for (size_t i = 0; i < j->n; i++) {
		if (addr_cidr_port_parse(j->v[i]->s, &c[i], err) < 0) {
			free(c);
			return nw_wrap(err, "\"%s\"[%zu]", key, i);
		}
	}
	free(cfg->allow_private);
	cfg->allow_private = c;
	cfg->n_allow_private = j->n;
	return 0;
}

bool config_private_allowed(const struct nw_config *cfg, const struct nw_addr *a, uint16_t port)
{
	for (size_t i = 0; i < cfg->n_allow_private; i++) {
		const struct nw_cidr_port *c = &cfg->allow_private[i];
		if (addr_cidr_contains(&c->cidr, a) && (c->port == 0 || c->port == port))
			return true;
	}
	return false;
}

/* Full jobs' exceptions: IPv4 CIDRs (a full job has no IPv6). The
 * always-denied ranges stay denied, so listing one is a mistake to name. */
static int parse_full_allow_private(struct nw_config *cfg, const struct json *j, const char *key,
				    nw_err *err)
{
	struct nw_cidr *c;

	if (string_array(j, key, false, "an IPv4 CIDR (\"192.168.10.0/24\")", err) < 0)
		return -1;
	c = calloc(j->n ? j->n : 1, sizeof(*c));
	if (c == NULL)
		return nw_fail(err, ENOMEM, "parsing \"%s\"", key);
	for (size_t i = 0; i < j->n; i++) {
		const char *bad = NULL;
		if (addr_cidr_parse(j->v[i]->s, &c[i], err) < 0) {
			free(c);
			return nw_wrap(err, "\"%s\"[%zu]", key, i);
		}
		if (c[i].addr.family != AF_INET)
			bad = "is not IPv4; full jobs have no IPv6";
		else if (c[i].addr.a[0] == 0 || c[i].addr.a[0] == 127 || c[i].addr.a[0] >= 224 ||
			 (c[i].addr.a[0] == 169 && c[i].addr.a[1] == 254) || c[i].prefix < 8)
			bad = "overlaps a range no job ever reaches (0/8, 127/8, 169.254/16, "
			      "224/4, 240/4), or is wider than /8; list the networks you mean";
		if (bad != NULL) {
			free(c);
			return nw_fail(err, EINVAL, "\"%s\"[%zu]: \"%s\" %s", key, i, j->v[i]->s,
				       bad);
		}
	}
	free(cfg->full_allow_private);
	cfg->full_allow_private = c;
	cfg->n_full_allow_private = j->n;
	return 0;
}

/* "IP", "IPv4:port", "[IPv6]:port" or a bare IPv6 address. */
static int dns_one(const char *s, struct nw_dns_server *out, nw_err *err)
{
	struct nw_cidr_port cp;

	if (addr_cidr_port_parse(s, &cp, err) < 0)
		return -1;
	if (cp.cidr.prefix != (cp.cidr.addr.family == AF_INET ? 32 : 128))
		return nw_fail(err, 0, "\"%s\": a DNS server is one address, not a network", s);
	out->addr = cp.cidr.addr;
	out->port = cp.port ? cp.port : 53;
	return 0;
}

static int parse_dns(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	struct nw_dns_server *d;

	if (string_array(j, key, false, "an address (\"IP\", \"IP:port\" or \"[IPv6]:port\")",
			 err) < 0)
		return -1;
	if (j->n == 0)
		return nw_fail(err, 0, "\"%s\" must not be empty (leave it out to use %s)", key,
			       NW_RESOLV_CONF);
	d = calloc(j->n, sizeof(*d));
	if (d == NULL)
		return nw_fail(err, ENOMEM, "parsing \"%s\"", key);
	for (size_t i = 0; i < j->n; i++) {
		if (dns_one(j->v[i]->s, &d[i], err) < 0) {
			free(d);
			return nw_wrap(err, "\"%s\"[%zu]", key, i);
		}
	}
	free(cfg->dns);
	cfg->dns = d;
	cfg->n_dns = j->n;
	cfg->dns_from_resolv_conf = false;
	return 0;
}

static int parse_subnet(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	struct nw_cidr c;
	struct nw_addr gw;

	if (j->type != JSON_STRING)
		return type_error(j, key, "an IPv4 CIDR (\"10.213.0.0/16\")", err);
	if (addr_cidr_parse(j->s, &c, err) < 0)
		return nw_wrap(err, "\"%s\"", key);
	/* Each http job's conntrack zone is the low 16 bits of its address
	 * (fw_zone): unique, and never the default zone 0 (the network
	 * address, never handed out), only in a /16 or narrower. */
	if (c.addr.family != AF_INET || c.prefix < 16 || c.prefix > 29)
		return nw_fail(err, 0,
			       "\"%s\" must be an IPv4 network with a prefix from /16 to /29 (one "
			       "conntrack zone per job address), got \"%s\"",
			       key, j->s);
	/* Job addresses must never collide with the gateway every job sees. */
	if (addr_parse(NW_GATEWAY, &gw, NULL) == 0 && addr_cidr_contains(&c, &gw))
		return nw_fail(err, 0, "\"%s\" \"%s\" contains the jobs' gateway %s", key, j->s,
			       NW_GATEWAY);
	cfg->subnet = c;
	return 0;
}

static int parse_proxy_port(struct nw_config *cfg, const struct json *j, const char *key,
			    nw_err *err)
{
	int64_t v;

	if (json_int(j, 1, 65535, &v, NULL) < 0)
		return type_error(j, key, "a port number from 1 to 65535", err);
	cfg->proxy_port = (uint16_t)v;
	return 0;
}

/* RFC 9110 token characters. */
static bool header_name_valid(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t n = strlen(s);

	return n <= HEADER_NAME_MAX && strspn(s, tchar) == n;
}

static int replace_str(char **dst, const char *s, nw_err *err)
{
	char *c = strdup(s);

	if (c == NULL)
		return nw_fail(err, ENOMEM, "copying \"%s\"", s);
	free(*dst);
	*dst = c;
	return 0;
}

static int parse_header(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	if (j->type != JSON_STRING)
		return type_error(j, key, "a header name (\"X-Job-ID\"), or \"\" for none", err);
	if (!header_name_valid(j->s))
		return nw_fail(err, 0,
			       "\"%s\" \"%s\" is not a valid HTTP header name (letters, digits "
			       "and !#$%%&'*+-.^_`|~, at most %d)",
			       key, j->s, HEADER_NAME_MAX);
	return replace_str(&cfg->job_id_header, j->s, err);
}

static bool path_valid(const char *s)
{
	if (s[0] != '/' || strlen(s) >= PATH_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int parse_log(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	if (j->type != JSON_STRING)
		return type_error(j, key, "\"syslog\" or an absolute file path", err);
	if (strcmp(j->s, "syslog") != 0 && !path_valid(j->s))
		return nw_fail(err, 0,
			       "\"%s\" must be \"syslog\" or an absolute file path, got \"%s\"",
			       key, j->s);
	return replace_str(&cfg->log, j->s, err);
}

/* The config schema this netward reads. A config written for a later one
 * is explained, not refused key by key. */
static int parse_version(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	int64_t v;

	if (json_int(j, 1, INT64_MAX, &v, NULL) < 0)
		return type_error(j, key, "a positive integer (the config schema version)", err);
	if (v > NW_CONFIG_VERSION)
		return nw_fail(
		    err, 0,
		    "this config is written for config version %lld, and this netward "
		    "(%s) reads version %d at most: upgrade netward, or write the config "
		    "for version %d (see netward.json(5))",
		    (long long)v, NW_VERSION, NW_CONFIG_VERSION, NW_CONFIG_VERSION);
	return 0;
}

static int parse_job_log_max(struct nw_config *cfg, const struct json *j, const char *key,
			     nw_err *err)
{
	int64_t v;

	if (json_int(j, (int64_t)NW_JOB_LOG_MAX_MIN, (int64_t)NW_JOB_LOG_MAX_MAX, &v, NULL) < 0)
		return type_error(j, key, "a number of bytes from 16384 to 536870912", err);
	cfg->job_log_max_bytes = (uint64_t)v;
	return 0;
}

static int parse_report(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	if (j->type != JSON_BOOL)
		return type_error(j, key, "true or false", err);
	cfg->report_unlisted_domains = j->b;
	return 0;
}

static int parse_intercept(struct nw_config *cfg, const struct json *j, const char *key,
			   nw_err *err)
{
	if (j->type != JSON_BOOL)
		return type_error(j, key, "true or false", err);
	cfg->intercept = j->b;
	return 0;
}

/* Interception takes the port after proxy_port and port 53 on the
 * gateway: both must exist and be apart. Checked once every key is read,
 * whatever their order. */
static int check_ports(const struct nw_config *cfg, nw_err *err)
{
	if (!cfg->intercept)
		return 0;
	if (config_intercept_port(cfg) > 65535)
		return nw_fail(err, 0,
			       "\"proxy_port\" %u leaves no port for intercepted connections, "
			       "which take proxy_port + 1: choose a proxy_port below 65535, or set "
			       "\"intercept\": false",
			       (unsigned)cfg->proxy_port);
	if (cfg->proxy_port == 53 || config_intercept_port(cfg) == 53)
		return nw_fail(err, 0,
			       "\"proxy_port\" %u collides with the jobs' DNS on port 53 "
			       "(interception takes proxy_port and proxy_port + 1): choose another "
			       "proxy_port, or set \"intercept\": false",
			       (unsigned)cfg->proxy_port);
	return 0;
}

/* An absolute path, or a bare name looked up in PATH ("crun"). */
static bool runtime_valid(const char *s)
{
	static const char name[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-";
	size_t n = strlen(s);

	if (s[0] == '/')
		return path_valid(s);
	return n > 0 && n <= NAME_MAX && strspn(s, name) == n && s[0] != '.';
}

static int parse_runtime(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err)
{
	if (j->type != JSON_STRING)
		return type_error(j, key, "an absolute path or a program name in PATH (\"crun\")",
				  err);
	if (!runtime_valid(j->s))
		return nw_fail(err, 0,
			       "\"%s\" must be an absolute path or a plain program name "
			       "(\"crun\"), got \"%s\"",
			       key, j->s);
	return replace_str(&cfg->oci_runtime, j->s, err);
}

static int parse_hooks_dirs(struct nw_config *cfg, const struct json *j, const char *key,
			    nw_err *err)
{
	char **dirs;

	if (j->type != JSON_ARRAY || j->n == 0 || j->n > 16)
		return type_error(j, key, "a list of 1 to 16 absolute directories", err);
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i]->type != JSON_STRING || !path_valid(j->v[i]->s))
			return nw_fail(err, 0, "\"%s\" entry %zu is not an absolute directory", key,
				       i + 1);
	dirs = calloc(j->n, sizeof(*dirs));
	if (dirs == NULL)
		return nw_fail(err, ENOMEM, "\"%s\"", key);
	for (size_t i = 0; i < j->n; i++)
		if ((dirs[i] = strdup(j->v[i]->s)) == NULL) {
			for (size_t k = 0; k < i; k++)
				free(dirs[k]);
			free(dirs);
			return nw_fail(err, ENOMEM, "\"%s\"", key);
		}
	for (size_t i = 0; i < cfg->n_hooks_dirs; i++)
		free(cfg->hooks_dirs[i]);
	free(cfg->hooks_dirs);
	cfg->hooks_dirs = dirs;
	cfg->n_hooks_dirs = j->n;
	return 0;
}

struct key_parser {
	const char *key;
	int (*parse)(struct nw_config *cfg, const struct json *j, const char *key, nw_err *err);
};

/* DESIGN.md §2, in its order; config_render writes the same order. */
static const struct key_parser parsers[] = {
    {"allowed_modes", parse_modes},
    {"domain_allowlist", parse_allowlist},
    {"rate_limit_bps", parse_rate},
    {"http_ports", parse_http_ports},
    {"connect_ports", parse_connect_ports},
    {"deny_destinations", parse_deny},
    {"allow_private_destinations", parse_allow_private},
    {"full_allow_private_destinations", parse_full_allow_private},
    {"dns_servers", parse_dns},
    {"subnet", parse_subnet},
    {"proxy_port", parse_proxy_port},
    {"intercept", parse_intercept},
    {"job_id_header", parse_header},
    {"log", parse_log},
    {"version", parse_version},
    {"job_log_max_bytes", parse_job_log_max},
    {"oci_runtime", parse_runtime},
    {"hooks_dirs", parse_hooks_dirs},
    {"report_unlisted_domains", parse_report},
};
#define N_PARSERS (sizeof(parsers) / sizeof(parsers[0]))

void config_defaults(struct nw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->allowed_modes = NW_MODE_BIT(NW_MODE_NONE);
	cfg->rate_limit_bps = 10000000;
	/* On allocation failure a list stays shorter: fewer ports open, never more. */
	ports_add(&cfg->http_ports, 80, 80, NULL);
	ports_add(&cfg->http_ports, 443, 443, NULL);
	ports_add(&cfg->http_ports, 1025, 65535, NULL);
	ports_add(&cfg->connect_ports, 443, 443, NULL);
	addr_cidr_parse("10.213.0.0/16", &cfg->subnet, NULL);
	cfg->proxy_port = 3128;
	cfg->intercept = true;
	cfg->job_id_header = strdup("X-Bacalhau-Job-ID");
	cfg->log = strdup("syslog");
	cfg->job_log_max_bytes = NW_JOB_LOG_MAX_DEFAULT;
}

void config_free(struct nw_config *cfg)
{
	free(cfg->path);
	domain_list_free(&cfg->allowlist);
	ports_free(&cfg->http_ports);
	ports_free(&cfg->connect_ports);
	deny_free(cfg->deny, cfg->n_deny);
	free(cfg->allow_private);
	free(cfg->full_allow_private);
	free(cfg->dns);
	free(cfg->job_id_header);
	free(cfg->log);
	free(cfg->oci_runtime);
	for (size_t i = 0; i < cfg->n_hooks_dirs; i++)
		free(cfg->hooks_dirs[i]);
	free(cfg->hooks_dirs);
	memset(cfg, 0, sizeof(*cfg));
}

static int unknown_key(const char *key, nw_err *err)
{
	char known[512] = "";
	size_t off = 0;

	for (size_t i = 0; i < N_PARSERS && off < sizeof(known); i++)
		off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s", i ? ", " : "",
					parsers[i].key);
	return nw_fail(err, 0, "unknown key \"%s\" (known keys: %s)", key, known);
}

static int apply(struct nw_config *cfg, const struct json *root, nw_err *err)
{
	if (root->type != JSON_OBJECT)
		return nw_fail(err, 0, "the node config must be a JSON object");
	/* Before any other key: a newer config's new keys are not typos. */
	if (json_get(root, "version") != NULL &&
	    parse_version(cfg, json_get(root, "version"), "version", err) < 0)
		return -1;
	for (size_t i = 0; i < root->n; i++) {
		size_t k = 0;
		while (k < N_PARSERS && strcmp(parsers[k].key, root->keys[i]) != 0)
			k++;
		if (k == N_PARSERS)
			return unknown_key(root->keys[i], err);
		if (parsers[k].parse(cfg, root->v[i], parsers[k].key, err) < 0)
			return -1;
	}
	return check_ports(cfg, err);
}

int config_parse(struct nw_config *cfg, const char *text, size_t len, nw_err *err)
{
	cleanup_json struct json *root = NULL;
	cleanup_config struct nw_config c;

	config_defaults(&c);
	if (c.job_id_header == NULL || c.log == NULL)
		return nw_fail(err, ENOMEM, "node config defaults");
	if (len > NW_CONFIG_MAX)
		return nw_fail(err, 0, "larger than %d bytes", NW_CONFIG_MAX);
	root = json_parse(text, len, err);
	if (root == NULL || apply(&c, root, err) < 0)
		return -1;
	/* Handed over whole. */
	*cfg = c;
	memset(&c, 0, sizeof(c));
	return 0;
}
