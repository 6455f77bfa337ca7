/* The image header: magic, version, protection and its parameters, CRC32C.
 *   0  8  magic "\x89CRLIMG\n"
 *   8  2  major      10 2 minor
 *  12  1  protection 13 1 reserved (0)
 *  14  2  extension length E (<= 1024)
 *  16  E  extension (protection parameters; bytes past the known ones ignored)
 * 16+E 4  CRC32C of bytes 0 .. 16+E */
#ifndef CORRAL_FORMATS_IMAGE_HEADER_H
#define CORRAL_FORMATS_IMAGE_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto_keyfile.h"
#include "crypto/crypto_seal.h"
#include "formats/image_format.h"
#include "formats/image_io.h"

struct cr_image_header {
	uint16_t major, minor;
	enum cr_image_protection prot;
	uint8_t key_id[CR_KEY_ID_BYTES];            /* KEYFILE */
	uint8_t recipient_pk[CR_HOSTKEY_BYTES];     /* SEALED */
	uint8_t sealed_key[CR_SEALED_KEY_BYTES];    /* SEALED */
	uint8_t nonce[CR_STREAM_HEADERBYTES]; /* KEYFILE, SEALED: random, per image */
	uint8_t raw[CR_IMAGE_PREFIX_LEN + CR_IMAGE_EXT_MAX + 4];
	size_t raw_len;
	uint32_t crc; /* the last 4 bytes: seeds the plain frame chain */
};

/* Lay out H (version 1.0 and its protection fields) into H->raw. */
void cr_image_header_encode(struct cr_image_header *h);

/* Read and check a header; refuses other major versions naming both. */
int cr_image_header_read(const struct cr_image_io *io, struct cr_image_header *ret,
			 struct cr_error *err);

const char *cr_image_protection_name(enum cr_image_protection prot);

#endif
