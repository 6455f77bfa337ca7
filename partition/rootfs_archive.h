/* A local partition's private file systems as one tar archive, so a
 * relocation can carry them inside the image (AIX needed NFS for any move).
 * Owners, modes, times, links, device nodes, ACLs and xattrs are kept; mount
 * points of the host's file systems are not crossed. */
#ifndef CORRAL_PARTITION_ROOTFS_ARCHIVE_H
#define CORRAL_PARTITION_ROOTFS_ARCHIVE_H

#include "util/error.h"

#define CR_ROOTFS_ARCHIVE_TIMEOUT_MS (10 * 60 * 1000)

/* Archive the tree at DIR into the file TAR_PATH. */
int cr_rootfs_archive_create(const char *dir, const char *tar_path, struct cr_error *err);

/* Unpack TAR_PATH into DIR (made if missing, must be empty), in this
 * process (partition/rootfs_unpack.h). */
int cr_rootfs_archive_extract(const char *tar_path, const char *dir, struct cr_error *err);

/* A relocation's pre-copy (GNU tar's listed-incremental archives): a
 * level-0 of DIR, which may change meanwhile, into TAR_PATH, starting the
 * snapshot file SNAPSHOT (must not exist); later, once DIR holds still, the
 * files changed since SNAPSHOT and every directory's listing (SNAPSHOT
 * itself left as it was, so the archive can be made again). */
int cr_rootfs_archive_snapshot(const char *dir, const char *tar_path, const char *snapshot, struct cr_error *err);
int cr_rootfs_archive_since(const char *dir, const char *tar_path, const char *snapshot, struct cr_error *err);

/* Unpack such an archive into DIR (made if missing) with GNU tar: a later
 * level over its level-0 (unpacked by cr_rootfs_unpack_memory), which
 * also removes what its directory listings no longer name. */
int cr_rootfs_archive_apply(const char *tar_path, const char *dir, struct cr_error *err);

#endif
