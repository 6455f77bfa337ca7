/* Making a fleet, join tokens and joining. Every change is one etcd
 * transaction: a fleet is made only where none exists, a token is used up
 * and the host's record written together, and a host name is taken once. */
#define LOG_PREFIX "fleet: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_encode.h"
#include "fleet/fleet_internal.h"
#include "util/cleanup.h"

static int meta_json(const struct cr_fleet_conf *c, char **ret, struct cr_error *err)
{
	if (asprintf(ret, "{\"name\":\"%s\",\"by\":\"%s\",\"created\":%lld}", c->fleet, c->name,
		     (long long)time(NULL)) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int refuse_if_member(struct cr_error *err)
{
	cleanup_fleet_conf struct cr_fleet_conf have = {0};
	cleanup_error struct cr_error ignored = CR_ERROR_INIT;
	if (cr_fleet_conf_load(&have, &ignored) == 0)
		return cr_error_set(err, EEXIST, "this host is already %s in fleet %s (store %s)", have.name,
				    have.fleet, have.store);
	return 0;
}

/* After an unknown outcome: is KEY there with a value naming this host? */
static int written_by_us(struct cr_etcd *e, const char *key, const char *name, struct cr_error *err)
{
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	int r = cr_etcd_get(e, key, &kv, err);
	if (r <= 0)
		return r;
	cleanup_json json_object *o = NULL;
	if (cr_fleet_parse_record(&kv, &o, err) < 0)
		return 0;
	const char *who = cr_fleet_json_str(o, "name");
	return who && !strcmp(who, name);
}

int cr_fleet_init(const struct cr_fleet_conf *c, struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *meta_key = NULL, *host_key = NULL, *meta = NULL, *record = NULL;
	int r = cr_fleet_conf_check(c, err);
	if (r == 0)
		r = refuse_if_member(err);
	if (r == 0)
		r = cr_fleet_key(&meta_key, c->fleet, "meta", err);
	if (r == 0 && asprintf(&host_key, "/corral/fleets/%s/hosts/%s", c->fleet, c->name) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = meta_json(c, &meta, err);
	if (r == 0)
		r = cr_fleet_host_record(c, &record, err);
	if (r == 0)
		r = cr_fleet_open_store(c, &e, err);
	if (r < 0)
		return r;
	struct cr_etcd_cmp none = {meta_key, 0};
	struct cr_etcd_op ops[] = {
		{CR_ETCD_OP_PUT, meta_key, meta, 0},
		{CR_ETCD_OP_PUT, host_key, record, 0},
	};
	r = cr_etcd_txn(e, &none, 1, ops, 2, err);
	if (r == -ETIMEDOUT) {
		cleanup_error struct cr_error again = CR_ERROR_INIT;
		if (written_by_us(e, host_key, c->name, &again) == 1)
			r = 1;
	}
	if (r < 0)
		return cr_error_wrap(err, "making fleet %s", c->fleet);
	if (r == 0)
		return cr_error_set(err, EEXIST,
				    "fleet %s already exists in the store: join it with a token "
				    "(corral fleet token on one of its hosts)", c->fleet);
	return cr_fleet_conf_save(c, err);
}

static int token_key(const char *fleet, const char *token, char **ret, struct cr_error *err)
{
	char digest[65];
	int r = cr_digest_hex(token, digest, err);
	if (r < 0)
		return r;
	if (asprintf(ret, "/corral/fleets/%s/tokens/%s", fleet, digest) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_fleet_token_new(const struct cr_fleet_conf *c, char **ret_token, struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *secret = NULL, *token = NULL, *key = NULL, *value = NULL;
	int64_t lease = 0;
	int r = cr_random_token(32, &secret, err);
	if (r == 0 && asprintf(&token, "%s.%s", c->fleet, secret) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = token_key(c->fleet, token, &key, err);
	if (r == 0 && asprintf(&value, "{\"by\":\"%s\",\"created\":%lld}", c->name, (long long)time(NULL)) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = cr_fleet_open_store(c, &e, err);
	if (r == 0)
		r = cr_etcd_lease_grant(e, CR_FLEET_TOKEN_TTL_S, &lease, err);
	if (r == 0)
		r = cr_etcd_put(e, key, value, lease, err);
	if (r < 0)
		return cr_error_wrap(err, "making a join token for fleet %s", c->fleet);
	*ret_token = steal_pointer(&token);
	return 0;
}

int cr_fleet_token_list(const struct cr_fleet_conf *c, char ***ret_lines, size_t *ret_n,
			struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *prefix = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	int r = cr_fleet_key(&prefix, c->fleet, "tokens/", err);
	if (r == 0)
		r = cr_fleet_open_store(c, &e, err);
	if (r == 0)
		r = cr_etcd_list(e, prefix, &kvs, err);
	if (r < 0)
		return r;
	char **lines = calloc(kvs.n + 1, sizeof(*lines));
	if (!lines)
		return cr_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < kvs.n; i++) {
		cleanup_json json_object *o = NULL;
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		const char *by = cr_fleet_parse_record(&kvs.kv[i], &o, &bad) == 0 ? cr_fleet_json_str(o, "by") : NULL;
		if (asprintf(&lines[i], "%s %s", kvs.kv[i].key + strlen(prefix), by ? by : "?") < 0) {
			for (size_t j = 0; j < i; j++)
				free(lines[j]);
			free(lines);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
	}
	*ret_lines = lines;
	*ret_n = kvs.n;
	return 0;
}

int cr_fleet_token_revoke(const struct cr_fleet_conf *c, const char *token, struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *key = NULL, *prefix = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	int r = cr_fleet_open_store(c, &e, err);
	if (r < 0)
		return r;
	if (strchr(token, '.')) {
		if ((r = token_key(c->fleet, token, &key, err)) < 0)
			return r;
	} else {
		/* A digest prefix, as `corral fleet token --list` shows. */
		if (strlen(token) < 8)
			return cr_error_set(err, EINVAL, "give the token or at least 8 digits of its digest");
		if (asprintf(&prefix, "/corral/fleets/%s/tokens/%s", c->fleet, token) < 0)
			return cr_error_set(err, ENOMEM, "out of memory");
		if ((r = cr_etcd_list(e, prefix, &kvs, err)) < 0)
			return r;
		if (kvs.n > 1)
			return cr_error_set(err, EINVAL, "'%s' matches %zu tokens: give more digits", token, kvs.n);
		if (kvs.n == 1 && !(key = strdup(kvs.kv[0].key)))
			return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (key && (r = cr_etcd_delete(e, key, err)) < 0)
		return r;
	if (!key || r == 0)
		return cr_error_set(err, ENOENT, "no such join token in fleet %s (used, revoked or expired)",
				    c->fleet);
	return 0;
}

/* The fleet a token is for: the part before its '.'. */
static int token_fleet(const char *token, char **ret, struct cr_error *err)
{
	const char *dot = strchr(token, '.');
	if (!dot || dot == token || !dot[1])
		return cr_error_set(err, EINVAL, "this is not a join token (FLEET.SECRET, from corral fleet token)");
	if (!(*ret = strndup(token, (size_t)(dot - token))))
		return cr_error_set(err, ENOMEM, "out of memory");
	return cr_fleet_name_check("the token's fleet name", *ret, err);
}

int cr_fleet_join(struct cr_fleet_conf *c, const char *token, struct cr_error *err)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_free char *tkey = NULL, *host_key = NULL, *left_key = NULL, *record = NULL;
	cleanup_etcd_kv struct cr_etcd_kv tkv = {0};
	int r = refuse_if_member(err);
	if (r == 0 && !c->fleet)
		r = token_fleet(token, &c->fleet, err);
	if (r == 0)
		r = cr_fleet_conf_check(c, err);
	if (r == 0)
		r = token_key(c->fleet, token, &tkey, err);
	if (r == 0 && (asprintf(&host_key, "/corral/fleets/%s/hosts/%s", c->fleet, c->name) < 0 ||
		       asprintf(&left_key, "/corral/fleets/%s/left/%s", c->fleet, c->name) < 0))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = cr_fleet_host_record(c, &record, err);
	if (r == 0)
		r = cr_fleet_open_store(c, &e, err);
	if (r == 0)
		r = cr_etcd_get(e, tkey, &tkv, err);
	if (r < 0)
		return cr_error_wrap(err, "joining fleet %s", c->fleet);
	if (r == 0)
		return cr_error_set(err, EACCES, "joining fleet %s: the join token is not valid (unknown, "
				    "used, revoked or expired)", c->fleet);
	struct cr_etcd_cmp cmps[] = {{tkey, tkv.mod_revision}, {host_key, 0}};
	struct cr_etcd_op ops[] = {
		{CR_ETCD_OP_DELETE, tkey, NULL, 0},
		{CR_ETCD_OP_PUT, host_key, record, 0},
		{CR_ETCD_OP_DELETE, left_key, NULL, 0}, /* it left once: trusted again */
	};
	r = cr_etcd_txn(e, cmps, 2, ops, 3, err);
	if (r == -ETIMEDOUT) {
		cleanup_error struct cr_error again = CR_ERROR_INIT;
		cleanup_etcd_kv struct cr_etcd_kv still = {0};
		if (written_by_us(e, host_key, c->name, &again) == 1 && cr_etcd_get(e, tkey, &still, &again) == 0)
			r = 1;
	}
	if (r < 0)
		return cr_error_wrap(err, "joining fleet %s", c->fleet);
	if (r == 0) {
		cleanup_etcd_kv struct cr_etcd_kv taken = {0};
		if (cr_etcd_get(e, host_key, &taken, err) == 1)
			return cr_error_set(err, EEXIST, "joining fleet %s: a host named %s is already in it "
					    "(give another --name)", c->fleet, c->name);
		return cr_error_set(err, EACCES, "joining fleet %s: the join token was used meanwhile", c->fleet);
	}
	if ((r = cr_fleet_conf_save(c, err)) < 0)
		return r;
	r = cr_fleet_sync_trust(e, c, err);
	return r < 0 ? cr_error_wrap(err, "joined fleet %s, but trusting its hosts failed", c->fleet) : 0;
}
