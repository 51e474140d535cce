/* The proxy's byte buffers (buf.h). */
#include "buf.h"

#include <string.h>

size_t buf_room(const struct buf *b)
{
	return b->cap - b->off - b->len;
}

void buf_compact(struct buf *b)
{
	if (b->len == 0)
		b->off = 0;
	else if (b->off > 0 && buf_room(b) < b->cap / 2) {
		memmove(b->d, b->d + b->off, b->len);
		b->off = 0;
	}
}

void buf_put(struct buf *b, const char *s, size_t n)
{
	buf_compact(b);
	if (n > buf_room(b))
		n = buf_room(b);
	memcpy(b->d + b->off + b->len, s, n);
	b->len += n;
	buf_wrote(b, 0);
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

void buf_wrote(struct buf *b, size_t n)
{
	size_t end = b->off + b->len + (n < buf_room(b) ? n : buf_room(b));

	if (end > b->dirty)
		b->dirty = end;
}

void buf_clear(struct buf *b)
{
	memset(b->d, 0, b->dirty);
	b->off = b->len = b->dirty = 0;
}
