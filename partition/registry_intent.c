/* Intent records of mkwpar and rmwpar (partition/registry_intent.h):
 * "key=value" lines, written atomically before the operation begins. */
#define LOG_PREFIX "intent: "
#include "partition/registry_intent.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/config.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define INTENT_SUFFIX ".intent"

void cr_intent_free(struct cr_intent *in)
{
	free(in->directory);
	memset(in, 0, sizeof(*in));
}

static int intent_path(const char *name, char **ret_path, struct cr_error *err)
{
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	return cr_path_name(ret_path, CR_STATE_DIR, name, INTENT_SUFFIX, err);
}

int cr_intent_write(const char *name, const struct cr_intent *in, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	const char *directory = in->directory ? in->directory : "";
	if (strchr(directory, '\n'))
		return cr_error_set(err, EINVAL, "%s: a base directory with a newline cannot be recorded", name);
	int r = intent_path(name, &path, err);
	if (r < 0 || (r = cr_path(&dir, err, CR_STATE_DIR)) < 0 || (r = cr_mkdir_p(dir, 0700, err)) < 0)
		return r;
	if (asprintf(&text, "op=%s\npid=%d\ndirectory=%s\nmade_directory=%d\ndirectory_existed=%d\nnfs_root=%d\nkeep_directory=%d\n",
		     in->op == CR_INTENT_CREATE ? "create" : "remove", (int)getpid(), directory, in->made_directory,
		     in->directory_existed, in->nfs_root, in->keep_directory) < 0)
		return cr_error_set(err, ENOMEM, "out of memory recording what is done to %s", name);
	cr_debug("%s: %s begins", name, in->op == CR_INTENT_CREATE ? "create" : "remove");
	return cr_write_file_atomic(path, text, strlen(text), 0600, err);
}

static int parse_line(struct cr_intent *in, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return -1;
	*eq = '\0';
	const char *key = line, *value = eq + 1;
	bool flag = !strcmp(value, "1");
	if (!strcmp(key, "op")) {
		in->op = !strcmp(value, "create") ? CR_INTENT_CREATE : !strcmp(value, "remove") ? CR_INTENT_REMOVE : 0;
		return in->op ? 0 : -1;
	}
	if (!strcmp(key, "directory")) {
		free(in->directory);
		in->directory = *value ? strdup(value) : NULL;
		return *value && !in->directory ? -1 : 0;
	}
	if (!strcmp(key, "made_directory"))
		in->made_directory = flag;
	else if (!strcmp(key, "directory_existed"))
		in->directory_existed = flag;
	else if (!strcmp(key, "nfs_root"))
		in->nfs_root = flag;
	else if (!strcmp(key, "keep_directory"))
		in->keep_directory = flag;
	return 0; /* pid, and a newer Corral's keys */
}

int cr_intent_read(const char *name, struct cr_intent *ret, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	struct cr_intent in = {0};
	int r = intent_path(name, &path, err);
	if (r < 0)
		return r;
	if (!cr_path_exists(path)) {
		*ret = in;
		return 0;
	}
	if ((r = cr_read_file(path, 64 * 1024, &text, NULL, err)) < 0)
		return r;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (parse_line(&in, line) < 0)
			break;
	if (!in.op) {
		cr_intent_free(&in);
		return cr_error_set(err, EINVAL, "%s: not an intent record of mkwpar or rmwpar", path);
	}
	*ret = in;
	return 0;
}

bool cr_intent_exists(const char *name)
{
	cleanup_free char *path = NULL;
	return intent_path(name, &path, NULL) == 0 && cr_path_exists(path);
}

int cr_intent_clear(const char *name, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *dir = NULL;
	int r = intent_path(name, &path, err);
	if (r < 0 || (r = cr_path(&dir, err, CR_STATE_DIR)) < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return cr_error_errno(err, "cannot remove %s", path);
	return cr_fsync_dir(dir);
}

int cr_intent_names(char ***ret_names, size_t *ret_n, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_path(&dir, err, CR_STATE_DIR);
	if (r < 0)
		return r;
	char **names = NULL;
	size_t n = 0;
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name), slen = strlen(INTENT_SUFFIX);
		if (len <= slen || strcmp(de->d_name + len - slen, INTENT_SUFFIX) != 0)
			continue;
		char *name = strndup(de->d_name, len - slen);
		char **grown = name ? realloc(names, (n + 1) * sizeof(*names)) : NULL;
		if (!grown || cr_name_validate(name, NULL) < 0) {
			free(name);
			if (grown) {
				names = grown;
				continue; /* not ours: a stray file */
			}
			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
			return cr_error_set(err, ENOMEM, "out of memory reading %s", dir);
		}
		names = grown;
		names[n++] = name;
	}
	*ret_names = names;
	*ret_n = n;
	return 0;
}
