#define LOG_PREFIX "net: "
#include "net/link.h"

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

static int nl_failure(struct cr_error *err, const char *what, int nlerr)
{
	return cr_error_set(err, EIO, "%s: %s", what, nl_geterror(nlerr));
}

int cr_net_loopback_up(struct cr_error *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *lo = NULL, *change = NULL;
	int r;
	if (!sk)
		return cr_error_set(err, ENOMEM, "cannot allocate a netlink socket");
	if ((r = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		r = nl_failure(err, "cannot open a route netlink socket", r);
		goto out;
	}
	/* Netlink replies come from the kernel at once; bound the wait anyway. */
	struct timeval timeout = {.tv_sec = 5};
	(void)setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	(void)nl_socket_set_buffer_size(sk, 32768, 32768);
	if ((r = rtnl_link_get_kernel(sk, 0, "lo", &lo)) < 0) {
		r = nl_failure(err, "cannot find the loopback interface", r);
		goto out;
	}
	change = rtnl_link_alloc();
	if (!change) {
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	if ((r = rtnl_link_change(sk, lo, change, 0)) < 0) {
		r = nl_failure(err, "cannot bring the loopback interface up", r);
		goto out;
	}
	r = 0;
out:
	rtnl_link_put(change);
	rtnl_link_put(lo);
	nl_socket_free(sk);
	return r;
}
