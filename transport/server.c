/* The request loop of one corrald connection. */
#define LOG_PREFIX "server: "
#include "transport/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "partition/registry.h"
#include "spec/config.h"
#include "transport/handshake.h"
#include "transport/trust.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/prio.h"

void cr_server_log(const struct cr_server_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cr_log_vline(ctx->log, ctx->log_ctx, fmt, ap);
	va_end(ap);
}

struct cr_arrival_env cr_server_arrival_env(const struct cr_server_ctx *ctx)
{
	return (struct cr_arrival_env){.corral_exe = ctx->corral_exe, .log = ctx->log, .log_ctx = ctx->log_ctx};
}

const struct cr_arrival_ops *cr_server_arrival(const struct cr_server_ctx *ctx, Crwire__Result *res)
{
	if (!ctx->arrival)
		cr_result_fail(res, EOPNOTSUPP, "this server takes no relocations");
	return ctx->arrival;
}

void cr_result_fail(Crwire__Result *res, int code, const char *fmt, ...)
{
	free(res->message);
	res->message = NULL;
	res->code = code > 0 ? code : EIO;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&res->message, fmt, ap) < 0)
		res->message = NULL;
	va_end(ap);
}

void cr_result_clear(Crwire__Result *res)
{
	free(res->state);
	res->state = NULL;
	free(res->outcome);
	res->outcome = NULL;
	free(res->message);
	for (size_t i = 0; i < res->n_reasons; i++)
		free(res->reasons[i]);
	free(res->reasons);
	res->message = NULL;
	res->reasons = NULL;
	res->n_reasons = 0;
}

static int check_local_peer(int fd, struct cr_error *err)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return cr_error_errno(err, "cannot read the local client's credentials");
	if (cred.uid != 0 && cred.uid != geteuid())
		return cr_error_set(err, EACCES, "local client uid %u is not root: refused",
				    (unsigned)cred.uid);
	return 0;
}

static const char *const outcome_words[] = {
	[CR_DEPARTURE_PENDING] = "pending",
	[CR_DEPARTURE_COMMITTED] = "committed",
	[CR_DEPARTURE_ABORTED] = "aborted",
};

static void on_exists(const struct cr_server_ctx *ctx, const Crwire__PartitionExists *req, Crwire__Result *res)
{
	struct cr_error e = CR_ERROR_INIT;
	if (cr_name_validate(req->name, &e) < 0) {
		cr_result_fail(res, EINVAL, "%s", cr_error_msg(&e));
		cr_error_clear(&e);
		return;
	}
	res->has_flag = true;
	res->flag = cr_registry_exists(req->name) == 1;
	struct cr_wpar w;
	if (res->flag && cr_registry_load(req->name, &w, NULL) == 0) {
		char letter[2] = {(char)w.state.state, '\0'};
		res->state = strdup(letter);
		cr_wpar_free(&w);
	}
	/* A relocation's destination asks what was decided here. */
	if (req->relocation && ctx->arrival && ctx->arrival->departure) {
		enum cr_departure_outcome o = ctx->arrival->departure(req->name, req->relocation);
		if (o != CR_DEPARTURE_UNKNOWN)
			res->outcome = strdup(outcome_words[o]);
	}
}

/* Answer one request into RES; negative when the connection must end. */
static int dispatch(const struct cr_server_ctx *ctx, struct cr_conn *c, const Crwire__Envelope *m,
		    Crwire__Result *res, struct cr_error *err)
{
	switch (m->body_case) {
	case CRWIRE__ENVELOPE__BODY_PING:
		if (m->ping->has_payload) {
			res->has_payload = true;
			res->payload = m->ping->payload; /* borrowed until the reply is sent */
		}
		return 0;
	case CRWIRE__ENVELOPE__BODY_PARTITION_EXISTS:
		on_exists(ctx, m->partition_exists, res);
		return 0;
	case CRWIRE__ENVELOPE__BODY_PREFLIGHT:
		return cr_server_on_preflight(ctx, m->preflight, res);
	case CRWIRE__ENVELOPE__BODY_PREPARE:
		return cr_server_on_prepare(ctx, c, m->prepare, res, err);
	case CRWIRE__ENVELOPE__BODY_PREPARE_ARRIVAL:
		return cr_server_on_prepare_arrival(ctx, c, m->prepare_arrival, res);
	case CRWIRE__ENVELOPE__BODY_RESTORE:
		return cr_server_on_restore(ctx, c, m->restore, res, err);
	case CRWIRE__ENVELOPE__BODY_COMMIT:
		return cr_server_on_commit(ctx, m->commit, res);
	case CRWIRE__ENVELOPE__BODY_ABORT:
		return cr_server_on_abort(ctx, m->abort, res);
	case CRWIRE__ENVELOPE__BODY_LAZY_PAGES:
		return cr_server_on_lazy_pages(ctx, c, m->lazy_pages, res, err);
	case CRWIRE__ENVELOPE__BODY_HELLO:
	case CRWIRE__ENVELOPE__BODY_RESULT:
	case CRWIRE__ENVELOPE__BODY_IMAGE_CHUNK:
	case CRWIRE__ENVELOPE__BODY_PAGE_DATA:
		return cr_error_set(err, EPROTO, "%s sent %s out of place", c->peer_name,
				    cr_wire_body_name(m));
	default:
		/* A request from a newer minor version: say so, keep the connection. */
		cr_result_fail(res, EOPNOTSUPP, "request not known to this corrald (protocol %d.%d)",
			       CR_PROTO_MAJOR, CR_PROTO_MINOR);
		return 0;
	}
}

/* From an image's first byte (its sender is frozen or stopped) to the
 * Restore's answer, this connection's process (one per connection) does a
 * window's work: boosted (util/prio.h), with the tar it starts meanwhile. */
static struct cr_nice window_boost = CR_NICE_INIT;

struct cr_nice *cr_server_window_boost(void)
{
	return &window_boost;
}

static int serve_requests(const struct cr_server_ctx *ctx, struct cr_conn *c,
			  struct cr_error *err)
{
	for (;;) {
		cleanup_envelope Crwire__Envelope *m = NULL;
		int r = cr_conn_recv(c, &m, err);
		if (r == -ENOTCONN) {
			cr_error_clear(err);
			return 0;
		}
		if (r < 0)
			return r;
		Crwire__Result res = CRWIRE__RESULT__INIT;
		if (m->body_case == CRWIRE__ENVELOPE__BODY_PREPARE)
			cr_window_boost(&window_boost, 0);
		r = dispatch(ctx, c, m, &res, err);
		if (r == CR_SERVER_HANDED_OVER) {
			cr_result_clear(&res);
			return 0;
		}
		if (r == 0) {
			Crwire__Envelope reply = CRWIRE__ENVELOPE__INIT;
			reply.has_id = m->has_id;
			reply.id = m->id;
			reply.body_case = CRWIRE__ENVELOPE__BODY_RESULT;
			reply.result = &res;
			if (res.code != 0)
				cr_server_log(ctx, "%s: %s refused: %s", c->peer_name,
					      cr_wire_body_name(m),
					      res.message ? res.message : "error");
			r = cr_conn_send(c, &reply, err);
		}
		if (m->body_case == CRWIRE__ENVELOPE__BODY_RESTORE || m->body_case == CRWIRE__ENVELOPE__BODY_ABORT)
			cr_nice_restore(&window_boost); /* answered: the window's end here */
		if (m->body_case == CRWIRE__ENVELOPE__BODY_PING)
			res.has_payload = false; /* borrowed, not ours to free */
		bool hang_up = r == 0 && res.code == 0 && m->body_case == CRWIRE__ENVELOPE__BODY_RESTORE &&
			       cr_fault_injected(CR_FAULT_HANGUP_AFTER_RESTORE);
		cr_result_clear(&res);
		if (r < 0 || hang_up)
			return r;
	}
}

/* Tell a client of another major version why, in a Result it can read. */
static void refuse_version(const struct cr_server_ctx *ctx, struct cr_conn *c,
			   const struct cr_peer_info *remote)
{
	Crwire__Result res = CRWIRE__RESULT__INIT;
	cr_result_fail(&res, EPROTONOSUPPORT,
		       "protocol version %u.%u is not supported by this corrald, which speaks "
		       "%u.x (up to %u.%u)",
		       remote->proto_major, remote->proto_minor, ctx->local->proto_major,
		       ctx->local->proto_major, ctx->local->proto_minor);
	Crwire__Envelope reply = CRWIRE__ENVELOPE__INIT;
	reply.body_case = CRWIRE__ENVELOPE__BODY_RESULT;
	reply.result = &res;
	struct cr_error ignored = CR_ERROR_INIT;
	(void)cr_conn_send(c, &reply, &ignored);
	cr_error_clear(&ignored);
	cr_result_clear(&res);
}

static int greet(const struct cr_server_ctx *ctx, struct cr_conn *c, struct cr_error *err)
{
	struct cr_peer_info remote = {0};
	int r = cr_hello_recv(c, &remote, err);
	if (r < 0)
		return r;
	r = cr_hello_check_version(ctx->local, remote.proto_major, remote.proto_minor,
				   c->peer_name, err);
	if (r < 0) {
		refuse_version(ctx, c, &remote);
		cr_peer_info_free(&remote);
		return r;
	}
	cr_server_log(ctx, "%s: hello from %s (protocol %u.%u, corral %s, criu %s, %s)",
		      c->peer_name, remote.hostname ? remote.hostname : "?", remote.proto_major,
		      remote.proto_minor, remote.corral_version ? remote.corral_version : "?",
		      remote.criu_version ? remote.criu_version : "none",
		      remote.arch ? remote.arch : "?");
	cr_peer_info_free(&remote);
	return cr_hello_send(c, ctx->local, err);
}

int cr_server_serve(const struct cr_server_ctx *ctx, int fd, bool local, const char *from,
		    struct cr_error *err)
{
	struct cr_conn c;
	cr_conn_init(&c, fd, ctx->timeout_ms);
	int r;
	if (local) {
		r = check_local_peer(fd, err);
		if (r == 0 && !(c.peer_name = strdup("local")))
			r = cr_error_set(err, ENOMEM, "out of memory");
	} else {
		struct cr_trust_list trust = {NULL, 0};
		r = cr_trust_load(ctx->trust_path, &trust, err);
		if (r < 0)
			cr_handshake_refuse(&c, "the server cannot read its trusted-peers file");
		else
			r = cr_handshake_server(&c, ctx->kp, &trust, err);
		cr_trust_list_free(&trust);
	}
	if (r == 0) {
		cr_server_log(ctx, "%s: connection from %s %s", c.peer_name, from,
			      local ? "accepted (peer credentials checked)" : "authenticated");
		r = greet(ctx, &c, err);
	}
	if (r == 0)
		r = serve_requests(ctx, &c, err);
	/* A relocation restored here but neither committed nor aborted when the
	 * connection ended: ask its source how it stands. */
	if (!local && c.peer_name && ctx->arrival) {
		struct cr_arrival_env env = cr_server_arrival_env(ctx);
		ctx->arrival->connection_ended(&env, c.peer_name);
	}
	if (r == 0)
		cr_server_log(ctx, "%s: connection from %s closed", c.peer_name, from);
	cr_conn_release(&c);
	if (r < 0)
		return cr_error_wrap(err, "connection from %s", from);
	return 0;
}
