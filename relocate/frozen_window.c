/* One frozen window, and one restore window, at a time on this host
 * (relocate/frozen_window.h). */
#define LOG_PREFIX "move: "
#include "relocate/frozen_window.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

#define POLL_MS 5

static int open_lock(const char *lock, struct cr_error *err)
{
	cleanup_free char *dir = NULL, *path = NULL;
	int r = cr_path(&dir, err, "/run/corral");
	if (r == 0)
		r = cr_mkdir_p(dir, 0755, err);
	if (r == 0)
		r = cr_path(&path, err, "/run/corral/%s", lock);
	if (r < 0)
		return r;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? cr_error_errno(err, "cannot open %s", path) : fd;
}

static int window_enter(struct cr_frozen_window *w, const char *lock, const char *what, int wait_ms,
			struct cr_error *err)
{
	w->fd = -1;
	w->waited_ns = 0;
	int fd = open_lock(lock, err);
	if (fd < 0)
		return 1;
	int64_t t0 = cr_now_ms();
	/* Polled, not blocking: the wait keeps its bound without a signal. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			cr_error_errno(err, "cannot lock this host's %s window", what);
			close(fd);
			return 1;
		}
		if (cr_now_ms() - t0 >= wait_ms) {
			cr_error_set(err, ETIMEDOUT, "another move held this host's %s window for over %d ms", what, wait_ms);
			w->waited_ns = (cr_now_ms() - t0) * 1000000;
			close(fd);
			return 1;
		}
		struct timespec ts = {0, POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	w->waited_ns = (cr_now_ms() - t0) * 1000000;
	w->fd = fd;
	return 0;
}

int cr_frozen_window_enter(struct cr_frozen_window *w, int wait_ms, struct cr_error *err)
{
	return window_enter(w, "frozen-window.lock", "frozen", wait_ms, err);
}

int cr_restore_window_enter(struct cr_frozen_window *w, int wait_ms, struct cr_error *err)
{
	return window_enter(w, "restore-window.lock", "restore", wait_ms, err);
}

static bool window_busy(const char *lock)
{
	cleanup_close int fd = open_lock(lock, NULL);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	(void)flock(fd, LOCK_UN);
	return false;
}

bool cr_frozen_window_busy(void)
{
	return window_busy("frozen-window.lock");
}

bool cr_restore_window_busy(void)
{
	return window_busy("restore-window.lock");
}

void cr_frozen_window_leave(struct cr_frozen_window *w)
{
	if (w->fd < 0)
		return;
	(void)flock(w->fd, LOCK_UN);
	close(w->fd);
	w->fd = -1;
}
