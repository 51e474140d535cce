#include "accesslog.h"

#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Field values come from clients; keep them to one printable token. */
static void clean(char *out, size_t len, const char *in, bool quoted)
{
	size_t i = 0;

	for (; in != NULL && *in != '\0' && i + 1 < len; in++) {
		char c = *in;
		if (c < 0x21 || c > 0x7e || (quoted && (c == '"' || c == '\\')))
			c = quoted && c == ' ' ? ' ' : (quoted && c == '"' ? '\'' : '_');
		out[i++] = c;
	}
	if (i == 0 && len > 1)
		out[i++] = '-';
	out[i] = '\0';
}

void accesslog_write(int fd, int node_fd, bool use_syslog, const struct accesslog_entry *e)
{
	char ts[80], job[128], cont[128], method[40], host[260], reason[400], line[1200];
	struct timespec now;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	/* By hand: strftime(3) may read /etc/localtime, which the sandbox forbids. */
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	clean(job, sizeof(job), e->job, false);
	clean(cont, sizeof(cont), e->container, false);
	clean(method, sizeof(method), e->method, false);
	clean(host, sizeof(host), e->host, false);
	clean(reason, sizeof(reason), e->reason, true);
	n = snprintf(line, sizeof(line),
		     "%s job=%s container=%s method=%s host=%s port=%u decision=%s reason=\"%s\" "
		     "status=%d up=%llu down=%llu ms=%llu\n",
		     ts, job, cont, method, host, e->port, e->allow ? "allow" : "deny", reason,
		     e->status, (unsigned long long)e->up, (unsigned long long)e->down,
		     (unsigned long long)e->ms);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* A full disk must not stop the proxy; the counters still move. */
	if (fd >= 0 && write(fd, line, (size_t)n) < 0)
		fd = -1;
	if (node_fd >= 0 && write(node_fd, line, (size_t)n) < 0)
		node_fd = -1;
	if (use_syslog)
		syslog(LOG_INFO, "%.*s", n - 1, line + 21);
}

void accesslog_stats(int fd, const struct accesslog_counters *s)
{
	char line[256];
	int n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line),
		     "{\"bytes_up\":%llu,\"bytes_down\":%llu,\"requests_allowed\":%llu,"
		     "\"requests_denied\":%llu,\"live_connections\":%llu}\n",
		     (unsigned long long)s->bytes_up, (unsigned long long)s->bytes_down,
		     (unsigned long long)s->requests_allowed,
		     (unsigned long long)s->requests_denied,
		     (unsigned long long)s->live_connections);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (pwrite(fd, line, (size_t)n, 0) == n && ftruncate(fd, n) < 0) {
		/* Counters are advisory; the next write tries again. */
	}
}
