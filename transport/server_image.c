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
#include "partition/config.h"
#include "transport/server.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

int cr_incoming_path(const char *name, char **ret_path, struct cr_error *err)
{
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	return cr_path(ret_path, err, CR_STATE_DIR "/incoming/%s.img", name);
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
	if (keep && ch->data.len > 0) {
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

static int verify_stream(const struct cr_server_ctx *ctx, struct chunk_source *s,
			 struct cr_error *err)
{
	struct cr_image_io in = {.read = chunk_read, .ctx = s, .fd = -1};
	struct cr_image_keys keys = {.key_file = NULL, .host_key_file = ctx->host_key_path};
	cleanup_image_reader struct cr_image_reader *rd = NULL;
	int r = cr_image_reader_open(&in, &keys, &rd, err);
	if (r == 0)
		r = cr_image_verify(rd, NULL, err);
	return r;
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

/* Receive into TMP_FD and verify; on an image error, read the rest of the
 * stream so the connection stays usable for the answer. */
static int receive(const struct cr_server_ctx *ctx, struct cr_conn *c, int tmp_fd,
		   const char *tmp, const char *path, Crwire__Result *res, struct cr_error *err)
{
	struct chunk_source s = {.c = c, .fd = tmp_fd};
	int r = verify_stream(ctx, &s, err);
	if (r == 0 && fsync(tmp_fd) < 0)
		r = cr_error_errno(err, "cannot sync %s", tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = cr_error_errno(err, "cannot rename %s to %s", tmp, path);
	if (r == 0) {
		res->has_bytes = true;
		res->bytes = s.bytes;
		cr_server_log(ctx, "%s: received %s (%llu bytes, verified)", c->peer_name, path,
			      (unsigned long long)s.bytes);
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

int cr_server_on_prepare(const struct cr_server_ctx *ctx, struct cr_conn *c,
			 const Crwire__Prepare *req, Crwire__Result *res, struct cr_error *err)
{
	cleanup_free char *path = NULL, *tmp = NULL;
	cleanup_close int fd = -1;
	struct cr_error e = CR_ERROR_INIT;
	if (cr_incoming_path(req->name, &path, &e) < 0 || open_temp(path, &tmp, &fd, &e) < 0) {
		cr_result_fail(res, e.code, "cannot receive an image for %s: %s", req->name,
			       cr_error_msg(&e));
		cr_error_clear(&e);
		return 0; /* the client waits for this answer before it streams */
	}
	/* Go ahead: the client streams the image only after this answer. */
	Crwire__Envelope go = CRWIRE__ENVELOPE__INIT;
	go.body_case = CRWIRE__ENVELOPE__BODY_RESULT;
	Crwire__Result ok = CRWIRE__RESULT__INIT;
	go.result = &ok;
	int r = cr_conn_send(c, &go, err);
	if (r == 0)
		r = receive(ctx, c, fd, tmp, path, res, err);
	if (r < 0 || res->code != 0)
		(void)unlink(tmp);
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
	(void)ctx;
	cleanup_free char *path = incoming_or_fail(req->name, res);
	if (!path)
		return 0;
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
	if (unlink(path) < 0 && errno != ENOENT)
		cr_result_fail(res, errno, "cannot delete %s: %s", path, strerror(errno));
	else
		cr_server_log(ctx, "aborted: %s deleted", path);
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
		/* Partial files are ".NAME.img.XXXXXX" (open_temp). */
		if (de->d_name[0] != '.' || !strstr(de->d_name, ".img."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	*ret_removed = n;
	return 0;
}
