/* A relocation left pending here is settled by asking its source's corrald
 * how the partition stands there (relocate/arrival.h): when the connection
 * that restored it ends, and at daemon start for what an earlier corrald
 * left. */
#define LOG_PREFIX "arrival: "
#include <stdlib.h>
#include <time.h>

#include "partition/registry.h"
#include "relocate/arrival_internal.h"
#include "relocate/relocation_record.h"
#include "transport/client.h"
#include "util/cleanup.h"
#include "util/clock.h"

#define RECONCILE_GRACE_MS 3000 /* time for the source to retry its Commit itself */
#define RECONCILE_TIMEOUT_MS 10000
/* A source that still holds the partition Frozen or Transitional is
 * mid-hand-over (in_hand_over): it is asked again every second for this long
 * before the relocation is left to the administrator. */
#define FROZEN_WAIT_MS 60000
#define FROZEN_ASK_EVERY_MS 1000

/* How the partition stands on PEER: 1 still there and not Defined (its state
 * in RET_STATE), 0 gone or ended there, negative when PEER cannot tell. */
static int alive_at_source(const char *peer, const char *name, char *ret_state, struct cr_error *err)
{
	cleanup_peer struct cr_peer *p = NULL;
	bool exists = false;
	char state = '?';
	int r = cr_peer_connect(peer, RECONCILE_TIMEOUT_MS, &p, err);
	if (r == 0)
		r = cr_peer_partition_state(p, name, &exists, &state, err);
	if (r < 0)
		return r;
	if (exists && state == '?')
		return cr_error_set(err, EPROTONOSUPPORT, "%s does not say in which state %s is", peer, name);
	*ret_state = state;
	return exists && state != CR_STATE_DEFINED;
}

/* Frozen (a post-copy source keeps it so until the last page is here) or
 * Transitional (the source is ending its copy): the source has not decided
 * yet. */
static bool in_hand_over(char state)
{
	return state == CR_STATE_FROZEN || state == CR_STATE_TRANSITIONAL;
}

/* 1 when NAME's relocation is still pending here, 0 when a Commit or Abort
 * on another connection settled it meanwhile. */
static int still_pending(const char *name)
{
	struct cr_relocation_record rec;
	struct cr_error e = CR_ERROR_INIT;
	int r = cr_relocation_record_load(name, &rec, &e);
	cr_error_clear(&e);
	if (r > 0)
		cr_relocation_record_free(&rec);
	return r > 0;
}

/* Settle NAME's relocation from PEER, whose connection is gone, by asking
 * PEER how the partition stands there. */
static void settle(const struct cr_arrival_env *env, const char *peer, const char *name)
{
	struct cr_error e = CR_ERROR_INIT;
	int64_t give_up = cr_now_ms() + FROZEN_WAIT_MS;
	char state = '?';
	int r;
	for (bool told = false;; told = true) {
		if (!still_pending(name))
			return;
		state = '?';
		r = alive_at_source(peer, name, &state, &e);
		if (r != 1 || !in_hand_over(state) || cr_now_ms() >= give_up)
			break;
		if (!told)
			cr_arrival_log(env, "%s: %s is in its hand-over there (state %c): asking again until it "
				       "ends or goes on", peer, name, state);
		struct timespec pause = {FROZEN_ASK_EVERY_MS / 1000, (FROZEN_ASK_EVERY_MS % 1000) * 1000000L};
		nanosleep(&pause, NULL);
	}
	if (r == 1 && in_hand_over(state))
		r = cr_error_set(&e, ETIMEDOUT, "%s stayed in state %c there for %d s", name, state,
				 FROZEN_WAIT_MS / 1000);
	if (r < 0) {
		cr_arrival_log(env, "%s: the relocation of %s was left unsettled and %s cannot say how it stands (%s): "
			       "%s stays Paused here; resume it (resumewpar) or remove it (rmwpar -F) once you know "
			       "where it must run",
			       peer, name, peer, cr_error_msg(&e), name);
		cr_error_clear(&e);
		return;
	}
	if (r == 1) {
		cr_arrival_log(env, "%s: %s still runs there: the relocation is aborted here", peer, name);
		r = cr_arrival_abort(env, name, &e);
	} else {
		cr_arrival_log(env, "%s: %s has ended there: the relocation is committed here", peer, name);
		r = cr_arrival_commit(env, name, NULL, &e);
	}
	if (r < 0)
		cr_arrival_log(env, "%s: settling %s: %s", peer, name, cr_error_msg(&e));
	cr_error_clear(&e);
}

void cr_arrival_connection_ended(const struct cr_arrival_env *env, const char *peer)
{
	cleanup_free char *name = cr_arrival_take_pending();
	if (!name)
		return;
	struct timespec grace = {RECONCILE_GRACE_MS / 1000, (RECONCILE_GRACE_MS % 1000) * 1000000L};
	nanosleep(&grace, NULL);
	settle(env, peer, name);
}

static void settle_one_left(void *ctx, const char *name, const struct cr_relocation_record *rec)
{
	const struct cr_arrival_env *env = ctx;
	if (rec->peer) {
		cr_arrival_log(env, "%s: a relocation from %s was left unsettled by an earlier corrald", name,
			       rec->peer);
		settle(env, rec->peer, name);
	} else {
		cr_arrival_log(env, "%s: a relocation was left unsettled by an earlier corrald that did not "
			       "record its source: %s stays Paused here; resume it (resumewpar) or remove it "
			       "(rmwpar -F) once you know where it must run", name, name);
	}
}

void cr_arrival_settle_left(const struct cr_arrival_env *env)
{
	cr_relocation_each_left(settle_one_left, (void *)env);
}
