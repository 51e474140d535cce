/* The engines check-config reports on, from their own config files. */
#include "shim_engines.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "io.h"
#include "json.h"

#define ENGINE_FILE_MAX (1 << 20)

/* An engine's config file under root; NULL when it is missing, unreadable
 * or too large: the engine is then reported as not using netward. */
static char *slurp(const char *root, const char *path, char *full, size_t len)
{
	cleanup_err nw_err e = NULL;

	snprintf(full, len, "%s%s", strcmp(root, "/") == 0 ? "" : root, path);
	return io_read_file(AT_FDCWD, full, 0, ENGINE_FILE_MAX, NULL, &e);
}

static bool is_shim(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	base = base ? base + 1 : path;
	return base != NULL && strncmp(base, "netward-runc", 12) == 0;
}

static void docker(const char *root, FILE *out)
{
	char path[PATH_MAX];
	cleanup_free char *text = slurp(root, "/etc/docker/daemon.json", path, sizeof(path));
	cleanup_json struct json *j = NULL;
	const struct json *rt;
	const char *def, *names[8];
	size_t n = 0;

	if (text == NULL) {
		fprintf(out, "docker: %s: %s\n", path, errno == ENOENT ? "none" : strerror(errno));
		return;
	}
	j = json_parse(text, strlen(text), NULL);
	if (j == NULL) {
		fprintf(out, "docker: %s: not valid JSON\n", path);
		return;
	}
	rt = json_get_obj(j, "runtimes");
	for (size_t i = 0; rt != NULL && i < rt->n && n < 8; i++)
		if (is_shim(json_get_str(rt->v[i], "path")))
			names[n++] = rt->keys[i];
	def = json_get_str(j, "default-runtime");
	if (n == 0) {
		fprintf(out, "docker: %s: no runtime is netward-runc\n", path);
		return;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(out, "docker: %s: runtime \"%s\" is netward-runc%s\n", path, names[i],
			def && strcmp(def, names[i]) == 0
			    ? " (the default-runtime)"
			    : " (containers ask for it with --runtime)");
}

/* Lines `BinaryName = ".../netward-runc"` in the runc options of any
 * runtime: enough TOML for this one key. */
static void containerd(const char *root, FILE *out)
{
	char path[PATH_MAX];
	cleanup_free char *text = slurp(root, "/etc/containerd/config.toml", path, sizeof(path));
	char section[256] = "";
	bool found = false;

	if (text == NULL) {
		fprintf(out, "containerd: %s: %s\n", path,
			errno == ENOENT ? "none" : strerror(errno));
		return;
	}
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		l += strspn(l, " \t");
		if (*l == '[')
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(l, "\r"), l);
		if (strncmp(l, "BinaryName", 10) == 0 && strstr(l, "netward-runc") != NULL &&
		    l[strspn(l + 10, " \t") + 10] == '=') {
			fprintf(out, "containerd: %s: %s BinaryName is netward-runc\n", path,
				section);
			found = true;
		}
	}
	if (!found)
		fprintf(out, "containerd: %s: no runc BinaryName is netward-runc\n", path);
}

/* podman reads /usr/share/containers/containers.conf, then
 * /etc/containers/containers.conf; a hooks_dir there replaces its default
 * directories, which hold netward's files. */
static void podman(const char *root, FILE *out)
{
	static const char *const confs[] = {"/usr/share/containers/containers.conf",
					    "/etc/containers/containers.conf"};
	char path[PATH_MAX], where[PATH_MAX] = "";
	char line[512] = "";

	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *text = slurp(root, confs[i], path, sizeof(path));
		for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			l += strspn(l, " \t");
			if (strncmp(l, "hooks_dir", 9) == 0 && l[strspn(l + 9, " \t") + 9] == '=') {
				snprintf(line, sizeof(line), "%s", l);
				snprintf(where, sizeof(where), "%s", path);
			}
		}
	}
	if (line[0] == '\0')
		fprintf(out, "podman: hooks_dir is the default (/usr/share/containers/oci/hooks.d, "
			     "/etc/containers/oci/hooks.d): netward's hooks apply\n");
	else if (strstr(line, "/usr/share/containers/oci/hooks.d") != NULL ||
		 strstr(line, "/etc/containers/oci/hooks.d") != NULL)
		fprintf(out, "podman: %s: %s: netward's hooks apply if their files are there\n",
			where, line);
	else
		fprintf(out, "podman: %s: %s: leaves out netward's hooks.d directory\n", where,
			line);
}

void shim_engines_report(const char *root, FILE *out)
{
	docker(root, out);
	containerd(root, out);
	podman(root, out);
}
