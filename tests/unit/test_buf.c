/* The proxy's byte buffers: appending within the room, compacting, and
 * consuming from the front. */
#include "buf.h"
#include "unit.h"

static void test_put_compact_consume(void)
{
	char mem[8];
	struct buf b = {.d = mem, .cap = sizeof(mem)};

	buf_put(&b, "abcdef", 6);
	CHECK(b.len == 6 && buf_room(&b) == 2 && buf_space(&b) == 2);
	buf_put(&b, "ghij", 4); /* only what fits */
	CHECK(b.len == 8 && memcmp(b.d, "abcdefgh", 8) == 0);
	buf_consume(&b, 5);
	CHECK(b.off == 5 && b.len == 3 && buf_room(&b) == 0 && buf_space(&b) == 5);
	buf_put(&b, "XY", 2); /* compacts first: room < half */
	CHECK(b.off == 0 && b.len == 5 && memcmp(b.d, "fghXY", 5) == 0);
	buf_consume(&b, 5);
	CHECK(b.off == 0 && b.len == 0);
}

int main(void)
{
	RUN(test_put_compact_consume);
	UNIT_DONE();
}
