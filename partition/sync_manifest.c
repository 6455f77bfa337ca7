/* syncwpar's manifest: one line per file the last sync left in the
 * partition, "KIND HASH PATH", in $ROOT/var/lib/corral/NAME/sync-manifest
 * (outside the partition, so its root cannot rewrite it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition/state.h"
#include "partition/sync.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

#define MANIFEST_MAX (16 << 20)
#define MANIFEST_HEADER "# Corral syncwpar manifest v1: kind hash path\n"

uint64_t cr_sync_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

void cr_sync_manifest_free(struct cr_sync_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->entries[i].path);
	free(m->entries);
	m->entries = NULL;
	m->n = 0;
}

struct cr_sync_entry *cr_sync_manifest_find(const struct cr_sync_manifest *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->entries[i].path, path))
			return &m->entries[i];
	return NULL;
}

int cr_sync_manifest_set(struct cr_sync_manifest *m, const char *path, char kind, uint64_t hash,
			 struct cr_error *err)
{
	struct cr_sync_entry *e = cr_sync_manifest_find(m, path);
	if (!e) {
		char *copy = strdup(path);
		struct cr_sync_entry *v = copy ? realloc(m->entries, (m->n + 1) * sizeof(*v)) : NULL;
		if (!v) {
			free(copy);
			return cr_error_set(err, ENOMEM, "out of memory recording %s", path);
		}
		m->entries = v;
		e = &m->entries[m->n++];
		e->path = copy;
	}
	e->kind = kind;
	e->hash = hash;
	e->seen = true;
	return 0;
}

static int parse_line(struct cr_sync_manifest *m, char *line, size_t lineno, struct cr_error *err)
{
	char *end = NULL;
	if ((line[0] != 'f' && line[0] != 'l') || line[1] != ' ' ||
	    strspn(line + 2, "0123456789abcdef") != 16)
		goto bad;
	errno = 0;
	uint64_t hash = strtoull(line + 2, &end, 16);
	if (errno || end != line + 18 || *end != ' ' || !end[1])
		goto bad;
	if (cr_sync_manifest_find(m, end + 1))
		return cr_error_set(err, EINVAL, "sync manifest line %zu: %s listed twice", lineno, end + 1);
	int r = cr_sync_manifest_set(m, end + 1, line[0], hash, err);
	if (r == 0)
		m->entries[m->n - 1].seen = false;
	return r;
bad:
	return cr_error_set(err, EINVAL, "sync manifest line %zu is malformed", lineno);
}

int cr_sync_manifest_parse(const char *text, size_t len, struct cr_sync_manifest *ret,
			   struct cr_error *err)
{
	struct cr_sync_manifest m = {NULL, 0};
	cleanup_free char *copy = malloc(len + 1);
	if (!copy)
		return cr_error_set(err, ENOMEM, "out of memory reading the sync manifest");
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len)
		return cr_error_set(err, EINVAL, "sync manifest holds a NUL byte");
	size_t lineno = 0;
	for (char *line = copy, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (!*line || line[0] == '#')
			continue;
		int r = parse_line(&m, line, lineno, err);
		if (r < 0) {
			cr_sync_manifest_free(&m);
			return r;
		}
	}
	*ret = m;
	return 0;
}

int cr_sync_manifest_format(const struct cr_sync_manifest *m, char **ret_text, struct cr_error *err)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	if (!f)
		return cr_error_errno(err, "cannot format the sync manifest");
	fputs(MANIFEST_HEADER, f);
	for (size_t i = 0; i < m->n; i++)
		if (!strchr(m->entries[i].path, '\n'))
			fprintf(f, "%c %016" PRIx64 " %s\n", m->entries[i].kind, m->entries[i].hash,
				m->entries[i].path);
	if (fclose(f) != 0) {
		free(text);
		return cr_error_set(err, ENOMEM, "out of memory formatting the sync manifest");
	}
	*ret_text = text;
	return 0;
}

static int manifest_path(const char *name, char **ret, struct cr_error *err)
{
	return cr_path_name(ret, CR_STATE_DIR, name, "/sync-manifest", err);
}

int cr_sync_manifest_load(const char *name, struct cr_sync_manifest *ret, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r = manifest_path(name, &path, err);
	if (r < 0)
		return r;
	if (!cr_path_exists(path)) {
		ret->entries = NULL;
		ret->n = 0;
		return 0;
	}
	if ((r = cr_read_file(path, MANIFEST_MAX, &text, &len, err)) < 0)
		return r;
	if ((r = cr_sync_manifest_parse(text, len, ret, err)) < 0)
		return cr_error_wrap(err, "%s", path);
	return 0;
}

int cr_sync_manifest_save(const char *name, const struct cr_sync_manifest *m, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	int r = cr_state_dir(name, &dir, err);
	if (r < 0 || (r = manifest_path(name, &path, err)) < 0 ||
	    (r = cr_sync_manifest_format(m, &text, err)) < 0)
		return r;
	return cr_write_file_atomic(path, text, strlen(text), 0600, err);
}
