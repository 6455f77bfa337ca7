/* The destination half of a post-copy relocation. LazyPages, on a
 * connection of its own, starts `criu lazy-pages` under its guard
 * (criu/lazy.c) on a socketpair and relays the daemon's page-server
 * traffic through the connection (transport/page_relay.h) until every page
 * arrived; Restore(lazy) on the first connection (relocate/arrival.c)
 * waits for that daemon, restores the partition with its memory registered
 * for page faults (the restore itself faults pages in) and resumes it. Should the relay or the
 * daemon fail, or the transfer stall (pages missing and none moving for
 * CR_PAGE_RELAY_STALL_MS while the source is heard), the copy here is ended
 * (the guard kills its tasks before any could read a zero page) and all the
 * relocation made is removed, as an Abort does: the source, which kept its
 * frozen copy, resumes it. */
#define LOG_PREFIX "corrald: "
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/host_facts.h"
#include "ckpt/checkpoint.h"
#include "ckpt/partition_image.h"
#include "criu/criu.h"
#include "partition/lifecycle.h"
#include "restore/restore.h"
#include "transport/page_relay.h"
#include "transport/page_resume.h"
#include "transport/server.h"
#include "util/paths.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#define GUARD_END_MS 30000 /* the daemon's end once its page server said goodbye */
#define KNOCK_MS 300 /* a resume that knocks while the connection looks whole: its hand-over comes at once */

/* This process serves one connection: at most one lazy-pages daemon. */
static struct {
	pid_t guard;
	int relay; /* our end of the daemon's page socket */
} lazy = {0, -1};

/* Take over the daemon PrepareArrival started (criu/lazy.c), or start
 * criu lazy-pages on a socketpair; then mark the images lazy (the Restore
 * waits for the mark). */
static int lazy_start(const char *name, const char *images_dir, struct cr_error *err)
{
	cleanup_free char *mark = NULL;
	if (asprintf(&mark, "%s/%s", images_dir, CR_RESTORE_LAZY_MARK) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_criu_lazy_daemon_claim(images_dir, &lazy.guard, &lazy.relay, err);
	if (r == 1) /* prepared ahead */
		r = cr_write_file_atomic(mark, "", 0, 0600, err) < 0 ? -EIO : 1;
	if (r != 0)
		return r;
	if ((r = cr_write_file_atomic(mark, "", 0, 0600, err)) < 0)
		return r;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return cr_error_errno(err, "cannot make the page socket of %s", name);
	pid_t guard = 0;
	cleanup_criu_service struct cr_criu_service svc = {NULL, -1};
	r = cr_host_criu_service(&svc, err);
	if (r == 0)
		r = cr_criu_lazy_daemon_start(&svc, name, images_dir, sp[1], sp[0], &guard, err);
	close(sp[1]);
	if (r < 0) {
		close(sp[0]);
		return r;
	}
	lazy.guard = guard;
	lazy.relay = sp[0];
	return 0;
}

/* End the daemon; its guard ends the copy first when pages are missing. */
static void lazy_stop(void)
{
	cr_criu_lazy_guard_stop(lazy.guard, GUARD_END_MS);
	lazy.guard = 0;
	if (lazy.relay >= 0)
		close(lazy.relay);
	lazy.relay = -1;
}

/* The relay over C, and over the connections that resume it (LFD >= 0:
 * the transfer is resumable and waits there) should C break. */
static int relay_resumed(const struct cr_server_ctx *ctx, struct cr_conn *c, struct cr_page_relay *rl, int lfd,
			 const char *name, struct cr_page_relay_stats *st, struct cr_error *err)
{
	const struct cr_page_relay_opts o = {.idle_ms = ctx->timeout_ms, .stall_ms = CR_PAGE_RELAY_STALL_MS,
					     .resume_fd = lfd >= 0 ? &lfd : NULL};
	for (;;) {
		int r = cr_page_relay_run(rl, c, lazy.relay, &o, st, NULL, err);
		if (r >= 0 || !st->conn_failed || lfd < 0)
			return r;
		/* criu lazy-pages and the guard stay: the copy's tasks wait on
		 * their missing pages meanwhile. A resume that knocks while
		 * this connection still looks whole is taken at once (the
		 * source saw it break); a knock that is no such resume (not
		 * root, another peer) leaves it as it was. */
		bool knock = st->resume_knock;
		if (!knock) {
			cr_server_log(ctx, "%s: the page connection of %s broke (%s): waiting up to %d ms for it to "
				      "resume", c->peer_name, name, cr_error_msg(err), CR_PAGE_RESUME_MS);
			(void)shutdown(c->io.fd, SHUT_RDWR);
		}
		struct cr_error te = CR_ERROR_INIT;
		uint64_t from = 0;
		int t = knock ? cr_page_resume_take_one(lfd, KNOCK_MS, c, &from, &te)
			      : cr_page_resume_take(lfd, CR_PAGE_RESUME_MS, c, &from, &te);
		if (t < 0 && knock) {
			cr_error_clear(&te);
			cr_error_clear(err);
			continue;
		}
		if (t == 0)
			t = cr_page_relay_rewind(rl, from, &te);
		if (t == 0)
			t = cr_page_relay_send_count(rl, c, &te);
		if (t < 0) {
			cleanup_free char *why = strdup(cr_error_msg(err));
			cr_error_set(err, err->code ? err->code : EIO, "%s; not resumed: %s", why ? why : "",
				     cr_error_msg(&te));
			cr_error_clear(&te);
			return r;
		}
		cr_error_clear(&te);
		cr_error_clear(err);
		st->resumes++;
		cr_server_log(ctx, "%s: the page transfer of %s resumed (%llu bytes sent again)", c->peer_name, name,
			      (unsigned long long)(rl->sent - from));
	}
}

/* Start the daemon, relay, and hear the guard: 0 when every page arrived.
 * A broken connection (not resumed) is negative with *RET_CONN_BROKEN set.
 * RELOCATION (may be NULL: an older source) makes the transfer resumable. */
static int serve_pages(const struct cr_server_ctx *ctx, struct cr_conn *c, const char *name, const char *relocation,
		       bool *ret_conn_broken, struct cr_error *err)
{
	cleanup_free char *images = NULL;
	int r = ctx->arrival->images_dir(name, &images, err);
	if (r < 0)
		return r;
	cleanup_page_resume_listener struct cr_page_resume_listener resume = CR_PAGE_RESUME_LISTENER_INIT;
	if (relocation) {
		struct cr_error le = CR_ERROR_INIT;
		if (cr_page_resume_listen(relocation, &resume, &le) < 0)
			cr_server_log(ctx, "%s: the page transfer of %s cannot be resumed: %s", c->peer_name, name,
				      cr_error_msg(&le));
		cr_error_clear(&le);
	}
	if ((r = lazy_start(name, images, err)) < 0)
		return r;
	/* Faults ahead of the push where criu lazy-pages here takes it. */
	bool priority = cr_host_criu_lazy_any_order();
	cr_server_log(ctx, "%s: serving the memory of %s on demand%s%s", c->peer_name, name,
		      r == 1 ? " (its lazy-pages daemon prepared ahead)" : "",
		      priority ? ", faults ahead of the push" : "");
	struct cr_page_relay_stats st = {0};
	cleanup_free struct cr_page_relay *rl = malloc(sizeof(*rl));
	if (!rl)
		return cr_error_set(err, ENOMEM, "out of memory");
	/* The source acknowledges what it received whenever it named the
	 * relocation, whether or not this side could listen for a resume. */
	cr_page_relay_init(rl, false, 0, relocation != NULL);
	if (priority)
		cr_page_relay_prioritize(rl);
	r = relay_resumed(ctx, c, rl, resume.fd, name, &st, err);
	cr_page_relay_release(rl);
	if (r < 0 && !st.conn_failed && !st.stalled) { /* the daemon's end: its guard says why */
		struct cr_error gerr = CR_ERROR_INIT;
		if (cr_criu_lazy_guard_wait(lazy.guard, GUARD_END_MS, &gerr) < 0) {
			cr_error_set(err, gerr.code, "%s", cr_error_msg(&gerr));
			r = -gerr.code;
		}
		lazy.guard = 0;
		cr_error_clear(&gerr);
	}
	if (r < 0) {
		*ret_conn_broken = st.conn_failed;
		return r;
	}
	r = cr_criu_lazy_guard_wait(lazy.guard, GUARD_END_MS, err);
	lazy.guard = 0;
	if (r == 0)
		cr_server_log(ctx, "%s: every page of %s is here: %llu pages on demand, %llu pushed (%llu bytes of "
			      "page traffic)", c->peer_name, name, (unsigned long long)st.pages.demand_pages,
			      (unsigned long long)st.pages.pushed_pages, (unsigned long long)(st.from_peer + st.to_peer));
	return r;
}

/* A new connection asks to resume a broken transfer: hand it to the
 * process that holds it. */
static int resume_elsewhere(const struct cr_server_ctx *ctx, struct cr_conn *c, const Crwire__LazyPages *req,
			    Crwire__Result *res)
{
	if (!req->relocation) {
		cr_result_fail(res, EINVAL, "a resumed page transfer must name its relocation");
		return 0;
	}
	struct cr_error e = CR_ERROR_INIT;
	if (cr_page_resume_hand_over(req->relocation, c, req->resume_from, CR_PAGE_RESUME_MS, &e) < 0) {
		cr_result_fail(res, e.code ? e.code : EIO, "cannot resume the page transfer of %s: %s", req->name,
			       cr_error_msg(&e));
		cr_error_clear(&e);
		return 0;
	}
	cr_server_log(ctx, "%s: connection handed over to the page transfer of %s, which resumes", c->peer_name,
		      req->name);
	return CR_SERVER_HANDED_OVER;
}

int cr_server_on_lazy_pages(const struct cr_server_ctx *ctx, struct cr_conn *c, const Crwire__LazyPages *req,
			    Crwire__Result *res, struct cr_error *err)
{
	if (!cr_server_arrival(ctx, res))
		return 0;
	if (lazy.guard > 0) {
		cr_result_fail(res, EBUSY, "a lazy page transfer is already under way on this connection");
		return 0;
	}
	if (req->has_resume_from)
		return resume_elsewhere(ctx, c, req, res);
	struct cr_error e = CR_ERROR_INIT;
	bool broken = false;
	int r = serve_pages(ctx, c, req->name, req->relocation, &broken, &e);
	if (r < 0) {
		/* The guard ends the copy before the daemon's descriptors go. */
		lazy_stop();
		struct cr_arrival_env env = cr_server_arrival_env(ctx);
		struct cr_error ignored = CR_ERROR_INIT;
		(void)ctx->arrival->abort(&env, req->name, &ignored);
		cr_error_clear(&ignored);
		cr_server_log(ctx, "%s: post-copy of %s failed (%s): the copy here was ended", c->peer_name, req->name,
			      cr_error_msg(&e));
		cr_result_fail(res, e.code ? e.code : EIO, "post-copy of %s failed, the copy here was ended: %s",
			       req->name, cr_error_msg(&e));
		if (broken) {
			r = cr_error_set(err, e.code ? e.code : EIO, "%s", cr_error_msg(&e));
			cr_error_clear(&e);
			return r;
		}
	}
	cr_error_clear(&e);
	lazy_stop();
	return 0;
}
