/* A byte buffer over memory its owner provides: bytes live at d[off,
 * off + len), and room is what follows them. Moving bytes to the front
 * is deferred until it pays (buf_compact). Pure: no syscalls, no
 * allocation. */
#ifndef NW_BUF_H
#define NW_BUF_H

#include <stddef.h>

struct buf {
	char *d;
	size_t off, len, cap;
};

/* Room after the bytes held, as they lie now. */
size_t buf_room(const struct buf *b);
/* Room once compacted. */
static inline size_t buf_space(const struct buf *b)
{
	return b->cap - b->len;
}
/* Moves the bytes to the front when empty, or when the room left is less
 * than half the buffer. */
void buf_compact(struct buf *b);
/* Appends at most n bytes of s: as many as there is room for. */
void buf_put(struct buf *b, const char *s, size_t n);
/* Drops the first n bytes held (n <= len). */
void buf_consume(struct buf *b, size_t n);

#endif
