/* Connections' buffer memory (CONN_MEM: four buffers of PROXY_BUF). A new
 * mapping comes zeroed from the kernel, but mapping it, faulting its
 * pages in and unmapping it cost a connection that moves a few hundred
 * bytes more than all its own work. So a closed connection's memory is
 * zeroed where it may have been written (buf.h's dirty, kept by every
 * writer) and kept, up to CONN_SPARE of them, for the next connection;
 * memory with more than CONN_SPARE_CLEAR written, where clearing would
 * cost more than a mapping, is unmapped instead. Either way no byte of an
 * earlier connection is there to be sent. Spares left unused for
 * T_SPARE_IDLE are unmapped, so an idle job holds none. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "proxy_int.h"

#ifdef NW_SANITIZER
#include <sanitizer/asan_interface.h>
/* Sanitizer builds check the promise: a spare is all zeros when taken,
 * and no access reaches it while it waits. */
static void spare_check(const char *mem)
{
	for (size_t i = 0; i < CONN_MEM; i++)
		if (mem[i] != 0)
			abort();
}
#define SPARE_WAIT(m) ASAN_POISON_MEMORY_REGION((m), CONN_MEM)
#define SPARE_TAKE(m) (ASAN_UNPOISON_MEMORY_REGION((m), CONN_MEM), spare_check(m))
#else
#define SPARE_WAIT(m) ((void)(m))
#define SPARE_TAKE(m) ((void)(m))
#endif

char *proxy_mem_get(struct proxy *p)
{
	char *mem;

	if (p->nspare > 0) {
		mem = p->spare[--p->nspare];
		SPARE_TAKE(mem);
		p->spare_ms = proxy_now_ms();
		return mem;
	}
	mem = mmap(NULL, CONN_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

void proxy_mem_put(struct conn *c)
{
	struct proxy *p = c->p;
	struct buf *b[] = {&c->cin, &c->c2u, &c->uin, &c->u2c};
	size_t dirty = 0;

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		dirty += b[i]->dirty;
	if (p->nspare >= CONN_SPARE || dirty > CONN_SPARE_CLEAR) {
		munmap(c->cin.d, CONN_MEM);
		return;
	}
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		buf_clear(b[i]);
	SPARE_WAIT(c->cin.d);
	p->spare[p->nspare++] = c->cin.d;
	p->spare_ms = proxy_now_ms();
}

void proxy_mem_tick(struct proxy *p, uint64_t now)
{
	if (p->nspare > 0 && now > p->spare_ms && now - p->spare_ms >= T_SPARE_IDLE)
		proxy_mem_free_all(p);
}

void proxy_mem_free_all(struct proxy *p)
{
	while (p->nspare > 0) {
		char *mem = p->spare[--p->nspare];
		SPARE_TAKE(mem);
		munmap(mem, CONN_MEM);
	}
}
