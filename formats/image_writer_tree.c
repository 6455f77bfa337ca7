/* cr_image_writer_add_dir_tree: a sorted, no-follow walk of a directory. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/image_writer_internal.h"
#include "util/cleanup.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The entries of directory DFD (its fd is taken), sorted. */
static int list_dir(int dfd, const char *what, char ***ret_names, size_t *ret_n,
		    struct cr_error *err)
{
	cleanup_dir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return cr_error_errno(err, "cannot list %s", what);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(names, cap * sizeof(*nv));
			if (!nv) {
				free_names(names, n);
				return cr_error_set(err, ENOMEM, "out of memory listing %s", what);
			}
			names = nv;
		}
		if (!(names[n] = strdup(de->d_name))) {
			free_names(names, n);
			return cr_error_set(err, ENOMEM, "out of memory listing %s", what);
		}
		n++;
		errno = 0;
	}
	if (errno) {
		free_names(names, n);
		return cr_error_errno(err, "cannot list %s", what);
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*ret_names = names;
	*ret_n = n;
	return 0;
}

static int add_one(struct cr_image_writer *w, int dfd, const char *name, const char *src,
		   const char *ipath, int depth, struct cr_error *err);

static int walk(struct cr_image_writer *w, int dfd, const char *src, const char *ipath,
		int depth, struct cr_error *err)
{
	char **names = NULL;
	size_t n = 0;
	int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return cr_error_errno(err, "cannot duplicate the fd of %s", src);
	int r = list_dir(dup_fd, src, &names, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		cleanup_free char *s = NULL, *p = NULL;
		if (asprintf(&s, "%s/%s", src, names[i]) < 0 ||
		    (*ipath ? asprintf(&p, "%s/%s", ipath, names[i]) : asprintf(&p, "%s", names[i])) <
			    0) {
			s = p = NULL;
			r = cr_error_set(err, ENOMEM, "out of memory walking %s", src);
			break;
		}
		r = add_one(w, dfd, names[i], s, p, depth, err);
	}
	free_names(names, n);
	return r;
}

static int add_one(struct cr_image_writer *w, int dfd, const char *name, const char *src,
		   const char *ipath, int depth, struct cr_error *err)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cr_error_errno(err, "cannot stat %s", src);
	struct cr_wsource none = {.path = NULL, .fd = -1, .data = NULL};
	struct cr_image_entry e = {.path = (char *)ipath,
				   .mode = st.st_mode & 07777,
				   .mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
					       st.st_mtim.tv_nsec};
	if (S_ISREG(st.st_mode)) {
		e.type = CR_ENTRY_FILE;
		e.size = (uint64_t)st.st_size;
		none.path = strdup(src);
		if (!none.path)
			return cr_error_set(err, ENOMEM, "out of memory adding %s", src);
		return cr_writer_push_entry(w, &e, none, err);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[CR_IMAGE_PATH_MAX + 1];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target));
		if (n < 0)
			return cr_error_errno(err, "cannot read symlink %s", src);
		if ((size_t)n >= sizeof(target))
			return cr_error_set(err, ENAMETOOLONG, "symlink %s target is too long", src);
		target[n] = '\0';
		e.type = CR_ENTRY_SYMLINK;
		e.link_target = target;
		return cr_writer_push_entry(w, &e, none, err);
	}
	if (!S_ISDIR(st.st_mode))
		return cr_error_set(err, EINVAL,
				    "%s is not a regular file, directory or symlink: cannot pack it",
				    src);
	if (depth >= 256)
		return cr_error_set(err, ELOOP, "%s is nested more than 256 directories deep", src);
	e.type = CR_ENTRY_DIR;
	int r = cr_writer_push_entry(w, &e, none, err);
	if (r < 0)
		return r;
	cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return cr_error_errno(err, "cannot open directory %s", src);
	return walk(w, sub, src, ipath, depth + 1, err);
}

int cr_image_writer_add_dir_tree(struct cr_image_writer *w, const char *prefix,
				 const char *dirpath, struct cr_error *err)
{
	cleanup_close int dfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cr_error_errno(err, "cannot open directory %s", dirpath);
	if (!prefix)
		prefix = "";
	if (*prefix) {
		struct stat st;
		if (fstat(dfd, &st) < 0)
			return cr_error_errno(err, "cannot stat %s", dirpath);
		int r = cr_image_writer_add_dir(w, prefix, st.st_mode, err);
		if (r < 0)
			return r;
	}
	int r = walk(w, dfd, dirpath, prefix, 0, err);
	return r < 0 ? cr_error_wrap(err, "adding %s to the image", dirpath) : 0;
}
