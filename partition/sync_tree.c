/* syncwpar's decisions, one path at a time: add what the partition lacks,
 * replace what it left as synced, keep (and report) what it changed. */
#define LOG_PREFIX "sync: "
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition/sync.h"
#include "util/cleanup.h"
#include "util/log.h"

static int host_path(const char *rel, char **ret, struct cr_error *err)
{
	const char *src = cr_sync_source();
	if (asprintf(ret, "%s%s%s", src, src[strlen(src) - 1] == '/' ? "" : "/", rel) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static void emit(struct cr_sync_run *run, enum cr_sync_action action, const char *rel,
		 const char *reason)
{
	size_t *count[] = {[CR_SYNC_ADDED] = &run->sum.added, [CR_SYNC_UPDATED] = &run->sum.updated,
			   [CR_SYNC_REMOVED] = &run->sum.removed, [CR_SYNC_KEPT] = &run->sum.kept};
	(*count[action])++;
	if (!run->opts->report)
		return;
	cleanup_free char *path = NULL;
	if (asprintf(&path, "/%s", rel) < 0)
		return;
	struct cr_sync_event ev = {action, path, reason};
	run->opts->report(&ev, run->opts->data);
}

/* Install the host's REL (file or link) unless previewing. */
static int install(struct cr_sync_run *run, const char *rel, struct cr_error *err)
{
	if (run->opts->preview)
		return 0;
	cleanup_free char *hp = NULL;
	int r = host_path(rel, &hp, err);
	return r < 0 ? r : cr_sync_install(run->root_fd, rel, hp, err);
}

static bool left_as_synced(const struct cr_sync_run *run, const struct cr_sync_entry *m,
			   const struct cr_sync_item *p)
{
	if (m)
		return m->kind == p->kind && m->hash == p->hash;
	/* Never synced: a copy older than the partition is mkwpar's. */
	return run->created >= 0 && p->mtime < run->created;
}

static int sync_leaf(struct cr_sync_run *run, const char *rel, const struct cr_sync_item *h,
		     bool tracked, struct cr_error *err)
{
	struct cr_sync_item p;
	int r = cr_sync_stat(run->root_fd, true, rel, &p, err);
	if (r < 0)
		return r;
	struct cr_sync_entry *m = tracked ? cr_sync_manifest_find(&run->manifest, rel) : NULL;
	if (m)
		m->seen = true;
	if (p.kind == h->kind && p.hash == h->hash) {
		run->sum.unchanged++;
		return tracked ? cr_sync_manifest_set(&run->manifest, rel, h->kind, h->hash, err) : 0;
	}
	if (p.kind == 0 && m) {
		emit(run, CR_SYNC_KEPT, rel, "removed in the partition");
		return 0;
	}
	if (p.kind == 'd' || p.kind == 'o') {
		emit(run, CR_SYNC_KEPT, rel, "not a file in the partition");
		return 0;
	}
	if (p.kind != 0 && tracked && !left_as_synced(run, m, &p)) {
		emit(run, CR_SYNC_KEPT, rel, "modified in the partition");
		return 0;
	}
	emit(run, p.kind == 0 ? CR_SYNC_ADDED : CR_SYNC_UPDATED, rel, NULL);
	if ((r = install(run, rel, err)) < 0)
		return r;
	return tracked ? cr_sync_manifest_set(&run->manifest, rel, h->kind, h->hash, err) : 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of the host's directory REL, sorted (so reports are stable). */
static int list_host_dir(const char *rel, char ***ret, size_t *ret_n, struct cr_error *err)
{
	cleanup_free char *hp = NULL;
	int r = host_path(rel, &hp, err);
	if (r < 0)
		return r;
	cleanup_dir DIR *d = opendir(hp);
	if (!d)
		return cr_error_errno(err, "cannot read %s", hp);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char **v = realloc(names, (n + 1) * sizeof(*v));
		if (v)
			names = v;
		if (!v || !(names[n] = strdup(de->d_name))) {
			while (n)
				free(names[--n]);
			free(names);
			return cr_error_set(err, ENOMEM, "out of memory reading %s", hp);
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*ret = names;
	*ret_n = n;
	return 0;
}

static int sync_dir(struct cr_sync_run *run, const char *rel, bool tracked, struct cr_error *err)
{
	struct cr_sync_item p;
	int r = cr_sync_stat(run->root_fd, true, rel, &p, err);
	if (r < 0)
		return r;
	if (p.kind != 0 && p.kind != 'd') {
		emit(run, CR_SYNC_KEPT, rel, "not a directory in the partition");
		return 0;
	}
	if (p.kind == 0 && (r = cr_sync_ensure_dir(run, rel, err)) < 0)
		return r;
	char **names = NULL;
	size_t n = 0;
	if ((r = list_host_dir(rel, &names, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *child = NULL;
		if (r == 0 && asprintf(&child, "%s/%s", rel, names[i]) < 0)
			r = cr_error_set(err, ENOMEM, "out of memory");
		if (r == 0)
			r = cr_sync_tree(run, child, tracked, err);
		free(names[i]);
	}
	free(names);
	return r;
}

int cr_sync_tree(struct cr_sync_run *run, const char *rel, bool tracked, struct cr_error *err)
{
	struct cr_sync_item h;
	int r = cr_sync_stat(run->host_fd, false, rel, &h, err);
	if (r < 0)
		return r;
	switch (h.kind) {
	case 'd': return sync_dir(run, rel, tracked, err);
	case 'f':
	case 'l': return sync_leaf(run, rel, &h, tracked, err);
	default: return 0; /* absent on the host, or a special file */
	}
}

int cr_sync_ensure_dir(struct cr_sync_run *run, const char *rel, struct cr_error *err)
{
	struct cr_sync_item p;
	int r = cr_sync_stat(run->root_fd, true, rel, &p, err);
	if (r < 0 || p.kind == 'd')
		return r;
	if (p.kind != 0)
		return cr_error_set(err, ENOTDIR, "/%s in the partition is not a directory", rel);
	emit(run, CR_SYNC_ADDED, rel, NULL);
	if (run->opts->preview)
		return 0;
	cleanup_free char *hp = NULL;
	if ((r = host_path(rel, &hp, err)) < 0)
		return r;
	return cr_sync_mkdir(run->root_fd, rel, hp, err);
}

int cr_sync_remove_gone(struct cr_sync_run *run, struct cr_error *err)
{
	struct cr_sync_manifest *m = &run->manifest;
	size_t kept = 0;
	int r = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct cr_sync_entry *e = &m->entries[i];
		if (e->seen || r < 0) {
			m->entries[kept++] = *e;
			continue;
		}
		struct cr_sync_item p;
		r = cr_sync_stat(run->root_fd, true, e->path, &p, err);
		if (r == 0 && p.kind == e->kind && p.hash == e->hash) {
			emit(run, CR_SYNC_REMOVED, e->path, NULL);
			if (!run->opts->preview)
				r = cr_sync_unlink(run->root_fd, e->path, err);
		}
		if (r < 0) {
			m->entries[kept++] = *e;
			continue;
		}
		free(e->path);
	}
	m->n = kept;
	return r;
}
