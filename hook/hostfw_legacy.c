/* iptables-legacy's filter table, read from the kernel the way
 * iptables-legacy-save reads it (IPT_SO_GET_INFO, then IPT_SO_GET_ENTRIES
 * on a raw socket) instead of running it: that exec cost every job's setup
 * about 4 ms on a node whose legacy filter table is loaded. */
/* glibc's netinet/in.h before the kernel's headers, which then leave
 * its definitions alone. */
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostfw.h"
#include "hostfw_int.h"

/* The entry at off, checked to lie whole within the blob with its target. */
static const struct ipt_entry *entry_at(const char *b, size_t size, size_t off,
					const struct xt_entry_target **t)
{
	const struct ipt_entry *e = (const struct ipt_entry *)(const void *)(b + off);

	if (off > size || size - off < sizeof(*e) || e->next_offset < sizeof(*e) ||
	    e->next_offset > size - off || e->target_offset < sizeof(*e) ||
	    (size_t)e->target_offset + sizeof(struct xt_standard_target) > e->next_offset)
		return NULL;
	*t = (const struct xt_entry_target *)(const void *)(b + off + e->target_offset);
	return e;
}

/* A standard target's verdict (a jump's: the offset of the chain's first
 * rule; a policy's: -NF_ACCEPT - 1 or -NF_DROP - 1); false for others. */
static bool verdict_of(const struct xt_entry_target *t, int *v)
{
	if (strcmp(t->u.user.name, XT_STANDARD_TARGET) != 0)
		return false;
	memcpy(v, t->data, sizeof(*v));
	return true;
}

int hostfw_legacy_parse(const void *blob, size_t size, unsigned valid_hooks,
			const unsigned *underflow, struct hostfw_legacy *st)
{
	static const char *const ours[2] = {HOSTFW_IPT_INPUT, HOSTFW_IPT_FORWARD};
	static const unsigned hooks[2] = {NF_INET_LOCAL_IN, NF_INET_FORWARD};
	const char *b = blob;
	const struct xt_entry_target *t;
	const struct ipt_entry *e;
	long first[2] = {-1, -1}; /* where each of netward's chains begins */
	bool jump[2] = {false, false};
	int v;

	*st = (struct hostfw_legacy){.drops = false};
	/* User chains begin with an ERROR target that names them. */
	for (size_t off = 0; off < size; off += e->next_offset) {
		if ((e = entry_at(b, size, off, &t)) == NULL)
			return -1;
		if (strcmp(t->u.user.name, XT_ERROR_TARGET) != 0 ||
		    t->u.user.target_size < sizeof(*t) + XT_FUNCTION_MAXNAMELEN)
			continue;
		for (size_t i = 0; i < 2; i++)
			if (strncmp((const char *)t->data, ours[i], XT_FUNCTION_MAXNAMELEN) == 0) {
				first[i] = (long)(off + e->next_offset);
				st->ours = true;
			}
	}
	/* INPUT's and FORWARD's policies: the entry at each one's underflow. */
	for (size_t i = 0; i < 2; i++) {
		if (!(valid_hooks & (1u << hooks[i])))
			continue;
		if ((e = entry_at(b, size, underflow[hooks[i]], &t)) == NULL)
			return -1;
		if (verdict_of(t, &v) && v == -NF_DROP - 1)
			st->drops = true;
	}
	/* A rule anywhere that jumps (-j, not -g) to each of them. */
	for (size_t off = 0; off < size; off += e->next_offset) {
		if ((e = entry_at(b, size, off, &t)) == NULL)
			return -1;
		if (!verdict_of(t, &v) || v < 0 || (e->ip.flags & IPT_F_GOTO))
			continue;
		for (size_t i = 0; i < 2; i++)
			jump[i] = jump[i] || (first[i] >= 0 && v == first[i]);
	}
	st->open = jump[0] && jump[1];
	return 0;
}

int hostfw_legacy_read(struct hostfw_legacy *st, nw_err *err)
{
	cleanup_close int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0)
		return nw_fail(err, errno, "a raw socket for iptables-legacy's table");
	/* The table may change between the two calls (EAGAIN): again. */
	for (int tries = 0; tries < 4; tries++) {
		struct ipt_getinfo info = {.name = "filter"};
		socklen_t len = sizeof(info);
		cleanup_free struct ipt_get_entries *ge = NULL;

		if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0)
			return nw_fail(err, errno, "reading iptables-legacy's filter table");
		len = (socklen_t)(sizeof(*ge) + info.size);
		ge = calloc(1, len);
		if (ge == NULL)
			return nw_fail(err, ENOMEM, "reading iptables-legacy's filter table");
		memcpy(ge->name, "filter", sizeof("filter"));
		ge->size = info.size;
		if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, ge, &len) < 0) {
			if (errno == EAGAIN)
				continue;
			return nw_fail(err, errno, "reading iptables-legacy's filter table");
		}
		if (hostfw_legacy_parse(ge->entrytable, ge->size, info.valid_hooks, info.underflow,
					st) < 0)
			return nw_fail(err, EBADMSG,
				       "iptables-legacy's filter table: an entry "
				       "runs past its end");
		return 0;
	}
	return nw_fail(err, EAGAIN, "iptables-legacy's filter table kept changing");
}

int hostfw_legacy_state_save(struct hostfw_legacy *st)
{
	char out[16384];
	cleanup_err nw_err e = NULL;
	int rc = hostfw_exec((const char *const[]){HOSTFW_IPT_LEGACY "-save", "-t", "filter", NULL},
			     out, sizeof(out), &e);

	*st = (struct hostfw_legacy){.drops = false};
	if (rc != 0)
		return -1;
	st->ours = strstr(out, ":" HOSTFW_IPT_INPUT " ") != NULL ||
		   strstr(out, ":" HOSTFW_IPT_FORWARD " ") != NULL;
	st->drops = strstr(out, ":INPUT DROP") != NULL || strstr(out, ":FORWARD DROP") != NULL;
	st->open = strstr(out, "-j " HOSTFW_IPT_INPUT "\n") != NULL &&
		   strstr(out, "-j " HOSTFW_IPT_FORWARD "\n") != NULL;
	return 0;
}

bool hostfw_legacy_present(void)
{
	cleanup_file FILE *f = fopen("/proc/net/ip_tables_names", "re");
	char name[64];

	while (f != NULL && fgets(name, sizeof(name), f) != NULL)
		if (strcmp(name, "filter\n") == 0)
			return true;
	return false;
}

int hostfw_legacy_state(struct hostfw_legacy *st)
{
	cleanup_err nw_err e = NULL;

	/* Never asked of a kernel without the table: the question would
	 * load it. */
	if (!hostfw_legacy_present())
		return -1;
	if (hostfw_legacy_read(st, &e) == 0)
		return 0;
	return hostfw_legacy_state_save(st);
}
