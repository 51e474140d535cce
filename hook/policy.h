/* A job's annotations checked against the node's policy. Pure. */
#ifndef NW_POLICY_H
#define NW_POLICY_H

#include "config.h"
#include "domain.h"
#include "err.h"

struct job_policy {
	enum nw_mode mode;
	struct domain_list domains; /* http only */
	char *job_id;
};

/* network, domains and job_id are the annotation values (NULL = absent).
 * On refusal returns -1 with one sentence an operator can act on. */
int policy_decide(const struct nw_config *cfg, const char *network, const char *domains,
		  const char *job_id, const char *container_id, struct job_policy *out,
		  nw_err *err);
void policy_free(struct job_policy *p);
#define cleanup_policy __attribute__((cleanup(policy_free)))
/* "a.x,.y.z" (canonical form) for records and the proxy. Caller frees. */
char *policy_domains_csv(const struct domain_list *l, nw_err *err);

#endif
