/* The node log: syslog (LOG_DAEMON, ident "netward") or a file, every line
 * carrying the container and job ids when known. */
#ifndef NW_LOG_H
#define NW_LOG_H

#include <syslog.h>

/* target: "syslog" or an absolute path. Safe to call again. */
void log_open(const char *target);
void log_set_context(const char *container_id, const char *job_id);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The fd of the log file, or -1 when logging to syslog (for children). */
int log_file_fd(void);
void log_close(void);

#endif
