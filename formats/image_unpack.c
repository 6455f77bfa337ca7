/* One pass over an image's data: this thread reads frames in order (and
 * checks the CRC chain of plain images); a pool decrypts and decompresses
 * DATA frames in parallel; blocks are delivered in order. */
#include <stdlib.h>
#include <string.h>

#include "formats/image_compress.h"
#include "formats/image_pool.h"
#include "formats/image_reader_internal.h"

struct unpack_job {
	const struct cr_frame_state *fs;
	struct cr_buf frame, plain;
	size_t frame_len;
	uint64_t record;
	bool encrypted;
	const uint8_t *pt; /* plaintext: type, codec, raw length, payload */
	size_t pt_len;
	uint8_t *raw;
	size_t raw_len; /* expected */
	const char *path;
	struct cr_error err; /* filled by the worker */
	bool failed;
};

struct unpacker {
	struct cr_image_reader *r;
	const struct cr_image_visitor *v;
	struct cr_pool *pool;
	struct unpack_job jobs[2 * 16 + 2];
	unsigned n_jobs;
	uint64_t submitted, blocks, data_bytes;
	size_t data_max;
	struct cr_buf skip; /* plaintext of frames opened by this thread */
};

static int decode_block(struct unpack_job *j, struct cr_error *err)
{
	return cr_data_body_decode(j->pt + 1, j->pt_len - 1, j->raw, j->raw_len,
				   (unsigned long long)j->record, j->path, err);
}

static void unpack_job_run(void *arg)
{
	struct unpack_job *j = arg;
	if (j->encrypted) {
		bool final = false;
		if (cr_frame_open_encrypted(j->fs, j->record, j->frame.p, j->frame_len, &j->plain,
					    &j->pt_len, &final, &j->err) < 0) {
			j->failed = true;
			return;
		}
		j->pt = j->plain.p;
		if (final) {
			cr_error_set(&j->err, EBADMSG, "record %llu of type %u is marked as the last one",
				     (unsigned long long)j->record, j->pt[0]);
			j->failed = true;
			return;
		}
	}
	j->failed = decode_block(j, &j->err) < 0;
}

static int deliver_oldest(struct unpacker *u, const struct cr_image_entry *e,
			  struct cr_error *err)
{
	struct unpack_job *j = cr_pool_wait_oldest(u->pool);
	if (!j)
		return 0;
	if (j->failed)
		return cr_error_set(err, j->err.code, "%s", cr_error_msg(&j->err));
	if (u->v && u->v->on_data)
		return u->v->on_data(u->v->ctx, e, j->raw, j->raw_len, err);
	return 0;
}

/* Read the next frame that is not an optional record a reader may skip
 * (those are opened here, in order, and dropped). */
static int next_frame(struct unpacker *u, struct cr_buf *frame, size_t *ret_len,
		      uint64_t *ret_index, const char *expect, struct cr_error *err)
{
	struct cr_image_reader *r = u->r;
	for (;;) {
		int ret = cr_frame_read(&r->fs, &r->in, frame, u->data_max, ret_len, ret_index, err);
		if (ret > 0)
			return cr_error_set(err, EPIPE,
					    "image is truncated: it ends at offset %llu where %s "
					    "was expected",
					    (unsigned long long)r->fs.offset, expect);
		if (ret < 0 || frame->p[0] < CR_REC_OPTIONAL_MIN)
			return ret;
		uint8_t *pt = NULL;
		size_t len = 0;
		bool final = false;
		ret = cr_frame_open(&r->fs, *ret_index, frame->p, *ret_len, &u->skip, &pt, &len,
				    &final, err);
		if (ret < 0)
			return ret;
		if (final)
			return cr_error_set(err, EBADMSG,
					    "record %llu of type %u is marked as the last one",
					    (unsigned long long)*ret_index, frame->p[0]);
	}
}

static int read_block(struct unpacker *u, struct unpack_job *j, size_t raw_len,
		      const struct cr_image_entry *e, struct cr_error *err)
{
	int r = next_frame(u, &j->frame, &j->frame_len, &j->record, "a data block", err);
	if (r < 0)
		return r;
	if (j->frame.p[0] != CR_REC_DATA)
		return cr_error_set(err, EBADMSG,
				    "record %llu has type %u where data of %s was expected",
				    (unsigned long long)j->record, j->frame.p[0], e->path);
	j->fs = &u->r->fs;
	j->raw_len = raw_len;
	j->path = e->path;
	j->failed = false;
	j->encrypted = u->r->h.prot != CR_IMAGE_PLAIN;
	if (j->encrypted)
		return 0;
	j->pt = j->frame.p;
	return cr_frame_open_plain(&u->r->fs, j->record, j->frame.p, j->frame_len, &j->pt_len, err);
}

static int unpack_file(struct unpacker *u, const struct cr_image_entry *e,
		       struct cr_error *err)
{
	uint32_t bs = u->r->m.block_size;
	int r = 0;
	for (uint64_t off = 0; r == 0 && off < e->size;) {
		if (cr_pool_outstanding(u->pool) >= u->n_jobs && (r = deliver_oldest(u, e, err)) < 0)
			break;
		struct unpack_job *j = &u->jobs[u->submitted % u->n_jobs];
		size_t want = e->size - off < bs ? (size_t)(e->size - off) : bs;
		if ((r = read_block(u, j, want, e, err)) < 0)
			break;
		cr_pool_submit(u->pool, j);
		u->submitted++;
		u->blocks++;
		u->data_bytes += want;
		off += want;
	}
	while (cr_pool_outstanding(u->pool) > 0) {
		if (r < 0)
			cr_pool_wait_oldest(u->pool);
		else
			r = deliver_oldest(u, e, err);
	}
	return r;
}

static int check_trailer(struct unpacker *u, struct cr_image_trailer *ret,
			 struct cr_error *err)
{
	struct cr_image_reader *r = u->r;
	uint8_t *pt = NULL;
	size_t len = 0, plen = 0;
	uint64_t idx = 0;
	bool final = false;
	int rc = next_frame(u, &r->frame, &len, &idx, "the trailer", err);
	if (rc < 0)
		return rc;
	if (r->frame.p[0] != CR_REC_TRAILER)
		return cr_error_set(err, EBADMSG,
				    "record %llu has type %u where the trailer was expected",
				    (unsigned long long)idx, r->frame.p[0]);
	rc = cr_frame_open(&r->fs, idx, r->frame.p, len, &r->plain, &pt, &plen, &final, err);
	if (rc < 0)
		return rc;
	if (r->h.prot != CR_IMAGE_PLAIN && !final)
		return cr_error_set(err, EBADMSG, "trailer is not marked as the last record");
	struct cr_image_trailer t;
	rc = cr_image_trailer_unpack(pt + 1, plen - 1, &t, err);
	if (rc < 0)
		return rc;
	if (t.entry_count != r->m.n_entries || t.data_bytes != u->data_bytes ||
	    t.block_count != u->blocks)
		return cr_error_set(err, EBADMSG,
				    "trailer says %llu entries, %llu bytes in %llu blocks; "
				    "read %zu entries, %llu bytes in %llu blocks",
				    (unsigned long long)t.entry_count,
				    (unsigned long long)t.data_bytes,
				    (unsigned long long)t.block_count, r->m.n_entries,
				    (unsigned long long)u->data_bytes, (unsigned long long)u->blocks);
	if (!r->allow_trailing) {
		uint8_t extra;
		rc = cr_io_read_full(&r->in, &extra, 1, "trailing data", err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return cr_error_set(err, EBADMSG,
					    "unexpected data after the trailer at offset %llu",
					    (unsigned long long)r->fs.offset);
	}
	if (ret)
		*ret = t;
	return 0;
}

static int unpack_entries(struct unpacker *u, struct cr_image_trailer *ret, struct cr_error *err)
{
	const struct cr_image_visitor *v = u->v;
	for (size_t i = 0; i < u->r->m.n_entries; i++) {
		const struct cr_image_entry *e = &u->r->m.entries[i];
		int r = v && v->on_entry ? v->on_entry(v->ctx, e, err) : 0;
		if (r == 0 && e->type == CR_ENTRY_FILE)
			r = unpack_file(u, e, err);
		if (r == 0 && v && v->on_entry_end)
			r = v->on_entry_end(v->ctx, e, err);
		if (r < 0)
			return cr_error_wrap(err, "entry %s", e->path);
	}
	return check_trailer(u, ret, err);
}

int cr_image_reader_read_all(struct cr_image_reader *r, const struct cr_image_visitor *v,
			     unsigned workers, struct cr_image_trailer *ret_trailer,
			     struct cr_error *err)
{
	if (r->sequential) {
		if (v && (v->on_entry || v->on_data || v->on_entry_end))
			return cr_error_set(err, EINVAL, "a streamed image read from a stream names its entries only "
							 "at its end: it can be verified or extracted, not visited");
		int ret = cr_image_stream_pass(r, NULL, err);
		if (ret == 0 && ret_trailer)
			*ret_trailer = r->trailer;
		return ret;
	}
	if (r->consumed)
		return cr_error_set(err, EINVAL, "the image data was already read");
	r->consumed = true;
	if (r->h.major == CR_IMAGE_MAJOR_STREAMED)
		return cr_image_read_all_indexed(r, v, ret_trailer, err);
	struct unpacker u;
	memset(&u, 0, sizeof(u));
	u.r = r;
	u.v = v;
	if (!workers)
		workers = cr_pool_default_workers();
	if (workers > 16)
		workers = 16;
	u.n_jobs = 2 * workers + 2;
	u.data_max = CR_DATA_HDR_LEN + cr_compress_bound(r->m.block_size) +
		     cr_frame_overhead(r->h.prot);
	int ret = 0;
	for (unsigned i = 0; ret == 0 && i < u.n_jobs; i++)
		if (!(u.jobs[i].raw = malloc(r->m.block_size)))
			ret = cr_error_set(err, ENOMEM, "out of memory for image blocks");
	if (ret == 0)
		ret = cr_pool_new(workers, unpack_job_run, &u.pool, err);
	if (ret == 0)
		ret = unpack_entries(&u, ret_trailer, err);
	cr_pool_free(u.pool);
	for (unsigned i = 0; i < u.n_jobs; i++) {
		free(u.jobs[i].raw);
		cr_buf_free(&u.jobs[i].frame);
		cr_buf_free(&u.jobs[i].plain);
		cr_error_clear(&u.jobs[i].err);
	}
	cr_buf_free(&u.skip);
	return ret;
}

int cr_image_verify(struct cr_image_reader *r, struct cr_image_trailer *ret_trailer,
		    struct cr_error *err)
{
	return cr_image_reader_read_all(r, NULL, 0, ret_trailer, err);
}
