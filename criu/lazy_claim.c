/* The hand-over of a prepared `criu lazy-pages` (criu/lazy.c): its guard,
 * a child of the corrald process that prepared the relocation, offers the
 * relay's end of the daemon's page socket as IMAGES_DIR/lazy-pages.claim
 * (inside the landing, owner-only, gone with it); the process that serves
 * the page transfer connects, receives that end and the guard's pid with
 * it (SCM_RIGHTS), and keeps the connection: the guard's verdict (one
 * byte, 0: every page arrived) comes on it when the guard ends, and its end
 * without a byte is a failure too. Not this process's child, the guard is
 * told to end by SIGTERM as before. */
#define LOG_PREFIX "criu: "
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/fdwait.h"
#include "util/unix_socket.h"

#define LAZY_CLAIM "lazy-pages.claim"
#define CLAIM_RECV_MS 5000 /* the guard takes a claim within a few ms */
#define TOLD_END_MS 10000  /* a guard told to end: its tasks killed, the daemon reaped */

/* The guard this process claimed (one per connection's process). */
static struct {
	pid_t guard;
	int verdict_fd;
} claimed = {0, -1};

int cr_lazy_offer_open(const char *images_dir, int *ret_fd, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/%s", images_dir, LAZY_CLAIM) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	(void)unlink(path);
	return cr_unix_listen_at(images_dir, LAZY_CLAIM, SOCK_NONBLOCK, NULL, ret_fd, err);
}

void cr_lazy_offer_withdraw(const char *images_dir)
{
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/%s", images_dir, LAZY_CLAIM) >= 0)
		(void)unlink(path);
}

int cr_lazy_offer_take(int offer_fd, int relay_fd, int timeout_ms)
{
	struct pollfd p = {.fd = offer_fd, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	int conn = accept4(offer_fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return -1;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int32_t pid = (int32_t)getpid();
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid() ||
	    cr_unix_send_fd(conn, &pid, sizeof(pid), relay_fd, NULL) < 0) {
		close(conn);
		return -1;
	}
	return conn;
}

void cr_lazy_verdict_send(int fd, int code)
{
	if (fd < 0)
		return;
	uint8_t byte = (uint8_t)code;
	(void)!write(fd, &byte, 1);
}

int cr_criu_lazy_daemon_claim(const char *images_dir, pid_t *ret_guard, int *ret_relay, struct cr_error *err)
{
	if (claimed.guard > 0)
		return cr_error_set(err, EBUSY, "a prepared lazy-pages daemon is claimed by this process already");
	cleanup_close int conn = -1;
	int r = cr_unix_connect_at(images_dir, LAZY_CLAIM, &conn, err);
	if (r == -ECONNREFUSED) /* its guard is gone */
		cr_lazy_offer_withdraw(images_dir);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return 0;
	if (r < 0)
		return r;
	int32_t pid = 0;
	int relay = -1;
	if ((r = cr_unix_recv_fd(conn, CLAIM_RECV_MS, &pid, sizeof(pid), &relay, err)) < 0)
		return cr_error_wrap(err, "claiming the lazy-pages daemon prepared in %s", images_dir);
	if (pid <= 0) {
		close(relay);
		return cr_error_set(err, EPROTO, "the lazy-pages daemon prepared in %s sent no guard", images_dir);
	}
	claimed.guard = (pid_t)pid;
	claimed.verdict_fd = cr_steal_fd(&conn);
	*ret_guard = (pid_t)pid;
	*ret_relay = relay;
	return 1;
}

bool cr_lazy_claimed(pid_t guard)
{
	return guard > 0 && guard == claimed.guard;
}

int cr_lazy_claimed_wait(int timeout_ms, int *ret_code)
{
	int fd = claimed.verdict_fd;
	int r = 0;
	if (cr_fd_wait_readable(fd, timeout_ms) <= 0) {
		/* Still open: the guard lives (its pid is not reused yet). */
		kill(claimed.guard, SIGTERM);
		(void)cr_fd_wait_readable(fd, TOLD_END_MS);
		r = -ETIMEDOUT;
	}
	uint8_t byte = 1;
	ssize_t n = read(fd, &byte, 1);
	*ret_code = n == 1 ? byte : 1;
	close(fd);
	claimed.guard = 0;
	claimed.verdict_fd = -1;
	return r;
}
