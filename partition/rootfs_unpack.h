/* A partition's file systems unpacked from a tar archive (GNU tar's format,
 * a level-0 of --listed-incremental included) in Corral's own process with
 * libarchive, the only file that uses it. The archive may come from a peer:
 * member and hard link names that are absolute or hold a '..' are refused,
 * nothing is written through a symlink (symlinks are made as such, no
 * placeholder files), and a deadline is checked between entries and blocks.
 * Owners (numeric), modes, times, user.* xattrs (as GNU tar restores them),
 * ACLs, device nodes, fifos, hard links and sparse files are kept. A later
 * level of an incremental archive is not for this (its directory listings
 * delete files: partition/rootfs_archive.c keeps GNU tar for it). */
#ifndef CORRAL_PARTITION_ROOTFS_UNPACK_H
#define CORRAL_PARTITION_ROOTFS_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Unpack the archive file TAR_PATH into the directory DIR (must exist). */
int cr_rootfs_unpack_file(const char *tar_path, const char *dir, struct cr_error *err);

/* Unpack the archive held in BUF (LEN bytes), named WHAT in errors, into the
 * directory DIR (must exist), within TIMEOUT_MS. */
int cr_rootfs_unpack_memory(const char *what, const void *buf, size_t len, const char *dir, int64_t timeout_ms,
			    struct cr_error *err);

#endif
