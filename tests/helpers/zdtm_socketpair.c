/* zdtm: unix socket pairs with data in flight: a stream pair with bytes
 * queued both ways and a datagram pair whose message boundaries must hold. */
#include <sys/socket.h>

#include "zdtm_lib.h"

#define AB 5000
#define BA 3000

static const size_t dgram_sizes[] = {1, 700, 64};

static void check_stream(int fd, size_t len, unsigned seed, const char *dir)
{
	static unsigned char buf[AB > BA ? AB : BA];
	if (zdtm_read_all(fd, buf, len) < 0)
		zdtm_fail("stream %s: fewer than %zu bytes", dir, len);
	long bad = zdtm_check(buf, len, 0, seed);
	if (bad >= 0)
		zdtm_fail("stream %s differs at byte %ld", dir, bad);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	static unsigned char buf[AB];
	int st[2], dg[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, st) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, dg) < 0)
		zdtm_fail("socketpair: %s", strerror(errno));
	zdtm_fill(buf, AB, 0, 4);
	if (write(st[0], buf, AB) != AB)
		zdtm_fail("stream write a->b: %s", strerror(errno));
	zdtm_fill(buf, BA, 0, 5);
	if (write(st[1], buf, BA) != BA)
		zdtm_fail("stream write b->a: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(dgram_sizes) / sizeof(dgram_sizes[0]); i++) {
		zdtm_fill(buf, dgram_sizes[i], 0, 6 + (unsigned)i);
		if (send(dg[0], buf, dgram_sizes[i], 0) != (ssize_t)dgram_sizes[i])
			zdtm_fail("datagram send: %s", strerror(errno));
	}
	zdtm_ready();
	zdtm_wait();

	check_stream(st[1], AB, 4, "a->b");
	check_stream(st[0], BA, 5, "b->a");
	for (size_t i = 0; i < sizeof(dgram_sizes) / sizeof(dgram_sizes[0]); i++) {
		ssize_t n = recv(dg[1], buf, sizeof(buf), 0);
		if (n != (ssize_t)dgram_sizes[i])
			zdtm_fail("datagram %zu: %zd bytes, not %zu", i, n, dgram_sizes[i]);
		if (zdtm_check(buf, (size_t)n, 0, 6 + (unsigned)i) >= 0)
			zdtm_fail("datagram %zu differs", i);
	}
	if (recv(dg[1], buf, sizeof(buf), 0) != -1 || errno != EAGAIN)
		zdtm_fail("an extra datagram is queued");
	zdtm_pass();
}
