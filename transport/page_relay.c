/* The lazy-pages relay between a local criu socket and a corrald connection. */
#define LOG_PREFIX "relay: "
#include "transport/page_relay.h"
#include "transport_wire.pb-c.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"

#define KEEPALIVE_MS 1000 /* an empty PageData when nothing else went for this long */
#define OUT_HIGH_WATER (8u << 20) /* bytes for the local criu before the peer is not read */
#define REQ_CHUNK (CR_PAGE_RELAY_CHUNK / 16) /* a read of criu lazy-pages' requests */
#define FAULT_DROP_AT (4u << 20) /* CR_FAULT_DROP_PAGES: bytes sent before the connection drops */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One PageData: LEN bytes of this side's stream (FINAL: its end), with the
 * count of the peer's when RL is resumable. */
static int send_data(struct cr_conn *c, struct cr_page_relay *rl, const uint8_t *buf, size_t len, bool final,
		     struct cr_error *err)
{
	Crwire__PageData pd = CRWIRE__PAGE_DATA__INIT;
	pd.has_data = len > 0;
	pd.data.data = (uint8_t *)buf;
	pd.data.len = len;
	pd.has_final = final;
	pd.final = final;
	pd.has_acked = rl->resumable;
	pd.acked = rl->received;
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_PAGE_DATA;
	m.page_data = &pd;
	int r = cr_conn_send(c, &m, err);
	if (r == 0)
		rl->acked_sent = rl->received;
	return r;
}

/* Bytes from the peer not yet taken by the local criu (RL->out). They are
 * written as the socket takes them, never blocking: meanwhile the relay
 * keeps reading the local criu's requests (criu lazy-pages sends them with
 * MSG_DONTWAIT and fails when its socket is full). */
static int out_add(struct cr_page_buf *o, const uint8_t *buf, size_t len, struct cr_error *err)
{
	if (o->off > 0 && o->off == o->len)
		o->off = o->len = 0;
	if (o->len + len > o->cap) {
		if (o->off > 0) {
			memmove(o->data, o->data + o->off, o->len - o->off);
			o->len -= o->off;
			o->off = 0;
		}
		if (o->len + len > o->cap) {
			size_t cap = o->cap ? o->cap : CR_PAGE_RELAY_CHUNK;
			while (cap < o->len + len)
				cap *= 2;
			uint8_t *d = realloc(o->data, cap);
			if (!d)
				return cr_error_set(err, ENOMEM, "out of memory");
			o->data = d;
			o->cap = cap;
		}
	}
	memcpy(o->data + o->len, buf, len);
	o->len += len;
	return 0;
}

/* Write what the local socket takes now; *RET_TOOK when it took bytes. */
static int out_flush(struct cr_page_buf *o, int fd, bool *ret_took, struct cr_error *err)
{
	while (o->off < o->len) {
		ssize_t n = send(fd, o->data + o->off, o->len - o->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			o->off += (size_t)n;
			*ret_took = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return cr_error_errno(err, "writing to the local criu");
	}
	return 0;
}

static size_t out_pending(const struct cr_page_buf *o)
{
	return o->len - o->off;
}

/* N bytes moved from the head of FROM to the end of TO. */
static int buf_move(struct cr_page_buf *from, struct cr_page_buf *to, size_t n, struct cr_error *err)
{
	int r = out_add(to, from->data + from->off, n, err);
	if (r == 0)
		from->off += n;
	return r;
}

/* Bytes of the peer's that wait for the local criu, held ones included. */
static size_t peer_bytes_waiting(const struct cr_page_relay *rl)
{
	return out_pending(&rl->out) + out_pending(&rl->held);
}

/* Priority at the source: whether the page server may have the oldest held
 * request. Once it answered every one passed before (faults are not held),
 * or when the last of them has at most RELEASE_EARLY bytes left to read: the
 * page server then has the next at hand as it ends (its own preparing of an
 * answer no longer waits for the relay; a fault asked meanwhile waits behind
 * that one answer more at most). */
#define RELEASE_EARLY CR_PAGE_RELAY_CHUNK
static bool page_server_may_take(const struct cr_page_relay *rl)
{
	const struct cr_page_wire *w = &rl->w;
	if (rl->released == w->ordered_done)
		return true;
	return rl->released == w->ordered_done + 1 && w->ans_data_left > 0 && !w->demand_now &&
	       w->ans_data_left <= RELEASE_EARLY;
}

static int release_held_request(struct cr_page_relay *rl, struct cr_error *err)
{
	if (!rl->priority || !rl->source || !page_server_may_take(rl) || out_pending(&rl->held) < CR_PAGE_WIRE_HDR)
		return 0;
	rl->released++;
	return buf_move(&rl->held, &rl->out, CR_PAGE_WIRE_HDR, err);
}

/* Priority at the destination: once criu lazy-pages took all it was
 * passed, the oldest held push answer goes (what of it came). */
static int pass_held_answer(struct cr_page_relay *rl, struct cr_error *err)
{
	if (!rl->priority || rl->source || rl->open || out_pending(&rl->out) > 0 || out_pending(&rl->held) == 0)
		return 0;
	if (out_pending(&rl->held_ends) >= sizeof(uint64_t)) {
		uint64_t n;
		memcpy(&n, rl->held_ends.data + rl->held_ends.off, sizeof(n));
		rl->held_ends.off += sizeof(n);
		return buf_move(&rl->held, &rl->out, (size_t)n, err);
	}
	rl->open = true; /* its rest follows it at once */
	size_t n = out_pending(&rl->held);
	rl->held_open = 0;
	return buf_move(&rl->held, &rl->out, n, err);
}

/* Write what the local socket takes now, and with priority at the
 * destination the held answers next as soon as it took all before them. */
static int flush_local(struct cr_page_relay *rl, int local, bool *ret_took, struct cr_error *err)
{
	for (;;) {
		int r = out_flush(&rl->out, local, ret_took, err);
		if (r < 0 || out_pending(&rl->out) > 0)
			return r;
		if ((r = pass_held_answer(rl, err)) < 0 || out_pending(&rl->out) == 0)
			return r;
	}
}

/* Priority at the destination: a run of one answer's bytes from the peer
 * (cr_page_wire_answer_parts). A fault's, and the rest of the answer
 * passing now, go to criu lazy-pages at once; a push answer's are held. */
static int on_answer_part(void *ctx, const uint8_t *p, size_t n, bool demand, bool ends, struct cr_error *err)
{
	struct cr_page_relay *rl = ctx;
	int r;
	if (rl->open || demand) {
		rl->open = !ends;
		return out_add(&rl->out, p, n, err);
	}
	if ((r = out_add(&rl->held, p, n, err)) < 0)
		return r;
	rl->held_open += n;
	if (!ends)
		return 0;
	uint64_t len = rl->held_open;
	rl->held_open = 0;
	return out_add(&rl->held_ends, (const uint8_t *)&len, sizeof(len), err);
}

/* Requests from the peer (N bytes, whole) for the dump's page server: with
 * priority a fault's goes at once, the others wait their turn. */
static int requests_in(struct cr_page_relay *rl, const uint8_t *reqs, size_t n, struct cr_error *err)
{
	if (!rl->priority)
		return out_add(&rl->out, reqs, n, err);
	for (size_t k = 0; k + CR_PAGE_WIRE_HDR <= n; k += CR_PAGE_WIRE_HDR) {
		const uint8_t *q = reqs + k;
		int r = out_add(cr_page_wire_is_fault(q) ? &rl->out : &rl->held, q, CR_PAGE_WIRE_HDR, err);
		if (r < 0)
			return r;
	}
	return release_held_request(rl, err);
}

/* The peer acknowledged ACKED bytes of this side's stream: no longer kept. */
static int on_acked(struct cr_page_relay *rl, uint64_t acked, const char *peer, struct cr_error *err)
{
	if (acked < rl->kept_base || acked > rl->sent)
		return cr_error_set(err, EPROTO, "%s acknowledged %llu bytes of page data, of %llu sent (%llu "
				    "acknowledged before)", peer, (unsigned long long)acked,
				    (unsigned long long)rl->sent, (unsigned long long)rl->kept_base);
	rl->kept.off += (size_t)(acked - rl->kept_base);
	rl->kept_base = acked;
	return 0;
}

/* One message from the peer: 1 when it was its final PageData. Its bytes
 * are answers (to criu lazy-pages) or, at the source, requests, which go
 * to the dump's page server whole and capped. */
static int on_peer(struct cr_conn *c, struct cr_page_relay *rl, struct cr_page_relay_stats *st,
		   Crwire__Envelope **ret_result, struct cr_error *err)
{
	cleanup_envelope Crwire__Envelope *m = NULL;
	int r = cr_conn_recv(c, &m, err);
	if (r < 0) {
		st->conn_failed = true;
		return cr_error_wrap(err, "page data from %s", c->peer_name);
	}
	if (m->body_case == CRWIRE__ENVELOPE__BODY_RESULT) {
		if (ret_result)
			*ret_result = steal_pointer(&m);
		return cr_error_set(err, ECANCELED, "%s ended the page transfer", c->peer_name);
	}
	if (m->body_case != CRWIRE__ENVELOPE__BODY_PAGE_DATA)
		return cr_error_set(err, EPROTO, "%s sent %s amid page data", c->peer_name, cr_wire_body_name(m));
	const Crwire__PageData *pd = m->page_data;
	if (rl->resumable && pd->has_acked && (r = on_acked(rl, pd->acked, c->peer_name, err)) < 0)
		return r;
	if (pd->has_data && pd->data.len > 0) {
		st->msgs_from_peer++;
		st->from_peer += pd->data.len;
		if (rl->source) {
			cleanup_free uint8_t *reqs = malloc(pd->data.len + CR_PAGE_WIRE_HDR);
			size_t n = 0;
			if (!reqs)
				return cr_error_set(err, ENOMEM, "out of memory");
			if ((r = cr_page_wire_requests(&rl->w, pd->data.data, pd->data.len, reqs, &n, err)) < 0 ||
			    (r = requests_in(rl, reqs, n, err)) < 0)
				return r;
		} else if (rl->priority) {
			if ((r = cr_page_wire_answer_parts(&rl->w, pd->data.data, pd->data.len, on_answer_part, rl,
							   err)) < 0 ||
			    (r = pass_held_answer(rl, err)) < 0)
				return r;
		} else {
			if ((r = cr_page_wire_answers(&rl->w, pd->data.data, pd->data.len, err)) < 0 ||
			    (r = out_add(&rl->out, pd->data.data, pd->data.len, err)) < 0)
				return r;
		}
		rl->received += pd->data.len;
		st->pages = rl->w.counts;
	}
	return pd->has_final && pd->final ? 1 : 0;
}

/* LEN bytes of this side's stream (FINAL: its end) to the peer, kept until
 * acknowledged when RL is resumable. They count as sent before they go: a
 * connection that breaks meanwhile resends them. */
static int send_stream(struct cr_conn *c, struct cr_page_relay *rl, const uint8_t *buf, size_t len, bool final,
		       struct cr_page_relay_stats *st, struct cr_error *err)
{
	int r;
	if (rl->resumable && len > 0 && (r = out_add(&rl->kept, buf, len, err)) < 0)
		return r;
	rl->sent += len;
	rl->resend_from = rl->sent;
	if ((r = send_data(c, rl, buf, len, final, err)) < 0) {
		st->conn_failed = true;
		return cr_error_wrap(err, "page data to %s", c->peer_name);
	}
	st->to_peer += len;
	st->msgs_to_peer++;
	return 0;
}

/* What the local criu said (GOT bytes in BUF; 0: it ended), sent on at
 * once: answers as they are, requests whole. */
static int on_local(struct cr_conn *c, struct cr_page_relay *rl, uint8_t *buf, size_t got,
		    struct cr_page_relay_stats *st, struct cr_error *err)
{
	int r;
	size_t n = got;
	uint8_t reqs[REQ_CHUNK + CR_PAGE_WIRE_HDR];
	const uint8_t *send = buf;
	if (rl->source) {
		if ((r = cr_page_wire_answers(&rl->w, buf, got, err)) < 0 || (r = release_held_request(rl, err)) < 0)
			return r;
	} else if (got > 0) {
		if ((r = cr_page_wire_requests(&rl->w, buf, got, reqs, &n, err)) < 0)
			return r;
		send = reqs;
		if (n == 0)
			return 0; /* the rest of a request follows */
	}
	st->pages = rl->w.counts;
	return send_stream(c, rl, send, n, got == 0, st, err);
}

/* A resumed connection: what the peer did not receive goes again, in
 * chunks, and the end of this side's stream when it had ended. */
static int resend(struct cr_conn *c, struct cr_page_relay *rl, struct cr_page_relay_stats *st, struct cr_error *err)
{
	while (rl->resend_from < rl->sent) {
		uint64_t left = rl->sent - rl->resend_from;
		size_t n = left < CR_PAGE_RELAY_CHUNK ? (size_t)left : CR_PAGE_RELAY_CHUNK;
		const uint8_t *p = rl->kept.data + rl->kept.off + (size_t)(rl->resend_from - rl->kept_base);
		bool final = rl->local_done && n == left;
		if (send_data(c, rl, p, n, final, err) < 0) {
			st->conn_failed = true;
			return cr_error_wrap(err, "page data sent again to %s", c->peer_name);
		}
		rl->resend_from += n;
		st->msgs_to_peer++;
	}
	if (rl->local_done && send_data(c, rl, NULL, 0, true, err) < 0) {
		st->conn_failed = true;
		return cr_error_wrap(err, "page data sent again to %s", c->peer_name);
	}
	return 0;
}

int cr_page_relay_send_count(struct cr_page_relay *rl, struct cr_conn *c, struct cr_error *err)
{
	if (send_data(c, rl, NULL, 0, false, err) < 0)
		return cr_error_wrap(err, "page data to %s", c->peer_name);
	return 0;
}

void cr_page_relay_init(struct cr_page_relay *rl, bool source, uint32_t push_cap, bool resumable)
{
	memset(rl, 0, sizeof(*rl));
	rl->source = source;
	rl->resumable = resumable;
	uint32_t cap = push_cap ? push_cap : CR_PAGE_RELAY_PUSH_CAP;
	cr_page_wire_init(&rl->w, source ? (cap + CR_PAGE_WIRE_PAGE - 1) / CR_PAGE_WIRE_PAGE : 0);
}

void cr_page_relay_prioritize(struct cr_page_relay *rl)
{
	rl->priority = true;
	rl->w.any_order = true;
}

void cr_page_relay_release(struct cr_page_relay *rl)
{
	free(rl->out.data);
	free(rl->kept.data);
	free(rl->held.data);
	free(rl->held_ends.data);
	rl->out = rl->kept = rl->held = rl->held_ends = (struct cr_page_buf){0};
}

int cr_page_relay_rewind(struct cr_page_relay *rl, uint64_t peer_received, struct cr_error *err)
{
	if (!rl->resumable)
		return cr_error_set(err, EPROTO, "this page transfer cannot be resumed");
	int r = on_acked(rl, peer_received, "the peer", err);
	if (r < 0)
		return r;
	rl->resend_from = peer_received;
	return 0;
}

/* The destination's stall watchdog. Page traffic is a request from criu
 * lazy-pages, pages from the peer or answers taken by criu lazy-pages. Once
 * the push began, none for STALL_MS ends the relay; a peer heard again
 * after a silence (a link that was down: the idle timeout's concern) starts
 * the count anew. */
struct stall {
	int ms;
	int heard_ms; /* the peer is heard: a message within this (it sends one a second at least) */
	int64_t last_page;
	bool fault; /* CR_FAULT_LAZY_STALL: criu lazy-pages is no longer read once armed */
};

static bool stall_armed(const struct stall *s, const struct cr_page_wire *w)
{
	return s->ms > 0 && w->counts.pushed_requests > 0;
}

static int stall_check(const struct stall *s, const struct cr_page_wire *w, const struct cr_page_buf *out, int64_t now,
		       int64_t last_rx, const char *peer, struct cr_page_relay_stats *st, struct cr_error *err)
{
	/* A silent peer is the idle timeout's (a link down for less may come
	 * back); answers criu lazy-pages leaves untaken are a stall whatever
	 * the peer does. */
	bool heard = now - last_rx <= s->heard_ms || out->len > out->off;
	if (!stall_armed(s, w) || !heard || now - s->last_page <= s->ms)
		return 0;
	st->stalled = true;
	if (out->len > out->off)
		return cr_error_set(err, ETIMEDOUT, "criu lazy-pages took none of %zu bytes of pages for %d ms: the "
				    "page transfer stalled", out->len - out->off, s->ms);
	if (w->n_pending > 0)
		return cr_error_set(err, ETIMEDOUT, "%s answered none of %zu page requests for %d ms: the page "
				    "transfer stalled", peer, w->n_pending, s->ms);
	return cr_error_set(err, ETIMEDOUT, "criu lazy-pages asked no page for %d ms while pages were still missing: "
			    "the page transfer stalled", s->ms);
}

int cr_page_relay_run(struct cr_page_relay *rl, struct cr_conn *c, int local, const struct cr_page_relay_opts *o,
		      struct cr_page_relay_stats *st, Crwire__Envelope **ret_result, struct cr_error *err)
{
	const int idle_ms = o->idle_ms;
	/* criu lazy-pages reads a request's answer whole before the next:
	 * at the destination a read of requests is at most a few of them. */
	size_t chunk = rl->source ? CR_PAGE_RELAY_CHUNK : REQ_CHUNK;
	cleanup_free uint8_t *buf = malloc(chunk);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct cr_page_wire *w = &rl->w;
	struct cr_page_buf *out = &rl->out;
	st->conn_failed = st->stalled = st->resume_knock = false;
	/* A page request is a few dozen bytes: Nagle's algorithm would hold it
	 * back for the acknowledgement of the previous answer. */
	cr_conn_nodelay(c->io.fd);
	int r = resend(c, rl, st, err);
	if (r < 0)
		return r;
	/* The idle timeout and the stall watchdog count from here: a resumed
	 * transfer starts them anew. */
	int64_t last_rx = now_ms(), last_tx = last_rx;
	struct stall stall = {.ms = rl->source ? 0 : o->stall_ms, .last_page = last_rx,
			      .fault = !rl->source && cr_fault_injected(CR_FAULT_LAZY_STALL)};
	stall.heard_ms = stall.ms / 2 < 2 * KEEPALIVE_MS ? stall.ms / 2 : 2 * KEEPALIVE_MS;
	while (!rl->local_done || !rl->shut) {
		if (rl->peer_done && !rl->shut && peer_bytes_waiting(rl) == 0) {
			(void)shutdown(local, SHUT_WR); /* the peer's criu ended: so does ours */
			rl->shut = true;
			continue;
		}
		/* A resumable transfer keeps what the peer has not acknowledged:
		 * the local criu waits while that is at its bound. */
		bool kept_full = rl->resumable && out_pending(&rl->kept) >= CR_PAGE_RELAY_KEPT_MAX;
		bool hear_local = !rl->local_done && !kept_full && !(stall.fault && stall_armed(&stall, w));
		short local_events = (hear_local ? POLLIN : 0) | (out_pending(out) ? POLLOUT : 0);
		/* Back-pressure: no more from the peer while the local criu lags. */
		bool take_peer = !rl->peer_done && peer_bytes_waiting(rl) < OUT_HIGH_WATER;
		struct pollfd p[3] = {{.fd = local_events ? local : -1, .events = local_events},
				      {.fd = take_peer || kept_full ? c->io.fd : -1, .events = POLLIN},
				      {.fd = o->resume_fd ? *o->resume_fd : -1, .events = POLLIN}};
		int n = poll(p, 3, KEEPALIVE_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "waiting for page data");
		int64_t now = now_ms();
		if (now - last_rx > idle_ms) {
			if (rl->peer_done)
				return cr_error_set(err, ETIMEDOUT, "the local criu did not end its page session "
						    "within %d ms of %s's", idle_ms, c->peer_name);
			st->conn_failed = true;
			return cr_error_set(err, ETIMEDOUT, "no word from %s for %d ms", c->peer_name, idle_ms);
		}
		if (!rl->local_done && (r = stall_check(&stall, w, out, now, last_rx, c->peer_name, st, err)) < 0)
			return r;
		/* Quiet is normal before the restore there asks its first page:
		 * say we are here, so that the peer's idle timeout means a dead
		 * link only. Pages received and not acknowledged for a while are
		 * acknowledged the same way. */
		bool ack_due = rl->resumable && rl->received - rl->acked_sent >= CR_PAGE_RELAY_ACK_EVERY;
		if ((!rl->local_done && now - last_tx >= KEEPALIVE_MS) || ack_due) {
			if ((r = send_data(c, rl, NULL, 0, false, err)) < 0) {
				st->conn_failed = true;
				return cr_error_wrap(err, "page data to %s", c->peer_name);
			}
			last_tx = now;
		}
		if (n == 0)
			continue;
		if (p[2].revents) {
			st->conn_failed = st->resume_knock = true;
			return cr_error_set(err, ECONNRESET, "%s resumes the page transfer on a new connection",
					    c->peer_name);
		}
		bool took = false;
		if ((p[0].revents & POLLOUT) && (r = flush_local(rl, local, &took, err)) < 0)
			return r;
		if (hear_local && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = recv(local, buf, chunk, MSG_DONTWAIT);
			if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return cr_error_errno(err, "reading from the local criu");
			if (got >= 0) {
				rl->local_done = got == 0;
				if ((r = on_local(c, rl, buf, (size_t)got, st, err)) < 0)
					return r;
				last_tx = now;
				took = took || got > 0;
			}
		}
		if (p[1].revents) {
			if (now - last_rx > stall.heard_ms)
				stall.last_page = now; /* heard again after a silence: a fresh count */
			last_rx = now;
			uint64_t from_peer = st->from_peer;
			if ((r = on_peer(c, rl, st, ret_result, err)) < 0)
				return r;
			rl->peer_done = rl->peer_done || r == 1;
			took = took || st->from_peer != from_peer;
			if ((r = flush_local(rl, local, &took, err)) < 0)
				return r;
		}
		if (rl->source && !rl->dropped && rl->sent >= FAULT_DROP_AT && cr_fault_injected(CR_FAULT_DROP_PAGES)) {
			/* A test's connection lost without a word: its socket
			 * is kept open (a copy leaks), so the peer hears of
			 * it only by the resume or its idle timeout. */
			rl->dropped = st->conn_failed = true;
			(void)fcntl(c->io.fd, F_DUPFD_CLOEXEC, 0);
			return cr_error_set(err, ECONNRESET, "the page connection to %s was dropped (test fault %s)",
					    c->peer_name, cr_fault_name(CR_FAULT_DROP_PAGES));
		}
		if (took)
			stall.last_page = now;
		if (o->progress)
			o->progress(o->ctx, st);
	}
	return 0;
}

int cr_page_relay(struct cr_conn *c, int local, bool source, uint32_t push_cap, const struct cr_page_relay_opts *o,
		  struct cr_page_relay_stats *st, Crwire__Envelope **ret_result, struct cr_error *err)
{
	struct cr_page_relay *rl = malloc(sizeof(*rl));
	if (!rl)
		return cr_error_set(err, ENOMEM, "out of memory");
	cr_page_relay_init(rl, source, push_cap, false);
	int r = cr_page_relay_run(rl, c, local, o, st, ret_result, err);
	cr_page_relay_release(rl);
	free(rl);
	return r;
}
