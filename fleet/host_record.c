/* A host's record in the store (/corral/fleets/F/hosts/NAME): its name,
 * corrald address, relocation domain, public key and capabilities (the facts
 * the relocation pre-flight compares: CRIU, kernel, architecture, CPU
 * features, cgroup mode, file systems). Written when it joins. */
#define LOG_PREFIX "fleet: "
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_hostkey.h"
#include "fleet/fleet_internal.h"
#include "transport/hello.h"
#include "util/cleanup.h"

static void add_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *strv(char **v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static int local_public_key(char out[CR_HOSTKEY_TEXT_MAX], struct cr_error *err)
{
	cleanup_free char *key = NULL, *pub = NULL;
	uint8_t pk[CR_HOSTKEY_BYTES];
	int r = cr_hostkey_paths(&key, &pub, err);
	if (r == 0)
		r = cr_hostkey_load_public(pub, pk, err);
	if (r < 0)
		return cr_error_wrap(err, "this host's key (make it with corral keygen)");
	cr_hostkey_to_base64(pk, out);
	return 0;
}

int cr_fleet_host_record(const struct cr_fleet_conf *c, char **ret_json, struct cr_error *err)
{
	char pk[CR_HOSTKEY_TEXT_MAX];
	struct cr_peer_info info = {0};
	int r = local_public_key(pk, err);
	if (r == 0)
		r = cr_peer_info_local(&info, err);
	if (r < 0)
		return r;
	cleanup_json json_object *o = json_object_new_object();
	json_object *caps = json_object_new_object();
	if (!o || !caps) {
		json_object_put(caps);
		cr_peer_info_free(&info);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	add_str(o, "name", c->name);
	add_str(o, "address", c->address);
	add_str(o, "domain", c->domain ? c->domain : "default");
	add_str(o, "pubkey", pk);
	json_object_object_add(o, "joined", json_object_new_int64((int64_t)time(NULL)));
	add_str(caps, "corral", info.corral_version);
	add_str(caps, "criu", info.criu_version);
	add_str(caps, "kernel", info.kernel);
	add_str(caps, "arch", info.arch);
	add_str(caps, "cgroup", info.cgroup_mode);
	json_object_object_add(caps, "cpu_features", strv(info.cpu_features, info.n_cpu_features));
	json_object_object_add(caps, "filesystems", strv(info.fs_options, info.n_fs_options));
	json_object_object_add(o, "caps", caps);
	cr_peer_info_free(&info);
	if (!(*ret_json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_fleet_parse_record(const struct cr_etcd_kv *kv, json_object **ret, struct cr_error *err)
{
	int r = cr_etcd_parse_answer(kv->value, kv->value_len, ret, err);
	return r < 0 ? cr_error_wrap(err, "record %s", kv->key) : 0;
}

const char *cr_fleet_json_str(json_object *o, const char *field)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, field, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

double cr_fleet_json_num(json_object *o, const char *field)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, field, &v))
		return 0;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		return json_object_get_double(v);
	return 0;
}

void cr_fleet_say(void (*log)(void *ctx, const char *line), void *ctx, const char *fmt, ...)
{
	if (!log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log(ctx, line);
}
