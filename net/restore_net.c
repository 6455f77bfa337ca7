/* A restored partition's network on this host (net_ckpt.h): CRIU restores
 * the tree into an empty network namespace (--empty-ns net) and Corral makes
 * the partition's network in it again from its configuration, by netlink,
 * where CRIU would run `ip ... restore` programs and iptables probes. */
#define LOG_PREFIX "net: "
#include "net/link.h"
#include "net/net.h"
#include "net/net_ckpt.h"
#include "net/nl_internal.h"
#include "util/log.h"

/* In the restored root's namespace: the loopback up, then CFG's entries,
 * without waiting for carriers (the announcement comes with the resume). */
static int configure_restored(void *data, struct cr_error *err)
{
	const struct cr_wpar_config *cfg = data;
	int r = cr_net_loopback_up(err);
	if (r == 0 && cfg->n_netifs > 0)
		r = cr_net_configure_links(cfg, false, err);
	return r;
}

int cr_net_restore_inside(const struct cr_wpar_config *cfg, pid_t root, struct cr_error *err)
{
	int r = cr_net_attach(cfg, root, err);
	if (r == 0)
		r = cr_net_in_netns(root, configure_restored, (void *)cfg, err);
	if (r == 0)
		cr_debug("%s: network made again in the namespace of pid %d", cfg->name, (int)root);
	return r;
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
