/* One pass over an image's data: frames are read, checked or decrypted in
 * order by this thread, decompressed by a pool, delivered in order. */
#include <stdlib.h>
#include <string.h>

#include "formats/image_compress.h"
#include "formats/image_pool.h"
#include "formats/image_reader_internal.h"

struct unpack_job {
	struct cr_buf frame, plain;
	const uint8_t *payload; /* compressed or stored bytes inside frame/plain */
	size_t payload_len;
	int codec;
	uint8_t *raw;
	size_t raw_len;
	uint64_t record;
	bool bad;
};

struct unpacker {
	struct cr_image_reader *r;
	const struct cr_image_visitor *v;
	struct cr_pool *pool;
	struct unpack_job jobs[2 * 16 + 2];
	unsigned n_jobs;
	uint64_t submitted, blocks, data_bytes;
	size_t data_max;
};

static void unpack_job_run(void *arg)
{
	struct unpack_job *j = arg;
	if (j->codec == CR_CODEC_LZ4)
		j->bad = cr_decompress_block(j->payload, j->payload_len, j->raw, j->raw_len) < 0;
	else
		memcpy(j->raw, j->payload, j->raw_len);
}

static int deliver_oldest(struct unpacker *u, const struct cr_image_entry *e,
			  struct cr_error *err)
{
	struct unpack_job *j = cr_pool_wait_oldest(u->pool);
	if (!j)
		return 0;
	if (j->bad)
		return cr_error_set(err, EBADMSG,
				    "record %llu: LZ4 block does not decompress to %zu bytes",
				    (unsigned long long)j->record, j->raw_len);
	if (u->v && u->v->on_data)
		return u->v->on_data(u->v->ctx, e, j->raw, j->raw_len, err);
	return 0;
}

/* Read the next frame that is not an optional record a reader may skip. */
static int next_record(struct unpacker *u, struct cr_buf *frame, struct cr_buf *plain,
		       uint8_t **ret_pt, size_t *ret_len, bool *ret_final, const char *expect,
		       struct cr_error *err)
{
	struct cr_image_reader *r = u->r;
	for (;;) {
		size_t len = 0;
		int ret = cr_frame_read(&r->fs, &r->in, frame, u->data_max, &len, err);
		if (ret > 0)
			return cr_error_set(err, EPIPE,
					    "image is truncated: it ends at offset %llu where %s "
					    "was expected",
					    (unsigned long long)r->fs.offset, expect);
		if (ret < 0)
			return ret;
		uint64_t idx = r->fs.index;
		ret = cr_frame_open(&r->fs, frame->p, len, plain, ret_pt, ret_len, ret_final, err);
		if (ret < 0)
			return ret;
		uint8_t type = (*ret_pt)[0];
		if (type >= CR_REC_OPTIONAL_MIN && !*ret_final)
			continue;
		if (*ret_final && type != CR_REC_TRAILER)
			return cr_error_set(err, EBADMSG,
					    "record %llu of type %u is marked as the last one",
					    (unsigned long long)idx, type);
		return 0;
	}
}

static int read_block(struct unpacker *u, struct unpack_job *j, size_t raw_len,
		      const struct cr_image_entry *e, struct cr_error *err)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	bool final = false;
	j->record = u->r->fs.index;
	int r = next_record(u, &j->frame, &j->plain, &pt, &len, &final, "a data block", err);
	if (r < 0)
		return r;
	if (pt[0] != CR_REC_DATA || len < CR_DATA_HDR_LEN)
		return cr_error_set(err, EBADMSG,
				    "record %llu has type %u where data of %s was expected",
				    (unsigned long long)j->record, pt[0], e->path);
	j->codec = pt[1];
	j->raw_len = cr_get_le32(pt + 2);
	j->payload = pt + CR_DATA_HDR_LEN;
	j->payload_len = len - CR_DATA_HDR_LEN;
	if (j->raw_len != raw_len)
		return cr_error_set(err, EBADMSG,
				    "record %llu holds %zu bytes of %s where %zu were expected",
				    (unsigned long long)j->record, j->raw_len, e->path, raw_len);
	if (j->codec != CR_CODEC_LZ4 && j->codec != CR_CODEC_STORED)
		return cr_error_set(err, EBADMSG, "record %llu uses unknown compression %d",
				    (unsigned long long)j->record, j->codec);
	if (j->codec == CR_CODEC_STORED && j->payload_len != raw_len)
		return cr_error_set(err, EBADMSG,
				    "record %llu: stored block has %zu bytes, expected %zu",
				    (unsigned long long)j->record, j->payload_len, raw_len);
	return 0;
}

static int unpack_file(struct unpacker *u, const struct cr_image_entry *e,
		       struct cr_error *err)
{
	uint32_t bs = u->r->m.block_size;
	for (uint64_t off = 0; off < e->size;) {
		if (cr_pool_outstanding(u->pool) >= u->n_jobs) {
			int r = deliver_oldest(u, e, err);
			if (r < 0)
				return r;
		}
		struct unpack_job *j = &u->jobs[u->submitted % u->n_jobs];
		size_t want = e->size - off < bs ? (size_t)(e->size - off) : bs;
		int r = read_block(u, j, want, e, err);
		if (r < 0)
			return r;
		cr_pool_submit(u->pool, j);
		u->submitted++;
		u->blocks++;
		u->data_bytes += want;
		off += want;
	}
	while (cr_pool_outstanding(u->pool) > 0) {
		int r = deliver_oldest(u, e, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_trailer(struct unpacker *u, struct cr_image_trailer *ret,
			 struct cr_error *err)
{
	struct cr_image_reader *r = u->r;
	uint8_t *pt = NULL;
	size_t len = 0;
	bool final = false;
	int ret_code = next_record(u, &r->frame, &r->plain, &pt, &len, &final, "the trailer", err);
	if (ret_code < 0)
		return ret_code;
	if (pt[0] != CR_REC_TRAILER)
		return cr_error_set(err, EBADMSG,
				    "record %llu has type %u where the trailer was expected",
				    (unsigned long long)(r->fs.index - 1), pt[0]);
	if (r->h.prot != CR_IMAGE_PLAIN && !final)
		return cr_error_set(err, EBADMSG, "trailer is not marked as the last record");
	struct cr_image_trailer t;
	ret_code = cr_image_trailer_unpack(pt + 1, len - 1, &t, err);
	if (ret_code < 0)
		return ret_code;
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
		ret_code = cr_io_read_full(&r->in, &extra, 1, "trailing data", err);
		if (ret_code < 0)
			return ret_code;
		if (ret_code == 0)
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
			return cr_error_wrap(err, "%s", e->path);
	}
	return check_trailer(u, ret, err);
}

int cr_image_reader_read_all(struct cr_image_reader *r, const struct cr_image_visitor *v,
			     unsigned workers, struct cr_image_trailer *ret_trailer,
			     struct cr_error *err)
{
	if (r->consumed)
		return cr_error_set(err, EINVAL, "the image data was already read");
	r->consumed = true;
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
	}
	return ret;
}

int cr_image_verify(struct cr_image_reader *r, struct cr_image_trailer *ret_trailer,
		    struct cr_error *err)
{
	return cr_image_reader_read_all(r, NULL, 0, ret_trailer, err);
}
