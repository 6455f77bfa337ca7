/* The fleet manager's step (fleet/manager.h). */
#define LOG_PREFIX "fleet: "
#include "fleet/manager.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/evacuation.h"
#include "fleet/fleet_internal.h"
#include "fleet/policy.h"
#include "fleet/schedule.h"
#include "fleet/task.h"
#include "util/cleanup.h"

/* How long a restore waits for a partition that no online host lists. */
#define CR_RESTORE_GRACE_S 30

struct step {
	struct cr_manager *m;
	struct cr_etcd *e;
	const struct cr_fleet_conf *c;
	char *leader_key;
	struct cr_fleet_host *hosts;
	size_t n_hosts;
	struct cr_task *tasks;
	size_t n_tasks;
	struct cr_etcd_kvs origins;
	bool viewed; /* hosts, tasks and origins read */
	bool no_origins; /* no restore or cancel runs: origins not read */
};

#define say(s, ...) cr_fleet_say((s)->m->say, (s)->m->say_ctx, __VA_ARGS__)

static int lead(struct cr_manager *m, struct cr_etcd *e, const struct cr_fleet_conf *c, const char *key,
		int64_t lease, struct cr_error *err)
{
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	/* the member asked alone: a stale answer only makes a step whose
	 * writes, fenced by the lead's revision, all fail */
	int r = cr_etcd_get_local(e, key, &kv, err);
	if (r < 0)
		return r;
	if (r == 1) {
		m->leader = !strcmp(kv.value, c->name) && kv.lease == lease;
		m->leader_rev = m->leader ? kv.mod_revision : 0;
		return 0;
	}
	struct cr_etcd_cmp absent = {key, 0};
	struct cr_etcd_op take = {CR_ETCD_OP_PUT, key, c->name, lease};
	r = cr_etcd_txn(e, &absent, 1, &take, 1, err);
	if (r < 0 && r != -ETIMEDOUT)
		return r;
	/* Won, lost or unknown: read who leads now. */
	cleanup_etcd_kv struct cr_etcd_kv now = {0};
	if ((r = cr_etcd_get(e, key, &now, err)) < 0)
		return r;
	m->leader = r == 1 && !strcmp(now.value, c->name) && now.lease == lease;
	m->leader_rev = m->leader ? now.mod_revision : 0;
	return 0;
}

/* Write T (compare its revision and our lead; and, for a task of
 * evacuation or restore V, V's record as read: one cancelled or asked anew
 * meanwhile has none of this step's writes). */
static int put_task(struct step *s, const struct cr_evac *v, struct cr_task *t, struct cr_error *err)
{
	cleanup_free char *evac_key = NULL;
	struct cr_etcd_cmp cmps[2] = {{s->leader_key, s->m->leader_rev}};
	if (v) {
		int r = cr_evac_key(s->c->fleet, v->host, &evac_key, err);
		if (r < 0)
			return r;
		cmps[1] = (struct cr_etcd_cmp){evac_key, v->mod_revision};
	}
	int r = cr_task_write(s->e, s->c->fleet, t, cmps, v ? 2 : 1, err);
	/* a task let go from another host is that host's agent's to act on */
	if (r == 1 && !((t->state == CR_TASK_NEXT || t->state == CR_TASK_GO) && strcmp(t->from, s->c->name)))
		s->m->again = true;
	return r < 0 ? r : 0; /* 0: changed meanwhile; the next step sees it */
}

static struct cr_task *task_of(struct step *s, const char *from, const char *partition)
{
	for (size_t i = 0; i < s->n_tasks; i++)
		if (!strcmp(s->tasks[i].from, from) && !strcmp(s->tasks[i].partition, partition))
			return &s->tasks[i];
	return NULL;
}

static bool of_evac(const struct cr_task *t, const struct cr_evac *v)
{
	return t->evac && !strcmp(t->evac, v->host) && t->kind && !strcmp(t->kind, v->kind);
}

/* Write a new task (over OLD, a final task of the same partition there,
 * when there is one). */
static int write_new_task(struct step *s, const struct cr_evac *v, struct cr_task *t, const struct cr_task *old,
			  struct cr_error *err)
{
	t->mod_revision = old ? old->mod_revision : 0;
	t->downtime_ms = -1;
	if (t->state == CR_TASK_SKIPPED)
		t->ended = (int64_t)time(NULL);
	say(s, "fleet: %s: %s %s%s%s (%s)", t->kind, t->partition, cr_task_state_name(t->state), t->to ? " to " : "",
	    t->to ? t->to : "", t->reason ? t->reason : "");
	return put_task(s, v, t, err);
}

static int new_task(struct step *s, const struct cr_evac *v, const char *from, const char *partition,
		    enum cr_plan_mode mode, const char *to, const char *reason, struct cr_error *err)
{
	struct cr_task t = {
		.partition = (char *)partition, .from = (char *)from, .to = (char *)to, .mode = mode,
		.kind = v->kind, .evac = v->host, .by = v->by, .reason = (char *)reason,
		.state = mode == CR_PLAN_STAY || mode == CR_PLAN_NONE ? CR_TASK_SKIPPED : CR_TASK_QUEUED,
	};
	return write_new_task(s, v, &t, task_of(s, from, partition), err);
}

/* Plan the partitions of the host being emptied that have no task yet. */
static int plan_new(struct step *s, const struct cr_evac *v, struct cr_fleet_host *src, struct cr_error *err)
{
	cleanup_free bool *skip = calloc(src->n_parts + 1, sizeof(bool));
	cleanup_free struct cr_plan_choice *ch = calloc(src->n_parts + 1, sizeof(*ch));
	if (!skip || !ch)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t unplanned = 0;
	for (size_t k = 0; k < src->n_parts; k++) {
		struct cr_task *t = task_of(s, src->name, src->parts[k].name);
		/* planned already, or being moved by another request right now, or
		 * between two states (arriving, starting): planned once settled, as
		 * what it is then (planned now, a partition arriving live would
		 * read as not running and be moved static: stopped, its state lost) */
		skip[k] = (t && (of_evac(t, v) || !cr_task_final(t))) || src->parts[k].state == 'T';
		unplanned += !skip[k];
	}
	if (!unplanned)
		return 0;
	int r = cr_evac_plan_parts(s->hosts, s->n_hosts, src, v->to, v->n_to, skip, ch, err);
	for (size_t k = 0; r == 0 && k < src->n_parts; k++)
		if (!skip[k])
			r = new_task(s, v, src->name, src->parts[k].name, ch[k].mode, ch[k].to, ch[k].reason, err);
	return r;
}

/* A new target for task T (its last one failed or is gone): T is changed
 * to the choice; SKIPPED when no host can take it now. */
static int replan(struct step *s, const struct cr_evac *v, struct cr_task *t, struct cr_error *err)
{
	struct cr_fleet_host *src = cr_fleet_host_find(s->hosts, s->n_hosts, t->from);
	if (!src)
		return 0;
	cleanup_free bool *skip = calloc(src->n_parts + 1, sizeof(bool));
	cleanup_free struct cr_plan_choice *ch = calloc(src->n_parts + 1, sizeof(*ch));
	if (!skip || !ch)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t me = src->n_parts;
	for (size_t k = 0; k < src->n_parts; k++) {
		skip[k] = strcmp(src->parts[k].name, t->partition) != 0;
		if (!skip[k])
			me = k;
	}
	if (me == src->n_parts)
		return 0; /* not there any more */
	/* A restore goes home or nowhere; an evacuation anywhere it may. */
	char *home[] = {v->host};
	bool restore = !strcmp(v->kind, "restore");
	int r = cr_evac_plan_parts(s->hosts, s->n_hosts, src, restore ? home : v->to, restore ? 1 : v->n_to, skip,
				   ch, err);
	if (r < 0)
		return r;
	if (ch[me].mode == CR_PLAN_NONE || !ch[me].to) {
		t->state = CR_TASK_FAILED;
		t->attempts = CR_TASK_MAX_ATTEMPTS;
		free(t->reason);
		t->reason = strdup(ch[me].reason);
		return 0;
	}
	if (t->to && strcmp(t->to, ch[me].to))
		say(s, "fleet: %s: %s goes to %s instead of %s", v->host, t->partition, ch[me].to, t->to);
	char *to = strdup(ch[me].to);
	if (!to)
		return cr_error_set(err, ENOMEM, "out of memory");
	free(t->to);
	t->to = to;
	return 0;
}

/* Can T's target still take it? A target whose lease expired is given up
 * only when its corrald does not answer either. */
static bool target_available(struct step *s, const struct cr_task *t)
{
	struct cr_fleet_host *h = t->to ? cr_fleet_host_find(s->hosts, s->n_hosts, t->to) : NULL;
	if (!t->to)
		return true;
	if (!h || (strcmp(h->state, "online") && strcmp(h->state, "offline") && strcmp(h->state, "restoring")))
		return false; /* gone from the fleet, or being emptied */
	return h->online || cr_fleet_host_answers(h->address, 500);
}

/* Let go, to start or running: counted against an evacuation's slots. */
static bool active(const struct cr_task *t)
{
	return t->state == CR_TASK_GO || t->state == CR_TASK_NEXT || t->state == CR_TASK_RUNNING;
}

/* Is a move going to host TO now (let go or running)? */
static bool arriving(const struct step *s, const char *to)
{
	for (size_t i = 0; to && i < s->n_tasks; i++)
		if (active(&s->tasks[i]) && s->tasks[i].to && !strcmp(s->tasks[i].to, to))
			return true;
	return false;
}

/* Requeue failed tasks with attempts left (to a target that can take them
 * now), and let queued ones go, each to a target still available. A
 * restore's (moves from several hosts) go GO, V->parallel at a time. An
 * evacuation's (all from its host) go NEXT with V->parallel as their cap,
 * up to V->parallel more than may run: the host's agent starts the next
 * one itself when one of its moves ends and keeps the cap (fleet/runner.c),
 * without waiting for this step. Returns whether every task of V is final. */
static int admit(struct step *s, const struct cr_evac *v, bool *ret_all_final, bool *ret_any_failed,
		 struct cr_error *err)
{
	int active_n = 0, r = 0;
	bool all_final = true, failed = false, ahead = !strcmp(v->kind, "evacuate");
	int slots = ahead ? 2 * v->parallel : v->parallel;
	for (size_t i = 0; i < s->n_tasks; i++) {
		struct cr_task *t = &s->tasks[i];
		if (!of_evac(t, v))
			continue;
		if (active(t))
			active_n++;
		if (t->state == CR_TASK_FAILED && t->attempts < CR_TASK_MAX_ATTEMPTS && t->to) {
			t->state = CR_TASK_QUEUED;
			if ((r = replan(s, v, t, err)) < 0)
				return r;
			if (t->state == CR_TASK_QUEUED)
				say(s, "fleet: %s: trying %s again to %s (attempt %d of %d)", v->host, t->partition, t->to,
				    t->attempts + 1, CR_TASK_MAX_ATTEMPTS);
			if ((r = put_task(s, v, t, err)) < 0)
				return r;
			t->mod_revision = -1; /* let go on a later step, once read again */
		}
		all_final = all_final && cr_task_final(t);
		failed = failed || t->state == CR_TASK_FAILED;
	}
	/* First the tasks to a host no move is going to now, then the rest: two
	 * restores at once on one host share its CPUs, and the destination's
	 * restore is most of a downtime (relocate/frozen_window.h). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->n_tasks && active_n < slots; i++) {
			struct cr_task *t = &s->tasks[i];
			if (!of_evac(t, v) || t->state != CR_TASK_QUEUED || t->mod_revision < 0)
				continue;
			if (pass == 0 && arriving(s, t->to))
				continue;
			if (!target_available(s, t) && (r = replan(s, v, t, err)) < 0)
				return r;
			if (t->state == CR_TASK_QUEUED) {
				t->state = ahead ? CR_TASK_NEXT : CR_TASK_GO;
				t->cap = ahead ? v->parallel : 0;
			}
			if ((r = put_task(s, v, t, err)) < 0)
				return r;
			active_n++;
		}
	}
	*ret_all_final = all_final;
	*ret_any_failed = failed;
	return 0;
}

static int finish(struct step *s, struct cr_evac *v, const char *status, const char *host_state,
		  struct cr_error *err)
{
	cleanup_free char *key = NULL, *json = NULL, *skey = NULL, *sval = NULL;
	char *st = strdup(status);
	if (!st)
		return cr_error_set(err, ENOMEM, "out of memory");
	free(v->status);
	v->status = st;
	v->ended = (int64_t)time(NULL);
	int r = cr_evac_key(s->c->fleet, v->host, &key, err);
	if (r == 0)
		r = cr_evac_to_json(v, &json, err);
	if (r == 0)
		r = cr_host_state_key(s->c->fleet, v->host, &skey, err);
	if (r == 0 && host_state &&
	    asprintf(&sval, "{\"state\":\"%s\",\"since\":%lld}", host_state, (long long)time(NULL)) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	struct cr_etcd_cmp cmps[] = {{key, v->mod_revision}, {s->leader_key, s->m->leader_rev}};
	struct cr_etcd_op ops[] = {
		{CR_ETCD_OP_PUT, key, json, 0},
		host_state ? (struct cr_etcd_op){CR_ETCD_OP_PUT, skey, sval, 0}
			   : (struct cr_etcd_op){CR_ETCD_OP_DELETE, skey, NULL, 0},
	};
	r = cr_etcd_txn(s->e, cmps, 2, ops, 2, err);
	if (r == 1)
		say(s, "fleet: %s of %s %s", v->kind, v->host, status);
	return r < 0 ? r : 0;
}

static struct cr_fleet_host *host_running(struct step *s, const char *partition);

/* Is a partition evacuated from HOST still away from it? */
static bool away_from(struct step *s, const char *host)
{
	for (size_t i = 0; i < s->origins.n; i++) {
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		const char *h = NULL, *name = strrchr(s->origins.kv[i].key, '/') + 1;
		if (cr_fleet_parse_record(&s->origins.kv[i], &o, &bad) < 0 || !(h = cr_fleet_json_str(o, "home")) ||
		    strcmp(h, host))
			continue;
		struct cr_fleet_host *now = host_running(s, name);
		if (!now || strcmp(now->name, host))
			return true;
	}
	return false;
}

/* A cancelled evacuation or restore (cr_evac_cancel): what is queued or
 * let go is cancelled, what runs finishes; once nothing runs it ends
 * "cancelled", its host "partly-evacuated" when a partition left it (an
 * evacuation) or is still away (a restore), else online. */
static int step_cancel(struct step *s, struct cr_evac *v, struct cr_error *err)
{
	bool running = false, left = false;
	int r = 0;
	for (size_t i = 0; r == 0 && i < s->n_tasks; i++) {
		struct cr_task *t = &s->tasks[i];
		if (!of_evac(t, v))
			continue;
		left = left || (t->state == CR_TASK_DONE && (t->mode == CR_PLAN_LIVE || t->mode == CR_PLAN_STATIC));
		if (cr_task_final(t))
			continue;
		running = true; /* final once the next step reads it so */
		if (t->state != CR_TASK_QUEUED && t->state != CR_TASK_GO && t->state != CR_TASK_NEXT)
			continue;
		if ((r = cr_task_cancel(t, err)) == 0)
			r = put_task(s, v, t, err);
	}
	if (r < 0 || running)
		return r;
	if (!strcmp(v->kind, "restore"))
		left = away_from(s, v->host);
	return finish(s, v, "cancelled", left ? "partly-evacuated" : NULL, err);
}

static int step_evacuate(struct step *s, struct cr_evac *v, struct cr_error *err)
{
	if (v->cancel_by)
		return step_cancel(s, v, err);
	struct cr_fleet_host *src = cr_fleet_host_find(s->hosts, s->n_hosts, v->host);
	if (!src || !src->online)
		return 0; /* nothing can leave a host that is down; wait for it */
	int r = plan_new(s, v, src, err);
	if (r < 0)
		return r;
	bool all_final = false, failed = false;
	if ((r = admit(s, v, &all_final, &failed, err)) < 0)
		return r;
	/* Final only when every partition there has a final task of this evacuation. */
	for (size_t k = 0; all_final && k < src->n_parts; k++) {
		struct cr_task *t = task_of(s, src->name, src->parts[k].name);
		all_final = t && of_evac(t, v) && cr_task_final(t);
	}
	if (!all_final)
		return 0;
	return failed ? finish(s, v, "incomplete", "evacuating", err) : finish(s, v, "done", "evacuated", err);
}

/* Where does PARTITION run now? */
static struct cr_fleet_host *host_running(struct step *s, const char *partition)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		for (size_t k = 0; k < s->hosts[i].n_parts; k++)
			if (!strcmp(s->hosts[i].parts[k].name, partition))
				return &s->hosts[i];
	return NULL;
}

static int step_restore(struct step *s, struct cr_evac *v, struct cr_error *err)
{
	if (v->cancel_by)
		return step_cancel(s, v, err);
	struct cr_fleet_host *home = cr_fleet_host_find(s->hosts, s->n_hosts, v->host);
	if (!home || !home->online)
		return 0;
	int r = 0;
	bool pending = false, missing = false;
	for (size_t i = 0; r == 0 && i < s->origins.n; i++) {
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		const char *key = s->origins.kv[i].key, *name = strrchr(key, '/') + 1;
		if (cr_fleet_parse_record(&s->origins.kv[i], &o, &bad) < 0)
			continue;
		const char *h = cr_fleet_json_str(o, "home");
		if (!h || strcmp(h, v->host))
			continue;
		struct cr_fleet_host *now = host_running(s, name);
		if (now == home) {
			/* Back home (by this restore or by hand): the origin is done. */
			struct cr_etcd_cmp cmps[] = {{key, s->origins.kv[i].mod_revision},
						     {s->leader_key, s->m->leader_rev}};
			struct cr_etcd_op del = {CR_ETCD_OP_DELETE, key, NULL, 0};
			r = cr_etcd_txn(s->e, cmps, 2, &del, 1, err);
			s->m->again = s->m->again || r == 1;
			r = r < 0 ? r : 0;
			pending = true; /* the next step sees it gone */
			continue;
		}
		if (!now) {
			/* On no online host: just moved (its new host has not published it
			 * yet), or removed, or its host is down. Wait a while, then report. */
			if ((int64_t)time(NULL) - v->started < CR_RESTORE_GRACE_S)
				pending = true;
			else
				missing = true;
			continue;
		}
		struct cr_task *t = task_of(s, now->name, name);
		if (t && of_evac(t, v)) {
			pending = pending || !cr_task_final(t) ||
				  (t->state == CR_TASK_FAILED && t->attempts < CR_TASK_MAX_ATTEMPTS);
			continue; /* planned; a move back that failed for good ends it incomplete */
		}
		pending = true;
		if (t && !cr_task_final(t))
			continue; /* moved by another request right now: after that */
		const struct cr_fleet_partition *p = NULL;
		for (size_t k = 0; k < now->n_parts; k++)
			if (!strcmp(now->parts[k].name, name))
				p = &now->parts[k];
		if (p->state == 'T')
			continue; /* between two states (just arrived): planned once settled */
		/* Paused: restored there, waiting for its hand-over (a list
		 * published a moment before the Commit): it runs. */
		bool live = p->checkpointable && (p->state == 'A' || p->state == 'F' || p->state == 'P');
		r = new_task(s, v, now->name, name, live ? CR_PLAN_LIVE : CR_PLAN_STATIC, v->host,
			     "back to the host it was evacuated from", err);
	}
	if (r < 0)
		return r;
	bool all_final = false, failed = false;
	if ((r = admit(s, v, &all_final, &failed, err)) < 0)
		return r;
	if (pending || !all_final)
		return 0;
	return finish(s, v, failed || missing ? "incomplete" : "done", NULL, err);
}

static int ensure_view(struct step *s, struct cr_error *err)
{
	if (s->viewed)
		return 0;
	cleanup_free char *oprefix = NULL;
	/* Tasks and origins before the hosts: an agent publishes its host's
	 * partitions before it records a move done (fleet/runner.c), so a
	 * task read done here is never paired with a list that still shows
	 * the partition where it left (a restore would take it for home). */
	int r = cr_task_list(s->e, s->c->fleet, "tasks/", &s->tasks, &s->n_tasks, err);
	if (r == 0 && !s->no_origins)
		r = cr_fleet_key(&oprefix, s->c->fleet, "origins/", err);
	if (r == 0 && !s->no_origins)
		r = cr_etcd_list(s->e, oprefix, &s->origins, err);
	if (r == 0)
		r = cr_fleet_hosts(s->e, s->c, &s->hosts, &s->n_hosts, err);
	s->viewed = r == 0;
	return r;
}

static int move_one(struct step *s, const char *kind, const char *by, const char *partition, const char *to,
			char *outcome, size_t outcome_len, struct cr_error *err)
{
	int r = ensure_view(s, err);
	if (r < 0)
		return r;
	struct cr_fleet_host *from = host_running(s, partition);
	if (!from) {
		snprintf(outcome, outcome_len, "%s is on no online host", partition);
		return 0;
	}
	struct cr_task *old = task_of(s, from->name, partition);
	if (old && !cr_task_final(old)) {
		snprintf(outcome, outcome_len, "%s is being moved already", partition);
		return 0;
	}
	if (to && !strcmp(to, from->name)) {
		snprintf(outcome, outcome_len, "%s is on %s already", partition, to);
		return 0;
	}
	cleanup_free bool *skip = calloc(from->n_parts + 1, sizeof(bool));
	cleanup_free struct cr_plan_choice *ch = calloc(from->n_parts + 1, sizeof(*ch));
	if (!skip || !ch)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t me = 0;
	for (size_t k = 0; k < from->n_parts; k++) {
		skip[k] = strcmp(from->parts[k].name, partition) != 0;
		if (!skip[k])
			me = k;
	}
	char *only[] = {(char *)to};
	if ((r = cr_evac_plan_parts(s->hosts, s->n_hosts, from, to ? only : NULL, to ? 1 : 0, skip, ch, err)) < 0)
		return r;
	if (!ch[me].to || (ch[me].mode != CR_PLAN_LIVE && ch[me].mode != CR_PLAN_STATIC)) {
		snprintf(outcome, outcome_len, "%s not moved: %s", partition, ch[me].reason);
		return 0;
	}
	struct cr_task t = {
		.partition = (char *)partition, .from = from->name, .to = (char *)ch[me].to, .mode = ch[me].mode,
		.kind = (char *)kind, .by = (char *)by, .reason = ch[me].reason, .state = CR_TASK_GO,
	};
	if ((r = write_new_task(s, NULL, &t, old, err)) < 0)
		return r;
	snprintf(outcome, outcome_len, "move of %s from %s to %s started", partition, from->name, ch[me].to);
	return 1;
}

static int run_schedules(struct step *s, struct cr_error *err)
{
	struct cr_schedule *sch = NULL;
	size_t n = 0;
	int64_t now = (int64_t)time(NULL);
	int r = cr_schedule_list(s->e, s->c, &sch, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct cr_schedule *x = &sch[i];
		if (x->next <= 0 || x->next > now)
			continue;
		char outcome[300] = "";
		cleanup_free char *by = NULL;
		cleanup_error struct cr_error why = CR_ERROR_INIT;
		if (asprintf(&by, "schedule:%s", x->id) < 0)
			return cr_error_set(err, ENOMEM, "out of memory");
		int k;
		if (!strcmp(x->what, "evacuate")) {
			k = cr_evac_request(s->e, s->c, x->target, x->parallel > 0 ? x->parallel : 1, NULL, 0, by, &why);
			s->m->again = s->m->again || k == 0;
			snprintf(outcome, sizeof outcome, "%s", k < 0 ? cr_error_msg(&why) : "evacuation started");
		} else {
			k = move_one(s, "schedule", by, x->target, x->to, outcome, sizeof outcome, &why);
			if (k < 0)
				snprintf(outcome, sizeof outcome, "%s", cr_error_msg(&why));
		}
		say(s, "fleet: schedule %s (%s %s): %s", x->id, x->what, x->target, outcome);
		x->last_run = now;
		free(x->last_outcome);
		x->last_outcome = strdup(outcome);
		if (cr_schedule_plan_next(x, now, &why) < 0)
			x->next = 0;
		struct cr_etcd_cmp fence = {s->leader_key, s->m->leader_rev};
		r = cr_schedule_update(s->e, s->c, x, &fence, err);
		r = r < 0 ? r : 0;
	}
	cr_schedule_list_free(sch, n);
	return r;
}

static bool host_busy(struct step *s, const struct cr_fleet_host *h)
{
	for (size_t i = 0; i < s->n_tasks; i++)
		if (!cr_task_final(&s->tasks[i]) &&
		    (!strcmp(s->tasks[i].from, h->name) || (s->tasks[i].to && !strcmp(s->tasks[i].to, h->name))))
			return true;
	return false;
}

static int touch_state(struct step *s, const char *host, int64_t now, struct cr_error *err)
{
	struct cr_policy_state st;
	struct cr_etcd_cmp fence = {s->leader_key, s->m->leader_rev};
	int r = cr_policy_state_get(s->e, s->c, host, &st, err);
	if (r < 0)
		return r;
	st.last_move = now;
	st.over_since = 0;
	r = cr_policy_state_put(s->e, s->c, host, &st, &fence, err);
	return r < 0 ? r : 0;
}

static int run_policies(struct step *s, struct cr_error *err)
{
	struct cr_policy *pol = NULL;
	size_t n_pol = 0;
	int r = cr_policy_list(s->e, s->c, &pol, &n_pol, err);
	if (r == 0 && n_pol)
		r = ensure_view(s, err);
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; r == 0 && n_pol && i < s->n_hosts; i++) {
		struct cr_fleet_host *h = &s->hosts[i];
		const struct cr_policy *p = NULL;
		for (size_t k = 0; k < n_pol; k++)
			if (!strcmp(pol[k].domain, h->domain))
				p = &pol[k];
		if (!p || !h->online || strcmp(h->state, "online"))
			continue;
		struct cr_policy_state st;
		struct cr_policy_verdict v;
		struct cr_etcd_cmp fence = {s->leader_key, s->m->leader_rev};
		if ((r = cr_policy_state_get(s->e, s->c, h->name, &st, err)) < 0 ||
		    (r = cr_policy_judge(p, s->hosts, s->n_hosts, h, &st, now, &v, err)) < 0)
			break;
		if (v.over != (st.over_since != 0)) {
			st.over_since = v.over ? now : 0;
			r = cr_policy_state_put(s->e, s->c, h->name, &st, &fence, err);
			r = r < 0 ? r : 0;
			continue;
		}
		if (!v.act || host_busy(s, h))
			continue;
		char outcome[300], by[80];
		snprintf(by, sizeof by, "policy:%s", p->domain);
		cleanup_free char *to = strdup(v.to), *part = strdup(v.partition);
		if (!to || !part)
			return cr_error_set(err, ENOMEM, "out of memory");
		say(s, "fleet: policy of %s: host %s %s", p->domain, h->name, v.why);
		int k = move_one(s, "policy", by, part, to, outcome, sizeof outcome, err);
		if (k < 0) {
			r = k;
			break;
		}
		say(s, "fleet: policy of %s: %s", p->domain, outcome);
		if (k > 0 && (r = touch_state(s, h->name, now, err)) == 0)
			r = touch_state(s, to, now, err);
	}
	cr_policy_list_free(pol, n_pol);
	return r;
}

int cr_manager_step(struct cr_manager *m, struct cr_etcd *e, const struct cr_fleet_conf *c, int64_t lease,
		    struct cr_error *err)
{
	struct step s = {.m = m, .e = e, .c = c};
	m->again = false;
	cleanup_etcd_kvs struct cr_etcd_kvs evacs = {0};
	cleanup_free char *prefix = NULL;
	int r = cr_fleet_key(&s.leader_key, c->fleet, "leader", err);
	/* A woken step of the leader keeps the lead it read at most a tick
	 * ago: every write it makes compares the lead's revision, so a lead
	 * lost meanwhile writes nothing. */
	if (r == 0 && !(m->woken && m->leader))
		r = lead(m, e, c, s.leader_key, lease, err);
	if (r < 0 || !m->leader) {
		free(s.leader_key);
		return r;
	}
	if (!m->woken)
		r = run_schedules(&s, err);
	if (r == 0 && !m->woken)
		r = run_policies(&s, err);
	/* the member asked alone: every write of a step on an evacuation
	 * compares its record's revision, so a stale list writes nothing */
	if (r == 0 && (r = cr_fleet_key(&prefix, c->fleet, "evacuations/", err)) == 0)
		r = cr_etcd_list_local(e, prefix, &evacs, err);
	/* The origins are read only for what uses them: a running restore, or
	 * a cancel (which says whether a partition is still away). */
	s.no_origins = !s.viewed;
	for (size_t i = 0; r == 0 && s.no_origins && i < evacs.n; i++) {
		struct cr_evac v = {0};
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		if (cr_evac_from_kv(&evacs.kv[i], &v, &bad) == 0 && !strcmp(v.status, "running") &&
		    (strcmp(v.kind, "evacuate") || v.cancel_by))
			s.no_origins = false;
		cr_evac_free(&v);
	}
	for (size_t i = 0; r == 0 && i < evacs.n; i++) {
		struct cr_evac v = {0};
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		if (cr_evac_from_kv(&evacs.kv[i], &v, &bad) < 0)
			continue;
		if (!strcmp(v.status, "running") && (r = ensure_view(&s, err)) == 0)
			r = !strcmp(v.kind, "restore") ? step_restore(&s, &v, err) : step_evacuate(&s, &v, err);
		cr_evac_free(&v);
	}
	cr_fleet_hosts_free(s.hosts, s.n_hosts);
	cr_task_list_free(s.tasks, s.n_tasks);
	cr_etcd_kvs_clear(&s.origins);
	free(s.leader_key);
	return r;
}
