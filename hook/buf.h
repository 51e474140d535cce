/* A byte buffer over memory its owner provides: bytes live at d[off,
 * off + len), and room is what follows them. Moving bytes to the front
 * is deferred until it pays (buf_compact). What may ever have been
 * written is recorded (dirty), so that buf_clear zeroes all of it and the
 * memory can serve again as if fresh. Pure: no syscalls, no allocation. */
#ifndef NW_BUF_H
#define NW_BUF_H

#include <stddef.h>

struct buf {
	char *d;
	size_t off, len, cap;
	/* d[0, dirty) holds every byte ever written. Whoever writes into
	 * the room other than by buf_put marks it: buf_wrote, with all the
	 * room handed out when the writer does not say how much it wrote. */
	size_t dirty;
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
/* Records that n bytes of the room (from d + off + len) may have been
 * written. */
void buf_wrote(struct buf *b, size_t n);
/* Zeroes every byte ever written and empties the buffer. */
void buf_clear(struct buf *b);

#endif
