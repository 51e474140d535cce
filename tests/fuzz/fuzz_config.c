/* The node config: whatever parses must render (check-config prints that
 * rendering as the effective policy), the rendering must parse back to the
 * same policy, and rendering that again must give the same text. A policy
 * that drifts on a round trip is one the operator did not read. */
#include <stdbool.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "fuzz.h"
#include "ports.h"

static bool same_ports(const struct nw_ports *a, const struct nw_ports *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->r, b->r, a->n * sizeof(*a->r)) == 0);
}

static bool same_cidr(const struct nw_cidr *a, const struct nw_cidr *b)
{
	return a->prefix == b->prefix && a->addr.family == b->addr.family &&
	       memcmp(a->addr.a, b->addr.a, sizeof(a->addr.a)) == 0;
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_same(const struct nw_config *a, const struct nw_config *b, const char *text)
{
	FUZZ_ASSERT(a->allowed_modes == b->allowed_modes, "allowed_modes drift\n%s", text);
	FUZZ_ASSERT(a->has_allowlist == b->has_allowlist && a->allowlist.n == b->allowlist.n,
		    "domain_allowlist drift\n%s", text);
	for (size_t i = 0; i < a->allowlist.n; i++)
		FUZZ_ASSERT(strcmp(a->allowlist.e[i].name, b->allowlist.e[i].name) == 0 &&
				a->allowlist.e[i].wildcard == b->allowlist.e[i].wildcard &&
				a->allowlist.e[i].is_ip == b->allowlist.e[i].is_ip,
			    "domain_allowlist[%zu] drift\n%s", i, text);
	FUZZ_ASSERT(a->rate_limit_bps == b->rate_limit_bps, "rate_limit_bps drift\n%s", text);
	FUZZ_ASSERT(same_ports(&a->http_ports, &b->http_ports), "http_ports drift\n%s", text);
	FUZZ_ASSERT(same_ports(&a->connect_ports, &b->connect_ports), "connect_ports drift\n%s",
		    text);
	FUZZ_ASSERT(a->n_deny == b->n_deny, "deny_destinations drift\n%s", text);
	for (size_t i = 0; i < a->n_deny; i++) {
		const struct nw_deny *x = &a->deny[i], *y = &b->deny[i];
		FUZZ_ASSERT(x->is_domain == y->is_domain && x->port == y->port &&
				(x->is_domain ? strcmp(x->domain.name, y->domain.name) == 0 &&
						    x->domain.wildcard == y->domain.wildcard
					      : same_cidr(&x->cidr, &y->cidr)),
			    "deny_destinations[%zu] drift\n%s", i, text);
	}
	FUZZ_ASSERT(a->n_allow_private == b->n_allow_private, "allow_private drift\n%s", text);
	for (size_t i = 0; i < a->n_allow_private; i++)
		FUZZ_ASSERT(same_cidr(&a->allow_private[i].cidr, &b->allow_private[i].cidr) &&
				a->allow_private[i].port == b->allow_private[i].port,
			    "allow_private_destinations[%zu] drift\n%s", i, text);
	FUZZ_ASSERT(a->n_dns == b->n_dns, "dns_servers drift\n%s", text);
	for (size_t i = 0; i < a->n_dns; i++)
		FUZZ_ASSERT(a->dns[i].port == b->dns[i].port &&
				memcmp(&a->dns[i].addr, &b->dns[i].addr, sizeof(a->dns[i].addr)) ==
				    0,
			    "dns_servers[%zu] drift\n%s", i, text);
	FUZZ_ASSERT(same_cidr(&a->subnet, &b->subnet), "subnet drift\n%s", text);
	FUZZ_ASSERT(a->proxy_port == b->proxy_port, "proxy_port drift\n%s", text);
	FUZZ_ASSERT(a->job_log_max_bytes == b->job_log_max_bytes, "job_log_max_bytes drift\n%s",
		    text);
	FUZZ_ASSERT(same_str(a->job_id_header, b->job_id_header), "job_id_header drift\n%s", text);
	FUZZ_ASSERT(same_str(a->log, b->log), "log drift\n%s", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_config cfg, cfg2;
	cleanup_free char *text = NULL, *text2 = NULL;
	cleanup_err nw_err err = NULL;

	if (config_parse(&cfg, (const char *)data, size, &err) < 0) {
		FUZZ_ASSERT(err != NULL && nw_err_msg(err)[0] != '\0', "refusal without a reason");
		return 0;
	}
	FUZZ_ASSERT(cfg.allowed_modes != 0, "a config allowing no mode at all");
	FUZZ_ASSERT(cfg.proxy_port != 0, "proxy_port 0");
	text = config_render(&cfg, &err);
	FUZZ_ASSERT(text != NULL, "an accepted config does not render: %s", nw_err_msg(err));
	if (config_parse(&cfg2, text, strlen(text), &err) < 0)
		FUZZ_ASSERT(false, "the rendered config is refused: %s\n%s", nw_err_msg(err), text);
	check_same(&cfg, &cfg2, text);
	text2 = config_render(&cfg2, &err);
	FUZZ_ASSERT(text2 != NULL && strcmp(text, text2) == 0, "rendering drifts:\n%s\n---\n%s",
		    text, text2 ? text2 : "(null)");
	config_free(&cfg);
	config_free(&cfg2);
	return 0;
}
