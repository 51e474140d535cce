/* A job's proxy sockets, bound by the hook (jobsock.h). */
#include "jobsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "fw.h"
#include "proxy.h"

/* A socket of type bound to addr:port on ifname (NULL or "": no device). */
static int bound(int type, const char *addr, unsigned port, const char *ifname, nw_err *err)
{
	cleanup_close int fd = -1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
	int one = 1;

	if (port == 0 || port > 65535)
		return nw_fail(err, EINVAL, "port %u is out of range", port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return nw_fail(err, EINVAL, "\"%s\" is not an IPv4 address", addr);
	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nw_fail(err, errno, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return nw_fail(err, errno, "SO_REUSEADDR");
	if (ifname != NULL && ifname[0] != '\0' &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0)
		return nw_fail(err, errno, "binding to %s", ifname);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return nw_fail(err, errno, "binding %s:%u (%s)", addr, port, proto);
	return steal_fd(&fd);
}

int jobsock_udp(const char *addr, unsigned port, const char *ifname, nw_err *err)
{
	return bound(SOCK_DGRAM, addr, port, ifname, err);
}

int jobsock_tcp(const char *addr, unsigned port, const char *ifname, nw_err *err)
{
	cleanup_close int fd = bound(SOCK_STREAM, addr, port, ifname, err);

	if (fd < 0)
		return -1;
	if (listen(fd, 512) < 0)
		return nw_fail(err, errno, "listen on %s:%u", addr, port);
	return steal_fd(&fd);
}

void jobsock_close(struct jobsock *s)
{
	int *fds[] = {&s->listen, &s->intercept, &s->dns_udp, &s->dns_tcp};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

/* A host service already on the port (a resolver on 0.0.0.0:53, say)
 * keeps the job's from binding: say which and what to do. */
static int bind_failed(nw_err *err, const char *what, unsigned port)
{
	if (*err != NULL && (*err)->code == EADDRINUSE)
		return nw_wrap(err,
			       "the job's %s (port %u) is taken on the gateway by a host service "
			       "listening on every address; bind it to the node's own addresses, "
			       "or set \"intercept\": false",
			       what, port);
	return nw_wrap(err, "the job's %s (port %u)", what, port);
}

int jobsock_open(const struct nw_config *cfg, const char *gw, const char *ifname, bool mark,
		 struct jobsock *s, nw_err *err)
{
	struct jobsock n = JOBSOCK_NONE;
	int *fds[] = {&n.listen, &n.intercept, &n.dns_udp, &n.dns_tcp};

	n.listen = jobsock_tcp(gw, cfg->proxy_port, ifname, err);
	if (n.listen < 0)
		return bind_failed(err, "proxy", cfg->proxy_port);
	if (cfg->intercept) {
		n.intercept = jobsock_tcp(gw, config_intercept_port(cfg), ifname, err);
		if (n.intercept < 0) {
			bind_failed(err, "intercepted connections", config_intercept_port(cfg));
			goto fail;
		}
		n.dns_udp = jobsock_udp(gw, JOBSOCK_DNS_PORT, ifname, err);
		if (n.dns_udp < 0) {
			bind_failed(err, "DNS", JOBSOCK_DNS_PORT);
			goto fail;
		}
		n.dns_tcp = jobsock_tcp(gw, JOBSOCK_DNS_PORT, ifname, err);
		if (n.dns_tcp < 0) {
			bind_failed(err, "DNS over TCP", JOBSOCK_DNS_PORT);
			goto fail;
		}
	}
	for (size_t i = 0; mark && i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0 && fw_mark_proxy_socket(*fds[i], err) < 0)
			goto fail;
	*s = n;
	return 0;
fail:
	jobsock_close(&n);
	return -1;
}
