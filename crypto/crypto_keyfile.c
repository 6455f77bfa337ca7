/* Key files: load, check, derive (BLAKE2b of the bytes, then crypto_kdf). */
#include "crypto/crypto_keyfile.h"

#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto_secret_file.h"
#include "crypto/crypto_stream.h"
#include "util/cleanup.h"

enum { SUBKEY_STREAM = 1, SUBKEY_ID = 2 };

int cr_keyfile_derive(const char *path, const char context[CR_KDF_CONTEXT_BYTES],
		      uint8_t ret_key[32], uint8_t ret_id[CR_KEY_ID_BYTES],
		      struct cr_error *err)
{
	uint8_t buf[CR_KEYFILE_MAX_BYTES];
	size_t len = 0;
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	r = cr_secret_file_read(path, buf, CR_KEYFILE_MIN_BYTES, sizeof(buf), &len, err);
	if (r < 0)
		return r;
	uint8_t master[crypto_kdf_KEYBYTES], id[crypto_kdf_BYTES_MIN];
	char ctx[crypto_kdf_CONTEXTBYTES];
	memcpy(ctx, context, sizeof(ctx));
	crypto_generichash(master, sizeof(master), buf, len, NULL, 0);
	sodium_memzero(buf, sizeof(buf));
	crypto_kdf_derive_from_key(ret_key, 32, SUBKEY_STREAM, ctx, master);
	crypto_kdf_derive_from_key(id, sizeof(id), SUBKEY_ID, ctx, master);
	memcpy(ret_id, id, CR_KEY_ID_BYTES);
	sodium_memzero(master, sizeof(master));
	return 0;
}

int cr_keyfile_create(const char *path, struct cr_error *err)
{
	uint8_t key[32];
	cr_random_bytes(key, sizeof(key));
	int r = cr_secret_file_write(path, key, sizeof(key), false, err);
	sodium_memzero(key, sizeof(key));
	return r;
}
