/* The corrald loop: poll the listeners and a signalfd, fork per connection. */
#include "transport/daemon_internal.h"
#include "transport/page_resume.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto_stream.h"
#include "transport/server.h"
#include "transport/trust.h"
#include "util/cleanup.h"

struct daemon {
	const struct cr_daemon_options *o;
	struct cr_server_ctx sctx;
	int tcp_fd, unix_fd, sig_fd;
	pid_t children[CR_DAEMON_MAX_CONNECTIONS];
	size_t n_children;
	sigset_t old_mask;
	pid_t self;
};

#define dlog(d, ...) cr_server_log(&(d)->sctx, __VA_ARGS__)

static void describe_peer(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	} else {
		snprintf(out, cap, "the local socket");
		return;
	}
	snprintf(out, cap, "%s:%d", host, port);
}

/* In a child of the daemon: leave the daemon's descriptors and signals. */
static void become_child(struct daemon *d)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != d->self)
		_exit(1);
	close(d->sig_fd);
	if (d->tcp_fd >= 0)
		close(d->tcp_fd);
	if (d->unix_fd >= 0)
		close(d->unix_fd);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigprocmask(SIG_SETMASK, &d->old_mask, NULL);
}

/* In the child: serve one connection and exit. */
static void __attribute__((noreturn)) child(struct daemon *d, int fd, bool local,
					    const char *from)
{
	become_child(d);
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_server_serve(&d->sctx, fd, local, from, &err);
	if (r < 0)
		dlog(d, "%s", cr_error_msg(&err));
	cr_error_clear(&err);
	close(fd);
	_exit(r < 0 ? 1 : 0);
}

static void on_accept(struct daemon *d, int lfd, bool local)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			dlog(d, "accept failed: %s", strerror(errno));
		return;
	}
	if (!local)
		cr_conn_nodelay(fd);
	char from[INET6_ADDRSTRLEN + 16];
	describe_peer(&ss, from, sizeof(from));
	if (d->n_children == CR_DAEMON_MAX_CONNECTIONS) {
		dlog(d, "connection from %s refused: %d connections already", from,
		     CR_DAEMON_MAX_CONNECTIONS);
		close(fd);
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		child(d, fd, local, from);
	if (pid < 0)
		dlog(d, "cannot fork for the connection from %s: %s", from, strerror(errno));
	else
		d->children[d->n_children++] = pid;
	close(fd);
}

/* Relocations an earlier corrald left unsettled are settled by a child, so
 * that asking their sources does not hold up the listeners. */
static void settle_left(struct daemon *d)
{
	pid_t pid = fork();
	if (pid == 0) {
		become_child(d);
		struct cr_arrival_env env = cr_server_arrival_env(&d->sctx);
		d->sctx.arrival->settle_left(&env);
		_exit(0);
	}
	if (pid < 0)
		dlog(d, "cannot fork to settle earlier relocations: %s", strerror(errno));
	else
		d->children[d->n_children++] = pid;
}

static void reap(struct daemon *d)
{
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);
		if (pid <= 0)
			return;
		for (size_t i = 0; i < d->n_children; i++) {
			if (d->children[i] == pid) {
				d->children[i] = d->children[--d->n_children];
				break;
			}
		}
	}
}

/* Ask the connections to stop; SIGKILL whatever is left after 5 s. */
static void stop_children(struct daemon *d)
{
	for (size_t i = 0; i < d->n_children; i++)
		kill(d->children[i], SIGTERM);
	for (int tries = 0; tries < 50 && d->n_children > 0; tries++) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		reap(d);
	}
	for (size_t i = 0; i < d->n_children; i++)
		kill(d->children[i], SIGKILL);
	while (d->n_children > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0)
			break;
		for (size_t i = 0; i < d->n_children; i++)
			if (d->children[i] == pid)
				d->children[i] = d->children[--d->n_children];
	}
}

/* Returns 1 when asked to stop. */
static int on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	ssize_t n = read(d->sig_fd, &si, sizeof(si));
	if (n != (ssize_t)sizeof(si))
		return 0;
	if (si.ssi_signo == SIGCHLD) {
		reap(d);
		return 0;
	}
	dlog(d, "signal %u: stopping", si.ssi_signo);
	return 1;
}

static int loop(struct daemon *d, struct cr_error *err)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{.fd = d->sig_fd, .events = POLLIN},
			{.fd = d->tcp_fd, .events = POLLIN},
			{.fd = d->unix_fd, .events = POLLIN},
		};
		int n = poll(pfd, 3, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "corrald: poll failed");
		if ((pfd[0].revents & POLLIN) && on_signal(d))
			return 0;
		if (pfd[1].revents & POLLIN)
			on_accept(d, d->tcp_fd, false);
		if (pfd[2].revents & POLLIN)
			on_accept(d, d->unix_fd, true);
	}
}

static int setup(struct daemon *d, char **sock_path, struct cr_error *err)
{
	const struct cr_daemon_options *o = d->o;
	int r = 0;
	if (!o->listen || strcmp(o->listen, "none") != 0) {
		r = cr_daemon_listen_tcp(o->listen ? o->listen : "0.0.0.0", &d->tcp_fd, err);
		if (r < 0)
			return r;
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char where[INET6_ADDRSTRLEN + 16] = "?";
		if (getsockname(d->tcp_fd, (struct sockaddr *)&ss, &len) == 0)
			describe_peer(&ss, where, sizeof(where));
		dlog(d, "listening on %s", where);
	}
	if (o->socket_path && strcmp(o->socket_path, "none") == 0)
		return 0;
	if (o->socket_path && !(*sock_path = strdup(o->socket_path)))
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!*sock_path && (r = cr_corrald_socket_path(sock_path, err)) < 0)
		return r;
	r = cr_daemon_listen_unix(*sock_path, &d->unix_fd, err);
	if (r == 0)
		dlog(d, "listening on %s", *sock_path);
	return r;
}

static int load_identity(struct cr_host_keypair *kp, char **key_path, char **trust_path,
			 struct cr_peer_info *local, struct cr_error *err)
{
	cleanup_free char *pub = NULL;
	int r = cr_hostkey_paths(key_path, &pub, err);
	if (r == 0)
		r = cr_hostkey_load(*key_path, kp, err);
	if (r < 0)
		return cr_error_wrap(err, "this host's key (make one with corral keygen)");
	r = cr_trust_path(trust_path, err);
	if (r == 0)
		r = cr_peer_info_local(local, err);
	return r;
}

int cr_daemon_run(const struct cr_daemon_options *o, struct cr_error *err)
{
	struct daemon d = {.o = o, .tcp_fd = -1, .unix_fd = -1, .sig_fd = -1, .self = getpid(),
			   .sctx = {.log = o->log, .log_ctx = o->log_ctx}};
	struct cr_host_keypair kp;
	struct cr_peer_info local = {0};
	cleanup_free char *key_path = NULL, *trust_path = NULL, *sock_path = NULL;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	int r = load_identity(&kp, &key_path, &trust_path, &local, err);
	if (r < 0)
		goto out;
	d.sctx = (struct cr_server_ctx){
		.kp = &kp, .host_key_path = key_path, .trust_path = trust_path, .local = &local,
		.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : CR_WIRE_IDLE_TIMEOUT_MS,
		.corral_exe = o->corral_exe, .arrival = o->arrival, .log = o->log, .log_ctx = o->log_ctx};
	if (sigprocmask(SIG_BLOCK, &mask, &d.old_mask) < 0) {
		r = cr_error_errno(err, "cannot block signals");
		goto out;
	}
	d.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (d.sig_fd < 0)
		r = cr_error_errno(err, "cannot make a signalfd");
	unsigned swept = 0;
	if (r == 0 && (r = cr_incoming_sweep(&swept, err)) == 0 && o->arrival) {
		unsigned landings = 0;
		o->arrival->sweep(&landings);
		swept += landings;
	}
	if (r == 0 && swept > 0)
		dlog(&d, "removed %u partial incoming image(s) of earlier connections", swept);
	unsigned sockets = 0;
	if (r == 0 && (r = cr_page_resume_sweep(&sockets, err)) == 0 && sockets > 0)
		dlog(&d, "removed %u resume socket(s) that no page transfer listens on", sockets);
	if (r == 0)
		r = setup(&d, &sock_path, err);
	if (r == 0) {
		if (d.sctx.arrival)
			settle_left(&d);
		r = loop(&d, err);
	}
	stop_children(&d);
	sigprocmask(SIG_SETMASK, &d.old_mask, NULL);
out:
	if (d.unix_fd >= 0) {
		close(d.unix_fd);
		(void)unlink(sock_path);
	}
	if (d.tcp_fd >= 0)
		close(d.tcp_fd);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	cr_memzero(&kp, sizeof(kp));
	cr_peer_info_free(&local);
	if (r == 0)
		dlog(&d, "stopped");
	return r;
}
