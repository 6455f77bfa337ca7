/* Keys for protected images: how a writer gets its stream key and header
 * fields from its options, and how a reader recovers the key (naming the
 * mismatch when the key it was given is the wrong one). */
#ifndef CORRAL_FORMATS_IMAGE_KEYS_H
#define CORRAL_FORMATS_IMAGE_KEYS_H

#include <stdint.h>

#include "formats/image_header.h"

/* What a reader may use to open a protected image; NULL fields are absent. */
struct cr_image_keys {
	const char *key_file;      /* shared key file (images made with --key-file) */
	const char *host_key_file; /* X25519 private key (images sealed to this host) */
	/* How the caller's user gives each ("-K", "--key-file"), named in the
	 * error when it is missing; NULL: not named. */
	const char *key_flag, *host_key_flag;
};

/* Writer: fill H's key id or sealed key, and RET_KEY, for protection PROT. */
int cr_image_keys_for_writer(struct cr_image_header *h, const char *key_file,
			     const uint8_t *recipient_pk, uint8_t ret_key[CR_STREAM_KEYBYTES],
			     struct cr_error *err);

/* Reader: recover the stream key of an image with header H. */
int cr_image_keys_for_reader(const struct cr_image_header *h, const struct cr_image_keys *keys,
			     uint8_t ret_key[CR_STREAM_KEYBYTES], struct cr_error *err);

#endif
