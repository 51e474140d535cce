/* The identity rules, defined once: what a job id and one of netward's
 * interface names may look like, and the length limit of ids (a container
 * id's characters are oci_id_valid()'s, the runtime's own rule). Everything
 * that takes a job id or names a job's interface checks it here, so no path
 * accepts what another refuses. Pure. */
#ifndef NW_IDENT_H
#define NW_IDENT_H

#include <stdbool.h>

/* Container ids and job ids: at most this many characters. */
#define NW_ID_MAX 128

/* netward's host-side interfaces: NW_IF_PREFIX and NW_IF_HEX lowercase hex
 * digits, 15 characters, so one fits IFNAMSIZ (16) with its NUL. */
#define NW_IF_PREFIX "nw"
#define NW_IF_HEX    13
#define NW_IFNAMSIZ  16

/* A job id (io.netward.job-id, `netward proxy --job-id`): 1 to NW_ID_MAX
 * printable ASCII characters without space, '"', '\'' or '\\', so it can go
 * into a header, a log line and a shell word as it is. */
bool ident_job_id_valid(const char *s);
/* One of netward's interface names, exactly as wire_ifname() makes them. */
bool ident_ifname_valid(const char *s);

#endif
