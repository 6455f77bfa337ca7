/* Manifest and trailer <-> protobuf-c; the only includer of image.pb-c.h. */
#include "formats/image_manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "formats/image_format.h"
#include "image.pb-c.h"
#include "util/cleanup.h"

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void cr_image_manifest_free(struct cr_image_manifest *m)
{
	if (!m)
		return;
	free(m->partition);
	free(m->spec_text);
	free(m->hostname);
	free(m->kernel);
	free(m->arch);
	free(m->criu_version);
	free(m->writer);
	free_strv(m->cpu_features, m->n_cpu_features);
	free_strv(m->criu_needs, m->n_criu_needs);
	for (size_t i = 0; m->entries && i < m->n_entries; i++) {
		free(m->entries[i].path);
		free(m->entries[i].link_target);
	}
	free(m->entries);
	free(m->chunks);
	memset(m, 0, sizeof(*m));
}

/* protobuf-c wants char *, our strings are const in spirit. */
static char *str(const char *s)
{
	return (char *)s;
}

/* Format 2.x: the INDEX's four chunk lists, one element per CHUNK record. */
struct chunk_lists {
	uint32_t *entry, *prev;
	uint64_t *offset, *frame;
};

static void chunk_lists_free(struct chunk_lists *cl)
{
	free(cl->entry);
	free(cl->prev);
	free(cl->offset);
	free(cl->frame);
}

static int chunk_lists_fill(struct chunk_lists *cl, const struct cr_image_manifest *m,
			    Crimg__Manifest *pm)
{
	size_t n = m->n_chunks;
	cl->entry = malloc(n * sizeof(*cl->entry));
	cl->prev = malloc(n * sizeof(*cl->prev));
	cl->offset = malloc(n * sizeof(*cl->offset));
	cl->frame = malloc(n * sizeof(*cl->frame));
	if (!cl->entry || !cl->prev || !cl->offset || !cl->frame)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cl->entry[i] = m->chunks[i].entry;
		cl->prev[i] = m->chunks[i].prev;
		cl->offset[i] = m->chunks[i].offset;
		cl->frame[i] = m->chunks[i].frame;
	}
	pm->n_chunk_entry = pm->n_chunk_prev = pm->n_chunk_offset = pm->n_chunk_frame = n;
	pm->chunk_entry = cl->entry;
	pm->chunk_prev = cl->prev;
	pm->chunk_offset = cl->offset;
	pm->chunk_frame = cl->frame;
	return 0;
}

/* Format 2.x: the chunk lists of an INDEX, checked against its entries. */
static int convert_chunks(const Crimg__Manifest *pm, struct cr_image_manifest *m,
			  struct cr_error *err)
{
	size_t n = pm->n_chunk_entry;
	if (pm->n_chunk_offset != n || pm->n_chunk_frame != n || pm->n_chunk_prev != n)
		return cr_error_set(err, EBADMSG, "index chunk lists differ in length");
	if (n == 0)
		return 0;
	m->chunks = calloc(n, sizeof(*m->chunks));
	if (!m->chunks)
		return cr_error_set(err, ENOMEM, "out of memory reading the index");
	m->n_chunks = n;
	for (size_t i = 0; i < n; i++) {
		if (pm->chunk_entry[i] >= m->n_entries ||
		    m->entries[pm->chunk_entry[i]].type != CR_ENTRY_FILE)
			return cr_error_set(err, EBADMSG, "index chunk %zu names entry %u, not a file",
					    i, pm->chunk_entry[i]);
		m->chunks[i] = (struct cr_image_chunk){.entry = pm->chunk_entry[i],
						       .offset = pm->chunk_offset[i],
						       .frame = pm->chunk_frame[i],
						       .prev = pm->chunk_prev[i]};
	}
	return 0;
}

int cr_image_manifest_pack(const struct cr_image_manifest *m, uint8_t **ret_buf,
			   size_t *ret_len, struct cr_error *err)
{
	Crimg__Manifest pm = CRIMG__MANIFEST__INIT;
	Crimg__HostInfo host = CRIMG__HOST_INFO__INIT;
	cleanup_free Crimg__Entry *ents = calloc(m->n_entries ? m->n_entries : 1, sizeof(*ents));
	cleanup_free Crimg__Entry **ptrs = calloc(m->n_entries ? m->n_entries : 1, sizeof(*ptrs));
	if (!ents || !ptrs)
		return cr_error_set(err, ENOMEM, "out of memory packing the manifest");
	host.hostname = str(m->hostname);
	host.kernel = str(m->kernel);
	host.arch = str(m->arch);
	host.criu_version = str(m->criu_version);
	host.n_cpu_features = m->n_cpu_features;
	host.cpu_features = m->cpu_features;
	pm.partition = str(m->partition);
	pm.spec_text = str(m->spec_text);
	pm.writer = str(m->writer);
	pm.n_criu_needs = m->n_criu_needs;
	pm.criu_needs = m->criu_needs;
	pm.source = &host;
	pm.has_created_ns = m->created_ns != 0;
	pm.created_ns = m->created_ns;
	pm.has_checkpoint_ns = m->checkpoint_ns != 0;
	pm.checkpoint_ns = m->checkpoint_ns;
	pm.block_size = m->block_size;
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct cr_image_entry *e = &m->entries[i];
		Crimg__Entry *pe = &ents[i];
		crimg__entry__init(pe);
		pe->path = e->path;
		pe->type = (Crimg__Entry__Type)e->type;
		pe->mode = e->mode;
		pe->has_size = e->type == CR_ENTRY_FILE;
		pe->size = e->size;
		pe->link_target = e->link_target;
		pe->has_mtime_ns = e->mtime_ns != 0;
		pe->mtime_ns = e->mtime_ns;
		ptrs[i] = pe;
	}
	pm.n_entries = m->n_entries;
	pm.entries = ptrs;
	struct chunk_lists cl = {0};
	if (m->n_chunks && chunk_lists_fill(&cl, m, &pm) < 0) {
		chunk_lists_free(&cl);
		return cr_error_set(err, ENOMEM, "out of memory packing the index");
	}
	size_t len = crimg__manifest__get_packed_size(&pm);
	uint8_t *buf = len + CR_DATA_HDR_LEN > CR_IMAGE_MANIFEST_MAX ? NULL : malloc(len ? len : 1);
	if (buf)
		crimg__manifest__pack(&pm, buf);
	chunk_lists_free(&cl);
	if (len + CR_DATA_HDR_LEN > CR_IMAGE_MANIFEST_MAX)
		return cr_error_set(err, EFBIG, "manifest of %zu bytes exceeds the %u-byte limit",
				    len, CR_IMAGE_MANIFEST_MAX);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory packing the manifest");
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int cr_image_path_check(const char *path, struct cr_error *err)
{
	size_t len = strlen(path);
	if (len == 0 || len > CR_IMAGE_PATH_MAX)
		return cr_error_set(err, EINVAL, "image path of %zu bytes is empty or too long", len);
	if (path[0] == '/')
		return cr_error_set(err, EINVAL, "image path %s is absolute", path);
	for (const char *c = path; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return cr_error_set(err, EINVAL,
					    "image path %s has an empty, \".\" or \"..\" component",
					    path);
		c += n;
		if (*c == '/' && !*++c)
			return cr_error_set(err, EINVAL, "image path %s ends with /", path);
	}
	return 0;
}

int cr_image_link_check(const char *path, const char *target, struct cr_error *err)
{
	if (!target || !*target || strlen(target) > CR_IMAGE_PATH_MAX)
		return cr_error_set(err, EINVAL, "symlink %s has an empty or too long target", path);
	if (target[0] == '/')
		return cr_error_set(err, EINVAL, "symlink %s points to an absolute path (%s)", path,
				    target);
	long depth = 0;
	for (const char *c = path; *c; c++)
		depth += *c == '/';
	for (const char *c = target; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return cr_error_set(err, EINVAL,
						    "symlink %s -> %s escapes the image root", path,
						    target);
		} else if (n > 0 && !(n == 1 && c[0] == '.')) {
			depth++;
		}
		c += n;
		if (*c == '/')
			c++;
	}
	return 0;
}

static char *dup_opt(const char *s, int *failed)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*failed = 1;
	return d;
}

static int cmp_paths(const void *a, const void *b)
{
	const struct cr_image_entry *const *x = a, *const *y = b;
	return strcmp((*x)->path, (*y)->path);
}

int cr_image_manifest_check(const struct cr_image_manifest *m, struct cr_error *err)
{
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct cr_image_entry *e = &m->entries[i];
		int r = cr_image_path_check(e->path, err);
		if (r < 0)
			return cr_error_wrap(err, "manifest entry %zu", i);
		if (e->type == CR_ENTRY_SYMLINK) {
			r = cr_image_link_check(e->path, e->link_target, err);
			if (r < 0)
				return cr_error_wrap(err, "manifest entry %zu", i);
		}
		if (e->size > CR_IMAGE_FILE_MAX)
			return cr_error_set(err, EBADMSG, "manifest entry %s: absurd size %llu",
					    e->path, (unsigned long long)e->size);
	}
	if (m->n_entries < 2)
		return 0;
	cleanup_free const struct cr_image_entry **v = calloc(m->n_entries, sizeof(*v));
	if (!v)
		return cr_error_set(err, ENOMEM, "out of memory checking the manifest");
	for (size_t i = 0; i < m->n_entries; i++)
		v[i] = &m->entries[i];
	qsort(v, m->n_entries, sizeof(*v), cmp_paths);
	for (size_t i = 1; i < m->n_entries; i++)
		if (!strcmp(v[i - 1]->path, v[i]->path))
			return cr_error_set(err, EBADMSG, "manifest lists %s twice", v[i]->path);
	return 0;
}

static int convert_entries(const Crimg__Manifest *pm, struct cr_image_manifest *m,
			   struct cr_error *err)
{
	if (pm->n_entries > CR_IMAGE_ENTRIES_MAX)
		return cr_error_set(err, EBADMSG, "manifest lists %zu entries, more than %u",
				    pm->n_entries, CR_IMAGE_ENTRIES_MAX);
	m->entries = calloc(pm->n_entries ? pm->n_entries : 1, sizeof(*m->entries));
	if (!m->entries)
		return cr_error_set(err, ENOMEM, "out of memory reading the manifest");
	int failed = 0;
	for (size_t i = 0; i < pm->n_entries; i++) {
		const Crimg__Entry *pe = pm->entries[i];
		struct cr_image_entry *e = &m->entries[i];
		m->n_entries = i + 1;
		if ((unsigned)pe->type > CR_ENTRY_SYMLINK)
			return cr_error_set(err, EBADMSG, "manifest entry %zu has unknown type %d", i,
					    (int)pe->type);
		e->type = (enum cr_image_entry_type)pe->type;
		e->path = dup_opt(pe->path, &failed);
		e->link_target = dup_opt(pe->link_target, &failed);
		e->mode = pe->mode & 07777;
		e->size = e->type == CR_ENTRY_FILE && pe->has_size ? pe->size : 0;
		e->mtime_ns = pe->has_mtime_ns ? pe->mtime_ns : 0;
		if (failed)
			return cr_error_set(err, ENOMEM, "out of memory reading the manifest");
	}
	return cr_image_manifest_check(m, err);
}

static int convert(const Crimg__Manifest *pm, struct cr_image_manifest *m, struct cr_error *err)
{
	int failed = 0;
	m->partition = dup_opt(pm->partition, &failed);
	m->spec_text = dup_opt(pm->spec_text, &failed);
	m->writer = dup_opt(pm->writer, &failed);
	m->created_ns = pm->has_created_ns ? pm->created_ns : 0;
	m->checkpoint_ns = pm->has_checkpoint_ns ? pm->checkpoint_ns : 0;
	m->block_size = pm->block_size;
	if (pm->source) {
		const Crimg__HostInfo *h = pm->source;
		m->hostname = dup_opt(h->hostname, &failed);
		m->kernel = dup_opt(h->kernel, &failed);
		m->arch = dup_opt(h->arch, &failed);
		m->criu_version = dup_opt(h->criu_version, &failed);
		m->cpu_features = calloc(h->n_cpu_features ? h->n_cpu_features : 1, sizeof(char *));
		if (!m->cpu_features)
			failed = 1;
		for (size_t i = 0; !failed && i < h->n_cpu_features; i++) {
			m->cpu_features[i] = dup_opt(h->cpu_features[i], &failed);
			m->n_cpu_features = i + 1;
		}
	}
	if (pm->n_criu_needs > CR_IMAGE_CRIU_NEEDS_MAX)
		return cr_error_set(err, EBADMSG, "manifest lists %zu CRIU features (at most %d)",
				    pm->n_criu_needs, CR_IMAGE_CRIU_NEEDS_MAX);
	if (!failed && pm->n_criu_needs && !(m->criu_needs = calloc(pm->n_criu_needs, sizeof(char *))))
		failed = 1;
	for (size_t i = 0; !failed && i < pm->n_criu_needs; i++) {
		if (!pm->criu_needs[i] || !*pm->criu_needs[i])
			return cr_error_set(err, EBADMSG, "manifest names an empty CRIU feature");
		m->criu_needs[i] = dup_opt(pm->criu_needs[i], &failed);
		m->n_criu_needs = i + 1;
	}
	if (failed)
		return cr_error_set(err, ENOMEM, "out of memory reading the manifest");
	if (m->block_size < CR_IMAGE_BLOCK_MIN || m->block_size > CR_IMAGE_BLOCK_MAX)
		return cr_error_set(err, EBADMSG, "manifest block size %u is outside %u..%u",
				    m->block_size, CR_IMAGE_BLOCK_MIN, CR_IMAGE_BLOCK_MAX);
	int r = convert_entries(pm, m, err);
	return r < 0 ? r : convert_chunks(pm, m, err);
}

/* protobuf-c allocates several structures per message; a hostile manifest of
 * many tiny entries could turn 16 MiB into gigabytes. Unpacking draws from a
 * fixed budget instead and fails cleanly when it runs out. */
#define UNPACK_BUDGET (256u * 1024u * 1024u)

struct budget {
	size_t used;
	bool exhausted;
};

static void *budget_alloc(void *ctx, size_t size)
{
	struct budget *b = ctx;
	if (size > UNPACK_BUDGET - b->used || size > SIZE_MAX - sizeof(max_align_t)) {
		b->exhausted = true;
		return NULL;
	}
	max_align_t *p = malloc(sizeof(max_align_t) + size);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	b->used += size;
	return p + 1;
}

static void budget_free(void *ctx, void *ptr)
{
	struct budget *b = ctx;
	if (!ptr)
		return;
	max_align_t *p = (max_align_t *)ptr - 1;
	size_t size;
	memcpy(&size, p, sizeof(size));
	b->used -= size;
	free(p);
}

int cr_image_manifest_unpack(const uint8_t *buf, size_t len, struct cr_image_manifest *ret,
			     struct cr_error *err)
{
	struct budget b = {0, false};
	ProtobufCAllocator alloc = {budget_alloc, budget_free, &b};
	Crimg__Manifest *pm = crimg__manifest__unpack(&alloc, len, buf);
	if (!pm && b.exhausted)
		return cr_error_set(err, EFBIG, "manifest needs more than %u MiB of memory to read",
				    UNPACK_BUDGET >> 20);
	if (!pm)
		return cr_error_set(err, EBADMSG, "manifest is not a valid protobuf message");
	struct cr_image_manifest m = {0};
	int r = convert(pm, &m, err);
	crimg__manifest__free_unpacked(pm, &alloc);
	if (r < 0) {
		cr_image_manifest_free(&m);
		return r;
	}
	*ret = m;
	return 0;
}

int cr_image_trailer_pack(const struct cr_image_trailer *t, uint8_t *buf, size_t cap,
			  size_t *ret_len, struct cr_error *err)
{
	Crimg__Trailer pt = CRIMG__TRAILER__INIT;
	pt.entry_count = t->entry_count;
	pt.data_bytes = t->data_bytes;
	pt.block_count = t->block_count;
	size_t len = crimg__trailer__get_packed_size(&pt);
	if (len > cap)
		return cr_error_set(err, EOVERFLOW, "trailer does not fit in %zu bytes", cap);
	*ret_len = crimg__trailer__pack(&pt, buf);
	return 0;
}

int cr_image_trailer_unpack(const uint8_t *buf, size_t len, struct cr_image_trailer *ret,
			    struct cr_error *err)
{
	Crimg__Trailer *pt = crimg__trailer__unpack(NULL, len, buf);
	if (!pt)
		return cr_error_set(err, EBADMSG, "trailer is not a valid protobuf message");
	ret->entry_count = pt->entry_count;
	ret->data_bytes = pt->data_bytes;
	ret->block_count = pt->block_count;
	crimg__trailer__free_unpacked(pt, NULL);
	return 0;
}
