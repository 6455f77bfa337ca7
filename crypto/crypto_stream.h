/* Authenticated encryption of a stream of messages: libsodium's secretstream
 * (XChaCha20-Poly1305). Each message is authenticated and bound to its
 * position; the last one carries a "final" mark so a cut stream is detected.
 * The checkpoint image uses it at rest and the transport uses the same
 * framing on the wire. Only crypto/ includes <sodium.h>. */
#ifndef CORRAL_CRYPTO_CRYPTO_STREAM_H
#define CORRAL_CRYPTO_CRYPTO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CR_STREAM_KEYBYTES 32
#define CR_STREAM_HEADERBYTES 24 /* sent in clear before the first message */
#define CR_STREAM_ABYTES 17      /* ciphertext length = message length + this */

struct cr_stream_push;
struct cr_stream_pull;

/* Initialise libsodium once; safe to call from any thread, any number of times. */
int cr_crypto_init(struct cr_error *err);

/* Fill BUF with LEN cryptographically random bytes (calls cr_crypto_init). */
void cr_random_bytes(void *buf, size_t len);

/* Overwrite LEN bytes at BUF with zeros in a way the compiler keeps. */
void cr_memzero(void *buf, size_t len);

/* Start an encrypting stream with KEY; writes the stream header to RET_HEADER. */
int cr_stream_push_new(const uint8_t key[CR_STREAM_KEYBYTES],
		       uint8_t ret_header[CR_STREAM_HEADERBYTES],
		       struct cr_stream_push **ret_stream, struct cr_error *err);

/* Encrypt MSG (LEN bytes) into OUT (LEN + CR_STREAM_ABYTES bytes). AD (may be
 * NULL) is authenticated but not sent. FINAL marks the last message. */
int cr_stream_push(struct cr_stream_push *s, const void *msg, size_t len, const void *ad,
		   size_t ad_len, bool final, uint8_t *out, struct cr_error *err);

void cr_stream_push_free(struct cr_stream_push *s);

/* Start a decrypting stream from KEY and the HEADER the sender wrote. */
int cr_stream_pull_new(const uint8_t key[CR_STREAM_KEYBYTES],
		       const uint8_t header[CR_STREAM_HEADERBYTES],
		       struct cr_stream_pull **ret_stream, struct cr_error *err);

/* Decrypt and authenticate C (C_LEN bytes, at least CR_STREAM_ABYTES) into OUT
 * (C_LEN - CR_STREAM_ABYTES bytes). -EBADMSG when the message was altered, is
 * out of place or the key is wrong; *RET_FINAL tells whether it was the last. */
int cr_stream_pull(struct cr_stream_pull *s, const uint8_t *c, size_t c_len, const void *ad,
		   size_t ad_len, uint8_t *out, bool *ret_final, struct cr_error *err);

void cr_stream_pull_free(struct cr_stream_pull *s);

/* A stream's running state, to carry a connection over to another process
 * of the same host (a page connection resumed in the process that waits for
 * it: transport/page_resume.c). The bytes are secret: send them only over a
 * local socket between root processes, and wipe them (cr_memzero) after. */
#define CR_STREAM_STATEBYTES 52
void cr_stream_push_export(const struct cr_stream_push *s, uint8_t ret_state[CR_STREAM_STATEBYTES]);
void cr_stream_pull_export(const struct cr_stream_pull *s, uint8_t ret_state[CR_STREAM_STATEBYTES]);
int cr_stream_push_import(const uint8_t state[CR_STREAM_STATEBYTES], struct cr_stream_push **ret_stream,
			  struct cr_error *err);
int cr_stream_pull_import(const uint8_t state[CR_STREAM_STATEBYTES], struct cr_stream_pull **ret_stream,
			  struct cr_error *err);

/* One-message streams: seal MSG (LEN bytes) as a stream of its own, with a
 * fresh random header written to RET_HEADER and the ciphertext (LEN +
 * CR_STREAM_ABYTES) to OUT. Messages sealed this way are independent, so
 * many threads can seal and open them at once; bind each to its place with
 * AD (e.g. a position and a per-stream nonce). Thread-safe. */
int cr_stream_seal_one(const uint8_t key[CR_STREAM_KEYBYTES], const void *msg, size_t len,
		       const void *ad, size_t ad_len, bool final,
		       uint8_t ret_header[CR_STREAM_HEADERBYTES], uint8_t *out,
		       struct cr_error *err);

/* Open what cr_stream_seal_one made; -EBADMSG when anything differs. */
int cr_stream_open_one(const uint8_t key[CR_STREAM_KEYBYTES],
		       const uint8_t header[CR_STREAM_HEADERBYTES], const uint8_t *c, size_t c_len,
		       const void *ad, size_t ad_len, uint8_t *out, bool *ret_final,
		       struct cr_error *err);

#define cleanup_stream_push __attribute__((cleanup(cr_stream_push_freep)))
#define cleanup_stream_pull __attribute__((cleanup(cr_stream_pull_freep)))
static inline void cr_stream_push_freep(struct cr_stream_push **s)
{
	cr_stream_push_free(*s);
}
static inline void cr_stream_pull_freep(struct cr_stream_pull **s)
{
	cr_stream_pull_free(*s);
}

#endif
