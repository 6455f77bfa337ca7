/* Key set-up for image protection modes. */
#include "formats/image_keys.h"

#include <stdio.h>

static void hex8(const uint8_t id[CR_KEY_ID_BYTES], char out[2 * CR_KEY_ID_BYTES + 1])
{
	for (int i = 0; i < CR_KEY_ID_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

int cr_image_keys_for_writer(struct cr_image_header *h, const char *key_file,
			     const uint8_t *recipient_pk, uint8_t ret_key[CR_STREAM_KEYBYTES],
			     struct cr_error *err)
{
	int r;
	switch (h->prot) {
	case CR_IMAGE_PLAIN:
		return 0;
	case CR_IMAGE_KEYFILE:
		if (!key_file)
			return cr_error_set(err, EINVAL, "key-file protection needs a key file");
		r = cr_keyfile_derive(key_file, CR_IMAGE_KDF_CONTEXT, ret_key, h->key_id, err);
		return r < 0 ? cr_error_wrap(err, "image key") : 0;
	case CR_IMAGE_SEALED:
		if (!recipient_pk)
			return cr_error_set(err, EINVAL, "sealed protection needs a recipient key");
		cr_random_bytes(ret_key, CR_STREAM_KEYBYTES);
		memcpy(h->recipient_pk, recipient_pk, CR_HOSTKEY_BYTES);
		return cr_seal_key(ret_key, recipient_pk, h->sealed_key, err);
	}
	return cr_error_set(err, EINVAL, "unknown image protection %d", (int)h->prot);
}

static int key_from_file(const struct cr_image_header *h, const char *path,
			 uint8_t ret_key[CR_STREAM_KEYBYTES], struct cr_error *err)
{
	uint8_t id[CR_KEY_ID_BYTES];
	int r = cr_keyfile_derive(path, CR_IMAGE_KDF_CONTEXT, ret_key, id, err);
	if (r < 0)
		return r;
	if (memcmp(id, h->key_id, sizeof(id)) != 0) {
		char want[2 * CR_KEY_ID_BYTES + 1], got[2 * CR_KEY_ID_BYTES + 1];
		hex8(h->key_id, want);
		hex8(id, got);
		cr_memzero(ret_key, CR_STREAM_KEYBYTES);
		return cr_error_set(err, EACCES,
				    "wrong key: the image was encrypted with key id %s, "
				    "key file %s has key id %s",
				    want, path, got);
	}
	return 0;
}

static int key_from_host(const struct cr_image_header *h, const char *path,
			 uint8_t ret_key[CR_STREAM_KEYBYTES], struct cr_error *err)
{
	struct cr_host_keypair kp;
	int r = cr_hostkey_load(path, &kp, err);
	if (r < 0)
		return r;
	if (memcmp(kp.pk, h->recipient_pk, CR_HOSTKEY_BYTES) != 0) {
		char want[CR_HOSTKEY_TEXT_MAX], got[CR_HOSTKEY_TEXT_MAX];
		cr_hostkey_to_base64(h->recipient_pk, want);
		cr_hostkey_to_base64(kp.pk, got);
		cr_memzero(&kp, sizeof(kp));
		return cr_error_set(err, EACCES,
				    "wrong key: the image is sealed to host key %s, "
				    "host key %s has public key %s",
				    want, path, got);
	}
	r = cr_seal_open_key(h->sealed_key, &kp, ret_key, err);
	cr_memzero(&kp, sizeof(kp));
	return r;
}

int cr_image_keys_for_reader(const struct cr_image_header *h, const struct cr_image_keys *keys,
			     uint8_t ret_key[CR_STREAM_KEYBYTES], struct cr_error *err)
{
	switch (h->prot) {
	case CR_IMAGE_PLAIN:
		return 0;
	case CR_IMAGE_KEYFILE:
		if (!keys || !keys->key_file)
			return cr_error_set(err, EACCES,
					    "image is encrypted with a key file and none was given%s%s",
					    keys && keys->key_flag ? ": give it with " : "",
					    keys && keys->key_flag ? keys->key_flag : "");
		return key_from_file(h, keys->key_file, ret_key, err);
	case CR_IMAGE_SEALED:
		if (!keys || !keys->host_key_file)
			return cr_error_set(err, EACCES,
					    "image is sealed to a host key and none was given (it "
					    "opens only on that host%s%s)",
					    keys && keys->host_key_flag ? ", with " : "",
					    keys && keys->host_key_flag ? keys->host_key_flag : "");

		return key_from_host(h, keys->host_key_file, ret_key, err);
	}
	return cr_error_set(err, EINVAL, "unknown image protection %d", (int)h->prot);
}
