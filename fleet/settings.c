/* A partition's fleet-wide settings: partitions/NAME = {"evacuate": ...,
 * "group": ...}. They follow the partition from host to host. */
#define LOG_PREFIX "fleet: "
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"
#include "util/cleanup.h"

int cr_fleet_partition_set(const struct cr_fleet_conf *c, const char *partition, const char *evacuate,
			   const char *group, struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *item = NULL, *key = NULL;
	if (asprintf(&item, "partitions/%s", partition) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_fleet_key(&key, c->fleet, item, err);
	if (r == 0)
		r = cr_fleet_open_store(c, &e, err);
	for (int tries = 0; r == 0 && tries < 5; tries++) {
		cleanup_etcd_kv struct cr_etcd_kv kv = {0};
		cleanup_json json_object *o = NULL;
		int found = cr_etcd_get(e, key, &kv, err);
		if (found < 0)
			return found;
		if (found && cr_fleet_parse_record(&kv, &o, err) < 0)
			o = NULL;
		if (!o && !(o = json_object_new_object()))
			return cr_error_set(err, ENOMEM, "out of memory");
		if (evacuate)
			json_object_object_add(o, "evacuate", json_object_new_string(evacuate));
		if (group && !strcmp(group, "none"))
			json_object_object_del(o, "group");
		else if (group)
			json_object_object_add(o, "group", json_object_new_string(group));
		struct cr_etcd_cmp same = {key, found ? kv.mod_revision : 0};
		struct cr_etcd_op put = {CR_ETCD_OP_PUT, key, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), 0};
		r = cr_etcd_txn(e, &same, 1, &put, 1, err);
		if (r == 1)
			return 0;
		r = r < 0 && r != -ETIMEDOUT ? r : 0; /* changed meanwhile, or unknown: read and write again */
	}
	return r < 0 ? r : cr_error_set(err, EAGAIN, "settings of %s kept changing: try again", partition);
}
