#include "nldump.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int nl_dump(int fd, unsigned short type, const void *hdr, size_t hlen, void *buf, size_t size,
	    void (*fn)(const struct nlmsghdr *h, void *arg), void *arg)
{
	struct {
		struct nlmsghdr h;
		char body[256];
	} r = {.h = {.nlmsg_len = NLMSG_LENGTH(hlen),
		     .nlmsg_type = type,
		     .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP}};
	ssize_t n;

	if (hlen > sizeof(r.body))
		return -EINVAL;
	memcpy(NLMSG_DATA(&r.h), hdr, hlen);
	if (send(fd, &r, r.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, size, 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			fn(h, arg);
		}
	}
}
