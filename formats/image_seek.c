/* Format 2.x (streamed) images, read by random access: the tail locates the
 * INDEX, which lists every entry and where each of its CHUNK records lies;
 * every frame read is checked on its own (plain: the index gives the check
 * of the frame before it; encrypted: its frame number is authenticated). */
#define LOG_PREFIX "image: "
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/image_compress.h"
#include "formats/image_crc32c.h"
#include "formats/image_reader_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static int pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what, struct cr_error *err)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "cannot read %s at offset %llu", what, (unsigned long long)off);
		if (n == 0)
			return cr_error_set(err, EPIPE, "image is truncated: it ends inside %s at offset %llu", what,
					    (unsigned long long)off);
		got += (size_t)n;
	}
	return 0;
}

struct at {
	uint8_t *plain; /* type + body */
	size_t len;
	bool final;
	uint32_t check; /* plain images: this frame's check */
	uint64_t end;   /* offset right after the frame */
};

/* Read and open frame number FRAME at OFF whose predecessor's check is PREV. */
static int frame_at(struct cr_image_reader *r, uint64_t off, uint64_t frame, uint32_t prev, size_t max,
		    struct at *ret, struct cr_error *err)
{
	uint8_t lenb[4];
	int rc = pread_full(r->in.fd, lenb, sizeof(lenb), off, "a record length", err);
	if (rc < 0)
		return rc;
	uint32_t len = cr_get_le32(lenb);
	size_t min = cr_frame_overhead(r->h.prot) + 1;
	if (len < min || len > max)
		return cr_error_set(err, EBADMSG, "record %llu at offset %llu: length %u out of range (%zu to %zu)",
				    (unsigned long long)frame, (unsigned long long)off, len, min, max);
	if ((rc = cr_buf_reserve(&r->frame, (size_t)len + 4, err)) < 0 ||
	    (rc = pread_full(r->in.fd, r->frame.p, len, off + 4, "a record", err)) < 0)
		return rc;
	struct cr_frame_state st = r->fs;
	st.chain = prev;
	rc = cr_frame_open(&st, frame, r->frame.p, len, &r->plain, &ret->plain, &ret->len, &ret->final, err);
	if (rc < 0)
		return cr_error_wrap(err, "record at offset %llu", (unsigned long long)off);
	ret->check = st.chain;
	ret->end = off + 4 + len;
	return 0;
}

struct tail {
	uint64_t index_off, index_frame;
	uint32_t index_prev;
};

static int read_tail(struct cr_image_reader *r, uint64_t size, struct tail *t, struct cr_error *err)
{
	uint8_t b[CR_IMAGE_TAIL_LEN];
	if (size < r->fs.offset + sizeof(b))
		return cr_error_set(err, EPIPE, "image is truncated: it ends before its index");
	int rc = pread_full(r->in.fd, b, sizeof(b), size - sizeof(b), "the tail", err);
	if (rc < 0)
		return rc;
	if (memcmp(b + 24, CR_IMAGE_TAIL_MAGIC, 8) != 0)
		return cr_error_set(err, EPIPE, "image is truncated or unfinished: it does not end with its index tail");
	if (cr_crc32c(0, b, 20) != cr_get_le32(b + 20))
		return cr_error_set(err, EBADMSG, "image tail checksum mismatch (corrupted tail)");
	t->index_off = cr_get_le32(b) | (uint64_t)cr_get_le32(b + 4) << 32;
	t->index_frame = cr_get_le32(b + 8) | (uint64_t)cr_get_le32(b + 12) << 32;
	t->index_prev = cr_get_le32(b + 16);
	if (t->index_off < r->fs.offset || t->index_off >= size - sizeof(b) || t->index_frame < 1 ||
	    t->index_frame > t->index_off)
		return cr_error_set(err, EBADMSG, "image tail points to an index outside the image");
	return 0;
}

int cr_image_index_take(struct cr_image_reader *r, const uint8_t *plain, size_t len, bool final,
			struct cr_error *err)
{
	if (plain[0] != CR_REC_INDEX || final)
		return cr_error_set(err, EBADMSG, "the image tail does not point to its index");
	if (r->m.n_entries > 0)
		return cr_error_set(err, EBADMSG, "a streamed image lists entries in its manifest");
	struct cr_image_manifest idx = {0};
	int rc = cr_image_manifest_unpack(plain + 1, len - 1, &idx, err);
	if (rc < 0)
		return cr_error_wrap(err, "image index");
	if (idx.block_size != r->m.block_size) {
		cr_image_manifest_free(&idx);
		return cr_error_set(err, EBADMSG, "image index block size %u differs from the manifest's %u",
				    idx.block_size, r->m.block_size);
	}
	free(r->m.entries); /* the manifest's, empty (one zeroed slot) */
	free(r->m.chunks);
	r->m.entries = idx.entries;
	r->m.n_entries = idx.n_entries;
	r->m.chunks = idx.chunks;
	r->m.n_chunks = idx.n_chunks;
	idx.entries = NULL;
	idx.chunks = NULL;
	idx.n_entries = idx.n_chunks = 0;
	cr_image_manifest_free(&idx);
	return 0;
}

/* Chunks in image order before the index, each entry's in the number its size
 * needs; first/chunk_of list them per entry. */
static int order_chunks(struct cr_image_reader *r, const struct tail *t, struct cr_error *err)
{
	const struct cr_image_manifest *m = &r->m;
	r->first = calloc(m->n_entries + 1, sizeof(*r->first));
	r->chunk_of = calloc(m->n_chunks ? m->n_chunks : 1, sizeof(*r->chunk_of));
	if (!r->first || !r->chunk_of)
		return cr_error_set(err, ENOMEM, "out of memory reading the image index");
	for (size_t i = 0; i < m->n_chunks; i++) {
		const struct cr_image_chunk *c = &m->chunks[i];
		const struct cr_image_chunk *p = i ? &m->chunks[i - 1] : NULL;
		if (c->offset < r->fs.offset || c->offset >= t->index_off || c->frame < 1 ||
		    c->frame >= t->index_frame || (p && (c->offset <= p->offset || c->frame <= p->frame)))
			return cr_error_set(err, EBADMSG, "image index: chunk %zu is out of place", i);
		r->first[c->entry + 1]++;
	}
	for (size_t e = 0; e < m->n_entries; e++) {
		uint64_t size = m->entries[e].size;
		uint64_t want = (size + m->block_size - 1) / m->block_size;
		if (r->first[e + 1] != want)
			return cr_error_set(err, EBADMSG, "image index: %s has %zu chunks where %llu are needed",
					    m->entries[e].path, r->first[e + 1], (unsigned long long)want);
		r->first[e + 1] += r->first[e];
	}
	cleanup_free size_t *next = calloc(m->n_entries ? m->n_entries : 1, sizeof(*next));
	if (!next)
		return cr_error_set(err, ENOMEM, "out of memory reading the image index");
	for (size_t i = 0; i < m->n_chunks; i++) {
		uint32_t e = m->chunks[i].entry;
		r->chunk_of[r->first[e] + next[e]++] = (uint32_t)i;
	}
	return 0;
}

static int check_trailer(struct cr_image_reader *r, const struct at *a, uint64_t size, struct cr_error *err)
{
	if (a->plain[0] != CR_REC_TRAILER)
		return cr_error_set(err, EBADMSG, "record %u follows the image index where the trailer was expected",
				    a->plain[0]);
	if (r->h.prot != CR_IMAGE_PLAIN && !a->final)
		return cr_error_set(err, EBADMSG, "trailer is not marked as the last record");
	if (a->end + CR_IMAGE_TAIL_LEN != size)
		return cr_error_set(err, EBADMSG, "unexpected data after the trailer at offset %llu",
				    (unsigned long long)a->end);
	int rc = cr_image_trailer_unpack(a->plain + 1, a->len - 1, &r->trailer, err);
	if (rc < 0)
		return rc;
	uint64_t bytes = 0;
	for (size_t i = 0; i < r->m.n_entries; i++) {
		if (r->m.entries[i].size > UINT64_MAX - bytes)
			return cr_error_set(err, EBADMSG, "image index: the sizes of its entries overflow");
		bytes += r->m.entries[i].size;
	}
	const struct cr_image_trailer *t = &r->trailer;
	if (t->entry_count != r->m.n_entries || t->data_bytes != bytes || t->block_count != r->m.n_chunks)
		return cr_error_set(err, EBADMSG,
				    "trailer says %llu entries, %llu bytes in %llu blocks; "
				    "the index lists %zu entries, %llu bytes in %zu blocks",
				    (unsigned long long)t->entry_count, (unsigned long long)t->data_bytes,
				    (unsigned long long)t->block_count, r->m.n_entries, (unsigned long long)bytes,
				    r->m.n_chunks);
	return 0;
}

int cr_image_index_load(struct cr_image_reader *r, struct cr_error *err)
{
	struct stat st;
	if (r->in.read || r->in.fd < 0 || fstat(r->in.fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cr_error_set(err, EINVAL, "a streamed image (format %u.x) is read from a file, not a stream",
				    CR_IMAGE_MAJOR_STREAMED);
	uint64_t size = (uint64_t)st.st_size;
	struct tail t = {0};
	struct at a = {0};
	size_t max = CR_IMAGE_MANIFEST_MAX + cr_frame_overhead(r->h.prot) + 1;
	int rc = read_tail(r, size, &t, err);
	if (rc == 0)
		rc = frame_at(r, t.index_off, t.index_frame, t.index_prev, max, &a, err);
	if (rc == 0)
		rc = cr_image_index_take(r, a.plain, a.len, a.final, err);
	if (rc == 0)
		rc = frame_at(r, a.end, t.index_frame + 1, a.check, 64 + cr_frame_overhead(r->h.prot) + 1, &a, err);
	if (rc == 0)
		rc = check_trailer(r, &a, size, err);
	if (rc == 0)
		rc = order_chunks(r, &t, err);
	return rc;
}

/* Decode block NO of FILE entry E into RAW (block_size bytes); *RET_LEN its length. */
static int read_block(struct cr_image_reader *r, size_t e, uint64_t no, uint8_t *raw, size_t *ret_len,
		      struct cr_error *err)
{
	const struct cr_image_entry *ent = &r->m.entries[e];
	const struct cr_image_chunk *c = &r->m.chunks[r->chunk_of[r->first[e] + no]];
	uint32_t bs = r->m.block_size;
	size_t max = CR_CHUNK_HDR_LEN + cr_compress_bound(bs) + cr_frame_overhead(r->h.prot);
	struct at a = {0};
	int rc = frame_at(r, c->offset, c->frame, c->prev, max, &a, err);
	if (rc < 0)
		return rc;
	unsigned long long rec = (unsigned long long)c->frame;
	if (a.plain[0] != CR_REC_CHUNK || a.final || a.len < 5 || cr_get_le32(a.plain + 1) != e)
		return cr_error_set(err, EBADMSG, "record %llu is not the chunk of %s the index names", rec, ent->path);
	size_t want = ent->size - no * bs < bs ? (size_t)(ent->size - no * bs) : bs;
	rc = cr_data_body_decode(a.plain + 5, a.len - 5, raw, want, rec, ent->path, err);
	if (rc == 0)
		*ret_len = want;
	return rc;
}

int cr_image_read_all_indexed(struct cr_image_reader *r, const struct cr_image_visitor *v,
			      struct cr_image_trailer *ret_trailer, struct cr_error *err)
{
	cleanup_free uint8_t *raw = malloc(r->m.block_size);
	if (!raw)
		return cr_error_set(err, ENOMEM, "out of memory for image blocks");
	for (size_t e = 0; e < r->m.n_entries; e++) {
		const struct cr_image_entry *ent = &r->m.entries[e];
		int rc = v && v->on_entry ? v->on_entry(v->ctx, ent, err) : 0;
		size_t n = ent->type == CR_ENTRY_FILE ? r->first[e + 1] - r->first[e] : 0;
		for (size_t k = 0; rc == 0 && k < n; k++) {
			size_t len = 0;
			rc = read_block(r, e, k, raw, &len, err);
			if (rc == 0 && v && v->on_data)
				rc = v->on_data(v->ctx, ent, raw, len, err);
		}
		if (rc == 0 && v && v->on_entry_end)
			rc = v->on_entry_end(v->ctx, ent, err);
		if (rc < 0)
			return cr_error_wrap(err, "entry %s", ent->path);
	}
	if (ret_trailer)
		*ret_trailer = r->trailer;
	return 0;
}

int cr_image_file_pread(struct cr_image_reader *r, size_t entry, uint64_t off, void *buf, size_t len,
			size_t *ret_got, struct cr_error *err)
{
	if (r->h.major != CR_IMAGE_MAJOR_STREAMED)
		return cr_error_set(err, EINVAL, "random access needs a streamed image (format %u.x)",
				    CR_IMAGE_MAJOR_STREAMED);
	if (r->sequential)
		return cr_error_set(err, EINVAL, "random access needs a streamed image in a file, not a stream");
	if (entry >= r->m.n_entries || r->m.entries[entry].type != CR_ENTRY_FILE)
		return cr_error_set(err, EINVAL, "image entry %zu is not a file", entry);
	if (!r->block && !(r->block = malloc(r->m.block_size)))
		return cr_error_set(err, ENOMEM, "out of memory for an image block");
	uint64_t size = r->m.entries[entry].size;
	uint32_t bs = r->m.block_size;
	size_t got = 0;
	while (got < len && off < size) {
		uint64_t no = off / bs;
		size_t blen = size - no * bs < bs ? (size_t)(size - no * bs) : bs;
		if (off == no * bs && len - got >= blen) { /* a whole block: decoded where it goes */
			int rc = read_block(r, entry, no, (uint8_t *)buf + got, &blen, err);
			if (rc < 0)
				return cr_error_wrap(err, "entry %s", r->m.entries[entry].path);
			got += blen;
			off += blen;
			continue;
		}
		if (!r->block_valid || r->block_entry != entry || r->block_no != no) {
			r->block_valid = false;
			int rc = read_block(r, entry, no, r->block, &blen, err);
			if (rc < 0)
				return cr_error_wrap(err, "entry %s", r->m.entries[entry].path);
			r->block_valid = true;
			r->block_entry = entry;
			r->block_no = no;
		}
		size_t in = (size_t)(off - no * bs);
		size_t n = blen - in < len - got ? blen - in : len - got;
		memcpy((uint8_t *)buf + got, r->block + in, n);
		got += n;
		off += n;
	}
	*ret_got = got;
	return 0;
}

int cr_image_check_frames(struct cr_image_reader *r, bool (*skip)(void *ctx, size_t entry), void *ctx,
			  struct cr_error *err)
{
	if (r->h.major != CR_IMAGE_MAJOR_STREAMED || r->h.prot != CR_IMAGE_PLAIN || r->sequential)
		return 0; /* a stream's frames are all checked as it is read */
	size_t max = CR_CHUNK_HDR_LEN + cr_compress_bound(r->m.block_size) + cr_frame_overhead(r->h.prot);
	for (size_t i = 0; i < r->m.n_chunks; i++) {
		const struct cr_image_chunk *c = &r->m.chunks[i];
		if (skip && c->entry < r->m.n_entries && skip(ctx, c->entry))
			continue;
		struct at a = {0};
		int rc = frame_at(r, c->offset, c->frame, c->prev, max, &a, err);
		if (rc == 0 && (a.plain[0] != CR_REC_CHUNK || a.len < 5 || cr_get_le32(a.plain + 1) != c->entry))
			rc = cr_error_set(err, EBADMSG, "record %llu is not the chunk the index names",
					  (unsigned long long)c->frame);
		if (rc < 0)
			return cr_error_wrap(err, "entry %s", r->m.entries[c->entry].path);
	}
	return 0;
}
