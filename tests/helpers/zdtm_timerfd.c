/* zdtm: a periodic timerfd. Its interval and its pending first expiry must
 * survive, and it must keep firing after restore.
 *
 * The first expiry is a few seconds out so it is still pending while the
 * test dumps: CRIU reads a timerfd's next expiry from fdinfo, which shows 0
 * for a periodic timer that expired and was never read, and restoring 0
 * disarms the timer (seen with CRIU 4.1.1 on Linux 6.x). */
#include <poll.h>
#include <sys/timerfd.h>

#include "zdtm_lib.h"

#define FIRST_S 3
#define INTERVAL_NS (50 * 1000 * 1000)

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (fd < 0)
		zdtm_fail("timerfd_create: %s", strerror(errno));
	struct itimerspec its = {{0, INTERVAL_NS}, {FIRST_S, 0}};
	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		zdtm_fail("timerfd_settime: %s", strerror(errno));
	zdtm_ready();
	zdtm_wait();

	struct itimerspec now;
	if (timerfd_gettime(fd, &now) < 0)
		zdtm_fail("timerfd_gettime: %s", strerror(errno));
	if (now.it_interval.tv_sec != 0 || now.it_interval.tv_nsec != INTERVAL_NS)
		zdtm_fail("interval is %lld.%09ld s", (long long)now.it_interval.tv_sec,
			  now.it_interval.tv_nsec);
	uint64_t ticks = 0;
	if (now.it_value.tv_sec == 0 && now.it_value.tv_nsec == 0) {
		if (read(fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
			zdtm_fail("the timer is disarmed");
	} else if (now.it_value.tv_sec >= FIRST_S && now.it_value.tv_nsec > 0) {
		zdtm_fail("the first expiry moved later (%lld.%09ld s)",
			  (long long)now.it_value.tv_sec, now.it_value.tv_nsec);
	}
	for (int i = 0; i < 2; i++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, (FIRST_S + 2) * 1000) != 1)
			zdtm_fail("the timer does not fire (tick %d)", i);
		if (read(fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks) || ticks < 1)
			zdtm_fail("the timer fired but read gives %llu", (unsigned long long)ticks);
	}
	zdtm_pass();
}
