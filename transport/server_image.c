/* Prepare, Commit and Abort: receive an image stream into
 * $ROOT/var/lib/corral/incoming/NAME.img, verified by the image reader as the
 * chunks arrive; keep it on Commit, delete it on Abort. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/image_reader.h"
#include "spec/config.h"
#include "transport/server.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fsutil.h"
#include "util/paths.h"

int cr_incoming_path(const char *name, char **ret_path, struct cr_error *err)
{
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	return cr_path_name(ret_path, CR_STATE_DIR "/incoming", name, ".img", err);
}

/* Feeds the image reader from ImageChunk messages, copying them to a file. */
struct chunk_source {
	struct cr_conn *c;
	int fd;
	Crwire__Envelope *cur;
	size_t off;
	bool final;
	bool conn_failed; /* the connection, not the image, is broken */
	uint64_t bytes;
};

static int next_chunk(struct chunk_source *s, bool keep, struct cr_error *err)
{
	cr_envelope_freep(&s->cur);
	s->cur = NULL;
	s->off = 0;
	int r = cr_conn_recv(s->c, &s->cur, err);
	if (r < 0) {
		s->conn_failed = true;
		return r;
	}
	if (s->cur->body_case != CRWIRE__ENVELOPE__BODY_IMAGE_CHUNK) {
		s->conn_failed = true;
		return cr_error_set(err, EPROTO, "%s sent %s inside an image stream", s->c->peer_name,
				    cr_wire_body_name(s->cur));
	}
	const Crwire__ImageChunk *ch = s->cur->image_chunk;
	s->final = ch->has_final && ch->final;
	s->bytes += ch->data.len;
	if (keep && s->fd >= 0 && ch->data.len > 0) {
		struct cr_image_io out = cr_image_io_fd(s->fd);
		r = cr_io_write_all(&out, ch->data.data, ch->data.len, err);
		if (r < 0)
			return cr_error_wrap(err, "writing the received image");
	}
	return 0;
}

static ssize_t chunk_read(void *ctx, void *buf, size_t len, struct cr_error *err)
{
	struct chunk_source *s = ctx;
	while (!s->cur || s->off == s->cur->image_chunk->data.len) {
		if (s->final)
			return 0;
		int r = next_chunk(s, true, err);
		if (r < 0)
			return r;
	}
	size_t n = s->cur->image_chunk->data.len - s->off;
	if (n > len)
		n = len;
	memcpy(buf, s->cur->image_chunk->data.data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* Read the stream through the image reader: verify every block, and with
 * UNPACK_DIR unpack it there, its manifest's spec as UNPACK_DIR/spec. */
static int verify_stream(const struct cr_server_ctx *ctx, struct chunk_source *s, const char *name,
			 const char *unpack_dir, struct cr_error *err)
{
	struct cr_image_io in = {.read = chunk_read, .ctx = s, .fd = -1};
	struct cr_image_keys keys = {.key_file = NULL, .host_key_file = ctx->host_key_path};
	cleanup_image_reader struct cr_image_reader *rd = NULL;
	int r = cr_image_reader_open(&in, &keys, &rd, err);
	if (r < 0 || !unpack_dir)
		return r < 0 ? r : cr_image_verify(rd, NULL, err);
	const struct cr_image_manifest *m = cr_image_reader_manifest(rd);
	if (!m->partition || !m->spec_text || strcmp(m->partition, name) != 0)
		return cr_error_set(err, EINVAL, "the image holds partition %s, not %s",
				    m->partition ? m->partition : "(none)", name);
	/* A landing made ahead (PrepareArrival: a process works in it already)
	 * is filled in place; a fresh one is made by the extraction. */
	r = cr_path_exists(unpack_dir) ? cr_image_extract_into(rd, unpack_dir, err)
				       : cr_image_extract_all(rd, unpack_dir, err);
	if (r < 0)
		return r;
	cleanup_free char *spec = NULL;
	if (asprintf(&spec, "%s/%s", unpack_dir, CR_UNPACKED_SPEC) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return cr_write_file_atomic(spec, m->spec_text, strlen(m->spec_text), 0600, err);
}

static int open_temp(const char *final_path, char **ret_tmp, int *ret_fd, struct cr_error *err)
{
	cleanup_free char *dir = strdup(final_path);
	if (!dir)
		return cr_error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	int r = cr_mkdir_p(dir, 0700, err);
	if (r < 0)
		return r;
	cleanup_free char *tmp = NULL;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, slash + 1) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot create %s", tmp);
	*ret_tmp = steal_pointer(&tmp);
	*ret_fd = fd;
	return 0;
}

/* Where an image goes: a file (stored whole, for Commit to keep) or a
 * directory (unpacked as it arrives, for Restore: the arrival's landing).
 * Written under TMP, renamed to FINAL (a file) or kept by the arrival once
 * the whole image is verified. */
struct landing {
	const struct cr_arrival_ops *arrival; /* unpacked into WORK, else stored in TMP */
	const char *name;
	struct cr_workdir work;
	char *final;
	char *tmp;
	int fd;
};

static void landing_drop(struct landing *l)
{
	if (l->work.path)
		l->arrival->landing_drop(&l->work);
	if (l->tmp)
		(void)unlink(l->tmp);
	if (l->fd >= 0)
		close(l->fd);
	free(l->tmp);
	free(l->final);
	l->tmp = l->final = NULL;
	l->fd = -1;
}

static int landing_open(const char *name, const struct cr_arrival_ops *arrival, uint64_t size_hint,
			struct landing *l, struct cr_error *err)
{
	l->arrival = arrival;
	l->name = name;
	l->fd = -1;
	if (arrival)
		return arrival->landing_open(name, size_hint, &l->work, err);
	int r = cr_incoming_path(name, &l->final, err);
	if (r < 0)
		return r;
	return open_temp(l->final, &l->tmp, &l->fd, err);
}

static int landing_keep(struct landing *l, struct cr_error *err)
{
	if (l->arrival) {
		int r = l->arrival->landing_keep(l->name, &l->work, err);
		if (r == 0)
			cr_workdir_release(&l->work);
		return r;
	}
	if (fsync(l->fd) < 0)
		return cr_error_errno(err, "cannot sync %s", l->tmp);
	if (rename(l->tmp, l->final) < 0)
		return cr_error_errno(err, "cannot rename %s to %s", l->tmp, l->final);
	free(l->tmp);
	l->tmp = NULL;
	return 0;
}

/* Receive and verify; on an image error, read the rest of the stream so the
 * connection stays usable for the answer. */
static int receive(const struct cr_server_ctx *ctx, struct cr_conn *c, const char *name,
		   struct landing *l, Crwire__Result *res, struct cr_error *err)
{
	struct chunk_source s = {.c = c, .fd = l->fd};
	int r = verify_stream(ctx, &s, name, l->arrival ? l->work.path : NULL, err);
	if (r == 0 && cr_fault_injected(CR_FAULT_REFUSE_IMAGE))
		r = cr_error_set(err, EBADMSG, "test fault refuse-image");
	if (r == 0)
		r = landing_keep(l, err);
	if (r == 0) {
		res->has_bytes = true;
		res->bytes = s.bytes;
		cr_server_log(ctx, "%s: received %s (%llu bytes, verified%s)", c->peer_name, l->final ? l->final : name,
			      (unsigned long long)s.bytes, l->arrival ? ", unpacked" : "");
	}
	int drain = 0;
	if (r < 0 && !s.conn_failed) {
		cr_result_fail(res, -r, "image not accepted: %s", cr_error_msg(err));
		cr_error_clear(err);
		while (!s.final && (drain = next_chunk(&s, false, err)) == 0)
			;
	}
	cr_envelope_freep(&s.cur);
	if (r < 0 && s.conn_failed)
		return r;
	return drain;
}

/* A refused Prepare(at_once): the chunks already on their way are read and
 * dropped, so that the refusal is the one Result and the connection stays
 * in step. */
static int drop_stream(struct cr_conn *c, struct cr_error *err)
{
	struct chunk_source s = {.c = c, .fd = -1};
	int r = 0;
	while (!s.final && (r = next_chunk(&s, false, err)) == 0)
		;
	cr_envelope_freep(&s.cur);
	return r;
}

int cr_server_on_prepare(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Prepare *req, Crwire__Result *res, struct cr_error *err)
{
	struct landing l = {.fd = -1};
	struct cr_error e = CR_ERROR_INIT;
	const struct cr_arrival_ops *arrival = NULL;
	bool unpack = req->has_unpack && req->unpack, at_once = unpack && req->has_at_once && req->at_once;
	if (unpack && !(arrival = cr_server_arrival(ctx, res)))
		return at_once ? drop_stream(c, err) : 0;
	if (landing_open(req->name, arrival, req->has_size_hint ? req->size_hint : 0, &l, &e) < 0) {
		cr_result_fail(res, e.code, "cannot receive an image for %s: %s", req->name,
			       cr_error_msg(&e));
		cr_error_clear(&e);
		landing_drop(&l);
		/* The client waits for this answer before it streams, or
		 * (at_once) streams without waiting. */
		return at_once ? drop_stream(c, err) : 0;
	}
	int r = 0;
	if (!at_once) { /* go ahead: the client streams the image only after this answer */
		Crwire__Envelope go = CRWIRE__ENVELOPE__INIT;
		go.body_case = CRWIRE__ENVELOPE__BODY_RESULT;
		Crwire__Result ok = CRWIRE__RESULT__INIT;
		go.result = &ok;
		r = cr_conn_send(c, &go, err);
	}
	if (r == 0)
		r = receive(ctx, c, req->name, &l, res, err);
	landing_drop(&l);
	return r;
}

/* NAME's incoming path, or NULL with RES filled in. */
static char *incoming_or_fail(const char *name, Crwire__Result *res)
{
	char *path = NULL;
	struct cr_error e = CR_ERROR_INIT;
	if (cr_incoming_path(name, &path, &e) < 0)
		cr_result_fail(res, e.code, "%s", cr_error_msg(&e));
	cr_error_clear(&e);
	return path;
}

int cr_server_on_commit(const struct cr_server_ctx *ctx, const Crwire__Commit *req,
			Crwire__Result *res)
{
	cleanup_free char *path = incoming_or_fail(req->name, res);
	if (!path)
		return 0;
	if (ctx->arrival) { /* a relocation's Commit, if there is one */
		struct cr_arrival_env env = cr_server_arrival_env(ctx);
		struct cr_error e = CR_ERROR_INIT;
		int r = ctx->arrival->commit(&env, req->name, req->relocation, &e);
		if (r < 0)
			cr_result_fail(res, e.code, "%s", cr_error_msg(&e));
		cr_error_clear(&e);
		if (r != 0)
			return 0;
	}
	if (!cr_path_exists(path))
		cr_result_fail(res, ENOENT, "no image was received for %s", req->name);
	return 0;
}

int cr_server_on_abort(const struct cr_server_ctx *ctx, const Crwire__Abort *req,
		       Crwire__Result *res)
{
	cleanup_free char *path = incoming_or_fail(req->name, res);
	if (!path)
		return 0;
	if (ctx->arrival) { /* all a relocation made here, if anything */
		struct cr_arrival_env env = cr_server_arrival_env(ctx);
		struct cr_error e = CR_ERROR_INIT;
		if (ctx->arrival->abort(&env, req->name, &e) < 0)
			cr_result_fail(res, e.code, "%s", cr_error_msg(&e));
		cr_error_clear(&e);
	}
	if (unlink(path) == 0)
		cr_server_log(ctx, "aborted: %s deleted", path);
	else if (errno != ENOENT)
		cr_result_fail(res, errno, "cannot delete %s: %s", path, strerror(errno));
	return 0;
}

int cr_incoming_sweep(unsigned *ret_removed, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_path(&dir, err, CR_STATE_DIR "/incoming");
	if (r < 0)
		return r;
	cleanup_dir DIR *d = opendir(dir);
	unsigned n = 0;
	if (!d && errno != ENOENT)
		return cr_error_errno(err, "cannot open %s", dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		/* Partial files are ".NAME.img.XXXXXX" (open_temp); the
		 * arrival sweeps its own landings. */
		if (de->d_name[0] == '.' && strstr(de->d_name, ".img.") && unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	*ret_removed = n;
	return 0;
}
