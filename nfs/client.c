/* Connecting a libnfs context to an export, with timeouts and one-line errors. */
#define LOG_PREFIX "nfs: "
#include "nfs/client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

void cr_nfs_disconnect(struct nfs_context *nfs)
{
	if (nfs)
		nfs_destroy_context(nfs);
}

int cr_nfs_call_error(struct nfs_context *nfs, int r, const char *where, const char *what,
		      const char *path, struct cr_error *err)
{
	int code = r < 0 && -r < 4096 ? -r : EIO;
	const char *detail = nfs ? nfs_get_error(nfs) : NULL;
	return cr_error_set(err, code, "%s: cannot %s %s: %s%s%s%s", where, what, path, strerror(code),
			    detail && *detail ? " (" : "", detail ? detail : "", detail && *detail ? ")" : "");
}

/* libnfs reports MOUNT and NFS refusals with the protocol's status names;
 * anything else on the way (connect, portmapper, timeouts) is the server
 * not answering. */
static bool is_refusal(const char *msg)
{
	return msg && (strstr(msg, "MNT3ERR_") || strstr(msg, "NFS3ERR_") || strstr(msg, "NFS4ERR_"));
}

/* libnfs often says only "nfs_service failed" when the connection fails:
 * connect to the port once more (numeric hosts only, within TIMEOUT_S) for
 * the system's reason. Returns an errno, 0 when it connects or cannot tell. */
static int connect_errno(const char *host, int port, int timeout_s)
{
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	if (getaddrinfo(host, service, &hints, &ai) != 0)
		return 0;
	int e = 0;
	cleanup_close int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd p = {fd, POLLOUT, 0};
			socklen_t len = sizeof(e);
			if (poll(&p, 1, timeout_s * 1000) <= 0)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
				e = 0;
		}
	}
	freeaddrinfo(ai);
	return e;
}

static int classify(struct nfs_context *nfs, int r, const char *where, const char *host,
		    const struct cr_nfs_options *opts, struct cr_error *err)
{
	const char *msg = nfs_get_error(nfs);
	if (!msg || !*msg)
		msg = strerror(r < 0 && -r < 4096 ? -r : EIO);
	if (is_refusal(msg))
		return cr_error_set(err, ENOENT, "%s: no such export, or the server does not export it to this host (%s)",
				    where, msg);
	if (r == -ETIMEDOUT || strstr(msg, "imed out") || strstr(msg, "imeout"))
		return cr_error_set(err, ETIMEDOUT, "%s: server unreachable: no answer in time (%s)", where, msg);
	int port = opts->nfs_port ? opts->nfs_port : 111; /* else the portmapper */
	int e = connect_errno(host, port, opts->timeout_s);
	if (e)
		return cr_error_set(err, EHOSTUNREACH, "%s: server unreachable: port %d: %s (%s)", where, port,
				    strerror(e), msg);
	return cr_error_set(err, EHOSTUNREACH, "%s: server unreachable (%s)", where, msg);
}

int cr_nfs_connect(const char *host, const char *export_path, const struct cr_nfs_options *opts,
		   int reconnect, struct nfs_context **ret_nfs, struct cr_error *err)
{
	cleanup_free char *url_text = NULL;
	cleanup_free char *where = NULL;
	int r = cr_nfs_url(host, export_path, opts, &url_text, err);
	if (r < 0)
		return r;
	if (asprintf(&where, "%s:%s", host, export_path) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	/* libnfs bounds its calls, not the TCP connect under them: a server whose
	 * packets vanish would hold nfs_mount for minutes of SYN retries. */
	int port = opts->nfs_port ? opts->nfs_port : 111;
	int e = connect_errno(host, port, opts->timeout_s);
	if (e)
		return cr_error_set(err, e == ETIMEDOUT ? ETIMEDOUT : EHOSTUNREACH,
				    "%s: server unreachable: port %d: %s", where, port,
				    e == ETIMEDOUT ? "no answer in time" : strerror(e));
	struct nfs_context *nfs = nfs_init_context();
	if (!nfs)
		return cr_error_set(err, ENOMEM, "%s: cannot create an NFS context", where);
	nfs_set_timeout(nfs, opts->timeout_s * 1000);
	nfs_set_autoreconnect(nfs, reconnect);
	nfs_set_dircache(nfs, 0); /* a shared export changes under us */
	nfs_set_uid(nfs, 0);
	nfs_set_gid(nfs, 0);
	struct nfs_url *url = nfs_parse_url_dir(nfs, url_text);
	if (!url) {
		r = cr_error_set(err, EINVAL, "%s: bad NFS URL %s (%s)", where, url_text, nfs_get_error(nfs));
		nfs_destroy_context(nfs);
		return r;
	}
	cr_debug("mounting %s", url_text);
	r = nfs_mount(nfs, url->server, url->path);
	nfs_destroy_url(url);
	if (r < 0) {
		r = classify(nfs, r, where, host, opts, err);
		nfs_destroy_context(nfs);
		return r;
	}
	*ret_nfs = nfs;
	return 0;
}
