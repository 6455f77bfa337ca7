/* The CLI's one reporting point: every error and usage error reaches the user
 * through these, on one line, whatever names or values it quotes. */
#define LOG_PREFIX "cli: "
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"

/* S with its control characters escaped (\n, \r, \t, \xNN), so a partition
 * name holding a newline cannot split the message or forge a second one. */
static void put_one_line(FILE *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '\r')
			fputs("\\r", out);
		else if (*c == '\t')
			fputs("\\t", out);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
}

int cli_report(const char *prog, const struct cr_error *err)
{
	fprintf(stderr, "%s: ", prog);
	put_one_line(stderr, cr_error_msg(err));
	fputc('\n', stderr);
	return 1;
}

int cli_usage_error(const char *prog, const char *usage, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: ", prog);
	put_one_line(stderr, n < 0 ? "out of memory" : msg);
	fputc('\n', stderr);
	free(n < 0 ? NULL : msg);
	if (usage)
		fprintf(stderr, "usage: %s\n", usage);
	return 2;
}
