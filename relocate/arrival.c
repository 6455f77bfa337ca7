/* Restore, Commit and Abort of a relocation to this host (relocate/arrival.h). */
#define LOG_PREFIX "arrival: "
#include "relocate/arrival_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt/checkpoint.h"
#include "ckpt/partition_image.h"
#include "nfs/nfs.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "partition/rootfs_archive.h"
#include "relocate/frozen_window.h"
#include "relocate/landing.h"
#include "relocate/relocation_record.h"
#include "restore/restore.h"
#include "spec/spec_file.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define DAEMON_WAIT_MS 10000 /* Restore(lazy) waiting for LazyPages' daemon */

/* The relocation this process restored and has not settled yet: corrald
 * serves each connection in a process of its own. */
static char *pending;

static void set_pending(const char *name)
{
	free(pending);
	pending = name ? strdup(name) : NULL;
}

static void unset_pending(const char *name)
{
	if (pending && strcmp(pending, name) == 0)
		set_pending(NULL);
}

/* This process's hold of the host's restore window (relocate/frozen_window.h):
 * from the restore to the thaw; a connection that ends holding it lets it
 * go with its process. */
static struct cr_frozen_window restore_window = {.fd = -1};
#define HOLD_RESTORE_WINDOW_S 1 /* the test fault's */

static void restore_window_enter(const struct cr_arrival_env *env, const char *name)
{
	if (restore_window.fd >= 0)
		return; /* held already by this connection's last Restore */
	struct cr_error e = CR_ERROR_INIT;
	if (cr_restore_window_enter(&restore_window, CR_RESTORE_WINDOW_WAIT_MS, &e) > 0)
		cr_arrival_log(env, "%s: restoring without this host's restore window: %s", name, cr_error_msg(&e));
	else if (restore_window.waited_ns >= 1000000)
		cr_arrival_log(env, "%s: waited %lld ms for this host's restore window", name,
			       (long long)(restore_window.waited_ns / 1000000));
	cr_error_clear(&e);
	if (restore_window.fd >= 0 && cr_fault_injected(CR_FAULT_HOLD_RESTORE_WINDOW))
		sleep(HOLD_RESTORE_WINDOW_S);
}

char *cr_arrival_take_pending(void)
{
	return steal_pointer(&pending);
}

void cr_arrival_log(const struct cr_arrival_env *env, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cr_log_vline(env->log, env->log_ctx, fmt, ap);
	va_end(ap);
}

int cr_arrival_landing_open(const char *name, uint64_t size_hint, struct cr_workdir *ret, struct cr_error *err)
{
	cleanup_free char *made = NULL;
	int r = cr_relocation_record_path(name, &made, err);
	if (r < 0)
		return r;
	if (cr_path_exists(made) && !cr_arrival_prepared(name))
		return cr_error_set(err, EBUSY, "a relocation of %s is already in progress here", name);
	cr_unpacked_remove(name); /* left by a connection that died */
	if (cr_arrival_prepared_landing(name, ret))
		return 0;
	return cr_landing_new(name, size_hint, false, ret, err);
}

int cr_arrival_images_dir(const char *name, char **ret_dir, struct cr_error *err)
{
	cleanup_free char *unpacked = NULL;
	int r = cr_unpacked_path(name, &unpacked, err);
	if (r < 0)
		return r;
	if (!cr_path_exists(unpacked))
		return cr_error_set(err, ENOENT, "no image of %s was received for a relocation", name);
	if (asprintf(ret_dir, "%s/%s", unpacked, CR_IMAGE_CRIU_DIR) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Post-copy: wait (a bounded time) until the lazy-pages daemon that a
 * LazyPages on another connection starts listens in IMAGES_DIR. */
static int wait_lazy_daemon(const char *images_dir, struct cr_error *err)
{
	cleanup_free char *mark = NULL, *sock = NULL;
	if (asprintf(&mark, "%s/%s", images_dir, CR_RESTORE_LAZY_MARK) < 0 ||
	    asprintf(&sock, "%s/lazy-pages.socket", images_dir) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	for (int waited = 0; waited < DAEMON_WAIT_MS; waited += 10) {
		if (cr_path_exists(mark) && cr_path_exists(sock))
			return 0;
		usleep(10 * 1000);
	}
	return cr_error_set(err, ETIMEDOUT, "no lazy page transfer was started for these images within %d ms "
			    "(LazyPages on a second connection comes first)", DAEMON_WAIT_MS);
}

/* The partition's base directory here: <root>/wpars/NAME, whatever it was
 * on the source. The file systems the image carries are unpacked into it
 * (*RET_MADE); an NFS-rooted partition mounts its export there. It must not
 * exist yet. */
static int place(const char *name, const char *unpacked, const char *ahead, char **ret_dir, bool *ret_made,
		 struct cr_error *err)
{
	*ret_made = false;
	cleanup_free char *tar = NULL, *dir = NULL;
	if (asprintf(&tar, "%s/%s", unpacked, CR_IMAGE_ROOTFS_ENTRY) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_path_name(&dir, CR_BASE_DIR, name, "", err);
	if (r < 0)
		return r;
	if (ahead) { /* pre-copied (PrepareArrival 1.4): the image has what changed since */
		if (strcmp(ahead, dir) != 0 || !cr_path_exists(tar))
			return cr_error_set(err, EPROTO, "the image of %s carries no archive of what changed in %s",
					    name, ahead);
		if ((r = cr_rootfs_archive_apply(tar, dir, err)) < 0)
			return r; /* the tree goes with the record (Abort, the connection's end) */
		(void)unlink(tar);
		*ret_made = true;
		*ret_dir = steal_pointer(&dir);
		return 0;
	}
	if (cr_path_exists(dir))
		return cr_error_set(err, EEXIST, "%s already exists on this host: its file systems are never overwritten",
				    dir);
	if (cr_path_exists(tar)) {
		if ((r = cr_rootfs_archive_extract(tar, dir, err)) < 0) {
			cr_rm_rf(dir, NULL);
			return r;
		}
		(void)unlink(tar);
		*ret_made = true;
	} else if ((r = cr_mkdir_p(dir, 0755, err)) < 0) { /* the mount point of its NFS root */
		return r;
	}
	*ret_dir = steal_pointer(&dir);
	return 0;
}

/* Remove what a relocation made here: the partition, and its file systems
 * when they came in the image (else only its empty mount point). */
void cr_arrival_undo(const char *name, const struct cr_relocation_record *rec, const char *dir, struct cr_error *err)
{
	if (rec->defined) {
		struct cr_remove_options rm = {.force = true, .preserve = rec->rootfs == NULL};
		if (cr_partition_remove(name, &rm, err) < 0)
			cr_error_wrap(err, "cannot remove %s", name);
	}
	if (rec->rootfs)
		cr_rm_rf(rec->rootfs, NULL);
	else if (dir)
		(void)rmdir(dir);
}

/* The partition's NFS exports, seen from here, hold the source's mark. */
static int verify_nfs(const char *spec, const char *mark, struct cr_error *err)
{
	struct cr_wpar_config cfg;
	int r = cr_spec_parse(spec, strlen(spec), "the image's spec", &cfg, err);
	if (r < 0)
		return r;
	r = cr_nfs_mark_verify(&cfg, mark, err);
	cr_config_free(&cfg);
	return r;
}

int cr_arrival_restore(const struct cr_arrival_env *env, const struct cr_arrival_restore *req, struct cr_error *err)
{
	cleanup_free char *unpacked = NULL, *spec_path = NULL, *spec = NULL, *images = NULL, *origin = NULL;
	cleanup_free char *dir = NULL;
	bool fs_made = false;
	size_t len = 0;
	struct cr_relocation_record rec = {0};
	/* Prepared ahead on this connection: defined, its monitor waits. */
	bool prepared = cr_arrival_prepared(req->name) && !req->start;
	int r = cr_unpacked_path(req->name, &unpacked, err);
	if (r < 0)
		goto refused;
	if (!cr_path_exists(unpacked)) {
		r = cr_error_set(err, ENOENT, "no image of %s was received for a relocation", req->name);
		goto refused;
	}
	if (cr_relocation_record_load(req->name, &rec, err) != 0 && !prepared) {
		cr_relocation_record_free(&rec);
		return cr_error_set(err, EBUSY, "%s was already restored here by a relocation", req->name);
	}
	if (req->relocation && (r = cr_relocation_id_check(req->relocation, err)) < 0)
		goto refused;
	if (asprintf(&spec_path, "%s/%s", unpacked, CR_UNPACKED_SPEC) < 0 ||
	    asprintf(&images, "%s/%s", unpacked, CR_IMAGE_CRIU_DIR) < 0 ||
	    asprintf(&origin, "a relocation from %s", req->peer) < 0) {
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto refused;
	}
	int64_t t_place = cr_now_ms();
	if ((r = cr_read_file(spec_path, 1 << 20, &spec, &len, err)) < 0 ||
	    (req->nfs_mark && (r = verify_nfs(spec, req->nfs_mark, err)) < 0) ||
	    (r = place(req->name, unpacked, prepared ? rec.rootfs : NULL, &dir, &fs_made, err)) < 0)
		goto refused;
	/* Inside the downtime, and on a busy disk most of it (bench/README.md,
	 * fleet_evacuate.sh) unless it was pre-copied: said, so that a slow
	 * restore can be told apart. */
	if (fs_made)
		cr_arrival_log(env, "%s: file systems of %s unpacked in %lld ms", req->peer, req->name,
			       (long long)(cr_now_ms() - t_place));
	rec.prepared = false; /* from here on it runs */
	if ((fs_made && !rec.rootfs && !(rec.rootfs = strdup(dir))) || (!rec.peer && !(rec.peer = strdup(req->peer))) ||
	    (req->relocation && !rec.id && !(rec.id = strdup(req->relocation)))) {
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	/* Recorded before anything runs, so that an Abort finds all of it. */
	if ((r = cr_relocation_record_save(req->name, &rec, err)) < 0)
		goto fail;
	struct cr_restart_unpacked u = {
		.name = req->name,
		.spec_text = spec,
		.images_dir = images,
		.directory = dir,
		.paused = true,
		.start = req->start,
		.self_exe = env->corral_exe,
		.origin = origin,
	};
	if (req->lazy && (r = wait_lazy_daemon(images, err)) < 0)
		goto fail;
	restore_window_enter(env, req->name);
	if (!prepared && req->window_boost) /* its monitor, and a partition started afresh, would inherit it */
		cr_nice_restore(req->window_boost);
	if ((r = prepared ? cr_arrival_prepared_go(req->lazy, err) : cr_partition_restart_unpacked(&u, &rec.defined, err)) < 0)
		goto fail;
	/* Post-copy: it runs here at once; its memory follows. */
	if (req->lazy && (r = cr_partition_resume(req->name, err)) < 0)
		goto fail;
	if (req->lazy)
		cr_frozen_window_leave(&restore_window); /* thawed */
	if ((r = cr_relocation_record_save(req->name, &rec, err)) < 0)
		goto fail;
	cr_arrival_log(env, "%s: %s %s, %s until the source hands it over", req->peer,
		       u.start ? "started" : "restored", req->name,
		       req->lazy ? "running (post-copy: its memory follows)" : u.start ? "running" : "paused");
	set_pending(req->name);
	cr_relocation_record_free(&rec);
	return 0;
fail:
	cr_frozen_window_leave(&restore_window);
	cr_arrival_prepared_cancel(); /* its monitor gives up first */
	cr_arrival_undo(req->name, &rec, dir, NULL);
	cr_relocation_forget(req->name);
	cr_relocation_record_free(&rec);
	return r;
refused: /* nothing done: what was prepared goes with the connection, or an Abort */
	cr_relocation_record_free(&rec);
	return r;
}

/* A Commit repeated after this host settled the relocation itself (the
 * source, before relocation ids, retried on a new connection): the
 * partition runs here, all is well. */
static bool already_owned(const char *name)
{
	struct cr_wpar w;
	if (cr_registry_load(name, &w, NULL) < 0)
		return false;
	bool active = w.state.state == CR_STATE_ACTIVE;
	cr_wpar_free(&w);
	return active;
}

/* A Commit with no record here: a repeat of one already carried out (the
 * answer to the first was lost) is answered as done; a relocation this host
 * does not know is refused. Without an id, 0: not a relocation's Commit
 * unless the partition runs here. */
static int commit_repeated(const struct cr_arrival_env *env, const char *name, const char *relocation,
			   struct cr_error *err)
{
	if (!relocation)
		return already_owned(name);
	if (!cr_relocation_arrived_by(name, relocation))
		return cr_error_set(err, ENOENT, "no relocation %s of %s is known here", relocation, name);
	cr_arrival_log(env, "%s: relocation %s was committed here already", name, relocation);
	return 1;
}

int cr_arrival_commit(const struct cr_arrival_env *env, const char *name, const char *relocation,
		      struct cr_error *err)
{
	struct cr_relocation_record rec;
	int r = cr_relocation_record_load(name, &rec, err);
	if (r < 0)
		return r;
	if (r == 0)
		return commit_repeated(env, name, relocation, err);
	if (relocation && rec.id && strcmp(relocation, rec.id) != 0) {
		r = cr_error_set(err, ESTALE, "the relocation of %s pending here is %s, not %s", name, rec.id,
				 relocation);
		cr_relocation_record_free(&rec);
		return r;
	}
	unset_pending(name);
	struct cr_wpar w;
	struct cr_error e = CR_ERROR_INIT;
	if (cr_registry_load(name, &w, &e) == 0) {
		bool paused = w.state.state == CR_STATE_PAUSED;
		cr_wpar_free(&w);
		if (paused && cr_partition_resume(name, err) < 0) {
			cr_relocation_record_free(&rec);
			cr_error_clear(&e);
			return cr_error_wrap(err, "cannot resume %s", name);
		}
	}
	cr_error_clear(&e);
	cr_frozen_window_leave(&restore_window); /* thawed */
	/* Before the record goes: a repeated Commit finds one or the other. */
	cr_relocation_arrival_save(name, rec.id);
	cr_relocation_record_free(&rec);
	cr_relocation_forget(name);
	cr_partition_log(name, "relocation committed: this host owns it now");
	cr_arrival_log(env, "%s: relocation committed, running here", name);
	return 1;
}

int cr_arrival_abort(const struct cr_arrival_env *env, const char *name, struct cr_error *err)
{
	if (cr_arrival_prepared(name)) /* its monitor gives up first */
		cr_arrival_prepared_cancel();
	struct cr_relocation_record rec;
	int r = cr_relocation_record_load(name, &rec, err);
	unset_pending(name);
	cr_frozen_window_leave(&restore_window);
	if (r > 0) {
		cleanup_free char *dir = NULL;
		(void)cr_path_name(&dir, CR_BASE_DIR, name, "", NULL);
		struct cr_error e = CR_ERROR_INIT;
		cr_arrival_undo(name, &rec, dir, &e);
		r = e.code ? cr_error_set(err, e.code, "%s", cr_error_msg(&e)) : 0;
		cr_error_clear(&e);
		cr_relocation_record_free(&rec);
		cr_arrival_log(env, "%s: relocation aborted, nothing of it left here", name);
	}
	cr_relocation_forget(name);
	return r < 0 ? r : 0;
}

int cr_arrival_resume(const char *name, bool force, struct cr_error *err)
{
	cleanup_free char *source = NULL;
	/* Resuming a copy whose source may still run it would run it twice. */
	if (cr_relocation_pending(name, &source) && !force)
		return cr_error_set(err, EBUSY,
				    "%s was relocated here from %s and the hand-over is not settled: "
				    "resume it with -F once it surely does not run there",
				    name, source ? source : "another host");
	int r = cr_partition_resume(name, err);
	if (r < 0)
		return r;
	cr_relocation_forget(name);
	return 0;
}
