/* A small JSON tree of our own. yajl is used only inside json.c, so the
 * parser can be swapped without touching any other module. */
#ifndef NW_JSON_H
#define NW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool b;	     /* JSON_BOOL */
	char *s;     /* JSON_STRING: the text; JSON_NUMBER: the literal as written */
	size_t n;    /* JSON_ARRAY, JSON_OBJECT: number of members */
	char **keys; /* JSON_OBJECT */
	struct json **v;
};

/* Parses len bytes (no NUL needed). Refuses duplicate object keys, nesting
 * deeper than 64 and inputs with embedded NUL bytes. */
struct json *json_parse(const char *buf, size_t len, nw_err *err);
/* Compact rendering; pretty adds newlines and indentation. Caller frees. */
char *json_render(const struct json *j, bool pretty, nw_err *err);
void json_free(struct json *j);
static inline void json_freep(struct json **j)
{
	json_free(*j);
	*j = NULL;
}
#define cleanup_json __attribute__((cleanup(json_freep)))

/* Lookup; NULL when absent or when obj is not an object. */
struct json *json_get(const struct json *obj, const char *key);
/* Typed lookups: NULL when absent or of another type. */
const char *json_get_str(const struct json *obj, const char *key);
struct json *json_get_obj(const struct json *obj, const char *key);
struct json *json_get_arr(const struct json *obj, const char *key);
/* Parses a JSON_NUMBER as an integer in [min, max] (EINVAL when j is
 * absent or no integer, ERANGE when out of range). Callers with a message of
 * their own, or a default for a bad value, pass a NULL err. */
int json_int(const struct json *j, int64_t min, int64_t max, int64_t *out, nw_err *err);

struct json *json_new(enum json_type type);
struct json *json_new_str(const char *s);
struct json *json_new_int(int64_t v);
/* Takes ownership of val (also on failure). Replaces an existing key. */
int json_set(struct json *obj, const char *key, struct json *val, nw_err *err);
int json_push(struct json *arr, struct json *val, nw_err *err);
/* Removes key from obj; no-op when absent. */
void json_del(struct json *obj, const char *key);

#endif
