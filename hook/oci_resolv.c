/* The job's /etc/resolv.conf mount (oci_resolv.h). */
#include "oci_resolv.h"

#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"

const char *oci_resolv_text(void)
{
	return "# netward: this job's resolver is its proxy on the gateway, which answers\n"
	       "# only for the names the job may reach.\n"
	       "nameserver " NW_GATEWAY "\n"
	       "options timeout:1 attempts:2\n";
}

/* "/etc/resolv.conf", however spelt ("/etc//resolv.conf/", "etc/./..."):
 * the runtime would mount each over the same file. */
static bool is_resolv_dest(const char *d)
{
	static const char *const want[] = {"etc", "resolv.conf"};
	size_t k = 0;

	while (*d != '\0') {
		size_t n;
		d += strspn(d, "/");
		n = strcspn(d, "/");
		if (n == 0)
			break;
		if (!(n == 1 && d[0] == '.')) {
			if (k == 2 || strlen(want[k]) != n || strncmp(d, want[k], n) != 0)
				return false;
			k++;
		}
		d += n;
	}
	return k == 2;
}

static struct json *resolv_mount(const char *source, nw_err *err)
{
	static const char *const opts[] = {"bind", "ro", "nosuid", "nodev", "noexec"};
	cleanup_json struct json *m = json_new(JSON_OBJECT);
	cleanup_json struct json *o = json_new(JSON_ARRAY);

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (json_push(o, json_new_str(opts[i]), err) < 0)
			return NULL;
	if (json_set(m, "destination", json_new_str(OCI_RESOLV_DEST), err) < 0 ||
	    json_set(m, "type", json_new_str("bind"), err) < 0 ||
	    json_set(m, "source", json_new_str(source), err) < 0 ||
	    json_set(m, "options", steal_ptr(&o), err) < 0)
		return NULL;
	return steal_ptr(&m);
}

int oci_resolv_patch(struct json *config, const char *source, nw_err *err)
{
	struct json *mounts, *m;
	size_t kept = 0;

	if (config == NULL || config->type != JSON_OBJECT)
		return nw_fail(err, 0, "config.json must be a JSON object");
	if (source == NULL || source[0] != '/')
		return nw_fail(err, EINVAL, "the job's resolv.conf needs an absolute path");
	mounts = json_get(config, "mounts");
	if (mounts == NULL) {
		if (json_set(config, "mounts", json_new(JSON_ARRAY), err) < 0)
			return -1;
		mounts = json_get(config, "mounts");
	}
	if (mounts->type != JSON_ARRAY)
		return nw_fail(err, 0, "config.json: \"mounts\" must be an array");
	for (size_t i = 0; i < mounts->n; i++) {
		const char *d = json_get_str(mounts->v[i], "destination");
		if (d != NULL && is_resolv_dest(d))
			json_free(mounts->v[i]);
		else
			mounts->v[kept++] = mounts->v[i];
	}
	mounts->n = kept;
	m = resolv_mount(source, err);
	return m == NULL ? -1 : json_push(mounts, m, err);
}
