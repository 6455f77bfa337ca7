/* The client's connection state, shared by client.c and client_image.c. */
#ifndef CORRAL_TRANSPORT_CLIENT_INTERNAL_H
#define CORRAL_TRANSPORT_CLIENT_INTERNAL_H

#include "transport/client.h"
#include "transport/conn.h"
#include "transport_wire.pb-c.h"

struct cr_peer {
	struct cr_conn conn;
	int fd;
	struct cr_peer_info local, remote;
	uint64_t next_id;
	/* An image being sent: bytes not yet in a chunk, and how many went. */
	uint8_t *chunk;
	size_t chunk_len;
	bool sending;
	uint64_t sent;
};

/* Wait for the Result answering WHAT (see cr_peer_call). */
int cr_peer_wait_result(struct cr_peer *p, const char *what, Crwire__Envelope **ret_reply,
			struct cr_error *err);

#endif
