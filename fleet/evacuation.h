/* An evacuation or a restore of one host: evacuations/HOST in the store.
 * `corral evacuate` writes it running (and the host's state evacuating);
 * the fleet manager plans and lets its tasks go, at most PARALLEL at a
 * time, and ends it done (state evacuated) when nothing relocatable is
 * left, or incomplete when a move failed every attempt. `corral restore`
 * turns it into a restore: the partitions that left the host come back. */
#ifndef CORRAL_FLEET_EVACUATION_H
#define CORRAL_FLEET_EVACUATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "fleet/plan.h"
#include "util/error.h"

struct cr_evac {
	char *host;
	char *kind;   /* evacuate, restore */
	char *status; /* running, done, incomplete */
	int parallel;
	char **to;    /* --to hosts; n_to 0: any */
	size_t n_to;
	char *by;
	int64_t started, ended;
	char *cancel_by;   /* who cancelled it (corral evacuate --cancel); NULL: not cancelled */
	int64_t cancelled; /* when */
	int64_t mod_revision;
};

void cr_evac_free(struct cr_evac *v);
int cr_evac_key(const char *fleet, const char *host, char **ret, struct cr_error *err);
int cr_evac_to_json(const struct cr_evac *v, char **ret, struct cr_error *err);
int cr_evac_from_kv(const struct cr_etcd_kv *kv, struct cr_evac *ret, struct cr_error *err);
/* 1 and RET filled when HOST has an evacuation record, 0 when not. */
int cr_evac_get(struct cr_etcd *e, const char *fleet, const char *host, struct cr_evac *ret,
		struct cr_error *err);

/* A host's state record (state/HOST): evacuating, evacuated, restoring. */
int cr_host_state_key(const char *fleet, const char *host, char **ret, struct cr_error *err);

/* The plan for emptying HOST now (hosts as the store knows them). RET holds
 * one choice per partition of HOST, in *RET_PARTS order (names borrowed
 * from *RET_HOSTS: free both with cr_fleet_hosts_free and free()). */
struct cr_evac_plan {
	struct cr_fleet_host *hosts;
	size_t n_hosts;
	struct cr_fleet_host *src; /* within hosts */
	struct cr_plan_choice *choices; /* src->n_parts */
};
void cr_evac_plan_free(struct cr_evac_plan *p);
int cr_evac_plan_make(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, char *const *to,
		      size_t n_to, struct cr_evac_plan *ret, struct cr_error *err);
/* Plan only the partitions of SRC that SKIP does not name. */
int cr_evac_plan_parts(struct cr_fleet_host *hosts, size_t n_hosts, struct cr_fleet_host *src,
		       char *const *to, size_t n_to, const bool *skip, struct cr_plan_choice *ret,
		       struct cr_error *err);

/* Ask for the evacuation of HOST (the manager carries it out; BY: who
 * asks, NULL: this host): fails with
 * -EBUSY when one is running. Final tasks of an earlier one are cleared. */
int cr_evac_request(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, int parallel,
		    char *const *to, size_t n_to, const char *by, struct cr_error *err);
/* Cancel the running evacuation (KIND "evacuate") or restore ("restore")
 * of HOST (BY: who asks, NULL: this host): no move of it starts any more. In one transaction the record says
 * cancelled and every task let go but not claimed yet turns cancelled; the
 * moves already running finish (or roll back) through their own
 * hand-over, and the manager cancels what was queued and ends the
 * evacuation "cancelled" once they did, the host "partly-evacuated" when
 * something left it (corral restore brings it back), else online again;
 * a cancelled restore the same by whether a partition that left it is
 * still away.
 * *RET_RUNNING: how many moves of it run on. Repeating a cancel is no
 * error; -ENOENT no evacuation of HOST, -EINVAL it ended already or is a
 * restore. */
int cr_evac_cancel(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, const char *kind,
		   const char *by, size_t *ret_running, struct cr_error *err);

/* Open HOST to placements again without moving anything back (Incus's
 * restore --action skip): its evacuation, ended, becomes a restore that is
 * done, and its state goes, in one transaction. The partitions that left
 * stay where they run and keep their origin: a later restore still brings
 * them back. *RET_AWAY: how many origins name HOST. -ENOENT no evacuation
 * of HOST; -EBUSY one is running (cancel it first). */
int cr_evac_reopen(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, size_t *ret_away,
		   struct cr_error *err);

/* Ask for the partitions that left HOST to come back. */
int cr_evac_request_restore(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, int parallel,
			    struct cr_error *err);

#endif
