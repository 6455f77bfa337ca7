#define LOG_PREFIX "net: "
#include "net/link.h"

#include <netlink/netlink.h>

#include "net/nl_internal.h"

int cr_net_loopback_up(struct cr_error *err)
{
	struct nl_sock *sk = NULL;
	int r = cr_nl_open(&sk, err);
	if (r < 0)
		return r;
	if ((r = cr_nl_link_up(sk, "lo", err)) < 0)
		cr_error_wrap(err, "the loopback interface");
	nl_socket_free(sk);
	return r;
}
