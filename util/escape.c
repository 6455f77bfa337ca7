/* Quoting user input inside one-line error messages (util/escape.h). */
#define LOG_PREFIX "escape: "
#include "util/escape.h"

#include <string.h>

const char *cr_shown_n(const char *s, size_t len, char buf[CR_SHOWN_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (!s)
		len = 0;
	size_t n = len > CR_SHOWN_MAX ? CR_SHOWN_MAX : len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == '\t' || c == '\r' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : '\\';
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	if (len > n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *cr_shown(const char *s, char buf[CR_SHOWN_SIZE])
{
	return cr_shown_n(s, s ? strlen(s) : 0, buf);
}
