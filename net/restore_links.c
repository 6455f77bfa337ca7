/* A restored partition's links on this host (net_ckpt.h): the CRIU
 * externals that make them again, and the marking of the host ends CRIU
 * made. */
#define LOG_PREFIX "net: "
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/net_ckpt.h"
#include "net/nl_internal.h"
#include "util/log.h"

/* The host end of restored entry INDEX: "crrPID-ethK" cut to IFNAMSIZ
 * ("crv..." is what a start makes; the monitor's pid tells them apart). */
static void host_end_name(const struct cr_wpar_config *cfg, size_t index, pid_t owner,
			  char ret[IFNAMSIZ])
{
	char inside[IFNAMSIZ];
	cr_net_inside_name(cfg, index, inside);
	snprintf(ret, IFNAMSIZ, "crr%u-%.4s", (unsigned)owner % 10000000U, inside + 3);
}

/* 1 when entry INDEX's interface is a bridge on this host, 0 when it is
 * another link. */
static int on_bridge(struct nl_sock *sk, const struct cr_netif *n, struct cr_error *err)
{
	struct rtnl_link *link = NULL;
	int r = rtnl_link_get_kernel(sk, 0, n->interface, &link);
	if (r < 0)
		return r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND
			       ? cr_error_set(err, ENODEV, "interface %s does not exist on this host",
					      n->interface)
			       : cr_nl_error(err, r, "cannot look up interface %s", n->interface);
	const char *type = rtnl_link_get_type(link);
	bool bridge = type && strcmp(type, "bridge") == 0;
	rtnl_link_put(link);
	return bridge;
}

void cr_net_externals_free(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

int cr_net_restore_externals(const struct cr_wpar_config *cfg, pid_t owner, char ***ret_list,
			     size_t *ret_n, struct cr_error *err)
{
	*ret_list = NULL;
	*ret_n = 0;
	if (cfg->n_netifs == 0)
		return 0;
	char **list = calloc(cfg->n_netifs, sizeof(*list));
	if (!list)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct nl_sock *sk = NULL;
	size_t n = 0;
	int r = cr_nl_open(&sk, err);
	for (size_t i = 0; r == 0 && i < cfg->n_netifs; i++) {
		const struct cr_netif *e = &cfg->netifs[i];
		if (cr_net_entry_on_loopback(e))
			continue;
		char inside[IFNAMSIZ], host[IFNAMSIZ];
		cr_net_inside_name(cfg, i, inside);
		int bridge = on_bridge(sk, e, err);
		if (bridge < 0) {
			r = bridge;
			break;
		}
		host_end_name(cfg, i, owner, host);
		int len = bridge ? asprintf(&list[n], "veth[%s]:%s@%s", inside, host, e->interface)
				 : asprintf(&list[n], "macvlan[%s]:%s", inside, e->interface);
		if (len < 0) {
			list[n] = NULL;
			r = cr_error_set(err, ENOMEM, "out of memory");
			break;
		}
		cr_debug("%s: restore %s as %s", cfg->name, inside, list[n]);
		n++;
	}
	nl_socket_free(sk);
	if (r < 0) {
		cr_net_externals_free(list, n);
		return cr_error_wrap(err, "network of %s", cfg->name);
	}
	*ret_list = list;
	*ret_n = n;
	return 0;
}

/* Give the host end HOST the partition's alias and the bridge's MTU. */
static int mark_host_end(struct nl_sock *sk, const char *host, const char *bridge,
			 const char *alias, struct cr_error *err)
{
	struct rtnl_link *end = NULL, *br = NULL, *change = rtnl_link_alloc();
	if (!change)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = rtnl_link_get_kernel(sk, 0, host, &end);
	if (r < 0) {
		r = cr_nl_error(err, r, "cannot find the restored link %s", host);
		goto out;
	}
	rtnl_link_set_ifalias(change, alias);
	if (rtnl_link_get_kernel(sk, 0, bridge, &br) == 0)
		rtnl_link_set_mtu(change, rtnl_link_get_mtu(br));
	if ((r = rtnl_link_change(sk, end, change, 0)) < 0)
		r = cr_nl_error(err, r, "cannot mark %s as a link of its partition", host);
out:
	rtnl_link_put(br);
	rtnl_link_put(end);
	rtnl_link_put(change);
	return r;
}

int cr_net_restored(const struct cr_wpar_config *cfg, pid_t owner, struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	char alias[sizeof(CR_NET_ALIAS_PREFIX) + CR_NAME_MAX + 1];
	snprintf(alias, sizeof(alias), CR_NET_ALIAS_PREFIX "%s", cfg->name);
	struct nl_sock *sk = NULL;
	int r = cr_nl_open(&sk, err);
	for (size_t i = 0; r == 0 && i < cfg->n_netifs; i++) {
		const struct cr_netif *e = &cfg->netifs[i];
		if (cr_net_entry_on_loopback(e))
			continue;
		int bridge = on_bridge(sk, e, err);
		if (bridge <= 0) {
			r = bridge;
			continue;
		}
		char host[IFNAMSIZ];
		host_end_name(cfg, i, owner, host);
		r = mark_host_end(sk, host, e->interface, alias, err);
	}
	nl_socket_free(sk);
	return r < 0 ? cr_error_wrap(err, "network of %s", cfg->name) : 0;
}

int cr_net_resumed(const struct cr_wpar_config *cfg, pid_t init_pid, struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	int r = cr_net_unlock(init_pid, err);
	if (r == 0)
		r = cr_net_announce_in(cfg, init_pid, err);
	return r < 0 ? cr_error_wrap(err, "network of %s", cfg->name) : 0;
}
