/* Sending an image: Prepare, ImageChunk messages, the peer's verdict. To a
 * peer of protocol 1.2 an image to unpack streams at once (Prepare.at_once:
 * no go-ahead to wait for) and its verdict may be left to the next call
 * (cr_peer_image_end). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport/client_internal.h"
#include "util/cleanup.h"

int cr_peer_image_begin(struct cr_peer *p, const char *name, uint64_t size_hint, bool unpack,
			struct cr_error *err)
{
	if (p->sending)
		return cr_error_set(err, EBUSY, "an image is already being sent to %s",
				    p->conn.peer_name);
	if (!p->chunk && !(p->chunk = malloc(CR_PEER_IMAGE_CHUNK)))
		return cr_error_set(err, ENOMEM, "out of memory");
	Crwire__Prepare q = CRWIRE__PREPARE__INIT;
	q.name = (char *)name;
	q.has_size_hint = size_hint > 0;
	q.size_hint = size_hint;
	q.has_unpack = unpack;
	q.unpack = unpack;
	/* Streamed at once: its one Result (the image's verdict) is owed. */
	bool at_once = unpack && cr_peer_speaks(p, 1, 2);
	q.has_at_once = at_once;
	q.at_once = at_once;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_PREPARE;
	req.prepare = &q;
	int r = at_once ? cr_peer_send_pending(p, &req, "image", false, err) : cr_peer_call(p, &req, NULL, err);
	if (r < 0)
		return r;
	p->at_once = at_once;
	p->sending = true;
	p->chunk_len = 0;
	p->sent = 0;
	return 0;
}

static int send_chunk(struct cr_peer *p, bool final, struct cr_error *err)
{
	Crwire__ImageChunk ch = CRWIRE__IMAGE_CHUNK__INIT;
	ch.has_data = true;
	ch.data.data = p->chunk;
	ch.data.len = p->chunk_len;
	ch.has_final = final;
	ch.final = final;
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_IMAGE_CHUNK;
	m.image_chunk = &ch;
	int r = cr_peer_send(p, &m, "sending the image", err);
	if (r < 0)
		return r;
	p->sent += p->chunk_len;
	p->chunk_len = 0;
	return 0;
}

static ssize_t image_write(void *ctx, const void *buf, size_t len, struct cr_error *err)
{
	struct cr_peer *p = ctx;
	if (!p->sending)
		return cr_error_set(err, EINVAL, "no image stream to %s was begun",
				    p->conn.peer_name);
	size_t n = CR_PEER_IMAGE_CHUNK - p->chunk_len;
	if (n > len)
		n = len;
	memcpy(p->chunk + p->chunk_len, buf, n);
	p->chunk_len += n;
	if (p->chunk_len == CR_PEER_IMAGE_CHUNK) {
		int r = send_chunk(p, false, err);
		if (r < 0)
			return r;
	}
	return (ssize_t)n;
}

struct cr_image_io cr_peer_image_io(struct cr_peer *p)
{
	struct cr_image_io io = {.write = image_write, .ctx = p, .fd = -1};
	return io;
}

int cr_peer_image_end(struct cr_peer *p, uint64_t *ret_bytes, struct cr_error *err)
{
	if (!p->sending || !p->at_once)
		return cr_peer_image_finish(p, ret_bytes, err);
	p->sending = false;
	int r = send_chunk(p, true, err);
	if (r == 0 && ret_bytes)
		*ret_bytes = p->sent;
	return r;
}

int cr_peer_image_finish(struct cr_peer *p, uint64_t *ret_bytes, struct cr_error *err)
{
	if (!p->sending)
		return cr_error_set(err, EINVAL, "no image stream to %s was begun",
				    p->conn.peer_name);
	p->sending = false;
	int r = send_chunk(p, true, err);
	if (r < 0)
		return r;
	if (p->at_once) { /* its verdict is the Result owed */
		if ((r = cr_peer_collect(p, err)) == 0 && ret_bytes)
			*ret_bytes = p->sent;
		return r;
	}
	cleanup_envelope Crwire__Envelope *reply = NULL;
	r = cr_peer_wait_result(p, "image", &reply, err);
	if (r < 0)
		return r;
	if (ret_bytes)
		*ret_bytes = reply->result->has_bytes ? reply->result->bytes : p->sent;
	return 0;
}

int cr_peer_send_image(struct cr_peer *p, const char *name, int fd, struct cr_error *err)
{
	int r = cr_peer_image_begin(p, name, 0, false, err);
	if (r < 0)
		return r;
	struct cr_image_io out = cr_peer_image_io(p);
	cleanup_free uint8_t *buf = malloc(CR_PEER_IMAGE_CHUNK);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf, CR_PEER_IMAGE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "cannot read the image to send to %s",
					      p->conn.peer_name);
		if (n == 0)
			break;
		r = cr_io_write_all(&out, buf, (size_t)n, err);
		if (r < 0)
			return r;
	}
	return cr_peer_image_finish(p, NULL, err);
}
