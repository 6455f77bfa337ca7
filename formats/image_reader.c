/* Reader set-up: header, keys, manifest. */
#define LOG_PREFIX "image: "
#include "formats/image_reader_internal.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "util/log.h"

static int read_manifest(struct cr_image_reader *r, struct cr_error *err)
{
	size_t len = 0, plen = 0;
	uint64_t idx = 0;
	uint8_t *plain = NULL;
	bool final = false;
	size_t max = CR_IMAGE_MANIFEST_MAX + cr_frame_overhead(r->h.prot) + 1;
	int ret = cr_frame_read(&r->fs, &r->in, &r->frame, max, &len, &idx, err);
	if (ret > 0)
		return cr_error_set(err, EPIPE, "image is truncated: it ends after the header");
	if (ret < 0)
		return ret;
	if (r->frame.p[0] != CR_REC_MANIFEST)
		return cr_error_set(err, EBADMSG, "first record has type %u, expected the manifest",
				    r->frame.p[0]);
	ret = cr_frame_open(&r->fs, idx, r->frame.p, len, &r->plain, &plain, &plen, &final, err);
	if (ret < 0)
		return ret;
	if (final)
		return cr_error_set(err, EBADMSG, "the manifest is marked as the last record");
	ret = cr_image_manifest_unpack(plain + 1, plen - 1, &r->m, err);
	if (ret < 0)
		return ret;
	r->m.major = r->h.major;
	r->m.minor = r->h.minor;
	r->m.protection = r->h.prot;
	return 0;
}

/* A file, read with pread: a streamed image's index is found through its tail. */
static bool seekable(const struct cr_image_io *in)
{
	struct stat st;
	return !in->read && in->fd >= 0 && fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode);
}

int cr_image_reader_open(const struct cr_image_io *in, const struct cr_image_keys *keys,
			 struct cr_image_reader **ret_reader, struct cr_error *err)
{
	struct cr_image_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return cr_error_set(err, ENOMEM, "out of memory for an image reader");
	r->in = *in;
	int ret = cr_image_header_read(&r->in, &r->h, err);
	if (ret == 0) {
		r->fs.prot = r->h.prot;
		r->fs.chain = r->h.crc;
		r->fs.key = r->key;
		r->fs.hdr = r->h.raw;
		r->fs.hdr_len = r->h.raw_len;
		r->fs.offset = r->h.raw_len;
		ret = cr_image_keys_for_reader(&r->h, keys, r->key, err);
	}
	if (ret == 0)
		ret = read_manifest(r, err);
	/* A streamed image from a stream (a relocation's) is read in one pass,
	 * its entries known only at its end. */
	if (ret == 0 && r->h.major == CR_IMAGE_MAJOR_STREAMED && !(r->sequential = !seekable(&r->in)))
		ret = cr_image_index_load(r, err);
	if (ret < 0) {
		cr_image_reader_free(r);
		return ret;
	}
	cr_debug("image %u.%u, %zu entries", r->h.major, r->h.minor, r->m.n_entries);
	*ret_reader = r;
	return 0;
}

const struct cr_image_manifest *cr_image_reader_manifest(const struct cr_image_reader *r)
{
	return &r->m;
}

void cr_image_reader_allow_trailing_data(struct cr_image_reader *r)
{
	r->allow_trailing = true;
}

void cr_image_reader_free(struct cr_image_reader *r)
{
	if (!r)
		return;
	cr_memzero(r->key, sizeof(r->key));
	cr_image_manifest_free(&r->m);
	cr_buf_free(&r->frame);
	cr_buf_free(&r->plain);
	free(r->first);
	free(r->chunk_of);
	free(r->block);
	free(r);
}
