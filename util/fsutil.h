/* File helpers: atomic writes, bounded reads, recursive mkdir and removal. */
#ifndef CORRAL_UTIL_FSUTIL_H
#define CORRAL_UTIL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Write DATA to PATH as a scratch file (created or replaced, mode MODE),
 * not made durable: for bytes read back at once and removed, whose loss in
 * a crash only means the work is done again. No fsync: on a busy disk an
 * fsync waits for other files' dirty data too. */
int cr_write_file_scratch(const char *path, const void *data, size_t len, mode_t mode, struct cr_error *err);

/* Write DATA to PATH atomically: an unnamed temp file in the same directory
 * (O_TMPFILE; a named one where the file system has none), fsync, rename,
 * fsync of the directory. A writer killed at any moment leaves PATH as it
 * was or whole, and no temp file (but on file systems without O_TMPFILE). */
int cr_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct cr_error *err);

/* Make the entries of directory DIR durable (best effort; returns 0). */
int cr_fsync_dir(const char *dir);

/* Read all of PATH (at most MAX bytes, else -EFBIG) into a NUL-terminated
 * heap buffer. */
int cr_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
		 struct cr_error *err);

/* The same from an open descriptor FD; PATH names it in errors. */
int cr_read_fd(int fd, const char *path, size_t max, char **ret_data, size_t *ret_len,
	       struct cr_error *err);

/* mkdir -p with MODE for every directory created. */
int cr_mkdir_p(const char *path, mode_t mode, struct cr_error *err);

/* mkdir -p of the directory holding PATH. */
int cr_mkdir_parent(const char *path, mode_t mode, struct cr_error *err);

/* rm -rf, not crossing mount points; a missing PATH is success. */
int cr_rm_rf(const char *path, struct cr_error *err);

/* 1 if PATH exists, 0 if not. */
int cr_path_exists(const char *path);

/* Open /dev/null on any of descriptors 0, 1 and 2 that is closed: started
 * with one closed, a program's next open() or pipe() would get it, and
 * whatever later redirects its standard descriptors would clobber that. */
void cr_stdio_ensure_open(void);

#endif
