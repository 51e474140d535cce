/* Errors, crun style: a fallible function takes `nw_err *err` last, returns
 * a negative value (or NULL) and sets the error once, where it happened.
 * Callers add context with nw_wrap(). Only main() prints. */
#ifndef NW_ERR_H
#define NW_ERR_H

#include <stdarg.h>
#include <stddef.h>

struct nw_error {
	int code; /* errno, or 0 */
	char *msg;
};
typedef struct nw_error *nw_err;

/* Sets *err (unless already set) to fmt, followed by ": strerror(errnum)"
 * when errnum is non-zero. Always returns -1. */
int nw_fail(nw_err *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes the message in *err with "fmt: ". Returns -1. */
int nw_wrap(nw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As nw_fail, with code as the error's errno but no strerror text: for a
 * message that already says what went wrong (a library's own text, a
 * refusal, a report relayed from another process). Returns -1. */
int nw_fail_code(nw_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Hands the error in *src on to *dst (unless *dst is already set, then it
 * is dropped) and clears *src. Returns -1. */
int nw_err_move(nw_err *dst, nw_err *src);
void nw_err_free(nw_err *err);
const char *nw_err_msg(nw_err err);
/* The error's errno, 0 for none. */
int nw_err_code(nw_err err);

/* Quotes hostile text s for a message into buf: printable ASCII as is, the
 * rest (and '"', '\\') as \xNN, cut after max characters with "...", so
 * input can neither forge log lines nor flood them. buf wants max * 4 + 4
 * bytes. */
const char *nw_quote(const char *s, size_t max, char *buf, size_t len);

#define cleanup_err __attribute__((cleanup(nw_err_free)))

#endif
