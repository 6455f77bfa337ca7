/* The partitions of this host: spec files plus runtime state, reconciled. */
#define LOG_PREFIX "registry: "
#include "partition/registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry_intent.h"
#include "spec/spec_file.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

void cr_wpar_free(struct cr_wpar *w)
{
	if (!w)
		return;
	cr_config_free(&w->config);
	cr_state_free(&w->state);
}

void cr_wpar_list_free(struct cr_wpar *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_wpar_free(&list[i]);
	free(list);
}

int cr_registry_spec_path(const char *name, char **ret_path, struct cr_error *err)
{
	return cr_path_name(ret_path, CR_SPEC_DIR, name, ".spec", err);
}

int cr_registry_exists(const char *name)
{
	cleanup_free char *path = NULL;
	if (cr_registry_spec_path(name, &path, NULL) < 0)
		return 0;
	return cr_path_exists(path);
}

/* A running state whose monitor is gone is not running: say so. */
static void reconcile(const char *name, struct cr_wpar_state *st)
{
	if (st->state == CR_STATE_DEFINED || st->state == CR_STATE_BROKEN)
		return;
	if (st->state == CR_STATE_PAUSED && st->monitor_pid == 0)
		return; /* a paused checkpoint holds no process */
	if (st->state == CR_STATE_TRANSITIONAL && st->owner_pid > 0 && cr_pid_alive(st->owner_pid))
		return; /* a command is carrying out an operation on it */
	if (st->state == CR_STATE_TRANSITIONAL && cr_monitor_lock_held(name))
		return; /* its monitor is starting it, and records the outcome */
	if (st->monitor_pid > 0 && cr_monitor_alive(name, st->monitor_pid))
		return;
	char *why = NULL;
	if (st->state == CR_STATE_TRANSITIONAL && st->monitor_pid == 0) {
		if (asprintf(&why, "the command doing '%s' (pid %d) ended before it finished",
			     st->operation ? st->operation : "an operation", (int)st->owner_pid) < 0)
			why = NULL;
	} else if (asprintf(&why, "its monitor (pid %d) is gone while the partition was %s",
			    (int)st->monitor_pid, cr_state_name(st->state)) < 0)
		why = NULL;
	cr_debug("%s: %s", name, why ? why : "monitor gone");
	free(st->broken_reason);
	st->broken_reason = why;
	st->state = CR_STATE_BROKEN;
}

static int take_lock(const char *name, int timeout_ms, int *ret_fd, struct cr_error *err);
static int settle_locked(const char *name, enum cr_settled *ret, struct cr_error *err);

/* A command that ended left NAME half done: settle it now, unless its lock
 * is taken (by a command at work, or by this process). */
static int try_settle(const char *name, struct cr_error *err)
{
	cleanup_close int lock = -1;
	if (take_lock(name, 0, &lock, NULL) < 0)
		return 0;
	return settle_locked(name, NULL, err);
}

static bool left_half_done(const char *name, const struct cr_wpar_state *st)
{
	if (cr_intent_exists(name))
		return true;
	return st->state == CR_STATE_TRANSITIONAL && !(st->owner_pid > 0 && cr_pid_alive(st->owner_pid));
}

int cr_registry_read(const char *name, struct cr_wpar *ret, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	struct cr_wpar w;
	cr_config_init(&w.config);
	cr_state_init(&w.state);
	int r = cr_registry_spec_path(name, &path, err);
	if (r == 0)
		r = cr_spec_read_file(path, &w.config, err);
	if (r == 0)
		r = cr_state_load(name, &w.state, err);
	if (r < 0) {
		cr_wpar_free(&w);
		return r;
	}
	*ret = w;
	return 0;
}

int cr_registry_load(const char *name, struct cr_wpar *ret, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	r = cr_registry_spec_path(name, &path, err);
	if (r < 0)
		return r;
	if (cr_intent_exists(name) && (r = try_settle(name, NULL)) < 0)
		cr_debug("%s: cannot settle it now", name);
	if (!cr_path_exists(path))
		return cr_error_set(err, ENOENT, "no partition named %s", name);
	struct cr_wpar w;
	if ((r = cr_registry_read(name, &w, err)) < 0)
		return cr_error_wrap(err, "loading partition %s", name);
	if (left_half_done(name, &w.state)) {
		struct cr_error why = CR_ERROR_INIT;
		if (try_settle(name, &why) < 0) {
			/* Its removal was begun and cannot be completed: say why. */
			free(w.state.broken_reason);
			w.state.broken_reason = strdup(cr_error_msg(&why));
			w.state.state = CR_STATE_BROKEN;
		} else {
			cr_wpar_free(&w);
			cr_error_clear(&why);
			if (!cr_path_exists(path))
				return cr_error_set(err, ENOENT, "no partition named %s", name);
			if ((r = cr_registry_read(name, &w, err)) < 0)
				return cr_error_wrap(err, "loading partition %s", name);
		}
		cr_error_clear(&why);
	}
	reconcile(name, &w.state);
	*ret = w;
	return 0;
}

/* lswpar's walk: a killed mkwpar's leftovers go before anyone lists them. */
static void settle_intents(void)
{
	char **names = NULL;
	size_t n = 0;
	if (cr_intent_names(&names, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		(void)try_settle(names[i], NULL);
		free(names[i]);
	}
	free(names);
}

static int compare_by_name(const void *a, const void *b)
{
	const struct cr_wpar *x = a, *y = b;
	return strcmp(x->config.name, y->config.name);
}

int cr_registry_list(struct cr_wpar **ret_list, size_t *ret_n, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_path(&dir, err, CR_SPEC_DIR);
	if (r < 0)
		return r;
	struct cr_wpar *list = NULL;
	size_t n = 0, cap = 0;
	settle_intents();
	cleanup_dir DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*ret_list = NULL;
			*ret_n = 0;
			return 0;
		}
		return cr_error_errno(err, "cannot read %s", dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".spec") != 0)
			continue;
		cleanup_free char *name = strndup(de->d_name, len - 5);
		if (!name) {
			r = cr_error_set(err, ENOMEM, "out of memory listing partitions");
			goto fail;
		}
		if (cr_name_validate(name, NULL) < 0)
			continue; /* not ours: a stray file */
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct cr_wpar *nl = realloc(list, cap * sizeof(*nl));
			if (!nl) {
				r = cr_error_set(err, ENOMEM, "out of memory listing partitions");
				goto fail;
			}
			list = nl;
		}
		r = cr_registry_load(name, &list[n], err);
		if (r == -ENOENT)
			continue; /* removed while we listed */
		if (r < 0)
			goto fail;
		n++;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), compare_by_name);
	*ret_list = list;
	*ret_n = n;
	return 0;
fail:
	cr_wpar_list_free(list, n);
	return r;
}

int cr_registry_save_config(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *path = NULL;
	int r = cr_path(&dir, err, CR_SPEC_DIR);
	if (r < 0)
		return r;
	r = cr_mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	r = cr_registry_spec_path(cfg->name, &path, err);
	if (r < 0)
		return r;
	return cr_spec_write_file(path, cfg, err);
}

int cr_registry_remove_config(const char *name, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = cr_registry_spec_path(name, &path, err);
	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return cr_error_errno(err, "cannot remove %s", path);
	return 0;
}

/* With NAME's lock held, nobody else is at work on it: a record or a
 * Transitional state left behind is a killed command's. */
static int settle_locked(const char *name, enum cr_settled *ret, struct cr_error *err)
{
	enum cr_settled settled = CR_SETTLED_NOTHING;
	int r = cr_partition_settle_intent(name, &settled, err);
	if (r == 0 && settled != CR_SETTLED_REMOVED && settled != CR_SETTLED_UNCREATED && cr_registry_exists(name))
		r = cr_partition_settle_transition(name, &settled, err);
	if (r == 0 && ret)
		*ret = settled;
	return r;
}

/* Take NAME's lock file, nothing more: -EBUSY after TIMEOUT_MS. */
static int take_lock(const char *name, int timeout_ms, int *ret_fd, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *path = NULL;
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	r = cr_path(&dir, err, CR_RUN_DIR);
	if (r < 0)
		return r;
	r = cr_mkdir_p(dir, 0700, err);
	if (r < 0)
		return r;
	r = cr_path_name(&path, CR_RUN_DIR, name, ".lock", err);
	if (r < 0)
		return r;
	cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cr_error_errno(err, "cannot open lock %s", path);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK)
			return cr_error_errno(err, "cannot lock %s", path);
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms)
			return cr_error_set(err, EBUSY,
					    "partition %s is busy: another command holds its lock", name);
		poll(NULL, 0, 20);
	}
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

int cr_registry_lock(const char *name, int timeout_ms, int *ret_fd, struct cr_error *err)
{
	return cr_registry_lock_settled(name, timeout_ms, ret_fd, NULL, err);
}

int cr_registry_lock_settled(const char *name, int timeout_ms, int *ret_fd, enum cr_settled *ret_settled,
			     struct cr_error *err)
{
	cleanup_close int fd = -1;
	int r = take_lock(name, timeout_ms, &fd, err);
	if (r < 0 || (r = settle_locked(name, ret_settled, err)) < 0)
		return r;
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

int cr_registry_lock_load(const char *name, int timeout_ms, int *ret_lock, struct cr_wpar *ret,
			  struct cr_error *err)
{
	int lock = -1;
	int r = cr_registry_lock(name, timeout_ms, &lock, err);
	if (r < 0)
		return r;
	if ((r = cr_registry_load(name, ret, err)) < 0) {
		close(lock);
		return r;
	}
	*ret_lock = lock;
	return 0;
}
