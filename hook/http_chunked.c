/* Chunked framing followed over bytes passed on verbatim (see http.h). */
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

ssize_t http_chunked_feed(struct http_chunked *c, const char *buf, size_t len, bool *done)
{
	size_t i = 0;

	*done = false;
	while (i < len) {
		char ch = buf[i];
		int hv;

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
			memset(c, 0, sizeof(*c));
			return (ssize_t)(i + 1);
		default:
			return -1;
		}
	}
	return (ssize_t)i;
}
