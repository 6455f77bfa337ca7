/* Byte encodings and random tokens through libsodium (this folder owns it):
 * base64 for stores and wire formats that carry bytes as text, hex digests. */
#ifndef CORRAL_CRYPTO_ENCODE_H
#define CORRAL_CRYPTO_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Standard base64 (with padding) of LEN bytes, heap string. */
int cr_base64_encode(const void *data, size_t len, char **ret, struct cr_error *err);
/* Decode standard base64 TEXT; *RET is NUL-terminated (not counted in *RET_LEN). */
int cr_base64_decode(const char *text, size_t text_len, char **ret, size_t *ret_len,
		     struct cr_error *err);
/* A random token of BYTES bytes as URL-safe base64 without padding. */
int cr_random_token(size_t bytes, char **ret, struct cr_error *err);
/* BLAKE2b-256 of TEXT as 64 hex digits into OUT. */
int cr_digest_hex(const char *text, char out[65], struct cr_error *err);

#endif
