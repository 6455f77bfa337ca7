/* Policy relocation (fleet/policy.h). */
#define LOG_PREFIX "fleet: "
#include "fleet/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/evacuation.h"
#include "fleet/fleet_internal.h"
#include "util/cleanup.h"

void cr_policy_free(struct cr_policy *p)
{
	if (p)
		free(p->domain);
}

void cr_policy_list_free(struct cr_policy *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		cr_policy_free(&p[i]);
	free(p);
}

static int key_of(const struct cr_fleet_conf *c, const char *kind, const char *name, char **ret, struct cr_error *err)
{
	if (asprintf(ret, "/corral/fleets/%s/%s/%s", c->fleet, kind, name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_policy_set(struct cr_etcd *e, const struct cr_fleet_conf *c, const struct cr_policy *p, struct cr_error *err)
{
	cleanup_free char *key = NULL, *json = NULL;
	int r = key_of(c, "policies", p->domain, &key, err);
	if (r == 0 && asprintf(&json, "{\"domain\":\"%s\",\"cpu\":%.4f,\"mem\":%.4f,\"period\":%d,\"cooldown\":%d}",
			       p->domain, p->cpu, p->mem, p->period_s, p->cooldown_s) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	return r < 0 ? r : cr_etcd_put(e, key, json, 0, err);
}

int cr_policy_list(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_policy **ret, size_t *ret_n,
		   struct cr_error *err)
{
	cleanup_free char *prefix = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	int r = cr_fleet_key(&prefix, c->fleet, "policies/", err);
	if (r == 0)
		r = cr_etcd_list(e, prefix, &kvs, err);
	if (r < 0)
		return r;
	struct cr_policy *out = calloc(kvs.n + 1, sizeof(*out));
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		const char *d = NULL;
		if (cr_fleet_parse_record(&kvs.kv[i], &o, &bad) < 0 || !(d = cr_fleet_json_str(o, "domain")))
			continue;
		out[n] = (struct cr_policy){
			.domain = strdup(d), .cpu = cr_fleet_json_num(o, "cpu"), .mem = cr_fleet_json_num(o, "mem"),
			.period_s = (int)cr_fleet_json_num(o, "period"), .cooldown_s = (int)cr_fleet_json_num(o, "cooldown"),
			.mod_revision = kvs.kv[i].mod_revision,
		};
		if (!out[n].domain) {
			cr_policy_list_free(out, n);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
		n++;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

int cr_policy_remove(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *domain, struct cr_error *err)
{
	cleanup_free char *key = NULL;
	int r = key_of(c, "policies", domain, &key, err);
	if (r == 0)
		r = cr_etcd_delete(e, key, err);
	if (r == 0)
		return cr_error_set(err, ENOENT, "no policy for relocation domain %s", domain);
	return r < 0 ? r : 0;
}

int cr_policy_state_get(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host,
			struct cr_policy_state *ret, struct cr_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	int r = key_of(c, "policy-state", host, &key, err);
	if (r == 0)
		r = cr_etcd_get(e, key, &kv, err);
	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	if (r == 0)
		return 0;
	cleanup_json json_object *o = NULL;
	if (cr_fleet_parse_record(&kv, &o, err) == 0) {
		ret->over_since = (int64_t)cr_fleet_json_num(o, "over_since");
		ret->last_move = (int64_t)cr_fleet_json_num(o, "last_move");
	}
	ret->mod_revision = kv.mod_revision;
	return 0;
}

int cr_policy_state_put(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host,
			struct cr_policy_state *st, const struct cr_etcd_cmp *fence, struct cr_error *err)
{
	cleanup_free char *key = NULL, *json = NULL;
	int r = key_of(c, "policy-state", host, &key, err);
	if (r == 0 && asprintf(&json, "{\"over_since\":%lld,\"last_move\":%lld}", (long long)st->over_since,
			       (long long)st->last_move) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	struct cr_etcd_cmp cmps[2] = {{key, st->mod_revision}};
	if (fence)
		cmps[1] = *fence;
	struct cr_etcd_op put = {CR_ETCD_OP_PUT, key, json, 0};
	return cr_etcd_txn(e, cmps, fence ? 2 : 1, &put, 1, err);
}

static double mem_share(const struct cr_fleet_host *h, uint64_t extra)
{
	return h->mem_total ? (double)(h->mem_used + extra) / (double)h->mem_total : 0;
}

/* After moving P there, does TO stay at most CR_POLICY_HEADROOM of each threshold? */
static bool stays_below(const struct cr_policy *p, const struct cr_fleet_host *from, const struct cr_fleet_host *to,
			const struct cr_fleet_partition *part)
{
	double cpu_there = to->cpu_now + part->cpu * (from->cpus > 0 ? from->cpus : 1) / (to->cpus > 0 ? to->cpus : 1);
	if (p->cpu > 0 && cpu_there > p->cpu * CR_POLICY_HEADROOM)
		return false;
	return !(p->mem > 0 && mem_share(to, part->mem) > p->mem * CR_POLICY_HEADROOM);
}

int cr_policy_judge(const struct cr_policy *p, struct cr_fleet_host *hosts, size_t n_hosts, struct cr_fleet_host *h,
		    const struct cr_policy_state *st, int64_t now, struct cr_policy_verdict *ret, struct cr_error *err)
{
	memset(ret, 0, sizeof(*ret));
	bool cpu_over = p->cpu > 0 && h->cpu_now > p->cpu, mem_over = p->mem > 0 && mem_share(h, 0) > p->mem;
	ret->over = cpu_over || mem_over;
	if (!ret->over) {
		snprintf(ret->why, sizeof ret->why, "below its thresholds (CPU %.0f%%, memory %.0f%%)", h->cpu_now * 100,
			 mem_share(h, 0) * 100);
		return 0;
	}
	int64_t since = st->over_since ? st->over_since : now;
	if (now - since < p->period_s) {
		snprintf(ret->why, sizeof ret->why, "above %s for %lld s of %d", cpu_over ? "CPU" : "memory",
			 (long long)(now - since), p->period_s);
		return 0;
	}
	if (st->last_move && now - st->last_move < p->cooldown_s) {
		snprintf(ret->why, sizeof ret->why, "above, but a policy move touched it %lld s ago (cooldown %d s)",
			 (long long)(now - st->last_move), p->cooldown_s);
		return 0;
	}
	/* Candidates: live-movable partitions, the heaviest (by what is over) first. */
	cleanup_free size_t *order = calloc(h->n_parts + 1, sizeof(*order));
	cleanup_free bool *skip = calloc(h->n_parts + 1, sizeof(bool));
	cleanup_free struct cr_plan_choice *ch = calloc(h->n_parts + 1, sizeof(*ch));
	if (!order || !skip || !ch)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t k = 0; k < h->n_parts; k++)
		if (h->parts[k].checkpointable && h->parts[k].state == 'A')
			order[n++] = k;
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			const struct cr_fleet_partition *x = &h->parts[order[a]], *y = &h->parts[order[b]];
			bool swap = cpu_over ? y->cpu > x->cpu : y->mem > x->mem;
			if (swap) {
				size_t t = order[a];
				order[a] = order[b];
				order[b] = t;
			}
		}
	snprintf(ret->why, sizeof ret->why, "above %s, but no checkpointable partition to move",
		 cpu_over ? "CPU" : "memory");
	for (size_t a = 0; a < n; a++) {
		size_t k = order[a];
		for (size_t i = 0; i < h->n_parts; i++)
			skip[i] = i != k;
		int r = cr_evac_plan_parts(hosts, n_hosts, h, NULL, 0, skip, ch, err);
		if (r < 0)
			return r;
		struct cr_fleet_host *to = ch[k].to ? cr_fleet_host_find(hosts, n_hosts, ch[k].to) : NULL;
		if (!to || ch[k].mode != CR_PLAN_LIVE) {
			snprintf(ret->why, sizeof ret->why, "above; %s cannot move: %s", h->parts[k].name, ch[k].reason);
			continue;
		}
		if (!stays_below(p, h, to, &h->parts[k])) {
			snprintf(ret->why, sizeof ret->why, "above; moving %s would put %s near its thresholds", h->parts[k].name,
				 to->name);
			continue;
		}
		ret->act = true;
		ret->partition = h->parts[k].name;
		ret->to = to->name;
		snprintf(ret->why, sizeof ret->why, "above %s for %lld s: move %s (CPU %.0f%%, %.0f MiB) to %s",
			 cpu_over ? "CPU" : "memory", (long long)(now - since), h->parts[k].name, h->parts[k].cpu * 100,
			 (double)h->parts[k].mem / (1 << 20), to->name);
		return 0;
	}
	return 0;
}
