/* The stop-copy relocation's image, streamed: CRIU's files flow through the
 * capture (stream/) into a format 2.0 image written on the peer connection
 * as CRIU writes them, and the peer unpacks it as it arrives; nothing of
 * them is staged here. The private file systems' archive and the index
 * follow once CRIU's dump has ended. */
#define LOG_PREFIX "move: "
#include <stdlib.h>

#include "check/criu_features.h"
#include "ckpt/frozen.h"
#include "ckpt/partition_image.h"
#include "relocate/move_internal.h"
#include "spec/spec_file.h"
#include "util/cleanup.h"
#include "util/clock.h"

int cr_move_stream_open(void *arg, const struct cr_frozen *f, struct cr_image_stream_writer **ret_sw,
			struct cr_error *err)
{
	struct cr_move_streamed *s = arg;
	struct move *m = s->m;
	cleanup_free char *spec = NULL;
	int r = cr_spec_write(&f->w.config, &spec, err);
	if (r < 0)
		return r;
	/* A fresh connection (a few milliseconds, before the freeze): the
	 * pre-flight's may have idled through the wait for the frozen window
	 * and the partition's lock. What the peer's landing must hold: CRIU's
	 * images (at most the memory) and the file systems' archive. */
	cr_peer_close(*s->p);
	*s->p = NULL;
	if ((r = cr_move_connect(m->req, s->p, err)) < 0 ||
	    (r = cr_peer_image_begin(*s->p, m->req->name, m->memory_bytes + m->fs_bytes, true, err)) < 0)
		return r;
	s->begun = true;
	s->io = cr_peer_image_io(*s->p);
	/* The connection is encrypted and authenticated: the image needs no
	 * second layer of it on the way. */
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN, .progress = cr_move_on_packed, .progress_ctx = m};
	struct cr_image_info info = {.partition = f->name, .spec_text = spec,
				     .criu_version = f->criu_version[0] ? f->criu_version : NULL,
				     .criu_needs = cr_criu_needs_of_dump(f->tmpfs_plain_tar)};
	if ((r = cr_image_stream_open(&s->io, &opts, &info, &s->sw, err)) < 0)
		return r;
	*ret_sw = s->sw;
	return 0;
}

int cr_move_stream_finish(struct cr_move_streamed *s, const char *rootfs_tar, struct cr_error *err)
{
	int64_t t = cr_now_ns();
	int r = rootfs_tar ? cr_image_stream_add_file(s->sw, CR_IMAGE_ROOTFS_ENTRY, rootfs_tar, err) : 0;
	if (r == 0)
		r = cr_image_stream_finish(s->sw, err);
	if (r == 0) {
		s->begun = false; /* whole: the peer's verdict comes next (with a
				   * peer of 1.2, read first by the Restore) */
		r = cr_peer_image_end(*s->p, &s->m->rep->sent_bytes, err);
	}
	if (r < 0)
		return cr_error_wrap(err, "streaming the image of %s to %s", s->m->req->name, s->m->req->peer);
	s->m->rep->stream_ns = cr_now_ns() - t;
	return 0;
}

void cr_move_stream_release(struct cr_move_streamed *s)
{
	cr_image_stream_free(s->sw);
	s->sw = NULL;
}
