/* What the files of net/ share: a route netlink socket with a timeout,
 * libnl errors turned into ours, and how a network entry is named inside. */
#ifndef CORRAL_NET_NL_INTERNAL_H
#define CORRAL_NET_NL_INTERNAL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/config.h"
#include "util/error.h"

struct nl_sock;

/* Bound on every wait for a netlink reply. */
#define CR_NL_TIMEOUT_S 5

/* A connected NETLINK_ROUTE socket whose replies time out. */
int cr_nl_open(struct nl_sock **ret_sock, struct cr_error *err);

/* Fill ERR with "WHAT: libnl's message" and the nearest errno; returns it. */
int cr_nl_error(struct cr_error *err, int nlerr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Bring link NAME of SK's namespace up. */
int cr_nl_link_up(struct nl_sock *sk, const char *name, struct cr_error *err);

/* Run FN(DATA, ERR) with the calling thread in the network namespace of PID,
 * then come back. */
int cr_net_in_netns(pid_t pid, int (*fn)(void *data, struct cr_error *err), void *data,
		    struct cr_error *err);

/* The same for the namespace open at TARGET (WHOSE names it in errors). */
int cr_net_in_netns_fd(int target, const char *whose, int (*fn)(void *data, struct cr_error *err), void *data,
		       struct cr_error *err);

/* True when entry N lives on the partition's own loopback (interface=lo). */
bool cr_net_entry_on_loopback(const struct cr_netif *n);

/* The name of entry INDEX inside the partition: "lo", or "ethK" where K
 * counts the entries before it that are not on the loopback. */
void cr_net_inside_name(const struct cr_wpar_config *cfg, size_t index, char ret[IFNAMSIZ]);

/* A stable, locally administered MAC for entry INDEX of partition NAME, so
 * the partition keeps its hardware address across restarts and hosts. */
void cr_net_entry_mac(const char *name, size_t index, uint8_t ret[6]);

/* Ask the kernel to announce IFNAME's addresses itself when it comes up or
 * changes its hardware address (arp_notify, ndisc_notify; IPv6 is skipped
 * where the kernel has none). */
int cr_net_set_notify(const char *ifname, struct cr_error *err);

/* In the partition's network namespace: CFG's addresses on its links, the
 * links up, the default routes (cr_net_configure_inside without the
 * announcement). With SETTLE, each link is waited for (a bounded time)
 * until it carries packets. */
int cr_net_configure_links(const struct cr_wpar_config *cfg, bool settle, struct cr_error *err);

/* "corral:NAME": the alias that marks the host ends of NAME's links. */
#define CR_NET_ALIAS_PREFIX "corral:"

#endif
