/* Runtime state files: "key=value" lines, written atomically. */
#define LOG_PREFIX "state: "
#include "partition/state.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

void cr_state_init(struct cr_wpar_state *st)
{
	memset(st, 0, sizeof(*st));
	st->state = CR_STATE_DEFINED;
}

void cr_state_free(struct cr_wpar_state *st)
{
	free(st->operation);
	free(st->broken_reason);
	cr_state_init(st);
}

const char *cr_state_name(enum cr_state s)
{
	switch (s) {
	case CR_STATE_DEFINED: return "Defined";
	case CR_STATE_LOADED: return "Loaded";
	case CR_STATE_ACTIVE: return "Active";
	case CR_STATE_FROZEN: return "Frozen";
	case CR_STATE_PAUSED: return "Paused";
	case CR_STATE_TRANSITIONAL: return "Transitional";
	case CR_STATE_BROKEN: return "Broken";
	}
	return "Unknown";
}

int cr_state_letter_valid(char c)
{
	return c && strchr("DLAFPTB", c) != NULL;
}

int cr_state_dir(const char *name, char **ret_path, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_path_name(&dir, CR_STATE_DIR, name, "", err);
	if (r < 0)
		return r;
	r = cr_mkdir_p(dir, 0700, err);
	if (r < 0)
		return r;
	*ret_path = steal_pointer(&dir);
	return 0;
}

static int state_file(const char *name, char **ret_path, struct cr_error *err)
{
	return cr_path_name(ret_path, CR_STATE_DIR, name, "/state", err);
}

static int parse_int64(const char *s, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*ret = v;
	return 0;
}

static int parse_pid(const char *s, pid_t *ret)
{
	int64_t v;
	if (parse_int64(s, &v) < 0 || v < 0 || v > INT_MAX)
		return -1;
	*ret = (pid_t)v;
	return 0;
}

static int set_string(char **field, const char *value)
{
	char *dup = strdup(value);
	if (!dup)
		return -1;
	free(*field);
	*field = dup;
	return 0;
}

static int parse_line(struct cr_wpar_state *st, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return -1;
	*eq = '\0';
	const char *key = line, *value = eq + 1;
	int64_t n;
	if (!strcmp(key, "state"))
		return cr_state_letter_valid(value[0]) && !value[1] ? (st->state = (enum cr_state)value[0], 0) : -1;
	if (!strcmp(key, "init_pid"))
		return parse_pid(value, &st->init_pid);
	if (!strcmp(key, "monitor_pid"))
		return parse_pid(value, &st->monitor_pid);
	if (!strcmp(key, "owner_pid"))
		return parse_pid(value, &st->owner_pid);
	if (!strcmp(key, "start_time"))
		return parse_int64(value, &n) < 0 ? -1 : (st->start_time = n, 0);
	if (!strcmp(key, "operation"))
		return set_string(&st->operation, value);
	if (!strcmp(key, "broken_reason"))
		return set_string(&st->broken_reason, value);
	return 0; /* a newer Corral's key: keep reading */
}

int cr_state_load(const char *name, struct cr_wpar_state *ret, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	int r = state_file(name, &path, err);
	if (r < 0)
		return r;
	struct cr_wpar_state st;
	cr_state_init(&st);
	if (!cr_path_exists(path)) {
		*ret = st;
		return 0;
	}
	r = cr_read_file(path, 64 * 1024, &text, NULL, err);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (parse_line(&st, line) < 0) {
			cr_state_free(&st);
			return cr_error_set(err, EINVAL, "%s: malformed line '%s'", path, line);
		}
	}
	*ret = st;
	return 0;
}

static void strip_newlines(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int cr_state_save(const char *name, const struct cr_wpar_state *st, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	cleanup_free char *op = st->operation ? strdup(st->operation) : NULL;
	cleanup_free char *why = st->broken_reason ? strdup(st->broken_reason) : NULL;
	strip_newlines(op);
	strip_newlines(why);
	int r = cr_state_dir(name, &dir, err);
	if (r < 0)
		return r;
	r = state_file(name, &path, err);
	if (r < 0)
		return r;
	if (asprintf(&text, "state=%c\ninit_pid=%d\nmonitor_pid=%d\nowner_pid=%d\nstart_time=%" PRId64 "\n%s%s%s%s%s%s",
		     (char)st->state, (int)st->init_pid, (int)st->monitor_pid, (int)st->owner_pid, st->start_time,
		     op ? "operation=" : "", op ? op : "", op ? "\n" : "",
		     why ? "broken_reason=" : "", why ? why : "", why ? "\n" : "") < 0)
		return cr_error_set(err, ENOMEM, "out of memory saving the state of %s", name);
	cr_debug("%s -> %c", name, (char)st->state);
	return cr_write_file_atomic(path, text, strlen(text), 0600, err);
}

int cr_state_transition(const char *name, struct cr_wpar_state *st, enum cr_state state,
			const char *operation, struct cr_error *err)
{
	char *op = strdup(operation);
	if (!op)
		return cr_error_set(err, ENOMEM, "out of memory");
	free(st->operation);
	st->operation = op;
	st->state = state;
	st->owner_pid = (state == CR_STATE_ACTIVE || state == CR_STATE_DEFINED) ? 0 : getpid();
	return cr_state_save(name, st, err);
}

int cr_state_remove(const char *name, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_path_name(&dir, CR_STATE_DIR, name, "", err);
	if (r < 0)
		return r;
	return cr_rm_rf(dir, err);
}
