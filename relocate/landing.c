/* The landing area of a relocation's image (relocate/landing.h). */
#define LOG_PREFIX "landing: "
#include "relocate/landing.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/scratch.h"
#include "spec/config.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define INCOMING_DIR CR_STATE_DIR "/incoming"
#define UNPACK_SCRATCH_PREFIX "corral-incoming-"
#define UNPACK_SLACK (64ull << 20)

int cr_unpacked_path(const char *name, char **ret_path, struct cr_error *err)
{
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	return cr_path_name(ret_path, INCOMING_DIR, name, ".d", err);
}

int cr_landing_new(const char *name, uint64_t size_hint, char **ret_tmp, struct cr_error *err)
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

int cr_landing_keep(const char *name, const char *tmp, struct cr_error *err)
{
	cleanup_free char *final = NULL;
	int r = cr_unpacked_path(name, &final, err);
	if (r < 0)
		return r;
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

void cr_landing_remove_at(const char *path)
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
		cr_landing_remove_at(path);
}

unsigned cr_landing_sweep(void)
{
	/* Every landing on the tmpfs is a leftover, and so is a partial
	 * extraction (".<landing>.partial-*"). */
	cr_scratch_sweep(UNPACK_SCRATCH_PREFIX);
	cr_scratch_sweep("." UNPACK_SCRATCH_PREFIX);
	cleanup_free char *dir = NULL;
	if (cr_path(&dir, NULL, INCOMING_DIR) < 0)
		return 0;
	cleanup_dir DIR *d = opendir(dir);
	unsigned n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		/* Partial landings are ".NAME.d.XXXXXX" (cr_landing_new); a NAME.d
		 * link whose tmpfs directory went with the sweep above (or a
		 * reboot) is gone too. */
		struct stat st;
		if (de->d_type == DT_LNK && fstatat(dirfd(d), de->d_name, &st, 0) < 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
		if (de->d_name[0] == '.' && strstr(de->d_name, ".d.")) {
			cleanup_free char *path = NULL;
			if (asprintf(&path, "%s/%s", dir, de->d_name) >= 0 && cr_rm_rf(path, NULL) == 0)
				n++;
		}
	}
	return n;
}
