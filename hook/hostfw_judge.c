/* What the base chains of one nftables table do with a job's packet, read
 * from `nft -j list table`. Pure: no syscalls, no globals.
 *
 * A packet from a job matches only rules for netward's interfaces
 * (iifname/oifname "nw*", iifgroup/oifgroup FW_IFGROUP, or the job's own
 * interface by name) and rules with no condition at all; every other
 * condition is taken to be some other traffic's. So a chain drops a job's
 * packet when its policy is drop, or when an unconditional drop or reject
 * comes before any rule for netward's interfaces; jumps and gotos are
 * followed as the kernel would. That is what Docker's, ufw's and
 * firewalld's tables look like, and what an operator's "policy drop" table
 * looks like before it has a rule for netward. */
#include "hostfw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fw.h"
#include "json.h"

#define MAX_DEPTH 16

struct table {
	const char *host_if; /* the job's interface, NULL = none in particular */
	struct json **rules; /* the "rule" objects, in order */
	size_t n_rules;
	struct json **chains;
	size_t n_chains;
};

static bool str_in(const char *s, const char *const *v)
{
	for (; s != NULL && *v != NULL; v++)
		if (strcmp(s, *v) == 0)
			return true;
	return false;
}

/* The one key of a one-key object ({"accept": null}). */
static const char *only_key(const struct json *o)
{
	return o != NULL && o->type == JSON_OBJECT && o->n == 1 ? o->keys[0] : NULL;
}

/* {"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "nw*"}},
 * the same with the job's interface name (host_if, when not NULL), or
 * {... "iifgroup"}}, "right": FW_IFGROUP}. */
static bool is_netward_match(const struct json *m, const char *host_if)
{
	const struct json *meta = json_get_obj(json_get_obj(m, "left"), "meta");
	const char *key = json_get_str(meta, "key"), *right = json_get_str(m, "right");
	const char *op = json_get_str(m, "op");
	static const char *const names[] = {"iifname", "oifname", NULL};
	static const char *const groups[] = {"iifgroup", "oifgroup", NULL};
	int64_t group;

	if (op != NULL && strcmp(op, "==") != 0)
		return false;
	if (str_in(key, groups))
		return json_int(json_get(m, "right"), 0, UINT32_MAX, &group, NULL) == 0 &&
		       group == FW_IFGROUP;
	return str_in(key, names) && right != NULL &&
	       (strcmp(right, HOSTFW_IFGLOB_NFT) == 0 ||
		(host_if != NULL && strcmp(right, host_if) == 0));
}

struct rule_info {
	bool netward;	     /* matches netward's interfaces */
	unsigned conds;	     /* other conditions */
	const char *verdict; /* accept, drop, reject, jump, goto, return or NULL */
	const char *target;  /* for jump and goto */
};

static void rule_read(const struct json *rule, const char *host_if, struct rule_info *ri)
{
	/* Statements that neither match nor decide. */
	static const char *const inert[] = {"counter", "log", "comment", "notrack", "mangle", NULL};
	static const char *const verdicts[] = {"accept", "drop",   "reject", "jump",
					       "goto",	 "return", NULL};
	const struct json *expr = json_get_arr(rule, "expr");

	memset(ri, 0, sizeof(*ri));
	for (size_t i = 0; expr != NULL && i < expr->n; i++) {
		const char *k = only_key(expr->v[i]);
		const struct json *val = k ? expr->v[i]->v[0] : NULL;

		if (k == NULL || str_in(k, inert))
			continue;
		if (str_in(k, verdicts)) {
			ri->verdict = k;
			ri->target = json_get_str(val, "target");
		} else if (strcmp(k, "match") == 0 && is_netward_match(val, host_if)) {
			ri->netward = true;
		} else {
			ri->conds++;
		}
	}
}

static enum hostfw_fate judge_chain(const struct table *t, const char *name, unsigned depth,
				    char *why, size_t why_len);

/* One rule's effect on a job's packet; PASS goes on to the next rule.
 * *stop ends the chain (return, or an unconditional goto). */
static enum hostfw_fate judge_rule(const struct table *t, const struct rule_info *ri,
				   const char *chain, unsigned depth, bool *stop, char *why,
				   size_t why_len)
{
	enum hostfw_fate f;
	const char *v = ri->verdict;

	if (v == NULL)
		return HOSTFW_PASS;
	if (ri->netward && strcmp(v, "drop") != 0 && strcmp(v, "reject") != 0 &&
	    strcmp(v, "return") != 0)
		return HOSTFW_OPEN;
	if (ri->netward && (strcmp(v, "drop") == 0 || strcmp(v, "reject") == 0)) {
		snprintf(why, why_len, "rule %s for netward's interfaces in chain %s", v, chain);
		return HOSTFW_DROP;
	}
	if (ri->netward || (ri->conds > 0 && ri->target == NULL))
		return HOSTFW_PASS;
	if (ri->target != NULL) {
		f = judge_chain(t, ri->target, depth + 1, why, why_len);
		if (ri->conds > 0)
			return f == HOSTFW_OPEN ? HOSTFW_OPEN : HOSTFW_PASS;
		*stop = strcmp(v, "goto") == 0;
		return f;
	}
	if (strcmp(v, "drop") == 0 || strcmp(v, "reject") == 0) {
		snprintf(why, why_len, "rule %s in chain %s", v, chain);
		return HOSTFW_DROP;
	}
	*stop = true;
	return strcmp(v, "accept") == 0 ? HOSTFW_OPEN : HOSTFW_PASS;
}

static enum hostfw_fate judge_chain(const struct table *t, const char *name, unsigned depth,
				    char *why, size_t why_len)
{
	if (depth > MAX_DEPTH)
		return HOSTFW_PASS;
	for (size_t i = 0; i < t->n_rules; i++) {
		const char *c = json_get_str(t->rules[i], "chain");
		struct rule_info ri;
		bool stop = false;
		enum hostfw_fate f;

		if (c == NULL || strcmp(c, name) != 0)
			continue;
		rule_read(t->rules[i], t->host_if, &ri);
		f = judge_rule(t, &ri, name, depth, &stop, why, why_len);
		if (f != HOSTFW_PASS || stop)
			return f;
	}
	return HOSTFW_PASS;
}

static bool relevant(const struct json *chain)
{
	static const char *const families[] = {"ip", "inet", NULL};
	static const char *const hooks[] = {"input", "forward", NULL};
	const char *type = json_get_str(chain, "type");

	return str_in(json_get_str(chain, "family"), families) &&
	       str_in(json_get_str(chain, "hook"), hooks) && type != NULL &&
	       strcmp(type, "filter") == 0;
}

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

/* The objects of one kind ("rule", "chain") in the nftables array. */
static int collect(const struct json *arr, const char *kind, struct json ***out, size_t *n,
		   nw_err *err)
{
	*n = 0;
	*out = calloc(arr->n + 1, sizeof(**out));
	if (*out == NULL)
		return nw_fail(err, ENOMEM, "reading the nftables ruleset");
	for (size_t i = 0; i < arr->n; i++) {
		struct json *o = json_get_obj(arr->v[i], kind);
		if (o != NULL)
			(*out)[(*n)++] = o;
	}
	return 0;
}

static struct json *nft_array(const char *json, size_t len, nw_err *err)
{
	struct json *root = json_parse(json, len, err);

	if (root == NULL)
		return NULL;
	if (json_get_arr(root, "nftables") == NULL) {
		json_free(root);
		nw_fail(err, 0, "reading the nftables ruleset: no \"nftables\" array");
		return NULL;
	}
	return root;
}

int hostfw_judge_table(const char *json, size_t len, const char *host_if, struct hostfw_chain *out,
		       size_t max, nw_err *err)
{
	cleanup_json struct json *root = nft_array(json, len, err);
	cleanup_free struct json **rules = NULL;
	cleanup_free struct json **chains = NULL;
	struct table t;
	size_t n = 0;

	if (root == NULL ||
	    collect(json_get_arr(root, "nftables"), "rule", &rules, &t.n_rules, err) < 0 ||
	    collect(json_get_arr(root, "nftables"), "chain", &chains, &t.n_chains, err) < 0)
		return -1;
	t.host_if = host_if;
	t.rules = rules;
	t.chains = chains;
	for (size_t i = 0; i < t.n_chains && n < max; i++) {
		const struct json *c = t.chains[i];
		struct hostfw_chain *h = &out[n];
		const char *policy = json_get_str(c, "policy");

		if (!relevant(c))
			continue;
		memset(h, 0, sizeof(*h));
		copy(h->family, sizeof(h->family), json_get_str(c, "family"));
		copy(h->table, sizeof(h->table), json_get_str(c, "table"));
		copy(h->name, sizeof(h->name), json_get_str(c, "name"));
		copy(h->hook, sizeof(h->hook), json_get_str(c, "hook"));
		h->fate = judge_chain(&t, h->name, 0, h->why, sizeof(h->why));
		if (h->fate == HOSTFW_PASS && policy != NULL && strcmp(policy, "drop") == 0) {
			h->fate = HOSTFW_DROP;
			copy(h->why, sizeof(h->why), "policy drop");
		}
		n++;
	}
	return (int)n;
}

static bool plain(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n;
}

int hostfw_tables(const char *json, size_t len, char ***tables, nw_err *err)
{
	cleanup_json struct json *root = nft_array(json, len, err);
	cleanup_free struct json **chains = NULL;
	size_t n_chains, n = 0;

	if (root == NULL ||
	    collect(json_get_arr(root, "nftables"), "chain", &chains, &n_chains, err) < 0)
		return -1;
	*tables = calloc(n_chains + 1, sizeof(char *));
	if (*tables == NULL)
		return nw_fail(err, ENOMEM, "reading the nftables ruleset");
	for (size_t i = 0; i < n_chains; i++) {
		const char *fam = json_get_str(chains[i], "family");
		const char *tbl = json_get_str(chains[i], "table");
		cleanup_free char *s = NULL;
		bool seen = false;

		/* The names go into nft commands: plain ones only. */
		if (!relevant(chains[i]) || tbl == NULL || !plain(tbl) ||
		    (strcmp(fam, "inet") == 0 && strcmp(tbl, FW_TABLE) == 0))
			continue;
		if (asprintf(&s, "%s %s", fam, tbl) < 0)
			return nw_fail(err, ENOMEM, "reading the nftables ruleset");
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp((*tables)[k], s) == 0;
		if (!seen)
			(*tables)[n++] = steal_ptr(&s);
	}
	return 0;
}
