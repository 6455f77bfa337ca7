/* Scheduled relocations and evacuations: schedules/ID in the store, one-shot
 * (at a time) or recurring (cron, UTC). The fleet manager runs those that
 * are due: an evacuation request, or a move task for one partition (to a
 * given host, or where placement puts it); each run is recorded on the
 * schedule (last run, its outcome) and its moves in the history. */
#ifndef CORRAL_FLEET_SCHEDULE_H
#define CORRAL_FLEET_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "util/error.h"

struct cr_schedule {
	char *id;
	char *what;      /* evacuate, move */
	char *target;    /* the host to evacuate, or the partition to move */
	char *to;        /* move: its destination; NULL: placement decides */
	char *cron;      /* recurring; NULL: one-shot at AT */
	int64_t at;
	int parallel;    /* evacuate: moves at a time */
	char *by;
	int64_t next;    /* when it fires next; 0: never again (a one-shot that ran) */
	int64_t last_run;
	char *last_outcome;
	int64_t mod_revision;
};

void cr_schedule_free(struct cr_schedule *s);
void cr_schedule_list_free(struct cr_schedule *s, size_t n);
int cr_schedule_to_json(const struct cr_schedule *s, char **ret, struct cr_error *err);
int cr_schedule_from_kv(const struct cr_etcd_kv *kv, struct cr_schedule *ret, struct cr_error *err);
/* S->next from S->cron or S->at, after NOW. */
int cr_schedule_plan_next(struct cr_schedule *s, int64_t now, struct cr_error *err);

/* Add S (its id and next computed here); *RET_ID: the new id (heap). */
int cr_schedule_add(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_schedule *s, char **ret_id,
		    struct cr_error *err);
int cr_schedule_list(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_schedule **ret, size_t *ret_n,
		     struct cr_error *err);
int cr_schedule_remove(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *id, struct cr_error *err);
/* Write S back over the revision it was read at, fenced by FENCE (may be NULL). */
int cr_schedule_update(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_schedule *s,
		       const struct cr_etcd_cmp *fence, struct cr_error *err);

#endif
