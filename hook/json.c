#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "cleanup.h"

#define JSON_MAX_DEPTH 64

static void yajl_tree_freep(yajl_val *v)
{
	if (*v != NULL)
		yajl_tree_free(*v);
	*v = NULL;
}
#define cleanup_yajl_val __attribute__((cleanup(yajl_tree_freep)))

static void yajl_gen_freep(yajl_gen *g)
{
	if (*g != NULL)
		yajl_gen_free(*g);
	*g = NULL;
}
#define cleanup_yajl_gen __attribute__((cleanup(yajl_gen_freep)))

void json_free(struct json *j)
{
	if (j == NULL)
		return;
	free(j->s);
	for (size_t i = 0; i < j->n; i++) {
		if (j->keys)
			free(j->keys[i]);
		json_free(j->v[i]);
	}
	free(j->keys);
	free(j->v);
	free(j);
}

struct json *json_new(enum json_type type)
{
	struct json *j = calloc(1, sizeof(*j));
	if (j != NULL)
		j->type = type;
	return j;
}

struct json *json_new_str(const char *s)
{
	struct json *j = json_new(JSON_STRING);
	if (j == NULL)
		return NULL;
	j->s = strdup(s);
	if (j->s == NULL) {
		free(j);
		return NULL;
	}
	return j;
}

struct json *json_new_int(int64_t v)
{
	struct json *j = json_new(JSON_NUMBER);
	if (j == NULL)
		return NULL;
	if (asprintf(&j->s, "%lld", (long long)v) < 0) {
		free(j);
		return NULL;
	}
	return j;
}

static int grow(struct json *j, bool with_keys)
{
	struct json **v = realloc(j->v, (j->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	j->v = v;
	if (with_keys) {
		char **k = realloc(j->keys, (j->n + 1) * sizeof(*k));
		if (k == NULL)
			return -1;
		j->keys = k;
	}
	return 0;
}

int json_set(struct json *obj, const char *key, struct json *val, nw_err *err)
{
	if (obj == NULL || obj->type != JSON_OBJECT || val == NULL) {
		json_free(val);
		return nw_fail(err, ENOMEM, "setting JSON key \"%s\"", key);
	}
	for (size_t i = 0; i < obj->n; i++) {
		if (strcmp(obj->keys[i], key) == 0) {
			json_free(obj->v[i]);
			obj->v[i] = val;
			return 0;
		}
	}
	char *k = strdup(key);
	if (k == NULL || grow(obj, true) < 0) {
		free(k);
		json_free(val);
		return nw_fail(err, ENOMEM, "setting JSON key \"%s\"", key);
	}
	obj->keys[obj->n] = k;
	obj->v[obj->n++] = val;
	return 0;
}

int json_push(struct json *arr, struct json *val, nw_err *err)
{
	if (arr == NULL || arr->type != JSON_ARRAY || val == NULL || grow(arr, false) < 0) {
		json_free(val);
		return nw_fail(err, ENOMEM, "appending to a JSON array");
	}
	arr->v[arr->n++] = val;
	return 0;
}

void json_del(struct json *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return;
	for (size_t i = 0; i < obj->n; i++) {
		if (strcmp(obj->keys[i], key) != 0)
			continue;
		free(obj->keys[i]);
		json_free(obj->v[i]);
		memmove(&obj->keys[i], &obj->keys[i + 1], (obj->n - i - 1) * sizeof(char *));
		memmove(&obj->v[i], &obj->v[i + 1], (obj->n - i - 1) * sizeof(struct json *));
		obj->n--;
		return;
	}
}

struct json *json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->v[i];
	return NULL;
}

const char *json_get_str(const struct json *obj, const char *key)
{
	struct json *j = json_get(obj, key);
	return j != NULL && j->type == JSON_STRING ? j->s : NULL;
}

struct json *json_get_obj(const struct json *obj, const char *key)
{
	struct json *j = json_get(obj, key);
	return j != NULL && j->type == JSON_OBJECT ? j : NULL;
}

struct json *json_get_arr(const struct json *obj, const char *key)
{
	struct json *j = json_get(obj, key);
	return j != NULL && j->type == JSON_ARRAY ? j : NULL;
}

int json_int(const struct json *j, int64_t min, int64_t max, int64_t *out, nw_err *err)
{
	char *end;
	long long v;

	if (j == NULL || j->type != JSON_NUMBER || j->s == NULL)
		return nw_fail_code(err, EINVAL, "expected an integer");
	errno = 0;
	v = strtoll(j->s, &end, 10);
	if (errno != 0 || *end != '\0' || end == j->s || v < min || v > max)
		return nw_fail_code(err, ERANGE, "expected an integer from %lld to %lld",
				    (long long)min, (long long)max);
	*out = v;
	return 0;
}

static struct json *copy(yajl_val v, int depth, nw_err *err)
{
	struct json *j = NULL;

	if (depth > JSON_MAX_DEPTH) {
		nw_fail(err, 0, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	switch (v->type) {
	case yajl_t_string:
		j = json_new_str(v->u.string);
		break;
	case yajl_t_number:
		j = json_new(JSON_NUMBER);
		if (j != NULL && (j->s = strdup(v->u.number.r)) == NULL) {
			free(j);
			j = NULL;
		}
		break;
	case yajl_t_true:
	case yajl_t_false:
		j = json_new(JSON_BOOL);
		if (j != NULL)
			j->b = v->type == yajl_t_true;
		break;
	case yajl_t_null:
		j = json_new(JSON_NULL);
		break;
	case yajl_t_array:
		j = json_new(JSON_ARRAY);
		for (size_t i = 0; j != NULL && i < v->u.array.len; i++) {
			struct json *c = copy(v->u.array.values[i], depth + 1, err);
			if (c == NULL || json_push(j, c, err) < 0) {
				json_free(j);
				return NULL;
			}
		}
		break;
	case yajl_t_object:
		j = json_new(JSON_OBJECT);
		for (size_t i = 0; j != NULL && i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];
			if (json_get(j, k) != NULL) {
				nw_fail(err, 0, "JSON object has the key \"%s\" twice", k);
				json_free(j);
				return NULL;
			}
			struct json *c = copy(v->u.object.values[i], depth + 1, err);
			if (c == NULL || json_set(j, k, c, err) < 0) {
				json_free(j);
				return NULL;
			}
		}
		break;
	default:
		nw_fail(err, 0, "unexpected JSON value");
		return NULL;
	}
	if (j == NULL)
		nw_fail(err, ENOMEM, "copying JSON");
	return j;
}

/* yajl builds (and frees) its tree recursively, so a deep input would
 * overflow the stack before copy() could count levels: count them first,
 * skipping strings. */
static bool too_deep(const char *buf, size_t len)
{
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return true;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return false;
}

/* Line and column (from 1) of byte off, columns counted in bytes. */
static void line_col(const char *buf, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Strict JSON, as RFC 8259 has it: yajl_tree_parse allows comments, so a
 * validating pass with yajl's defaults (comments refused) runs first and
 * says where the first error is. */
static int json_strict(const char *text, size_t len, nw_err *err)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	yajl_status st;
	unsigned line, col;
	size_t off;

	if (h == NULL)
		return nw_fail(err, ENOMEM, "parsing JSON");
	st = yajl_parse(h, (const unsigned char *)text, len);
	/* yajl stops just past the byte it refused. */
	off = yajl_get_bytes_consumed(h);
	off = off > len ? len : off > 0 ? off - 1 : 0;
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		off = len;
	}
	if (st == yajl_status_ok) {
		yajl_free(h);
		return 0;
	}
	/* ... except at a comment, where it stops just before the '/'. */
	if (off + 1 < len && text[off] != '/' && text[off + 1] == '/')
		off++;
	line_col(text, off, &line, &col);
	if (off < len && text[off] == '/') {
		yajl_free(h);
		return nw_fail(err, 0,
			       "line %u, column %u: a comment, which JSON does not allow (the "
			       "node config is strict JSON): remove it",
			       line, col);
	}
	unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
	if (msg != NULL)
		msg[strcspn((char *)msg, "\n")] = '\0';
	nw_fail(err, 0, "invalid JSON at line %u, column %u: %s", line, col,
		msg != NULL ? (const char *)msg : "parse error");
	if (msg != NULL)
		yajl_free_error(h, msg);
	yajl_free(h);
	return -1;
}

struct json *json_parse(const char *buf, size_t len, nw_err *err)
{
	char errbuf[256] = "";
	cleanup_free char *text = NULL;
	cleanup_yajl_val yajl_val tree = NULL;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		nw_fail(err, 0,
			"the text starts with a UTF-8 byte order mark (BOM), which JSON does not "
			"allow: save it as UTF-8 without a BOM (sed -i '1s/^\\xEF\\xBB\\xBF//' "
			"FILE)");
		return NULL;
	}
	if (memchr(buf, '\0', len) != NULL) {
		nw_fail(err, 0, "JSON input contains a NUL byte");
		return NULL;
	}
	if (too_deep(buf, len)) {
		nw_fail(err, 0, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	if (json_strict(buf, len, err) < 0)
		return NULL;
	text = malloc(len + 1);
	if (text == NULL) {
		nw_fail(err, ENOMEM, "parsing JSON");
		return NULL;
	}
	memcpy(text, buf, len);
	text[len] = '\0';
	tree = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	if (tree == NULL) {
		/* yajl's message spans lines; keep the first one. */
		errbuf[strcspn(errbuf, "\n")] = '\0';
		nw_fail(err, 0, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
		return NULL;
	}
	return copy(tree, 0, err);
}

static int gen(yajl_gen g, const struct json *j)
{
	yajl_gen_status rc = yajl_gen_status_ok;

	switch (j->type) {
	case JSON_NULL:
		return yajl_gen_null(g);
	case JSON_BOOL:
		return yajl_gen_bool(g, j->b);
	case JSON_NUMBER:
		return yajl_gen_number(g, j->s, strlen(j->s));
	case JSON_STRING:
		return yajl_gen_string(g, (const unsigned char *)j->s, strlen(j->s));
	case JSON_ARRAY:
		rc = yajl_gen_array_open(g);
		for (size_t i = 0; rc == yajl_gen_status_ok && i < j->n; i++)
			rc = gen(g, j->v[i]);
		return rc == yajl_gen_status_ok ? yajl_gen_array_close(g) : rc;
	case JSON_OBJECT:
		rc = yajl_gen_map_open(g);
		for (size_t i = 0; rc == yajl_gen_status_ok && i < j->n; i++) {
			rc = yajl_gen_string(g, (const unsigned char *)j->keys[i],
					     strlen(j->keys[i]));
			if (rc == yajl_gen_status_ok)
				rc = gen(g, j->v[i]);
		}
		return rc == yajl_gen_status_ok ? yajl_gen_map_close(g) : rc;
	}
	return yajl_gen_invalid_string;
}

char *json_render(const struct json *j, bool pretty, nw_err *err)
{
	cleanup_yajl_gen yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *out;
	size_t len;
	char *s;

	if (g == NULL) {
		nw_fail(err, ENOMEM, "rendering JSON");
		return NULL;
	}
	yajl_gen_config(g, yajl_gen_beautify, pretty ? 1 : 0);
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	if (gen(g, j) != yajl_gen_status_ok ||
	    yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok) {
		nw_fail(err, 0, "rendering JSON: invalid value (bad UTF-8?)");
		return NULL;
	}
	s = malloc(len + 1);
	if (s == NULL) {
		nw_fail(err, ENOMEM, "rendering JSON");
		return NULL;
	}
	memcpy(s, out, len);
	s[len] = '\0';
	return s;
}
