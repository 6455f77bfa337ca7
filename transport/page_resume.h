/* A broken page connection resumed on the destination (issue 16). The
 * corrald process that serves a resumable LazyPages (the holder: it runs criu
 * lazy-pages and its guard) listens on a local socket named after the
 * relocation; when its connection breaks it keeps the daemon and the copy
 * (whose tasks wait on their missing pages, never reading zeros) for
 * CR_PAGE_RESUME_MS and waits there. The corrald process of a new connection
 * that asks to resume that relocation hands its connection over: the socket
 * (SCM_RIGHTS) and the state of its two encrypted streams, so that the
 * holder talks on it as if it had made it. Only a root process of this host
 * may listen or connect (both check the other's credentials), and the holder
 * takes only a connection authenticated as the same peer (its host key). */
#ifndef CORRAL_TRANSPORT_PAGE_RESUME_H
#define CORRAL_TRANSPORT_PAGE_RESUME_H

#include <stdint.h>

#include "transport/conn.h"
#include "util/error.h"

#define CR_PAGE_RESUME_MS 10000 /* how long a broken page transfer waits to resume */

/* Listen for RELOCATION's hand-over (an abstract socket of this network
 * namespace; RELOCATION: its id, hex digits). -EINVAL for another id,
 * -EADDRINUSE when another process listens for it. */
int cr_page_resume_listen(const char *relocation, int *ret_fd, struct cr_error *err);

/* The holder: wait up to WAIT_MS on LFD for a connection handed over by a
 * root process, from the peer C is authenticated as; it then replaces C's
 * socket (same descriptor number) and streams. *RET_RESUME_FROM: the bytes
 * of this side's stream the peer had received. Hand-overs from another peer
 * are refused and the wait goes on; -ETIMEDOUT when none came. */
int cr_page_resume_take(int lfd, int wait_ms, struct cr_conn *c, uint64_t *ret_resume_from, struct cr_error *err);

/* The same for one attempt: -EAGAIN as soon as the first connection to come
 * is refused (a process that is not root is refused before anything is read
 * from it), so that a knock that is no resume costs a live relay nothing. */
int cr_page_resume_take_one(int lfd, int wait_ms, struct cr_conn *c, uint64_t *ret_resume_from,
			    struct cr_error *err);

/* A new connection's process: hand C over to RELOCATION's holder, waiting
 * up to WAIT_MS for it to take it (it may not have seen its own connection
 * break yet).
 * 0: C belongs to the holder now (this process must neither send nor
 * receive on it again). -ENOENT when no holder waits, -EACCES when it
 * refused (another peer's transfer). */
int cr_page_resume_hand_over(const char *relocation, const struct cr_conn *c, uint64_t resume_from, int wait_ms,
			     struct cr_error *err);

#endif
