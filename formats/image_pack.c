/* cr_image_writer_finish: header, manifest, DATA blocks compressed by a pool
 * of workers and sealed in order by this thread, trailer. */
#define LOG_PREFIX "image: "
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/image_compress.h"
#include "formats/image_crc32c.h"
#include "formats/image_frame.h"
#include "formats/image_pool.h"
#include "formats/image_writer_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

struct pack_job {
	enum cr_image_protection prot;
	/* Input: read by the worker, from an fd at OFF or from a buffer. */
	int fd;
	const uint8_t *data;
	uint64_t off;
	const char *what;
	int read_errno; /* set by the worker: -1 = the file shrank */
	uint8_t *raw;
	size_t raw_len;
	uint8_t *buf; /* 4 bytes headroom, plaintext, 4 bytes tail room */
	size_t plain_len;
	size_t bound;
	uint32_t body_crc;
	/* Encrypted images: the worker seals frame INDEX into ENC. */
	const struct cr_frame_state *fs;
	uint64_t index;
	uint8_t *enc;
	size_t frame_len;
	struct cr_error err;
	bool failed;
};

struct packer {
	struct cr_image_writer *w;
	struct cr_frame_state fs;
	struct cr_pool *pool;
	struct pack_job jobs[2 * 16 + 2];
	unsigned n_jobs;
	uint64_t submitted, blocks, data_bytes;
	uint64_t in_done, in_total; /* file bytes packed, of all */
	struct cr_buf enc;
};

static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static void pack_job_run(void *arg)
{
	struct pack_job *j = arg;
	if (j->data)
		memcpy(j->raw, j->data + j->off, j->raw_len);
	else if ((j->read_errno = read_at(j->fd, j->raw, j->raw_len, j->off)) != 0)
		return;
	uint8_t *p = j->buf + 4;
	p[0] = CR_REC_DATA;
	j->plain_len = 1 + cr_data_body_encode(j->raw, j->raw_len, p + 1, j->bound, CR_COMPRESS_BEST);
	if (j->prot == CR_IMAGE_PLAIN)
		j->body_crc = cr_crc32c(0, p, j->plain_len);
	else
		j->failed = cr_frame_seal_encrypted(j->fs, j->index, p, j->plain_len, false, j->enc,
						    &j->frame_len, &j->err) < 0;
}

static int write_frame(struct packer *pk, const uint8_t *frame, size_t len, struct cr_error *err)
{
	int r = cr_io_write_all(&pk->w->out, frame, len, err);
	if (r < 0)
		return r;
	pk->w->written += len;
	return 0;
}

/* Seal and write a frame made by this thread (manifest, trailer). */
static int emit(struct packer *pk, uint8_t *plain, size_t len, bool final, struct cr_error *err)
{
	size_t flen = 0;
	int r = cr_frame_emit(&pk->fs, plain, len, final, &pk->enc, &pk->w->out, &flen, err);
	if (r == 0)
		pk->w->written += flen;
	return r;
}

static int emit_oldest(struct packer *pk, struct cr_error *err)
{
	struct pack_job *j = cr_pool_wait_oldest(pk->pool);
	if (!j)
		return 0;
	if (j->read_errno < 0)
		return cr_error_set(err, EAGAIN, "%s shrank while it was being packed", j->what);
	if (j->read_errno > 0) {
		errno = j->read_errno;
		return cr_error_errno(err, "cannot read %s", j->what);
	}
	if (j->failed)
		return cr_error_set(err, j->err.code, "%s", cr_error_msg(&j->err));
	pk->blocks++;
	int r;
	if (pk->fs.prot != CR_IMAGE_PLAIN) {
		r = write_frame(pk, j->enc, j->frame_len, err);
	} else {
		const uint8_t *frame = NULL;
		size_t flen = 0;
		cr_frame_seal_plain(&pk->fs, j->buf + 4, j->plain_len, j->body_crc, &frame, &flen);
		r = write_frame(pk, frame, flen, err);
	}
	pk->in_done += j->raw_len;
	const struct cr_image_options *o = &pk->w->opts;
	if (r == 0 && o->progress)
		o->progress(o->progress_ctx, pk->in_done, pk->in_total, pk->w->written);
	return r;
}

/* A free job: the oldest is written out first when all are in flight. */
static int next_job(struct packer *pk, struct pack_job **ret, struct cr_error *err)
{
	if (cr_pool_outstanding(pk->pool) >= pk->n_jobs) {
		int r = emit_oldest(pk, err);
		if (r < 0)
			return r;
	}
	*ret = &pk->jobs[pk->submitted % pk->n_jobs];
	return 0;
}

/* A log its writer may still append to (CRIU's dump.log: a lazy dump goes on
 * logging while its images are packed) is packed as far as the manifest
 * says; any other file that grows is refused. */
static bool is_log(const char *path)
{
	size_t n = strlen(path);
	return n > 4 && strcmp(path + n - 4, ".log") == 0;
}

static int pack_file(struct packer *pk, size_t idx, struct cr_error *err)
{
	struct cr_image_writer *w = pk->w;
	const struct cr_image_entry *e = &w->m.entries[idx];
	const struct cr_wsource *s = &w->src[idx];
	const char *what = s->path ? s->path : e->path;
	cleanup_close int own = -1;
	int fd = s->fd;
	if (s->path) {
		own = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (own < 0)
			return cr_error_errno(err, "cannot open %s", s->path);
		fd = own;
	}
	int r = 0;
	for (uint64_t off = 0; r == 0 && off < e->size;) {
		struct pack_job *j = NULL;
		if ((r = next_job(pk, &j, err)) < 0)
			break;
		j->raw_len = e->size - off < w->m.block_size ? (size_t)(e->size - off)
							       : w->m.block_size;
		j->fd = fd;
		j->data = s->data;
		j->off = off;
		j->what = what;
		j->read_errno = 0;
		j->failed = false;
		j->index = pk->fs.index++;
		cr_pool_submit(pk->pool, j);
		pk->submitted++;
		off += j->raw_len;
		pk->data_bytes += j->raw_len;
	}
	/* The workers use FD and WHAT: finish this file's blocks before closing,
	 * also after an error. */
	while (cr_pool_outstanding(pk->pool) > 0) {
		if (r < 0)
			cr_pool_wait_oldest(pk->pool);
		else
			r = emit_oldest(pk, err);
	}
	if (r < 0)
		return r;
	uint8_t extra;
	if (!s->data && !is_log(e->path) && pread(fd, &extra, 1, (off_t)e->size) > 0)
		return cr_error_set(err, EAGAIN, "%s grew while it was being packed", what);
	return 0;
}

static int packer_init(struct packer *pk, struct cr_image_writer *w, struct cr_error *err)
{
	pk->w = w;
	pk->fs.prot = w->h.prot;
	unsigned workers = w->opts.workers ? w->opts.workers : cr_pool_default_workers();
	if (workers > 16)
		workers = 16;
	pk->n_jobs = 2 * workers + 2;
	size_t bound = cr_compress_bound(w->m.block_size);
	for (unsigned i = 0; i < pk->n_jobs; i++) {
		struct pack_job *j = &pk->jobs[i];
		j->prot = w->h.prot;
		j->bound = bound;
		j->fs = &pk->fs;
		j->raw = malloc(w->m.block_size);
		j->buf = malloc(4 + CR_DATA_HDR_LEN + bound + 4);
		j->enc = malloc(4 + CR_DATA_HDR_LEN + bound + cr_frame_overhead(w->h.prot));
		if (!j->raw || !j->buf || !j->enc)
			return cr_error_set(err, ENOMEM, "out of memory for image blocks");
	}
	return cr_pool_new(workers, pack_job_run, &pk->pool, err);
}

static void packer_done(struct packer *pk)
{
	cr_pool_free(pk->pool); /* waits for jobs still using the buffers */
	for (unsigned i = 0; i < pk->n_jobs; i++) {
		free(pk->jobs[i].raw);
		free(pk->jobs[i].buf);
		free(pk->jobs[i].enc);
		cr_error_clear(&pk->jobs[i].err);
	}
	cr_buf_free(&pk->enc);
}

int cr_writer_head(struct cr_image_writer *w, struct cr_frame_state *fs, struct cr_buf *enc,
		   struct cr_error *err)
{
	cleanup_free uint8_t *pb = NULL;
	size_t pb_len = 0;
	int r = cr_image_manifest_check(&w->m, err);
	if (r == 0)
		r = cr_image_manifest_pack(&w->m, &pb, &pb_len, err);
	if (r < 0)
		return r;
	if (w->h.prot != CR_IMAGE_PLAIN)
		cr_random_bytes(w->h.nonce, sizeof(w->h.nonce));
	cr_image_header_encode(&w->h);
	fs->prot = w->h.prot;
	fs->chain = w->h.crc;
	fs->key = w->key;
	fs->hdr = w->h.raw;
	fs->hdr_len = w->h.raw_len;
	r = cr_io_write_all(&w->out, w->h.raw, w->h.raw_len, err);
	if (r < 0)
		return r;
	w->written += w->h.raw_len;
	cleanup_free uint8_t *rec = malloc(4 + 1 + pb_len + 4);
	if (!rec)
		return cr_error_set(err, ENOMEM, "out of memory writing the manifest");
	rec[4] = CR_REC_MANIFEST;
	memcpy(rec + 5, pb, pb_len);
	size_t flen = 0;
	r = cr_frame_emit(fs, rec + 4, 1 + pb_len, false, enc, &w->out, &flen, err);
	if (r == 0)
		w->written += flen;
	return r;
}

static int write_tail(struct packer *pk, struct cr_error *err)
{
	uint8_t rec[4 + 1 + 64 + 4];
	size_t len = 0;
	struct cr_image_trailer t = {.entry_count = pk->w->m.n_entries,
				     .data_bytes = pk->data_bytes,
				     .block_count = pk->blocks};
	int r = cr_image_trailer_pack(&t, rec + 5, 64, &len, err);
	if (r < 0)
		return r;
	rec[4] = CR_REC_TRAILER;
	return emit(pk, rec + 4, 1 + len, true, err);
}

static int pack_all(struct packer *pk, struct cr_error *err)
{
	int r = cr_writer_head(pk->w, &pk->fs, &pk->enc, err);
	if (r < 0)
		return cr_error_wrap(err, "writing the image header");
	for (size_t i = 0; i < pk->w->m.n_entries; i++)
		if (pk->w->m.entries[i].type == CR_ENTRY_FILE)
			pk->in_total += pk->w->m.entries[i].size;
	for (size_t i = 0; i < pk->w->m.n_entries; i++) {
		if (pk->w->m.entries[i].type != CR_ENTRY_FILE)
			continue;
		r = pack_file(pk, i, err);
		if (r < 0)
			return cr_error_wrap(err, "packing %s", pk->w->m.entries[i].path);
	}
	while (cr_pool_outstanding(pk->pool) > 0)
		if ((r = emit_oldest(pk, err)) < 0)
			return cr_error_wrap(err, "writing the image");
	r = write_tail(pk, err);
	return r < 0 ? cr_error_wrap(err, "writing the image trailer") : 0;
}

int cr_image_writer_finish(struct cr_image_writer *w, struct cr_error *err)
{
	if (w->finished)
		return cr_error_set(err, EINVAL, "image already written");
	w->finished = true;
	struct packer pk;
	memset(&pk, 0, sizeof(pk));
	int r = packer_init(&pk, w, err);
	if (r == 0)
		r = pack_all(&pk, err);
	cr_debug("wrote %llu bytes, %llu blocks", (unsigned long long)w->written,
		 (unsigned long long)pk.blocks);
	packer_done(&pk);
	return r;
}
