/* Session keys for the transport handshake (docs/protocol.md): both sides
 * hold a static X25519 key pair (the host key) and make a fresh ephemeral
 * pair per connection. The session secret mixes four Diffie-Hellman results,
 * ephemeral-ephemeral (through crypto_kx), ephemeral-static both ways and
 * static-static, with a hash of the handshake transcript, so that only the
 * holders of both trusted static private keys and of this connection's
 * ephemeral keys arrive at the same keys (a Noise-KK-like pattern). */
#ifndef CORRAL_CRYPTO_CRYPTO_KX_SESSION_H
#define CORRAL_CRYPTO_CRYPTO_KX_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "crypto/crypto_stream.h"
#include "util/error.h"

#define CR_KX_TRANSCRIPT_BYTES 32

/* The public halves exchanged in the clear, as both sides see them. */
struct cr_kx_publics {
	uint8_t initiator_static[CR_HOSTKEY_BYTES];
	uint8_t initiator_ephemeral[CR_HOSTKEY_BYTES];
	uint8_t responder_static[CR_HOSTKEY_BYTES];
	uint8_t responder_ephemeral[CR_HOSTKEY_BYTES];
};

struct cr_kx_session {
	uint8_t tx[CR_STREAM_KEYBYTES]; /* secretstream key for what this side sends */
	uint8_t rx[CR_STREAM_KEYBYTES]; /* and for what it receives */
	uint8_t transcript[CR_KX_TRANSCRIPT_BYTES]; /* BLAKE2b-256 of the publics */
};

/* A fresh ephemeral X25519 key pair. */
int cr_kx_ephemeral(struct cr_host_keypair *ret_kp, struct cr_error *err);

/* Derive this side's session keys. INITIATOR tells which side this is; STATIC
 * and EPHEMERAL are its own key pairs; P holds all four public keys. Fails
 * (-EPROTO) when a peer's public key is a low-order point. */
int cr_kx_session_derive(bool initiator, const struct cr_host_keypair *static_kp,
			 const struct cr_host_keypair *ephemeral_kp, const struct cr_kx_publics *p,
			 struct cr_kx_session *ret_session, struct cr_error *err);

/* Constant-time comparison of two public keys. */
bool cr_kx_key_equal(const uint8_t a[CR_HOSTKEY_BYTES], const uint8_t b[CR_HOSTKEY_BYTES]);

#endif
