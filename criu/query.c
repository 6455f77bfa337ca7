/* Questions to criu itself: its version, `criu check`, its features. Each
 * runs in the timed worker like a dump. */
#include <criu.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu/criu_internal.h"

static int version_in_worker(const struct cr_criu_job *job, const struct cr_criu_service *svc,
			     struct cr_error *err)
{
	criu_opts *c = NULL;
	int r = cr_criu_session_open(NULL, svc, NULL, &c, err);
	if (r < 0)
		return r;
	r = criu_local_get_version(c);
	criu_local_free_opts(c);
	return r < 0 ? cr_criu_call_error(r, job->what, err) : r;
}

/* libcriu's check request sends no options and criu 4.1 then fails, so the
 * worker runs `criu check` itself; its output becomes the error's tail. */
static int check_in_worker(const struct cr_criu_job *job, const struct cr_criu_service *svc,
			   struct cr_error *err)
{
	const char *bin = svc->binary ? svc->binary : "criu";
	pid_t pid = fork();
	if (pid < 0)
		return cr_error_errno(err, "%s: cannot fork", job->what);
	if (pid == 0) {
		execlp(bin, bin, "check", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cr_error_errno(err, "%s: cannot wait for %s", job->what, bin);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return cr_error_set(err, ENOENT, "%s: cannot run %s", job->what, bin);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cr_error_set(err, EIO, "%s: %s check says this host cannot checkpoint",
				    job->what, bin);
	return 0;
}

enum { FEATURE_MEM_TRACK = 1, FEATURE_LAZY_PAGES = 2, FEATURE_PIDFD_STORE = 4, FEATURE_STREAM = 8,
       FEATURE_TMPFS_TAR = 16 };

/* The answer is a bit set: the worker hands back one int. */
static int features_in_worker(const struct cr_criu_job *job, const struct cr_criu_service *svc,
			      struct cr_error *err)
{
	criu_opts *c = NULL;
	int r = cr_criu_session_open(NULL, svc, NULL, &c, err);
	if (r < 0)
		return r;
	struct criu_feature_check f = {.mem_track = true, .lazy_pages = true, .pidfd_store = true};
	bool stream = false, tmpfs_tar = false;
#ifdef CORRAL_HAVE_CRIU_STREAM
	f.stream = true; /* a criu without the patch leaves it unanswered: false */
#endif
#ifdef CORRAL_HAVE_CRIU_TMPFS_TAR
	f.tmpfs_plain_tar = true; /* likewise (0009) */
#endif
	r = criu_local_feature_check(c, &f, sizeof(f));
	criu_local_free_opts(c);
	if (r < 0)
		return cr_criu_call_error(r, job->what, err);
#ifdef CORRAL_HAVE_CRIU_STREAM
	stream = f.stream;
#endif
#ifdef CORRAL_HAVE_CRIU_TMPFS_TAR
	tmpfs_tar = f.tmpfs_plain_tar;
#endif
	return (f.mem_track ? FEATURE_MEM_TRACK : 0) | (f.lazy_pages ? FEATURE_LAZY_PAGES : 0) |
	       (f.pidfd_store ? FEATURE_PIDFD_STORE : 0) | (stream ? FEATURE_STREAM : 0) |
	       (tmpfs_tar ? FEATURE_TMPFS_TAR : 0);
}

static int query(const struct cr_criu_service *svc, const char *what, cr_criu_job_fn fn, int *ret_value,
		 struct cr_error *err)
{
	struct cr_criu_job job = {
		.what = what,
		.service = svc,
		.default_timeout_ms = CR_CRIU_QUERY_TIMEOUT_MS,
		.fn = fn,
	};
	return cr_criu_run_job(&job, ret_value, err);
}

int cr_criu_get_version(const struct cr_criu_service *svc, int *ret_version, struct cr_error *err)
{
	return query(svc, "criu version query", version_in_worker, ret_version, err);
}

int cr_criu_check(const struct cr_criu_service *svc, struct cr_error *err)
{
	int ignored = 0;
	return query(svc, "criu check", check_in_worker, &ignored, err);
}

int cr_criu_get_features(const struct cr_criu_service *svc, struct cr_criu_features *ret,
			 struct cr_error *err)
{
	int bits = 0;
	int r = query(svc, "criu feature check", features_in_worker, &bits, err);
	if (r < 0)
		return r;
	ret->mem_track = bits & FEATURE_MEM_TRACK;
	ret->lazy_pages = bits & FEATURE_LAZY_PAGES;
	ret->pidfd_store = bits & FEATURE_PIDFD_STORE;
	ret->stream = bits & FEATURE_STREAM;
	ret->tmpfs_plain_tar = bits & FEATURE_TMPFS_TAR;
	return 0;
}
