/* Schedule records (fleet/schedule.h). */
#define LOG_PREFIX "fleet: "
#include "fleet/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_encode.h"
#include "fleet/cron.h"
#include "fleet/fleet_internal.h"
#include "util/cleanup.h"

void cr_schedule_free(struct cr_schedule *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->what);
	free(s->target);
	free(s->to);
	free(s->cron);
	free(s->by);
	free(s->last_outcome);
	memset(s, 0, sizeof(*s));
}

void cr_schedule_list_free(struct cr_schedule *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		cr_schedule_free(&s[i]);
	free(s);
}

static void put_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

int cr_schedule_to_json(const struct cr_schedule *s, char **ret, struct cr_error *err)
{
	cleanup_json json_object *o = json_object_new_object();
	if (!o)
		return cr_error_set(err, ENOMEM, "out of memory");
	put_str(o, "id", s->id);
	put_str(o, "what", s->what);
	put_str(o, "target", s->target);
	put_str(o, "to", s->to);
	put_str(o, "cron", s->cron);
	put_str(o, "by", s->by);
	put_str(o, "last_outcome", s->last_outcome);
	json_object_object_add(o, "at", json_object_new_int64(s->at));
	json_object_object_add(o, "parallel", json_object_new_int(s->parallel));
	json_object_object_add(o, "next", json_object_new_int64(s->next));
	json_object_object_add(o, "last_run", json_object_new_int64(s->last_run));
	if (!(*ret = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static bool dup_field(char **dst, json_object *o, const char *field)
{
	const char *v = cr_fleet_json_str(o, field);
	return !v || (*dst = strdup(v)) != NULL;
}

int cr_schedule_from_kv(const struct cr_etcd_kv *kv, struct cr_schedule *ret, struct cr_error *err)
{
	cleanup_json json_object *o = NULL;
	int r = cr_fleet_parse_record(kv, &o, err);
	if (r < 0)
		return r;
	const char *what = cr_fleet_json_str(o, "what");
	if (!what || (strcmp(what, "evacuate") && strcmp(what, "move")) || !cr_fleet_json_str(o, "id") ||
	    !cr_fleet_json_str(o, "target"))
		return cr_error_set(err, EPROTO, "%s: not a schedule record", kv->key);
	struct cr_schedule s = {0};
	s.at = (int64_t)cr_fleet_json_num(o, "at");
	s.parallel = (int)cr_fleet_json_num(o, "parallel");
	s.next = (int64_t)cr_fleet_json_num(o, "next");
	s.last_run = (int64_t)cr_fleet_json_num(o, "last_run");
	s.mod_revision = kv->mod_revision;
	if (!dup_field(&s.id, o, "id") || !dup_field(&s.what, o, "what") || !dup_field(&s.target, o, "target") ||
	    !dup_field(&s.to, o, "to") || !dup_field(&s.cron, o, "cron") || !dup_field(&s.by, o, "by") ||
	    !dup_field(&s.last_outcome, o, "last_outcome")) {
		cr_schedule_free(&s);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	*ret = s;
	return 0;
}

int cr_schedule_plan_next(struct cr_schedule *s, int64_t now, struct cr_error *err)
{
	if (!s->cron) {
		s->next = s->at > s->last_run ? s->at : 0;
		return 0;
	}
	struct cr_cron c;
	time_t t = 0;
	int r = cr_cron_parse(s->cron, &c, err);
	if (r == 0)
		r = cr_cron_next(&c, (time_t)now, &t, err);
	if (r < 0)
		return r;
	s->next = (int64_t)t;
	return 0;
}

static int key_of(const struct cr_fleet_conf *c, const char *id, char **ret, struct cr_error *err)
{
	if (asprintf(ret, "/corral/fleets/%s/schedules/%s", c->fleet, id) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_schedule_add(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_schedule *s, char **ret_id,
		    struct cr_error *err)
{
	cleanup_free char *token = NULL, *key = NULL, *json = NULL;
	int r = cr_schedule_plan_next(s, (int64_t)time(NULL), err);
	if (r < 0)
		return r;
	if (!s->cron && s->at <= (int64_t)time(NULL) - 60)
		return cr_error_set(err, EINVAL, "the time given is in the past");
	if ((r = cr_random_token(6, &token, err)) < 0)
		return r;
	for (char *p = token; *p; p++)
		if (*p == '-' || *p == '_')
			*p = 'x';
	free(s->id);
	if (!(s->id = strdup(token)))
		return cr_error_set(err, ENOMEM, "out of memory");
	if ((r = key_of(c, s->id, &key, err)) < 0 || (r = cr_schedule_to_json(s, &json, err)) < 0)
		return r;
	struct cr_etcd_cmp absent = {key, 0};
	struct cr_etcd_op put = {CR_ETCD_OP_PUT, key, json, 0};
	r = cr_etcd_txn(e, &absent, 1, &put, 1, err);
	if (r == 0)
		return cr_error_set(err, EEXIST, "schedule id %s is taken: try again", s->id);
	if (r < 0)
		return r;
	if (!(*ret_id = strdup(s->id)))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_schedule_list(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_schedule **ret, size_t *ret_n,
		     struct cr_error *err)
{
	cleanup_free char *prefix = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	int r = cr_fleet_key(&prefix, c->fleet, "schedules/", err);
	if (r == 0)
		r = cr_etcd_list(e, prefix, &kvs, err);
	if (r < 0)
		return r;
	struct cr_schedule *out = calloc(kvs.n + 1, sizeof(*out));
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		cleanup_error struct cr_error bad = CR_ERROR_INIT;
		if (cr_schedule_from_kv(&kvs.kv[i], &out[n], &bad) == 0)
			n++;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

int cr_schedule_remove(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *id, struct cr_error *err)
{
	cleanup_free char *key = NULL;
	int r = cr_fleet_name_check("schedule id", id, err);
	if (r == 0)
		r = key_of(c, id, &key, err);
	if (r == 0)
		r = cr_etcd_delete(e, key, err);
	if (r == 0)
		return cr_error_set(err, ENOENT, "no schedule %s in fleet %s", id, c->fleet);
	return r < 0 ? r : 0;
}

int cr_schedule_update(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_schedule *s,
		       const struct cr_etcd_cmp *fence, struct cr_error *err)
{
	cleanup_free char *key = NULL, *json = NULL;
	int r = key_of(c, s->id, &key, err);
	if (r == 0)
		r = cr_schedule_to_json(s, &json, err);
	if (r < 0)
		return r;
	struct cr_etcd_cmp cmps[2] = {{key, s->mod_revision}};
	if (fence)
		cmps[1] = *fence;
	struct cr_etcd_op put = {CR_ETCD_OP_PUT, key, json, 0};
	return cr_etcd_txn(e, cmps, fence ? 2 : 1, &put, 1, err);
}
