/* A partition's network across a checkpoint and a restore.
 *
 * Dump: CRIU locks the partition's network namespace while it dumps (its
 * nftables table), and with the tree left running it lifts that lock at the
 * end, while the partition is still frozen. From then until the partition
 * is thawed, the kernel would acknowledge a peer's data that the image does
 * not hold, and ending the frozen copy (chkptwpar -k, a relocation) would
 * reset every connection. So the moment CRIU lifts its lock, a table of ours
 * ("inet corral-lock": drop everything but the loopback) takes over, and a
 * small keeper process lifts it when the freezer cgroup thaws; it ends
 * without a word when the partition ends (the table goes with the namespace).
 *
 * Restore: the partition's links are made again on THIS host, which may be
 * another one with its own bridge of the same name: CRIU re-creates a veth
 * whose host end joins the bridge, or a macvlan on the named link
 * (cr_net_restore_externals); cr_net_restored marks the host ends as the
 * partition's; after the thaw, cr_net_resumed lifts any lock the image
 * brought along and announces the addresses (gratuitous ARP, unsolicited
 * neighbour advertisement). */
#ifndef CORRAL_NET_NET_CKPT_H
#define CORRAL_NET_NET_CKPT_H

#include <stddef.h>
#include <sys/types.h>

#include "spec/config.h"
#include "util/error.h"

/* Lock the network namespace of PID (drop all but loopback traffic). */
int cr_net_lock(pid_t pid, struct cr_error *err);

/* Before a checkpointed copy is ended (chkptwpar -k, a relocation's source):
 * drop every packet of PID's network namespace for good, so that its dying
 * sockets send no FIN or RST to peers that live on with the restored copy.
 * Independent of the lock and its keeper; it goes with the namespace. */
int cr_net_seal(pid_t pid, struct cr_error *err);

/* Lift that lock; no lock (or no namespace any more) is not an error. */
int cr_net_unlock(pid_t pid, struct cr_error *err);

/* cr_net_lock, then a detached keeper that lifts the lock once
 * FREEZER_DIR (a cgroup v1 freezer or a cgroup v2 directory) is thawed.
 * The keeper starts watching when DONE_FD (the read end of a pipe whose
 * writer is the dumper) reaches its end: CRIU thaws the cgroup while it
 * works and freezes it again as it leaves. DONE_FD stays the caller's. */
int cr_net_lock_until_thaw(pid_t pid, const char *freezer_dir, int done_fd,
			   struct cr_error *err);

/* The CRIU --external arguments that make CFG's links again on this host:
 * "veth[ethK]:HOST@BRIDGE" for an entry on a bridge (HOST named after
 * OWNER, the pid of the process that stays for the partition's life: the
 * monitor) and "macvlan[ethK]:LINK" for one on another link. A heap array
 * of heap strings (free with cr_net_externals_free); *RET_N may be 0.
 * -ENODEV when an entry's interface is not on this host. */
int cr_net_restore_externals(const struct cr_wpar_config *cfg, pid_t owner, char ***ret_list,
			     size_t *ret_n, struct cr_error *err);
void cr_net_externals_free(char **list, size_t n);

/* After CRIU restored CFG with those externals: mark the host ends it made
 * as the partition's, so cr_net_detach finds them. */
int cr_net_restored(const struct cr_wpar_config *cfg, pid_t owner, struct cr_error *err);

/* The partition (init INIT_PID) runs again after a checkpoint or a restore:
 * lift any lock of ours and announce its addresses. */
int cr_net_resumed(const struct cr_wpar_config *cfg, pid_t init_pid, struct cr_error *err);

#endif
