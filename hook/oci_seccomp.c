/* The container-side seccomp additions (seccomp/container.json), merged into
 * config.json's linux.seccomp.
 *
 * Why: a network namespace confines every address family the kernel keeps
 * per namespace, but not AF_VSOCK, which reaches the hypervisor or host
 * whatever namespace the socket was made in; and io_uring can create sockets
 * without the socket(2) system call, past any filter on it. Every mode gets
 * the additions, full mode too: a job must reach no host service.
 *
 * How: a config without linux.seccomp gets a profile that allows everything
 * else (defaultAction SCMP_ACT_ALLOW), so nothing a job did before breaks.
 * A config with a profile keeps it, but merely appending our rules would not
 * work: libseccomp lets an overlapping allowing rule win (podman's own
 * profile allows socket(2) when arg0 != AF_NETLINK, which includes
 * AF_VSOCK). So every permissive rule that names one of our system calls is
 * narrowed to exclude what our rules deny, and our rules are added when the
 * default action is permissive. Narrowing works on argument 0 only and keeps
 * one comparison per argument per rule, because runc turns several
 * comparisons of the same argument into separate rules (an OR). Exclusions
 * are expressed as SCMP_CMP_MASKED_EQ patterns: (arg & mask) == value.
 *
 * Every entry: a 64-bit x86 process also enters the i386 system calls
 * (int $0x80), socketcall among them, and the x32 ones. Our own profile
 * lists those ABIs (see arches) and refuses socketcall(SYS_SOCKET and
 * SYS_SOCKETPAIR); a runtime's profile that allows socket(2) loses the i386
 * ABI (see allows_socket). prestart checks that config.json carries all of
 * this (oci_seccomp_check). */
#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "oci_seccomp.h"

#define PATS_MAX 256

const char oci_seccomp_json[] =
#include "container_seccomp.h"
    ;

/* seccomp/container.json states errno values as numbers. */
_Static_assert(EAFNOSUPPORT == 97 && ENOSYS == 38, "seccomp/container.json errno values");

struct pat {
	uint64_t mask, value;
};

struct pats {
	size_t n;
	struct pat p[PATS_MAX];
};

static int pats_add(struct pats *s, struct pat p, nw_err *err)
{
	if (s->n == PATS_MAX)
		return nw_fail(err, 0,
			       "config.json's seccomp profile: narrowing a rule needs more "
			       "than %d rules",
			       PATS_MAX);
	s->p[s->n++] = p;
	return 0;
}

/* Everything that p does not match, as disjoint patterns: for each mask bit
 * from the top, the values that agree with p above it and differ on it. */
static int complement_one(struct pat p, struct pats *out, nw_err *err)
{
	out->n = 0;
	for (int b = 63; b >= 0; b--) {
		uint64_t bit = (uint64_t)1 << b;
		uint64_t above = p.mask & ~(bit | (bit - 1));
		if (!(p.mask & bit))
			continue;
		struct pat q = {above | bit, (p.value & above) | (~p.value & bit)};
		if (pats_add(out, q, err) < 0)
			return -1;
	}
	return 0;
}

/* Adds to out what a matches and d does not: nothing when d covers a, a
 * itself when they are disjoint, else one piece per bit that d fixes and a
 * leaves free (as in complement_one, within a). */
static int subtract(struct pat a, struct pat d, struct pats *out, nw_err *err)
{
	uint64_t free_bits = d.mask & ~a.mask;

	if ((a.value ^ d.value) & a.mask & d.mask)
		return pats_add(out, a, err);
	for (int b = 63; b >= 0; b--) {
		uint64_t bit = (uint64_t)1 << b;
		uint64_t above = free_bits & ~(bit | (bit - 1));
		if (!(free_bits & bit))
			continue;
		struct pat q = {a.mask | above | bit,
				a.value | (d.value & above) | (~d.value & bit)};
		if (pats_add(out, q, err) < 0)
			return -1;
	}
	return 0;
}

/* s minus every pattern of d, in place. */
static int subtract_all(struct pats *s, const struct pats *d, nw_err *err)
{
	cleanup_free struct pats *t = malloc(sizeof(*t));

	if (t == NULL)
		return nw_fail(err, ENOMEM, "seccomp patterns");
	for (size_t k = 0; k < d->n; k++) {
		t->n = 0;
		for (size_t i = 0; i < s->n; i++)
			if (subtract(s->p[i], d->p[k], t, err) < 0)
				return -1;
		*s = *t;
	}
	return 0;
}

static uint64_t num(const struct json *j)
{
	return j != NULL && j->type == JSON_NUMBER && j->s ? strtoull(j->s, NULL, 10) : 0;
}

static const struct json *arg0(const struct json *rule, size_t *count)
{
	const struct json *args = json_get_arr(rule, "args"), *found = NULL;

	*count = 0;
	for (size_t i = 0; args != NULL && i < args->n; i++) {
		if (num(json_get(args->v[i], "index")) == 0) {
			found = args->v[i];
			(*count)++;
		}
	}
	return found;
}

static const char *first_name(const struct json *rule)
{
	const struct json *names = json_get_arr(rule, "names");

	if (names != NULL && names->n > 0 && names->v[0]->type == JSON_STRING)
		return names->v[0]->s;
	return "a system call";
}

/* The values of argument 0 a rule matches, as patterns. */
static int rule_pats(const struct json *rule, struct pats *out, nw_err *err)
{
	size_t count;
	const struct json *a = arg0(rule, &count);
	const char *op = json_get_str(a, "op");
	uint64_t v = num(json_get(a, "value")), v2 = num(json_get(a, "valueTwo"));

	out->n = 0;
	if (count == 0)
		return pats_add(out, (struct pat){0, 0}, err);
	if (count == 1 && op != NULL && strcmp(op, "SCMP_CMP_EQ") == 0)
		return pats_add(out, (struct pat){UINT64_MAX, v}, err);
	if (count == 1 && op != NULL && strcmp(op, "SCMP_CMP_MASKED_EQ") == 0)
		return (v2 & ~v) ? 0 : pats_add(out, (struct pat){v, v2}, err);
	/* socket(2)'s first argument is an int, so the kernel reads 32 bits of
	 * it: "!= v" is taken on those, which can only narrow the rule. */
	if (count == 1 && op != NULL && strcmp(op, "SCMP_CMP_NE") == 0)
		return complement_one((struct pat){UINT32_MAX, v & UINT32_MAX}, out, err);
	return nw_fail(err, 0,
		       "config.json's seccomp profile allows \"%s\" under a condition on its "
		       "first argument that netward cannot narrow (only one SCMP_CMP_EQ, _NE or "
		       "_MASKED_EQ is understood)",
		       first_name(rule));
}

static bool names_has(const struct json *names, const char *name)
{
	for (size_t i = 0; names != NULL && i < names->n; i++)
		if (names->v[i]->type == JSON_STRING && strcmp(names->v[i]->s, name) == 0)
			return true;
	return false;
}

/* What our rules deny for name, as patterns of argument 0. */
static int denied(const struct json *ours, const char *name, struct pats *out, nw_err *err)
{
	struct pats one;

	out->n = 0;
	for (size_t i = 0; i < ours->n; i++) {
		if (!names_has(json_get_arr(ours->v[i], "names"), name))
			continue;
		if (rule_pats(ours->v[i], &one, err) < 0)
			return -1;
		for (size_t k = 0; k < one.n; k++)
			if (pats_add(out, one.p[k], err) < 0)
				return -1;
	}
	return 0;
}

static struct json *clone(const struct json *j)
{
	cleanup_json struct json *c = json_new(j->type);

	if (c == NULL)
		return NULL;
	c->b = j->b;
	if (j->s != NULL && (c->s = strdup(j->s)) == NULL)
		return NULL;
	for (size_t i = 0; i < j->n; i++) {
		struct json *v = clone(j->v[i]);
		int r = j->type == JSON_OBJECT ? json_set(c, j->keys[i], v, NULL)
					       : json_push(c, v, NULL);
		if (r < 0)
			return NULL;
	}
	return steal_ptr(&c);
}

static struct json *new_u64(uint64_t v)
{
	struct json *j = json_new(JSON_NUMBER);

	if (j != NULL && asprintf(&j->s, "%llu", (unsigned long long)v) < 0) {
		free(j);
		return NULL;
	}
	return j;
}

static struct json *masked_arg(struct pat p, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_OBJECT);

	if (json_set(a, "index", json_new_int(0), err) < 0 ||
	    json_set(a, "value", new_u64(p.mask), err) < 0 ||
	    json_set(a, "valueTwo", new_u64(p.value), err) < 0 ||
	    json_set(a, "op", json_new_str("SCMP_CMP_MASKED_EQ"), err) < 0)
		return NULL;
	return steal_ptr(&a);
}

/* A copy of rule for name alone, with argument 0 limited to p. */
static struct json *narrowed(const struct json *rule, const char *name, struct pat p, nw_err *err)
{
	cleanup_json struct json *r = clone(rule);
	cleanup_json struct json *names = json_new(JSON_ARRAY);
	cleanup_json struct json *args = json_new(JSON_ARRAY);
	const struct json *old = json_get_arr(rule, "args");

	if (r == NULL || names == NULL || args == NULL ||
	    json_push(names, json_new_str(name), err) < 0) {
		nw_fail(err, ENOMEM, "narrowing a seccomp rule");
		return NULL;
	}
	for (size_t i = 0; old != NULL && i < old->n; i++)
		if (num(json_get(old->v[i], "index")) != 0 &&
		    json_push(args, clone(old->v[i]), err) < 0)
			return NULL;
	if (p.mask != 0 && json_push(args, masked_arg(p, err), err) < 0)
		return NULL;
	if (json_set(r, "names", steal_ptr(&names), err) < 0 ||
	    json_set(r, "args", steal_ptr(&args), err) < 0)
		return NULL;
	return steal_ptr(&r);
}

static bool permissive(const char *action)
{
	static const char *const deny[] = {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"};

	for (size_t i = 0; action != NULL && i < sizeof(deny) / sizeof(deny[0]); i++)
		if (strncmp(action, deny[i], strlen(deny[i])) == 0)
			return false;
	return true;
}

/* Adds to out the rule narrowed for one of our names. */
static int narrow_name(const struct json *rule, const struct json *ours, const char *name,
		       struct json *out, nw_err *err)
{
	cleanup_free struct pats *d = malloc(sizeof(*d));
	cleanup_free struct pats *keep = malloc(sizeof(*keep));

	if (d == NULL || keep == NULL)
		return nw_fail(err, ENOMEM, "seccomp patterns");
	if (denied(ours, name, d, err) < 0 || rule_pats(rule, keep, err) < 0 ||
	    subtract_all(keep, d, err) < 0)
		return -1;
	for (size_t i = 0; i < keep->n; i++)
		if (json_push(out, narrowed(rule, name, keep->p[i], err), err) < 0)
			return -1;
	return 0;
}

static bool ours_name(const struct json *ours, const char *name)
{
	for (size_t i = 0; i < ours->n; i++)
		if (names_has(json_get_arr(ours->v[i], "names"), name))
			return true;
	return false;
}

/* Copies rule into out, narrowed where it would allow what ours deny. */
static int merge_rule(const struct json *rule, const struct json *ours, struct json *out,
		      nw_err *err)
{
	const struct json *names = json_get_arr(rule, "names");
	cleanup_json struct json *rest = clone(rule);
	struct json *rest_names = json_get_arr(rest, "names");
	size_t kept = 0;

	if (rest == NULL)
		return nw_fail(err, ENOMEM, "copying a seccomp rule");
	if (names == NULL || !permissive(json_get_str(rule, "action")))
		return json_push(out, steal_ptr(&rest), err);
	for (size_t i = 0; i < names->n; i++) {
		const struct json *n = names->v[i];
		if (n->type != JSON_STRING || !ours_name(ours, n->s)) {
			rest_names->v[kept++] = rest_names->v[i];
			continue;
		}
		json_free(rest_names->v[i]);
		rest_names->v[i] = NULL;
		if (narrow_name(rule, ours, n->s, out, err) < 0) {
			rest_names->n = kept;
			return -1;
		}
	}
	rest_names->n = kept;
	return kept > 0 ? json_push(out, steal_ptr(&rest), err) : 0;
}

static bool same_json(const struct json *a, const struct json *b)
{
	cleanup_free char *x = a ? json_render(a, false, NULL) : NULL;
	cleanup_free char *y = b ? json_render(b, false, NULL) : NULL;

	if (a == NULL || b == NULL)
		return a == b;
	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

/* Is our rule (one name) there already, with the same arguments? Adding it
 * again with another action would make libseccomp refuse the profile. */
static bool present(const struct json *rules, const struct json *our)
{
	const struct json *name = json_get_arr(our, "names")->v[0];
	const struct json *args = json_get_arr(our, "args");

	for (size_t i = 0; i < rules->n; i++) {
		const struct json *a = json_get_arr(rules->v[i], "args");
		if (names_has(json_get_arr(rules->v[i], "names"), name->s) &&
		    same_json(a && a->n ? a : NULL, args && args->n ? args : NULL))
			return true;
	}
	return false;
}

/* On x86, libseccomp turns every rule on socket(2) or socketpair(2) into
 * one on socketcall(SYS_SOCKET or SYS_SOCKETPAIR) as well, and drops the
 * family there (it is behind a pointer): a rule that allows socket(AF_INET)
 * allows socketcall(SYS_SOCKET) with any family, and no later rule can take
 * that back (libseccomp keeps the first, or refuses the profile). So a
 * profile that allows socket(2) or socketpair(2) in any form loses the i386
 * ABI: the runtime's action for a foreign architecture (runc and crun kill)
 * then meets every int $0x80. */
static bool allows_socket(const struct json *rules)
{
	for (size_t i = 0; i < rules->n; i++) {
		const struct json *names = json_get_arr(rules->v[i], "names");
		if (permissive(json_get_str(rules->v[i], "action")) &&
		    (names_has(names, "socket") || names_has(names, "socketpair")))
			return true;
	}
	return false;
}

static void drop_arch(struct json *seccomp, const char *arch)
{
	struct json *a = json_get(seccomp, "architectures");
	size_t kept = 0;

	for (size_t i = 0; a != NULL && a->type == JSON_ARRAY && i < a->n; i++) {
		if (a->v[i]->type == JSON_STRING && strcmp(a->v[i]->s, arch) == 0)
			json_free(a->v[i]);
		else
			a->v[kept++] = a->v[i];
	}
	if (a != NULL && a->type == JSON_ARRAY)
		a->n = kept;
}

static int merge(struct json *seccomp, const struct json *ours, nw_err *err)
{
	struct json *old = json_get(seccomp, "syscalls");
	cleanup_json struct json *out = json_new(JSON_ARRAY);
	const char *def = json_get_str(seccomp, "defaultAction");

	if (out == NULL)
		return nw_fail(err, ENOMEM, "merging seccomp rules");
	if (old != NULL && old->type != JSON_ARRAY)
		return nw_fail(err, 0, "config.json: \"linux.seccomp.syscalls\" must be an array");
	if (def == NULL)
		return nw_fail(err, 0, "config.json: \"linux.seccomp\" has no \"defaultAction\"");
	for (size_t i = 0; old != NULL && i < old->n; i++)
		if (merge_rule(old->v[i], ours, out, err) < 0)
			return -1;
	/* Under a denying default, narrowing alone already denies what ours do. */
	for (size_t i = 0; permissive(def) && i < ours->n; i++)
		if (!present(out, ours->v[i]) && json_push(out, clone(ours->v[i]), err) < 0)
			return -1;
	if (allows_socket(out))
		drop_arch(seccomp, "SCMP_ARCH_X86");
	return json_set(seccomp, "syscalls", steal_ptr(&out), err);
}

/* Every system call ABI a process of this machine's architecture can
 * enter: a 64-bit x86 process reaches the i386 entries (int $0x80, among
 * them socketcall) and the x32 ones. A profile that lists only the native
 * one would kill every 32-bit program; listing them all lets our rules,
 * socketcall's among them, apply to each. */
static const char *const arches[] = {
#if defined(__x86_64__)
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X32",
#elif defined(__aarch64__)
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_ARM",
#endif
    NULL,
};

static struct json *allow_all_profile(const struct json *ours, nw_err *err)
{
	cleanup_json struct json *p = json_new(JSON_OBJECT);
	cleanup_json struct json *a = json_new(JSON_ARRAY);

	if (p == NULL || a == NULL) {
		nw_fail(err, ENOMEM, "a seccomp profile");
		return NULL;
	}
	for (size_t i = 0; arches[i] != NULL; i++)
		if (json_push(a, json_new_str(arches[i]), err) < 0)
			return NULL;
	if (json_set(p, "defaultAction", json_new_str("SCMP_ACT_ALLOW"), err) < 0 ||
	    (a->n > 0 && json_set(p, "architectures", steal_ptr(&a), err) < 0) ||
	    json_set(p, "syscalls", clone(ours), err) < 0)
		return NULL;
	return steal_ptr(&p);
}

int oci_seccomp_patch(struct json *config, nw_err *err)
{
	cleanup_json struct json *ours =
	    json_parse(oci_seccomp_json, strlen(oci_seccomp_json), err);
	struct json *lx = json_get(config, "linux"), *seccomp;

	if (ours == NULL || ours->type != JSON_ARRAY)
		return nw_fail(err, 0, "the built-in seccomp/container.json is not a JSON array");
	if (lx == NULL) {
		if (json_set(config, "linux", json_new(JSON_OBJECT), err) < 0)
			return -1;
		lx = json_get(config, "linux");
	}
	if (lx->type != JSON_OBJECT)
		return nw_fail(err, 0, "config.json: \"linux\" must be an object");
	seccomp = json_get(lx, "seccomp");
	if (seccomp == NULL)
		return json_set(lx, "seccomp", allow_all_profile(ours, err), err);
	if (seccomp->type != JSON_OBJECT)
		return nw_fail(err, 0, "config.json: \"linux.seccomp\" must be an object");
	return merge(seccomp, ours, err);
}

/* A profile as text that does not depend on how it was written: runtimes
 * re-serialise config.json (podman drops a zero "valueTwo"). */
static int canon(const struct json *sc, FILE *f)
{
	const struct json *rules = json_get_arr(sc, "syscalls");
	const struct json *ar = json_get_arr(sc, "architectures");

	fprintf(f, "default %s %llu\narches", json_get_str(sc, "defaultAction") ?: "-",
		(unsigned long long)num(json_get(sc, "defaultErrnoRet")));
	for (size_t i = 0; ar != NULL && i < ar->n; i++)
		fprintf(f, " %s", ar->v[i]->type == JSON_STRING ? ar->v[i]->s : "?");
	for (size_t i = 0; rules != NULL && i < rules->n; i++) {
		const struct json *r = rules->v[i], *names = json_get_arr(r, "names");
		const struct json *args = json_get_arr(r, "args");
		fprintf(f, "\nrule %s %llu", json_get_str(r, "action") ?: "-",
			(unsigned long long)num(json_get(r, "errnoRet")));
		for (size_t k = 0; names != NULL && k < names->n; k++)
			fprintf(f, " %s", names->v[k]->type == JSON_STRING ? names->v[k]->s : "?");
		for (size_t k = 0; args != NULL && k < args->n; k++)
			fprintf(f, " [%llu %llu %llu %s]",
				(unsigned long long)num(json_get(args->v[k], "index")),
				(unsigned long long)num(json_get(args->v[k], "value")),
				(unsigned long long)num(json_get(args->v[k], "valueTwo")),
				json_get_str(args->v[k], "op") ?: "-");
	}
	return ferror(f) ? -1 : 0;
}

static char *canon_text(const struct json *sc, nw_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		nw_fail(err, errno, "open_memstream");
		return NULL;
	}
	if (sc != NULL && canon(sc, f) < 0) {
		fclose(f);
		free(buf);
		nw_fail(err, ENOMEM, "rendering a seccomp profile");
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		nw_fail(err, ENOMEM, "rendering a seccomp profile");
		return NULL;
	}
	return buf;
}

int oci_seccomp_check(const struct json *config, nw_err *err)
{
	const struct json *lx = json_get(config, "linux");
	const struct json *have = json_get(lx, "seccomp");
	cleanup_json struct json *copy = json_new(JSON_OBJECT);
	cleanup_json struct json *clx = json_new(JSON_OBJECT);
	cleanup_free char *before = NULL, *after = NULL;

	if (copy == NULL || clx == NULL)
		return nw_fail(err, ENOMEM, "checking config.json's seccomp profile");
	if (have != NULL && json_set(clx, "seccomp", clone(have), err) < 0)
		return -1;
	if (json_set(copy, "linux", steal_ptr(&clx), err) < 0)
		return -1;
	before = canon_text(have, err);
	if (before == NULL || oci_seccomp_patch(copy, err) < 0)
		return nw_wrap(err, "checking config.json's seccomp profile");
	after = canon_text(json_get(json_get(copy, "linux"), "seccomp"), err);
	if (after == NULL)
		return -1;
	if (have == NULL || strcmp(before, after) != 0)
		return nw_fail(
		    err, 0,
		    "config.json lacks netward's seccomp additions (linux.seccomp), so "
		    "the job could open AF_VSOCK sockets or use io_uring past its network; "
		    "run `netward patch-bundle` on the bundle (or install the precreate "
		    "hook) instead of adding the hooks by hand");
	return 0;
}
