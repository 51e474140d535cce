/* OCI input and output, pure: the runtime's state JSON, the bundle's
 * config.json, the job's annotations, and the precreate transform
 * (DESIGN.md §1). Reading and writing a bundle is oci_bundle.h's. Only
 * json.h is used; no yajl type appears here. */
#ifndef NW_OCI_H
#define NW_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "ident.h"
#include "json.h"

#define OCI_STATE_MAX  (1 << 20)
#define OCI_CONFIG_MAX (4 << 20)

#define OCI_ANN_NETWORK "io.netward.network"
#define OCI_ANN_DOMAINS "io.netward.domains"
#define OCI_ANN_JOB_ID	"io.netward.job-id"

/* The three netward annotations as written (NULL when absent). Only their
 * type, and the job id's characters, are checked here; what they mean is
 * policy's business. */
struct oci_annotations {
	char *network;
	char *domains;
	char *job_id; /* ident_job_id_valid() */
};

struct oci_state {
	char *id;     /* oci_id_valid(): a safe path component, <= NW_ID_MAX */
	int pid;      /* 0 when the runtime gives none (runc and crun in poststop) */
	char *status; /* "creating", "created", "running", "stopped" ... as given */
	char *bundle;
	struct oci_annotations ann;
};

/* The state JSON on a hook's stdin (at most OCI_STATE_MAX bytes). Keys
 * other than the ones above are allowed: runtimes add their own. */
int oci_state_parse(const char *buf, size_t len, struct oci_state *out, nw_err *err);
void oci_state_free(struct oci_state *s);
#define cleanup_oci_state __attribute__((cleanup(oci_state_free)))
bool oci_id_valid(const char *id);

/* Reads the netward keys from an "annotations" object (NULL: none). */
int oci_annotations_parse(const struct json *annotations, struct oci_annotations *out, nw_err *err);
/* The same from a whole config.json tree. */
int oci_annotations_from_config(const struct json *config, struct oci_annotations *out,
				nw_err *err);
void oci_annotations_free(struct oci_annotations *a);
#define cleanup_oci_annotations __attribute__((cleanup(oci_annotations_free)))

enum oci_netns {
	OCI_NETNS_HOST, /* no network entry: the container shares the host's */
	OCI_NETNS_NEW,	/* an entry without path: the runtime makes a new one */
	OCI_NETNS_PATH, /* an entry with a path: joins an existing one */
};

struct oci_config {
	struct oci_annotations ann;
	enum oci_netns netns;
	char *netns_path;  /* OCI_NETNS_PATH only */
	struct json *json; /* the whole tree, from oci_config_read only (oci_bundle.h) */
};

/* A config.json text (at most OCI_CONFIG_MAX bytes) as a tree; must be an
 * object. */
struct json *oci_config_parse(const char *buf, size_t len, nw_err *err);
/* Annotations and the network namespace entry of a config tree. */
int oci_config_extract(const struct json *config, struct oci_config *out, nw_err *err);
void oci_config_free(struct oci_config *c);

struct oci_patch {
	enum nw_mode mode;
	uint16_t proxy_port;	 /* http mode: the job sees http://NW_GATEWAY:proxy_port */
	bool add_hooks;		 /* patch-bundle: add the prestart and poststop hooks */
	const char *binary;	 /* add_hooks: absolute path of netward */
	const char *config_path; /* add_hooks: --config for the hooks; NULL: none */
};

/* "http://" NW_GATEWAY ":port" into buf. */
const char *oci_proxy_url(uint16_t port, char *buf, size_t len);

/* What precreate and patch-bundle do to config.json, in place:
 * - every mode: a network namespace entry without path when there is none
 *   (a private namespace holding only loopback), and the seccomp additions
 *   of seccomp/container.json (see oci.c);
 * - http mode only: http_proxy, https_proxy, HTTP_PROXY, HTTPS_PROXY set to
 *   http://NW_GATEWAY:proxy_port and no_proxy/NO_PROXY to "localhost,127.0.0.1,::1", replacing
 *   entries of those names and leaving every other variable as it was;
 * - when add_hooks is set: hooks.prestart and hooks.poststop entries that run
 *   `binary [--config config_path] prestart|poststop`, appended to any
 *   hooks already there; a netward hook already present for that stage is
 *   replaced in place, so patching twice changes nothing.
 * An existing network entry with a path is left alone: prestart refuses it. */
int oci_config_patch(struct json *config, const struct oci_patch *p, nw_err *err);

/* The seccomp part of oci_config_patch (oci_seccomp.c says how and why). */
int oci_seccomp_patch(struct json *config, nw_err *err);
/* Does config carry the seccomp additions, so that patching it again would
 * change nothing? Fails, naming the fix, when it does not: a bundle that was
 * never patched (hooks added by hand) would run without them. */
int oci_seccomp_check(const struct json *config, nw_err *err);

/* config.json text for precreate's stdout or a bundle. Caller frees. */
char *oci_config_render(const struct json *config, bool pretty, nw_err *err);

#endif
