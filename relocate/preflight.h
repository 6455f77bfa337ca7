/* What a peer must offer to take a partition, asked before anything moves. */
#ifndef CORRAL_RELOCATE_PREFLIGHT_H
#define CORRAL_RELOCATE_PREFLIGHT_H

#include <stdbool.h>

#include "spec/config.h"
#include "transport/client.h"
#include "util/error.h"

/* Ask P whether it can take the partition CFG (LIVE: with its processes,
 * which needs CRIU, this host's architecture and CPU features and the same
 * cgroup mode); SPACE_BYTES of disk for what will be unpacked there and
 * MEMORY_BYTES of memory for its pages (0: not asked); NFS_MARK (or NULL):
 * the token on its NFS exports, which the peer must see too. -EAGAIN
 * with every reason the peer gave in one line when it cannot. */
int cr_relocate_preflight(struct cr_peer *p, const struct cr_wpar_config *cfg, bool live,
			  uint64_t space_bytes, uint64_t memory_bytes, const char *nfs_mark,
			  struct cr_error *err);

#endif
