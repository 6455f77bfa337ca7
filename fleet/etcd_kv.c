/* Keys and values in etcd: get, list a prefix, put, delete, and the
 * compare-and-swap transaction every ownership change goes through. */
#define LOG_PREFIX "etcd: "
#include <stdlib.h>
#include <string.h>

#include "fleet/etcd_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static int new_object(json_object **ret, struct cr_error *err)
{
	if (!(*ret = json_object_new_object()))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int add_key(json_object *o, const char *key, struct cr_error *err)
{
	return cr_etcd_add_b64(o, "key", key, strlen(key), err);
}

/* The end of PREFIX's range: PREFIX with its last byte incremented. */
static int add_prefix_end(json_object *o, const char *prefix, struct cr_error *err)
{
	size_t n = strlen(prefix);
	cleanup_free char *end = strdup(prefix);
	if (!end)
		return cr_error_set(err, ENOMEM, "out of memory");
	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n == 0)
		return cr_etcd_add_b64(o, "range_end", "\0", 1, err);
	end[n - 1]++;
	return cr_etcd_add_b64(o, "range_end", end, n, err);
}

static int range(struct cr_etcd *e, const char *key, bool prefix, bool local, struct cr_etcd_kvs *ret,
		 struct cr_error *err)
{
	cleanup_json json_object *req = NULL, *answer = NULL;
	int r = new_object(&req, err);
	if (r == 0)
		r = add_key(req, key, err);
	if (r == 0 && prefix)
		r = add_prefix_end(req, key, err);
	if (r == 0 && local)
		json_object_object_add(req, "serializable", json_object_new_boolean(1));
	if (r == 0) {
		cr_debug("range %s%s%s", key, prefix ? "*" : "", local ? " (local)" : "");
		r = cr_etcd_call(e, "/v3/kv/range", req, CR_ETCD_READ, &answer, NULL, err);
	}
	if (r == 0)
		r = cr_etcd_parse_kvs(answer, ret, err);
	return r < 0 ? cr_error_wrap(err, "reading %s%s", key, prefix ? "*" : "") : 0;
}

static int get(struct cr_etcd *e, const char *key, bool local, struct cr_etcd_kv *ret, struct cr_error *err)
{
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {NULL, 0, 0};
	int r = range(e, key, false, local, &kvs, err);
	if (r < 0)
		return r;
	if (kvs.n == 0)
		return 0;
	*ret = kvs.kv[0];
	memset(&kvs.kv[0], 0, sizeof(kvs.kv[0]));
	return 1;
}

int cr_etcd_get(struct cr_etcd *e, const char *key, struct cr_etcd_kv *ret, struct cr_error *err)
{
	return get(e, key, false, ret, err);
}

int cr_etcd_get_local(struct cr_etcd *e, const char *key, struct cr_etcd_kv *ret, struct cr_error *err)
{
	return get(e, key, true, ret, err);
}

int cr_etcd_list(struct cr_etcd *e, const char *prefix, struct cr_etcd_kvs *ret, struct cr_error *err)
{
	return range(e, prefix, true, false, ret, err);
}

int cr_etcd_list_local(struct cr_etcd *e, const char *prefix, struct cr_etcd_kvs *ret, struct cr_error *err)
{
	return range(e, prefix, true, true, ret, err);
}

/* A write's answer: its header's revision is the write's (own). */
static void note_written(struct cr_etcd *e, json_object *answer)
{
	json_object *header = NULL;
	int64_t rev = 0;
	cleanup_error struct cr_error ignored = CR_ERROR_INIT;
	if (json_object_object_get_ex(answer, "header", &header) && header &&
	    cr_etcd_int64(header, "revision", &rev, &ignored) == 0 && rev > 0)
		cr_etcd_note_own(e, rev);
}

static int put_request(const char *key, const char *value, int64_t lease, json_object **ret,
		       struct cr_error *err)
{
	cleanup_json json_object *req = NULL;
	int r = new_object(&req, err);
	if (r == 0)
		r = add_key(req, key, err);
	if (r == 0)
		r = cr_etcd_add_b64(req, "value", value, strlen(value), err);
	if (r == 0 && lease)
		r = cr_etcd_add_int64(req, "lease", lease, err);
	if (r == 0)
		*ret = steal_pointer(&req);
	return r;
}

int cr_etcd_put(struct cr_etcd *e, const char *key, const char *value, int64_t lease,
		struct cr_error *err)
{
	cleanup_json json_object *req = NULL, *answer = NULL;
	int r = put_request(key, value, lease, &req, err);
	if (r == 0)
		r = cr_etcd_call(e, "/v3/kv/put", req, CR_ETCD_WRITE, &answer, NULL, err);
	if (r == 0)
		note_written(e, answer);
	return r < 0 ? cr_error_wrap(err, "writing %s", key) : 0;
}

int cr_etcd_delete(struct cr_etcd *e, const char *key, struct cr_error *err)
{
	cleanup_json json_object *req = NULL, *answer = NULL;
	int64_t deleted = 0;
	int r = new_object(&req, err);
	if (r == 0)
		r = add_key(req, key, err);
	if (r == 0)
		r = cr_etcd_call(e, "/v3/kv/deleterange", req, CR_ETCD_WRITE, &answer, NULL, err);
	if (r == 0)
		r = cr_etcd_int64(answer, "deleted", &deleted, err);
	if (r == 0 && deleted > 0)
		note_written(e, answer);
	return r < 0 ? cr_error_wrap(err, "deleting %s", key) : (int)(deleted > 0);
}

static int add_to_array(json_object *arr, json_object **item, struct cr_error *err)
{
	if (json_object_array_add(arr, *item) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	*item = NULL;
	return 0;
}

static int compare_item(const struct cr_etcd_cmp *c, json_object **ret, struct cr_error *err)
{
	cleanup_json json_object *o = NULL;
	bool absent = c->mod_revision == 0;
	int r = new_object(&o, err);
	if (r == 0)
		r = add_key(o, c->key, err);
	if (r == 0) {
		json_object_object_add(o, "result", json_object_new_string("EQUAL"));
		json_object_object_add(o, "target", json_object_new_string(absent ? "CREATE" : "MOD"));
		r = cr_etcd_add_int64(o, absent ? "create_revision" : "mod_revision", c->mod_revision, err);
	}
	if (r == 0)
		*ret = steal_pointer(&o);
	return r;
}

static int op_item(const struct cr_etcd_op *op, json_object **ret, struct cr_error *err);

/* KEY put only when absent: {"request_txn": {compare: [KEY's create
 * revision is 0], success: [the put]}}. */
static int put_absent_item(const struct cr_etcd_op *op, json_object **ret, struct cr_error *err)
{
	cleanup_json json_object *o = NULL, *txn = NULL, *cmp = NULL, *put = NULL;
	json_object *carr = json_object_new_array(), *sarr = json_object_new_array();
	struct cr_etcd_cmp absent = {op->key, 0};
	struct cr_etcd_op plain = {CR_ETCD_OP_PUT, op->key, op->value, op->lease};
	int r = new_object(&o, err);
	if (r == 0)
		r = new_object(&txn, err);
	if (r == 0 && (!carr || !sarr))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0) {
		json_object_object_add(txn, "compare", carr);
		json_object_object_add(txn, "success", sarr);
	} else {
		json_object_put(carr);
		json_object_put(sarr);
	}
	if (r == 0)
		r = compare_item(&absent, &cmp, err);
	if (r == 0)
		r = add_to_array(carr, &cmp, err);
	if (r == 0)
		r = op_item(&plain, &put, err);
	if (r == 0)
		r = add_to_array(sarr, &put, err);
	if (r < 0)
		return r;
	json_object_object_add(o, "request_txn", steal_pointer(&txn));
	*ret = steal_pointer(&o);
	return 0;
}

static int op_item(const struct cr_etcd_op *op, json_object **ret, struct cr_error *err)
{
	if (op->kind == CR_ETCD_OP_PUT_ABSENT)
		return put_absent_item(op, ret, err);
	cleanup_json json_object *inner = NULL, *o = NULL;
	int r = new_object(&o, err);
	if (r < 0)
		return r;
	if (op->kind == CR_ETCD_OP_PUT) {
		r = put_request(op->key, op->value ? op->value : "", op->lease, &inner, err);
	} else {
		r = new_object(&inner, err);
		if (r == 0)
			r = add_key(inner, op->key, err);
	}
	if (r < 0)
		return r;
	json_object_object_add(o, op->kind == CR_ETCD_OP_PUT ? "request_put" : "request_delete_range",
			       steal_pointer(&inner));
	*ret = steal_pointer(&o);
	return 0;
}

int cr_etcd_txn(struct cr_etcd *e, const struct cr_etcd_cmp *cmps, size_t n_cmps,
		const struct cr_etcd_op *ops, size_t n_ops, struct cr_error *err)
{
	int64_t ignored = 0;
	return cr_etcd_txn_rev(e, cmps, n_cmps, ops, n_ops, &ignored, err);
}

int cr_etcd_txn_rev(struct cr_etcd *e, const struct cr_etcd_cmp *cmps, size_t n_cmps,
		    const struct cr_etcd_op *ops, size_t n_ops, int64_t *ret_revision, struct cr_error *err)
{
	cleanup_json json_object *req = NULL, *answer = NULL;
	json_object *compare = json_object_new_array(), *success = json_object_new_array();
	int r = new_object(&req, err);
	if (r == 0 && (!compare || !success))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0) {
		json_object_object_add(req, "compare", compare);
		json_object_object_add(req, "success", success);
		compare = success = NULL;
	}
	json_object_put(compare);
	json_object_put(success);
	json_object *carr = NULL, *sarr = NULL;
	if (r == 0) {
		json_object_object_get_ex(req, "compare", &carr);
		json_object_object_get_ex(req, "success", &sarr);
	}
	for (size_t i = 0; i < n_cmps && r == 0; i++) {
		cleanup_json json_object *item = NULL;
		r = compare_item(&cmps[i], &item, err);
		if (r == 0)
			r = add_to_array(carr, &item, err);
	}
	for (size_t i = 0; i < n_ops && r == 0; i++) {
		cleanup_json json_object *item = NULL;
		r = op_item(&ops[i], &item, err);
		if (r == 0)
			r = add_to_array(sarr, &item, err);
	}
	bool uncertain = false;
	if (r == 0)
		r = cr_etcd_call(e, "/v3/kv/txn", req, CR_ETCD_WRITE, &answer, &uncertain, err);
	if (r < 0)
		return cr_error_wrap(err, "transaction on %s", n_ops ? ops[0].key : "(nothing)");
	json_object *ok = NULL;
	bool succeeded = json_object_object_get_ex(answer, "succeeded", &ok) && json_object_get_boolean(ok);
	if (!succeeded && uncertain)
		/* An earlier try may have applied it: that is why the compare failed now. */
		return cr_error_set(err, ETIMEDOUT, "transaction on %s: outcome unknown (a store member "
				    "did not answer); read it again", n_ops ? ops[0].key : "(nothing)");
	json_object *header = NULL;
	int64_t rev = 0;
	if (succeeded && json_object_object_get_ex(answer, "header", &header) && header &&
	    cr_etcd_int64(header, "revision", &rev, err) < 0)
		return cr_error_wrap(err, "transaction on %s: its answer", n_ops ? ops[0].key : "(nothing)");
	if (succeeded && rev > 0) {
		*ret_revision = rev;
		cr_etcd_note_own(e, rev);
	}
	return succeeded ? 1 : 0;
}
