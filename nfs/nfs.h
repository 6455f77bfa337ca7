/* Shared NFS file systems (vfs=nfs mount stanzas) through libnfs.
 *
 * Where the kernel has an NFS client, an export is mounted with mount(2)
 * type "nfs"; elsewhere a FUSE file system served by a forked process
 * ("cor_nfs") talks NFS through libnfs in user space. Only nfs/ includes
 * <nfsc/libnfs.h> and <fuse3/fuse.h>.
 *
 * Mount options (the stanza's mountopts, comma-separated; docs/nfs.md):
 *   port=N | nfsport=N   NFS server port (default: asked of the portmapper)
 *   mountport=N          MOUNT protocol port (NFSv3; default: portmapper)
 *   vers=3|4 (nfsvers=, version=)   protocol version, default 3
 *   timeout=S            seconds each NFS call may take (default 30, 1..3600)
 *   ro | rw              read-only mount (the probe then does not write)
 *   nosuid, nodev, noexec   applied to the mount
 *   bg, fg, hard, soft, intr, nointr, proto=tcp, sec=sys   accepted, no effect
 */
#ifndef CORRAL_NFS_NFS_H
#define CORRAL_NFS_NFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/config.h"
#include "util/error.h"

#define CR_NFS_DEFAULT_TIMEOUT_S 30

struct cr_nfs_options {
	int nfs_port;      /* 0: ask the portmapper */
	int mount_port;    /* 0: ask the portmapper */
	int version;       /* 3 or 4 */
	int timeout_s;     /* per NFS call */
	bool read_only;
	bool nosuid, nodev, noexec;
};

/* Parse MOUNTOPTS (NULL or "" gives the defaults). Unknown options are an
 * error naming the option. */
int cr_nfs_options_parse(const char *mountopts, struct cr_nfs_options *ret_opts,
			 struct cr_error *err);

/* The options of stanza M to be mounted on MOUNTPOINT: host and dev must be
 * there, and mountopts parse. */
int cr_nfs_stanza_options(const struct cr_mount *m, const char *mountpoint,
			  struct cr_nfs_options *ret_opts, struct cr_error *err);

/* The libnfs URL for HOST:EXPORT_PATH with OPTS:
 * "nfs://HOST/EXPORT?nfsport=N&mountport=M&version=V". */
int cr_nfs_url(const char *host, const char *export_path, const struct cr_nfs_options *opts,
	       char **ret_url, struct cr_error *err);

/* What a probe learnt about an export. */
struct cr_nfs_export_info {
	bool writable;        /* a probe file could be created and removed */
	bool root_squashed;   /* only meaningful when writable */
	uint64_t bytes_total; /* statvfs of the export */
	uint64_t bytes_free;
	uint64_t bytes_avail;
};

/* Probe HOST:EXPORT_PATH: reachable, the export exists and is ours to mount,
 * and (unless OPTS->read_only) writable with root not squashed. Every call
 * has OPTS->timeout_s. Errors are one line "HOST:EXPORT: cause" where cause
 * says: server unreachable, no such export, permission denied, root squashed. */
int cr_nfs_probe_export(const char *host, const char *export_path, const struct cr_nfs_options *opts,
			struct cr_nfs_export_info *ret_info, struct cr_error *err);

/* Which client cr_nfs_mount uses on this host. */
enum cr_nfs_client {
	CR_NFS_CLIENT_KERNEL, /* the kernel's NFS client, mount(2) type "nfs" */
	CR_NFS_CLIENT_FUSE,   /* our FUSE server over libnfs */
};

/* The kernel client when /proc/filesystems lists nfs or nfs4 or the nfs
 * module is installed for the running kernel, else FUSE. CORRAL_NFS_CLIENT=
 * fuse|kernel in the environment overrides. */
enum cr_nfs_client cr_nfs_client_choose(void);
const char *cr_nfs_client_name(enum cr_nfs_client c);

/* Mount the vfs=nfs stanza M (host, dev = export path, mountopts) on
 * MOUNTPOINT with the chosen client. *RET_SERVER_PID gets the FUSE server's
 * pid, or 0 for a kernel mount. Returns once the mount is live. */
int cr_nfs_mount(const struct cr_mount *m, const char *mountpoint, pid_t *ret_server_pid,
		 struct cr_error *err);

/* Undo cr_nfs_mount: unmount MOUNTPOINT and, when SERVER_PID > 0, wait up to
 * TIMEOUT_MS for the FUSE server to end (then kill it). A busy mount point
 * is -EBUSY and stays mounted. */
int cr_nfs_unmount(const char *mountpoint, pid_t server_pid, int timeout_ms, struct cr_error *err);

/* The FUSE client itself: fork a server process (named cor_nfs) that serves
 * M on MOUNTPOINT until it is unmounted; returns once statfs(MOUNTPOINT)
 * shows the FUSE mount. The server keeps request credentials (uid, gid) for
 * the NFS server to check; attributes are passed through unchanged. */
int cr_nfs_fuse_mount(const struct cr_mount *m, const char *mountpoint, pid_t *ret_server_pid,
		      struct cr_error *err);
int cr_nfs_fuse_unmount(const char *mountpoint, pid_t server_pid, int timeout_ms,
			struct cr_error *err);

/* The kernel client: mount(2) type "nfs" (vers=3) or "nfs4" with soft,
 * timeo and retrans from OPTS. Untested on hosts without a kernel client. */
int cr_nfs_kernel_mount(const struct cr_mount *m, const char *mountpoint, struct cr_error *err);

/* Mount M on a fresh temporary directory, call FN(mountpoint, DATA, ERR),
 * unmount and remove the directory whatever FN returned; returns FN's result
 * (or the unmount's failure). */
int cr_nfs_with_mounted(const struct cr_mount *m,
			int (*fn)(const char *mountpoint, void *data, struct cr_error *err),
			void *data, struct cr_error *err);

/* startwpar and restartwpar: mount every vfs=nfs stanza of CFG on
 * CFG->directory + its directory in the caller's mount namespace, parents
 * first (an NFS "/" first), creating mount points; one that shows the same
 * export (source HOST:EXPORT) already is kept, one that shows anything else
 * is -EBUSY naming both. The partition's mount namespace then inherits them.
 * On failure what this call mounted is unmounted (children first). */
int cr_nfs_mount_all(const struct cr_wpar_config *cfg, struct cr_error *err);

/* After the partition ended: unmount those stanzas, children first. FUSE
 * servers end by themselves when their mount goes. Goes on past a failure
 * and returns the first (-EBUSY for a mount still in use). */
int cr_nfs_unmount_all(const struct cr_wpar_config *cfg, int timeout_ms, struct cr_error *err);

/* rmwpar of a partition whose "/" is the NFS stanza ROOT: empty the export
 * (it must hold a partition's root: /etc/corral), so mkwpar can use it again. */
int cr_nfs_remove_root_part(const struct cr_mount *root, struct cr_error *err);

/* Proving that two hosts see the same NFS file systems (relocation, or a
 * restart on another host). The source calls cr_nfs_mark_write before its
 * dump: a fresh random token (CR_NFS_MARK_TOKEN_LEN lowercase hexadecimal
 * digits) goes into the file CR_NFS_MARK_PREFIX + CFG->name at the top of
 * every vfs=nfs export of CFG, written through libnfs as root (temporary name,
 * COMMIT, rename). It sends the token along (relocation message or image).
 * The destination, before mounting or restoring anything, calls
 * cr_nfs_mark_verify with that token: each export is read back through
 * libnfs from this host, and a missing mark (ENOENT: another export, or
 * another server under the same name) or a different token (EXDEV: another
 * file system, or a newer mark) is a one-line error naming HOST:EXPORT.
 * cr_nfs_mark_remove ends the round on either side (a missing mark is fine);
 * it goes on past a failure and returns the first. Every NFS call has the
 * stanza's timeout (mountopts timeout=S, default 30 s). A CFG without NFS
 * stanzas passes: write still gives a token, verify checks nothing.
 * *RET_TOKEN is the caller's to free. On failure write removes the marks
 * it wrote. */
#define CR_NFS_MARK_PREFIX ".corral-mark."
#define CR_NFS_MARK_TOKEN_LEN 32
int cr_nfs_mark_write(const struct cr_wpar_config *cfg, char **ret_token, struct cr_error *err);
int cr_nfs_mark_verify(const struct cr_wpar_config *cfg, const char *token, struct cr_error *err);
int cr_nfs_mark_remove(const struct cr_wpar_config *cfg, struct cr_error *err);

/* What is mounted on PATH (the last mount there, from /proc/self/mountinfo):
 * 1 and *RET_SOURCE (the mount's source, e.g. "HOST:EXPORT"; the caller
 * frees it), or 0 when PATH is not a mount point. */
int cr_nfs_mounted_source(const char *path, char **ret_source, struct cr_error *err);

/* True when M is an NFS stanza. */
bool cr_nfs_is_nfs(const struct cr_mount *m);

#endif
