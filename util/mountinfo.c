#include "util/mountinfo.h"

static int is_octal(char c, char max)
{
	return c >= '0' && c <= max;
}

void cr_mountinfo_unescape(char *s)
{
	char *out = s;
	for (const char *in = s; *in; out++) {
		/* A NUL among the digits fails its test before anything past it is read. */
		if (in[0] == '\\' && is_octal(in[1], '3') && is_octal(in[2], '7') && is_octal(in[3], '7')) {
			*out = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 4;
		} else {
			*out = *in++;
		}
	}
	*out = '\0';
}
