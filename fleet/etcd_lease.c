/* etcd leases: what a host holds while it lives (its liveness key) and
 * what a leader holds while it leads. */
#define LOG_PREFIX "etcd: "
#include "fleet/etcd_internal.h"
#include "util/cleanup.h"

static int lease_call(struct cr_etcd *e, const char *path, int64_t id, int ttl_s,
		      json_object **ret, struct cr_error *err)
{
	cleanup_json json_object *req = json_object_new_object();
	if (!req)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = 0;
	if (id)
		r = cr_etcd_add_int64(req, "ID", id, err);
	if (r == 0 && ttl_s)
		r = cr_etcd_add_int64(req, "TTL", ttl_s, err);
	if (r == 0)
		r = cr_etcd_call(e, path, req, CR_ETCD_WRITE, ret, NULL, err);
	return r;
}

int cr_etcd_lease_grant(struct cr_etcd *e, int ttl_s, int64_t *ret_id, struct cr_error *err)
{
	cleanup_json json_object *answer = NULL;
	int64_t id = 0;
	if (ttl_s <= 0)
		return cr_error_set(err, EINVAL, "lease TTL must be positive (%d)", ttl_s);
	int r = lease_call(e, "/v3/lease/grant", 0, ttl_s, &answer, err);
	if (r == 0)
		r = cr_etcd_int64(answer, "ID", &id, err);
	if (r == 0 && id == 0)
		r = cr_error_set(err, EPROTO, "store granted no lease ID");
	if (r < 0)
		return cr_error_wrap(err, "granting a %d s lease", ttl_s);
	*ret_id = id;
	return 0;
}

int cr_etcd_lease_keepalive(struct cr_etcd *e, int64_t id, int64_t *ret_ttl, struct cr_error *err)
{
	cleanup_json json_object *answer = NULL;
	int64_t ttl = 0;
	int r = lease_call(e, "/v3/lease/keepalive", id, 0, &answer, err);
	/* The gateway streams: {"result": {"ID":..., "TTL":...}}; an expired
	 * lease's answer has no TTL. */
	json_object *inner = NULL;
	if (r == 0 && json_object_object_get_ex(answer, "result", &inner) && inner)
		r = cr_etcd_int64(inner, "TTL", &ttl, err);
	else if (r == 0)
		r = cr_etcd_int64(answer, "TTL", &ttl, err);
	if (r < 0)
		return cr_error_wrap(err, "renewing lease %lld", (long long)id);
	*ret_ttl = ttl;
	return 0;
}

int cr_etcd_lease_revoke(struct cr_etcd *e, int64_t id, struct cr_error *err)
{
	cleanup_json json_object *answer = NULL;
	int r = lease_call(e, "/v3/lease/revoke", id, 0, &answer, err);
	if (r == -ENOENT)
		return 0; /* already gone */
	return r < 0 ? cr_error_wrap(err, "revoking lease %lld", (long long)id) : 0;
}
