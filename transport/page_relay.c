/* The lazy-pages relay between a local criu socket and a corrald connection. */
#define LOG_PREFIX "relay: "
#include "transport/page_relay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

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
	if (r < 0)
		return r;
	if (m->body_case == CRWIRE__ENVELOPE__BODY_RESULT) {
		if (ret_result)
			*ret_result = steal_pointer(&m);
		return cr_error_set(err, ECANCELED, "%s ended the page transfer", c->peer_name);
	}
	if (m->body_case != CRWIRE__ENVELOPE__BODY_PAGE_DATA)
		return cr_error_set(err, EPROTO, "%s sent %s amid page data", c->peer_name, cr_wire_body_name(m));
	const Crwire__PageData *pd = m->page_data;
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
	while (!local_done || !peer_done) {
		struct pollfd p[2] = {{.fd = local_done ? -1 : local, .events = POLLIN},
				      {.fd = peer_done ? -1 : c->io.fd, .events = POLLIN}};
		int n = poll(p, 2, idle_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "waiting for page data");
		if (n == 0)
			return cr_error_set(err, ETIMEDOUT, "no page data either way for %d ms", idle_ms);
		if (p[0].revents) {
			ssize_t got = recv(local, buf, CR_PAGE_RELAY_CHUNK, MSG_DONTWAIT);
			if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return cr_error_errno(err, "reading from the local criu");
			if (got >= 0) {
				local_done = got == 0;
				int r = send_data(c, buf, (size_t)got, local_done, err);
				if (r < 0)
					return r;
				st->to_peer += (uint64_t)got;
				st->msgs_to_peer++;
			}
		}
		if (p[1].revents) {
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
