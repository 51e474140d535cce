/* Small pure helpers every module may use: the FNV-1a hash and
 * container_of. No syscalls, no state. */
#ifndef NW_UTIL_H
#define NW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* FNV-1a: the 32-bit form for in-memory tables, the 64-bit one for names
 * and tags that must stay stable across versions. Start from the _INIT
 * value; feeding in pieces gives the hash of their concatenation. */
#define UTIL_FNV32_INIT 2166136261u
#define UTIL_FNV64_INIT 14695981039346656037ull

static inline uint32_t util_fnv32(uint32_t h, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static inline uint64_t util_fnv64(uint64_t h, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static inline uint32_t util_fnv32_str(const char *s)
{
	return util_fnv32(UTIL_FNV32_INIT, s, strlen(s));
}

static inline uint64_t util_fnv64_str(const char *s)
{
	return util_fnv64(UTIL_FNV64_INIT, s, strlen(s));
}

/* The struct that holds member at ptr. */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
