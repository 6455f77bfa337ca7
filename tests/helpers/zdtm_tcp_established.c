/* zdtm: an established TCP connection over loopback survives with data in
 * flight in both directions (CRIU's TCP repair mode), and goes on working. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "zdtm_lib.h"

#define IN_FLIGHT 4096

static int read_exact(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 3000) != 1)
			return -1;
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		zdtm_fail("listen: %s", strerror(errno));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		zdtm_fail("connect: %s", strerror(errno));
	int s = accept(l, NULL, NULL);
	if (s < 0)
		zdtm_fail("accept: %s", strerror(errno));
	/* Data in flight both ways: written, not yet read. */
	unsigned char out[IN_FLIGHT], back[IN_FLIGHT], buf[IN_FLIGHT];
	zdtm_fill(out, sizeof(out), 0, 21);
	zdtm_fill(back, sizeof(back), 0, 22);
	if (write(c, out, sizeof(out)) != (ssize_t)sizeof(out) || write(s, back, sizeof(back)) != (ssize_t)sizeof(back))
		zdtm_fail("write: %s", strerror(errno));
	zdtm_ready();
	zdtm_wait();
	if (read_exact(s, buf, sizeof(buf)) < 0 || zdtm_check(buf, sizeof(buf), 0, 21) >= 0)
		zdtm_fail("client-to-server data in flight was lost or changed");
	if (read_exact(c, buf, sizeof(buf)) < 0 || zdtm_check(buf, sizeof(buf), 0, 22) >= 0)
		zdtm_fail("server-to-client data in flight was lost or changed");
	zdtm_fill(out, sizeof(out), IN_FLIGHT, 21);
	if (write(c, out, sizeof(out)) != (ssize_t)sizeof(out) || read_exact(s, buf, sizeof(buf)) < 0 ||
	    zdtm_check(buf, sizeof(buf), IN_FLIGHT, 21) >= 0)
		zdtm_fail("the connection does not carry new data after restore");
	zdtm_pass();
}
