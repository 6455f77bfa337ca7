/* The writer's entry list and its public set-up calls. */
#define LOG_PREFIX "image: "
#include "formats/image_writer_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/image_hostinfo.h"
#include "formats/image_keys.h"
#include "util/cleanup.h"

void cr_wsource_release(struct cr_wsource *s)
{
	free(s->path);
	free(s->data);
	if (s->fd >= 0)
		close(s->fd);
	s->path = NULL;
	s->data = NULL;
	s->fd = -1;
}

int cr_writer_push_entry(struct cr_image_writer *w, const struct cr_image_entry *e,
			 struct cr_wsource src, struct cr_error *err)
{
	int r = cr_image_path_check(e->path, err);
	if (r == 0 && e->type == CR_ENTRY_SYMLINK)
		r = cr_image_link_check(e->path, e->link_target, err);
	if (r == 0 && w->m.n_entries >= CR_IMAGE_ENTRIES_MAX)
		r = cr_error_set(err, E2BIG, "more than %u entries", CR_IMAGE_ENTRIES_MAX);
	if (r == 0 && w->finished)
		r = cr_error_set(err, EINVAL, "image already written");
	if (r == 0 && w->m.n_entries == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct cr_image_entry *ne = realloc(w->m.entries, ncap * sizeof(*ne));
		if (ne)
			w->m.entries = ne;
		struct cr_wsource *ns = ne ? realloc(w->src, ncap * sizeof(*ns)) : NULL;
		if (ns) {
			w->src = ns;
			w->cap = ncap;
		} else {
			r = cr_error_set(err, ENOMEM, "out of memory adding %s", e->path);
		}
	}
	struct cr_image_entry copy = *e;
	if (r == 0) {
		copy.path = strdup(e->path);
		copy.link_target = e->link_target ? strdup(e->link_target) : NULL;
		if (!copy.path || (e->link_target && !copy.link_target)) {
			free(copy.path);
			free(copy.link_target);
			r = cr_error_set(err, ENOMEM, "out of memory adding %s", e->path);
		}
	}
	if (r < 0) {
		cr_wsource_release(&src);
		return r;
	}
	w->m.entries[w->m.n_entries] = copy;
	w->src[w->m.n_entries] = src;
	w->m.n_entries++;
	return 0;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int dup_info(struct cr_image_manifest *m, const struct cr_image_info *info,
		    struct cr_error *err)
{
	const char *src[] = {info->partition, info->spec_text, info->criu_version,
			     info->hostname, info->kernel, info->arch};
	char **dst[] = {&m->partition, &m->spec_text, &m->criu_version,
			&m->hostname, &m->kernel, &m->arch};
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (src[i] && !(*dst[i] = strdup(src[i])))
			return cr_error_set(err, ENOMEM, "out of memory");
	if (!(m->writer = strdup("corral " CORRAL_VERSION)))
		return cr_error_set(err, ENOMEM, "out of memory");
	if (info->cpu_features) {
		int r = cr_image_set_cpu_features(m, info->cpu_features, err);
		if (r < 0)
			return r;
		if (!m->cpu_features && !(m->cpu_features = calloc(1, sizeof(char *))))
			return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (info->criu_needs) {
		int r = cr_image_set_criu_needs(m, info->criu_needs, err);
		if (r < 0)
			return r;
	}
	m->created_ns = info->created_ns ? info->created_ns : now_ns();
	m->checkpoint_ns = info->checkpoint_ns;
	m->block_size = CR_IMAGE_BLOCK_SIZE;
	return cr_image_probe_host(m, err);
}

int cr_image_writer_open(const struct cr_image_io *out, const struct cr_image_options *opts,
			 const struct cr_image_info *info, struct cr_image_writer **ret_writer,
			 struct cr_error *err)
{
	static const struct cr_image_info no_info;
	struct cr_image_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return cr_error_set(err, ENOMEM, "out of memory for an image writer");
	w->out = *out;
	w->opts = *opts;
	w->opts.key_file = NULL;
	w->opts.recipient_pk = NULL;
	w->h.major = CR_IMAGE_MAJOR;
	w->h.minor = CR_IMAGE_MINOR;
	w->h.prot = opts->protection;
	int r = dup_info(&w->m, info ? info : &no_info, err);
	if (r == 0)
		r = cr_image_keys_for_writer(&w->h, opts->key_file, opts->recipient_pk, w->key, err);
	if (r < 0) {
		cr_image_writer_free(w);
		return r;
	}
	*ret_writer = w;
	return 0;
}

static int add_stat(struct cr_image_writer *w, const char *image_path, const struct stat *st,
		    struct cr_wsource src, const char *what, struct cr_error *err)
{
	if (!S_ISREG(st->st_mode)) {
		cr_wsource_release(&src);
		return cr_error_set(err, EINVAL, "%s is not a regular file", what);
	}
	struct cr_image_entry e = {.path = (char *)image_path,
				   .type = CR_ENTRY_FILE,
				   .mode = st->st_mode & 07777,
				   .size = (uint64_t)st->st_size,
				   .mtime_ns = mtime_ns(st)};
	return cr_writer_push_entry(w, &e, src, err);
}

int cr_image_writer_add_file(struct cr_image_writer *w, const char *image_path,
			     const char *src_path, struct cr_error *err)
{
	struct stat st;
	if (stat(src_path, &st) < 0)
		return cr_error_errno(err, "cannot stat %s", src_path);
	struct cr_wsource src = {.path = strdup(src_path), .fd = -1, .data = NULL};
	if (!src.path)
		return cr_error_set(err, ENOMEM, "out of memory adding %s", src_path);
	return add_stat(w, image_path, &st, src, src_path, err);
}

int cr_image_writer_add_fd(struct cr_image_writer *w, const char *image_path, int fd,
			   struct cr_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cr_error_errno(err, "cannot stat the file for %s", image_path);
	struct cr_wsource src = {.path = NULL, .fd = fcntl(fd, F_DUPFD_CLOEXEC, 3), .data = NULL};
	if (src.fd < 0)
		return cr_error_errno(err, "cannot duplicate the fd for %s", image_path);
	return add_stat(w, image_path, &st, src, image_path, err);
}

int cr_image_writer_add_buffer(struct cr_image_writer *w, const char *image_path,
			       const void *data, size_t len, mode_t mode, struct cr_error *err)
{
	struct cr_wsource src = {.path = NULL, .fd = -1, .data = malloc(len ? len : 1)};
	if (!src.data)
		return cr_error_set(err, ENOMEM, "out of memory adding %s", image_path);
	if (len)
		memcpy(src.data, data, len);
	struct cr_image_entry e = {.path = (char *)image_path,
				   .type = CR_ENTRY_FILE,
				   .mode = mode & 07777,
				   .size = len};
	return cr_writer_push_entry(w, &e, src, err);
}

int cr_image_writer_add_dir(struct cr_image_writer *w, const char *image_path, mode_t mode,
			    struct cr_error *err)
{
	struct cr_image_entry e = {.path = (char *)image_path,
				   .type = CR_ENTRY_DIR,
				   .mode = mode & 07777};
	struct cr_wsource none = {.path = NULL, .fd = -1, .data = NULL};
	return cr_writer_push_entry(w, &e, none, err);
}

int cr_image_writer_add_symlink(struct cr_image_writer *w, const char *image_path,
				const char *target, struct cr_error *err)
{
	struct cr_image_entry e = {.path = (char *)image_path,
				   .type = CR_ENTRY_SYMLINK,
				   .mode = 0777,
				   .link_target = (char *)target};
	struct cr_wsource none = {.path = NULL, .fd = -1, .data = NULL};
	return cr_writer_push_entry(w, &e, none, err);
}

uint64_t cr_image_writer_bytes_written(const struct cr_image_writer *w)
{
	return w->written;
}

void cr_image_writer_free(struct cr_image_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->m.n_entries; i++)
		cr_wsource_release(&w->src[i]);
	free(w->src);
	cr_image_manifest_free(&w->m);
	cr_memzero(w->key, sizeof(w->key));
	free(w);
}
