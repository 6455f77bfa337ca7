/* The record of a relocation to this host (relocate/relocation_record.h). */
#include "relocate/relocation_record.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relocate/landing.h"
#include "spec/config.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define INCOMING_DIR CR_STATE_DIR "/incoming"

void cr_relocation_record_free(struct cr_relocation_record *rec)
{
	free(rec->rootfs);
	free(rec->peer);
	free(rec->id);
	rec->rootfs = rec->peer = rec->id = NULL;
}

int cr_relocation_record_path(const char *name, char **ret_path, struct cr_error *err)
{
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	return cr_path_name(ret_path, INCOMING_DIR, name, CR_RELOCATION_SUFFIX, err);
}

int cr_relocation_id_check(const char *id, struct cr_error *err)
{
	size_t n = strspn(id, "0123456789abcdef");
	if (n == 0 || n > 64 || id[n])
		return cr_error_set(err, EINVAL, "a relocation id is 1 to 64 hex digits");
	return 0;
}

int cr_relocation_record_save(const char *name, const struct cr_relocation_record *rec, struct cr_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	int r = cr_relocation_record_path(name, &path, err);
	if (r < 0)
		return r;
	int n = asprintf(&text, "defined %d\nrootfs %s\npeer %s\nid %s\n%s", rec->defined ? 1 : 0,
			 rec->rootfs ? rec->rootfs : "", rec->peer ? rec->peer : "", rec->id ? rec->id : "",
			 rec->prepared ? "prepared 1\n" : "");
	if (n < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return cr_write_file_atomic(path, text, (size_t)n, 0600, err);
}

int cr_relocation_record_load(const char *name, struct cr_relocation_record *ret, struct cr_error *err)
{
	struct cr_relocation_record rec = {0};
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
		char **field = NULL;
		const char *value = NULL;
		if (strcmp(line, "defined 1") == 0)
			rec.defined = true;
		else if (strcmp(line, "prepared 1") == 0)
			rec.prepared = true;
		else if (strncmp(line, "rootfs /", 8) == 0)
			field = &rec.rootfs, value = line + 7;
		else if (strncmp(line, "peer ", 5) == 0 && line[5])
			field = &rec.peer, value = line + 5;
		else if (strncmp(line, "id ", 3) == 0 && line[3])
			field = &rec.id, value = line + 3;
		if (field && !*field && !(*field = strdup(value))) {
			cr_relocation_record_free(&rec);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
	}
	*ret = rec;
	return 1;
}

bool cr_relocation_pending(const char *name, char **ret_peer)
{
	struct cr_relocation_record rec;
	if (cr_relocation_record_load(name, &rec, NULL) <= 0)
		return false;
	*ret_peer = steal_pointer(&rec.peer);
	cr_relocation_record_free(&rec);
	return true;
}

void cr_relocation_forget(const char *name)
{
	cleanup_free char *record = NULL;
	if (cr_relocation_record_path(name, &record, NULL) == 0)
		(void)unlink(record);
	cr_unpacked_remove(name);
}

static int arrival_path(const char *name, char **ret_path, struct cr_error *err)
{
	return cr_path_name(ret_path, CR_STATE_DIR, name, "/arrival", err);
}

void cr_relocation_arrival_save(const char *name, const char *id)
{
	cleanup_free char *path = NULL;
	struct cr_error e = CR_ERROR_INIT;
	if (id && arrival_path(name, &path, &e) == 0 && cr_write_file_atomic(path, id, strlen(id), 0600, &e) < 0)
		cr_debug("%s: cannot record the relocation id: %s", name, cr_error_msg(&e));
	cr_error_clear(&e);
}

bool cr_relocation_arrived_by(const char *name, const char *id)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len = 0;
	if (arrival_path(name, &path, NULL) < 0 || cr_read_file(path, 128, &text, &len, NULL) < 0)
		return false;
	return len == strlen(id) && memcmp(text, id, len) == 0;
}

void cr_relocation_each_left(void (*fn)(void *ctx, const char *name, const struct cr_relocation_record *rec),
			     void *ctx)
{
	cleanup_free char *dir = NULL;
	if (cr_path(&dir, NULL, INCOMING_DIR) < 0)
		return;
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	const size_t suffix = sizeof(CR_RELOCATION_SUFFIX) - 1;
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= suffix || strcmp(de->d_name + len - suffix, CR_RELOCATION_SUFFIX) != 0)
			continue;
		cleanup_free char *name = strndup(de->d_name, len - suffix);
		struct cr_relocation_record rec;
		if (!name || cr_relocation_record_load(name, &rec, NULL) <= 0)
			continue;
		fn(ctx, name, &rec);
		cr_relocation_record_free(&rec);
	}
}
