/* Dumping a process tree with libcriu, inside the timed worker. */
#include <criu/criu.h>
#include <stdio.h>
#include <stdlib.h>

#include "ckpt/criu_internal.h"
#include "util/cleanup.h"

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
		.default_log = "dump.log",
		.default_timeout_ms = CR_CRIU_DUMP_TIMEOUT_MS,
		.fn = dump_in_worker,
		.arg = o,
	};
	int ignored = 0;
	return cr_criu_run_job(&job, &ignored, err);
}
