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
/* A source that says its decision is pending is moving the partition still
 * (a post-copy move serves its pages first): asked every second for this
 * long, beyond the longest lazy phase its dump's deadline allows for the
 * memory a partition here has, before it is left to the administrator. */
#define PENDING_WAIT_MS (15 * 60 * 1000)
/* A source without a record of its decision (a corrald that predates it) that still holds the
 * partition Frozen or Transitional is asked again for this long. */
#define FROZEN_WAIT_MS 60000
#define ASK_EVERY_MS 1000

enum verdict { VERDICT_WAIT, VERDICT_COMMIT, VERDICT_ABORT };

/* Frozen (a post-copy source keeps it so until the last page is here) or
 * Transitional (the source is ending its copy). */
static bool in_hand_over(char state)
{
	return state == CR_STATE_FROZEN || state == CR_STATE_TRANSITIONAL;
}

/* What to do with the copy here from what the source said: its recorded
 * decision when it has one, else (a corrald that predates it) its partition's
 * state: gone or Defined there, the copy here is the one; Frozen or
 * Transitional, not decided yet; any other, it goes on there. */
static int judge(const struct cr_peer_partition *st, const char *name, const char *peer, enum verdict *ret,
		 struct cr_error *err)
{
	switch (st->outcome) {
	case CR_DEPARTURE_PENDING:
		*ret = VERDICT_WAIT;
		return 0;
	case CR_DEPARTURE_COMMITTED:
		*ret = VERDICT_COMMIT;
		return 0;
	case CR_DEPARTURE_ABORTED:
		*ret = VERDICT_ABORT;
		return 0;
	case CR_DEPARTURE_UNKNOWN:
		break;
	}
	if (st->exists && st->state == '?')
		return cr_error_set(err, EPROTONOSUPPORT, "%s does not say in which state %s is", peer, name);
	if (!st->exists || st->state == CR_STATE_DEFINED)
		*ret = VERDICT_COMMIT;
	else
		*ret = in_hand_over(st->state) ? VERDICT_WAIT : VERDICT_ABORT;
	return 0;
}

static int ask_source(const char *peer, const char *name, const char *id, struct cr_peer_partition *st,
		      struct cr_error *err)
{
	cleanup_peer struct cr_peer *p = NULL;
	int r = cr_peer_connect(peer, RECONCILE_TIMEOUT_MS, &p, err);
	return r < 0 ? r : cr_peer_partition_state(p, name, id, st, err);
}

/* 1 and NAME's relocation id in *RET_ID (heap, NULL when not recorded) when
 * it is still pending here, 0 when a Commit or Abort on another connection
 * settled it meanwhile. */
static int pending_id(const char *name, char **ret_id)
{
	struct cr_relocation_record rec;
	struct cr_error e = CR_ERROR_INIT;
	int r = cr_relocation_record_load(name, &rec, &e);
	cr_error_clear(&e);
	if (r <= 0)
		return 0;
	*ret_id = steal_pointer(&rec.id);
	cr_relocation_record_free(&rec);
	return 1;
}

/* Settle NAME's relocation from PEER, whose connection is gone, by asking
 * PEER what it decided. */
static void settle(const struct cr_arrival_env *env, const char *peer, const char *name)
{
	struct cr_error e = CR_ERROR_INIT;
	int64_t start = cr_now_ms();
	struct cr_peer_partition st = {0};
	enum verdict v = VERDICT_WAIT;
	int r;
	for (bool told = false;; told = true) {
		cleanup_free char *id = NULL;
		if (!pending_id(name, &id))
			return;
		if ((r = ask_source(peer, name, id, &st, &e)) < 0 || (r = judge(&st, name, peer, &v, &e)) < 0 ||
		    v != VERDICT_WAIT)
			break;
		int bound = st.outcome == CR_DEPARTURE_PENDING ? PENDING_WAIT_MS : FROZEN_WAIT_MS;
		if (cr_now_ms() - start >= bound) {
			r = st.outcome == CR_DEPARTURE_PENDING
				    ? cr_error_set(&e, ETIMEDOUT, "it has not decided in %d s", bound / 1000)
				    : cr_error_set(&e, ETIMEDOUT, "%s stayed in state %c there for %d s", name, st.state,
						   bound / 1000);
			break;
		}
		if (!told)
			cr_arrival_log(env, "%s: %s is in its hand-over there (%s): asking again until it is decided",
				       peer, name, st.outcome == CR_DEPARTURE_PENDING ? "its decision pending" : "state F or T");
		struct timespec pause = {ASK_EVERY_MS / 1000, (ASK_EVERY_MS % 1000) * 1000000L};
		nanosleep(&pause, NULL);
	}
	if (r < 0) {
		cr_arrival_log(env, "%s: the relocation of %s was left unsettled and %s cannot say how it stands (%s): "
			       "%s stays Paused here; resume it (resumewpar) or remove it (rmwpar -F) once you know "
			       "where it must run",
			       peer, name, peer, cr_error_msg(&e), name);
		cr_error_clear(&e);
		return;
	}
	const char *why = st.outcome != CR_DEPARTURE_UNKNOWN ? "decided" : "by its state there";
	if (v == VERDICT_ABORT) {
		cr_arrival_log(env, "%s: %s goes on there (%s): the relocation is aborted here", peer, name, why);
		r = cr_arrival_abort(env, name, &e);
	} else {
		cr_arrival_log(env, "%s: %s has ended there (%s): the relocation is committed here", peer, name, why);
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
