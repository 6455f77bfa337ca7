/* The lazy-pages relay: CRIU's page-server traffic between a local socket
 * (a criu dump --lazy-pages on the source, a criu lazy-pages on the
 * destination) and a corrald connection, as PageData messages. Nothing
 * listens on the network: both criu ends talk to a socketpair. Every read
 * from the local socket goes out as one message at once (a fault's answer
 * never waits in a buffer behind a batch of pushed pages). Both relays
 * follow CRIU's protocol (transport/page_wire.h): they count the pages of
 * faults and of the background push alike, and the source caps each push
 * request so that a fault waits behind one short answer at most. */
#ifndef CORRAL_TRANSPORT_PAGE_RELAY_H
#define CORRAL_TRANSPORT_PAGE_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "transport/conn.h"
#include "transport/page_wire.h"
#include "util/error.h"

#define CR_PAGE_RELAY_CHUNK (256 * 1024) /* largest PageData payload sent */
#define CR_PAGE_RELAY_STALL_MS 5000 /* the destination's default stall bound */
#define CR_PAGE_RELAY_PUSH_CAP (512 * 1024) /* the source's default cap of a push answer */

struct cr_page_relay_stats {
	uint64_t to_peer, from_peer;      /* payload bytes each way */
	uint64_t msgs_to_peer, msgs_from_peer;
	struct cr_page_counts pages;      /* answered pages: faults' and the push's */
	bool conn_failed; /* the relay failed on the connection, not on the local criu */
	bool stalled;     /* the destination's stall watchdog ended it */
};

struct cr_page_relay_opts {
	bool source;          /* LOCAL is the dump's page server (else criu lazy-pages) */
	uint32_t push_cap;    /* source: bytes a push request may take; 0: the default */
	int idle_ms;
	/* Destination: once the background push began (criu lazy-pages asks it
	 * only after the restore finished, and then until every page is there),
	 * this long without a page either way while the peer is heard is a
	 * stall, -ETIMEDOUT with ->stalled set (0: no watchdog). */
	int stall_ms;
	/* Called after each message with CTX (may be NULL). */
	void (*progress)(void *ctx, const struct cr_page_relay_stats *st);
	void *ctx;
};

/* Relay between LOCAL (a connected stream socket) and C, as O says, until both sides
 * have ended: the local criu closed its socket (then PageData{final} goes to
 * the peer) and the peer sent its final PageData (then LOCAL's write side is
 * shut). While the local side has not ended, an empty PageData goes out
 * after a second without one (before the restore there asks its first
 * page, nothing else would); O->idle_ms without a message from the peer is
 * -ETIMEDOUT (and so is a stall, as O->stall_ms says). A message other than
 * PageData from the peer is -EPROTO, except a Result, which ends the relay
 * with -ECANCELED: *RET_RESULT (when not NULL) then holds it. */
int cr_page_relay(struct cr_conn *c, int local, const struct cr_page_relay_opts *o, struct cr_page_relay_stats *st,
		  Crwire__Envelope **ret_result, struct cr_error *err);

#endif
