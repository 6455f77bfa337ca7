/* Frames and encrypted messages on one connection. */
#define LOG_PREFIX "conn: "
#include "transport/conn.h"
#include "transport_wire.pb-c.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/cleanup.h"
#include "util/log.h"

void cr_conn_init(struct cr_conn *c, int fd, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->io = cr_image_io_fd_timeout(fd, timeout_ms);
}

void cr_conn_release(struct cr_conn *c)
{
	cr_stream_push_free(c->tx);
	cr_stream_pull_free(c->rx);
	free(c->peer_name);
	c->tx = NULL;
	c->rx = NULL;
	c->peer_name = NULL;
}

#define FRAME_COALESCE_MAX (64u << 10)

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int cr_wire_frame_write(const struct cr_image_io *io, const void *buf, size_t len,
		   struct cr_error *err)
{
	if (len > CR_WIRE_FRAME_MAX)
		return cr_error_set(err, EMSGSIZE, "frame of %zu bytes exceeds the %u-byte cap", len,
				    CR_WIRE_FRAME_MAX);
	/* A small frame leaves in one write: a length alone in a segment would
	 * wait for the peer's delayed acknowledgement where Nagle's algorithm
	 * is on (40 ms per message). */
	if (len <= FRAME_COALESCE_MAX) {
		cleanup_free uint8_t *whole = malloc(4 + len);
		if (!whole)
			return cr_error_set(err, ENOMEM, "out of memory for a %zu-byte frame", len);
		put_le32(whole, (uint32_t)len);
		if (len > 0)
			memcpy(whole + 4, buf, len);
		return cr_io_write_all(io, whole, 4 + len, err);
	}
	uint8_t hdr[4];
	put_le32(hdr, (uint32_t)len);
	int r = cr_io_write_all(io, hdr, sizeof(hdr), err);
	if (r == 0)
		r = cr_io_write_all(io, buf, len, err);
	return r;
}

void cr_conn_nodelay(int fd)
{
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails harmlessly on a unix socket */
}

int cr_wire_frame_read(const struct cr_image_io *io, size_t max, uint8_t **ret_buf,
		  size_t *ret_len, struct cr_error *err)
{
	uint8_t hdr[4];
	int r = cr_io_read_full(io, hdr, sizeof(hdr), "frame length", err);
	if (r < 0)
		return r;
	if (r == 1)
		return cr_error_set(err, ENOTCONN, "the peer closed the connection");
	uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
		       (uint32_t)hdr[3] << 24;
	if (len > max)
		return cr_error_set(err, EMSGSIZE, "frame of %u bytes exceeds the %zu-byte cap", len,
				    max);
	cleanup_free uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory for a %u-byte frame", len);
	if (len > 0) {
		r = cr_io_read_full(io, buf, len, "frame", err);
		if (r < 0)
			return r;
		if (r == 1)
			return cr_error_set(err, ECONNRESET, "the peer closed the connection mid-frame");
	}
	*ret_buf = steal_pointer(&buf);
	*ret_len = len;
	return 0;
}

int cr_conn_send(struct cr_conn *c, const Crwire__Envelope *msg, struct cr_error *err)
{
	size_t len = crwire__envelope__get_packed_size(msg);
	if (len > CR_WIRE_MSG_MAX)
		return cr_error_set(err, EMSGSIZE, "message %s of %zu bytes exceeds the %u-byte cap",
				    cr_wire_body_name(msg), len, CR_WIRE_MSG_MAX);
	size_t stored = len + (c->tx ? CR_STREAM_ABYTES : 0);
	cleanup_free uint8_t *plain = malloc(len ? len : 1);
	cleanup_free uint8_t *out = c->tx ? malloc(stored) : NULL;
	if (!plain || (c->tx && !out))
		return cr_error_set(err, ENOMEM, "out of memory for a %zu-byte message", len);
	crwire__envelope__pack(msg, plain);
	if (c->tx) {
		int r = cr_stream_push(c->tx, plain, len, NULL, 0, false, out, err);
		if (r < 0)
			return r;
	}
	cr_debug("send %s (%zu bytes)", cr_wire_body_name(msg), len);
	return cr_wire_frame_write(&c->io, c->tx ? out : plain, stored, err);
}

int cr_conn_decode(struct cr_conn *c, const uint8_t *frame, size_t len,
		   Crwire__Envelope **ret_msg, struct cr_error *err)
{
	cleanup_free uint8_t *plain = NULL;
	const uint8_t *body = frame;
	size_t body_len = len;
	if (c->rx) {
		if (c->rx_final)
			return cr_error_set(err, EPROTO, "message after the peer's final message");
		if (len < CR_STREAM_ABYTES)
			return cr_error_set(err, EBADMSG, "encrypted frame of %zu bytes is too short",
					    len);
		body_len = len - CR_STREAM_ABYTES;
		plain = malloc(body_len ? body_len : 1);
		if (!plain)
			return cr_error_set(err, ENOMEM, "out of memory for a %zu-byte frame", len);
		bool final = false;
		int r = cr_stream_pull(c->rx, frame, len, NULL, 0, plain, &final, err);
		if (r < 0)
			return cr_error_wrap(err, "frame from %s", c->peer_name ? c->peer_name : "peer");
		c->rx_final = final;
		body = plain;
	}
	Crwire__Envelope *m = crwire__envelope__unpack(NULL, body_len, body);
	if (!m)
		return cr_error_set(err, EPROTO, "malformed message (%zu bytes) from %s", body_len,
				    c->peer_name ? c->peer_name : "peer");
	*ret_msg = m;
	return 0;
}

int cr_conn_recv(struct cr_conn *c, Crwire__Envelope **ret_msg, struct cr_error *err)
{
	cleanup_free uint8_t *frame = NULL;
	size_t len = 0;
	int r = cr_wire_frame_read(&c->io, CR_WIRE_FRAME_MAX, &frame, &len, err);
	if (r < 0)
		return r;
	r = cr_conn_decode(c, frame, len, ret_msg, err);
	if (r == 0)
		cr_debug("recv %s (%zu bytes)", cr_wire_body_name(*ret_msg), len);
	return r;
}

const char *cr_wire_body_name(const Crwire__Envelope *m)
{
	switch (m->body_case) {
	case CRWIRE__ENVELOPE__BODY_HELLO:
		return "hello";
	case CRWIRE__ENVELOPE__BODY_PING:
		return "ping";
	case CRWIRE__ENVELOPE__BODY_PARTITION_EXISTS:
		return "partition_exists";
	case CRWIRE__ENVELOPE__BODY_PREFLIGHT:
		return "preflight";
	case CRWIRE__ENVELOPE__BODY_PREPARE:
		return "prepare";
	case CRWIRE__ENVELOPE__BODY_IMAGE_CHUNK:
		return "image_chunk";
	case CRWIRE__ENVELOPE__BODY_COMMIT:
		return "commit";
	case CRWIRE__ENVELOPE__BODY_ABORT:
		return "abort";
	case CRWIRE__ENVELOPE__BODY_RESULT:
		return "result";
	case CRWIRE__ENVELOPE__BODY_RESTORE:
		return "restore";
	case CRWIRE__ENVELOPE__BODY_LAZY_PAGES:
		return "lazy_pages";
	case CRWIRE__ENVELOPE__BODY_PAGE_DATA:
		return "page_data";
	case CRWIRE__ENVELOPE__BODY_PREPARE_ARRIVAL:
		return "prepare_arrival";
	default:
		return "unknown message";
	}
}

void cr_envelope_freep(Crwire__Envelope **m)
{
	if (*m)
		crwire__envelope__free_unpacked(*m, NULL);
}
