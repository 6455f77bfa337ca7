/* Copy files, symlinks and directory trees with their modes and owners. */
#ifndef CORRAL_UTIL_COPYTREE_H
#define CORRAL_UTIL_COPYTREE_H

#include "util/error.h"

/* Copy SRC (file, symlink or directory tree) to DST, which must not exist.
 * Modes, owners and times are kept; special files are skipped. */
int cr_copy_tree(const char *src, const char *dst, struct cr_error *err);

#endif
