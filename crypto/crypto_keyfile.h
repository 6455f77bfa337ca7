/* Shared-secret key files: 32 or more random bytes in a 0600 file. A stream
 * key and a short key id (to name a wrong key in errors) are derived from the
 * file's bytes and a context label, so one file can serve several purposes. */
#ifndef CORRAL_CRYPTO_CRYPTO_KEYFILE_H
#define CORRAL_CRYPTO_CRYPTO_KEYFILE_H

#include <stdint.h>

#include "util/error.h"

#define CR_KEYFILE_MIN_BYTES 32
#define CR_KEYFILE_MAX_BYTES 4096
#define CR_KEY_ID_BYTES 8
#define CR_KDF_CONTEXT_BYTES 8 /* e.g. "crimage1": what the derived key is for */

/* Read PATH (refused when group or others may read it, or shorter than 32
 * bytes) and derive a 32-byte key and its id for CONTEXT. */
int cr_keyfile_derive(const char *path, const char context[CR_KDF_CONTEXT_BYTES],
		      uint8_t ret_key[32], uint8_t ret_id[CR_KEY_ID_BYTES],
		      struct cr_error *err);

/* Create PATH (must not exist) with 32 fresh random bytes, mode 0600. */
int cr_keyfile_create(const char *path, struct cr_error *err);

#endif
