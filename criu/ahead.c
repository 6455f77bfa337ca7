/* A libcriu call whose worker and `criu swrk` are started ahead of it
 * (criu.h: cr_criu_dump_ahead): the caller's side. */
#define LOG_PREFIX "criu: "
#include <stdlib.h>
#include <string.h>

#include "criu/criu_internal.h"
#include "util/log.h"

bool cr_criu_ahead_wanted(void)
{
	const char *v = getenv("CORRAL_CRIU_AHEAD");
	return !(v && strcmp(v, "0") == 0);
}

int cr_criu_ahead_new(const struct cr_criu_job *job, const void *opts, int bound_ms, struct cr_criu_ahead **ret,
		      struct cr_error *err)
{
	if (bound_ms <= 0)
		return cr_error_set(err, EINVAL, "%s: no bound given for the worker started ahead", job->what);
	struct cr_criu_ahead *a = calloc(1, sizeof(*a));
	if (!a || !(a->what = strdup(job->what))) {
		free(a);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	a->job = *job;
	a->job.what = a->what;
	a->opts = opts;
	a->run.res_fd = a->run.out_fd = a->run.go_fd = -1;
	a->run.go_bound_ms = bound_ms;
	int r = cr_criu_run_start(&a->job, &a->run, err);
	if (r < 0) {
		cr_criu_ahead_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

int cr_criu_ahead_ready(struct cr_criu_ahead **ap, int timeout_ms, pid_t *ret_swrk, struct cr_error *err)
{
	struct cr_criu_ahead *a = *ap;
	int64_t start = 0;
	int r = cr_criu_run_ready(&a->run, timeout_ms, &a->swrk, &start);
	if (r == -ETIMEDOUT)
		return cr_error_set(err, ETIMEDOUT, "%s: criu swrk did not start within %d ms", a->what,
				    timeout_ms);
	if (r < 0) {
		cr_error_set(err, -r, "%s: the worker started ahead ended", a->what);
		cr_criu_ahead_cancel(a);
		*ap = NULL;
		return -err->code;
	}
	cr_debug("%s: criu swrk %d started at %lld ms since boot, waits for the go", a->what, (int)a->swrk,
		 (long long)start);
	*ret_swrk = a->swrk;
	return 0;
}

int cr_criu_ahead_finish(struct cr_criu_ahead *a, uint8_t late, int *ret_value, struct cr_error *err)
{
	cr_debug("%s: go to criu swrk %d", a->what, (int)a->swrk);
	(void)cr_criu_run_go(&a->run, late); /* a worker that died answers nothing: wait says so */
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
