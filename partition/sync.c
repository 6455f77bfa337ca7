/* syncwpar: the /etc files mkwpar copied and the package database, brought
 * up to date with the global environment under the partition's lock. */
#define LOG_PREFIX "sync: "
#include "partition/sync.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "partition/rootfs.h"
#include "util/cleanup.h"
#include "util/log.h"

#define LOCK_TIMEOUT_MS 10000

/* The package database a partition sharing the global /usr needs; the
 * directories dpkg expects come first. */
static const char *const dpkg_dirs[] = {
	"var/lib/dpkg", "var/lib/dpkg/updates", "var/lib/dpkg/info", NULL,
};
static const char *const dpkg_files[] = {
	"var/lib/dpkg/status", "var/lib/dpkg/available", "var/lib/dpkg/diversions",
	"var/lib/dpkg/statoverride", "var/lib/dpkg/alternatives", NULL,
};

/* mkwpar -r copied the global name resolution files too: keep them in step. */
static const char *const resolution_files[] = {"etc/resolv.conf", "etc/hosts", NULL};

const char *cr_sync_source(void)
{
	const char *s = getenv("CORRAL_SYNC_SOURCE");
	return s && s[0] == '/' ? s : "/";
}

static int sync_etc(struct cr_sync_run *run, bool name_resolution, struct cr_error *err)
{
	int r;
	for (const char *const *f = cr_rootfs_etc_files; *f; f++) {
		cleanup_free char *rel = NULL;
		if (asprintf(&rel, "etc/%s", *f) < 0)
			return cr_error_set(err, ENOMEM, "out of memory");
		if ((r = cr_sync_tree(run, rel, true, err)) < 0)
			return r;
	}
	for (const char *const *f = resolution_files; name_resolution && *f; f++)
		if ((r = cr_sync_tree(run, *f, true, err)) < 0)
			return r;
	return cr_sync_remove_gone(run, err);
}

static int sync_packages(struct cr_sync_run *run, struct cr_error *err)
{
	int r;
	for (const char *const *d = dpkg_dirs; *d; d++)
		if ((r = cr_sync_ensure_dir(run, *d, err)) < 0)
			return r;
	for (const char *const *f = dpkg_files; *f; f++)
		if ((r = cr_sync_tree(run, *f, false, err)) < 0)
			return r;
	return 0;
}

static int check_partition(const struct cr_wpar *w, struct cr_error *err)
{
	const char *name = w->config.name;
	if (w->config.type != CR_TYPE_SYSTEM)
		return cr_error_set(err, EINVAL, "%s is an application partition: it shares the global file systems",
				    name);
	if (w->state.state == CR_STATE_TRANSITIONAL)
		return cr_error_set(err, EBUSY, "%s is Transitional: try again when the operation ends", name);
	return 0;
}

static int run_sync(const struct cr_wpar *w, struct cr_sync_run *run, struct cr_error *err)
{
	const struct cr_wpar_config *cfg = &w->config;
	int r = cr_sync_root_open(cfg->directory, &run->root_fd, err);
	if (r < 0)
		return r;
	if ((r = cr_sync_root_open(cr_sync_source(), &run->host_fd, err)) < 0)
		return r;
	struct cr_sync_item stamp;
	if ((r = cr_sync_stat(run->root_fd, true, "etc/machine-id", &stamp, err)) < 0)
		return r;
	run->created = stamp.kind == 'f' ? stamp.mtime : -1;
	if ((r = cr_sync_manifest_load(cfg->name, &run->manifest, err)) < 0 ||
	    (r = sync_etc(run, cfg->copy_name_resolution, err)) < 0)
		return r;
	run->sum.packages_skipped = cfg->private_usr;
	if (!cfg->private_usr && (r = sync_packages(run, err)) < 0)
		return r;
	if (!run->opts->preview)
		r = cr_sync_manifest_save(cfg->name, &run->manifest, err);
	return r;
}

int cr_partition_sync(const char *name, const struct cr_sync_options *opts,
		      struct cr_sync_summary *ret, struct cr_error *err)
{
	cleanup_close int lock = -1;
	struct cr_wpar w;
	int r = cr_registry_lock_load(name, LOCK_TIMEOUT_MS, &lock, &w, err);
	if (r < 0)
		return r;
	struct cr_sync_run run;
	memset(&run, 0, sizeof(run));
	run.opts = opts;
	run.root_fd = run.host_fd = -1;
	if ((r = check_partition(&w, err)) == 0 && (r = run_sync(&w, &run, err)) < 0)
		cr_error_wrap(err, "synchronizing %s", name);
	if (r == 0 && !opts->preview)
		cr_partition_log(name, "synchronized: %zu added, %zu updated, %zu removed, %zu kept",
				 run.sum.added, run.sum.updated, run.sum.removed, run.sum.kept);
	if (r == 0 && ret)
		*ret = run.sum;
	if (run.root_fd >= 0)
		close(run.root_fd);
	if (run.host_fd >= 0)
		close(run.host_fd);
	cr_sync_manifest_free(&run.manifest);
	cr_wpar_free(&w);
	return r;
}
