/* Freezing a partition: the v1 freezer controller (freezer.state FROZEN /
 * THAWED, which reads FREEZING while in progress) or the cgroup2 freezer
 * (cgroup.freeze 1 / 0, done when cgroup.events says "frozen 1"). The v1
 * freezer wins in the hybrid layout; a cgroup2 group is used when there is
 * no v1 freezer. */
#define LOG_PREFIX "cgroup: "
#include "cgroup/cgroup_internal.h"

#include <string.h>

#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

static int frozen_in(const struct cg_hier *h, struct cr_error *err)
{
	if (h->v2) {
		int64_t v = 0;
		int r = cg_read_key(h->dir, "cgroup.events", "frozen", &v, err);
		return r < 0 ? r : v == 1;
	}
	cleanup_free char *state = NULL;
	int r = cg_read(h->dir, "freezer.state", &state, err);
	return r < 0 ? r : strcmp(state, "FROZEN") == 0;
}

static int set_frozen(const struct cg_hier *h, bool on, struct cr_error *err)
{
	if (h->v2)
		return cg_write(h->dir, "cgroup.freeze", on ? "1" : "0", err);
	return cg_write(h->dir, "freezer.state", on ? "FROZEN" : "THAWED", err);
}

static int freezer(const struct cr_cgroup *cg, const struct cg_hier **ret, struct cr_error *err)
{
	const struct cg_hier *h = cg_find(cg, CR_CG_FREEZER);
	if (!h)
		return cr_error_set(err, ENOTSUP, "partition %s has no freezer (no v1 freezer "
				    "controller and no cgroup.freeze)", cg->name);
	*ret = h;
	return 0;
}

int cr_cgroup_freeze(struct cr_cgroup *cg, int timeout_ms, struct cr_error *err)
{
	const struct cg_hier *h = NULL;
	int r = freezer(cg, &h, err);
	if (r < 0)
		return r;
	r = set_frozen(h, true, err);
	if (r < 0)
		return cr_error_wrap(err, "freezing %s", cg->name);
	int64_t deadline = cr_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int pause = 1;
	unsigned asks = 0;
	for (;;) {
		r = frozen_in(h, err);
		if (r == 1)
			return 0;
		if (r < 0 || cr_now_ms() >= deadline)
			break;
		cg_sleep_ms(pause);
		pause = pause < 16 ? pause * 2 : 16;
		/* The v1 freezer can miss a task forked while FREEZING and then
		 * stays FREEZING for good: asking again freezes the newcomers. */
		if (!h->v2 && ++asks % 8 == 0 && (r = set_frozen(h, true, err)) < 0)
			break;
	}
	struct cr_error thaw_err = CR_ERROR_INIT;
	if (set_frozen(h, false, &thaw_err) < 0)
		cr_debug("thawing %s after a failed freeze: %s", cg->name, cr_error_msg(&thaw_err));
	cr_error_clear(&thaw_err);
	if (r < 0)
		return cr_error_wrap(err, "freezing %s", cg->name);
	/* Say what it waited for: the task the freezer cannot reach sleeps
	 * uninterruptibly outside a freezable wait (a hung file system...). */
	return cr_error_set(err, ETIMEDOUT,
			    "freezing %s: %s/%s did not say frozen within %d ms (a task of it sleeps where no freezer "
			    "reaches it, e.g. on a file system that does not answer); thawed again",
			    cg->name, h->dir, h->v2 ? "cgroup.events" : "freezer.state", timeout_ms);
}

int cr_cgroup_thaw(struct cr_cgroup *cg, struct cr_error *err)
{
	const struct cg_hier *h = NULL;
	int r = freezer(cg, &h, err);
	if (r == 0)
		r = set_frozen(h, false, err);
	if (r < 0)
		return cr_error_wrap(err, "thawing %s", cg->name);
	return 0;
}

int cr_cgroup_is_frozen(struct cr_cgroup *cg, struct cr_error *err)
{
	const struct cg_hier *h = NULL;
	int r = freezer(cg, &h, err);
	if (r == 0)
		r = frozen_in(h, err);
	if (r < 0)
		return cr_error_wrap(err, "freezer state of %s", cg->name);
	return r;
}
