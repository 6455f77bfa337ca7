/* A partition's network interfaces (mkwpar -N): what the lifecycle calls.
 *
 * Every network entry (struct cr_netif) gives the partition one interface
 * inside its network namespace, named eth0, eth1, ... in the order of the
 * entries, holding the entry's addresses (address/netmask/broadcast,
 * address6/prefixlen) on the subnet of the host interface it names:
 *   - a bridge: a veth pair, the host end a port of the bridge;
 *   - any other link (physical, veth, dummy, macvlan...): a macvlan in
 *     bridge mode on it;
 *   - "lo": no new link, the addresses go on the partition's own loopback.
 * The kernel adds the subnet route with each address; gateway= adds a
 * default route through it (the first entry with a gateway of a family wins).
 *
 * The order at start: the monitor spawns the init in a new network
 * namespace; before releasing it, cr_net_attach (host side) creates the
 * links and puts their inner ends into the init's namespace; the init, once
 * its loopback is up, calls cr_net_configure_inside, which sets the
 * addresses, brings the links up, adds the routes and announces the
 * addresses (gratuitous ARP, unsolicited neighbour advertisement). When the
 * partition ends, cr_net_detach removes what could be left on the host. */
#ifndef CORRAL_NET_NET_H
#define CORRAL_NET_NET_H

#include <sys/types.h>

#include "spec/config.h"
#include "util/error.h"

/* Pre-flight against this host, before anything changes: every entry's
 * interface exists on this host, its addresses are well formed (netmask
 * contiguous, gateway on the entry's subnet), none is an address of this host
 * or of another entry. -ENODEV, -EINVAL or -EADDRINUSE with a one-line
 * message naming the interface and the address. The other partitions'
 * addresses: cr_partition_net_validate (partition/lifecycle.h). */
int cr_net_validate_host(const struct cr_wpar_config *cfg, struct cr_error *err);

/* Host side, in the host's network namespace: create CFG's links and put
 * their inner ends (eth0, eth1, ...) into the network namespace of
 * INIT_PID, down and unconfigured. On failure whatever was created on the
 * host is removed again. */
int cr_net_attach(const struct cr_wpar_config *cfg, pid_t init_pid, struct cr_error *err);

/* Inside the partition's network namespace (after cr_net_attach, with the
 * loopback up): addresses, links up, routes, then cr_net_announce. */
int cr_net_configure_inside(const struct cr_wpar_config *cfg, struct cr_error *err);

/* Tell the LAN where CFG's addresses are now, from inside the partition's
 * network namespace: one gratuitous ARP per IPv4 address and one
 * unsolicited neighbour advertisement per IPv6 address, from each ethN.
 * Sets arp_notify/ndisc_notify too, so the kernel announces again when a
 * link comes up or changes its hardware address. */
int cr_net_announce(const struct cr_wpar_config *cfg, struct cr_error *err);

/* The same from outside (after a restore): enters the network namespace of
 * INIT_PID for the calling thread only, announces, and comes back. */
int cr_net_announce_in(const struct cr_wpar_config *cfg, pid_t init_pid, struct cr_error *err);

/* A partition's network namespace dies some time after its last process,
 * in the kernel's own time, and its links with it: a macvlan keeps its
 * hardware address on the host's interface till then, and a restart that
 * makes it again (same address) finds it in use. cr_net_hold keeps the
 * namespace of INIT_PID open (*RET_FD; -1 when CFG has no links); once the
 * init has ended, cr_net_release deletes every link in it but the loopback
 * and closes it. */
int cr_net_hold(const struct cr_wpar_config *cfg, pid_t init_pid, int *ret_fd, struct cr_error *err);
int cr_net_release(const struct cr_wpar_config *cfg, int *netns_fd, struct cr_error *err);

/* Remove the host ends of CFG's links that are still there (a veth end
 * normally goes with the namespace; this makes it so at once). Links
 * already gone are not an error. */
int cr_net_detach(const struct cr_wpar_config *cfg, struct cr_error *err);

#endif
