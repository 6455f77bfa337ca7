/* cr_net_configure_inside: the partition's side of its network, run in its
 * own network namespace once cr_net_attach has put the links there. */
#define LOG_PREFIX "net: "
#include <arpa/inet.h>
#include <net/if.h> /* before linux/if.h, which then adds IFF_LOWER_UP, IF_OPER_UP */
#include <linux/if.h>
#include <linux/if_addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "net/nl_internal.h"
#include "spec/addr_check.h"
#include "util/log.h"

#define CARRIER_WAIT_MS 2000

/* Add ADDR/PLEN (BCAST or none) to IFINDEX; FLAGS are IFA_F_*. */
static int add_addr(struct nl_sock *sk, int ifindex, const char *ifname, int family,
		    const void *addr, unsigned plen, const struct in_addr *bcast, unsigned flags,
		    struct cr_error *err)
{
	char text[INET6_ADDRSTRLEN];
	inet_ntop(family, addr, text, sizeof(text));
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(family, addr, family == AF_INET ? 4 : 16);
	struct nl_addr *b = bcast ? nl_addr_build(AF_INET, bcast, 4) : NULL;
	int r;
	if (!a || !local || (bcast && !b)) {
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	nl_addr_set_prefixlen(local, (int)plen);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, family);
	if ((r = rtnl_addr_set_local(a, local)) < 0 || (b && (r = rtnl_addr_set_broadcast(a, b)) < 0)) {
		r = cr_nl_error(err, r, "cannot describe the address %s", text);
		goto out;
	}
	if (flags)
		rtnl_addr_set_flags(a, flags);
	if ((r = rtnl_addr_add(sk, a, 0)) < 0)
		r = cr_nl_error(err, r, "cannot add the address %s/%u to %s", text, plen, ifname);
out:
	nl_addr_put(b);
	nl_addr_put(local);
	rtnl_addr_put(a);
	return r;
}

/* A default route of FAMILY through GW on IFINDEX. */
static int add_default_route(struct nl_sock *sk, int ifindex, const char *ifname, int family,
			     const void *gw, struct cr_error *err)
{
	static const unsigned char any[16];
	size_t len = family == AF_INET ? 4 : 16;
	char text[INET6_ADDRSTRLEN];
	inet_ntop(family, gw, text, sizeof(text));
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(family, any, len);
	struct nl_addr *via = nl_addr_build(family, gw, len);
	int r;
	if (!route || !nh || !dst || !via) {
		if (nh)
			rtnl_route_nh_free(nh);
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(route, (uint8_t)family);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(route, RTN_UNICAST);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	if ((r = rtnl_route_set_dst(route, dst)) < 0) {
		rtnl_route_nh_free(nh);
		r = cr_nl_error(err, r, "cannot describe the default route");
		goto out;
	}
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(route, nh); /* the route owns NH now */
	if ((r = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		r = cr_nl_error(err, r, "cannot add the default route via %s on %s", text, ifname);
out:
	nl_addr_put(via);
	nl_addr_put(dst);
	rtnl_route_put(route);
	return r;
}

/* Wait (a bounded time) until LINK can carry packets: announcing before
 * that would be lost. A link without carrier is not an error. */
static void wait_carrier(struct nl_sock *sk, const char *name)
{
	for (int waited_ms = 0; waited_ms < CARRIER_WAIT_MS; waited_ms += 10) {
		struct rtnl_link *link = NULL;
		if (rtnl_link_get_kernel(sk, 0, name, &link) < 0)
			return;
		bool up = rtnl_link_get_operstate(link) == IF_OPER_UP ||
			  (rtnl_link_get_flags(link) & IFF_LOWER_UP);
		rtnl_link_put(link);
		if (up)
			return;
		usleep(10000);
	}
	cr_debug("%s has no carrier after %d ms", name, CARRIER_WAIT_MS);
}

/* Addresses of entry INDEX on its link, the link up (with SETTLE, carrying
 * packets); its ifindex out. */
static int configure_entry(struct nl_sock *sk, const struct cr_wpar_config *cfg, size_t index,
			   const struct cr_net_entry *e, bool settle, int *ret_ifindex, struct cr_error *err)
{
	char name[IFNAMSIZ];
	cr_net_inside_name(cfg, index, name);
	struct rtnl_link *link = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &link);
	if (r < 0)
		return cr_nl_error(err, r, "cannot find %s in the partition", name);
	int ifindex = rtnl_link_get_ifindex(link);
	bool loopback = cr_net_entry_on_loopback(&cfg->netifs[index]);
	struct in_addr bcast = e->bcast;
	if (e->has_v4 && !e->has_bcast && e->plen4 < 31) /* as "ip addr add ... brd +" */
		bcast.s_addr = e->addr4.s_addr | htonl(0xffffffffU >> e->plen4);
	if (e->has_v4 && (r = add_addr(sk, ifindex, name, AF_INET, &e->addr4, e->plen4,
				       e->has_bcast || e->plen4 < 31 ? &bcast : NULL, 0, err)) < 0)
		goto out;
	/* No duplicate address detection: the address was checked before the
	 * start, and after a relocation the old host may still answer for it a
	 * moment. The address is usable at once. */
	if (e->has_v6 && (r = add_addr(sk, ifindex, name, AF_INET6, &e->addr6, e->plen6, NULL,
				       IFA_F_NODAD, err)) < 0)
		goto out;
	if (!loopback && (r = cr_net_set_notify(name, err)) == 0 &&
	    (r = cr_nl_link_up(sk, name, err)) == 0 && settle)
		wait_carrier(sk, name);
	*ret_ifindex = ifindex;
out:
	rtnl_link_put(link);
	return r;
}

int cr_net_configure_links(const struct cr_wpar_config *cfg, bool settle, struct cr_error *err)
{
	struct nl_sock *sk = NULL;
	int r = cr_nl_open(&sk, err);
	bool gw4 = false, gw6 = false;
	for (size_t i = 0; r == 0 && i < cfg->n_netifs; i++) {
		struct cr_net_entry e;
		int ifindex = 0;
		if ((r = cr_net_parse_entry(&cfg->netifs[i], &e, err)) < 0 ||
		    (r = configure_entry(sk, cfg, i, &e, settle, &ifindex, err)) < 0)
			break;
		/* The first gateway of each family gives the default route. */
		char name[IFNAMSIZ];
		cr_net_inside_name(cfg, i, name);
		if (e.gw_family == AF_INET && !gw4) {
			gw4 = true;
			r = add_default_route(sk, ifindex, name, AF_INET, &e.gw4, err);
		} else if (e.gw_family == AF_INET6 && !gw6) {
			gw6 = true;
			r = add_default_route(sk, ifindex, name, AF_INET6, &e.gw6, err);
		}
	}
	nl_socket_free(sk);
	return r < 0 ? cr_error_wrap(err, "configuring the network of %s", cfg->name) : 0;
}

int cr_net_configure_inside(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	int r = cr_net_configure_links(cfg, true, err);
	if (r < 0)
		return r;
	/* The kernel announced the IPv4 addresses as the links came up
	 * (arp_notify); announce every address once more, now that all are set. */
	struct cr_error ignored = CR_ERROR_INIT;
	if (cr_net_announce(cfg, &ignored) < 0)
		cr_debug("%s: %s", cfg->name, cr_error_msg(&ignored));
	cr_error_clear(&ignored);
	return 0;
}
