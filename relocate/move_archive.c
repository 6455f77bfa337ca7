/* The private file systems archived while CRIU dumps (post-copy moves).
 *
 * Pre-copy (a peer of 1.4): before the freeze, while the partition runs, a
 * level-0 listed-incremental archive goes with PrepareArrival and the peer
 * unpacks it ahead; the archive made while frozen is then the level-1
 * against its snapshot: the directories' listings and the files changed
 * since, a handful, so that almost no unpacking is left inside the pause.
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
#include <unistd.h>

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

/* The mover's directory, made once (the pre-copy's level-0 and snapshot,
 * then the archive made while frozen). */
static int workdir(struct cr_move_archive *a, struct cr_error *err)
{
	if (a->dir)
		return 0;
	cleanup_free char *state = NULL, *owner = NULL;
	int r = cr_state_dir(a->name, &state, err);
	if (r < 0)
		return r;
	if (asprintf(&owner, "%s-archive", a->name) < 0) {
		owner = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	struct cr_workdir_request wr = {
		.owner = owner, .owned_by = CR_WORKDIR_PROCESS, .fallback = state, .contents = 2 * a->bytes};
	struct cr_workdir w;
	if ((r = cr_workdir_make(&wr, &w, err)) < 0)
		return r;
	a->dir = w.path;
	if (asprintf(&a->tar, "%s/%s", a->dir, CR_IMAGE_ROOTFS_ENTRY) < 0 ||
	    asprintf(&a->snapshot, "%s/rootfs.snar", a->dir) < 0) {
		a->tar = a->snapshot = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int cr_move_archive_ahead(struct cr_move_archive *a, char **ret_data, size_t *ret_len, struct cr_error *err)
{
	cleanup_free char *level0 = NULL;
	int r = workdir(a, err);
	if (r < 0)
		return r;
	if (asprintf(&level0, "%s/rootfs-ahead.tar", a->dir) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int64_t t = cr_now_ns();
	r = cr_rootfs_archive_snapshot(a->directory, level0, a->snapshot, err);
	if (r == 0 && cr_move_file_size(level0) > CR_PEER_FS_ARCHIVE_MAX)
		r = cr_error_set(err, EFBIG, "the file systems' archive is larger than %u bytes",
				 CR_PEER_FS_ARCHIVE_MAX);
	if (r == 0)
		r = cr_read_file(level0, CR_PEER_FS_ARCHIVE_MAX, ret_data, ret_len, err);
	(void)unlink(level0);
	if (r < 0) {
		(void)unlink(a->snapshot);
		return r;
	}
	a->ahead_ns = cr_now_ns() - t;
	return 0;
}

int cr_move_archive_make(const struct cr_move_archive *a, const char *tar, struct cr_error *err)
{
	return a->precopied ? cr_rootfs_archive_since(a->directory, tar, a->snapshot, err)
			    : cr_rootfs_archive_create(a->directory, tar, err);
}

int cr_move_archive_early(struct cr_move_archive *a, struct cr_error *err)
{
	int r = workdir(a, err);
	if (r < 0)
		return r;
	int64_t t = cr_now_ns();
	if ((r = cr_move_archive_make(a, a->tar, err)) < 0)
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
	free(a->snapshot);
	free(a->name);
	free(a->directory);
	memset(a, 0, sizeof(*a));
}
