/* Small file operations on cgroup directories: one write per value (the
 * kernel parses each write on its own), bounded reads, pid lists and the
 * removal of group trees. */
#define LOG_PREFIX "cgroup: "
#include "cgroup/cgroup_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define CG_READ_MAX (16u << 20) /* cgroup.procs of a big group */
#define CG_MAX_DEPTH 32

static char *join(const char *dir, const char *file)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return NULL;
	return p;
}

int cg_write(const char *dir, const char *file, const char *value, struct cr_error *err)
{
	cleanup_free char *path = join(dir, file);
	if (!path)
		return cr_error_set(err, ENOMEM, "out of memory writing %s/%s", dir, file);
	cleanup_close int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", path);
	/* an empty value goes as "\n": some kernels ignore a zero-length write */
	const char *data = value[0] ? value : "\n";
	size_t len = strlen(data);
	ssize_t n;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cr_error_errno(err, "cannot write '%s' to %s", value, path);
	if ((size_t)n != len)
		return cr_error_set(err, EIO, "short write of '%s' to %s", value, path);
	cr_debug("%s <- %s", path, value);
	return 0;
}

int cg_read(const char *dir, const char *file, char **ret, struct cr_error *err)
{
	cleanup_free char *path = join(dir, file);
	if (!path)
		return cr_error_set(err, ENOMEM, "out of memory reading %s/%s", dir, file);
	char *data = NULL;
	size_t len = 0;
	int r = cr_read_file(path, CG_READ_MAX, &data, &len, err);
	if (r < 0)
		return r;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
		data[--len] = '\0';
	*ret = data;
	return 0;
}

static int parse_i64(const char *s, int64_t *ret)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n' && *end != ' '))
		return -EINVAL;
	*ret = v;
	return 0;
}

int cg_read_i64(const char *dir, const char *file, int64_t *ret, struct cr_error *err)
{
	cleanup_free char *s = NULL;
	int r = cg_read(dir, file, &s, err);
	if (r < 0)
		return r;
	int64_t v;
	if (parse_i64(s, &v) < 0)
		return cr_error_set(err, EINVAL, "%s/%s: not a number: '%s'", dir, file, s);
	*ret = v;
	return 0;
}

int cg_read_key(const char *dir, const char *file, const char *key, int64_t *ret,
		struct cr_error *err)
{
	cleanup_free char *s = NULL;
	int r = cg_read(dir, file, &s, err);
	if (r < 0)
		return r;
	size_t klen = strlen(key);
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		int64_t v;
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ' &&
		    parse_i64(line + klen + 1, &v) == 0) {
			*ret = v;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return cr_error_set(err, ENOENT, "%s/%s has no '%s'", dir, file, key);
}

bool cg_has(const char *dir, const char *file)
{
	cleanup_free char *path = join(dir, file);
	return path && access(path, F_OK) == 0;
}

static int add_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap, struct cr_error *err)
{
	cleanup_free char *s = NULL;
	int r = cg_read(dir, "cgroup.procs", &s, err);
	if (r < 0)
		return r;
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		int64_t v;
		if (parse_i64(line, &v) < 0 || v <= 0 || v > INT32_MAX)
			return cr_error_set(err, EINVAL, "%s/cgroup.procs: bad pid '%s'", dir, line);
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			pid_t *np = realloc(*pids, ncap * sizeof(**pids));
			if (!np)
				return cr_error_set(err, ENOMEM, "out of memory listing %s", dir);
			*pids = np;
			*cap = ncap;
		}
		(*pids)[(*n)++] = (pid_t)v;
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Calls FN on each subdirectory of DIR (a child group). */
static int for_each_child(const char *dir, int (*fn)(const char *, void *, int, struct cr_error *),
			  void *data, int depth, struct cr_error *err)
{
	if (depth > CG_MAX_DEPTH)
		return cr_error_set(err, ELOOP, "%s: groups nested too deep", dir);
	cleanup_dir DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return cr_error_errno(err, "cannot open %s", dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		cleanup_free char *sub = join(dir, de->d_name);
		if (!sub)
			return cr_error_set(err, ENOMEM, "out of memory walking %s", dir);
		int r = fn(sub, data, depth + 1, err);
		if (r < 0)
			return r;
	}
	return 0;
}

struct pid_list {
	pid_t *pids;
	size_t n, cap;
};

static int list_rec(const char *dir, void *data, int depth, struct cr_error *err)
{
	struct pid_list *l = data;
	int r = add_pids(dir, &l->pids, &l->n, &l->cap, err);
	if (r < 0)
		return r;
	return for_each_child(dir, list_rec, data, depth, err);
}

int cg_list_pids(const char *dir, pid_t **ret_pids, size_t *ret_n, struct cr_error *err)
{
	struct pid_list l = {NULL, 0, 0};
	int r = list_rec(dir, &l, 0, err);
	if (r < 0) {
		free(l.pids);
		return r;
	}
	*ret_pids = l.pids;
	*ret_n = l.n;
	return 0;
}

static int rmdir_rec(const char *dir, void *data, int depth, struct cr_error *err)
{
	int r = for_each_child(dir, rmdir_rec, data, depth, err);
	if (r < 0)
		return r;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return cr_error_errno(err, "cannot remove group %s", dir);
	return 0;
}

int cg_rmdir_tree(const char *dir, struct cr_error *err)
{
	return rmdir_rec(dir, NULL, 0, err);
}


void cg_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
