/* Task records (fleet/task.h): JSON in, JSON out, compare-and-swap writes. */
#define LOG_PREFIX "fleet: "
#include "fleet/task.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/fleet_internal.h"
#include "util/cleanup.h"

static const char *state_names[] = {"queued", "go", "running", "done", "failed", "skipped", "cancelled", "next"};

const char *cr_task_state_name(enum cr_task_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

bool cr_task_final(const struct cr_task *t)
{
	return t->state == CR_TASK_DONE || t->state == CR_TASK_FAILED || t->state == CR_TASK_SKIPPED ||
	       t->state == CR_TASK_CANCELLED;
}

void cr_task_free(struct cr_task *t)
{
	if (!t)
		return;
	free(t->partition);
	free(t->from);
	free(t->to);
	free(t->kind);
	free(t->evac);
	free(t->by);
	free(t->reason);
	memset(t, 0, sizeof(*t));
}

void cr_task_list_free(struct cr_task *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		cr_task_free(&t[i]);
	free(t);
}

int cr_task_cancel(struct cr_task *t, struct cr_error *err)
{
	char *why = strdup("not started: the evacuation was cancelled");
	if (!why)
		return cr_error_set(err, ENOMEM, "out of memory");
	free(t->reason);
	t->reason = why;
	t->state = CR_TASK_CANCELLED;
	t->ended = (int64_t)time(NULL);
	return 0;
}

int cr_task_key(const char *fleet, const char *from, const char *partition, char **ret, struct cr_error *err)
{
	if (asprintf(ret, "/corral/fleets/%s/tasks/%s/%s", fleet, from, partition) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static void put_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

int cr_task_to_json(const struct cr_task *t, char **ret, struct cr_error *err)
{
	cleanup_json json_object *o = json_object_new_object();
	if (!o)
		return cr_error_set(err, ENOMEM, "out of memory");
	put_str(o, "partition", t->partition);
	put_str(o, "from", t->from);
	put_str(o, "to", t->to);
	put_str(o, "mode", cr_plan_mode_name(t->mode));
	put_str(o, "kind", t->kind);
	put_str(o, "evac", t->evac);
	put_str(o, "by", t->by);
	put_str(o, "state", cr_task_state_name(t->state));
	put_str(o, "reason", t->reason);
	json_object_object_add(o, "attempts", json_object_new_int(t->attempts));
	json_object_object_add(o, "downtime_ms", json_object_new_int64(t->downtime_ms));
	if (t->cap > 0)
		json_object_object_add(o, "cap", json_object_new_int(t->cap));
	json_object_object_add(o, "started", json_object_new_int64(t->started));
	json_object_object_add(o, "ended", json_object_new_int64(t->ended));
	if (!(*ret = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

static bool dup_field(char **dst, json_object *o, const char *field)
{
	const char *s = cr_fleet_json_str(o, field);
	return !s || (*dst = strdup(s)) != NULL;
}

int cr_task_from_kv(const struct cr_etcd_kv *kv, struct cr_task *ret, struct cr_error *err)
{
	static const char *const modes[] = {"live", "static", "stop", "stay", "none"};
	cleanup_json json_object *o = NULL;
	int r = cr_fleet_parse_record(kv, &o, err);
	if (r < 0)
		return r;
	struct cr_task t = {0};
	int st = name_index(state_names, sizeof(state_names) / sizeof(state_names[0]), cr_fleet_json_str(o, "state"));
	int mode = name_index(modes, sizeof(modes) / sizeof(modes[0]), cr_fleet_json_str(o, "mode"));
	if (st < 0 || mode < 0 || !cr_fleet_json_str(o, "partition") || !cr_fleet_json_str(o, "from"))
		return cr_error_set(err, EPROTO, "task %s: not a task record", kv->key);
	t.state = (enum cr_task_state)st;
	t.mode = (enum cr_plan_mode)mode;
	t.attempts = (int)cr_fleet_json_num(o, "attempts");
	t.downtime_ms = (int64_t)cr_fleet_json_num(o, "downtime_ms");
	t.cap = (int)cr_fleet_json_num(o, "cap");
	t.started = (int64_t)cr_fleet_json_num(o, "started");
	t.ended = (int64_t)cr_fleet_json_num(o, "ended");
	t.mod_revision = kv->mod_revision;
	if (!dup_field(&t.partition, o, "partition") || !dup_field(&t.from, o, "from") || !dup_field(&t.to, o, "to") ||
	    !dup_field(&t.kind, o, "kind") || !dup_field(&t.evac, o, "evac") || !dup_field(&t.by, o, "by") ||
	    !dup_field(&t.reason, o, "reason")) {
		cr_task_free(&t);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	*ret = t;
	return 0;
}

static int list(struct cr_etcd *e, const char *fleet, const char *prefix, bool local, struct cr_task **ret,
		size_t *ret_n, struct cr_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	int r = cr_fleet_key(&key, fleet, prefix, err);
	if (r == 0)
		r = local ? cr_etcd_list_local(e, key, &kvs, err) : cr_etcd_list(e, key, &kvs, err);
	if (r < 0)
		return r;
	struct cr_task *out = calloc(kvs.n + 1, sizeof(*out));
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		if (cr_task_from_kv(&kvs.kv[i], &out[n], &bad) == 0)
			n++; /* an unreadable record is no task */
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

int cr_task_list(struct cr_etcd *e, const char *fleet, const char *prefix, struct cr_task **ret, size_t *ret_n,
		 struct cr_error *err)
{
	return list(e, fleet, prefix, false, ret, ret_n, err);
}

int cr_task_list_local(struct cr_etcd *e, const char *fleet, const char *prefix, struct cr_task **ret,
		       size_t *ret_n, struct cr_error *err)
{
	return list(e, fleet, prefix, true, ret, ret_n, err);
}

int cr_task_write(struct cr_etcd *e, const char *fleet, struct cr_task *t, const struct cr_etcd_cmp *extra,
		  size_t n_extra, struct cr_error *err)
{
	cleanup_free char *key = NULL, *value = NULL;
	if (n_extra > 2)
		return cr_error_set(err, EINVAL, "a task is written under at most 2 more compares, not %zu", n_extra);
	int r = cr_task_key(fleet, t->from, t->partition, &key, err);
	if (r == 0)
		r = cr_task_to_json(t, &value, err);
	if (r < 0)
		return r;
	struct cr_etcd_cmp cmps[3] = {{key, t->mod_revision}};
	size_t n = 1;
	for (size_t i = 0; i < n_extra; i++)
		cmps[n++] = extra[i];
	struct cr_etcd_op op = {CR_ETCD_OP_PUT, key, value, 0};
	int64_t rev = -1; /* unknown: whoever writes next reads first */
	r = cr_etcd_txn_rev(e, cmps, n, &op, 1, &rev, err);
	if (r == 1)
		t->mod_revision = rev;
	return r;
}
