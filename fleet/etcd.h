/* The fleet's store: etcd (3.4 or later) through its v3 JSON gateway.
 *
 * This folder is the only one that talks to etcd; libcurl and json-c are
 * used here and nowhere else. Every call carries the client's timeout.
 * Endpoints are tried in turn: a request that could not be sent (connection
 * refused, no route, a member that answers 503 for want of a quorum) goes to
 * the next one. A write whose answer never came has an unknown outcome: it
 * fails with -ETIMEDOUT and the caller reads again, never assumes. */
#ifndef CORRAL_FLEET_ETCD_H
#define CORRAL_FLEET_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CR_ETCD_DEFAULT_TIMEOUT_MS 5000

struct cr_etcd;

struct cr_etcd_options {
	const char *endpoints; /* "http://127.0.0.1:2379[,URL...]" */
	int timeout_ms;        /* per request; 0: CR_ETCD_DEFAULT_TIMEOUT_MS */
	const char *ca_file;   /* TLS: the store's CA; NULL: none */
	const char *cert_file; /* TLS client certificate; NULL: none */
	const char *key_file;  /* its key */
};

struct cr_etcd_kv {
	char *key;
	char *value; /* NUL-terminated copy; value_len bytes without it */
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease;
};

struct cr_etcd_kvs {
	struct cr_etcd_kv *kv;
	size_t n;
	int64_t revision; /* the store's revision when read */
};

int cr_etcd_open(const struct cr_etcd_options *o, struct cr_etcd **ret, struct cr_error *err);
void cr_etcd_close(struct cr_etcd *e);
static inline void cr_etcd_closep(struct cr_etcd **e)
{
	cr_etcd_close(*e);
}
#define cleanup_etcd __attribute__((cleanup(cr_etcd_closep)))

/* The endpoint that answered last (for messages). */
const char *cr_etcd_endpoint(const struct cr_etcd *e);

void cr_etcd_kv_clear(struct cr_etcd_kv *kv);
void cr_etcd_kvs_clear(struct cr_etcd_kvs *kvs);
#define cleanup_etcd_kv __attribute__((cleanup(cr_etcd_kv_clear)))
#define cleanup_etcd_kvs __attribute__((cleanup(cr_etcd_kvs_clear)))

/* KEY's value: 1 and RET filled when present, 0 when absent. */
int cr_etcd_get(struct cr_etcd *e, const char *key, struct cr_etcd_kv *ret, struct cr_error *err);
/* Every key under PREFIX, sorted by key. */
int cr_etcd_list(struct cr_etcd *e, const char *prefix, struct cr_etcd_kvs *ret, struct cr_error *err);
/* The same reads served by the member asked alone (etcd's serializable
 * range): no round among the members, but possibly a little behind them,
 * and answered even by a member cut off from the others. Only where what
 * is read is acted on by a compare-and-swap write, which a stale read
 * makes fail (and the next read sees the store as it is). */
int cr_etcd_get_local(struct cr_etcd *e, const char *key, struct cr_etcd_kv *ret, struct cr_error *err);
int cr_etcd_list_local(struct cr_etcd *e, const char *prefix, struct cr_etcd_kvs *ret, struct cr_error *err);
int cr_etcd_put(struct cr_etcd *e, const char *key, const char *value, int64_t lease,
		struct cr_error *err);
/* Deletes KEY; returns how many keys went (0 or 1). */
int cr_etcd_delete(struct cr_etcd *e, const char *key, struct cr_error *err);

/* A transaction: when every compare holds, every op runs, atomically.
 * A compare holds when KEY's mod_revision equals MOD_REVISION; a
 * MOD_REVISION of 0 means "KEY does not exist". Returns 1 when it ran,
 * 0 when a compare failed (nothing was written). */
struct cr_etcd_cmp {
	const char *key;
	int64_t mod_revision;
};
/* CR_ETCD_OP_PUT_ABSENT: a put only when KEY does not exist (a nested
 * transaction, etcd 3.3 or later); the other ops run either way. */
struct cr_etcd_op {
	enum { CR_ETCD_OP_PUT, CR_ETCD_OP_DELETE, CR_ETCD_OP_PUT_ABSENT } kind;
	const char *key;
	const char *value; /* PUT and PUT_ABSENT only */
	int64_t lease;     /* PUT and PUT_ABSENT only; 0: none */
};
int cr_etcd_txn(struct cr_etcd *e, const struct cr_etcd_cmp *cmps, size_t n_cmps,
		const struct cr_etcd_op *ops, size_t n_ops, struct cr_error *err);
/* The same; when it ran, *RET_REVISION is the store's revision its answer
 * carried: the mod_revision of every key it put (untouched otherwise). */
int cr_etcd_txn_rev(struct cr_etcd *e, const struct cr_etcd_cmp *cmps, size_t n_cmps,
		    const struct cr_etcd_op *ops, size_t n_ops, int64_t *ret_revision, struct cr_error *err);

/* The highest store revision any answer on E carried (0: none yet). */
int64_t cr_etcd_revision(const struct cr_etcd *e);

/* Waiting for a change instead of polling: one watch stream (etcd's
 * /v3/watch) on PREFIX kept open across waits, which wakes on changes of
 * keys under PREFIX followed by one of SUBS. It only shortens how long a
 * caller that reads the store on a tick takes to notice a change: a watch
 * that fails loses nothing, the caller's next read sees the store. */
struct cr_etcd_watch;
int cr_etcd_watch_open(struct cr_etcd *e, const char *prefix, const char *const *subs, size_t n_subs,
		       struct cr_etcd_watch **ret, struct cr_error *err);
void cr_etcd_watch_close(struct cr_etcd_watch *w);
/* Follow SUBS (under the watch's PREFIX) from now on instead: changes of
 * other keys no longer end a wait (the stream stays open). */
int cr_etcd_watch_follow(struct cr_etcd_watch *w, const char *const *subs, size_t n_subs, struct cr_error *err);
/* From now on the changes the watch's client wrote itself (its last 16
 * writes) do not end a wait: a caller that acts on what it wrote at once. */
void cr_etcd_watch_skip_own(struct cr_etcd_watch *w);
/* Wait at most TIMEOUT_MS for a change of a followed key after revision
 * AFTER (a revision the caller has read at: cr_etcd_revision before its
 * reads), or for WAKE_FD (-1: none) to be readable. Returns 1 on a change
 * (or when changes may have been lost), 2 when WAKE_FD is readable, 0 when
 * the time passed, < 0 when the stream failed (the caller sleeps). */
int cr_etcd_watch_wait(struct cr_etcd_watch *w, int64_t after, int timeout_ms, int wake_fd, struct cr_error *err);

/* Leases: a key put with a lease vanishes when the lease expires. */
int cr_etcd_lease_grant(struct cr_etcd *e, int ttl_s, int64_t *ret_id, struct cr_error *err);
/* Renews ID; *RET_TTL is its new TTL in seconds, 0 when it had expired. */
int cr_etcd_lease_keepalive(struct cr_etcd *e, int64_t id, int64_t *ret_ttl, struct cr_error *err);
int cr_etcd_lease_revoke(struct cr_etcd *e, int64_t id, struct cr_error *err);

#endif
