/* restartwpar: a partition back from its image, on this host. */
#define LOG_PREFIX "restart: "
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/criu_features.h"
#include "check/host_facts.h"
#include "formats/image_reader.h"
#include "nfs/nfs.h"
#include "partition/app_job.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "restore/restore.h"
#include "spec/spec_file.h"
#include "stream/serve.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"
#include "util/workdir.h"

#define LOCK_TIMEOUT_MS 10000
#define NFS_UNMOUNT_MS 10000

#define WORK_IMAGE "image" /* the image's tree inside the work directory */

/* Where IMAGE's NEED bytes are extracted (util/workdir.h): a tmpfs with room
 * for them and for the memory the restored partition takes besides, else
 * the incoming directory; named for this process (a restart learns the
 * partition's name from its image, and holds no lock until then). A heap
 * path, made here. */
static int make_work_dir(uint64_t need, char **ret_work, struct cr_error *err)
{
	cleanup_free char *incoming = NULL;
	int r = cr_path(&incoming, err, CR_STATE_DIR "/incoming");
	if (r < 0)
		return r;
	struct cr_workdir_request wr = {
		.owner = "restart", .owned_by = CR_WORKDIR_PROCESS, .fallback = incoming, .contents = need, .memory = need};
	struct cr_workdir w;
	if ((r = cr_workdir_make(&wr, &w, err)) < 0)
		return r;
	*ret_work = w.path;
	return 0;
}

/* Open IMAGE and check it holds partition REQ->name (when given). */
static int open_image(const struct cr_restart_request *req, int *ret_fd, struct cr_image_reader **ret_reader,
		      struct cr_error *err)
{
	cleanup_close int fd = open(req->image, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open the image %s", req->image);
	struct cr_image_io io = cr_image_io_fd(fd);
	cleanup_image_reader struct cr_image_reader *r = NULL;
	int rc = cr_image_reader_open(&io, &req->keys, &r, err);
	if (rc < 0)
		return cr_error_wrap(err, "reading %s", req->image);
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	if (!m->partition || !m->spec_text)
		return cr_error_set(err, EINVAL, "%s holds no partition (no name or spec in its manifest)", req->image);
	if (req->name && strcmp(req->name, m->partition) != 0)
		return cr_error_set(err, EINVAL, "%s holds partition %s, not %s", req->image, m->partition, req->name);
	/* Refused before anything changes: CRIU would fail half-way. */
	if (m->n_criu_needs && (rc = cr_host_criu_has(m->criu_needs, m->n_criu_needs, err)) < 0)
		return cr_error_wrap(err, "cannot restore %s here", req->image);
	*ret_fd = cr_steal_fd(&fd);
	*ret_reader = steal_pointer(&r);
	return 0;
}

/* Streamed images (2.x) are served to CRIU from the file, block by block,
 * when CRIU can read them so ($CORRAL_RESTART_STREAM=0: extract instead). */
static bool serve_image(const struct cr_image_manifest *m)
{
	const char *v = getenv("CORRAL_RESTART_STREAM");
	if (m->major != CR_IMAGE_MAJOR_STREAMED || (v && strcmp(v, "0") == 0))
		return false;
	return cr_host_criu_streams();
}

/* A new work directory for the image of manifest M (heap path): room for
 * its entries unless a streamer SERVED them. */
static int make_work(const struct cr_image_manifest *m, bool served, char **ret_work, struct cr_error *err)
{
	uint64_t need = 0;
	for (size_t i = 0; !served && i < m->n_entries; i++)
		need += m->entries[i].size;
	return make_work_dir(need, ret_work, err);
}

/* WORK's WORK_IMAGE/criu: extracted from R (verifying every block on the
 * way), or left empty for the streamer that serves it (what CRIU does not
 * read of it is checked before the restored tree runs: check_unread). */
static int fill_work(const struct cr_restart_request *req, struct cr_image_reader *r, bool served, const char *work,
		     struct cr_error *err)
{
	cleanup_free char *into = NULL;
	int rc;
	if (asprintf(&into, served ? "%s/" WORK_IMAGE "/criu" : "%s/" WORK_IMAGE, work) < 0) {
		into = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (served) {
		rc = cr_mkdir_p(into, 0700, err);
	} else {
		rc = cr_image_extract_all(r, into, err);
	}
	return rc < 0 ? cr_error_wrap(err, "reading %s", req->image) : 0;
}

/* A served image, once CRIU has restored every task and before any runs:
 * the frames of the files it did not read whole are checked (those it read
 * were checked as they were served), so that damage in a file nobody reads
 * still refuses the restart, as extraction did. Read through a reader of
 * its own: the serve thread may still hold the other. */
struct unread_check {
	const struct cr_restart_request *req;
	int fd;
	struct cr_serve *srv;
};

static int check_unread(void *arg, struct cr_error *err)
{
	const struct unread_check *c = arg;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->fd);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open the image %s again", c->req->image);
	struct cr_image_io io = cr_image_io_fd(fd);
	cleanup_image_reader struct cr_image_reader *r = NULL;
	int rc = cr_image_reader_open(&io, &c->req->keys, &r, err);
	if (rc == 0)
		rc = cr_image_check_frames(r, cr_serve_whole, c->srv, err);
	if (rc == 0 && cr_fault_injected(CR_FAULT_UNREAD_DAMAGED))
		rc = cr_error_set(err, EBADMSG, "a file criu did not read is damaged (test fault)");
	if (rc < 0)
		return cr_error_wrap(err, "reading %s", c->req->image);
	cr_debug("what criu did not read of %s is sound", c->req->image);
	return 0;
}

/* Define the partition from the image's spec when this host does not know it. */
static int define_from_image(const struct cr_restart_unpacked *req, bool *ret_defined, struct cr_error *err)
{
	*ret_defined = false;
	if (cr_registry_exists(req->name))
		return 0;
	struct cr_wpar_config cfg;
	cr_config_init(&cfg);
	int r = cr_spec_parse(req->spec_text, strlen(req->spec_text), "the image's spec", &cfg, err);
	if (r == 0 && strcmp(cfg.name ? cfg.name : "", req->name) != 0)
		r = cr_error_set(err, EINVAL, "the image's spec names %s, not %s", cfg.name ? cfg.name : "nothing",
				 req->name);
	if (r == 0 && req->directory) {
		free(cfg.directory);
		if (!(cfg.directory = strdup(req->directory)))
			r = cr_error_set(err, ENOMEM, "out of memory");
	}
	if (r == 0 && cfg.type == CR_TYPE_SYSTEM && !cr_partition_nfs_root(&cfg) && !req->fs_later) {
		cleanup_free char *etc = NULL;
		if (asprintf(&etc, "%s/etc/corral", cfg.directory ? cfg.directory : "") < 0)
			r = cr_error_set(err, ENOMEM, "out of memory");
		else if (!cr_path_exists(etc))
			r = cr_error_set(err, ENOENT,
					 "the file systems of %s are not visible on this host (no %s)", req->name, etc);
	}
	/* A wparexec -c job writes to its output file, which CRIU reopens. */
	if (r == 0 && cfg.type == CR_TYPE_APPLICATION && cfg.checkpointable)
		r = cr_app_job_output_prepare(req->name, NULL, err);
	if (r == 0 && (r = cr_registry_save_config(&cfg, err)) == 0) {
		struct cr_wpar_state st;
		cr_state_init(&st);
		r = cr_state_save(req->name, &st, err);
		*ret_defined = r == 0;
	}
	cr_config_free(&cfg);
	return r;
}

/* Launch the monitor that restores NAME (locked, Defined): D -> T -> A or P.
 * With RET_VERDICT its verdict is left to come there, and it restores once
 * a byte comes on GO_FD (cr_partition_launch_held). */
static int launch_restore(const struct cr_restart_unpacked *req, struct cr_wpar *w, int *lock, int go_fd,
			  int *ret_verdict, struct cr_error *err)
{
	w->state.state = CR_STATE_TRANSITIONAL;
	w->state.owner_pid = getpid();
	free(w->state.operation);
	w->state.operation = strdup("restart");
	int r = cr_state_save(req->name, &w->state, err);
	if (r < 0)
		return r;
	/* Its NFS file systems are external to the image: mounted as at start. */
	if ((r = cr_nfs_mount_all(&w->config, err)) < 0)
		goto undo;
	cr_partition_log(req->name, "restarting from %s", req->origin);
	char *extra[] = {"--restore", (char *)req->images_dir, NULL, NULL, NULL, NULL, NULL};
	size_t n = 2;
	if (req->paused)
		extra[n++] = "--paused";
	if (req->lazy)
		extra[n++] = "--lazy";
	if (ret_verdict) {
		extra[n++] = "--go";
		extra[n++] = "5"; /* cr_partition_launch_held */
	}
	r = ret_verdict ? cr_partition_launch_held(req->name, req->self_exe, extra, go_fd, lock, ret_verdict, err)
			: cr_partition_launch(req->name, req->self_exe, extra, lock, err);
	if (r < 0 && *lock >= 0)
		cr_nfs_unmount_all(&w->config, NFS_UNMOUNT_MS, NULL);
undo:
	if (r < 0 && *lock >= 0) {
		w->state.state = CR_STATE_DEFINED;
		w->state.owner_pid = 0;
		cr_state_save(req->name, &w->state, NULL);
	}
	return r;
}

static int restart_unpacked(const struct cr_restart_unpacked *req, int go_fd, int *ret_verdict,
			    bool *ret_defined_here, struct cr_error *err)
{
	cleanup_close int lock = -1;
	bool defined_here = false;
	struct cr_wpar w;
	cr_config_init(&w.config);
	cr_state_init(&w.state);
	int r = cr_registry_lock(req->name, LOCK_TIMEOUT_MS, &lock, err);
	if (r < 0)
		return r;
	if ((r = define_from_image(req, &defined_here, err)) < 0)
		goto out;
	if (req->start) {
		close(cr_steal_fd(&lock));
		r = cr_partition_start(req->name, req->self_exe, err);
		goto out;
	}
	if ((r = cr_registry_load(req->name, &w, err)) < 0)
		goto out;
	if (w.state.state != CR_STATE_DEFINED) {
		r = cr_error_set(err, EBUSY, "%s is %s on this host: a partition never runs twice", req->name,
				 cr_state_name(w.state.state));
		goto out;
	}
	r = launch_restore(req, &w, &lock, go_fd, ret_verdict, err);
out:
	if (r < 0 && defined_here) {
		cr_partition_undefine(req->name);
		defined_here = false;
	}
	if (ret_defined_here)
		*ret_defined_here = defined_here;
	cr_wpar_free(&w);
	return r;
}

void cr_partition_undefine(const char *name)
{
	cr_registry_remove_config(name, NULL);
	cr_state_remove(name, NULL);
}

int cr_partition_restart_unpacked(const struct cr_restart_unpacked *req, bool *ret_defined_here,
				  struct cr_error *err)
{
	return restart_unpacked(req, -1, NULL, ret_defined_here, err);
}

int cr_partition_restart_held(const struct cr_restart_unpacked *req, int go_fd, int *ret_verdict,
			      bool *ret_defined_here, struct cr_error *err)
{
	if (req->start)
		return cr_error_set(err, EINVAL, "a partition started afresh is not restored: nothing to hold");
	return restart_unpacked(req, go_fd, ret_verdict, ret_defined_here, err);
}

int cr_partition_restart(const struct cr_restart_request *req, struct cr_error *err)
{
	cleanup_close int fd = -1;
	cleanup_image_reader struct cr_image_reader *r = NULL;
	int rc = open_image(req, &fd, &r, err);
	if (rc < 0)
		return rc;
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	bool served = serve_image(m);
	/* Extracting reads the file once from start to end: the kernel may read ahead. */
	if (!served)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	cleanup_free char *work = NULL, *images = NULL;
	cleanup_free char *name = strdup(m->partition), *spec = strdup(m->spec_text);
	if (!name || !spec)
		return cr_error_set(err, ENOMEM, "out of memory");
	if ((rc = make_work(m, served, &work, err)) < 0)
		return rc;
	if (asprintf(&images, "%s/" WORK_IMAGE "/criu", work) < 0) {
		images = NULL;
		cr_rm_rf(work, NULL);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	/* The monitor starts (its cgroups, CRIU's restorer in them) while the
	 * image is extracted, and restores once it is. */
	struct cr_restart_unpacked u = {
		.name = name,
		.spec_text = spec,
		.images_dir = images,
		.paused = req->paused,
		.self_exe = req->self_exe,
		.origin = req->image,
	};
	struct cr_restart_hold hold = CR_RESTART_HOLD_INIT;
	bool defined_here = false;
	struct cr_serve *srv = NULL;
	if ((rc = cr_partition_restart_hold(&u, &hold, &defined_here, err)) == 0) {
		cr_debug("the monitor of %s waits for its images", name);
		rc = fill_work(req, r, served, work, err);
	}
	if (rc == 0 && served) {
		if ((rc = cr_serve_start(images, "criu", r, &srv, err)) < 0)
			cr_error_wrap(err, "serving %s to criu", req->image);
	}
	struct unread_check check = {req, fd, srv};
	if (rc == 0)
		rc = srv ? cr_restart_hold_go_checked(&hold, check_unread, &check, err) : cr_restart_hold_go(&hold, err);
	cr_restart_hold_cancel(&hold); /* when it did not go */
	if (rc < 0 && defined_here)
		cr_partition_undefine(name);
	struct cr_error serr = CR_ERROR_INIT;
	if (srv && cr_serve_finish(srv, &serr) < 0 && rc < 0) /* why criu could not read it */
		cr_error_wrap(err, "%s; reading %s", cr_error_msg(&serr), req->image);
	cr_error_clear(&serr);
	cr_serve_free(srv);
	cr_rm_rf(work, NULL);
	return rc;
}
