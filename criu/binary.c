/* Finding the criu binary and making sense of its version. */
#include "criu/criu.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* First DIR/criu that is executable, for DIR in the ':'-separated DIRS. */
static int search_dirs(const char *dirs, char **ret_path)
{
	cleanup_free char *copy = strdup(dirs);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (*d != '/')
			continue; /* a relative PATH entry would depend on the cwd */
		char *path = NULL;
		if (asprintf(&path, "%s/criu", d) < 0)
			return -ENOMEM;
		if (is_executable_file(path)) {
			*ret_path = path;
			return 0;
		}
		free(path);
	}
	return -ENOENT;
}

int cr_criu_locate(char **ret_path, struct cr_error *err)
{
	const char *forced = getenv("CORRAL_CRIU");
	if (forced && *forced) {
		if (!is_executable_file(forced))
			return cr_error_set(err, ENOENT, "CORRAL_CRIU=%s is not an executable file",
					    forced);
		*ret_path = strdup(forced);
		return *ret_path ? 0 : cr_error_set(err, ENOMEM, "out of memory");
	}
	const char *path_env = getenv("PATH");
	int r = -ENOENT;
	if (path_env && *path_env)
		r = search_dirs(path_env, ret_path);
	if (r == -ENOENT)
		r = search_dirs("/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin", ret_path);
	if (r == -ENOMEM)
		return cr_error_set(err, ENOMEM, "out of memory looking for criu");
	if (r < 0)
		return cr_error_set(err, ENOENT, "no criu binary on PATH or in the usual directories");
	return 0;
}

/* A decimal number at *S in 0..INT_MAX; advances *S. */
static int parse_number(const char **s, int *ret)
{
	if (**s < '0' || **s > '9')
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	long v = strtol(*s, &end, 10);
	if (errno || v < 0 || v > INT_MAX)
		return -EINVAL;
	*s = end;
	*ret = (int)v;
	return 0;
}

int cr_criu_parse_version(const char *text, struct cr_criu_version *ret, struct cr_error *err)
{
	static const char tag[] = "Version:";
	for (const char *line = text; line && *line;) {
		const char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!strncmp(s, tag, sizeof(tag) - 1)) {
			s += sizeof(tag) - 1;
			while (*s == ' ' || *s == '\t')
				s++;
			struct cr_criu_version v = {0, 0, 0};
			if (parse_number(&s, &v.major) < 0 || *s++ != '.' ||
			    parse_number(&s, &v.minor) < 0)
				break;
			if (*s == '.' && (s++, parse_number(&s, &v.sublevel) < 0))
				break;
			*ret = v;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return cr_error_set(err, EINVAL, "no \"Version: X.Y\" line in the output of criu --version");
}

bool cr_criu_version_ok(const struct cr_criu_version *v)
{
	if (v->major != CR_CRIU_MIN_MAJOR)
		return v->major > CR_CRIU_MIN_MAJOR;
	return v->minor >= CR_CRIU_MIN_MINOR;
}
