/* The proxy's access log and counters file. */
#ifndef NW_ACCESSLOG_H
#define NW_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A run of identical lines (the time and duration aside) in the job's
 * file is written once, then counted; the count goes out as one line when
 * the run ends or this long after the line was written. */
#define ACCESSLOG_REPEAT_MS 5000
/* Room kept below the cap for the line that says the file is full. */
#define ACCESSLOG_FULL_RESERVE 512
#define ACCESSLOG_LINE	       1200
/* Lines written together when batching: no more than PIPE_BUF, so that a
 * write to the monitor's non-blocking pipe is whole or nothing. */
#define ACCESSLOG_BATCH 4096

struct accesslog_entry {
	const char *job, *container, *method, *host, *reason;
	unsigned port;
	bool allow;
	bool report; /* allowed by report mode, outside the job's list */
	int status;
	uint64_t up, down, ms;
};

/* Where lines go: the job's own file (bounded, repeats folded), the
 * node's log file and syslog (every line). */
struct accesslog {
	int fd, node_fd; /* -1: none */
	bool syslog;
	uint64_t cap;	  /* most bytes the job's file holds */
	uint64_t size;	  /* bytes in it */
	uint64_t dropped; /* lines it lost: full, or a write failed */
	bool full_noted;
	char job[128], container[128];
	char last[ACCESSLOG_LINE]; /* the last line written to it, time aside */
	size_t last_len;
	uint64_t last_ms; /* when */
	uint64_t repeats; /* identical lines since, not written */
	/* Batching (the proxy): lines wait here until accesslog_sync, one
	 * write per file per batch of events instead of one per line. */
	bool batch;
	char jbuf[ACCESSLOG_BATCH], nbuf[ACCESSLOG_BATCH];
	size_t jlen, nlen;
	uint64_t jlines; /* lines in jbuf */
};

/* fd's current size counts towards cap. The ids name the summary lines. */
void accesslog_init(struct accesslog *l, int fd, int node_fd, bool use_syslog, uint64_t cap,
		    const char *job, const char *container, uint64_t size);
/* One line: "TIME job=… container=… method=… host=… port=… decision=…
 * reason="…" status=… up=… down=… ms=…". Values are sanitised to one
 * line. A failing write never stops the proxy: the line counts as
 * dropped. now_ms: a monotonic clock, for folding repeats. */
void accesslog_write(struct accesslog *l, const struct accesslog_entry *e, uint64_t now_ms);
/* Writes what batching holds (nothing when not batching). The proxy calls
 * it after each batch of events and before it exits. */
void accesslog_sync(struct accesslog *l);
/* Writes the count of a run of repeats once ACCESSLOG_REPEAT_MS have
 * passed (force: now); call from a periodic tick and at exit. */
void accesslog_flush(struct accesslog *l, uint64_t now_ms, bool force);

struct accesslog_counters {
	uint64_t bytes_up, bytes_down, requests_allowed, requests_denied, live_connections;
	uint64_t requests_reported;
	uint64_t log_dropped; /* lines the job's access log lost */
};
/* Rewrites fd with one JSON line of counters (pwrite at 0, ftruncate). */
void accesslog_stats(int fd, const struct accesslog_counters *s);

#endif
