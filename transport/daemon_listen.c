/* corrald's listening sockets: TCP and the root-only Unix socket. */
#include "transport/daemon_internal.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport/conn.h"
#include "transport/netaddr.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

int cr_corrald_socket_path(char **ret_path, struct cr_error *err)
{
	return cr_path(ret_path, err, CR_RUN_DIR "/corrald.sock");
}

int cr_daemon_listen_tcp(const char *addr, int *ret_fd, struct cr_error *err)
{
	struct addrinfo *ai = NULL;
	int r = cr_addr_resolve(addr, true, &ai, err);
	if (r < 0)
		return cr_error_wrap(err, "listen address");
	cleanup_close int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0)
		r = cr_error_errno(err, "cannot make a socket for %s", addr);
	else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		r = cr_error_errno(err, "cannot set SO_REUSEADDR on %s", addr);
	else if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		r = cr_error_errno(err, "cannot listen on %s", addr);
	else if (listen(fd, 64) < 0)
		r = cr_error_errno(err, "cannot listen on %s", addr);
	freeaddrinfo(ai);
	if (r < 0)
		return r;
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

/* A socket file that still answers belongs to a running daemon. */
static int check_stale(const struct sockaddr_un *sun, const char *path, struct cr_error *err)
{
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot make a socket for %s", path);
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		return cr_error_set(err, EADDRINUSE, "another corrald listens on %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return cr_error_errno(err, "cannot remove the stale socket %s", path);
	return 0;
}

int cr_daemon_listen_unix(const char *path, int *ret_fd, struct cr_error *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return cr_error_set(err, ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(sun.sun_path, path);
	int r = cr_mkdir_parent(path, 0755, err);
	if (r < 0)
		return r;
	r = check_stale(&sun, path, err);
	if (r < 0)
		return r;
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot make a socket for %s", path);
	mode_t old = umask(0077); /* never world-connectable, not even for a moment */
	int b = bind(fd, (const struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (b < 0)
		return cr_error_errno(err, "cannot bind %s", path);
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		r = cr_error_errno(err, "cannot listen on %s", path);
		(void)unlink(path);
		return r;
	}
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}
