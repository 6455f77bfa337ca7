/* The destination half of a relocation (protocol 1.1). Prepare(unpack) left
 * the image unpacked in incoming/NAME.d; Restore brings the partition to life
 * here, Paused, and writes incoming/NAME.relocation naming what it made;
 * Commit resumes it and forgets the record; Abort ends it and removes all
 * the record names. The record survives a dead connection: a Paused
 * partition is never resumed, nor thrown away, without the source's word:
 * when the connection ends with a relocation still pending, this host asks
 * the source's corrald how the partition stands there. Active there (the
 * source never heard that it was restored here, and went on): it is removed
 * here. Gone or Defined there (the source ended its copy; only the Commit
 * was lost): it is resumed here. No answer: it stays Paused, for the
 * administrator, who knows where it must run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ckpt/checkpoint.h"
#include "ckpt/frozen.h"
#include "nfs/nfs.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "partition/rootfs_archive.h"
#include "restore/restore.h"
#include "spec/spec_file.h"
#include "transport/client.h"
#include "transport/server.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define RECONCILE_GRACE_MS 3000 /* time for the source to retry its Commit itself */
#define RECONCILE_TIMEOUT_MS 10000

/* The relocation this connection restored and has not settled yet: this
 * process serves one connection. */
static char *pending;

static void set_pending(const char *name)
{
	free(pending);
	pending = name ? strdup(name) : NULL;
}

struct relocation_record {
	char *rootfs; /* file systems unpacked here, or NULL */
	char *peer;   /* the source's name in the trust file */
	char *id;     /* the relocation's id (Restore.relocation), or NULL */
	bool defined; /* the partition was defined here */
};

static void record_free(struct relocation_record *rec)
{
	free(rec->rootfs);
	free(rec->peer);
	free(rec->id);
	rec->rootfs = rec->peer = rec->id = NULL;
}

/* A relocation id from the wire: 1 to 64 lower-case hex digits (it is
 * written as a line of the record). */
static int id_check(const char *id, struct cr_error *err)
{
	size_t n = strspn(id, "0123456789abcdef");
	if (n == 0 || n > 64 || id[n])
		return cr_error_set(err, EINVAL, "a relocation id is 1 to 64 hex digits");
	return 0;
}

static int record_save(const char *name, const struct relocation_record *rec, struct cr_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	int r = cr_relocation_record_path(name, &path, err);
	if (r < 0)
		return r;
	int n = asprintf(&text, "defined %d\nrootfs %s\npeer %s\nid %s\n", rec->defined ? 1 : 0,
			 rec->rootfs ? rec->rootfs : "", rec->peer ? rec->peer : "", rec->id ? rec->id : "");
	if (n < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return cr_write_file_atomic(path, text, (size_t)n, 0600, err);
}

/* 1 and REC filled when there is a record, 0 when there is none. */
static int record_load(const char *name, struct relocation_record *rec, struct cr_error *err)
{
	memset(rec, 0, sizeof(*rec));
	cleanup_free char *path = NULL, *text = NULL;
	size_t len = 0;
	int r = cr_relocation_record_path(name, &path, err);
	if (r < 0)
		return r;
	if (!cr_path_exists(path))
		return 0;
	if ((r = cr_read_file(path, 1 << 16, &text, &len, err)) < 0)
		return r;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "defined 1") == 0)
			rec->defined = true;
		else if (strncmp(line, "rootfs /", 8) == 0 && !(rec->rootfs = strdup(line + 7)))
			return cr_error_set(err, ENOMEM, "out of memory");
		else if (strncmp(line, "peer ", 5) == 0 && line[5] && !(rec->peer = strdup(line + 5)))
			return cr_error_set(err, ENOMEM, "out of memory");
		else if (strncmp(line, "id ", 3) == 0 && line[3] && !(rec->id = strdup(line + 3)))
			return cr_error_set(err, ENOMEM, "out of memory");
	}
	return 1;
}

bool cr_relocation_pending(const char *name, char **ret_peer)
{
	struct relocation_record rec;
	if (record_load(name, &rec, NULL) <= 0)
		return false;
	*ret_peer = steal_pointer(&rec.peer);
	record_free(&rec);
	return true;
}

void cr_relocation_forget(const char *name)
{
	cleanup_free char *record = NULL;
	if (cr_relocation_record_path(name, &record, NULL) == 0)
		(void)unlink(record);
	cr_unpacked_remove(name);
}

/* The partition's base directory here: <root>/wpars/NAME, whatever it was
 * on the source. The file systems the image carries are unpacked into it
 * (*RET_MADE); an NFS-rooted partition mounts its export there. It must not
 * exist yet. */
static int place(const char *name, const char *unpacked, char **ret_dir, bool *ret_made, struct cr_error *err)
{
	*ret_made = false;
	cleanup_free char *tar = NULL, *dir = NULL;
	if (asprintf(&tar, "%s/%s", unpacked, CR_IMAGE_ROOTFS_ENTRY) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_path_name(&dir, CR_BASE_DIR, name, "", err);
	if (r < 0)
		return r;
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
static void undo(const char *name, const struct relocation_record *rec, const char *dir, struct cr_error *err)
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

static int restore(const struct cr_server_ctx *ctx, struct cr_conn *c, const Crwire__Restore *req,
		   struct cr_error *err)
{
	cleanup_free char *unpacked = NULL, *spec_path = NULL, *spec = NULL, *images = NULL, *origin = NULL;
	cleanup_free char *dir = NULL;
	bool fs_made = false;
	size_t len = 0;
	struct relocation_record rec = {0};
	int r = cr_unpacked_path(req->name, &unpacked, err);
	if (r < 0)
		return r;
	if (!cr_path_exists(unpacked))
		return cr_error_set(err, ENOENT, "no image of %s was received for a relocation", req->name);
	if (record_load(req->name, &rec, err) != 0) {
		record_free(&rec);
		return cr_error_set(err, EBUSY, "%s was already restored here by a relocation", req->name);
	}
	if (asprintf(&spec_path, "%s/%s", unpacked, CR_UNPACKED_SPEC) < 0 ||
	    asprintf(&images, "%s/%s", unpacked, CR_IMAGE_CRIU_DIR) < 0 ||
	    asprintf(&origin, "a relocation from %s", c->peer_name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (req->relocation && (r = id_check(req->relocation, err)) < 0)
		return r;
	if ((r = cr_read_file(spec_path, 1 << 20, &spec, &len, err)) < 0)
		return r;
	if (req->nfs_mark && (r = verify_nfs(spec, req->nfs_mark, err)) < 0)
		return r;
	if ((r = place(req->name, unpacked, &dir, &fs_made, err)) < 0)
		return r;
	if ((fs_made && !(rec.rootfs = strdup(dir))) || !(rec.peer = strdup(c->peer_name)) ||
	    (req->relocation && !(rec.id = strdup(req->relocation)))) {
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	/* Recorded before anything runs, so that an Abort finds all of it. */
	if ((r = record_save(req->name, &rec, err)) < 0)
		goto fail;
	struct cr_restart_unpacked u = {
		.name = req->name,
		.spec_text = spec,
		.images_dir = images,
		.directory = dir,
		.paused = true,
		.start = req->has_start && req->start,
		.self_exe = ctx->corral_exe,
		.origin = origin,
	};
	bool lazy = req->has_lazy && req->lazy;
	if (lazy && (r = cr_server_lazy_wait_daemon(images, err)) < 0)
		goto fail;
	if ((r = cr_partition_restart_unpacked(&u, &rec.defined, err)) < 0)
		goto fail;
	/* Post-copy: it runs here at once; its memory follows. */
	if (lazy && (r = cr_partition_resume(req->name, err)) < 0)
		goto fail;
	if ((r = record_save(req->name, &rec, err)) < 0)
		goto fail;
	cr_server_log(ctx, "%s: %s %s, %s until the source hands it over", c->peer_name,
		      u.start ? "started" : "restored", req->name,
		      lazy ? "running (post-copy: its memory follows)" : u.start ? "running" : "paused");
	set_pending(req->name);
	record_free(&rec);
	return 0;
fail:
	undo(req->name, &rec, dir, NULL);
	cr_relocation_forget(req->name);
	record_free(&rec);
	return r;
}

int cr_server_on_restore(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Restore *req, Crwire__Result *res, struct cr_error *err)
{
	struct cr_error e = CR_ERROR_INIT;
	if (restore(ctx, c, req, &e) < 0)
		cr_result_fail(res, e.code, "cannot restore %s here: %s", req->name, cr_error_msg(&e));
	cr_error_clear(&e);
	const char *fault = getenv(CR_TEST_FAULT_ENV);
	if (res->code == 0 && fault && strcmp(fault, "drop-after-restore") == 0) /* tests: the answer is lost */
		return cr_error_set(err, ECONNRESET, "test fault drop-after-restore: connection dropped");
	if (res->code == 0 && fault && strcmp(fault, "die-after-restore") == 0) { /* tests: corrald dies */
		kill(getppid(), SIGKILL);
		_exit(1);
	}
	return 0;
}

/* A Commit repeated after this host settled the relocation itself (the
 * source retried on a new connection): the partition runs here, all is well. */
static bool already_owned(const char *name)
{
	cleanup_free char *image = NULL;
	struct cr_wpar w;
	if (cr_incoming_path(name, &image, NULL) < 0 || cr_path_exists(image) || cr_registry_load(name, &w, NULL) < 0)
		return false;
	bool active = w.state.state == CR_STATE_ACTIVE;
	cr_wpar_free(&w);
	return active;
}

/* <state>/NAME/arrival: the id of the relocation that brought NAME here,
 * written when it commits; it goes with the partition's state. */
static int arrival_path(const char *name, char **ret_path, struct cr_error *err)
{
	return cr_path_name(ret_path, CR_STATE_DIR, name, "/arrival", err);
}

static void arrival_save(const char *name, const char *id)
{
	cleanup_free char *path = NULL;
	struct cr_error e = CR_ERROR_INIT;
	if (id && arrival_path(name, &path, &e) == 0 && cr_write_file_atomic(path, id, strlen(id), 0600, &e) < 0)
		cr_debug("%s: cannot record the relocation id: %s", name, cr_error_msg(&e));
	cr_error_clear(&e);
}

/* NAME came here by relocation ID, committed. */
static bool arrived_by(const char *name, const char *id)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len = 0;
	if (arrival_path(name, &path, NULL) < 0 || cr_read_file(path, 128, &text, &len, NULL) < 0)
		return false;
	return len == strlen(id) && memcmp(text, id, len) == 0;
}

/* A Commit with no record here: a repeat of one already carried out (the
 * answer to the first was lost) is answered as done; a relocation this host
 * does not know is refused. Without an id (a source before relocation ids)
 * the partition running here stands for it. */
static int commit_repeated(const struct cr_server_ctx *ctx, const char *name, const char *relocation,
			   Crwire__Result *res)
{
	if (!relocation)
		return already_owned(name);
	if (!arrived_by(name, relocation)) {
		cr_result_fail(res, ENOENT, "no relocation %s of %s is known here", relocation, name);
		return 1;
	}
	cr_server_log(ctx, "%s: relocation %s was committed here already", name, relocation);
	return 1;
}

int cr_server_relocation_commit(const struct cr_server_ctx *ctx, const char *name, const char *relocation,
				Crwire__Result *res)
{
	struct relocation_record rec;
	struct cr_error e = CR_ERROR_INIT;
	int r = record_load(name, &rec, &e);
	if (r <= 0) {
		if (r < 0)
			cr_result_fail(res, e.code, "%s", cr_error_msg(&e));
		cr_error_clear(&e);
		return r < 0 || commit_repeated(ctx, name, relocation, res);
	}
	if (relocation && rec.id && strcmp(relocation, rec.id) != 0) {
		cr_result_fail(res, ESTALE, "the relocation of %s pending here is %s, not %s", name, rec.id, relocation);
		record_free(&rec);
		return 1;
	}
	if (pending && strcmp(pending, name) == 0)
		set_pending(NULL);
	struct cr_wpar w;
	if (cr_registry_load(name, &w, &e) == 0) {
		bool paused = w.state.state == CR_STATE_PAUSED;
		cr_wpar_free(&w);
		if (paused && cr_partition_resume(name, &e) < 0) {
			cr_result_fail(res, e.code, "cannot resume %s: %s", name, cr_error_msg(&e));
			cr_error_clear(&e);
			record_free(&rec);
			return 1;
		}
	}
	cr_error_clear(&e);
	/* Before the record goes: a repeated Commit finds one or the other. */
	arrival_save(name, rec.id);
	record_free(&rec);
	cr_relocation_forget(name);
	cr_partition_log(name, "relocation committed: this host owns it now");
	cr_server_log(ctx, "%s: relocation committed, running here", name);
	return 1;
}

void cr_server_relocation_abort(const struct cr_server_ctx *ctx, const char *name, Crwire__Result *res)
{
	struct relocation_record rec;
	struct cr_error e = CR_ERROR_INIT;
	int r = record_load(name, &rec, &e);
	if (r < 0)
		cr_result_fail(res, e.code, "%s", cr_error_msg(&e));
	cr_error_clear(&e);
	if (pending && strcmp(pending, name) == 0)
		set_pending(NULL);
	if (r > 0) {
		cleanup_free char *dir = NULL;
		(void)cr_path_name(&dir, CR_BASE_DIR, name, "", NULL);
		undo(name, &rec, dir, &e);
		if (e.code)
			cr_result_fail(res, e.code, "%s", cr_error_msg(&e));
		cr_error_clear(&e);
		record_free(&rec);
		cr_server_log(ctx, "%s: relocation aborted, nothing of it left here", name);
	}
	cr_relocation_forget(name);
}

/* How the partition stands on PEER: 1 still there and not Defined, 0 gone or
 * ended there, negative when PEER cannot tell. */
static int alive_at_source(const char *peer, const char *name, struct cr_error *err)
{
	cleanup_peer struct cr_peer *p = NULL;
	bool exists = false;
	char state = '?';
	int r = cr_peer_connect(peer, RECONCILE_TIMEOUT_MS, &p, err);
	if (r == 0)
		r = cr_peer_partition_state(p, name, &exists, &state, err);
	if (r < 0)
		return r;
	if (exists && state == '?')
		return cr_error_set(err, EPROTONOSUPPORT, "%s does not say in which state %s is", peer, name);
	return exists && state != CR_STATE_DEFINED;
}

/* Settle NAME's relocation from PEER, whose connection is gone, by asking
 * PEER how the partition stands there. */
static void settle(const struct cr_server_ctx *ctx, const char *peer, const char *name)
{
	struct relocation_record rec;
	struct cr_error e = CR_ERROR_INIT;
	int r = record_load(name, &rec, &e);
	if (r <= 0) { /* settled meanwhile by a Commit or Abort on another connection */
		cr_error_clear(&e);
		return;
	}
	record_free(&rec);
	Crwire__Result res = CRWIRE__RESULT__INIT;
	r = alive_at_source(peer, name, &e);
	if (r < 0) {
		cr_server_log(ctx, "%s: the relocation of %s was left unsettled and %s cannot say how it stands (%s): "
			      "%s stays Paused here; resume it (resumewpar) or remove it (rmwpar -F) once you know "
			      "where it must run",
			      peer, name, peer, cr_error_msg(&e), name);
	} else if (r == 1) {
		cr_server_log(ctx, "%s: %s still runs there: the relocation is aborted here", peer, name);
		cr_server_relocation_abort(ctx, name, &res);
	} else {
		cr_server_log(ctx, "%s: %s has ended there: the relocation is committed here", peer, name);
		(void)cr_server_relocation_commit(ctx, name, NULL, &res);
	}
	if (res.code)
		cr_server_log(ctx, "%s: settling %s: %s", peer, name, res.message ? res.message : "failed");
	cr_result_clear(&res);
	cr_error_clear(&e);
}

void cr_server_relocation_reconcile(const struct cr_server_ctx *ctx, const char *peer)
{
	if (!pending)
		return;
	cleanup_free char *name = steal_pointer(&pending);
	struct timespec grace = {RECONCILE_GRACE_MS / 1000, (RECONCILE_GRACE_MS % 1000) * 1000000L};
	nanosleep(&grace, NULL);
	settle(ctx, peer, name);
}

void cr_server_relocation_settle_left(const struct cr_server_ctx *ctx)
{
	cleanup_free char *dir = NULL;
	if (cr_path(&dir, NULL, CR_STATE_DIR "/incoming") < 0)
		return;
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		const size_t suffix = sizeof(CR_RELOCATION_SUFFIX) - 1;
		if (de->d_name[0] == '.' || len <= suffix || strcmp(de->d_name + len - suffix, CR_RELOCATION_SUFFIX) != 0)
			continue;
		cleanup_free char *name = strndup(de->d_name, len - suffix);
		struct relocation_record rec;
		struct cr_error e = CR_ERROR_INIT;
		if (!name || record_load(name, &rec, &e) <= 0) {
			cr_error_clear(&e);
			continue;
		}
		if (rec.peer) {
			cr_server_log(ctx, "%s: a relocation from %s was left unsettled by an earlier corrald", name,
				      rec.peer);
			settle(ctx, rec.peer, name);
		} else {
			cr_server_log(ctx, "%s: a relocation was left unsettled by an earlier corrald that did not "
				      "record its source: %s stays Paused here; resume it (resumewpar) or remove it "
				      "(rmwpar -F) once you know where it must run", name, name);
		}
		record_free(&rec);
	}
}
