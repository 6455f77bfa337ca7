/* A relocation prepared ahead (PrepareArrival, protocol 1.2): while the
 * source freezes and dumps, NAME is defined here from its spec, its
 * relocation recorded ("prepared": nothing of it ran) and its monitor
 * started: the cgroups with their limits, CRIU's restorer in them, all made
 * before the source freezes: the restorer says on a socket whose other end
 * this process (the connection's) holds that it waits, and the answer to
 * PrepareArrival goes only then. The Restore on this connection puts the file systems in place and
 * lets it go (cr_arrival_prepared_go); an Abort, or the connection's end
 * without a Restore, closes it (the monitor gives up and records Defined)
 * and removes the rest through the record, as an Abort of a restored one
 * does. corrald's start removes what a dead connection left prepared. */
#define LOG_PREFIX "arrival: "
#include "relocate/arrival_internal.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ckpt/partition_image.h"
#include "nfs/nfs.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"
#include "partition/state.h"
#include "relocate/landing.h"
#include "relocate/relocation_record.h"
#include "restore/restore.h"
#include "spec/spec_file.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define LOCK_TIMEOUT_MS 10000
#define READY_TIMEOUT_MS 30000 /* the monitor's start, up to its restorer's wait */

/* This process serves one connection: at most one preparation. */
static struct {
	char *name;
	int go;      /* our end of the restorer's socket */
	int verdict; /* the monitor's report */
} prep = {NULL, -1, -1};

bool cr_arrival_prepared(const char *name)
{
	return prep.name && strcmp(prep.name, name) == 0;
}

/* A monitor that never ran (its program failed to start) leaves NAME
 * Transitional, owned by this process: Defined again, so that the undo
 * removes it as any Defined one. One that ran recorded it itself. */
static void settle_unlaunched(const char *name)
{
	cleanup_close int lock = -1;
	struct cr_wpar_state st;
	cr_state_init(&st);
	if (cr_registry_lock(name, LOCK_TIMEOUT_MS, &lock, NULL) < 0 || cr_state_load(name, &st, NULL) < 0)
		return;
	if (st.state == CR_STATE_TRANSITIONAL && st.owner_pid == getpid() && !cr_monitor_lock_held(name)) {
		st.state = CR_STATE_DEFINED;
		st.owner_pid = 0;
		(void)cr_state_save(name, &st, NULL);
	}
	cr_state_free(&st);
}

/* The monitor's restorer says on GO that it waits (bounded): a monitor that
 * cannot run says nothing. */
static int wait_ready(const char *name, int go, struct cr_error *err)
{
	struct pollfd pfd = {.fd = go, .events = POLLIN};
	int n;
	do
		n = poll(&pfd, 1, READY_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	char c = 0;
	if (n <= 0 || recv(go, &c, 1, 0) != 1 || c != 'r')
		return cr_error_set(err, n == 0 ? ETIMEDOUT : EIO,
				    "the monitor of %s did not get ready%s (see its log)", name,
				    n == 0 ? " in time" : "");
	return 0;
}

static int end_prep(bool go, struct cr_error *err)
{
	int r = 0;
	if (go && send(prep.go, "g", 1, MSG_NOSIGNAL) != 1)
		r = cr_error_errno(err, "the monitor of %s waits no more", prep.name);
	close(prep.go);
	/* Without the byte the monitor gives up: its verdict says when it has. */
	struct cr_error e = CR_ERROR_INIT;
	int v = cr_partition_launch_await(prep.verdict, &e);
	if (r == 0 && go && v < 0)
		r = cr_error_set(err, e.code, "%s", cr_error_msg(&e));
	cr_error_clear(&e);
	if (v < 0)
		settle_unlaunched(prep.name);
	free(prep.name);
	prep.name = NULL;
	prep.go = prep.verdict = -1;
	return r;
}

int cr_arrival_prepared_go(struct cr_error *err)
{
	return end_prep(true, err);
}

void cr_arrival_prepared_cancel(void)
{
	if (prep.name)
		(void)end_prep(false, NULL);
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
	int sp[2] = {-1, -1}, verdict = -1;
	*strrchr(record, '/') = '\0';
	if ((r = cr_mkdir_p(record, 0700, err)) < 0 || (r = cr_relocation_record_save(req->name, &rec, err)) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		r = cr_error_errno(err, "cannot make a socket for the monitor of %s", req->name);
		goto out;
	}
	struct cr_restart_unpacked u = {
		.name = req->name,
		.spec_text = req->spec_text,
		.images_dir = images,
		.directory = dir,
		.paused = true,
		.self_exe = env->corral_exe,
		.origin = origin,
		.fs_later = true,
	};
	r = cr_partition_restart_held(&u, sp[1], &verdict, &rec.defined, err);
	close(sp[1]);
	if (r == 0)
		r = cr_relocation_record_save(req->name, &rec, err);
	if (r == 0)
		r = wait_ready(req->name, sp[0], err);
	if (r == 0 && !(prep.name = strdup(req->name)))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0) {
		prep.go = sp[0];
		prep.verdict = verdict;
		cr_arrival_log(env, "%s: %s prepared here: defined, its monitor waits for the image", req->peer,
			       req->name);
		cr_relocation_record_free(&rec);
		return 0;
	}
out:
	if (sp[0] >= 0)
		close(sp[0]); /* a monitor that waits gives up */
	if (verdict >= 0 && cr_partition_launch_await(verdict, NULL) < 0)
		settle_unlaunched(req->name);
	cr_arrival_undo(req->name, &rec, NULL, NULL);
	cr_relocation_forget(req->name);
	cr_relocation_record_free(&rec);
	return r;
}
