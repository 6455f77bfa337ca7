/* Header encoding and checked decoding. */
#include "formats/image_header.h"

#include "formats/image_crc32c.h"

#define KEYFILE_EXT_LEN (CR_KEY_ID_BYTES + CR_STREAM_HEADERBYTES)
#define SEALED_EXT_LEN (CR_HOSTKEY_BYTES + CR_SEALED_KEY_BYTES + CR_STREAM_HEADERBYTES)

const char *cr_image_protection_name(enum cr_image_protection prot)
{
	switch (prot) {
	case CR_IMAGE_PLAIN:
		return "none (CRC32C integrity only)";
	case CR_IMAGE_KEYFILE:
		return "XChaCha20-Poly1305, key file";
	case CR_IMAGE_SEALED:
		return "XChaCha20-Poly1305, key sealed to a host key";
	}
	return "unknown";
}

void cr_image_header_encode(struct cr_image_header *h)
{
	uint8_t *p = h->raw;
	memcpy(p, CR_IMAGE_MAGIC, CR_IMAGE_MAGIC_LEN);
	cr_put_le16(p + 8, h->major);
	cr_put_le16(p + 10, h->minor);
	p[12] = (uint8_t)h->prot;
	p[13] = 0;
	uint8_t *e = p + CR_IMAGE_PREFIX_LEN;
	size_t ext = 0;
	if (h->prot == CR_IMAGE_KEYFILE) {
		memcpy(e, h->key_id, CR_KEY_ID_BYTES);
		memcpy(e + CR_KEY_ID_BYTES, h->nonce, CR_STREAM_HEADERBYTES);
		ext = KEYFILE_EXT_LEN;
	} else if (h->prot == CR_IMAGE_SEALED) {
		memcpy(e, h->recipient_pk, CR_HOSTKEY_BYTES);
		memcpy(e + CR_HOSTKEY_BYTES, h->sealed_key, CR_SEALED_KEY_BYTES);
		memcpy(e + CR_HOSTKEY_BYTES + CR_SEALED_KEY_BYTES, h->nonce,
		       CR_STREAM_HEADERBYTES);
		ext = SEALED_EXT_LEN;
	}
	cr_put_le16(p + 14, (uint16_t)ext);
	h->crc = cr_crc32c(0, p, CR_IMAGE_PREFIX_LEN + ext);
	cr_put_le32(p + CR_IMAGE_PREFIX_LEN + ext, h->crc);
	h->raw_len = CR_IMAGE_PREFIX_LEN + ext + 4;
}

static int parse_ext(struct cr_image_header *h, const uint8_t *e, size_t ext,
		     struct cr_error *err)
{
	size_t need = h->prot == CR_IMAGE_KEYFILE  ? KEYFILE_EXT_LEN
		      : h->prot == CR_IMAGE_SEALED ? SEALED_EXT_LEN
						   : 0;
	if (ext < need)
		return cr_error_set(err, EBADMSG,
				    "image header: protection parameters are %zu bytes, need %zu",
				    ext, need);
	if (h->prot == CR_IMAGE_KEYFILE) {
		memcpy(h->key_id, e, CR_KEY_ID_BYTES);
		memcpy(h->nonce, e + CR_KEY_ID_BYTES, CR_STREAM_HEADERBYTES);
	} else if (h->prot == CR_IMAGE_SEALED) {
		memcpy(h->recipient_pk, e, CR_HOSTKEY_BYTES);
		memcpy(h->sealed_key, e + CR_HOSTKEY_BYTES, CR_SEALED_KEY_BYTES);
		memcpy(h->nonce, e + CR_HOSTKEY_BYTES + CR_SEALED_KEY_BYTES,
		       CR_STREAM_HEADERBYTES);
	}
	return 0;
}

int cr_image_header_read(const struct cr_image_io *io, struct cr_image_header *ret,
			 struct cr_error *err)
{
	struct cr_image_header h = {0};
	uint8_t *p = h.raw;
	int r = cr_io_read_full(io, p, CR_IMAGE_PREFIX_LEN, "the header", err);
	if (r > 0)
		return cr_error_set(err, EBADMSG, "not a Corral image: it is empty");
	if (r < 0)
		return r;
	if (memcmp(p, CR_IMAGE_MAGIC, CR_IMAGE_MAGIC_LEN) != 0)
		return cr_error_set(err, EBADMSG, "not a Corral checkpoint image (bad magic)");
	h.major = cr_get_le16(p + 8);
	h.minor = cr_get_le16(p + 10);
	if (h.major != CR_IMAGE_MAJOR && h.major != CR_IMAGE_MAJOR_STREAMED)
		return cr_error_set(err, EPROTONOSUPPORT,
				    "image format version %u.%u is not supported: this reader "
				    "reads versions %u.x (up to %u.%u) and %u.x (up to %u.%u)",
				    h.major, h.minor, CR_IMAGE_MAJOR, CR_IMAGE_MAJOR, CR_IMAGE_MINOR,
				    CR_IMAGE_MAJOR_STREAMED, CR_IMAGE_MAJOR_STREAMED,
				    CR_IMAGE_MINOR_STREAMED);
	if (p[12] > CR_IMAGE_SEALED)
		return cr_error_set(err, EPROTONOSUPPORT,
				    "image uses unknown protection mode %u (format %u.%u)", p[12],
				    h.major, h.minor);
	h.prot = (enum cr_image_protection)p[12];
	size_t ext = cr_get_le16(p + 14);
	if (ext > CR_IMAGE_EXT_MAX)
		return cr_error_set(err, EBADMSG,
				    "image header: extension length %zu exceeds %u bytes", ext,
				    CR_IMAGE_EXT_MAX);
	r = cr_io_read_full(io, p + CR_IMAGE_PREFIX_LEN, ext + 4, "the header", err);
	if (r > 0)
		return cr_error_set(err, EPIPE, "image is truncated: it ends inside the header");
	if (r < 0)
		return r;
	h.crc = cr_get_le32(p + CR_IMAGE_PREFIX_LEN + ext);
	if (cr_crc32c(0, p, CR_IMAGE_PREFIX_LEN + ext) != h.crc)
		return cr_error_set(err, EBADMSG, "image header checksum mismatch (corrupted header)");
	r = parse_ext(&h, p + CR_IMAGE_PREFIX_LEN, ext, err);
	if (r < 0)
		return r;
	h.raw_len = CR_IMAGE_PREFIX_LEN + ext + 4;
	*ret = h;
	return 0;
}
