/* check-config as an advisor: hints where an operator's intent is plain
 * (a host name where an address goes, a URL, a port on a domain) and
 * warnings for configs that are valid but dangerous or broken. Works on
 * the config's JSON as written and, for warnings, on the parsed config;
 * the only effect is looking at the `log` path (stat). */
#ifndef NW_ADVISE_H
#define NW_ADVISE_H

#include <stddef.h>

#include "config.h"
#include "json.h"

struct advice_list {
	size_t n;
	char **msg;
};

/* Hints from the JSON as written: for a config that fails to parse they
 * explain the error; for one that parses they are warnings. */
void advise_hints(const struct json *root, struct advice_list *out);
/* Warnings for a config that parsed: root as written, cfg as parsed. */
void advise_warnings(const struct json *root, const struct nw_config *cfg, struct advice_list *out);
void advice_free(struct advice_list *l);
#define cleanup_advice __attribute__((cleanup(advice_free)))

#endif
