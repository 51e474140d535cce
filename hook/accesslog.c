/* The proxy's access log (see accesslog.h). The job's own file lives in
 * /run (tmpfs, the node's memory): it is capped, and a flood of identical
 * lines is folded into a count, so that no job can fill /run or reach the
 * sandbox's RLIMIT_FSIZE. The node's log gets every line. */
#include "accesslog.h"

#include <stdio.h>
#include <string.h>
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

void accesslog_init(struct accesslog *l, int fd, int node_fd, bool use_syslog, uint64_t cap,
		    const char *job, const char *container, uint64_t size)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->node_fd = node_fd;
	l->syslog = use_syslog;
	l->cap = cap > ACCESSLOG_FULL_RESERVE ? cap : ACCESSLOG_FULL_RESERVE;
	l->size = size;
	clean(l->job, sizeof(l->job), job, false);
	clean(l->container, sizeof(l->container), container ? container : job, false);
}

/* "2026-01-02T03:04:05Z", by hand: strftime(3) may read /etc/localtime,
 * which the sandbox forbids. */
static void timestamp(char *ts, size_t len)
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void sync_job(struct accesslog *l)
{
	ssize_t w;

	if (l->jlen == 0)
		return;
	w = write(l->fd, l->jbuf, l->jlen);
	if (w < 0 || (size_t)w < l->jlen) {
		/* Counted in size when queued; what did not go out is dropped. */
		l->size -= l->jlen - (w < 0 ? 0 : (size_t)w);
		l->dropped += w < 0 ? l->jlines : 1;
	}
	l->jlen = 0;
	l->jlines = 0;
}

static void sync_node(struct accesslog *l)
{
	if (l->nlen > 0 && write(l->node_fd, l->nbuf, l->nlen) < 0) {
		/* As for a single line: the node's log loses them. */
	}
	l->nlen = 0;
}

void accesslog_sync(struct accesslog *l)
{
	if (l->fd >= 0)
		sync_job(l);
	if (l->node_fd >= 0)
		sync_node(l);
}

/* A line for the job's file, written now or queued; size counts it. */
static void job_emit(struct accesslog *l, const char *line, size_t n, uint64_t lines)
{
	ssize_t w;

	if (l->batch && n <= sizeof(l->jbuf)) {
		if (l->jlen + n > sizeof(l->jbuf))
			sync_job(l);
		memcpy(l->jbuf + l->jlen, line, n);
		l->jlen += n;
		l->jlines += lines;
		l->size += n;
		return;
	}
	/* A full disk or EFBIG (SIGXFSZ is ignored) loses the line, not the
	 * proxy. */
	w = write(l->fd, line, n);
	if (w < 0) {
		l->dropped += lines;
		return;
	}
	l->size += (uint64_t)w;
}

/* Appends to the job's file within the cap. The first line that does not
 * fit is replaced by one saying the file is full (in the reserve). */
static void job_put(struct accesslog *l, const char *line, size_t n, uint64_t lines)
{
	char note[ACCESSLOG_FULL_RESERVE], ts[80];
	int k;

	if (l->size + n > l->cap - ACCESSLOG_FULL_RESERVE) {
		l->dropped += lines;
		if (l->full_noted)
			return;
		l->full_noted = true;
		timestamp(ts, sizeof(ts));
		k = snprintf(
		    note, sizeof(note),
		    "%s job=%s container=%s note=\"this access log reached its cap of %llu "
		    "bytes (job_log_max_bytes); later lines are dropped and counted "
		    "(netward status)\"\n",
		    ts, l->job, l->container, (unsigned long long)l->cap);
		if (k > 0 && (size_t)k < sizeof(note))
			job_emit(l, note, (size_t)k, 0);
		return;
	}
	job_emit(l, line, n, lines);
}

void accesslog_flush(struct accesslog *l, uint64_t now_ms, bool force)
{
	char line[512], ts[80];
	int n;

	if (l->repeats == 0 || (!force && now_ms - l->last_ms < ACCESSLOG_REPEAT_MS))
		return;
	timestamp(ts, sizeof(ts));
	n = snprintf(line, sizeof(line),
		     "%s job=%s container=%s note=\"the line before repeated %llu more times\" "
		     "repeated=%llu\n",
		     ts, l->job, l->container, (unsigned long long)l->repeats,
		     (unsigned long long)l->repeats);
	if (n > 0 && (size_t)n < sizeof(line))
		job_put(l, line, (size_t)n, l->repeats);
	l->repeats = 0;
	/* The next identical line starts a new run, written out again. */
	l->last_len = 0;
}

/* The job's file: a line identical to the last written one (time and
 * duration aside) within ACCESSLOG_REPEAT_MS is only counted. */
static void job_line(struct accesslog *l, const char *line, size_t n, size_t key_from,
		     size_t key_to, uint64_t now_ms)
{
	size_t klen = key_to - key_from;

	if (l->fd < 0)
		return;
	if (l->last_len == klen && memcmp(l->last, line + key_from, klen) == 0 &&
	    now_ms - l->last_ms < ACCESSLOG_REPEAT_MS) {
		l->repeats++;
		return;
	}
	accesslog_flush(l, now_ms, true);
	job_put(l, line, n, 1);
	memcpy(l->last, line + key_from, klen);
	l->last_len = klen;
	l->last_ms = now_ms;
}

void accesslog_write(struct accesslog *l, const struct accesslog_entry *e, uint64_t now_ms)
{
	char ts[80], job[128], cont[128], method[40], host[260], reason[400], line[ACCESSLOG_LINE];
	int n, key_to;

	timestamp(ts, sizeof(ts));
	clean(job, sizeof(job), e->job, false);
	clean(cont, sizeof(cont), e->container, false);
	clean(method, sizeof(method), e->method, false);
	clean(host, sizeof(host), e->host, false);
	clean(reason, sizeof(reason), e->reason, true);
	/* The key of a line, for folding repeats, ends before " ms=". */
	key_to =
	    snprintf(line, sizeof(line),
		     "%s job=%s container=%s method=%s host=%s port=%u decision=%s "
		     "reason=\"%s\" status=%d up=%llu down=%llu",
		     ts, job, cont, method, host, e->port,
		     e->report	? "report"
		     : e->allow ? "allow"
				: "deny",
		     reason, e->status, (unsigned long long)e->up, (unsigned long long)e->down);
	if (key_to < 0)
		return;
	if ((size_t)key_to >= sizeof(line) - 32)
		key_to = (int)sizeof(line) - 32;
	n = key_to + snprintf(line + key_to, sizeof(line) - (size_t)key_to, " ms=%llu\n",
			      (unsigned long long)e->ms);
	job_line(l, line, (size_t)n, strlen(ts), (size_t)key_to, now_ms);
	/* A full disk must not stop the proxy; the counters still move. */
	if (l->node_fd >= 0 && l->batch) {
		if (l->nlen + (size_t)n > sizeof(l->nbuf))
			sync_node(l);
		memcpy(l->nbuf + l->nlen, line, (size_t)n);
		l->nlen += (size_t)n;
	} else if (l->node_fd >= 0 && write(l->node_fd, line, (size_t)n) < 0) {
		/* The node's log is the operator's to rotate; the line is lost. */
	}
	if (l->syslog)
		syslog(LOG_INFO, "%.*s", n - 1, line + 21);
}

void accesslog_stats(int fd, const struct accesslog_counters *s)
{
	char line[320];
	int n;

	if (fd < 0)
		return;
	n = snprintf(
	    line, sizeof(line),
	    "{\"bytes_up\":%llu,\"bytes_down\":%llu,\"requests_allowed\":%llu,"
	    "\"requests_denied\":%llu,\"requests_reported\":%llu,\"live_connections\":%llu,"
	    "\"log_dropped\":%llu}\n",
	    (unsigned long long)s->bytes_up, (unsigned long long)s->bytes_down,
	    (unsigned long long)s->requests_allowed, (unsigned long long)s->requests_denied,
	    (unsigned long long)s->requests_reported, (unsigned long long)s->live_connections,
	    (unsigned long long)s->log_dropped);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (pwrite(fd, line, (size_t)n, 0) == n && ftruncate(fd, n) < 0) {
		/* Counters are advisory; the next write tries again. */
	}
}
