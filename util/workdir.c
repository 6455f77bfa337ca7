/* The one maker of work directories (util/workdir.h). */
#define LOG_PREFIX "workdir: "
#include "util/workdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/scratch.h"

uint64_t cr_workdir_room(const struct cr_workdir_request *req)
{
	return req->contents + req->memory + CR_WORKDIR_SLACK;
}

/* "corral-OWNER." and, when a process owns it, "corral-OWNER.PID."; with
 * DOT, the hidden partial extraction beside it (".corral-..."). */
static char *stem(const struct cr_workdir_request *req, bool dot, bool with_pid)
{
	char *s = NULL;
	int n = with_pid ? asprintf(&s, "%scorral-%s.%d.", dot ? "." : "", req->owner, (int)getpid())
			 : asprintf(&s, "%scorral-%s.", dot ? "." : "", req->owner);
	return n < 0 ? NULL : s;
}

/* Leftovers of REQ's owner, before a new one is made. */
static void sweep_owner(const struct cr_workdir_request *req)
{
	if (req->owned_by == CR_WORKDIR_DAEMON)
		return;
	bool by_pid = req->owned_by == CR_WORKDIR_PROCESS;
	for (int dot = 0; dot < 2; dot++) {
		cleanup_free char *prefix = stem(req, dot, false);
		if (!prefix)
			return;
		if (by_pid)
			cr_scratch_sweep_dead(prefix);
		else
			cr_scratch_sweep(prefix);
		(void)cr_scratch_sweep_in(req->fallback, prefix, by_pid);
	}
}

int cr_workdir_make(const struct cr_workdir_request *req, struct cr_workdir *ret, struct cr_error *err)
{
	int r = cr_mkdir_p(req->fallback, 0700, err);
	if (r < 0)
		return r;
	sweep_owner(req);
	bool tmpfs = false;
	cleanup_free char *base = req->disk_only ? strdup(req->fallback)
						 : cr_scratch_base(req->fallback, cr_workdir_room(req), &tmpfs);
	cleanup_free char *name = stem(req, false, req->owned_by == CR_WORKDIR_PROCESS);
	char *path = NULL;
	if (!base || !name || asprintf(&path, "%s/%sXXXXXX", base, name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!mkdtemp(path) || (req->name_only && rmdir(path) < 0)) {
		r = cr_error_errno(err, "cannot make a work directory in %s", base);
		free(path);
		return r;
	}
	/* $CORRAL_SCRATCH_DIR is a scratch too, though not known to be a tmpfs. */
	bool scratch = tmpfs || strcmp(base, req->fallback) != 0;
	cr_debug("%s: %s%s", req->owner, path, scratch ? " (scratch)" : "");
	ret->path = path;
	ret->tmpfs = scratch;
	return 0;
}

void cr_workdir_remove(struct cr_workdir *w)
{
	if (w->path)
		cr_rm_rf(w->path, NULL);
	cr_workdir_release(w);
}

void cr_workdir_release(struct cr_workdir *w)
{
	free(w->path);
	w->path = NULL;
	w->tmpfs = false;
}

unsigned cr_workdir_sweep(const char *owner_prefix, const char *fallback)
{
	unsigned n = 0;
	for (int dot = 0; dot < 2; dot++) {
		cleanup_free char *prefix = NULL;
		if (asprintf(&prefix, "%scorral-%s", dot ? "." : "", owner_prefix) < 0)
			return n;
		cr_scratch_sweep(prefix);
		if (fallback)
			n += cr_scratch_sweep_in(fallback, prefix, false);
	}
	return n;
}
