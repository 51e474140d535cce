/* Every epoll registration in the proxy points (data.ptr) at one of these,
 * embedded in whatever owns the fd: the loop calls fn, as redis ae.h calls
 * a file event's handler. */
#ifndef NW_PROXY_EV_H
#define NW_PROXY_EV_H

#include <stdbool.h>
#include <stdint.h>

struct proxy_ev {
	void (*fn)(struct proxy_ev *ev, uint32_t events);
	int fd;
	uint32_t mask; /* interest currently registered; 0 = not registered */
	/* Kept by proxy_watch (proxy.c) for the descriptors it manages: the
	 * interest asked for, which may be less than what is registered
	 * (dropping EPOLLIN waits until an event shows it is needed), and
	 * whether the peer hung up. Others (resolve.c) leave them zero. */
	uint32_t want;
	bool managed, hup;
};

#endif
