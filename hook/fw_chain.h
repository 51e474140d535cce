/* The rules of one nftables chain, read over netlink: how many, and the
 * comment on the last. The table check (fw_nft.c) reads its chains this
 * way, because a `list chain` through libnftables first fetches every
 * element of every set of the table, which grows with the number of jobs;
 * the kernel filters this dump by table and chain. */
#ifndef NW_FW_CHAIN_H
#define NW_FW_CHAIN_H

#include <stddef.h>

#include "err.h"

/* Counts the rules of chain in the inet table, and copies the comment of
 * the last one into last (empty when it has none). A missing table or
 * chain has no rules. */
int fw_chain_rules(const char *table, const char *chain, unsigned *rules, char *last, size_t len,
		   nw_err *err);

#endif
