/* Bounded reading and whole writes on descriptors, and the monotonic
 * clock: the one place where what netward reads from a file is capped. */
#ifndef NW_IO_H
#define NW_IO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Reads fd to its end, at most max bytes; more is an error (code 0,
 * "WHAT is larger than MAX bytes", or "larger than MAX bytes" when what is
 * NULL and the caller wraps). The result is NUL-terminated, *len (when not
 * NULL) its length. Read errors carry errno ("reading WHAT"). */
char *io_read_fd(int fd, size_t max, const char *what, size_t *len, nw_err *err);
/* io_read_fd() on a regular file opened at dir/path (dir AT_FDCWD or a
 * directory) with O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags
 * (e.g. O_NOFOLLOW). Anything but a regular file is refused ("not a
 * regular file"). A failed open sets the error with errno ("opening"), so
 * a caller can tell ENOENT. Messages name no path: callers wrap them. */
char *io_read_file(int dir, const char *path, int flags, size_t max, size_t *len, nw_err *err);

/* The first len - 1 bytes of a small file (a /proc entry, an owner file)
 * into buf, NUL-terminated; what does not fit is left unread. path is
 * opened with O_NOFOLLOW. Returns 0, or -1 with errno set. */
int io_read_small(const char *path, char *buf, size_t len);

/* Claims path for owner: creates it afresh (O_EXCL, O_NOFOLLOW, 0600)
 * holding owner. Returns 1 when claimed, 0 when path already exists, or -1
 * ("allocating PATH"); a file that could not be written whole is removed. */
int io_claim_file(const char *path, const char *owner, nw_err *err);

/* Writes all n bytes, retrying on EINTR and short writes. Returns 0, or -1
 * with errno set. */
int io_write_all(int fd, const void *buf, size_t n);

/* CLOCK_MONOTONIC. */
uint64_t io_now_ns(void);
uint64_t io_now_ms(void);

#endif
