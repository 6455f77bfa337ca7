/* zdtm: a periodic timerfd that its program keeps reading, as an event loop
 * does. Its interval must survive and it must keep firing after restore.
 * (An idle program that never reads an expired periodic timerfd is
 * zdtm_timerfd's case: CRIU restores that one disarmed.) */
#include <poll.h>
#include <sys/timerfd.h>

#include "zdtm_lib.h"

#define INTERVAL_NS (20 * 1000 * 1000)

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (fd < 0)
		zdtm_fail("timerfd_create: %s", strerror(errno));
	struct itimerspec its = {{0, INTERVAL_NS}, {0, INTERVAL_NS}};
	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		zdtm_fail("timerfd_settime: %s", strerror(errno));
	uint64_t total = 0, ticks;
	zdtm_ready();
	while (!zdtm_go) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) == 1 && read(fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
			total += ticks;
	}
	struct itimerspec now;
	if (timerfd_gettime(fd, &now) < 0)
		zdtm_fail("timerfd_gettime: %s", strerror(errno));
	if (now.it_interval.tv_sec != 0 || now.it_interval.tv_nsec != INTERVAL_NS)
		zdtm_fail("interval is %lld.%09ld s", (long long)now.it_interval.tv_sec, now.it_interval.tv_nsec);
	uint64_t before = total;
	for (int i = 0; i < 5; i++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 2000) != 1)
			zdtm_fail("the timer does not fire after %llu ticks", (unsigned long long)total);
		if (read(fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
			total += ticks;
	}
	if (total <= before || before == 0)
		zdtm_fail("ticks did not advance (%llu -> %llu)", (unsigned long long)before, (unsigned long long)total);
	zdtm_pass();
}
