/* The proxy's access log line and counters file. */
#ifndef NW_ACCESSLOG_H
#define NW_ACCESSLOG_H

#include <stdbool.h>
#include <stdint.h>

struct accesslog_entry {
	const char *job, *container, *method, *host, *reason;
	unsigned port;
	bool allow;
	int status;
	uint64_t up, down, ms;
};

/* One line: "TIME job=… container=… method=… host=… port=… decision=…
 * reason="…" status=… up=… down=… ms=…". Appended to fd and node_fd (each
 * when >= 0) and sent to syslog when use_syslog. Values are sanitised to
 * one line. */
void accesslog_write(int fd, int node_fd, bool use_syslog, const struct accesslog_entry *e);

struct accesslog_counters {
	uint64_t bytes_up, bytes_down, requests_allowed, requests_denied, live_connections;
};
/* Rewrites fd with one JSON line of counters (pwrite at 0, ftruncate). */
void accesslog_stats(int fd, const struct accesslog_counters *s);

#endif
