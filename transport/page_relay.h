/* The lazy-pages relay: CRIU's page-server traffic between a local socket
 * (a criu dump --lazy-pages on the source, a criu lazy-pages on the
 * destination) and a corrald connection, as PageData messages. Nothing
 * listens on the network: both criu ends talk to a socketpair. Every read
 * from the local socket goes out as one message at once (a fault's answer
 * never waits in a buffer behind a batch of pushed pages). Both relays
 * follow CRIU's protocol (transport/page_wire.h): they count the pages of
 * faults and of the background push alike, and the source caps each push
 * request so that a fault waits behind one short answer at most. With
 * priority (cr_page_relay_prioritize: criu lazy-pages takes answers in any
 * order, scripts/criu-patches/0010), the source passes a fault's request
 * to the dump's page server ahead of the push requests it holds (one push
 * request at the page server at a time) and the destination passes a
 * fault's answer to criu lazy-pages ahead of the push answers it has not
 * begun to pass. */
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
	uint32_t resumes; /* broken connections the transfer went on after */
	bool resume_knock; /* it ended for a resume waiting on O->resume_fd (the connection is whole) */
};

struct cr_page_relay_opts {
	int idle_ms;
	/* Destination: once the background push began (criu lazy-pages asks it
	 * only after the restore finished, and then until every page is there),
	 * this long without a page either way while the peer is heard is a
	 * stall, -ETIMEDOUT with ->stalled set (0: no watchdog). */
	int stall_ms;
	/* Called after each message with CTX (may be NULL). */
	void (*progress)(void *ctx, const struct cr_page_relay_stats *st);
	void *ctx;
	/* The destination of a resumable transfer: the socket that waits for
	 * its resume (transport/page_resume.h; NULL: none). A resume waiting
	 * there means the peer saw this connection break: the relay ends as
	 * on a broken connection (ST->conn_failed), without waiting for its
	 * idle timeout to say so. */
	const int *resume_fd;
};

/* Bytes waiting in order: data[off, len) (cap allocated). */
struct cr_page_buf {
	uint8_t *data;
	size_t len, off, cap;
};

/* One page transfer's state, which outlives its connection when the
 * transfer is resumable: both criu ends are followed (W), what came from the
 * peer and the local criu has not taken yet (OUT), and the bytes of this
 * side's stream the peer has not acknowledged (KEPT, from stream offset
 * KEPT_BASE), so that a new connection resends them. */
struct cr_page_relay {
	bool source;     /* LOCAL is the dump's page server (else criu lazy-pages) */
	bool resumable;  /* the peer acknowledges (PageData.acked): keep, ack, resume */
	struct cr_page_wire w;
	struct cr_page_buf out, kept;
	uint64_t kept_base;
	uint64_t sent;        /* bytes of this side's stream sent so far */
	uint64_t resend_from; /* after a rewind: resend from here (== sent: nothing to) */
	uint64_t received;    /* bytes of the peer's stream received */
	uint64_t acked_sent;  /* the last count of them this side sent as acked */
	bool local_done, peer_done, shut;
	bool dropped; /* CR_FAULT_DROP_PAGES struck */
	/* Priority: what waits behind faults (source: requests that are not
	 * faults', RELEASED of them passed to the page server so far;
	 * destination: push answers, HELD_ENDS the lengths of the whole ones as
	 * uint64_t, HELD_OPEN the bytes of the last when it is not whole yet).
	 * OPEN: the answer passing to criu lazy-pages goes on in the next bytes. */
	bool priority, open;
	struct cr_page_buf held, held_ends;
	uint64_t held_open, released;
};

#define CR_PAGE_RELAY_KEPT_MAX (16u << 20) /* unacknowledged bytes before the local criu waits */
#define CR_PAGE_RELAY_ACK_EVERY (1u << 20) /* received bytes acknowledged at least this often */

/* A transfer's state; PUSH_CAP (source: bytes a push request may take; 0:
 * the default) as for the first connection. */
void cr_page_relay_init(struct cr_page_relay *rl, bool source, uint32_t push_cap, bool resumable);
void cr_page_relay_release(struct cr_page_relay *rl);

/* Serve faults ahead of the push (see above). The destination sets it when
 * its criu has CR_CRIU_FEATURE_LAZY_ANY_ORDER; the source when the peer's
 * Hello lists it (the answers then come in another order than asked, which
 * only such a criu lazy-pages, behind such a relay, takes). Before the
 * first run. */
void cr_page_relay_prioritize(struct cr_page_relay *rl);

/* Before a resumed connection's relay: the peer had received PEER_RECEIVED
 * bytes of this side's stream; the rest is sent again first. -EPROTO when
 * that count is not one this side can resume from (beyond what was sent, or
 * before what the peer acknowledged). */
int cr_page_relay_rewind(struct cr_page_relay *rl, uint64_t peer_received, struct cr_error *err);

/* A resumed connection's first word from the destination: an empty
 * PageData with the count of the peer's stream received (LazyPages). */
int cr_page_relay_send_count(struct cr_page_relay *rl, struct cr_conn *c, struct cr_error *err);

/* Relay between LOCAL (a connected stream socket) and C, as O says, until both sides
 * have ended: the local criu closed its socket (then PageData{final} goes to
 * the peer) and the peer sent its final PageData (then LOCAL's write side is
 * shut). While the local side has not ended, an empty PageData goes out
 * after a second without one (before the restore there asks its first
 * page, nothing else would); O->idle_ms without a message from the peer is
 * -ETIMEDOUT (and so is a stall, as O->stall_ms says). A message other than
 * PageData from the peer is -EPROTO, except a Result, which ends the relay
 * with -ECANCELED: *RET_RESULT (when not NULL) then holds it. RL carries
 * the transfer from one connection to the next: after a failure with
 * ST->conn_failed, a resumable RL goes on over a new connection (rewound to
 * the peer's count first). */
int cr_page_relay_run(struct cr_page_relay *rl, struct cr_conn *c, int local, const struct cr_page_relay_opts *o,
		      struct cr_page_relay_stats *st, Crwire__Envelope **ret_result, struct cr_error *err);

/* The whole transfer over one connection (not resumable). SOURCE and
 * PUSH_CAP as cr_page_relay_init. */
int cr_page_relay(struct cr_conn *c, int local, bool source, uint32_t push_cap, const struct cr_page_relay_opts *o,
		  struct cr_page_relay_stats *st, Crwire__Envelope **ret_result, struct cr_error *err);

#endif
