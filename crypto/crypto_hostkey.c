/* Host key pair: X25519 generation, storage and parsing. */
#include "crypto/crypto_hostkey.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_secret_file.h"
#include "crypto/crypto_stream.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

_Static_assert(CR_HOSTKEY_BYTES == crypto_box_PUBLICKEYBYTES, "box key size");
_Static_assert(CR_HOSTKEY_BYTES == crypto_kx_PUBLICKEYBYTES, "kx key size");
_Static_assert(CR_HOSTKEY_BYTES == crypto_scalarmult_BYTES, "x25519 size");

int cr_hostkey_paths(char **ret_key_path, char **ret_pub_path, struct cr_error *err)
{
	cleanup_free char *key = NULL;
	int r = cr_path(&key, err, "/etc/corral/host.key");
	if (r < 0)
		return r;
	r = cr_path(ret_pub_path, err, "/etc/corral/host.pub");
	if (r < 0)
		return r;
	*ret_key_path = steal_pointer(&key);
	return 0;
}

int cr_hostkey_generate(struct cr_host_keypair *ret_kp, struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	if (crypto_box_keypair(ret_kp->pk, ret_kp->sk) != 0)
		return cr_error_set(err, EIO, "cannot generate an X25519 key pair");
	return 0;
}

int cr_hostkey_save(const struct cr_host_keypair *kp, const char *key_path,
		    const char *pub_path, bool force, struct cr_error *err)
{
	if (!force && (cr_path_exists(key_path) || cr_path_exists(pub_path)))
		return cr_error_set(err, EEXIST,
				    "%s already exists: use --force to replace this host's key",
				    key_path);
	int r = cr_mkdir_parent(key_path, 0755, err);
	if (r < 0)
		return r;
	r = cr_mkdir_parent(pub_path, 0755, err);
	if (r < 0)
		return r;
	r = cr_secret_file_write(key_path, kp->sk, sizeof(kp->sk), true, err);
	if (r < 0)
		return r;
	char text[CR_HOSTKEY_TEXT_MAX + 1];
	cr_hostkey_to_base64(kp->pk, text);
	strcat(text, "\n");
	return cr_write_file_atomic(pub_path, text, strlen(text), 0644, err);
}

int cr_hostkey_load(const char *key_path, struct cr_host_keypair *ret_kp, struct cr_error *err)
{
	struct cr_host_keypair kp;
	size_t len = 0;
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	r = cr_secret_file_read(key_path, kp.sk, sizeof(kp.sk), sizeof(kp.sk), &len, err);
	if (r < 0)
		return cr_error_wrap(err, "loading host key");
	if (crypto_scalarmult_base(kp.pk, kp.sk) != 0) {
		sodium_memzero(&kp, sizeof(kp));
		return cr_error_set(err, EINVAL, "host key %s is not a valid X25519 key", key_path);
	}
	*ret_kp = kp;
	sodium_memzero(&kp, sizeof(kp));
	return 0;
}

int cr_hostkey_load_public(const char *pub_path, uint8_t ret_pk[CR_HOSTKEY_BYTES],
			   struct cr_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r = cr_read_file(pub_path, 4096, &text, &len, err);
	if (r < 0)
		return r;
	r = cr_hostkey_parse(text, ret_pk, err);
	if (r < 0)
		return cr_error_wrap(err, "reading public key %s", pub_path);
	return 0;
}

void cr_hostkey_to_base64(const uint8_t pk[CR_HOSTKEY_BYTES], char out[CR_HOSTKEY_TEXT_MAX])
{
	sodium_bin2base64(out, CR_HOSTKEY_TEXT_MAX, pk, CR_HOSTKEY_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
}

void cr_hostkey_to_hex(const uint8_t pk[CR_HOSTKEY_BYTES], char out[2 * CR_HOSTKEY_BYTES + 1])
{
	sodium_bin2hex(out, 2 * CR_HOSTKEY_BYTES + 1, pk, CR_HOSTKEY_BYTES);
}

int cr_hostkey_parse(const char *text, uint8_t ret_pk[CR_HOSTKEY_BYTES], struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	size_t n = strcspn(text, " \t\r\n");
	if (text[n + strspn(text + n, " \t\r\n")] != '\0')
		return cr_error_set(err, EINVAL, "public key text has more than one word");
	uint8_t pk[CR_HOSTKEY_BYTES];
	size_t len = 0;
	const char *end = NULL;
	if (n == 2 * CR_HOSTKEY_BYTES &&
	    sodium_hex2bin(pk, sizeof(pk), text, n, NULL, &len, &end) == 0 && len == sizeof(pk) &&
	    end == text + n) {
		memcpy(ret_pk, pk, sizeof(pk));
		return 0;
	}
	if (sodium_base642bin(pk, sizeof(pk), text, n, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    len == sizeof(pk) && end == text + n) {
		memcpy(ret_pk, pk, sizeof(pk));
		return 0;
	}
	return cr_error_set(err, EINVAL,
			    "not a public key: expected 32 bytes as base64 or 64 hex digits");
}
