/* A tiny unit-test harness: each test is a function; CHECK records a
 * failure and goes on; every test prints "ok" or "not ok" (TAP-like) and
 * main() prints "N passed, N failed". */
#ifndef NW_UNIT_H
#define NW_UNIT_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Runs fn in a child process, which may enter namespaces of its own
 * without touching the test's: fn returns 0 (passed), 1 (failed: its
 * CHECK lines are printed) or 2 and up, a reason it could not tell,
 * why[status - 2], which fails the test with that reason. */
static inline void unit_in_child(int (*fn)(void), const char *const *why, int nwhy)
{
	int st = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int rc = fn();
		fflush(stdout);
		_exit(rc);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) >= 2 && WEXITSTATUS(st) - 2 < nwhy)
		printf("# cannot tell: %s\n", why[WEXITSTATUS(st) - 2]);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

#define UNIT_DONE()                                                                                \
	do {                                                                                       \
		printf("%d passed, %d failed\n", unit_passed, unit_failed);                        \
		return unit_failed ? 1 : 0;                                                        \
	} while (0)

#endif
