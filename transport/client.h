/* Talking to another host's corrald (or this host's, over the local socket):
 * connect (TCP, handshake, Hello), then requests that each get one Result.
 * Every read and write has the connection's idle timeout, so a vanished peer
 * is an error after at most that long, never a hang. */
#ifndef CORRAL_TRANSPORT_CLIENT_H
#define CORRAL_TRANSPORT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "formats/image_io.h"
#include "transport/arrival.h"
#include "transport/hello.h"
#include "util/error.h"

typedef struct Crwire__Envelope Crwire__Envelope; /* transport/conn.h */

#define CR_PEER_IMAGE_CHUNK (256 * 1024) /* bytes of image per ImageChunk */

struct cr_peer;

/* Connect to PEER, a name in trusted-peers or the address listed there
 * ("10.0.0.2", "10.0.0.2:7711"); TIMEOUT_MS bounds the connect and then every
 * read and write. Authenticates with this host's key ($ROOT/etc/corral/
 * host.key) and exchanges Hellos. */
int cr_peer_connect(const char *peer, int timeout_ms, struct cr_peer **ret_peer,
		    struct cr_error *err);

/* Connect to this host's corrald over its Unix socket (SOCKET_PATH, NULL for
 * $ROOT/run/corral/corrald.sock): no handshake, the socket is root-only. */
int cr_peer_connect_local(const char *socket_path, int timeout_ms, struct cr_peer **ret_peer,
			  struct cr_error *err);

/* Run the client side on a connected FD (taken over, closed by
 * cr_peer_close; also on failure). KP NULL: a local plain connection; else
 * KP is this host's key pair and EXPECTED_PK the key NAME must prove. */
int cr_peer_open_fd(int fd, const char *name, const struct cr_host_keypair *kp,
		    const uint8_t *expected_pk, int timeout_ms, struct cr_peer **ret_peer,
		    struct cr_error *err);

/* What the peer said about itself in its Hello, and its trusted name. */
const struct cr_peer_info *cr_peer_hello(const struct cr_peer *p);
const char *cr_peer_name(const struct cr_peer *p);

/* Send REQ (its id is set here) and wait for the Result. A Result with a
 * non-zero code becomes the error "PEER: message" with that code. RET_REPLY
 * (may be NULL) gets the whole reply; free with crwire__envelope__free_unpacked. */
int cr_peer_call(struct cr_peer *p, Crwire__Envelope *req, Crwire__Envelope **ret_reply,
		 struct cr_error *err);

/* Requests may be pipelined (protocol 1.2: cr_peer_image_end, the arrival's
 * preparation): sent at once, their Results read in order by the next
 * call, which fails with the first refusal among them (each Result is read
 * all the same, so the connection stays usable: an Abort may follow).
 * cr_peer_collect reads the Results still owed now. */
int cr_peer_collect(struct cr_peer *p, struct cr_error *err);
/* The oldest Result owed alone, with the tolerated ones before it (0 when
 * none is owed). */
int cr_peer_collect_first(struct cr_peer *p, struct cr_error *err);
/* Whether the peer takes pipelined requests (its Hello says 1.2 or later). */
bool cr_peer_pipelines(const struct cr_peer *p);

int cr_peer_ping(struct cr_peer *p, struct cr_error *err);
int cr_peer_partition_exists(struct cr_peer *p, const char *name, bool *ret_exists,
			     struct cr_error *err);
/* How partition NAME stands on the peer. */
struct cr_peer_partition {
	bool exists;
	char state; /* its state letter when it exists ('?' from a peer older than 1.1) */
	/* Asked with a relocation id: what the peer, its source, decided about
	 * it (UNKNOWN: no record there, or a corrald that predates the question). */
	enum cr_departure_outcome outcome;
};
int cr_peer_partition_state(struct cr_peer *p, const char *name, const char *relocation,
			    struct cr_peer_partition *ret, struct cr_error *err);

/* Ask whether the peer can take a partition with SPEC_TEXT (may be NULL) and
 * NEEDS ("criu", "fuse", "nfs-kernel", "arch:X", "cpu:F", "cgroup:M",
 * "absent:NAME"). RET_REASONS gets why not (empty when it can; a NULL-safe
 * heap array, free each string and the array). */
int cr_peer_preflight(struct cr_peer *p, const char *spec_text, const char *const *needs,
		      size_t n_needs, char ***ret_reasons, size_t *ret_n_reasons,
		      struct cr_error *err);

/* Image hand-over, phase one: Prepare(NAME), then the image bytes, written
 * through cr_peer_image_io (e.g. straight from cr_image_writer), then finish,
 * which returns once the peer verified and stored the whole image (UNPACK:
 * unpacked it for a Restore instead; peers of protocol 1.1 and later). */
int cr_peer_image_begin(struct cr_peer *p, const char *name, uint64_t size_hint, bool unpack,
			struct cr_error *err);
struct cr_image_io cr_peer_image_io(struct cr_peer *p);
int cr_peer_image_finish(struct cr_peer *p, uint64_t *ret_bytes, struct cr_error *err);
/* The same, except that to a peer of 1.2 the image's verdict is not waited
 * for: the next call (a Restore) reads it first and fails with it
 * (*RET_BYTES: the bytes sent). */
int cr_peer_image_end(struct cr_peer *p, uint64_t *ret_bytes, struct cr_error *err);

/* The three steps above for the image in FD (read to its end). */
int cr_peer_send_image(struct cr_peer *p, const char *name, int fd, struct cr_error *err);

/* A relocation's destination half (protocol 1.1): bring the partition
 * unpacked by an UNPACK image to life there, Paused; restored from its CRIU
 * images, or with START started afresh (movewpar --static); NFS_MARK (or
 * NULL) is the token the peer must find on its NFS exports; RELOCATION (or
 * NULL) the relocation's id (cr_relocation_id_new), which its Commit repeats.
 * Commit then resumes it, Abort ends it and removes all the peer made for it. */
int cr_peer_restore(struct cr_peer *p, const char *name, bool start, const char *nfs_mark, const char *relocation,
		    struct cr_error *err);

/* A relocation's destination prepared ahead (1.2; nothing is sent to an
 * older peer): sent without waiting; the peer defines NAME from SPEC_TEXT
 * and starts what its Restore on this connection needs, and answers once
 * that waits. Its answer is read by the next call or cr_peer_collect; a
 * refusal is only logged (the Restore then does it all). An Abort or the end of the connection without
 * a Restore removes it there. SIZE_HINT: as cr_peer_image_begin's. */
struct cr_fs_archive {
	const void *data;
	size_t len;
};
#define CR_PEER_FS_ARCHIVE_MAX (12u << 20) /* within one message (CR_WIRE_MSG_MAX) */
int cr_peer_prepare_arrival_begin(struct cr_peer *p, const char *name, const char *spec_text, const char *relocation,
				  uint64_t size_hint, const struct cr_fs_archive *fs, struct cr_error *err);
/* Whether P's PrepareArrival takes FS, the partition's file systems as a
 * level-0 archive to unpack ahead (1.4; FS up to CR_PEER_FS_ARCHIVE_MAX
 * bytes): the image then carries the level-1 against it. */
bool cr_peer_takes_fs_archive(const struct cr_peer *p);
/* The same, waited for, its refusal the error (corral-peer-probe). */
int cr_peer_prepare_arrival(struct cr_peer *p, const char *name, const char *spec_text, struct cr_error *err);

/* Phase two: keep the received image (Commit) or delete it (Abort). A
 * Commit of a relocation names its id (RELOCATION, else NULL): repeated
 * after the peer committed it, it is answered 0. */
int cr_peer_commit(struct cr_peer *p, const char *name, const char *relocation, struct cr_error *err);
int cr_peer_abort(struct cr_peer *p, const char *name, struct cr_error *err);

void cr_peer_close(struct cr_peer *p);
static inline void cr_peer_closep(struct cr_peer **p)
{
	cr_peer_close(*p);
}
#define cleanup_peer __attribute__((cleanup(cr_peer_closep)))

#endif
