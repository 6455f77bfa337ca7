/* mkwpar and rmwpar: defining a partition and removing it. */
#define LOG_PREFIX "lifecycle: "
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "partition/caps.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "partition/rootfs.h"
#include "net/net.h"
#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define LOCK_TIMEOUT_MS 10000

static int dir_is_empty(const char *path)
{
	cleanup_dir DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return 0;
	return 1;
}

/* The default parent (/wpars) is made 0700; a parent given with -d must exist. */
static int check_base_directory(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	cleanup_free char *default_parent = NULL;
	cleanup_free char *copy = strdup(cfg->directory);
	int r = cr_path(&default_parent, err, CR_BASE_DIR);
	if (r < 0)
		return r;
	if (!copy)
		return cr_error_set(err, ENOMEM, "out of memory");
	const char *parent = dirname(copy);
	if (!strcmp(parent, default_parent)) {
		if ((r = cr_mkdir_p(parent, 0700, err)) < 0)
			return r;
	} else if (!cr_path_exists(parent)) {
		return cr_error_set(err, ENOENT, "the parent of base directory %s does not exist: %s",
				    cfg->directory, parent);
	}
	struct stat st;
	if (stat(cfg->directory, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return cr_error_set(err, ENOTDIR, "base directory %s is not a directory", cfg->directory);
		if (!cfg->preserve && dir_is_empty(cfg->directory) != 1)
			return cr_error_set(err, EEXIST,
					    "base directory %s is not empty (mkwpar -p reuses preserved file systems)",
					    cfg->directory);
	} else if (cfg->preserve) {
		return cr_error_set(err, ENOENT, "cannot preserve %s: it does not exist", cfg->directory);
	}
	return 0;
}

static int check_directory_unused(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	struct cr_wpar *list = NULL;
	size_t n = 0;
	int r = cr_registry_list(&list, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		if (list[i].config.type == CR_TYPE_SYSTEM && !strcmp(list[i].config.directory, cfg->directory))
			r = cr_error_set(err, EEXIST, "base directory %s already belongs to partition %s",
					 cfg->directory, list[i].config.name);
	cr_wpar_list_free(list, n);
	return r;
}

/* mkwpar checks every NFS export (reachable, writable, root not squashed)
 * before it changes anything. */
static int probe_nfs_exports(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct cr_mount *m = &cfg->mounts[i];
		struct cr_nfs_options opts;
		struct cr_nfs_export_info info;
		if (!cr_nfs_is_nfs(m))
			continue;
		int r = cr_nfs_stanza_options(m, m->directory, &opts, err);
		if (r == 0)
			r = cr_nfs_probe_export(m->host, m->dev, &opts, &info, err);
		if (r < 0)
			return cr_error_wrap(err, "mount %s", m->directory);
	}
	return 0;
}

/* The root part goes onto the export when / is an NFS stanza. */
const struct cr_mount *cr_partition_nfs_root(const struct cr_wpar_config *cfg)
{
	const struct cr_mount *root = cr_config_find_mount(cfg, "/");
	return root && cr_nfs_is_nfs(root) ? root : NULL;
}

static int populate_root_part(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	const struct cr_mount *root = cr_partition_nfs_root(cfg);
	if (!root)
		return cr_rootfs_populate(cfg, err);
	int r = cr_mkdir_p(cfg->directory, 0755, err);
	if (r < 0)
		return r;
	return cr_nfs_populate(cfg, root, err);
}

/* Undo populate_root_part: never rm -rf what may be an export's mount point. */
static void unpopulate_root_part(const struct cr_wpar_config *cfg)
{
	if (cfg->preserve)
		return;
	if (cr_partition_nfs_root(cfg))
		rmdir(cfg->directory);
	else
		cr_rm_rf(cfg->directory, NULL);
}

int cr_partition_create(struct cr_wpar_config *cfg, struct cr_error *err)
{
	int r = cr_name_validate(cfg->name, err);
	if (r < 0)
		return r;
	if ((r = cr_config_complete(cfg, err)) < 0 || (r = cr_config_validate(cfg, err)) < 0 ||
	    (r = cr_caps_validate_security(&cfg->security, err)) < 0)
		return r;
	cleanup_close int lock = -1;
	if ((r = cr_registry_lock(cfg->name, LOCK_TIMEOUT_MS, &lock, err)) < 0)
		return r;
	if (cr_registry_exists(cfg->name))
		return cr_error_set(err, EEXIST, "a partition named %s already exists", cfg->name);
	/* Networking (net/net.h): interfaces exist, addresses free, before anything is made. */
	if ((r = cr_net_validate(cfg, cfg->name, err)) < 0 || (r = probe_nfs_exports(cfg, err)) < 0)
		return r;
	if (cfg->type == CR_TYPE_SYSTEM) {
		if ((r = check_base_directory(cfg, err)) < 0 || (r = check_directory_unused(cfg, err)) < 0)
			return r;
		bool existed = cr_path_exists(cfg->directory);
		if (existed && !cfg->preserve && rmdir(cfg->directory) < 0)
			return cr_error_errno(err, "cannot use the empty base directory %s", cfg->directory);
		if ((r = populate_root_part(cfg, err)) < 0) {
			unpopulate_root_part(cfg);
			return r;
		}
		if ((r = cr_registry_save_config(cfg, err)) < 0) {
			unpopulate_root_part(cfg);
			return r;
		}
	} else if ((r = cr_registry_save_config(cfg, err)) < 0) {
		return r;
	}
	struct cr_wpar_state st;
	cr_state_init(&st);
	if ((r = cr_state_save(cfg->name, &st, err)) < 0) {
		cr_registry_remove_config(cfg->name, NULL);
		return r;
	}
	cr_partition_log(cfg->name, "created (%s partition, base directory %s)",
			 cfg->type == CR_TYPE_SYSTEM ? "system" : "application", cfg->directory);
	return 0;
}

/* Only a tree that mkwpar made is removed: never "/" or a host directory. */
static int remove_root_part(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	if (cfg->type != CR_TYPE_SYSTEM || !cfg->directory || !strcmp(cfg->directory, "/"))
		return 0;
	if (!cr_path_exists(cfg->directory))
		return 0;
	const struct cr_mount *root = cr_partition_nfs_root(cfg);
	if (root) {
		int r = cr_nfs_remove_root_part(root, err);
		if (r < 0)
			return r;
		if (rmdir(cfg->directory) < 0 && errno != ENOENT)
			return cr_error_errno(err, "cannot remove the mount point %s", cfg->directory);
		return 0;
	}
	cleanup_free char *marker = NULL;
	if (asprintf(&marker, "%s/etc/corral", cfg->directory) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!cr_path_exists(marker))
		return cr_error_set(err, EPERM,
				    "refusing to remove %s: it does not look like a partition's root (no /etc/corral)",
				    cfg->directory);
	return cr_rm_rf(cfg->directory, err);
}

int cr_partition_remove(const char *name, const struct cr_remove_options *opts, struct cr_error *err)
{
	cleanup_close int lock = -1;
	struct cr_wpar w;
	int r = cr_registry_load(name, &w, err);
	if (r < 0)
		return r;
	enum cr_state s = w.state.state;
	if (s != CR_STATE_DEFINED) {
		if (!opts->stop && !opts->force) {
			r = cr_error_set(err, EBUSY, "%s is %s: stop it first, or use rmwpar -s", name,
					 cr_state_name(s));
			goto out;
		}
		struct cr_stop_options stop = {.force = opts->force || s == CR_STATE_BROKEN, .timeout_s = 600};
		if ((r = cr_partition_stop(name, &stop, err)) < 0 && !opts->force)
			goto out;
		cr_error_clear(err);
	}
	if ((r = cr_registry_lock(name, LOCK_TIMEOUT_MS, &lock, err)) < 0)
		goto out;
	if (!opts->preserve && (r = remove_root_part(&w.config, err)) < 0 && !opts->force)
		goto out;
	cr_error_clear(err);
	if ((r = cr_registry_remove_config(name, err)) < 0 || (r = cr_state_remove(name, err)) < 0)
		goto out;
	r = 0;
out:
	cr_wpar_free(&w);
	return r;
}
