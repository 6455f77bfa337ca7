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
 * Restore: CRIU neither dumps nor restores the namespace's links,
 * addresses, routes, rules and firewall (--empty-ns net; its sockets it
 * does): it gives the restored root an empty network namespace, and
 * cr_net_restore_inside makes the partition's network in it again on THIS
 * host (which may be another one with its own bridge of the same name) from
 * the partition's configuration, before any socket is restored. What was
 * added by hand inside a running partition (an address, a route, a firewall
 * rule) is not carried. After the thaw, cr_net_resumed lifts any lock and
 * announces the addresses (gratuitous ARP, unsolicited
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

/* In the empty network namespace of a restored root ROOT, while CRIU's
 * network lock holds it (CRIU's post-setup-namespaces, before any socket is
 * restored): the loopback up and CFG's entries made again: the links from
 * the host (cr_net_attach), the addresses (IPv6 without duplicate address
 * detection: a restored TCP socket needs its address usable at once), the
 * links up, the default routes. No announcement: cr_net_resumed does that
 * once the tree runs. */
int cr_net_restore_inside(const struct cr_wpar_config *cfg, pid_t root, struct cr_error *err);

/* The partition (init INIT_PID) runs again after a checkpoint or a restore:
 * lift any lock of ours and announce its addresses. */
int cr_net_resumed(const struct cr_wpar_config *cfg, pid_t init_pid, struct cr_error *err);

#endif
