/* CRIU's image-streamer socket protocol, the streamer's side (criu --stream;
 * criu/img-streamer.c). CRIU connects to <images dir>/streamer-capture.sock
 * (dump) or streamer-serve.sock (restore). For each image file it sends a
 * u32 length (host order) and a Request naming the file; on restore the
 * streamer answers a u32 length and a Reply (exists or not). Then, for a
 * dump or a file that exists, CRIU sends one byte carrying one end of a pipe
 * (SCM_RIGHTS): it writes the file into it (dump) or reads it from it
 * (restore) and closes it when done. Several files are open at once. With
 * CRIU patch 0011 a restore offers a pages file over several pipes in turns;
 * the streamer takes the offer in its Reply and the pipes follow one by one
 * (an unpatched CRIU never offers: one pipe, the old protocol).
 *
 * Everything CRIU sends is parsed here and treated as hostile: lengths are
 * capped before anything is buffered, names must be plain file names. The
 * only includer of streamer.pb-c.h. */
#ifndef CORRAL_STREAM_STREAMER_PROTO_H
#define CORRAL_STREAM_STREAMER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CR_STREAMER_CAPTURE_SOCK "streamer-capture.sock"
#define CR_STREAMER_SERVE_SOCK "streamer-serve.sock"
#define CR_STREAMER_NAME_MAX 255
#define CR_STREAMER_MSG_MAX (CR_STREAMER_NAME_MAX + 16) /* a Request's protobuf */
#define CR_STREAMER_FDS_MAX 16
/* A restore request for a file over several pipes (CRIU patch 0011): at most
 * this many, each turn of CHUNK bytes whole pages within these bounds. */
#define CR_STREAMER_PIPES_MAX 4
#define CR_STREAMER_CHUNK_MIN (64u << 10)
#define CR_STREAMER_CHUNK_MAX (16u << 20)

/* What arrived on the socket and is not parsed yet: bytes and descriptors. */
struct cr_streamer_in {
	uint8_t buf[4 + CR_STREAMER_MSG_MAX + 1];
	size_t len;
	int fds[CR_STREAMER_FDS_MAX];
	size_t n_fds;
	bool eof;
	bool in_request; /* a request was taken whose descriptor byte is still due */
	unsigned pipes;  /* the last request's pipes (1: one pipe, the file in order) */
	uint32_t chunk;  /* with pipes > 1: pipe k has turns k, k + pipes, ... of CHUNK bytes */
	unsigned taken;  /* descriptors of the last request taken so far */
};

void cr_streamer_in_init(struct cr_streamer_in *in);

/* Close the descriptors still queued. */
void cr_streamer_in_release(struct cr_streamer_in *in);

/* Receive what the (non-blocking) socket SOCK holds, as much as fits. Sets
 * in->eof when CRIU closed it. */
int cr_streamer_recv(int sock, struct cr_streamer_in *in, struct cr_error *err);

/* Take the next complete request from IN: 1 with *RET_NAME (malloc'd), 0 when
 * more bytes are needed; in->pipes and in->chunk say how it wants the file.
 * The in->pipes descriptors that follow it come from cr_streamer_take_fd. */
int cr_streamer_take_request(struct cr_streamer_in *in, char **ret_name, struct cr_error *err);

/* Take the next pipe end that follows a request (in->taken counts them): 1
 * with *RET_FD, 0 when more bytes are needed. */
int cr_streamer_take_fd(struct cr_streamer_in *in, int *ret_fd, struct cr_error *err);

/* Decode a Request's protobuf (LEN bytes) and check its name. */
int cr_streamer_parse_request(const uint8_t *pb, size_t len, char **ret_name, struct cr_error *err);

/* Listen (non-blocking) on DIR/NAME for CRIU: *RET_PATH (heap) and *RET_FD. */
int cr_streamer_listen(const char *dir, const char *name, char **ret_path, int *ret_fd, struct cr_error *err);

/* Restore: answer whether the file asked for exists (blocking write) and,
 * with PIPES above 1, that its pipes are to come (the request's offer). */
int cr_streamer_send_reply(int sock, bool exists, unsigned pipes, struct cr_error *err);

#endif
