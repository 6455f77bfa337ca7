/* cr_net_validate_host: the pre-flight of a partition's network entries
 * against this host (its links and addresses, through libnl caches). The
 * other partitions' addresses are partition/net_validate.c's part. */
#define LOG_PREFIX "net: "
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/nl_internal.h"
#include "spec/addr_check.h"

struct host_addrs {
	struct nl_cache *links;
	struct cr_net_addr *list;
	size_t n, cap;
	bool nomem;
};

static void add_host_addr(struct nl_object *obj, void *data)
{
	struct host_addrs *h = data;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(a);
	if (!local || h->nomem)
		return;
	int family = nl_addr_get_family(local);
	unsigned len = nl_addr_get_len(local);
	if ((family != AF_INET || len != 4) && (family != AF_INET6 || len != 16))
		return;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct cr_net_addr *grown = realloc(h->list, cap * sizeof(*grown));
		if (!grown) {
			h->nomem = true;
			return;
		}
		h->list = grown;
		h->cap = cap;
	}
	struct cr_net_addr *e = &h->list[h->n++];
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->bytes, nl_addr_get_binary_addr(local), len);
	if (!rtnl_link_i2name(h->links, rtnl_addr_get_ifindex(a), e->ifname, sizeof(e->ifname)))
		e->ifname[0] = '\0';
}

static int check_links(const struct cr_wpar_config *cfg, struct nl_cache *links,
		       struct cr_error *err)
{
	for (size_t i = 0; i < cfg->n_netifs; i++) {
		const struct cr_netif *n = &cfg->netifs[i];
		struct rtnl_link *link = rtnl_link_get_by_name(links, n->interface);
		if (!link)
			return cr_error_set(err, ENODEV, "interface %s (for %s) does not exist on this host",
					    n->interface, n->address ? n->address : n->address6);
		rtnl_link_put(link);
	}
	return 0;
}

static int check_host(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	struct nl_sock *sk = NULL;
	struct host_addrs h = {0};
	struct nl_cache *addrs = NULL;
	int r = cr_nl_open(&sk, err);
	if (r < 0)
		return r;
	if ((r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &h.links)) < 0) {
		r = cr_nl_error(err, r, "cannot list the host's interfaces");
		goto out;
	}
	if ((r = check_links(cfg, h.links, err)) < 0)
		goto out;
	if ((r = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		r = cr_nl_error(err, r, "cannot list the host's addresses");
		goto out;
	}
	nl_cache_foreach(addrs, add_host_addr, &h);
	r = h.nomem ? cr_error_set(err, ENOMEM, "out of memory")
		    : cr_net_check_host(cfg, h.list, h.n, err);
out:
	free(h.list);
	nl_cache_free(addrs);
	nl_cache_free(h.links);
	nl_socket_free(sk);
	return r;
}

int cr_net_validate_host(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	int r;
	if ((r = cr_net_check_entries(cfg, err)) < 0 || (r = check_host(cfg, err)) < 0)
		return r;
	return 0;
}
