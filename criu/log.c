/* Reading CRIU's log after a failure: the last "Error" lines say why. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/copytree.h"
#include "util/fsutil.h"
#include "util/paths.h"

#define TAIL_BYTES (64 * 1024) /* the part of the log that is searched */
#define MAX_ERRORS 3           /* error lines quoted */

/* The last TAIL_BYTES of PATH, NUL-terminated, or NULL. */
static char *read_tail(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	off_t start = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
	cleanup_free char *buf = malloc(TAIL_BYTES + 1);
	if (!buf)
		return NULL;
	size_t len = 0;
	while (len < TAIL_BYTES) {
		ssize_t n = pread(fd, buf + len, TAIL_BYTES - len, start + (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return steal_pointer(&buf);
}

/* LINE without CRIU's "(00.123456) " time stamp, the "     1: " task
 * prefix of restore logs, and trailing blanks. */
static char *strip_line(char *line)
{
	if (line[0] == '(') {
		char *close = strchr(line, ')');
		if (close && close[1] == ' ')
			line = close + 2;
	}
	char *p = line + strspn(line, " ");
	size_t digits = strspn(p, "0123456789");
	if (digits > 0 && p[digits] == ':' && p[digits + 1] == ' ')
		line = p + digits + 2;
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* Error lines CRIU prints on every run that say nothing about a failure. */
static bool is_noise(const char *line)
{
	/* Dumps of a network namespace look for every iptables flavour. */
	return strstr(line, "Can't setup RLIMIT_NOFILE") != NULL ||
	       strstr(line, "tables-save") != NULL || strstr(line, "tables-legacy-save") != NULL;
}

char *cr_criu_log_tail(const char *path, bool want_errors)
{
	cleanup_free char *text = read_tail(path);
	if (!text)
		return NULL;
	const char *errors[MAX_ERRORS] = {0};
	size_t n_errors = 0;
	const char *last = NULL;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line = strip_line(line);
		if (!*line)
			continue;
		last = line;
		if (!want_errors || is_noise(line) ||
		    (strncmp(line, "Error", 5) != 0 && !strstr(line, " Error (")))
			continue;
		if (n_errors == MAX_ERRORS) {
			memmove(errors, errors + 1, sizeof(errors[0]) * (MAX_ERRORS - 1));
			n_errors--;
		}
		errors[n_errors++] = line;
	}
	if (n_errors == 0) {
		if (!last)
			return NULL;
		errors[0] = last;
		n_errors = 1;
	}
	size_t total = 1;
	for (size_t i = 0; i < n_errors; i++)
		total += strlen(errors[i]) + 3;
	char *out = malloc(total);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n_errors; i++) {
		if (i)
			strcat(out, " | ");
		strcat(out, errors[i]);
	}
	return out;
}

int cr_criu_log_path(const struct cr_criu_common *c, const char *default_name, char **ret_path,
		     struct cr_error *err)
{
	const char *name = c->log_file ? c->log_file : default_name;
	if (!*name || strchr(name, '/'))
		return cr_error_set(err, EINVAL,
				    "criu log file name %s must be a plain file name (no '/')", name);
	const char *dir = c->work_dir ? c->work_dir : c->images_dir;
	if (!dir)
		return cr_error_set(err, EINVAL, "no criu images directory given");
	if (asprintf(ret_path, "%s/%s", dir, name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

char *cr_criu_log_keep(const char *log_path, const char *label)
{
	struct cr_error err = CR_ERROR_INIT;
	const char *base = strrchr(log_path, '/');
	base = base ? base + 1 : log_path;
	cleanup_free char *dir = NULL, *dot_base = NULL;
	char *kept = NULL;
	if (cr_path(&dir, &err, "/var/log/corral") < 0 || cr_mkdir_p(dir, 0755, &err) < 0 ||
	    asprintf(&dot_base, ".%s", base) < 0 || cr_path_join(&kept, dir, label, dot_base, &err) < 0) {
		cr_error_clear(&err);
		return NULL;
	}
	if ((unlink(kept) < 0 && errno != ENOENT) || cr_copy_tree(log_path, kept, &err) < 0) {
		cr_error_clear(&err);
		free(kept);
		return NULL;
	}
	return kept;
}
