/* The hand-over of a resumed page connection between corrald processes. */
#define LOG_PREFIX "resume: "
#include "transport/page_resume.h"

#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto_stream.h"
#include "util/cleanup.h"
#include "util/log.h"

#define HANDOVER_VERSION 1
#define RELOCATION_MAX 64

/* What goes with the socket: fixed layout, one datagram. */
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

/* "\0corral-pages-RELOCATION": abstract, gone with its last descriptor. */
static int address(const char *relocation, struct sockaddr_un *sa, socklen_t *ret_len, struct cr_error *err)
{
	size_t n = strlen(relocation);
	if (n == 0 || n > RELOCATION_MAX || strspn(relocation, "0123456789abcdefABCDEF") != n)
		return cr_error_set(err, EINVAL, "relocation id \"%.*s\" is not hex digits", RELOCATION_MAX, relocation);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	int len = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "corral-pages-%s", relocation);
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
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

int cr_page_resume_listen(const char *relocation, int *ret_fd, struct cr_error *err)
{
	struct sockaddr_un sa;
	socklen_t len = 0;
	int r = address(relocation, &sa, &len, err);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot make the resume socket of relocation %s", relocation);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 4) < 0) {
		r = cr_error_errno(err, "cannot listen for the resume of relocation %s", relocation);
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Receive one hand-over on S: its socket in *RET_FD. */
static int recv_handover(int s, struct handover *h, int *ret_fd, struct cr_error *err)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = h, .iov_len = sizeof(*h)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return cr_error_errno(err, "receiving a resumed connection");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int fd = -1;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if ((size_t)n != sizeof(*h) || h->version != HANDOVER_VERSION || fd < 0 || (mh.msg_flags & MSG_CTRUNC)) {
		if (fd >= 0)
			close(fd);
		return cr_error_set(err, EPROTO, "a resumed connection came malformed (%zd bytes)", n);
	}
	*ret_fd = fd;
	return 0;
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
	if (r == 0) {
		struct pollfd q = {.fd = s, .events = POLLIN};
		r = poll(&q, 1, (int)(left < 1000 ? (left > 0 ? left : 0) : 1000)) == 1
			    ? recv_handover(s, &h, &fd, &e)
			    : cr_error_set(&e, ETIMEDOUT, "no hand-over");
	}
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
	struct sockaddr_un sa;
	socklen_t len = 0;
	int r = address(relocation, &sa, &len, err);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot make a socket to resume relocation %s", relocation);
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		close(fd);
		return cr_error_set(err, ENOENT, "no page transfer of relocation %s waits here to resume", relocation);
	}
	*ret_fd = fd;
	return 0;
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
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->io.fd, sizeof(int));
	ssize_t n = sendmsg(s, &mh, MSG_NOSIGNAL);
	cr_memzero(&h, sizeof(h));
	if (n != (ssize_t)sizeof(h))
		return cr_error_errno(err, "cannot hand the connection over to relocation %s's page transfer",
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
