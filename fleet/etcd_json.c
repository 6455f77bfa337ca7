/* The etcd gateway's JSON: int64 fields sent as strings, keys and values in
 * base64, fields left out when they hold their default. Everything here
 * reads bytes a store sent, so it checks every type (fuzz/fuzz_etcd.c). */
#define LOG_PREFIX "etcd: "
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_encode.h"
#include "fleet/etcd_internal.h"
#include "util/cleanup.h"

int cr_etcd_parse_answer(const char *body, size_t len, json_object **ret, struct cr_error *err)
{
	if (len > INT32_MAX)
		return cr_error_set(err, EFBIG, "store answer too large (%zu bytes)", len);
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return cr_error_set(err, ENOMEM, "out of memory");
	json_object *o = json_tokener_parse_ex(tok, body, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || je != json_tokener_success) {
		json_object_put(o);
		return cr_error_set(err, EPROTO, "store answer is not JSON (%zu bytes): %s", len,
				    json_tokener_error_desc(je));
	}
	while (used < len && strchr(" \t\r\n", body[used]))
		used++;
	if (used != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return cr_error_set(err, EPROTO, "store answer is not one JSON object");
	}
	*ret = o;
	return 0;
}

int cr_etcd_int64(json_object *o, const char *field, int64_t *ret, struct cr_error *err)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, field, &v) || !v) {
		*ret = 0;
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		*ret = json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return cr_error_set(err, EPROTO, "store answer: field %s is not a number", field);
	const char *s = json_object_get_string(v);
	char *end = NULL;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno || !*s || *end)
		return cr_error_set(err, EPROTO, "store answer: field %s is not an integer", field);
	*ret = n;
	return 0;
}

static int b64_field(json_object *o, const char *field, char **ret, size_t *ret_len, struct cr_error *err)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, field, &v) || !v) {
		if (!(*ret = strdup("")))
			return cr_error_set(err, ENOMEM, "out of memory");
		*ret_len = 0;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return cr_error_set(err, EPROTO, "store answer: field %s is not a string", field);
	int r = cr_base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), ret,
				 ret_len, err);
	return r < 0 ? cr_error_wrap(err, "store answer: field %s", field) : 0;
}

void cr_etcd_kv_clear(struct cr_etcd_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void cr_etcd_kvs_clear(struct cr_etcd_kvs *kvs)
{
	if (!kvs)
		return;
	for (size_t i = 0; i < kvs->n; i++)
		cr_etcd_kv_clear(&kvs->kv[i]);
	free(kvs->kv);
	memset(kvs, 0, sizeof(*kvs));
}

static int parse_kv(json_object *o, struct cr_etcd_kv *kv, struct cr_error *err)
{
	size_t key_len = 0;
	if (!json_object_is_type(o, json_type_object))
		return cr_error_set(err, EPROTO, "store answer: a kv is not an object");
	int r = b64_field(o, "key", &kv->key, &key_len, err);
	if (r == 0 && strlen(kv->key) != key_len)
		r = cr_error_set(err, EPROTO, "store answer: a key holds a NUL byte");
	if (r == 0)
		r = b64_field(o, "value", &kv->value, &kv->value_len, err);
	if (r == 0)
		r = cr_etcd_int64(o, "create_revision", &kv->create_revision, err);
	if (r == 0)
		r = cr_etcd_int64(o, "mod_revision", &kv->mod_revision, err);
	if (r == 0)
		r = cr_etcd_int64(o, "version", &kv->version, err);
	if (r == 0)
		r = cr_etcd_int64(o, "lease", &kv->lease, err);
	return r;
}

int cr_etcd_parse_kvs(json_object *answer, struct cr_etcd_kvs *ret, struct cr_error *err)
{
	struct cr_etcd_kvs out = {NULL, 0, 0};
	json_object *header = NULL, *kvs = NULL;
	int r = 0;
	if (json_object_object_get_ex(answer, "header", &header) && header)
		r = cr_etcd_int64(header, "revision", &out.revision, err);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(answer, "kvs", &kvs) && kvs) {
		if (!json_object_is_type(kvs, json_type_array))
			return cr_error_set(err, EPROTO, "store answer: kvs is not an array");
		size_t n = json_object_array_length(kvs);
		out.kv = calloc(n ? n : 1, sizeof(*out.kv));
		if (!out.kv)
			return cr_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < n && r == 0; i++, out.n++)
			r = parse_kv(json_object_array_get_idx(kvs, i), &out.kv[i], err);
	}
	if (r < 0) {
		cr_etcd_kvs_clear(&out);
		return r;
	}
	*ret = out;
	return 0;
}

int cr_etcd_add_b64(json_object *o, const char *field, const char *bytes, size_t len,
		    struct cr_error *err)
{
	cleanup_free char *b64 = NULL;
	int r = cr_base64_encode(bytes, len, &b64, err);
	if (r < 0)
		return r;
	json_object *s = json_object_new_string(b64);
	if (!s || json_object_object_add(o, field, s) < 0) {
		json_object_put(s);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int cr_etcd_add_int64(json_object *o, const char *field, int64_t v, struct cr_error *err)
{
	char text[24];
	snprintf(text, sizeof text, "%" PRId64, v);
	json_object *s = json_object_new_string(text);
	if (!s || json_object_object_add(o, field, s) < 0) {
		json_object_put(s);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Does one event (a JSON object with "kv") concern a followed key? Its
 * mod_revision when it does, 0 when not. */
static int event_revision(json_object *ev, const char *const *prefixes, size_t n_prefixes, int64_t *ret,
			  struct cr_error *err)
{
	json_object *kv = NULL;
	*ret = 0;
	if (!json_object_is_type(ev, json_type_object) || !json_object_object_get_ex(ev, "kv", &kv) || !kv)
		return cr_error_set(err, EPROTO, "store watch: an event has no kv");
	struct cr_etcd_kv one = {0};
	int r = parse_kv(kv, &one, err);
	for (size_t i = 0; r == 0 && i < n_prefixes; i++)
		if (!strncmp(one.key, prefixes[i], strlen(prefixes[i])))
			*ret = one.mod_revision;
	cr_etcd_kv_clear(&one);
	return r;
}

int cr_etcd_watch_line(const char *line, size_t len, const char *const *prefixes, size_t n_prefixes,
		       int64_t *ret_rev, struct cr_error *err)
{
	return cr_etcd_watch_line_except(line, len, prefixes, n_prefixes, NULL, ret_rev, err);
}

int cr_etcd_watch_line_except(const char *line, size_t len, const char *const *prefixes, size_t n_prefixes,
			      const struct cr_etcd *skip, int64_t *ret_rev, struct cr_error *err)
{
	cleanup_json json_object *o = NULL;
	json_object *result = NULL, *events = NULL, *flag = NULL;
	int r = cr_etcd_parse_answer(line, len, &o, err);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(o, "error", &flag))
		return 1; /* the stream ended with an error: start again */
	if (!json_object_object_get_ex(o, "result", &result) || !json_object_is_type(result, json_type_object))
		return cr_error_set(err, EPROTO, "store watch: a line without a result");
	int64_t compact = 0;
	if ((r = cr_etcd_int64(result, "compact_revision", &compact, err)) < 0)
		return r;
	if (compact > 0 || (json_object_object_get_ex(result, "canceled", &flag) && json_object_get_boolean(flag)))
		return 1;
	if (!json_object_object_get_ex(result, "events", &events) || !events)
		return 0;
	if (!json_object_is_type(events, json_type_array))
		return cr_error_set(err, EPROTO, "store watch: events is not an array");
	int64_t best = *ret_rev;
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		int64_t rev = 0;
		if ((r = event_revision(json_object_array_get_idx(events, i), prefixes, n_prefixes, &rev, err)) < 0)
			return r;
		if (skip && cr_etcd_is_own(skip, rev))
			continue;
		best = rev > best ? rev : best;
	}
	*ret_rev = best;
	return 0;
}
