/* The access log: the job's file stays under its cap and counts what it
 * drops, identical lines fold into a count, a failing write costs only the
 * line, and the node's log gets every line. Fake time for the folding. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accesslog.h"
#include "unit.h"

static int tmpfd(void)
{
	char p[] = "/tmp/nw-alog-XXXXXX";
	int fd = mkstemp(p);

	if (fd >= 0)
		unlink(p);
	return fd;
}

static uint64_t fsize(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Lines of fd holding text. */
static int count(int fd, const char *text)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	ssize_t n = buf ? pread(fd, buf, cap - 1, 0) : -1;
	int k = 0;

	if (n > 0) {
		buf[n] = '\0';
		for (char *l = strtok(buf, "\n"); l != NULL; l = strtok(NULL, "\n"))
			if (strstr(l, text) != NULL)
				k++;
	}
	free(buf);
	return k;
}

static struct accesslog_entry entry(const char *host)
{
	return (struct accesslog_entry){.job = "j1",
					.container = "c1",
					.method = "GET",
					.host = host,
					.reason = "netward: no",
					.port = 80,
					.status = 403};
}

static void test_cap(void)
{
	int fd = tmpfd(), node = tmpfd();
	struct accesslog l;
	char host[32];

	accesslog_init(&l, fd, node, false, 16384, "j1", "c1", 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(host, sizeof(host), "h%d.test", i);
		struct accesslog_entry e = entry(host);
		accesslog_write(&l, &e, 1000);
	}
	CHECK(fsize(fd) <= 16384);
	CHECK(fsize(fd) > 16384 - 2 * ACCESSLOG_FULL_RESERVE - ACCESSLOG_LINE);
	CHECK(count(fd, "reached its cap of 16384 bytes") == 1);
	/* Every line is either in the file or counted. */
	CHECK((uint64_t)count(fd, "decision=deny") + l.dropped == 1000);
	CHECK(l.dropped > 800);
	/* The node's log has them all. */
	CHECK(fsize(node) > 16384 * 4);
	close(fd);
	close(node);
}

static void test_fold(void)
{
	int fd = tmpfd(), node = tmpfd();
	struct accesslog l;
	struct accesslog_entry e = entry("same.test"), o = entry("other.test");

	accesslog_init(&l, fd, node, false, 1 << 20, "j1", "c1", 0);
	for (int i = 0; i < 500; i++) {
		e.ms = (uint64_t)i % 3; /* durations differ, the line is the same */
		accesslog_write(&l, &e, 1000 + (uint64_t)i);
	}
	CHECK(count(fd, "host=same.test") == 1);
	CHECK(count(fd, "repeated") == 0);
	/* Not yet: the run is younger than ACCESSLOG_REPEAT_MS. */
	accesslog_flush(&l, 1000 + ACCESSLOG_REPEAT_MS - 1, false);
	CHECK(count(fd, "repeated") == 0);
	accesslog_flush(&l, 1000 + ACCESSLOG_REPEAT_MS, false);
	CHECK(count(fd, "the line before repeated 499 more times") == 1);
	/* After the count, the same line is written again, once. */
	accesslog_write(&l, &e, 1000 + ACCESSLOG_REPEAT_MS + 1);
	accesslog_write(&l, &e, 1000 + ACCESSLOG_REPEAT_MS + 2);
	CHECK(count(fd, "host=same.test") == 2);
	/* Another line ends the run at once. */
	accesslog_write(&l, &o, 1000 + ACCESSLOG_REPEAT_MS + 3);
	CHECK(count(fd, "repeated 1 more times") == 1);
	CHECK(count(fd, "host=other.test") == 1);
	/* The same line long after the last one is not a repeat. */
	accesslog_write(&l, &o, 1000 + 3 * ACCESSLOG_REPEAT_MS);
	CHECK(count(fd, "host=other.test") == 2);
	CHECK(l.dropped == 0);
	CHECK(count(node, "host=same.test") == 502);
	close(fd);
	close(node);
}

/* RLIMIT_FSIZE reached: with SIGXFSZ ignored (as the proxy does) the
 * write fails with EFBIG; the line is counted as dropped. */
static void test_efbig(void)
{
	int fd = tmpfd();
	struct accesslog l;
	struct rlimit old, small = {.rlim_cur = 300, .rlim_max = RLIM_INFINITY};
	char host[32];

	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	accesslog_init(&l, fd, -1, false, 1 << 20, "j1", "c1", 0);
	for (int i = 0; i < 10; i++) {
		snprintf(host, sizeof(host), "h%d.test", i);
		struct accesslog_entry e = entry(host);
		accesslog_write(&l, &e, 1000);
	}
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(fsize(fd) <= 300);
	/* Two lines fit, a third is cut short where the limit is. */
	CHECK(l.dropped >= 7 && l.dropped < 10);
	close(fd);
}

/* Batching (the proxy's way): nothing is written until accesslog_sync,
 * then every line; the cap holds as without it. */
static void test_batch(void)
{
	int fd = tmpfd(), node = tmpfd(), p[2];
	struct accesslog l;
	char host[32], buf[ACCESSLOG_BATCH + 1];

	CHECK(pipe2(p, O_NONBLOCK) == 0);
	accesslog_init(&l, fd, p[1], false, 16384, "j1", "c1", 0);
	l.batch = true;
	for (int i = 0; i < 3; i++) {
		snprintf(host, sizeof(host), "b%d.test", i);
		struct accesslog_entry e = entry(host);
		accesslog_write(&l, &e, 1000);
	}
	CHECK(fsize(fd) == 0);
	accesslog_sync(&l);
	CHECK(count(fd, "host=b") == 3);
	ssize_t n = read(p[0], buf, sizeof(buf));
	CHECK(n > 0 && buf[n - 1] == '\n');
	/* Many lines, in several writes: every one arrives, whole. */
	for (int i = 0; i < 200; i++) {
		snprintf(host, sizeof(host), "m%d.test", i);
		struct accesslog_entry e = entry(host);
		accesslog_write(&l, &e, 2000);
	}
	accesslog_sync(&l);
	int lines = 0;
	char last = 0;
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		last = buf[n - 1];
	}
	CHECK(lines == 200 && last == '\n');
	/* The job's file kept under its cap, what it dropped counted. */
	CHECK(fsize(fd) <= 16384);
	CHECK(l.size == fsize(fd));
	CHECK(l.dropped > 0);
	CHECK(count(fd, "reached its cap") == 1);
	close(p[0]);
	close(p[1]);
	close(fd);
	close(node);
}

int main(void)
{
	RUN(test_cap);
	RUN(test_fold);
	RUN(test_efbig);
	RUN(test_batch);
	UNIT_DONE();
}
