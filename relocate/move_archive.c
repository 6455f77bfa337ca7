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
 * the freeze): the freezing thread may release its state at any time. The
 * directory is named like the dump's work directory, so a run that dies
 * leaves it for the next one's sweep of that partition. */
#define LOG_PREFIX "move: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ckpt/partition_image.h"
#include "ckpt/scratch.h"
#include "partition/rootfs_archive.h"
#include "partition/state.h"
#include "relocate/move_internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"

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
	cleanup_free char *state = NULL, *base = NULL;
	int r = cr_state_dir(a->name, &state, err);
	if (r < 0)
		return r;
	bool tmpfs = false;
	if (!(base = cr_scratch_base(state, a->bytes, &tmpfs)) ||
	    asprintf(&a->dir, tmpfs ? "%s/corral-%s-checkpoint.XXXXXX" : "%s/checkpoint.XXXXXX", base, a->name) < 0) {
		a->dir = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (!mkdtemp(a->dir)) {
		r = cr_error_errno(err, "cannot make a directory for the archive in %s", base);
		free(a->dir);
		a->dir = NULL;
		return r;
	}
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
