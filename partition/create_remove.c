/* mkwpar and rmwpar: defining a partition and removing it. */
#define LOG_PREFIX "lifecycle: "
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"
#include "nfs/nfs.h"
#include "partition/caps.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "partition/registry_intent.h"
#include "partition/rootfs.h"
#include "spec/spec_file.h"
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
	return cr_rootfs_populate_nfs(cfg, root, err);
}

/* The record mkwpar leaves while it works: what to undo should it die. */
static void create_intent(const struct cr_wpar_config *cfg, struct cr_intent *in)
{
	memset(in, 0, sizeof(*in));
	in->op = CR_INTENT_CREATE;
	if (cfg->type != CR_TYPE_SYSTEM)
		return;
	in->directory = cfg->directory;
	in->made_directory = !cfg->preserve;
	in->directory_existed = cr_path_exists(cfg->directory);
	in->nfs_root = cr_partition_nfs_root(cfg) != NULL;
}

/* The partition's files, before its spec: the spec is written last and
 * makes it exist (mkwpar's commit). */
static int create_files(struct cr_wpar_config *cfg, struct cr_error *err)
{
	int r;
	if (cfg->type == CR_TYPE_SYSTEM) {
		bool existed = cr_path_exists(cfg->directory);
		if (existed && !cfg->preserve && rmdir(cfg->directory) < 0)
			return cr_error_errno(err, "cannot use the empty base directory %s", cfg->directory);
		if ((r = populate_root_part(cfg, err)) < 0)
			return r;
	}
	struct cr_wpar_state st;
	cr_state_init(&st);
	if ((r = cr_state_save(cfg->name, &st, err)) < 0)
		return r;
	return cr_registry_save_config(cfg, err);
}

/* Undo what create_files did, as a killed mkwpar's record says. */
static int undo_create(const char *name, const struct cr_intent *in, struct cr_error *err)
{
	int r = 0;
	if (in->directory && in->made_directory && strcmp(in->directory, "/") != 0) {
		if (in->nfs_root) {
			if (rmdir(in->directory) < 0 && errno != ENOENT)
				r = cr_error_errno(err, "cannot remove the mount point %s", in->directory);
		} else {
			r = cr_rm_rf(in->directory, err);
		}
		if (r == 0 && in->directory_existed && mkdir(in->directory, 0755) < 0 && errno != EEXIST)
			r = cr_error_errno(err, "cannot make the empty base directory %s again", in->directory);
	}
	if (r == 0 && (r = cr_registry_remove_config(name, err)) == 0)
		r = cr_state_remove(name, err);
	return r;
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
	if ((r = cr_partition_net_validate(cfg, cfg->name, err)) < 0 || (r = probe_nfs_exports(cfg, err)) < 0)
		return r;
	if (cfg->type == CR_TYPE_SYSTEM &&
	    ((r = check_base_directory(cfg, err)) < 0 || (r = check_directory_unused(cfg, err)) < 0))
		return r;
	/* From here on a killed mkwpar is rolled back by the next command. */
	struct cr_intent in;
	create_intent(cfg, &in);
	if ((r = cr_intent_write(cfg->name, &in, err)) < 0)
		return r;
	if ((r = create_files(cfg, err)) < 0) {
		struct cr_error undo_err = CR_ERROR_INIT;
		if (undo_create(cfg->name, &in, &undo_err) == 0)
			cr_intent_clear(cfg->name, NULL);
		cr_error_clear(&undo_err);
		return r;
	}
	if ((r = cr_intent_clear(cfg->name, err)) < 0)
		return r;
	cr_partition_log(cfg->name, "created (%s partition, base directory %s)",
			 cfg->type == CR_TYPE_SYSTEM ? "system" : "application", cfg->directory);
	return 0;
}

/* Only a tree that mkwpar made is removed: never "/" or a host directory. */
static bool looks_like_root_part(const char *directory)
{
	cleanup_free char *marker = NULL;
	return asprintf(&marker, "%s/etc/corral", directory) >= 0 && cr_path_exists(marker);
}

/* The root part's files, once proven to be a partition's root (before the
 * removal began: an interrupted one may have taken its /etc/corral). */
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
	return cr_rm_rf(cfg->directory, err);
}

/* Remove what the record says, in an order that a later command can carry
 * through from any point: root part, runtime state, the spec (the name is
 * free then), the record. */
static int finish_remove(const char *name, const struct cr_intent *in, struct cr_error *err)
{
	cleanup_free char *spec = NULL;
	int r = cr_registry_spec_path(name, &spec, err);
	if (r < 0)
		return r;
	if (!in->keep_directory && cr_path_exists(spec)) {
		struct cr_wpar_config cfg;
		cr_config_init(&cfg);
		r = cr_spec_read_file(spec, &cfg, err);
		if (r == 0)
			r = remove_root_part(&cfg, err);
		cr_config_free(&cfg);
		if (r < 0)
			return r;
	}
	if ((r = cr_state_remove(name, err)) < 0 || (r = cr_registry_remove_config(name, err)) < 0)
		return r;
	return cr_intent_clear(name, err);
}

int cr_partition_settle_intent(const char *name, enum cr_settled *ret, struct cr_error *err)
{
	struct cr_intent in;
	int r = cr_intent_read(name, &in, err);
	if (r < 0 || in.op == CR_INTENT_NONE)
		return r;
	if (in.op == CR_INTENT_CREATE && cr_registry_exists(name)) {
		/* Its spec was written: the creation was done but for the record. */
		*ret = CR_SETTLED_CREATED;
		r = cr_intent_clear(name, err);
	} else if (in.op == CR_INTENT_CREATE) {
		*ret = CR_SETTLED_UNCREATED;
		if ((r = undo_create(name, &in, err)) == 0)
			r = cr_intent_clear(name, err);
		if (r < 0)
			cr_error_wrap(err, "rolling back the interrupted creation of %s", name);
	} else {
		*ret = CR_SETTLED_REMOVED;
		if ((r = finish_remove(name, &in, err)) < 0)
			cr_error_wrap(err, "completing the removal of %s an earlier rmwpar began", name);
	}
	cr_debug("%s: settled a %s left by a command that ended (%d)", name,
		 in.op == CR_INTENT_CREATE ? "creation" : "removal", r);
	cr_intent_free(&in);
	return r;
}

/* Stop NAME (rmwpar -s, -F) and take its lock again. */
static int stop_first(const char *name, enum cr_state s, const struct cr_remove_options *opts, int *lock,
		      struct cr_error *err)
{
	if (!opts->stop && !opts->force)
		return cr_error_set(err, EBUSY, "%s is %s: stop it first, or use rmwpar -s", name, cr_state_name(s));
	close(cr_steal_fd(lock));
	struct cr_stop_options stop = {.force = opts->force || s == CR_STATE_BROKEN, .timeout_s = 600};
	int r = cr_partition_stop(name, &stop, err);
	if (r < 0 && !opts->force)
		return r;
	cr_error_clear(err);
	return cr_registry_lock(name, LOCK_TIMEOUT_MS, lock, err);
}

int cr_partition_remove(const char *name, const struct cr_remove_options *opts, struct cr_error *err)
{
	cleanup_close int lock = -1;
	enum cr_settled settled = CR_SETTLED_NOTHING;
	struct cr_wpar w;
	int r = cr_name_validate(name, err);
	if (r < 0 || (r = cr_registry_lock_settled(name, LOCK_TIMEOUT_MS, &lock, &settled, err)) < 0)
		return r;
	if (settled == CR_SETTLED_REMOVED)
		return 0; /* an rmwpar that was killed had begun it: it is done now */
	if ((r = cr_registry_load(name, &w, err)) < 0)
		return r;
	enum cr_state s = w.state.state;
	if (s != CR_STATE_DEFINED) {
		cr_wpar_free(&w);
		if ((r = stop_first(name, s, opts, &lock, err)) < 0 || (r = cr_registry_load(name, &w, err)) < 0)
			return r;
	}
	struct cr_intent in = {
		.op = CR_INTENT_REMOVE,
		.directory = w.config.type == CR_TYPE_SYSTEM ? w.config.directory : NULL,
		.keep_directory = opts->preserve,
		.nfs_root = cr_partition_nfs_root(&w.config) != NULL,
	};
	bool keep_root = false;
	if (!opts->preserve && in.directory && !in.nfs_root && cr_path_exists(in.directory) &&
	    strcmp(in.directory, "/") != 0 && !looks_like_root_part(in.directory)) {
		/* Not proven to be a root part: never deleted. -F removes the
		 * definition and says what it kept; without it nothing changes. */
		if (!opts->force) {
			r = cr_error_set(err, EPERM,
					 "refusing to remove %s: it does not look like a partition's root (no /etc/corral)",
					 in.directory);
			goto out;
		}
		keep_root = in.keep_directory = true;
	}
	/* From here on a killed rmwpar is carried through by the next command. */
	if ((r = cr_intent_write(name, &in, err)) < 0 || (r = finish_remove(name, &in, err)) < 0)
		goto out;
	if (keep_root)
		r = cr_error_set(err, EPERM,
				 "removed %s, but kept its base directory %s: it does not look like a partition's root (no /etc/corral)",
				 name, in.directory);
out:
	cr_wpar_free(&w);
	return r;
}
