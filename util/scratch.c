/* Choosing where CRIU's images go while a partition is frozen. */
#define LOG_PREFIX "scratch: "
#include "util/scratch.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

/* "KEY: N kB" of /proc/meminfo in bytes; false when absent. */
static bool meminfo(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		char *end = NULL;
		errno = 0;
		unsigned long long kib = strtoull(line + klen + 1, &end, 10);
		if (errno || end == line + klen + 1 || kib > UINT64_MAX / 1024)
			return false;
		*ret = (uint64_t)kib * 1024;
		return true;
	}
	return false;
}

bool cr_scratch_fits(const char *dir, uint64_t need)
{
	struct statvfs vfs;
	if (statvfs(dir, &vfs) < 0 || (uint64_t)vfs.f_bavail * vfs.f_frsize < need)
		return false;
	cleanup_free char *text = NULL;
	size_t len = 0;
	uint64_t avail = 0, total = 0;
	if (cr_read_file("/proc/meminfo", 1 << 20, &text, &len, NULL) < 0 || !meminfo(text, "MemAvailable", &avail) ||
	    !meminfo(text, "MemTotal", &total))
		return false;
	uint64_t reserve = total / 8 > CR_SCRATCH_RESERVE_MIN ? total / 8 : CR_SCRATCH_RESERVE_MIN;
	return avail > reserve && avail - reserve >= need;
}

static bool is_tmpfs(const char *dir)
{
	struct statfs fs;
	return statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

/* The tmpfs candidates: $ROOT/run/corral (*RET_RUN, heap), and /dev/shm
 * only when no CORRAL_ROOT moves the paths (a test's root keeps everything
 * inside it). Returns how many it put in C. */
static size_t candidates(char **ret_run, const char *c[2])
{
	if (cr_path(ret_run, NULL, CR_RUN_DIR) < 0)
		return 0;
	c[0] = *ret_run;
	c[1] = "/dev/shm";
	return *cr_root() ? 1 : 2;
}

char *cr_scratch_base(const char *fallback, uint64_t need, bool *ret_tmpfs)
{
	*ret_tmpfs = false;
	const char *forced = getenv("CORRAL_SCRATCH_DIR");
	if (forced && *forced)
		return strdup(forced);
	cleanup_free char *run = NULL;
	const char *c[2] = {NULL, NULL};
	size_t n = candidates(&run, c);
	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (is_tmpfs(c[i]) && cr_scratch_fits(c[i], need)) {
			cr_debug("CRIU images go to the tmpfs %s (%llu MiB expected)", c[i],
				 (unsigned long long)(need >> 20));
			*ret_tmpfs = true;
			return strdup(c[i]);
		}
	}
	cr_debug("no tmpfs with room for %llu MiB: CRIU images go to %s", (unsigned long long)(need >> 20), fallback);
	return strdup(fallback);
}

unsigned cr_scratch_sweep_in(const char *dir, const char *prefix, bool by_pid)
{
	size_t plen = strlen(prefix);
	unsigned n = 0;
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		if (by_pid) {
			char *end = NULL;
			errno = 0;
			long pid = strtol(de->d_name + plen, &end, 10);
			if (errno || end == de->d_name + plen || *end != '.' || pid <= 0 || pid > INT32_MAX ||
			    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
				continue;
		}
		cleanup_free char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			continue;
		cr_debug("removing %s, left by a run that died", path);
		if (cr_rm_rf(path, NULL) == 0)
			n++;
	}
	return n;
}

/* cr_scratch_sweep_in on every tmpfs candidate. */
static void sweep(const char *prefix, bool by_pid)
{
	cleanup_free char *run = NULL;
	const char *c[2] = {NULL, NULL};
	size_t n = candidates(&run, c);
	for (size_t i = 0; i < n; i++)
		(void)cr_scratch_sweep_in(c[i], prefix, by_pid);
}

void cr_scratch_sweep(const char *prefix)
{
	sweep(prefix, false);
}

void cr_scratch_sweep_dead(const char *prefix)
{
	sweep(prefix, true);
}

/* nftw has no context argument: the walk in progress (one per thread). */
static _Thread_local uint64_t walk_bytes, walk_limit;

static int add_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		walk_bytes += (uint64_t)st->st_blocks * 512;
	return walk_bytes > walk_limit; /* non-zero stops the walk */
}

uint64_t cr_scratch_tree_bytes(const char *dir, uint64_t limit)
{
	walk_bytes = 0;
	walk_limit = limit;
	nftw(dir, add_file, 16, FTW_PHYS | FTW_MOUNT);
	return walk_bytes;
}
