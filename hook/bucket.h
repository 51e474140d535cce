/* Token buckets with injected time (nanoseconds), for the proxy's per-job
 * rate limits. Pure: no syscalls, no globals; the caller owns the clock. */
#ifndef NW_BUCKET_H
#define NW_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct bucket {
	uint64_t rate;	 /* bytes per second; 0 = unlimited */
	uint64_t burst;	 /* most tokens it holds, in bytes */
	uint64_t tokens; /* in nano-bytes (bytes * 1e9), so no fraction is lost */
	uint64_t last;	 /* time of the last refill, ns */
};

/* The burst for a rate: a tenth of a second's worth, at least 16 KiB and at
 * most 4 MiB, so a short burst cannot skew the rate by much. */
uint64_t bucket_burst_for(uint64_t rate);
/* Starts full. */
void bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now);
/* Refills up to now and returns the whole bytes available (UINT64_MAX when
 * unlimited). */
uint64_t bucket_avail(struct bucket *b, uint64_t now);
/* Spends n bytes; never below zero (callers take at most bucket_avail). */
void bucket_take(struct bucket *b, uint64_t n);
/* Nanoseconds from the last refill until want bytes are available (0 when
 * they already are); want is clamped to the burst. */
uint64_t bucket_wait(const struct bucket *b, uint64_t want);

#endif
