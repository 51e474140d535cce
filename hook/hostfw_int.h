/* Inside the hostfw module: reading nftables, and the two programs it
 * runs (iptables for its own backend, dbus-send for firewalld). */
#ifndef NW_HOSTFW_INT_H
#define NW_HOSTFW_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* `nft -j CMD` through libnftables; the output in *out (caller frees). */
int hostfw_nft_json(const char *cmd, char **out, nw_err *err);

/* Runs argv[0] (an absolute path) with an empty environment, stdin on
 * /dev/null, and no descriptor of ours; its exit status (or -1 when it
 * could not run, with err set), what it wrote to stdout and stderr in out
 * (cut at len - 1 bytes). */
int hostfw_exec(const char *const *argv, char *out, size_t len, nw_err *err);

/* One iptables backend: "/usr/sbin/iptables-nft" or "/usr/sbin/iptables-legacy". */
int hostfw_ipt_open(const char *ipt, const char *subnet, nw_err *err);
int hostfw_ipt_close(const char *ipt, nw_err *err);
/* hostfw_legacy.c: iptables-legacy's filter table. */
struct hostfw_legacy {
	bool drops; /* INPUT or FORWARD has policy DROP */
	bool open;  /* both jump to netward's chains */
	bool ours;  /* one of netward's chains exists */
};
/* The table is loaded in the kernel. */
bool hostfw_legacy_present(void);
/* The table, when it is loaded: from the kernel (hostfw_legacy_read), or
 * where that fails from iptables-legacy-save's output. -1 when it is not
 * loaded or neither can be read. */
int hostfw_legacy_state(struct hostfw_legacy *st);
/* The table from the kernel, as iptables-legacy-save reads it. */
int hostfw_legacy_read(struct hostfw_legacy *st, nw_err *err);
/* The same reading from the blob of IPT_SO_GET_ENTRIES (size bytes) and
 * IPT_SO_GET_INFO's valid_hooks and underflow (NF_INET_NUMHOOKS of them);
 * -1 when an entry runs past the blob. */
int hostfw_legacy_parse(const void *blob, size_t size, unsigned valid_hooks,
			const unsigned *underflow, struct hostfw_legacy *st);
/* iptables-legacy-save's reading, for where the kernel's is refused. */
int hostfw_legacy_state_save(struct hostfw_legacy *st);

/* firewalld's runtime binding of each job's host interface to netward's
 * zone, through D-Bus; a file under the state directory records that
 * netward binds interfaces there, so that release and close touch
 * firewalld only then. release unbinds one interface; close, with no job
 * left, every netward interface still bound to the zone. */
int hostfw_firewalld_open(const char *host_if, nw_err *err);
int hostfw_firewalld_release(const char *host_if, nw_err *err);
int hostfw_firewalld_close(nw_err *err);

#define HOSTFW_IPT_NFT	  "/usr/sbin/iptables-nft"
#define HOSTFW_IPT_LEGACY "/usr/sbin/iptables-legacy"
#define HOSTFW_DBUS_SEND  "/usr/bin/dbus-send"

#endif
