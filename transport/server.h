/* corrald's side of one connection: handshake (TCP) or peer-credential check
 * (the local Unix socket), the Hello exchange, then requests answered with a
 * Result each until the peer closes. The server never prints: what is worth
 * a log line goes to the LOG callback. */
#ifndef CORRAL_TRANSPORT_SERVER_H
#define CORRAL_TRANSPORT_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "transport/conn.h"
#include "transport/hello.h"
#include "util/error.h"

struct cr_server_ctx {
	const struct cr_host_keypair *kp; /* this host's key pair */
	const char *host_key_path;        /* opens images sealed to this host */
	const char *trust_path;           /* trusted-peers, read per connection */
	const struct cr_peer_info *local; /* what this host says in its Hello */
	int timeout_ms;                   /* idle time allowed on every read and write */
	const char *corral_exe;           /* the corral binary, to launch partition monitors */
	void (*log)(void *log_ctx, const char *line);
	void *log_ctx;
};

/* Serve the connection on FD (not closed here). LOCAL: FD is the Unix socket
 * (no handshake; the peer must be root or this daemon's user). Returns 0 when
 * the peer closed cleanly after its requests. */
int cr_server_serve(const struct cr_server_ctx *ctx, int fd, bool local, const char *from,
		    struct cr_error *err);

/* One log line through CTX->log (nothing when it is NULL). */
void cr_server_log(const struct cr_server_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The request handlers (server_*.c). Each fills RES (code 0 on success, else
 * a positive errno and a message) and returns 0, or returns negative when the
 * connection itself failed and must be closed. */
int cr_server_on_preflight(const struct cr_server_ctx *ctx, const Crwire__Preflight *req,
			   Crwire__Result *res);
int cr_server_on_prepare(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Prepare *req, Crwire__Result *res, struct cr_error *err);
int cr_server_on_commit(const struct cr_server_ctx *ctx, const Crwire__Commit *req,
			Crwire__Result *res);
/* Commit and Abort of a relocation (NAME.relocation exists): commit returns
 * 1 when it was one (RES says how it went), 0 when not; abort removes all a
 * relocation made here, if anything. RELOCATION (or NULL) is the id the
 * source sent: a Commit of the relocation committed here last is answered
 * as done (1, code 0), one of a relocation not known here refused. */
int cr_server_relocation_commit(const struct cr_server_ctx *ctx, const char *name, const char *relocation,
				Crwire__Result *res);
void cr_server_relocation_abort(const struct cr_server_ctx *ctx, const char *name, Crwire__Result *res);
/* After a connection from PEER ended: a relocation it restored here and left
 * pending is settled by asking PEER's corrald (see server_relocate.c). */
void cr_server_relocation_reconcile(const struct cr_server_ctx *ctx, const char *peer);
int cr_server_on_restore(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Restore *req, Crwire__Result *res, struct cr_error *err);
int cr_server_on_abort(const struct cr_server_ctx *ctx, const Crwire__Abort *req,
		       Crwire__Result *res);

/* Post-copy (server_lazy.c): LazyPages starts criu lazy-pages for the
 * images received for NAME and relays its pages; Restore(lazy) waits (a
 * bounded time) until that daemon listens in IMAGES_DIR. */
int cr_server_lazy_wait_daemon(const char *images_dir, struct cr_error *err);
int cr_server_on_lazy_pages(const struct cr_server_ctx *ctx, struct cr_conn *c, const Crwire__LazyPages *req,
			    Crwire__Result *res, struct cr_error *err);

/* Fill RES with CODE and a formatted message (heap; freed by cr_result_clear). */
void cr_result_fail(Crwire__Result *res, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cr_result_clear(Crwire__Result *res);

/* <root>/var/lib/corral/incoming/NAME.img after checking NAME (heap). */
int cr_incoming_path(const char *name, char **ret_path, struct cr_error *err);

/* <root>/var/lib/corral/incoming/NAME.d: an image unpacked for a Restore;
 * NAME.relocation: what a relocation made here, until Commit or Abort. */
int cr_unpacked_path(const char *name, char **ret_path, struct cr_error *err);
int cr_relocation_record_path(const char *name, char **ret_path, struct cr_error *err);
#define CR_RELOCATION_SUFFIX ".relocation"

/* True when a relocation of NAME to this host is not settled yet (the
 * source's name in *RET_PEER, heap, NULL when not recorded). */
bool cr_relocation_pending(const char *name, char **ret_peer);

/* Forget NAME's relocation record and unpacked image: the administrator
 * settled it (resumewpar, rmwpar) or the relocation was. */
void cr_relocation_forget(const char *name);

/* At daemon start: settle every relocation an earlier corrald left between
 * Restore and Commit, by asking each source (logs what it did). */
void cr_server_relocation_settle_left(const struct cr_server_ctx *ctx);
#define CR_UNPACKED_SPEC "spec"

/* Remove partial images left by connections that died (at daemon start). */
int cr_incoming_sweep(unsigned *ret_removed, struct cr_error *err);

/* server_unpacked.c: a relocation's image is unpacked into a fresh *RET_TMP,
 * on a tmpfs when one has room for SIZE_HINT bytes and the restored memory
 * besides, else beside NAME.d; cr_unpacked_settle makes it NAME.d (FINAL:
 * renamed, or a symbolic link to the tmpfs). cr_unpacked_remove(_at) removes
 * NAME.d (or the landing at PATH) and what a link points to;
 * cr_unpacked_sweep removes what dead connections left on the tmpfs. */
int cr_unpacked_landing(const char *name, uint64_t size_hint, char **ret_tmp, struct cr_error *err);
int cr_unpacked_settle(const char *tmp, const char *final, struct cr_error *err);
void cr_unpacked_remove(const char *name);
void cr_unpacked_remove_at(const char *path);
void cr_unpacked_sweep(void);

#endif
