/* Partition ownership in a fleet, fenced by the record's revision
 * (fleet/owner.h). */
#define LOG_PREFIX "fleet: "
#include "fleet/owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/fleet_internal.h"
#include "util/cleanup.h"

void cr_owner_fence_end(struct cr_owner_fence *f)
{
	cr_etcd_close(f->store);
	cr_fleet_conf_free(&f->conf);
	free(f->key);
	memset(f, 0, sizeof(*f));
}

/* The owner the record names (heap), or NULL when none. */
static int owner_of(struct cr_etcd *e, const char *key, char **ret, int64_t *ret_rev, struct cr_error *err)
{
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	int r = cr_etcd_get(e, key, &kv, err);
	*ret = NULL;
	*ret_rev = 0;
	if (r <= 0)
		return r;
	cleanup_json json_object *o = NULL;
	if ((r = cr_fleet_parse_record(&kv, &o, err)) < 0)
		return r;
	const char *h = cr_fleet_json_str(o, "host");
	*ret_rev = kv.mod_revision;
	if (h && !(*ret = strdup(h)))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Does HOST's agent list partition NAME (as far as the store knows)? */
static bool runs_there(struct cr_owner_fence *f, const char *host, const char *name)
{
	struct cr_fleet_host *h = NULL;
	size_t n = 0;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	bool there = true; /* when unsure, it does: refuse */
	if (cr_fleet_hosts(f->store, &f->conf, &h, &n, &err) == 0) {
		struct cr_fleet_host *x = cr_fleet_host_find(h, n, host);
		there = false;
		for (size_t k = 0; x && x->online && k < x->n_parts; k++)
			there = there || !strcmp(x->parts[k].name, name);
		cr_fleet_hosts_free(h, n);
	}
	return there;
}

int cr_owner_fence_begin(struct cr_owner_fence *f, const char *name, struct cr_error *err)
{
	memset(f, 0, sizeof(*f));
	cleanup_error struct cr_error none = CR_ERROR_INIT;
	int r = cr_fleet_conf_load(&f->conf, &none);
	if (r == -ENOENT)
		return 1;
	if (r < 0) {
		cr_error_set(err, -r, "%s", cr_error_msg(&none));
		return r;
	}
	cleanup_free char *owner = NULL;
	if (asprintf(&f->key, "/corral/fleets/%s/owners/%s", f->conf.fleet, name) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = cr_fleet_open_store(&f->conf, &f->store, err);
	if (r == 0)
		r = owner_of(f->store, f->key, &owner, &f->revision, err);
	if (r == 0 && owner && strcmp(owner, f->conf.name) && runs_there(f, owner, name))
		r = cr_error_set(err, EPERM, "fleet %s records %s as owned by %s, which runs it, not by this host (%s)",
				 f->conf.fleet, name, owner, f->conf.name);
	/* A record naming a host that does not run it (a move that was fenced,
	 * then failed after) is stale: its revision still fences this move. */
	if (r < 0) {
		cr_owner_fence_end(f);
		return cr_error_wrap(err, "the fleet's ownership of %s", name);
	}
	return 0;
}

int cr_owner_fence_commit(void *ctx, const char *name, const char *peer, struct cr_error *err)
{
	struct cr_owner_fence *f = ctx;
	cleanup_free char *value = NULL, *owner = NULL;
	if (asprintf(&value, "{\"host\":\"%s\",\"since\":%lld,\"from\":\"%s\"}", peer, (long long)time(NULL),
		     f->conf.name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct cr_etcd_cmp same = {f->key, f->revision};
	struct cr_etcd_op put = {CR_ETCD_OP_PUT, f->key, value, 0};
	int r = cr_etcd_txn(f->store, &same, 1, &put, 1, err);
	if (r == 1)
		return 0;
	if (r == -ETIMEDOUT) {
		/* Unknown: read it again. Ours only if the record says so now. */
		int64_t rev = 0;
		cleanup_error struct cr_error again = CR_ERROR_INIT;
		if (owner_of(f->store, f->key, &owner, &rev, &again) == 0 && owner && !strcmp(owner, peer) &&
		    rev > f->revision)
			return 0;
		return cr_error_wrap(err, "fencing %s: the store did not confirm its new owner %s", name, peer);
	}
	if (r < 0)
		return cr_error_wrap(err, "fencing %s: the store cannot record its new owner %s", name, peer);
	owner_of(f->store, f->key, &owner, &(int64_t){0}, err);
	return cr_error_set(err, EBUSY, "fencing %s: its ownership changed meanwhile (now %s): the move is off", name,
			    owner ? owner : "no owner");
}
