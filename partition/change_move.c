/* chwpar -n and -d on a stopped partition: move the root part to the new base
 * directory and the runtime directory to the new name. Both are rename(2)s
 * on one file system, so each step is whole or not done, and undone in
 * reverse when a later step fails. */
#define LOG_PREFIX "change: "
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "partition/change.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

static int dir_is_empty(const char *path)
{
	cleanup_dir DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return 0;
	return 1;
}

/* The new base directory: not another partition's, absent or an empty
 * directory, its parent existing (the default parent is created). */
static int check_target(const struct cr_wpar_config *old_cfg, const char *target,
			struct cr_error *err)
{
	cleanup_free char *copy = strdup(target);
	cleanup_free char *default_parent = NULL;
	if (!copy)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_path(&default_parent, err, CR_BASE_DIR);
	if (r < 0)
		return r;
	size_t olen = strlen(old_cfg->directory);
	if (!strncmp(target, old_cfg->directory, olen) && (target[olen] == '/' || !target[olen]))
		return cr_error_set(err, EINVAL, "cannot move %s's root part into itself (%s)",
				    old_cfg->name, target);
	const char *parent = dirname(copy);
	if (!strcmp(parent, default_parent)) {
		if ((r = cr_mkdir_p(parent, 0700, err)) < 0)
			return r;
	} else if (!cr_path_exists(parent)) {
		return cr_error_set(err, ENOENT, "the parent of base directory %s does not exist", target);
	}
	struct cr_wpar *list = NULL;
	size_t n = 0;
	if ((r = cr_registry_list(&list, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		if (list[i].config.type == CR_TYPE_SYSTEM && list[i].config.directory &&
		    !strcmp(list[i].config.directory, target))
			r = cr_error_set(err, EEXIST, "base directory %s already belongs to partition %s",
					 target, list[i].config.name);
	cr_wpar_list_free(list, n);
	if (r < 0)
		return r;
	struct stat st;
	if (lstat(target, &st) == 0 && (!S_ISDIR(st.st_mode) || !dir_is_empty(target)))
		return cr_error_set(err, EEXIST, "base directory %s exists and is not an empty directory",
				    target);
	return 0;
}

static int move_root_part(const struct cr_wpar_config *old_cfg, const char *target,
			  struct cr_error *err)
{
	int r = check_target(old_cfg, target, err);
	if (r < 0)
		return r;
	if (cr_path_exists(target) && rmdir(target) < 0)
		return cr_error_errno(err, "cannot replace the empty directory %s", target);
	if (rename(old_cfg->directory, target) < 0) {
		if (errno == EXDEV)
			return cr_error_set(err, EXDEV,
					    "cannot move the root part from %s to %s: they are on different file systems",
					    old_cfg->directory, target);
		return cr_error_errno(err, "cannot move the root part from %s to %s", old_cfg->directory,
				      target);
	}
	return 0;
}

static int runtime_dirs(const char *old_name, const char *new_name, char **ret_old, char **ret_new,
			struct cr_error *err)
{
	int r = cr_path_name(ret_old, CR_STATE_DIR, old_name, "", err);
	if (r < 0)
		return r;
	if ((r = cr_path_name(ret_new, CR_STATE_DIR, new_name, "", err)) < 0) {
		free(*ret_old);
		*ret_old = NULL;
	}
	return r;
}

static int move_runtime_dir(const char *old_name, const char *new_name, struct cr_error *err)
{
	cleanup_free char *from = NULL;
	cleanup_free char *to = NULL;
	int r = runtime_dirs(old_name, new_name, &from, &to, err);
	if (r < 0)
		return r;
	if (!cr_path_exists(from))
		return 0;
	if (rename(from, to) < 0)
		return cr_error_errno(err, "cannot move the runtime directory %s to %s", from, to);
	return 0;
}

int cr_change_move(const struct cr_wpar_config *old_cfg, const struct cr_wpar_config *cfg,
		   struct cr_change_result *res, struct cr_error *err)
{
	int r;
	bool move_dir = cfg->type == CR_TYPE_SYSTEM && old_cfg->directory && cfg->directory &&
			strcmp(old_cfg->directory, cfg->directory) != 0 &&
			cr_path_exists(old_cfg->directory);
	if (move_dir) {
		if ((r = move_root_part(old_cfg, cfg->directory, err)) < 0)
			return r;
		res->directory_moved = true;
		cr_debug("moved %s to %s", old_cfg->directory, cfg->directory);
	}
	if (strcmp(old_cfg->name, cfg->name) != 0) {
		if ((r = move_runtime_dir(old_cfg->name, cfg->name, err)) < 0) {
			cr_change_move_undo(old_cfg, cfg, res);
			res->directory_moved = false;
			return r;
		}
		res->renamed = true;
	}
	return 0;
}

void cr_change_move_undo(const struct cr_wpar_config *old_cfg, const struct cr_wpar_config *cfg,
			 const struct cr_change_result *res)
{
	if (res->renamed)
		move_runtime_dir(cfg->name, old_cfg->name, NULL);
	if (res->directory_moved && rename(cfg->directory, old_cfg->directory) < 0)
		cr_debug("cannot move %s back to %s", cfg->directory, old_cfg->directory);
}
