/* The hand-over of a resumed page connection between corrald processes. */
#define LOG_PREFIX "resume: "
#include "transport/page_resume.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto_stream.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"
#include "util/unix_socket.h"

#define HANDOVER_VERSION 1
#define RELOCATION_MAX 64

/* What goes with the socket: fixed layout, one message (util/unix_socket.h). */
struct handover {
	uint32_t version;
	uint32_t reserved;
	uint64_t resume_from;
	uint8_t peer_pk[CR_HOSTKEY_BYTES];
	uint8_t tx[CR_STREAM_STATEBYTES];
	uint8_t rx[CR_STREAM_STATEBYTES];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RELOCATION's socket name, "pages-RELOCATION" (heap). */
static int socket_name(const char *relocation, char **ret_name, struct cr_error *err)
{
	size_t n = strlen(relocation);
	if (n == 0 || n > RELOCATION_MAX || strspn(relocation, "0123456789abcdefABCDEF") != n)
		return cr_error_set(err, EINVAL, "relocation id \"%.*s\" is not hex digits", RELOCATION_MAX, relocation);
	if (asprintf(ret_name, "pages-%s", relocation) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* The directory of the resume sockets (heap), only root's: made 0700, or
 * tightened to it; another user's is refused. */
static int resume_dir(char **ret_dir, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_path(&dir, err, "%s", CR_PAGE_RESUME_DIR);
	if (r == 0)
		r = cr_mkdir_parent(dir, 0755, err);
	if (r < 0)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cr_error_errno(err, "cannot make %s", dir);
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cr_error_errno(err, "cannot open %s", dir);
	if (st.st_uid != geteuid())
		return cr_error_set(err, EPERM, "%s belongs to uid %u, not to this process's", dir, (unsigned)st.st_uid);
	if ((st.st_mode & 077) && fchmod(fd, 0700) < 0)
		return cr_error_errno(err, "cannot make %s root-only", dir);
	*ret_dir = steal_pointer(&dir);
	return 0;
}

/* The other end must be root (or this process's user). */
static int check_peer(int fd, const char *who, struct cr_error *err)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return cr_error_errno(err, "cannot read the credentials of %s", who);
	if (cred.uid != 0 && cred.uid != geteuid())
		return cr_error_set(err, EACCES, "%s runs as uid %u, not root: refused", who, (unsigned)cred.uid);
	return 0;
}

int cr_page_resume_listen(const char *relocation, struct cr_page_resume_listener *ret, struct cr_error *err)
{
	cleanup_free char *name = NULL, *dir = NULL;
	int r = socket_name(relocation, &name, err);
	if (r == 0)
		r = resume_dir(&dir, err);
	if (r < 0)
		return r;
	/* A name taken stays taken: relocation ids are drawn at random, so a
	 * socket left by a holder that died is never asked for again. */
	r = cr_unix_listen_at(dir, name, SOCK_NONBLOCK, &ret->path, &ret->fd, err);
	if (r == -EADDRINUSE) {
		cr_error_clear(err);
		return cr_error_set(err, EADDRINUSE, "another process listens for the resume of relocation %s",
				    relocation);
	}
	return r;
}

int cr_page_resume_sweep(unsigned *ret_removed, struct cr_error *err)
{
	*ret_removed = 0;
	cleanup_free char *dir = NULL;
	int r = cr_path(&dir, err, "%s", CR_PAGE_RESUME_DIR);
	if (r < 0)
		return r;
	cleanup_dir DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : cr_error_errno(err, "cannot read %s", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "pages-", 6) != 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		/* Only a refused connection proves nobody listens; a holder
		 * that answers sees a knock that is no resume and goes on. */
		int fd = -1;
		struct cr_error e2 = CR_ERROR_INIT;
		r = cr_unix_connect_at(dir, e->d_name, &fd, &e2);
		cr_error_clear(&e2);
		if (fd >= 0)
			close(fd);
		if (r == -ECONNREFUSED && unlinkat(dirfd(d), e->d_name, 0) == 0)
			(*ret_removed)++;
	}
	return 0;
}

void cr_page_resume_unlisten(struct cr_page_resume_listener *l)
{
	if (l->fd < 0)
		return;
	if (l->path)
		(void)unlink(l->path);
	close(l->fd);
	free(l->path);
	*l = (struct cr_page_resume_listener)CR_PAGE_RESUME_LISTENER_INIT;
}

/* Receive one hand-over on S within WAIT_MS: its socket in *RET_FD. */
static int recv_handover(int s, int wait_ms, struct handover *h, int *ret_fd, struct cr_error *err)
{
	int r = cr_unix_recv_fd(s, wait_ms, h, sizeof(*h), ret_fd, err);
	if (r == 0 && h->version != HANDOVER_VERSION) {
		close(*ret_fd);
		*ret_fd = -1;
		return cr_error_set(err, EPROTO, "a resumed connection came in hand-over version %u, not %u",
				    (unsigned)h->version, HANDOVER_VERSION);
	}
	return r;
}

/* Make C the connection of FD with H's streams. */
static int adopt(struct cr_conn *c, int fd, const struct handover *h, struct cr_error *err)
{
	struct cr_stream_push *tx = NULL;
	struct cr_stream_pull *rx = NULL;
	int r = cr_stream_push_import(h->tx, &tx, err);
	if (r == 0)
		r = cr_stream_pull_import(h->rx, &rx, err);
	if (r == 0 && dup3(fd, c->io.fd, O_CLOEXEC) < 0)
		r = cr_error_errno(err, "cannot take over the resumed connection");
	if (r < 0) {
		cr_stream_push_free(tx);
		cr_stream_pull_free(rx);
		return r;
	}
	cr_stream_push_free(c->tx);
	cr_stream_pull_free(c->rx);
	c->tx = tx;
	c->rx = rx;
	c->rx_final = false;
	return 0;
}

int cr_page_resume_take_one(int lfd, int wait_ms, struct cr_conn *c, uint64_t *ret_resume_from,
			     struct cr_error *err)
{
	int64_t end = now_ms() + wait_ms;
	cleanup_close int s = -1;
	for (;;) {
		int64_t left = end - now_ms();
		if (left <= 0)
			return cr_error_set(err, ETIMEDOUT, "the page connection was not resumed within %d ms", wait_ms);
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return cr_error_errno(err, "waiting for the page connection to resume");
		if (n > 0 && (s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			break;
	}
	int64_t left = end - now_ms();
	struct handover h;
	int fd = -1;
	struct cr_error e = CR_ERROR_INIT;
	/* A process that is not root is refused before anything is read
	 * from it: it cannot hold the relay up. */
	int r = check_peer(s, "the process resuming the page connection", &e);
	if (r == 0)
		r = recv_handover(s, (int)(left < 1000 ? (left > 0 ? left : 0) : 1000), &h, &fd, &e);
	/* Taken only once the other process said it lets go ('y', then its
	 * 'k'): never do two processes talk on one connection. */
	bool same_peer = r == 0 && memcmp(h.peer_pk, c->peer_pk, CR_HOSTKEY_BYTES) == 0;
	char answer = same_peer ? 'y' : 'n', ok = 0;
	struct pollfd q = {.fd = s, .events = POLLIN};
	if (send(s, &answer, 1, MSG_NOSIGNAL) != 1 || !same_peer || poll(&q, 1, 1000) != 1 || recv(s, &ok, 1, 0) != 1 ||
	    ok != 'k')
		same_peer = false;
	bool taken = same_peer && adopt(c, fd, &h, &e) == 0;
	if (taken)
		*ret_resume_from = h.resume_from;
	cr_memzero(&h, sizeof(h));
	if (fd >= 0)
		close(fd);
	if (!taken)
		r = cr_error_set(err, EAGAIN, "a resume attempt was refused: %s",
				 e.code ? cr_error_msg(&e) : "another peer's connection, or a hand-over not completed");
	cr_error_clear(&e);
	return taken ? 0 : r;
}

int cr_page_resume_take(int lfd, int wait_ms, struct cr_conn *c, uint64_t *ret_resume_from, struct cr_error *err)
{
	int64_t end = now_ms() + wait_ms;
	for (;;) {
		int64_t left = end - now_ms();
		if (left <= 0)
			return cr_error_set(err, ETIMEDOUT, "the page connection was not resumed within %d ms", wait_ms);
		int r = cr_page_resume_take_one(lfd, (int)left, c, ret_resume_from, err);
		if (r != -EAGAIN)
			return r;
		cr_debug("%s", cr_error_msg(err));
		cr_error_clear(err);
	}
}

/* Connect to RELOCATION's holder: it listens from the start of its
 * transfer to its end, so none listening means no such transfer here. */
static int connect_holder(const char *relocation, int *ret_fd, struct cr_error *err)
{
	cleanup_free char *name = NULL, *dir = NULL;
	int r = socket_name(relocation, &name, err);
	if (r == 0)
		r = cr_path(&dir, err, "%s", CR_PAGE_RESUME_DIR);
	if (r == 0)
		r = cr_unix_connect_at(dir, name, ret_fd, err);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		cr_error_clear(err);
		return cr_error_set(err, ENOENT, "no page transfer of relocation %s waits here to resume", relocation);
	}
	return r;
}

int cr_page_resume_hand_over(const char *relocation, const struct cr_conn *c, uint64_t resume_from, int wait_ms,
			     struct cr_error *err)
{
	if (!c->tx || !c->rx)
		return cr_error_set(err, EPROTO, "only an encrypted peer connection can resume a page transfer");
	int64_t end = now_ms() + wait_ms;
	cleanup_close int s = -1;
	int r = connect_holder(relocation, &s, err);
	if (r == 0)
		r = check_peer(s, "the process holding the page transfer", err);
	if (r < 0)
		return r;
	struct handover h = {.version = HANDOVER_VERSION, .resume_from = resume_from};
	memcpy(h.peer_pk, c->peer_pk, CR_HOSTKEY_BYTES);
	cr_stream_push_export(c->tx, h.tx);
	cr_stream_pull_export(c->rx, h.rx);
	r = cr_unix_send_fd(s, &h, sizeof(h), c->io.fd, err);
	cr_memzero(&h, sizeof(h));
	if (r < 0)
		return cr_error_wrap(err, "cannot hand the connection over to relocation %s's page transfer",
				     relocation);
	/* The holder takes it once its own connection broke. */
	int64_t left = end - now_ms();
	struct pollfd p = {.fd = s, .events = POLLIN};
	char answer = 0;
	if (poll(&p, 1, left > 0 ? (int)left : 0) != 1 || recv(s, &answer, 1, 0) != 1)
		return cr_error_set(err, ETIMEDOUT, "relocation %s's page transfer did not take the connection within "
				    "%d ms", relocation, wait_ms);
	if (answer != 'y')
		return cr_error_set(err, EACCES, "relocation %s's page transfer refused the connection", relocation);
	if (send(s, "k", 1, MSG_NOSIGNAL) != 1)
		return cr_error_errno(err, "cannot hand the connection over to relocation %s's page transfer",
				      relocation);
	return 0;
}
