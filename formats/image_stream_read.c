/* Format 2.x read as a stream (a socket, a pipe: no pread), in one pass in
 * image order: how a relocation's destination takes an image that the
 * source's CRIU is still writing. Chunks are checked (the CRC chain of a
 * plain image, or each frame's authentication) and handed to a sink as they
 * come, for their entry, whose name only the INDEX at the end gives; the
 * INDEX must then list exactly the chunks that came, and the trailer and the
 * tail must agree with it. */
#define LOG_PREFIX "image: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/image_compress.h"
#include "formats/image_crc32c.h"
#include "formats/image_reader_internal.h"
#include "util/cleanup.h"

/* What came of one entry so far. */
struct seen {
	uint64_t bytes, chunks;
	bool ended; /* a chunk shorter than a block came: its last */
};

struct pass {
	struct cr_image_reader *r;
	const struct cr_stream_sink *sink;
	struct seen *seen;
	size_t n_seen;
	struct cr_image_chunk *chunks; /* in image order */
	size_t n_chunks, cap_chunks;
	uint8_t *raw;
	uint64_t index_off, index_frame;
	uint32_t index_prev;
};

static int grow(struct pass *p, uint32_t entry, struct cr_error *err)
{
	if (entry >= CR_IMAGE_ENTRIES_MAX)
		return cr_error_set(err, EBADMSG, "a chunk names entry %u, beyond the cap of %u entries", entry,
				    CR_IMAGE_ENTRIES_MAX);
	if (entry >= p->n_seen) {
		size_t n = p->n_seen ? p->n_seen : 64;
		while (n <= entry)
			n *= 2;
		struct seen *ns = realloc(p->seen, n * sizeof(*ns));
		if (!ns)
			return cr_error_set(err, ENOMEM, "out of memory reading the image");
		memset(ns + p->n_seen, 0, (n - p->n_seen) * sizeof(*ns));
		p->seen = ns;
		p->n_seen = n;
	}
	if (p->n_chunks == p->cap_chunks) {
		size_t n = p->cap_chunks ? 2 * p->cap_chunks : 1024;
		struct cr_image_chunk *nc = realloc(p->chunks, n * sizeof(*nc));
		if (!nc)
			return cr_error_set(err, ENOMEM, "out of memory reading the image");
		p->chunks = nc;
		p->cap_chunks = n;
	}
	return 0;
}

static int on_chunk(struct pass *p, const uint8_t *pt, size_t len, struct cr_image_chunk c, struct cr_error *err)
{
	uint32_t bs = p->r->m.block_size;
	unsigned long long rec = (unsigned long long)c.frame;
	if (len < 5 + 5)
		return cr_error_set(err, EBADMSG, "record %llu: chunk of %zu bytes is too short", rec, len);
	c.entry = cr_get_le32(pt + 1);
	int rc = grow(p, c.entry, err);
	if (rc < 0)
		return rc;
	struct seen *s = &p->seen[c.entry];
	if (s->ended)
		return cr_error_set(err, EBADMSG, "record %llu: entry %u goes on after its last chunk", rec, c.entry);
	size_t want = cr_get_le32(pt + 6); /* the DATA body's raw length, checked by the decoder */
	if (want == 0 || want > bs)
		return cr_error_set(err, EBADMSG, "record %llu: a chunk of %zu bytes in blocks of %u", rec, want, bs);
	char what[32];
	snprintf(what, sizeof(what), "entry %u", c.entry);
	if ((rc = cr_data_body_decode(pt + 5, len - 5, p->raw, want, rec, what, err)) < 0)
		return rc;
	s->bytes += want;
	s->chunks++;
	s->ended = want < bs;
	p->chunks[p->n_chunks++] = c;
	return p->sink && p->sink->on_chunk ? p->sink->on_chunk(p->sink->ctx, c.entry, p->raw, want, err) : 0;
}

/* The INDEX lists exactly what came: the same chunks in the same places,
 * every file whole. */
static int check_index(struct pass *p, struct cr_error *err)
{
	const struct cr_image_manifest *m = &p->r->m;
	if (m->n_chunks != p->n_chunks)
		return cr_error_set(err, EBADMSG, "image index lists %zu chunks where %zu came", m->n_chunks,
				    p->n_chunks);
	for (size_t i = 0; i < m->n_chunks; i++) {
		const struct cr_image_chunk *a = &m->chunks[i], *b = &p->chunks[i];
		if (a->entry != b->entry || a->offset != b->offset || a->frame != b->frame)
			return cr_error_set(err, EBADMSG, "image index: chunk %zu is not the one that came", i);
	}
	for (size_t e = m->n_entries; e < p->n_seen; e++)
		if (p->seen[e].chunks)
			return cr_error_set(err, EBADMSG, "chunks came for entry %zu, which the index does not list", e);
	for (size_t e = 0; e < m->n_entries; e++) {
		const struct cr_image_entry *ent = &m->entries[e];
		uint64_t bytes = e < p->n_seen ? p->seen[e].bytes : 0;
		uint64_t chunks = e < p->n_seen ? p->seen[e].chunks : 0;
		uint64_t want = ent->type == CR_ENTRY_FILE ? (ent->size + m->block_size - 1) / m->block_size : 0;
		if (chunks != want || (ent->type == CR_ENTRY_FILE && bytes != ent->size))
			return cr_error_set(err, EBADMSG, "image index: %s has %llu bytes in %llu chunks where %llu came in %llu",
					    ent->path, (unsigned long long)ent->size, (unsigned long long)want,
					    (unsigned long long)bytes, (unsigned long long)chunks);
	}
	return 0;
}

/* After the INDEX: the trailer, which must agree with it, then the tail. */
static int finish(struct pass *p, struct cr_error *err)
{
	struct cr_image_reader *r = p->r;
	size_t len = 0, plen = 0;
	uint64_t idx = 0;
	uint8_t *pt = NULL;
	bool final = false;
	int rc = cr_frame_read(&r->fs, &r->in, &r->frame, 64 + cr_frame_overhead(r->h.prot) + 1, &len, &idx, err);
	if (rc > 0)
		return cr_error_set(err, EPIPE, "image is truncated: it ends after its index");
	if (rc == 0)
		rc = cr_frame_open(&r->fs, idx, r->frame.p, len, &r->plain, &pt, &plen, &final, err);
	if (rc < 0)
		return rc;
	if (pt[0] != CR_REC_TRAILER)
		return cr_error_set(err, EBADMSG, "record %u follows the image index where the trailer was expected",
				    pt[0]);
	if (r->h.prot != CR_IMAGE_PLAIN && !final)
		return cr_error_set(err, EBADMSG, "trailer is not marked as the last record");
	struct cr_image_trailer t;
	if ((rc = cr_image_trailer_unpack(pt + 1, plen - 1, &t, err)) < 0)
		return rc;
	uint64_t bytes = 0;
	for (size_t e = 0; e < r->m.n_entries && e < p->n_seen; e++)
		bytes += p->seen[e].bytes;
	if (t.entry_count != r->m.n_entries || t.data_bytes != bytes || t.block_count != p->n_chunks)
		return cr_error_set(err, EBADMSG,
				    "trailer says %llu entries, %llu bytes in %llu blocks; "
				    "read %zu entries, %llu bytes in %zu blocks",
				    (unsigned long long)t.entry_count, (unsigned long long)t.data_bytes,
				    (unsigned long long)t.block_count, r->m.n_entries, (unsigned long long)bytes,
				    p->n_chunks);
	uint8_t tail[CR_IMAGE_TAIL_LEN];
	if ((rc = cr_io_read_full(&r->in, tail, sizeof(tail), "the tail", err)) > 0 ||
	    (rc == 0 && memcmp(tail + 24, CR_IMAGE_TAIL_MAGIC, 8) != 0))
		return cr_error_set(err, EPIPE, "image is truncated or unfinished: it does not end with its index tail");
	if (rc < 0)
		return rc;
	if (cr_crc32c(0, tail, 20) != cr_get_le32(tail + 20))
		return cr_error_set(err, EBADMSG, "image tail checksum mismatch (corrupted tail)");
	uint64_t off = cr_get_le32(tail) | (uint64_t)cr_get_le32(tail + 4) << 32;
	uint64_t frame = cr_get_le32(tail + 8) | (uint64_t)cr_get_le32(tail + 12) << 32;
	if (off != p->index_off || frame != p->index_frame || cr_get_le32(tail + 16) != p->index_prev)
		return cr_error_set(err, EBADMSG, "image tail does not point to the index that came");
	if (!r->allow_trailing) {
		uint8_t extra;
		if ((rc = cr_io_read_full(&r->in, &extra, 1, "trailing data", err)) < 0)
			return rc;
		if (rc == 0)
			return cr_error_set(err, EBADMSG, "unexpected data after the image tail at offset %llu",
					    (unsigned long long)(r->fs.offset + sizeof(tail)));
	}
	r->trailer = t;
	return 0;
}

static int run(struct pass *p, struct cr_error *err)
{
	struct cr_image_reader *r = p->r;
	size_t max_chunk = CR_CHUNK_HDR_LEN + cr_compress_bound(r->m.block_size) + cr_frame_overhead(r->h.prot);
	size_t max = CR_IMAGE_MANIFEST_MAX + cr_frame_overhead(r->h.prot) + 1;
	for (;;) {
		struct cr_image_chunk c = {.offset = r->fs.offset, .prev = r->fs.chain};
		size_t len = 0, plen = 0;
		uint8_t *pt = NULL;
		bool final = false;
		int rc = cr_frame_read(&r->fs, &r->in, &r->frame, max, &len, &c.frame, err);
		if (rc > 0)
			return cr_error_set(err, EPIPE, "image is truncated: it ends at offset %llu before its index",
					    (unsigned long long)r->fs.offset);
		if (rc == 0 && r->frame.p[0] == CR_REC_CHUNK && len > max_chunk)
			rc = cr_error_set(err, EBADMSG, "record %llu: a chunk of %zu bytes is too long",
					  (unsigned long long)c.frame, len);
		if (rc == 0)
			rc = cr_frame_open(&r->fs, c.frame, r->frame.p, len, &r->plain, &pt, &plen, &final, err);
		if (rc < 0)
			return rc;
		if (final)
			return cr_error_set(err, EBADMSG, "record %llu of type %u is marked as the last one",
					    (unsigned long long)c.frame, pt[0]);
		if (pt[0] == CR_REC_CHUNK) {
			if ((rc = on_chunk(p, pt, plen, c, err)) < 0)
				return rc;
		} else if (pt[0] == CR_REC_INDEX) {
			p->index_off = c.offset;
			p->index_frame = c.frame;
			p->index_prev = c.prev;
			if ((rc = cr_image_index_take(r, pt, plen, final, err)) < 0 || (rc = check_index(p, err)) < 0)
				return rc;
			return finish(p, err);
		} else if (pt[0] < CR_REC_OPTIONAL_MIN) {
			return cr_error_set(err, EBADMSG, "record %llu has type %u where a chunk or the index was expected",
					    (unsigned long long)c.frame, pt[0]);
		}
	}
}

int cr_image_stream_pass(struct cr_image_reader *r, const struct cr_stream_sink *sink, struct cr_error *err)
{
	if (r->consumed)
		return cr_error_set(err, EINVAL, "the image data was already read");
	r->consumed = true;
	struct pass p = {.r = r, .sink = sink};
	int rc = (p.raw = malloc(r->m.block_size)) ? run(&p, err)
						   : cr_error_set(err, ENOMEM, "out of memory for image blocks");
	free(p.raw);
	free(p.seen);
	free(p.chunks);
	return rc;
}
