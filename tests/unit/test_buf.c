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

/* Everything ever written is zeroed by buf_clear, however the bytes moved
 * since; nothing past it is touched. */
static void test_dirty_clear(void)
{
	char mem[16];
	struct buf b = {.d = mem, .cap = 8};

	memset(mem, 'Z', sizeof(mem));
	buf_put(&b, "abcdef", 6);
	CHECK(b.dirty == 6);
	buf_consume(&b, 6); /* empty: off back to 0, the bytes still there */
	CHECK(b.dirty == 6 && memcmp(mem, "abcdef", 6) == 0);
	buf_put(&b, "gh", 2);
	CHECK(b.dirty == 6);
	/* a writer that does not say how much it wrote marks what it got */
	buf_wrote(&b, 3);
	CHECK(b.dirty == 6);
	buf_wrote(&b, 5);
	CHECK(b.dirty == 7);
	buf_wrote(&b, 100); /* never past the buffer */
	CHECK(b.dirty == 8);
	buf_clear(&b);
	CHECK(b.off == 0 && b.len == 0 && b.dirty == 0);
	for (size_t i = 0; i < 8; i++)
		CHECK(mem[i] == 0);
	for (size_t i = 8; i < sizeof(mem); i++)
		CHECK(mem[i] == 'Z');
}

int main(void)
{
	RUN(test_put_compact_consume);
	RUN(test_dirty_clear);
	UNIT_DONE();
}
