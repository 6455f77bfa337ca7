/* The lazy-pages relay between a local criu socket and a corrald connection. */
#define LOG_PREFIX "relay: "
#include "transport/page_relay.h"
#include "transport_wire.pb-c.h"

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

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_data(struct cr_conn *c, const uint8_t *buf, size_t len, bool final, struct cr_error *err)
{
	Crwire__PageData pd = CRWIRE__PAGE_DATA__INIT;
	pd.has_data = len > 0;
	pd.data.data = (uint8_t *)buf;
	pd.data.len = len;
	pd.has_final = final;
	pd.final = final;
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_PAGE_DATA;
	m.page_data = &pd;
	return cr_conn_send(c, &m, err);
}

/* Bytes from the peer not yet taken by the local criu. They are written as
 * the socket takes them, never blocking: meanwhile the relay keeps reading
 * the local criu's requests (criu lazy-pages sends them with MSG_DONTWAIT
 * and fails when its socket is full). */
struct outbuf {
	uint8_t *data;
	size_t len, off, cap;
};

static int out_add(struct outbuf *o, const uint8_t *buf, size_t len, struct cr_error *err)
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
static int out_flush(struct outbuf *o, int fd, bool *ret_took, struct cr_error *err)
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

static size_t out_pending(const struct outbuf *o)
{
	return o->len - o->off;
}

/* One message from the peer: 1 when it was its final PageData. Its bytes
 * are answers (to criu lazy-pages) or, at the source, requests, which go
 * to the dump's page server whole and capped. */
static int on_peer(struct cr_conn *c, bool source, struct cr_page_wire *w, struct outbuf *out,
		   struct cr_page_relay_stats *st, Crwire__Envelope **ret_result, struct cr_error *err)
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
	if (pd->has_data && pd->data.len > 0) {
		st->msgs_from_peer++;
		st->from_peer += pd->data.len;
		if (source) {
			cleanup_free uint8_t *reqs = malloc(pd->data.len + CR_PAGE_WIRE_HDR);
			size_t n = 0;
			if (!reqs)
				return cr_error_set(err, ENOMEM, "out of memory");
			if ((r = cr_page_wire_requests(w, pd->data.data, pd->data.len, reqs, &n, err)) < 0 ||
			    (r = out_add(out, reqs, n, err)) < 0)
				return r;
		} else {
			if ((r = cr_page_wire_answers(w, pd->data.data, pd->data.len, err)) < 0 ||
			    (r = out_add(out, pd->data.data, pd->data.len, err)) < 0)
				return r;
		}
		st->pages = w->counts;
	}
	return pd->has_final && pd->final ? 1 : 0;
}

/* What the local criu said (GOT bytes in BUF; 0: it ended), sent on at
 * once: answers as they are, requests whole. */
static int on_local(struct cr_conn *c, bool source, struct cr_page_wire *w, uint8_t *buf, size_t got,
		    struct cr_page_relay_stats *st, struct cr_error *err)
{
	int r;
	size_t n = got;
	uint8_t reqs[REQ_CHUNK + CR_PAGE_WIRE_HDR];
	const uint8_t *send = buf;
	if (source) {
		if ((r = cr_page_wire_answers(w, buf, got, err)) < 0)
			return r;
	} else if (got > 0) {
		if ((r = cr_page_wire_requests(w, buf, got, reqs, &n, err)) < 0)
			return r;
		send = reqs;
		if (n == 0)
			return 0; /* the rest of a request follows */
	}
	st->pages = w->counts;
	if ((r = send_data(c, send, n, got == 0, err)) < 0) {
		st->conn_failed = true;
		return cr_error_wrap(err, "page data to %s", c->peer_name);
	}
	st->to_peer += n;
	st->msgs_to_peer++;
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

static int stall_check(const struct stall *s, const struct cr_page_wire *w, const struct outbuf *out, int64_t now,
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

int cr_page_relay(struct cr_conn *c, int local, const struct cr_page_relay_opts *o, struct cr_page_relay_stats *st,
		  Crwire__Envelope **ret_result, struct cr_error *err)
{
	const int idle_ms = o->idle_ms;
	/* criu lazy-pages reads a request's answer whole before the next:
	 * at the destination a read of requests is at most a few of them. */
	size_t chunk = o->source ? CR_PAGE_RELAY_CHUNK : REQ_CHUNK;
	cleanup_free uint8_t *buf = malloc(chunk);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct cr_page_wire w;
	uint32_t cap = o->push_cap ? o->push_cap : CR_PAGE_RELAY_PUSH_CAP;
	cr_page_wire_init(&w, o->source ? (cap + CR_PAGE_WIRE_PAGE - 1) / CR_PAGE_WIRE_PAGE : 0);
	/* A page request is a few dozen bytes: Nagle's algorithm would hold it
	 * back for the acknowledgement of the previous answer. */
	cr_conn_nodelay(c->io.fd);
	struct outbuf out = {0};
	int r = 0;
	bool local_done = false, peer_done = false, shut = false;
	int64_t last_rx = now_ms(), last_tx = last_rx;
	struct stall stall = {.ms = o->source ? 0 : o->stall_ms, .last_page = last_rx,
			      .fault = !o->source && cr_fault_injected(CR_FAULT_LAZY_STALL)};
	stall.heard_ms = stall.ms / 2 < 2 * KEEPALIVE_MS ? stall.ms / 2 : 2 * KEEPALIVE_MS;
	while (!local_done || !shut) {
		if (peer_done && !shut && out_pending(&out) == 0) {
			(void)shutdown(local, SHUT_WR); /* the peer's criu ended: so does ours */
			shut = true;
			continue;
		}
		bool hear_local = !local_done && !(stall.fault && stall_armed(&stall, &w));
		short local_events = (hear_local ? POLLIN : 0) | (out_pending(&out) ? POLLOUT : 0);
		/* Back-pressure: no more from the peer while the local criu lags. */
		bool take_peer = !peer_done && out_pending(&out) < OUT_HIGH_WATER;
		struct pollfd p[2] = {{.fd = local_events ? local : -1, .events = local_events},
				      {.fd = take_peer ? c->io.fd : -1, .events = POLLIN}};
		int n = poll(p, 2, KEEPALIVE_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = cr_error_errno(err, "waiting for page data");
			goto out;
		}
		int64_t now = now_ms();
		if (now - last_rx > idle_ms) {
			if (peer_done) {
				r = cr_error_set(err, ETIMEDOUT, "the local criu did not end its page session within "
						 "%d ms of %s's", idle_ms, c->peer_name);
				goto out;
			}
			st->conn_failed = true;
			r = cr_error_set(err, ETIMEDOUT, "no word from %s for %d ms", c->peer_name, idle_ms);
			goto out;
		}
		if (!local_done && (r = stall_check(&stall, &w, &out, now, last_rx, c->peer_name, st, err)) < 0)
			goto out;
		/* Quiet is normal before the restore there asks its first page:
		 * say we are here, so that the peer's idle timeout means a dead
		 * link only. */
		if (!local_done && now - last_tx >= KEEPALIVE_MS) {
			if ((r = send_data(c, NULL, 0, false, err)) < 0) {
				st->conn_failed = true;
				cr_error_wrap(err, "page data to %s", c->peer_name);
				goto out;
			}
			last_tx = now;
		}
		if (n == 0)
			continue;
		bool took = false;
		if (p[0].revents & POLLOUT) {
			if ((r = out_flush(&out, local, &took, err)) < 0)
				goto out;
		}
		if (hear_local && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = local_done ? 0 : recv(local, buf, chunk, MSG_DONTWAIT);
			if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				r = cr_error_errno(err, "reading from the local criu");
				goto out;
			}
			if (got >= 0 && !local_done) {
				local_done = got == 0;
				if ((r = on_local(c, o->source, &w, buf, (size_t)got, st, err)) < 0)
					goto out;
				last_tx = now;
				took = took || got > 0;
			}
		}
		if (p[1].revents) {
			if (now - last_rx > stall.heard_ms)
				stall.last_page = now; /* heard again after a silence: a fresh count */
			last_rx = now;
			uint64_t from_peer = st->from_peer;
			r = on_peer(c, o->source, &w, &out, st, ret_result, err);
			if (r < 0)
				goto out;
			peer_done = r == 1;
			r = 0;
			took = took || st->from_peer != from_peer;
			if ((r = out_flush(&out, local, &took, err)) < 0)
				goto out;
		}
		if (took)
			stall.last_page = now;
		if (o->progress)
			o->progress(o->ctx, st);
	}
out:
	free(out.data);
	return r;
}
