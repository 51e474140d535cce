/* Token buckets under fake time. */
#include "bucket.h"
#include "unit.h"

#define MS 1000000ULL
#define S  1000000000ULL

static void test_burst_bounds(void)
{
	CHECK(bucket_burst_for(0) == 16 * 1024);
	CHECK(bucket_burst_for(1000) == 16 * 1024);
	CHECK(bucket_burst_for(1250000) == 125000);
	CHECK(bucket_burst_for(10ULL * 1000 * 1000 * 1000) == 4 * 1024 * 1024);
}

static void test_starts_full_and_caps(void)
{
	struct bucket b;

	bucket_init(&b, 1250000, 0, 5 * S);
	CHECK(bucket_avail(&b, 5 * S) == 125000);
	/* A long quiet spell never grows it past the burst. */
	CHECK(bucket_avail(&b, 500 * S) == 125000);
}

static void test_refill_rate(void)
{
	struct bucket b;

	bucket_init(&b, 1000, 16384, 0);
	bucket_take(&b, 16384);
	CHECK(bucket_avail(&b, 0) == 0);
	CHECK(bucket_avail(&b, 1 * MS) == 1);
	CHECK(bucket_avail(&b, 500 * MS) == 500);
	bucket_take(&b, 500);
	CHECK(bucket_avail(&b, 1 * S) == 500);
}

static void test_no_fraction_lost(void)
{
	struct bucket b;
	uint64_t got = 0;

	/* 3 bytes/s polled every 100 ms: fractions must add up to 30 in 10 s. */
	bucket_init(&b, 3, 16384, 0);
	bucket_take(&b, 16384);
	for (uint64_t t = 100 * MS; t <= 10 * S; t += 100 * MS) {
		uint64_t a = bucket_avail(&b, t);
		got += a;
		bucket_take(&b, a);
	}
	CHECK(got == 30);
}

static void test_wait(void)
{
	struct bucket b;

	bucket_init(&b, 1000, 16384, 0);
	CHECK(bucket_wait(&b, 100) == 0);
	bucket_take(&b, 16384);
	CHECK(bucket_wait(&b, 100) == 100 * MS);
	/* Clamped to the burst: waiting for more could never end. */
	CHECK(bucket_wait(&b, 1 << 30) == 16384ULL * MS);
	CHECK(bucket_avail(&b, bucket_wait(&b, 100)) >= 100);
}

static void test_long_run_rate(void)
{
	struct bucket b;
	uint64_t sent = 0, t = 0;

	/* A greedy reader taking 16 KiB chunks whenever it may, waking on the
	 * bucket's own timer, gets burst + rate * time, not more. */
	bucket_init(&b, 1250000, 0, 0);
	while (t < 10 * S) {
		uint64_t a = bucket_avail(&b, t);
		if (a > 16384)
			a = 16384;
		if (a == 0) {
			t += bucket_wait(&b, 4096);
			continue;
		}
		bucket_take(&b, a);
		sent += a;
	}
	CHECK(sent <= 125000 + 12500000 + 16384);
	CHECK(sent >= 125000 + 12500000 - 16384);
}

static void test_unlimited(void)
{
	struct bucket b;

	bucket_init(&b, 0, 0, 0);
	CHECK(bucket_avail(&b, 0) == UINT64_MAX);
	bucket_take(&b, 1 << 30);
	CHECK(bucket_avail(&b, 1) == UINT64_MAX);
	CHECK(bucket_wait(&b, 1 << 20) == 0);
}

int main(void)
{
	RUN(test_burst_bounds);
	RUN(test_starts_full_and_caps);
	RUN(test_refill_rate);
	RUN(test_no_fraction_lost);
	RUN(test_wait);
	RUN(test_long_run_rate);
	RUN(test_unlimited);
	UNIT_DONE();
}
