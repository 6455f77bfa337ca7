/* cr_net_attach and cr_net_detach: a partition's links, made on the host
 * and handed to the network namespace of its init (net.h). */
#define LOG_PREFIX "net: "
#include <linux/if_link.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "net/nl_internal.h"
#include "util/log.h"

struct attach {
	struct nl_sock *sk;
	struct nl_cache *links; /* the host's links */
	const struct cr_wpar_config *cfg;
	pid_t pid;
	char alias[sizeof(CR_NET_ALIAS_PREFIX) + CR_NAME_MAX + 1];
};

/* Give LINK (to be created) entry INDEX's hardware address. */
static int set_mac(struct rtnl_link *link, const struct cr_wpar_config *cfg, size_t index,
		   struct cr_error *err)
{
	uint8_t mac[6];
	cr_net_entry_mac(cfg->name, index, mac);
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, sizeof(mac));
	if (!a)
		return cr_error_set(err, ENOMEM, "out of memory");
	rtnl_link_set_addr(link, a);
	nl_addr_put(a);
	return 0;
}

/* Delete the host links carrying our alias; gone ones are not an error. */
static int remove_host_ends(struct attach *at, struct cr_error *err)
{
	int r = 0;
	for (struct nl_object *o = nl_cache_get_first(at->links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *alias = rtnl_link_get_ifalias(l);
		if (!alias || strcmp(alias, at->alias))
			continue;
		int e = rtnl_link_delete(at->sk, l);
		if (e < 0 && e != -NLE_NODEV && e != -NLE_OBJ_NOTFOUND && r == 0)
			r = cr_nl_error(err, e, "cannot remove %s (of partition %s)",
					rtnl_link_get_name(l), at->cfg->name);
		else if (e == 0)
			cr_debug("removed %s", rtnl_link_get_name(l));
	}
	return r;
}

static int refill(struct attach *at, struct cr_error *err)
{
	int r = nl_cache_refill(at->sk, at->links);
	return r < 0 ? cr_nl_error(err, r, "cannot list the host's interfaces") : 0;
}

/* The host end HOST_NAME, just created: a port of BRIDGE, marked, up. */
static int finish_host_end(struct attach *at, const char *host_name, int bridge,
			   struct cr_error *err)
{
	struct rtnl_link *end = NULL, *change = rtnl_link_alloc();
	if (!change)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = rtnl_link_get_kernel(at->sk, 0, host_name, &end);
	if (r < 0) {
		r = cr_nl_error(err, r, "cannot find the new link %s", host_name);
		goto out;
	}
	rtnl_link_set_master(change, bridge);
	rtnl_link_set_ifalias(change, at->alias);
	rtnl_link_set_flags(change, IFF_UP);
	if ((r = rtnl_link_change(at->sk, end, change, 0)) < 0) {
		r = cr_nl_error(err, r, "cannot make %s a port of its bridge", host_name);
		(void)rtnl_link_delete(at->sk, end);
	}
out:
	rtnl_link_put(end);
	rtnl_link_put(change);
	return r;
}

/* A veth pair: "crvPID-K" on the host, a port of bridge PARENT, and INSIDE
 * in the init's namespace. */
static int add_veth(struct attach *at, size_t index, struct rtnl_link *parent, const char *inside,
		    struct cr_error *err)
{
	char host_name[IFNAMSIZ];
	/* pid_max is at most 2^22: seven digits, and "crvPID-K" fits IFNAMSIZ. */
	snprintf(host_name, sizeof(host_name), "crv%u-%.4s", (unsigned)at->pid % 10000000U,
		 inside + 3);
	struct rtnl_link *veth = rtnl_link_veth_alloc();
	if (!veth)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, host_name);
	rtnl_link_set_name(peer, inside);
	rtnl_link_set_mtu(veth, rtnl_link_get_mtu(parent));
	rtnl_link_set_mtu(peer, rtnl_link_get_mtu(parent));
	rtnl_link_set_ns_pid(peer, at->pid);
	int r = set_mac(peer, at->cfg, index, err);
	if (r == 0 && (r = rtnl_link_add(at->sk, veth, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		r = cr_nl_error(err, r, "cannot create the veth pair %s/%s on bridge %s", host_name,
				inside, rtnl_link_get_name(parent));
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	if (r < 0)
		return r;
	return finish_host_end(at, host_name, rtnl_link_get_ifindex(parent), err);
}

/* The interface index of entry INDEX's macvlan inside the partition, try
 * TRY: high and stable. CRIU makes a macvlan again by asking the host's
 * namespace for a link of its dumped index, and a host link of that index
 * (any host has a 2) would make it fail; no host numbers its links past
 * 2^20. */
static int macvlan_ifindex(const struct cr_wpar_config *cfg, size_t index, unsigned try)
{
	uint8_t mac[6];
	cr_net_entry_mac(cfg->name, index, mac);
	uint32_t h = ((uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5]) & 0x7ffff;
	return (int)(0x100000 + ((h + try) & 0x7ffff));
}

#define MACVLAN_INDEX_TRIES 8

/* A macvlan in bridge mode on PARENT, created right in the init's namespace. */
static int add_macvlan(struct attach *at, size_t index, struct rtnl_link *parent,
		       const char *inside, struct cr_error *err)
{
	struct rtnl_link *mv = rtnl_link_macvlan_alloc();
	if (!mv)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = rtnl_link_macvlan_set_mode(mv, MACVLAN_MODE_BRIDGE);
	if (r < 0) {
		r = cr_nl_error(err, r, "cannot set the macvlan mode");
		goto out;
	}
	rtnl_link_set_name(mv, inside);
	rtnl_link_set_link(mv, rtnl_link_get_ifindex(parent));
	rtnl_link_set_mtu(mv, rtnl_link_get_mtu(parent));
	rtnl_link_set_ns_pid(mv, at->pid);
	if ((r = set_mac(mv, at->cfg, index, err)) < 0)
		goto out;
	/* An index taken here or there: the next one. */
	for (unsigned try = 0; try < MACVLAN_INDEX_TRIES; try++) {
		rtnl_link_set_ifindex(mv, macvlan_ifindex(at->cfg, index, try));
		r = rtnl_link_add(at->sk, mv, NLM_F_CREATE | NLM_F_EXCL);
		if (r != -NLE_EXIST && r != -NLE_BUSY)
			break;
	}
	if (r < 0)
		r = cr_nl_error(err, r, "cannot create a macvlan %s on %s", inside,
				rtnl_link_get_name(parent));
out:
	rtnl_link_put(mv);
	return r;
}

static int add_entry(struct attach *at, size_t index, struct cr_error *err)
{
	const struct cr_netif *n = &at->cfg->netifs[index];
	if (cr_net_entry_on_loopback(n))
		return 0;
	char inside[IFNAMSIZ];
	cr_net_inside_name(at->cfg, index, inside);
	struct rtnl_link *parent = rtnl_link_get_by_name(at->links, n->interface);
	if (!parent)
		return cr_error_set(err, ENODEV, "interface %s does not exist on this host",
				    n->interface);
	const char *type = rtnl_link_get_type(parent);
	int r = type && !strcmp(type, "bridge") ? add_veth(at, index, parent, inside, err)
						 : add_macvlan(at, index, parent, inside, err);
	if (r == 0)
		cr_debug("%s: %s on %s (%s)", at->cfg->name, inside, n->interface,
			 type && !strcmp(type, "bridge") ? "veth" : "macvlan");
	rtnl_link_put(parent);
	return r;
}

/* In the init's namespace: every ethN up, so that a bridge port is
 * forwarding long before the partition announces its addresses. */
static int bring_up_inside(void *data, struct cr_error *err)
{
	const struct cr_wpar_config *cfg = data;
	struct nl_sock *sk = NULL;
	int r = cr_nl_open(&sk, err);
	for (size_t i = 0; r == 0 && i < cfg->n_netifs; i++) {
		char inside[IFNAMSIZ];
		cr_net_inside_name(cfg, i, inside);
		if (!cr_net_entry_on_loopback(&cfg->netifs[i]))
			r = cr_nl_link_up(sk, inside, err);
	}
	nl_socket_free(sk);
	return r;
}

static int attach_open(struct attach *at, const struct cr_wpar_config *cfg, pid_t pid,
		       struct cr_error *err)
{
	memset(at, 0, sizeof(*at));
	at->cfg = cfg;
	at->pid = pid;
	snprintf(at->alias, sizeof(at->alias), CR_NET_ALIAS_PREFIX "%s", cfg->name);
	int r = cr_nl_open(&at->sk, err);
	if (r < 0)
		return r;
	if ((r = rtnl_link_alloc_cache(at->sk, AF_UNSPEC, &at->links)) < 0)
		return cr_nl_error(err, r, "cannot list the host's interfaces");
	return 0;
}

static void attach_close(struct attach *at)
{
	nl_cache_free(at->links);
	nl_socket_free(at->sk);
}

int cr_net_attach(const struct cr_wpar_config *cfg, pid_t init_pid, struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	struct attach at;
	int r = attach_open(&at, cfg, init_pid, err);
	/* Host ends of an earlier run that nobody removed go first. */
	if (r == 0)
		r = remove_host_ends(&at, err);
	for (size_t i = 0; r == 0 && i < cfg->n_netifs; i++)
		r = add_entry(&at, i, err);
	if (r == 0)
		r = cr_net_in_netns(init_pid, bring_up_inside, (void *)cfg, err);
	if (r < 0 && at.links && refill(&at, NULL) == 0)
		(void)remove_host_ends(&at, NULL);
	attach_close(&at);
	return r < 0 ? cr_error_wrap(err, "network of %s", cfg->name) : 0;
}

int cr_net_detach(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	struct attach at;
	int r = attach_open(&at, cfg, 0, err);
	if (r == 0)
		r = remove_host_ends(&at, err);
	attach_close(&at);
	return r;
}
