/* One corrald connection: length-prefixed frames over a socket with an idle
 * timeout on every read and write, encrypted with one secretstream per
 * direction once the handshake is done (docs/protocol.md). */
#ifndef CORRAL_TRANSPORT_CONN_H
#define CORRAL_TRANSPORT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "crypto/crypto_stream.h"
#include "formats/image_io.h"
#include "util/error.h"

/* The wire's messages (transport_wire.proto). Their generated header is seen
 * inside transport/ only: outside, a message is a pointer passed along. */
typedef struct Crwire__Envelope Crwire__Envelope;

#define CR_WIRE_FRAME_MAX (16u * 1024 * 1024) /* stored bytes of one frame */
#define CR_WIRE_MSG_MAX (CR_WIRE_FRAME_MAX - CR_STREAM_ABYTES)
#define CR_WIRE_DEFAULT_PORT 7711
#define CR_WIRE_IDLE_TIMEOUT_MS 30000

struct cr_conn {
	struct cr_image_io io;     /* raw bytes: a socket with a timeout, or memory */
	struct cr_stream_push *tx; /* NULL until the handshake is done (or a local socket) */
	struct cr_stream_pull *rx;
	bool rx_final;             /* the peer's stream ended (it said goodbye) */
	char *peer_name;           /* heap: the trusted-peers name, or "local" */
	uint8_t peer_pk[CR_HOSTKEY_BYTES];
};

/* A connection over FD (kept by the caller) with TIMEOUT_MS of idle time. */
void cr_conn_init(struct cr_conn *c, int fd, int timeout_ms);

/* Release the streams and the name (not the fd). */
void cr_conn_release(struct cr_conn *c);

/* Every message of a request-answer protocol leaves at once: Nagle's
 * algorithm off on a TCP connection FD (its first message would otherwise
 * wait for the acknowledgement the peer delays, 40 ms a round trip). */
void cr_conn_nodelay(int fd);

/* Write one frame: length:u32le then LEN bytes. LEN > CR_WIRE_FRAME_MAX is
 * refused. */
int cr_wire_frame_write(const struct cr_image_io *io, const void *buf, size_t len,
		   struct cr_error *err);

/* Read one frame of at most MAX bytes into a heap buffer. A longer length is
 * refused before anything is allocated (-EMSGSIZE); a peer that closed
 * cleanly before the first byte gives -ENOTCONN, one that closed mid-frame
 * -ECONNRESET. */
int cr_wire_frame_read(const struct cr_image_io *io, size_t max, uint8_t **ret_buf,
		  size_t *ret_len, struct cr_error *err);

/* Send one message (encrypted when the connection is). */
int cr_conn_send(struct cr_conn *c, const Crwire__Envelope *msg, struct cr_error *err);

/* Receive one message; free it with crwire__envelope__free_unpacked(m, NULL).
 * A frame that fails authentication (altered, replayed, reordered, wrong key)
 * is -EBADMSG. */
int cr_conn_recv(struct cr_conn *c, Crwire__Envelope **ret_msg, struct cr_error *err);

/* Decode a received frame's bytes (decrypting when the connection is
 * encrypted). Exposed for the fuzz target. */
int cr_conn_decode(struct cr_conn *c, const uint8_t *frame, size_t len,
		   Crwire__Envelope **ret_msg, struct cr_error *err);

/* The name of a message's body ("ping", "image_chunk"...) for errors. */
const char *cr_wire_body_name(const Crwire__Envelope *m);

/* Free *M (NULL is fine): for cleanup_envelope. */
void cr_envelope_freep(Crwire__Envelope **m);
#define cleanup_envelope __attribute__((cleanup(cr_envelope_freep)))

#endif
