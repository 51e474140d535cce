/* `netward gc` (and its timer): what jobs that no longer exist left behind
 * on the node (records, firewall elements, links, addresses, proxy uids,
 * cgroups) goes; live jobs are left alone. It catches what a poststop that
 * never came and a monitor that died would have removed. */
#ifndef NW_GC_H
#define NW_GC_H

#include <stdio.h>

#include "err.h"

struct gc_report {
	unsigned jobs, firewall, links, addrs, uids;
};
/* Removes what jobs that no longer exist left behind; prints each removal
 * to out when out is non-NULL. */
int gc_run(struct gc_report *rep, FILE *out, nw_err *err);

#endif
