#include "bucket.h"

#define NS	  1000000000ULL
#define BURST_MIN (16u * 1024)
#define BURST_MAX (4u * 1024 * 1024)

uint64_t bucket_burst_for(uint64_t rate)
{
	uint64_t b = rate / 10;

	if (b < BURST_MIN)
		b = BURST_MIN;
	if (b > BURST_MAX)
		b = BURST_MAX;
	return b;
}

void bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now)
{
	b->rate = rate;
	b->burst = burst ? burst : bucket_burst_for(rate);
	b->tokens = b->burst * NS;
	b->last = now;
}

uint64_t bucket_avail(struct bucket *b, uint64_t now)
{
	if (b->rate == 0)
		return UINT64_MAX;
	if (now > b->last) {
		unsigned __int128 add = (unsigned __int128)(now - b->last) * b->rate;
		unsigned __int128 cap = (unsigned __int128)b->burst * NS;
		unsigned __int128 t = b->tokens + add;

		b->tokens = (uint64_t)(t > cap ? cap : t);
		b->last = now;
	}
	return b->tokens / NS;
}

void bucket_take(struct bucket *b, uint64_t n)
{
	unsigned __int128 want = (unsigned __int128)n * NS;

	if (b->rate == 0)
		return;
	b->tokens = want >= b->tokens ? 0 : b->tokens - (uint64_t)want;
}

uint64_t bucket_wait(const struct bucket *b, uint64_t want)
{
	unsigned __int128 need;

	if (b->rate == 0)
		return 0;
	if (want > b->burst)
		want = b->burst;
	need = (unsigned __int128)want * NS;
	if (need <= b->tokens)
		return 0;
	/* Round up so the timer never fires a hair too early. */
	return (uint64_t)((need - b->tokens + b->rate - 1) / b->rate);
}
