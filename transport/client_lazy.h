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

/* Have the peer start criu lazy-pages for NAME's images and relay the
 * page-server traffic of LOCAL (the source criu's page socket), as O says
 * (its source is set here), until the
 * peer's Result: 0 when every page is there. On a connection of its own:
 * the Restore(lazy) of the other connection needs pages while it restores. *RET_PEER_ANSWERED: the peer's Result came (on failure the peer has
 * then ended its copy); false when the connection failed first. */
int cr_peer_lazy_pages(struct cr_peer *p, const char *name, int local, const struct cr_page_relay_opts *o,
		       struct cr_page_relay_stats *st, bool *ret_peer_answered, struct cr_error *err);

/* Shut P's socket both ways: a relay blocked on it ends at once. */
void cr_peer_shutdown(struct cr_peer *p);

#endif
