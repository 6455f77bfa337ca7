/* syncwpar: bring a system partition's root part up to date with the global
 * environment (Debian).
 *
 * 1. The /etc files mkwpar copied (cr_rootfs_etc_files) that the partition
 *    has not modified are replaced by the host's current copies; files the
 *    partition modified (or deleted) are kept and reported. "Not modified"
 *    means: equal to what the last sync left, as recorded in the manifest
 *    $ROOT/var/lib/corral/NAME/sync-manifest; for a file the manifest does
 *    not know (a partition never synced), older than the partition (mkwpar
 *    keeps the host's times when it copies, and an edit makes a file newer
 *    than the partition's /etc/machine-id). Files gone from the host are
 *    removed when the partition left them as synced. A partition made with
 *    mkwpar -r gets the same for /etc/resolv.conf and /etc/hosts.
 * 2. The package database (/var/lib/dpkg: status, available, diversions,
 *    statoverride, alternatives/) is replaced by the host's, so dpkg -l
 *    inside describes the global /usr the partition mounts. Skipped for a
 *    partition with a private /usr.
 *
 * Every write is atomic (a temporary file renamed over the old one), so a
 * running partition may be synced. Every path inside the partition is
 * resolved within its root (openat2 RESOLVE_IN_ROOT): symbolic links the
 * partition made cannot redirect a write to the host. */
#ifndef CORRAL_PARTITION_SYNC_H
#define CORRAL_PARTITION_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum cr_sync_action {
	CR_SYNC_ADDED,   /* the host has it, the partition did not */
	CR_SYNC_UPDATED, /* replaced by the host's copy */
	CR_SYNC_REMOVED, /* gone from the host, unmodified in the partition */
	CR_SYNC_KEPT,    /* differs from the host, kept: REASON says why */
};

struct cr_sync_event {
	enum cr_sync_action action;
	const char *path;   /* inside the partition: "/etc/passwd" */
	const char *reason; /* for CR_SYNC_KEPT: "modified in the partition" */
};

typedef void (*cr_sync_report_fn)(const struct cr_sync_event *ev, void *data);

struct cr_sync_options {
	bool preview;            /* -p: report what would change, change nothing */
	cr_sync_report_fn report; /* called for every change (or would-be change) */
	void *data;
};

struct cr_sync_summary {
	size_t added, updated, removed, kept, unchanged;
	bool packages_skipped; /* private /usr: its package database is its own */
};

/* syncwpar NAME. Application partitions are refused (-EINVAL, "NAME is an
 * application partition: it shares the global file systems"). */
int cr_partition_sync(const char *name, const struct cr_sync_options *opts,
		      struct cr_sync_summary *ret, struct cr_error *err);

/* The global environment synced from: "/" (CORRAL_SYNC_SOURCE overrides it,
 * for tests). */
const char *cr_sync_source(void);

/* --- The manifest: what the last sync left in the partition. --- */

struct cr_sync_entry {
	char kind;     /* 'f' regular file (hash of its bytes), 'l' symlink (hash of its target) */
	uint64_t hash;
	char *path;    /* relative to the partition root: "etc/passwd" */
	bool seen;     /* set while syncing: still on the host */
};

struct cr_sync_manifest {
	struct cr_sync_entry *entries;
	size_t n;
};

void cr_sync_manifest_free(struct cr_sync_manifest *m);

/* Parse LEN bytes of TEXT ("f <16 hex digits> <path>" lines, '#' comments). */
int cr_sync_manifest_parse(const char *text, size_t len, struct cr_sync_manifest *ret,
			   struct cr_error *err);

/* The text of M (heap string). */
int cr_sync_manifest_format(const struct cr_sync_manifest *m, char **ret_text, struct cr_error *err);

/* Load NAME's manifest (a missing one is empty) / save it atomically. */
int cr_sync_manifest_load(const char *name, struct cr_sync_manifest *ret, struct cr_error *err);
int cr_sync_manifest_save(const char *name, const struct cr_sync_manifest *m, struct cr_error *err);

/* The entry for PATH, or NULL. */
struct cr_sync_entry *cr_sync_manifest_find(const struct cr_sync_manifest *m, const char *path);

/* Record PATH as KIND/HASH (adding or replacing its entry), marked seen. */
int cr_sync_manifest_set(struct cr_sync_manifest *m, const char *path, char kind, uint64_t hash,
			 struct cr_error *err);

/* 64-bit FNV-1a: change detection, not integrity. Start with CR_SYNC_HASH_INIT. */
#define CR_SYNC_HASH_INIT UINT64_C(0xcbf29ce484222325)
uint64_t cr_sync_hash(uint64_t h, const void *data, size_t len);

/* --- The partition's root, reached safely (sync_fs.c). --- */

struct cr_sync_item {
	char kind;       /* 'f', 'l', 'd', 'o' (other), 0 (absent) */
	uint64_t hash;   /* for 'f' and 'l' */
	int64_t mtime;   /* seconds */
};

/* Open DIR (a partition's base directory) as the root all paths resolve in. */
int cr_sync_root_open(const char *dir, int *ret_fd, struct cr_error *err);

/* What is at REL (relative) under ROOT_FD ("/" for the host, resolved normally). */
int cr_sync_stat(int root_fd, bool in_root, const char *rel, struct cr_sync_item *ret,
		 struct cr_error *err);

/* Copy the host's HOST_PATH (a file or symlink, with mode, owner and times)
 * to REL under ROOT_FD, atomically. */
int cr_sync_install(int root_fd, const char *rel, const char *host_path, struct cr_error *err);

/* Create directory REL under ROOT_FD with the mode and owner of HOST_PATH
 * (0755 root when the host has none). */
int cr_sync_mkdir(int root_fd, const char *rel, const char *host_path, struct cr_error *err);

/* Remove the file or symlink REL under ROOT_FD. */
int cr_sync_unlink(int root_fd, const char *rel, struct cr_error *err);

/* --- One sync run over trees (sync_tree.c). --- */

struct cr_sync_run {
	const struct cr_sync_options *opts;
	struct cr_sync_summary sum;
	struct cr_sync_manifest manifest;
	int root_fd;         /* the partition's base directory */
	int host_fd;         /* cr_sync_source() */
	int64_t created;     /* mtime of the partition's /etc/machine-id, -1 if none */
};

/* Bring REL (a file, symlink or directory tree) in line with the host's.
 * TRACKED: the partition's own changes are kept (the /etc files), else the
 * host's copy always wins (the package database). */
int cr_sync_tree(struct cr_sync_run *run, const char *rel, bool tracked, struct cr_error *err);

/* Create directory REL in the partition if it is missing (as the host's). */
int cr_sync_ensure_dir(struct cr_sync_run *run, const char *rel, struct cr_error *err);

/* Remove what the manifest lists that the host no longer has, where the
 * partition left it as synced; drop those entries. */
int cr_sync_remove_gone(struct cr_sync_run *run, struct cr_error *err);

#endif
