/* The error contract's helpers (err.h). */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "unit.h"

static void test_fail_code_has_no_strerror(void)
{
	cleanup_err nw_err e = NULL;

	CHECK(nw_fail_code(&e, EEXIST, "creating %s: %s", "x", "nft's own text") == -1);
	CHECK(nw_err_code(e) == EEXIST);
	CHECK_STR(nw_err_msg(e), "creating x: nft's own text");
	/* Set once: a second failure keeps the first. */
	CHECK(nw_fail_code(&e, EPERM, "later") == -1);
	CHECK(nw_err_code(e) == EEXIST);
	CHECK(nw_fail_code(NULL, EPERM, "nowhere") == -1);
}

static void test_fail_adds_strerror(void)
{
	cleanup_err nw_err e = NULL;

	nw_fail(&e, ENOENT, "opening %s", "f");
	CHECK(nw_err_code(e) == ENOENT);
	CHECK_STR(nw_err_msg(e), "opening f: No such file or directory");
	CHECK(nw_err_code(NULL) == 0);
}

static void test_move(void)
{
	cleanup_err nw_err dst = NULL;
	cleanup_err nw_err src = NULL;

	nw_fail(&src, EIO, "first");
	CHECK(nw_err_move(&dst, &src) == -1);
	CHECK(src == NULL);
	CHECK(nw_err_code(dst) == EIO);
	/* The error already there wins; the moved one is freed. */
	nw_fail(&src, EPERM, "second");
	nw_err_move(&dst, &src);
	CHECK(src == NULL);
	CHECK_STR(nw_err_msg(dst), "first: Input/output error");
	/* Nowhere to move to: freed. */
	nw_fail(&src, EPERM, "third");
	nw_err_move(NULL, &src);
	CHECK(src == NULL);
}

/* json_int says why it refused, for callers that want it. */
static void test_json_int_error(void)
{
	static const char text[] = "{\"n\": 70000, \"s\": \"1\"}";
	cleanup_json struct json *o = json_parse(text, strlen(text), NULL);
	cleanup_err nw_err e = NULL;
	int64_t v = 0;

	CHECK(o != NULL);
	CHECK(json_int(json_get(o, "n"), 1, 65535, &v, &e) == -1);
	CHECK(nw_err_code(e) == ERANGE);
	CHECK_STR(nw_err_msg(e), "expected an integer from 1 to 65535");
	nw_err_free(&e);
	CHECK(json_int(json_get(o, "s"), 1, 65535, &v, &e) == -1);
	CHECK(nw_err_code(e) == EINVAL);
	nw_err_free(&e);
	CHECK(json_int(json_get(o, "n"), 1, 70000, &v, &e) == 0 && v == 70000 && e == NULL);
}

int main(void)
{
	RUN(test_fail_code_has_no_strerror);
	RUN(test_fail_adds_strerror);
	RUN(test_move);
	RUN(test_json_int_error);
	UNIT_DONE();
}
