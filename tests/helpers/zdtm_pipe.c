/* zdtm: a pipe holding unread data. Every byte must come back, in order.
 * As much as the pipe holds, up to 20000 bytes: when this user's pipes
 * already hold fs.pipe-user-pages-soft pages (root without CAP_SYS_RESOURCE
 * is limited too, as here), a new pipe gets one page, and CI saw a full
 * write fail that way while other CRIU work ran on the machine. */
#include "zdtm_lib.h"

#define MAX_LEN 20000

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	static unsigned char buf[MAX_LEN];
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0)
		zdtm_fail("pipe: %s", strerror(errno));
	int cap = fcntl(p[1], F_GETPIPE_SZ);
	const int LEN = cap > 0 && cap < MAX_LEN ? cap : MAX_LEN;
	zdtm_fill(buf, LEN, 0, 3);
	if (write(p[1], buf, LEN) != LEN)
		zdtm_fail("write to the pipe: %s", strerror(errno));
	zdtm_ready();
	zdtm_wait();

	memset(buf, 0, LEN);
	if (zdtm_read_all(p[0], buf, LEN) < 0)
		zdtm_fail("the pipe holds fewer than %d bytes", LEN);
	long bad = zdtm_check(buf, LEN, 0, 3);
	if (bad >= 0)
		zdtm_fail("pipe data differs at byte %ld", bad);
	unsigned char extra;
	if (read(p[0], &extra, 1) != -1 || errno != EAGAIN)
		zdtm_fail("the pipe holds more than %d bytes", LEN);
	zdtm_pass();
}
