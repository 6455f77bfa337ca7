/* Where Corral keeps things (util/paths.h), and the one helper that joins a
 * name to a directory so that no name can reach outside it. */
#define LOG_PREFIX "paths: "
#include "util/paths.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

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

int cr_path_component_check(const char *name, size_t len, struct cr_error *err)
{
	char shown[CR_SHOWN_SIZE];
	const char *why = NULL;
	if (!name || len == 0)
		why = "it is empty";
	else if (len > 255)
		why = "it is longer than 255 bytes";
	else if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		why = "'.' and '..' name directories that already exist";
	else if (memchr(name, '/', len))
		why = "it holds a '/'";
	else
		for (size_t i = 0; i < len && !why; i++)
			if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
				why = "it holds a NUL, newline or other control byte";
	if (!why)
		return 0;
	return cr_error_set(err, EINVAL, "'%s' cannot be used as a file name: %s",
			    cr_shown_n(name, name ? len : 0, shown), why);
}

int cr_path_join(char **ret_path, const char *parent, const char *name, const char *suffix,
		 struct cr_error *err)
{
	int r = cr_path_component_check(name, name ? strlen(name) : 0, err);
	if (r < 0)
		return r;
	if (asprintf(ret_path, "%s/%s%s", parent, name, suffix ? suffix : "") < 0)
		return cr_error_set(err, ENOMEM, "out of memory building a path");
	return 0;
}

int cr_path_name(char **ret_path, const char *dir, const char *name, const char *suffix,
		 struct cr_error *err)
{
	char *parent = NULL;
	int r = cr_path(&parent, err, "%s", dir);
	if (r < 0)
		return r;
	r = cr_path_join(ret_path, parent, name, suffix, err);
	free(parent);
	return r;
}
