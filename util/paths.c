#include "util/paths.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char root_buf[4096];
static int root_ready;

const char *cr_root(void)
{
	if (!root_ready) {
		const char *r = getenv("CORRAL_ROOT");
		root_buf[0] = '\0';
		if (r && *r && strlen(r) < sizeof(root_buf)) {
			strcpy(root_buf, r);
			size_t n = strlen(root_buf);
			while (n > 0 && root_buf[n - 1] == '/')
				root_buf[--n] = '\0';
		}
		root_ready = 1;
	}
	return root_buf;
}

int cr_path(char **ret_path, struct cr_error *err, const char *fmt, ...)
{
	char *tail = NULL, *path = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&tail, fmt, ap);
	va_end(ap);
	if (r < 0)
		return cr_error_set(err, ENOMEM, "out of memory building a path");
	r = asprintf(&path, "%s%s", cr_root(), tail);
	free(tail);
	if (r < 0)
		return cr_error_set(err, ENOMEM, "out of memory building a path");
	*ret_path = path;
	return 0;
}
