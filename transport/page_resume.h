/* A broken page connection resumed on the destination (issue 16). The
 * corrald process that serves a resumable LazyPages (the holder: it runs criu
 * lazy-pages and its guard) listens on a local socket named after the
 * relocation; when its connection breaks it keeps the daemon and the copy
 * (whose tasks wait on their missing pages, never reading zeros) for
 * CR_PAGE_RESUME_MS and waits there. The corrald process of a new connection
 * that asks to resume that relocation hands its connection over: the socket
 * (SCM_RIGHTS) and the state of its two encrypted streams, so that the
 * holder talks on it as if it had made it. The socket is
 * $ROOT/run/corral/resume/pages-RELOCATION in a directory only root may
 * enter (no other user sees or reaches it); both ends still check the
 * other's credentials, and the holder takes only a connection authenticated
 * as the same peer (its host key). */
#ifndef CORRAL_TRANSPORT_PAGE_RESUME_H
#define CORRAL_TRANSPORT_PAGE_RESUME_H

#include <stdint.h>

#include "transport/conn.h"
#include "util/error.h"

#define CR_PAGE_RESUME_MS 10000 /* how long a broken page transfer waits to resume */

#define CR_PAGE_RESUME_DIR "/run/corral/resume" /* under the root prefix (util/paths.h) */

/* A holder's listening socket and its name (removed with it). */
struct cr_page_resume_listener {
	int fd;
	char *path;
};
#define CR_PAGE_RESUME_LISTENER_INIT {-1, NULL}

/* Listen for RELOCATION's hand-over (RELOCATION: its id, hex digits) in
 * CR_PAGE_RESUME_DIR, made root-only (mode 0700) if it is not. -EINVAL for
 * another id, -EADDRINUSE when the name is taken (another process listens
 * for it, or a holder that died left it: cr_page_resume_sweep removes
 * those), -EPERM when the directory
 * belongs to another user. */
int cr_page_resume_listen(const char *relocation, struct cr_page_resume_listener *ret, struct cr_error *err);

/* Remove the sockets in CR_PAGE_RESUME_DIR that no process listens on any
 * more (their holder was killed before it could remove them); corrald
 * calls it when it starts. A socket that still has a listener is kept.
 * *RET_REMOVED: how many went. A missing directory is not an error. */
int cr_page_resume_sweep(unsigned *ret_removed, struct cr_error *err);

/* Stop listening and remove the name; an INIT listener is left alone. */
void cr_page_resume_unlisten(struct cr_page_resume_listener *l);
#define cleanup_page_resume_listener __attribute__((cleanup(cr_page_resume_unlisten)))

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
