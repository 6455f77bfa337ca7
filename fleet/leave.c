/* Leaving a fleet (fleet/fleet.h, cr_fleet_leave). Refused while this host
 * runs partitions or is being evacuated or restored (or a fleet move from
 * or to it runs), unless forced. Then one transaction, on the host
 * record's revision, removes the record and leaves left/NAME (its key:
 * the members drop their trust in it at their next interval) with its
 * liveness, state, evacuation and policy state; after it, the records that
 * name it (its tasks, the owners of its partitions, the origins of what
 * was evacuated from it, the lead when it holds it); then its own trust in
 * the members, and fleet.conf. Its agent sees fleet.conf gone within a
 * tick and stops acting for the fleet (fleet/agent.c). */
#define LOG_PREFIX "fleet: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet/evacuation.h"
#include "fleet/fleet_internal.h"
#include "fleet/task.h"
#include "partition/registry.h"
#include "util/cleanup.h"

struct leave {
	const struct cr_fleet_conf *c;
	struct cr_etcd *e;
	struct cr_fleet_leave_report *rep;
	size_t failed; /* records not removed */
};

static int key_of(const struct leave *l, const char *what, const char *name, char **ret, struct cr_error *err)
{
	if (asprintf(ret, "/corral/fleets/%s/%s/%s", l->c->fleet, what, name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* This host's partitions: how many, and the first few names. */
static int partitions_here(struct cr_fleet_leave_report *rep, struct cr_error *err)
{
	struct cr_wpar *list = NULL;
	size_t n = 0;
	int r = cr_registry_list(&list, &n, err);
	if (r < 0)
		return r;
	rep->partitions = n;
	size_t len = 0;
	for (size_t i = 0; i < n && i < 5; i++)
		len += (size_t)snprintf(rep->partition_names + len, sizeof(rep->partition_names) - len, "%s%s",
					i ? ", " : "", list[i].config.name);
	if (n > 5)
		snprintf(rep->partition_names + len, sizeof(rep->partition_names) - len, ", ...");
	cr_wpar_list_free(list, n);
	return 0;
}

/* What runs for or against this host in the fleet: its evacuation or
 * restore, and moves from or to it. */
static int busy(struct leave *l, struct cr_task *t, size_t n, struct cr_error *err)
{
	struct cr_evac v = {0};
	int r = cr_evac_get(l->e, l->c->fleet, l->c->name, &v, err);
	if (r < 0)
		return r;
	if (r > 0 && !strcmp(v.status, "running"))
		snprintf(l->rep->evacuation, sizeof(l->rep->evacuation), "%s", strcmp(v.kind, "restore") ? "evacuation" : "restore");
	cr_evac_free(&v);
	for (size_t i = 0; i < n; i++)
		if (!cr_task_final(&t[i]) &&
		    (!strcmp(t[i].from, l->c->name) || (t[i].to && !strcmp(t[i].to, l->c->name))))
			l->rep->moves++;
	return 0;
}

static int refuse(const struct leave *l, struct cr_error *err)
{
	const struct cr_fleet_leave_report *rep = l->rep;
	if (rep->partitions)
		return cr_error_set(err, EBUSY, "this host still has %zu partition%s (%s): evacuate it first (corral "
				    "evacuate %s), or --force: they stay here, run by this host alone",
				    rep->partitions, rep->partitions > 1 ? "s" : "", rep->partition_names, l->c->name);
	if (rep->evacuation[0])
		return cr_error_set(err, EBUSY, "host %s is being %s: wait for its end or cancel it, or --force: "
				    "its moves in flight finish unrecorded", l->c->name,
				    strcmp(rep->evacuation, "restore") ? "evacuated" : "restored");
	if (rep->moves)
		return cr_error_set(err, EBUSY, "%zu fleet move%s from or to %s run%s now: wait for %s, or --force: "
				    "they finish unrecorded", rep->moves, rep->moves > 1 ? "s" : "", l->c->name,
				    rep->moves > 1 ? "" : "s", rep->moves > 1 ? "them" : "it");
	return 0;
}

/* The transaction that ends the membership: 1 left, 0 the record changed. */
static int leave_txn(struct leave *l, const struct cr_etcd_kv *host, struct cr_error *err)
{
	static const char *const gone[] = {"alive", "state", "evacuations", "policy-state"};
	cleanup_free char *left_key = NULL, *left_val = NULL;
	char *keys[4] = {NULL};
	cleanup_json json_object *rec = NULL, *tomb = json_object_new_object();
	int r = cr_fleet_parse_record(host, &rec, err);
	if (r == 0 && !tomb)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0) {
		const char *pk = cr_fleet_json_str(rec, "pubkey");
		json_object_object_add(tomb, "name", json_object_new_string(l->c->name));
		if (pk)
			json_object_object_add(tomb, "pubkey", json_object_new_string(pk));
		json_object_object_add(tomb, "left", json_object_new_int64((int64_t)time(NULL)));
		if (!(left_val = strdup(json_object_to_json_string_ext(tomb, JSON_C_TO_STRING_PLAIN))))
			r = cr_error_set(err, ENOMEM, "out of memory");
	}
	if (r == 0)
		r = key_of(l, "left", l->c->name, &left_key, err);
	for (size_t i = 0; r == 0 && i < 4; i++)
		r = key_of(l, gone[i], l->c->name, &keys[i], err);
	if (r == 0) {
		struct cr_etcd_cmp same = {host->key, host->mod_revision};
		struct cr_etcd_op ops[] = {
			{CR_ETCD_OP_DELETE, host->key, NULL, 0}, {CR_ETCD_OP_PUT, left_key, left_val, 0},
			{CR_ETCD_OP_DELETE, keys[0], NULL, 0},   {CR_ETCD_OP_DELETE, keys[1], NULL, 0},
			{CR_ETCD_OP_DELETE, keys[2], NULL, 0},   {CR_ETCD_OP_DELETE, keys[3], NULL, 0},
		};
		r = cr_etcd_txn(l->e, &same, 1, ops, sizeof(ops) / sizeof(ops[0]), err);
		if (r == -ETIMEDOUT) { /* outcome unknown: left when the record is gone */
			cleanup_etcd_kv struct cr_etcd_kv now = {0};
			cleanup_error struct cr_error again = CR_ERROR_INIT;
			if (cr_etcd_get(l->e, host->key, &now, &again) == 0)
				r = 1;
		}
	}
	for (size_t i = 0; i < 4; i++)
		free(keys[i]);
	return r;
}

/* Delete KEY if still at REV; a failure is counted, not fatal: the
 * membership has ended already. */
static void drop(struct leave *l, const char *key, int64_t rev, size_t *count)
{
	cleanup_error struct cr_error e = CR_ERROR_INIT;
	struct cr_etcd_cmp same = {key, rev};
	struct cr_etcd_op del = {CR_ETCD_OP_DELETE, key, NULL, 0};
	int r = cr_etcd_txn(l->e, &same, 1, &del, 1, &e);
	if (r == 1)
		(*count)++;
	else if (r < 0)
		l->failed++;
}

/* Records under WHAT whose FIELD names this host. */
static int drop_naming(struct leave *l, const char *what, const char *field, size_t *count, struct cr_error *err)
{
	cleanup_free char *prefix = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	int r = cr_fleet_key(&prefix, l->c->fleet, what, err);
	if (r == 0)
		r = cr_etcd_list(l->e, prefix, &kvs, err);
	for (size_t i = 0; r == 0 && i < kvs.n; i++) {
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		const char *v = NULL;
		if (cr_fleet_parse_record(&kvs.kv[i], &o, &bad) == 0 && (v = cr_fleet_json_str(o, field)) &&
		    !strcmp(v, l->c->name))
			drop(l, kvs.kv[i].key, kvs.kv[i].mod_revision, count);
	}
	return r;
}

static int drop_leader(struct leave *l, struct cr_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	int r = cr_fleet_key(&key, l->c->fleet, "leader", err);
	if (r == 0)
		r = cr_etcd_get(l->e, key, &kv, err);
	if (r == 1 && !strcmp(kv.value, l->c->name)) {
		size_t n = 0;
		drop(l, key, kv.mod_revision, &n);
		l->rep->was_leader = n > 0;
	}
	return r < 0 ? r : 0;
}

/* After the membership ended: the tasks from the host, the owners naming
 * it, the origins whose home it is, the lead if it holds it. */
static void drop_after(struct leave *l, const struct cr_task *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *key = NULL;
		if (strcmp(t[i].from, l->c->name) || cr_task_key(l->c->fleet, t[i].from, t[i].partition, &key, NULL) < 0)
			continue;
		size_t dropped = 0;
		drop(l, key, t[i].mod_revision, &dropped);
	}
	cleanup_error struct cr_error later = CR_ERROR_INIT;
	if (drop_naming(l, "owners/", "host", &l->rep->owners, &later) < 0 ||
	    drop_naming(l, "origins/", "home", &l->rep->origins, &later) < 0 || drop_leader(l, &later) < 0)
		l->failed++;
	l->rep->not_removed = l->failed;
}

static int remove_conf(struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = cr_fleet_conf_path(&path, err);
	if (r == 0 && unlink(path) < 0 && errno != ENOENT)
		r = cr_error_errno(err, "cannot remove %s", path);
	return r;
}

int cr_fleet_leave(const struct cr_fleet_conf *c, bool force, struct cr_fleet_leave_report *ret,
		   struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *host_key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv host = {0};
	struct cr_fleet_leave_report rep = {0};
	struct leave l = {.c = c, .rep = &rep};
	struct cr_task *t = NULL;
	size_t n = 0;
	int r = cr_fleet_open_store(c, &e, err);
	l.e = e;
	if (r == 0)
		r = key_of(&l, "hosts", c->name, &host_key, err);
	if (r == 0)
		r = cr_etcd_get(e, host_key, &host, err);
	rep.member = r == 1;
	if (r >= 0)
		r = partitions_here(&rep, err);
	if (r == 0)
		r = cr_task_list(e, c->fleet, "tasks/", &t, &n, err);
	if (r == 0 && rep.member)
		r = busy(&l, t, n, err);
	if (r == 0 && rep.member && !force)
		r = refuse(&l, err);
	if (r == 0 && rep.member && (r = leave_txn(&l, &host, err)) == 0)
		r = cr_error_set(err, EAGAIN, "this host's record in fleet %s changed meanwhile: try again", c->fleet);
	/* the members' records (this host's is gone) say whom to untrust */
	int untrusted = r >= 0 ? cr_fleet_untrust(e, c, "hosts/", err) : 0;
	if (untrusted < 0)
		r = untrusted;
	if (r < 0) {
		cr_task_list_free(t, n);
		return cr_error_wrap(err, "leaving fleet %s", c->fleet);
	}
	rep.trust_removed = (size_t)untrusted;
	drop_after(&l, t, n);
	cr_task_list_free(t, n);
	if ((r = remove_conf(err)) < 0)
		return r;
	*ret = rep;
	return 0;
}

int cr_fleet_remove(const struct cr_fleet_conf *c, const char *name, bool force, struct cr_fleet_leave_report *ret,
		    struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *host_key = NULL, *alive_key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv host = {0}, alive = {0};
	struct cr_fleet_conf as = *c; /* the removed host's view: its name */
	as.name = (char *)name;
	struct cr_fleet_leave_report rep = {0};
	struct leave l = {.c = &as, .rep = &rep};
	struct cr_task *t = NULL;
	size_t n = 0;
	if (!strcmp(name, c->name))
		return cr_error_set(err, EINVAL, "%s is this host: corral fleet leave takes it out", name);
	int r = cr_fleet_name_check("host name", name, err);
	if (r == 0)
		r = cr_fleet_open_store(c, &e, err);
	l.e = e;
	if (r == 0 && (r = key_of(&l, "hosts", name, &host_key, err)) == 0 &&
	    (r = key_of(&l, "alive", name, &alive_key, err)) == 0)
		r = cr_etcd_get(e, host_key, &host, err);
	if (r == 0)
		r = cr_error_set(err, ENOENT, "no host named %s in fleet %s", name, c->fleet);
	if (r > 0)
		r = cr_etcd_get(e, alive_key, &alive, err);
	bool online = r == 1;
	if (r >= 0)
		r = cr_task_list(e, c->fleet, "tasks/", &t, &n, err);
	if (r == 0)
		r = busy(&l, t, n, err);
	if (r == 0 && !force && online)
		r = cr_error_set(err, EBUSY, "host %s is online: run corral fleet leave on it, or --force: it stops "
				 "acting for the fleet at its next publish (2 s), its partitions run on there alone",
				 name);
	if (r == 0 && !force)
		r = refuse(&l, err);
	if (r == 0 && (r = leave_txn(&l, &host, err)) == 0)
		r = cr_error_set(err, EAGAIN, "the record of %s changed meanwhile: try again", name);
	if (r < 0) {
		cr_task_list_free(t, n);
		return cr_error_wrap(err, "removing %s from fleet %s", name, c->fleet);
	}
	rep.member = true;
	drop_after(&l, t, n);
	cr_task_list_free(t, n);
	*ret = rep;
	return 0;
}
