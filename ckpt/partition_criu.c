#include "ckpt/partition_criu.h"

#include <string.h>

void cr_partition_criu_common(const struct cr_wpar_config *cfg, const char *images_dir,
			      const char *log_name, struct cr_criu_common *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->images_dir = images_dir;
	ret->log_file = log_name;
	ret->keep_log_as = cfg->name;
	/* An application partition's mount namespace is over the host's root:
	 * CRIU restores a mount namespace only when given its root. */
	ret->root = cfg->type == CR_TYPE_SYSTEM ? cfg->directory : "/";
	ret->tcp_established = true;
	ret->file_locks = true;
	ret->link_remap = true;
	ret->ghost_limit = CR_GHOST_LIMIT;
	ret->ext_mount_map_auto = true;
	ret->manage_cgroups_ignore = true;
	/* A system partition has a network namespace of its own: lock it while
	 * frozen. An application partition shares the host's and is not locked. */
	ret->network_lock = cfg->type == CR_TYPE_SYSTEM ? CR_CRIU_NETLOCK_NFTABLES : CR_CRIU_NETLOCK_SKIP;
	/* Its links reach outside (-N): keep it locked till it thaws, so that
	 * ending the frozen copy resets no connection and no peer's data is
	 * acknowledged that the image does not hold. */
	ret->hold_network_lock = cfg->type == CR_TYPE_SYSTEM && cfg->n_netifs > 0;
	/* Its links, addresses and routes are the configuration's: Corral makes
	 * them again on restore (cr_net_restore_inside) by netlink, where CRIU
	 * would run ip and iptables programs on both sides of the window. */
	ret->empty_netns = cfg->type == CR_TYPE_SYSTEM;
	ret->shell_job = cfg->type != CR_TYPE_SYSTEM;
}
