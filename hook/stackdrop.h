/* Giving back the stack pages a forked child inherited from its parent's
 * deeper calls, which it will never return into. */
#ifndef NW_STACKDROP_H
#define NW_STACKDROP_H

/* In a child right after fork: the pages of the main stack below the
 * caller's frame (less a margin for the calls still to come) are dropped,
 * so the child does not keep the copy of what the parent's deeper calls
 * (libnftables, the config parser) left there. Reading them again gives
 * zeros, as a fresh stack would. Best effort: does nothing it cannot. */
void stackdrop_below_caller(void);

#endif
