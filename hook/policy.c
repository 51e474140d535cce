#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ident.h"

static void modes_text(unsigned modes, char *buf, size_t len)
{
	static const enum nw_mode all[] = {NW_MODE_NONE, NW_MODE_HTTP, NW_MODE_FULL};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!(modes & NW_MODE_BIT(all[i])))
			continue;
		int n =
		    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", mode_name(all[i]));
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "no mode at all");
}

static int decide_mode(const struct nw_config *cfg, const char *network, enum nw_mode *mode,
		       nw_err *err)
{
	char allowed[64];

	if (network == NULL) {
		*mode = NW_MODE_NONE;
	} else if (mode_parse(network, mode) < 0) {
		return nw_fail(
		    err, 0,
		    "job asks for network mode \"%s\" (io.netward.network); the modes are "
		    "none, http and full",
		    network);
	}
	if (!(cfg->allowed_modes & NW_MODE_BIT(*mode))) {
		modes_text(cfg->allowed_modes, allowed, sizeof(allowed));
		return nw_fail(err, 0,
			       "job asks for network mode \"%s\", which this node's allowed_modes "
			       "(%s) does not include",
			       mode_name(*mode), allowed);
	}
	return 0;
}

/* Names every domain the node's ceiling does not cover, so one refusal
 * tells the whole story (the message is cut, with a count, when long). */
static int refuse_uncovered(const struct nw_config *cfg, const struct domain_list *l, nw_err *err)
{
	char list[512] = "", buf[DOMAIN_MAX + 2];
	size_t used = 0, n = 0, shown = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (domain_list_covers(&cfg->allowlist, &l->e[i]))
			continue;
		n++;
		domain_entry_str(&l->e[i], buf, sizeof(buf));
		if (used + strlen(buf) + 8 >= sizeof(list))
			continue;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
					 shown ? ", " : "", buf);
		shown++;
	}
	if (n == 0)
		return 0;
	if (n > shown)
		snprintf(list + used, sizeof(list) - used, " and %zu more", n - shown);
	return nw_fail(err, 0,
		       "job asks for domain%s %s, which this node's domain_allowlist does not "
		       "cover",
		       n > 1 ? "s" : "", list);
}

static int decide_domains(const struct nw_config *cfg, enum nw_mode mode, const char *domains,
			  struct domain_list *out, nw_err *err)
{
	if (mode != NW_MODE_HTTP) {
		if (domains != NULL)
			return nw_fail(err, 0,
				       "io.netward.domains is set, but the job's network mode is "
				       "\"%s\"; domains apply only to http",
				       mode_name(mode));
		return 0;
	}
	if (domains == NULL || domains[strspn(domains, " ,")] == '\0')
		return nw_fail(err, 0,
			       "network mode \"http\" needs io.netward.domains, a comma-separated "
			       "list of domains");
	if (domain_list_parse(out, domains, err) < 0)
		return nw_wrap(err, "io.netward.domains");
	if (!cfg->has_allowlist)
		return 0;
	return refuse_uncovered(cfg, out, err);
}

int policy_decide(const struct nw_config *cfg, const char *network, const char *domains,
		  const char *job_id, const char *container_id, struct job_policy *out, nw_err *err)
{
	memset(out, 0, sizeof(*out));
	if (decide_mode(cfg, network, &out->mode, err) < 0)
		return -1;
	if (decide_domains(cfg, out->mode, domains, &out->domains, err) < 0) {
		policy_free(out);
		return -1;
	}
	if (job_id != NULL && !ident_job_id_valid(job_id)) {
		policy_free(out);
		return nw_fail(err, 0,
			       "io.netward.job-id must be 1-%d printable characters without "
			       "spaces or quotes",
			       NW_ID_MAX);
	}
	out->job_id = strdup(job_id != NULL ? job_id : container_id);
	if (out->job_id == NULL) {
		policy_free(out);
		return nw_fail(err, ENOMEM, "deciding policy");
	}
	return 0;
}

void policy_free(struct job_policy *p)
{
	domain_list_free(&p->domains);
	free(p->job_id);
	p->job_id = NULL;
}

char *policy_domains_csv(const struct domain_list *l, nw_err *err)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->e[i].name) + 2;
	s = p = malloc(len);
	if (s == NULL) {
		nw_fail(err, ENOMEM, "listing the job's domains");
		return NULL;
	}
	*p = '\0';
	for (size_t i = 0; i < l->n; i++)
		p += sprintf(p, "%s%s%s", i ? "," : "", l->e[i].wildcard ? "." : "", l->e[i].name);
	return s;
}
