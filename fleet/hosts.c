/* The fleet's hosts as the store knows them: their records (hosts/NAME),
 * their liveness (alive/NAME, held by a lease while the host's agent runs)
 * and their state (state/NAME: evacuating, evacuated, restoring); and the
 * trust every member gives the others, which follows from the records. */
#define LOG_PREFIX "fleet: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_hostkey.h"
#include "fleet/fleet_internal.h"
#include "transport/trust.h"
#include "util/cleanup.h"

static int list(struct cr_etcd *e, const char *fleet, const char *what, struct cr_etcd_kvs *ret,
		struct cr_error *err)
{
	cleanup_free char *prefix = NULL;
	int r = cr_fleet_key(&prefix, fleet, what, err);
	return r < 0 ? r : cr_etcd_list(e, prefix, ret, err);
}

/* The last part of a key: the host's name. */
static const char *leaf(const char *key)
{
	const char *s = strrchr(key, '/');
	return s ? s + 1 : key;
}

static const struct cr_etcd_kv *find_leaf(const struct cr_etcd_kvs *kvs, const char *name)
{
	for (size_t i = 0; i < kvs->n; i++)
		if (!strcmp(leaf(kvs->kv[i].key), name))
			return &kvs->kv[i];
	return NULL;
}

/* The records under WHAT, and this host's trust (*PATH: its file). */
static int records_and_trust(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *what,
			     struct cr_etcd_kvs *recs, char **path, struct cr_trust_list *l, struct cr_error *err)
{
	int r = list(e, c->fleet, what, recs, err);
	if (r == 0)
		r = cr_trust_path(path, err);
	if (r == 0)
		r = cr_trust_load(*path, l, err);
	return r;
}

int cr_fleet_untrust(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *what, struct cr_error *err)
{
	cleanup_etcd_kvs struct cr_etcd_kvs recs = {0};
	cleanup_free char *path = NULL;
	cleanup_trust_list struct cr_trust_list l = {NULL, 0};
	int r = records_and_trust(e, c, what, &recs, &path, &l, err);
	if (r < 0)
		return r;
	int removed = 0;
	for (size_t i = 0; i < recs.n; i++) {
		const char *name = leaf(recs.kv[i].key);
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		uint8_t pk[CR_HOSTKEY_BYTES];
		const char *key = NULL;
		const struct cr_trusted_peer *p = cr_trust_find_name(&l, name);
		if (!strcmp(name, c->name) || !p || cr_fleet_parse_record(&recs.kv[i], &o, &bad) < 0 ||
		    !(key = cr_fleet_json_str(o, "pubkey")) || cr_hostkey_parse(key, pk, &bad) < 0 ||
		    memcmp(p->pk, pk, CR_HOSTKEY_BYTES))
			continue; /* not the fleet's entry: trusted by hand, or another key */
		if ((r = cr_trust_remove(&l, name, err)) < 0)
			return r;
		removed++;
	}
	if (removed && (r = cr_trust_save(path, &l, err)) < 0)
		return r;
	return removed;
}

int cr_fleet_sync_trust(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_error *err)
{
	cleanup_etcd_kvs struct cr_etcd_kvs hosts = {0};
	cleanup_free char *path = NULL;
	cleanup_trust_list struct cr_trust_list l = {NULL, 0};
	int r = records_and_trust(e, c, "hosts/", &hosts, &path, &l, err);
	if (r < 0)
		return r;
	int changed = 0;
	for (size_t i = 0; i < hosts.n; i++) {
		const char *name = leaf(hosts.kv[i].key);
		if (!strcmp(name, c->name))
			continue;
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		uint8_t pk[CR_HOSTKEY_BYTES];
		const char *addr = NULL, *key = NULL;
		if (cr_fleet_parse_record(&hosts.kv[i], &o, &bad) < 0 ||
		    !(addr = cr_fleet_json_str(o, "address")) || !(key = cr_fleet_json_str(o, "pubkey")) ||
		    cr_hostkey_parse(key, pk, &bad) < 0)
			continue; /* a record this host cannot read gives no trust */
		const struct cr_trusted_peer *p = cr_trust_find_name(&l, name);
		if (p && !strcmp(p->addr, addr) && !memcmp(p->pk, pk, CR_HOSTKEY_BYTES))
			continue;
		if (p && (r = cr_trust_remove(&l, name, err)) < 0)
			return r;
		if (cr_trust_add(&l, name, addr, pk, &bad) < 0)
			continue;
		changed++;
	}
	if (changed && (r = cr_trust_save(path, &l, err)) < 0)
		return r;
	/* hosts that left: their entries go (left/NAME keeps the key they had) */
	if ((r = cr_fleet_untrust(e, c, "left/", err)) < 0)
		return r;
	return changed + r;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void part_clear(struct cr_fleet_partition *p)
{
	free(p->name);
	free(p->evacuate);
	free(p->group);
}

static void host_clear(struct cr_fleet_host *h)
{
	free(h->name);
	free(h->address);
	free(h->domain);
	free(h->state);
	free(h->partitions);
	free(h->arch);
	free(h->criu);
	free(h->cgroup);
	strv_free(h->cpu_features, h->n_cpu_features);
	for (size_t i = 0; i < h->n_parts; i++)
		part_clear(&h->parts[i]);
	free(h->parts);
	free(h->record_json);
	free(h->alive_json);
	memset(h, 0, sizeof(*h));
}

void cr_fleet_hosts_free(struct cr_fleet_host *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++)
		host_clear(&h[i]);
	free(h);
}

struct cr_fleet_host *cr_fleet_host_find(struct cr_fleet_host *h, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(h[i].name, name))
			return &h[i];
	return NULL;
}

static char *dup_or(const char *s, const char *fallback)
{
	return s || fallback ? strdup(s ? s : fallback) : NULL;
}

static bool dup_ok(char **dst, const char *s)
{
	return !s || (*dst = strdup(s)) != NULL;
}

static json_object *array_field(json_object *o, const char *field)
{
	json_object *arr = NULL;
	if (!o || !json_object_object_get_ex(o, field, &arr) || !json_object_is_type(arr, json_type_array))
		return NULL;
	return arr;
}

static int fill_caps(struct cr_fleet_host *h, json_object *rec)
{
	json_object *caps = NULL;
	if (!json_object_object_get_ex(rec, "caps", &caps))
		return 0;
	if (!dup_ok(&h->arch, cr_fleet_json_str(caps, "arch")) || !dup_ok(&h->criu, cr_fleet_json_str(caps, "criu")) ||
	    !dup_ok(&h->cgroup, cr_fleet_json_str(caps, "cgroup")))
		return -ENOMEM;
	json_object *f = array_field(caps, "cpu_features");
	size_t n = f ? json_object_array_length(f) : 0;
	h->cpu_features = calloc(n + 1, sizeof(char *));
	if (!h->cpu_features)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(f, i);
		if (!json_object_is_type(v, json_type_string))
			continue;
		if (!(h->cpu_features[h->n_cpu_features] = strdup(json_object_get_string(v))))
			return -ENOMEM;
		h->n_cpu_features++;
	}
	return 0;
}

/* The settings record of partition NAME in SETTINGS, as JSON (or NULL). */
static json_object *settings_of(const struct cr_etcd_kvs *settings, const char *name)
{
	const struct cr_etcd_kv *kv = find_leaf(settings, name);
	json_object *o = NULL;
	cleanup_error struct cr_error bad = CR_ERROR_INIT;
	if (!kv || cr_fleet_parse_record(kv, &o, &bad) < 0)
		return NULL;
	return o;
}

static int fill_parts(struct cr_fleet_host *h, json_object *alive, const struct cr_etcd_kvs *settings)
{
	json_object *arr = array_field(alive, "partitions");
	size_t n = arr ? json_object_array_length(arr) : 0, len = 0;
	h->parts = calloc(n + 1, sizeof(*h->parts));
	h->partitions = strdup("");
	if (!h->parts || !h->partitions)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(arr, i);
		const char *name = cr_fleet_json_str(p, "name"), *st = cr_fleet_json_str(p, "state");
		json_object *cp = NULL;
		if (!name)
			continue;
		struct cr_fleet_partition *fp = &h->parts[h->n_parts++];
		fp->state = st && *st ? st[0] : '?';
		fp->checkpointable = json_object_object_get_ex(p, "checkpointable", &cp) && json_object_get_boolean(cp);
		double mem = cr_fleet_json_num(p, "mem");
		fp->mem = mem > 0 ? (uint64_t)mem : 0;
		fp->cpu = cr_fleet_json_num(p, "cpu");
		cleanup_json json_object *set = settings_of(settings, name);
		if (!(fp->name = strdup(name)) || !dup_ok(&fp->evacuate, cr_fleet_json_str(set, "evacuate")) ||
		    !dup_ok(&fp->group, cr_fleet_json_str(set, "group")))
			return -ENOMEM;
		char *grown = realloc(h->partitions, len + strlen(name) + 4);
		if (!grown)
			return -ENOMEM;
		h->partitions = grown;
		len += (size_t)sprintf(grown + len, "%s%s:%c", len ? "," : "", name, fp->state);
	}
	h->n_partitions = h->n_parts;
	return 0;
}

static int fill_host(struct cr_fleet_host *h, const struct cr_etcd_kv *rec, const struct cr_etcd_kv *alive,
		     const struct cr_etcd_kv *state, const struct cr_etcd_kvs *settings, struct cr_error *err)
{
	cleanup_json json_object *o = NULL, *a = NULL, *st = NULL;
	int r = cr_fleet_parse_record(rec, &o, err);
	if (r < 0)
		return r;
	if (alive && cr_fleet_parse_record(alive, &a, err) < 0)
		a = NULL;
	if (state && cr_fleet_parse_record(state, &st, err) < 0)
		st = NULL;
	h->online = a != NULL;
	h->name = strdup(leaf(rec->key));
	h->address = dup_or(cr_fleet_json_str(o, "address"), "?");
	h->domain = dup_or(cr_fleet_json_str(o, "domain"), "default");
	h->state = dup_or(cr_fleet_json_str(st, "state"), h->online ? "online" : "offline");
	h->record_json = strndup(rec->value, rec->value_len);
	h->alive_json = alive ? strndup(alive->value, alive->value_len) : NULL;
	h->lease_age_s = a ? (int64_t)time(NULL) - (int64_t)cr_fleet_json_num(a, "updated") : -1;
	if (h->lease_age_s < -1)
		h->lease_age_s = 0;
	h->cpu = cr_fleet_json_num(a, "cpu");
	h->cpu_now = cr_fleet_json_num(a, "cpu_now");
	h->cpus = (int)cr_fleet_json_num(a, "cpus");
	h->mem_used = (uint64_t)cr_fleet_json_num(a, "mem_used");
	h->mem_total = (uint64_t)cr_fleet_json_num(a, "mem_total");
	if (!h->name || !h->address || !h->domain || !h->state || !h->record_json || (alive && !h->alive_json) ||
	    fill_caps(h, o) < 0 || fill_parts(h, a, settings) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_fleet_hosts(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_fleet_host **ret,
		   size_t *ret_n, struct cr_error *err)
{
	cleanup_etcd_kvs struct cr_etcd_kvs hosts = {0}, alive = {0}, states = {0}, settings = {0};
	int r = list(e, c->fleet, "hosts/", &hosts, err);
	if (r == 0)
		r = list(e, c->fleet, "alive/", &alive, err);
	if (r == 0)
		r = list(e, c->fleet, "state/", &states, err);
	if (r == 0)
		r = list(e, c->fleet, "partitions/", &settings, err);
	if (r < 0)
		return cr_error_wrap(err, "listing the hosts of fleet %s", c->fleet);
	struct cr_fleet_host *out = calloc(hosts.n ? hosts.n : 1, sizeof(*out));
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < hosts.n; i++) {
		const char *name = leaf(hosts.kv[i].key);
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		if (fill_host(&out[n], &hosts.kv[i], find_leaf(&alive, name), find_leaf(&states, name), &settings,
			      &bad) < 0) {
			if (bad.code == ENOMEM) {
				cr_fleet_hosts_free(out, n + 1);
				return cr_error_set(err, ENOMEM, "out of memory");
			}
			host_clear(&out[n]);
			continue; /* an unreadable record is left out */
		}
		n++;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}
