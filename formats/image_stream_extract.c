/* A streamed image (format 2.x) extracted as it arrives from a stream: the
 * bytes of each file are written as their chunks come, into a pending
 * directory under the file's entry number (its name comes only with the
 * index at the end), then moved to their names. The destination of a
 * relocation so unpacks while the source's CRIU is still dumping. */
#define LOG_PREFIX "image: "
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/image_extract_internal.h"
#include "formats/image_reader_internal.h"
#include "util/cleanup.h"

/* Files written at once: CRIU writes a few together; one entry more closes
 * another, which is opened again (appending) should more of it come. */
#define PENDING_OPEN_MAX 64

struct pending {
	int dir;
	int *fd; /* by entry number, -1: not open */
	size_t n_fd;
	unsigned n_open;
	uint32_t block_size; /* a shorter chunk is a file's last */
};

static void close_one(struct pending *p, size_t i)
{
	if (i < p->n_fd && p->fd[i] >= 0) {
		close(p->fd[i]);
		p->fd[i] = -1;
		p->n_open--;
	}
}

static int pending_fd(struct pending *p, uint32_t entry, struct cr_error *err)
{
	if (entry >= p->n_fd) {
		size_t n = p->n_fd ? p->n_fd : 64;
		while (n <= entry)
			n *= 2;
		int *nf = realloc(p->fd, n * sizeof(*nf));
		if (!nf)
			return cr_error_set(err, ENOMEM, "out of memory extracting the image");
		for (size_t i = p->n_fd; i < n; i++)
			nf[i] = -1;
		p->fd = nf;
		p->n_fd = n;
	}
	if (p->fd[entry] >= 0)
		return p->fd[entry];
	for (size_t i = 0; p->n_open >= PENDING_OPEN_MAX && i < p->n_fd; i++)
		close_one(p, i);
	char name[16];
	snprintf(name, sizeof(name), "%u", entry);
	int fd = openat(p->dir, name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cr_error_errno(err, "cannot create a file for entry %u", entry);
	p->fd[entry] = fd;
	p->n_open++;
	return fd;
}

static int on_chunk(void *ctx, uint32_t entry, const void *data, size_t len, struct cr_error *err)
{
	struct pending *p = ctx;
	int fd = pending_fd(p, entry, err);
	if (fd < 0)
		return fd;
	const uint8_t *b = data;
	while (len > 0) {
		ssize_t n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cr_error_errno(err, "cannot write entry %u", entry);
		b += n;
		len -= (size_t)n;
	}
	if ((const uint8_t *)data + p->block_size != b)
		close_one(p, entry);
	return 0;
}

/* Entry E (number I) into ROOT: a file that came is moved there, anything
 * else is made. */
static int place(struct pending *p, int root, size_t i, const struct cr_image_entry *e, struct cr_error *err)
{
	if (e->type != CR_ENTRY_FILE || e->size == 0) {
		int fd = -1;
		int r = cr_extract_entry(root, e, &fd, err);
		return r == 0 && e->type == CR_ENTRY_FILE ? cr_extract_entry_end(fd, e, err) : r;
	}
	char name[24];
	snprintf(name, sizeof(name), "%zu", i);
	int fd = openat(p->dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open what came of it");
	const char *leaf = NULL;
	int pfd = cr_extract_open_parent(root, e->path, &leaf, err);
	if (pfd < 0) {
		close(fd);
		return pfd;
	}
	int r = renameat2(p->dir, name, pfd, leaf, RENAME_NOREPLACE);
	close(pfd);
	if (r < 0) {
		r = cr_error_errno(err, "cannot move it into place");
		close(fd);
		return r;
	}
	return cr_extract_entry_end(fd, e, err);
}

int cr_image_stream_extract_into(struct cr_image_reader *r, int root, const char *pending, struct cr_error *err)
{
	struct pending p = {.dir = open(pending, O_RDONLY | O_DIRECTORY | O_CLOEXEC), .block_size = r->m.block_size};
	if (p.dir < 0)
		return cr_error_errno(err, "cannot open %s", pending);
	struct cr_stream_sink sink = {.on_chunk = on_chunk, .ctx = &p};
	int ret = cr_image_stream_pass(r, &sink, err);
	for (size_t i = 0; i < p.n_fd; i++)
		close_one(&p, i);
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	for (size_t i = 0; ret == 0 && i < m->n_entries; i++)
		if ((ret = place(&p, root, i, &m->entries[i], err)) < 0)
			ret = cr_error_wrap(err, "entry %s", m->entries[i].path);
	free(p.fd);
	close(p.dir);
	return ret;
}
