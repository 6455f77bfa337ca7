/* Inside fleet/: host records and JSON helpers shared by its files. */
#ifndef CORRAL_FLEET_FLEET_INTERNAL_H
#define CORRAL_FLEET_FLEET_INTERNAL_H

#include "fleet/etcd_internal.h"
#include "fleet/fleet.h"

/* This host's record as JSON (heap): needs its key (corral keygen). */
int cr_fleet_host_record(const struct cr_fleet_conf *c, char **ret_json, struct cr_error *err);
/* Remove from this host's trust every entry that records under WHAT
 * ("hosts/": the members, "left/": hosts that left) name, with the key the
 * record holds (an entry trusted by hand under another key stays); this
 * host's own name is skipped. Returns how many went. */
int cr_fleet_untrust(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *what, struct cr_error *err);

/* A stored record's value as a JSON object. */
int cr_fleet_parse_record(const struct cr_etcd_kv *kv, json_object **ret, struct cr_error *err);
/* A string field of O, or NULL; a number field, or 0. */
const char *cr_fleet_json_str(json_object *o, const char *field);
double cr_fleet_json_num(json_object *o, const char *field);

/* Format a line and hand it to LOG (nothing when LOG is NULL). */
void cr_fleet_say(void (*log)(void *ctx, const char *line), void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
