/* This host's X25519 key pair: the private key in $ROOT/etc/corral/host.key
 * (32 raw bytes, mode 0600), the public key in host.pub (one line of base64).
 * The same pair serves crypto_box_seal (images sealed to this host) and
 * crypto_kx (the transport handshake): both are X25519. */
#ifndef CORRAL_CRYPTO_CRYPTO_HOSTKEY_H
#define CORRAL_CRYPTO_CRYPTO_HOSTKEY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define CR_HOSTKEY_BYTES 32
#define CR_HOSTKEY_TEXT_MAX 64 /* base64 of 32 bytes + NUL fits */

struct cr_host_keypair {
	uint8_t pk[CR_HOSTKEY_BYTES];
	uint8_t sk[CR_HOSTKEY_BYTES];
};

/* Default paths: <root>/etc/corral/host.key and host.pub (heap strings). */
int cr_hostkey_paths(char **ret_key_path, char **ret_pub_path, struct cr_error *err);

/* Make a fresh key pair. */
int cr_hostkey_generate(struct cr_host_keypair *ret_kp, struct cr_error *err);

/* Write KP to KEY_PATH (0600) and its public half to PUB_PATH (0644). Refuses
 * to replace an existing key unless FORCE. Creates the directory if needed. */
int cr_hostkey_save(const struct cr_host_keypair *kp, const char *key_path,
		    const char *pub_path, bool force, struct cr_error *err);

/* Read the private key at KEY_PATH and compute its public half. */
int cr_hostkey_load(const char *key_path, struct cr_host_keypair *ret_kp, struct cr_error *err);

/* Read a public key file (base64 or hex text, as host.pub holds). */
int cr_hostkey_load_public(const char *pub_path, uint8_t ret_pk[CR_HOSTKEY_BYTES],
			   struct cr_error *err);

/* Public key as base64 text into OUT (CR_HOSTKEY_TEXT_MAX bytes). */
void cr_hostkey_to_base64(const uint8_t pk[CR_HOSTKEY_BYTES], char out[CR_HOSTKEY_TEXT_MAX]);

/* Public key as lower-case hex (65 bytes with NUL). */
void cr_hostkey_to_hex(const uint8_t pk[CR_HOSTKEY_BYTES], char out[2 * CR_HOSTKEY_BYTES + 1]);

/* Parse TEXT (base64, or 64 hex digits; surrounding blanks ignored). */
int cr_hostkey_parse(const char *text, uint8_t ret_pk[CR_HOSTKEY_BYTES], struct cr_error *err);

#endif
