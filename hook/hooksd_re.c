/* hooks.d `when` patterns: Go RE2 syntax, matched with POSIX ERE.
 *
 * The two agree on literals, '.', bracket expressions with POSIX classes,
 * groups, alternation, '^', '$' (no multi-line mode on either side), and the
 * greedy quantifiers '*', '+', '?', {n}, {n,}, {n,m}. A pattern using
 * anything else is refused here rather than matched differently: '\' before
 * a letter or digit (\d, \w, \b, \pL, \1...), GNU's \< \> \` \', '\' inside
 * brackets (RE2 escapes, POSIX is literal), [. .] and [= =], (?...) flags and
 * non-capturing groups, lazy or stacked quantifiers, a quantifier with
 * nothing before it, a '{' that is not an interval (escape it as \{),
 * intervals over 1000, and non-ASCII bytes. '.' and [^...] count bytes where
 * RE2 counts UTF-8 characters: such a pattern is marked, and matching it
 * against a non-ASCII value is an error. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hooksd.h"

static bool is_quant(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* An interval at p ('{'): {n}, {n,} or {n,m}, n <= m <= 1000. Returns its
 * length, 0 if it is not one. */
static size_t interval_len(const char *p)
{
	const char *q = p + 1;
	long n, m;
	char *end;

	if (*q < '0' || *q > '9')
		return 0;
	n = strtol(q, &end, 10);
	q = end;
	m = n;
	if (*q == ',') {
		q++;
		m = 1000;
		if (*q >= '0' && *q <= '9') {
			m = strtol(q, &end, 10);
			q = end;
		}
	}
	if (*q != '}' || n > 1000 || m > 1000 || m < n)
		return 0;
	return (size_t)(q - p) + 1;
}

/* A bracket expression at p ('['). Returns its length, or 0 when it is one
 * the two syntaxes read differently. */
static size_t bracket_len(const char *p, bool *negated)
{
	const char *q = p + 1;

	*negated = *q == '^';
	if (*negated)
		q++;
	if (*q == ']')
		q++;
	for (; *q != '\0' && *q != ']'; q++) {
		if (*q == '\\')
			return 0;
		if (q[0] == '[' && (q[1] == '.' || q[1] == '='))
			return 0;
		if (q[0] == '[' && q[1] == ':') {
			const char *e = strstr(q + 2, ":]");
			if (e == NULL)
				return 0;
			q = e + 1;
		}
	}
	return *q == ']' ? (size_t)(q - p) + 1 : 0;
}

static int refuse(const char *pattern, size_t at, const char *why, nw_err *err)
{
	char q[256];

	return nw_fail(err, 0, "pattern \"%s\": %s at offset %zu",
		       nw_quote(pattern, 60, q, sizeof(q)), why, at);
}

/* Walks the pattern; sets *byte_sensitive. */
static int check(const char *pat, bool *byte_sensitive, nw_err *err)
{
	bool can_repeat = false; /* is there an atom a quantifier may follow? */

	*byte_sensitive = false;
	for (size_t i = 0; pat[i] != '\0';) {
		unsigned char c = (unsigned char)pat[i];
		if (c >= 0x80 || c < 0x20)
			return refuse(pat, i, "a non-ASCII or control byte", err);
		if (is_quant((char)c)) {
			size_t n = c == '{' ? interval_len(pat + i) : 1;
			if (n == 0)
				return refuse(pat, i, "a '{' that is not an interval (write \\{)",
					      err);
			if (!can_repeat)
				return refuse(pat, i, "a quantifier with nothing to repeat", err);
			if (is_quant(pat[i + n]))
				return refuse(pat, i + n, "a lazy or repeated quantifier", err);
			can_repeat = false;
			i += n;
			continue;
		}
		if (c == '\\') {
			char e = pat[i + 1];
			if (e == '\0' || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
			    (e >= '0' && e <= '9') || strchr("<>`'", e) != NULL)
				return refuse(pat, i, "an escape POSIX ERE reads differently", err);
			i += 2;
			can_repeat = true;
			continue;
		}
		if (c == '[') {
			bool neg;
			size_t n = bracket_len(pat + i, &neg);
			if (n == 0)
				return refuse(pat, i,
					      "a bracket expression with '\\', [. .] or [= =], "
					      "or unclosed",
					      err);
			*byte_sensitive |= neg;
			i += n;
			can_repeat = true;
			continue;
		}
		if (c == '(' && pat[i + 1] == '?')
			return refuse(pat, i, "a (?...) group or flag", err);
		*byte_sensitive |= c == '.';
		can_repeat = !(c == '(' || c == '|' || c == '^');
		i++;
	}
	return 0;
}

int hooksd_re_compile(const char *pattern, struct hooksd_re *re, nw_err *err)
{
	char msg[128];
	int rc;

	memset(re, 0, sizeof(*re));
	if (check(pattern, &re->byte_sensitive, err) < 0)
		return -1;
	rc = regcomp(&re->re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char q[256];
		regerror(rc, &re->re, msg, sizeof(msg));
		return nw_fail(err, 0, "pattern \"%s\": %s", nw_quote(pattern, 60, q, sizeof(q)),
			       msg);
	}
	re->compiled = true;
	return 0;
}

void hooksd_re_free(struct hooksd_re *re)
{
	if (re->compiled)
		regfree(&re->re);
	re->compiled = false;
}

int hooksd_re_match(const struct hooksd_re *re, const char *s, bool *match, nw_err *err)
{
	char q[256];

	if (re->byte_sensitive)
		for (const char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80)
				return nw_fail(err, 0,
					       "a pattern with '.' or [^...] cannot be matched "
					       "exactly against the non-ASCII value \"%s\" (POSIX "
					       "ERE counts bytes, RE2 characters)",
					       nw_quote(s, 40, q, sizeof(q)));
	*match = regexec(&re->re, s, 0, NULL, 0) == 0;
	return 0;
}
