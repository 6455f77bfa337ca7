/* PrepareArrival (1.2) and Restore (1.1): decoded and handed to the
 * arrival's table (transport/arrival.h), which prepares, then brings the
 * partition to life here; its answer encoded. Commit and Abort are in
 * server_image.c. */
#include <signal.h>
#include <unistd.h>

#include "transport/server.h"
#include "util/fault.h"

int cr_server_on_prepare_arrival(const struct cr_server_ctx *ctx, struct cr_conn *c,
				 const Crwire__PrepareArrival *req, Crwire__Result *res)
{
	const struct cr_arrival_ops *arrival = cr_server_arrival(ctx, res);
	if (!arrival)
		return 0;
	struct cr_arrival_env env = cr_server_arrival_env(ctx);
	struct cr_arrival_prepare q = {
		.name = req->name, .peer = c->peer_name, .spec_text = req->spec_text, .relocation = req->relocation,
		.size_hint = req->has_size_hint ? req->size_hint : 0,
		.fs_archive = req->has_fs_archive ? req->fs_archive.data : NULL,
		.fs_archive_len = req->has_fs_archive ? req->fs_archive.len : 0};
	struct cr_error e = CR_ERROR_INIT;
	if (arrival->prepare(&env, &q, &e) < 0)
		cr_result_fail(res, e.code, "cannot prepare %s here: %s", req->name, cr_error_msg(&e));
	cr_error_clear(&e);
	return 0;
}

int cr_server_on_restore(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Restore *req, Crwire__Result *res, struct cr_error *err)
{
	const struct cr_arrival_ops *arrival = cr_server_arrival(ctx, res);
	if (!arrival)
		return 0;
	struct cr_arrival_env env = cr_server_arrival_env(ctx);
	struct cr_arrival_restore q = {
		.name = req->name,
		.peer = c->peer_name,
		.nfs_mark = req->nfs_mark,
		.relocation = req->relocation,
		.start = req->has_start && req->start,
		.lazy = req->has_lazy && req->lazy,
		.window_boost = cr_server_window_boost(),
	};
	struct cr_error e = CR_ERROR_INIT;
	if (arrival->restore(&env, &q, &e) < 0)
		cr_result_fail(res, e.code, "cannot restore %s here: %s", req->name, cr_error_msg(&e));
	cr_error_clear(&e);
	if (res->code == 0 && cr_fault_injected(CR_FAULT_DROP_AFTER_RESTORE)) /* the answer is lost */
		return cr_error_set(err, ECONNRESET, "test fault drop-after-restore: connection dropped");
	if (res->code == 0 && cr_fault_injected(CR_FAULT_DIE_AFTER_RESTORE)) { /* corrald dies */
		kill(getppid(), SIGKILL);
		_exit(1);
	}
	return 0;
}
