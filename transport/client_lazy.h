/* Post-copy requests of the source (protocol: Restore.lazy, LazyPages and
 * PageData in transport_wire.proto). Send them only to a peer whose
 * Preflight accepts the need "lazy-pages". */
#ifndef CORRAL_TRANSPORT_CLIENT_LAZY_H
#define CORRAL_TRANSPORT_CLIENT_LAZY_H

#include <stdbool.h>

#include "transport/client.h"
#include "transport/page_relay.h"

/* Restore NAME (unpacked by an UNPACK image) on the peer with its memory
 * served on demand by the LazyPages of another connection (started first),
 * and resume it there. */
int cr_peer_restore_lazy(struct cr_peer *p, const char *name, const char *nfs_mark, const char *relocation,
			 struct cr_error *err);
/* The same pipelined (a peer of 1.2): sent without waiting; its answer is
 * read by cr_peer_collect, after the answers owed before it (the image's). */
int cr_peer_restore_lazy_begin(struct cr_peer *p, const char *name, const char *nfs_mark, const char *relocation,
			       struct cr_error *err);

/* Whether P resumes a broken page transfer (protocol 1.3): then the relay
 * state of cr_peer_lazy_pages is made resumable (cr_page_relay_init). */
bool cr_peer_resumes_pages(const struct cr_peer *p);

/* Have the peer start criu lazy-pages for NAME's images and relay the
 * page-server traffic of LOCAL (the source criu's page socket) through RL
 * (initialised as a source's), as O says, until the peer's Result: 0 when
 * every page is there. A resumable RL names RELOCATION to the peer. On a
 * connection of its own: the Restore(lazy) of the other connection needs
 * pages while it restores. *RET_PEER_ANSWERED: the peer's Result came (on
 * failure the peer has then ended its copy); false when the connection
 * failed first (ST->conn_failed). */
int cr_peer_lazy_pages(struct cr_peer *p, const char *name, const char *relocation, struct cr_page_relay *rl,
		       int local, const struct cr_page_relay_opts *o, struct cr_page_relay_stats *st,
		       bool *ret_peer_answered, struct cr_error *err);

/* After a failure of the above with ST->conn_failed and a resumable RL: go
 * on over P, a new connection, from where each side's stream broke off. A
 * refusal (the peer has no such transfer waiting: it ended its copy) is
 * negative without ST->conn_failed and without *RET_PEER_ANSWERED. */
int cr_peer_lazy_pages_resume(struct cr_peer *p, const char *name, const char *relocation, struct cr_page_relay *rl,
			      int local, const struct cr_page_relay_opts *o, struct cr_page_relay_stats *st,
			      bool *ret_peer_answered, struct cr_error *err);

/* Shut P's socket both ways: a relay blocked on it ends at once. */
void cr_peer_shutdown(struct cr_peer *p);

#endif
