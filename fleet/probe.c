/* The direct probe of a host whose lease expired: does its corrald accept a
 * TCP connection? A host is treated as dead only when its lease is gone AND
 * this fails (an agent that died, or a store partition, is not a dead host). */
#define LOG_PREFIX "fleet: "
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fleet/fleet.h"
#include "transport/netaddr.h"

bool cr_fleet_host_answers(const char *address, int timeout_ms)
{
	struct addrinfo *ai = NULL;
	struct cr_error err = CR_ERROR_INIT;
	bool up = false;
	if (cr_addr_resolve(address, false, &ai, &err) < 0) {
		cr_error_clear(&err);
		return false;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r == 0) {
			up = true;
		} else if (errno == EINPROGRESS) {
			struct pollfd p = {fd, POLLOUT, 0};
			int soerr = 0;
			socklen_t len = sizeof soerr;
			up = poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
			     soerr == 0;
		}
		close(fd);
	}
	freeaddrinfo(ai);
	return up;
}
