/* Chunked framing followed over the bytes passed on (see http.h). Trailer
 * fields are dropped: a proxy may discard them (RFC 9112 7.1.2), and
 * passing them on would let a job add fields after the head netward
 * rewrote, such as a forged job-id header. The framing stays whole: the
 * last chunk and the final CRLF always go on. */
#include "http.h"

#include <ctype.h>
#include <string.h>

enum {
	CH_SIZE, /* first hex digit of a chunk size */
	CH_SIZE_MORE,
	CH_EXT, /* ";ext" up to CR */
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER, /* start of a trailer line, or the final CRLF */
	CH_TRAILER_LINE,
	CH_TRAILER_LF,
	CH_END_LF,
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Is this byte part of a trailer field line (dropped)? */
static bool in_trailer(int state, char ch)
{
	return (state == CH_TRAILER && ch != '\r') || state == CH_TRAILER_LINE ||
	       state == CH_TRAILER_LF;
}

ssize_t http_chunked_feed(struct http_chunked *c, const char *buf, size_t len, char *out,
			  size_t *out_len, bool *done)
{
	size_t i = 0, o = 0;

	*done = false;
	*out_len = 0;
	while (i < len) {
		char ch = buf[i];
		int hv;

		if (c->state != CH_DATA && !in_trailer(c->state, ch))
			out[o++] = ch;
		switch (c->state) {
		case CH_SIZE:
		case CH_SIZE_MORE:
			hv = hexval(ch);
			if (hv >= 0) {
				if (++c->digits > 15)
					return -1;
				c->left = c->left * 16 + (uint64_t)hv;
				c->state = CH_SIZE_MORE;
			} else if (c->state == CH_SIZE) {
				return -1;
			} else if (ch == ';') {
				c->state = CH_EXT;
			} else if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else {
				return -1;
			}
			i++;
			break;
		case CH_EXT:
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (((unsigned char)ch < 0x20 && ch != '\t') || ch == 0x7f)
				return -1;
			if (++c->trailer > HTTP_MAX_LINE)
				return -1;
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return -1;
			c->digits = 0;
			c->trailer = 0;
			c->state = c->left ? CH_DATA : CH_TRAILER;
			i++;
			break;
		case CH_DATA: {
			size_t take = len - i < c->left ? len - i : (size_t)c->left;
			memcpy(out + o, buf + i, take);
			o += take;
			c->left -= take;
			i += take;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
		case CH_TRAILER_LF:
			if (ch != (c->state == CH_DATA_CR ? '\r' : '\n'))
				return -1;
			c->state = c->state == CH_DATA_CR ? CH_DATA_LF : CH_TRAILER;
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return -1;
			c->state = CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			c->state = ch == '\r' ? CH_END_LF : CH_TRAILER_LINE;
			if (ch != '\r' && (ch == ' ' || ch == '\t' || ch == '\n'))
				return -1;
			if (++c->trailer > HTTP_MAX_FIELDS)
				return -1;
			i++;
			break;
		case CH_TRAILER_LINE:
			if (ch == '\r')
				c->state = CH_TRAILER_LF;
			else if (((unsigned char)ch < 0x20 && ch != '\t') || ch == 0x7f)
				return -1;
			if (++c->trailer > HTTP_MAX_FIELDS)
				return -1;
			i++;
			break;
		case CH_END_LF:
			if (ch != '\n')
				return -1;
			*done = true;
			*out_len = o;
			memset(c, 0, sizeof(*c));
			return (ssize_t)(i + 1);
		default:
			return -1;
		}
	}
	*out_len = o;
	return (ssize_t)i;
}
