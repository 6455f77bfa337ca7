/* On-disk constants of the checkpoint image format (docs/image-format.md).
 * Everything multi-byte is little-endian. */
#ifndef CORRAL_FORMATS_IMAGE_FORMAT_H
#define CORRAL_FORMATS_IMAGE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define CR_IMAGE_MAGIC "\x89" "CRLIMG\n"
#define CR_IMAGE_MAGIC_LEN 8
#define CR_IMAGE_MAJOR 1
#define CR_IMAGE_MINOR 1 /* 1.1: the manifest's criu_needs (field 13) */
/* Format 2.0: the streamed layout (formats/image_stream_writer.h), entries
 * listed at the end in an INDEX record found through a fixed tail. */
#define CR_IMAGE_MAJOR_STREAMED 2
#define CR_IMAGE_MINOR_STREAMED 1 /* 2.1: criu_needs */

/* Fixed header prefix: magic, major, minor, protection, reserved, ext length. */
#define CR_IMAGE_PREFIX_LEN 16
#define CR_IMAGE_EXT_MAX 1024

enum cr_image_protection {
	CR_IMAGE_PLAIN = 0,   /* per-record CRC32C chain: integrity, not secrecy */
	CR_IMAGE_KEYFILE = 1, /* secretstream, key derived from a shared key file */
	CR_IMAGE_SEALED = 2,  /* secretstream, key sealed to a host's X25519 key */
};

/* Record types (first plaintext byte of each frame). Types >= 128 are
 * optional: a reader that does not know one skips it. */
enum {
	CR_REC_MANIFEST = 1,
	CR_REC_DATA = 2,
	CR_REC_TRAILER = 3,
	CR_REC_CHUNK = 4, /* 2.x: entry:u32 then a DATA body */
	CR_REC_INDEX = 5, /* 2.x: a Manifest of every entry and chunk */
	CR_REC_OPTIONAL_MIN = 128,
};

/* DATA record body: codec (1 byte), raw length (4 bytes), payload. */
enum { CR_CODEC_STORED = 0, CR_CODEC_LZ4 = 1 };
#define CR_DATA_HDR_LEN 6 /* type + codec + raw length */
#define CR_CHUNK_HDR_LEN 10 /* type + entry + codec + raw length */

/* 2.x: the image ends with a fixed tail after the trailer frame:
 * index_offset:u64 index_frame:u64 index_prev:u32 crc:u32 magic[8], the CRC32C
 * covering the 20 bytes before it. */
#define CR_IMAGE_TAIL_LEN 32
#define CR_IMAGE_TAIL_MAGIC "\x89" "CRLEND\n"

#define CR_IMAGE_BLOCK_SIZE (128u * 1024u) /* what this writer uses */
#define CR_IMAGE_BLOCK_MIN 4096u           /* what a reader accepts */
#define CR_IMAGE_BLOCK_MAX (1024u * 1024u)

/* Caps a reader enforces before allocating anything. */
#define CR_IMAGE_MANIFEST_MAX (16u * 1024u * 1024u)
#define CR_IMAGE_FRAME_MAX (CR_IMAGE_MANIFEST_MAX + 64u)
#define CR_IMAGE_ENTRIES_MAX 1000000u
#define CR_IMAGE_PATH_MAX 4096u
#define CR_IMAGE_FILE_MAX (UINT64_C(1) << 46) /* 64 TiB per entry */
#define CR_IMAGE_CHECK_LEN 4                  /* CRC32C after each plain frame */

/* Key-derivation context for key files, and key id length. */
#define CR_IMAGE_KDF_CONTEXT "crimage1"

static inline void cr_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void cr_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t cr_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t cr_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

#endif
