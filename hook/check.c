/* check-config (check.h). */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "advise.h"
#include "cleanup.h"
#include "json.h"
#include "io.h"

/* The config as written, for hints and for telling set keys from
 * defaults; NULL when it cannot be read or is not JSON (config_load then
 * says why). A missing default file reads as "{}". */
static struct json *raw_config(const char *path, bool explicit_path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t n = 0;

	if (fd < 0)
		return !explicit_path && errno == ENOENT ? json_parse("{}", 2, NULL) : NULL;
	buf = io_read_fd(fd, NW_CONFIG_MAX, NULL, &n, NULL);
	return buf == NULL ? NULL : json_parse(buf, n, NULL);
}
static const char *source_of(const struct json *raw, const struct nw_config *cfg, const char *key)
{
	if (raw != NULL && json_get(raw, key) != NULL)
		return "config";
	if (strcmp(key, "dns_servers") == 0 && cfg->dns_from_resolv_conf)
		return NW_RESOLV_CONF;
	return "default";
}

static int strs_to_json(const struct advice_list *l, struct json **out, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);

	for (size_t i = 0; a != NULL && i < l->n; i++)
		if (json_push(a, json_new_str(l->msg[i]), err) < 0)
			return -1;
	if (a == NULL)
		return nw_fail(err, ENOMEM, "check-config");
	*out = steal_ptr(&a);
	return 0;
}

static void print_text(const struct json *pol, const struct json *raw, const struct nw_config *cfg,
		       FILE *out)
{
	fprintf(out,
		"effective policy of %s (each value: set in the config, a default, or from "
		"%s):\n",
		cfg->path, NW_RESOLV_CONF);
	for (size_t i = 0; i < pol->n; i++) {
		cleanup_free char *v = json_render(pol->v[i], false, NULL);
		fprintf(out, "  %-28s %-40s (%s)\n", pol->keys[i], v != NULL ? v : "?",
			source_of(raw, cfg, pol->keys[i]));
	}
	/* config_render leaves an absent allowlist out: say what that means. */
	if (!cfg->has_allowlist)
		fprintf(out, "  %-28s %-40s (default)\n", "domain_allowlist",
			"no ceiling: http jobs may ask for any domain");
}

static int report_valid(const struct json *raw, const struct nw_config *cfg,
			const struct advice_list *warn, const struct check_opts *o, FILE *out,
			FILE *note, nw_err *err)
{
	cleanup_free char *text = config_render(cfg, err);
	cleanup_json struct json *pol = NULL, *j = json_new(JSON_OBJECT), *src = NULL;
	struct json *w = NULL;

	if (text == NULL || (pol = json_parse(text, strlen(text), err)) == NULL)
		return -1;
	src = json_new(JSON_OBJECT);
	if (j == NULL || src == NULL)
		return nw_fail(err, ENOMEM, "check-config");
	for (size_t i = 0; i < pol->n; i++)
		if (json_set(src, pol->keys[i], json_new_str(source_of(raw, cfg, pol->keys[i])),
			     err) < 0)
			return -1;
	if (!cfg->has_allowlist &&
	    json_set(src, "domain_allowlist", json_new_str("no ceiling"), err) < 0)
		return -1;
	if (!o->json) {
		print_text(pol, raw, cfg, out);
		for (size_t i = 0; i < warn->n; i++)
			fprintf(note, "netward: warning: %s\n", warn->msg[i]);
		return 0;
	}
	struct json *valid = json_new(JSON_BOOL);
	if (valid != NULL)
		valid->b = !(o->strict && warn->n > 0);
	if (strs_to_json(warn, &w, err) < 0 || json_set(j, "valid", valid, err) < 0 ||
	    json_set(j, "file", json_new_str(cfg->path), err) < 0 ||
	    json_set(j, "policy", steal_ptr(&pol), err) < 0 ||
	    json_set(j, "sources", steal_ptr(&src), err) < 0 || json_set(j, "warnings", w, err) < 0)
		return -1;
	cleanup_free char *s = json_render(j, true, err);
	if (s == NULL)
		return -1;
	fprintf(out, "%s\n", s);
	return 0;
}

static void report_invalid(const struct json *raw, nw_err cfg_err, const struct check_opts *o,
			   FILE *out, FILE *note)
{
	cleanup_advice struct advice_list hints = {0};
	cleanup_json struct json *j = json_new(JSON_OBJECT), *h = NULL;
	cleanup_free char *s = NULL;

	advise_hints(raw, &hints);
	if (!o->json) {
		for (size_t i = 0; i < hints.n; i++)
			fprintf(note, "netward: hint: %s\n", hints.msg[i]);
		return;
	}
	struct json *valid = json_new(JSON_BOOL);
	if (j != NULL && strs_to_json(&hints, &h, NULL) == 0 &&
	    json_set(j, "valid", valid, NULL) == 0 &&
	    json_set(j, "error", json_new_str(nw_err_msg(cfg_err)), NULL) == 0 &&
	    json_set(j, "hints", steal_ptr(&h), NULL) == 0 &&
	    (s = json_render(j, true, NULL)) != NULL)
		fprintf(out, "%s\n", s);
}

int check_config_run(const char *path, bool explicit_path, const struct check_opts *o, FILE *out,
		     FILE *note, nw_err *err)
{
	cleanup_config struct nw_config cfg = {0};
	cleanup_advice struct advice_list warn = {0};
	cleanup_json struct json *raw = NULL;
	int rc;

	if (o->file != NULL) {
		path = o->file;
		explicit_path = true;
	}
	raw = raw_config(path, explicit_path);
	if (config_load(&cfg, path, explicit_path, err) < 0) {
		report_invalid(raw, *err, o, out, note);
		return -1;
	}
	/* A hint on a config that parses points at a value that means
	 * something else than it seems: a warning. */
	advise_hints(raw, &warn);
	advise_warnings(raw, &cfg, &warn);
	rc = report_valid(raw, &cfg, &warn, o, out, note, err);
	if (rc == 0 && o->strict && warn.n > 0)
		rc = nw_fail(err, 0, "%s: %zu warning(s), which --strict makes errors", cfg.path,
			     warn.n);
	else if (rc == 0 && !o->json)
		fprintf(note, "netward: %s is valid%s\n", cfg.path,
			warn.n ? ", with the warnings above" : "");
	return rc;
}
