/* The route netlink socket and the naming shared by net/ (nl_internal.h). */
#define LOG_PREFIX "net: "
#include "net/nl_internal.h"

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "util/cleanup.h"

static int errno_of(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM: return ENOMEM;
	case NLE_EXIST: return EEXIST;
	case NLE_NODEV: return ENODEV;
	case NLE_OBJ_NOTFOUND: return ENOENT;
	case NLE_PERM: return EPERM;
	case NLE_INVAL: return EINVAL;
	case NLE_BUSY: return EBUSY;
	case NLE_AGAIN: return ETIMEDOUT;
	case NLE_NOADDR: return EADDRNOTAVAIL;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_RANGE: return ERANGE;
	default: return EIO;
	}
}

int cr_nl_error(struct cr_error *err, int nlerr, const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&what, fmt, ap);
	va_end(ap);
	int code = errno_of(nlerr);
	const char *why = code == ETIMEDOUT ? "no answer from the kernel in time" : nl_geterror(nlerr);
	int r = cr_error_set(err, code, "%s: %s", n < 0 ? "netlink" : what, why);
	free(what);
	return r;
}

int cr_nl_open(struct nl_sock **ret_sock, struct cr_error *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return cr_error_set(err, ENOMEM, "cannot allocate a netlink socket");
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		return cr_nl_error(err, r, "cannot open a route netlink socket");
	}
	/* Replies come from the kernel at once; bound the wait anyway. */
	struct timeval timeout = {.tv_sec = CR_NL_TIMEOUT_S};
	int fd = nl_socket_get_fd(sk);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0) {
		r = cr_error_errno(err, "cannot set a timeout on a netlink socket");
		nl_socket_free(sk);
		return r;
	}
	(void)nl_socket_set_buffer_size(sk, 65536, 65536);
	*ret_sock = sk;
	return 0;
}

int cr_nl_link_up(struct nl_sock *sk, const char *name, struct cr_error *err)
{
	struct rtnl_link *link = NULL, *change = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &link);
	if (r < 0)
		return cr_nl_error(err, r, "cannot find %s", name);
	if (!(change = rtnl_link_alloc())) {
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	if ((r = rtnl_link_change(sk, link, change, 0)) < 0)
		r = cr_nl_error(err, r, "cannot bring %s up", name);
out:
	rtnl_link_put(change);
	rtnl_link_put(link);
	return r;
}

int cr_net_in_netns_fd(int target, const char *whose, int (*fn)(void *data, struct cr_error *err), void *data,
		       struct cr_error *err)
{
	cleanup_close int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return cr_error_errno(err, "cannot open /proc/thread-self/ns/net");
	if (setns(target, CLONE_NEWNET) < 0)
		return cr_error_errno(err, "cannot enter the network namespace of %s", whose);
	int r = fn(data, err);
	if (setns(self, CLONE_NEWNET) < 0)
		return cr_error_errno(err, "cannot come back from the network namespace of %s", whose);
	return r;
}

int cr_net_in_netns(pid_t pid, int (*fn)(void *data, struct cr_error *err), void *data,
		    struct cr_error *err)
{
	char path[64], whose[32];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	snprintf(whose, sizeof(whose), "pid %d", (int)pid);
	cleanup_close int target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return cr_error_errno(err, "cannot open %s", path);
	return cr_net_in_netns_fd(target, whose, fn, data, err);
}

bool cr_net_entry_on_loopback(const struct cr_netif *n)
{
	return n->interface && strcmp(n->interface, "lo") == 0;
}

void cr_net_inside_name(const struct cr_wpar_config *cfg, size_t index, char ret[IFNAMSIZ])
{
	if (cr_net_entry_on_loopback(&cfg->netifs[index])) {
		snprintf(ret, IFNAMSIZ, "lo");
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < index; i++)
		if (!cr_net_entry_on_loopback(&cfg->netifs[i]))
			k++;
	snprintf(ret, IFNAMSIZ, "eth%zu", k);
}

void cr_net_entry_mac(const char *name, size_t index, uint8_t ret[6])
{
	/* FNV-1a over the name and the index. */
	uint64_t h = 14695981039346656037ULL;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	for (int i = 0; i < 8; i++)
		h = (h ^ ((index >> (8 * i)) & 0xff)) * 1099511628211ULL;
	ret[0] = 0x02; /* locally administered, unicast */
	for (int i = 1; i < 6; i++)
		ret[i] = (uint8_t)(h >> (8 * (i - 1)));
}
