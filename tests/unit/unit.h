/* A tiny unit-test harness: each test is a function; CHECK records a
 * failure and goes on; every test prints "ok" or "not ok" (TAP-like) and
 * main() prints "N passed, N failed". */
#ifndef NW_UNIT_H
#define NW_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_cur_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stdout, "#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			unit_cur_failed++;                                                         \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *ua_ = (a), *ub_ = (b);                                                 \
		if (ua_ == NULL || ub_ == NULL || strcmp(ua_, ub_) != 0) {                         \
			fprintf(stdout, "#   %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,       \
				ua_ ? ua_ : "(null)", ub_ ? ub_ : "(null)");                       \
			unit_cur_failed++;                                                         \
		}                                                                                  \
	} while (0)

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		unit_cur_failed = 0;                                                               \
		fn();                                                                              \
		if (unit_cur_failed) {                                                             \
			unit_failed++;                                                             \
			printf("not ok - %s\n", #fn);                                              \
		} else {                                                                           \
			unit_passed++;                                                             \
			printf("ok - %s\n", #fn);                                                  \
		}                                                                                  \
	} while (0)

#define UNIT_DONE()                                                                                \
	do {                                                                                       \
		printf("%d passed, %d failed\n", unit_passed, unit_failed);                        \
		return unit_failed ? 1 : 0;                                                        \
	} while (0)

#endif
