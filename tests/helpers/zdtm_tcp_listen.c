/* zdtm: a listening TCP socket keeps its port after restore and accepts a
 * new connection through which data flows. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "zdtm_lib.h"

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		zdtm_fail("listen: %s", strerror(errno));
	zdtm_ready();
	zdtm_wait();
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		zdtm_fail("connect to port %d after restore: %s", ntohs(a.sin_port), strerror(errno));
	struct pollfd p = {s, POLLIN, 0};
	if (poll(&p, 1, 2000) != 1)
		zdtm_fail("the listening socket does not see the connection");
	int conn = accept(s, NULL, NULL);
	char buf[8] = {0};
	if (conn < 0 || write(c, "ping", 4) != 4 || read(conn, buf, 4) != 4 || memcmp(buf, "ping", 4))
		zdtm_fail("no data through the accepted connection");
	zdtm_pass();
}
