/* cr_image_extract_all: everything goes into a fresh temporary directory
 * beside the target, walked with O_NOFOLLOW (a symlink in the image is never
 * followed), and renamed to the target only when the whole image checked;
 * cr_image_extract_into: the same walk into a directory the caller made. */
#define LOG_PREFIX "image: "
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/image_extract_internal.h"
#include "formats/image_reader_internal.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

struct extractor {
	int root;
	int fd; /* the FILE being written */
};

int cr_extract_open_parent(int root, const char *path, const char **ret_leaf, struct cr_error *err)
{
	int fd = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return cr_error_errno(err, "cannot duplicate a directory fd");
	const char *c = path;
	for (;;) {
		size_t n = strcspn(c, "/");
		if (c[n] != '/') {
			*ret_leaf = c;
			return fd;
		}
		cleanup_free char *comp = strndup(c, n);
		if (!comp) {
			close(fd);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			int r = cr_error_errno(err, "cannot create directory %.*s",
					       (int)(c + n - path), path);
			close(fd);
			return r;
		}
		int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			int r = cr_error_errno(err, "%.*s is not a directory inside the image",
					       (int)(c + n - path), path);
			close(fd);
			return r;
		}
		close(fd);
		fd = sub;
		c += n + 1;
	}
}

int cr_extract_entry(int root, const struct cr_image_entry *e, int *ret_fd, struct cr_error *err)
{
	const char *leaf = NULL;
	int pfd = cr_extract_open_parent(root, e->path, &leaf, err);
	if (pfd < 0)
		return pfd;
	int r = 0;
	switch (e->type) {
	case CR_ENTRY_DIR:
		if (mkdirat(pfd, leaf, 0700) < 0) {
			struct stat st;
			if (errno != EEXIST || fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode))
				r = cr_error_errno(err, "cannot create directory");
		}
		break;
	case CR_ENTRY_SYMLINK:
		if (symlinkat(e->link_target, pfd, leaf) < 0)
			r = cr_error_errno(err, "cannot create symlink");
		break;
	case CR_ENTRY_FILE:
		*ret_fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (*ret_fd < 0)
			r = cr_error_errno(err, "cannot create file");
		break;
	}
	close(pfd);
	return r;
}

static int on_entry(void *ctx, const struct cr_image_entry *e, struct cr_error *err)
{
	struct extractor *x = ctx;
	return cr_extract_entry(x->root, e, &x->fd, err);
}

static int on_data(void *ctx, const struct cr_image_entry *e, const void *data, size_t len,
		   struct cr_error *err)
{
	struct extractor *x = ctx;
	(void)e;
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(x->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cr_error_errno(err, "cannot write");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cr_extract_entry_end(int fd, const struct cr_image_entry *e, struct cr_error *err)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	if (e->mtime_ns > 0) {
		ts[1].tv_sec = e->mtime_ns / 1000000000;
		ts[1].tv_nsec = e->mtime_ns % 1000000000;
	}
	/* Set-id bits are dropped: an image must not hand out privileges. */
	int r = 0;
	if (fchmod(fd, e->mode & 01777) < 0 || futimens(fd, ts) < 0)
		r = cr_error_errno(err, "cannot set mode and time");
	if (close(fd) < 0 && r == 0)
		r = cr_error_errno(err, "cannot write");
	return r;
}

static int on_entry_end(void *ctx, const struct cr_image_entry *e, struct cr_error *err)
{
	struct extractor *x = ctx;
	if (e->type != CR_ENTRY_FILE)
		return 0;
	int fd = x->fd;
	x->fd = -1;
	return cr_extract_entry_end(fd, e, err);
}

/* Directories were made 0700 so their contents could be written; now give
 * them their modes, deepest first. */
int cr_extract_finish_dirs(int root, const struct cr_image_manifest *m, struct cr_error *err)
{
	for (size_t i = m->n_entries; i-- > 0;) {
		const struct cr_image_entry *e = &m->entries[i];
		if (e->type != CR_ENTRY_DIR)
			continue;
		const char *leaf = NULL;
		int pfd = cr_extract_open_parent(root, e->path, &leaf, err);
		if (pfd < 0)
			return pfd;
		int r = fchmodat(pfd, leaf, e->mode & 01777, 0);
		close(pfd);
		if (r < 0)
			return cr_error_errno(err, "cannot set the mode of %s", e->path);
	}
	return 0;
}

static int extract_into(struct cr_image_reader *r, const char *tmp, const char *pending, struct cr_error *err)
{
	struct extractor x = {.root = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC), .fd = -1};
	if (x.root < 0)
		return cr_error_errno(err, "cannot open %s", tmp);
	struct cr_image_visitor v = {on_entry, on_data, on_entry_end, &x};
	int ret = pending ? cr_image_stream_extract_into(r, x.root, pending, err)
			  : cr_image_reader_read_all(r, &v, 0, NULL, err);
	if (x.fd >= 0)
		close(x.fd);
	if (ret == 0)
		ret = cr_extract_finish_dirs(x.root, cr_image_reader_manifest(r), err);
	close(x.root);
	return ret;
}

/* Extract into the existing directory DIR; a streamed image's pieces go
 * into a second directory beside BESIDE first (image_stream_extract.c). */
static int extract_dir(struct cr_image_reader *r, const char *dir, const char *beside, struct cr_error *err)
{
	cleanup_free char *pending = NULL;
	if (r->sequential && asprintf(&pending, "%s-chunks-XXXXXX", beside) < 0)
		pending = NULL;
	int ret = r->sequential && !pending ? cr_error_set(err, ENOMEM, "out of memory") : 0;
	if (ret == 0 && pending && !mkdtemp(pending)) {
		ret = cr_error_errno(err, "cannot create a temporary directory beside %s", beside);
		free(pending);
		pending = NULL;
	}
	if (ret == 0)
		ret = extract_into(r, dir, pending, err);
	if (pending)
		cr_rm_rf(pending, NULL);
	return ret;
}

int cr_image_extract_all(struct cr_image_reader *r, const char *dir, struct cr_error *err)
{
	if (cr_path_exists(dir))
		return cr_error_set(err, EEXIST, "cannot extract into %s: it already exists", dir);
	cleanup_free char *copy = strdup(dir), *copy2 = strdup(dir), *tmp = NULL;
	if (!copy || !copy2 ||
	    asprintf(&tmp, "%s/.%s.partial-XXXXXX", dirname(copy), basename(copy2)) < 0) {
		tmp = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (!mkdtemp(tmp))
		return cr_error_errno(err, "cannot create a temporary directory beside %s", dir);
	int ret = extract_dir(r, tmp, tmp, err);
	if (ret == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
		ret = cr_error_errno(err, "cannot rename %s to %s", tmp, dir);
	if (ret < 0) {
		struct cr_error ignored = CR_ERROR_INIT;
		cr_rm_rf(tmp, &ignored);
		cr_error_clear(&ignored);
		return cr_error_wrap(err, "extracting into %s", dir);
	}
	cr_debug("extracted into %s", dir);
	return 0;
}

int cr_image_extract_into(struct cr_image_reader *r, const char *dir, struct cr_error *err)
{
	int ret = extract_dir(r, dir, dir, err);
	if (ret < 0)
		return cr_error_wrap(err, "extracting into %s", dir);
	cr_debug("extracted into %s", dir);
	return 0;
}
