#define LOG_PREFIX "rootfs: "
#include "partition/rootfs_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "partition/rootfs_archive.h"
#include "util/cleanup.h"
#include "util/clock.h"

#define UNPACK_FLAGS                                                                                           \
	(ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |         \
	 ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |             \
	 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)
#define READ_BLOCK (64u << 10)
#define SHOWN_MAX 160 /* of a name from the archive in an error */

struct unpack {
	const char *what, *dir;
	int64_t deadline;
	struct archive *in, *out;
	struct archive_entry *root_entry; /* DIR's own, written again last */
	struct cr_error *err;
	int r;
	char shown[SHOWN_MAX + 4]; /* the entry's name, cut, one line */
};

static void show(struct unpack *u, const char *name)
{
	size_t n = 0;
	for (; name && name[n] && n < SHOWN_MAX; n++)
		u->shown[n] = (unsigned char)name[n] < 0x20 || name[n] == 0x7f ? '?' : name[n];
	strcpy(u->shown + n, name && name[n] ? "..." : "");
}

/* One error line naming the archive, the directory and the entry; WHY, or
 * else what libarchive said about A (its messages quote names: cut to one
 * line). */
static int fail(struct unpack *u, struct archive *a, int code, const char *why)
{
	char said[256];
	snprintf(said, sizeof(said), "%s", why ? why : a && archive_error_string(a) ? archive_error_string(a) : "failed");
	for (char *p = said; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	if (!why && a && archive_errno(a) > 0)
		code = archive_errno(a);
	return cr_error_set(u->err, code, "unpacking %s into %s: %s%s%s", u->what, u->dir,
			    u->shown[0] ? u->shown : "", u->shown[0] ? ": " : "", said);
}

static int late(struct unpack *u)
{
	return cr_now_ms() > u->deadline ? fail(u, NULL, ETIMEDOUT, "not done within its deadline") : 0;
}

/* A member or hard link name: relative, no '..' component (libarchive's
 * NODOTDOT checks the latter again; symlink targets are never followed). */
static bool name_inside(const char *name)
{
	if (!name || !*name || name[0] == '/')
		return false;
	for (const char *s = name; *s;) {
		const char *e = strchrnul(s, '/');
		if (e - s == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s = *e ? e + 1 : e;
	}
	return true;
}

static int inside(struct unpack *u, const char *name)
{
	return name_inside(name) ? 0 : fail(u, NULL, EPERM, "an absolute name or one with '..' (refused)");
}

/* GNU tar's extract restores only the user.* namespace unless told more:
 * the same here (a peer sets no trusted.* or security.* names). */
static void keep_user_xattrs(struct archive_entry *e)
{
	if (archive_entry_xattr_reset(e) == 0)
		return;
	struct kept {
		char *name;
		void *value;
		size_t size;
	} *kept = calloc((size_t)archive_entry_xattr_count(e), sizeof(*kept));
	size_t n = 0;
	const char *name;
	const void *value;
	size_t size;
	while (kept && archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (strncmp(name, "user.", 5) == 0 && (kept[n].name = strdup(name)) &&
		    (kept[n].value = malloc(size ? size : 1))) {
			memcpy(kept[n].value, value, size);
			kept[n++].size = size;
		}
	archive_entry_xattr_clear(e);
	for (size_t i = 0; i < n; i++) {
		archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
		free(kept[i].name);
		free(kept[i].value);
	}
	free(kept);
}

static int copy_data(struct unpack *u)
{
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(u->in, &buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return fail(u, u->in, EPROTO, NULL);
		if (archive_write_data_block(u->out, buf, size, offset) < ARCHIVE_WARN)
			return fail(u, u->out, EIO, NULL);
		if ((r = late(u)) < 0)
			return r;
	}
}

/* "./" (or "." or ".//."): DIR itself. */
static bool names_root(const char *name)
{
	for (; *name; name++)
		if (*name != '.' && *name != '/')
			return false;
	return true;
}

static int one_entry(struct unpack *u, struct archive_entry *e)
{
	const char *hard = archive_entry_hardlink(e);
	int r = inside(u, archive_entry_pathname(e));
	if (r < 0 || (hard && (r = inside(u, hard)) < 0))
		return r;
	bool data = archive_entry_filetype(e) == AE_IFREG;
	if (!data) /* a GNU dumpdir's listing is not a file's data */
		archive_entry_set_size(e, 0);
	keep_user_xattrs(e);
	/* DIR exists: libarchive sets its times at once, and the entries made in
	 * it later change them; written again after them (as GNU tar does). */
	if (names_root(archive_entry_pathname(e)) && archive_entry_filetype(e) == AE_IFDIR) {
		archive_entry_free(u->root_entry);
		if (!(u->root_entry = archive_entry_clone(e)))
			return cr_error_set(u->err, ENOMEM, "out of memory");
	}
	if (archive_write_header(u->out, e) < ARCHIVE_WARN)
		return fail(u, u->out, EIO, NULL);
	if (data && archive_entry_size(e) > 0 && (r = copy_data(u)) < 0)
		return r;
	if (archive_write_finish_entry(u->out) < ARCHIVE_WARN)
		return fail(u, u->out, EIO, NULL);
	return 0;
}

static int entries(struct unpack *u)
{
	for (;;) {
		struct archive_entry *e;
		u->shown[0] = '\0';
		int r = archive_read_next_header(u->in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return fail(u, u->in, EPROTO, NULL);
		show(u, archive_entry_pathname(e));
		if ((r = one_entry(u, e)) < 0 || (r = late(u)) < 0)
			return r;
	}
	if (u->root_entry) {
		show(u, ".");
		if (archive_write_header(u->out, u->root_entry) < ARCHIVE_WARN ||
		    archive_write_finish_entry(u->out) < ARCHIVE_WARN)
			return fail(u, u->out, EIO, NULL);
	}
	u->shown[0] = '\0';
	/* The other directories' modes and times, set last. */
	return archive_write_close(u->out) < ARCHIVE_WARN ? fail(u, u->out, EIO, NULL) : 0;
}

struct job {
	struct unpack u;
	int (*open_in)(struct archive *, void *);
	void *arg;
	int dir_fd;
};

/* On a thread of its own whose working directory and umask are its own
 * (CLONE_FS): libarchive names entries from the working directory and reads
 * the umask by setting it, neither of which a daemon's other threads may
 * see. Relative names also spare libarchive's symlink check a walk of DIR's
 * own components for every entry. The reader is set to tar only: a peer's
 * bytes meet nothing more than the format Corral writes. */
static void *unpack_thread(void *arg)
{
	struct job *j = arg;
	struct unpack *u = &j->u;
	if (unshare(CLONE_FS) != 0 || fchdir(j->dir_fd) != 0) {
		u->r = cr_error_errno(u->err, "unpacking %s: cannot enter %s", u->what, u->dir);
		return NULL;
	}
	if (!(u->in = archive_read_new()) || !(u->out = archive_write_disk_new()))
		u->r = cr_error_set(u->err, ENOMEM, "out of memory");
	else if (archive_read_support_format_tar(u->in) != ARCHIVE_OK ||
		 archive_write_disk_set_options(u->out, UNPACK_FLAGS) != ARCHIVE_OK)
		u->r = fail(u, u->in, EINVAL, NULL);
	else if (j->open_in(u->in, j->arg) != ARCHIVE_OK)
		u->r = fail(u, u->in, EPROTO, NULL);
	else
		u->r = entries(u);
	archive_entry_free(u->root_entry);
	archive_read_free(u->in);
	archive_write_free(u->out);
	return NULL;
}

static int unpack(const char *what, const char *dir, int64_t timeout_ms, int (*open_in)(struct archive *, void *),
		  void *arg, struct cr_error *err)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "unpacking %s: cannot open %s", what, dir);
	struct job j = {.u = {.what = what, .dir = dir, .deadline = cr_now_ms() + timeout_ms, .err = err},
			.open_in = open_in,
			.arg = arg,
			.dir_fd = fd};
	pthread_t t;
	int r = pthread_create(&t, NULL, unpack_thread, &j);
	if (r != 0)
		return cr_error_set(err, r, "unpacking %s: cannot start its thread: %s", what, strerror(r));
	pthread_join(t, NULL);
	return j.u.r;
}

struct memory {
	const void *buf;
	size_t len;
};

static int open_memory(struct archive *a, void *arg)
{
	const struct memory *m = arg;
	return archive_read_open_memory(a, m->buf, m->len);
}

static int open_fd(struct archive *a, void *arg)
{
	return archive_read_open_fd(a, *(int *)arg, READ_BLOCK);
}

int cr_rootfs_unpack_memory(const char *what, const void *buf, size_t len, const char *dir, int64_t timeout_ms,
			    struct cr_error *err)
{
	struct memory m = {buf, len};
	return unpack(what, dir, timeout_ms, open_memory, &m, err);
}

int cr_rootfs_unpack_file(const char *tar_path, const char *dir, struct cr_error *err)
{
	cleanup_close int fd = open(tar_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", tar_path);
	return unpack(tar_path, dir, CR_ROOTFS_ARCHIVE_TIMEOUT_MS, open_fd, &fd, err);
}
