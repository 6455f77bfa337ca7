#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"

int cli_report(const char *prog, const struct cr_error *err)
{
	fprintf(stderr, "%s: %s\n", prog, cr_error_msg(err));
	return 1;
}

int cli_usage_error(const char *prog, const char *usage, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage)
		fprintf(stderr, "usage: %s\n", usage);
	return 2;
}

bool cli_stdout_is_tty(void)
{
	return isatty(STDOUT_FILENO) == 1;
}
