/* Proves that a sanitizer report survives the proxy's sandbox: enters it
 * exactly as the proxy does (sandbox_enter), then commits the error named
 * in argv[1] (asan: heap overflow, ubsan: signed overflow, none: nothing).
 * Built into build-san/ only; tests/san/run checks the report files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

int main(int argc, char **argv)
{
	nw_err err = NULL;
	volatile int big = argc > 2 ? atoi(argv[2]) : 0x7fffffff;

	if (argc < 2 || sandbox_enter(65534, 65534, &err) < 0) {
		fprintf(stderr, "probe: %s\n",
			argc < 2 ? "usage: probe asan|ubsan|none" : nw_err_msg(err));
		return 2;
	}
	if (strcmp(argv[1], "asan") == 0) {
		size_t n = strlen(argv[1]);
		char *p = malloc(n);

		memcpy(p, argv[1], n + 1);
		printf("%s\n", p);
		free(p);
	} else if (strcmp(argv[1], "ubsan") == 0) {
		int v = big + 1;
		return v == 0;
	}
	return 0;
}
