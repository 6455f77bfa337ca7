/* Policy relocation (WPAR Manager's): per relocation domain, CPU and memory
 * thresholds; when a host of the domain stays above one for the policy's
 * period, the fleet manager moves the partition whose move best relieves it
 * to the least loaded compatible host, only if that host stays well below
 * the thresholds after it (hysteresis: at most CR_POLICY_HEADROOM of them),
 * and then leaves both hosts alone for the cooldown, so nothing ping-pongs.
 * policies/DOMAIN holds a policy; policy-state/HOST when the host went
 * above and when the policy last moved something off or onto it. */
#ifndef CORRAL_FLEET_POLICY_H
#define CORRAL_FLEET_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "util/error.h"

#define CR_POLICY_HEADROOM 0.85

struct cr_policy {
	char *domain;
	double cpu, mem;   /* thresholds, 0..1 of the host; 0: not watched */
	int period_s, cooldown_s;
	int64_t mod_revision;
};

struct cr_policy_state {
	int64_t over_since; /* 0: not above */
	int64_t last_move;  /* when the policy last moved a partition off or onto it */
	int64_t mod_revision;
};

struct cr_policy_verdict {
	bool over;          /* above a threshold now */
	bool act;           /* move PARTITION to TO now */
	const char *partition, *to; /* borrowed from the hosts */
	char why[240];
};

void cr_policy_free(struct cr_policy *p);
void cr_policy_list_free(struct cr_policy *p, size_t n);
int cr_policy_set(struct cr_etcd *e, const struct cr_fleet_conf *c, const struct cr_policy *p, struct cr_error *err);
int cr_policy_list(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_policy **ret, size_t *ret_n,
		   struct cr_error *err);
int cr_policy_remove(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *domain, struct cr_error *err);
int cr_policy_state_get(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host,
			struct cr_policy_state *ret, struct cr_error *err);
int cr_policy_state_put(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host,
			struct cr_policy_state *st, const struct cr_etcd_cmp *fence, struct cr_error *err);

/* What policy P says of host H now (NOW, its state ST, the other HOSTS):
 * pure; the manager acts on it, `corral policy` shows it. */
int cr_policy_judge(const struct cr_policy *p, struct cr_fleet_host *hosts, size_t n_hosts, struct cr_fleet_host *h,
		    const struct cr_policy_state *st, int64_t now, struct cr_policy_verdict *ret, struct cr_error *err);

#endif
