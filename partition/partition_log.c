/* The per-partition log: what happened to it and why (AIX's wparerr). */
#include "partition/lifecycle.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "partition/state.h"
#include "util/cleanup.h"

int cr_partition_log_path(const char *name, char **ret_path, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_state_dir(name, &dir, err);
	if (r < 0)
		return r;
	if (asprintf(ret_path, "%s/log", dir) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

void cr_partition_log(const char *name, const char *fmt, ...)
{
	cleanup_free char *path = NULL;
	if (cr_partition_log_path(name, &path, NULL) < 0)
		return;
	cleanup_close int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	dprintf(fd, "%s ", stamp);
	va_list ap;
	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
	dprintf(fd, "\n");
}
