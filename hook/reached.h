/* `netward domains`: the shortest io.netward.domains value covering the
 * names a job reached (allowed and reported alike), for report mode. */
#ifndef NW_REACHED_H
#define NW_REACHED_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "err.h"

/* Pure. hosts are canonical (domain_canon), repeats allowed. Names are
 * grouped under ".P" only where at least two distinct reached names fall
 * under P, P has two labels or more and is not a two-label public suffix
 * such as co.uk, and ceiling (NULL: none) covers ".P"; each group takes
 * the narrowest P that holds the same names. Returns a malloc'ed csv,
 * sorted, "" for no host. */
char *reached_cover(char **hosts, size_t n, const struct domain_list *ceiling, nw_err *err);

/* The hosts of the allow and report lines in the job's access log (state
 * entry of container id). *dropped: lines that log lost (the list may then
 * miss names). */
int reached_hosts(const char *id, char ***hosts, size_t *n, int64_t *dropped, nw_err *err);

#endif
