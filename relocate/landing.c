/* The landing area of a relocation's image (relocate/landing.h). */
#define LOG_PREFIX "landing: "
#include "relocate/landing.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/config.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"
#include "util/workdir.h"

#define INCOMING_DIR CR_STATE_DIR "/incoming"
#define LANDING_OWNER "incoming-" /* util/workdir.h names it corral-incoming-NAME.XXXXXX */

int cr_unpacked_path(const char *name, char **ret_path, struct cr_error *err)
{
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	return cr_path_name(ret_path, INCOMING_DIR, name, ".d", err);
}

int cr_landing_new(const char *name, uint64_t size_hint, bool made, struct cr_workdir *ret, struct cr_error *err)
{
	cleanup_free char *incoming = NULL, *owner = NULL;
	int r = cr_name_validate(name, err);
	if (r < 0 || (r = cr_path(&incoming, err, INCOMING_DIR)) < 0)
		return r;
	if (asprintf(&owner, LANDING_OWNER "%s", name) < 0) {
		owner = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	/* Its images, and the restored memory besides. */
	struct cr_workdir_request wr = {.owner = owner,
					.owned_by = CR_WORKDIR_DAEMON,
					.fallback = incoming,
					.contents = size_hint,
					.memory = size_hint,
					.disk_only = size_hint == 0,
					.name_only = !made};
	return cr_workdir_make(&wr, ret, err);
}

int cr_landing_keep(const char *name, const struct cr_workdir *w, struct cr_error *err)
{
	cleanup_free char *final = NULL;
	int r = cr_unpacked_path(name, &final, err);
	if (r < 0)
		return r;
	/* Beside NAME.d: renamed into place; on the tmpfs: linked to. */
	if (!w->tmpfs && rename(w->path, final) < 0)
		return cr_error_errno(err, "cannot rename %s to %s", w->path, final);
	if (w->tmpfs && symlink(w->path, final) < 0)
		return cr_error_errno(err, "cannot link %s to %s", final, w->path);
	return 0;
}

void cr_landing_drop(struct cr_workdir *w)
{
	cr_workdir_remove(w);
}

static void remove_at(const char *path)
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
		remove_at(path);
}

unsigned cr_landing_sweep(void)
{
	/* Every landing is a leftover, and so is a partial extraction beside
	 * one: no connection is alive. */
	cleanup_free char *dir = NULL;
	if (cr_path(&dir, NULL, INCOMING_DIR) < 0)
		return 0;
	unsigned n = cr_workdir_sweep(LANDING_OWNER, dir);
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		/* A NAME.d link whose tmpfs directory went with the sweep above
		 * (or a reboot) is gone too. */
		struct stat st;
		if (de->d_type == DT_LNK && fstatat(dirfd(d), de->d_name, &st, 0) < 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	return n;
}
