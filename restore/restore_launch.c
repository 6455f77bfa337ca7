/* restartwpar's monitor: the partition's processes come from CRIU images
 * instead of a new init. The monitor (partition/monitor.c) follows the tree
 * this launch restores as it follows any init. */
#define LOG_PREFIX "monitor: "
#include <fcntl.h>
#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "net/net_ckpt.h"
#include "partition/lifecycle.h"
#include "restore/restore.h"

#define FREEZE_TIMEOUT_MS 10000

struct restore_ctx {
	const char *images_dir;
	bool paused;
	bool lazy;
	int go_fd;
};

static int restore_launch(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, void *ctx,
			  pid_t *ret_init, enum cr_state *ret_state, struct cr_error *err)
{
	const struct restore_ctx *rc = ctx;
	int r = cr_restore_tree(cfg, cg, rc->images_dir, rc->go_fd, rc->lazy, ret_init, err);
	if (r < 0)
		return r;
	/* Hold the restored tree still while its timers are mended. */
	if ((r = cr_cgroup_freeze(cg, FREEZE_TIMEOUT_MS, err)) < 0 || (r = cr_restore_fixups(cg, err)) < 0 ||
	    (!rc->paused && (r = cr_cgroup_thaw(cg, err)) < 0)) {
		cr_monitor_kill_launched(cg, *ret_init);
		return cr_error_wrap(err, "resuming the restored %s", cfg->name);
	}
	/* Running: its addresses are here now (a Paused one says so when resumed). */
	struct cr_error net_err = CR_ERROR_INIT;
	if (!rc->paused && cr_net_resumed(cfg, *ret_init, &net_err) < 0)
		cr_partition_log(cfg->name, "restored, but: %s", cr_error_msg(&net_err));
	cr_error_clear(&net_err);
	*ret_state = rc->paused ? CR_STATE_PAUSED : CR_STATE_ACTIVE;
	return 0;
}

int cr_monitor_restore(const char *name, const char *images_dir, bool paused, bool lazy, int go_fd, int report_fd,
		       struct cr_error *err)
{
	struct restore_ctx rc = {images_dir, paused, lazy, go_fd};
	/* Not for CRIU nor any program the monitor runs: for the restorer alone. */
	if (go_fd >= 0 && fcntl(go_fd, F_SETFD, FD_CLOEXEC) < 0)
		return cr_error_errno(err, "descriptor %d (--go) is not open", go_fd);
	return cr_monitor_launch(name, restore_launch, &rc, report_fd, err);
}
