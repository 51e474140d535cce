#include "reached.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "state.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is h equal to p or a name below it? */
static bool under(const char *h, const char *p)
{
	size_t lh = strlen(h), lp = strlen(p);

	return strcmp(h, p) == 0 ||
	       (lh > lp && h[lh - lp - 1] == '.' && strcmp(h + lh - lp, p) == 0);
}

static size_t labels(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '.';
	return n;
}

/* Two-label suffixes that registries hand out names under (co.uk, com.au):
 * never a group of their own. */
static bool public_pair(const char *p)
{
	static const char *const second[] = {"co",  "com", "net", "org", "ac", "gov",
					     "edu", "or",  "ne",  "go",	 "gv"};
	const char *dot = strchr(p, '.');

	if (dot == NULL || strlen(dot + 1) != 2)
		return false;
	for (size_t i = 0; i < sizeof(second) / sizeof(second[0]); i++)
		if ((size_t)(dot - p) == strlen(second[i]) && strncmp(p, second[i], dot - p) == 0)
			return true;
	return false;
}

static size_t count_under(char **h, size_t n, const char *p)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += under(h[i], p);
	return k;
}

static bool ceiling_ok(const struct domain_list *ceiling, const char *p)
{
	struct domain_entry e = {.name = (char *)p, .wildcard = true};

	return ceiling == NULL || domain_list_covers(ceiling, &e);
}

/* The entry for host: ".P" for the widest allowed P (host itself
 * included) holding two names or more, narrowed while a narrower P holds
 * as many; NULL for the name alone. */
static const char *group_of(char **h, size_t n, const char *host, const struct domain_list *ceiling)
{
	const char *best = NULL;
	size_t best_k = 0, nl = labels(host);

	for (size_t want = 2; want <= nl; want++) {
		const char *p = host;
		for (size_t skip = nl - want; skip > 0; skip--)
			p = strchr(p, '.') + 1;
		if (public_pair(p) || !ceiling_ok(ceiling, p))
			continue;
		size_t k = count_under(h, n, p);
		if (k >= 2 && k >= best_k) {
			best = p;
			best_k = k;
		}
	}
	return best;
}

static bool is_ip(const char *s)
{
	return strchr(s, ':') != NULL || strspn(s, "0123456789.") == strlen(s);
}

struct entry {
	const char *name;
	bool dot;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (int)y->dot - (int)x->dot;
}

char *reached_cover(char **hosts, size_t n, const struct domain_list *ceiling, nw_err *err)
{
	cleanup_free char **h = calloc(n + 1, sizeof(char *));
	cleanup_free struct entry *e = calloc(n + 1, sizeof(*e));
	size_t m = 0, k = 0, len = 1;
	cleanup_free char *csv = NULL;

	if (h == NULL || e == NULL) {
		nw_fail(err, ENOMEM, "listing the domains");
		return NULL;
	}
	if (n > 0)
		memcpy(h, hosts, n * sizeof(char *));
	qsort(h, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || strcmp(h[m - 1], h[i]) != 0)
			h[m++] = h[i];
	for (size_t i = 0; i < m; i++) {
		const char *g = is_ip(h[i]) ? NULL : group_of(h, m, h[i], ceiling);
		e[k].name = g != NULL ? g : h[i];
		e[k++].dot = g != NULL;
	}
	qsort(e, k, sizeof(*e), cmp_entry);
	csv = malloc(1);
	if (csv == NULL) {
		nw_fail(err, ENOMEM, "listing the domains");
		return NULL;
	}
	csv[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		bool covered = i > 0 && strcmp(e[i].name, e[i - 1].name) == 0;
		for (size_t j = 0; j < k && !covered; j++)
			covered = e[j].dot && strcmp(e[j].name, e[i].name) != 0 &&
				  under(e[i].name, e[j].name);
		if (covered)
			continue;
		len += strlen(e[i].name) + 2;
		char *nc = realloc(csv, len);
		if (nc == NULL) {
			nw_fail(err, ENOMEM, "listing the domains");
			return NULL;
		}
		csv = nc;
		strcat(csv, csv[0] ? "," : "");
		strcat(csv, e[i].dot ? "." : "");
		strcat(csv, e[i].name);
	}
	return steal_ptr(&csv);
}

/* The value of " key=" in an access line, up to the next space. */
static bool field(const char *line, const char *key, char *out, size_t len)
{
	char pat[32];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (p == NULL)
		return false;
	p += strlen(pat);
	n = strcspn(p, " \n");
	if (n == 0 || n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

int reached_hosts(const char *id, char ***hosts, size_t *n, int64_t *dropped, nw_err *err)
{
	char path[PATH_MAX], line[4096], host[DOMAIN_MAX + 3], dec[16], canon[DOMAIN_MAX + 1];
	cleanup_file FILE *f = NULL;
	cleanup_strv char **v = calloc(1, sizeof(char *));
	struct job_stats st;
	size_t k = 0;
	bool is_ip_;

	if (v == NULL)
		return nw_fail(err, ENOMEM, "reading the access log");
	if (state_path(id, "access.log", path, sizeof(path), err) < 0)
		return -1;
	if ((f = fopen(path, "re")) == NULL)
		return nw_fail(err, errno, "no access log for container %s (%s)", id, path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (!field(line, "decision", dec, sizeof(dec)) ||
		    (strcmp(dec, "allow") != 0 && strcmp(dec, "report") != 0) ||
		    !field(line, "host", host, sizeof(host)) ||
		    domain_canon(host, canon, &is_ip_, NULL) < 0)
			continue;
		bool seen = false;
		for (size_t i = 0; i < k && !seen; i++)
			seen = strcmp(v[i], canon) == 0;
		if (seen)
			continue;
		char **nv = realloc(v, (k + 2) * sizeof(char *));
		if (nv == NULL)
			return nw_fail(err, ENOMEM, "reading %s", path);
		v = nv;
		v[k + 1] = NULL;
		if ((v[k] = strdup(canon)) == NULL)
			return nw_fail(err, ENOMEM, "reading %s", path);
		k++;
	}
	state_read_stats(id, &st);
	*dropped = st.log_dropped;
	*n = k;
	*hosts = steal_ptr(&v);
	return 0;
}
