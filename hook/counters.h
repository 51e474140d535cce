/* The node's own counters (setups, refusals, gc removals) for `netward
 * metrics`: one small file in NW_STATE_DIR, rewritten under the state
 * lock. Jobs come and go; these outlive them until the next reboot. */
#ifndef NW_COUNTERS_H
#define NW_COUNTERS_H

#include <stdint.h>

#include "err.h"

#define NW_COUNTERS_FILE "counters"
#define NW_COUNTERS_MAX	 64 /* distinct (name, label) pairs kept */

struct nw_counter {
	char name[32];
	char label[32];
	uint64_t value;
};

/* Adds n to (name, label), taking the state lock unless this process
 * holds it. name and label are netward's own words ([a-z_]). */
int counters_add(const char *name, const char *label, uint64_t n, nw_err *err);
/* Reads every counter; a missing file is no counter. Returns how many. */
int counters_read(struct nw_counter *out, int max);

#endif
