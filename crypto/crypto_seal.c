/* crypto_box_seal of stream keys. */
#include "crypto/crypto_seal.h"

#include <sodium.h>

_Static_assert(CR_SEALED_KEY_BYTES == CR_STREAM_KEYBYTES + crypto_box_SEALBYTES, "sealed size");

int cr_seal_key(const uint8_t key[CR_STREAM_KEYBYTES],
		const uint8_t recipient_pk[CR_HOSTKEY_BYTES],
		uint8_t ret_sealed[CR_SEALED_KEY_BYTES], struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	if (crypto_box_seal(ret_sealed, key, CR_STREAM_KEYBYTES, recipient_pk) != 0)
		return cr_error_set(err, EINVAL, "cannot seal a key to the recipient's public key");
	return 0;
}

int cr_seal_open_key(const uint8_t sealed[CR_SEALED_KEY_BYTES],
		     const struct cr_host_keypair *kp, uint8_t ret_key[CR_STREAM_KEYBYTES],
		     struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	if (crypto_box_seal_open(ret_key, sealed, CR_SEALED_KEY_BYTES, kp->pk, kp->sk) != 0)
		return cr_error_set(err, EACCES,
				    "cannot open the sealed key with this host's key "
				    "(sealed for another host, or altered)");
	return 0;
}
