/* Dumping a process tree with libcriu, inside the timed worker. */
#include <criu/criu.h>
#include <stdio.h>
#include <stdlib.h>

#include "ckpt/criu_internal.h"
#include "util/cleanup.h"

#define DUMP_LOG "dump.log"

static int dump_in_worker(const struct cr_criu_job *job, const struct cr_criu_service *svc,
			  struct cr_error *err)
{
	const struct cr_criu_dump_opts *o = job->arg;
	criu_opts *c = NULL;
	int r = cr_criu_session_open(&o->common, svc, job->default_log, &c, err);
	if (r < 0)
		return r;
	criu_local_set_pid(c, o->pid);
	criu_local_set_leave_running(c, o->leave_running);
	if (o->freeze_cgroup && criu_local_set_freeze_cgroup(c, o->freeze_cgroup) < 0) {
		criu_local_free_opts(c);
		return cr_error_set(err, ENOMEM, "cannot set criu freeze cgroup %s",
				    o->freeze_cgroup);
	}
	r = criu_local_dump(c);
	criu_local_free_opts(c);
	if (r < 0)
		return cr_criu_call_error(r, job->what, err);
	return 0;
}

/* A dump killed at its deadline leaves its network lock: remove it, and say
 * so in ERR (which keeps its timeout code). */
static void note_unlock(const struct cr_criu_dump_opts *o, struct cr_error *err)
{
	cleanup_free char *log_path = NULL;
	struct cr_error uerr = CR_ERROR_INIT;
	int u = cr_criu_log_path(&o->common, DUMP_LOG, &log_path, &uerr);
	if (u == 0)
		u = cr_criu_nft_unlock(o->pid, log_path, &uerr);
	if (u < 0)
		cr_error_set(err, err->code, "%s; %s", cr_error_msg(err), cr_error_msg(&uerr));
	else if (u > 0)
		cr_error_set(err, err->code, "%s; criu's network lock was removed",
			     cr_error_msg(err));
	cr_error_clear(&uerr);
}

int cr_criu_dump(const struct cr_criu_dump_opts *o, struct cr_error *err)
{
	if (o->pid <= 0)
		return cr_error_set(err, EINVAL, "criu dump: no pid given");
	cleanup_free char *what = NULL;
	if (asprintf(&what, "criu dump of pid %d", (int)o->pid) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct cr_criu_job job = {
		.what = what,
		.common = &o->common,
		.default_log = DUMP_LOG,
		.default_timeout_ms = CR_CRIU_DUMP_TIMEOUT_MS,
		.fn = dump_in_worker,
		.arg = o,
	};
	int ignored = 0;
	int r = cr_criu_run_job(&job, &ignored, err);
	if (r == -ETIMEDOUT && o->common.network_lock == CR_CRIU_NETLOCK_NFTABLES)
		note_unlock(o, err);
	return r;
}
