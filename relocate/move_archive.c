/* The private file systems archived while CRIU dumps (post-copy moves).
 *
 * Once the cgroup freezer holds the tree, nothing of the partition writes
 * its files: CRIU keeps every task stopped until it has dumped. So the
 * archive need not wait for the images, and the mover makes it meanwhile, on
 * the other CPU, instead of after the dump inside the pause. One exception:
 * with link-remap CRIU may link an open, unlinked file back into the file
 * system during the dump; when the images record any file remap, the early
 * archive is not used and the archive is made again, after the dump, as
 * before.
 *
 * Everything here belongs to the mover (the path strings are copied before
 * the freeze): the freezing thread may release its state at any time. Its
 * directory is a work directory of this process (util/workdir.h): one left
 * by a run that died is swept by the next. */
#define LOG_PREFIX "move: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ckpt/partition_image.h"
#include "partition/rootfs_archive.h"
#include "partition/state.h"
#include "relocate/move_internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/workdir.h"

/* CRIU's image of file remaps: its two magics alone when there is none. */
#define REMAP_IMAGE "remap-fpath.img"
#define IMAGE_MAGICS_BYTES 8

int cr_move_archive_prepare(struct cr_move_archive *a, const char *name, const char *directory, uint64_t bytes,
			    struct cr_error *err)
{
	memset(a, 0, sizeof(*a));
	a->bytes = bytes;
	if (!(a->name = strdup(name)) || !(a->directory = strdup(directory)))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_move_archive_early(struct cr_move_archive *a, struct cr_error *err)
{
	cleanup_free char *state = NULL, *owner = NULL;
	int r = cr_state_dir(a->name, &state, err);
	if (r < 0)
		return r;
	if (asprintf(&owner, "%s-archive", a->name) < 0) {
		owner = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	struct cr_workdir_request wr = {
		.owner = owner, .owned_by = CR_WORKDIR_PROCESS, .fallback = state, .contents = a->bytes};
	struct cr_workdir w;
	if ((r = cr_workdir_make(&wr, &w, err)) < 0)
		return r;
	a->dir = w.path;
	if (asprintf(&a->tar, "%s/%s", a->dir, CR_IMAGE_ROOTFS_ENTRY) < 0) {
		a->tar = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	int64_t t = cr_now_ns();
	if ((r = cr_rootfs_archive_create(a->directory, a->tar, err)) < 0)
		return r;
	a->ns = cr_now_ns() - t;
	a->done = true;
	return 0;
}

bool cr_move_archive_usable(const struct cr_move_archive *a, const char *images_dir)
{
	if (!a->done)
		return false;
	cleanup_free char *remaps = NULL;
	struct stat st;
	if (asprintf(&remaps, "%s/%s", images_dir, REMAP_IMAGE) < 0)
		return false;
	if (stat(remaps, &st) == 0 && st.st_size > IMAGE_MAGICS_BYTES) {
		cr_debug("CRIU remapped files during the dump: the archive is made again");
		return false;
	}
	return true;
}

void cr_move_archive_drop(struct cr_move_archive *a)
{
	if (a->dir)
		cr_rm_rf(a->dir, NULL);
	free(a->dir);
	free(a->tar);
	free(a->name);
	free(a->directory);
	memset(a, 0, sizeof(*a));
}
