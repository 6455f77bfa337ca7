/* The client's connection state, shared by client.c and client_image.c. */
#ifndef CORRAL_TRANSPORT_CLIENT_INTERNAL_H
#define CORRAL_TRANSPORT_CLIENT_INTERNAL_H

#include "transport/client.h"
#include "transport/conn.h"
#include "transport_wire.pb-c.h"

#define CR_PEER_MAX_PENDING 4

struct cr_peer {
	struct cr_conn conn;
	int fd;
	struct cr_peer_info local, remote;
	uint64_t next_id;
	/* An image being sent: bytes not yet in a chunk, and how many went. */
	uint8_t *chunk;
	size_t chunk_len;
	bool sending;
	bool at_once; /* streamed without a go-ahead (Prepare.at_once) */
	uint64_t sent;
	/* Requests sent and not answered yet (pipelined, protocol 1.2): their
	 * Results come in order, before the next call's. */
	struct cr_peer_pending {
		const char *what;   /* for the error: "image", "prepare_arrival" */
		bool tolerated;     /* a refusal is logged, not returned */
	} pending[CR_PEER_MAX_PENDING];
	size_t n_pending;
};

/* Whether the peer's Hello says protocol MAJOR.MINOR or a later minor. */
bool cr_peer_speaks(const struct cr_peer *p, unsigned major, unsigned minor);

/* Send REQ (its id set here) without waiting: its Result is collected, in
 * order, by the next call or cr_peer_collect. TOLERATED: a refusal is only
 * logged (a request the call can do without). */
int cr_peer_send_pending(struct cr_peer *p, Crwire__Envelope *req, const char *what, bool tolerated,
			 struct cr_error *err);

/* Send MSG, WHAT naming it in the error. When the peer has closed the
 * connection (EPIPE, ECONNRESET) and Results are owed, they are read
 * first: the refusal the peer sent before it closed is the error, not
 * the broken pipe. */
int cr_peer_send(struct cr_peer *p, const Crwire__Envelope *msg, const char *what, struct cr_error *err);

/* Wait for the Result answering WHAT (see cr_peer_call). */
int cr_peer_wait_result(struct cr_peer *p, const char *what, Crwire__Envelope **ret_reply,
			struct cr_error *err);

#endif
