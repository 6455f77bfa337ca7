/* A libnfs context mounted on an export, with Corral's timeouts (nfs/ only). */
#ifndef CORRAL_NFS_CLIENT_H
#define CORRAL_NFS_CLIENT_H

#include <nfsc/libnfs.h>

#include "nfs/nfs.h"

/* Connect to HOST:EXPORT_PATH as root (AUTH_SYS uid 0, gid 0): every call
 * then has OPTS->timeout_s; RECONNECT is libnfs's autoreconnect count (0:
 * fail at once, -1: forever, each call still bounded by the timeout).
 * Errors say "HOST:EXPORT: cause": server unreachable or no such export. */
int cr_nfs_connect(const char *host, const char *export_path, const struct cr_nfs_options *opts,
		   int reconnect, struct nfs_context **ret_nfs, struct cr_error *err);

/* Release NFS (NULL is fine). */
void cr_nfs_disconnect(struct nfs_context *nfs);

/* Turn a libnfs failure R (-errno) of WHAT on PATH into ERR: "WHAT PATH on
 * HOST:EXPORT: strerror (libnfs' message)". Returns a negative code. */
int cr_nfs_call_error(struct nfs_context *nfs, int r, const char *where, const char *what,
		      const char *path, struct cr_error *err);

#endif
