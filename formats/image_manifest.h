/* The manifest of an image as plain C: what the writer is told and what a
 * reader hands out. image_manifest.c converts to and from protobuf. */
#ifndef CORRAL_FORMATS_IMAGE_MANIFEST_H
#define CORRAL_FORMATS_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum cr_image_entry_type {
	CR_ENTRY_FILE = 0,
	CR_ENTRY_DIR = 1,
	CR_ENTRY_SYMLINK = 2,
};

struct cr_image_entry {
	char *path; /* inside the image: relative, no "." or ".." */
	enum cr_image_entry_type type;
	uint32_t mode; /* permission bits */
	uint64_t size; /* FILE only */
	char *link_target; /* SYMLINK only */
	int64_t mtime_ns;
};

struct cr_image_chunk {
	uint32_t entry;  /* index into entries */
	uint64_t offset; /* byte offset of its frame in the image */
	uint64_t frame;  /* its frame number */
	uint32_t prev;   /* plain images: check of the frame before it */
};

#define CR_IMAGE_CRIU_NEEDS_MAX 16

struct cr_image_manifest {
	uint16_t major, minor; /* format version of the image read */
	int protection;        /* enum cr_image_protection */
	char *partition;
	char *spec_text;
	char *hostname, *kernel, *arch, *criu_version, *writer;
	char **cpu_features;
	size_t n_cpu_features;
	char **criu_needs; /* CRIU features its restore needs (check/criu_features.h) */
	size_t n_criu_needs;
	int64_t created_ns, checkpoint_ns;
	uint32_t block_size;
	struct cr_image_entry *entries;
	size_t n_entries;
	/* Format 2.x: where each CHUNK record lies, in image order (from the
	 * INDEX record; see docs/image-format.md). */
	struct cr_image_chunk *chunks;
	size_t n_chunks;
};

struct cr_image_trailer {
	uint64_t entry_count, data_bytes, block_count;
};

void cr_image_manifest_free(struct cr_image_manifest *m);

/* Serialise M (version and protection ignored) into a heap buffer. */
int cr_image_manifest_pack(const struct cr_image_manifest *m, uint8_t **ret_buf,
			   size_t *ret_len, struct cr_error *err);

/* Parse and validate (paths, sizes, counts, duplicates) a manifest. Unknown
 * fields from newer minor versions are skipped. */
int cr_image_manifest_unpack(const uint8_t *buf, size_t len, struct cr_image_manifest *ret,
			     struct cr_error *err);

/* Check every entry: safe paths and symlinks, sane sizes, no duplicates. */
int cr_image_manifest_check(const struct cr_image_manifest *m, struct cr_error *err);

int cr_image_trailer_pack(const struct cr_image_trailer *t, uint8_t *buf, size_t cap,
			  size_t *ret_len, struct cr_error *err);
int cr_image_trailer_unpack(const uint8_t *buf, size_t len, struct cr_image_trailer *ret,
			    struct cr_error *err);

/* Check that PATH is a safe relative image path ("a/b", no "", ".", ".."). */
int cr_image_path_check(const char *path, struct cr_error *err);

/* Check that a symlink at PATH with TARGET stays inside the image root. */
int cr_image_link_check(const char *path, const char *target, struct cr_error *err);

#endif
