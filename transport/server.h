/* corrald's side of one connection: handshake (TCP) or peer-credential check
 * (the local Unix socket), the Hello exchange, then requests answered with a
 * Result each until the peer closes. The server never prints: what is worth
 * a log line goes to the LOG callback. */
#ifndef CORRAL_TRANSPORT_SERVER_H
#define CORRAL_TRANSPORT_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "transport/arrival.h"
#include "transport/conn.h"
#include "transport/hello.h"
#include "transport_wire.pb-c.h"
#include "util/error.h"

struct cr_server_ctx {
	const struct cr_host_keypair *kp; /* this host's key pair */
	const char *host_key_path;        /* opens images sealed to this host */
	const char *trust_path;           /* trusted-peers, read per connection */
	const struct cr_peer_info *local; /* what this host says in its Hello */
	int timeout_ms;                   /* idle time allowed on every read and write */
	const char *corral_exe;           /* the corral binary, to launch partition monitors */
	const struct cr_arrival_ops *arrival; /* a relocation's destination half; NULL: none here */
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
 * connection itself failed and must be closed, or CR_SERVER_HANDED_OVER
 * when the connection now belongs to another process of this corrald
 * (nothing more is sent or read on it here). */
#define CR_SERVER_HANDED_OVER 1
int cr_server_on_preflight(const struct cr_server_ctx *ctx, const Crwire__Preflight *req,
			   Crwire__Result *res);
int cr_server_on_prepare(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Prepare *req, Crwire__Result *res, struct cr_error *err);
int cr_server_on_commit(const struct cr_server_ctx *ctx, const Crwire__Commit *req,
			Crwire__Result *res);
int cr_server_on_restore(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Restore *req, Crwire__Result *res, struct cr_error *err);
int cr_server_on_abort(const struct cr_server_ctx *ctx, const Crwire__Abort *req,
		       Crwire__Result *res);
int cr_server_on_prepare_arrival(const struct cr_server_ctx *ctx, struct cr_conn *c,
				 const Crwire__PrepareArrival *req, Crwire__Result *res);

/* Post-copy (server_lazy.c): LazyPages starts criu lazy-pages for the
 * images received for NAME and relays its pages. */
int cr_server_on_lazy_pages(const struct cr_server_ctx *ctx, struct cr_conn *c, const Crwire__LazyPages *req,
			    Crwire__Result *res, struct cr_error *err);

/* What CTX's arrival table reports through; the table itself, or NULL with
 * RES refused when this server takes no relocations. */
struct cr_arrival_env cr_server_arrival_env(const struct cr_server_ctx *ctx);
/* This connection's window boost (server.c), for a Restore to give back
 * before it starts what outlives the window. */
struct cr_nice *cr_server_window_boost(void);
const struct cr_arrival_ops *cr_server_arrival(const struct cr_server_ctx *ctx, Crwire__Result *res);

/* Fill RES with CODE and a formatted message (heap; freed by cr_result_clear). */
void cr_result_fail(Crwire__Result *res, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cr_result_clear(Crwire__Result *res);

/* <root>/var/lib/corral/incoming/NAME.img after checking NAME (heap). */
int cr_incoming_path(const char *name, char **ret_path, struct cr_error *err);

/* Remove partial images left by connections that died (at daemon start). */
int cr_incoming_sweep(unsigned *ret_removed, struct cr_error *err);

#endif
