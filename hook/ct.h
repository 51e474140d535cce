/* Conntrack at a job's end: its entries must not outlive it, or the next
 * holder of its address inherits its traffic (a UDP stream's replies, NAT
 * mappings) until they time out. */
#ifndef NW_CT_H
#define NW_CT_H

#include "addr.h"
#include "err.h"

/* Deletes every IPv4 conntrack entry, in every zone, whose original
 * source or destination is addr. None is success. Costs one dump of the
 * table. */
int ct_forget(const struct nw_addr *addr, nw_err *err);

#endif
