/* A libcriu call whose worker and `criu swrk` are started ahead of it
 * (criu.h: cr_criu_dump_ahead): the caller's side. */
#define LOG_PREFIX "criu: "
#include <stdlib.h>
#include <string.h>

#include "criu/criu_internal.h"
#include "util/log.h"

int cr_criu_ahead_start(struct cr_criu_ahead *a, int bound_ms, struct cr_error *err)
{
	a->run.res_fd = a->run.out_fd = a->run.go_fd = -1;
	if (bound_ms <= 0)
		return cr_error_set(err, EINVAL, "%s: no bound given for the worker started ahead", a->job.what);
	a->what = strdup(a->job.what);
	if (!a->what)
		return cr_error_set(err, ENOMEM, "out of memory");
	a->job.what = a->what;
	a->run.go_bound_ms = bound_ms;
	return cr_criu_run_start(&a->job, &a->run, err);
}

int cr_criu_ahead_ready(struct cr_criu_ahead *a, int timeout_ms, pid_t *ret_swrk, struct cr_error *err)
{
	int64_t start = 0;
	int r = cr_criu_run_ready(&a->run, timeout_ms, &a->swrk, &start);
	if (r == -ETIMEDOUT)
		return cr_error_set(err, ETIMEDOUT, "%s: criu swrk did not start within %d ms", a->what,
				    timeout_ms);
	if (r < 0)
		return cr_error_set(err, -r, "%s: the worker started ahead ended", a->what);
	cr_debug("%s: criu swrk %d started at %lld ms since boot, waits for the go", a->what, (int)a->swrk,
		 (long long)start);
	*ret_swrk = a->swrk;
	return 0;
}

int cr_criu_ahead_finish(struct cr_criu_ahead *a, int *ret_value, struct cr_error *err)
{
	cr_debug("%s: go to criu swrk %d", a->what, (int)a->swrk);
	(void)cr_criu_run_go(&a->run); /* a worker that died answers nothing: wait says so */
	return cr_criu_run_wait(&a->job, &a->run, ret_value, err);
}

void cr_criu_ahead_free(struct cr_criu_ahead *a)
{
	if (!a)
		return;
	free(a->what);
	free(a);
}

void cr_criu_ahead_cancel(struct cr_criu_ahead *a)
{
	if (!a)
		return;
	cr_debug("%s: the worker and criu swrk %d started ahead are ended", a->what, (int)a->swrk);
	cr_criu_run_cancel(&a->run);
	cr_criu_ahead_free(a);
}
