/* Cancelling an evacuation (fleet/evacuation.h, cr_evac_cancel): the
 * record marked cancelled and the tasks let go but not claimed yet turned
 * cancelled, in one transaction, so that no move of it starts after the
 * answer. A task a host's agent claims first is running: it finishes
 * through its own hand-over, and the transaction, whose compare on that
 * task fails, is tried again on a fresh read. */
#define LOG_PREFIX "fleet: "
#include "fleet/evacuation.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/task.h"
#include "util/cleanup.h"

#define CANCEL_TRIES 20

struct cancel_txn {
	struct cr_etcd_cmp *cmps;
	struct cr_etcd_op *ops;
	char **owned; /* keys and values, freed with it */
	size_t n, n_owned;
};

static void cancel_txn_free(struct cancel_txn *x)
{
	for (size_t i = 0; i < x->n_owned; i++)
		free(x->owned[i]);
	free(x->owned);
	free(x->cmps);
	free(x->ops);
	memset(x, 0, sizeof(*x));
}

/* Put *KEY = *VALUE if *KEY is still at REV (both taken over by X). */
static void cancel_txn_add(struct cancel_txn *x, char **key, char **value, int64_t rev)
{
	x->cmps[x->n] = (struct cr_etcd_cmp){*key, rev};
	x->ops[x->n] = (struct cr_etcd_op){CR_ETCD_OP_PUT, *key, *value, 0};
	x->n++;
	x->owned[x->n_owned++] = steal_pointer(key);
	x->owned[x->n_owned++] = steal_pointer(value);
}

static bool of_evacuation(const struct cr_task *t, const struct cr_evac *v)
{
	return t->evac && !strcmp(t->evac, v->host) && t->kind && !strcmp(t->kind, v->kind);
}


static int refusal(const struct cr_evac *v, const char *kind, const char *host, struct cr_error *err)
{
	bool restore = strcmp(v->kind, "evacuate") != 0;
	if (strcmp(v->status, "running"))
		return cr_error_set(err, EINVAL, "the %s of %s has ended (%s): nothing to cancel",
				    restore ? "restore" : "evacuation", host, v->status);
	if (strcmp(v->kind, kind))
		return cr_error_set(err, EINVAL, "host %s is being %s, not %s (corral %s --cancel %s)", host,
				    restore ? "restored" : "evacuated", restore ? "evacuated" : "restored",
				    restore ? "restore" : "evacuate", host);
	return 0;
}

/* One try: 1 cancelled (or was already), 0 something changed meanwhile. */
static int cancel_once(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, const char *kind,
		       const char *by, size_t *ret_running, struct cr_error *err)
{
	struct cr_evac v = {0};
	struct cr_task *t = NULL;
	size_t n = 0, running = 0, go = 0;
	struct cancel_txn x = {0};
	cleanup_free char *key = NULL, *json = NULL;
	int64_t now = (int64_t)time(NULL);
	int r = cr_evac_get(e, c->fleet, host, &v, err);
	if (r == 0)
		r = cr_error_set(err, ENOENT, "host %s has no %s to cancel", host,
				 strcmp(kind, "evacuate") ? "restore" : "evacuation");
	if (r > 0)
		r = refusal(&v, kind, host, err);
	if (r == 0)
		r = cr_task_list(e, c->fleet, "tasks/", &t, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool mine = of_evacuation(&t[i], &v);
		running += mine && t[i].state == CR_TASK_RUNNING;
		go += mine && (t[i].state == CR_TASK_GO || t[i].state == CR_TASK_NEXT);
	}
	if (r == 0 && v.cancel_by && go == 0) {
		*ret_running = running;
		r = 1; /* cancelled already, and nothing let go is left */
		goto out;
	}
	if (r == 0 && (!(x.cmps = calloc(go + 1, sizeof(*x.cmps))) || !(x.ops = calloc(go + 1, sizeof(*x.ops))) ||
		       !(x.owned = calloc(2 * (go + 1), sizeof(char *)))))
		r = cr_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		if ((t[i].state != CR_TASK_GO && t[i].state != CR_TASK_NEXT) || !of_evacuation(&t[i], &v))
			continue;
		if ((r = cr_task_cancel(&t[i], err)) == 0 && (r = cr_task_key(c->fleet, t[i].from, t[i].partition, &key, err)) == 0 &&
		    (r = cr_task_to_json(&t[i], &json, err)) == 0)
			cancel_txn_add(&x, &key, &json, t[i].mod_revision);
	}
	if (r == 0 && !v.cancel_by) {
		v.cancelled = now;
		if (!(v.cancel_by = strdup(by ? by : c->name)))
			r = cr_error_set(err, ENOMEM, "out of memory");
	}
	if (r == 0 && (r = cr_evac_key(c->fleet, host, &key, err)) == 0 && (r = cr_evac_to_json(&v, &json, err)) == 0)
		cancel_txn_add(&x, &key, &json, v.mod_revision);
	if (r == 0) {
		r = cr_etcd_txn(e, x.cmps, x.n, x.ops, x.n, err);
		if (r == -ETIMEDOUT) { /* outcome unknown: the next try reads what it is */
			cr_error_clear(err);
			r = 0;
		}
		if (r == 1)
			*ret_running = running;
	}
out:
	cancel_txn_free(&x);
	cr_task_list_free(t, n);
	cr_evac_free(&v);
	return r;
}

int cr_evac_cancel(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, const char *kind,
		   const char *by, size_t *ret_running, struct cr_error *err)
{
	for (int i = 0; i < CANCEL_TRIES; i++) {
		int r = cancel_once(e, c, host, kind, by, ret_running, err);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return cr_error_set(err, EAGAIN, "the %s of %s kept changing: its cancel was not written, try again",
			    strcmp(kind, "evacuate") ? "restore" : "evacuation", host);
}
