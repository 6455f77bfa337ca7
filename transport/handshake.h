/* The corrald handshake (docs/protocol.md): static and ephemeral X25519 keys
 * in the clear, session keys from crypto/crypto_kx_session.h, then one
 * encrypted key-confirmation message each way that opens the secretstream of
 * that direction. A key that is not trusted, or a confirmation that does not
 * decrypt, ends the connection before any message is exchanged; the side
 * that refuses tells the other why in a Refuse frame. */
#ifndef CORRAL_TRANSPORT_HANDSHAKE_H
#define CORRAL_TRANSPORT_HANDSHAKE_H

#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "transport/conn.h"
#include "transport/trust.h"
#include "util/error.h"

#define CR_HS_VERSION 1
#define CR_HS_FRAME_MAX 1024
#define CR_HS_PREAMBLE 8 /* "CRLP" version:u8 type:u8 reserved:u16 */
#define CR_HS_REFUSE_TEXT_MAX 512

enum cr_hs_type {
	CR_HS_CLIENT_HELLO = 1,
	CR_HS_SERVER_HELLO = 2,
	CR_HS_REFUSE = 3,
	CR_HS_CONFIRM = 4,
};

/* The initiator: KP is this host's key pair, EXPECTED_PK the key trusted-peers
 * lists for PEER_NAME. On success C is encrypted both ways and knows the peer.
 * -EACCES when either side refused (the message says which and why). */
int cr_handshake_client(struct cr_conn *c, const struct cr_host_keypair *kp,
			const uint8_t expected_pk[CR_HOSTKEY_BYTES], const char *peer_name,
			struct cr_error *err);

/* The responder: accepts only a static key listed in TRUST. On success
 * C->peer_name is the peer's trusted name. */
int cr_handshake_server(struct cr_conn *c, const struct cr_host_keypair *kp,
			const struct cr_trust_list *trust, struct cr_error *err);

/* Send a Refuse frame carrying TEXT (best effort: errors are ignored). */
void cr_handshake_refuse(struct cr_conn *c, const char *text);

#endif
