/* Inside the etcd client: the HTTP exchange (etcd_http.c) and the JSON
 * answers (etcd_json.c) that etcd_kv.c and etcd_lease.c build on. */
#ifndef CORRAL_FLEET_ETCD_INTERNAL_H
#define CORRAL_FLEET_ETCD_INTERNAL_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdbool.h>

#include "fleet/etcd.h"

static inline void cr_json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define cleanup_json __attribute__((cleanup(cr_json_putp)))

/* How a request may be retried on another endpoint after it was sent and
 * no answer came: a read may; a write's first outcome is unknown then. */
enum cr_etcd_call_kind { CR_ETCD_READ, CR_ETCD_WRITE };

/* POST REQ (a JSON object) to PATH ("/v3/kv/range") on the first endpoint
 * that answers, and parse the answer into *RET. *RET_UNCERTAIN (may be NULL)
 * is set when a write was sent to an endpoint that did not answer before
 * another one took it: its outcome there is unknown. An answer carrying
 * {"error": ...} fails with its message. */
int cr_etcd_call(struct cr_etcd *e, const char *path, json_object *req, enum cr_etcd_call_kind kind,
		 json_object **ret, bool *ret_uncertain, struct cr_error *err);

/* A write through E took store revision REV (a put, a transaction that
 * ran, a delete that deleted): its changes are E's own. Is REV one of the
 * last 16 such? */
void cr_etcd_note_own(struct cr_etcd *e, int64_t rev);
bool cr_etcd_is_own(const struct cr_etcd *e, int64_t rev);

/* Point C at URL with E's TLS files and bounds: a POST of BODY (a JSON
 * object) with HDR; TIMEOUT_MS bounds the whole transfer (0: only the
 * connection is bounded, for a stream the caller bounds itself). */
void cr_etcd_curl_setup(const struct cr_etcd *e, CURL *c, const char *url, struct curl_slist *hdr, const char *body,
			long timeout_ms);

/* One line of a watch stream (a JSON object "result": WatchResponse): the
 * highest mod_revision among its events whose key starts with one of
 * PREFIXES (*RET_REV, left as it is when none does); 1 when the watch was
 * cancelled or compacted (the caller starts again: changes may be lost). */
int cr_etcd_watch_line(const char *line, size_t len, const char *const *prefixes, size_t n_prefixes,
		       int64_t *ret_rev, struct cr_error *err);
/* The same, passing over the events whose revision SKIP (when not NULL)
 * says to (E's own writes). */
int cr_etcd_watch_line_except(const char *line, size_t len, const char *const *prefixes, size_t n_prefixes,
			      const struct cr_etcd *skip, int64_t *ret_rev, struct cr_error *err);

/* Parsing the gateway's answers (from bytes a store sent: fuzzed). */
int cr_etcd_parse_answer(const char *body, size_t len, json_object **ret, struct cr_error *err);
int cr_etcd_parse_kvs(json_object *answer, struct cr_etcd_kvs *ret, struct cr_error *err);
/* An int64 the gateway sends as a JSON string (or a number); 0 when absent. */
int cr_etcd_int64(json_object *o, const char *field, int64_t *ret, struct cr_error *err);

/* Request building: base64 fields. */
int cr_etcd_add_b64(json_object *o, const char *field, const char *bytes, size_t len,
		    struct cr_error *err);
int cr_etcd_add_int64(json_object *o, const char *field, int64_t v, struct cr_error *err);

#endif
