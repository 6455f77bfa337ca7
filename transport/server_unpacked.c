/* Where a relocation's image is unpacked on arrival. CRIU's images for the
 * restore (about the partition's memory) and its file systems go to a tmpfs
 * when one has room for them and for the restored memory besides
 * (ckpt/scratch.h), so that no full image lands on a disk: incoming/NAME.d
 * is then a symbolic link to that directory. Otherwise NAME.d is a
 * directory in the state directory, as before. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/scratch.h"
#include "transport/server.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define UNPACK_SCRATCH_PREFIX "corral-incoming-"
#define UNPACK_SLACK (64ull << 20)

int cr_unpacked_landing(const char *name, uint64_t size_hint, char **ret_tmp, struct cr_error *err)
{
	cleanup_free char *final = NULL;
	int r = cr_unpacked_path(name, &final, err);
	if (r < 0)
		return r;
	char *slash = strrchr(final, '/');
	cleanup_free char *incoming = strndup(final, (size_t)(slash - final));
	if (!incoming)
		return cr_error_set(err, ENOMEM, "out of memory");
	if ((r = cr_mkdir_p(incoming, 0700, err)) < 0)
		return r;
	bool tmpfs = false;
	cleanup_free char *base = size_hint > 0 ? cr_scratch_base(incoming, 2 * size_hint + UNPACK_SLACK, &tmpfs)
						: strdup(incoming);
	char *tmp = NULL;
	if (!base || (tmpfs ? asprintf(&tmp, "%s/" UNPACK_SCRATCH_PREFIX "%s.XXXXXX", base, name)
			    : asprintf(&tmp, "%s/.%s.XXXXXX", incoming, slash + 1)) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	/* A fresh name; the extraction makes the directory itself. */
	if (!mkdtemp(tmp) || rmdir(tmp) < 0) {
		r = cr_error_errno(err, "cannot create %s", tmp);
		free(tmp);
		return r;
	}
	cr_debug("unpacking %s into %s", name, tmp);
	*ret_tmp = tmp;
	return 0;
}

int cr_unpacked_settle(const char *tmp, const char *final, struct cr_error *err)
{
	cleanup_free char *dir = strdup(final);
	if (!dir)
		return cr_error_set(err, ENOMEM, "out of memory");
	*strrchr(dir, '/') = '\0';
	size_t n = strlen(dir);
	/* Beside NAME.d: renamed into place; on the scratch: linked to. */
	if (strncmp(tmp, dir, n) == 0 && tmp[n] == '/' && !strchr(tmp + n + 1, '/')) {
		if (rename(tmp, final) < 0)
			return cr_error_errno(err, "cannot rename %s to %s", tmp, final);
	} else if (symlink(tmp, final) < 0) {
		return cr_error_errno(err, "cannot link %s to %s", final, tmp);
	}
	return 0;
}

void cr_unpacked_remove_at(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISLNK(st.st_mode)) {
		cleanup_free char *target = realpath(path, NULL); /* NULL: it points nowhere now */
		if (target)
			cr_rm_rf(target, NULL);
		(void)unlink(path);
		return;
	}
	cr_rm_rf(path, NULL);
}

void cr_unpacked_remove(const char *name)
{
	cleanup_free char *path = NULL;
	if (cr_unpacked_path(name, &path, NULL) == 0)
		cr_unpacked_remove_at(path);
}

void cr_unpacked_sweep(void)
{
	/* At daemon start no connection is alive: every landing is a leftover,
	 * and so is a partial extraction (".<landing>.partial-*"). */
	cr_scratch_sweep(UNPACK_SCRATCH_PREFIX);
	cr_scratch_sweep("." UNPACK_SCRATCH_PREFIX);
}
