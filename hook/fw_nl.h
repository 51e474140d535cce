/* What a job's setup asks of nftables without libnftables: its elements
 * added in one nfnetlink batch, and whether any table but netward's has a
 * base chain. Loading libnftables, setting up its context and parsing a
 * command cost a fresh hook process more than a millisecond, where these
 * take a few system calls. Everything else (writing the whole table,
 * listings for people) stays with libnftables (fw.c). */
#ifndef NW_FW_NL_H
#define NW_FW_NL_H

#include <stdbool.h>

#include "err.h"
#include "fw_render.h"

/* Adds e's elements (job_ifs, http_ifs or full_ifs, and the zones map) to
 * the table in one transaction, as fw_render_elems writes them: all or
 * none. Fails, adding nothing, when the table or a set is missing or the
 * map holds the name with another zone (EEXIST); the caller then writes
 * the table again. */
int fw_nl_add_elems(const struct fw_elem *e, nw_err *err);

/* *any: some table other than inet netward has a base chain (a chain
 * hooked into the packet path), which may drop a job's traffic. */
int fw_nl_foreign_base_chains(bool *any, nw_err *err);

#endif
