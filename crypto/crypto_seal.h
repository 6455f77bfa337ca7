/* Sealing a stream key to a recipient's X25519 public key (crypto_box_seal):
 * anyone may seal, only the holder of the private key can open. */
#ifndef CORRAL_CRYPTO_CRYPTO_SEAL_H
#define CORRAL_CRYPTO_CRYPTO_SEAL_H

#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "crypto/crypto_stream.h"
#include "util/error.h"

#define CR_SEALED_KEY_BYTES (CR_STREAM_KEYBYTES + 48) /* key + crypto_box_SEALBYTES */

int cr_seal_key(const uint8_t key[CR_STREAM_KEYBYTES],
		const uint8_t recipient_pk[CR_HOSTKEY_BYTES],
		uint8_t ret_sealed[CR_SEALED_KEY_BYTES], struct cr_error *err);

/* -EACCES when SEALED was not made for KP's public key or was altered. */
int cr_seal_open_key(const uint8_t sealed[CR_SEALED_KEY_BYTES],
		     const struct cr_host_keypair *kp, uint8_t ret_key[CR_STREAM_KEYBYTES],
		     struct cr_error *err);

#endif
