/* The effective node config as JSON (config_render in config.h): what
 * `netward check-config` reports, parsed back to the same config. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "ports.h"

static int push_str(struct json *arr, const char *s, nw_err *err)
{
	return json_push(arr, json_new_str(s), err);
}

static struct json *render_modes(const struct nw_config *cfg, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);

	for (unsigned m = NW_MODE_NONE; m <= NW_MODE_FULL; m++)
		if ((cfg->allowed_modes & NW_MODE_BIT(m)) && push_str(a, mode_name(m), err) < 0)
			return NULL;
	return steal_ptr(&a);
}

static struct json *render_allowlist(const struct nw_config *cfg, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);
	char b[DOMAIN_MAX + 2];

	for (size_t i = 0; i < cfg->allowlist.n; i++)
		if (push_str(a, domain_entry_str(&cfg->allowlist.e[i], b, sizeof(b)), err) < 0)
			return NULL;
	return steal_ptr(&a);
}

static struct json *render_ports(const struct nw_ports *p, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);
	char b[16];

	for (size_t i = 0; i < p->n; i++) {
		struct json *v;
		if (p->r[i].lo == p->r[i].hi) {
			v = json_new_int(p->r[i].lo);
		} else {
			snprintf(b, sizeof(b), "%u-%u", (unsigned)p->r[i].lo, (unsigned)p->r[i].hi);
			v = json_new_str(b);
		}
		if (json_push(a, v, err) < 0)
			return NULL;
	}
	return steal_ptr(&a);
}

static struct json *render_deny(const struct nw_config *cfg, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);

	for (size_t i = 0; i < cfg->n_deny; i++)
		if (push_str(a, cfg->deny[i].text, err) < 0)
			return NULL;
	return steal_ptr(&a);
}

static struct json *render_cidrs(const struct nw_cidr *c, size_t n, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);
	char b[INET6_ADDRSTRLEN + 8];

	for (size_t i = 0; i < n; i++)
		if (push_str(a, addr_cidr_str(&c[i], b, sizeof(b)), err) < 0)
			return NULL;
	return steal_ptr(&a);
}

/* "CIDR" or "CIDR:port" ("[v6/n]:port"), as addr_cidr_port_parse reads it. */
static struct json *render_cidr_ports(const struct nw_cidr_port *c, size_t n, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);
	char cb[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 24];

	for (size_t i = 0; i < n; i++) {
		addr_cidr_str(&c[i].cidr, cb, sizeof(cb));
		if (c[i].port == 0)
			snprintf(b, sizeof(b), "%s", cb);
		else if (c[i].cidr.addr.family == AF_INET6)
			snprintf(b, sizeof(b), "[%s]:%u", cb, (unsigned)c[i].port);
		else
			snprintf(b, sizeof(b), "%s:%u", cb, (unsigned)c[i].port);
		if (push_str(a, b, err) < 0)
			return NULL;
	}
	return steal_ptr(&a);
}

static struct json *render_dns(const struct nw_config *cfg, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);
	char ab[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN + 16];

	for (size_t i = 0; i < cfg->n_dns; i++) {
		const struct nw_dns_server *d = &cfg->dns[i];
		addr_str(&d->addr, ab, sizeof(ab));
		if (d->port == 53)
			snprintf(b, sizeof(b), "%s", ab);
		else if (d->addr.family == AF_INET6)
			snprintf(b, sizeof(b), "[%s]:%u", ab, (unsigned)d->port);
		else
			snprintf(b, sizeof(b), "%s:%u", ab, (unsigned)d->port);
		if (push_str(a, b, err) < 0)
			return NULL;
	}
	return steal_ptr(&a);
}

static int render_lists(struct json *o, const struct nw_config *cfg, nw_err *err)
{
	if (json_set(o, "allowed_modes", render_modes(cfg, err), err) < 0)
		return -1;
	if (cfg->has_allowlist &&
	    json_set(o, "domain_allowlist", render_allowlist(cfg, err), err) < 0)
		return -1;
	if (json_set(o, "rate_limit_bps", json_new_int((int64_t)cfg->rate_limit_bps), err) < 0 ||
	    json_set(o, "http_ports", render_ports(&cfg->http_ports, err), err) < 0 ||
	    json_set(o, "connect_ports", render_ports(&cfg->connect_ports, err), err) < 0 ||
	    json_set(o, "deny_destinations", render_deny(cfg, err), err) < 0 ||
	    json_set(o, "allow_private_destinations",
		     render_cidr_ports(cfg->allow_private, cfg->n_allow_private, err), err) < 0 ||
	    json_set(o, "full_allow_private_destinations",
		     render_cidrs(cfg->full_allow_private, cfg->n_full_allow_private, err),
		     err) < 0)
		return -1;
	/* With no server at all the key is left out: an empty list is refused. */
	if (cfg->n_dns > 0 && json_set(o, "dns_servers", render_dns(cfg, err), err) < 0)
		return -1;
	return 0;
}

static struct json *render_bool(bool b)
{
	struct json *t = json_new(JSON_BOOL);

	if (t != NULL)
		t->b = b;
	return t;
}

char *config_render(const struct nw_config *cfg, nw_err *err)
{
	cleanup_json struct json *o = json_new(JSON_OBJECT);
	char b[INET6_ADDRSTRLEN + 8];

	if (o == NULL) {
		nw_fail(err, ENOMEM, "rendering the node config");
		return NULL;
	}
	if (render_lists(o, cfg, err) < 0 ||
	    json_set(o, "subnet", json_new_str(addr_cidr_str(&cfg->subnet, b, sizeof(b))), err) <
		0 ||
	    json_set(o, "proxy_port", json_new_int(cfg->proxy_port), err) < 0 ||
	    json_set(o, "intercept", render_bool(cfg->intercept), err) < 0 ||
	    json_set(o, "job_id_header", json_new_str(cfg->job_id_header ? cfg->job_id_header : ""),
		     err) < 0 ||
	    json_set(o, "log", json_new_str(cfg->log ? cfg->log : "syslog"), err) < 0 ||
	    json_set(o, "job_log_max_bytes", json_new_int((int64_t)cfg->job_log_max_bytes), err) <
		0)
		return NULL;
	if (cfg->report_unlisted_domains) {
		struct json *t = json_new(JSON_BOOL);
		if (t != NULL)
			t->b = true;
		if (json_set(o, "report_unlisted_domains", t, err) < 0)
			return NULL;
	}
	if (cfg->oci_runtime != NULL &&
	    json_set(o, "oci_runtime", json_new_str(cfg->oci_runtime), err) < 0)
		return NULL;
	if (cfg->n_hooks_dirs > 0) {
		struct json *d = json_new(JSON_ARRAY);
		if (json_set(o, "hooks_dirs", d, err) < 0)
			return NULL;
		for (size_t i = 0; i < cfg->n_hooks_dirs; i++)
			if (json_push(d, json_new_str(cfg->hooks_dirs[i]), err) < 0)
				return NULL;
	}
	return json_render(o, true, err);
}
