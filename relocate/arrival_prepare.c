/* A relocation prepared ahead (PrepareArrival, protocol 1.2): while the
 * source freezes and dumps, NAME is defined here from its spec, its
 * relocation recorded ("prepared": nothing of it ran) and its monitor
 * started: the cgroups with their limits, CRIU's restorer in them, all made
 * before the source freezes (a restore held, restore/restore.h: its socket
 * and verdict are this process's, the connection's), and the answer to
 * PrepareArrival goes once the restorer waits. The Restore on this connection puts the file systems in place and
 * lets it go (cr_arrival_prepared_go); an Abort, or the connection's end
 * without a Restore, closes it (the monitor gives up and records Defined)
 * and removes the rest through the record, as an Abort of a restored one
 * does. corrald's start removes what a dead connection left prepared.
 *
 * Post-copy sends PrepareArrival, so the image's landing is made here too
 * and `criu lazy-pages` started on its CRIU images directory, empty yet
 * (criu/lazy.c; a criu without scripts/criu-patches/0008 ends at once and
 * LazyPages starts one later, as before): the image is unpacked into that
 * directory, and the LazyPages connection's process claims the daemon's
 * page socket. Unclaimed, it goes with the preparation (or with this
 * process, or after EARLY_CLAIM_MS).
 *
 * Pre-copy (1.4): a PrepareArrival that carries the file systems' level-0
 * archive has it unpacked into the partition's directory first, recorded
 * as the relocation's rootfs so that every undo above removes it; the
 * Restore then applies the image's level-1 over it. */
#define LOG_PREFIX "arrival: "
#include "relocate/arrival_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/host_facts.h"
#include "ckpt/partition_image.h"
#include "criu/criu.h"
#include "nfs/nfs.h"
#include "partition/rootfs_archive.h"
#include "partition/rootfs_unpack.h"
#include "relocate/frozen_window.h"
#include "relocate/landing.h"
#include "relocate/move_slot.h"
#include "relocate/relocation_record.h"
#include "restore/restore.h"
#include "spec/spec_file.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define EARLY_LISTEN_MS 10000              /* criu lazy-pages listening after its start */
#define EARLY_CLAIM_MS (15 * 60 * 1000)     /* unclaimed: the longest a dump may take, then it goes */
#define EARLY_END_MS 5000
#define SLOW_UNPACK_AHEAD_S 7 /* the test fault's: longer than a test peer's 5 s idle timeout */

/* This process serves one connection: at most one preparation. */
static struct cr_restart_hold prep = CR_RESTART_HOLD_INIT;

/* Its landing made ahead, and the lazy-pages daemon started there. */
static struct {
	struct cr_workdir landing; /* until the image's Prepare takes it */
	pid_t guard;               /* until a Restore(lazy): claimed by then */
} early;

static int early_images(char **ret, struct cr_error *err)
{
	if (asprintf(ret, "%s/%s", early.landing.path, CR_IMAGE_CRIU_DIR) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static void early_stop(void)
{
	cr_criu_lazy_guard_stop(early.guard, EARLY_END_MS);
	early.guard = 0;
	cr_landing_drop(&early.landing);
}

/* The landing and the daemon on it, or neither: LazyPages then starts one. */
static void early_start(const struct cr_arrival_env *env, const struct cr_arrival_prepare *req)
{
	cleanup_free char *images = NULL;
	cleanup_criu_service struct cr_criu_service svc = {NULL, -1};
	struct cr_error e = CR_ERROR_INIT;
	int r = cr_landing_new(req->name, req->size_hint, true, &early.landing, &e);
	if (r == 0 && (r = early_images(&images, &e)) == 0 && (r = cr_mkdir_p(images, 0700, &e)) == 0 &&
	    (r = cr_host_criu_service(&svc, &e)) == 0)
		r = cr_criu_lazy_daemon_prepare(&svc, req->name, images, EARLY_CLAIM_MS, &early.guard, &e);
	if (r < 0) {
		cr_arrival_log(env, "%s: no lazy-pages daemon ahead (%s)", req->name, cr_error_msg(&e));
		early_stop();
	}
	cr_error_clear(&e);
}

/* Once the monitor waits: the daemon listens, or it and the landing go. */
static void early_ready(const struct cr_arrival_env *env, const char *name)
{
	cleanup_free char *images = NULL;
	struct cr_error e = CR_ERROR_INIT;
	if (early.guard > 0 && (early_images(&images, &e) < 0 ||
				cr_criu_lazy_daemon_listening(name, images, early.guard, EARLY_LISTEN_MS, &e) < 0)) {
		early.guard = 0; /* ended (and reaped) there */
		cr_arrival_log(env, "%s: no lazy-pages daemon ahead (%s)", name, cr_error_msg(&e));
		cr_landing_drop(&early.landing);
	}
	cr_error_clear(&e);
}

bool cr_arrival_prepared_landing(const char *name, struct cr_workdir *ret)
{
	if (!cr_arrival_prepared(name) || !early.landing.path)
		return false;
	*ret = early.landing;
	early.landing = (struct cr_workdir){NULL, false};
	return true;
}

bool cr_arrival_prepared(const char *name)
{
	return prep.name && strcmp(prep.name, name) == 0;
}

int cr_arrival_prepared_go(bool lazy, struct cr_error *err)
{
	if (lazy)
		early.guard = 0; /* the page transfer's process has it */
	else
		early_stop(); /* not wanted */
	return cr_restart_hold_go(&prep, err);
}

void cr_arrival_prepared_cancel(void)
{
	early_stop();
	cr_restart_hold_cancel(&prep);
}

void cr_arrival_prepared_drop(const struct cr_arrival_env *env)
{
	if (!prep.name)
		return;
	cleanup_free char *name = strdup(prep.name);
	cr_arrival_prepared_cancel();
	if (name && cr_arrival_abort(env, name, NULL) == 0)
		cr_arrival_log(env, "%s: the relocation prepared here went no further: removed", name);
}

/* Whether NAME's spec can be prepared ahead: file systems that travel in
 * the image (NFS ones are mounted and checked at the Restore, as before). */
static int preparable(const char *name, const char *spec, struct cr_error *err)
{
	struct cr_wpar_config cfg;
	int r = cr_spec_parse(spec, strlen(spec), "the spec", &cfg, err);
	if (r < 0)
		return r;
	if (strcmp(cfg.name ? cfg.name : "", name) != 0)
		r = cr_error_set(err, EINVAL, "the spec names %s, not %s", cfg.name ? cfg.name : "nothing", name);
	for (size_t i = 0; r == 0 && i < cfg.n_mounts; i++)
		if (cr_nfs_is_nfs(&cfg.mounts[i]))
			r = cr_error_set(err, EOPNOTSUPP, "%s has NFS file systems: it is prepared at its Restore", name);
	if (r == 0 && cfg.type != CR_TYPE_SYSTEM)
		r = cr_error_set(err, EOPNOTSUPP, "%s is not a system partition", name);
	cr_config_free(&cfg);
	return r;
}

/* Pre-copy (1.4): the file systems' level-0 archive unpacked into DIR,
 * recorded first (REC->rootfs) so that an Abort, the connection's end or
 * corrald's next start removes it; the Restore applies the level-1 over it. */
static char *precopy_tar(const char *name)
{
	cleanup_free char *record = NULL;
	char *tar = NULL;
	if (cr_relocation_record_path(name, &record, NULL) < 0 || asprintf(&tar, "%s.precopy.tar", record) < 0)
		return NULL;
	return tar;
}

void cr_arrival_precopy_remove(const char *name)
{
	cleanup_free char *tar = precopy_tar(name);
	if (tar)
		(void)unlink(tar);
}

static int unpack_ahead(const struct cr_arrival_env *env, const struct cr_arrival_prepare *req, const char *dir,
			struct cr_relocation_record *rec, struct cr_error *err)
{
	cleanup_free char *what = NULL;
	if (asprintf(&what, "the level-0 archive of %s from %s", req->name, req->peer) < 0 ||
	    !(rec->rootfs = strdup(dir)))
		return cr_error_set(err, ENOMEM, "out of memory");
	int64_t t = cr_now_ms();
	/* Yields to another arrival's restore on this host's CPUs (relocate/move_slot.h). */
	struct cr_prep_prio prio = CR_PREP_PRIO_INIT;
	cr_prep_prio_yield(&prio, cr_restore_window_busy());
	int r = cr_relocation_record_save(req->name, rec, err);
	/* In this process, from the message's bytes (partition/rootfs_unpack.h). */
	if (r == 0 && (r = cr_mkdir_p(dir, 0755, err)) == 0)
		r = cr_rootfs_unpack_memory(what, req->fs_archive, req->fs_archive_len, dir,
					    CR_ROOTFS_ARCHIVE_TIMEOUT_MS, err);
	if (r == 0 && cr_fault_injected(CR_FAULT_SLOW_UNPACK_AHEAD))
		sleep(SLOW_UNPACK_AHEAD_S);
	bool yielded = prio.lowered;
	cr_prep_prio_restore(&prio);
	if (r == 0)
		cr_arrival_log(env, "%s: file systems of %s unpacked ahead in %lld ms%s", req->peer, req->name,
			       (long long)(cr_now_ms() - t), yielded ? " (yielding to a restore here)" : "");
	return r;
}

int cr_arrival_prepare(const struct cr_arrival_env *env, const struct cr_arrival_prepare *req, struct cr_error *err)
{
	cleanup_free char *record = NULL, *dir = NULL, *unpacked = NULL, *images = NULL, *origin = NULL;
	if (prep.name)
		return cr_error_set(err, EBUSY, "a relocation of %s is prepared on this connection already", prep.name);
	int r = cr_relocation_record_path(req->name, &record, err);
	if (r < 0 || (req->relocation && (r = cr_relocation_id_check(req->relocation, err)) < 0) ||
	    (r = preparable(req->name, req->spec_text ? req->spec_text : "", err)) < 0)
		return r;
	if (cr_path_exists(record))
		return cr_error_set(err, EBUSY, "a relocation of %s is already in progress here", req->name);
	if ((r = cr_path_name(&dir, CR_BASE_DIR, req->name, "", err)) < 0 ||
	    (r = cr_unpacked_path(req->name, &unpacked, err)) < 0)
		return r;
	if (cr_path_exists(dir))
		return cr_error_set(err, EEXIST, "%s already exists on this host: its file systems are never overwritten",
				    dir);
	if (asprintf(&images, "%s/%s", unpacked, CR_IMAGE_CRIU_DIR) < 0 ||
	    asprintf(&origin, "a relocation from %s", req->peer) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct cr_relocation_record rec = {.prepared = true};
	if (!(rec.peer = strdup(req->peer)) || (req->relocation && !(rec.id = strdup(req->relocation)))) {
		cr_relocation_record_free(&rec);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	/* Recorded before anything runs, so that an Abort finds all of it. */
	*strrchr(record, '/') = '\0';
	if ((r = cr_mkdir_p(record, 0700, err)) < 0 || (r = cr_relocation_record_save(req->name, &rec, err)) < 0 ||
	    (req->fs_archive && (r = unpack_ahead(env, req, dir, &rec, err)) < 0))
		goto out;
	struct cr_restart_unpacked u = {
		.name = req->name,
		.spec_text = req->spec_text,
		.images_dir = images,
		.directory = dir,
		.paused = true,
		.lazy = true, /* post-copy sends PrepareArrival */
		.self_exe = env->corral_exe,
		.origin = origin,
		.fs_later = true,
	};
	early_start(env, req); /* beside the monitor's start */
	if ((r = cr_partition_restart_hold(&u, &prep, &rec.defined, err)) == 0 &&
	    (r = cr_relocation_record_save(req->name, &rec, err)) == 0) {
		early_ready(env, req->name);
		cr_arrival_log(env, "%s: %s prepared here: defined, its monitor waits for the image", req->peer,
			       req->name);
		cr_relocation_record_free(&rec);
		return 0;
	}
out:
	early_stop();
	cr_restart_hold_cancel(&prep); /* a monitor that waits gives up */
	cr_arrival_undo(req->name, &rec, NULL, NULL);
	cr_relocation_forget(req->name);
	cr_relocation_record_free(&rec);
	return r;
}
