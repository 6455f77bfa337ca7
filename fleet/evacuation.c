/* Evacuation records and plans (fleet/evacuation.h). */
#define LOG_PREFIX "fleet: "
#include "fleet/evacuation.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/fleet_internal.h"
#include "fleet/task.h"
#include "util/cleanup.h"

void cr_evac_free(struct cr_evac *v)
{
	if (!v)
		return;
	free(v->host);
	free(v->kind);
	free(v->status);
	for (size_t i = 0; i < v->n_to; i++)
		free(v->to[i]);
	free(v->to);
	free(v->by);
	free(v->cancel_by);
	memset(v, 0, sizeof(*v));
}

int cr_evac_key(const char *fleet, const char *host, char **ret, struct cr_error *err)
{
	if (asprintf(ret, "/corral/fleets/%s/evacuations/%s", fleet, host) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_host_state_key(const char *fleet, const char *host, char **ret, struct cr_error *err)
{
	if (asprintf(ret, "/corral/fleets/%s/state/%s", fleet, host) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_evac_to_json(const struct cr_evac *v, char **ret, struct cr_error *err)
{
	cleanup_json json_object *o = json_object_new_object();
	json_object *to = json_object_new_array();
	if (!o || !to) {
		json_object_put(to);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	json_object_object_add(o, "host", json_object_new_string(v->host));
	json_object_object_add(o, "kind", json_object_new_string(v->kind));
	json_object_object_add(o, "status", json_object_new_string(v->status));
	json_object_object_add(o, "parallel", json_object_new_int(v->parallel));
	for (size_t i = 0; i < v->n_to; i++)
		json_object_array_add(to, json_object_new_string(v->to[i]));
	json_object_object_add(o, "to", to);
	if (v->by)
		json_object_object_add(o, "by", json_object_new_string(v->by));
	json_object_object_add(o, "started", json_object_new_int64(v->started));
	json_object_object_add(o, "ended", json_object_new_int64(v->ended));
	if (v->cancel_by) {
		json_object_object_add(o, "cancel_by", json_object_new_string(v->cancel_by));
		json_object_object_add(o, "cancelled", json_object_new_int64(v->cancelled));
	}
	if (!(*ret = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_evac_from_kv(const struct cr_etcd_kv *kv, struct cr_evac *ret, struct cr_error *err)
{
	cleanup_json json_object *o = NULL;
	int r = cr_fleet_parse_record(kv, &o, err);
	if (r < 0)
		return r;
	const char *host = cr_fleet_json_str(o, "host"), *kind = cr_fleet_json_str(o, "kind"),
		   *status = cr_fleet_json_str(o, "status"), *by = cr_fleet_json_str(o, "by"),
		   *cancel_by = cr_fleet_json_str(o, "cancel_by");
	if (!host || !kind || !status)
		return cr_error_set(err, EPROTO, "%s: not an evacuation record", kv->key);
	struct cr_evac v = {0};
	v.parallel = (int)cr_fleet_json_num(o, "parallel");
	v.started = (int64_t)cr_fleet_json_num(o, "started");
	v.ended = (int64_t)cr_fleet_json_num(o, "ended");
	v.cancelled = (int64_t)cr_fleet_json_num(o, "cancelled");
	v.mod_revision = kv->mod_revision;
	json_object *to = NULL;
	size_t n = json_object_object_get_ex(o, "to", &to) && json_object_is_type(to, json_type_array)
			   ? json_object_array_length(to) : 0;
	v.to = calloc(n + 1, sizeof(char *));
	bool ok = v.to && (v.host = strdup(host)) && (v.kind = strdup(kind)) && (v.status = strdup(status)) &&
		  (!by || (v.by = strdup(by))) && (!cancel_by || (v.cancel_by = strdup(cancel_by)));
	for (size_t i = 0; ok && i < n; i++) {
		json_object *s = json_object_array_get_idx(to, i);
		if (json_object_is_type(s, json_type_string))
			ok = (v.to[v.n_to++] = strdup(json_object_get_string(s))) != NULL;
	}
	if (!ok) {
		cr_evac_free(&v);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (v.parallel < 1)
		v.parallel = 1;
	*ret = v;
	return 0;
}

int cr_evac_get(struct cr_etcd *e, const char *fleet, const char *host, struct cr_evac *ret,
		struct cr_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	int r = cr_evac_key(fleet, host, &key, err);
	if (r == 0)
		r = cr_etcd_get(e, key, &kv, err);
	if (r <= 0)
		return r;
	r = cr_evac_from_kv(&kv, ret, err);
	return r < 0 ? r : 1;
}

void cr_evac_plan_free(struct cr_evac_plan *p)
{
	cr_fleet_hosts_free(p->hosts, p->n_hosts);
	free(p->choices);
	memset(p, 0, sizeof(*p));
}

/* Takes placements: online, and not being emptied (a host being restored
 * takes its partitions back, and others too). */
static bool available(const struct cr_fleet_host *h)
{
	return h->online && (!strcmp(h->state, "online") || !strcmp(h->state, "restoring"));
}

int cr_evac_plan_parts(struct cr_fleet_host *hosts, size_t n_hosts, struct cr_fleet_host *src,
		       char *const *to, size_t n_to, const bool *skip, struct cr_plan_choice *ret,
		       struct cr_error *err)
{
	cleanup_free struct cr_plan_host *ph = calloc(n_hosts + 1, sizeof(*ph));
	cleanup_free struct cr_plan_partition *pp = calloc(src->n_parts + 1, sizeof(*pp));
	cleanup_free size_t *idx = calloc(src->n_parts + 1, sizeof(*idx));
	cleanup_free struct cr_plan_choice *out = calloc(src->n_parts + 1, sizeof(*out));
	cleanup_free const char **groups = NULL;
	size_t n_groups_all = 0;
	for (size_t i = 0; i < n_hosts; i++)
		n_groups_all += hosts[i].n_parts;
	groups = calloc(n_groups_all + 1, sizeof(*groups));
	if (!ph || !pp || !idx || !out || !groups)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t g = 0;
	for (size_t i = 0; i < n_hosts; i++) {
		struct cr_fleet_host *h = &hosts[i];
		ph[i] = (struct cr_plan_host){
			.name = h->name, .domain = h->domain, .available = available(h), .arch = h->arch,
			.criu = h->criu, .cgroup = h->cgroup, .cpu_features = (const char *const *)h->cpu_features,
			.n_cpu_features = h->n_cpu_features, .cpu = h->cpu, .cpus = h->cpus,
			.mem_used = h->mem_used, .mem_total = h->mem_total, .groups = &groups[g],
		};
		for (size_t k = 0; k < h->n_parts; k++)
			if (h->parts[k].group)
				groups[g + ph[i].n_groups++] = h->parts[k].group;
		g += ph[i].n_groups;
	}
	const struct cr_plan_host *psrc = NULL;
	for (size_t i = 0; i < n_hosts; i++)
		if (&hosts[i] == src)
			psrc = &ph[i];
	size_t n = 0;
	for (size_t k = 0; k < src->n_parts; k++) {
		if (skip && skip[k])
			continue;
		struct cr_fleet_partition *p = &src->parts[k];
		pp[n] = (struct cr_plan_partition){
			.name = p->name, .checkpointable = p->checkpointable,
			.running = p->state == 'A' || p->state == 'F' || p->state == 'P', .mem = p->mem,
			.evacuate = p->evacuate, .group = p->group,
		};
		idx[n++] = k;
	}
	int r = cr_plan_evacuation(psrc, ph, n_hosts, (const char *const *)to, n_to, pp, n, out, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		ret[idx[i]] = out[i];
	return 0;
}

int cr_evac_plan_make(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, char *const *to,
		      size_t n_to, struct cr_evac_plan *ret, struct cr_error *err)
{
	struct cr_evac_plan p = {0};
	int r = cr_fleet_hosts(e, c, &p.hosts, &p.n_hosts, err);
	if (r < 0)
		return r;
	p.src = cr_fleet_host_find(p.hosts, p.n_hosts, host);
	for (size_t i = 0; r == 0 && i < n_to; i++)
		if (!cr_fleet_host_find(p.hosts, p.n_hosts, to[i]))
			r = cr_error_set(err, ENOENT, "--to: no host named %s in fleet %s", to[i], c->fleet);
		else if (!strcmp(to[i], host))
			r = cr_error_set(err, EINVAL, "--to names %s, the host being emptied", host);
	if (r == 0 && !p.src)
		r = cr_error_set(err, ENOENT, "no host named %s in fleet %s", host, c->fleet);
	else if (r == 0 && !p.src->online)
		r = cr_error_set(err, EHOSTDOWN, "host %s is offline: its partitions cannot be moved until it is back",
				 host);
	if (r == 0 && !(p.choices = calloc(p.src->n_parts + 1, sizeof(*p.choices))))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = cr_evac_plan_parts(p.hosts, p.n_hosts, p.src, to, n_to, NULL, p.choices, err);
	if (r < 0) {
		cr_evac_plan_free(&p);
		return r;
	}
	*ret = p;
	return 0;
}

/* Clear the final tasks an earlier evacuation or restore of HOST left. */
static int clear_old_tasks(struct cr_etcd *e, const char *fleet, const char *host, struct cr_error *err)
{
	struct cr_task *t = NULL;
	size_t n = 0;
	int r = cr_task_list(e, fleet, "tasks/", &t, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!t[i].evac || strcmp(t[i].evac, host) || !cr_task_final(&t[i]))
			continue;
		cleanup_free char *key = NULL;
		r = cr_task_key(fleet, t[i].from, t[i].partition, &key, err);
		if (r == 0) {
			struct cr_etcd_cmp same = {key, t[i].mod_revision};
			struct cr_etcd_op del = {CR_ETCD_OP_DELETE, key, NULL, 0};
			/* 1 deleted, 0 changed meanwhile (no longer final): either
			 * way on to the next one. */
			r = cr_etcd_txn(e, &same, 1, &del, 1, err);
			r = r < 0 ? r : 0;
		}
	}
	cr_task_list_free(t, n);
	return r < 0 ? r : 0;
}

static int write_request(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_evac *v,
			 int64_t expected_rev, const char *host_state, struct cr_error *err)
{
	cleanup_free char *key = NULL, *json = NULL, *skey = NULL, *sval = NULL;
	int r = cr_evac_key(c->fleet, v->host, &key, err);
	if (r == 0)
		r = cr_evac_to_json(v, &json, err);
	if (r == 0)
		r = cr_host_state_key(c->fleet, v->host, &skey, err);
	if (r == 0 && asprintf(&sval, "{\"state\":\"%s\",\"since\":%lld,\"by\":\"%s\"}", host_state,
			       (long long)time(NULL), c->name) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	struct cr_etcd_cmp cmp = {key, expected_rev};
	struct cr_etcd_op ops[] = {{CR_ETCD_OP_PUT, key, json, 0}, {CR_ETCD_OP_PUT, skey, sval, 0}};
	r = cr_etcd_txn(e, &cmp, 1, ops, 2, err);
	if (r == 0)
		return cr_error_set(err, EAGAIN, "the evacuation record of %s changed meanwhile: try again", v->host);
	return r < 0 ? r : 0;
}

int cr_evac_request(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, int parallel,
		    char *const *to, size_t n_to, const char *by, struct cr_error *err)
{
	struct cr_evac old = {0};
	int r = cr_evac_get(e, c->fleet, host, &old, err);
	if (r < 0)
		return r;
	int64_t rev = r ? old.mod_revision : 0;
	bool busy = r && !strcmp(old.status, "running");
	cr_evac_free(&old);
	if (busy)
		return cr_error_set(err, EBUSY, "host %s: an evacuation or restore is already running", host);
	if ((r = clear_old_tasks(e, c->fleet, host, err)) < 0)
		return r;
	struct cr_evac v = {
		.host = (char *)host, .kind = "evacuate", .status = "running", .parallel = parallel,
		.to = (char **)to, .n_to = n_to, .by = (char *)(by ? by : c->name), .started = (int64_t)time(NULL),
	};
	return write_request(e, c, &v, rev, "evacuating", err);
}

/* How many origins name HOST as home. */
static int origins_of(struct cr_etcd *e, const char *fleet, const char *host, size_t *ret, struct cr_error *err)
{
	cleanup_free char *prefix = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	int r = cr_fleet_key(&prefix, fleet, "origins/", err);
	if (r == 0)
		r = cr_etcd_list(e, prefix, &kvs, err);
	*ret = 0;
	for (size_t i = 0; r == 0 && i < kvs.n; i++) {
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		const char *home = NULL;
		if (cr_fleet_parse_record(&kvs.kv[i], &o, &bad) == 0 && (home = cr_fleet_json_str(o, "home")) &&
		    !strcmp(home, host))
			(*ret)++;
	}
	return r;
}

int cr_evac_reopen(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, size_t *ret_away,
		   struct cr_error *err)
{
	struct cr_evac old = {0};
	cleanup_free char *key = NULL, *json = NULL, *skey = NULL;
	int r = cr_evac_get(e, c->fleet, host, &old, err);
	if (r == 0)
		return cr_error_set(err, ENOENT, "host %s was not evacuated: nothing to reopen", host);
	if (r > 0 && !strcmp(old.status, "running"))
		r = cr_error_set(err, EBUSY, "host %s: an evacuation or restore is running (cancel it first: corral "
				 "evacuate --cancel %s)", host, host);
	struct cr_evac v = {
		.host = (char *)host, .kind = "restore", .status = "done", .parallel = 1, .by = c->name,
		.started = (int64_t)time(NULL), .ended = (int64_t)time(NULL),
	};
	if (r >= 0)
		r = cr_evac_key(c->fleet, host, &key, err);
	if (r == 0)
		r = cr_evac_to_json(&v, &json, err);
	if (r == 0)
		r = cr_host_state_key(c->fleet, host, &skey, err);
	if (r == 0)
		r = origins_of(e, c->fleet, host, ret_away, err);
	if (r == 0) {
		struct cr_etcd_cmp same = {key, old.mod_revision};
		struct cr_etcd_op ops[] = {{CR_ETCD_OP_PUT, key, json, 0}, {CR_ETCD_OP_DELETE, skey, NULL, 0}};
		r = cr_etcd_txn(e, &same, 1, ops, 2, err);
		if (r == 0)
			r = cr_error_set(err, EAGAIN, "the evacuation record of %s changed meanwhile: try again", host);
	}
	cr_evac_free(&old);
	return r < 0 ? r : 0;
}

int cr_evac_request_restore(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, int parallel,
			    struct cr_error *err)
{
	struct cr_evac old = {0};
	int r = cr_evac_get(e, c->fleet, host, &old, err);
	if (r < 0)
		return r;
	if (r == 0)
		return cr_error_set(err, ENOENT, "host %s was not evacuated: nothing to bring back", host);
	int64_t rev = old.mod_revision;
	bool busy = !strcmp(old.status, "running");
	cr_evac_free(&old);
	if (busy)
		return cr_error_set(err, EBUSY, "host %s: an evacuation or restore is still running", host);
	if ((r = clear_old_tasks(e, c->fleet, host, err)) < 0)
		return r;
	struct cr_evac v = {
		.host = (char *)host, .kind = "restore", .status = "running", .parallel = parallel,
		.by = c->name, .started = (int64_t)time(NULL),
	};
	return write_request(e, c, &v, rev, "restoring", err);
}
