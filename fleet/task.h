/* A move the fleet asked for: tasks/FROM/PARTITION in the store. The fleet
 * manager (the leader) writes it queued and lets it go; the agent of host
 * FROM claims it, runs movewpar (or stopwpar), and records the outcome.
 * Every change of a task is a transaction on its revision. */
#ifndef CORRAL_FLEET_TASK_H
#define CORRAL_FLEET_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "fleet/etcd.h"
#include "fleet/plan.h"
#include "util/error.h"

#define CR_TASK_MAX_ATTEMPTS 3

enum cr_task_state {
	CR_TASK_QUEUED,  /* planned, waiting for a slot (--parallel) */
	CR_TASK_GO,      /* may start: the source's agent claims it */
	CR_TASK_RUNNING, /* the source's agent runs it */
	CR_TASK_DONE,    /* moved (or stopped) */
	CR_TASK_FAILED,  /* tried CR_TASK_MAX_ATTEMPTS times, or cannot be tried */
	CR_TASK_SKIPPED, /* not moved: its setting says stay, or no host can take it */
	CR_TASK_CANCELLED, /* not started: its evacuation was cancelled first */
	CR_TASK_NEXT,      /* let go ahead: the source's agent starts it when fewer
			    * than its cap of its evacuation's moves run there */
};

struct cr_task {
	char *partition, *from, *to; /* TO: NULL for stop and skipped */
	enum cr_plan_mode mode;
	char *kind;    /* evacuate, restore, schedule, policy */
	char *evac;    /* the evacuation (its host) this task belongs to; NULL otherwise */
	char *by;      /* who asked */
	enum cr_task_state state;
	int attempts;
	int64_t downtime_ms; /* -1: unknown */
	char *reason;  /* the plan's reason, then the error of the last attempt */
	int cap;       /* NEXT: at most this many moves of its evacuation at once on
			* its source (the evacuation's --parallel); 0: none */
	int64_t started, ended; /* seconds since the epoch; 0: not yet */
	int64_t mod_revision;   /* of the record read */
};

void cr_task_free(struct cr_task *t);
const char *cr_task_state_name(enum cr_task_state s);
bool cr_task_final(const struct cr_task *t);

/* T not started, never to be: cancelled with its evacuation, now. */
int cr_task_cancel(struct cr_task *t, struct cr_error *err);

/* The store key of the task of PARTITION on FROM (heap). */
int cr_task_key(const char *fleet, const char *from, const char *partition, char **ret, struct cr_error *err);
int cr_task_to_json(const struct cr_task *t, char **ret, struct cr_error *err);
int cr_task_from_kv(const struct cr_etcd_kv *kv, struct cr_task *ret, struct cr_error *err);

/* Every task under PREFIX ("tasks/" or "tasks/HOST/") of FLEET. */
int cr_task_list(struct cr_etcd *e, const char *fleet, const char *prefix, struct cr_task **ret, size_t *ret_n,
		 struct cr_error *err);
/* The same from the member asked alone (cr_etcd_list_local): for a host's
 * runner, whose every change of a task is a compare-and-swap. */
int cr_task_list_local(struct cr_etcd *e, const char *fleet, const char *prefix, struct cr_task **ret,
		       size_t *ret_n, struct cr_error *err);
void cr_task_list_free(struct cr_task *t, size_t n);

/* Write T over the record whose revision T->mod_revision names (0: a new
 * task), if the N_EXTRA compares of EXTRA hold too (the manager's lead, the
 * evacuation's record): 1 when written (T->mod_revision is then the
 * record's new revision), 0 when something changed meanwhile. */
int cr_task_write(struct cr_etcd *e, const char *fleet, struct cr_task *t, const struct cr_etcd_cmp *extra,
		  size_t n_extra, struct cr_error *err);

#endif
