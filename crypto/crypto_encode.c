/* Byte encodings and random tokens through libsodium. */
#define LOG_PREFIX "encode: "
#include "crypto/crypto_encode.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_stream.h"
#include "util/cleanup.h"

static int encode(const void *data, size_t len, int variant, char **ret, struct cr_error *err)
{
	size_t cap = sodium_base64_encoded_len(len, variant);
	cleanup_free char *out = malloc(cap);
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	sodium_bin2base64(out, cap, data, len, variant);
	*ret = steal_pointer(&out);
	return 0;
}

int cr_base64_encode(const void *data, size_t len, char **ret, struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	return encode(data, len, sodium_base64_VARIANT_ORIGINAL, ret, err);
}

int cr_base64_decode(const char *text, size_t text_len, char **ret, size_t *ret_len,
		     struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	size_t cap = text_len / 4 * 3 + 3, len = 0;
	cleanup_free char *out = malloc(cap + 1);
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (sodium_base642bin((unsigned char *)out, cap, text, text_len, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return cr_error_set(err, EINVAL, "invalid base64 text (%zu characters)", text_len);
	out[len] = '\0';
	*ret = steal_pointer(&out);
	*ret_len = len;
	return 0;
}

int cr_random_token(size_t bytes, char **ret, struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	cleanup_free unsigned char *raw = malloc(bytes ? bytes : 1);
	if (!raw)
		return cr_error_set(err, ENOMEM, "out of memory");
	randombytes_buf(raw, bytes);
	r = encode(raw, bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING, ret, err);
	sodium_memzero(raw, bytes);
	return r;
}

int cr_digest_hex(const char *text, char out[65], struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)text, strlen(text), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof h);
	return 0;
}
