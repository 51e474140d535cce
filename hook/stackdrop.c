#include "stackdrop.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Left below the caller's frame: this function's own frame, madvise's, and
 * the signal red zone, with room to spare. */
#define STACKDROP_MARGIN (16 * 1024)

/* The lowest address of the [stack] mapping, 0 if not found. */
static uintptr_t stack_low(void)
{
	char line[512];
	uintptr_t lo = 0, hi;
	FILE *f = fopen("/proc/self/maps", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "[stack]") != NULL && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	fclose(f);
	return lo;
}

__attribute__((noinline)) void stackdrop_below_caller(void)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	uintptr_t lo = stack_low();

	if (lo == 0 || here < lo + STACKDROP_MARGIN + page)
		return;
	uintptr_t top = (here - STACKDROP_MARGIN) & ~(page - 1);
	madvise((void *)lo, top - lo, MADV_DONTNEED);
}
