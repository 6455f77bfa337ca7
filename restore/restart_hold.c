/* A restore held before CRIU's (restore/restore.h): the partition defined,
 * Transitional, its monitor started with its cgroups and CRIU's restorer in
 * them, waiting on a socket for the byte that lets CRIU restore. A
 * relocation's arrival holds one while the source freezes and dumps; a
 * restart while it extracts the image. */
#define LOG_PREFIX "restart: "
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"
#include "partition/state.h"
#include "restore/restore.h"
#include "util/cleanup.h"

#define LOCK_TIMEOUT_MS 10000
#define READY_TIMEOUT_MS 30000 /* the monitor's start, up to its restorer's wait */
#define CHECK_WAIT_MS (10 * 60 * 1000) /* CRIU's restore, up to its question (bounded by its own timeout) */

/* A monitor that never ran (its program failed to start) leaves NAME
 * Transitional, owned by this process: Defined again, as the monitor would
 * have recorded it. */
static void settle_unlaunched(const char *name)
{
	cleanup_close int lock = -1;
	struct cr_wpar_state st;
	cr_state_init(&st);
	if (cr_registry_lock(name, LOCK_TIMEOUT_MS, &lock, NULL) < 0 || cr_state_load(name, &st, NULL) < 0)
		return;
	if (st.state == CR_STATE_TRANSITIONAL && st.owner_pid == getpid() && !cr_monitor_lock_held(name)) {
		st.state = CR_STATE_DEFINED;
		st.owner_pid = 0;
		(void)cr_state_save(name, &st, NULL);
	}
	cr_state_free(&st);
}

/* The restorer says on GO that it waits (bounded): a monitor that cannot
 * run says nothing. */
static int wait_ready(const char *name, int go, struct cr_error *err)
{
	struct pollfd pfd = {.fd = go, .events = POLLIN};
	int n;
	do
		n = poll(&pfd, 1, READY_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	char c = 0;
	if (n <= 0 || recv(go, &c, 1, 0) != 1 || c != 'r')
		return cr_error_set(err, n == 0 ? ETIMEDOUT : EIO, "the monitor of %s did not get ready%s (see its log)",
				    name, n == 0 ? " in time" : "");
	return 0;
}

/* CRIU restores; once it asks (a byte on GO: every task restored, none
 * runs), CHECK says whether the images are sound: yes lets the tree run,
 * else it is killed and CHECK's error is the restart's. The end of GO
 * instead: the restore failed before, the monitor's verdict says why. */
static int answer_check(struct cr_restart_hold *h, int (*check)(void *arg, struct cr_error *err), void *arg,
			struct cr_error *err)
{
	char c = 0;
	struct pollfd pfd = {.fd = h->go, .events = POLLIN};
	int n;
	do
		n = poll(&pfd, 1, CHECK_WAIT_MS);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || recv(h->go, &c, 1, 0) != 1 || c != 'p')
		return 0;
	int r = check(arg, err);
	if (r == 0 && send(h->go, "v", 1, MSG_NOSIGNAL) != 1)
		r = cr_error_errno(err, "the monitor of %s waits no more", h->name);
	return r;
}

/* Close the socket (after the byte GO when not 0, and CHECK's answer when
 * CHECK), hear the monitor's verdict. */
static int end_hold(struct cr_restart_hold *h, char go, int (*check)(void *arg, struct cr_error *err), void *arg,
		    struct cr_error *err)
{
	int r = 0;
	if (go && send(h->go, &go, 1, MSG_NOSIGNAL) != 1)
		r = cr_error_errno(err, "the monitor of %s waits no more", h->name);
	if (r == 0 && check)
		r = answer_check(h, check, arg, err);
	close(h->go);
	/* Without the byte the monitor gives up: its verdict says when it has. */
	struct cr_error e = CR_ERROR_INIT;
	int v = cr_partition_launch_await(h->verdict, &e);
	if (r == 0 && go && v < 0)
		r = cr_error_set(err, e.code, "%s", cr_error_msg(&e));
	cr_error_clear(&e);
	if (v < 0)
		settle_unlaunched(h->name);
	free(h->name);
	*h = (struct cr_restart_hold)CR_RESTART_HOLD_INIT;
	return r;
}

int cr_restart_hold_go(struct cr_restart_hold *h, struct cr_error *err)
{
	if (!h->name)
		return cr_error_set(err, EINVAL, "no restore is held");
	return end_hold(h, 'g', NULL, NULL, err);
}

int cr_restart_hold_go_checked(struct cr_restart_hold *h, int (*check)(void *arg, struct cr_error *err), void *arg,
			       struct cr_error *err)
{
	if (!h->name)
		return cr_error_set(err, EINVAL, "no restore is held");
	return end_hold(h, 'G', check, arg, err);
}

void cr_restart_hold_cancel(struct cr_restart_hold *h)
{
	if (h->name)
		(void)end_hold(h, 0, NULL, NULL, NULL);
}

int cr_partition_restart_hold(const struct cr_restart_unpacked *req, struct cr_restart_hold *ret,
			      bool *ret_defined_here, struct cr_error *err)
{
	int sp[2];
	*ret_defined_here = false;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return cr_error_errno(err, "cannot make a socket for the monitor of %s", req->name);
	struct cr_restart_hold h = {.name = strdup(req->name), .go = sp[0], .verdict = -1};
	int r = h.name ? cr_partition_restart_held(req, sp[1], &h.verdict, ret_defined_here, err)
		       : cr_error_set(err, ENOMEM, "out of memory");
	close(sp[1]);
	if (r == 0 && (r = wait_ready(req->name, h.go, err)) == 0) {
		*ret = h;
		return 0;
	}
	if (h.verdict >= 0)
		end_hold(&h, 0, NULL, NULL, NULL); /* Defined again */
	else
		close(h.go);
	free(h.name);
	if (*ret_defined_here)
		cr_partition_undefine(req->name);
	*ret_defined_here = false;
	return r;
}
