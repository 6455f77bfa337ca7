/* The records of clogin sessions, read back for checkpoint and lswpar. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "partition/clogin.h"
#include "partition/liveness.h"
#include "partition/state.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

void cr_clogin_sessions_free(struct cr_clogin_session *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].user);
		free(s[i].tty);
	}
	free(s);
}

static char *field(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == '=')
			return strndup(p + n + 1, strcspn(p + n + 1, "\n"));
	return NULL;
}

static int parse_record(const char *path, struct cr_clogin_session *ret, struct cr_error *err)
{
	cleanup_free char *text = NULL;
	int r = cr_read_file(path, 4096, &text, NULL, err);
	if (r < 0)
		return r;
	cleanup_free char *pid = field(text, "pid");
	cleanup_free char *started = field(text, "started");
	char *end;
	long v = pid ? strtol(pid, &end, 10) : 0;
	if (!pid || *end || v <= 0 || v > 4194304)
		return cr_error_set(err, EINVAL, "%s: malformed clogin record", path);
	ret->pid = (pid_t)v;
	ret->started = started ? strtoll(started, NULL, 10) : 0;
	ret->user = field(text, "user");
	ret->tty = field(text, "tty");
	return 0;
}

int cr_clogin_sessions(const char *name, struct cr_clogin_session **ret, size_t *ret_n,
		       struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *sdir = NULL;
	int r = cr_state_dir(name, &dir, err);
	if (r < 0)
		return r;
	if (asprintf(&sdir, "%s/clogin", dir) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct cr_clogin_session *list = NULL;
	size_t n = 0;
	cleanup_dir DIR *d = opendir(sdir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *path = NULL;
		if (asprintf(&path, "%s/%s", sdir, de->d_name) < 0) {
			cr_clogin_sessions_free(list, n);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
		struct cr_clogin_session s = {0};
		if (parse_record(path, &s, NULL) < 0 || !cr_pid_alive(s.pid)) {
			unlink(path); /* an ended or unreadable session */
			free(s.user);
			free(s.tty);
			continue;
		}
		struct cr_clogin_session *nl = realloc(list, (n + 1) * sizeof(*nl));
		if (!nl) {
			free(s.user);
			free(s.tty);
			cr_clogin_sessions_free(list, n);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
		list = nl;
		list[n++] = s;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}
