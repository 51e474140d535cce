#include "fw_blocked.h"

#include <string.h>

#include "fw.h"

/* The elements of the one set in nft's JSON listing. */
static const struct json *elements(const struct json *root)
{
	const struct json *items = json_get_arr(root, "nftables");

	for (size_t i = 0; items != NULL && i < items->n; i++) {
		const struct json *set = json_get_obj(items->v[i], "set");
		if (set != NULL)
			return json_get_arr(set, "elem");
	}
	return NULL;
}

static int64_t num(const struct json *j)
{
	int64_t v = 0;

	if (j != NULL && json_int(j, 0, INT64_MAX, &v, NULL) < 0)
		v = 0;
	return v;
}

/* One element of the recent set: [ifname, address, protocol, port]. */
static bool recent_elem(const struct json *e, const char *ifname, struct fw_dest *d)
{
	const struct json *o = json_get_obj(e, "elem");
	const struct json *val = json_get_obj(o, "val");
	const struct json *c = json_get_arr(val, "concat");
	const char *ifn, *addr, *proto;

	if (c == NULL || c->n != 4)
		return false;
	ifn = c->v[0]->type == JSON_STRING ? c->v[0]->s : NULL;
	addr = c->v[1]->type == JSON_STRING ? c->v[1]->s : NULL;
	/* nft names the protocols it knows, numbers the others. */
	proto = c->v[2]->type == JSON_STRING ? c->v[2]->s : NULL;
	if (ifn == NULL || addr == NULL || strcmp(ifn, ifname) != 0)
		return false;
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	if (proto != NULL)
		snprintf(d->proto, sizeof(d->proto), "%s", proto);
	else
		snprintf(d->proto, sizeof(d->proto), "%lld", (long long)num(c->v[2]));
	d->port = (unsigned)num(c->v[3]);
	d->expires = (unsigned)num(json_get(o, "expires"));
	return true;
}

void fw_blocked_of(const struct fw_snapshot *s, const char *ifname, struct fw_blocked *out)
{
	const struct json *el = elements(s->blocked);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; el != NULL && i < el->n; i++) {
		const struct json *o = json_get_obj(el->v[i], "elem");
		const char *v = json_get_str(o, "val");
		if (v != NULL && strcmp(v, ifname) == 0)
			out->count = (uint64_t)num(json_get(json_get_obj(o, "counter"), "packets"));
	}
	el = elements(s->recent);
	for (size_t i = 0; el != NULL && i < el->n; i++) {
		struct fw_dest d;
		if (!recent_elem(el->v[i], ifname, &d))
			continue;
		/* Newest first: the most time left. Insertion into a short
		 * array, its last entry dropped when full. */
		size_t k = out->n < FW_BLOCKED_SHOWN ? out->n++ : FW_BLOCKED_SHOWN;
		while (k > 0 && out->d[k - 1].expires < d.expires) {
			if (k < FW_BLOCKED_SHOWN)
				out->d[k] = out->d[k - 1];
			k--;
		}
		if (k < FW_BLOCKED_SHOWN)
			out->d[k] = d;
	}
}

const char *fw_dest_str(const struct fw_dest *d, char *buf, size_t len)
{
	if (d->port != 0 || strcmp(d->proto, "tcp") == 0 || strcmp(d->proto, "udp") == 0)
		snprintf(buf, len, "%s:%u/%s", d->addr, d->port, d->proto);
	else
		snprintf(buf, len, "%s/%s", d->addr, d->proto);
	return buf;
}

void fw_blocked_render_out(FILE *f, const struct json *recent, const char *ifname)
{
	const struct json *el = elements(recent);

	for (size_t i = 0; el != NULL && i < el->n; i++) {
		struct fw_dest d;
		char key[96];
		if (!recent_elem(el->v[i], ifname, &d))
			continue;
		/* Only what nft printed, checked: an address and a protocol
		 * name of [a-z0-9] or a number. */
		if (strspn(d.addr, "0123456789.") != strlen(d.addr) ||
		    strspn(d.proto, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(d.proto))
			continue;
		snprintf(key, sizeof(key), "\"%s\" . %s . %s . %u", ifname, d.addr, d.proto,
			 d.port);
		fprintf(f, "add element inet " FW_TABLE " " FW_RECENT_SET " { %s timeout 1s }\n",
			key);
		fprintf(f, "delete element inet " FW_TABLE " " FW_RECENT_SET " { %s }\n", key);
	}
}

int fw_blocked_snapshot(struct fw_snapshot *s, nw_err *err)
{
	memset(s, 0, sizeof(*s));
	if (fw_list_set(FW_BLOCKED_SET, &s->blocked, err) < 0 ||
	    fw_list_set(FW_RECENT_SET, &s->recent, err) < 0) {
		fw_blocked_snapshot_free(s);
		return -1;
	}
	return 0;
}

void fw_blocked_snapshot_free(struct fw_snapshot *s)
{
	json_free(s->blocked);
	json_free(s->recent);
	memset(s, 0, sizeof(*s));
}
