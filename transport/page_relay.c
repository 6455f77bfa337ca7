/* The lazy-pages relay between a local criu socket and a corrald connection. */
#define LOG_PREFIX "relay: "
#include "transport/page_relay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#define KEEPALIVE_MS 1000 /* an empty PageData when nothing else went for this long */

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

static int write_local(int fd, const uint8_t *buf, size_t len, int idle_ms, struct cr_error *err)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return cr_error_errno(err, "writing to the local criu");
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int r = poll(&p, 1, idle_ms);
		if (r == 0)
			return cr_error_set(err, ETIMEDOUT, "the local criu took no page data for %d ms", idle_ms);
		if (r < 0 && errno != EINTR)
			return cr_error_errno(err, "waiting for the local criu");
	}
	return 0;
}

/* One message from the peer: 1 when it was its final PageData. */
static int on_peer(struct cr_conn *c, int local, int idle_ms, struct cr_page_relay_stats *st,
		   Crwire__Envelope **ret_result, struct cr_error *err)
{
	cleanup_envelope Crwire__Envelope *m = NULL;
	int r = cr_conn_recv(c, &m, err);
	if (r < 0) {
		st->conn_failed = true;
		return r;
	}
	if (m->body_case == CRWIRE__ENVELOPE__BODY_RESULT) {
		if (ret_result)
			*ret_result = steal_pointer(&m);
		return cr_error_set(err, ECANCELED, "%s ended the page transfer", c->peer_name);
	}
	if (m->body_case != CRWIRE__ENVELOPE__BODY_PAGE_DATA)
		return cr_error_set(err, EPROTO, "%s sent %s amid page data", c->peer_name, cr_wire_body_name(m));
	const Crwire__PageData *pd = m->page_data;
	if (pd->has_data && pd->data.len > 0)
		st->msgs_from_peer++;
	if (pd->has_data && pd->data.len > 0) {
		if ((r = write_local(local, pd->data.data, pd->data.len, idle_ms, err)) < 0)
			return r;
		st->from_peer += pd->data.len;
	}
	if (pd->has_final && pd->final) {
		(void)shutdown(local, SHUT_WR);
		return 1;
	}
	return 0;
}

int cr_page_relay(struct cr_conn *c, int local, int idle_ms, struct cr_page_relay_stats *st,
		  void (*progress)(void *ctx, const struct cr_page_relay_stats *st), void *ctx,
		  Crwire__Envelope **ret_result, struct cr_error *err)
{
	cleanup_free uint8_t *buf = malloc(CR_PAGE_RELAY_CHUNK);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory");
	/* A page request is a few dozen bytes: Nagle's algorithm would hold it
	 * back for the acknowledgement of the previous answer. */
	int one = 1;
	(void)setsockopt(c->io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bool local_done = false, peer_done = false;
	int64_t last_rx = now_ms(), last_tx = last_rx;
	while (!local_done || !peer_done) {
		struct pollfd p[2] = {{.fd = local_done ? -1 : local, .events = POLLIN},
				      {.fd = peer_done ? -1 : c->io.fd, .events = POLLIN}};
		int n = poll(p, 2, KEEPALIVE_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "waiting for page data");
		int64_t now = now_ms();
		if (now - last_rx > idle_ms) {
			if (peer_done)
				return cr_error_set(err, ETIMEDOUT, "the local criu did not end its page session within "
						    "%d ms of %s's", idle_ms, c->peer_name);
			st->conn_failed = true;
			return cr_error_set(err, ETIMEDOUT, "no word from %s for %d ms", c->peer_name, idle_ms);
		}
		/* Quiet is normal before the restore there asks its first page:
		 * say we are here, so that the peer's idle timeout means a dead
		 * link only. */
		if (!local_done && now - last_tx >= KEEPALIVE_MS) {
			if (send_data(c, NULL, 0, false, err) < 0) {
				st->conn_failed = true;
				return -err->code;
			}
			last_tx = now;
		}
		if (n == 0)
			continue;
		if (p[0].revents) {
			ssize_t got = recv(local, buf, CR_PAGE_RELAY_CHUNK, MSG_DONTWAIT);
			if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return cr_error_errno(err, "reading from the local criu");
			if (got >= 0) {
				local_done = got == 0;
				int r = send_data(c, buf, (size_t)got, local_done, err);
				if (r < 0) {
					st->conn_failed = true;
					return r;
				}
				st->to_peer += (uint64_t)got;
				st->msgs_to_peer++;
				last_tx = now;
			}
		}
		if (p[1].revents) {
			last_rx = now;
			int r = on_peer(c, local, idle_ms, st, ret_result, err);
			if (r < 0)
				return r;
			peer_done = r == 1;
		}
		if (progress)
			progress(ctx, st);
	}
	return 0;
}
